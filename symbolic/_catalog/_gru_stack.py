"""How GRU cells compose into the classifiers people build: stacked layers, two directions, an
embedding in front and nn.Sigmoid + nn.BCELoss at the end.  Sizes stay symbolic (H hidden units,
D inputs to a layer, E embedding width, T_len steps), so each result holds for any model.

* ``gru_layer_coupling``: layer l's input at step t, x_t = [h^f_t; h^b_t] of layer l - 1, feeds
  both of layer l's directions, so dL/dx_t is the sum over the two directions of the cell's input
  Jacobian (``gru_cell_dx``) applied to that direction's dL/dh.
* ``gru_reverse_time``: the backward direction runs h^b_t = cell(x_t, h^b_{t+1}), so its BPTT
  carries dL/dh^b from t to t + 1 with the forward direction's step (``gru_bptt_recurrence``).
* ``gru_head_split``: z = v . [h^f; h^b] + c gives dL/dh^f = (s(z) - y) v[:H] and
  dL/dh^b = (s(z) - y) v[H:].
* ``gru_embedding_row``: x_t = E[tok_t], so dL/dE[v, q] sums dL/dx_t[q] over the steps holding v.
* ``sigmoid_bceloss_dL_dz``: nn.BCELoss's backward after nn.Sigmoid is sigmoid(z) - y wherever
  its clamp max(p (1 - p), eps) is inactive.
"""

from __future__ import annotations

import sympy as sp

from .._proof import Derivation, Hypothesis, Step
from .._vocabulary import D, H, c, j, k, p, q, sigmoid, y, z
from ._bce import bce_on_logit
from ._gru_cell import W, bias, g, gru_bptt_recurrence, gru_cell_dx, h, h_next, x

__all__ = ["BUILDERS"]

D_ = sp.Derivative
_DIRECTIONS = ("f", "b")


def _in_direction(expr: sp.Expr, d: str, state: sp.IndexedBase | None = None) -> sp.Expr:
    """``expr`` with the cell's weights, biases and previous state renamed for direction d."""
    names = {W[name]: sp.IndexedBase(f"W^{d}_{name}", real=True) for name in W}
    names |= {bias[name]: sp.IndexedBase(f"b^{d}_{name}", real=True) for name in bias}
    names[h] = state if state is not None else sp.IndexedBase(f"h^{d}", real=True)
    return expr.xreplace(names)


def _directed(name: str, d: str) -> sp.Symbol:
    """The abbreviation ``r_k`` of direction d: ``r^d_k``."""
    base, sub = name.split("_", 1)
    return sp.Symbol(f"{base}^{d}_{sub}", real=True)


def _abbreviations(derivation: Derivation, rename) -> tuple[tuple[sp.Expr, sp.Symbol], ...]:
    """A cell derivation's gate abbreviations (r_k, u_k, n_k, ghn_k) for each direction that
    ``rename(expr, d)`` makes: display only, so the long gates read as in the cell's pages."""
    return tuple((rename(full, d), _directed(sym.name, d))
                 for d in _DIRECTIONS for full, sym in derivation.abbreviations)


def gru_layer_coupling() -> Derivation:
    upstream = {d: sp.IndexedBase(f"g^{d}", real=True) for d in _DIRECTIONS}
    both = sum(upstream[d][k] * _in_direction(h_next(k), d) for d in _DIRECTIONS)
    lhs = D_(sp.Sum(both, (k, 0, H - 1)), x[q])
    cell = gru_cell_dx()
    jacobian = cell.result.rhs
    rhs = sp.Sum(sum(upstream[d][k] * _in_direction(jacobian, d) for d in _DIRECTIONS), (k, 0, H - 1))
    steps = (Step(lhs, rhs, "both directions read x_t; gru_cell_dx in each, summed against g^d_k = dL/dh'^d_k"),)
    return Derivation(
        "gru_layer_coupling", "Stacked GRU: the gradient reaching the layer below",
            sp.Eq(lhs, rhs, evaluate=False), steps,
        statement="dL/dx_t[q] = sum_k g^f_k dh'^f_k/dx_q + g^b_k dh'^b_k/dx_q: layer l's input at t is "
        "the output [h^f_t; h^b_t] of layer l - 1 at t, so the output gradient of layer l - 1 at t is the sum over "
        "both directions of [da_r, da_u, da_n] W_ih (entries q < H go to its forward direction, the "
        "rest to its backward one); with one direction, drop the b terms",
        assumptions="the loss depends on x_t only through layer l's two cells at t", ranges=((q, 0, D - 1),),
        abbreviations=_abbreviations(cell, _in_direction))


def gru_reverse_time() -> Derivation:
    later = sp.IndexedBase("h^b_{t+1}", real=True)
    carried = sp.IndexedBase("g^b_t", real=True)
    recurrence = gru_bptt_recurrence()
    bptt = recurrence.result

    def backward(expr: sp.Expr, d: str = "b") -> sp.Expr:
        return _in_direction(expr, d, later).xreplace({g: carried})

    lhs, rhs = backward(bptt.lhs), backward(bptt.rhs)
    steps = (Step(lhs, rhs, "h^b_t = cell(x_t, h^b_{t+1}); gru_bptt_recurrence with h_{t-1} := h^b_{t+1}"),)
    return Derivation(
        "gru_reverse_time", "Bidirectional GRU: backprop through the backward direction runs forward in time",
        sp.Eq(lhs, rhs, evaluate=False), steps,
        statement="dL/dh^b_{t+1} = g u + [da_r, da_u, da_n r] W^b_hh with g = dL/dh^b_t: the same step as "
        "gru_bptt_recurrence, carried from t to t+1. Reversing each sequence within its length "
        "(s = len-1-t) makes it a forward recurrence in s whose last step s = len-1 is t = 0, the state "
        "the head reads: numeric runs both directions with one code path",
        assumptions="h^b_{len} = 0; the loss depends on h^b_{t+1} only through h^b_t and the layer above",
        ranges=((q, 0, H - 1),),
        abbreviations=tuple((backward(full), _directed(sym.name, "b")) for full, sym in recurrence.abbreviations))


def gru_head_split() -> Derivation:
    forward, backward = sp.IndexedBase("h^f", real=True), sp.IndexedBase("h^b", real=True)
    v = sp.IndexedBase("v", real=True)
    logit = sp.Sum(v[j] * forward[j], (j, 0, H - 1)) + sp.Sum(v[H + j] * backward[j], (j, 0, H - 1)) + c
    lhs = D_(bce_on_logit(logit), backward[q])
    chain = sp.Mul(sp.exp(logit) / (1 + sp.exp(logit)) - y, D_(logit, backward[q]), evaluate=False)
    lemma = sp.Mul(sigmoid(logit) - y, D_(logit, backward[q]), evaluate=False)
    rhs = (sigmoid(logit) - y) * v[H + q]
    steps = (Step(lhs, chain, "chain rule"), Step(chain, lemma, "bce_logit_dL_dz"),
             Step(lemma, rhs, "only the backward half of the logit holds h^b_q"))
    return Derivation(
        "gru_head_split", "Bidirectional head: dL/dh splits into the two directions",
        sp.Eq(lhs, rhs, evaluate=False), steps,
        statement="z = v . [h^f; h^b] + c: dL/dh^b_q = (sigma(z) - y) v_{H+q} and, the same way, dL/dh^f_q = "
        "(sigma(z) - y) v_q; h^f is the forward state at len-1, h^b the backward state at step 0 "
        "(h_n[-2], h_n[-1])", ranges=((q, 0, H - 1),), abbreviations=((logit, z),))


def gru_embedding_row() -> Derivation:
    E, onehot, upstream = (sp.IndexedBase(name, real=True) for name in ("E", "onehot", "g"))
    width, vocabulary, steps_ = sp.symbols("E_dim V T_len", integer=True, positive=True)
    t, token, w = sp.symbols("t v_tok w", integer=True, nonnegative=True)
    lookup = sp.Sum(onehot[t, w] * E[w, j], (w, 0, vocabulary - 1))
    lhs = D_(sp.Sum(sp.Sum(upstream[t, j] * lookup, (j, 0, width - 1)), (t, 0, steps_ - 1)), E[token, q])
    rhs = sp.Sum(upstream[t, q] * onehot[t, token], (t, 0, steps_ - 1))
    steps = (Step(lhs, rhs, "x_t[j] = sum_w onehot[t, w] E[w, j]; only E[v, q] itself depends on E[v, q]"),)
    return Derivation(
        "gru_embedding_row", "Embedding: a row's gradient sums the steps that hold its token",
        sp.Eq(lhs, rhs, evaluate=False), steps,
        statement="dL/dE[v, q] = sum_t [tok_t = v] dL/dx_t[q], with g[t, q] = dL/dx_t[q] the gradient reaching "
        "layer 0's input (zero at padding steps) and onehot[t, v] = [tok_t = v], so x_t = E[tok_t]; torch "
        "keeps the padding_idx row at zero",
        assumptions="the loss depends on E only through x_t = E[tok_t], t < T_len",
        ranges=((q, 0, width - 1), (token, 0, vocabulary - 1)))


def sigmoid_bceloss_dL_dz() -> Derivation:
    clamp = sp.Symbol("m", positive=True)
    s = p   # p = sigmoid(z): kept a symbol so the hypothesis is rational in it
    curvature = s * (1 - s)
    lhs = (s - y) / clamp * curvature
    unclamped = sp.Mul(s - y, 1 / curvature, curvature, evaluate=False)
    inactive = {clamp: curvature}
    steps = (Step(lhs, unclamped, "the clamp is inactive", inactive),
             Step(unclamped, s - y, "cancel p (1 - p) > 0 (0 < p < 1)"))
    return Derivation(
        "sigmoid_bceloss_dL_dz", "nn.Sigmoid + nn.BCELoss: dL/dz is again sigmoid(z) - y away from the clamp",
        sp.Eq(lhs, s - y, evaluate=False), steps,
        statement="With p = sigmoid(z), BCELoss's backward gives dL/dp = (p - y) / m, m = max(p(1-p), epsilon), "
        "epsilon = 1e-12, "
        "and Sigmoid's multiplies by p(1-p): where p(1-p) >= epsilon, m = p(1-p) and this is sigmoid(z) - y "
        "(bce_dL_dz); where p(1-p) < epsilon it is (p - y) p(1-p)/epsilon, which numeric returns as torch does",
        hypotheses=(Hypothesis("m = max(p(1 - p), epsilon) = p(1 - p): the clamp is inactive", (inactive,)),))


BUILDERS = (gru_layer_coupling, gru_reverse_time, gru_head_split, gru_embedding_row,
            sigmoid_bceloss_dL_dz)
