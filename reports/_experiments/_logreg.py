"""The logistic-regression figures: the residual against the margin (F1), per-sample norms (F2)
and each sample's part of the batch gradient (F3)."""

from __future__ import annotations

import torch

from gradproof import numeric

from .._figure_data import FigureData, counted
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


def norms_title(norms: torch.Tensor, wrong: torch.Tensor) -> str:
    """F2's title, a claim only as strong as the batch bears out: every wrong sample above every
    right one, or the wrong ones larger on average, or neither."""
    if wrong.any() and (~wrong).any():
        if float(norms[wrong].min()) > float(norms[~wrong].max()):
            return "Wrong samples carry large gradients, right ones small"
        if float(norms[wrong].mean()) > float(norms[~wrong].mean()):
            return "Wrong samples carry larger gradients on average"
    return "Per-sample gradient norms of right and wrong samples"


def _norms_comparison(norms: torch.Tensor, wrong: torch.Tensor) -> str:
    """What the batch shows about the two groups' norms, in counts."""
    if not wrong.any():
        return "No sample of this batch is misclassified."
    if not (~wrong).any():
        return "Every sample of this batch is misclassified."
    smallest_wrong = float(norms[wrong].min())
    above = int((norms[~wrong] > smallest_wrong).sum())
    if above == 0:
        return "Every misclassified sample's norm exceeds every correct one's."
    return (f"{counted(above, 'correct sample')} of {int((~wrong).sum())} {'has' if above == 1 else 'have'} a "
            f"larger norm than the smallest misclassified one ({rounded(smallest_wrong)}).")


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
    count = keys["wrong_count"]
    caption = (f"Per-sample gradient norm $norm(g_i) = abs(sigma(z_i) - y_i) sqrt(norm(x_i)^2 + 1)$ "
               f"against the predicted probability $sigma(z_i)$, for one batch of {keys['batch_size']} "
               f"samples ({setting.logreg.source}) at the fitted weights ({fit.describe()}). "
               f"The {counted(count, 'misclassified sample')} (crosses; misclassified: signed margin "
               f"$(2 y_i - 1) z_i <= 0$) {'has' if count == 1 else 'have'} mean norm {keys['mean_norm_wrong']}, "
               f"the correct ones (circles) {keys['mean_norm_correct']}. {_norms_comparison(norms, wrong)}")
    return FigureData("f2-per-sample-norms", norms_title(norms, wrong),
                      caption, {"probability": torch.sigmoid(z).tolist(), "label": y.tolist(),
                                "gradient_norm": norms.tolist(), "misclassified": wrong.int().tolist()}, keys)


def _ranks_sentence(wrong: torch.Tensor) -> str:
    """Where the misclassified samples stand among the sorted bars, and whether each of them
    weighs in more than every right one (only when the bars bear it out)."""
    ranks = [int(r) + 1 for r in torch.nonzero(wrong).flatten()]
    if not ranks:
        return "No sample of this batch is misclassified."
    if not (~wrong).any():
        return "Every sample of this batch is misclassified."
    if max(ranks) == len(ranks):
        return "Each misclassified sample weighs in more than every correct one: theirs are the largest bars."
    shown = ", ".join(map(str, ranks[:12])) + (", ..." if len(ranks) > 12 else "")
    first_right = int(torch.nonzero(~wrong).flatten()[0]) + 1
    return (f"The misclassified samples stand at rank{'s' if len(ranks) > 1 else ''} {shown} of {len(wrong)} "
            f"(1 = largest); the largest correct bar is at rank {first_right}, so not every misclassified "
            f"sample weighs in more than every correct one.")


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
    count = keys["wrong_count"]
    caption = (f"Each sample's part $frac(norm(g_i), sum_j norm(g_j))$ of the per-sample gradient magnitude of "
               f"one batch of {keys['batch_size']} samples at the fitted weights, sorted; the bars add up "
               f"to 1. The hatched {'bar' if count == 1 else 'bars'} of the "
               f"{counted(count, 'misclassified sample')}, {100 * keys['wrong_fraction']:.0f}% of the batch, "
               f"{'adds' if count == 1 else 'add'} up to {100 * keys['wrong_share']:.0f}%: the misclassified "
               f"share. {_ranks_sentence(wrong)} The batch gradient $G_B = frac(1, B) sum_i g_i$ is the mean "
               f"of these vectors ($norm(G_B) = {keys['mean_gradient_norm']}$).")
    return FigureData("f3-batch-contributions", "Who carries the batch's gradients", caption,
                      {"rank": list(range(len(y))), "magnitude_part": part[order].tolist(),
                       "misclassified": wrong.int().tolist()}, keys)
