"""Typst maths, piece by piece (:class:`TypstSyntax`): what the printer core (:mod:`._walk`)
writes in Typst; see :mod:`._typst` for the names' conventions."""

from __future__ import annotations

import re

import sympy as sp

from ._syntax import GREEK, OPERATORS, Syntax

__all__ = ["TypstSyntax", "TYPST"]

RELATIONS = {"==": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def _letters(name: str) -> str:
    """One name: a Greek letter, a single italic letter, or a longer italic name."""
    if name in GREEK:
        return name
    if len(name) == 1 and name.isalpha():
        return name
    if name.isdigit():
        return name
    return f'italic("{name}")'


def _subscript(text: str) -> str:
    """A subscript of a name: Greek, digits, letters set side by side (``hz`` as h z), or a
    small sum of single letters and digits written in braces (``{t+1}`` as t+1)."""
    text = text.strip("{}")
    if re.fullmatch(r"([A-Za-z]|[0-9]+)([+-]([A-Za-z]|[0-9]+))+", text):
        return text
    if text in GREEK or text.isdigit() or len(text) == 1:
        return text
    if text.isalpha() and len(text) <= 3:
        return " ".join(text)
    return _letters(text)


def _group(text: str) -> str:
    """A script argument: bare when it is one token, else grouped in parentheses."""
    return text if text.isalnum() and (len(text) == 1 or text.isdigit() or text in GREEK) else f"({text})"


class TypstSyntax(Syntax):
    """Typst maths: ``frac(a, b)``, ``lr((...))``, ``sum_(i = 0)^(n - 1)``, names as above."""

    def name(self, base: str, subs: list[str], sups: list[str], indices: tuple[str, ...]) -> str:
        text = _letters(base)
        scripts = [_subscript(s) for s in subs]
        if indices:
            simple = all(len(i) == 1 for i in indices)
            scripts.append(" ".join(indices) if simple else ", ".join(indices))
        if scripts:
            text += "_" + _group(", ".join(scripts))
        if sups:
            text += "^" + _group(" ".join(_letters(s) for s in sups))
        return text

    def group(self, text: str) -> str:
        return f"lr(({text}))"

    def rational(self, numerator: int, denominator: int) -> str:
        return f"frac({numerator}, {denominator})"

    def constant(self, name: str) -> str:
        return name

    def product(self, texts: list[str]) -> str:
        parts: list[str] = []
        for text in texts:
            if parts and (text[0].isdigit() or parts[-1][-1].isdigit() and text[0] == "("):
                parts.append("dot")
            parts.append(text)
        return " ".join(parts)

    def fraction(self, numerator: str, denominator: str, numer: sp.Expr, denom: sp.Expr) -> str:
        return f"frac({numerator}, {denominator})"

    def sqrt(self, text: str) -> str:
        return f"sqrt({text})"

    def power(self, base: str, exponent: str, exp: sp.Expr) -> str:
        return f"{base}^{_group(exponent)}"

    def exp(self, argument: str, exponent: str | None) -> str:
        text = f"e^{_group(argument)}"
        return text if exponent is None else f"lr(({text}))^{_group(exponent)}"

    def function(self, name: str, arguments: list[str], exponent: str | None, bare: bool) -> str:
        if name == "sigmoid":
            head = "sigma"
        elif name in OPERATORS:
            head = name
        else:
            head = _letters(name) if len(name) == 1 or name in GREEK else f'op("{name}")'
        if exponent is not None:
            head = f"{head}^{_group(exponent)}"
        args = ", ".join(arguments)
        if bare:
            return f"{head} {args}"
        return f"{head}({args})" if "_" not in head and "^" not in head else f"{head} lr(({args}))"

    def abs(self, text: str) -> str:
        return f"abs({text})"

    def delta(self, first: str, second: str) -> str:
        return f"delta_({first} {second})" if len(first) == len(second) == 1 else f"delta_({first}, {second})"

    def sum_sign(self, variable: str, lower: str, upper: str) -> str:
        return f"sum_({variable} = {lower})^{_group(upper)}"

    def derivative(self, ordinary: bool, variables: list[tuple[str, int]], inner: str, bracketed: bool) -> str:
        d = "dif" if ordinary else "partial"
        total = sum(c for _, c in variables)
        top = d if total == 1 else f"{d}^{total}"
        bottom = " ".join(f"{d} {v}" + (f"^{_group(str(c))}" if c != 1 else "") for v, c in variables)
        return f"frac({top}, {bottom}) {self.group(inner) if bracketed else inner}"

    def cases(self, rows: list[tuple[str, str | None]]) -> str:
        shown = [f"{value} & " + ('"otherwise"' if when is None else '"if" ' + when) for value, when in rows]
        return "cases(" + ", ".join(shown) + ")"

    def relation(self, lhs: str, operator: str, rhs: str) -> str:
        return f"{lhs} {RELATIONS[operator]} {rhs}"

    def junction(self, word: str, items: list[str]) -> str:
        return f' "{word}" '.join(items)

    def word(self, text: str) -> str:
        return f'"{text}"'


TYPST = TypstSyntax()
