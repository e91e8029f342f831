"""The experiments behind the report's figures, run through ``numeric``.

Each experiment returns a :class:`FigureData`: the numbers a figure draws, as
named columns (written to CSV as they are), a caption, and the key numbers
that the manifest and the PDF quote.  Figures are drawn from this data only,
so a figure, its CSV and its caption cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

import numeric

__all__ = ["FigureData", "Setting", "LogregData", "run_experiments"]


@dataclass
class FigureData:
    """Columns of equal length, a caption, and key numbers."""

    name: str
    title: str
    caption: str
    columns: dict[str, list]
    key_numbers: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class LogregData:
    """Features, labels and where they came from."""

    X: torch.Tensor
    y: torch.Tensor
    source: str


@dataclass(frozen=True)
class Setting:
    seed: int
    device: torch.device
    logreg: LogregData
    batch_size: int = 64
    steps: int = 120
    lr: float = 0.5


def _r(value: float, digits: int = 4) -> float:
    return float(round(float(value), digits))


def residual_vs_margin() -> FigureData:
    """F1: |dL/dz| against the signed margin m = (2y - 1) z, BCE and MSE-on-sigmoid."""
    m = torch.linspace(-8, 8, 161, dtype=torch.float64)
    one = torch.ones_like(m)
    bce = numeric.logit_residual(m, one).abs()
    mse = numeric.mse_sigmoid_logit_grad(m, one).abs()
    at = {v: int((m - v).abs().argmin()) for v in (-6.0, 0.0, 2.0)}
    peak = int(mse.argmax())
    keys = {"bce_abs_grad_at_margin_-6": _r(bce[at[-6.0]]), "bce_abs_grad_at_margin_0": _r(bce[at[0.0]]),
            "bce_abs_grad_at_margin_2": _r(bce[at[2.0]]), "mse_abs_grad_at_margin_-6": _r(mse[at[-6.0]]),
            "mse_peak_margin": _r(m[peak], 2), "mse_peak_abs_grad": _r(mse[peak])}
    caption = (f"|dL/dz| against the signed margin m = (2y - 1) z for one sample with a hard label. "
               f"For BCE it equals |sigmoid(z) - y| = sigmoid(-m): {keys['bce_abs_grad_at_margin_2']} at "
               f"m = 2 (right, small push), 0.5 at the decision boundary, "
               f"{keys['bce_abs_grad_at_margin_-6']} at m = -6 (confidently wrong, full push). Squared error "
               f"on the sigmoid (dashed) peaks at m = {keys['mse_peak_margin']} and falls to "
               f"{keys['mse_abs_grad_at_margin_-6']} at m = -6: it stops correcting confident mistakes.")
    return FigureData("f1-residual-vs-margin", "BCE pushes hardest on the samples it gets most wrong",
                      caption, {"margin": m.tolist(), "bce_abs_dL_dz": bce.tolist(),
                                "mse_abs_dL_dz": mse.tolist()}, keys)


def _fit_logreg(setting: Setting, record=None) -> numeric.LogregState:
    data = setting.logreg
    X, y = data.X.to(setting.device), data.y.to(setting.device)
    return numeric.train_logreg(X, y, batch_size=setting.batch_size, lr=setting.lr, steps=setting.steps,
                        seed=setting.seed, on_step=record)


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
            "mean_norm_correct": _r(norms[~wrong].mean()), "mean_norm_wrong": _r(norms[wrong].mean())}
    caption = (f"Per-sample gradient norm ||dL_i/d(w, b)|| = |sigmoid(z_i) - y_i| sqrt(||x_i||^2 + 1) "
               f"against the predicted probability sigmoid(z_i), for one batch of {keys['batch_size']} "
               f"samples ({setting.logreg.source}) after {setting.steps} SGD steps. The "
               f"{keys['wrong_count']} misclassified samples (crosses) have mean norm "
               f"{keys['mean_norm_wrong']}, the correct ones (circles) {keys['mean_norm_correct']}.")
    return FigureData("f2-per-sample-norms", "Wrong samples carry large gradients, right ones small",
                      caption, {"probability": torch.sigmoid(z).tolist(), "label": y.tolist(),
                                "gradient_norm": norms.tolist(), "misclassified": wrong.int().tolist()}, keys)


def contributions(setting: Setting, state) -> FigureData:
    """F3: the batch gradient split into per-sample contributions along its own direction."""
    X, y = _one_batch(setting)
    stats, cosines = numeric.logreg_batch_statistics(X, y, state.w, state.b)
    z = X @ state.w + state.b
    r = numeric.logit_residual(z, y)
    norms = numeric.logreg_per_sample_norms(X, r)
    contribution = cosines * norms / len(y)
    order = torch.argsort(contribution, descending=True)
    wrong = numeric.misclassified(z, y)[order]
    keys = {"batch_gradient_norm": _r(stats.mean_gradient_norm), "wrong_share": _r(stats.wrong_share),
            "wrong_count": int(wrong.sum()), "batch_size": int(len(y))}
    caption = (f"One batch gradient G (|G| = {keys['batch_gradient_norm']}) split into the contributions "
               f"(g_i . G) / (B |G|) of its {keys['batch_size']} samples, sorted; the bars add up to |G|. "
               f"The {keys['wrong_count']} misclassified samples, "
               f"{100 * keys['wrong_count'] / keys['batch_size']:.0f}% "
               f"of the batch, supply {100 * keys['wrong_share']:.0f}% of the pull, "
               f"|G_wrong| / (|G_wrong| + |G_right|): in the mean of per-sample gradients each wrong "
               f"sample outweighs a right one.")
    return FigureData("f3-batch-contributions", "Who the batch gradient comes from", caption,
                      {"rank": list(range(len(y))), "contribution": contribution[order].tolist(),
                       "misclassified": wrong.int().tolist()}, keys)


def _gru_setting(setting: Setting):
    X, y = numeric.synthetic_sequence_data(setting.seed, device=setting.device)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(setting.seed)
        model = numeric.GRUClassifier(X.shape[2], 16).to(setting.device)
    return model, X, y


def wrong_share_over_training(setting: Setting) -> tuple[FigureData, FigureData]:
    """F4 (share from wrong samples over steps, both models) and F5 (GRU head picture over time)."""
    logreg_share = []

    def record_logreg(step, state, idx):
        X, y = setting.logreg.X[idx].to(setting.device), setting.logreg.y[idx].to(setting.device)
        stats = numeric.logreg_batch_statistics(X, y, state.w, state.b)[0]
        logreg_share.append((stats.wrong_share, stats.wrong_count / stats.count))

    _fit_logreg(setting, record_logreg)
    model, Xs, ys = _gru_setting(setting)
    gru_share, snapshots = [], {}
    marks = {0: "start", setting.steps // 2: "middle", setting.steps - 1: "end"}

    def record_gru(step, model_, idx):
        X, y = Xs[idx], ys[idx]
        stats = numeric.gru_batch_statistics(model_, X, y)[0]
        gru_share.append((stats.wrong_share, stats.wrong_count / stats.count))
        if step in marks:
            z, r, h_last = numeric.gru_residuals(model_, X, y)
            wrong = numeric.misclassified(z, y)
            head_norm = numeric.logreg_per_sample_norms(h_last, r)  # |r| sqrt(||h_T||^2 + 1)
            snapshots[marks[step]] = ((r + y).tolist(), y.tolist(), head_norm.tolist(), wrong.int().tolist())

    numeric.train_gru(model, Xs, ys, batch_size=setting.batch_size, lr=1.0, steps=setting.steps,
              seed=setting.seed, on_step=record_gru)
    return (_share_figure(setting, logreg_share, gru_share), _gru_head_figure(setting, snapshots),
            _gru_statistics(model, Xs, ys))


def _gru_statistics(model, X, y) -> dict:
    """Batch statistics of the trained GRU classifier over its whole data set: for the head
    and for every parameter (closed-form BPTT)."""
    out = {}
    for name, part in (("GRU head", "head"), ("whole GRU", "all")):
        stats, _ = numeric.gru_batch_statistics(model, X, y, part=part)
        out[f"{name}: B_simple"] = _r(stats.noise_scale, 1)
        out[f"{name}: share of the pull from misclassified"] = _r(stats.wrong_share)
    out["GRU misclassified"] = f"{stats.wrong_count} of {stats.count}"
    return out


def _mean(values) -> float:
    values = [v for v in values if v == v]
    return sum(values) / len(values) if values else float("nan")


def _share_figure(setting, logreg, gru) -> FigureData:
    """``logreg`` and ``gru``: per step, (share of the pull from wrong samples, fraction wrong)."""
    tenth = max(1, setting.steps // 10)
    keys = {}
    for name, series in (("logreg", logreg), ("gru", gru)):
        keys[f"{name}_share_first_steps"] = _r(_mean([s for s, _ in series[:tenth]]))
        keys[f"{name}_share_last_steps"] = _r(_mean([s for s, _ in series[-tenth:]]))
        keys[f"{name}_wrong_fraction_last_steps"] = _r(_mean([f for _, f in series[-tenth:]]))
    caption = (f"Share of each step's batch gradient pull that comes from the misclassified samples "
               f"of the batch, |G_wrong| / (|G_wrong| + |G_right|) (thin: every step; bold: mean of "
               f"the last 10 steps), against the fraction of the batch they make up (dotted), over "
               f"{setting.steps} SGD steps with B = {setting.batch_size}: logistic regression (squares) "
               f"and the whole GRU classifier (triangles, every parameter). Over the last tenth of "
               f"training the wrong samples are {100 * keys['logreg_wrong_fraction_last_steps']:.0f}% "
               f"of a batch and supply {100 * keys['logreg_share_last_steps']:.0f}% of the pull "
               f"(logistic regression); {100 * keys['gru_wrong_fraction_last_steps']:.0f}% and "
               f"{100 * keys['gru_share_last_steps']:.0f}% for the GRU.")
    columns = {"step": list(range(setting.steps))}
    for name, series in (("logreg", logreg), ("gru", gru)):
        columns[f"{name}_wrong_share"] = [s for s, _ in series]
        columns[f"{name}_wrong_fraction"] = [f for _, f in series]
    return FigureData("f4-wrong-share-over-training", "The gradient keeps coming from the mistakes",
                      caption, columns, keys)


def _gru_head_figure(setting, snapshots) -> FigureData:
    columns = {"phase": [], "probability": [], "label": [], "head_gradient_norm": [], "misclassified": []}
    keys = {}
    for phase, (p, y, norm, wrong) in snapshots.items():
        columns["phase"] += [phase] * len(p)
        for name, values in zip(("probability", "label", "head_gradient_norm", "misclassified"), (p, y, norm, wrong)):
            columns[name] += values
        keys[f"{phase}_wrong_count"] = int(sum(wrong))
        keys[f"{phase}_mean_norm_wrong"] = _r(_mean([n for n, w in zip(norm, wrong) if w]))
        keys[f"{phase}_mean_norm_correct"] = _r(_mean([n for n, w in zip(norm, wrong) if not w]))
    caption = ("Per-sample gradient norm of the GRU classifier's head, |sigmoid(z_i) - y_i| "
               "sqrt(||h_T,i||^2 + 1) (derivation gru_head_dL_dv), against the predicted probability, at "
               "the start, middle and end of training on a synthetic sequence task. As training separates "
               f"the classes the correct samples' norms shrink (end: {keys.get('end_mean_norm_correct')}) "
               f"while the {keys.get('end_wrong_count')} wrong ones keep large norms "
               f"(end: {keys.get('end_mean_norm_wrong')}).")
    return FigureData("f5-gru-head-over-training", "The same picture inside a GRU classifier", caption,
                      columns, keys)


def run_experiments(setting: Setting, progress=None) -> tuple[list[FigureData], dict]:
    """Every figure's data, F1 to F7, in order, and the whole-data batch statistics of the
    fitted logistic regression; ``progress()`` is called after each stage."""
    from ._batch_experiments import batch_size_training, variance_vs_batch_size

    tick = progress or (lambda: None)
    figures = [residual_vs_margin()]
    tick()
    state = _fit_logreg(setting)
    figures += [per_sample_norms(setting, state), contributions(setting, state)]
    tick()
    share, head, gru_stats = wrong_share_over_training(setting)
    figures += [share, head]
    tick()
    figures += [variance_vs_batch_size(setting), batch_size_training(setting)]
    tick()
    return figures, {**_whole_data_statistics(setting, state), **gru_stats}


def _whole_data_statistics(setting: Setting, state) -> dict:
    X, y = setting.logreg.X.to(setting.device), setting.logreg.y.to(setting.device)
    stats = numeric.logreg_moments(X, y, state.w, state.b).statistics()
    return {"logistic regression samples": stats.count, "misclassified": stats.wrong_count,
            "|G| (mean gradient norm)": _r(stats.mean_gradient_norm, 6),
            "tr(Sigma)": _r(stats.trace_covariance, 6), "B_simple = tr(Sigma)/|G|^2": _r(stats.noise_scale, 1),
            "share of the pull from misclassified": _r(stats.wrong_share)}
