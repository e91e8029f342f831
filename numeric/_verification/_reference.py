"""Reference gradients generated from the SymPy results, so the fast closed forms
cannot drift from the proofs.

The functions below are ``lambdify``-ed from the references of the checker's
targets (``symbolic.targets()``), which are the right-hand sides of catalog
derivations written in scalar variables: ``pos_weight.dL_dz`` (derivation
``pos_weight_dL_dz``) for the logit gradient and ``logreg.dL_dw`` (derivation
``logreg_dL_dw``) for the chain through the linear logit.  They are evaluated
with numpy in float64, or with mpmath.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import sympy as sp
import torch

from gradproof import symbolic

__all__ = ["sympy_per_sample_grads", "exact_per_sample_grads"]


def _stable_sigmoid(value):
    """1 / (1 + exp(-z)) with full relative precision on both tails and no overflow."""
    value = np.asarray(value, dtype=np.float64)
    e = np.exp(-np.abs(value))
    return np.where(value >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


_MODULES = [{"sigmoid": _stable_sigmoid}, "numpy"]


def _lambdified(target: str, names: tuple[str, ...], modules):
    """The target's reference as a function of the variables ``names``, in that order."""
    chosen = symbolic.targets()[target]
    return sp.lambdify([chosen.variables[name] for name in names], chosen.reference, modules)


@cache
def _generated():
    """(dL/dz (z, y, p_w), dL/dw_k (z, y, x_k)) in numpy."""
    return (_lambdified("pos_weight.dL_dz", ("z", "y", "pw"), _MODULES),
            _lambdified("logreg.dL_dw", ("z", "y", "x"), _MODULES))


def sympy_per_sample_grads(X: torch.Tensor, y_: torch.Tensor, w_: torch.Tensor, b_: torch.Tensor, *,
                           weight: torch.Tensor | None = None,
                           pos_weight: torch.Tensor | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample (Gw, gb) from the lambdified SymPy results, in float64 numpy.

    Without pos_weight, Gw is ``logreg_dL_dw`` evaluated entry by entry; with
    it, Gw is ``pos_weight_dL_dz`` times x_k (the chain factor that
    ``logreg_dL_dw`` proves).  ``weight`` multiplies each row.
    """
    dz, dw = _generated()
    numpy = {name: t.detach().double().cpu().numpy() for name, t in
             {"X": X, "y": y_, "w": w_}.items()}
    logits = numpy["X"] @ numpy["w"] + float(b_)
    labels = numpy["y"]
    p = 1.0 if pos_weight is None else pos_weight.detach().double().cpu().numpy()
    gb = np.asarray(dz(logits, labels, p), dtype=np.float64) * np.ones_like(logits)
    if pos_weight is None:
        Gw = np.asarray(dw(logits[:, None], labels[:, None], numpy["X"]), dtype=np.float64)
    else:
        Gw = gb[:, None] * numpy["X"]
    if weight is not None:
        scale = weight.detach().double().cpu().numpy() * np.ones_like(logits)
        Gw, gb = Gw * scale[:, None], gb * scale
    return Gw, gb


def exact_per_sample_grads(X: torch.Tensor, y_: torch.Tensor, w_: torch.Tensor,
                           b_: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample (Gw, gb) of ``logreg_dL_dw`` evaluated with 50-digit mpmath arithmetic, then
    rounded to float64: the reference for extreme logits, where sigmoid(z) - y in floating
    point cancels."""
    import mpmath

    evaluate = _lambdified("logreg.dL_dw", ("z", "y", "x"), [{"sigmoid": lambda v: 1 / (1 + mpmath.exp(-v))}, "mpmath"])
    Xn = X.detach().double().cpu().numpy()
    labels = y_.detach().double().cpu().numpy()
    wn = w_.detach().double().cpu().numpy()
    with mpmath.workdps(50):
        logits = [mpmath.fsum(mpmath.mpf(float(a)) * mpmath.mpf(float(c)) for a, c in zip(row, wn))
                  + mpmath.mpf(float(b_)) for row in Xn]
        Gw = np.array([[float(evaluate(zi, mpmath.mpf(float(yi)), mpmath.mpf(float(xk)))) for xk in row]
                       for zi, yi, row in zip(logits, labels, Xn)])
        gb = np.array([float(evaluate(zi, mpmath.mpf(float(yi)), 1)) for zi, yi in zip(logits, labels)])
    return Gw, gb
