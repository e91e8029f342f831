"""Certified evaluation: rigorous enclosures of a SymPy expression at an exact point.

An *enclosure* of a real number v is an interval [a, b] with a <= v <= b, computed
with ``mpmath.iv`` (outward-rounded interval arithmetic), so every rounding error
is accounted for.  Two expressions are *certainly different* at a point when their
enclosures there are disjoint; nothing is ever concluded from overlapping ones
except "consistent with equal".

The expression is walked by hand, each node mapped to its interval operation:
numbers (exact rationals), ``pi``, ``E``, the point's symbols and ``Indexed``
entries, ``+``, ``*``, powers, ``exp``, ``log``, ``tanh``, ``sigmoid``, ``Abs``,
``KroneckerDelta`` and ``Sum`` with integer limits.  Anything else is *unknown*.

Definedness is part of the answer, by the one table of :mod:`._semantics` (0**0 = 1, the
square root of 0 is 0, 0**a = 0 for a > 0).  A node outside its real domain (a zero
divisor, ``log`` of a non-positive number, a negative base under a fractional
power) makes the value *undefined* when the enclosure proves it (the divisor's
enclosure is exactly [0, 0], the log's argument lies in (-inf, 0]), and *unknown*
when the enclosure only allows it (it straddles 0): then the precision is raised.

Catastrophic cancellation widens the intervals instead of giving wrong digits;
precision is doubled up to :data:`MAX_PREC` bits, and past that the answer is
"unknown".  Time limits count CPU time of this process (``time.process_time``), so an
answer does not change with the load of the machine.  Magnitudes are bounded too: ``exp`` of an argument above
2**:data:`MAX_EXPONENT_BITS` is unknown rather than computed, so ``exp(exp(exp(10)))``
answers at once.

>>> import sympy as sp
>>> z = sp.Symbol("z", real=True)
>>> evaluate(sp.exp(z) - 1, {z: sp.Rational(1, 3)}).kind
'value'
>>> evaluate(1/(sp.exp(z) - 1), {z: 0}).kind
'undefined'
>>> compare(sp.tanh(z), 1 - 2/(sp.exp(2*z) + 1), {z: sp.Rational(7, 5)})
'agree'
>>> compare(sp.tanh(z), sp.tanh(z) + sp.Rational(1, 10**40), {z: 1})
'disjoint'
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp
from mpmath import iv

from .._vocabulary import sigmoid
from . import _intervals as intervals
from . import _semantics as semantics
from ._intervals import MAX_EXPONENT_BITS, UndefinedError, UnknownError

__all__ = ["Enclosure", "enclose", "evaluate", "compare", "certainly_different",
           "describe", "START_PREC", "MAX_PREC", "MAX_EXPONENT_BITS"]

START_PREC = 64
MAX_PREC = 8192
MAX_SUM_TERMS = 10_000
NARROW_BITS = 40
AGREE_BITS = 192


@dataclass(frozen=True)
class Enclosure:
    """The outcome of a certified evaluation.

    ``kind`` is ``"value"`` (``interval`` holds the true value), ``"undefined"``
    (the expression is certainly not a real number at the point: ``reason`` says
    which node) or ``"unknown"`` (nothing certified; ``reason`` says why).
    """

    kind: str
    interval: object = None
    prec: int = 0
    reason: str = ""

    @property
    def low(self) -> mpmath.mpf:
        """The lower end of ``interval`` (a value only)."""
        return intervals.lower(self.interval)

    @property
    def high(self) -> mpmath.mpf:
        """The upper end of ``interval`` (a value only)."""
        return intervals.upper(self.interval)

    def narrow(self, bits: int = NARROW_BITS) -> bool:
        """A value whose width is at most 2**-bits of max(1, |value|)."""
        if self.kind != "value":
            return False
        a, b = intervals.lower(self.interval), intervals.upper(self.interval)
        scale = max(abs(a), abs(b), 1)
        return bool(mpmath.fsub(b, a, rounding="u") <= scale * mpmath.ldexp(1, -bits))


def _power(base, exponent: sp.Expr, node, point, ctx) -> Any:
    """base**exponent in the reals, by the one table of :mod:`._semantics`."""
    if exponent.is_Rational:
        return semantics.power(base, exponent, node)
    return semantics.power(base, _walk(exponent, point, ctx), node, constant=False)


def _sum(node: sp.Sum, point, ctx) -> Any:
    """A finite sum with integer limits, term by term."""
    (var, low, high), *rest = node.limits
    low, high = sp.sympify(low).xreplace(point), sp.sympify(high).xreplace(point)
    if not (low.is_Integer and high.is_Integer) or int(high) - int(low) > MAX_SUM_TERMS:
        raise UnknownError(f"the limits of {sp.sstr(node)} are not small integers")
    inner = sp.Sum(node.function, *rest) if rest else node.function
    total = iv.mpf(0)
    for value in range(int(low), int(high) + 1):
        total += _walk(inner, {**point, var: sp.Integer(value)}, ctx)
    return total


def _walk(node: sp.Expr, point: Mapping, ctx) -> Any:
    if time.process_time() > ctx["deadline"]:
        raise UnknownError("time limit")
    if node in point:
        return intervals.exact(point[node])
    if node in _NOT_REAL:
        raise UndefinedError(f"{sp.sstr(node)} is not a real number")
    if node.is_Float:  # a binary float is an exact rational
        return intervals.exact(sp.Rational(node))
    if node.is_Rational:
        return intervals.exact(node)
    if node is sp.pi:
        return iv.pi
    if node is sp.E:
        return iv.e
    if node.is_Add:
        return sum((_walk(a, point, ctx) for a in node.args), iv.mpf(0))
    if node.is_Mul:
        product = iv.mpf(1)
        for a in node.args:
            product *= _walk(a, point, ctx)
        return product
    if node.is_Pow:
        return _power(_walk(node.base, point, ctx), node.exp, node, point, ctx)
    if isinstance(node, sp.Indexed):
        indexed = node.func(node.base, *[sp.sympify(i).xreplace(point) for i in node.indices])
        if indexed in point:
            return intervals.exact(point[indexed])
    elif isinstance(node, sp.Sum):
        return _sum(node, point, ctx)
    elif isinstance(node, sp.KroneckerDelta):
        i, j = (sp.sympify(a).xreplace(point) for a in node.args)
        if i.is_Integer and j.is_Integer:
            return iv.mpf(int(i == j))
    elif len(node.args) == 1 and type(node) in _FUNCTIONS:
        return _FUNCTIONS[type(node)](_walk(node.args[0], point, ctx), node)
    raise UnknownError(f"cannot evaluate {sp.sstr(node)} at the point")


_NOT_REAL = {sp.nan, sp.zoo, sp.oo, -sp.oo, sp.I}


_FUNCTIONS = {sp.exp: intervals.exp, sp.log: intervals.log, sp.tanh: intervals.tanh, sigmoid: intervals.sigmoid,
              sp.Abs: lambda x, node: abs(x)}


def enclose(expr: sp.Expr, point: Mapping[sp.Expr, sp.Rational], prec: int = START_PREC):
    """An ``mpmath.iv`` interval holding the value of ``expr`` at ``point``, or None.

    ``point`` maps every free symbol (and ``Indexed`` entry) to an exact rational.
    None means the expression is undefined there or could not be enclosed at
    ``prec`` bits; :func:`evaluate` says which.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> print(enclose(sp.log(x), {x: 2}, prec=64))
    [0.69314718055994530937, 0.69314718055994530943]
    >>> enclose(sp.log(x), {x: -1}) is None
    True
    """
    found = _enclosure(sp.sympify(expr), point, prec, time.process_time() + 1.0)
    return found.interval if found.kind == "value" else None


def _enclosure(expr: sp.Expr, point: Mapping, prec: int, deadline: float) -> Enclosure:
    saved = iv.prec
    try:
        iv.prec = prec
        value = _walk(expr, point, {"deadline": deadline})
        if not (mpmath.isfinite(intervals.lower(value)) and mpmath.isfinite(intervals.upper(value))):
            return Enclosure("unknown", prec=prec, reason="an intermediate value overflowed")
        return Enclosure("value", value, prec)
    except UndefinedError as why:
        return Enclosure("undefined", prec=prec, reason=str(why))
    except UnknownError as why:
        return Enclosure("unknown", prec=prec, reason=str(why))
    except (ArithmeticError, ValueError, MemoryError, RecursionError) as why:
        return Enclosure("unknown", prec=prec, reason=f"{type(why).__name__} while evaluating")
    finally:
        iv.prec = saved


def evaluate(expr: sp.Expr, point: Mapping[sp.Expr, sp.Rational], *,
             max_prec: int = MAX_PREC, seconds: float = 1.0, bits: int = NARROW_BITS) -> Enclosure:
    """Enclose ``expr`` at ``point``, raising the precision until the enclosure is narrow
    (width at most 2**-bits relative).

    Returns the first narrow value, or "undefined" as soon as it is certain, or the
    widest precision's outcome ("unknown" or a wide value) when ``max_prec`` bits or
    ``seconds`` run out.
    """
    expr, deadline = sp.sympify(expr), time.process_time() + seconds
    prec, found = START_PREC, Enclosure("unknown", reason="not evaluated")
    while prec <= max_prec and time.process_time() < deadline:
        found = _enclosure(expr, point, prec, deadline)
        if found.kind == "undefined" or found.narrow(bits):
            return found
        prec *= 4
    return found


def compare(a: sp.Expr, b: sp.Expr, point: Mapping[sp.Expr, sp.Rational], *,
            max_prec: int = MAX_PREC, seconds: float = 2.0) -> str:
    """Compare two expressions at ``point``: "agree", "disjoint" or "unknown".

    "disjoint": both are defined there and their enclosures do not meet, a proof
    that a != b at the point.  "agree": both defined, enclosures narrow (width at
    most 2**-192, about 1e-58, relative) and overlapping; evidence, not proof, of
    a == b.
    "unknown": anything else, including a side that is undefined.
    """
    a, b, deadline = sp.sympify(a), sp.sympify(b), time.process_time() + seconds
    prec = START_PREC
    while prec <= max_prec and time.process_time() < deadline:
        left = _enclosure(a, point, prec, deadline)
        right = _enclosure(b, point, prec, deadline)
        if "undefined" in (left.kind, right.kind):
            return "unknown"
        if left.kind == right.kind == "value":
            if intervals.disjoint(left.interval, right.interval):
                return "disjoint"
            if left.narrow(AGREE_BITS) and right.narrow(AGREE_BITS):
                return "agree"
        prec *= 4
    return "unknown"


def certainly_different(a: sp.Expr, b: sp.Expr, point: Mapping[sp.Expr, sp.Rational]) -> bool:
    """True only when both sides are defined at ``point`` and certainly differ there."""
    return compare(a, b, point) == "disjoint"


def _short(value: mpmath.mpf, digits: int) -> str:
    if value == 0 or not mpmath.isfinite(value) or abs(mpmath.mag(value)) < 3000:
        return mpmath.nstr(value, digits)
    return f"{'-' if value < 0 else ''}10^{mpmath.nstr(mpmath.log10(abs(value)), 6)}"


def describe(found: Enclosure, digits: int = 8) -> str:
    """A short text for an enclosure: its midpoint to ``digits`` digits when it is
    narrow, both ends when it is wide, else why there is no value.

    Huge magnitudes print as a power of ten, computed from the interval, never
    by expanding the number.

    >>> import sympy as sp
    >>> describe(evaluate(sp.exp(sp.exp(1000)), {}, seconds=60))
    '10^8.55591e+433'
    """
    if found.kind != "value":
        return f"undefined ({found.reason})" if found.kind == "undefined" else "unknown"
    a, b = intervals.lower(found.interval), intervals.upper(found.interval)
    if found.narrow():
        return _short(mpmath.ldexp(mpmath.fadd(a, b, exact=True), -1), digits)
    return f"in [{_short(a, 3)}, {_short(b, 3)}]"
