"""Named tolerances per dtype.

Closed forms and autograd perform the same few floating-point operations in a
different order, so they agree to a few units in the last place, scaled by the
size of the data; the tolerances leave a margin of about 100x above what the
checks measure on random data.

* float64: rtol 1e-10, atol 1e-12.
* float32: rtol 1e-4, atol 1e-6.
* A computed value ``got`` agrees with a reference ``want`` when
  |got - want| <= atol + rtol |want| (:func:`within_tolerance`, the one definition).
* Finite differences (float64 central differences, step FD_STEP = 1e-6):
  truncation error O(h^2) ~ 1e-12 and rounding error O(eps/h) ~ 1e-10, so
  ``FD_TOLERANCE`` = (rtol 1e-6, atol 1e-8).
"""

from __future__ import annotations

import numpy as np
import torch

from gradproof.symbolic import InputError

__all__ = ["Tolerance", "tolerance", "tolerance_bound", "within_tolerance", "FD_STEP", "FD_TOLERANCE"]


class Tolerance(tuple):
    """(rtol, atol) with names."""

    def __new__(cls, rtol: float, atol: float):
        return super().__new__(cls, (rtol, atol))

    @property
    def rtol(self) -> float:
        return self[0]

    @property
    def atol(self) -> float:
        return self[1]


_TOLERANCES = {
    torch.float64: Tolerance(1e-10, 1e-12),
    torch.float32: Tolerance(1e-4, 1e-6),
}
FD_STEP = 1e-6
FD_TOLERANCE = Tolerance(1e-6, 1e-8)


def tolerance(dtype: torch.dtype) -> Tolerance:
    """The (rtol, atol) for comparing two computations carried out in ``dtype``."""
    if dtype not in _TOLERANCES:
        raise InputError(f"dtype: no tolerance defined for {dtype}; use float32 or float64", argument="dtype")
    return _TOLERANCES[dtype]


def tolerance_bound(want, rtol: float, atol: float):
    """atol + rtol |want|: the largest |got - want| accepted (numpy arrays or torch tensors)."""
    return atol + rtol * abs(want)


def within_tolerance(got, want, rtol: float, atol: float):
    """Elementwise |got - want| <= atol + rtol |want| (False where either side is NaN)."""
    with np.errstate(over="ignore", invalid="ignore"):  # inf - inf is nan, which is False here
        return abs(got - want) <= tolerance_bound(want, rtol, atol)
