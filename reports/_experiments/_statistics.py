"""Whole-data batch statistics as the report and ``gradproof stats`` list them."""

from __future__ import annotations

from gradproof import numeric

from ._setting import Setting, fitted, rounded, significant, whole_data_chunks

__all__ = ["statistics_table", "whole_data_statistics", "gru_statistics"]


def statistics_table(stats: numeric.BatchStatistics, prefix: str = "") -> dict:
    """The whole-data statistics as the report lists them, each named with its definition."""
    return {f"{prefix}samples N": stats.count,
            f"{prefix}misclassified, signed margin (2y - 1) z <= 0": f"{stats.wrong_count} of {stats.count}",
            f"{prefix}misclassified fraction": rounded(stats.wrong_fraction),
            f"{prefix}misclassified share, sum_wrong |g_i| / sum |g_i|": rounded(stats.wrong_share),
            f"{prefix}|G|, G = (1/N) sum g_i": significant(stats.mean_gradient_norm),
            f"{prefix}tr(Sigma) = (1/N) sum |g_i - G|^2": significant(stats.trace_covariance),
            f"{prefix}B_simple = tr(Sigma)/|G|^2": significant(stats.noise_scale)}


def whole_data_statistics(setting: Setting) -> numeric.BatchStatistics:
    """``numeric.data.logreg_data_statistics`` of the fitted model: what ``gradproof stats`` prints."""
    fit, given = fitted(setting).fitted_parts()
    return numeric.data.logreg_data_statistics(whole_data_chunks(given), fit)


def gru_statistics(model, X, y) -> dict:
    """Batch statistics of the trained GRU classifier over its whole data set: for the head
    and for every parameter (closed-form BPTT)."""
    out = {}
    for name, part in (("GRU head", "head"), ("whole GRU", "all")):
        stats, _ = numeric.gru_batch_statistics(model, X, y, part=part)
        table = statistics_table(stats, f"{name}: ")
        out.update({k: v for k, v in table.items() if "B_simple" in k or "share" in k})
    out["GRU misclassified"] = f"{stats.wrong_count} of {stats.count}"
    return out

