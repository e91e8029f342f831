"""Scalar derivations: the sigmoid, BCE on a probability and on a logit, pos_weight,
the curvature, and the residual's link to the margin.

Notation: s = sigmoid(z), residual r = s - y, signed margin m = (2y - 1) z.
"""

from __future__ import annotations

import sympy as sp

from .._proof import Derivation, Fact, Hypothesis, Step
from .._vocabulary import m, p, pw, sigmoid, y, z

s = sigmoid(z)
Derivative = sp.Derivative
HARD_LABELS = Hypothesis("y in {0, 1} (hard labels)", ({y: 0}, {y: 1}))


def bce_on_probability(prob: sp.Expr, label: sp.Expr = y) -> sp.Expr:
    """L(p, y) = -y log p - (1 - y) log(1 - p)."""
    return -label * sp.log(prob) - (1 - label) * sp.log(1 - prob)


def bce_on_logit(logit: sp.Expr, label: sp.Expr = y) -> sp.Expr:
    """L(z, y) = log(1 + exp(z)) - y z, the form BCEWithLogitsLoss evaluates."""
    return sp.log(1 + sp.exp(logit)) - label * logit


def sigmoid_derivative() -> Derivation:
    expz = sp.exp(-z)
    steps = (
        Step(Derivative(s, z), Derivative(1 / (1 + expz), z), "definition of sigma"),
        Step(Derivative(1 / (1 + expz), z), expz / (1 + expz) ** 2, "chain rule"),
        Step(expz / (1 + expz) ** 2, sp.Mul(1 / (1 + expz), expz / (1 + expz), evaluate=False),
             "split the fraction"),
        Step(sp.Mul(1 / (1 + expz), expz / (1 + expz), evaluate=False), s * (1 - s),
             "1 - sigma(z) = exp(-z)/(1 + exp(-z))"),
    )
    return Derivation("sigmoid_derivative", "Derivative of the sigmoid",
                      sp.Eq(Derivative(s, z), s * (1 - s), evaluate=False), steps,
                      statement="sigma'(z) = sigma(z)(1 - sigma(z))")


def bce_dL_dp() -> Derivation:
    lhs = Derivative(bce_on_probability(p), p)
    mid = -y / p + (1 - y) / (1 - p)
    rhs = (p - y) / (p * (1 - p))
    return Derivation("bce_dL_dp", "BCE on a probability: gradient in p", sp.Eq(lhs, rhs, evaluate=False),
                      (Step(lhs, mid, "derivative of log"), Step(mid, rhs, "common denominator")),
                      statement="dL/dp = (p - y) / (p (1 - p)), for 0 < p < 1")


def bce_logit_form() -> Derivation:
    lhs = bce_on_probability(s)
    a = -y * -sp.log(1 + sp.exp(-z)) - (1 - y) * (-z - sp.log(1 + sp.exp(-z)))
    b = sp.log(1 + sp.exp(-z)) + (1 - y) * z
    rhs = bce_on_logit(z)
    steps = (
        Step(lhs, a, "log sigma(z) = -log(1 + e^-z), log(1 - sigma(z)) = -z - log(1 + e^-z)"),
        Step(a, b, "collect terms"),
        Step(b, rhs, "log(1 + e^-z) + z = log(1 + e^z)"),
    )
    return Derivation("bce_logit_form", "BCE on a probability equals BCE on the logit",
                      sp.Eq(lhs, rhs, evaluate=False), steps,
                      statement="with s = sigma(z), -y log s - (1-y) log(1-s) = log(1 + e^z) - y z: "
                                "the two forms agree")


def bce_dL_dz() -> Derivation:
    lhs = Derivative(bce_on_probability(s), z)
    dL_ds = -y / s + (1 - y) / (1 - s)
    chain = sp.Mul(dL_ds, Derivative(s, z), evaluate=False)
    lemma = sp.Mul(dL_ds, s * (1 - s), evaluate=False)
    cancelled = -y * (1 - s) + (1 - y) * s
    steps = (
        Step(lhs, chain, "chain rule"),
        Step(chain, lemma, "sigmoid_derivative"),
        Step(lemma, cancelled, "cancel sigma(z) and 1 - sigma(z)"),
        Step(cancelled, s - y, "expand"),
    )
    return Derivation("bce_dL_dz", "BCE gradient with respect to the logit", sp.Eq(lhs, s - y, evaluate=False),
                      steps, statement="dL/dz = sigma(z) - y: the residual r")


def bce_logit_dL_dz() -> Derivation:
    lhs = Derivative(bce_on_logit(z), z)
    mid = sp.exp(z) / (1 + sp.exp(z)) - y
    return Derivation("bce_logit_dL_dz", "Gradient of the logit form log(1 + e^z) - y z",
                      sp.Eq(lhs, s - y, evaluate=False),
                      (Step(lhs, mid, "derivative of log(1 + e^z)"),
                       Step(mid, s - y, "e^z / (1 + e^z) = sigma(z)")),
                      statement="the logit form gives the same dL/dz = sigma(z) - y")


def bce_d2L_dz2() -> Derivation:
    lhs = Derivative(s - y, z)
    return Derivation("bce_d2L_dz2", "Curvature of BCE in the logit", sp.Eq(lhs, s * (1 - s), evaluate=False),
                      (Step(lhs, s * (1 - s), "sigmoid_derivative"),),
                      facts=(Fact(s * (1 - s), "sigma(z)(1 - sigma(z)) > 0: BCE is convex in z"),),
                      statement="d2L/dz2 = sigma(z)(1 - sigma(z)) > 0")


def pos_weight_dL_dz() -> Derivation:
    loss = -(pw * y * sp.log(s) + (1 - y) * sp.log(1 - s))
    lhs = Derivative(loss, z)
    chain = sp.Mul(-pw * y / s + (1 - y) / (1 - s), s * (1 - s), evaluate=False)
    expanded = -pw * y * (1 - s) + (1 - y) * s
    rhs = s * (pw * y + 1 - y) - pw * y
    steps = (
        Step(lhs, chain, "chain rule and sigmoid_derivative"),
        Step(chain, expanded, "cancel sigma(z) and 1 - sigma(z)"),
        Step(expanded, rhs, "collect sigma(z)"),
    )
    return Derivation("pos_weight_dL_dz", "BCEWithLogitsLoss with pos_weight p_w", sp.Eq(lhs, rhs, evaluate=False),
                      steps, statement="dL/dz = sigma(z)(p_w y + 1 - y) - p_w y")


def stable_residual() -> Derivation:
    lhs = s * (pw * y + 1 - y) - pw * y
    mid = (1 - y) * s - pw * y * (1 - s)
    rhs = (1 - y) * s - pw * y * sigmoid(-z)
    return Derivation("stable_residual", "The residual in a form that never cancels near 1",
                      sp.Eq(lhs, rhs, evaluate=False),
                      (Step(lhs, mid, "collect p_w y"), Step(mid, rhs, "1 - sigma(z) = sigma(-z)")),
                      statement="sigma(z)(p_w y + 1 - y) - p_w y = (1 - y) sigma(z) - p_w y sigma(-z): "
                      "how numeric evaluates dL/dz, exact in relative terms for hard labels")


def mse_sigmoid_dL_dz() -> Derivation:
    lhs = Derivative((s - y) ** 2 / 2, z)
    chain = sp.Mul(s - y, Derivative(s, z), evaluate=False)
    rhs = (s - y) * s * (1 - s)
    return Derivation("mse_sigmoid_dL_dz", "Contrast: squared error on the sigmoid output",
                      sp.Eq(lhs, rhs, evaluate=False),
                      (Step(lhs, chain, "chain rule"), Step(chain, rhs, "sigmoid_derivative")),
                      statement="with s = sigma(z), L = (s - y)^2 / 2 gives dL/dz = (s - y) s (1 - s): the factor "
                      "s (1 - s) vanishes when the sample is confidently wrong")


def residual_margin() -> Derivation:
    margin = (2 * y - 1) * z
    lhs = sp.Abs(s - y)
    return Derivation(
        "residual_margin", "The residual is a decreasing function of the signed margin",
        sp.Eq(lhs, sigmoid(-margin), evaluate=False),
        (Step(lhs, sigmoid(-margin), "case y = 1: 1 - sigma(z) = sigma(-z); case y = 0: sigma(z)"),),
        hypotheses=(HARD_LABELS,),
        facts=(
            Fact(sigmoid(-m) * (1 - sigmoid(-m)),
                 "d/dm sigma(-m) = -sigma(-m)(1 - sigma(-m)) < 0: |r| falls strictly as m grows"),
        ),
        statement="for hard labels |sigma(z) - y| = sigma(-m) with m = (2y - 1) z; sigma(-0) = 1/2 "
        "and sigma(-m) decreases strictly, so |r| < 1/2 exactly when m > 0, i.e. when the sample "
        "is classified correctly at threshold 1/2",
        assumptions="y in {0, 1}",
    )


def residual_margin_slope() -> Derivation:
    lhs = Derivative(sigmoid(-m), m)
    rhs = -sigmoid(-m) * (1 - sigmoid(-m))
    return Derivation("residual_margin_slope", "Slope of |r| = sigma(-m) in the margin m",
                      sp.Eq(lhs, rhs, evaluate=False), (Step(lhs, rhs, "chain rule and sigmoid_derivative"),),
                      facts=(Fact(-rhs, "the slope is negative for every real m"),),
                      statement="d|r|/dm = -sigma(-m)(1 - sigma(-m)) < 0")


def softmax_ce_dL_dz() -> Derivation:
    """Multi-class contrast for K classes (K symbolic), labels y_c summing to one."""
    K = sp.Symbol("K", integer=True, positive=True)
    c, m, j = sp.symbols("c m j", integer=True, nonnegative=True)
    logits, labels = sp.IndexedBase("z", real=True), sp.IndexedBase("y", real=True)
    total = sp.Sum(sp.exp(logits[m]), (m, 0, K - 1))
    loss = -sp.Sum(labels[c] * (logits[c] - sp.log(total)), (c, 0, K - 1))
    lhs = Derivative(loss, logits[j])
    label_sum = sp.Sum(labels[c], (c, 0, K - 1))
    mid = -labels[j] + label_sum * sp.exp(logits[j]) / total
    rhs = sp.exp(logits[j]) / total - labels[j]
    labels_sum_to_one = Hypothesis("sum_c y_c = 1 (one-hot or soft labels)", ({label_sum: 1},))
    steps = (
        Step(lhs, mid, "derivative of log-sum-exp"),
        Step(mid, rhs, "labels sum to 1", {label_sum: 1}),
    )
    return Derivation("softmax_ce_dL_dz", "Contrast: softmax cross-entropy over K classes",
                      sp.Eq(lhs, rhs, evaluate=False), steps,
                      statement="L = -sum_c y_c log softmax_c(z), log softmax_c = z_c - log sum_m e^{z_m}: "
                      "dL/dz_j = softmax_j(z) - y_j; with K = 2 it is the BCE residual",
                      hypotheses=(labels_sum_to_one,), ranges=((j, 0, K - 1),))
