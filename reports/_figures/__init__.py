"""Drawing each figure from its FigureData alone, in the report's style."""

from ._draw import SLIDE_MIN_FONT as SLIDE_MIN_FONT
from ._draw import SLIDE_SIZE as SLIDE_SIZE
from ._draw import draw as draw
from ._draw import draw_for_slides as draw_for_slides
from ._style import SAVE_METADATA as SAVE_METADATA
from ._style import apply_style as apply_style

__all__ = ["SAVE_METADATA", "SLIDE_MIN_FONT", "SLIDE_SIZE", "apply_style", "draw", "draw_for_slides"]
