"""The second witness for a derivation step: both sides evaluated at concrete points.

Every size (a positive integer symbol: n, B, H, D, K) takes concrete values (1, 2, 3
and 4 for all sizes at once, then each size alone at its extremes, then sizes drawn from 5-12 with
fresh entropy, so that a factor such as (n - 1)(n - 2)(n - 3)(n - 4) cannot hide a difference at every
size tried; a factor vanishing at all of 1-12 still can, which is why a step whose sides are exactly 0
at every point tried confirms nothing, and why the kernel's rules, not the witness, guard substitutions
and captures), every free index
a value in its stated range, every real symbol and every entry of an indexed
symbol a random rational.  Each side is then evaluated by plain arithmetic, with
nothing of the exact engine: a sum is a loop over its concrete range (its bounds
evaluated first, never substituted into the sum), a Kronecker delta compares two
integers, a derivative is taken in forward mode (tagged dual numbers, sigmoid and
tanh differentiated from their exp definitions), and every real number is an
interval of ``mpmath.iv`` at 128 bits plus twice the bits of the largest number written in the step
(a 1e-60 coefficient cannot hide under a fixed precision), so each value comes with a certified
enclosure (the interval primitives, with their definedness checks, are those of
:mod:`gradproof.symbolic._proof._certified`).  Two sides *differ* at a point only when their enclosures are disjoint.
A point where a side is undefined (log of a nonpositive number, division by an
interval holding 0) is skipped.  Hypotheses are honoured exactly: ``y = 0`` sets a
value, ``sum_c y_c = 1`` solves for the last entry in exact rational arithmetic.
"""

from __future__ import annotations

import functools
import itertools
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import sympy as sp
from mpmath import iv

from . import _dual as dual
from . import _intervals as intervals
from . import _semantics as semantics

__all__ = ["Comparison", "compare", "describe", "free_symbols", "SIZES"]

SIZES = (1, 2, 3, 4)
RANDOM_SIZES = (5, 12)
"""Besides SIZES, every comparison draws RANDOM_DRAWS size assignments from this range with fresh
entropy (``random.SystemRandom``): a factor that vanishes at the fixed sizes cannot hide a wrong
step from a draw it cannot know."""
RANDOM_DRAWS = 1
PRECISION = 128
GUARD_BITS = 64
"""Bits of precision beyond the smallest coefficient written in a step (see :func:`precision_for`)."""
MAX_PRECISION = 8192
INDEX_TUPLES = 2
MIN_POINTS = 4
ATTEMPTS = 6
UNSTATED_INDICES = range(0, 5)


@dataclass(frozen=True)
class Comparison:
    """``agreed`` points where the enclosures of the two sides overlap; ``point`` (with
    ``detail``) where they are disjoint, if one was found.  ``confirms`` when no point
    differs and at least MIN_POINTS agree (an expression the witness cannot evaluate
    confirms nothing)."""

    agreed: int
    point: dict | None = None
    detail: str = ""

    @property
    def confirms(self) -> bool:
        return self.point is None and self.agreed >= MIN_POINTS


@contextmanager
def _precision(bits: int) -> Iterator[None]:
    previous = iv.prec
    iv.prec = bits
    try:
        yield
    finally:
        iv.prec = previous


# --- evaluation -----------------------------------------------------------------------

class _Point:
    """Concrete integers for the integer symbols and rationals for every real leaf,
    drawn on first use (a leaf is a real symbol or an indexed entry with integer indices)."""

    def __init__(self, integers: dict, rng: random.Random):
        self.integers = integers
        self.values: dict = {}
        self.intervals: dict = {}
        self.rng = rng

    def draw(self) -> Fraction:
        denominator = self.rng.randint(1, 16)
        if self.rng.random() < 0.5:
            return Fraction(self.rng.randint(1, denominator - 1) if denominator > 1 else 1, denominator + 1)
        return Fraction(self.rng.randint(-3 * denominator, 3 * denominator), denominator)

    def value(self, leaf) -> Fraction:
        if leaf not in self.values:
            self.values[leaf] = self.draw()
        return self.values[leaf]

    def interval(self, leaf):
        if leaf not in self.intervals:
            self.intervals[leaf] = dual.interval(self.value(leaf))
        return self.intervals[leaf]


class _Evaluator:
    """Evaluate a SymPy expression at a point, exactly (Fractions) or in intervals."""

    def __init__(self, point: _Point, exact: bool = False, overrides: dict | None = None):
        self.point, self.exact = point, exact
        self.overrides = overrides or {}
        self.cache: dict = {}
        self.tags = itertools.count(1)

    def integer(self, expr: sp.Expr, env: dict) -> int:
        if expr in env:
            return env[expr]
        if expr in self.point.integers:
            return self.point.integers[expr]
        if isinstance(expr, (int, sp.Integer)):
            return int(expr)
        value = sp.sympify(expr).xreplace({s: sp.Integer(v) for s, v in {**self.point.integers, **env}.items()})
        if not value.is_Integer:
            raise dual.UnsupportedError(f"{sp.sstr(expr)}: it has no integer value")
        return int(value)

    def leaf(self, expr, env):
        if isinstance(expr, sp.Indexed):
            return (expr.base, tuple(self.integer(i, env) for i in expr.indices))
        return expr

    def real(self, key):
        if key in self.overrides:
            value = self.overrides[key]
            return value if self.exact else dual.interval(value)
        return self.point.value(key) if self.exact else self.point.interval(key)

    def __call__(self, expr: sp.Expr, env: dict | None = None):
        env = env or {}
        key = (expr, tuple(env[s] for s in _integer_free(expr) if s in env))
        if key not in self.cache:
            self.cache[key] = self.evaluate(expr, env)
        return self.cache[key]

    def evaluate(self, expr: sp.Expr, env: dict):
        if expr.is_Number:
            return self.number(expr)
        if isinstance(expr, sp.Symbol):
            if expr.is_integer:
                return Fraction(self.integer(expr, env)) if self.exact else iv.mpf(self.integer(expr, env))
            return self.real(expr)
        if isinstance(expr, sp.Indexed):
            return self.real(self.leaf(expr, env))
        if isinstance(expr, sp.Add):
            return _fold(dual.add, [self(a, env) for a in expr.args])
        if isinstance(expr, sp.Mul):
            return _fold(dual.mul, [self(a, env) for a in expr.args])
        if isinstance(expr, sp.Pow):
            return self.power(expr, env)
        if isinstance(expr, sp.Sum):
            return self.sum(expr, env)
        if isinstance(expr, sp.KroneckerDelta):
            return int(self.integer(expr.args[0], env) == self.integer(expr.args[1], env))
        if isinstance(expr, sp.Derivative):
            return self.derivative(expr.expr, list(expr.variables), env)
        if isinstance(expr, sp.Piecewise):
            return self.piecewise(expr, env)
        if expr.func in dual.FUNCTIONS and len(expr.args) == 1 and not self.exact:
            return dual.FUNCTIONS[expr.func](self(expr.args[0], env))
        raise dual.UnsupportedError(f"the function {expr.func.__name__}")

    def number(self, expr: sp.Expr):
        if expr.is_Rational:
            return Fraction(int(expr.p), int(expr.q)) if self.exact else dual.rational_interval(expr)
        if expr.is_Float and not self.exact:
            return iv.mpf(expr._to_mpmath(max(PRECISION, expr._prec)))
        if expr is sp.E and not self.exact:
            return iv.e
        if expr is sp.pi and not self.exact:
            return iv.pi
        raise dual.UnsupportedError(f"the number {expr}")

    def power(self, expr: sp.Pow, env: dict):
        base = self(expr.base, env)
        if expr.exp.is_Rational:
            return dual.power(base, Fraction(int(expr.exp.p), int(expr.exp.q)))
        exponent = self(expr.exp, env)
        if not isinstance(base, dual.Dual) and not isinstance(exponent, dual.Dual):  # the table's x**a
            return semantics.power(dual.interval(base), dual.interval(exponent), expr, constant=False)
        return dual.exp(dual.mul(exponent, dual.log(base)))

    def sum(self, expr: sp.Sum, env: dict):
        """A loop over the outermost index; the inner limits see its value."""
        *inner, (var, low, high) = expr.limits
        body = sp.Sum(expr.function, *inner) if inner else expr.function
        total = 0
        for value in range(self.integer(low, env), self.integer(high, env) + 1):
            total = dual.add(total, self(body, {**env, var: value}))
        return total

    def piecewise(self, expr: sp.Piecewise, env: dict):
        for arm, cond in expr.args:
            truth = cond.xreplace({s: sp.Integer(v) for s, v in {**self.point.integers, **env}.items()})
            if truth not in (sp.true, sp.false):
                raise dual.UnsupportedError(f"a condition {sp.sstr(cond)} that is not integer")
            if truth is sp.true:
                return self(arm, env)
        raise dual.UndefinedError

    def derivative(self, body: sp.Expr, variables: list, env: dict):
        """d/dv_1 ... d/dv_m body in forward mode: v_m is seeded first (outermost)."""
        if not variables:
            return self(body, env)
        *rest, var = variables
        leaf = self.leaf(var, env)
        tag = next(self.tags)
        seeded = _Evaluator(self.point, self.exact, {**self.overrides, leaf: dual.Dual(self.real(leaf), 1, tag)})
        seeded.tags = self.tags
        result = seeded.derivative(body, rest, env)
        return result.slope if isinstance(result, dual.Dual) and result.tag == tag else 0


def _fold(op: Callable, values: list):
    total = values[0]
    for value in values[1:]:
        total = op(total, value)
    return total


# --- the comparison -------------------------------------------------------------------

def _integer_symbols(exprs: list[sp.Expr], ranges) -> tuple[list, list]:
    """The sizes (positive integer symbols) and the free indices, in a fixed order."""
    free = set().union(*(free_symbols(e) for e in exprs))
    free |= {s for _, lo, hi in ranges for s in (sp.sympify(lo).free_symbols | sp.sympify(hi).free_symbols)}
    free |= {var for var, _, _ in ranges if var in free}
    integers = sorted((s for s in free if s.is_integer), key=sp.default_sort_key)
    sizes = [s for s in integers if s.is_positive]
    return sizes, [s for s in integers if not s.is_positive]


@functools.lru_cache(maxsize=65536)
def _integer_free(expr: sp.Basic) -> tuple:
    """The free integer symbols of ``expr`` in a fixed order: what a cached value depends on."""
    return tuple(sorted((s for s in free_symbols(expr) if s.is_integer), key=sp.default_sort_key))


def free_symbols(expr: sp.Basic) -> set:
    """The free symbols, those inside a derivative's indexed variable included (SymPy's
    ``Derivative.free_symbols`` misses k in d/dw[k])."""
    if isinstance(expr, sp.Symbol):
        return {expr}
    if isinstance(expr, sp.Sum):
        bound = {var for var, *_ in expr.limits}
        limits = set().union(*(free_symbols(e) for _, *ends in expr.limits for e in ends))
        return (free_symbols(expr.function) - bound) | limits
    return set().union(*(free_symbols(a) for a in expr.args)) if expr.args else set()


def _size_assignments(sizes: list, entropy: random.Random | None = None) -> list[dict]:
    """All sizes at 1, 2, 3, 4 together, then each size alone at 1 and at 4 among the others at 4 and 1,
    then RANDOM_DRAWS assignments drawn from RANDOM_SIZES with ``entropy`` (fresh by default)."""
    if not sizes:
        return [{}]
    entropy = entropy or random.SystemRandom()
    together = [{s: v for s in sizes} for v in SIZES]
    alone = [{t: (v if t == s else SIZES[-1] + SIZES[0] - v) for t in sizes}
             for s in sizes for v in (SIZES[0], SIZES[-1])] if len(sizes) > 1 else []
    drawn = [{s: entropy.randint(*RANDOM_SIZES) for s in sizes} for _ in range(RANDOM_DRAWS)]
    fixed = together + [a for i, a in enumerate(alone) if a not in alone[:i]]
    return fixed + drawn


def _index_assignments(indices: list, ranges, sizes: dict, rng: random.Random,
                       entropy: random.Random | None = None) -> list[dict]:
    """Up to INDEX_TUPLES tuples of index values, each index in its stated range; an index with no
    stated range takes 0-4 and one value drawn from RANDOM_SIZES with fresh entropy."""
    entropy = entropy or random.SystemRandom()
    stated = {var: (lo, hi) for var, lo, hi in ranges}
    tuples: list[dict] = [{}]
    for index in indices:
        grown = []
        for partial in tuples:
            if index in stated:
                lo, hi = (int(sp.sympify(e).xreplace({**sizes, **partial})) for e in stated[index])
                values: list[int] = list(range(lo, hi + 1))
            else:
                values = [*UNSTATED_INDICES, entropy.randint(*RANDOM_SIZES)]
            grown += [{**partial, index: v} for v in values]
        tuples = grown
    return rng.sample(tuples, min(INDEX_TUPLES, len(tuples)))


def _hypothesis_values(case: dict, point: _Point) -> dict:
    """Leaf values that make every equation of ``case`` hold exactly at ``point``."""
    overrides: dict = {}
    for key, value in case.items():
        exact = _Evaluator(point, exact=True, overrides=overrides)
        target = exact(sp.sympify(value))
        if isinstance(key, (sp.Symbol, sp.Indexed)):
            overrides[exact.leaf(key, {})] = target
            continue
        leaves = _leaves(sp.sympify(key), exact)
        if not leaves:
            raise dual.UnsupportedError(f"the hypothesis {sp.sstr(key)} = {sp.sstr(value)} has no free value")
        last = leaves[-1]
        at = [_Evaluator(point, True, {**overrides, last: Fraction(t)})(key) for t in (0, 1, 2)]
        slope = at[1] - at[0]
        if slope == 0 or at[2] - at[1] != slope:
            raise dual.UnsupportedError(f"the hypothesis {sp.sstr(key)} is not linear in {last}")
        overrides[last] = (target - at[0]) / slope
    return overrides


def _leaves(expr: sp.Expr, evaluator: _Evaluator, env: dict | None = None) -> list:
    """The real leaves of ``expr`` at concrete indices, in order of appearance."""
    env = env or {}
    if isinstance(expr, sp.Sum):
        *inner, (var, low, high) = expr.limits
        body = sp.Sum(expr.function, *inner) if inner else expr.function
        return [leaf for v in range(evaluator.integer(low, env), evaluator.integer(high, env) + 1)
                for leaf in _leaves(body, evaluator, {**env, var: v})]
    if isinstance(expr, sp.Indexed) or (isinstance(expr, sp.Symbol) and not expr.is_integer):
        return [evaluator.leaf(expr, env)]
    return [leaf for arg in expr.args for leaf in _leaves(arg, evaluator, env)]


def _disjoint(a, b) -> bool:
    return intervals.disjoint(dual.interval(a), dual.interval(b))


def _finite(a) -> bool:
    a = dual.interval(a)
    return bool(mpmath.isfinite(a.a) and mpmath.isfinite(a.b))


def _points(before: sp.Expr, after: sp.Expr, ranges, seed: int, entropy: random.Random | None = None) -> Iterator[dict]:
    """The integer assignments to try: sizes first, then indices in their ranges."""
    sizes, indices = _integer_symbols([before, after], ranges)
    rng = random.Random(seed)
    for assignment in _size_assignments(sizes, entropy):
        for index_values in _index_assignments(indices, ranges, assignment, rng, entropy):
            yield {**assignment, **index_values}


def coefficient_bits(exprs: list) -> int:
    """The most bits any number written in ``exprs`` takes (numerator or denominator of a rational,
    the mantissa of a float): a term c * f with c = 1e-60 needs about 200 bits to be seen."""
    most = 0
    for expr in exprs:
        for number in sp.sympify(expr).atoms(sp.Number):
            if number.is_Rational:
                most = max(most, abs(int(number.p)).bit_length(), int(number.q).bit_length())
            elif number.is_Float:
                most = max(most, number._prec, abs(int(mpmath.mag(number._to_mpmath(number._prec)))))
    return most


def precision_for(before: sp.Expr, after: sp.Expr) -> int:
    """Working precision: PRECISION plus twice the bits of the largest coefficient, plus GUARD_BITS,
    so both sides agree to well past any coefficient written in the step when they overlap (past
    MAX_PRECISION the step is not compared at all: see :func:`compare`)."""
    return PRECISION + 2 * coefficient_bits([before, after]) + GUARD_BITS


def compare(before: sp.Expr, after: sp.Expr, cases: list[dict], ranges=(), seed: int = 0,
            entropy: random.Random | None = None) -> Comparison:
    """Evaluate both sides at concrete sizes and random rational points, in every case.

    The sizes include RANDOM_DRAWS assignments drawn with ``entropy`` (fresh entropy by default),
    and the precision is :func:`precision_for` the step."""
    agreed = nonzero = 0
    if precision_for(before, after) > MAX_PRECISION:
        return Comparison(0, None, f"the witness would need more than {MAX_PRECISION} bits for the numbers "
                                   "written in the step")
    rng = random.Random(seed)
    integer_points = list(_points(before, after, ranges, seed, entropy))
    repeats = -(-MIN_POINTS // len(integer_points))
    with _precision(precision_for(before, after)):
        for integers in integer_points * repeats:
            for case in cases or [{}]:
                for _ in range(ATTEMPTS):
                    point = _Point(integers, rng)
                    try:
                        overrides = _hypothesis_values(case, point)
                        evaluator = _Evaluator(point, overrides=overrides)
                        sides = [evaluator(before), evaluator(after)]
                    except dual.UnsupportedError as error:
                        return Comparison(0, None, f"the witness cannot evaluate {error}")
                    except (dual.UndefinedError, intervals.UndefinedError, intervals.UnknownError, ArithmeticError):
                        continue
                    if not all(_finite(side) for side in sides):
                        continue
                    if _disjoint(*sides):
                        shown = {**integers, **point.values, **overrides}
                        return Comparison(agreed, shown, _apart(*sides))
                    agreed += 1
                    nonzero += not all(intervals.is_zero(dual.interval(side)) for side in sides)
                    break
    if agreed and not nonzero:
        return Comparison(0, None, "both sides were exactly 0 at every point tried (a factor that vanishes "
                                   "at the sizes tried would hide any difference)")
    return Comparison(agreed)


def _apart(a, b) -> str:
    """The two values with as many digits (8 at least) as it takes to tell them apart."""
    a, b = dual.interval(a), dual.interval(b)
    with mpmath.workprec(iv.prec + 8):
        for digits in (8, 16, 32, 64, 128, 256, 512, 1024):
            texts = [mpmath.nstr((intervals.lower(v) + intervals.upper(v)) / 2, digits) for v in (a, b)]
            if texts[0] != texts[1]:
                return f"{texts[0]} against {texts[1]}"
    return f"{a} against {b}"


def describe(point: dict) -> str:
    """A witness point as text: 'n = 2, k = 0, x[0] = 1/3, ...' (the first dozen values)."""
    items = []
    for key, value in point.items():
        name = f"{key[0]}[{', '.join(map(str, key[1]))}]" if isinstance(key, tuple) else str(key)
        items.append(f"{name} = {value}")
    return ", ".join(items[:12]) + (", ..." if len(items) > 12 else "")
