"""Typst math: the printer core (:mod:`._walk`) spelled in Typst.

``typst(expr)`` returns the body of a Typst equation (what goes between ``$ ... $``):

>>> import sympy as sp
>>> from gradproof.symbolic import sigmoid
>>> from gradproof.symbolic.printing import typst
>>> z, y = sp.symbols("z y", real=True)
>>> typst(sigmoid(z) - y)
'sigma(z) - y'
>>> typst(sp.Derivative(-y*sp.log(sigmoid(z)), z))
'frac(partial, partial z) lr((-y log sigma(z)))'

Names follow SymPy's convention ``name_sub^sup``: ``W_hz`` prints as W with subscript hz,
``ghn_k`` as the one italic name ghn with subscript k (never the product g h n), Greek
names as Greek letters.  Typst scales paired delimiters to their content, so sums and
fractions inside parentheses get tall parentheses (``lr`` where Typst would not pair them).
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.conventions import split_super_sub

from ._typst_syntax import TYPST, TypstSyntax
from ._walk import FormulaWalk

__all__ = ["TypstPrinter", "TypstSyntax", "typst"]


class TypstPrinter(FormulaWalk):
    """The printer core (:class:`._walk.FormulaWalk`) spelled in Typst (the body of ``$ ... $``)."""

    syntax = TYPST

    def __init__(self, settings: dict | None = None):
        super().__init__(TYPST, settings)

    @staticmethod
    def _scripted(full_name: str, indices: tuple[str, ...] = ()) -> str:
        name, sups, subs = split_super_sub(full_name)
        return TYPST.name(name, subs, sups, indices)

    def _typst_of(self, expr) -> str:
        return self._print(expr)


def typst(expr, **settings) -> str:
    """``expr`` as Typst math: the text to put between ``$`` signs."""
    return TypstPrinter(settings).doprint(sp.sympify(expr))
