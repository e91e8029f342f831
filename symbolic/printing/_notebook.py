"""How a result shows itself in a notebook: its plain text as an HTML block."""

from __future__ import annotations

import html

__all__ = ["html_text"]


def html_text(text: str) -> str:
    """``text`` as a preformatted HTML block (Jupyter's ``_repr_html_``), every character escaped."""
    return '<pre style="white-space: pre-wrap">' + html.escape(text) + "</pre>"
