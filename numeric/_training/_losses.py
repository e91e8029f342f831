"""Logistic regression trained under any binary loss, watching who supplies the gradient.

The one SGD loop (:func:`gradproof.numeric._training._sgd.train_logreg`) runs on the mean loss with the
per-sample gradients g_i = (dL/dz)(z_i, y_i) (x_i, 1) from the code generated for the loss
(derivation ``<loss>_dL_dw``).  Before each update it records the share of the batch gradient's
pull that comes from the misclassified samples, |G_wrong| / (|G_wrong| + |G_right|), and the
fraction of the batch they are (:func:`numeric.misclassified`).
"""

from __future__ import annotations

import torch

from .._logreg import misclassified
from .._losses import as_loss, torch_function
from .._statistics import per_sample_batch_statistics
from ._sgd import train_logreg

__all__ = ["loss_training_shares", "loss_logreg_per_sample_grads"]


def loss_logreg_per_sample_grads(dL_dz, X: torch.Tensor, y: torch.Tensor, w: torch.Tensor,
                                 b: torch.Tensor) -> torch.Tensor:
    """Rows (dL/dz)(z_i, y_i) (x_i, 1) for z = X w + b: the per-sample gradients in (w, b)."""
    r = dL_dz(X @ w + b, y)
    return torch.cat([r[:, None] * X, r[:, None]], dim=1)


def loss_training_shares(loss, X: torch.Tensor, y: torch.Tensor, *, batch_size: int = 64, lr: float = 0.5,
                         steps: int = 120, seed: int = 0) -> list[tuple[float, float]]:
    """Per SGD step: (share of the pull from misclassified samples, fraction misclassified)."""
    dL_dz = torch_function(as_loss(loss).grad)
    record = []

    def mean_gradient(Xb, yb, w, b):
        step = loss_logreg_per_sample_grads(dL_dz, Xb, yb, w, b).mean(0)
        return step[:-1], step[-1]

    def watch(step, state, idx):
        Xb, yb = X[idx], y[idx]
        per_sample = loss_logreg_per_sample_grads(dL_dz, Xb, yb, state.w, state.b)
        stats, _ = per_sample_batch_statistics(per_sample, misclassified(Xb @ state.w + state.b, yb))
        record.append((stats.wrong_share, stats.wrong_count / stats.count))

    train_logreg(X, y, batch_size=batch_size, lr=lr, steps=steps, seed=seed, on_step=watch, grad=mean_gradient)
    return record
