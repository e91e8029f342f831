import pytest
import torch

from gradproof.numeric.testing import assert_grad_matches


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
    with pytest.raises(AssertionError, match=r"(?s)gradient of input 0 differs from autograd: .*Mismatched elements: "
                       r"\d+ / 4.*at index \(\d+,\)"):
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


def sqrt_below_zero(w, X, y):  # sqrt(|w|_1 - 10) at |w|_1 < 10: NaN, and so is its gradient
    return torch.sqrt(w.abs().sum() - 10)


@pytest.mark.parametrize("closed_form, loss_fn", [
    (lambda w, X, y: torch.full_like(w, 123.0), lambda w, X, y: loss(w, X, y) * torch.tensor(float("nan"))),
    (lambda w, X, y: torch.zeros_like(w), sqrt_below_zero),
    (lambda w, X, y: torch.full_like(w, float("inf")), lambda w, X, y: loss(w, X, y) * float("inf")),
    (lambda w, X, y: right(w, X, y) + torch.tensor([float("nan"), 0, 0, 0], dtype=w.dtype), loss),
])
def test_a_witness_or_closed_form_that_is_not_finite_fails(closed_form, loss_fn):
    with pytest.raises(AssertionError, match="is not finite"):
        assert_grad_matches(closed_form, loss_fn, *data())


def test_a_closed_form_that_zeroes_its_inputs_in_place_is_caught_and_harmless():
    def zeroes_X(w, X, y):
        X.zero_()
        return torch.zeros_like(w)

    w, X, y = data()
    kept = X.clone()
    with pytest.raises(AssertionError, match="differs from autograd"):
        assert_grad_matches(zeroes_X, loss, w, X, y)
    assert torch.equal(X, kept)


@pytest.mark.parametrize("options, message", [
    ({"fd_step": float("nan")}, "fd_step"), ({"fd_step": 0.0}, "fd_step"), ({"fd_step": -1e-6}, "fd_step"),
    ({"fd_step": float("inf")}, "fd_step"), ({"rtol": -1.0}, "rtol"), ({"atol": float("nan")}, "atol"),
    ({"wrt": ()}, "wrt: give at least one"), ({"wrt": (0, 0)}, "wrt: positions repeat"),
    ({"wrt": True}, "wrt: position True"),
])
def test_unusable_arguments_are_input_errors(options, message):
    from gradproof.numeric import InputError

    with pytest.raises(InputError, match=message):
        assert_grad_matches(right, loss, *data(), **options)


def test_a_loss_that_is_not_a_scalar_is_refused():
    from gradproof.numeric import InputError

    def per_sample(w, X, y):
        return torch.nn.functional.binary_cross_entropy_with_logits(X @ w, y, reduction="none")

    with pytest.raises(InputError, match="loss_fn: expected a floating-point scalar tensor, got \\(16,\\)"):
        assert_grad_matches(right, per_sample, *data())


# --- the fast mode (issue 24) ------------------------------------------------------------------

def _logreg_problem(d: int = 600):
    generator = torch.Generator().manual_seed(3)
    X = torch.randn(32, d, dtype=torch.float64, generator=generator)
    y = torch.rand(32, dtype=torch.float64, generator=generator)
    w = 0.05 * torch.randn(d, dtype=torch.float64, generator=generator)

    def loss(w):
        return torch.nn.functional.binary_cross_entropy_with_logits(X @ w, y)

    def grad(w):
        return X.T @ (torch.sigmoid(X @ w) - y) / len(y)
    return loss, grad, w


def test_the_fast_mode_passes_a_right_gradient_and_counts_few_loss_evaluations():
    loss, grad, w = _logreg_problem()
    calls = []

    def counted(w):
        calls.append(1)
        return loss(w)
    assert_grad_matches(grad, counted, w, mode="fast", seed=1)
    assert len(calls) == 1 + 2 * 4          # autograd once, then two per random direction
    calls.clear()
    assert_grad_matches(grad, counted, w, seed=1)   # auto: fast above 256 entries
    assert len(calls) == 9


def test_the_fast_mode_catches_a_gradient_that_autograd_of_a_lying_loss_would_confirm():
    loss, grad, w = _logreg_problem()

    class Lying(torch.autograd.Function):     # a loss whose backward is wrong: autograd agrees with it
        @staticmethod
        def forward(ctx, w):
            ctx.save_for_backward(w)
            return loss(w)

        @staticmethod
        def backward(ctx, out):
            (w,) = ctx.saved_tensors
            return out * 2 * grad(w)

    with pytest.raises(AssertionError, match="random direction"):
        assert_grad_matches(lambda w: 2 * grad(w), Lying.apply, w, mode="fast", seed=5)


def test_the_mode_and_seed_arguments_are_checked():
    loss, grad, w = _logreg_problem(8)
    with pytest.raises(ValueError, match="mode"):
        assert_grad_matches(grad, loss, w, mode="quick")
    with pytest.raises(ValueError, match="seed"):
        assert_grad_matches(grad, loss, w, mode="fast", seed=1.5)
