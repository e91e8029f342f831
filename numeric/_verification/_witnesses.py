"""Independent witnesses for a gradient: torch autograd of torch's own loss modules,
per-sample autograd through ``torch.func``, and central finite differences.

None of these reuse the closed forms of :mod:`gradproof.numeric._logreg`.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.func import grad, vmap

from gradproof.symbolic import InputError

from ._tolerances import FD_STEP

__all__ = ["autograd_logreg_grad", "vmap_per_sample_grads", "finite_difference_grad"]


def _loss_module(kind: str, reduction: str, weight, pos_weight) -> nn.Module:
    if kind == "with_logits":
        return nn.BCEWithLogitsLoss(weight=weight, reduction=reduction, pos_weight=pos_weight)
    if kind == "after_sigmoid":
        if pos_weight is not None:
            raise InputError("pos_weight: nn.BCELoss has no pos_weight", argument="pos_weight")
        return nn.BCELoss(weight=weight, reduction=reduction)
    raise InputError(f"kind: expected 'with_logits' or 'after_sigmoid', got {kind!r}", argument="kind")


def autograd_logreg_grad(X, y, w, b, *, reduction="mean", weight=None, pos_weight=None,
                         kind: str = "with_logits") -> tuple[torch.Tensor, torch.Tensor]:
    """(dL/dw, dL/db) by autograd of nn.BCEWithLogitsLoss, or of nn.BCELoss after a sigmoid.

    For ``reduction="none"`` returns per-sample rows, from one backward pass per sample.
    """
    loss_fn = _loss_module(kind, reduction, weight, pos_weight)
    w_, b_ = w.detach().clone().requires_grad_(True), b.detach().clone().requires_grad_(True)
    z = X @ w_ + b_
    loss = loss_fn(torch.sigmoid(z) if kind == "after_sigmoid" else z, y)
    if reduction != "none":
        gw, gb = torch.autograd.grad(loss, (w_, b_))
        return gw, gb
    rows = [torch.autograd.grad(loss[i], (w_, b_), retain_graph=True) for i in range(len(loss))]
    return torch.stack([r[0] for r in rows]), torch.stack([r[1].reshape(()) for r in rows])


def vmap_per_sample_grads(X, y, w, b, *, weight=None, pos_weight=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample (Gw, gb) through ``torch.func.vmap(grad(loss_of_one_sample))``."""
    B = X.shape[0]
    omega = torch.ones(B, dtype=X.dtype, device=X.device) if weight is None else weight.expand(B)

    def one(wi, bi, xi, yi, oi):
        zi = (xi @ wi + bi).reshape(1)
        return nn.functional.binary_cross_entropy_with_logits(
            zi, yi.reshape(1), weight=oi.reshape(1), pos_weight=pos_weight, reduction="sum")

    per_sample = vmap(grad(one, argnums=(0, 1)), in_dims=(None, None, 0, 0, 0))
    Gw, gb = per_sample(w, b, X, y, omega)
    return Gw, gb.reshape(B)


def finite_difference_grad(loss_of, params: list[torch.Tensor], step: float = FD_STEP) -> list[torch.Tensor]:
    """Central differences in float64: (L(p + h e_i) - L(p - h e_i)) / (2 h), h = ``step``.

    ``loss_of(*params)`` returns a scalar; each parameter is perturbed one entry at a time.
    """
    params = [p.detach().double().clone() for p in params]
    grads = []
    for p in params:
        g = torch.zeros_like(p)
        flat, gflat = p.view(-1), g.view(-1)
        for e in range(flat.numel()):
            original = flat[e].item()
            flat[e] = original + step
            up = float(loss_of(*params))
            flat[e] = original - step
            down = float(loss_of(*params))
            flat[e] = original
            gflat[e] = (up - down) / (2 * step)
        grads.append(g)
    return grads
