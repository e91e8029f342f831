"""Three-witness checks for logistic regression: closed form, autograd, finite differences."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import torch
from torch import nn

from .._logreg import BCELOSS_EPSILON, logreg_grad, logreg_per_sample_grads
from ._compare import CheckResult, compare
from ._reference import exact_per_sample_grads, sympy_per_sample_grads
from ._tolerances import FD_TOLERANCE, tolerance, within_tolerance
from ._witnesses import autograd_logreg_grad, finite_difference_grad, vmap_per_sample_grads

__all__ = ["logreg_checks", "logreg_problem"]

BATCH, FEATURES = 48, 5
EXTREME_LOGIT = 1e4


def logreg_problem(seed: int, device, dtype, *, soft: bool = False, scale: float = 1.0):
    """Random (X, y, w, b): overlapping logits of size ~ ``scale``, hard or soft labels."""
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(BATCH, FEATURES, generator=gen, dtype=torch.float64)
    w = torch.randn(FEATURES, generator=gen, dtype=torch.float64) * scale
    b = torch.randn((), generator=gen, dtype=torch.float64)
    y = torch.rand(BATCH, generator=gen, dtype=torch.float64)
    y = y if soft else (y > 0.5).double()
    return tuple(t.to(device=device, dtype=dtype) for t in (X, y, w, b))


def _variants(seed: int, device, dtype) -> Iterator[tuple[str, tuple, dict]]:
    gen = torch.Generator().manual_seed(seed + 1)
    weight = (torch.rand(BATCH, generator=gen, dtype=torch.float64) * 2).to(device, dtype)
    pos_weight = torch.tensor([2.5], dtype=dtype, device=device)
    yield "hard labels", logreg_problem(seed, device, dtype), {}
    yield "soft labels", logreg_problem(seed, device, dtype, soft=True), {}
    yield "weight", logreg_problem(seed, device, dtype, soft=True), {"weight": weight}
    yield "pos_weight", logreg_problem(seed, device, dtype), {"pos_weight": pos_weight}


def _per_sample_checks(seed, device, dtype, tol) -> Iterator[CheckResult]:
    for label, data, options in _variants(seed, device, dtype):
        closed = logreg_per_sample_grads(*data, **options)
        yield compare(f"per-sample closed form = SymPy-generated ({label})", closed,
                      sympy_per_sample_grads(*data, **options), device=device, dtype=dtype, **tol)
        yield compare(f"per-sample closed form = vmap(grad) ({label})", closed,
                      vmap_per_sample_grads(*data, **options), device=device, dtype=dtype, **tol)
        yield compare(f"per-sample closed form = autograd, reduction='none' ({label})", closed,
                      autograd_logreg_grad(*data, reduction="none", **options),
                      device=device, dtype=dtype, **tol)


def _reduced_checks(seed, device, dtype, tol) -> Iterator[CheckResult]:
    for label, data, options in _variants(seed, device, dtype):
        for reduction in ("mean", "sum"):
            closed = logreg_grad(*data, reduction=reduction, **options)
            yield compare(f"BCEWithLogitsLoss autograd, reduction={reduction!r} ({label})", closed,
                          autograd_logreg_grad(*data, reduction=reduction, **options),
                          device=device, dtype=dtype, **tol)
            if "pos_weight" not in options:
                yield compare(f"BCELoss(sigmoid) autograd, reduction={reduction!r} ({label})", closed,
                              autograd_logreg_grad(*data, reduction=reduction, kind="after_sigmoid",
                                                   **options), device=device, dtype=dtype, **tol)


def _identity_checks(seed, device, dtype, tol) -> Iterator[CheckResult]:
    data = logreg_problem(seed, device, dtype, soft=True)
    Gw, gb = logreg_per_sample_grads(*data)
    mean, total = logreg_grad(*data, reduction="mean"), logreg_grad(*data, reduction="sum")
    yield compare("mean-reduced gradient = mean of per-sample gradients", mean,
                  (Gw.mean(0), gb.mean()), device=device, dtype=dtype, **tol)
    yield compare("sum-reduced gradient = B x mean-reduced gradient", total,
                  (mean[0] * BATCH, mean[1] * BATCH), device=device, dtype=dtype, **tol)


def _finite_difference_check(seed, device, dtype) -> CheckResult:
    X, y, w, b = logreg_problem(seed, device, dtype, soft=True)

    def loss_of(w_, b_):
        z = X.double() @ w_ + b_
        return nn.functional.binary_cross_entropy_with_logits(z, y.double(), reduction="mean")

    fd = finite_difference_grad(loss_of, [w, b])
    rtol = max(FD_TOLERANCE.rtol, tolerance(dtype).rtol)
    atol = max(FD_TOLERANCE.atol, tolerance(dtype).atol)
    return compare("mean gradient = central finite differences (float64, h=1e-6)",
                   logreg_grad(X, y, w, b), fd, device=device, dtype=dtype, rtol=rtol, atol=atol)


def _extreme_logits(device, dtype):
    """One feature x_i = z_i with w = 1, b = 0, so the logits are z (up to |z| = 1e4)."""
    z = torch.tensor([-EXTREME_LOGIT, -50.0, -20.0, 0.0, 20.0, 50.0, EXTREME_LOGIT], dtype=torch.float64)
    y = torch.tensor([1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0], dtype=torch.float64)
    data = (z[:, None], y, torch.ones(1, dtype=torch.float64), torch.tensor(0.0, dtype=torch.float64))
    return tuple(t.to(device, dtype) for t in data)


def _extreme_checks(device, dtype, tol) -> Iterator[CheckResult]:
    data = _extreme_logits(device, dtype)
    closed = logreg_per_sample_grads(*data)
    finite = all(bool(torch.isfinite(t).all()) for t in closed)
    exact = exact_per_sample_grads(*data)
    result = compare("closed form finite and exact (50-digit reference) for |z| up to 1e4", closed, exact,
                     device=device, dtype=dtype, **tol)
    yield replace(result, passed=result.passed and finite)
    yield compare("BCEWithLogitsLoss autograd for |z| up to 1e4", closed,
                  autograd_logreg_grad(*data, reduction="none"), device=device, dtype=dtype, **tol)
    yield _bceloss_clamp_check(data, closed, device, dtype, tol)


def _bceloss_clamp_check(data, closed, device, dtype, tol) -> CheckResult:
    """nn.BCELoss clamps its log terms at -100 and divides by max(p (1 - p), 1e-12) in its
    backward pass, so once sigmoid saturates (p (1 - p) < 1e-12) its gradient departs from
    sigmoid(z) - y. The check passes when it departs there and only there."""
    clamped = autograd_logreg_grad(*data, reduction="none", kind="after_sigmoid")
    p = torch.sigmoid(data[0][:, 0]).double()
    saturated = p * (1 - p) < BCELOSS_EPSILON
    departure = (clamped[1] - closed[1]).abs()
    agrees_elsewhere = bool(within_tolerance(clamped[1][~saturated], closed[1][~saturated], **tol).all())
    size = float(departure.max())
    size_w = float((clamped[0] - closed[0]).abs().max())
    worst = float(data[0][:, 0][departure.argmax()])
    result = compare("BCELoss(sigmoid) autograd for |z| up to 1e4 (clamped at -100)", closed,
                     clamped, device=device, dtype=dtype, **tol)
    note = (f"expected departure: p(1 - p) < 1e-12 at {int(saturated.sum())} of {len(p)} logits; "
            f"there BCELoss's dL/dz (= dL/db) is off by up to {size:.3g} (at z = {worst:g}: a confidently "
            f"wrong sample loses its gradient), and dL/dw = dL/dz x by up to {size_w:.3g} (|x| is large "
            f"there); BCEWithLogitsLoss does not")
    return replace(result, passed=agrees_elsewhere and bool(saturated.any()), note=note,
                   expected_difference=True)


def logreg_checks(seed: int, device, dtype) -> list[CheckResult]:
    """Every logistic-regression check for one device and dtype."""
    tol = dict(zip(("rtol", "atol"), tolerance(dtype)))
    results = [
        *_per_sample_checks(seed, device, dtype, tol),
        *_reduced_checks(seed, device, dtype, tol),
        *_identity_checks(seed, device, dtype, tol),
        _finite_difference_check(seed, device, dtype),
        *_extreme_checks(device, dtype, tol),
    ]
    return [replace(r, name="logreg: " + r.name) for r in results]
