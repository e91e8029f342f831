"""Recognising a user's GRU classifier: the parts of an ``nn.Module`` that per-sample BPTT needs.

A recognised module is the composition

    [nn.Embedding] -> nn.GRU -> last valid step -> nn.Linear(H * directions, 1) -> [nn.Sigmoid]

trained with ``BCEWithLogitsLoss`` on the Linear's logit, or with ``nn.BCELoss`` on the
Sigmoid's probability.  "Last valid step" means, for sequence i of length len_i, the top
layer's forward-direction state at step len_i - 1 and (bidirectional) the backward
direction's state at step 0, concatenated [forward, backward], which is ``h_n[-2:]`` of a
packed batch.  :meth:`GRUModel.from_module` finds these parts among the module's
submodules by type; containers (``nn.Sequential``, ``nn.ModuleList``, plain modules
holding children) may nest them freely, and ``nn.Identity`` and ``nn.Dropout`` (eval mode
only) may sit anywhere.  Anything else is refused with an :class:`InputError` naming what
was found.  The parts say nothing about the module's ``forward``: ``gru_per_sample_grads``
therefore also runs that ``forward`` on a few samples and refuses a module whose output
differs from the composition above.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from torch import nn

from gradproof.symbolic import InputError

__all__ = ["GRUModel", "EXPECTED"]

EXPECTED = ("[nn.Embedding] -> nn.GRU -> nn.Linear(out_features=1) -> [nn.Sigmoid] "
            "(nn.Identity, eval-mode nn.Dropout and containers allowed)")
_PASSIVE = (nn.Identity, nn.Dropout)
_PARTS = {nn.Embedding: "embedding", nn.GRU: "gru", nn.Linear: "head", nn.Sigmoid: "sigmoid"}


@dataclass(frozen=True)
class GRUModel:
    """The recognised parts of a GRU classifier and the module they came from.

    ``sigmoid`` is True when the head is followed by ``nn.Sigmoid`` (the loss is then
    ``nn.BCELoss`` on probabilities); ``module`` is the user's module whose
    ``named_parameters()`` keys the gradients (None for parts given directly).
    """

    gru: nn.GRU
    head: nn.Linear
    embedding: nn.Embedding | None = None
    sigmoid: bool = False
    module: nn.Module | None = None

    def __post_init__(self):
        _check_gru(self.gru)
        _check_head(self.head, self.gru)
        if self.embedding is not None:
            _check_embedding(self.embedding, self.gru)

    @classmethod
    def from_module(cls, module: nn.Module) -> GRUModel:
        """Find the parts of ``module`` by type (see the module docstring).

        **Raises** :class:`InputError` naming the unrecognised submodule, a missing or
        repeated part, or a training-mode dropout.
        """
        if isinstance(module, GRUModel):
            return module
        if not isinstance(module, nn.Module):
            raise InputError(f"model: expected an nn.Module of the shape {EXPECTED}, got {type(module).__name__}",
                             argument="model")
        found: dict[str, list[tuple[str, nn.Module]]] = {part: [] for part in _PARTS.values()}
        for name, sub in module.named_modules():
            _collect(name or "<the model itself>", sub, found)
        for part in ("gru", "head"):
            if not found[part]:
                kind = "nn.GRU" if part == "gru" else "nn.Linear"
                raise InputError(f"model: found no {kind}; expected {EXPECTED}", argument="model")
        for part, subs in found.items():
            if len(subs) > 1:
                names = ", ".join(f"{n} ({type(m).__name__})" for n, m in subs)
                raise InputError(f"model: found {len(subs)} {part} parts ({names}); expected one: {EXPECTED}",
                                 argument="model")
        one = {part: subs[0][1] if subs else None for part, subs in found.items()}
        return cls(cast(nn.GRU, one["gru"]), cast(nn.Linear, one["head"]),
                   cast("nn.Embedding | None", one["embedding"]), one["sigmoid"] is not None, module)

    @property
    def directions(self) -> int:
        return 2 if self.gru.bidirectional else 1

    def named_parameters(self):
        """``module.named_parameters()``, or the parts' own names when built from parts."""
        if self.module is not None:
            return list(self.module.named_parameters())
        parts = (("embedding", self.embedding), ("gru", self.gru), ("head", self.head))
        return [(f"{prefix}.{name}", p) for prefix, part in parts if part is not None
                for name, p in part.named_parameters()]


def _collect(name: str, sub: nn.Module, found: dict) -> None:
    """File ``sub`` under its part, or refuse it."""
    for kind, part in _PARTS.items():
        if type(sub) is kind:
            found[part].append((name, sub))
            return
    if isinstance(sub, _PASSIVE):
        if isinstance(sub, nn.Dropout) and sub.training and sub.p > 0:
            raise InputError(f"model: {name} is nn.Dropout(p={sub.p}) in training mode; per-sample "
                             "gradients need the deterministic network: call model.eval() first", argument="model")
        return
    holds_parameters = next(sub.parameters(recurse=False), None) is not None
    if holds_parameters or next(sub.children(), None) is None:
        raise InputError(f"model: found {name} ({type(sub).__name__}), which is not a recognised part; "
                         f"expected {EXPECTED}", argument="model")

def _check_gru(gru: nn.GRU) -> None:
    if gru.dropout > 0 and gru.training and gru.num_layers > 1:
        raise InputError(f"model: the nn.GRU has dropout={gru.dropout} between layers and is in training mode; "
                         "per-sample gradients are for the deterministic network: call model.eval() first",
                         argument="model")
    if getattr(gru, "proj_size", 0):
        raise InputError("model: nn.GRU with proj_size is not supported", argument="model")


def _check_head(head: nn.Linear, gru: nn.GRU) -> None:
    width = gru.hidden_size * (2 if gru.bidirectional else 1)
    if head.out_features != 1 or head.in_features != width:
        raise InputError(f"model: the head is nn.Linear({head.in_features}, {head.out_features}); expected "
                         f"nn.Linear({width}, 1) on the GRU's last valid step"
                         f"{' (forward and backward states concatenated)' if gru.bidirectional else ''}",
                         argument="model")
    if head.weight.dtype != gru.weight_ih_l0.dtype or head.weight.device != gru.weight_ih_l0.device:
        raise InputError(f"model: the head is {head.weight.dtype} on {head.weight.device} but the GRU is "
                         f"{gru.weight_ih_l0.dtype} on {gru.weight_ih_l0.device}", argument="model")


def _check_embedding(embedding: nn.Embedding, gru: nn.GRU) -> None:
    if embedding.embedding_dim != gru.input_size:
        raise InputError(f"model: nn.Embedding gives vectors of size {embedding.embedding_dim} but the nn.GRU "
                         f"expects input_size={gru.input_size}", argument="model")
    for option in ("max_norm", "scale_grad_by_freq", "sparse"):
        if getattr(embedding, option):
            raise InputError(f"model: nn.Embedding with {option}={getattr(embedding, option)} is not supported "
                             "(it changes the weights or the gradient with the batch)", argument="model")
    if embedding.weight.dtype != gru.weight_ih_l0.dtype:
        raise InputError(f"model: the embedding is {embedding.weight.dtype} but the GRU is {gru.weight_ih_l0.dtype}",
                         argument="model")
