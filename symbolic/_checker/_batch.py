"""Batch targets: the gradient of one scalar loss over a batch of B samples, checked as typed.

A batch formula uses the batch size ``B``, the sample index ``i`` and per-sample quantities
``z_i`` (the logit of sample i), ``y_i`` (its label, in [0, 1]), ``x_i`` (its value of the feature
k whose weight w_k is differentiated) and, for weighted losses, ``omega_i`` (its weight), summed
with ``sum(EXPR, i)``, which means the sum over i = 0, ..., B - 1; a pos_weight target also takes
the batch-wide scalar ``pw`` (or ``p_w``)::

    gradproof check batch.dL_dw "(1/B)*sum((sigmoid(z_i) - y_i)*x_i, i)"

Each reference is read off a verified catalog derivation (``batch_mean_gradient``,
``batch_sum_gradient``, ``batch_weighted_gradient``, ``batch_pos_weight_gradient``), its per-sample logit
b + sum_j X[i, j] w_j written z_i.  Points draw B from 1 to 6 and every entry of every
per-sample quantity in its domain, so a formula is compared at concrete batches.
"""

from __future__ import annotations

import random

import sympy as sp

from .._catalog import catalog
from .._vocabulary import B, Omega, X, Y, b, i, j, k, n, pw, w

__all__ = ["BATCH", "INDEX", "SIZE", "batch_variables", "batch_references", "batch_points", "BATCH_DOMAINS"]

INDEX, SIZE = i, B
Z_I = sp.IndexedBase("z", real=True)
X_I = sp.IndexedBase("x", real=True)
BATCH: dict[str, sp.Expr] = {"z_i": Z_I[i], "y_i": Y[i], "x_i": X_I[i], "omega_i": Omega[i]}
"""Per-sample names as typed, and the entries they stand for (i bound by a sum)."""
SCALARS: dict[str, sp.Symbol] = {"pw": pw}
"""Batch-wide scalars a batch target may take (one value for every sample)."""
BATCH_DOMAINS = {"z_i": (-4.0, 4.0), "y_i": (0.0, 1.0), "x_i": (-2.0, 2.0), "omega_i": (0.0, 3.0), "pw": (0.1, 5.0)}
_MEANING = {"pw": "pos_weight, one positive number for the batch",
            "z_i": "the logit of sample i", "y_i": "the label of sample i, in [0, 1]",
            "x_i": "feature k of sample i", "omega_i": "the weight of sample i, >= 0",
            "B": "the batch size", "i": "the sample index, bound by sum(..., i)"}


def batch_variables(names: tuple[str, ...]) -> dict[str, sp.Expr]:
    """The parser's variables of a batch target: B, i and the per-sample names given."""
    return {"B": B, "i": i, **{name: BATCH.get(name, SCALARS.get(name)) for name in names}}


def meaning(name: str) -> str:
    return _MEANING[name]


def batch_references() -> dict[str, tuple[str, sp.Expr, tuple[str, ...]]]:
    """name -> (derivation, reference in the batch names, per-sample names used)."""
    logit = b + sp.Sum(X[i, j] * w[j], (j, 0, n - 1))
    plain = {logit: Z_I[i], X[i, k]: X_I[i]}
    found = {}
    cases: tuple[tuple[str, str, tuple[str, ...]], ...] = (
        ("batch.dL_dw", "batch_mean_gradient", ("z_i", "y_i", "x_i")),
        ("batch_sum.dL_dw", "batch_sum_gradient", ("z_i", "y_i", "x_i")),
        ("batch_weighted.dL_dw", "batch_weighted_gradient", ("z_i", "y_i", "x_i", "omega_i")),
        ("batch_pos_weight.dL_dw", "batch_pos_weight_gradient", ("z_i", "y_i", "x_i", "pw")))
    for name, derivation, names in cases:
        reference = catalog()[derivation].result.rhs.xreplace(plain)
        allowed = {BATCH[key].base for key in names if key in BATCH}
        scalars = {SCALARS[key] for key in names if key in SCALARS}
        leftover = ({e.base for e in reference.atoms(sp.Indexed)} - allowed) | (
            {s for s in reference.free_symbols if isinstance(s, sp.Symbol)} - {B} - scalars
            - {a.label for a in allowed})
        if leftover:
            raise RuntimeError(f"target {name}: reference keeps symbols {leftover}")
        found[name] = (derivation, reference, names)
    return found


def _entries(name: str, size: int) -> list[sp.Expr]:
    """What a name stands for in a batch of ``size`` samples: one scalar, or one entry per sample."""
    return [SCALARS[name]] if name in SCALARS else [BATCH[name].base[row] for row in range(size)]


def batch_points(names: tuple[str, ...], seed: int, count: int) -> list[dict]:
    """``count`` random batches (B from 1 to 6, every entry in its domain), then small special ones
    (B = 1, 2, 3 with entries 0, 1, -1, 1/2)."""
    rng = random.Random(seed)
    points = []
    for _ in range(count):
        size = rng.randint(1, 6)
        point: dict = {B: sp.Integer(size)}
        for name in names:
            low, high = BATCH_DOMAINS[name]
            for entry in _entries(name, size):
                point[entry] = sp.Rational(round(rng.uniform(low, high), 3)).limit_denominator(1000)
        points.append(point)
    specials = (0, 1, -1, sp.Rational(1, 2))
    for size in (1, 2, 3):
        for offset in range(4):
            point = {B: sp.Integer(size)}
            for column, name in enumerate(names):
                low, high = BATCH_DOMAINS[name]
                for row, entry in enumerate(_entries(name, size)):
                    value = sp.Rational(specials[(row + column + offset) % len(specials)])
                    point[entry] = value if low <= value <= high else sp.Rational(1, 2)
            points.append(point)
    return points
