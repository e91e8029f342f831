"""Each rule of the catalog as a sentence a student can follow: what is done, and why it holds.

The builders label their steps briefly ("chain rule", "sigmoid_derivative"); :func:`explained`
replaces each label by its sentence here, so the report, the kit and ``gradproof derive`` all read
the same explanation.  A label without a sentence is a test failure, not a silent fallback.
"""

from __future__ import annotations

from dataclasses import replace

from .._proof import Derivation

__all__ = ["SENTENCES", "explained", "sentence"]

SENTENCES: dict[str, str] = {
    "1 - sigma(z) = exp(-z)/(1 + exp(-z))":
        "Write 1 - sigma(z) over the common denominator: 1 - 1/(1 + exp(-z)) = exp(-z)/(1 + exp(-z)).",
    "1 - sigma(z) = sigma(-z)":
        "Use the symmetry of the sigmoid: 1 - sigma(z) = sigma(-z).",
    "bce_logit_dL_dz":
        "Use the proved BCE gradient in the logit (derivation bce_logit_dL_dz): "
        "d/dz [log(1 + exp(z)) - y z] = sigma(z) - y.",
    "both directions read x_t; gru_cell_dx in each, summed against g^d_k = dL/dh'^d_k":
        "Both directions read the same input x_t, so its gradient is the sum of what each direction's "
        "cell passes back (derivation gru_cell_dx), weighted by that direction's dL/dh'.",
    "cancel p (1 - p) > 0 (0 < p < 1)":
        "Cancel the factor p(1 - p), which is positive because 0 < p < 1.",
    "cancel sigma(z) and 1 - sigma(z)":
        "Cancel sigma(z) against 1 - sigma(z) where they appear in a numerator and a denominator "
        "(both are positive).",
    "case y = 1: 1 - sigma(z) = sigma(-z); case y = 0: sigma(z)":
        "For the label y = 1 the residual is sigma(z) - 1 = -sigma(-z); for y = 0 it is sigma(z).",
    "chain rule":
        "Differentiate with the chain rule: the derivative of the outer function times that of the inner one.",
    "chain rule and sigmoid_derivative":
        "Differentiate with the chain rule, using sigma'(z) = sigma(z)(1 - sigma(z)) (derivation "
        "sigmoid_derivative).",
    "chain rule through the gates; sigma' = sigma(1 - sigma), tanh' = 1 - tanh^2":
        "Differentiate through the gates with the chain rule, using sigma' = sigma(1 - sigma) for the "
        "reset and update gates and tanh' = 1 - tanh^2 for the candidate state.",
    "collect p_w y":
        "Collect the terms in p_w y.",
    "collect sigma(z)":
        "Collect the terms in sigma(z).",
    "collect terms":
        "Collect like terms.",
    "common denominator":
        "Put the fractions over one common denominator.",
    "definition of sigma":
        "Use the definition sigma(z) = 1/(1 + exp(-z)).",
    "derivative of log":
        "Differentiate the logarithm: d/dp log(p) = 1/p.",
    "derivative of log(1 + e^z)":
        "Differentiate log(1 + exp(z)): its derivative is exp(z)/(1 + exp(z)).",
    "derivative of log-sum-exp":
        "Differentiate the log-sum-exp: d/dz_c log(sum_k exp(z_k)) = exp(z_c)/sum_k exp(z_k).",
    "derivative of the linear logit":
        "Differentiate the linear logit: only the term that holds the variable depends on it, so "
        "dz/dw_k = x_k (and dz/db = 1).",
    "e^z / (1 + e^z) = sigma(z)":
        "Recognise the sigmoid: exp(z)/(1 + exp(z)) = 1/(1 + exp(-z)) = sigma(z).",
    "exchange finite sums":
        "Exchange the order of the two finite sums.",
    "expand":
        "Multiply out the products.",
    "gru_cell_dh summed against g_k = dL/dh'_k":
        "Sum the cell's derivative in h (derivation gru_cell_dh) against the gradient g = dL/dh' that "
        "reaches the new state.",
    "h^b_t = cell(x_t, h^b_{t+1}); gru_bptt_recurrence with h_{t-1} := h^b_{t+1}":
        "The backward direction runs the same cell from the end, h^b_t = cell(x_t, h^b_{t+1}), so the "
        "recurrence of derivation gru_bptt_recurrence holds with h^b_{t+1} in the place of h_{t-1}.",
    "labels sum to 1":
        "Use the hypothesis that the labels sum to 1.",
    "linearity of the derivative over a finite sum":
        "The derivative of a finite sum is the sum of the derivatives.",
    "linearity; y_i does not depend on w":
        "Differentiate term by term; the label y_i does not depend on the weights.",
    "log sigma(z) = -log(1 + e^-z), log(1 - sigma(z)) = -z - log(1 + e^-z)":
        "Write both logarithms through the logit: log sigma(z) = -log(1 + exp(-z)) and "
        "log(1 - sigma(z)) = -z - log(1 + exp(-z)).",
    "log(1 + e^-z) + z = log(1 + e^z)":
        "Use log(1 + exp(-z)) + z = log(exp(z) + 1).",
    "logreg_dL_dw for each sample i":
        "Apply the per-sample gradient (derivation logreg_dL_dw) to each sample i.",
    "only the backward half of the logit holds h^b_q":
        "Only the backward half of the head's weights multiplies the backward state, so only it "
        "contributes.",
    "pos_weight_dL_dz for each sample i":
        "Apply the pos_weight gradient in the logit (derivation pos_weight_dL_dz) to each sample i, "
        "with dz_i/dw_k = X_ik.",
    "sigmoid_derivative":
        "Use sigma'(z) = sigma(z)(1 - sigma(z)) (derivation sigmoid_derivative).",
    "sigmoid_derivative and derivative of the linear logit":
        "Use sigma'(z) = sigma(z)(1 - sigma(z)) and dz/dw_k = x_k.",
    "split the fraction":
        "Split the fraction into a sum of two fractions.",
    "sum_k sum_l a_k a_l = (sum_k a_k)^2":
        "Recognise a square: sum_k sum_l a_k a_l = (sum_k a_k)^2.",
    "the clamp is inactive":
        "Where p(1 - p) is above the clamp's epsilon, the clamp leaves it unchanged.",
    "x_t[j] = sum_w onehot[t, w] E[w, j]; only E[v, q] itself depends on E[v, q]":
        "The embedded input is a lookup, x_t[j] = E[token_t, j]: only the steps holding token v read "
        "the row E[v], so its gradient sums the input gradients at those steps.",
    "simplify (expand, factor, collect)":
        "Simplify: expand, factor and collect terms (an exact rewrite).",
    "differentiate dL/dz":
        "Differentiate dL/dz once more in z.",
    "chain rule: dz/dw_k = x_k, and the proved dL/dz":
        "Apply the chain rule with dz/dw_k = x_k and the proved dL/dz.",
}


def sentence(rule: str) -> str:
    """The sentence for a rule label (the label itself when it already is one of the sentences)."""
    if rule in SENTENCES.values():
        return rule
    if rule not in SENTENCES:
        raise KeyError(f"the rule {rule!r} has no sentence in symbolic/_catalog/_sentences.py")
    return SENTENCES[rule]


def explained(derivation: Derivation) -> Derivation:
    """The derivation with every step's rule replaced by its sentence; the equalities are unchanged.
    A rule written with a margin label ("simplify the proved dL/dz at y = 1, z = m") is kept as it is."""
    steps = tuple(replace(step, rule=sentence(step.rule)) if (step.rule in SENTENCES or step.rule in
                  SENTENCES.values()) else step for step in derivation.steps)
    return replace(derivation, steps=steps)
