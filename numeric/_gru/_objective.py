"""The per-sample loss of a GRU classifier: which loss, its options, and dL/dz from the proof.

Per sample i with logit z_i, label y_i and weight omega_i (1 unless ``weight`` is given):

    BCE-with-logits (default)     dL_i/dz_i = omega_i [sigmoid(z_i)(1 + (p_w - 1) y_i) - p_w y_i]
                                  (derivation ``pos_weight_dL_dz``; p_w = 1 without ``pos_weight``)
    nn.Sigmoid + nn.BCELoss       dL_i/dz_i = omega_i (sigmoid(z_i) - y_i), BCELoss's clamp included
                                  (derivation ``sigmoid_bceloss_dL_dz``, see ``head_dL_dz``)
    ``loss=`` any other loss      dL_i/dz_i = omega_i * (its proved dL/dz, as generated torch code:
                                  ``numeric.losses``)

A loss of the logit (``loss=``, ``pos_weight``) needs a model that returns the logit: a model
ending in nn.Sigmoid is trained with nn.BCELoss, and the options are refused for it.  The same
object gives the loss values L_i as differentiable torch code, for the witness's autograd.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gradproof.symbolic import InputError

from .._logreg import BCELOSS_EPSILON, logit_residual
from .._losses import as_loss, torch_function
from ._model import GRUModel

__all__ = ["Objective", "objective", "head_dL_dz"]


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


@dataclass(frozen=True)
class Objective:
    """The per-sample loss: ``loss`` (a symbolic Loss, None for the built-in BCE), ``pos_weight``
    (a 0-d tensor or None), ``weight`` ([B] or None), and whether the model ends in nn.Sigmoid."""

    sigmoid: bool
    loss: object = None
    pos_weight: torch.Tensor | None = None
    weight: torch.Tensor | None = None

    def dL_dz(self, z: torch.Tensor, y: torch.Tensor, rows: slice = slice(None)) -> torch.Tensor:
        """dL_i/dz_i at the logits z of the samples ``rows`` (labels y of the same rows)."""
        weight = None if self.weight is None else self.weight[rows]
        if self.loss is not None:
            grad = torch_function(self.loss.grad)(z, y)  # type: ignore[attr-defined]
            return grad if weight is None else weight * grad
        if self.sigmoid:
            grad = head_dL_dz(z, y, after_sigmoid=True)
            return grad if weight is None else weight * grad
        return logit_residual(z, y, weight=weight, pos_weight=self.pos_weight)

    def values(self, output: torch.Tensor, y: torch.Tensor, rows: slice = slice(None)) -> torch.Tensor:
        """L_i from the model's output for the samples ``rows`` (logits, or probabilities after its
        nn.Sigmoid), in torch's own differentiable form: what a user's training loop would call."""
        output = output.reshape(-1)
        weight = None if self.weight is None else self.weight[rows]
        if self.loss is not None:
            values = torch_function(self.loss.expression)(output, y)  # type: ignore[attr-defined]
            return values if weight is None else weight * values
        if self.sigmoid:
            return nn.functional.binary_cross_entropy(output, y, weight=weight, reduction="none")
        return nn.functional.binary_cross_entropy_with_logits(output, y, weight=weight,
                                                              pos_weight=self.pos_weight, reduction="none")

    def describe(self) -> str:
        name = "nn.BCELoss after nn.Sigmoid" if self.sigmoid else "BCE-with-logits"
        if self.loss is not None:
            name = f"loss {self.loss.name}"  # type: ignore[attr-defined]
        if self.pos_weight is not None:
            name += f", pos_weight={float(self.pos_weight):g}"
        return name + (", per-sample weight" if self.weight is not None else "")


def objective(parts: GRUModel, y: torch.Tensor, *, loss=None, pos_weight=None, weight=None) -> Objective:
    """Check the loss options against the model and the labels y [B] and bring them to one form.

    **Raises** :class:`InputError` naming the argument: ``loss`` or ``pos_weight`` for a model
    ending in nn.Sigmoid, ``pos_weight`` with a loss other than BCE, a ``pos_weight`` that is not
    one positive finite number, a ``weight`` that is not a finite [B] tensor of the model's dtype.
    """
    like = parts.head.weight
    if parts.sigmoid and (loss is not None or pos_weight is not None):
        given = "loss" if loss is not None else "pos_weight"
        raise InputError(f"{given}: the model ends in nn.Sigmoid, so its loss is nn.BCELoss on probabilities; "
                         f"{given}= applies to a loss of the logit: drop the nn.Sigmoid (train with "
                         f"BCEWithLogitsLoss) to use it", argument=given)
    chosen = None
    if loss is not None:
        try:
            chosen = as_loss(loss)
        except InputError as error:
            message = str(error)
            raise InputError(message if message.startswith("loss:") else f"loss: {message}",
                             argument="loss") from error
        if chosen.name == "bce":
            chosen = None  # the built-in form: stable, and pos_weight may join it
    if pos_weight is not None:
        if chosen is not None:
            raise InputError(f"pos_weight: applies to BCE-with-logits, not to loss {chosen.name}; give the loss "
                             "with its own parameter instead (loss='bce_pos_weight:pos_weight=...')",
                             argument="pos_weight")
        pos_weight = _positive_scalar(pos_weight, like)
    if weight is not None:
        if not isinstance(weight, torch.Tensor) or weight.shape != y.shape or not weight.dtype.is_floating_point:
            shown = tuple(weight.shape) if isinstance(weight, torch.Tensor) else type(weight).__name__
            raise InputError(f"weight: expected a floating-point tensor of shape {tuple(y.shape)} (one weight per "
                             f"sample), got {shown}", argument="weight")
        if weight.device != y.device:
            raise InputError(f"weight: on {weight.device}, but y is on {y.device}", argument="weight")
        if not bool(torch.isfinite(weight).all()):
            raise InputError("weight: contains NaN or infinite values", argument="weight")
        weight = weight.to(like.dtype)
    return Objective(parts.sigmoid, chosen, pos_weight, weight)


def _positive_scalar(value, like: torch.Tensor) -> torch.Tensor:
    """pos_weight as a 0-d tensor: one positive finite number (a float, or a tensor of one entry)."""
    if isinstance(value, torch.Tensor) and value.numel() == 1 and value.dtype.is_floating_point:
        number = float(value.reshape(()))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        shown = f"a tensor of shape {tuple(value.shape)}" if isinstance(value, torch.Tensor) else repr(value)
        raise InputError(f"pos_weight: expected one positive number (the model has one output), got {shown}",
                         argument="pos_weight")
    if not (number > 0 and number < float("inf")):
        raise InputError(f"pos_weight: expected a positive finite number, got {number}", argument="pos_weight")
    return torch.tensor(number, dtype=like.dtype, device=like.device)
