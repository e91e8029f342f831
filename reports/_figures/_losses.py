"""Drawing the ``--loss`` figures from their :class:`FigureData` (and nothing else), at the
report's text width, with no title and no "Figure N." (the document numbers and captions them)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import FigureBase

from ._series import running_mean
from ._style import COLORS

WINDOW = 10  # steps in the share figure's running mean

__all__ = ["DRAW"]

_CYCLE = ["#E69F00", "#56B4E9", "#CC79A7", "#0072B2", "#D55E00", "#999999"]
_DASHES = ["-.", ":", (0, (5, 1, 1, 1)), (0, (3, 1)), (0, (1, 1)), (0, (6, 2))]


def _style(i: int, name: str) -> dict:
    if name == "bce":
        return {"color": COLORS["bce"], "ls": "-", "lw": 2}
    if name == "squared_error":
        return {"color": COLORS["mse"], "ls": "--", "lw": 2}
    return {"color": _CYCLE[(i - 2) % len(_CYCLE)], "ls": _DASHES[(i - 2) % len(_DASHES)], "lw": 1.8}


def _names(data, suffix: str) -> list[str]:
    return [key[: -len(suffix)] for key in data.columns if key.endswith(suffix)]


def _margin(data, fig: FigureBase) -> None:
    ax = fig.subplots()
    m = np.asarray(data.columns["margin"])
    ax.axvspan(m.min(), 0, color="0.88", zorder=0)
    for i, name in enumerate(_names(data, " y=1")):
        ax.plot(m, data.columns[f"{name} y=1"], label=name, **_style(i, name))
    ax.set_yscale("log")
    ax.set_ylim(1e-4, 30)
    ax.set_xlabel(r"signed margin $m = (2y - 1)\,z$  (label $y = 1$; grey: wrong side)")
    ax.set_ylabel(r"$|\partial L / \partial z|$")
    ax.legend(loc="upper right", fontsize=8)


def _share(data, fig: FigureBase) -> None:
    ax = fig.subplots()
    step = np.asarray(data.columns["step"])
    for i, name in enumerate(_names(data, " share")):
        ax.plot(step, running_mean(data.columns[f"{name} share"], WINDOW), label=name, **_style(i, name))
    ax.plot(step, running_mean(data.columns["bce fraction"], WINDOW), ":", color="0.4", lw=1,
            label="misclassified fraction (BCE)")
    ax.set_xlabel("SGD step")
    ax.set_ylabel("misclassified share (10-step mean)")
    ax.set_ylim(0, 1.02)
    ax.legend(loc="upper right", fontsize=8)


DRAW = {"lossmargin": _margin, "lossshare": _share}
