"""Drawing each figure from its :class:`FigureData` (and nothing else).

Every figure is drawn at the text width of the report (``TEXT_WIDTH``) with its labels
inside the canvas, and carries no title and no "Figure N.": the number and the caption
belong to the document that shows it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure, FigureBase
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter

from .._figure_data import FigureData, loss_clip
from ._losses import DRAW as LOSS_DRAW
from ._series import running_mean
from ._style import COLORS, LINESTYLES, MARKERS, TEXT_WIDTH

__all__ = ["draw"]


def _col(data: FigureData, name: str) -> np.ndarray:
    return np.asarray(data.columns[name])


def _groups(ax, x, y, wrong, label_suffix=""):
    for is_wrong, group in ((False, "correct"), (True, "wrong")):
        mask = wrong == is_wrong
        ax.scatter(x[mask], y[mask], marker=MARKERS[group], s=26 if is_wrong else 18,
                   facecolors="none" if group == "correct" else COLORS[group],
                   edgecolors=COLORS[group], linewidths=1.0,
                   label=f"{'misclassified' if is_wrong else 'correct'}{label_suffix} ({int(mask.sum())})")


def _f1(data: FigureData, fig: FigureBase) -> None:
    ax = fig.subplots()
    m = _col(data, "margin")
    ax.axvspan(m.min(), 0, color="0.88", zorder=0)
    ax.text(-4, 1.04, "wrong side: m < 0", ha="center", fontsize=9)
    ax.text(4, 1.04, "right side: m > 0", ha="center", fontsize=9)
    ax.plot(m, _col(data, "bce_abs_dL_dz"), LINESTYLES["bce"], color=COLORS["bce"], lw=2,
            label=r"BCE: $|\sigma(z) - y| = \sigma(-m)$")
    ax.plot(m, _col(data, "mse_abs_dL_dz"), LINESTYLES["mse"], color=COLORS["mse"], lw=2,
            label=r"MSE on $\sigma$: $|\sigma - y|\,\sigma(1 - \sigma)$")
    ax.axhline(0.5, color="0.4", lw=0.8, ls=":")
    ax.set_xlabel(r"signed margin $m = (2y - 1)\,z$")
    ax.set_ylabel(r"$|\partial L / \partial z|$")
    ax.set_ylim(-0.02, 1.12)
    ax.legend(loc="center right")


def _f2(data: FigureData, fig: FigureBase) -> None:
    ax = fig.subplots()
    _groups(ax, _col(data, "probability"), _col(data, "gradient_norm"), _col(data, "misclassified") == 1)
    ax.axvline(0.5, color="0.4", lw=0.8, ls=":")
    ax.set_xlabel(r"predicted probability $\sigma(z_i)$")
    ax.set_ylabel(r"per-sample gradient norm $\|\partial L_i / \partial (w, b)\|$")
    ax.legend(loc="upper center")


def _f3(data: FigureData, fig: FigureBase) -> None:
    ax = fig.subplots()
    rank, part = _col(data, "rank"), _col(data, "magnitude_part")
    wrong = _col(data, "misclassified") == 1
    share = part[wrong].sum()
    ax.bar(rank[~wrong], part[~wrong], color=COLORS["correct"],
           label=f"correct ({int((~wrong).sum())}): {100 * (1 - share):.0f}%")
    ax.bar(rank[wrong], part[wrong], color=COLORS["wrong"], hatch="////", edgecolor="black", linewidth=0.4,
           label=f"misclassified ({int(wrong.sum())}): {100 * share:.0f}%")
    ax.set_xlabel("samples of the batch, sorted by gradient norm")
    ax.set_ylabel(r"part of the magnitude $\|g_i\| \,/\, \sum_j \|g_j\|$")
    ax.set_ylim(0, None)
    ax.legend(loc="upper right", title="share of the bars' total")


def _f4(data: FigureData, fig: FigureBase) -> None:
    ax = fig.subplots()
    step, window = _col(data, "step"), int(data.key_numbers["window"])
    for model, label in (("logreg", "logistic regression"), ("gru", "GRU classifier")):
        share = _col(data, f"{model}_wrong_share")
        ax.plot(step, share, LINESTYLES[model], color=COLORS[model], lw=0.6, alpha=0.45)
        ax.plot(step, running_mean(share, window), LINESTYLES[model], color=COLORS[model],
                marker=MARKERS[model], markevery=max(1, len(step) // 12), lw=2, label=f"{label}: share")
        ax.plot(step, running_mean(_col(data, f"{model}_wrong_fraction"), window), ":", color=COLORS[model],
                lw=1.5, label=f"{label}: fraction")
    ax.plot([], [], "-", color="0.4", lw=0.6, label="thin: share at each step")
    ax.plot([], [], "-", color="0.4", lw=2, label=f"bold: mean of the last {window} steps")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("SGD step")
    ax.set_ylabel("misclassified share\nand fraction (dotted)")
    ax.legend(loc="upper center", ncol=3, fontsize=7, bbox_to_anchor=(0.5, -0.2), frameon=False)


def _f5(data: FigureData, fig: FigureBase) -> None:
    axes = fig.subplots(1, 3, sharey=True, sharex=True)
    phase = _col(data, "phase")
    for ax, name in zip(axes, ("start", "middle", "end")):
        mask = phase == name
        wrong = _col(data, "misclassified")[mask] == 1
        _groups(ax, _col(data, "probability")[mask], _col(data, "head_gradient_norm")[mask], wrong)
        ax.axvline(0.5, color="0.4", lw=0.8, ls=":")
        ax.set_title(f"{name}: {int(wrong.sum())} of {len(wrong)} misclassified")
        ax.set_xlabel(r"$\sigma(z_i)$")
        ax.set_xlim(0, 1)
    axes[0].set_ylabel("head gradient norm")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, [label.split(" (")[0] for label in labels], loc="outside lower center", ncol=2)


def _f6(data: FigureData, fig: FigureBase) -> None:
    ax = fig.subplots()
    size = _col(data, "batch_size")
    ax.loglog(size, _col(data, "predicted_variance"), LINESTYLES["prediction"], color=COLORS["prediction"],
              lw=1.5, label=r"prediction $\mathrm{tr}(\Sigma)/B$")
    ax.loglog(size, _col(data, "measured_variance"), "o", color=COLORS["measured"], mfc="none", mew=1.5,
              label=r"measured $E\,\|G_B - G\|^2$")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("batch size $B$")
    ax.set_ylabel("variance of the mini-batch gradient")
    ax.legend(loc="upper right")


BATCH_STYLE = {1: ("#000000", "-", "o"), 8: ("#E69F00", "--", "s"), 32: ("#56B4E9", "-.", "^"),
               128: ("#009E73", ":", "D")}


def _f7(data: FigureData, fig: FigureBase) -> None:
    columns = [("equal epochs", "held"), ("equal epochs", "scaled"), ("equal updates", "held"),
               ("equal updates", "scaled")]
    rows = [("logreg", "loss"), ("logreg", "accuracy"), ("gru", "loss"), ("gru", "accuracy")]
    axes = fig.subplots(len(rows), len(columns), sharex="col", sharey="row")
    table = {name: _col(data, name) for name in data.columns}
    for r, (model, metric) in enumerate(rows):
        top = loss_clip(data.key_numbers, model) if metric == "loss" else None
        for c, (budget, rule) in enumerate(columns):
            ax = axes[r, c]
            for batch, (color, style, marker) in BATCH_STYLE.items():
                mask = ((table["model"] == model) & (table["budget"] == budget) & (table["lr_rule"] == rule)
                        & (table["batch_size"] == batch))
                x = table["epoch"][mask] if budget == "equal epochs" else table["update"][mask]
                y = table[metric][mask]
                shown = np.minimum(y, top) if top is not None else y
                ax.plot(x, shown, style, color=color, marker=marker, ms=3, lw=1.1, label=f"B = {batch}")
                if top is not None and (y > top).any():
                    ax.plot(x[y > top], shown[y > top], "^", color=color, mfc="white", ms=6, clip_on=False)
            if r == 0:
                ax.set_title(f"{budget}\nrate {rule}", fontsize=8)
            if c == 0:
                ax.set_ylabel(f"{'log. regr.' if model == 'logreg' else 'GRU'} {metric}", fontsize=8)
            if r == len(rows) - 1:
                ax.set_xlabel("epoch" if budget == "equal epochs" else "update", fontsize=8)
            ax.tick_params(labelsize=7)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(BATCH_STYLE), fontsize=8)


_DRAW = {"f1": _f1, "f2": _f2, "f3": _f3, "f4": _f4, "f5": _f5, "f6": _f6, "f7": _f7, **LOSS_DRAW}
HEIGHTS = {"f4": 3.2, "f5": 2.5, "f7": 7.4}  # inches; the others 3.1 (two figures and their captions to a page)


def draw(data: FigureData) -> Figure:
    """``data`` drawn on a new figure of the text width."""
    key = data.name.split("-")[0]
    figure = plt.figure(figsize=(TEXT_WIDTH, HEIGHTS.get(key, 3.1)), layout="constrained")
    _DRAW[key](data, figure)
    return figure


SLIDE_SIZE = (10.6, 4.0)  # inches: a 16:9 slide (29.7 × 16.7 cm) less its margins, a title and a line
SLIDE_MIN_FONT = 20.0     # points: readable from the back of a room


def draw_for_slides(data: FigureData) -> Figure:
    """``data`` drawn for a slide, shown at its natural size: the slide's width, every text at
    least ``SLIDE_MIN_FONT`` points (a formula's sub- and superscripts at mathtext's 70 % of it),
    log axes in plain numbers, lines and markers thicker to match."""
    figure = draw(data)
    figure.set_size_inches(*SLIDE_SIZE)
    for text in figure.findobj(Text):
        text.set_fontsize(max(float(text.get_fontsize()), SLIDE_MIN_FONT))
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis):  # 1, 4, 16 rather than 2^0, 2^2, 2^4: no exponent below 20 pt
            if axis.get_scale() == "log":
                axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        label = ax.yaxis.label  # a label longer than its axis at this size goes on more lines
        if len(label.get_text()) > 20 and "\n" not in label.get_text():
            label.set_text(_wrapped(label.get_text()))
    for line in figure.findobj(Line2D):
        line.set_linewidth(line.get_linewidth() * 1.6)
        line.set_markersize(line.get_markersize() * 1.6)
    for points in figure.findobj(PathCollection):
        points.set_sizes(np.asarray(points.get_sizes()) * 2.5)
    return figure


def _wrapped(label: str, width: int = 20) -> str:
    """The label on lines of about ``width`` characters, broken at spaces outside any $maths$."""
    words: list[str] = []
    lines: list[str] = []
    for i, part in enumerate(label.split("$")):  # odd parts are maths, kept whole
        pieces = [f"${part}$"] if i % 2 else part.split(" ")
        if words and i % 2 == 0 and pieces and pieces[0]:
            words[-1] += pieces.pop(0)  # text written right after the maths
        elif words and i % 2 and not label.split("$")[i - 1].endswith(" "):
            words[-1] += pieces.pop(0)
        words += [w for w in pieces if w]
    line = ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join([*lines, line])
