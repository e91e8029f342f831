"""The fit used for a data set, one function shared by ``gradproof stats`` and the report.

The features are standardised with the data's own mean and standard deviation (over the
N rows, divided by N; a constant feature keeps scale 1), and logistic regression is fitted
to the standardised features by mini-batch SGD on the mean BCE
(:func:`fit_logreg_streaming`: ``EPOCHS`` epochs of a shuffle seeded with ``FIT_SEED``
within each window of the data, batches of ``BATCH_SIZE``, rate ``LR``, from w = 0, b = 0).
Everything here reads the data in windows whose size depends on the number of features alone
(``_streaming``), so the fit and the statistics are the same, bit for bit, however the file was
chunked.
:func:`logreg_data_statistics` gives the batch statistics of the fitted model over the
whole data (definitions in ``_batch_stats``), on the standardised features.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch

from .._statistics import BatchStatistics
from ._streaming import fit_logreg_streaming, stream_logreg_moments, window_rows, windows

__all__ = ["Standardisation", "LogregFit", "standardisation", "fit_logreg", "logreg_data_statistics",
           "EPOCHS", "BATCH_SIZE", "LR", "FIT_SEED"]

EPOCHS, BATCH_SIZE, LR, FIT_SEED = 3, 64, 0.5, 0  # BATCH_SIZE divides _streaming.BATCH_MULTIPLE

Chunks = Callable[[], Iterator[tuple[np.ndarray, np.ndarray]]]


@dataclass(frozen=True)
class Standardisation:
    """x -> (x - mean) / scale, feature by feature."""

    mean: np.ndarray
    scale: np.ndarray

    def apply(self, X: np.ndarray) -> np.ndarray:
        return (np.asarray(X, dtype=np.float64) - self.mean) / self.scale

    def chunks(self, chunks: Chunks) -> Chunks:
        """The same chunks, standardised."""
        return lambda: ((self.apply(X), y) for X, y in chunks())


def _windowed(chunks: Iterator[tuple[np.ndarray, np.ndarray]]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The windows of ``chunks`` (their width read off the first chunk)."""
    first = next(chunks, None)
    if first is None:
        return iter(())
    return windows(itertools.chain([first], chunks), window_rows(first[0].shape[1]))


def standardisation(chunks: Chunks) -> Standardisation:
    """mean_j = (1/N) sum_i x_ij and scale_j = sqrt((1/N) sum_i (x_ij - mean_j)^2), in one pass:
    each window's count, mean and sum of squared deviations, merged exactly (Chan et al.)."""
    count, mean, m2 = 0, None, None
    for X, _ in _windowed(chunks()):
        n, part_mean = X.shape[0], X.mean(0)
        part_m2 = ((X - part_mean) ** 2).sum(0)
        if mean is None:
            count, mean, m2 = n, part_mean, part_m2
            continue
        delta, total = part_mean - mean, count + n
        mean = mean + delta * (n / total)
        m2 = m2 + part_m2 + delta ** 2 * (count * n / total)
        count = total
    if mean is None or m2 is None:
        raise ValueError("data: no rows")
    scale = np.sqrt(m2 / count)
    return Standardisation(mean, np.where(scale > 0, scale, 1.0))


@dataclass(frozen=True)
class LogregFit:
    """Weights for the standardised features: z = standardisation(x) . w + b."""

    standardisation: Standardisation
    w: torch.Tensor
    b: torch.Tensor
    epochs: int = EPOCHS

    def chunks(self, chunks: Chunks) -> Chunks:
        return self.standardisation.chunks(chunks)

    def describe(self) -> str:
        return (f"standardised features, {self.epochs} epochs of mini-batch SGD (batches of {BATCH_SIZE}, "
                f"rate {LR}, seed {FIT_SEED})")


def fit_logreg(chunks: Chunks, features: int, *, epochs: int = EPOCHS) -> LogregFit:
    """Standardise, then fit logistic regression by mini-batch SGD (see the module docstring)."""
    scaling = standardisation(chunks)
    w, b = fit_logreg_streaming(scaling.chunks(chunks), features, epochs=epochs, batch_size=BATCH_SIZE,
                                lr=LR, seed=FIT_SEED)
    return LogregFit(scaling, w, b, epochs)


def logreg_data_statistics(chunks: Chunks, fit: LogregFit) -> BatchStatistics:
    """Batch statistics of the fitted model over every row of the data, in one streaming pass."""
    return stream_logreg_moments(fit.chunks(chunks)(), fit.w, fit.b).statistics()
