"""A GRU binary classifier and its per-sample gradients by closed-form backprop through time.

PyTorch's GRU convention (gate blocks stacked r, z, n in the weights):

    r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    u_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
    h_t = (1 - u_t) * n_t + u_t * h_{t-1}

(b_hn sits inside the product with r_t.)  The head gives z = v . h_T + c and
the per-sample loss is BCE-with-logits, so dL/dz = sigmoid(z) - y and
dL/dh_T = (sigmoid(z) - y) v (derivation ``gru_head_dL_dh``).  Going back one
step (derivations ``gru_cell_*``), with g = dL/dh_t and gh_n = W_hn h_{t-1} + b_hn:

    da_n = g (1 - u) (1 - n^2)          da_u = g (h_{t-1} - n) u (1 - u)
    da_r = da_n gh_n r (1 - r)
    dL/dh_{t-1} = g u + [da_r, da_u, da_n r] W_hh

and the weight gradients are sums over time of outer products with x_t and
h_{t-1}, computed for every sample at once by two batched matrix products.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["GRUClassifier", "gru_per_sample_grads", "gru_residuals", "check_sequence_inputs", "cell_backward"]


class GRUClassifier(nn.Module):
    """One-layer GRU (``batch_first``) followed by a linear head on the last valid step.

    ``forward(X, lengths=None)`` takes X of shape [B, T, D] and returns logits [B].
    """

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.gru = nn.GRU(input_size, hidden_size, num_layers=1, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def last_hidden(self, X: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """h at each sequence's last valid step, shape [B, H]."""
        outputs, _ = self.gru(X)
        if lengths is None:
            return outputs[:, -1]
        return outputs[torch.arange(X.shape[0], device=X.device), lengths - 1]

    def forward(self, X: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        check_sequence_inputs(self, X, None, lengths)
        return self.head(self.last_hidden(X, lengths)).squeeze(-1)


def check_sequence_inputs(model: GRUClassifier, X, y, lengths) -> None:
    """X [B, T, D] floating, finite, on the model's device and dtype; y [B] in [0, 1]; 1 <= lengths <= T."""
    if not isinstance(X, torch.Tensor) or X.dim() != 3:
        raise ValueError(f"X: expected a tensor of shape [B, T, D], got "
                         f"{tuple(X.shape) if isinstance(X, torch.Tensor) else type(X).__name__}")
    weight = model.gru.weight_ih_l0
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X: empty batch or sequence, shape {tuple(X.shape)}")
    if X.shape[2] != model.gru.input_size:
        raise ValueError(f"X: expected D = {model.gru.input_size} features, got shape {tuple(X.shape)}")
    if X.dtype != weight.dtype or X.device != weight.device:
        raise ValueError(f"X: {X.dtype} on {X.device}, but the model is {weight.dtype} on {weight.device}")
    if not bool(torch.isfinite(X).all()):
        raise ValueError("X: contains NaN or infinite values")
    if y is not None:
        if not isinstance(y, torch.Tensor) or y.shape != (X.shape[0],) or y.dtype != X.dtype:
            raise ValueError(f"y: expected shape ({X.shape[0]},) and dtype {X.dtype}, got "
                             f"{tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__}")
        if y.device != X.device:
            raise ValueError(f"y: on {y.device}, but X is on {X.device}")
        if not bool(torch.isfinite(y).all()) or bool(((y < 0) | (y > 1)).any()):
            raise ValueError("y: labels must be finite and lie in [0, 1]")
    if lengths is not None:
        if not isinstance(lengths, torch.Tensor) or lengths.shape != (X.shape[0],) \
                or lengths.dtype.is_floating_point:
            raise ValueError(f"lengths: expected an integer tensor of shape ({X.shape[0]},)")
        if bool(((lengths < 1) | (lengths > X.shape[1])).any()):
            raise ValueError(f"lengths: every length must lie in [1, {X.shape[1]}], got "
                             f"min {int(lengths.min())} and max {int(lengths.max())}")


def _forward_with_gates(model: GRUClassifier, X: torch.Tensor):
    """Run the GRU recurrence, keeping every step's gates, time-major ([T, B, .]).

    Returns h_t [T, B, H], the sigmoid gates [r, u] [T, B, 2H], n [T, B, H] and
    gh_n = W_hn h_{t-1} + b_hn [T, B, H].
    """
    gru = model.gru
    B, T, _ = X.shape
    H = gru.hidden_size
    gi = torch.nn.functional.linear(X.transpose(0, 1), gru.weight_ih_l0, gru.bias_ih_l0)
    W_hh_T, b_hh = gru.weight_hh_l0.t(), gru.bias_hh_l0
    hs, gates = X.new_empty(T, B, H), X.new_empty(T, B, 2 * H)
    ns, gh_n = X.new_empty(T, B, H), X.new_empty(T, B, H)
    h = X.new_zeros(B, H)
    for t in range(T):
        gh = torch.addmm(b_hh, h, W_hh_T)
        torch.sigmoid(gi[t, :, :2 * H] + gh[:, :2 * H], out=gates[t])
        gh_n[t] = gh[:, 2 * H:]
        torch.tanh(torch.addcmul(gi[t, :, 2 * H:], gates[t, :, :H], gh_n[t]), out=ns[t])
        torch.addcmul(ns[t], gates[t, :, H:], h - ns[t], out=hs[t])
        h = hs[t]
    return hs, gates, ns, gh_n


def cell_backward(g: torch.Tensor, gates: torch.Tensor, n: torch.Tensor, h_prev: torch.Tensor,
                  gh_n: torch.Tensor, W_hh: torch.Tensor, d_gi: torch.Tensor, d_gh: torch.Tensor) -> torch.Tensor:
    """One step back through a GRU cell (derivations ``gru_cell_*`` and ``gru_bptt_recurrence``).

    With g = dL/dh_t, writes dL/d(W_ih x + b_ih) into ``d_gi`` and dL/d(W_hh h + b_hh) into
    ``d_gh`` (both [B, 3H], blocks r, z, n) and returns dL/dh_{t-1} = g u + d_gh W_hh.
    """
    H = n.shape[1]
    r, u = gates[:, :H], gates[:, H:]
    da_n = torch.mul(g * (1 - u), 1 - n * n, out=d_gi[:, 2 * H:])
    torch.mul(g * (h_prev - n), u * (1 - u), out=d_gi[:, H:2 * H])
    torch.mul(da_n * gh_n, r * (1 - r), out=d_gi[:, :H])
    d_gh[:, :2 * H] = d_gi[:, :2 * H]
    torch.mul(da_n, r, out=d_gh[:, 2 * H:])
    return torch.addmm(g * u, d_gh, W_hh)


def gru_residuals(model: GRUClassifier, X: torch.Tensor, y: torch.Tensor,
                  lengths: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(z, r, h_T): logits, residuals sigmoid(z_i) - y_i and last valid hidden states, no graph."""
    with torch.no_grad():
        h_last = model.last_hidden(X, lengths)
        z = model.head(h_last).squeeze(-1)
        return z, torch.sigmoid(z) - y, h_last


@torch.no_grad()
def gru_per_sample_grads(model: GRUClassifier, X: torch.Tensor, y: torch.Tensor,
                         lengths: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """Per-sample gradients of each sample's own, unreduced BCE-with-logits loss.

    **Returns** a dict keyed like ``model.named_parameters()``, each ``[B, *param.shape]``.
    One pass backwards over time for the whole batch; no loop over samples.
    """
    check_sequence_inputs(model, X, y, lengths)
    B, T, _ = X.shape
    last = torch.full((B,), T, device=X.device) if lengths is None else lengths.to(X.device)
    H = model.gru.hidden_size
    hs, gates, ns, gh_n = _forward_with_gates(model, X)
    H_prev = torch.cat([hs.new_zeros(1, B, H), hs[:-1]])
    h_last = hs[last - 1, torch.arange(B, device=X.device)]
    residual = torch.sigmoid(model.head(h_last).squeeze(-1)) - y
    W_hh = model.gru.weight_hh_l0
    d_gi, d_gh = X.new_empty(T, B, 3 * H), X.new_empty(T, B, 3 * H)
    seed = residual[:, None] * model.head.weight[0]
    starts = (last[None, :] - 1 == torch.arange(T, device=X.device)[:, None]).to(X.dtype)
    start_steps = set((last - 1).tolist())
    g = X.new_zeros(B, H)
    for t in range(T - 1, -1, -1):
        if t in start_steps:
            g = torch.addcmul(g, seed, starts[t, :, None])
        g = cell_backward(g, gates[t], ns[t], H_prev[t], gh_n[t], W_hh, d_gi[t], d_gh[t])
    return {
        "gru.weight_ih_l0": torch.einsum("tbg,btd->bgd", d_gi, X),
        "gru.weight_hh_l0": torch.einsum("tbg,tbh->bgh", d_gh, H_prev),
        "gru.bias_ih_l0": d_gi.sum(0),
        "gru.bias_hh_l0": d_gh.sum(0),
        "head.weight": (residual[:, None] * h_last)[:, None, :],
        "head.bias": residual[:, None],
    }
