"""What an experiment hands to a figure, its caption and the manifest: :class:`FigureData`.

The experiments compute it, the figures draw it and the document quotes it; none of them
needs the others.  A figure is drawn from its FigureData alone, so a figure, its CSV and its
caption cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["FigureData", "LOSS_CLIP", "loss_clip", "counted"]

LOSS_CLIP = 1.1  # F7's loss axes end at this multiple of the starting loss


@dataclass
class FigureData:
    """Columns of equal length, a caption, and key numbers.

    ``caption`` is prose with inline maths between ``$`` signs, the maths in Typst's syntax
    (``$abs(sigma(z) - y) = sigma(-m)$``); the report sets it as it is, the course kit's
    LaTeX snippet gets a translation (:mod:`gradproof.reports._document._caption`, which refuses what it does not
    know), the manifest a plain version.  ``title`` is plain words.
    """

    name: str
    title: str
    caption: str
    columns: dict[str, list]
    key_numbers: dict[str, float] = field(default_factory=dict)


def loss_clip(keys: dict, model: str) -> float:
    """Where F7's loss axis for ``model`` ends: LOSS_CLIP times the loss before training."""
    return LOSS_CLIP * keys[f"{model}_start_loss"]


def counted(count: object, singular: str, plural: str | None = None) -> str:
    """``1 sample``, ``3 samples``: a count with its noun in the right number, for captions."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"
