"""Checks for GRU classifiers: closed-form BPTT against per-sample autograd of the module itself."""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from gradproof.symbolic import InputError

from .._gru import (
    GRUClassifier,
    GRUModel,
    LayerTape,
    back_steps,
    cell_scratch,
    cell_step,
    cell_step_back,
    cell_steps,
    gru_per_sample_grads,
)
from ._compare import CheckResult, compare
from ._tolerances import tolerance

__all__ = ["gru_checks", "gru_problem", "autograd_per_sample", "sample_loss", "CONFIGURATIONS"]

BATCH, STEPS, INPUTS, HIDDEN, VOCABULARY = 6, 7, 3, 5, 11

# (label, GRUClassifier options, input form): the representative set numeric.verify runs
CONFIGURATIONS: tuple[tuple[str, dict, str], ...] = (
    ("1 layer, full length", {}, "padded"),
    ("1 layer, variable lengths", {}, "lengths"),
    ("embedding, 2 layers, bidirectional, sigmoid + BCELoss, packed",
     {"vocab_size": VOCABULARY, "num_layers": 2, "bidirectional": True, "sigmoid": True}, "packed"),
    ("3 layers, time-first, no bias, bidirectional, variable lengths",
     {"num_layers": 3, "batch_first": False, "bias": False, "bidirectional": True}, "lengths"),
)


def gru_problem(seed: int, device, dtype, options: dict | None = None, form: str = "padded"):
    """A small classifier and batch: X padded ("padded", "lengths") or packed ("packed")."""
    options = options or {}
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = GRUClassifier(INPUTS, HIDDEN, **options).to(device=device, dtype=dtype)
    batch_first = options.get("batch_first", True)
    shape = (BATCH, STEPS) if batch_first else (STEPS, BATCH)
    X: torch.Tensor | PackedSequence
    if "vocab_size" in options:
        X = torch.randint(0, options["vocab_size"], shape, generator=gen).to(device)
    else:
        X = torch.randn(*shape, INPUTS, generator=gen, dtype=torch.float64).to(device, dtype)
    y = torch.rand(BATCH, generator=gen, dtype=torch.float64).to(device, dtype)
    lengths = torch.randint(1, STEPS + 1, (BATCH,), generator=gen).to(device) if form != "padded" else None
    if form == "packed" and lengths is not None:
        X, lengths = pack_padded_sequence(X, lengths.cpu(), batch_first=batch_first, enforce_sorted=False), None
    return model, X, y, lengths


def sample_loss(model: nn.Module, output: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """nn.BCELoss after the model's nn.Sigmoid, BCE-with-logits otherwise."""
    if GRUModel.from_module(model).sigmoid:
        return nn.functional.binary_cross_entropy(output.reshape(-1), y, reduction=reduction)
    return nn.functional.binary_cross_entropy_with_logits(output.reshape(-1), y, reduction=reduction)


def _one_sample(model, X, lengths, i: int):
    """The arguments of model(...) for sample i alone, in the form X came in."""
    if isinstance(X, PackedSequence):
        padded, all_lengths = pad_packed_sequence(X)
        return (pack_padded_sequence(padded[:, i:i + 1], all_lengths[i:i + 1], enforce_sorted=False),)
    batch_first = GRUModel.from_module(model).gru.batch_first
    X_i = X[i:i + 1] if batch_first else X[:, i:i + 1]
    return (X_i,) if lengths is None else (X_i, lengths[i:i + 1])


def autograd_per_sample(model, X, y, lengths=None) -> dict[str, torch.Tensor]:
    """One backward pass per sample through the unmodified module (the reference)."""
    rows = []
    for i in range(y.shape[0]):
        model.zero_grad(set_to_none=True)
        sample_loss(model, model(*_one_sample(model, X, lengths, i)), y[i:i + 1]).backward()
        rows.append({name: torch.zeros_like(p) if p.grad is None else p.grad.detach().clone()
                     for name, p in model.named_parameters()})
    return {name: torch.stack([row[name] for row in rows]) for name in rows[0]}


def _witnessed(model, X, y, lengths) -> tuple[dict, str]:
    """(per-sample gradients, "" or the witness's refusal): with the witness on, and without it
    when it refuses, so that the check still reports the closed form's numbers."""
    try:
        return gru_per_sample_grads(model, X, y, lengths), ""
    except InputError as error:
        return (gru_per_sample_grads(model, X, y, lengths, witness=False),
                f"the witness on the real batch refused the closed form: {error}")


def _refused(result: CheckResult, refused: str) -> CheckResult:
    return replace(result, passed=False, note=refused, tolerance_used=float("inf")) if refused else result


def _per_sample_check(seed, device, dtype, tol, label, options, form) -> CheckResult:
    """The closed form against per-sample autograd, computed with the witness on the real batch
    on (always, in verify): a witness that refuses the result fails the check, its numbers then
    those of the closed form computed without it, its message the note."""
    model, X, y, lengths = gru_problem(seed, device, dtype, options, form)
    closed, refused = _witnessed(model, X, y, lengths)
    reference = autograd_per_sample(model, X, y, lengths)
    result = compare(f"per-sample BPTT = autograd per sample, every parameter ({label})",
                     list(closed.values()), [reference[k] for k in closed], device=device, dtype=dtype, **tol)
    return _refused(result, refused)


def _summed_check(seed, device, dtype, tol) -> CheckResult:
    _, options, form = CONFIGURATIONS[2]
    model, X, y, lengths = gru_problem(seed, device, dtype, options, form)
    closed, refused = _witnessed(model, X, y, lengths)
    model.zero_grad()
    sample_loss(model, model(X), y, reduction="sum").backward()
    return _refused(compare("sum of per-sample BPTT = autograd of the summed batch loss (embedding, 2 layers, "
                   "bidirectional, packed)", [g.sum(0) for g in closed.values()],
                   [p.grad for p in model.parameters()], device=device, dtype=dtype, **tol), refused)


def _cell_check(seed, device, dtype, tol) -> CheckResult:
    """One cell step: the closed-form backward against autograd of nn.GRUCell."""
    torch.manual_seed(seed)
    cell = nn.GRUCell(INPUTS, HIDDEN).to(device, dtype)
    gen = torch.Generator().manual_seed(seed + 3)
    h = torch.randn(BATCH, HIDDEN, generator=gen, dtype=torch.float64).to(device, dtype).requires_grad_(True)
    x = torch.randn(BATCH, INPUTS, generator=gen, dtype=torch.float64).to(device, dtype).requires_grad_(True)
    upstream = torch.randn(BATCH, HIDDEN, generator=gen, dtype=torch.float64).to(device, dtype)
    h_next = cell(x, h)
    (h_next * upstream).sum().backward()
    with torch.no_grad():
        gi = nn.functional.linear(x, cell.weight_ih, cell.bias_ih).view(1, BATCH, 1, 3 * HIDDEN)
        states = h.new_empty(1, BATCH, 2, HIDDEN)
        states[0, :, 0] = h
        rz, coef_h = h.new_empty(1, 1, BATCH, 2 * HIDDEN), h.new_empty(1, 1, BATCH, 3, HIDDEN)
        coef_n = h.new_empty(1, 1, BATCH, HIDDEN)
        step = cell_steps(gi, states, rz, coef_h, coef_n)[0]
        cell_step(step, cell.weight_hh.T[None], cell.bias_hh[None, None], cell_scratch(coef_n[0]))
        h_t = states[0, :, 1]
        tape = LayerTape(x[None, :, None], states, rz[..., HIDDEN:], coef_h, coef_n)
        d_gh, g = h.new_empty(1, BATCH, 1, 3, HIDDEN), h.new_empty(1, 1, BATCH, HIDDEN)
        back = back_steps(upstream.view(1, BATCH, 1, HIDDEN), g, tape, d_gh)[0]
        dh = cell_step_back(back, h.new_zeros(1, BATCH, HIDDEN), cell.weight_hh[None])[0]
        d_gh = d_gh.view(BATCH, 3 * HIDDEN)
        d_gi = torch.cat([d_gh[:, :2 * HIDDEN], upstream * coef_n[0, 0]], dim=1)
        got = [h_t, dh, d_gi @ cell.weight_ih, d_gi.T @ x, d_gh.T @ h, d_gi.sum(0), d_gh.sum(0)]
    want = [h_next.detach(), h.grad, x.grad, cell.weight_ih.grad, cell.weight_hh.grad, cell.bias_ih.grad,
            cell.bias_hh.grad]
    return compare("one cell step (h_t; backward: dh, dx, weights, biases) = nn.GRUCell and its autograd",
                   got, want, device=device, dtype=dtype, **tol)


def gru_checks(seed: int, device, dtype) -> list[CheckResult]:
    """Every GRU check for one device and dtype."""
    tol = dict(zip(("rtol", "atol"), tolerance(dtype)))
    # cuDNN may run float32 RNNs in TF32 (10-bit mantissa); the witness must be full float32
    with torch.backends.cudnn.flags(enabled=True, allow_tf32=False):
        results = [_cell_check(seed, device, dtype, tol),
                   *(_per_sample_check(seed, device, dtype, tol, *config) for config in CONFIGURATIONS),
                   _summed_check(seed, device, dtype, tol)]
    return [replace(r, name="gru: " + r.name) for r in results]
