"""The HTML edition: the report's own Typst source exported as one self-contained HTML page.

Typst's HTML export reads the same ``report.typ`` as the PDF (``gradproof.typ`` gives way to plain
blocks there), so the lesson, the numbers and the captions are the PDF's, and every formula is
MathML.  What Typst leaves to do is done here, on its output: each figure, an ``<img>`` with its
SVG as a data URL, becomes the SVG itself, inline, with its alternative text as ``aria-label``
and ``<title>`` (its ids prefixed with the figure's, so two figures never share one); and a small
style sheet sets a readable column.  The result depends only on its input: the same report
gives the same bytes.
"""

from __future__ import annotations

import base64
import html
import re

__all__ = ["html_edition", "STYLE_SHEET"]

STYLE_SHEET = """
body { max-width: 46rem; margin: 2rem auto; padding: 0 1rem; font-family: "New Computer Modern",
       "Latin Modern Roman", Georgia, serif; line-height: 1.5; color: #111; }
math[display="block"] { margin: 0.6rem 0; overflow-x: auto; }
figure { margin: 2rem 0; }
figure svg { width: 100%; height: auto; }
figcaption { font-size: 0.95rem; }
table { border-collapse: collapse; margin: 1rem 0; }
td, th { padding: 0.15rem 0.6rem; vertical-align: top; }
.derivation { margin: 1rem 0 1.2rem 1rem; }
.step { margin-left: 1.2rem; }
.rule { margin: 0 0 0.6rem 1.4rem; font-size: 0.85rem; color: #444; }
pre, code { font-family: "DejaVu Sans Mono", monospace; font-size: 0.85em; }
"""

_IMAGE = re.compile(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="([^"]*)"[^>]*>')
_PROLOGUE = re.compile(r"\A(?:<\?xml[^>]*\?>\s*)?(?:<!DOCTYPE[^>]*>\s*)?", re.S)
_ID = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')


def _inline_svg(match: re.Match, number: int) -> str:
    svg = base64.b64decode(match.group(1)).decode("utf-8")
    alt = match.group(2)  # already escaped for an attribute by Typst
    svg = _PROLOGUE.sub("", svg)
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = _ID.sub(lambda m: f"{m.group(1)}f{number}-{m.group(2)}", svg)
    opening = re.match(r"<svg\b[^>]*>", svg)
    if opening is None:
        raise ValueError(f"figure {number}: its SVG has no <svg> element")
    tag = opening.group(0)[:-1] + f' role="img" aria-label="{alt}">'
    title = f"<title>{html.escape(html.unescape(alt), quote=False)}</title>"
    return tag + title + svg[opening.end():]


def html_edition(typst_html: str) -> str:
    """Typst's HTML of the report, made self-contained and readable (see the module's text)."""
    counter = iter(range(1, 1_000_000))
    page = _IMAGE.sub(lambda m: _inline_svg(m, next(counter)), typst_html)
    if "<img" in page:
        raise ValueError("the HTML edition has an image that is not an SVG with alternative text")
    return page.replace("</head>", f"<style>{STYLE_SHEET}</style></head>", 1)
