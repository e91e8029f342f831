"""Derivations for a linear logit z = sum_j w_j x_j + b with a symbolic number of
features n, one sample and a batch of symbolic size B.

Index notation (IndexedBase, plain integer indices) is used because SymPy's
matrix calculus is unreliable for these losses.  Differentiating a sum over
j in 0..n-1 with respect to w_k yields a guard ``k <= n - 1``; the derivation
states the range 0 <= k <= n - 1 (``ranges``) and the guard is discharged by
proving it from that range, never by assuming it.
"""

from __future__ import annotations

import sympy as sp

from .._proof import Derivation, Fact, Step
from .._vocabulary import B, H, Omega, X, Y, b, c, h, i, j, k, l, n, pw, sigmoid, v, w, x, y, z
from ._bce import bce_on_logit

Derivative = sp.Derivative


def linear_logit(weights: sp.IndexedBase, inputs: sp.IndexedBase, bias: sp.Expr, size: sp.Symbol = n) -> sp.Expr:
    """z = sum_{j=0}^{size-1} weights_j inputs_j + bias (size n features, or H hidden units)."""
    return sp.Sum(weights[j] * inputs[j], (j, 0, size - 1)) + bias


def _gradient_of_linear_logit(name: str, title: str, wrt: sp.Expr, logit: sp.Expr,
                              dz: sp.Expr, statement: str, size: sp.Symbol = n) -> Derivation:
    """dL/d(wrt) for L = log(1 + e^z) - y z through dL/dz = sigma(z) - y."""
    lhs = Derivative(bce_on_logit(logit), wrt)
    chain = sp.Mul(sp.exp(logit) / (1 + sp.exp(logit)) - y, Derivative(logit, wrt), evaluate=False)
    lemma = sp.Mul(sigmoid(logit) - y, Derivative(logit, wrt), evaluate=False)
    rhs = (sigmoid(logit) - y) * dz
    steps = (
        Step(lhs, chain, "chain rule"),
        Step(chain, lemma, "bce_logit_dL_dz"),
        Step(lemma, rhs, "derivative of the linear logit"),
    )
    return Derivation(name, title, sp.Eq(lhs, rhs, evaluate=False), steps, statement=statement,
                      abbreviations=((logit, z),), ranges=((k, 0, size - 1),) if wrt.has(k) else ())


def logreg_dL_dw() -> Derivation:
    return _gradient_of_linear_logit(
        "logreg_dL_dw", "Logistic regression: gradient in a weight (n features)", w[k],
        linear_logit(w, x, b), x[k], "dL/dw_k = (sigma(z) - y) x_k for every feature k < n")


def logreg_dL_db() -> Derivation:
    return _gradient_of_linear_logit(
        "logreg_dL_db", "Logistic regression: gradient in the bias", b,
        linear_logit(w, x, b), sp.S.One, "dL/db = sigma(z) - y")


def gru_head_dL_dv() -> Derivation:
    return _gradient_of_linear_logit(
        "gru_head_dL_dv", "GRU classifier head z = v.h_T + c: gradient in v", v[k],
        linear_logit(v, h, c, H), h[k], "dL/dv_k = (sigma(z) - y) h_T,k for each of the H hidden units", H)


def gru_head_dL_dc() -> Derivation:
    return _gradient_of_linear_logit(
        "gru_head_dL_dc", "GRU classifier head: gradient in the bias c", c,
        linear_logit(v, h, c, H), sp.S.One, "dL/dc = sigma(z) - y", H)


def gru_head_dL_dh() -> Derivation:
    return _gradient_of_linear_logit(
        "gru_head_dL_dh", "GRU classifier head: gradient into the last hidden state", h[k],
        linear_logit(v, h, c, H), v[k],
        "dL/dh_T,k = (sigma(z) - y) v_k for each of the H hidden units: what backprop through time starts from", H)


def _sample_logit(i_: sp.Symbol = i) -> sp.Expr:
    return sp.Sum(w[j] * X[i_, j], (j, 0, n - 1)) + b


_SAMPLE_LOGIT = ((_sample_logit(), sp.Symbol("z_i", real=True)),)


def _batch_gradient(name: str, title: str, scale: sp.Expr, sample_weight: sp.Expr | None,
                    statement: str, per_sample: sp.Expr | None = None, residual: sp.Expr | None = None,
                    rule: str = "logreg_dL_dw for each sample i",
                    assumptions: str = "soft labels y_i in [0, 1] allowed") -> Derivation:
    """d/dw_k scale sum_i omega_i L_i = scale sum_i omega_i r_i X_ik, by linearity and the per-sample
    gradient ``rule``: L_i is BCE on the logit z_i and r_i = sigma(z_i) - y_i unless given."""
    zi = _sample_logit()
    weight = sample_weight if sample_weight is not None else sp.S.One
    per_sample = per_sample if per_sample is not None else bce_on_logit(zi, Y[i])
    residual = residual if residual is not None else sigmoid(zi) - Y[i]
    lhs = Derivative(scale * sp.Sum(weight * per_sample, (i, 0, B - 1)), w[k])
    linear = scale * sp.Sum(weight * Derivative(per_sample, w[k]), (i, 0, B - 1))
    rhs = scale * sp.Sum(weight * residual * X[i, k], (i, 0, B - 1))
    steps = (
        Step(lhs, linear, "linearity of the derivative over a finite sum"),
        Step(linear, rhs, rule),
    )
    return Derivation(name, title, sp.Eq(lhs, rhs, evaluate=False), steps, statement=statement,
                      assumptions=assumptions, abbreviations=_SAMPLE_LOGIT, ranges=((k, 0, n - 1),))


def batch_mean_gradient() -> Derivation:
    return _batch_gradient(
        "batch_mean_gradient", "Mean reduction: the batch gradient is the mean of per-sample ones",
        1 / B, None,
        "d/dw_k (1/B) sum_i L_i = (1/B) sum_i (sigma(z_i) - y_i) X_ik, the k-th entry of "
        "(1/B) X^T (sigma(X w + b) - y): each sample pulls with its own residual")


def batch_sum_gradient() -> Derivation:
    return _batch_gradient(
        "batch_sum_gradient", "Sum reduction: B times the mean-reduced gradient", sp.S.One, None,
        "d/dw_k sum_i L_i = sum_i (sigma(z_i) - y_i) X_ik = X^T (sigma(X w + b) - y)")


def batch_weighted_gradient() -> Derivation:
    return _batch_gradient(
        "batch_weighted_gradient", "Per-sample weights (BCELoss weight=omega), mean reduction",
        1 / B, Omega[i],
        "d/dw_k (1/B) sum_i omega_i L_i = (1/B) sum_i omega_i (sigma(z_i) - y_i) X_ik; "
        "torch divides by B, not by sum_i omega_i")


def batch_pos_weight_gradient() -> Derivation:
    """The mean-reduced batch gradient of BCEWithLogitsLoss with pos_weight p_w."""
    s = sigmoid(_sample_logit())
    return _batch_gradient(
        "batch_pos_weight_gradient", "pos_weight (BCEWithLogitsLoss pos_weight=p_w), mean reduction",
        1 / B, None,
        "d/dw_k (1/B) sum_i L_i = (1/B) sum_i (sigma(z_i)(p_w y_i + 1 - y_i) - p_w y_i) X_ik: "
        "p_w scales the pull of the positive labels only",
        per_sample=-(pw * Y[i] * sp.log(s) + (1 - Y[i]) * sp.log(1 - s)),
        residual=s * (pw * Y[i] + 1 - Y[i]) - pw * Y[i], rule="pos_weight_dL_dz for each sample i",
        assumptions="soft labels y_i in [0, 1] allowed; p_w > 0")


def logreg_hessian() -> Derivation:
    zi = _sample_logit()
    grad = sp.Sum((sigmoid(zi) - Y[i]) * X[i, k], (i, 0, B - 1)) / B
    lhs = Derivative(grad, w[l])
    linear = sp.Sum(Derivative(sigmoid(zi), w[l]) * X[i, k], (i, 0, B - 1)) / B
    rhs = sp.Sum(sigmoid(zi) * (1 - sigmoid(zi)) * X[i, k] * X[i, l], (i, 0, B - 1)) / B
    steps = (
        Step(lhs, linear, "linearity; y_i does not depend on w"),
        Step(linear, rhs, "sigmoid_derivative and derivative of the linear logit"),
    )
    return Derivation(
        "logreg_hessian", "Hessian of the mean BCE of logistic regression", sp.Eq(lhs, rhs, evaluate=False), steps,
        statement="with s_i = sigma(z_i), H_kl = (1/B) sum_i s_i (1 - s_i) X_ik X_il, "
                  "i.e. H = (1/B) X^T diag(s(1-s)) X",
        abbreviations=_SAMPLE_LOGIT, ranges=((k, 0, n - 1), (l, 0, n - 1)))


def logreg_hessian_psd() -> Derivation:
    zi = _sample_logit()
    curvature = sigmoid(zi) * (1 - sigmoid(zi))
    u = sp.IndexedBase("u", real=True)
    hessian_kl = sp.Sum(curvature * X[i, k] * X[i, l], (i, 0, B - 1)) / B
    lhs = sp.Sum(sp.Sum(u[k] * hessian_kl * u[l], (k, 0, n - 1)), (l, 0, n - 1))
    swapped = sp.Sum(curvature * sp.Sum(sp.Sum(u[k] * X[i, k] * X[i, l] * u[l], (k, 0, n - 1)),
                                        (l, 0, n - 1)), (i, 0, B - 1)) / B
    rhs = sp.Sum(curvature * sp.Sum(u[k] * X[i, k], (k, 0, n - 1)) ** 2, (i, 0, B - 1)) / B
    steps = (
        Step(lhs, swapped, "exchange finite sums", taylor_in=u),
        Step(swapped, rhs, "sum_k sum_l a_k a_l = (sum_k a_k)^2", taylor_in=u),
    )
    return Derivation(
        "logreg_hessian_psd", "The BCE Hessian is positive semidefinite (convexity in w)",
        sp.Eq(lhs, rhs, evaluate=False), steps,
        facts=(Fact(sigmoid(c) * (1 - sigmoid(c)), "sigma(c) (1 - sigma(c)) > 0 for every real logit c"),),
        statement="u^T H u = (1/B) sum_i s_i (1 - s_i) (u . x_i)^2 >= 0 for every u: a sum of "
        "positive weights times squares, so the mean BCE is convex in w",
        assumptions="each step compared as a function of u: equal value and gradient at u = 0, "
        "equal Hessian everywhere", abbreviations=_SAMPLE_LOGIT)
