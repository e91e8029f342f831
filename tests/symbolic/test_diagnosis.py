"""Issue 22: a refuted formula gets a diagnosis only when its relation to the gradient is proved by
the checker's engine; one formula per family, none for a formula that matches no family, and a
wrong hint put in on purpose is caught."""

from __future__ import annotations

import pytest
import sympy as sp

from gradproof.symbolic import check, is_identically_zero, targets
from gradproof.symbolic._checker import _diagnosis
from gradproof.symbolic._checker._parse import parse

MISTAKES = {
    "logreg.dL_dw": [
        ("(y - sigmoid(z))*x", "sign error"),
        ("2*(sigmoid(z) - y)*x", "2 times the gradient"),
        ("(sigmoid(z) - y)/2*x", "1/2 times the gradient"),
        ("sigmoid(z) - y", "multiply by x for w"),
        ("(sigmoid(z) - y)*x**2", "extra factor x"),
        ("(sigmoid(z) - y)*sigmoid(z)*(1 - sigmoid(z))*x", "squared error"),
        ("x*(sigmoid(z) - y)/(sigmoid(z)*(1 - sigmoid(z)))", "dL/dp"),
        ("x*(sigmoid(z) - (1 - y))", "labels are exchanged"),
        ("x*sigmoid(z)", "the gradient plus x*y"),
        ("x*(sigmoid(z) - y) + 1", "the gradient plus 1"),
        ("z*(sigmoid(x) - y)", "z and x are exchanged"),
    ],
    "logreg.dL_dz": [
        ("y - sigmoid(z)", "sign error"),
        ("(sigmoid(z) - y)*sigmoid(z)", "extra factor sigma(z)"),
        ("(sigmoid(z) - y)*sigmoid(z)*(1 - sigmoid(z))", "squared error"),
        ("sigmoid(z) + y", "the gradient plus 2*y"),
    ],
    "logreg.d2L_dz2": [
        ("sigmoid(z)", "times 1 - sigma(z) is the gradient"),
        ("-sigmoid(z)*(1 - sigmoid(z))", "sign error"),
    ],
}


@pytest.mark.parametrize("target, formula, hint", [(t, f, h) for t, cases in MISTAKES.items() for f, h in cases])
def test_each_mistake_family_gets_its_proved_diagnosis(target, formula, hint):
    verdict = check(target, formula)
    assert verdict.status == "refuted", str(verdict)
    assert hint in verdict.diagnosis, str(verdict)
    assert_diagnosis_is_proved(target, formula, verdict.diagnosis)


@pytest.mark.parametrize("formula", ["x*tanh(z)", "x**2*z", "x*exp(z)", "x*(sigmoid(z) - y)**3"])
def test_a_formula_matching_no_family_gets_no_hint(formula):
    verdict = check("logreg.dL_dw", formula)
    assert verdict.status == "refuted" and verdict.diagnosis == ""


def assert_diagnosis_is_proved(target: str, formula: str, hint: str) -> None:
    """Independently of the checker: the relation named by the hint holds exactly."""
    chosen = targets()[target]
    expr = parse(formula, chosen.variables).expr
    relations = [r for r in _diagnosis.candidates(chosen.reference, chosen.variables, expr) if r.hint == hint]
    assert relations, f"no relation of the family says {hint!r}"
    assert any(is_identically_zero(expr - r.expression) is True for r in relations), hint


def test_a_wrong_hint_put_in_deliberately_is_caught(monkeypatch):
    wrong = _diagnosis.Relation("invented", sp.Integer(3), "your formula is 3 (invented)")
    real = _diagnosis.candidates
    monkeypatch.setattr(_diagnosis, "candidates", lambda *args: [wrong] + real(*args))
    assert "invented" not in check("logreg.dL_dw", "(y - sigmoid(z))*x").diagnosis   # not proved: not shown
    monkeypatch.setattr(_diagnosis, "relation_holds", lambda *args: True)            # an engine that guesses
    rigged = _diagnosis.diagnose(parse("(y - sigmoid(z))*x", targets()["logreg.dL_dw"].variables).expr,
                                 targets()["logreg.dL_dw"].reference, targets()["logreg.dL_dw"].variables, [],
                                 holds=lambda *args: True)
    assert rigged is wrong
    with pytest.raises(AssertionError):
        assert_proved_relation("logreg.dL_dw", "(y - sigmoid(z))*x", rigged)


def assert_proved_relation(target: str, formula: str, relation) -> None:
    chosen = targets()[target]
    expr = parse(formula, chosen.variables).expr
    assert is_identically_zero(expr - relation.expression) is True


def test_the_counterexample_is_a_simple_point_where_the_values_differ_clearly():
    verdict = check("logreg.d2L_dz2", "exp(-z)/(1 + exp(-z))")
    point = {k: v for k, v in verdict.counterexample.items() if k not in ("formula", "expected")}
    assert all(abs(sp.Rational(v).p) + sp.Rational(v).q <= 4 for v in point.values()), point
    got, want = float(verdict.counterexample["formula"]), float(verdict.counterexample["expected"])
    assert abs(got - want) > 0.01
    assert len(verdict.counterexample["formula"]) <= 8


@pytest.mark.parametrize("target", ["logreg.dL_dz", "logreg.dL_db", "logreg.d2L_dz2"])
def test_the_multiply_by_x_advice_is_given_only_for_a_gradient_in_w(target):
    verdict = check(target, "(sigmoid(z) - y)/x" if target != "logreg.d2L_dz2" else "sigmoid(z)*(1 - sigmoid(z))/x")
    assert "multiply by x for w" not in verdict.diagnosis
    if verdict.diagnosis:
        assert_diagnosis_is_proved(target, "(sigmoid(z) - y)/x" if target != "logreg.d2L_dz2"
                                   else "sigmoid(z)*(1 - sigmoid(z))/x", verdict.diagnosis)


def test_a_divisor_undefined_at_a_point_is_not_a_failure_near_it():
    assert check("logreg.dL_dw", "(sigmoid(z) - y)/(1/x)").status == "proved-except"
