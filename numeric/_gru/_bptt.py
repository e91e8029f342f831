"""Closed-form backprop through time for a stacked, optionally bidirectional GRU, every sample at once.

PyTorch's cell (gate blocks stacked r, z, n in the weights; torch's z gate is called u here):

    r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    u_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
    h_t = (1 - u_t) * n_t + u_t * h_{t-1}

**Frames.**  A backward direction is a forward recurrence over the sequence reversed within
its own length (``reverse_within``), so both directions run the same code in their own time
frame, stacked on a leading axis k: tensors are [K, B, T, ...], sample-major, so that each
sample's sum over time is one matrix product.  In its frame each direction's last valid step
is len - 1 (derivation ``gru_reverse_time``).  Steps at or beyond len only follow the valid
ones and receive no gradient.

**One layer back** (derivations ``gru_cell_*``, ``gru_bptt_recurrence``): with g_t = dL/dh_t
(the carry from step t+1 plus what reaches h_t from above), gh_n = W_hn h_{t-1} + b_hn and

    da_n = g (1 - u)(1 - n^2)     da_u = g (h_{t-1} - n) u (1 - u)     da_r = da_n gh_n r (1 - r)
    dL/dh_{t-1} = g u + [da_r, da_u, da_n r] W_hh

The forward loop computes each step's coefficients of g while the gates are at hand, so the
backward loop is one broadcast product and one matrix product per step.  Per-sample weight
gradients are sums over time of outer products: one batched matrix product per direction,
[3H, T] x [T, D] for each sample.  The gradient reaching the layer's input is
[da_r, da_u, da_n] W_ih, which, brought to original time and summed over both directions, is
what reaches layer l - 1's outputs (derivation ``gru_layer_coupling``).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

from .._threads import intra_op_threads
from ._large import large_empty

__all__ = ["reverse_within", "LayerTape", "CellStep", "CellScratch", "BackStep", "cell_steps", "cell_scratch",
           "cell_step", "back_steps", "cell_step_back", "forward_layer", "backward_layer", "step_threads",
           "layer_weight_names", "layer_weights", "to_original_time", "to_frames", "NormSlot", "weight_norm_sq"]

# Per-step matrices below this many multiply-adds run on one intra-op thread: the work of one
# step is then smaller than the cost of waking and joining threads, and a busy neighbour
# would make every join wait (see benchmarks/bench_gru_per_sample.py).
SMALL_STEP_WORK = 1 << 23


def reverse_within(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """x [B, T, ...] with each sequence's first len_b steps reversed; steps >= len_b stay. An involution."""
    B, T = x.shape[:2]
    if bool((lengths == T).all()):
        return x.flip(1)
    t = torch.arange(T, device=x.device)[None, :]
    index = torch.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)
    return x[torch.arange(B, device=x.device)[:, None], index]


def step_threads(work: int, threads: int | None = None) -> contextlib.AbstractContextManager[None]:
    """Intra-op threads for the per-step work, restored after: ``threads`` if given, else one
    while the per-step work is small (``SMALL_STEP_WORK``) and torch's setting otherwise."""
    return intra_op_threads(threads if threads is not None else (1 if work < SMALL_STEP_WORK else None))


def layer_weight_names(gru: nn.GRU, layer: int, direction: int) -> list[str]:
    """The attribute names of :func:`layer_weights`, e.g. weight_hh_l1_reverse."""
    suffix = f"_l{layer}" + ("_reverse" if direction else "")
    names = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if gru.bias else ())
    return [name + suffix for name in names]


def layer_weights(gru: nn.GRU, layer: int, direction: int) -> list[torch.Tensor]:
    """[W_ih, W_hh, b_ih, b_hh] of one layer and direction (without the biases when bias=False)."""
    return [getattr(gru, name) for name in layer_weight_names(gru, layer, direction)]


@dataclass(frozen=True)
class LayerTape:
    """What one layer's backward pass needs.  Sample-major over frames, [K, B, T, ...]:
    ``inputs`` x_t and ``states`` [K, B, T + 1, H] with h_0 = 0 first (``states[:, :, t]`` is
    h_{t-1}).  Time-major, [T, K, B, ...]: ``u`` the update gate, ``coef_h`` [T, K, B, 3, H] the
    coefficients of g in dL/d(W_hh h + b_hh) (blocks [r, z, n]: da_r/g, da_u/g, r da_n/g) and
    ``coef_n`` da_n/g.
    """

    inputs: torch.Tensor
    states: torch.Tensor
    u: torch.Tensor
    coef_h: torch.Tensor
    coef_n: torch.Tensor


def _stacked(gru: nn.GRU, layer: int, directions: int, which: int) -> torch.Tensor:
    """Slot ``which`` (0 W_ih, 1 W_hh, 2 b_ih, 3 b_hh) of the layer's directions, stacked [K, ...]."""
    return torch.stack([layer_weights(gru, layer, k)[which] for k in range(directions)])


def _stacked_bias(gru: nn.GRU, layer: int, directions: int, which: int) -> torch.Tensor | None:
    """As :func:`_stacked` for a bias slot (2 or 3): None when the GRU has no biases."""
    return _stacked(gru, layer, directions, which) if gru.bias else None


class CellStep(NamedTuple):
    """One step's views into a layer's buffers, each [K, B, ...]: made once per layer by
    :func:`cell_steps`, so that the sequential loop makes no views of its own (every view is
    a Python call holding the GIL, which the shares of :mod:`._shares` contend for)."""

    gi_rz: torch.Tensor     # [W_ir x + b_ir, W_iz x + b_iz] at t
    gi_n: torch.Tensor      # W_in x + b_in
    h_prev: torch.Tensor    # h_{t-1}
    h: torch.Tensor         # h_t, written
    rz: torch.Tensor        # the gates [r, u], written
    r: torch.Tensor
    u: torch.Tensor
    coef_r: torch.Tensor    # da_r / g, written
    coef_u: torch.Tensor    # da_u / g, written
    coef_rn: torch.Tensor   # r da_n / g, written
    coef_n: torch.Tensor    # da_n / g, written


class CellScratch(NamedTuple):
    """Per-step scratch shared by every step of a layer: gh = W_hh h_{t-1} + b_hh, n and the
    gates' slopes [r (1 - r), u (1 - u)], with their blocks as views."""

    gh: torch.Tensor
    gh_rz: torch.Tensor
    gh_n: torch.Tensor
    n: torch.Tensor
    slopes: torch.Tensor
    slopes_r: torch.Tensor
    slopes_u: torch.Tensor
    one: torch.Tensor


def cell_steps(gi: torch.Tensor, states: torch.Tensor, rz: torch.Tensor, coef_h: torch.Tensor,
               coef_n: torch.Tensor) -> list[CellStep]:
    """The steps of a layer: gi [K, B, T, 3H], states [K, B, T + 1, H], rz [T, K, B, 2H],
    coef_h [T, K, B, 3, H], coef_n [T, K, B, H]."""
    H = coef_n.shape[-1]
    return [CellStep(*views) for views in zip(
        gi[..., :2 * H].unbind(2), gi[..., 2 * H:].unbind(2), states[:, :, :-1].unbind(2), states[:, :, 1:].unbind(2),
        rz.unbind(0), rz[..., :H].unbind(0), rz[..., H:].unbind(0),
        coef_h[..., 0, :].unbind(0), coef_h[..., 1, :].unbind(0), coef_h[..., 2, :].unbind(0), coef_n.unbind(0))]


def cell_scratch(like: torch.Tensor) -> CellScratch:
    """Scratch for steps of shape ``like`` [K, B, H]."""
    K, B, H = like.shape
    gh, slopes = like.new_empty(K, B, 3 * H), like.new_empty(K, B, 2 * H)
    return CellScratch(gh, gh[..., :2 * H], gh[..., 2 * H:], like.new_empty(K, B, H), slopes, slopes[..., :H],
                       slopes[..., H:], like.new_ones(()))


def cell_step(step: CellStep, W_hh_T: torch.Tensor, b_hh: torch.Tensor, scratch: CellScratch) -> None:
    """One cell step forward, for [K, B, .] directions-by-samples (W_hh_T [K, H, 3H], b_hh [K, 1, 3H]).

    Writes h_t = n + u (h_{t-1} - n), the gates [r, u] and the coefficients of g = dL/dh_t in
    the cell's backward step (derivation ``gru_bptt_recurrence``) while the gates are at hand:

        coef_n = da_n / g = (1 - u)(1 - n^2)
        [coef_r, coef_u, coef_rn] = [da_r, da_u, r da_n] / g
                                  = [coef_n gh_n r (1 - r), (h_{t-1} - n) u (1 - u), coef_n r]
    """
    s = scratch
    torch.baddbmm(b_hh, step.h_prev, W_hh_T, out=s.gh)
    torch.add(step.gi_rz, s.gh_rz, out=step.rz).sigmoid_()
    torch.addcmul(step.gi_n, step.r, s.gh_n, out=s.n).tanh_()
    torch.lerp(s.n, step.h_prev, step.u, out=step.h)
    torch.addcmul(step.rz, step.rz, step.rz, value=-1, out=s.slopes)
    torch.addcmul(s.one, s.n, s.n, value=-1, out=step.coef_n).addcmul_(step.u, step.coef_n, value=-1)
    torch.mul(step.coef_n, s.gh_n, out=step.coef_r).mul_(s.slopes_r)
    torch.sub(step.h_prev, s.n, out=step.coef_u).mul_(s.slopes_u)
    torch.mul(step.coef_n, step.r, out=step.coef_rn)


class BackStep(NamedTuple):
    """One step's views for the backward loop, each [K, B, ...] (see :func:`back_steps`)."""

    reaching: torch.Tensor  # dL/dh_t from outside the recurrence
    g: torch.Tensor         # dL/dh_t, written
    u: torch.Tensor
    coef_h: torch.Tensor    # [K, B, 3, H]
    d_gh: torch.Tensor      # dL/d(W_hh h + b_hh) [K, B, 3, H], written
    d_gh_flat: torch.Tensor  # the same, [K, B, 3H]


def back_steps(reaching: torch.Tensor, g_all: torch.Tensor, tape: LayerTape, d_gh: torch.Tensor) -> list[BackStep]:
    """The steps of a layer's backward loop: reaching [K, B, T, H], g_all [T, K, B, H], d_gh [K, B, T, 3, H]."""
    K, B, T, _, H = d_gh.shape
    return [BackStep(*views) for views in zip(reaching.unbind(2), g_all.unbind(0), tape.u.unbind(0),
                                               tape.coef_h.unbind(0), d_gh.unbind(2),
                                               d_gh.view(K, B, T, 3 * H).unbind(2))]


def cell_step_back(step: BackStep, carry: torch.Tensor, W_hh: torch.Tensor) -> torch.Tensor:
    """One step back: g = carry + reaching; dL/d(W_hh h + b_hh) = g * coef_h; **returns**
    dL/dh_{t-1} = g u + dL/d(W_hh h + b_hh) W_hh, written over ``carry``."""
    g = torch.add(carry, step.reaching, out=step.g)
    torch.mul(g.unsqueeze(-2), step.coef_h, out=step.d_gh)
    return torch.mul(g, step.u, out=carry).baddbmm_(step.d_gh_flat, W_hh)


def forward_layer(gru: nn.GRU, layer: int, x: torch.Tensor, lengths: torch.Tensor,
                  threads: int | None = None) -> tuple[LayerTape, torch.Tensor]:
    """Run one layer (both directions) on x [B, T, D_in] in original time.

    **Returns** the tape and the layer's output [B, T, K H] in original time.
    """
    K, H = (2 if gru.bidirectional else 1), gru.hidden_size
    B, T, D = x.shape
    frames = torch.stack([x, reverse_within(x, lengths)][:K], out=large_empty(K, B, T, D, like=x))
    gi = torch.bmm(frames.view(K, B * T, D), _stacked(gru, layer, K, 0).transpose(1, 2),
                   out=large_empty(K, B * T, 3 * H, like=x))
    if gru.bias:
        gi += _stacked(gru, layer, K, 2)[:, None]
    W_hh_T, b_hh = _stacked(gru, layer, K, 1).transpose(1, 2), _stacked_bias(gru, layer, K, 3)
    b_hh = x.new_zeros(K, 1, 3 * H) if b_hh is None else b_hh[:, None]
    states = large_empty(K, B, T + 1, H, like=x)
    states[:, :, 0] = 0
    rz, coef_n, coef_h = large_empty(T, K, B, 2 * H, like=x), large_empty(T, K, B, H, like=x), \
        large_empty(T, K, B, 3, H, like=x)
    scratch = cell_scratch(coef_n[0])
    with step_threads(K * B * 3 * H * H, threads):
        for step in cell_steps(gi.view(K, B, T, 3 * H), states, rz, coef_h, coef_n):
            cell_step(step, W_hh_T, b_hh, scratch)
    output = states[0, :, 1:] if K == 1 else torch.cat([states[0, :, 1:], reverse_within(states[1, :, 1:], lengths)],
                                                       -1, out=large_empty(B, T, K * H, like=x))
    return LayerTape(frames, states, rz[..., H:], coef_h, coef_n), output


@dataclass(frozen=True)
class NormSlot:
    """Where a parameter's per-sample squared gradient norm goes instead of its gradient:
    ``out`` [B], and ``gram`` whether to take it from the two T x T Gram matrices (True) or
    from the materialised [B, *shape] gradient (False; see :func:`weight_norm_sq`)."""

    out: torch.Tensor
    gram: bool


def weight_norm_sq(a_blocks: list[torch.Tensor], b: torch.Tensor, gram: bool) -> torch.Tensor:
    """||G_i||_F^2 per sample of G_i = sum_t a_{i,t} b_{i,t}^T, a_t = [a^1_t | a^2_t | ...] the
    concatenation of ``a_blocks`` (each [B, T, m_j]) and b [B, T, n] (the ghost-norm identity, see :mod:`._norms`):

        ||G_i||_F^2 = sum_{t,s} (a_t . a_s)(b_t . b_s),   a_t . a_s = sum_j a^j_t . a^j_s

    ``gram=True``: two [B, T, T] Gram matrices, O(B T^2 (m + n)) work and O(B T^2) memory;
    ``gram=False``: the gradient itself, [B, m, n] (the cheaper one when T^2 >= m n)."""
    if gram:
        left = torch.bmm(a_blocks[0], a_blocks[0].transpose(1, 2))
        for a in a_blocks[1:]:
            left.baddbmm_(a, a.transpose(1, 2))
        return (left * torch.bmm(b, b.transpose(1, 2))).sum((1, 2))
    total = torch.bmm(a_blocks[0].transpose(1, 2), b).square().sum((1, 2))
    for a in a_blocks[1:]:
        total += torch.bmm(a.transpose(1, 2), b).square().sum((1, 2))
    return total


def _write_weight(slot, a_blocks: list[torch.Tensor], b: torch.Tensor) -> None:
    """The per-sample gradient sum_t a_t b_t^T of one weight into ``slot`` (a [B, m, n] tensor
    whose rows are the blocks of a, in order), its squared norm (a NormSlot), or nothing (None)."""
    if slot is None:
        return
    if isinstance(slot, NormSlot):
        slot.out.copy_(weight_norm_sq(a_blocks, b, slot.gram))
        return
    start = 0
    for a in a_blocks:
        torch.bmm(a.transpose(1, 2), b, out=slot[:, start:start + a.shape[-1]])
        start += a.shape[-1]


def _write_bias(slot, sums: list[torch.Tensor]) -> None:
    """The per-sample gradient [sums...] of a bias (each [B, m_j]), or its squared norm, or nothing."""
    if slot is None:
        return
    if isinstance(slot, NormSlot):
        slot.out.copy_(torch.stack([part.square().sum(1) for part in sums]).sum(0))
        return
    torch.cat(sums, 1, out=slot)


def backward_layer(gru: nn.GRU, layer: int, tape: LayerTape, reaching: torch.Tensor, out: list[list],
                   threads: int | None = None) -> torch.Tensor:
    """BPTT through one layer, given ``reaching`` [K, B, T, H]: dL/dh_t from outside the recurrence.

    ``out[k]`` holds one slot per weight of direction k, [W_ih, W_hh(, b_ih, b_hh)]: a tensor
    [B, *shape] gets the per-sample gradients, a :class:`NormSlot` their squared norms, None
    nothing.  **Returns** dL/dx [K, B, T, D_in] in each direction's frame.
    dL/d(W_ih x + b_ih) = [da_r, da_u, da_n] shares its r and z blocks with dL/d(W_hh h + b_hh)
    = [da_r, da_u, r da_n], so only da_n is kept besides the latter:

        dL/dW_ih = sum_t [d_rz | da_n]_t^T x_t      dL/dW_hh = sum_t (d_gh)_t^T h_{t-1}
        dL/db_ih = sum_t [d_rz | da_n]_t            dL/db_hh = sum_t (d_gh)_t
    """
    T, K, B, H = tape.u.shape
    W_hh, W_ih = _stacked(gru, layer, K, 1), _stacked(gru, layer, K, 0)
    d_gh, g_all = large_empty(K, B, T, 3, H, like=reaching), large_empty(T, K, B, H, like=reaching)
    carry = reaching.new_zeros(K, B, H)
    with step_threads(K * B * 3 * H * H, threads):
        for step in reversed(back_steps(reaching, g_all, tape, d_gh)):
            carry = cell_step_back(step, carry, W_hh)
    da_n = large_empty(K, B, T, H, like=reaching)
    torch.mul(g_all, tape.coef_n, out=da_n.permute(2, 0, 1, 3))
    del g_all
    d_gh = d_gh.view(K, B, T, 3 * H)
    d_rz = d_gh[..., :2 * H]
    for k in range(K):
        slots = list(out[k]) + [None] * (4 - len(out[k]))
        _write_weight(slots[0], [d_rz[k], da_n[k]], tape.inputs[k])
        _write_weight(slots[1], [d_gh[k]], tape.states[k, :, :T])
        if gru.bias and (slots[2] is not None or slots[3] is not None):
            sum_gh = d_gh[k].sum(1)
            _write_bias(slots[2], [sum_gh[:, :2 * H], da_n[k].sum(1)])
            _write_bias(slots[3], [sum_gh])
    d_frames = torch.bmm(da_n.view(K, B * T, H), W_ih[:, 2 * H:],
                         out=large_empty(K, B * T, W_ih.shape[-1], like=reaching))
    d_frames.baddbmm_(d_rz.reshape(K, B * T, 2 * H), W_ih[:, :2 * H])
    return d_frames.view(K, B, T, -1)


def to_original_time(d_frames: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Sum over directions of a frame-wise gradient [K, B, T, D], brought to original time: [B, T, D]."""
    if d_frames.shape[0] == 1:
        return d_frames[0]
    return d_frames[0] + reverse_within(d_frames[1], lengths)


def to_frames(d_output: torch.Tensor, lengths: torch.Tensor, directions: int) -> torch.Tensor:
    """dL/d(layer output) [B, T, K H] in original time, split into each direction's frame: [K, B, T, H]."""
    parts = d_output.chunk(directions, dim=-1)
    if directions == 1:
        return parts[0][None]
    return torch.stack([parts[0], reverse_within(parts[1], lengths)])
