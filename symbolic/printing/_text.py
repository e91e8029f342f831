"""Plain text a student can read: one index notation and Unicode maths (``--ascii`` for terminals
without it).

Entries of indexed quantities are written with their indices after an underscore, always the same
way: ``z_i``, ``y_i``, ``X_ik``, ``w_k`` (indices longer than one character in braces, ``X_{i,k+1}``);
``sigmoid`` is ``σ``, a sum is ``Σ_{i=0}^{B-1} (...)``, a derivative ``∂/∂w_k [...]``, products a
middle dot and powers superscripts where Unicode has them.  With ``ascii=True`` the same layout
uses ``sigma``, ``sum``, ``d/dw_k`` and ``^``.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.str import StrPrinter

from ._typst import ordered_terms

__all__ = ["text", "TextPrinter"]

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


class TextPrinter(StrPrinter):
    """SymPy's string printer with one index notation and, unless ``ascii``, Unicode symbols."""

    printmethod = "_gradproof_text"  # not the objects' own _sympystr (Indexed prints x[k] through it)

    def __init__(self, ascii: bool = False):
        super().__init__()
        self.ascii = ascii

    def _index(self, indices) -> str:
        parts = [self._print(i) for i in indices]
        if all(len(p) == 1 for p in parts):
            return "_" + "".join(parts)
        return "_{" + ",".join(parts) + "}"

    def _print_Indexed(self, expr) -> str:
        return f"{self._print(expr.base.label)}{self._index(expr.indices)}"

    def _print_Symbol(self, expr) -> str:
        name = expr.name
        if not self.ascii:
            name = {"omega": "ω", "sigma": "σ", "pi": "π"}.get(name, name)
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
        printed = super()._print_Mul(expr)
        return printed if self.ascii else printed.replace("*", "·")

    def _print_Pow(self, expr, rational=False) -> str:
        exponent = expr.exp
        if not self.ascii and exponent.is_Integer and int(exponent) > 1:
            base = self.parenthesize(expr.base, PRECEDENCE["Pow"], strict=True)
            return base + str(exponent).translate(_SUPERSCRIPT)
        if exponent == -1 or (exponent.is_Rational and exponent.is_negative):
            return super()._print_Pow(expr, rational)
        base = self.parenthesize(expr.base, PRECEDENCE["Pow"], strict=True)
        power = self._print(exponent)
        if precedence(exponent) < PRECEDENCE["Atom"] and not (exponent.is_Integer and exponent > 0):
            power = f"({power})"
        return f"{base}^{power}"

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
    'Σ_{i=0}^{B − 1} (z²·y_i)/B'
    >>> text(sp.Sum(y[i] * z**2, (i, 0, B - 1)) / B, ascii=True)
    'sum_{i=0}^{B - 1} (z^2*y_i)/B'
    """
    return TextPrinter(ascii).doprint(expr)
