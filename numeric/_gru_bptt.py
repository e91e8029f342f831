"""Closed-form backprop through time for a stacked, optionally bidirectional GRU, every sample at once.

PyTorch's cell (gate blocks stacked r, z, n in the weights; torch's z gate is called u here):

    r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    u_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
    h_t = (1 - u_t) * n_t + u_t * h_{t-1}

**Frames.**  A backward direction is a forward recurrence over the sequence reversed within
its own length (``reverse_within``), so both directions run the same code in their own time
frame, stacked on one axis k; in its frame, each direction's last valid step is len - 1
(derivation ``gru_reverse_time``).  Steps at or beyond len only follow the valid ones and
receive no gradient.

**One layer back** (derivations ``gru_cell_*``, ``gru_bptt_recurrence``): with g_t = dL/dh_t
(the carry from step t+1 plus what reaches h_t from above), gh_n = W_hn h_{t-1} + b_hn and

    da_n = g (1 - u)(1 - n^2)     da_u = g (h_{t-1} - n) u (1 - u)     da_r = da_n gh_n r (1 - r)
    dL/dh_{t-1} = g u + [da_r, da_u, da_n r] W_hh

the coefficients of g are computed for every step at once after the forward pass, so the
sequential loop is one broadcast product and one matrix product per step.  Weight gradients
are per-sample sums over time of outer products (batched matrix products); the gradient
reaching the layer's input is [da_r, da_u, da_n] W_ih, which, split by columns and summed over
both directions, is what reaches layer l - 1's outputs (derivation ``gru_layer_coupling``).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["reverse_within", "LayerTape", "cell_coefficients", "cell_step_back", "forward_layer", "backward_layer",
           "step_threads", "layer_weights", "to_original_time", "to_frames"]

# Per-step matrices below this many multiply-adds run on one intra-op thread: the work of one
# step is then smaller than the cost of waking and joining threads, and a busy neighbour
# would make every join wait (see benchmarks/bench_gru_per_sample.py).
SMALL_STEP_WORK = 1 << 23


def reverse_within(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """x [T, B, ...] with each sequence's first len_b steps reversed; steps >= len_b stay. An involution."""
    T, B = x.shape[:2]
    t = torch.arange(T, device=x.device)[:, None]
    index = torch.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)
    return x[index, torch.arange(B, device=x.device)[None, :]]


@contextlib.contextmanager
def step_threads(work: int, threads: int | None = None):
    """Intra-op threads for the per-step work, restored after: ``threads`` if given, else one
    while the per-step work is small (``SMALL_STEP_WORK``) and torch's setting otherwise."""
    before = torch.get_num_threads()
    chosen = threads if threads is not None else (1 if work < SMALL_STEP_WORK else before)
    if chosen != before:
        torch.set_num_threads(chosen)
    try:
        yield
    finally:
        if chosen != before:
            torch.set_num_threads(before)


def layer_weights(gru: nn.GRU, layer: int, direction: int) -> list[torch.Tensor]:
    """[W_ih, W_hh, b_ih, b_hh] of one layer and direction (without the biases when bias=False)."""
    suffix = f"_l{layer}" + ("_reverse" if direction else "")
    names = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if gru.bias else ())
    return [getattr(gru, name + suffix) for name in names]


@dataclass(frozen=True)
class LayerTape:
    """What one layer's backward pass needs, time-major over frames: [T, K, B, ...].

    ``inputs`` x_t, ``h_prev`` h_{t-1}, ``u`` the update gate, ``coef_h`` the coefficients of g
    in dL/d(W_hh h + b_hh) (blocks [r, z, n]: da_r/g, da_u/g, r da_n/g), ``coef_n`` da_n/g,
    ``states`` h_t.
    """

    inputs: torch.Tensor
    h_prev: torch.Tensor
    u: torch.Tensor
    coef_h: torch.Tensor
    coef_n: torch.Tensor
    states: torch.Tensor


def _stacked(gru: nn.GRU, layer: int, directions: int, which: int) -> torch.Tensor | None:
    if which >= 2 and not gru.bias:
        return None
    return torch.stack([layer_weights(gru, layer, k)[which] for k in range(directions)])


def cell_coefficients(gi: torch.Tensor, gh: torch.Tensor, h_prev: torch.Tensor):
    """The gates from gi = W_ih x + b_ih and gh = W_hh h_{t-1} + b_hh ([..., 3H]), and the
    coefficients of g = dL/dh_t in the cell's backward step (derivation ``gru_bptt_recurrence``).

    **Returns** (u, coef_h [..., 3, H] = [da_r, da_u, r da_n] / g, coef_n = da_n / g).
    """
    H = h_prev.shape[-1]
    r, u = torch.sigmoid(gi[..., :2 * H] + gh[..., :2 * H]).split(H, dim=-1)
    gh_n = gh[..., 2 * H:]
    n = torch.tanh(gi[..., 2 * H:] + r * gh_n)
    coef_n = (1 - u) * (1 - n * n)
    coef_h = torch.stack([coef_n * gh_n * r * (1 - r), (h_prev - n) * u * (1 - u), coef_n * r], dim=-2)
    return u, coef_h, coef_n


def cell_step_back(g: torch.Tensor, u: torch.Tensor, coef_h: torch.Tensor, W_hh: torch.Tensor,
                   out: torch.Tensor) -> torch.Tensor:
    """One step back, for [K, B, H] directions-by-samples: writes dL/d(W_hh h + b_hh) =
    g * coef_h into ``out`` [K, B, 3, H] and returns dL/dh_{t-1} = g u + out W_hh."""
    torch.mul(g[..., None, :], coef_h, out=out)
    K, B, _, H = out.shape
    return torch.baddbmm(g * u, out.view(K, B, 3 * H), W_hh)


def forward_layer(gru: nn.GRU, layer: int, x: torch.Tensor, lengths: torch.Tensor,
                  threads: int | None = None) -> tuple[LayerTape, torch.Tensor]:
    """Run one layer (both directions) on x [T, B, D_in] in original time.

    **Returns** the tape and the layer's output [T, B, K H] in original time.
    """
    K, H = (2 if gru.bidirectional else 1), gru.hidden_size
    T, B = x.shape[:2]
    frames = torch.stack([x, reverse_within(x, lengths)][:K], dim=1)
    h0 = x.new_zeros(1, B, H)
    with step_threads(K * B * 3 * H * H, threads):
        states = torch.stack([torch.gru(frames[:, k], h0, layer_weights(gru, layer, k), gru.bias, 1, 0.0,
                                        False, False, False)[0] for k in range(K)], dim=1)
    h_prev = torch.cat([states.new_zeros(1, K, B, H), states[:-1]])
    gi = torch.einsum("tkbd,kgd->tkbg", frames, _stacked(gru, layer, K, 0))
    gh = torch.einsum("tkbh,kgh->tkbg", h_prev, _stacked(gru, layer, K, 1))
    if gru.bias:
        gi, gh = gi + _stacked(gru, layer, K, 2)[:, None], gh + _stacked(gru, layer, K, 3)[:, None]
    u, coef_h, coef_n = cell_coefficients(gi, gh, h_prev)
    output = states[:, 0] if K == 1 else torch.cat([states[:, 0], reverse_within(states[:, 1], lengths)], -1)
    return LayerTape(frames, h_prev, u.contiguous(), coef_h, coef_n, states), output


def backward_layer(gru: nn.GRU, layer: int, tape: LayerTape, reaching: torch.Tensor, threads: int | None = None):
    """BPTT through one layer, given ``reaching`` [T, K, B, H]: dL/dh_t from outside the recurrence.

    **Returns** (per-sample gradients [W_ih, W_hh(, b_ih, b_hh)] per direction, each
    [B, *shape]; dL/dx [T, K, B, D_in] in each direction's frame).
    """
    T, K, B, H = tape.u.shape
    W_hh = _stacked(gru, layer, K, 1)
    g_all = torch.empty_like(reaching)
    carry = reaching.new_zeros(K, B, H)
    step = reaching.new_empty(K, B, 3, H)
    with step_threads(K * B * 3 * H * H, threads):
        for t in range(T - 1, -1, -1):
            g = torch.add(carry, reaching[t], out=g_all[t])
            carry = cell_step_back(g, tape.u[t], tape.coef_h[t], W_hh, step)
    d_gh = (g_all[..., None, :] * tape.coef_h).view(T, K, B, 3 * H)
    d_gi = d_gh.clone()
    d_gi[..., 2 * H:] = g_all * tape.coef_n
    grads = [torch.einsum("tkbg,tkbd->kbgd", d_gi, tape.inputs), torch.einsum("tkbg,tkbh->kbgh", d_gh, tape.h_prev)]
    if gru.bias:
        grads += [d_gi.sum(0), d_gh.sum(0)]
    per_direction = [[grad[k] for grad in grads] for k in range(K)]
    return per_direction, torch.einsum("tkbg,kgd->tkbd", d_gi, _stacked(gru, layer, K, 0))


def to_original_time(d_frames: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Sum over directions of a frame-wise gradient [T, K, B, D], brought to original time: [T, B, D]."""
    if d_frames.shape[1] == 1:
        return d_frames[:, 0]
    return d_frames[:, 0] + reverse_within(d_frames[:, 1], lengths)


def to_frames(d_output: torch.Tensor, lengths: torch.Tensor, directions: int) -> torch.Tensor:
    """dL/d(layer output) [T, B, K H] in original time, split into each direction's frame: [T, K, B, H]."""
    parts = d_output.chunk(directions, dim=-1)
    if directions == 1:
        return parts[0][:, None]
    return torch.stack([parts[0], reverse_within(parts[1], lengths)], dim=1)
