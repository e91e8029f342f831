"""Smoothing a series over training steps, the one way every figure does it."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

__all__ = ["running_mean"]


def running_mean(values: Sequence[float] | np.ndarray, window: int) -> np.ndarray:
    """At step i, the mean of values[i - window + 1 .. i] (fewer at the start), NaN entries skipped:
    a step whose value is undefined does not blank the next ``window`` steps; a window of NaN
    only stays NaN."""
    values = np.asarray(values, dtype=float)
    out = np.empty_like(values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "Mean of empty slice": an all-NaN window
        for i in range(len(values)):
            out[i] = np.nanmean(values[max(0, i - window + 1):i + 1])
    return out
