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

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

from gradproof.symbolic import InputError

from .._logreg import BCELOSS_EPSILON, logit_residual
from ._bptt import backward_layer, forward_layer, layer_weight_names, layer_weights, to_frames, to_original_time
from ._inputs import SequenceBatch, check_labels, sequence_batch
from ._large import large_empty
from ._model import GRUModel
from ._shares import run_in_shares, sample_shares

__all__ = ["GRUClassifier", "gru_per_sample_grads", "gru_residuals", "head_dL_dz"]


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
        return _last_hidden(GRUModel.from_module(self), X, lengths)

    def forward(self, X, lengths: torch.Tensor | None = None) -> torch.Tensor:
        z = self.head(self.last_hidden(X, lengths)).squeeze(-1)
        return self.sigmoid(z) if hasattr(self, "sigmoid") else z


def _last_hidden(model: GRUModel, X, lengths) -> torch.Tensor:
    batch = sequence_batch(model, X, lengths)
    x = batch.inputs if model.embedding is None else model.embedding(batch.inputs)
    if lengths is None and not batch.packed:
        _, h_n = model.gru(x.transpose(0, 1) if model.gru.batch_first else x)
    else:
        _, h_n = model.gru(pack_padded_sequence(x, batch.lengths.cpu(), enforce_sorted=False))
    return h_n[-model.directions:].transpose(0, 1).reshape(batch.size, -1)


def head_dL_dz(z: torch.Tensor, y: torch.Tensor, *, after_sigmoid: bool) -> torch.Tensor:
    """dL/dz of BCEWithLogitsLoss (``after_sigmoid=False``) or of nn.BCELoss(nn.Sigmoid(z)).

    Both are the stable residual sigmoid(z) - y (``logit_residual``) except, after a sigmoid,
    where p(1 - p) < 1e-12: there BCELoss's backward gives (p - y) / 1e-12 * p (1 - p).
    """
    residual = logit_residual(z, y)
    if not after_sigmoid:
        return residual
    p = torch.sigmoid(z)
    curvature = (1 - p) * p
    clamped = (p - y) / curvature.clamp_min(BCELOSS_EPSILON) * (1 - p) * p
    return torch.where(curvature < BCELOSS_EPSILON, clamped, residual)


@torch.no_grad()
def gru_residuals(model: nn.Module, X, y: torch.Tensor,
                  lengths: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(z, dL/dz, h): logits, residuals (sigmoid(z) - y, see :func:`head_dL_dz`) and head inputs."""
    parts = GRUModel.from_module(model)
    h_last = _last_hidden(parts, X, lengths)
    z = nn.functional.linear(h_last, parts.head.weight, parts.head.bias).squeeze(-1)
    return z, head_dL_dz(z, y, after_sigmoid=parts.sigmoid), h_last


@torch.no_grad()
def gru_per_sample_grads(model: nn.Module, X, y: torch.Tensor, lengths: torch.Tensor | None = None, *,
                         threads: int | None = None) -> dict[str, torch.Tensor]:
    """Per-sample gradients of each sample's own, unreduced loss (BCE-with-logits on the head's
    logit, or nn.BCELoss after its nn.Sigmoid), for every parameter of ``model``.

    **Arguments**: ``model`` an ``nn.Module`` of the shape :class:`GRUModel` recognises (or a
    GRUModel); ``X`` a padded batch (layout as the model's nn.GRU says; token ids when it starts
    with nn.Embedding) or a ``PackedSequence``; ``y`` [B] labels in [0, 1]; ``lengths`` [B];
    ``threads`` the CPU threads to use (default: torch's intra-op threads): the batch is split
    into that many shares of at least 32 samples, each run in its own thread with one intra-op
    thread (see :mod:`._shares`).  With one share, the per-step work runs on one intra-op thread
    while its matrices are small and the rest on torch's.

    **Returns** a dict keyed like ``model.named_parameters()``, each ``[B, *param.shape]``:
    one backward pass over time per share of the batch, no loop over samples.

    **Raises** :class:`InputError` for an unrecognised model, a forward that computes something
    else than the recognised composition, or bad inputs.
    """
    parts = GRUModel.from_module(model)
    batch = sequence_batch(parts, X, lengths)
    check_labels(y, batch, parts.gru.weight_ih_l0.dtype)  # type: ignore[arg-type]  # nn.Module.__getattr__
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise InputError(f"threads: expected a positive integer or None, got {threads!r}", argument="threads")
    named = list(parts.named_parameters())
    _check_parameters(parts, named)
    grads = {id(p): large_empty(batch.size, *p.shape, like=p) for _, p in named}
    shares = sample_shares(batch.size, threads, batch.inputs.device)
    one_share = threads if len(shares) == 1 else 1

    def share_grads(rows: slice) -> tuple[torch.Tensor, torch.Tensor]:
        return _share_grads(parts, batch, y, rows, {key: g[rows] for key, g in grads.items()}, one_share)

    z, h_last = (torch.cat(parts_) for parts_ in zip(*run_in_shares(share_grads, shares)))
    result = {name: grads[id(p)] for name, p in named}
    if parts.module is not None:
        _check_module(parts, parts.module, X, lengths, batch, z, h_last)
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


def _share_grads(parts: GRUModel, batch: SequenceBatch, y: torch.Tensor, rows: slice, out: dict,
                 threads: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample gradients of the samples ``rows``, written into ``out`` (keyed by parameter id,
    each [len(rows), *shape]); **returns** their logits z and the head's inputs h."""
    share = SequenceBatch(batch.inputs[:, rows], batch.lengths[rows], batch.packed)
    tapes, h_last, z = _forward(parts, share, threads)
    dL_dz = head_dL_dz(z, y[rows], after_sigmoid=parts.sigmoid)
    torch.mul(dL_dz[:, None], h_last, out=out[id(parts.head.weight)][:, 0])
    if parts.head.bias is not None:
        out[id(parts.head.bias)][:, 0] = dL_dz
    _backward(parts, share, tapes, dL_dz[:, None] * parts.head.weight[0], out, threads)
    return z, h_last


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
    for layer in range(gru.num_layers - 1, -1, -1):
        targets = [[out[id(p)] for p in layer_weights(gru, layer, k)] for k in range(K)]
        d_frames = backward_layer(gru, layer, tapes.pop(), reaching, targets, threads)  # the tape is freed after
        d_input = to_original_time(d_frames, lengths)
        if layer > 0:
            reaching = to_frames(d_input, lengths, K)
    if parts.embedding is not None:
        _embedding_rows(parts.embedding, batch.inputs[:T].T, d_input, out[id(parts.embedding.weight)])


def _embedding_rows(embedding: nn.Embedding, ids: torch.Tensor, d_x: torch.Tensor, out: torch.Tensor) -> None:
    """Writes into ``out`` [B, V, E]: dL/dE[v] per sample = sum of dL/dx_t over the steps t
    with token v (none for padding_idx); ``ids`` [B, T], ``d_x`` [B, T, E]."""
    B, T = ids.shape
    V, E = embedding.weight.shape
    rows = (torch.arange(B, device=ids.device)[:, None] * V + ids.long()).reshape(-1)
    out.view(B * V, E).zero_().index_add_(0, rows, d_x.reshape(-1, E))
    if embedding.padding_idx is not None:
        out[:, embedding.padding_idx] = 0


MODULE_OUTPUT_RTOL = {torch.float64: 1e-8, "other": 1e-3}
"""How closely the module's own output must match the recognised composition (rtol = atol): its
forward may take another, equally valid order of float operations (cuDNN, packed sequences)."""
HEAD_INPUT_RTOL = {torch.float64: 1e-8, "other": 1e-4}
"""How closely, relative in norm, the head's input must equal the last valid step computed here."""


def _dtype_bound(bounds: dict, dtype: torch.dtype) -> float:
    return bounds.get(dtype, bounds["other"])


def _check_module(parts: GRUModel, module: nn.Module, X, lengths, batch: SequenceBatch, z: torch.Tensor,
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
        out = module(*args)
    except Exception as error:
        raise InputError(f"model: calling its forward as {call} on two of the samples failed "
                         f"({type(error).__name__}: {error})", argument="model") from error
    finally:
        hook.remove()
    _check_output(parts, out, z[index], index)
    _check_head_calls(parts, calls, out, h_last[index], index)


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
    if not torch.allclose(out.reshape(-1).to(want.dtype), want, rtol=rtol, atol=rtol):
        raise InputError(
            f"model: its forward returned {out.reshape(-1).tolist()} on samples {index.tolist()}, but "
            f"the recognised composition {_composition(parts)} gives {want.tolist()}; pack variable lengths "
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
