"""gradproof.symbolic.printing: expressions and derivations as Typst and LaTeX (as ``sympy.printing``).

:func:`typst` and :func:`latex` print one expression; :func:`typst_parts` splits a long one
into the parts of a where-list; :func:`typst_equation`, :func:`latex_align`,
:func:`typst_text` and :func:`latex_text` lay out an equation or a line of prose;
:func:`hypotheses` and :func:`hypothesis_latex` print a derivation's hypotheses;
:func:`html_text` is how a result's text shows in a notebook; :func:`text` is readable plain text
(Unicode maths, one index notation; ``ascii=True`` for plain terminals); :func:`spoken` reads a
formula in Typst's syntax aloud (the alternative text of the report's formulas).

Every formula those functions lay out is read back by an independent reader of its language
and compared with the expression it was printed from (:func:`witnessed_typst`,
:func:`witnessed_latex`, and :func:`witnessed_text` for the worked solutions of ``gradproof
derive``); a mismatch raises :class:`PrinterError`.  The three languages are one printer core,
``_walk.FormulaWalk``, which decides the structure of a formula (order, signs, fractions, and
with ``_grouping`` every bracket) once and hands the pieces to a Typst, LaTeX or text syntax.
"""

from ._latex import latex as latex
from ._notebook import html_text as html_text
from ._render import TypstParts as TypstParts
from ._render import hypotheses as hypotheses
from ._render import hypothesis_latex as hypothesis_latex
from ._render import latex_align as latex_align
from ._render import latex_text as latex_text
from ._render import prose_latex as prose_latex
from ._render import shown_lines as shown_lines
from ._render import typst_equation as typst_equation
from ._render import typst_parts as typst_parts
from ._render import typst_text as typst_text
from ._render import witnessed_latex as witnessed_latex
from ._render import witnessed_typst as witnessed_typst
from ._speech import spoken as spoken
from ._text import text as text
from ._typst import TypstPrinter as TypstPrinter
from ._typst import typst as typst
from ._witness import PrinterError as PrinterError
from ._witness import same_reading as same_reading
from ._witness import witnessed_text as witnessed_text

__all__ = ["typst", "latex", "TypstParts", "typst_parts", "typst_equation", "typst_text", "latex_align",
           "latex_text", "prose_latex", "hypotheses", "hypothesis_latex", "html_text", "witnessed_typst",
           "witnessed_latex",
           "shown_lines", "PrinterError", "same_reading", "witnessed_text", "text", "spoken", "TypstPrinter"]
