"""The real-valued semantics of every operation a formula may use: one table for all.

The parser's definedness conditions (:mod:`gradproof.symbolic._checker._parse`), the certified
evaluator (:mod:`._certified`) and the witness's dual numbers (:mod:`._dual`) all read this
table, so "defined" means the same thing wherever it is decided.

==========================================  ==============================  =====================
operation                                   defined where                   value on the boundary
==========================================  ==============================  =====================
``a + b``, ``a * b``, ``exp``, ``sigmoid``,  everywhere
``tanh``
``a / b`` (``b**-1``)                       b != 0
``x**n``, n a nonnegative integer           everywhere                      0**0 = 1
``x**n``, n a negative integer              x != 0
``x**r``, r > 0 a non-integer rational      x >= 0                          0**r = 0
``x**r``, r < 0 a non-integer rational      x > 0
``x**a``, a not constant                    x > 0, or x = 0 and a >= 0      0**a = 0 (a > 0), 0**0 = 1
``log(x)``                                  x > 0
==========================================  ==============================  =====================

A negative base under a non-integer or non-constant power is undefined (no real odd roots:
``(-8)**(1/3)`` is not -2 here), as in SymPy's and NumPy's principal branch.  Each *kind* of
condition names one row: "nonzero", "nonnegative", "positive" and "power" (the two-part
condition of a non-constant exponent).  :func:`judge` decides a kind from enclosures.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from mpmath import iv

from . import _intervals as intervals

__all__ = ["KINDS", "TABLE", "power_kind", "judge", "failure", "power", "zero_base_power", "violated_text",
           "strict_kind"]

TABLE: tuple[tuple[str, str, str], ...] = (
    ("a + b, a * b, exp, sigmoid, tanh", "everywhere", ""),
    ("a / b", "b != 0", ""),
    ("x**n, n a nonnegative integer", "everywhere", "0**0 = 1"),
    ("x**n, n a negative integer", "x != 0", ""),
    ("x**r, r > 0 a non-integer rational", "x >= 0", "0**r = 0"),
    ("x**r, r < 0 a non-integer rational", "x > 0", ""),
    ("x**a, a not constant", "x > 0, or x = 0 and a >= 0", "0**a = 0 for a > 0, 0**0 = 1"),
    ("log(x)", "x > 0", ""),
)
"""The table above as data: (operation, defined where, value on the boundary)."""

KINDS = ("nonzero", "nonnegative", "positive", "power")


def power_kind(exponent: sp.Expr) -> str | None:
    """The condition a base needs under ``exponent`` (None: every real base will do)."""
    if exponent.is_Integer:
        return "nonzero" if exponent.is_negative else None
    if exponent.is_Rational:
        return "nonnegative" if exponent.is_positive else "positive"
    if exponent.is_number and exponent.is_real:  # a constant such as pi or sqrt(2)
        return "nonnegative" if exponent.is_positive else "positive"
    return "power"


def strict_kind(kind: str) -> str:
    """The kind that also makes the operation differentiable (smooth) there: a boundary point
    (a square root at 0, a power 0**a) is defined but not differentiable."""
    return {"nonnegative": "positive", "power": "positive"}.get(kind, kind)


def judge(kind: str, low, high, exponent: tuple | None = None) -> str:
    """"holds", "fails" or "unknown" for a quantity enclosed in [low, high] (and, for "power",
    the exponent enclosed in ``exponent`` = (low, high), or None when it has no value)."""
    if kind == "nonzero":
        return "holds" if low > 0 or high < 0 else "fails" if low == high == 0 else "unknown"
    if kind == "positive":
        return "holds" if low > 0 else "fails" if high <= 0 else "unknown"
    if kind == "nonnegative":
        return "holds" if low >= 0 else "fails" if high < 0 else "unknown"
    if kind == "power":
        if low > 0:
            return "holds"
        if high < 0:
            return "fails"
        if low == high == 0 and exponent is not None:
            return judge("nonnegative", *exponent)
        return "unknown"
    raise ValueError(f"kind: unknown condition kind {kind!r}")


def failure(kind: str, low, high, exponent: tuple | None = None) -> str | None:
    """"strict" where the condition fails on a whole neighbourhood of the point (the quantity is
    certainly on the wrong side of 0), "boundary" where it fails at the point only (the quantity
    is exactly 0 where that is not allowed), None where it does not certainly fail."""
    if judge(kind, low, high, exponent) != "fails":
        return None
    return "boundary" if low == high == 0 else "strict"


def violated_text(kind: str, quantity: str, exponent: str = "") -> str:
    """Where a condition fails, in words."""
    if kind == "power":
        return f"where {quantity} < 0, or {quantity} = 0 and {exponent} < 0"
    relation = {"nonzero": "= 0", "positive": "<= 0", "nonnegative": "< 0"}[kind]
    return f"where {quantity} {relation}"


def zero_base_power(exponent_low, exponent_high) -> Any:
    """0**a by the table: 0 for a > 0, 1 for a = 0; undefined for a < 0, unknown if a may be 0."""
    if exponent_low > 0:
        return iv.mpf(0)
    if exponent_low == exponent_high == 0:
        return iv.mpf(1)
    if exponent_high < 0:
        raise intervals.UndefinedError("0 raised to a negative power")
    raise intervals.UnknownError("cannot tell the sign of an exponent over a zero base")


def power(base, exponent, node=None, constant: bool = True) -> Any:
    """base**exponent for an interval base, by the table.

    ``exponent`` is a ``sp.Rational`` (a constant exponent) or an interval (``constant`` False:
    an exponent that depends on the point).
    """
    low, high = intervals.lower(base), intervals.upper(base)
    if constant and sp.Rational(exponent).is_Integer:
        n = int(exponent)
        if abs(n) > 2**20:
            raise intervals.UnknownError(f"the exponent of {sp.sstr(node)} is too large to evaluate")
        if n < 0:
            base = intervals.reciprocal(base, node)
        return base ** abs(n) if n else iv.mpf(1)
    if constant:
        r = sp.Rational(exponent)
        e = intervals.exact(r)
        if high < 0 or (r < 0 and high <= 0):
            raise intervals.UndefinedError(f"{sp.sstr(node)} is not real: a negative base under a non-integer power")
        if low < 0:
            raise intervals.UnknownError(f"cannot tell whether the base of {sp.sstr(node)} is nonnegative")
        if low == 0:
            if r < 0:
                raise intervals.UnknownError(f"cannot tell whether the base of {sp.sstr(node)} is positive")
            top = intervals.upper(intervals.exp(e * iv.log(iv.mpf(high)), node)) if high > 0 else 0
            return iv.mpf([0, top])
        return intervals.exp(e * iv.log(base), node)
    e_low, e_high = intervals.lower(exponent), intervals.upper(exponent)
    if low == high == 0:
        return zero_base_power(e_low, e_high)
    if high < 0:
        raise intervals.UndefinedError(f"{sp.sstr(node)} is not real: a negative base under a non-constant power")
    if low <= 0:
        raise intervals.UnknownError(f"cannot tell whether the base of {sp.sstr(node)} is positive")
    return intervals.exp(exponent * iv.log(base), node)

