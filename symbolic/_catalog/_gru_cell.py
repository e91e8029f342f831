"""One GRU cell step in PyTorch's convention, differentiated in index notation with
symbolic sizes (H hidden units, D inputs):

    r_k = sigmoid(sum_j W_ir[k,j] x_j + b_ir[k] + sum_j W_hr[k,j] h_j + b_hr[k])
    u_k = sigmoid(sum_j W_iz[k,j] x_j + b_iz[k] + sum_j W_hz[k,j] h_j + b_hz[k])
    n_k = tanh(sum_j W_in[k,j] x_j + b_in[k] + r_k * (sum_j W_hn[k,j] h_j + b_hn[k]))
    h'_k = (1 - u_k) n_k + u_k h_k

(torch calls u the z gate; b_hn sits inside the product with r_k).  Every
Jacobian entry, every parameter derivative and the recurrence that carries
dL/dh backwards are derived with the gate values kept as sigmoid/tanh
applications, so the proofs hold for any H and D.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import sympy as sp

from .._proof import Derivation, Step
from .._vocabulary import D, H, j, k, q, row, sigmoid

__all__ = ["BUILDERS"]

x, h, g = (sp.IndexedBase(name, real=True) for name in ("x", "h", "g"))
W = {name: sp.IndexedBase(f"W_{name}", real=True) for name in ("ir", "iz", "in", "hr", "hz", "hn")}
bias = {name: sp.IndexedBase(f"b_{name}", real=True) for name in ("ir", "iz", "in", "hr", "hz", "hn")}
Derivative = sp.Derivative


def _input(gate: str, row) -> sp.Expr:
    return sp.Sum(W["i" + gate][row, j] * x[j], (j, 0, D - 1)) + bias["i" + gate][row]


def _hidden(gate: str, row) -> sp.Expr:
    return sp.Sum(W["h" + gate][row, j] * h[j], (j, 0, H - 1)) + bias["h" + gate][row]


def r_(row) -> sp.Expr:
    return sigmoid(_input("r", row) + _hidden("r", row))


def u_(row) -> sp.Expr:
    return sigmoid(_input("z", row) + _hidden("z", row))


def n_(row) -> sp.Expr:
    return sp.tanh(_input("n", row) + r_(row) * _hidden("n", row))


def h_next(row) -> sp.Expr:
    return (1 - u_(row)) * n_(row) + u_(row) * h[row]


def _through_n(row) -> sp.Expr:
    """dh'_k / d(pre-activation of n_k) = (1 - u_k)(1 - n_k^2)."""
    return (1 - u_(row)) * (1 - n_(row) ** 2)


def _through_u(row) -> sp.Expr:
    """dh'_k / d(pre-activation of u_k) = (h_k - n_k) u_k (1 - u_k)."""
    return (h[row] - n_(row)) * u_(row) * (1 - u_(row))


def _through_r(row) -> sp.Expr:
    """dh'_k / d(pre-activation of r_k) = (1 - u_k)(1 - n_k^2) gh_n,k r_k (1 - r_k)."""
    return _through_n(row) * _hidden("n", row) * r_(row) * (1 - r_(row))


_r_k, _u_k, _n_k, _ghn_k = sp.symbols("r_k u_k n_k ghn_k", real=True)
_SHOWN = ((r_(k), _r_k), (u_(k), _u_k), (n_(k), _n_k), (_hidden("n", k), _ghn_k))
_RULE = "chain rule through the gates; sigma' = sigma(1 - sigma), tanh' = 1 - tanh^2"


def _cell(name: str, title: str, wrt: sp.Expr, rhs: sp.Expr, statement: str, ranges: tuple) -> Derivation:
    """dh'_k / d(wrt) for every hidden unit 0 <= k < H and the stated ranges of the other indices."""
    lhs = Derivative(h_next(k), wrt)
    return Derivation(name, title, sp.Eq(lhs, rhs, evaluate=False), (Step(lhs, rhs, _RULE),),
                      statement=statement, abbreviations=_SHOWN, ranges=((k, 0, H - 1),) + ranges)


def gru_cell_dh() -> Derivation:
    delta = sp.KroneckerDelta(k, q)
    rhs = (u_(k) * delta + _through_u(k) * W["hz"][k, q]
           + _through_n(k) * (r_(k) * W["hn"][k, q] + _hidden("n", k) * r_(k) * (1 - r_(k)) * W["hr"][k, q]))
    return _cell("gru_cell_dh", "GRU cell: Jacobian dh'/dh", h[q], rhs,
                 "dh'_k/dh_q = u_k delta_kq + (h_k - n_k) u_k(1-u_k) W_hz[k,q] + (1-u_k)(1-n_k^2) "
                 "(r_k W_hn[k,q] + ghn_k r_k(1-r_k) W_hr[k,q]), ghn = W_hn h + b_hn",
                 ((q, 0, H - 1),))


def gru_cell_dx() -> Derivation:
    rhs = (_through_u(k) * W["iz"][k, q]
           + _through_n(k) * (W["in"][k, q] + _hidden("n", k) * r_(k) * (1 - r_(k)) * W["ir"][k, q]))
    return _cell("gru_cell_dx", "GRU cell: Jacobian dh'/dx", x[q], rhs,
                 "dh'_k/dx_q = (h_k - n_k) u_k(1-u_k) W_iz[k,q] + (1-u_k)(1-n_k^2) "
                 "(W_in[k,q] + ghn_k r_k(1-r_k) W_ir[k,q])", ((q, 0, D - 1),))


_GATE_FACTOR = {"r": _through_r, "z": _through_u, "n": _through_n}


def _parameter_derivation(kind: str, gate: str) -> tuple[Derivation, Derivation]:
    """The pair (dh'_k / dW_{kind gate}[p, q], dh'_k / db_{kind gate}[p]), p the row index."""
    factor = _GATE_FACTOR[gate](k)
    if kind == "h" and gate == "n":
        factor = _through_n(k) * r_(k)
    source, size = (x, D) if kind == "i" else (h, H)
    name = kind + gate
    delta = sp.KroneckerDelta(k, row)
    weight = _cell(f"gru_cell_dW_{name}", f"GRU cell: derivative in W_{name}", W[name][row, q],
                   delta * factor * source[q], f"dh'_k/dW_{name}[p,q] = delta_kp * (gate factor) * "
                   f"{'x_q' if kind == 'i' else 'h_q'}", ((row, 0, H - 1), (q, 0, size - 1)))
    return weight, _cell(f"gru_cell_db_{name}", f"GRU cell: derivative in b_{name}", bias[name][row],
                         delta * factor, f"dh'_k/db_{name}[p] = delta_kp * (gate factor)", ((row, 0, H - 1),))


def gru_bptt_recurrence() -> Derivation:
    """dL/dh_{t-1} from g = dL/dh_t: g u + sum_k (da_r W_hr + da_u W_hz + da_n r W_hn)[k, q]."""
    lhs = Derivative(sp.Sum(g[k] * h_next(k), (k, 0, H - 1)), h[q])
    da_n = g[k] * _through_n(k)
    rhs = g[q] * u_(q) + sp.Sum(
        g[k] * _through_r(k) * W["hr"][k, q] + g[k] * _through_u(k) * W["hz"][k, q]
        + da_n * r_(k) * W["hn"][k, q], (k, 0, H - 1))
    steps = (Step(lhs, rhs, "gru_cell_dh summed against g_k = dL/dh'_k"),)
    return Derivation(
        "gru_bptt_recurrence", "Backprop through time: carrying dL/dh one step back",
            sp.Eq(lhs, rhs, evaluate=False), steps,
        statement="dL/dh_{t-1} = g * u + [da_r, da_u, da_n * r] W_hh with g = dL/dh_t, "
        "da_n = g(1-u)(1-n^2), da_u = g(h_{t-1} - n)u(1-u), da_r = da_n ghn r(1-r): what "
        "numeric.gru_per_sample_grads runs for every sample at once",
        assumptions="the loss depends on h_{t-1} only through h_t",
        abbreviations=_SHOWN + ((u_(q), sp.Symbol("u_q", real=True)),), ranges=((q, 0, H - 1),))


def _parameter_part(kind: str, gate: str, i: int) -> Derivation:
    """The weight (i = 0) or the bias (i = 1) derivation of one gate."""
    return _parameter_derivation(kind, gate)[i]


def _builders() -> tuple[Callable[[], Derivation], ...]:
    builders: list[Callable[[], Derivation]] = [gru_cell_dh, gru_cell_dx]
    for kind in ("i", "h"):
        for gate in ("r", "z", "n"):
            builders += [partial(_parameter_part, kind, gate, i) for i in (0, 1)]
    return tuple(builders + [gru_bptt_recurrence])


BUILDERS = _builders()
