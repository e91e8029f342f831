"""Certified evaluation: enclosures contain the truth, undefinedness is certain, nothing hangs."""

import time

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from gradproof.symbolic import sigmoid
from gradproof.symbolic._proof._certified import certainly_different, compare, describe, enclose, evaluate

z, y, x = sp.symbols("z y x", real=True)
R = sp.Rational
E = sp.exp

EXPRESSIONS = [
    sigmoid(z) - y, E(z) / (1 + E(z)), sp.tanh(z / 2) * x, sp.log(1 + E(-z)) + y * z,
    (1 + E(z)) ** y * (1 + E(-z)) ** y, x ** 3 / (1 + x ** 2), sp.pi * E(1) - sp.log(3),
    sp.sqrt(2 + sp.tanh(x)), sp.Abs(x - y) * sigmoid(-z),
]
POINTS = [{z: R(5511, 1000), y: R(3, 4), x: R(-477, 1000)}, {z: R(-8), y: 0, x: R(1, 3)},
          {z: 0, y: 1, x: R(22, 7)}]


def _truth(expr, point) -> mpmath.mpf:
    with mpmath.workdps(80):
        return mpmath.mpf(sp.N(expr.xreplace(point), 80))


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_enclosures_hold_the_value_computed_independently(expr):
    for point in POINTS:
        box = enclose(expr, point, prec=100)
        truth = _truth(expr, point)
        assert box.a <= truth <= box.b, (expr, point)
        assert box.delta < mpmath.mpf(2) ** -80 * max(1, abs(truth))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.fractions(min_value=-50, max_value=50, max_denominator=1000), min_size=3, max_size=3))
def test_rational_arithmetic_is_enclosed_exactly(values):
    a, b, c = (sp.Rational(v.numerator, v.denominator) for v in values)
    expr = (x - a) ** 3 / (1 + (y - b) ** 2) - c * z
    point = {x: a + 1, y: b, z: R(1, 3)}
    exact = expr.xreplace(point)
    low, high = _exact_ends(enclose(expr, point, prec=64))
    assert low <= exact <= high


def _exact_ends(box) -> tuple[sp.Rational, sp.Rational]:
    return tuple((-1) ** sign * sp.Integer(man) * sp.Integer(2) ** exp for sign, man, exp, _ in box._mpi_)


CANCELLING = [
    # each is identically 0; in floating point each loses every digit
    (1 + E(z)) ** y * (1 + E(-z)) ** y - (2 + E(z) + E(-z)) ** y,
    E(4 * E(z)) * (1 - sp.tanh(4 * E(z))) - 2 / (E(4 * E(z)) + E(-4 * E(z))),
    E(E(z)) * (sigmoid(E(z)) - 1 + sigmoid(-E(z))),
    (E(3 * z) + 1) - (E(z) + 1) * (E(2 * z) - E(z) + 1),
]


@pytest.mark.parametrize("junk", CANCELLING)
def test_cancellation_widens_intervals_and_never_shows_a_difference(junk):
    for zz in (R(5511, 1000), R(8), R(-3, 7), R(6)):
        point = {z: zz, y: R(3, 4)}
        found = evaluate(junk, point)
        if found.kind == "value":
            assert found.interval.a <= 0 <= found.interval.b
        assert compare(sigmoid(z) - y + junk, sigmoid(z) - y, point) != "disjoint"


@pytest.mark.parametrize("expr, point", [
    (1 / (E(z) - 1), {z: 0}),
    (sp.log(x), {x: -1}),
    (sp.log(x), {x: 0}),
    (sp.Pow(-8, R(1, 3), evaluate=False), {}),
    (sp.Pow(x, R(1, 2)), {x: R(-1, 4)}),
    (sp.Pow(0, -1, evaluate=False), {}),
    (x * sp.nan, {x: 1}),
    (sp.log(sp.tanh(z)), {z: 0}),
])
def test_undefined_is_certain_and_says_where(expr, point):
    found = evaluate(expr, point)
    assert found.kind == "undefined"
    assert found.reason
    assert enclose(expr, point) is None


def test_a_straddling_divisor_is_unknown_not_undefined():
    nearly = sp.tanh(z) - (E(2 * z) - 1) / (E(2 * z) + 1)    # identically 0, never exactly 0 in intervals
    assert evaluate(1 / nearly, {z: R(1, 3)}).kind == "unknown"


def test_tiny_true_differences_are_certified():
    point = {z: R(1, 3), x: R(-2, 5)}
    assert certainly_different(x * sigmoid(z), x * sigmoid(z) + R(1, 10**40) * x, point)
    assert not certainly_different(x * sigmoid(z), x / (1 + E(-z)), point)
    assert compare(x * sigmoid(z), x / (1 + E(-z)), point) == "agree"


@pytest.mark.parametrize("expr", [E(E(E(10))), E(E(E(E(z)))), E(E(1000)) - E(E(1000)),
                                  sp.tanh(E(E(1000))), E(-E(E(1000))), x ** (10**9)])
def test_huge_values_answer_at_once(expr):
    start = time.monotonic()
    found = evaluate(expr, {z: 5, x: R(3, 2)})
    describe(found)
    assert time.monotonic() - start < 3
    assert found.kind in ("value", "unknown")


def test_huge_but_finite_values_are_enclosed_and_printed_short():
    found = evaluate(E(E(1000)), {})
    assert found.kind == "value" and found.narrow()
    assert describe(found).startswith("10^8.5559")
    assert evaluate(E(-E(1000)), {}).interval.a >= 0


def test_finite_sums_and_indexed_entries():
    k, n = sp.symbols("k n", integer=True)
    w = sp.IndexedBase("w")
    total = sp.Sum(w[k] * sp.KroneckerDelta(k, 2), (k, 0, n - 1))
    point = {n: 4, w[0]: 1, w[1]: 2, w[2]: R(7, 3), w[3]: 5}
    low, high = _exact_ends(enclose(total, point))
    assert low <= R(7, 3) <= high and high - low < 1e-15
