"""Plain text a student can read: the printer core (:mod:`._walk`) spelled in one index notation
and Unicode maths (``ascii=True`` for terminals without it).

Entries of indexed quantities are written with their indices after an underscore, always the same
way: ``z_i``, ``y_i``, ``X_ik``, ``w_k`` (indices longer than one character in braces, ``X_{i,k+1}``);
``sigmoid`` is ``σ``, a sum ``Σ_{i=0}^{B − 1} ...`` acting on the rest of its product, a derivative
``∂/∂w_k [...]``, products a middle dot, fractions a slash (numerator and denominator bracketed
where a slash would not reach all of them), powers superscripts where Unicode has them and a
name's superscript raised letters (``nᵇ_k``, not a power).  With ``ascii=True`` the same layout
uses ``sigma``, ``sum``, ``d/dw_k``, ``*`` and ``^``.  The grouping is the core's, as for Typst
and LaTeX.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.precedence import PRECEDENCE, precedence

from ._grouping import acts_rightwards
from ._syntax import Syntax
from ._walk import FormulaWalk

__all__ = ["text", "TextPrinter", "TextSyntax"]

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_RAISED_LETTERS = "abcdefghijklmnoprstuvwxyz0123456789"  # every letter but q has a modifier form
_RAISED = str.maketrans(_RAISED_LETTERS, "ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ⁰¹²³⁴⁵⁶⁷⁸⁹")
_GREEK = {"omega": "ω", "sigma": "σ", "pi": "π"}
RELATIONS = {"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}
ASCII_RELATIONS = {"==": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def _bare_denominator(denom: sp.Expr) -> bool:
    """A denominator a slash reaches whole: a name, an entry, a positive integer, a function
    call, or a power of one of them."""
    base = denom.base if denom.is_Pow else denom
    return bool(base.is_Symbol or base.is_Indexed or (base.is_Integer and base > 0)
                or (isinstance(base, sp.Function) and not acts_rightwards(base)))


class TextSyntax(Syntax):
    """Unicode (or, with ``ascii``, plain ASCII) text."""

    def __init__(self, ascii: bool = False):
        self.ascii = ascii
        self.minus = "-" if ascii else "−"

    def _power(self, exponent: str, simple: bool) -> str:
        if not self.ascii and exponent.isdigit() and int(exponent) > 1:
            return exponent.translate(_SUPERSCRIPT)
        return "^" + (exponent if simple else f"({exponent})")

    def name(self, base: str, subs: list[str], sups: list[str], indices: tuple[str, ...]) -> str:
        text = base if self.ascii else _GREEK.get(base, base)
        if sups:
            raised = "".join(sups)
            text += ("^" + raised) if self.ascii or any(c not in _RAISED_LETTERS for c in raised) \
                else raised.translate(_RAISED)
        for sub in subs:
            sub = sub.strip("{}")
            text += "_" + (sub if sub.isalnum() else "{" + sub + "}")
        if indices:
            text += "_" + ("".join(indices) if all(len(i) == 1 for i in indices) else "{" + ",".join(indices) + "}")
        return text

    def group(self, text: str) -> str:
        return f"({text})"

    def rational(self, numerator: int, denominator: int) -> str:
        return f"{numerator}/{denominator}"

    def constant(self, name: str) -> str:
        return {"e": "E", "pi": "pi" if self.ascii else "π", "infinity": "oo" if self.ascii else "∞",
                "i": "I"}[name]

    def product(self, texts: list[str]) -> str:
        return ("*" if self.ascii else "·").join(texts)

    def fraction(self, numerator: str, denominator: str, numer: sp.Expr, denom: sp.Expr) -> str:
        if precedence(numer) < PRECEDENCE["Mul"] or acts_rightwards(numer):
            numerator = self.group(numerator)  # (a + b)/c; (Σ_i a_i)/c: the sign's scope ends
        if not _bare_denominator(denom):
            denominator = self.group(denominator)
        return f"{numerator}/{denominator}"

    def sqrt(self, text: str) -> str:
        return f"sqrt({text})"

    def power(self, base: str, exponent: str, exp: sp.Expr) -> str:
        simple = bool(exp.is_Symbol or (exp.is_Integer and exp > 0))
        return base + self._power(exponent, simple)

    def exp(self, argument: str, exponent: str | None) -> str:
        text = f"exp({argument})"
        return text if exponent is None else text + self._power(exponent, exponent.isalnum())

    def function(self, name: str, arguments: list[str], exponent: str | None, bare: bool) -> str:
        head = ("sigma" if self.ascii else "σ") if name == "sigmoid" else name
        text = f"{head}({', '.join(arguments)})"
        return text if exponent is None else text + self._power(exponent, exponent.isalnum())

    def abs(self, text: str) -> str:
        return f"Abs({text})"

    def delta(self, first: str, second: str) -> str:
        head = "delta" if self.ascii else "δ"
        return f"{head}_{first}{second}" if len(first) == len(second) == 1 else f"{head}_{{{first},{second}}}"

    def sum_sign(self, variable: str, lower: str, upper: str) -> str:
        return f"{'sum' if self.ascii else 'Σ'}_{{{variable}={lower}}}^{{{upper}}}"

    def derivative(self, ordinary: bool, variables: list[tuple[str, int]], inner: str, bracketed: bool) -> str:
        d = "d" if self.ascii else "∂"
        wrt = " ".join(f"{d}{v}" for v, count in variables for _ in range(count))
        return f"{d}/{wrt} [{inner}]"

    def cases(self, rows: list[tuple[str, str | None]]) -> str:
        return "{" + "; ".join(value if when is None else f"{value} if {when}" for value, when in rows) + "}"

    def relation(self, lhs: str, operator: str, rhs: str) -> str:
        return f"{lhs} {(ASCII_RELATIONS if self.ascii else RELATIONS)[operator]} {rhs}"

    def junction(self, word: str, items: list[str]) -> str:
        return f" {word} ".join(items)

    def word(self, text: str) -> str:
        return text


class TextPrinter(FormulaWalk):
    """The printer core spelled as readable text (see the module docstring)."""

    def __init__(self, ascii: bool = False):
        super().__init__(TextSyntax(ascii))


def text(expr: sp.Basic, ascii: bool = False) -> str:
    """``expr`` as readable text (see the module docstring).

    >>> import sympy as sp
    >>> z, i, B = sp.Symbol("z", real=True), sp.Symbol("i", integer=True), sp.Symbol("B", integer=True)
    >>> y = sp.IndexedBase("y")
    >>> text(sp.Sum(y[i] * z**2, (i, 0, B - 1)) / B)
    '1/B·Σ_{i=0}^{B − 1} z²·y_i'
    >>> text(sp.Sum(y[i] * z**2, (i, 0, B - 1)) / B, ascii=True)
    '1/B*sum_{i=0}^{B - 1} z^2*y_i'
    """
    return TextPrinter(ascii).doprint(sp.sympify(expr))
