"""A minimal flowing layout for text pages in a PdfPages document: lines go down an A4
page and a new page starts when one is full.  Mathtext lines that are wider than the
text column are shrunk to fit, never cut."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import text_to_path

from ._style import A4

__all__ = ["PageWriter"]

LEFT, RIGHT, TOP, BOTTOM = 0.08, 0.92, 0.95, 0.06
LINE = 0.0165  # one line of 10 pt text, as a fraction of the page height


class PageWriter:
    """Writes flowing lines of text and math onto A4 pages of ``pdf``."""

    def __init__(self, pdf: PdfPages, footer: str):
        self.pdf, self.footer = pdf, footer
        self.fig, self.y, self.pages = None, TOP, 0

    def _new_page(self) -> None:
        self.close_page()
        self.fig = plt.figure(figsize=A4)
        self.y = TOP
        self.pages += 1

    def close_page(self) -> None:
        if self.fig is not None:
            self.fig.text(0.5, 0.025, f"{self.footer} - page {self.pdf.get_pagecount() + 1}",
                          ha="center", fontsize=7, color="0.35")
            self.pdf.savefig(self.fig)
            plt.close(self.fig)
            self.fig = None

    def _room(self, height: float) -> None:
        if self.fig is None or self.y - height < BOTTOM:
            self._new_page()

    def new_page(self) -> None:
        self._new_page()

    def space(self, lines: float = 1.0) -> None:
        self.y -= LINE * lines

    def text(self, content: str, size: float = 10, weight: str = "normal", indent: float = 0.0,
             color: str = "black", family: str | None = None) -> None:
        """Plain text wrapped to the column (``$`` is shown literally)."""
        mono = family is not None and "Mono" in family
        chars = int((RIGHT - LEFT - indent) * A4[0] * 72 / ((0.61 if mono else 0.53) * size))
        for paragraph in content.split("\n"):
            for line in textwrap.wrap(paragraph, width=chars, subsequent_indent="    " if mono else "") or [""]:
                self._room(LINE * size / 10 * 1.25)
                self.fig.text(LEFT + indent, self.y, line.replace("$", r"\$"), fontsize=size,
                              weight=weight, va="top", color=color, family=family)
                self.y -= LINE * size / 10 * 1.25

    def math(self, tex: str, size: float = 11, indent: float = 0.02, note: str = "") -> None:
        """One mathtext line, shrunk to the column width if needed, and an optional note below."""
        self._room(LINE * 2.6)
        available = (RIGHT - LEFT - indent) * A4[0] * 72
        width, height = _measure(f"${tex}$", size)
        if width > available:
            size = max(4.0, size * available / width)
            width, height = _measure(f"${tex}$", size)
        self.fig.text(LEFT + indent, self.y, f"${tex}$", fontproperties=_font(size), va="top")
        self.y -= max(height / (A4[1] * 72), LINE) + LINE * 0.5
        if note:
            self.text(note, size=8, indent=indent + 0.04, color="0.25")

    def equation(self, pieces: list[str], size: float = 11, indent: float = 0.02, note: str = "") -> None:
        """Math split over lines at the given pieces (terms of a sum), as few lines as fit."""
        available = (RIGHT - LEFT - indent - 0.04) * A4[0] * 72
        lines, current = [], ""
        for piece in pieces:
            trial = current + piece
            if current and _measure(f"${trial}$", size)[0] > available:
                lines.append(current)
                current = r"\quad " + piece
            else:
                current = trial
        lines.append(current)
        for number, line in enumerate(lines):
            self.math(line, size=size, indent=indent if number == 0 else indent + 0.04,
                      note=note if number == len(lines) - 1 else "")

def _font(size: float) -> FontProperties:
    return FontProperties(size=size)


def _measure(text: str, size: float) -> tuple[float, float]:
    """Width and height in points, parsed by the same cached parser the PDF backend uses."""
    parsed = text_to_path.mathtext_parser.parse(text, 72, _font(size))
    return parsed.width, parsed.height + parsed.depth
