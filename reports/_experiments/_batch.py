"""Experiments of the batch-statistics page: what the mini-batch gradient estimates (F6)
and what batch size changes in training (F7)."""

from __future__ import annotations

from typing import NamedTuple

import torch

from gradproof import numeric

from .._figure_data import LOSS_CLIP, FigureData, loss_clip
from ._setting import Setting, fitted, fitted_state, initial_weights, rounded, significant
from ._statistics import whole_data_statistics

__all__ = ["variance_vs_batch_size", "batch_size_training", "BATCH_SIZES"]

BATCH_SIZES = (1, 8, 32, 128)
VARIANCE_SIZES = tuple(2 ** e for e in range(11))
DRAWS = 400
EPOCHS, UPDATES = 3, 48
BASE_LR = {"logreg": 0.05, "gru": 0.05}
CHECKPOINTS = 16


def variance_vs_batch_size(setting: Setting) -> FigureData:
    """F6: E||G_B - G||^2 over random batches (with replacement) against tr(Sigma) / B, with
    tr(Sigma) = (1/N) sum ||g_i - G||^2 of the whole data (``whole_data_statistics``)."""
    setting = fitted(setting)
    state = fitted_state(setting)
    X, y = setting.logreg.X.to(setting.device), setting.logreg.y.to(setting.device)
    Gw, gb = numeric.logreg_per_sample_grads(X, y, state.w, state.b)
    per_sample = torch.cat([Gw, gb[:, None]], dim=1)
    stats = whole_data_statistics(setting)
    N = X.shape[0]
    trace = stats.trace_covariance
    full = per_sample.mean(0)
    gen = torch.Generator().manual_seed(setting.seed + 11)
    measured = []
    for size in VARIANCE_SIZES:
        idx = torch.randint(0, N, (DRAWS, size), generator=gen).to(setting.device)
        means = per_sample[idx].mean(1)
        measured.append(float(((means - full) ** 2).sum(1).mean()))
    predicted = [trace / size for size in VARIANCE_SIZES]
    ratios = [m / p for m, p in zip(measured, predicted)]
    keys = {"trace_covariance": significant(trace), "mean_gradient_norm": significant(stats.mean_gradient_norm),
            "noise_scale": significant(stats.noise_scale),
            "min_measured_over_predicted": rounded(min(ratios), 3),
            "max_measured_over_predicted": rounded(max(ratios), 3)}
    caption = (f"Variance of the mini-batch gradient, $E norm(G_B - G)^2$ over {DRAWS} random batches of each "
               f"size $B$ (drawn with replacement from the $N = {N}$ samples, logistic regression at the fitted "
               f"weights, {setting.logreg.source}), against the prediction $tr(Sigma) \\/ B$ with "
               f"$tr(Sigma) = frac(1, N) sum_i norm(g_i - G)^2 = {keys['trace_covariance']}$ (divided by $N$, "
               f"which makes the prediction exact for batches drawn with replacement). Measured over predicted "
               f"stays between {keys['min_measured_over_predicted']} and {keys['max_measured_over_predicted']}"
               f"{_law_sentence(ratios)} With $norm(G) = {keys['mean_gradient_norm']}$ (the full-data gradient) "
               f"the gradient noise scale is "
               f"$B_\"simple\" = tr(Sigma) \\/ norm(G)^2 = {keys['noise_scale']}$.")
    return FigureData("f6-variance-vs-batch-size", "What the mini-batch gradient estimates", caption,
                      {"batch_size": list(VARIANCE_SIZES), "measured_variance": measured,
                       "predicted_variance": predicted}, keys)


AGREEMENT = 1.25  # measured over predicted within [1/AGREEMENT, AGREEMENT]: the 1/B law holds on this data


def _law_sentence(ratios: list[float]) -> str:
    """The 1/B law claimed only when every measured variance is within AGREEMENT of its prediction
    (400 batches per size leave about 7% of sampling noise)."""
    if all(1 / AGREEMENT <= r <= AGREEMENT for r in ratios):
        return (": the mini-batch gradient $G_B$ is an unbiased estimate of the full-data gradient $G$ whose "
                "noise falls as $1 \\/ B$.")
    return (f": further from 1 than {AGREEMENT} allows at some batch size, so these draws do not bear out the "
            "$1 \\/ B$ law on this data.")


def _checkpoints(updates: int) -> set[int]:
    """The update counts (0 = before the first update, ``updates`` = after the last) at which a
    training curve is evaluated: CHECKPOINTS of them, evenly spaced."""
    return {round(i * updates / (CHECKPOINTS - 1)) for i in range(CHECKPOINTS)}


def _accuracy(z: torch.Tensor, y: torch.Tensor) -> float:
    """Share of samples that are not misclassified (``numeric.misclassified``)."""
    return 1 - float(numeric.misclassified(z, y).double().mean())


class _Curve:
    """Full-data loss and accuracy after 0, ..., ``updates`` updates, at the checkpoints, with
    the epochs done so far counted as samples seen / N (a short last batch counts short)."""

    def __init__(self, n: int, updates: int, evaluate):
        self.n, self.marks, self.evaluate = n, _checkpoints(updates), evaluate
        self.seen = 0
        self.points: list[tuple[int, float, float, float]] = []

    def on_step(self, step, model, idx) -> None:
        """Called before update ``step`` (after ``step`` updates)."""
        if step in self.marks:
            self.points.append((step, self.seen / self.n, *self.evaluate(model)))
        self.seen += len(idx)

    def finish(self, updates: int, model) -> list[tuple[int, float, float, float]]:
        self.points.append((updates, self.seen / self.n, *self.evaluate(model)))
        return self.points


def _logreg_curve(setting, batch, lr, updates):
    X, y = setting.logreg.X.to(setting.device), setting.logreg.y.to(setting.device)

    def evaluate(state):
        z = X @ state.w + state.b
        return float(torch.nn.functional.binary_cross_entropy_with_logits(z, y)), _accuracy(z, y)

    curve = _Curve(len(y), updates, evaluate)
    state = numeric.training.train_logreg(X, y, batch_size=batch, lr=lr, steps=updates, seed=setting.seed,
                                 on_step=curve.on_step, init=initial_weights(setting))
    return curve.finish(updates, state)


def _gru_curve(setting, data, batch, lr, updates):
    X, y = data
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(setting.seed)
        model = numeric.GRUClassifier(X.shape[2], 8).to(setting.device)

    def evaluate(model_):
        with torch.no_grad():
            z = model_(X)
        return float(torch.nn.functional.binary_cross_entropy_with_logits(z, y)), _accuracy(z, y)

    curve = _Curve(len(y), updates, evaluate)
    numeric.training.train_gru(model, X, y, batch_size=batch, lr=lr, steps=updates, seed=setting.seed,
                               on_step=curve.on_step)
    return curve.finish(updates, model)


class _Outcome(NamedTuple):
    """One curve of F7 as the caption and the manifest state it."""

    model: str
    budget: str
    rule: str
    batch: int
    final_loss: float
    final_accuracy: float
    max_loss: float

    def key_numbers(self) -> dict[str, float]:
        tag = f"{self.model}_{self.budget.replace(' ', '_')}_{self.rule}_B{self.batch}"
        return {f"{tag}_final_loss": self.final_loss, f"{tag}_final_accuracy": self.final_accuracy,
                f"{tag}_max_loss": self.max_loss}


def batch_size_training(setting: Setting) -> FigureData:
    """F7: loss and accuracy for B = 1 and B in {8, 32, 128}: equal epochs or equal updates,
    learning rate held or scaled linearly with B."""
    setting = fitted(setting)
    sequences = numeric.training.synthetic_sequence_data(setting.seed, n=128, length=12, device=setting.device)
    sizes = {"logreg": setting.logreg.X.shape[0], "gru": 128}
    columns: dict[str, list] = {k: [] for k in ("model", "budget", "lr_rule", "batch_size", "update", "epoch",
                                                "loss", "accuracy")}
    keys: dict[str, float] = {}
    runs: dict[tuple, list[tuple[int, float, float, float]]] = {}
    shown: list[_Outcome] = []
    for model, n in sizes.items():
        for budget in ("equal epochs", "equal updates"):
            for rule in ("held", "scaled"):
                for batch in BATCH_SIZES:
                    updates = EPOCHS * -(-n // batch) if budget == "equal epochs" else UPDATES
                    lr = BASE_LR[model] * (batch if rule == "scaled" else 1)
                    run = (model, batch, lr, updates)  # B = 1: the held and the scaled rate are one run
                    if run not in runs:
                        runs[run] = (_logreg_curve(setting, batch, lr, updates) if model == "logreg"
                                     else _gru_curve(setting, sequences, batch, lr, updates))
                    curve = runs[run]
                    for point in curve:
                        for name, value in zip(columns, (model, budget, rule, batch, *point)):
                            columns[name].append(value)
                    outcome = _Outcome(model, budget, rule, batch, rounded(curve[-1][2]), rounded(curve[-1][3]),
                                       rounded(max(p[2] for p in curve)))
                    shown.append(outcome)
                    keys.update(outcome.key_numbers())
                    keys[f"{model}_start_loss"] = rounded(curve[0][2])
    caption = _training_caption(keys, sizes, shown)
    return FigureData("f7-batch-size-training", "Batch size 1 against mini-batches", caption, columns, keys)


SIMILAR_LOSS = 0.02


def _compare(small: float, large: float) -> str:
    if abs(small - large) <= SIMILAR_LOSS:
        return "similar"
    return "$B = 1$ lower" if small < large else "$B = 128$ lower"


def _clipped(keys: dict, outcomes: list[_Outcome]) -> list[str]:
    """The runs whose loss leaves F7's axis, with their largest loss."""
    return [f"{'logistic regression' if o.model == 'logreg' else 'GRU'}, {o.budget}, rate {o.rule}, "
            f"$B = {o.batch}$ (up to {o.max_loss})"
            for o in outcomes if o.max_loss > loss_clip(keys, o.model)]


def _training_caption(keys, sizes, outcomes: list[_Outcome]) -> str:
    cells = []
    for model, name in (("logreg", "logistic regression"), ("gru", "GRU")):
        pairs = []
        for budget in ("equal_epochs", "equal_updates"):
            for rule in ("held", "scaled"):
                small = keys[f"{model}_{budget}_{rule}_B1_final_loss"]
                large = keys[f"{model}_{budget}_{rule}_B128_final_loss"]
                pairs.append(f"{small} against {large} ({_compare(small, large)})")
        cells.append(f"{name}: " + ", ".join(pairs))
    clipped = _clipped(keys, outcomes)
    note = (f" Loss axes end at {LOSS_CLIP} times the starting loss; larger losses are drawn as open "
            f"triangles on the top edge: " + "; ".join(clipped) + "." if clipped else "")
    return (
        f"Full-data loss and accuracy while training logistic regression (top rows, $N = {sizes['logreg']}$) "
        f"and the GRU classifier (bottom rows, $N = {sizes['gru']}$) with $B = 1, 8, 32, 128$ from the same "
        f"start (for logistic regression, small random weights). Left two columns: equal "
        f"epochs ({EPOCHS} passes over the data, epochs counted as samples seen "
        f"over $N$); right two: equal updates ({UPDATES}). Base learning rate {BASE_LR['logreg']}, held or "
        f"multiplied by $B$. The panels of a row share their vertical axis.{note} Final loss, $B = 1$ "
        f"against $B = 128$, panels from left to right (similar: within {SIMILAR_LOSS}): "
        + "; ".join(cells) + ".")
