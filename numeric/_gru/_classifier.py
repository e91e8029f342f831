"""Per-sample gradients of a GRU binary classifier, and the classifier itself.

The model is any module :class:`GRUModel` recognises: [nn.Embedding] -> nn.GRU (any layers,
directions, batch_first, bias) -> nn.Linear on the last valid step -> [nn.Sigmoid].  With
h the head's input (forward state at len - 1, backward state at step 0), z = v . h + c and

    dL/dz = sigmoid(z) - y                       (BCEWithLogitsLoss, ``bce_dL_dz``)
    dL/dz = sigmoid(z) - y where p(1 - p) >= 1e-12, p = sigmoid(z)   (nn.Sigmoid + nn.BCELoss,
                                                 ``sigmoid_bceloss_dL_dz``)

(where p(1 - p) < 1e-12 BCELoss's backward divides by 1e-12 instead of p(1 - p): the value
returned there is that one, (p - y) p (1 - p) / 1e-12, exactly what autograd of the module
gives; ``numeric.verify`` states the departure).  dL/dh = (dL/dz) v splits into the two
directions' halves (``gru_head_split``); :mod:`._gru_bptt` carries it back
through time and down the layers; an embedding row's gradient is the sum of the input
gradients at the positions holding that token (``gru_embedding_row``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

from gradproof.symbolic import InputError

from ._bptt import (
    NormSlot,
    backward_layer,
    forward_layer,
    layer_weight_names,
    layer_weights,
    step_threads,
    to_frames,
    to_original_time,
)
from ._inputs import SequenceBatch, check_labels, sequence_batch
from ._large import large_empty
from ._memory import chunk_rows, per_sample_bytes, resolve_max_memory
from ._model import GRUModel
from ._objective import Objective, head_dL_dz, objective
from ._shares import run_in_shares, sample_shares

__all__ = ["GRUClassifier", "gru_per_sample_grads", "gru_residuals", "head_dL_dz", "Request", "request",
           "run_chunks", "share_pass", "embedding_norm_sq", "witness_forward", "WITNESS_RTOL", "autograd_threads",
           "check_two_samples", "head_inputs"]


class GRUClassifier(nn.Module):
    """[Embedding ->] GRU -> Linear head on the last valid step [-> Sigmoid].

    ``GRUClassifier(input_size, hidden_size)`` is a one-layer, batch-first GRU on features
    [B, T, input_size].  ``vocab_size`` puts an ``nn.Embedding(vocab_size, input_size)`` in front
    (X is then token ids [B, T]); ``sigmoid=True`` ends in ``nn.Sigmoid`` (train with
    ``nn.BCELoss``).  ``forward(X, lengths=None)`` takes a padded batch (with lengths) or a
    ``PackedSequence`` and returns [B] logits (probabilities with ``sigmoid``).
    """

    def __init__(self, input_size: int, hidden_size: int, *, num_layers: int = 1, bidirectional: bool = False,
                 vocab_size: int | None = None, batch_first: bool = True, bias: bool = True,
                 dropout: float = 0.0, sigmoid: bool = False):
        super().__init__()
        if vocab_size is not None:
            self.embedding = nn.Embedding(vocab_size, input_size)
        self.gru = nn.GRU(input_size, hidden_size, num_layers=num_layers, bias=bias, batch_first=batch_first,
                          dropout=dropout, bidirectional=bidirectional)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), 1)
        if sigmoid:
            self.sigmoid = nn.Sigmoid()

    def last_hidden(self, X, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """The head's input [B, K H]: the top layer's forward state at each sequence's last valid
        step and, bidirectional, the backward state at step 0 (``h_n`` of the packed batch)."""
        return head_inputs(GRUModel.from_module(self), X, lengths)

    def forward(self, X, lengths: torch.Tensor | None = None) -> torch.Tensor:
        z = self.head(self.last_hidden(X, lengths)).squeeze(-1)
        return self.sigmoid(z) if hasattr(self, "sigmoid") else z


def head_inputs(model: GRUModel, X, lengths) -> torch.Tensor:
    batch = sequence_batch(model, X, lengths)
    x = batch.inputs if model.embedding is None else model.embedding(batch.inputs)
    if lengths is None and not batch.packed:
        _, h_n = model.gru(x.transpose(0, 1) if model.gru.batch_first else x)
    else:
        _, h_n = model.gru(pack_padded_sequence(x, batch.lengths.cpu(), enforce_sorted=False))
    return h_n[-model.directions:].transpose(0, 1).reshape(batch.size, -1)


@torch.no_grad()
def gru_residuals(model: nn.Module, X, y: torch.Tensor,
                  lengths: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(z, dL/dz, h): logits, residuals (sigmoid(z) - y, see :func:`head_dL_dz`) and head inputs."""
    parts = GRUModel.from_module(model)
    h_last = head_inputs(parts, X, lengths)
    z = nn.functional.linear(h_last, parts.head.weight, parts.head.bias).squeeze(-1)
    return z, head_dL_dz(z, y, after_sigmoid=parts.sigmoid), h_last


@dataclass(frozen=True)
class Request:
    """A checked per-sample request: the parts, the batch, the labels, the loss, the trainable
    parameters (name, tensor) and the thread count."""

    parts: GRUModel
    batch: SequenceBatch
    y: torch.Tensor
    objective: Objective
    named: list
    threads: int | None
    X: object
    lengths: torch.Tensor | None


def request(model, X, y, lengths, *, loss=None, pos_weight=None, weight=None, threads=None) -> Request:
    """Check every argument of a per-sample call (see :func:`gru_per_sample_grads`)."""
    parts = GRUModel.from_module(model)
    batch = sequence_batch(parts, X, lengths)
    check_labels(y, batch, parts.gru.weight_ih_l0.dtype)  # type: ignore[arg-type]  # nn.Module.__getattr__
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise InputError(f"threads: expected a positive integer or None, got {threads!r}", argument="threads")
    chosen = objective(parts, y, loss=loss, pos_weight=pos_weight, weight=weight)
    named = list(parts.named_parameters())
    _check_parameters(parts, named)
    trainable = [(name, p) for name, p in named if p.requires_grad]
    if not trainable:
        raise InputError("model: no parameter requires grad (every one is frozen)", argument="model")
    return Request(parts, batch, y, chosen, trainable, threads, X, lengths)


def run_chunks(run: Request, rows_per_chunk: int, slots_of, on_chunk=None) -> tuple[torch.Tensor, torch.Tensor,
                                                                                      torch.Tensor]:
    """The closed-form pass over the batch, ``rows_per_chunk`` samples at a time, each chunk in
    shares (threads).  ``slots_of(rows)`` gives, keyed by parameter id, where each parameter's
    result for the samples ``rows`` goes (see :func:`share_pass`); ``on_chunk(rows, z, h, dL/dz)``
    runs after each chunk.  **Returns** z, h and dL/dz of the whole batch."""
    found = []
    size = run.batch.size
    for begin in range(0, size, rows_per_chunk):
        stop = min(size, begin + rows_per_chunk)
        shares = [slice(begin + s.start, begin + s.stop)
                  for s in sample_shares(stop - begin, run.threads, run.batch.inputs.device)]
        one_share = run.threads if len(shares) == 1 else 1

        def work(rows: slice, one_share: int | None = one_share) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
            return share_pass(run, rows, slots_of(rows), one_share)

        z, h, dL_dz = (torch.cat(parts_) for parts_ in zip(*run_in_shares(work, shares)))
        if on_chunk is not None:
            on_chunk(slice(begin, stop), z, h, dL_dz)
        found.append((z, h, dL_dz))
    z, h, dL_dz = (torch.cat(parts_) for parts_ in zip(*found))
    return z, h, dL_dz


@torch.no_grad()
def gru_per_sample_grads(model: nn.Module, X, y: torch.Tensor, lengths: torch.Tensor | None = None, *,
                         loss=None, pos_weight=None, weight: torch.Tensor | None = None,
                         threads: int | None = None, witness: bool = True,
                         max_memory: float | None = None) -> dict[str, torch.Tensor]:
    """Per-sample gradients of each sample's own, unreduced loss L_i, for every trainable
    parameter of ``model``.

    **Arguments**: ``model`` an ``nn.Module`` of the shape :class:`GRUModel` recognises (or a
    GRUModel); ``X`` a padded batch (layout as the model's nn.GRU says; token ids when it starts
    with nn.Embedding) or a ``PackedSequence``; ``y`` [B] labels in [0, 1]; ``lengths`` [B].

    The loss (:mod:`._objective`): BCE-with-logits on the head's logit, or nn.BCELoss after the
    model's nn.Sigmoid; ``loss=`` any loss ``gradproof loss`` accepts (a name such as
    ``"focal:gamma=2"``, a formula in z and y, or a ``symbolic.Loss``), whose proved dL/dz is run
    as generated torch code; ``pos_weight`` p_w of BCEWithLogitsLoss,
    dL/dz = sigmoid(z)(1 + (p_w - 1) y) - p_w y; ``weight`` [B] per-sample weights omega_i, which
    multiply L_i and so dL_i/dz_i.  ``loss`` and ``pos_weight`` are losses of the logit: refused
    for a model ending in nn.Sigmoid.  Parameters with ``requires_grad=False`` are skipped (not
    in the result).

    ``threads`` the CPU threads to use (default: torch's intra-op threads): the batch is split
    into that many shares of at least 32 samples, each run in its own thread with one intra-op
    thread (see :mod:`._shares`).

    ``witness=True`` (the default) checks the result on the real batch: the module's own forward
    on the whole batch must give the logits computed here (and call its head once, on the last
    valid step), and one autograd backward of sum_i c_i L_i through the module, c_i random, must
    equal sum_i c_i g_i of the closed form for every parameter, relative in norm within
    ``WITNESS_RTOL`` (a Freivalds probe: errors in several g_i cancel with probability zero, and
    one g_i wrong by more than 2 WITNESS_RTOL sum_j ||g_j|| is refused for every draw).  About the cost
    of one plain training step.  ``witness=False`` runs the module's forward on its shortest and
    longest sample only.

    ``max_memory`` bytes (default ``MEMORY_FRACTION`` of the available memory): the peak is
    estimated before the start (:mod:`._memory`); the batch is worked through in chunks when the
    work does not fit, and the call is refused when the result itself does not.

    **Returns** a dict keyed like ``model.named_parameters()`` (trainable ones), each
    ``[B, *param.shape]``: one backward pass over time per share of the batch, no loop over samples.

    **Raises** :class:`InputError` for an unrecognised model, a forward that computes something
    else than the recognised composition, bad inputs, or a result larger than ``max_memory``.
    """
    run = request(model, X, y, lengths, loss=loss, pos_weight=pos_weight, weight=weight, threads=threads)
    like = run.parts.head.weight
    parameters = sum(p.numel() for _, p in run.named)
    element = like.element_size()
    B = run.batch.size
    fixed = element * (B * parameters + (2 * parameters if witness else 0))
    per_sample = per_sample_bytes(run.parts, run.batch.inputs.shape[0], element, witness=witness)
    budget = resolve_max_memory(max_memory, like.device)
    fitting = max(0, budget - 2 * parameters * element) // (element * parameters + per_sample)
    rows = chunk_rows(B, fixed, per_sample, budget, what="per-sample gradients",
                      way_out=f"use numeric.gru_per_sample_norms (norms and clipped sums without materialising "
                              f"the gradients) or a smaller batch (about {fitting} samples fit)")
    grads = {id(p): large_empty(B, *p.shape, like=p) for _, p in run.named}

    def slots_of(rows_: slice) -> dict:
        return {key: g[rows_] for key, g in grads.items()}

    z, h_last, _ = run_chunks(run, rows, slots_of)
    result = {name: grads[id(p)] for name, p in run.named}
    if run.parts.module is not None:
        if witness:
            with autograd_threads(run):
                witness_batch(run, z, h_last, result, rows)
        else:
            check_two_samples(run.parts, run.parts.module, X, lengths, run.batch, z, h_last)
    return result


def _check_parameters(parts: GRUModel, named: list) -> None:
    """Every parameter belongs to a recognised part, and every weight BPTT writes is one of them
    (not a tensor computed from parameters, as old-style weight_norm and spectral_norm make)."""
    modules = [parts.gru, parts.head] + ([parts.embedding] if parts.embedding is not None else [])
    owned = {id(p) for module in modules for p in module.parameters()}
    for name, p in named:
        if id(p) not in owned:
            raise InputError(f"model: parameter {name} belongs to none of the recognised parts", argument="model")
    registered = {id(p) for _, p in named}
    gru = parts.gru
    weights = {f"gru.{name}": getattr(gru, name) for layer in range(gru.num_layers)
               for direction in range(parts.directions) for name in layer_weight_names(gru, layer, direction)}
    weights |= {"head.weight": parts.head.weight, "head.bias": parts.head.bias}
    if parts.embedding is not None:
        weights["embedding.weight"] = parts.embedding.weight
    for name, tensor in weights.items():
        if tensor is not None and id(tensor) not in registered:
            raise InputError(f"model: {name} is not a parameter of the module but a tensor computed from "
                             f"parameters (weight_norm or spectral_norm?); per-sample gradients need plain parameters",
                             argument="model")


def share_pass(run: Request, rows: slice, slots: dict, threads: int | None) -> tuple[torch.Tensor, torch.Tensor,
                                                                                   torch.Tensor]:
    """The closed form for the samples ``rows``: ``slots`` keyed by parameter id says where each
    parameter's result goes (a [len(rows), *shape] tensor for gradients, a :class:`NormSlot` for
    squared norms, absent or None for nothing); **returns** their logits z, head inputs h and
    dL/dz.  Head: dL/dv = (dL/dz) h, dL/dc = dL/dz, so ||dL/dv||^2 = (dL/dz)^2 ||h||^2."""
    parts = run.parts
    share = SequenceBatch(run.batch.inputs[:, rows], run.batch.lengths[rows], run.batch.packed)
    tapes, h_last, z = _forward(parts, share, threads)
    dL_dz = run.objective.dL_dz(z, run.y[rows], rows)
    head_weight, head_bias = slots.get(id(parts.head.weight)), slots.get(id(parts.head.bias))
    if isinstance(head_weight, NormSlot):
        torch.mul(dL_dz.square(), h_last.square().sum(1), out=head_weight.out)
    elif head_weight is not None:
        torch.mul(dL_dz[:, None], h_last, out=head_weight[:, 0])
    if isinstance(head_bias, NormSlot):
        torch.square(dL_dz, out=head_bias.out)
    elif head_bias is not None:
        head_bias[:, 0] = dL_dz
    if any(slots.get(id(p)) is not None for p in _below_head(parts)):
        _backward(parts, share, tapes, dL_dz[:, None] * parts.head.weight[0], slots, threads)
    return z, h_last, dL_dz


def _below_head(parts: GRUModel) -> list[nn.Parameter]:
    return list(parts.gru.parameters()) + (list(parts.embedding.parameters()) if parts.embedding is not None else [])


def _forward(parts: GRUModel, batch: SequenceBatch, threads: int | None = None):
    """Every layer's tape, the head's input h [B, K H] and the logits z [B]."""
    lengths, gru, B = batch.lengths, parts.gru, batch.size
    x = batch.inputs[:int(lengths.max())].transpose(0, 1)
    if parts.embedding is not None:
        x = nn.functional.embedding(x.long(), parts.embedding.weight)
    tapes = []
    for layer in range(gru.num_layers):
        tape, x = forward_layer(gru, layer, x, lengths, threads)
        tapes.append(tape)
    h_last = tapes[-1].states[:, torch.arange(B, device=x.device), lengths].transpose(0, 1).reshape(B, -1)
    z = nn.functional.linear(h_last, parts.head.weight, parts.head.bias).squeeze(-1)
    return tapes, h_last, z


def _backward(parts: GRUModel, batch: SequenceBatch, tapes, dL_dh: torch.Tensor, out: dict,
              threads: int | None = None) -> None:
    """Per-sample gradients of every GRU (and embedding) parameter, from dL/dh of the head's
    input, written into ``out`` (keyed by parameter id)."""
    gru, lengths, K, B = parts.gru, batch.lengths, parts.directions, batch.size
    T = tapes[0].u.shape[0]
    reaching = dL_dh.new_zeros(K, B, T, gru.hidden_size)
    reaching[:, torch.arange(B, device=dL_dh.device), lengths - 1] = dL_dh.view(B, K, -1).transpose(0, 1)
    embedding = None if parts.embedding is None else out.get(id(parts.embedding.weight))
    lowest = 0 if embedding is not None else min(
        (layer for layer in range(gru.num_layers) for k in range(K)
         if any(out.get(id(p)) is not None for p in layer_weights(gru, layer, k))), default=gru.num_layers)
    for layer in range(gru.num_layers - 1, lowest - 1, -1):
        targets = [[out.get(id(p)) for p in layer_weights(gru, layer, k)] for k in range(K)]
        d_frames = backward_layer(gru, layer, tapes.pop(), reaching, targets, threads)  # the tape is freed after
        d_input = to_original_time(d_frames, lengths)
        if layer > 0:
            reaching = to_frames(d_input, lengths, K)
    if parts.embedding is None or embedding is None:
        return
    if isinstance(embedding, NormSlot):
        embedding.out.copy_(embedding_norm_sq(parts.embedding, batch.inputs[:T].T, d_input, embedding.gram))
    else:
        _embedding_rows(parts.embedding, batch.inputs[:T].T, d_input, embedding)


def _embedding_rows(embedding: nn.Embedding, ids: torch.Tensor, d_x: torch.Tensor, out: torch.Tensor) -> None:
    """Writes into ``out`` [B, V, E]: dL/dE[v] per sample = sum of dL/dx_t over the steps t
    with token v (none for padding_idx); ``ids`` [B, T], ``d_x`` [B, T, E] (derivation
    ``gru_embedding_row``)."""
    B, T = ids.shape
    V, E = embedding.weight.shape
    rows = (torch.arange(B, device=ids.device)[:, None] * V + ids.long()).reshape(-1)
    out.view(B * V, E).zero_().index_add_(0, rows, d_x.reshape(-1, E))
    if embedding.padding_idx is not None:
        out[:, embedding.padding_idx] = 0


def embedding_norm_sq(embedding: nn.Embedding, ids: torch.Tensor, d_x: torch.Tensor, gram: bool) -> torch.Tensor:
    """||dL_i/dE||_F^2 per sample, [B], without the [B, V, E] gradient when ``gram``.

    Row v of sample i's gradient is sum_{t: id_t = v} dL/dx_t (none for padding_idx), so

        ||dL_i/dE||_F^2 = sum_{t,s: id_t = id_s != padding_idx} dL/dx_t . dL/dx_s

    the Gram matrix of the input gradients [B, T, T] masked to pairs of steps holding the same
    token (the ghost-norm identity with one-hot b_t, see :mod:`._norms`).  ``gram=False`` materialises it instead."""
    if not gram:
        out = d_x.new_empty(ids.shape[0], *embedding.weight.shape)
        _embedding_rows(embedding, ids, d_x, out)
        return out.square().sum((1, 2))
    same = ids[:, :, None] == ids[:, None, :]
    if embedding.padding_idx is not None:
        same &= (ids != embedding.padding_idx)[:, :, None]
    return (torch.bmm(d_x, d_x.transpose(1, 2)) * same).sum((1, 2))


MODULE_OUTPUT_RTOL = {torch.float64: 1e-8, "other": 1e-3}
"""How closely the module's own output must match the recognised composition (rtol = atol): its
forward may take another, equally valid order of float operations (cuDNN, packed sequences)."""
HEAD_INPUT_RTOL = {torch.float64: 1e-8, "other": 1e-4}
"""How closely, relative in norm, the head's input must equal the last valid step computed here."""


def _dtype_bound(bounds: dict, dtype: torch.dtype) -> float:
    return bounds.get(dtype, bounds["other"])


def check_two_samples(parts: GRUModel, module: nn.Module, X, lengths, batch: SequenceBatch, z: torch.Tensor,
                      h_last: torch.Tensor) -> None:
    """Run the module's own forward on its shortest and longest sequence, watching its head.

    The head must be called once, on the last valid step h (the tensor this module computed,
    within ``HEAD_INPUT_RTOL`` in norm), and the module must return what the head
    returned, through its nn.Sigmoid when it has one.  So a module that pools over steps, reads
    another step or rescales its logit is refused, however small its head's weights make the
    difference in the output.  A change that leaves every value alone and alters only gradients
    (a detach, a hook) is not seen."""
    index = torch.unique(torch.stack([batch.lengths.argmin(), batch.lengths.argmax()]))
    args: tuple
    if isinstance(X, PackedSequence):
        args, call = (pack_padded_sequence(batch.inputs[:, index], batch.lengths[index].cpu(),
                                           enforce_sorted=False),), "model(packed)"
    else:
        args = (X.index_select(0 if parts.gru.batch_first else 1, index),)
        args, call = (args, "model(X)") if lengths is None else (args + (lengths[index],), "model(X, lengths)")
    calls: list[tuple] = []
    hook = parts.head.register_forward_hook(lambda _, inputs, output: calls.append((inputs[0], output)))
    try:
        # two samples: a tiny per-step work, on one intra-op thread (a barrier per step otherwise:
        # 1.1 s for H = 512, T = 20 on a loaded 2-core machine)
        with step_threads(parts.directions * len(index) * 3 * parts.gru.hidden_size ** 2):
            out = module(*args)
    except Exception as error:
        raise InputError(f"model: calling its forward as {call} on two of the samples failed "
                         f"({type(error).__name__}: {error})", argument="model") from error
    finally:
        hook.remove()
    _check_output(parts, out, z[index], index)
    _check_head_calls(parts, calls, out, h_last[index], index)


WITNESS_RTOL = {torch.float64: 1e-8, "other": 1e-3}
"""How closely, relative in norm, autograd of sum_i c_i L_i through the module must equal
sum_i c_i g_i of the closed form.  The scale is sum_i |c_i| ||g_i|| (or either side's norm, if
larger): the size rounding errors grow with, since the sum itself may cancel to near 0 under the
random signs; it is at most 2 sum_i ||g_i||: see :func:`probe_weights` for the error this always
catches."""


def autograd_threads(run: Request):
    """Intra-op threads for the witness's autograd through torch's own nn.GRU: one while the
    per-step work is small, as for BPTT here (``step_threads``): torch's recurrent kernels then
    wait at a barrier after every step, and beside a busy neighbour every wait is long (measured
    in benchmarks/bench_gru_per_sample.py: plain training of part 1 at 1.5 s on two threads of a
    loaded machine, 0.27 s on one)."""
    gru = run.parts.gru
    return step_threads(run.parts.directions * run.batch.size * 3 * gru.hidden_size ** 2, run.threads)


def _module_args(run: Request, rows: slice) -> tuple[tuple, str]:
    """The arguments of the module's forward for the samples ``rows``, in the form X came in
    (X itself for the whole batch), with inference-mode tensors copied out for autograd."""
    X, lengths, batch = run.X, run.lengths, run.batch
    whole = rows.start in (None, 0) and rows.stop in (None, batch.size)

    def usable(t: torch.Tensor) -> torch.Tensor:
        return t.clone() if t.is_inference() else t

    if isinstance(X, PackedSequence):
        if whole:
            return (PackedSequence(usable(X.data), X.batch_sizes, X.sorted_indices, X.unsorted_indices),), \
                "model(packed)"
        return (pack_padded_sequence(usable(batch.inputs[:, rows]), batch.lengths[rows].cpu(),
                                     enforce_sorted=False),), "model(packed)"
    assert isinstance(X, torch.Tensor)
    X_rows = X if whole else X.narrow(0 if run.parts.gru.batch_first else 1, rows.start, rows.stop - rows.start)
    if lengths is None:
        return (usable(X_rows),), "model(X)"
    return (usable(X_rows), usable(lengths if whole else lengths[rows])), "model(X, lengths)"


def witness_forward(run: Request, rows: slice, z: torch.Tensor, h_last: torch.Tensor, *,
                    grad: bool = True) -> torch.Tensor:
    """The module's own forward on the samples ``rows`` (grad enabled when ``grad``, whatever the
    caller's mode), checked against the closed form's logits z and head inputs h of those
    samples (as :func:`check_two_samples` does); **returns** its output, differentiable when ``grad``."""
    parts = run.parts
    assert parts.module is not None
    calls: list[tuple] = []
    hook = parts.head.register_forward_hook(lambda _, inputs, output: calls.append((inputs[0], output)))
    call = "model(...)"
    try:
        with torch.inference_mode(False), torch.set_grad_enabled(grad):
            args, call = _module_args(run, rows)
            out = parts.module(*args)
    except Exception as error:
        raise InputError(f"model: calling its forward as {call} on the batch failed "
                         f"({type(error).__name__}: {error})", argument="model") from error
    finally:
        hook.remove()
    index = torch.arange(rows.start, rows.stop, device=z.device)
    _check_output(parts, out.detach() if isinstance(out, torch.Tensor) else out, z, index)
    _check_head_calls(parts, [(h.detach(), logit.detach()) for h, logit in calls], out.detach(), h_last, index)
    return out


def witness_batch(run: Request, z: torch.Tensor, h_last: torch.Tensor, result: dict, rows_per_chunk: int) -> None:
    """The witness of :func:`gru_per_sample_grads` on the real batch (``witness=True``).

    1. The module's forward on the batch (in chunks of ``rows_per_chunk`` when the batch was
       worked through in chunks) gives the logits z recomputed here and calls its head once on
       the last valid step (:func:`witness_forward`).
    2. Freivalds probe: with random weights c_i, 1 <= |c_i| <= 2 (:func:`probe_weights`), one autograd backward of
       sum_i c_i L_i through the module gives sum_i c_i dL_i/dtheta for every trainable theta; it
       must equal sum_i c_i g_i of the closed form within ``WITNESS_RTOL`` relative in norm.  A
       module whose gradients differ from the composition it looks like (a detach, a hook, a
       forward that depends on the batch) gives another vector, found with probability one.

    **Raises** :class:`InputError` (argument ``model``) on a mismatch."""
    parts, B = run.parts, run.batch.size
    like = parts.head.weight
    c = probe_weights(B, like)
    params = [p for _, p in run.named]
    found = [torch.zeros_like(p) for p in params]
    with torch.inference_mode(False):  # inference-mode tensors (options made in that mode) copied out for autograd
        chosen = replace(run.objective, pos_weight=None if run.objective.pos_weight is None else
                         run.objective.pos_weight.clone(), weight=None if run.objective.weight is None else
                         run.objective.weight.clone())
    for begin in range(0, B, rows_per_chunk):
        rows = slice(begin, min(B, begin + rows_per_chunk))
        out = witness_forward(run, rows, z[rows], h_last[rows])
        with torch.inference_mode(False), torch.enable_grad():
            y = run.y[rows].clone() if run.y.is_inference() else run.y[rows]
            probe = (c[rows].clone() * chosen.values(out, y, rows)).sum()
            grads = torch.autograd.grad(probe, params, allow_unused=True)
        for total, grad in zip(found, grads):
            if grad is not None:
                total += grad
    bound = _dtype_bound(WITNESS_RTOL, like.dtype)
    for (name, _), autograd_sum in zip(run.named, found):
        g = result[name]
        closed_sum = torch.tensordot(c, g, dims=1)
        # rounding errors grow with sum_i |c_i| ||g_i||, not with the norm of the sum, which
        # cancels (random signs; head.bias: sum_i c_i r_i near 0 in float32 failed 1 run in 3)
        spread = float((c.abs() * g.flatten(1).norm(dim=1)).sum())
        scale = max(float(closed_sum.norm()), float(autograd_sum.norm()), spread)
        difference = float((closed_sum - autograd_sum).norm())
        if difference > bound * scale or difference != difference:
            raise InputError(
                f"model: the module is not the composition it looks like ({_composition(parts)}): autograd of "
                f"its own forward on this batch gives gradients that differ from the closed form's in {name} "
                f"(relative difference {difference / max(scale, 1e-300):.2g} in a random projection "
                f"sum_i c_i dL_i/d{name}); a forward that depends on the batch, a detach or a gradient hook "
                f"makes such a module", argument="model")


def probe_weights(size: int, like: torch.Tensor) -> torch.Tensor:
    """The probe's c_i = s_i (1 + u_i): a random sign s_i and u_i ~ U(0, 1), drawn from a fresh
    generator (entropy the caller cannot choose), so 1 <= |c_i| <= 2.

    A continuous law, so errors in several samples cancel in sum_i c_i e_i with probability zero;
    bounded away from 0, so an error e_i in a single sample is always seen at full size:
    ||sum_j c_j e_j|| = |c_i| ||e_i|| >= ||e_i||, while the scale it is compared with is at most
    2 sum_j ||g_j|| (either side).  Such an error is therefore refused whenever
    ||e_i|| > 2 WITNESS_RTOL sum_j ||g_j|| (plus its own share of the scale), for every draw,
    not only with high probability as with Gaussian c_i, which can fall near 0."""
    generator = torch.Generator(device=like.device)
    generator.seed()
    sign = torch.randint(0, 2, (size,), generator=generator, device=like.device).to(like.dtype) * 2 - 1
    return sign * (1 + torch.rand(size, generator=generator, device=like.device, dtype=like.dtype))


def _composition(parts: GRUModel) -> str:
    return (f"{'sigmoid(head(h))' if parts.sigmoid else 'head(h)'} with h the last valid step"
            f"{' (forward at len - 1, backward at 0)' if parts.directions == 2 else ''}")


def _check_output(parts: GRUModel, out, z: torch.Tensor, index: torch.Tensor) -> None:
    want = torch.sigmoid(z) if parts.sigmoid else z
    if not isinstance(out, torch.Tensor) or out.numel() != len(index):
        raise InputError(f"model: its forward returned {type(out).__name__}"
                         f"{tuple(out.shape) if isinstance(out, torch.Tensor) else ''}; expected one "
                         f"{'probability' if parts.sigmoid else 'logit'} per sample", argument="model")
    rtol = _dtype_bound(MODULE_OUTPUT_RTOL, out.dtype)
    got = out.reshape(-1).to(want.dtype)
    close = torch.isclose(got, want, rtol=rtol, atol=rtol)
    if not bool(close.all()):
        first = int((~close).nonzero()[0])
        shown = slice(first, first + 4) if len(index) > 4 else slice(None)
        raise InputError(
            f"model: its forward returned {got[shown].tolist()} on samples {index[shown].tolist()}, but "
            f"the recognised composition {_composition(parts)} gives {want[shown].tolist()}; pack variable lengths "
            f"(pack_padded_sequence) and read h_n, and use an nn.Sigmoid module (not torch.sigmoid) when the "
            f"loss is nn.BCELoss", argument="model")


def _check_head_calls(parts: GRUModel, calls: list, out: torch.Tensor, h_last: torch.Tensor,
                      index: torch.Tensor) -> None:
    if len(calls) != 1 or tuple(calls[0][0].shape) != tuple(h_last.shape):
        shapes = [tuple(h.shape) for h, _ in calls]
        raise InputError(f"model: its forward called the head {len(calls)} times, on inputs of shapes {shapes}; "
                         f"the recognised composition {_composition(parts)} calls it once, on h of shape "
                         f"{tuple(h_last.shape)}", argument="model")
    h, logit = calls[0]
    bound = _dtype_bound(HEAD_INPUT_RTOL, h.dtype)
    difference, scale = float((h.to(h_last.dtype) - h_last).norm()), float(h_last.norm())
    if difference > bound * max(scale, 1e-30):
        raise InputError(f"model: its head's input on samples {index.tolist()} is not the last valid step "
                         f"(relative difference {difference / scale:.2g}); the recognised composition is "
                         f"{_composition(parts)} (pooling over steps or another step is not)", argument="model")
    want = torch.sigmoid(logit) if parts.sigmoid else logit
    if not torch.equal(out.reshape(-1), want.reshape(-1)):
        raise InputError(f"model: its forward returned {out.reshape(-1).tolist()} where its head gave "
                         f"{logit.reshape(-1).tolist()}; the recognised composition is {_composition(parts)}, "
                         f"with nothing between the head and the output{' but nn.Sigmoid' if parts.sigmoid else ''}",
                         argument="model")
