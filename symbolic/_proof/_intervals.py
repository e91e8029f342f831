"""Interval arithmetic on ``mpmath.iv`` intervals, each operation sound in the reals.

The one set of interval operations of the proof engine: the certified evaluator
(:mod:`._certified`) and the dual numbers of the witness (:mod:`._dual`) both call these.
An operation outside its real domain raises :class:`UndefinedError` when the interval proves it
(a divisor exactly [0, 0], a log of an interval in (-inf, 0]) and :class:`UnknownError` when the
interval only allows it (it straddles 0), or when the value is too large to compute (``exp`` of
an argument above 2**``MAX_EXPONENT_BITS``).  ``node``, where given, names the expression in
the message.
"""

from __future__ import annotations

from typing import Any

import mpmath
import sympy as sp
from mpmath import iv

__all__ = ["UndefinedError", "UnknownError", "MAX_EXPONENT_BITS", "exact", "lower", "upper", "contains_zero",
           "is_zero", "reciprocal", "log", "exp", "tanh", "sigmoid", "disjoint"]

MAX_EXPONENT_BITS = 4096


class UndefinedError(Exception):
    """The enclosure proves that a node is outside its real domain at the point."""


class UnknownError(Exception):
    """The enclosure cannot be computed at this precision (or at all)."""


def exact(value) -> Any:
    value = sp.Rational(value)
    return iv.mpf(int(value.p)) / iv.mpf(int(value.q))


def lower(x) -> mpmath.mpf:
    return mpmath.mp.make_mpf(x._mpi_[0])


def upper(x) -> mpmath.mpf:
    return mpmath.mp.make_mpf(x._mpi_[1])


def contains_zero(x) -> bool:
    return lower(x) <= 0 <= upper(x)


def is_zero(x) -> bool:
    return lower(x) == 0 and upper(x) == 0


def reciprocal(x, node=None) -> Any:
    if is_zero(x):
        raise UndefinedError(f"division by zero in {sp.sstr(node)}")
    if contains_zero(x):
        raise UnknownError(f"cannot tell whether the divisor in {sp.sstr(node)} is zero")
    return 1 / x


def log(x, node=None) -> Any:
    if upper(x) <= 0:
        raise UndefinedError(f"log of a non-positive number in {sp.sstr(node)}")
    if lower(x) <= 0:
        raise UnknownError(f"cannot tell whether the argument of {sp.sstr(node)} is positive")
    return iv.log(x)


def exp(x, node=None) -> Any:
    """exp is increasing: exp([a, b]) = [exp(a), exp(b)]; below -CAP the lower end is 0."""
    cap = mpmath.mpf(2) ** MAX_EXPONENT_BITS
    a, b = lower(x), upper(x)
    if b > cap:
        raise UnknownError(f"the argument of {sp.sstr(node)} exceeds 2**{MAX_EXPONENT_BITS}")
    if a >= -cap:
        return iv.exp(x)
    return iv.mpf([0, upper(iv.exp(iv.mpf(max(b, -cap))))])


def tanh(x, node=None) -> Any:
    return 1 - 2 / (exp(2 * x, node) + 1)


def sigmoid(x, node=None) -> Any:
    return 1 / (1 + exp(-x, node))


def disjoint(a, b) -> bool:
    """Whether two intervals share no point: then the numbers they hold differ."""
    return bool(upper(a) < lower(b) or upper(b) < lower(a))
