"""Small, seeded training loops whose every step can be inspected: logistic regression by
mini-batch SGD on the closed-form gradient, and the GRU classifier by SGD on autograd.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch

from .._gru import GRUClassifier
from .._logreg import logreg_grad

__all__ = ["LogregState", "logreg_sgd", "train_logreg", "train_gru", "synthetic_logreg_data", "synthetic_sequence_data",
           "batch_order"]


@dataclass
class LogregState:
    """Weights of logistic regression: z = X @ w + b."""

    w: torch.Tensor
    b: torch.Tensor


def synthetic_logreg_data(seed: int, n: int = 512, d: int = 2, separation: float = 1.6,
                          dtype=torch.float64, device="cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """Two overlapping Gaussian classes, means +-separation/2 along (1, ..., 1)/sqrt(d), unit variance.

    With the default separation about 21% of the samples lie on the wrong side of
    the Bayes boundary, so a fitted model misclassifies some of them.
    """
    gen = torch.Generator().manual_seed(seed)
    y = (torch.rand(n, generator=gen) < 0.5).double()
    direction = torch.ones(d, dtype=torch.float64) / d ** 0.5
    X = torch.randn(n, d, generator=gen, dtype=torch.float64) + (y[:, None] - 0.5) * separation * direction
    return X.to(device, dtype), y.to(device, dtype)


def synthetic_sequence_data(seed: int, n: int = 256, length: int = 16, features: int = 3,
                            noise: float = 0.8, dtype=torch.float32, device="cpu"):
    """Sequences whose label is whether the running mean of feature 0 ends positive, with
    label noise from a noisy observation, so that some samples stay misclassified."""
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n, length, features, generator=gen, dtype=torch.float64)
    signal = X[:, :, 0].mean(1) * length ** 0.5 + noise * torch.randn(n, generator=gen, dtype=torch.float64)
    y = (signal > 0).double()
    return X.to(device, dtype), y.to(device, dtype)


def batch_order(n: int, batch_size: int, epochs: int, seed: int) -> list[torch.Tensor]:
    """Index batches of a seeded shuffle per epoch (the last, short batch of an epoch kept)."""
    gen = torch.Generator().manual_seed(seed)
    batches = []
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen)
        batches += list(perm.split(batch_size))
    return batches


def _schedule(n: int, batch_size: int, epochs: int, steps: int | None, seed: int) -> list[torch.Tensor]:
    """The batches of ``epochs`` epochs, or of exactly ``steps`` updates when it is given."""
    if steps is None:
        return batch_order(n, batch_size, epochs, seed)
    return batch_order(n, batch_size, -(-steps * batch_size // n) + 1, seed)[:steps]


def logreg_sgd(state: LogregState, batches: Iterable[tuple[torch.Tensor, torch.Tensor]], *,
               lr: float, grad: Callable = logreg_grad) -> LogregState:
    """The one SGD loop of logistic regression: for each batch (X_k, y_k),
    w <- w - lr dL_k/dw and b <- b - lr dL_k/db, with L_k the batch's mean BCE and its
    closed-form gradient (``logreg_grad``; ``grad(X, y, w, b)`` for another loss).  Batches are
    drawn one at a time, after the previous update."""
    for X, y in batches:
        gw, gb = grad(X, y, state.w, state.b)
        state.w, state.b = state.w - lr * gw, state.b - lr * gb
    return state


def train_logreg(X: torch.Tensor, y: torch.Tensor, *, batch_size: int, lr: float, epochs: int = 1,
                 seed: int = 0, steps: int | None = None,
                 on_step: Callable[[int, LogregState, torch.Tensor], None] | None = None,
                 init: tuple[torch.Tensor, torch.Tensor] | None = None,
                 grad: Callable = logreg_grad) -> LogregState:
    """Mini-batch SGD (:func:`logreg_sgd`, with ``grad``) on the seeded batch schedule of X, from
    ``init`` = (w, b) or from w = 0, b = 0.

    ``on_step(step, state, batch_indices)`` is called before each update.
    """
    w, b = init if init is not None else (X.new_zeros(X.shape[1]), X.new_zeros(()))
    state = LogregState(w, b)

    def batches():
        for step, idx in enumerate(_schedule(X.shape[0], batch_size, epochs, steps, seed)):
            if on_step is not None:
                on_step(step, state, idx)
            yield X[idx], y[idx]

    return logreg_sgd(state, batches(), lr=lr, grad=grad)


def train_gru(model: GRUClassifier, X: torch.Tensor, y: torch.Tensor, *, batch_size: int, lr: float,
              epochs: int = 1, seed: int = 0, steps: int | None = None,
              on_step: Callable[[int, GRUClassifier, torch.Tensor], None] | None = None) -> GRUClassifier:
    """Mini-batch SGD on the mean BCE-with-logits loss of the GRU classifier."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for step, idx in enumerate(_schedule(X.shape[0], batch_size, epochs, steps, seed)):
        if on_step is not None:
            on_step(step, model, idx)
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(X[idx]), y[idx])
        loss.backward()
        optimizer.step()
    return model
