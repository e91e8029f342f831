"""Forward-mode tagged dual numbers over certified intervals, for the numeric witness.

A :class:`Dual` is value + slope * eps_tag with eps_tag^2 = 0.  Nesting duals with
increasing tags gives higher derivatives without confusing them (the larger tag is
the inner derivative).  The base numbers are exact ``Fraction``s or ``mpmath.iv``
intervals; each function applies the chain rule f(a + b eps) = f(a) + f'(a) b eps
with f' itself dual-aware, sigmoid and tanh differentiated from their exp
definitions (sigma' = sigma (1 - sigma), tanh' = 1 - tanh^2), and the interval
primitives (with their definedness checks) of :mod:`._intervals`, the ones the certified evaluator uses.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp
from mpmath import iv

from .._vocabulary import sigmoid
from . import _intervals as intervals
from . import _semantics as semantics

__all__ = ["Dual", "UndefinedError", "UnsupportedError", "add", "mul", "power", "FUNCTIONS", "interval",
           "rational_interval", "exp", "log"]


class UndefinedError(Exception):
    """A side has no real value at this point."""


class UnsupportedError(Exception):
    """The expression holds something the witness cannot evaluate."""


@dataclass(frozen=True)
class Dual:
    """value + slope * eps_tag with eps_tag^2 = 0; a larger tag is an inner derivative."""

    value: object
    slope: object
    tag: int


def _top(x, y) -> int | None:
    tags = [v.tag for v in (x, y) if isinstance(v, Dual)]
    return max(tags) if tags else None


def _parts(x, tag: int):
    return (x.value, x.slope) if isinstance(x, Dual) and x.tag == tag else (x, 0)


def _coerce(x, y):
    """Exact rationals meet intervals as certified enclosures."""
    if isinstance(x, Fraction) and not isinstance(y, (Fraction, int)):
        return interval(x), y
    if isinstance(y, Fraction) and not isinstance(x, (Fraction, int)):
        return x, interval(y)
    return x, y


def add(x, y):
    tag = _top(x, y)
    if tag is None:
        x, y = _coerce(x, y)
        return x + y
    (a, b), (c, d) = _parts(x, tag), _parts(y, tag)
    return Dual(add(a, c), add(b, d), tag)


def mul(x, y):
    tag = _top(x, y)
    if tag is None:
        x, y = _coerce(x, y)
        return x * y
    (a, b), (c, d) = _parts(x, tag), _parts(y, tag)
    return Dual(mul(a, c), add(mul(a, d), mul(b, c)), tag)


def _apply(f: Callable, df: Callable, x):
    """f(x) with the chain rule f(a + b eps) = f(a) + f'(a) b eps; ``df`` is dual-aware."""
    if isinstance(x, Dual):
        return Dual(_apply(f, df, x.value), mul(df(x.value), x.slope), x.tag)
    return f(interval(x))


def power(x, exponent: Fraction):
    """x ** exponent for a constant rational exponent, by the table of :mod:`._semantics`."""
    if isinstance(x, Dual):
        slope = mul(mul(exponent, power(x.value, exponent - 1)), x.slope)
        return Dual(power(x.value, exponent), slope, x.tag)
    if isinstance(x, (Fraction, int)):
        if exponent.denominator != 1:
            raise UnsupportedError("a fractional power in exact arithmetic")
        if x == 0 and exponent < 0:
            raise UndefinedError
        return Fraction(x) ** int(exponent)
    return semantics.power(x, sp.Rational(exponent.numerator, exponent.denominator))


def exp(x):
    return _apply(lambda a: intervals.exp(a, None), exp, x)


def log(x):
    return _apply(lambda a: intervals.log(a, None), lambda a: power(a, Fraction(-1)), x)


def _sigmoid(x):
    """sigma = 1 / (1 + exp(-x)), sigma' = sigma (1 - sigma), from the exp definition."""
    return _apply(lambda a: intervals.sigmoid(a, None),
                  lambda a: mul(_sigmoid(a), add(1, mul(-1, _sigmoid(a)))), x)


def _tanh(x):
    """tanh = 1 - 2 / (exp(2x) + 1), tanh' = 1 - tanh^2."""
    return _apply(lambda a: intervals.tanh(a, None),
                  lambda a: add(1, mul(-1, mul(_tanh(a), _tanh(a)))), x)


def _sign(x):
    x = x.value if isinstance(x, Dual) else x
    if isinstance(x, Dual):
        return _sign(x)
    if x.a > 0:
        return 1
    if x.b < 0:
        return -1
    raise intervals.UnknownError("|x| is not differentiable where x may be 0")


def _abs(x):
    return _apply(abs, _sign, x)


FUNCTIONS = {sp.exp: exp, sp.log: log, sigmoid: _sigmoid, sp.tanh: _tanh, sp.Abs: _abs}


@functools.lru_cache(maxsize=4096)
def rational_interval(number: sp.Rational):
    return iv.mpf(int(number.p)) / int(number.q)


def interval(x):
    """An exact rational as its certified enclosure (outward-rounded division)."""
    if isinstance(x, Fraction):
        return iv.mpf(x.numerator) / x.denominator
    if isinstance(x, int):
        return iv.mpf(x)
    return x
