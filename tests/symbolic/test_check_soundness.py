"""check is sound: "refuted" only with a certified point, "proved" only where the formula is
defined and the numeric witness agrees, definedness judged on what was typed, every input
answered in bounded time."""

import re
import time

import mpmath
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradproof import symbolic
from gradproof.symbolic import FormulaError, InputError, check
from gradproof.symbolic._checker import _checker as checker
from gradproof.symbolic._checker._parse import parse

z, y, x = sp.symbols("z y x", real=True)

# identically 0, and each a divisor SymPy's cancel() silently removes
ZERO_A = "(tanh(z) - (exp(2*z)-1)/(exp(2*z)+1))"
ZERO_B = "(tanh(z) - 1 + 2/(exp(2*z)+1))"
ZERO_C = "(tanh(z/2) - 2*sigmoid(z) + 1)"
# identically 0 (the first part needs (ab)**y = a**y*b**y for a, b > 0, which the prover lacks);
# in 50- and 100-digit floating point each loses all its digits somewhere in the sampled box
POWERS = "((1+exp(z))**y*(1+exp(-z))**y - (2+exp(z)+exp(-z))**y)"
CANCELLING = [
    f"{POWERS} + exp(4*exp(z))*(1 - tanh(4*exp(z))) - 2/(exp(4*exp(z)) + exp(-4*exp(z)))",
    f"{POWERS} + exp(3*exp(z))*(tanh(exp(z)) - 1 + 2/(exp(2*exp(z))+1))",
    f"{POWERS} + exp(2*exp(z))*(sigmoid(exp(z)) - 1 + sigmoid(-exp(z)))",
    f"{POWERS}*exp(2*exp(z))",
]


@pytest.mark.parametrize("junk", CANCELLING)
def test_a_true_formula_with_cancellation_is_never_refuted(junk):
    verdict = check("logreg.dL_dz", f"sigmoid(z) - y + {junk}")
    assert verdict.status in ("proved", "undecided"), str(verdict)


WRONG = [("logreg.dL_dw", "(y - sigmoid(z))*x"), ("logreg.dL_dz", "sigmoid(z) - y**2"),
         ("logreg.dL_dw", "x*(sigmoid(z) - y) + 10**(-40)*x"), ("bce.dL_dp", "(p - y)/p"),
         ("logreg.dL_dz", "sigmoid(z) - y + exp(-exp(10))"),
         ("pos_weight.dL_dz", "sigmoid(z)*(pw*y + 1 - y) - y")]


@pytest.mark.parametrize("target, formula", WRONG)
def test_a_refutation_names_an_exact_point_where_the_sides_certainly_differ(target, formula):
    verdict = check(target, formula)
    assert verdict.status == "refuted", str(verdict)
    point = {sp.Symbol(name, real=True): value for name, value in verdict.counterexample.items()
             if name not in ("formula", "expected")}
    assert all(isinstance(value, sp.Rational) for value in point.values())
    with mpmath.workdps(12000):  # an independent evaluation, far beyond the checker's precision
        got = mpmath.mpf(sp.N(verdict.formula.xreplace(point), 11000))
        want = mpmath.mpf(sp.N(verdict.reference.xreplace(point), 11000))
        assert got != want
    assert verdict.counterexample["formula"] != verdict.counterexample["expected"]


def test_a_difference_below_every_certified_precision_is_undecided_not_refuted():
    verdict = check("logreg.dL_dw", "x*(sigmoid(z) - y)*(1 + exp(-exp(10)))")
    assert verdict.status == "undecided", str(verdict)


@pytest.mark.parametrize("target, formula", [
    ("logreg.dL_dz", "(sigmoid(z) - y)*(exp(2*z)-1)/((exp(z)-1)*(exp(z)+1))"),
    ("logreg.dL_dz", "(sigmoid(z) - y)*z/z"),
    ("logreg.dL_dw", "x*(sigmoid(z)-y)*y/y"),
    ("bce.dL_dp", "(p - y)*(2*p - 1)/((2*p - 1)*p*(1 - p))"),
    ("gru_head.dL_dh", "(sigmoid(z) - y)*v*tanh(z)/tanh(z)"),
    ("logreg.dL_dw", "x*(sigmoid(z)-y) + 0/(x - 1)"),
])
def test_a_removable_singularity_is_proved_except_on_its_set(target, formula):
    verdict = check(target, formula)
    assert verdict.status == "proved-except", str(verdict)
    assert verdict.exceptions and all(text.startswith("where ") for text in verdict.exceptions)
    assert "undefined, for example, at" in verdict.reason
    assert "except where" in str(verdict)
    example = verdict.reason.split("undefined, for example, at ")[1]
    named = {part.split("=")[0].strip() for part in example.split(",")}
    typed = {name for name in ("z", "y", "x", "p", "v", "h") if re.search(rf"\b{name}\b", formula)}
    assert named <= typed, f"the example names {named - typed}, which the formula does not use"


@pytest.mark.parametrize("target, formula", [
    ("logreg.dL_dz", f"sigmoid(z) - y + {ZERO_A}/{ZERO_B}"),
    ("logreg.dL_dz", f"sigmoid(z) - y + 0/{ZERO_B}"),
    ("logreg.dL_dz", f"sigmoid(z) - y + {ZERO_B}/{ZERO_B} - 1"),
    ("logreg.dL_dw", f"x*(sigmoid(z) - y) + x*sigmoid(z)/{ZERO_C}*0"),
    ("gru_head.dL_dv", f"h*(sigmoid(z) - y)*{ZERO_C}/{ZERO_C}"),
])
def test_an_identically_zero_divisor_is_never_proved(target, formula):
    verdict = check(target, formula)
    assert verdict.status == "refuted", str(verdict)
    assert "identically 0" in verdict.reason
    assert verdict.counterexample["formula"].startswith("undefined")


@pytest.mark.parametrize("target, formula", [
    ("logreg.dL_dw", "x*(sigmoid(z)-y) + log(x) - log(x)"),
    ("logreg.dL_dw", "x*(sigmoid(z)-y) + (x**(1/2))**2 - x"),
    ("logreg.dL_dw", "exp(log(x))*(sigmoid(z)-y)"),
    ("logreg.dL_dz", "sigmoid(z) - y + 0*log(y - 1/2)"),
    ("gru_head.dL_dv", "(sigmoid(z)-y)*h + log(h)*0"),
    ("logreg.dL_dw", "x*(sigmoid(z)-y) + log(x*x) - 2*log(x)"),
])
def test_a_formula_not_real_on_part_of_the_domain_is_refuted_with_the_point(target, formula):
    verdict = check(target, formula)
    assert verdict.status == "refuted", str(verdict)
    assert "not real-valued" in verdict.reason
    assert verdict.counterexample["formula"].startswith("undefined")


_VARIABLE = st.sampled_from([("z", -8, 8), ("x", -3, 3), ("y", 0, 1)])
_FAMILIES = [
    "0/({v} - ({c}))", "sigmoid(z)*0/(exp({v}) - exp({c}))", "log({v} - ({c})) - log({v} - ({c}))",
    "(({v} - ({c}))**(1/2))**2 - ({v} - ({c}))", "(sigmoid({v}) - sigmoid({c}))/(sigmoid({v}) - sigmoid({c})) - 1",
    "tanh({v} - ({c}))/tanh({v} - ({c})) - 1", "exp(log({v} - ({c}))) - ({v} - ({c}))",
]


@settings(max_examples=18, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(_VARIABLE, st.sampled_from(_FAMILIES), st.integers(1, 8))
def test_reference_plus_a_part_undefined_somewhere_is_never_proved(variable, family, step):
    """c = the lower end of y's range is left out: ((y - 0)**(1/2))**2 - y is defined on all
    of [0, 1], so it would rightly be proved; every other c makes each family undefined on part
    of the variable's range."""
    name, low, high = variable
    c = sp.Rational(low) + sp.Rational(high - low, 8) * step
    junk = family.format(v=name, c=c)
    verdict = check("logreg.dL_dw", f"x*(sigmoid(z) - y) + {junk}")
    assert verdict.status != "proved", str(verdict)


def test_the_parser_records_what_was_typed_before_sympy_folds_it():
    variables = {"z": z, "y": y, "x": x}
    for text, divisor in [(f"0/{ZERO_B}", ZERO_B[1:-1]), (f"{ZERO_B}/{ZERO_B}", ZERO_B[1:-1]), ("x/x", "x"),
                          ("0*y/(exp(z) - 1)", "exp(z) - 1")]:
        found = parse(text, variables)
        assert any(c.kind == "nonzero" and c.quantity == divisor for c in found.conditions), text
    folded = parse("log(x) - log(x)", variables)
    assert folded.expr == 0 and [c.kind for c in folded.conditions] == ["positive"]
    assert parse("exp(log(x))", variables).expr == x
    assert [c.kind for c in parse("(x**(1/2))**2", variables).conditions] == ["nonnegative"]
    assert parse(f"0/{ZERO_B}", variables).typed != 0


def test_a_proof_the_witness_contradicts_is_a_fault_never_proved(monkeypatch):
    monkeypatch.setattr(checker, "is_identically_zero", lambda *a, **k: True)
    for target, formula in [("logreg.dL_dw", "(y - sigmoid(z))*x"), ("logreg.dL_dz", "sigmoid(z) - y**2"),
                            ("logreg.d2L_dz2", "sigmoid(z)*(1 + sigmoid(z))")]:
        verdict = check(target, formula)
        assert verdict.status == "undecided", str(verdict)
        assert "enclosures differ" in verdict.fault and "SOUNDNESS FAULT" in str(verdict)


def test_a_proof_the_witness_cannot_confirm_is_undecided(monkeypatch):
    monkeypatch.setattr(checker, "compare", lambda *a, **k: "unknown")
    verdict = check("logreg.dL_dw", "x/(1 + exp(-z)) - x*y")
    assert verdict.status == "undecided" and "witness" in verdict.reason


@pytest.mark.parametrize("formula", ["log(0)", "(-1)**(1/2)", "log(-1)", "(-8)**(1/3)", "x*log(0)",
                                     "x*(sigmoid(z)-y) + 0*log(0)", "x*(sigmoid(z)-y)+log(0)-log(0)",
                                     "x*(sigmoid(z)-y) + (-2)**(1/2)*0", "x*(sigmoid(z)-y) + log(e - exp(1))"])
def test_a_constant_that_is_not_real_is_refused_as_input(formula):
    with pytest.raises(FormulaError, match="not real-valued"):
        check("logreg.dL_dw", formula)


@pytest.mark.parametrize("formula", [
    "x*(sigmoid(z)-y) + exp(exp(10**100))", "x*(sigmoid(z)-y) + (((1/10**100)**100)**100)**100",
    "1e999*x", "x*(sigmoid(z)-y)+log(0)+log(0)", "x*(sigmoid(z)-y) + exp(exp(1000))",
    "x*tanh(exp(exp(2800)))", "x*(sigmoid(z)-y) + exp(exp(exp(exp(z))))", "x*(sigmoid(z)-y) + 10**-100",
    "exp(exp(z))**100*x", "x*(sigmoid(z)-y) + exp(exp(1000))-exp(exp(1000))", "(1e308*10)*x",
])
def test_every_input_is_answered_within_the_bound_and_prints(formula):
    start = time.process_time()  # CPU time: the bound holds whatever the machine's load
    try:
        text = str(check("logreg.dL_dw", formula))
        assert text.split(":")[0] in ("proved", "proved-except", "refuted", "undecided")
    except InputError as error:
        assert str(error).startswith("formula:")
    assert time.process_time() - start < checker.TOTAL_SECONDS


def test_targets_declare_their_domains():
    for target in symbolic.targets().values():
        assert set(target.variables) <= set(checker.DOMAINS)
