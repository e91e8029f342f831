import pytest
import torch

from numeric import assert_grad_matches


def loss(w, X, y):
    return torch.nn.functional.binary_cross_entropy_with_logits(X @ w, y)


def right(w, X, y):
    return X.T @ (torch.sigmoid(X @ w) - y) / len(y)


def data(dtype=torch.float64):
    g = torch.Generator().manual_seed(1)
    return (torch.randn(4, generator=g, dtype=dtype), torch.randn(16, 4, generator=g, dtype=dtype),
            torch.rand(16, generator=g, dtype=dtype))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_a_right_gradient_passes(dtype):
    assert_grad_matches(right, loss, *data(dtype))


@pytest.mark.parametrize("wrong", [
    lambda w, X, y: -right(w, X, y),
    lambda w, X, y: right(w, X, y) * len(y),
    lambda w, X, y: X.T @ (torch.sigmoid(X @ w) - y) / (len(y) - 1),
    lambda w, X, y: X.T @ (y - torch.sigmoid(X @ w)) / len(y),
])
def test_a_wrong_gradient_fails_saying_where_and_by_how_much(wrong):
    with pytest.raises(AssertionError, match=r"gradient of input 0 differs from autograd at index \(\d+,\)"):
        assert_grad_matches(wrong, loss, *data())


def test_finite_differences_catch_a_wrong_loss_fn_witness():
    # autograd of a loss with a detached piece is wrong; finite differences are not fooled
    def leaky(w, X, y):
        z = X @ w
        return torch.nn.functional.binary_cross_entropy_with_logits(z.detach() + 0 * z, y)

    with pytest.raises(AssertionError, match="autograd"):
        assert_grad_matches(right, leaky, *data())


def test_several_inputs_and_bad_arguments():
    def loss2(w, b, X, y):
        return torch.nn.functional.binary_cross_entropy_with_logits(X @ w + b, y)

    def grads(w, b, X, y):
        r = torch.sigmoid(X @ w + b) - y
        return X.T @ r / len(y), r.mean()

    w, X, y = data()
    b = torch.tensor(0.3, dtype=torch.float64)
    assert_grad_matches(grads, loss2, w, b, X, y, wrt=(0, 1))
    with pytest.raises(ValueError, match="wrt: position 9"):
        assert_grad_matches(grads, loss2, w, b, X, y, wrt=(0, 9))
    with pytest.raises(ValueError, match="closed_form: returned 2"):
        assert_grad_matches(grads, loss2, w, b, X, y, wrt=0)
