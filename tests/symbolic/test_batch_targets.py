"""Issue 22: batch targets take a batch formula (B samples, one scalar loss) and check it against the
verified batch derivations; assert_formula passes only on "proved"."""

from __future__ import annotations

import pytest

from gradproof import numeric, symbolic
from gradproof.symbolic import FormulaAssertionError, FormulaError, assert_formula, check, targets


@pytest.mark.parametrize("target, formula, status, hint", [
    ("batch.dL_dw", "(1/B)*sum((sigmoid(z_i) - y_i)*x_i, i)", "proved", ""),
    ("batch.dL_dw", "sum(sigmoid(z_i)*x_i, i)/B - sum(y_i*x_i, i)/B", "proved", ""),
    ("batch.dL_dw", "(1/B)*Σ((σ(z_i) − y_i)*x_i, i)", "proved", ""),
    ("batch.dL_dw", "sum((sigmoid(z_i) - y_i)*x_i, i)", "refuted", "B times the gradient"),
    ("batch.dL_dw", "(1/B)*sum((y_i - sigmoid(z_i))*x_i, i)", "refuted", "sign error"),
    ("batch.dL_dw", "(1/B)*sum(sigmoid(z_i) - y_i, i)", "refuted", ""),
    ("batch_sum.dL_dw", "sum((sigmoid(z_i) - y_i)*x_i, i)", "proved", ""),
    ("batch_sum.dL_dw", "(1/B)*sum((sigmoid(z_i) - y_i)*x_i, i)", "refuted", "1/B times the gradient"),
    ("batch_weighted.dL_dw", "(1/B)*sum(omega_i*(sigmoid(z_i) - y_i)*x_i, i)", "proved", ""),
    ("batch_weighted.dL_dw", "(1/B)*sum((sigmoid(z_i) - y_i)*x_i, i)", "refuted", ""),
    ("batch_pos_weight.dL_dw", "(1/B)*sum((sigmoid(z_i)*(pw*y_i + 1 - y_i) - pw*y_i)*x_i, i)", "proved", ""),
    ("batch_pos_weight.dL_dw", "(1/B)*sum(((1 - y_i)*sigmoid(z_i) - p_w*y_i*sigmoid(-z_i))*x_i, i)", "proved", ""),
    ("batch_pos_weight.dL_dw", "(1/B)*sum((sigmoid(z_i) - y_i)*x_i, i)", "refuted", ""),
    ("batch_pos_weight.dL_dw", "(1/B)*sum((sigmoid(z_i)*(pw*y_i + 1 - y_i) - y_i)*x_i, i)", "refuted", ""),
    ("batch_pos_weight.dL_dw", "sum((sigmoid(z_i)*(pw*y_i + 1 - y_i) - pw*y_i)*x_i, i)", "refuted",
     "B times the gradient"),
])
def test_batch_formulas_are_checked_against_the_batch_derivations(target, formula, status, hint):
    verdict = check(target, formula)
    assert verdict.status == status, str(verdict)
    assert hint in verdict.diagnosis
    if status == "refuted":
        assert "B" in verdict.counterexample


def test_every_batch_target_says_how_to_write_the_sum():
    for name in ("batch.dL_dw", "batch_sum.dL_dw", "batch_weighted.dL_dw", "batch_pos_weight.dL_dw"):
        assert "sum(EXPR, i)" in targets()[name].describe()


@pytest.mark.parametrize("formula, fragment", [
    ("(sigmoid(z_i) - y_i)*x_i", "inside sum(..., i)"),
    ("sum(sum(x_i, i), i)", "inside a batch sum"),
    ("sum(x_i)", "sum(EXPR, i)"),
    ("sum(x_i, j)", "sum(EXPR, i)"),
])
def test_a_batch_formula_written_wrong_says_how_to_write_it(formula, fragment):
    with pytest.raises(FormulaError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        check("batch.dL_dw", formula)


def test_assert_formula_passes_only_on_proved():
    assert assert_formula("logreg.dL_dw", "(sigmoid(z) - y)*x").status == "proved"
    assert numeric.testing.assert_formula is symbolic.assert_formula
    for formula, status in (("(y - sigmoid(z))*x", "refuted"),
                            ("(sigmoid(z) - y)*x*(exp(z) - 1)/(exp(z) - 1)", "proved-except")):
        with pytest.raises(FormulaAssertionError) as error:
            assert_formula("logreg.dL_dw", formula)
        assert error.value.verdict.status == status
        assert str(error.value).startswith(f"{status}, not proved")
    with pytest.raises(FormulaAssertionError, match="sign error"):
        assert_formula("logreg.dL_dw", "(y - sigmoid(z))*x")
