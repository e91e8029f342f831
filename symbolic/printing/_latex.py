"""SymPy's LaTeX printer with the toolkit's names: ``ghn_k`` prints as the one italic name
``\\mathit{ghn}_{k}`` (SymPy's default ``ghn_{k}`` reads as the product g h n), an indexed
``W_hz[k, q]`` as ``W_{hz,kq}``, and a sum of two terms starts with its positive one
(``\\sigma(z) - y``), as in the Typst printer.

>>> import sympy as sp
>>> from gradproof.symbolic.printing import latex
>>> latex(sp.Symbol("ghn_k"))
'\\\\mathit{ghn}_{k}'
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.conventions import split_super_sub
from sympy.printing.latex import LatexPrinter

from ._grouping import factor_needs_brackets, summand_needs_brackets
from ._typst import GREEK, ordered_terms

__all__ = ["latex", "ToolkitLatexPrinter"]


def _name(name: str) -> str:
    if name in GREEK:
        return "\\" + name
    return name if len(name) == 1 else r"\mathit{%s}" % name


def _scripted(full_name: str, indices: str | None = None) -> str:
    """``name_sub^sup`` (``h^b_{t+1}``) with an Indexed's indices after the name's subscript."""
    name, sups, subs = split_super_sub(full_name)
    scripts = [r"\%s" % s if s in GREEK else s.strip("{}") for s in subs]
    if indices is not None:
        scripts.append(indices)
    text = _name(name)
    if scripts:
        text += "_{%s}" % ",".join(scripts)
    if sups:
        text += "^{%s}" % ",".join(sups)
    return text


class ToolkitLatexPrinter(LatexPrinter):
    """LaTeX for the toolkit's expressions (amsmath only)."""

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        return _scripted(expr.name)

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        indices = [self._print(i) for i in expr.indices]
        joined = "".join(indices) if all(len(i) == 1 for i in indices) else ",".join(indices)
        return _scripted(expr.base.label.name, joined)

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        """d/dz of a product in parentheses: SymPy's ``\\frac{d}{dz} f g`` reads as (df/dz) g."""
        text = super()._print_Derivative(expr)
        body = self._print(expr.expr)
        if isinstance(expr.expr, sp.Mul) and text.endswith(" " + body):
            return text[: -len(body)] + r"\left(%s\right)" % body
        return text

    def _needs_mul_brackets(self, expr, first=False, last=False) -> bool:
        """SymPy brackets a sum sign that is not the last factor; a derivative operator likewise
        acts on everything after it (``\\frac{d}{dz} (z/3) \\sum_i x_i``), so it is bracketed too."""
        if factor_needs_brackets(expr, last=last):
            return True
        return super()._needs_mul_brackets(expr, first=first, last=last)

    def _print_Sum(self, expr: sp.Sum) -> str:
        """One ``\\sum_{i=a}^{b}`` per limit (as the Typst printer writes them) and the summand
        bracketed whenever a product would bracket it: SymPy's ``\\sum_{i=0}^{B-1} - X_{i}``
        leaves a sign hanging after the operator, and its several limits a ``\\substack``."""
        heads = "".join(r"\sum_{%s=%s}^{%s} " % tuple(self._print(part) for part in limit)
                        for limit in expr.limits)
        body = self._print(expr.function)
        if summand_needs_brackets(expr.function):  # a sum or a negative term (-X: SymPy's
            body = r"\left(%s\right)" % body        # precedence_traditional drops its sign)
        return heads + body

    def _as_ordered_terms(self, expr, order=None):
        return ordered_terms(expr) if isinstance(expr, sp.Add) else super()._as_ordered_terms(expr, order)


def latex(expr) -> str:
    """``expr`` as LaTeX math (no surrounding ``$``)."""
    return ToolkitLatexPrinter({"long_frac_ratio": 2}).doprint(sp.sympify(expr))
