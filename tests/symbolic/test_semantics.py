"""Issue 19, items 1-4: numbers read exactly as typed, one table of real-valued semantics for the
parser, the certified evaluator and the witness, tested at each boundary, and losses proved
defined before anything is certified about them."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from gradproof import symbolic
from gradproof.symbolic import InputError, check
from gradproof.symbolic._checker._parse import parse
from gradproof.symbolic._proof import _dual, _intervals, _semantics, evaluate
from gradproof.symbolic._vocabulary._symbols import y, z

VARIABLES = {"z": z, "y": y}


# --- 1. numbers as typed ----------------------------------------------------------------

literals = st.builds(
    lambda whole, fraction, exponent: whole + (("." + fraction) if fraction is not None else "")
    + (f"e{exponent}" if exponent is not None else ""),
    st.from_regex(r"[1-9][0-9]{0,30}|0", fullmatch=True),
    st.none() | st.from_regex(r"[0-9]{0,30}", fullmatch=True),
    st.none() | st.integers(-900, 900))


@settings(max_examples=200, deadline=None)
@given(literals)
def test_every_decimal_and_exponent_literal_is_read_exactly(text):
    exact = sp.Rational(Fraction(text))
    found = parse(f"{text}*z", VARIABLES)
    assert found.expr == exact * z
    assert text in found.text          # printed back as typed


@pytest.mark.parametrize("formula, status", [
    ("sigmoid(z) - y + 1e-400", "refuted"),
    ("sigmoid(z) - y + 1e-999", "refuted"),
    ("sigmoid(z)*1.00000000000000000001 - y", "refuted"),
    ("sigmoid(z)*(1 + 1e-30) - y", "refuted"),
    ("sigmoid(z) - y + 123456789012345678901.0 - 123456789012345678901", "proved"),
    ("sigmoid(z) - y + 0.1 + 0.2 - 0.3", "proved"),                 # 0.1 + 0.2 != 0.3 in binary
    ("sigmoid(z) - y + 1e-400 - 1e-400", "proved"),
    ("sigmoid(z) - y + 1.5e-3 - 3/2000", "proved"),
])
def test_numbers_typed_reach_the_verdict_exactly(formula, status):
    verdict = check("logreg.dL_dz", formula)
    assert verdict.status == status, str(verdict)
    assert formula in str(verdict)


# --- 2 and 3. the semantics table at its boundaries ------------------------------------------

P = sp.Pow
HALF = sp.Rational(1, 2)


@pytest.mark.parametrize("expr, point, expected", [
    (P(z, HALF, evaluate=False), {z: 0}, 0),                   # sqrt(0) = 0
    (P(z, sp.Rational(3, 2), evaluate=False), {z: 0}, 0),
    (P(z, HALF, evaluate=False), {z: 4}, 2),
    (P(z, -HALF, evaluate=False), {z: 0}, "undefined"),
    (P(z, HALF, evaluate=False), {z: -1}, "undefined"),
    (P(z, 0, evaluate=False), {z: 0}, 1),                      # 0**0 = 1
    (P(z, -1, evaluate=False), {z: 0}, "undefined"),
    (P(y, z, evaluate=False), {y: 0, z: 1}, 0),                # 0**a = 0 for a > 0
    (P(y, z, evaluate=False), {y: 0, z: 0}, 1),
    (P(y, z, evaluate=False), {y: 0, z: -1}, "undefined"),
    (P(y, z, evaluate=False), {y: -1, z: 2}, "undefined"),      # no real powers of negatives
    (P(y, z, evaluate=False), {y: 4, z: HALF}, 2),
    (sp.log(z, evaluate=False), {z: 0}, "undefined"),
    (sp.log(z, evaluate=False), {z: 1}, 0),
    (P(z, HALF, evaluate=False), {z: sp.Integer(10) ** 1000}, sp.Integer(10) ** 500),
])
def test_the_certified_evaluator_follows_the_table(expr, point, expected):
    found = evaluate(expr, point)
    if expected == "undefined":
        assert found.kind == "undefined", found
    else:
        assert found.kind == "value" and found.low <= expected <= found.high, found


@pytest.mark.parametrize("base, exponent, expected", [
    (0, Fraction(1, 2), 0), (0, Fraction(3, 2), 0), (4, Fraction(1, 2), 2), (0, Fraction(0), 1),
    (0, Fraction(-1, 2), None), (-1, Fraction(1, 2), None), (0, Fraction(-1), None),
])
def test_the_witness_follows_the_same_table(base, exponent, expected):
    if expected is None:
        with pytest.raises((_intervals.UndefinedError, _intervals.UnknownError, _dual.UndefinedError)):
            _dual.power(_dual.interval(Fraction(base)), exponent)
    else:
        value = _dual.power(_dual.interval(Fraction(base)), exponent)
        assert _intervals.lower(value) <= expected <= _intervals.upper(value)


@pytest.mark.parametrize("kind, low, high, exponent, verdict", [
    ("nonzero", 0, 0, None, "fails"), ("nonzero", 1, 1, None, "holds"), ("nonzero", -1, 1, None, "unknown"),
    ("positive", 0, 0, None, "fails"), ("positive", -2, -1, None, "fails"), ("positive", 1, 2, None, "holds"),
    ("nonnegative", 0, 0, None, "holds"), ("nonnegative", -1, -1, None, "fails"),
    ("nonnegative", 10**300, 10**301, None, "holds"),
    ("power", 0, 0, (0, 0), "holds"), ("power", 0, 0, (1, 2), "holds"), ("power", 0, 0, (-2, -1), "fails"),
    ("power", -1, -1, (2, 2), "fails"), ("power", 1, 1, (-5, -5), "holds"), ("power", 0, 0, (-1, 1), "unknown"),
])
def test_the_table_judges_each_kind_at_its_boundary(kind, low, high, exponent, verdict):
    assert _semantics.judge(kind, low, high, exponent) == verdict
    assert _semantics.failure(kind, low, high, exponent) == (
        None if verdict != "fails" else "boundary" if low == high == 0 else "strict")


@pytest.mark.parametrize("formula, status", [
    ("sigmoid(z) - y + (exp(2*z) - 2*exp(z) + 1)**(1/2) - (exp(2*z) - 2*exp(z) + 1)**(1/2)", "proved"),
    ("sigmoid(z) - y + ((exp(z) - 1)**2)**(3/2) - ((exp(z) - 1)**2)**(3/2)", "proved"),
    ("sigmoid(z) - y + (z**2)**(1/2) - (z**2)**(1/2)", "proved"),
    ("sigmoid(z) - y + y**(1+z**2) - y*y**(z**2)", "proved"),
    ("sigmoid(z) - y + y**(z**2 + 1/2) - y**(z**2 + 1/2)", "proved"),
    ("sigmoid(z) - y + 0*y**z", "proved-except"),        # 0**z is undefined for z < 0
    ("sigmoid(z) - y + (z - 1)**(1/2) - (z - 1)**(1/2)", "refuted"),   # undefined for z < 1
])
def test_boundaries_of_the_table_reach_the_verdicts(formula, status):
    verdict = check("logreg.dL_dz", formula)
    assert verdict.status == status, str(verdict)
    if status == "refuted":
        found = verdict.counterexample
        assert found["formula"] != found["expected"]


def test_a_refutation_always_shows_two_values_that_differ():
    for formula in ("sigmoid(z) - y + 1e-400", "(y - sigmoid(z))", "sigmoid(z) - y + z**2/10**50",
                    "sigmoid(z) + y", "0*sigmoid(z)"):
        verdict = check("logreg.dL_dz", formula)
        assert verdict.status == "refuted"
        assert verdict.counterexample["formula"] != verdict.counterexample["expected"], str(verdict)


# --- 4. a loss is proved defined before anything is certified about it -------------------------

@pytest.mark.parametrize("formula, where", [
    ("-y*log(sigmoid(z)) - (1-y)*log(1-sigmoid(z)) + log((3*z-1)**2)/10", "z = 1/3"),
    ("log(z**2 + 1) + 1/(z - 2)", "z = 2"),
    ("-y*log(sigmoid(z)) + (z - 1/2)**(1/2)", "z ="),
    ("-y*log(sigmoid(z)) + log(exp(z) - 1)", "z ="),
    ("(z**2)**(1/4)", "z = 0"),                       # defined at 0, not differentiable there
])
def test_a_loss_not_defined_or_not_smooth_everywhere_is_refused_naming_where(formula, where):
    with pytest.raises(InputError, match="differentiable for every real z") as error:
        symbolic.loss(formula)
    assert where in str(error.value)


@pytest.mark.parametrize("formula", ["log(1 + exp(-(2*y - 1)*z))", "(z**2 + 1)**(1/2)", "y**(1/2)*sigmoid(z)**2",
                                     "1/(1 + z**2)"])
def test_a_smooth_loss_is_accepted(formula):
    assert symbolic.loss(formula).grad is not None


def test_no_margin_claim_is_certified_for_a_loss_with_a_pole():
    with pytest.raises(InputError):
        symbolic.loss("-y*log(sigmoid(z)) - (1-y)*log(1-sigmoid(z)) + log((3*z-1)**2)/10").margin_profile()


@pytest.mark.parametrize("exponent", ["4/2", "1+1", "2*1", "log(4)/log(2)", "log(e**2)"])
def test_a_constant_exponent_is_read_by_its_value(exponent):
    verdict = check("logreg.dL_dz", f"(sigmoid(z)-y)*(2+z+z**2)/(2+z+z**({exponent}))")
    assert verdict.status == "proved", str(verdict)
