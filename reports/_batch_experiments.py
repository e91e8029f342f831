"""Experiments of the batch-statistics page: what the mini-batch gradient estimates (F6)
and what batch size changes in training (F7)."""

from __future__ import annotations

import torch

import numeric

from ._experiments import FigureData, Setting, _fit_logreg, _r

__all__ = ["variance_vs_batch_size", "batch_size_training", "BATCH_SIZES"]

BATCH_SIZES = (1, 8, 32, 128)
VARIANCE_SIZES = tuple(2 ** e for e in range(11))
DRAWS = 400
EPOCHS, UPDATES = 3, 48
BASE_LR = {"logreg": 0.05, "gru": 0.05}
CHECKPOINTS = 16


def variance_vs_batch_size(setting: Setting) -> FigureData:
    """F6: E||G_B - G||^2 over random batches (with replacement) against tr(Sigma) / B."""
    state = _fit_logreg(setting)
    X, y = setting.logreg.X.to(setting.device), setting.logreg.y.to(setting.device)
    Gw, gb = numeric.logreg_per_sample_grads(X, y, state.w, state.b)
    per_sample = torch.cat([Gw, gb[:, None]], dim=1)
    stats = numeric.logreg_moments(X, y, state.w, state.b).statistics()
    N = X.shape[0]
    population_trace = stats.trace_covariance * (N - 1) / N
    full = per_sample.mean(0)
    gen = torch.Generator().manual_seed(setting.seed + 11)
    measured = []
    for size in VARIANCE_SIZES:
        idx = torch.randint(0, N, (DRAWS, size), generator=gen).to(setting.device)
        means = per_sample[idx].mean(1)
        measured.append(float(((means - full) ** 2).sum(1).mean()))
    predicted = [population_trace / size for size in VARIANCE_SIZES]
    ratios = [m / p for m, p in zip(measured, predicted)]
    keys = {"trace_covariance": _r(population_trace, 6), "noise_scale": _r(stats.noise_scale, 2),
            "min_measured_over_predicted": _r(min(ratios), 3), "max_measured_over_predicted": _r(max(ratios), 3)}
    caption = (f"Variance of the mini-batch gradient, E||G_B - G||^2 over {DRAWS} random batches of each "
               f"size B (drawn with replacement, logistic regression at the fitted weights, "
               f"{setting.logreg.source}), against the prediction tr(Sigma)/B with tr(Sigma) = "
               f"{keys['trace_covariance']}. Measured over predicted stays between "
               f"{keys['min_measured_over_predicted']} and {keys['max_measured_over_predicted']}: the one "
               f"scalar's gradient is an unbiased estimate of the full gradient whose noise falls as 1/B. "
               f"The gradient noise scale B_simple = tr(Sigma)/|G|^2 is {keys['noise_scale']}.")
    return FigureData("f6-variance-vs-batch-size", "What the mini-batch gradient estimates", caption,
                      {"batch_size": list(VARIANCE_SIZES), "measured_variance": measured,
                       "predicted_variance": predicted}, keys)


def _checkpoints(updates: int) -> set[int]:
    """The update indices at which a training curve is evaluated: CHECKPOINTS, evenly spaced."""
    return {round(i * (updates - 1) / (CHECKPOINTS - 1)) for i in range(CHECKPOINTS)}


def _logreg_curve(setting, batch, lr, updates):
    X, y = setting.logreg.X.to(setting.device), setting.logreg.y.to(setting.device)
    marks = _checkpoints(updates)
    curve = []

    def record(step, state, idx):
        if step in marks:
            z = X @ state.w + state.b
            loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
            curve.append((step, float(loss), float(((z > 0).to(y.dtype) == y).float().mean())))

    numeric.train_logreg(X, y, batch_size=batch, lr=lr, steps=updates, seed=setting.seed, on_step=record)
    return curve


def _gru_curve(setting, data, batch, lr, updates):
    X, y = data
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(setting.seed)
        model = numeric.GRUClassifier(X.shape[2], 8).to(setting.device)
    marks = _checkpoints(updates)
    curve = []

    def record(step, model_, idx):
        if step in marks:
            with torch.no_grad():
                z = model_(X)
                loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
            curve.append((step, float(loss), float(((z > 0).to(y.dtype) == y).float().mean())))

    numeric.train_gru(model, X, y, batch_size=batch, lr=lr, steps=updates, seed=setting.seed, on_step=record)
    return curve


def batch_size_training(setting: Setting) -> FigureData:
    """F7: loss and accuracy for B = 1 and B in {8, 32, 128}: equal epochs or equal updates,
    learning rate held or scaled linearly with B."""
    sequences = numeric.synthetic_sequence_data(setting.seed, n=128, length=12, device=setting.device)
    sizes = {"logreg": setting.logreg.X.shape[0], "gru": 128}
    columns = {k: [] for k in ("model", "budget", "lr_rule", "batch_size", "update", "epoch",
                               "loss", "accuracy")}
    keys = {}
    for model, n in sizes.items():
        for budget in ("equal epochs", "equal updates"):
            for rule in ("held", "scaled"):
                for batch in BATCH_SIZES:
                    updates = EPOCHS * -(-n // batch) if budget == "equal epochs" else UPDATES
                    lr = BASE_LR[model] * (batch if rule == "scaled" else 1)
                    curve = (_logreg_curve(setting, batch, lr, updates) if model == "logreg"
                             else _gru_curve(setting, sequences, batch, lr, updates))
                    for step, loss, acc in curve:
                        for name, value in zip(columns, (model, budget, rule, batch, step + 1,
                                                         (step + 1) * batch / n, loss, acc)):
                            columns[name].append(value)
                    tag = f"{model}_{budget.replace(' ', '_')}_{rule}_B{batch}"
                    keys[f"{tag}_final_loss"] = _r(curve[-1][1])
                    keys[f"{tag}_final_accuracy"] = _r(curve[-1][2])
    caption = _training_caption(keys)
    return FigureData("f7-batch-size-training", "Batch size 1 against mini-batches", caption, columns, keys)


SIMILAR_LOSS = 0.02


def _compare(small: float, large: float) -> str:
    if abs(small - large) <= SIMILAR_LOSS:
        return "similar"
    return "B = 1 lower" if small < large else "B = 128 lower"


def _training_caption(keys) -> str:
    parts = []
    for model, name in (("logreg", "logistic regression"), ("gru", "GRU")):
        cells = []
        for budget in ("equal_epochs", "equal_updates"):
            for rule in ("held", "scaled"):
                small = keys[f"{model}_{budget}_{rule}_B1_final_loss"]
                large = keys[f"{model}_{budget}_{rule}_B128_final_loss"]
                cells.append(f"{budget.replace('_', ' ')}, rate {rule}: {small} against {large} "
                             f"({_compare(small, large)})")
        parts.append(f"{name}: " + "; ".join(cells))
    return (
        "Full-data loss and accuracy while training logistic regression (top two rows) and the GRU "
        f"classifier (bottom two rows) with B = 1, 8, 32, 128 and base learning rate {BASE_LR['logreg']}, "
        f"held or multiplied by B; columns: equal epochs ({EPOCHS}; B = 1 makes B times more updates) "
        f"and equal updates ({UPDATES}). Final loss for B = 1 against B = 128 (similar: within "
        f"{SIMILAR_LOSS}): " + ". ".join(parts) + ". B = 1 and larger batches end alike when the "
        "learning rate and the budget give them comparable progress; with a held rate and equal epochs "
        "the extra updates of small batches decide, at equal updates the larger batch's lower noise does.")
