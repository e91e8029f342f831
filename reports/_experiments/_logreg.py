"""The logistic-regression figures: the residual against the margin (F1), per-sample norms (F2)
and each sample's part of the batch gradient (F3)."""

from __future__ import annotations

import torch

from gradproof import numeric

from .._figure_data import FigureData
from ._setting import Setting, fitted, rounded

__all__ = ["residual_vs_margin", "per_sample_norms", "contributions"]


def residual_vs_margin() -> FigureData:
    """F1: |dL/dz| against the signed margin m = (2y - 1) z, BCE and MSE-on-sigmoid."""
    m = torch.linspace(-8, 8, 161, dtype=torch.float64)
    one = torch.ones_like(m)
    bce = numeric.logit_residual(m, one).abs()
    mse = numeric.mse_sigmoid_logit_grad(m, one).abs()
    at = {v: int((m - v).abs().argmin()) for v in (-6.0, 0.0, 2.0)}
    peak = int(mse.argmax())
    keys = {"bce_abs_grad_at_margin_-6": rounded(bce[at[-6.0]]), "bce_abs_grad_at_margin_0": rounded(bce[at[0.0]]),
            "bce_abs_grad_at_margin_2": rounded(bce[at[2.0]]), "mse_abs_grad_at_margin_-6": rounded(mse[at[-6.0]]),
            "mse_peak_margin": rounded(m[peak], 2), "mse_peak_abs_grad": rounded(mse[peak])}
    caption = (f"$abs(partial L \\/ partial z)$ against the signed margin $m = (2y - 1) z$ for one sample "
               f"with a hard label. For BCE it equals $abs(sigma(z) - y) = sigma(-m)$: "
               f"{keys['bce_abs_grad_at_margin_2']} at $m = 2$ (right, small push), 0.5 at the decision "
               f"boundary, {keys['bce_abs_grad_at_margin_-6']} at $m = -6$ (confidently wrong, full push). "
               f"Squared error on the sigmoid (dashed) peaks at $m = {keys['mse_peak_margin']}$ and falls to "
               f"{keys['mse_abs_grad_at_margin_-6']} at $m = -6$: it stops correcting confident mistakes.")
    return FigureData("f1-residual-vs-margin", "BCE pushes hardest on the samples it gets most wrong",
                      caption, {"margin": m.tolist(), "bce_abs_dL_dz": bce.tolist(),
                                "mse_abs_dL_dz": mse.tolist()}, keys)


def _one_batch(setting: Setting):
    data = setting.logreg
    gen = torch.Generator().manual_seed(setting.seed + 7)
    idx = torch.randperm(data.X.shape[0], generator=gen)[:setting.batch_size]
    return data.X[idx].to(setting.device), data.y[idx].to(setting.device)


def per_sample_norms(setting: Setting, state) -> FigureData:
    """F2: per-sample gradient norm against predicted probability, one batch, fitted model."""
    X, y = _one_batch(setting)
    z = X @ state.w + state.b
    r = numeric.logit_residual(z, y)
    norms = numeric.logreg_per_sample_norms(X, r)
    wrong = numeric.misclassified(z, y)
    keys = {"batch_size": int(len(y)), "wrong_count": int(wrong.sum()),
            "mean_norm_correct": rounded(norms[~wrong].mean()),
            "mean_norm_wrong": rounded(norms[wrong].mean())}
    fit, _ = fitted(setting).fitted_parts()
    caption = (f"Per-sample gradient norm $norm(g_i) = abs(sigma(z_i) - y_i) sqrt(norm(x_i)^2 + 1)$ "
               f"against the predicted probability $sigma(z_i)$, for one batch of {keys['batch_size']} "
               f"samples ({setting.logreg.source}) at the fitted weights ({fit.describe()}). "
               f"The {keys['wrong_count']} misclassified samples (crosses; misclassified: signed margin "
               f"$(2 y_i - 1) z_i <= 0$) have mean norm {keys['mean_norm_wrong']}, the correct ones "
               f"(circles) {keys['mean_norm_correct']}.")
    return FigureData("f2-per-sample-norms", "Wrong samples carry large gradients, right ones small",
                      caption, {"probability": torch.sigmoid(z).tolist(), "label": y.tolist(),
                                "gradient_norm": norms.tolist(), "misclassified": wrong.int().tolist()}, keys)


def contributions(setting: Setting, state) -> FigureData:
    """F3: each sample's part of the batch's per-sample gradient magnitude, sum_i ||g_i||, sorted;
    the misclassified samples' parts add up to the misclassified share (``numeric``)."""
    X, y = _one_batch(setting)
    stats, _ = numeric.logreg_batch_statistics(X, y, state.w, state.b)
    z = X @ state.w + state.b
    norms = numeric.logreg_per_sample_norms(X, numeric.logit_residual(z, y))
    part = norms / norms.sum()
    order = torch.argsort(part, descending=True, stable=True)
    wrong = numeric.misclassified(z, y)[order]
    keys = {"wrong_share": rounded(stats.wrong_share), "wrong_fraction": rounded(stats.wrong_fraction),
            "wrong_count": stats.wrong_count, "batch_size": stats.count,
            "mean_gradient_norm": rounded(stats.mean_gradient_norm)}
    caption = (f"Each sample's part $norm(g_i) \\/ sum_j norm(g_j)$ of the per-sample gradient magnitude of "
               f"one batch of {keys['batch_size']} samples at the fitted weights, sorted; the bars add up "
               f"to 1. The hatched bars of the {keys['wrong_count']} misclassified samples, "
               f"{100 * keys['wrong_fraction']:.0f}% of the batch, add up to "
               f"{100 * keys['wrong_share']:.0f}%: the misclassified share. The batch gradient "
               f"$G = frac(1, B) sum_i g_i$ is the mean of these vectors ($norm(G) = "
               f"{keys['mean_gradient_norm']}$); each wrong sample weighs in more than a right one.")
    return FigureData("f3-batch-contributions", "Who carries the batch's gradients", caption,
                      {"rank": list(range(len(y))), "magnitude_part": part[order].tolist(),
                       "misclassified": wrong.int().tolist()}, keys)

