"""Linear facts about integer symbols: is a condition implied by the stated index ranges?

A derivation states the ranges of its indices (``(k, 0, n - 1)`` for 0 <= k <= n - 1);
sizes such as n are positive integers and indices nonnegative integers by their SymPy
assumptions.  Guards that SymPy leaves (``Piecewise((x[k], k <= n - 1), (0, True))``)
and guard substitutions (``n = k + 1 + q``) are discharged only by proving them from
these facts, never by assuming them.

The proof is Fourier-Motzkin elimination: ``facts and not(goal)`` has no rational
solution, hence no integer one.  Each inequality with integer coefficients is tightened
first (sum a_v v + c >= 0 with g = gcd(a) becomes sum (a_v/g) v + floor(c/g) >= 0), which
is sound for integer symbols.  Anything that is not affine with rational coefficients in
integer symbols is never proved: the answer is then "unknown" (False here), never a guess.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction

import sympy as sp

__all__ = ["Ranges", "implied", "infeasible", "within"]

Ranges = tuple[tuple[sp.Symbol, sp.Expr, sp.Expr], ...]
_Row = dict  # symbol -> Fraction, with key 1 for the constant term: sum + c >= 0
_MAX_ROWS = 400


def _affine(expr: sp.Expr) -> _Row | None:
    """expr as {symbol: coefficient, 1: constant} when affine in integer symbols."""
    expr = sp.expand(expr)
    if not all(s.is_integer for s in expr.free_symbols):
        return None
    try:
        poly = sp.Poly(expr, *sorted(expr.free_symbols, key=sp.default_sort_key))
    except sp.PolynomialError:
        return None
    if poly.total_degree() > 1 or not all(c.is_Rational for c in poly.coeffs()):
        return None
    row: _Row = {1: Fraction(0)}
    for monom, coeff in poly.terms():
        key = 1 if sum(monom) == 0 else poly.gens[monom.index(1)]
        row[key] = row.get(key, Fraction(0)) + Fraction(int(coeff.p), int(coeff.q))
    return row


def _tightened(row: _Row) -> _Row:
    """Divide by the gcd of the coefficients and round the constant down (integers only)."""
    coeffs = [c for key, c in row.items() if key != 1 and c != 0]
    if not coeffs or any(c.denominator != 1 for c in coeffs):
        return row
    g = math.gcd(*(int(c) for c in coeffs))
    out = {key: c / g for key, c in row.items() if key != 1 and c != 0}
    out[1] = Fraction(math.floor(row[1] / g))
    return out


def _nonnegative_rows(cond: sp.Basic) -> list[_Row] | None:
    """A relational as rows that are each >= 0 (Eq gives two); None if not linear."""
    if cond in (sp.true, True):
        return []
    if cond in (sp.false, False):
        return [{1: Fraction(-1)}]
    if not isinstance(cond, (sp.Le, sp.Lt, sp.Ge, sp.Gt, sp.Eq)):
        return None
    big, small = (cond.rhs, cond.lhs) if isinstance(cond, (sp.Le, sp.Lt)) else (cond.lhs, cond.rhs)
    row = _affine(big - small)
    if row is None:
        return None
    scale = math.lcm(*(c.denominator for c in row.values()))
    row = {key: c * scale for key, c in row.items()}  # integer coefficients: an integer value
    if isinstance(cond, (sp.Lt, sp.Gt)):
        row[1] -= 1  # an integer a < b means b - a - 1 >= 0
    if isinstance(cond, sp.Eq):
        return [row, {key: -c for key, c in row.items()}]
    return [row]


def _fourier_motzkin_empty(rows: list[_Row]) -> bool:
    """True when the rows (each sum + c >= 0) have no rational solution."""
    rows = [_tightened(r) for r in rows]
    while True:
        if any(len([k for k, c in r.items() if k != 1 and c != 0]) == 0 and r[1] < 0 for r in rows):
            return True
        symbols = {k for r in rows for k, c in r.items() if k != 1 and c != 0}
        if not symbols or len(rows) > _MAX_ROWS:
            return False
        var = min(symbols, key=lambda s: sum(1 for r in rows if r.get(s, 0) != 0))
        upper = [r for r in rows if r.get(var, 0) < 0]
        lower = [r for r in rows if r.get(var, 0) > 0]
        rest = [r for r in rows if r.get(var, 0) == 0]
        for lo in lower:
            for up in upper:
                a, b = lo[var], -up[var]
                keys = set(lo) | set(up)
                combined = {key: b * lo.get(key, 0) + a * up.get(key, 0) for key in keys}
                combined.pop(var, None)
                combined.setdefault(1, Fraction(0))
                rest.append(_tightened(combined))
        rows = rest


def _facts(symbols: Iterable[sp.Symbol], ranges: Ranges) -> list[_Row]:
    """Rows stating each integer symbol's sign and each stated range."""
    rows: list[_Row] = []
    seen = set(symbols) | {v for v, _, _ in ranges}
    seen |= {s for _, lo, hi in ranges for s in (lo - hi).free_symbols}
    for s in seen:
        if s.is_integer and s.is_positive:
            rows.append({s: Fraction(1), 1: Fraction(-1)})
        elif s.is_integer and s.is_nonnegative:
            rows.append({s: Fraction(1), 1: Fraction(0)})
    for var, lo, hi in ranges:
        rows += (_nonnegative_rows(sp.Le(lo, var, evaluate=False)) or [])
        rows += (_nonnegative_rows(sp.Le(var, hi, evaluate=False)) or [])
    return rows


def infeasible(cond: sp.Basic, ranges: Ranges = ()) -> bool:
    """True when no integer point of the stated ranges satisfies ``cond``."""
    if cond in (sp.false, False):
        return True
    cond = cond.replace(lambda e: isinstance(e, sp.Ne),
                        lambda e: sp.Or(sp.Lt(e.lhs, e.rhs), sp.Gt(e.lhs, e.rhs)))
    for conjunct in sp.Or.make_args(sp.to_dnf(cond)):
        rows: list[_Row] = []
        for atom in sp.And.make_args(conjunct):
            more = _nonnegative_rows(atom)
            if more is None:
                return False
            rows += more
        facts = _facts(conjunct.free_symbols, ranges)
        if not _fourier_motzkin_empty(facts + rows):
            return False
    return True


def implied(cond: sp.Basic, ranges: Ranges = ()) -> bool:
    """True when every integer point of the stated ranges satisfies ``cond``."""
    if cond in (sp.true, True):
        return True
    return infeasible(sp.Not(cond), ranges)


def within(ranges: Ranges, limits: Ranges) -> Ranges:
    """The ranges that hold inside a sum with these limits: a range of (or through) a symbol
    the sum binds again no longer applies there; the limits do."""
    bound = {var for var, _, _ in limits}
    outer = tuple(r for r in ranges if not bound & set().union(*(sp.sympify(e).free_symbols for e in r)))
    return outer + tuple(limits)
