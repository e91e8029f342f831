"""Closed-form logistic-regression gradients against independent witnesses."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from gradproof import numeric
from gradproof.numeric._verification._reference import sympy_per_sample_grads
from gradproof.numeric._verification._witnesses import (
    autograd_logreg_grad,
    finite_difference_grad,
    vmap_per_sample_grads,
)

DTYPES = [torch.float64, torch.float32]


def problem(B, d, dtype=torch.float64, device="cpu", seed=0, soft=True, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(B, d, generator=g, dtype=torch.float64) * scale
    y = torch.rand(B, generator=g, dtype=torch.float64)
    y = y if soft else (y > 0.5).double()
    w = torch.randn(d, generator=g, dtype=torch.float64)
    b = torch.randn((), generator=g, dtype=torch.float64)
    return tuple(t.to(device, dtype) for t in (X, y, w, b))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("options", ["plain", "weight", "pos_weight"])
def test_reduced_gradient_matches_torch_module_autograd(device, dtype, reduction, options):
    X, y, w, b = problem(33, 4, dtype, device)
    kw = {}
    if options == "weight":
        kw["weight"] = torch.rand(33, dtype=dtype, device=device) * 2
    if options == "pos_weight":
        kw["pos_weight"] = torch.tensor([3.0], dtype=dtype, device=device)
    got = numeric.logreg_grad(X, y, w, b, reduction=reduction, **kw)
    tol = numeric.testing.tolerance(dtype)
    want = autograd_logreg_grad(X, y, w, b, reduction=reduction, **kw)
    for g, a in zip(got, want):
        torch.testing.assert_close(g, a, rtol=tol.rtol, atol=tol.atol)


@pytest.mark.parametrize("options", ["plain", "weight", "pos_weight"])
def test_reduction_none_returns_per_sample_rows(options):
    """Row i is the gradient of sample i's own loss: the Jacobian of nn.BCEWithLogitsLoss
    (reduction='none') with respect to (w, b), taken by torch autograd."""
    X, y, w, b = problem(5, 3)
    kw = {"weight": torch.rand(5, dtype=torch.float64)} if options == "weight" else (
        {"pos_weight": torch.tensor([3.0], dtype=torch.float64)} if options == "pos_weight" else {})
    losses = nn.BCEWithLogitsLoss(reduction="none", **kw)
    jw, jb = torch.autograd.functional.jacobian(lambda w_, b_: losses(X @ w_ + b_, y), (w, b))
    Gw, gb = numeric.logreg_grad(X, y, w, b, reduction="none", **kw)
    assert Gw.shape == (5, 3) and gb.shape == (5,)
    tol = numeric.testing.tolerance(torch.float64)
    torch.testing.assert_close(Gw, jw, rtol=tol.rtol, atol=tol.atol)
    torch.testing.assert_close(gb, jb, rtol=tol.rtol, atol=tol.atol)


@given(B=st.integers(1, 40), d=st.integers(1, 12), seed=st.integers(0, 10_000),
       soft=st.booleans(), scale=st.sampled_from([0.1, 1.0, 10.0]),
       dtype=st.sampled_from(DTYPES))
def test_per_sample_grads_match_vmap_and_sympy_generated_code(B, d, seed, soft, scale, dtype):
    X, y, w, b = problem(B, d, dtype, seed=seed, soft=soft, scale=scale)
    Gw, gb = numeric.logreg_per_sample_grads(X, y, w, b)
    assert Gw.shape == (B, d) and gb.shape == (B,)
    tol = numeric.testing.tolerance(dtype)
    # the witnesses round sigmoid(z) - y near 1 in the working dtype: an error of about
    # eps |x_k| in each entry, so the absolute tolerance scales with the data
    atol = tol.atol * max(1.0, float(X.abs().max()))
    vw, vb = vmap_per_sample_grads(X, y, w, b)
    torch.testing.assert_close(Gw, vw, rtol=tol.rtol, atol=atol)
    torch.testing.assert_close(gb, vb, rtol=tol.rtol, atol=tol.atol)
    sw, sb = sympy_per_sample_grads(X, y, w, b)
    torch.testing.assert_close(Gw.double(), torch.from_numpy(sw), rtol=tol.rtol * 10, atol=tol.atol * 10)
    torch.testing.assert_close(gb.double(), torch.from_numpy(sb), rtol=tol.rtol * 10, atol=tol.atol * 10)


@given(B=st.integers(1, 30), d=st.integers(1, 6), seed=st.integers(0, 10_000))
def test_batch_identities(B, d, seed):
    X, y, w, b = problem(B, d, seed=seed)
    Gw, gb = numeric.logreg_per_sample_grads(X, y, w, b)
    mw, mb = numeric.logreg_grad(X, y, w, b, reduction="mean")
    sw, sb = numeric.logreg_grad(X, y, w, b, reduction="sum")
    torch.testing.assert_close(mw, Gw.mean(0))
    torch.testing.assert_close(mb, gb.mean())
    torch.testing.assert_close(sw, B * mw)
    torch.testing.assert_close(sb, B * mb)


def test_weights_and_pos_weight_enter_as_derived():
    X, y, w, b = problem(20, 3, seed=3)
    omega = torch.rand(20, dtype=torch.float64)
    pw = torch.tensor([2.0], dtype=torch.float64)
    base = numeric.logreg_per_sample_grads(X, y, w, b)[1]
    weighted = numeric.logreg_per_sample_grads(X, y, w, b, weight=omega)[1]
    torch.testing.assert_close(weighted, omega * base)
    s = torch.sigmoid(X @ w + b)
    torch.testing.assert_close(numeric.logreg_per_sample_grads(X, y, w, b, pos_weight=pw)[1],
                               s * (2 * y + 1 - y) - 2 * y)
    # torch's mean divides by B, not by the sum of weights
    mean_w = numeric.logreg_grad(X, y, w, b, weight=omega)[1]
    torch.testing.assert_close(mean_w, (omega * base).sum() / 20)


def test_finite_differences_agree():
    X, y, w, b = problem(12, 3)

    def loss(w_, b_):
        return nn.functional.binary_cross_entropy_with_logits(X @ w_ + b_, y)

    fd_w, fd_b = finite_difference_grad(loss, [w, b])
    gw, gb = numeric.logreg_grad(X, y, w, b)
    torch.testing.assert_close(gw, fd_w, rtol=numeric.testing.FD_TOLERANCE.rtol, atol=numeric.testing.FD_TOLERANCE.atol)
    torch.testing.assert_close(gb, fd_b, rtol=numeric.testing.FD_TOLERANCE.rtol, atol=numeric.testing.FD_TOLERANCE.atol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_extreme_logits_stay_finite_and_exact(device, dtype):
    z = torch.tensor([-1e4, -1e3, -50.0, 0.0, 50.0, 1e3, 1e4], dtype=dtype, device=device)
    y = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0], dtype=dtype, device=device)
    X = z[:, None]
    w = torch.ones(1, dtype=dtype, device=device)
    b = torch.zeros((), dtype=dtype, device=device)
    Gw, gb = numeric.logreg_per_sample_grads(X, y, w, b)
    assert torch.isfinite(Gw).all() and torch.isfinite(gb).all()
    expected = torch.tensor([-1.0, 0.0, -1.0, -0.5, 1.0, 0.0, 1.0], dtype=dtype, device=device)
    torch.testing.assert_close(gb, expected, rtol=0, atol=1e-6)
    assert torch.isfinite(numeric.logreg_grad(X, y, w, b)[0]).all()


@pytest.mark.parametrize("bad, message", [
    (lambda X, y, w, b: (X[:, :2], y, w, b), "w: expected shape"),
    (lambda X, y, w, b: (X, y[:3], w, b), "y: expected shape"),
    (lambda X, y, w, b: (X, y + 1.5, w, b), "y: labels must lie in"),
    (lambda X, y, w, b: (X, -y, w, b), "y: labels must lie in"),
    (lambda X, y, w, b: (X.clone().index_fill_(0, torch.tensor([1]), float("nan")), y, w, b), "X: contains"),
    (lambda X, y, w, b: (X, y, w * float("inf"), b), "w: contains"),
    (lambda X, y, w, b: (X[:0], y[:0], w, b), "X: the batch is empty"),
    (lambda X, y, w, b: (X.long(), y, w, b), "X: expected a floating-point"),
    (lambda X, y, w, b: (X, y.float(), w, b), "y: on cpu with torch.float32"),
    (lambda X, y, w, b: (X[0], y, w, b), "X: expected 2 dimensions"),
    (lambda X, y, w, b: (X, y, w, torch.ones(2, dtype=torch.float64)), "b: expected a scalar"),
    (lambda X, y, w, b: (X.tolist(), y, w, b), "X: expected a torch.Tensor"),
])
def test_bad_input_raises_value_error_naming_the_argument(bad, message):
    X, y, w, b = problem(6, 3)
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        numeric.logreg_per_sample_grads(*bad(X, y, w, b))


def test_bad_weight_and_reduction():
    X, y, w, b = problem(6, 3)
    with pytest.raises(ValueError, match="weight: expected a scalar or shape"):
        numeric.logreg_grad(X, y, w, b, weight=torch.ones(4, dtype=torch.float64))
    with pytest.raises(ValueError, match="reduction: expected one of"):
        numeric.logreg_grad(X, y, w, b, reduction="avg")
    with pytest.raises(ValueError, match="pos_weight: must be nonnegative"):
        numeric.logreg_grad(X, y, w, b, pos_weight=torch.tensor([-1.0], dtype=torch.float64))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_mixed_devices_are_rejected():
    X, y, w, b = problem(6, 3)
    with pytest.raises(ValueError, match="on cuda"):
        numeric.logreg_grad(X, y.cuda(), w, b)
