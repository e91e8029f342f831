"""The report's part for ``--loss``: |dL/dz| against the signed margin for BCE, squared error and
each loss asked for (the F1 picture generalised), and the misclassified samples' share of the batch
gradient while logistic regression trains under each loss (F3/F4 generalised).

Captions are prose with Typst maths between ``$`` signs (see :mod:`gradproof.reports._document._caption`)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from gradproof import numeric, symbolic

from .._figure_data import FigureData
from ._setting import Setting, fitted, rounded

__all__ = ["parse_losses", "with_contrasts", "loss_figures"]

MARGINS = torch.linspace(-8, 8, 161, dtype=torch.float64)  # step 0.1: index 20 is m = -6, 100 is m = 2


def parse_losses(texts: Sequence[str]) -> list[symbolic.Loss]:
    """Each ``--loss`` text as a Loss (InputError for a bad one, before any work is done), a loss
    given twice (``focal`` and ``focal:gamma=2``) once."""
    losses: dict[str, symbolic.Loss] = {}
    for text in texts:
        loss = symbolic.loss(text)
        losses.setdefault(loss.name, loss)
    return list(losses.values())


def with_contrasts(losses: Sequence[symbolic.Loss]) -> list[symbolic.Loss]:
    """BCE and squared error first (the F1 contrast), then the losses asked for, each once."""
    shown = {loss.name: loss for loss in [symbolic.loss("bce"), symbolic.loss("squared_error"), *losses]}
    return list(shown.values())


def _verdict(loss: symbolic.Loss) -> str:
    profile = loss.margin_profile()[0]
    return (f"{loss.name}: {profile.monotone} in $m$, tending to {profile.limit_wrong} as $m -> -infinity$ "
            f"and to {profile.limit_right} as $m -> infinity$")


def margin_figure(losses: Sequence[symbolic.Loss]) -> FigureData:
    """|dL/dz| on the margin grid for labels 1 and 0, from each loss's generated torch code."""
    columns: dict[str, list] = {"margin": MARGINS.tolist()}
    keys: dict[str, float] = {}
    shown = with_contrasts(losses)
    for loss in shown:
        for label in (1, 0):
            z, y = (2 * label - 1) * MARGINS, torch.full_like(MARGINS, float(label))
            columns[f"{loss.name} y={label}"] = numeric.loss_grad(loss, z, y).abs().tolist()
        curve = torch.tensor(columns[f"{loss.name} y=1"])
        keys[f"{loss.name}: |dL/dz| at m = -6"] = rounded(curve[20])
        keys[f"{loss.name}: |dL/dz| at m = 2"] = rounded(curve[100])
        keys[f"{loss.name}: largest |dL/dz| at m"] = rounded(MARGINS[int(curve.argmax())])
    caption = ("$abs(partial L \\/ partial z)$ against the signed margin $m = (2y - 1) z$ for one sample "
               "with label $y = 1$ (the CSV also holds $y = 0$), computed by the torch code generated from "
               "each loss's proved $partial L \\/ partial z$ (grey: the wrong side). At $m = -6$: "
               + "; ".join(f"{loss.name} {keys[f'{loss.name}: |dL/dz| at m = -6']}" for loss in shown)
               + ". How $abs(partial L \\/ partial z)$ (not the loss itself) varies with the margin, proved or "
               "refuted in the loss derivations: "
               + "; ".join(_verdict(loss) for loss in shown) + ".")
    return FigureData("lossmargin-abs-grad-vs-margin", "Which samples each loss pushes hardest", caption,
                      columns, keys)


def share_figure(losses: Sequence[symbolic.Loss], setting: Setting) -> FigureData:
    """The misclassified share of each step's batch gradient while logistic regression trains
    under each loss (``numeric.training.loss_training_shares``, the one SGD loop)."""
    setting = fitted(setting)
    X, y = setting.logreg.X.to(setting.device), setting.logreg.y.to(setting.device)
    columns: dict[str, list] = {"step": list(range(setting.steps))}
    keys: dict[str, float] = {}
    tenth = max(1, setting.steps // 10)
    for loss in with_contrasts(losses):
        series = numeric.training.loss_training_shares(loss, X, y, batch_size=setting.batch_size, lr=setting.lr,
                                              steps=setting.steps, seed=setting.seed)
        columns[f"{loss.name} share"] = [s for s, _ in series]
        columns[f"{loss.name} fraction"] = [f for _, f in series]
        keys[f"{loss.name}: share over the last tenth"] = rounded(sum(s for s, _ in series[-tenth:]) / tenth)
        keys[f"{loss.name}: misclassified fraction over the last tenth"] = rounded(
            sum(f for _, f in series[-tenth:]) / tenth)
    shares = "; ".join(f"{name.split(': ')[0]} {100 * value:.0f}%" for name, value in keys.items()
                       if name.endswith("share over the last tenth"))
    caption = (f'The misclassified share of each step\'s batch gradient, $frac(sum_("wrong" i) norm(g_i), '
               f"sum_i norm(g_i))$, while logistic regression ({setting.logreg.source}) trains for "
               f"{setting.steps} SGD steps with $B = {setting.batch_size}$ under each loss, drawn at each step as "
               f"the mean of the last 10 steps (the CSV holds every step); dotted: the fraction of the batch the "
               f"misclassified samples are under BCE. Mean share over the last {tenth} steps: {shares}.")
    return FigureData("lossshare-wrong-share-by-loss", "Who supplies the gradient, loss by loss", caption,
                      columns, keys)


def loss_figures(losses: Sequence[symbolic.Loss], setting: Setting) -> list[FigureData]:
    """The two ``--loss`` figures (none when no loss was asked for)."""
    if not losses:
        return []
    return [margin_figure(losses), share_figure(losses, setting)]
