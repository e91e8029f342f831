"""The checker proves equivalent rewritings, refutes wrong formulas, and is safe."""

import time

import mpmath
import pytest

from gradproof import symbolic
from gradproof.symbolic import FormulaError, check

EQUIVALENT = {
    "logreg.dL_dw": [
        "x/(1 + exp(-z)) - x*y", "-x*(y - sigmoid(z))", "x*(1 - y) - x/(1 + exp(z))",
        "x*(exp(z)/(1 + exp(z)) - y)", "x*((1 + tanh(z/2))/2 - y)", "x*sigmoid(z) - y*x",
        "x*(1 - sigmoid(-z) - y)", "(x*exp(z) - x*y*(1 + exp(z)))/(1 + exp(z))", "x*(sigma(z) - y)",
        "x/(1 + e^(-z)) - x*y", "x*(e**z/(e**z + 1) - y)",
    ],
    "logreg.dL_dz": ["sigmoid(z) - y", "1/(1+exp(-z)) - y", "(1 - y)*sigmoid(z) - y*sigmoid(-z)",
                     "exp(z)/(exp(z)+1) - y", "(1 - y) - sigmoid(-z)"],
    "logreg.dL_db": ["sigmoid(z) - y", "-(y - 1/(1 + exp(-z)))"],
    "logreg.d2L_dz2": ["sigmoid(z)*(1 - sigmoid(z))", "sigmoid(z)*sigmoid(-z)", "exp(-z)/(1+exp(-z))^2",
                       "(1 - tanh(z/2)**2)/4"],
    "bce.dL_dp": ["-y/p + (1 - y)/(1 - p)", "(p - y)/(p*(1 - p))", "(p - y)/(p - p^2)"],
    "pos_weight.dL_dz": ["sigmoid(z)*(pw*y + 1 - y) - pw*y", "-pw*y*(1 - sigmoid(z)) + (1 - y)*sigmoid(z)",
                         "(1 - y)*sigmoid(z) - pw*y*sigmoid(-z)"],
    "mse_sigmoid.dL_dz": ["(sigmoid(z) - y)*sigmoid(z)*(1 - sigmoid(z))",
                          "(sigmoid(z) - y)*sigmoid(z)*sigmoid(-z)"],
    "gru_head.dL_dv": ["(sigmoid(z) - y)*h", "h/(1 + exp(-z)) - h*y"],
    "gru_head.dL_dh": ["(sigmoid(z) - y)*v", "v*(1 - y) - v*sigmoid(-z)"],
}

WRONG = {
    "logreg.dL_dw": [
        "(y - sigmoid(z))*x",                                 # sign error
        "(sigmoid(z) - y)*sigmoid(z)*(1 - sigmoid(z))*x",     # extra sigma'
        "(sigmoid(z) - (1 - y))*x",                           # y and 1 - y swapped
        "sigmoid(z) - y",                                     # missing x
        "(sigmoid(z) - y)*x/2",                               # a stray factor
        "x/(1 + exp(z)) - x*y",                               # sigmoid(-z) for sigmoid(z)
        "x*(sigmoid(z) - y) + 10**-12*x",                     # off by a tiny amount
        "(sigmoid(z) - y)*x*x",
    ],
    "logreg.dL_dz": ["sigmoid(z) + y", "y - sigmoid(z)", "sigmoid(z)*(1 - sigmoid(z))", "sigmoid(z) - y**2"],
    "logreg.d2L_dz2": ["sigmoid(z)*(1 + sigmoid(z))", "sigmoid(z)"],
    "bce.dL_dp": ["(p - y)/p", "-y/p - (1 - y)/(1 - p)"],
    "pos_weight.dL_dz": ["sigmoid(z) - y", "sigmoid(z)*(pw*y + 1 - y) - y"],
    "mse_sigmoid.dL_dz": ["sigmoid(z) - y", "(sigmoid(z) - y)*sigmoid(z)"],
    "gru_head.dL_dv": ["sigmoid(z) - y", "(y - sigmoid(z))*h"],
    "gru_head.dL_dh": ["(sigmoid(z) - y)*v/2", "sigmoid(z)*v"],
}


@pytest.mark.parametrize("target, formula", [(t, f) for t, fs in EQUIVALENT.items() for f in fs])
def test_equivalent_rewritings_are_proved(target, formula):
    verdict = check(target, formula)
    assert verdict.status == "proved", str(verdict)
    assert verdict.counterexample is None


def _mp_eval(expr, point):
    import sympy as sp

    return sp.N(expr.xreplace({sp.Symbol(k, real=True): v for k, v in point.items()
                               if k not in ("formula", "expected")}), 40)


@pytest.mark.parametrize("target, formula", [(t, f) for t, fs in WRONG.items() for f in fs])
def test_wrong_formulas_are_refuted_with_a_real_counterexample(target, formula):
    verdict = check(target, formula)
    assert verdict.status == "refuted", str(verdict)
    point = verdict.counterexample
    got, want = _mp_eval(verdict.formula, point), _mp_eval(verdict.reference, point)
    assert abs(got - want) > 1e-30 * (1 + abs(want))
    assert mpmath.almosteq(float(point["formula"]), float(got), 1e-3, 1e-4)   # rounded for reading: 4 digits
    assert mpmath.almosteq(float(point["expected"]), float(want), 1e-3, 1e-4)


def test_a_tiny_but_real_difference_is_refuted_with_enough_digits_to_show_it():
    verdict = check("logreg.dL_dw", "x*(sigmoid(z) - y) + 10**(-40)*x")
    assert verdict.status == "refuted"
    assert verdict.counterexample["formula"] != verdict.counterexample["expected"]


def test_undecided_is_never_reported_as_proved(monkeypatch):
    from gradproof.symbolic._checker import _checker as checker

    monkeypatch.setattr(checker, "is_identically_zero", lambda *a, **k: None)
    assert check("logreg.dL_dz", "1/(1 + exp(-z)) - y").status == "undecided"


def test_targets_are_listed_with_their_variables():
    targets = symbolic.targets()
    for name in ["logreg.dL_dz", "logreg.dL_dw", "logreg.dL_db", "logreg.d2L_dz2", "bce.dL_dp",
                 "pos_weight.dL_dz", "mse_sigmoid.dL_dz", "gru_head.dL_dv", "gru_head.dL_dh"]:
        assert name in targets
        assert targets[name].variables
        assert targets[name].derivation in symbolic.catalog()
    assert set(targets["logreg.dL_dw"].variables) == {"z", "y", "x"}


@pytest.mark.parametrize("formula, fragment", [
    ("x.__class__", "Attribute"),
    ("__import__('os')", "only sigmoid"),
    ("open('f')", "only sigmoid"),
    ("w*x", "unknown name 'w'"),
    ("(lambda: 1)()", "only sigmoid"),
    ("x[0]", "Subscript"),
    ("'a'", "not a number"),
    ("x if y else z", "IfExp"),
    ("sigmoid(z, y)", "exactly one argument"),
    ("sigmoid(z=1)", "exactly one argument"),
    ("", "empty"),
    ("x +", "cannot parse"),
    ("x < y", "Compare"),
    ("x @ y", "MatMult"),
    ("1/0", "division by zero"),
])
def test_unsafe_or_unknown_input_is_rejected(formula, fragment):
    with pytest.raises(FormulaError) as info:
        check("logreg.dL_dw", formula)
    assert fragment in str(info.value)
    assert str(info.value).startswith("formula:")


@pytest.mark.parametrize("formula, expected", [
    # refused by a named limit, each with its own message
    ("10**10**10", "formula: the exponent 10000000000 is larger than 100"),
    ("2**(2**(2**(2**(2**20))))", "formula: the exponent 1048576 is larger than 100"),
    ("x" + "+x" * 50_000, "formula: 100001 characters, more than the limit of 2000"),
    ("(" * 5000 + "x" + ")" * 5000, "formula: 10001 characters, more than the limit of 2000"),
    ("9" * 1001, "formula: a number in it exceeds 1e1000"),
    ("1" + "*1" * 600, "formula: nested deeper than 60 levels"),
    ("(" * 900 + "x" + ")" * 900, "formula: cannot parse it (SyntaxError)"),
    # within the limits: these parse and get a verdict (none of them is the gradient)
    ("exp(exp(exp(exp(exp(z)))))", "refuted"),
    ("9" * 100, "refuted"),
    ("1" + "*1" * 50, "refuted"),
    ("2**100*x", "refuted"),
    ("(" * 100 + "x" + ")" * 100, "refuted"),
    # ... or are the gradient in disguise
    ("x*(sigmoid(z) - y)" + "+x-x" * 10, "proved"),
    ("x*(sigmoid(z) - y) + 0*exp(exp(exp(exp(exp(z)))))", "proved"),
    ("x*(sigmoid(z) - y)*10**99/10**99", "proved"),
])
def test_hostile_formulas_answer_within_seconds(formula, expected):
    """Each answers fast, and in the expected way: a refusal must be the named limit (a formula
    that should parse cannot pass by raising), a verdict must be the right one."""
    start = time.monotonic()
    if expected.startswith("formula:"):
        with pytest.raises(FormulaError) as info:
            check("logreg.dL_dw", formula)
        assert str(info.value).startswith(expected), str(info.value)
    else:
        verdict = check("logreg.dL_dw", formula)
        assert verdict.status == expected, str(verdict)
    assert time.monotonic() - start < 10


def test_unknown_target_is_a_value_error_naming_target():
    with pytest.raises(ValueError, match="^target:"):
        check("logreg.nope", "x")


def test_parser_never_evaluates_python(tmp_path, monkeypatch):
    marker = tmp_path / "touched"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FormulaError):
        check("logreg.dL_dw", f"__import__('pathlib').Path('{marker.name}').touch()")
    assert not marker.exists()


def test_log_rules_that_need_positivity_are_not_used_to_prove():
    """log(x^2) = 2 log(x) only for x > 0; x is any real feature, so this is not proved."""
    verdict = check("logreg.dL_dw", "x*(sigmoid(z) - y) + log(x*x) - 2*log(x)")
    assert verdict.status != "proved"
