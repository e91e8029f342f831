"""The asker's own scenario in numbers: one neuron, a positive weight, two samples in one batch,
one classified right and one wrong.

Everything is computed here, in float64, by the closed forms of ``numeric`` (the per-sample
gradient (sigma(z) - y) x and the batch mean of ``batch_mean_gradient``) and checked against torch
autograd of the batch's mean BCE loss; every sentence the report says about the example is built
from a predicate tested on these numbers (:class:`TwoSamples`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from gradproof import numeric

__all__ = ["TwoSamples", "two_samples"]

WEIGHT, BIAS, RATE = 1.0, 0.0, 0.5
FEATURES = (3.0, 1.0)   # sample 0: x = 3, label 1 (right); sample 1: x = 1, label 0 (wrong)
LABELS = (1.0, 0.0)


@dataclass(frozen=True)
class TwoSamples:
    """The worked example: per sample (index 0 right, 1 wrong) its logit, probability, loss, residual
    and gradient; the batch gradient, the updated weight and the margins before and after."""

    w: float
    rate: float
    x: tuple[float, float]
    y: tuple[float, float]
    z: tuple[float, float]
    p: tuple[float, float]
    loss: tuple[float, float]
    residual: tuple[float, float]
    grad: tuple[float, float]
    batch_grad: float
    w_after: float
    margin: tuple[float, float]
    margin_after: tuple[float, float]

    @property
    def right_pulls_less(self) -> bool:
        """The right sample's gradient is smaller in size than the wrong one's."""
        return abs(self.grad[0]) < abs(self.grad[1])

    @property
    def pulls_oppose(self) -> bool:
        """The two samples pull the weight in opposite directions."""
        return self.grad[0] * self.grad[1] < 0

    @property
    def weight_falls(self) -> bool:
        return self.w_after < self.w

    @property
    def right_stays_right(self) -> bool:
        return self.margin_after[0] > 0

    @property
    def wrong_improves(self) -> bool:
        return self.margin_after[1] > self.margin[1]


def two_samples() -> TwoSamples:
    """The example computed by numeric's closed forms; AssertionError if autograd disagrees."""
    X = torch.tensor(FEATURES, dtype=torch.float64)[:, None]
    y = torch.tensor(LABELS, dtype=torch.float64)
    w = torch.tensor([WEIGHT], dtype=torch.float64)
    b = torch.tensor(BIAS, dtype=torch.float64)
    per_sample, _ = numeric.logreg_per_sample_grads(X, y, w, b)
    batch, _ = numeric.logreg_grad(X, y, w, b, reduction="mean")
    leaf = w.clone().requires_grad_(True)
    mean_loss = torch.nn.functional.binary_cross_entropy_with_logits(X @ leaf + b, y)
    (autograd,) = torch.autograd.grad(mean_loss, leaf)
    torch.testing.assert_close(batch, autograd, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(per_sample.mean(0), batch, rtol=1e-12, atol=1e-14)
    z = X[:, 0] * WEIGHT + BIAS
    p = torch.sigmoid(z)
    losses = torch.nn.functional.binary_cross_entropy_with_logits(z, y, reduction="none")
    w_after = WEIGHT - RATE * float(batch[0])
    z_after = X[:, 0] * w_after + BIAS
    sign = 2 * y - 1

    def pair(t: torch.Tensor) -> tuple[float, float]:
        return float(t[0]), float(t[1])

    return TwoSamples(WEIGHT, RATE, FEATURES, LABELS, pair(z), pair(p), pair(losses), pair(p - y),
                      pair(per_sample[:, 0]), float(batch[0]), w_after, pair(sign * z), pair(sign * z_after))
