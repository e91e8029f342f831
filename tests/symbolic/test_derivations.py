"""Every derivation verifies, and verification fails when a step is wrong."""

from dataclasses import replace

import pytest
import sympy as sp

import symbolic
from symbolic import Derivation, Fact, Step, sigmoid
from symbolic._symbols import y, z

CATALOG = symbolic.catalog()

REQUIRED = [
    "sigmoid_derivative", "bce_dL_dp", "bce_logit_form", "bce_dL_dz", "bce_logit_dL_dz",
    "bce_d2L_dz2", "logreg_dL_dw", "logreg_dL_db", "batch_mean_gradient", "batch_sum_gradient",
    "batch_weighted_gradient", "pos_weight_dL_dz", "logreg_hessian", "logreg_hessian_psd",
    "gru_head_dL_dv", "gru_head_dL_dc", "gru_head_dL_dh", "mse_sigmoid_dL_dz", "softmax_ce_dL_dz",
    "residual_margin", "residual_margin_slope",
]


def test_catalog_has_the_required_results():
    assert set(REQUIRED) <= set(CATALOG)


@pytest.mark.parametrize("name", list(CATALOG))
def test_every_derivation_verifies(name):
    d = CATALOG[name]
    assert d.chain_is_linked()
    assert all(d.step_checks()), [s.rule for s, ok in zip(d.steps, d.step_checks()) if not ok]
    assert d.verify()


def _break_last_step(d: Derivation, wrong: sp.Expr) -> Derivation:
    last = d.steps[-1]
    steps = d.steps[:-1] + (replace(last, after=wrong),)
    return replace(d, steps=steps, result=sp.Eq(d.result.lhs, wrong, evaluate=False))


@pytest.mark.parametrize("name, mutate", [
    ("bce_dL_dz", lambda rhs: -rhs),                              # sign error
    ("bce_dL_dz", lambda rhs: rhs * sigmoid(z) * (1 - sigmoid(z))),  # extra sigma'
    ("bce_dL_dz", lambda rhs: rhs.subs(y, 1 - y)),                # swapped y and 1 - y
    ("logreg_dL_dw", lambda rhs: rhs / rhs.atoms(sp.Indexed).pop()),  # missing x_k
    ("batch_sum_gradient", lambda rhs: rhs / sp.Symbol("B", integer=True, positive=True)),  # 1/B
    ("batch_mean_gradient", lambda rhs: 2 * rhs),
    ("logreg_hessian", lambda rhs: rhs * 2),
    ("pos_weight_dL_dz", lambda rhs: rhs.subs(symbolic._symbols.pw, 1)),
    ("mse_sigmoid_dL_dz", lambda rhs: sigmoid(z) - y),
    ("gru_head_dL_dh", lambda rhs: rhs.subs(y, 0)),
])
def test_a_wrong_final_step_fails_verification(name, mutate):
    d = CATALOG[name]
    broken = _break_last_step(d, mutate(d.result.rhs))
    assert broken.chain_is_linked()
    assert not broken.step_checks()[-1]
    assert not broken.verify()


def test_a_broken_chain_fails_even_when_each_step_holds():
    d = CATALOG["bce_dL_dz"]
    assert not replace(d, steps=d.steps[1:]).verify()


def test_a_false_fact_fails():
    d = CATALOG["bce_d2L_dz2"]
    assert not replace(d, facts=(Fact(sigmoid(z) - sp.Rational(1, 2), "not positive"),)).verify()


def test_taylor_check_rejects_a_wrong_quadratic_form():
    d = CATALOG["logreg_hessian_psd"]
    step = d.steps[1]
    assert step.holds()
    assert not replace(step, after=2 * step.after).holds()
    assert not replace(step, after=step.after + 1).holds()


def test_hard_label_cases_are_each_required():
    d = CATALOG["residual_margin"]
    step = d.steps[0]
    wrong = Step(step.before, sigmoid((2 * y - 1) * z), step.rule)
    assert not replace(d, steps=(wrong,), result=sp.Eq(d.result.lhs, wrong.after)).verify()


def test_latex_and_text_show_each_rule():
    d = CATALOG["logreg_dL_dw"]
    tex, text = d.latex(), d.text()
    assert tex.startswith("\\begin{aligned}") and tex.count("&=") == len(d.steps)
    assert "bce\\_logit\\_dL\\_dz" in tex
    for step in d.steps:
        assert step.rule in text
    assert d._repr_latex_().startswith("$$")


@pytest.mark.parametrize("name", list(CATALOG))
def test_every_step_renders_in_mathtext(name):
    from matplotlib.mathtext import MathTextParser

    parser = MathTextParser("path")
    d = CATALOG[name]
    for step in d.steps:
        parser.parse("$" + sp.latex(d.shown(step.after)) + "$")


GRU = ["gru_cell_dh", "gru_cell_dx", "gru_bptt_recurrence"] + [
    f"gru_cell_d{p}_{kind}{gate}" for p in ("W", "b") for kind in "ih" for gate in "rzn"]


def test_gru_cell_derivations_are_in_the_catalog():
    assert set(GRU) <= set(CATALOG)


def test_the_other_libraries_gru_convention_is_refuted():
    """With b_hn outside the product with r (Keras' reset_after=False style), dh'/db_hn loses the
    factor r; the derivation must reject that."""
    from symbolic import _gru_cell as cell

    d = CATALOG["gru_cell_db_hn"]
    wrong = sp.KroneckerDelta(cell.k, cell.p) * (1 - cell.u_(cell.k)) * (1 - cell.n_(cell.k) ** 2)
    assert not _break_last_step(d, wrong).verify()


def test_bptt_recurrence_without_the_direct_path_fails():
    from symbolic import _gru_cell as cell

    d = CATALOG["gru_bptt_recurrence"]
    wrong = d.result.rhs - cell.g[cell.q] * cell.u_(cell.q)
    assert not _break_last_step(d, wrong).verify()


# --- hypotheses are part of the statement (issue 10, item 6) ---------------------------

def _with_last_step(d: Derivation, after: sp.Expr, substitutions: dict) -> Derivation:
    last = replace(d.steps[-1], after=after, substitutions=substitutions)
    return replace(d, steps=d.steps[:-1] + (last,), result=sp.Eq(d.result.lhs, after, evaluate=False))


@pytest.mark.parametrize("name, after, substitutions", [
    ("bce_dL_dz", sigmoid(z), {y: 0}),                     # the reproducer
    ("bce_dL_dz", sigmoid(z) - 1, {y: 1}),
    ("pos_weight_dL_dz", sigmoid(z) * (1 - y) - y, {symbolic._symbols.pw: 1}),
])
def test_an_undeclared_hypothesis_is_refused(name, after, substitutions):
    broken = _with_last_step(CATALOG[name], after, substitutions)
    verdict = broken.verdicts()[-1]
    assert verdict.status == "refused" and "undeclared hypothesis" in verdict.reason
    assert not broken.verify()


def test_a_declared_hypothesis_is_used_and_printed():
    from symbolic import Hypothesis

    y_is_zero = Hypothesis("y = 0 (negative samples only)", ({y: 0},))
    d = replace(_with_last_step(CATALOG["bce_dL_dz"], sigmoid(z), {y: 0}), hypotheses=(y_is_zero,))
    assert d.verify()
    assert "hypothesis: y = 0 (negative samples only)" in d.text()
    assert "negative samples only" in d.latex()
    assert "by hypothesis y = 0" in d.text()


def test_hypotheses_of_the_catalog_are_data_and_shown():
    for name in ("residual_margin", "softmax_ce_dL_dz"):
        d = CATALOG[name]
        assert d.hypotheses and all(h.statement and h.cases for h in d.hypotheses)
        for h in d.hypotheses:
            assert f"hypothesis: {h.statement}" in d.text()
    assert CATALOG["residual_margin"].hypothesis_cases() == [{y: 0}, {y: 1}]


def test_a_hypothesis_restricts_every_step_of_the_witness():
    """Dropping the hard-label hypothesis makes |s - y| = sigma(-m) false for soft labels."""
    d = replace(CATALOG["residual_margin"], hypotheses=())
    assert [v.status for v in d.verdicts()] == ["refuted"]
