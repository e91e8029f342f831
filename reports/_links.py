"""One hop from a proof to its code and its figures.

``FIGURE_DERIVATIONS`` (data, in figure order) names the derivations each figure of the report
illustrates; ``numeric.implementations.IMPLEMENTED_BY`` names the functions that compute each result, and each
checker target names its derivation (``symbolic.targets()[...].derivation``).
:func:`derivation_links` puts the three together for ``gradproof derive NAME``, and
:func:`caption_note` is the sentence a figure's caption ends with.
"""

from __future__ import annotations

from gradproof import symbolic
from gradproof.numeric import implementations

__all__ = ["FIGURE_DERIVATIONS", "figures_showing", "caption_note", "derivation_links"]

FIGURE_DERIVATIONS: dict[str, tuple[str, ...]] = {
    "f1-residual-vs-margin": ("bce_dL_dz", "residual_margin", "residual_margin_slope", "mse_sigmoid_dL_dz"),
    "f2-per-sample-norms": ("logreg_dL_dw", "logreg_dL_db"),
    "f3-batch-contributions": ("batch_mean_gradient", "logreg_dL_dw"),
    "f4-wrong-share-over-training": ("batch_mean_gradient", "gru_bptt_recurrence"),
    "f5-gru-head-over-training": ("gru_head_dL_dv", "gru_head_dL_dc"),
    "f6-variance-vs-batch-size": ("batch_mean_gradient",),
    "f7-batch-size-training": ("batch_mean_gradient",),
}


def figures_showing(name: str) -> list[str]:
    """``Figure n (file name)`` for every figure of the report that illustrates derivation ``name``."""
    return [f"Figure {number} ({figure})" for number, (figure, shown) in enumerate(FIGURE_DERIVATIONS.items(), 1)
            if name in shown]


def caption_note(figure: str) -> str:
    """The last sentence of a figure's caption: the derivations it illustrates."""
    shown = FIGURE_DERIVATIONS[figure]
    return f"Derivation{'s' if len(shown) > 1 else ''} shown: {', '.join(shown)}."


def derivation_links(name: str) -> list[str]:
    """Where derivation ``name`` is computed, shown and checked, one line each."""
    computed = (", ".join(implementations.implemented_by(name))
                or f"no numeric function ({implementations.PROOF_ONLY[name]})")
    targets = [t.name for t in symbolic.targets().values() if t.derivation == name]
    return [f"computed by: {computed}",
            f"shown in: {', '.join(figures_showing(name)) or 'no figure of the report'}",
            f"checker targets: {', '.join(targets) or 'none'}"]
