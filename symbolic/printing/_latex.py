"""LaTeX (amsmath): the printer core (:mod:`._walk`) spelled in LaTeX, so that the kit's ``.tex``
files and ``gradproof derive --latex`` group every formula as the report's Typst does.

Names: ``ghn_k`` prints as the one italic name ``\\mathit{ghn}_{k}`` (``ghn_{k}`` would read as
the product g h n), an indexed ``W_hz[k, q]`` as ``W_{hz,kq}``, the direction of ``W^b_hz`` kept
as a superscript.

>>> import sympy as sp
>>> from gradproof.symbolic.printing import latex
>>> latex(sp.Symbol("ghn_k"))
'\\\\mathit{ghn}_{k}'
"""

from __future__ import annotations

import sympy as sp

from ._syntax import GREEK, OPERATORS, Syntax
from ._walk import FormulaWalk

__all__ = ["latex", "ToolkitLatexPrinter", "LatexSyntax"]

RELATIONS = {"==": "=", "!=": r"\neq", "<": "<", "<=": r"\leq", ">": ">", ">=": r"\geq"}


def _name(name: str) -> str:
    if name in GREEK:
        return "\\" + name
    return name if len(name) == 1 else r"\mathit{%s}" % name


class LatexSyntax(Syntax):
    """LaTeX maths with amsmath: ``\\frac``, ``\\left(...\\right)``, ``\\sum_{i=0}^{n - 1}``."""

    def name(self, base: str, subs: list[str], sups: list[str], indices: tuple[str, ...]) -> str:
        scripts = [r"\%s" % s if s in GREEK else s.strip("{}") for s in subs]
        if indices:
            scripts.append("".join(indices) if all(len(i) == 1 for i in indices) else ",".join(indices))
        text = _name(base)
        if scripts:
            text += "_{%s}" % ",".join(scripts)
        if sups:
            text += "^{%s}" % ",".join(sups)
        return text

    def group(self, text: str) -> str:
        return r"\left(%s\right)" % text

    def rational(self, numerator: int, denominator: int) -> str:
        return r"\frac{%d}{%d}" % (numerator, denominator)

    def constant(self, name: str) -> str:
        return {"e": "e", "pi": r"\pi", "infinity": r"\infty", "i": "i"}[name]

    def product(self, texts: list[str]) -> str:
        parts: list[str] = []
        for text in texts:
            if parts and (text[0].isdigit() or parts[-1][-1].isdigit() and text.startswith(r"\left(")):
                parts.append(r"\cdot")
            parts.append(text)
        return " ".join(parts)

    def fraction(self, numerator: str, denominator: str, numer: sp.Expr, denom: sp.Expr) -> str:
        return r"\frac{%s}{%s}" % (numerator, denominator)

    def sqrt(self, text: str) -> str:
        return r"\sqrt{%s}" % text

    def power(self, base: str, exponent: str, exp: sp.Expr) -> str:
        return "%s^{%s}" % (base, exponent)

    def exp(self, argument: str, exponent: str | None) -> str:
        text = "e^{%s}" % argument
        return text if exponent is None else r"\left(%s\right)^{%s}" % (text, exponent)

    def function(self, name: str, arguments: list[str], exponent: str | None, bare: bool) -> str:
        args = ", ".join(arguments)
        if name == "sigmoid":
            head = r"\sigma"
        elif name in OPERATORS:
            head = "\\" + name
        elif len(name) == 1 or name in GREEK:
            head = _name(name)
        else:
            head = r"\operatorname{%s}" % name
        if exponent is not None:  # as Typst writes it: sigma^2(z), log^2 x
            head = "%s^{%s}" % (head, exponent)
        return f"{head} {args}" if bare else r"%s\left(%s\right)" % (head, args)

    def abs(self, text: str) -> str:
        return r"\left|{%s}\right|" % text

    def delta(self, first: str, second: str) -> str:
        return r"\delta_{%s%s}" % (first, second) if len(first) == len(second) == 1 else \
            r"\delta_{%s,%s}" % (first, second)

    def sum_sign(self, variable: str, lower: str, upper: str) -> str:
        return r"\sum_{%s=%s}^{%s}" % (variable, lower, upper)

    def derivative(self, ordinary: bool, variables: list[tuple[str, int]], inner: str, bracketed: bool) -> str:
        d = "d" if ordinary else r"\partial"
        total = sum(c for _, c in variables)
        top = d if total == 1 else "%s^{%d}" % (d, total)
        bottom = " ".join(f"{d} {v}" + ("^{%d}" % c if c != 1 else "") for v, c in variables)
        return r"\frac{%s}{%s} %s" % (top, bottom, self.group(inner) if bracketed else inner)

    def cases(self, rows: list[tuple[str, str | None]]) -> str:
        shown = [f"{value} & " + (r"\text{otherwise}" if when is None else r"\text{if } " + when)
                 for value, when in rows]
        return r"\begin{cases} " + r" \\ ".join(shown) + r" \end{cases}"

    def relation(self, lhs: str, operator: str, rhs: str) -> str:
        return f"{lhs} {RELATIONS[operator]} {rhs}"

    def junction(self, word: str, items: list[str]) -> str:
        return (r" \text{ %s } " % word).join(items)

    def word(self, text: str) -> str:
        return r"\text{%s}" % text


LATEX = LatexSyntax()


class ToolkitLatexPrinter(FormulaWalk):
    """The printer core spelled in LaTeX (amsmath only)."""

    syntax = LATEX

    def __init__(self, settings: dict | None = None):
        super().__init__(LATEX, settings)


def latex(expr) -> str:
    """``expr`` as LaTeX math (no surrounding ``$``)."""
    return ToolkitLatexPrinter().doprint(sp.sympify(expr))
