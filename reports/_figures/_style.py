"""One look for every figure: colour-blind-safe colours (Okabe-Ito) paired with distinct
markers and line styles, so that a black-and-white print still tells the groups apart;
TrueType fonts and SVG text (selectable, extractable as the characters drawn); DejaVu mathtext;
no timestamps in files.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["apply_style", "SAVE_METADATA", "COLORS", "MARKERS", "LINESTYLES", "A4", "TEXT_WIDTH"]

COLORS = {"correct": "#0072B2", "wrong": "#D55E00", "bce": "#000000", "mse": "#009E73",
          "logreg": "#0072B2", "gru": "#CC79A7", "prediction": "#000000", "measured": "#E69F00"}
MARKERS = {"correct": "o", "wrong": "X", "logreg": "s", "gru": "^", "measured": "o"}
LINESTYLES = {"bce": "-", "mse": "--", "logreg": "-", "gru": "-.", "prediction": ":"}
A4 = (8.27, 11.69)
TEXT_WIDTH = 16 / 2.54  # inches: the text width of an A4 page with 2.5 cm margins; figures are drawn
#                         at this width, so that 9 pt in a figure is 9 pt on the page

SAVE_METADATA = {
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": "gradproof"},
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": "gradproof"},
}

_RC = {
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.fonttype": "none",  # text stays text: extractable from the PDF, read by screen readers
    "svg.hashsalt": "gradproof",
    "mathtext.fontset": "dejavusans",  # a Unicode font: σ extracts as σ (Computer Modern gave ¾)
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "xtick.labelsize": 9,  # as the text: still about 6 pt when a beamer frame scales a figure to 70%
    "ytick.labelsize": 9,
    "legend.fontsize": 8,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "path.simplify": False,
}


def apply_style() -> None:
    """Set the rcParams every gradproof figure uses."""
    plt.rcParams.update(_RC)  # type: ignore[arg-type]  # the stubs want each key as a literal
