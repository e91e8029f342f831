"""Checks for the GRU classifier: closed-form BPTT against torch autograd."""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import nn

from ._compare import CheckResult, compare
from ._gru import GRUClassifier, cell_backward, gru_per_sample_grads
from ._tolerances import tolerance

__all__ = ["gru_checks", "gru_problem", "autograd_per_sample"]

BATCH, STEPS, INPUTS, HIDDEN = 6, 7, 3, 5


def gru_problem(seed: int, device, dtype, *, ragged: bool = False):
    """A small classifier and batch; ``ragged`` gives every sequence its own length."""
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = GRUClassifier(INPUTS, HIDDEN).to(device=device, dtype=dtype)
    X = torch.randn(BATCH, STEPS, INPUTS, generator=gen, dtype=torch.float64).to(device, dtype)
    y = torch.rand(BATCH, generator=gen, dtype=torch.float64).to(device, dtype)
    lengths = torch.randint(1, STEPS + 1, (BATCH,), generator=gen).to(device) if ragged else None
    return model, X, y, lengths


def autograd_per_sample(model, X, y, lengths=None) -> dict[str, torch.Tensor]:
    """One backward pass per sample through nn.GRU (the reference)."""
    rows = []
    for i in range(X.shape[0]):
        model.zero_grad()
        length = None if lengths is None else lengths[i:i + 1]
        nn.functional.binary_cross_entropy_with_logits(model(X[i:i + 1], length), y[i:i + 1]).backward()
        rows.append({name: p.grad.detach().clone() for name, p in model.named_parameters()})
    return {name: torch.stack([row[name] for row in rows]) for name in rows[0]}


def _per_sample_check(seed, device, dtype, tol, ragged: bool) -> CheckResult:
    model, X, y, lengths = gru_problem(seed, device, dtype, ragged=ragged)
    closed = gru_per_sample_grads(model, X, y, lengths)
    reference = autograd_per_sample(model, X, y, lengths)
    label = "variable lengths" if ragged else "full length"
    return compare(f"per-sample BPTT = autograd per sample, every parameter ({label})",
                   list(closed.values()), [reference[k] for k in closed], device=device, dtype=dtype, **tol)


def _summed_check(seed, device, dtype, tol) -> CheckResult:
    model, X, y, lengths = gru_problem(seed, device, dtype, ragged=True)
    closed = gru_per_sample_grads(model, X, y, lengths)
    model.zero_grad()
    nn.functional.binary_cross_entropy_with_logits(model(X, lengths), y, reduction="sum").backward()
    return compare("sum of per-sample BPTT = autograd of the summed batch loss",
                   [g.sum(0) for g in closed.values()], [p.grad for p in model.parameters()],
                   device=device, dtype=dtype, **tol)


def _cell_check(seed, device, dtype, tol) -> CheckResult:
    """One cell step: the closed-form backward against autograd of nn.GRUCell."""
    model, X, _, _ = gru_problem(seed, device, dtype)
    gru = model.gru
    cell = nn.GRUCell(INPUTS, HIDDEN).to(device, dtype)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(getattr(gru, name + "_l0"))
    gen = torch.Generator().manual_seed(seed + 3)
    h = torch.randn(BATCH, HIDDEN, generator=gen, dtype=torch.float64).to(device, dtype).requires_grad_(True)
    x = X[:, 0].clone().requires_grad_(True)
    upstream = torch.randn(BATCH, HIDDEN, generator=gen, dtype=torch.float64).to(device, dtype)
    (cell(x, h) * upstream).sum().backward()
    with torch.no_grad():
        gi = nn.functional.linear(x, cell.weight_ih, cell.bias_ih)
        gh = nn.functional.linear(h, cell.weight_hh, cell.bias_hh)
        gates = torch.sigmoid(gi[:, :2 * HIDDEN] + gh[:, :2 * HIDDEN])
        n = torch.tanh(gi[:, 2 * HIDDEN:] + gates[:, :HIDDEN] * gh[:, 2 * HIDDEN:])
        d_gi, d_gh = torch.empty_like(gi), torch.empty_like(gh)
        dh = cell_backward(upstream, gates, n, h, gh[:, 2 * HIDDEN:], cell.weight_hh, d_gi, d_gh)
        got = [dh, d_gi @ cell.weight_ih, d_gi.T @ x, d_gh.T @ h, d_gi.sum(0), d_gh.sum(0)]
    want = [h.grad, x.grad, cell.weight_ih.grad, cell.weight_hh.grad, cell.bias_ih.grad, cell.bias_hh.grad]
    return compare("one cell step backward (dh, dx, weights, biases) = autograd of nn.GRUCell",
                   got, want, device=device, dtype=dtype, **tol)


def gru_checks(seed: int, device, dtype) -> list[CheckResult]:
    """Every GRU check for one device and dtype."""
    tol = dict(zip(("rtol", "atol"), tolerance(dtype)))
    # cuDNN may run float32 RNNs in TF32 (10-bit mantissa); the witness must be full float32
    with torch.backends.cudnn.flags(enabled=True, allow_tf32=False):
        results = [_cell_check(seed, device, dtype, tol),
                   _per_sample_check(seed, device, dtype, tol, ragged=False),
                   _per_sample_check(seed, device, dtype, tol, ragged=True),
                   _summed_check(seed, device, dtype, tol)]
    return [replace(r, name="gru: " + r.name) for r in results]
