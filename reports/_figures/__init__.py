"""Drawing each figure from its FigureData alone, in the report's style."""

from ._draw import draw as draw
from ._style import SAVE_METADATA as SAVE_METADATA
from ._style import apply_style as apply_style

__all__ = ["SAVE_METADATA", "apply_style", "draw"]
