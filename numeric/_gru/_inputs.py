"""The inputs of a GRU classifier, checked and brought to one form: time-major, with lengths.

Accepted: a padded tensor (batch-first or time-first, as the model's ``nn.GRU`` says) of
features [B, T, D] / [T, B, D], or of token ids [B, T] / [T, B] when the model starts with an
``nn.Embedding``; optional ``lengths`` [B] (each in [1, T]); or a ``PackedSequence`` of either
(its own lengths; ``lengths`` must then be None).  Every sequence is processed as if alone
with its length, as a packed batch is.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from gradproof.symbolic import InputError

from ._model import GRUModel

__all__ = ["SequenceBatch", "sequence_batch", "check_labels"]


@dataclass(frozen=True)
class SequenceBatch:
    """``inputs`` time-major ([T, B] ids or [T, B, D] features), ``lengths`` [B] (int64, on the
    inputs' device), and whether they came packed."""

    inputs: torch.Tensor
    lengths: torch.Tensor
    packed: bool

    @property
    def size(self) -> int:
        return self.inputs.shape[1]


def sequence_batch(model: GRUModel, X, lengths=None) -> SequenceBatch:
    """Check ``X`` (and ``lengths``) against ``model`` and return them time-major."""
    if isinstance(X, PackedSequence):
        if lengths is not None:
            raise InputError("lengths: a PackedSequence carries its own lengths; pass lengths=None", argument="lengths")
        padded, lengths = pad_packed_sequence(X)
        inputs, packed = padded, True
    else:
        if not isinstance(X, torch.Tensor):
            raise InputError(f"X: expected a tensor or a PackedSequence, got {type(X).__name__}", argument="X")
        _check_rank(model, X)
        inputs, packed = (X.transpose(0, 1) if model.gru.batch_first else X), False
    if inputs.shape[0] == 0 or inputs.shape[1] == 0:
        raise InputError(f"X: empty batch or sequence, shape {tuple(X.shape if not packed else inputs.shape)}",
                         argument="X")
    lengths = _check_lengths(lengths, inputs)
    if model.embedding is not None:
        _check_ids(model.embedding, inputs)
    else:
        _check_features(model, inputs)
    return SequenceBatch(inputs, lengths, packed)


def _check_rank(model: GRUModel, X: torch.Tensor) -> None:
    layout = "[B, T]" if model.gru.batch_first else "[T, B]"
    if model.embedding is not None and X.dim() != 2:
        raise InputError(f"X: the model starts with nn.Embedding, so X holds token ids of shape {layout}; "
                         f"got shape {tuple(X.shape)}", argument="X")
    if model.embedding is None and X.dim() != 3:
        raise InputError(f"X: expected a tensor of shape {layout[:-1]}, D], got {tuple(X.shape)}", argument="X")


def _check_lengths(lengths, inputs: torch.Tensor) -> torch.Tensor:
    T, B = inputs.shape[:2]
    if lengths is None:
        return torch.full((B,), T, dtype=torch.int64, device=inputs.device)
    if not isinstance(lengths, torch.Tensor) or lengths.shape != (B,) or lengths.dtype.is_floating_point \
            or lengths.dtype == torch.bool:
        raise InputError(f"lengths: expected an integer tensor of shape ({B},), got "
                         f"{tuple(lengths.shape) if isinstance(lengths, torch.Tensor) else type(lengths).__name__}",
                         argument="lengths")
    if bool(((lengths < 1) | (lengths > T)).any()):
        raise InputError(f"lengths: every length must lie in [1, {T}], got min {int(lengths.min())} "
                         f"and max {int(lengths.max())}", argument="lengths")
    return lengths.to(device=inputs.device, dtype=torch.int64)


def _check_ids(embedding: nn.Embedding, ids: torch.Tensor) -> None:
    vocabulary = embedding.num_embeddings
    if ids.dtype.is_floating_point or ids.dtype.is_complex or ids.dtype == torch.bool:
        raise InputError(f"X: token ids must be an integer tensor, got {ids.dtype}", argument="X")
    if ids.device != embedding.weight.device:
        raise InputError(f"X: on {ids.device}, but the model is on {embedding.weight.device}", argument="X")
    low, high = int(ids.min()), int(ids.max())
    if low < 0 or high >= vocabulary:
        raise InputError(f"X: token ids must lie in [0, {vocabulary - 1}] (the nn.Embedding's "
                         f"num_embeddings = {vocabulary}), got min {low} and max {high}", argument="X")


def _check_features(model: GRUModel, X: torch.Tensor) -> None:
    weight = model.gru.weight_ih_l0
    if X.shape[2] != model.gru.input_size:
        raise InputError(f"X: expected D = {model.gru.input_size} features, got shape {tuple(X.shape)}", argument="X")
    if X.dtype != weight.dtype or X.device != weight.device:
        raise InputError(f"X: {X.dtype} on {X.device}, but the model is {weight.dtype} on {weight.device}",
                         argument="X")
    if not bool(torch.isfinite(X).all()):
        raise InputError("X: contains NaN or infinite values", argument="X")


def check_labels(y, batch: SequenceBatch, dtype: torch.dtype) -> None:
    """y [B] of the model's dtype, on the inputs' device, finite and in [0, 1]."""
    B = batch.size
    if not isinstance(y, torch.Tensor) or y.shape != (B,) or y.dtype != dtype:
        raise InputError(f"y: expected shape ({B},) and dtype {dtype}, got "
                         + (f"shape {tuple(y.shape)} and dtype {y.dtype}" if isinstance(y, torch.Tensor)
                            else type(y).__name__)
                         + (" (a PackedSequence's batch size is its number of sequences)" if batch.packed else ""))
    if y.device != batch.inputs.device:
        raise InputError(f"y: on {y.device}, but X is on {batch.inputs.device}", argument="y")
    if not bool(torch.isfinite(y).all()) or bool(((y < 0) | (y > 1)).any()):
        raise InputError("y: labels must be finite and lie in [0, 1]", argument="y")
