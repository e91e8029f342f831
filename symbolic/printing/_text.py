"""Plain text a student can read: one index notation and Unicode maths (``--ascii`` for terminals
without it).

Entries of indexed quantities are written with their indices after an underscore, always the same
way: ``z_i``, ``y_i``, ``X_ik``, ``w_k`` (indices longer than one character in braces, ``X_{i,k+1}``);
``sigmoid`` is ``σ``, a sum is ``Σ_{i=0}^{B-1} (...)``, a derivative ``∂/∂w_k [...]``, products a
middle dot and powers superscripts where Unicode has them.  With ``ascii=True`` the same layout
uses ``sigma``, ``sum``, ``d/dw_k`` and ``^``.
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.conventions import split_super_sub
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.str import StrPrinter

from ._grouping import acts_rightwards, factor_needs_brackets, power_base_needs_brackets
from ._typst import factor_rank, ordered_terms

__all__ = ["text", "TextPrinter"]

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_RAISED_LETTERS = "abcdefghijklmnoprstuvwxyz0123456789"  # every letter but q has a modifier form
_RAISED = str.maketrans(_RAISED_LETTERS, "ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ⁰¹²³⁴⁵⁶⁷⁸⁹")


class TextPrinter(StrPrinter):
    """SymPy's string printer with one index notation and, unless ``ascii``, Unicode symbols."""

    printmethod = "_gradproof_text"  # not the objects' own _sympystr (Indexed prints x[k] through it)

    def __init__(self, ascii: bool = False):
        super().__init__()
        self.ascii = ascii

    def parenthesize(self, item, level, strict=False) -> str:
        """SymPy's rule, and an operator (a sum sign, a derivative) bracketed wherever it stands
        in a product, quotient or power that SymPy's own printing lays out (``1/(Σ_i x_i)``);
        :meth:`_print_Mul` leaves the last factor of a numerator bare."""
        if acts_rightwards(item) and level >= PRECEDENCE["Mul"]:
            return f"({self._print(item)})"
        return super().parenthesize(item, level, strict)

    def _index(self, indices) -> str:
        parts = [self._print(i) for i in indices]
        if all(len(p) == 1 for p in parts):
            return "_" + "".join(parts)
        return "_{" + ",".join(parts) + "}"

    def _print_Indexed(self, expr) -> str:
        return f"{self._print(expr.base.label)}{self._index(expr.indices)}"

    def _print_Symbol(self, expr) -> str:
        """The name as written (``n^b_k`` with ``ascii``), else with Greek letters and a
        superscript set as raised letters (``nᵇ_k``: the backward direction's n, not n to the b)."""
        name = expr.name
        if self.ascii:
            return name
        name = {"omega": "ω", "sigma": "σ", "pi": "π"}.get(name, name)
        base, sups, subs = split_super_sub(name)
        raised = "".join(sups).translate(_RAISED)
        if sups and all(c in _RAISED_LETTERS for c in "".join(sups)):
            return base + raised + "".join(f"_{sub}" for sub in subs)
        return name

    def _print_Function(self, expr) -> str:
        name = type(expr).__name__
        if name == "sigmoid":
            name = "sigma" if self.ascii else "σ"
        return f"{name}({', '.join(self._print(a) for a in expr.args)})"

    def _print_Sum(self, expr) -> str:
        body = self.parenthesize(expr.function, PRECEDENCE["Mul"])
        sign = "sum" if self.ascii else "Σ"
        for var, low, high in reversed(expr.limits):
            body = f"{sign}_{{{self._print(var)}={self._print(low)}}}^{{{self._print(high)}}} {body}"
        return body

    def _print_Derivative(self, expr) -> str:
        d = "d" if self.ascii else "∂"
        wrt = " ".join(f"{d}{self._print(v)}" for v in expr.variables)
        return f"{d}/{wrt} [{self._print(expr.expr)}]"

    def _print_Mul(self, expr) -> str:
        """SymPy's product (``a*b/(c*d)``), except that an operator factor (a sum sign, a
        derivative) that is not the last factor of the numerator is bracketed, and the operators
        come last (``_grouping``)."""
        if not any(acts_rightwards(f) for f in sp.Mul.make_args(expr)):
            printed = super()._print_Mul(expr)
        elif expr.could_extract_minus_sign():
            return ("-" if self.ascii else "−") + self._print_Mul(-expr)
        else:
            numer, denom = sp.fraction(expr, exact=True)
            factors = sorted(sp.Mul.make_args(numer), key=factor_rank)
            shown = []
            for at, factor in enumerate(factors):
                text = self._print(factor)
                last = at == len(factors) - 1
                if factor_needs_brackets(factor, last) or (not last and precedence(factor) <= PRECEDENCE["Mul"]):
                    text = f"({text})"
                shown.append(text)
            printed = "*".join(shown)
            if denom is not sp.S.One:  # (Σ_i a_i)/d: a sum sign's scope must not seem to reach d
                if acts_rightwards(factors[-1]) and not shown[-1].startswith("("):
                    shown[-1] = f"({shown[-1]})"
                printed = "*".join(shown) + "/" + self.parenthesize(denom, PRECEDENCE["Mul"], strict=False)
        return printed if self.ascii else re.sub(r"(?<!\*)\*(?!\*)", "·", printed)  # not the ** of a power

    def _print_Pow(self, expr, rational=False) -> str:
        exponent = expr.exp
        if not self.ascii and exponent.is_Integer and int(exponent) > 1:
            return self._power_base(expr.base) + str(exponent).translate(_SUPERSCRIPT)
        if exponent == -1 or (exponent.is_Rational and exponent.is_negative):
            return super()._print_Pow(expr, rational).replace("**", "^")  # x^(-2), as every other power
        base = self._power_base(expr.base)
        power = self._print(exponent)
        if precedence(exponent) < PRECEDENCE["Atom"] and not (exponent.is_Integer and exponent > 0):
            power = f"({power})"
        return f"{base}^{power}"

    def _power_base(self, base: sp.Expr) -> str:
        """The base of a power, bracketed where ``_grouping`` says: ``(Σ_k u_k·X_ik)²``, not
        ``Σ_k u_k·X_ik²`` (which reads as a sum of squares)."""
        text = self._print(base)
        return f"({text})" if power_base_needs_brackets(base) else text

    def _print_Add(self, expr, order=None) -> str:
        """Terms in the report's order (sigma(z) - y, B - 1), a minus for each negative term."""
        minus = "-" if self.ascii else "−"
        out = ""
        for position, term in enumerate(ordered_terms(expr)):
            negative = term.could_extract_minus_sign()
            shown = self.parenthesize(-term if negative else term, PRECEDENCE["Add"])
            if position == 0:
                out = (minus if negative else "") + shown
            else:
                out += f" {minus if negative else '+'} {shown}"
        return out

    def _print_KroneckerDelta(self, expr) -> str:
        return f"{'delta' if self.ascii else 'δ'}{self._index(expr.args)}"


def text(expr: sp.Basic, ascii: bool = False) -> str:
    """``expr`` as readable text (see the module docstring).

    >>> import sympy as sp
    >>> z, i, B = sp.Symbol("z", real=True), sp.Symbol("i", integer=True), sp.Symbol("B", integer=True)
    >>> y = sp.IndexedBase("y")
    >>> text(sp.Sum(y[i] * z**2, (i, 0, B - 1)) / B)
    '(Σ_{i=0}^{B − 1} (z²·y_i))/B'
    >>> text(sp.Sum(y[i] * z**2, (i, 0, B - 1)) / B, ascii=True)
    '(sum_{i=0}^{B - 1} (z^2*y_i))/B'
    """
    return TextPrinter(ascii).doprint(expr)
