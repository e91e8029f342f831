"""The figures over training: the misclassified share of each step's batch for logistic regression
and the GRU classifier (F4) and the GRU head's picture at three moments (F5)."""

from __future__ import annotations

import torch

from gradproof import numeric

from .._figure_data import FigureData, counted
from ._setting import Setting, initial_weights, nan_mean, rounded
from ._statistics import gru_statistics

__all__ = ["wrong_share_over_training"]


def _gru_setting(setting: Setting):
    X, y = numeric.training.synthetic_sequence_data(setting.seed, device=setting.device)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(setting.seed)
        model = numeric.GRUClassifier(X.shape[2], 16).to(setting.device)
    return model, X, y


def wrong_share_over_training(setting: Setting) -> tuple[FigureData, FigureData, dict]:
    """F4 (misclassified share over steps, both models), F5 (GRU head picture over time) and
    the trained GRU's whole-data statistics."""
    logreg_share = []

    def record_logreg(step, state, idx):
        X, y = setting.logreg.X[idx].to(setting.device), setting.logreg.y[idx].to(setting.device)
        stats = numeric.logreg_batch_statistics(X, y, state.w, state.b)[0]
        logreg_share.append((stats.wrong_share, stats.wrong_fraction))

    X, y = setting.logreg.X.to(setting.device), setting.logreg.y.to(setting.device)
    numeric.training.train_logreg(X, y, batch_size=setting.batch_size, lr=setting.lr, steps=setting.steps,
                         seed=setting.seed, on_step=record_logreg, init=initial_weights(setting))
    model, Xs, ys = _gru_setting(setting)
    gru_share, snapshots = [], {}
    marks = {0: "start", setting.steps // 2: "middle", setting.steps - 1: "end"}

    def record_gru(step, model_, idx):
        X, y = Xs[idx], ys[idx]
        stats = numeric.gru_batch_statistics(model_, X, y)[0]
        gru_share.append((stats.wrong_share, stats.wrong_fraction))
        if step in marks:
            z, r, h_last = numeric.gru_residuals(model_, X, y)
            wrong = numeric.misclassified(z, y)
            head_norm = numeric.logreg_per_sample_norms(h_last, r)  # |r| sqrt(||h_T||^2 + 1)
            snapshots[marks[step]] = ((r + y).tolist(), y.tolist(), head_norm.tolist(), wrong.int().tolist())

    numeric.training.train_gru(model, Xs, ys, batch_size=setting.batch_size, lr=1.0, steps=setting.steps,
              seed=setting.seed, on_step=record_gru)
    return (_share_figure(setting, logreg_share, gru_share), _gru_head_figure(setting, snapshots),
            gru_statistics(model, Xs, ys))


WINDOW = 10  # steps in F4's running mean
SHARE = 'frac(sum_("wrong" i) norm(g_i), sum_i norm(g_i))'  # the misclassified share, as Typst maths
NEARLY_HALF = 0.1  # predictions within this band around 1/2 stand "in one column"


def _share_figure(setting, logreg, gru) -> FigureData:
    """``logreg`` and ``gru``: per step, (misclassified share, misclassified fraction)."""
    tenth = max(1, setting.steps // 10)
    keys: dict[str, float] = {"window": WINDOW}
    for name, series in (("logreg", logreg), ("gru", gru)):
        keys[f"{name}_share_first_steps"] = rounded(nan_mean([s for s, _ in series[:tenth]]))
        keys[f"{name}_share_last_steps"] = rounded(nan_mean([s for s, _ in series[-tenth:]]))
        keys[f"{name}_wrong_fraction_last_steps"] = rounded(nan_mean([f for _, f in series[-tenth:]]))
        keys[f"{name}_wrong_fraction_first_step"] = rounded(series[0][1])
    caption = (f"The misclassified share of each step's batch, ${SHARE}$, against the fraction of the batch "
               f"that is misclassified, over {setting.steps} SGD steps with $B = {setting.batch_size}$: "
               f"logistic regression (blue, solid, squares) and the whole GRU classifier (pink, dash-dot, "
               f"triangles, every parameter). Thin lines: the share at each step; bold: its mean over the last "
               f"{WINDOW} steps; dotted: the misclassified fraction, mean over the last {WINDOW} steps. Both "
               f"models start from small random weights, so that no first prediction is exactly 1/2 (a sample "
               f"predicted 1/2 would count as misclassified); at the first step "
               f"{100 * keys['logreg_wrong_fraction_first_step']:.0f}% and "
               f"{100 * keys['gru_wrong_fraction_first_step']:.0f}% of the batch are misclassified. "
               f"Over the last tenth of training the misclassified samples are "
               f"{100 * keys['logreg_wrong_fraction_last_steps']:.0f}% of a batch and carry "
               f"{100 * keys['logreg_share_last_steps']:.0f}% of the gradient magnitude (logistic "
               f"regression); {100 * keys['gru_wrong_fraction_last_steps']:.0f}% and "
               f"{100 * keys['gru_share_last_steps']:.0f}% for the GRU. {_weigh_in(keys)}")
    columns = {"step": list(range(setting.steps))}
    for name, series in (("logreg", logreg), ("gru", gru)):
        columns[f"{name}_wrong_share"] = [s for s, _ in series]
        columns[f"{name}_wrong_fraction"] = [f for _, f in series]
    title = ("The gradient keeps coming from the mistakes" if _outweighs(keys, "logreg") and _outweighs(keys, "gru")
             else "The misclassified share over training")
    return FigureData("f4-wrong-share-over-training", title, caption, columns, keys)


def _outweighs(keys: dict, model: str) -> bool:
    """Whether, late in training, the misclassified samples carry more of the gradient magnitude
    than their number (share above fraction)."""
    return keys[f"{model}_share_last_steps"] > keys[f"{model}_wrong_fraction_last_steps"]


def _weigh_in(keys: dict) -> str:
    late = [name for model, name in (("logreg", "logistic regression"), ("gru", "the GRU")) if _outweighs(keys, model)]
    if len(late) == 2:
        return "In both models the mistakes supply more of the gradient than their number."
    if late:
        return f"Only for {late[0]} do the mistakes supply more of the gradient than their number."
    return "In neither model do the mistakes supply more of the gradient than their number."


def _gru_head_figure(setting, snapshots) -> FigureData:
    columns: dict[str, list] = {"phase": [], "probability": [], "label": [], "head_gradient_norm": [],
                                "misclassified": []}
    keys: dict[str, float] = {}
    for phase, (p, y, norm, wrong) in snapshots.items():
        columns["phase"] += [phase] * len(p)
        for name, values in zip(("probability", "label", "head_gradient_norm", "misclassified"), (p, y, norm, wrong)):
            columns[name] += values
        keys[f"{phase}_wrong_count"] = int(sum(wrong))
        keys[f"{phase}_mean_norm_wrong"] = rounded(nan_mean([n for n, w in zip(norm, wrong) if w]))
        keys[f"{phase}_mean_norm_correct"] = rounded(nan_mean([n for n, w in zip(norm, wrong) if not w]))
        keys[f"{phase}_min_probability"], keys[f"{phase}_max_probability"] = rounded(min(p), 3), rounded(max(p), 3)
    caption = ("Per-sample gradient norm of the GRU classifier's head, $abs(sigma(z_i) - y_i) "
               "sqrt(norm(h_(T,i))^2 + 1)$ (derivation gru_head_dL_dv), against the predicted probability "
               f"$sigma(z_i)$, for one batch of {setting.batch_size} sequences at the start, middle and end "
               f"of training on a synthetic sequence task; the three panels share their axes. {_head_story(keys)}")
    return FigureData("f5-gru-head-over-training", "The same picture inside a GRU classifier", caption,
                      columns, keys)



def _head_story(keys: dict) -> str:
    """F5's account of the three moments, each clause said only when the numbers bear it out."""
    parts = []
    low, high = keys.get("start_min_probability"), keys.get("start_max_probability")
    if low is not None and high is not None:
        parts.append(f"At the start the predictions run from {low} to {high}")
        if high - low < NEARLY_HALF and low < 0.5 < high:
            parts[-1] += (" (the untrained GRU predicts nearly 1/2 for every sequence, so the points stand in "
                          "one column)")
        wrong_start = keys["start_wrong_count"]
        parts[-1] += (f" and {counted(wrong_start, 'sequence')} of the batch {'is' if wrong_start == 1 else 'are'} "
                      "misclassified.")
    start, end = keys.get("start_mean_norm_correct"), keys.get("end_mean_norm_correct")
    if start is not None and end is not None:
        trend = "shrinks" if end < start else "does not shrink"
        parts.append(f"The correct samples' mean norm {trend} from {start} to {end}.")
    wrong, count = keys.get("end_mean_norm_wrong"), keys.get("end_wrong_count", 0)
    if count and wrong is not None and end is not None:
        relation = "above" if wrong > end else "not above"
        parts.append(f"At the end the {counted(count, 'misclassified sample')} "
                     f"{'has' if count == 1 else 'have'} mean norm {wrong}, {relation} the correct ones'.")
    elif not count:
        parts.append("At the end no sample of the batch is misclassified.")
    return " ".join(parts)
