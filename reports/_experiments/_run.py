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

from gradproof import numeric

from .._figure_data import FigureData
from .._links import caption_note
from ._batch import batch_size_training, variance_vs_batch_size
from ._logreg import contributions, per_sample_norms, residual_vs_margin
from ._setting import Setting, fitted, fitted_state
from ._statistics import statistics_table, whole_data_statistics
from ._training import wrong_share_over_training

__all__ = ["run_experiments"]


def run_experiments(setting: Setting, progress=None) -> tuple[list[FigureData], dict]:
    """Every figure's data, F1 to F7, in order, and the whole-data batch statistics of the
    fitted logistic regression and the trained GRU; ``progress()`` is called after each stage.

    The computation runs on one CPU thread (``single_thread``), so that its float reductions
    happen in one order whatever the machine's load: the same seed gives the same bytes."""
    tick = progress or (lambda: None)
    with numeric.runtime.single_thread():
        setting = fitted(setting)
        figures = [residual_vs_margin()]
        tick()
        state = fitted_state(setting)
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

