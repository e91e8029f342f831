"""Three witnesses for the torch code generated from a loss's dL/dz.

1. torch autograd of the loss written in torch: for a named loss, an independent torch
   implementation (``functional.binary_cross_entropy_with_logits`` with its ``pos_weight``, and focal loss
   written as torchvision's ``sigmoid_focal_loss`` computes it, from Lin et al. 2017 — torchvision is
   not a dependency); for a formula, the loss itself generated from the user's expression;
2. float64 central differences of that torch loss;
3. at extreme logits (|z| up to 1e4) in float32: the generated dL/dz is finite wherever the loss is,
   and agrees with a 50-digit mpmath evaluation of the SymPy result at the exact label, with
   1 - sigmoid(u) as sigmoid(-u) and log sigmoid(u) as -log1p(exp(-u)) but not through the log-space
   rewrite of the generated code; its note names the rewrites that made the code stable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import mpmath
import numpy as np
import sympy as sp
import torch
from torch.nn import functional

from gradproof import symbolic

from .._losses import Y, Z, as_loss, stable_rewrites, torch_function
from ._compare import CheckResult, compare
from ._tolerances import FD_STEP, FD_TOLERANCE, tolerance

__all__ = ["torch_loss", "loss_checks", "EXTREME_LOGITS"]

EXTREME_LOGITS = (-1e4, -1e3, -100.0, -30.0, 30.0, 100.0, 1e3, 1e4)
SAMPLES = 64


def _focal(z, y, gamma, alpha):
    """torchvision.ops.sigmoid_focal_loss, reduction 'none' (Lin et al. 2017, soft labels)."""
    p = torch.sigmoid(z)
    ce = functional.binary_cross_entropy_with_logits(z, y, reduction="none")
    p_t = p * y + (1 - p) * (1 - y)
    return (alpha * y + (1 - alpha) * (1 - y)) * ce * (1 - p_t) ** gamma


_WRITTEN: dict[str, Callable] = {
    "bce": lambda z, y: functional.binary_cross_entropy_with_logits(z, y, reduction="none"),
    "bce_pos_weight": lambda z, y, pos_weight: functional.binary_cross_entropy_with_logits(
        z, y, pos_weight=torch.tensor(pos_weight, dtype=z.dtype, device=z.device), reduction="none"),
    "squared_error": lambda z, y: (torch.sigmoid(z) - y) ** 2 / 2,
    "focal": _focal,
    "label_smoothing": lambda z, y, eps: functional.binary_cross_entropy_with_logits(
        z, y * (1 - eps) + eps / 2, reduction="none"),
    "exponential": lambda z, y: torch.exp(-(2 * y - 1) * z),
}


def torch_loss(loss: symbolic.Loss) -> tuple[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]]:
    """(what it is, L(z, y) in torch): written by hand for a named loss, generated for a formula."""
    key = loss.name.split(":")[0]
    if key in _WRITTEN:
        params = {name: float(value) for name, value in loss.params.items()}
        return f"torch-written {key}", lambda z, y: _WRITTEN[key](z, y, **params)
    return "formula in torch", torch_function(loss.expression)


def _problem(dtype, device, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(SAMPLES, generator=gen, dtype=torch.float64) * 4
    y = torch.rand(SAMPLES, generator=gen, dtype=torch.float64)
    y[: SAMPLES // 2] = (y[: SAMPLES // 2] > 0.5).double()
    return z.to(device, dtype), y.to(device, dtype)


def _autograd(written, z, y) -> torch.Tensor:
    z = z.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(written(z, y).sum(), z)
    return grad


def _central_differences(written, z, y) -> torch.Tensor:
    z, y = z.double(), y.double()
    return (written(z + FD_STEP, y) - written(z - FD_STEP, y)) / (2 * FD_STEP)


_MPMATH = [{"sigmoid": lambda u: 1 / (1 + mpmath.exp(-u)), "logsigmoid": lambda u: -mpmath.log1p(mpmath.exp(-u))},
           "mpmath"]
_LOGSIGMOID = sp.Function("logsigmoid")


def _at_label(expr: sp.Expr, label: float):
    """expr at the exact label (0.3 is 3/10), 1 - sigmoid(u) written sigmoid(-u) (derivation
    ``stable_residual``) and log(sigmoid(u)) as -log1p(exp(-u)), as an mpmath function of z: at
    y = 1 the factor y + (1 - 2y) sigmoid(z) of focal loss is sigmoid(-z), exact at any |z|."""
    exact = symbolic.sigmoid_forms(expr.subs(Y, sp.Rational(str(label))))[0]
    exact = exact.replace(lambda e: isinstance(e, sp.log) and isinstance(e.args[0], symbolic.sigmoid),
                          lambda e: _LOGSIGMOID(e.args[0].args[0]))
    return sp.lambdify(Z, exact, _MPMATH)


def _exact(expr: sp.Expr, z: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """expr at each (z, y) in 50-digit mpmath, as derived (not through the log-space rewrite it
    checks), at the exact label."""
    evaluate = {label: _at_label(expr, label) for label in set(y.tolist())}

    def at(a: float, b: float) -> float:
        try:
            return float(evaluate[b](mpmath.mpf(a)))
        except (MemoryError, OverflowError, ValueError, ZeroDivisionError, TypeError):
            return float("nan")  # beyond what mpmath can hold (exp(exp(exp(1e4)))): left out as not finite

    with mpmath.workdps(50):
        return np.array([at(a, b) for a, b in zip(z.tolist(), y.tolist())])


def _extreme_check(loss, generated, written, device) -> CheckResult:
    grid = torch.tensor(EXTREME_LOGITS, dtype=torch.float64)
    z = grid.repeat(3)
    y = torch.cat([torch.zeros(len(grid)), torch.ones(len(grid)), torch.full((len(grid),), 0.3)]).double()
    exact = torch.from_numpy(_exact(loss.grad, z, y))
    finite = torch.isfinite(written(z.float(), y.float())).cpu() & torch.isfinite(exact)
    z32, y32 = z[finite].float().to(device), y[finite].float().to(device)
    got = generated(z32, y32)
    want = exact[finite].numpy()
    tol = tolerance(torch.float32)
    result = compare(f"{loss.name}: generated dL/dz at |z| up to 1e4 = SymPy in mpmath (float32)",
                     [got], [want], device=device, dtype=torch.float32, rtol=tol.rtol, atol=tol.atol,
                     note=f"{int(finite.sum())} of {len(z)} points where the loss is finite; stable by: "
                          + ("; ".join(stable_rewrites(loss.grad)) or "no rewrite needed"))
    if not bool(torch.isfinite(got).all()):
        return replace(result, passed=False, note="non-finite dL/dz")
    return result


def _where_finite(name: str, got: torch.Tensor, want: torch.Tensor, **options) -> CheckResult:
    """compare() on the entries where the reference is finite in this dtype (exp(1000 z) overflows
    float64 at z = 1); the note counts them, and a check with no finite entry fails, never passes."""
    finite = torch.isfinite(want)
    if bool(finite.all()):
        return compare(name, [got], [want], **options)
    result = compare(name, [got[finite]], [want[finite]], **options,
                     note=f"{int(finite.sum())} of {finite.numel()} points where dL/dz is finite in this dtype")
    if not bool(finite.any()):
        return replace(result, passed=False, note="dL/dz is not finite at any point of the check")
    return result


def loss_checks(loss, device=None, dtypes=(torch.float64, torch.float32)) -> list[CheckResult]:
    """The three-witness checks of the generated dL/dz of ``loss`` (a Loss or its text)."""
    loss = as_loss(loss)
    device = torch.device(device or "cpu")
    generated = torch_function(loss.grad)
    what, written = torch_loss(loss)
    results = []
    for dtype in dtypes:
        z, y = _problem(dtype, device)
        tol = tolerance(dtype)
        results.append(_where_finite(f"{loss.name}: generated dL/dz = autograd of the {what}", generated(z, y),
                                     _autograd(written, z, y), device=device, dtype=dtype,
                                     rtol=tol.rtol, atol=tol.atol))
    z, y = _problem(torch.float64, device)
    results.append(_where_finite(f"{loss.name}: generated dL/dz = central differences of the {what}",
                                 generated(z, y), _central_differences(written, z, y), device=device,
                                 dtype=torch.float64, rtol=FD_TOLERANCE.rtol, atol=FD_TOLERANCE.atol))
    results.append(_extreme_check(loss, generated, written, device))
    return results
