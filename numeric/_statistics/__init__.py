"""Batch statistics of per-sample gradients: moments that merge by addition, the noise
scale, the misclassified share, and the numba row kernel for large inputs."""

from ._batch import BatchStatistics as BatchStatistics
from ._batch import GradientMoments as GradientMoments
from ._batch import gru_batch_statistics as gru_batch_statistics
from ._batch import logreg_batch_statistics as logreg_batch_statistics
from ._batch import logreg_moments as logreg_moments
from ._batch import logreg_per_sample_norms as logreg_per_sample_norms
from ._batch import per_sample_batch_statistics as per_sample_batch_statistics

__all__ = ["BatchStatistics", "GradientMoments", "gru_batch_statistics", "logreg_batch_statistics",
           "logreg_moments", "logreg_per_sample_norms", "per_sample_batch_statistics"]
