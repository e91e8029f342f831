"""Input checks shared by the closed forms: a clear ValueError, never a silent wrong answer."""

from __future__ import annotations

import torch

__all__ = ["check_logreg_inputs", "check_float_tensor", "check_labels"]


def check_float_tensor(name: str, value: object, ndim: int | tuple[int, ...]) -> torch.Tensor:
    """``value`` must be a finite floating-point tensor with the given number of dimensions."""
    if not isinstance(value, torch.Tensor):
        raise ValueError(f"{name}: expected a torch.Tensor, got {type(value).__name__}")
    if not value.dtype.is_floating_point:
        raise ValueError(f"{name}: expected a floating-point tensor, got dtype {value.dtype}")
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if value.dim() not in allowed:
        raise ValueError(f"{name}: expected {' or '.join(map(str, allowed))} dimensions, "
                         f"got shape {tuple(value.shape)}")
    if not bool(torch.isfinite(value).all()):
        bad = int((~torch.isfinite(value)).sum())
        raise ValueError(f"{name}: contains {bad} NaN or infinite value(s)")
    return value


def check_labels(y: torch.Tensor, batch: int) -> None:
    """Labels: shape [B], values in [0, 1] (soft labels allowed)."""
    if y.shape != (batch,):
        raise ValueError(f"y: expected shape ({batch},) to match X, got {tuple(y.shape)}")
    if bool(((y < 0) | (y > 1)).any()):
        raise ValueError(f"y: labels must lie in [0, 1], found min {float(y.min()):g} "
                         f"and max {float(y.max()):g}")


def _check_broadcast(name: str, value: torch.Tensor | None, batch: int, like: torch.Tensor) -> None:
    if value is None:
        return
    check_float_tensor(name, value, (0, 1))
    if value.dim() == 1 and value.shape[0] not in (1, batch):
        raise ValueError(f"{name}: expected a scalar or shape (1,) or ({batch},), got {tuple(value.shape)}")
    if value.device != like.device or value.dtype != like.dtype:
        raise ValueError(f"{name}: on {value.device} with {value.dtype}, but X is on "
                         f"{like.device} with {like.dtype}")


def check_logreg_inputs(X, y, w, b, weight=None, pos_weight=None) -> None:
    """Shapes X [B, d], y [B], w [d], b scalar; same dtype and device; finite; B >= 1."""
    check_float_tensor("X", X, 2)
    batch, features = X.shape
    if batch == 0:
        raise ValueError("X: the batch is empty (shape has B = 0)")
    if features == 0:
        raise ValueError("X: no features (shape has d = 0)")
    for name, value, ndim in (("y", y, 1), ("w", w, 1), ("b", b, (0, 1))):
        check_float_tensor(name, value, ndim)
        if value.device != X.device or value.dtype != X.dtype:
            raise ValueError(f"{name}: on {value.device} with {value.dtype}, but X is on "
                             f"{X.device} with {X.dtype}")
    check_labels(y, batch)
    if w.shape != (features,):
        raise ValueError(f"w: expected shape ({features},) to match X {tuple(X.shape)}, got {tuple(w.shape)}")
    if b.numel() != 1:
        raise ValueError(f"b: expected a scalar, got shape {tuple(b.shape)}")
    _check_broadcast("weight", weight, batch, X)
    _check_broadcast("pos_weight", pos_weight, batch, X)
    if pos_weight is not None and bool((pos_weight < 0).any()):
        raise ValueError("pos_weight: must be nonnegative")
