"""Any binary loss: named losses against their formulas from the literature, margin verdicts
checked against independent float evaluations, two user formulas, and the bad inputs."""

import math

import pytest
import sympy as sp

from gradproof import symbolic
from gradproof.symbolic._losses._loss_catalog import cross_entropy
from gradproof.symbolic._proof._zero import is_identically_zero
from gradproof.symbolic._vocabulary._symbols import y, z

s = symbolic.sigmoid(z)
NAMED = ["bce", "bce_pos_weight:pos_weight=3", "squared_error", "focal", "focal:gamma=0,alpha=0.5",
         "label_smoothing:eps=0.1", "exponential"]


def _focal_gradient(gamma, alpha):
    """dFL/dz typed from the product rule: d(1 - p_t)/dz = (1 - 2y) s (1 - s)."""
    alpha_t = alpha * y + (1 - alpha) * (1 - y)
    q = 1 - (s * y + (1 - s) * (1 - y))
    return alpha_t * (q ** gamma * (s - y) + gamma * q ** (gamma - 1) * (1 - 2 * y) * s * (1 - s) * cross_entropy())


EXPECTED = {
    "bce": s - y,
    "bce_pos_weight:pos_weight=3": s * (3 * y + 1 - y) - 3 * y,
    "squared_error": (s - y) * s * (1 - s),
    "focal": _focal_gradient(2, sp.Rational(1, 4)),
    "focal:gamma=0,alpha=0.5": (s - y) / 2,
    "label_smoothing:eps=0.1": s - sp.Rational(9, 10) * y - sp.Rational(1, 20),
    "exponential": -(2 * y - 1) * sp.exp(-(2 * y - 1) * z),
}


@pytest.fixture(scope="module")
def losses():
    return {name: symbolic.loss(name) for name in NAMED}


@pytest.mark.parametrize("name", NAMED)
def test_named_loss_gradient_matches_the_literature_and_every_derivation_verifies(losses, name):
    loss = losses[name]
    assert is_identically_zero(loss.grad - EXPECTED[name]) is True
    assert all(d.verify() for d in loss.derivations), [d.name for d in loss.derivations if not d.verify()]
    assert is_identically_zero(loss.hessian - sp.diff(EXPECTED[name], z)) is True


def test_bce_gradient_is_written_as_a_person_would(losses):
    assert losses["bce"].grad == s - y
    assert losses["bce"].hessian == s * (1 - s)
    assert losses["label_smoothing:eps=0.1"].hessian == s * (1 - s)


def _magnitude(loss, label, m):
    """|dL/dz| at a hard label, evaluated in floats from the literature's formula (independent)."""
    zv = m if label == 1 else -m
    return abs(float(EXPECTED[loss].subs({y: label, z: zv}).rewrite(sp.exp).evalf(30)))


@pytest.mark.parametrize("name, verdict", [
    ("bce", "decreasing (proved)"), ("bce_pos_weight:pos_weight=3", "decreasing (proved)"),
    ("exponential", "decreasing (proved)"), ("focal:gamma=0,alpha=0.5", "decreasing (proved)"),
    ("squared_error", "not monotone (refuted)"), ("focal", "not monotone (refuted)"),
    ("label_smoothing:eps=0.1", "not monotone (refuted)"),
])
def test_margin_monotonicity_verdicts(losses, name, verdict):
    for profile in losses[name].margin_profile():
        assert profile.monotone == verdict
        if verdict.startswith("not monotone"):
            assert any(line.startswith("certified: a local") for line in profile.evidence)


def test_focal_rises_then_falls_for_wrong_samples(losses):
    """gamma = 2: |dL/dz| has a maximum at a negative margin, above its limit alpha at m -> -oo."""
    (y1, y0) = losses["focal"].margin_profile()
    assert (y1.limit_wrong, y1.limit_right) == (sp.Rational(1, 4), 0)
    assert (y0.limit_wrong, y0.limit_right) == (sp.Rational(3, 4), 0)
    bracket = next(line for line in y1.evidence if "local maximum" in line)
    low, high = (sp.Rational(v) for v in bracket.split("(")[1].split(")")[0].split(", "))
    assert high < 0
    peak = max(_magnitude("focal", 1, float(low + (high - low) * i / 20)) for i in range(21))
    assert peak > _magnitude("focal", 1, float(low)) and peak > _magnitude("focal", 1, float(high))
    assert peak > 0.25 > _magnitude("focal", 1, 0.0)


def test_limits(losses):
    ls = losses["label_smoothing:eps=0.1"].margin_profile()[0]
    assert (ls.limit_right, ls.limit_wrong) == (sp.Rational(1, 20), sp.Rational(19, 20))
    ex = losses["exponential"].margin_profile()[0]
    assert (ex.limit_right, ex.limit_wrong) == (0, sp.oo)
    se = losses["squared_error"].margin_profile()[1]
    assert (se.limit_right, se.limit_wrong) == (0, 0)
    assert losses["bce_pos_weight:pos_weight=3"].margin_profile()[0].limit_wrong == 3


def test_certified_pairs_agree_with_float_evaluation(losses):
    for name in ("squared_error", "label_smoothing:eps=0.1"):
        profile = losses[name].margin_profile()[0]
        for line in profile.evidence[:2]:
            a, b = (float(sp.Rational(part.split("= ")[1].split(")")[0])) for part in line.split("(m")[1:3])
            rising = "<" in line
            assert (_magnitude(name, 1, a) < _magnitude(name, 1, b)) == rising


USER_FOCAL = "(1 - sigmoid(z))**2*(-y*log(sigmoid(z))) - (1-y)*sigmoid(z)**2*log(1 - sigmoid(z))"


def test_user_formula_focal_without_alpha_equals_twice_focal_with_half_alpha_at_hard_labels():
    user, focal = symbolic.loss(USER_FOCAL), symbolic.loss("focal:gamma=2,alpha=0.5")
    for label in (0, 1):
        assert is_identically_zero((user.grad - 2 * focal.grad).subs(y, label)) is True
    assert all(d.verify() for d in user.derivations)
    assert user.margin_profile()[0].monotone == "not monotone (refuted)"


def test_user_formula_softplus_of_negative_margin_is_bce_for_hard_labels():
    user = symbolic.loss("log(1 + exp(-(2*y - 1)*z))")
    for label in (0, 1):
        assert is_identically_zero((user.grad - (s - y)).subs(y, label)) is True
    assert user.margin_profile()[0].monotone == "decreasing (proved)"
    assert all(d.verify() for d in user.derivations)


def test_keyword_parameters_and_canonical_name():
    assert symbolic.loss("focal", gamma=2).name == "focal:gamma=2,alpha=1/4"
    assert symbolic.loss("focal:gamma=1", alpha=0.5).name == "focal:gamma=1,alpha=1/2"
    for name in ("focal:gamma=2,alpha=1/4", "label_smoothing:eps=1/10", "focal:gamma=3/2,alpha=0"):
        assert symbolic.loss(name).name == name  # the canonical name reads back as the same loss


@pytest.mark.parametrize("text, params, named", [
    ("focal:gamma=-1", {}, "gamma"), ("focal", {"gamma": -0.5}, "gamma"), ("focal:alpha=1.5", {}, "alpha"),
    ("label_smoothing:eps=1", {}, "eps"), ("label_smoothing", {}, "eps"), ("bce_pos_weight", {}, "pos_weight"),
    ("bce_pos_weight:pos_weight=0", {}, "pos_weight"), ("focal:beta=2", {}, "beta"),
    ("focal:gamma=", {}, "gamma"), ("focal:gamma=abc", {}, "gamma"), ("nosuch", {}, "nosuch"),
    ("focal:gamma=1/0", {}, "gamma"), ("focal:gamma=1/2/3", {}, "gamma"),
    ("y**2 + 1", {}, "does not depend on the logit z"), ("log(z) - y", {}, "must be real and differentiable"),
    ("(z**2)**(1/2)", {}, "differentiable for every real z"), ("y*z + __import__('os')", {}, "formula"),
    ("z*y", {"gamma": 1}, "takes no parameters"),
])
def test_bad_input_is_an_input_error_naming_the_problem(text, params, named):
    with pytest.raises(symbolic.InputError, match=named.replace("(", r"\(")):
        symbolic.loss(text, **params)


def test_a_simplification_that_times_out_is_undecided_and_the_result_stays_exact(monkeypatch):
    from gradproof.symbolic._losses import _loss as loss_module

    monkeypatch.setattr(loss_module, "TIDY_SECONDS", 1e-6)
    loss = symbolic.loss("focal")
    assert any("undecided" in note for note in loss.undecided)
    assert is_identically_zero(loss.grad - EXPECTED["focal"]) is True
    assert loss.derivations[0].verify()
    assert not math.isnan(float(loss.grad.subs({z: 1, y: 1}).evalf()))


def test_loss_targets_for_the_checker(losses):
    targets = losses["focal"].targets()
    assert set(targets) == {"dL_dz", "dL_dw", "d2L_dz2"}
    written = "x*(sigmoid(z) - y)*(y + (1 - 2*y)*sigmoid(z))**2*(3/4 - y/2) + x*(3/4 - y/2)*2*(1 - 2*y)*" \
              "(y + (1 - 2*y)*sigmoid(z))*sigmoid(z)*(1 - sigmoid(z))*(-y*log(sigmoid(z)) - (1 - y)*log(sigmoid(-z)))"
    assert symbolic.check(targets["dL_dw"], written).status == "proved"
    assert symbolic.check(targets["dL_dw"], written.replace("3/4", "1/4", 1)).status == "refuted"
