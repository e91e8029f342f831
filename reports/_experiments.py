"""The experiments behind the report's figures, run through ``numeric``.

Each experiment returns a :class:`FigureData`: the numbers a figure draws, as
named columns (written to CSV as they are), a caption, and the key numbers
that the manifest and the PDF quote.  Figures are drawn from this data only,
so a figure, its CSV and its caption cannot disagree.

A caption is prose with inline maths between ``$`` signs, the maths in Typst's syntax
(``$abs(sigma(z) - y)$``); the report sets it as it is and translates it to LaTeX for the
course kit.  Every statistic comes from ``numeric`` (one definition per quantity: tr(Sigma)
divided by N, the misclassified share and fraction, the fit of the logistic regression).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch

import numeric

from ._links import caption_note

__all__ = ["FigureData", "Setting", "LogregData", "run_experiments"]


@dataclass
class FigureData:
    """Columns of equal length, a caption, and key numbers.

    ``caption`` is prose with inline maths between ``$`` signs, the maths in Typst's syntax
    (``$abs(sigma(z) - y) = sigma(-m)$``); the report sets it as it is, the course kit's
    LaTeX snippet gets a translation (:mod:`reports._caption`, which refuses what it does not
    know), the manifest a plain version.  ``title`` is plain words.
    """

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
    """``logreg`` holds the data as given; :func:`fitted` standardises it and fits the model."""

    seed: int
    device: torch.device
    logreg: LogregData
    batch_size: int = 64
    steps: int = 120
    lr: float = 0.5
    fit: numeric.LogregFit | None = None
    given: LogregData | None = None  # the data before standardisation, once fitted


def _chunks(data: LogregData):
    X, y = data.X.detach().double().cpu().numpy(), data.y.detach().double().cpu().numpy()
    return lambda: iter([(X, y)])


def fitted(setting: Setting) -> Setting:
    """The setting with its features standardised and the model fitted, both by
    ``numeric.fit_logreg``: the fit that ``gradproof stats`` makes of the same data."""
    if setting.fit is not None:
        return setting
    data = setting.logreg
    fit = numeric.fit_logreg(_chunks(data), data.X.shape[1])
    X = torch.from_numpy(fit.standardisation.apply(data.X.double().cpu().numpy())).to(data.X.dtype)
    return replace(setting, logreg=LogregData(X, data.y, data.source), fit=fit, given=data)


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
    caption = (f"$abs(partial L \\/ partial z)$ against the signed margin $m = (2y - 1) z$ for one sample "
               f"with a hard label. For BCE it equals $abs(sigma(z) - y) = sigma(-m)$: "
               f"{keys['bce_abs_grad_at_margin_2']} at $m = 2$ (right, small push), 0.5 at the decision "
               f"boundary, {keys['bce_abs_grad_at_margin_-6']} at $m = -6$ (confidently wrong, full push). "
               f"Squared error on the sigmoid (dashed) peaks at $m = {keys['mse_peak_margin']}$ and falls to "
               f"{keys['mse_abs_grad_at_margin_-6']} at $m = -6$: it stops correcting confident mistakes.")
    return FigureData("f1-residual-vs-margin", "BCE pushes hardest on the samples it gets most wrong",
                      caption, {"margin": m.tolist(), "bce_abs_dL_dz": bce.tolist(),
                                "mse_abs_dL_dz": mse.tolist()}, keys)


def _fit_logreg(setting: Setting) -> numeric.LogregState:
    """The fitted model (``numeric.fit_logreg``) on the setting's device."""
    fit = fitted(setting).fit
    dtype = setting.logreg.X.dtype
    return numeric.LogregState(fit.w.to(setting.device, dtype), fit.b.to(setting.device, dtype))


def _initial_weights(setting: Setting) -> tuple[torch.Tensor, torch.Tensor]:
    """Small seeded weights, N(0, 0.1^2) (as a network starts), so that no prediction is
    exactly 1/2 at the first step."""
    gen = torch.Generator().manual_seed(setting.seed + 5)
    d, dtype = setting.logreg.X.shape[1], setting.logreg.X.dtype
    wb = 0.1 * torch.randn(d + 1, generator=gen, dtype=torch.float64)
    return wb[:d].to(setting.device, dtype), wb[d].to(setting.device, dtype)


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
    caption = (f"Per-sample gradient norm $norm(g_i) = abs(sigma(z_i) - y_i) sqrt(norm(x_i)^2 + 1)$ "
               f"against the predicted probability $sigma(z_i)$, for one batch of {keys['batch_size']} "
               f"samples ({setting.logreg.source}) at the fitted weights ({fitted(setting).fit.describe()}). "
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
    keys = {"wrong_share": _r(stats.wrong_share), "wrong_fraction": _r(stats.wrong_fraction),
            "wrong_count": stats.wrong_count, "batch_size": stats.count,
            "mean_gradient_norm": _r(stats.mean_gradient_norm)}
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


def _gru_setting(setting: Setting):
    X, y = numeric.synthetic_sequence_data(setting.seed, device=setting.device)
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
    numeric.train_logreg(X, y, batch_size=setting.batch_size, lr=setting.lr, steps=setting.steps,
                         seed=setting.seed, on_step=record_logreg, init=_initial_weights(setting))
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

    numeric.train_gru(model, Xs, ys, batch_size=setting.batch_size, lr=1.0, steps=setting.steps,
              seed=setting.seed, on_step=record_gru)
    return (_share_figure(setting, logreg_share, gru_share), _gru_head_figure(setting, snapshots),
            _gru_statistics(model, Xs, ys))


def statistics_table(stats: numeric.BatchStatistics, prefix: str = "") -> dict:
    """The whole-data statistics as the report lists them, each named with its definition."""
    return {f"{prefix}samples N": stats.count,
            f"{prefix}misclassified, signed margin (2y - 1) z <= 0": f"{stats.wrong_count} of {stats.count}",
            f"{prefix}misclassified fraction": _r(stats.wrong_fraction),
            f"{prefix}misclassified share, sum_wrong |g_i| / sum |g_i|": _r(stats.wrong_share),
            f"{prefix}|G|, G = (1/N) sum g_i": _g(stats.mean_gradient_norm),
            f"{prefix}tr(Sigma) = (1/N) sum |g_i - G|^2": _g(stats.trace_covariance),
            f"{prefix}B_simple = tr(Sigma)/|G|^2": _g(stats.noise_scale)}


def _g(value: float, digits: int = 6) -> float:
    """``value`` to ``digits`` significant digits."""
    return float(f"{float(value):.{digits}g}")


def _gru_statistics(model, X, y) -> dict:
    """Batch statistics of the trained GRU classifier over its whole data set: for the head
    and for every parameter (closed-form BPTT)."""
    out = {}
    for name, part in (("GRU head", "head"), ("whole GRU", "all")):
        stats, _ = numeric.gru_batch_statistics(model, X, y, part=part)
        table = statistics_table(stats, f"{name}: ")
        out.update({k: v for k, v in table.items() if "B_simple" in k or "share" in k})
    out["GRU misclassified"] = f"{stats.wrong_count} of {stats.count}"
    return out


def _mean(values) -> float:
    values = [v for v in values if v == v]
    return sum(values) / len(values) if values else float("nan")


WINDOW = 10  # steps in F4's running mean


def _share_figure(setting, logreg, gru) -> FigureData:
    """``logreg`` and ``gru``: per step, (misclassified share, misclassified fraction)."""
    tenth = max(1, setting.steps // 10)
    keys = {"window": WINDOW}
    for name, series in (("logreg", logreg), ("gru", gru)):
        keys[f"{name}_share_first_steps"] = _r(_mean([s for s, _ in series[:tenth]]))
        keys[f"{name}_share_last_steps"] = _r(_mean([s for s, _ in series[-tenth:]]))
        keys[f"{name}_wrong_fraction_last_steps"] = _r(_mean([f for _, f in series[-tenth:]]))
        keys[f"{name}_wrong_fraction_first_step"] = _r(series[0][1])
    caption = (f'The misclassified share of each step\'s batch, $sum_("wrong" i) norm(g_i) \\/ '
               f"sum_i norm(g_i)$ (solid; thin: each step, bold: mean of the last {WINDOW} steps), against "
               f"the fraction of the batch that is misclassified (dotted, mean of the last {WINDOW} steps), "
               f"over {setting.steps} SGD steps with $B = {setting.batch_size}$: logistic regression (blue, "
               f"squares) and the whole GRU classifier (pink, triangles, every parameter). Both start from "
               f"small random weights, so that no first prediction is exactly 1/2 (a sample predicted 1/2 "
               f"would count as misclassified); at the first step "
               f"{100 * keys['logreg_wrong_fraction_first_step']:.0f}% and "
               f"{100 * keys['gru_wrong_fraction_first_step']:.0f}% of the batch are misclassified. "
               f"Over the last tenth of training the misclassified samples are "
               f"{100 * keys['logreg_wrong_fraction_last_steps']:.0f}% of a batch and carry "
               f"{100 * keys['logreg_share_last_steps']:.0f}% of the gradient magnitude (logistic "
               f"regression); {100 * keys['gru_wrong_fraction_last_steps']:.0f}% and "
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
        keys[f"{phase}_min_probability"], keys[f"{phase}_max_probability"] = _r(min(p), 3), _r(max(p), 3)
    caption = ("Per-sample gradient norm of the GRU classifier's head, $abs(sigma(z_i) - y_i) "
               "sqrt(norm(h_(T,i))^2 + 1)$ (derivation gru_head_dL_dv), against the predicted probability "
               f"$sigma(z_i)$, for one batch of {setting.batch_size} sequences at the start, middle and end "
               "of training on a synthetic sequence task; the three panels share their axes. At the start "
               "the untrained GRU predicts nearly 1/2 for every sequence (from "
               f"{keys.get('start_min_probability')} to {keys.get('start_max_probability')}), so the points "
               "stand in one column and about half of them are misclassified. As training separates the "
               f"classes the correct samples' norms shrink (end: {keys.get('end_mean_norm_correct')}) "
               f"while the {keys.get('end_wrong_count')} wrong ones keep large norms "
               f"(end: {keys.get('end_mean_norm_wrong')}).")
    return FigureData("f5-gru-head-over-training", "The same picture inside a GRU classifier", caption,
                      columns, keys)


def run_experiments(setting: Setting, progress=None) -> tuple[list[FigureData], dict]:
    """Every figure's data, F1 to F7, in order, and the whole-data batch statistics of the
    fitted logistic regression and the trained GRU; ``progress()`` is called after each stage.

    The computation runs on one CPU thread (``single_thread``), so that its float reductions
    happen in one order whatever the machine's load: the same seed gives the same bytes."""
    from ._batch_experiments import batch_size_training, variance_vs_batch_size

    tick = progress or (lambda: None)
    with numeric.single_thread():
        setting = fitted(setting)
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
        whole = whole_data_statistics(setting)
    for figure in figures:
        figure.caption = f"{figure.caption} {caption_note(figure.name)}"
    return figures, {**statistics_table(whole, "logistic regression: "), **gru_stats}


def whole_data_statistics(setting: Setting) -> numeric.BatchStatistics:
    """``numeric.logreg_data_statistics`` of the fitted model: what ``gradproof stats`` prints."""
    setting = fitted(setting)
    return numeric.logreg_data_statistics(_chunks(setting.given), setting.fit)
