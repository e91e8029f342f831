"""SymPy's LaTeX printer with the toolkit's names: ``ghn_k`` prints as the one italic name
``\\mathit{ghn}_{k}`` (SymPy's default ``ghn_{k}`` reads as the product g h n), an indexed
``W_hz[k, q]`` as ``W_{hz,kq}``, and a sum of two terms starts with its positive one
(``\\sigma(z) - y``), as in the Typst printer.

>>> import sympy as sp
>>> from symbolic._latex import latex
>>> latex(sp.Symbol("ghn_k"))
'\\\\mathit{ghn}_{k}'
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.conventions import split_super_sub
from sympy.printing.latex import LatexPrinter

from ._typst import GREEK, ordered_terms

__all__ = ["latex", "ToolkitLatexPrinter"]


def _name(name: str) -> str:
    if name in GREEK:
        return "\\" + name
    return name if len(name) == 1 else r"\mathit{%s}" % name


class ToolkitLatexPrinter(LatexPrinter):
    """LaTeX for the toolkit's expressions (amsmath only)."""

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        name, sups, subs = split_super_sub(expr.name)
        text = _name(name)
        if subs:
            text += "_{%s}" % ",".join(r"\%s" % s if s in GREEK else s for s in subs)
        if sups:
            text += "^{%s}" % ",".join(sups)
        return text

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        name, _, subs = split_super_sub(expr.base.label.name)
        indices = [self._print(i) for i in expr.indices]
        joined = "".join(indices) if all(len(i) == 1 for i in indices) else ",".join(indices)
        return "%s_{%s}" % (_name(name), ",".join(subs + [joined]))

    def _as_ordered_terms(self, expr, order=None):
        return ordered_terms(expr) if isinstance(expr, sp.Add) else super()._as_ordered_terms(expr, order)


def latex(expr) -> str:
    """``expr`` as LaTeX math (no surrounding ``$``)."""
    return ToolkitLatexPrinter({"long_frac_ratio": 2}).doprint(sp.sympify(expr))
