"""Closed-form BCE gradients of logistic regression, batched, on any device.

With z_i = x_i . w + b, s_i = sigmoid(z_i) and labels y_i in [0, 1], the loss
of sample i (torch's BCEWithLogitsLoss, weight omega_i, pos_weight p_w) is

    L_i = -omega_i [p_w y_i log s_i + (1 - y_i) log(1 - s_i)]

and its logit gradient (derivation ``pos_weight_dL_dz``; p_w = 1 gives
``bce_dL_dz``) is

    dL_i/dz_i = omega_i [s_i (p_w y_i + 1 - y_i) - p_w y_i]
              = omega_i [(1 - y_i) sigmoid(z_i) - p_w y_i sigmoid(-z_i)]   (``stable_residual``),

so dL_i/dw = (dL_i/dz_i) x_i and dL_i/db = dL_i/dz_i (``logreg_dL_dw``).  The
mean reduction divides the sum by B (``batch_mean_gradient``), the sum
reduction does not.  ``torch.sigmoid`` saturates to exactly 0 or 1 and never
takes a log, so every value stays finite for |z| up to 1e4 and beyond.
"""

from __future__ import annotations

import torch

from gradproof.symbolic import InputError

from ._validation import check_logreg_inputs

__all__ = [
    "logit_residual",
    "residual_weights",
    "residual_formula",
    "stable_residual",
    "mse_sigmoid_logit_grad",
    "misclassified",
    "logreg_per_sample_grads",
    "logreg_grad",
    "REDUCTIONS",
    "BCELOSS_EPSILON",
]

REDUCTIONS = ("none", "mean", "sum")

BCELOSS_EPSILON = 1e-12
"""nn.BCELoss's backward divides by max(p (1 - p), BCELOSS_EPSILON): where the sigmoid saturates
(p (1 - p) < 1e-12) its gradient departs from sigmoid(z) - y."""


def logit_residual(z: torch.Tensor, y: torch.Tensor, *, weight: torch.Tensor | None = None,
                   pos_weight: torch.Tensor | None = None) -> torch.Tensor:
    """dL_i/dz_i = omega_i [sigmoid(z_i)(p_w y_i + 1 - y_i) - p_w y_i]; sigmoid(z) - y by default.

    Evaluated as (1 - y) sigmoid(z) - p_w y sigmoid(-z) (derivation ``stable_residual``), which
    never subtracts two numbers close to 1: for a hard label the residual keeps full relative
    precision even when sigmoid(z) rounds to 1.
    """
    of_sigmoid, of_sigmoid_neg = residual_weights(y, weight=weight, pos_weight=pos_weight)
    return stable_residual(z, of_sigmoid, of_sigmoid_neg)


def residual_weights(y: torch.Tensor, *, weight: torch.Tensor | None = None,
                     pos_weight: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(omega (1 - y), omega p_w y): the weights of sigmoid(z) and of sigmoid(-z) in the residual."""
    of_sigmoid = 1 - y
    of_sigmoid_neg = y if pos_weight is None else pos_weight * y
    if weight is not None:
        of_sigmoid, of_sigmoid_neg = weight * of_sigmoid, weight * of_sigmoid_neg
    return of_sigmoid, of_sigmoid_neg


def residual_formula(sigmoid, z, of_sigmoid, of_sigmoid_neg):
    """dL/dz = omega (1 - y) sigmoid(z) - omega p_w y sigmoid(-z) (derivation ``stable_residual``).

    The one place this formula is written.  ``sigmoid`` is any elementwise logistic function:
    ``torch.sigmoid`` here, the scalar one of the numba kernel (``_kernel``) there; ``of_sigmoid``
    and ``of_sigmoid_neg`` are the two weights of :func:`residual_weights`.
    """
    return of_sigmoid * sigmoid(z) - of_sigmoid_neg * sigmoid(-z)


def stable_residual(z: torch.Tensor, of_sigmoid: torch.Tensor, of_sigmoid_neg: torch.Tensor,
                    out: torch.Tensor | None = None) -> torch.Tensor:
    """:func:`residual_formula` with ``torch.sigmoid``, written into ``out`` when it is given."""
    r = residual_formula(torch.sigmoid, z, of_sigmoid, of_sigmoid_neg)
    return r if out is None else out.copy_(r)


def misclassified(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Misclassified at threshold 1/2: the signed margin (2y - 1) z is not positive (the one rule)."""
    return (2 * y - 1) * z <= 0


def mse_sigmoid_logit_grad(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Contrast: dL/dz = (s - y) s (1 - s) for L = (s - y)^2 / 2, s = sigmoid(z)
    (derivation ``mse_sigmoid_dL_dz``); it vanishes as the sample becomes confidently wrong."""
    s = torch.sigmoid(z)
    return (s - y) * s * (1 - s)


def logreg_per_sample_grads(X: torch.Tensor, y: torch.Tensor, w: torch.Tensor, b: torch.Tensor, *,
                            weight: torch.Tensor | None = None,
                            pos_weight: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample gradients of the unreduced BCE-with-logits loss of z = X @ w + b.

    **Returns** ``(Gw, gb)`` of shapes ``[B, d]`` and ``[B]``: row i is
    (dL_i/dz_i) x_i, entry i is dL_i/dz_i.  Not divided by B.

    Examples
    --------
    >>> import torch
    >>> X = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    >>> Gw, gb = logreg_per_sample_grads(X, torch.tensor([1.0], dtype=torch.float64),
    ...                                  torch.zeros(2, dtype=torch.float64), torch.tensor(0.0, dtype=torch.float64))
    >>> Gw.tolist(), gb.tolist()
    ([[-0.5, -1.0]], [-0.5])
    """
    check_logreg_inputs(X, y, w, b, weight, pos_weight)
    r = logit_residual(X @ w + b, y, weight=weight, pos_weight=pos_weight)
    return r.unsqueeze(1) * X, r


def logreg_grad(X: torch.Tensor, y: torch.Tensor, w: torch.Tensor, b: torch.Tensor, *,
                reduction: str = "mean", weight: torch.Tensor | None = None,
                pos_weight: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradient ``(dL/dw, dL/db)`` of the reduced loss, with torch's semantics.

    ``reduction="mean"``: (1/B) X^T r, (1/B) sum_i r_i (torch divides by the
    number of elements, not by the sum of weights); ``"sum"``: X^T r, sum_i r_i;
    ``"none"``: the per-sample gradients of :func:`logreg_per_sample_grads`.
    One matrix-vector product; the [B, d] per-sample matrix is never formed.
    """
    if reduction not in REDUCTIONS:
        raise InputError(f"reduction: expected one of {REDUCTIONS}, got {reduction!r}", argument="reduction")
    if reduction == "none":
        return logreg_per_sample_grads(X, y, w, b, weight=weight, pos_weight=pos_weight)
    check_logreg_inputs(X, y, w, b, weight, pos_weight)
    r = logit_residual(X @ w + b, y, weight=weight, pos_weight=pos_weight)
    scale = 1.0 / X.shape[0] if reduction == "mean" else 1.0
    return (r @ X) * scale, (r.sum() * scale).reshape(b.shape)
