"""Input checks shared by the closed forms: a clear ValueError, never a silent wrong answer."""

from __future__ import annotations

import torch

from gradproof.symbolic import InputError

__all__ = ["check_seed", "SEED_MAX", "check_logreg_inputs", "check_float_tensor", "check_labels", "check_finite_rows"]


SEED_MAX = 2**32 - 1  # every generator takes it, and seed + k stays in range for all of them


def check_seed(seed: object, name: str = "seed") -> int:
    """A seed is an integer in [0, SEED_MAX] (not a bool): what torch, numpy and random all accept."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= SEED_MAX:
        shown = repr(seed) if len(repr(seed)) <= 40 else repr(seed)[:40] + "..."
        raise InputError(f"{name}: expected an integer in [0, {SEED_MAX}], got {shown}", argument=name)
    return seed


def check_float_tensor(name: str, value: object, ndim: int | tuple[int, ...], *,
                       finite: bool = True) -> torch.Tensor:
    """``value`` must be a floating-point tensor with the given number of dimensions, finite
    unless ``finite=False`` (the caller then checks finiteness on the way, see
    :func:`check_finite_rows`)."""
    if not isinstance(value, torch.Tensor):
        raise InputError(f"{name}: expected a torch.Tensor, got {type(value).__name__}", argument=name)
    if not value.dtype.is_floating_point:
        raise InputError(f"{name}: expected a floating-point tensor, got dtype {value.dtype}", argument=name)
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if value.dim() not in allowed:
        raise InputError(f"{name}: expected {' or '.join(map(str, allowed))} dimensions, "
                         f"got shape {tuple(value.shape)}", argument=name)
    if finite and not bool(torch.isfinite(value).all()):
        bad = int((~torch.isfinite(value)).sum())
        raise InputError(f"{name}: contains {bad} NaN or infinite value(s)", argument=name)
    return value


def check_finite_rows(name: str, rows: torch.Tensor, products: torch.Tensor, first_row: int = 0) -> None:
    """Finiteness of ``rows`` read off ``products = rows @ v`` for a finite v.

    Any NaN or infinity in a row makes its product with finite weights NaN or infinite
    (0 * inf is NaN), so a finite product vector proves finite rows without another pass
    over them.  Only when a product is not finite are the rows themselves examined.
    """
    if bool(torch.isfinite(products).all()):
        return
    bad = ~torch.isfinite(rows)
    if bool(bad.any()):
        row = first_row + int(bad.any(1).nonzero()[0])
        raise InputError(f"{name}: contains {int(bad.sum())} NaN or infinite value(s), the first in row {row}",
                         argument=name)
    raise InputError(f"{name}: X @ w overflows {rows.dtype} (the logits are not finite)", argument=name)


def check_labels(y: torch.Tensor, batch: int) -> None:
    """Labels: shape [B], values in [0, 1] (soft labels allowed)."""
    if y.shape != (batch,):
        raise InputError(f"y: expected shape ({batch},) to match X, got {tuple(y.shape)}", argument="y")
    if bool(((y < 0) | (y > 1)).any()):
        raise InputError(f"y: labels must lie in [0, 1], found min {float(y.min()):g} "
                         f"and max {float(y.max()):g}", argument="y")


def _check_broadcast(name: str, value: torch.Tensor | None, batch: int, like: torch.Tensor) -> None:
    if value is None:
        return
    check_float_tensor(name, value, (0, 1))
    if value.dim() == 1 and value.shape[0] not in (1, batch):
        raise InputError(f"{name}: expected a scalar or shape (1,) or ({batch},), got {tuple(value.shape)}",
                         argument=name)
    if value.device != like.device or value.dtype != like.dtype:
        raise InputError(f"{name}: on {value.device} with {value.dtype}, but X is on "
                         f"{like.device} with {like.dtype}", argument=name)


def check_logreg_inputs(X, y, w, b, weight=None, pos_weight=None, *, finite_X: bool = True) -> None:
    """Shapes X [B, d], y [B], w [d], b scalar; same dtype and device; finite; B >= 1.

    ``finite_X=False`` leaves X's finiteness to the caller (:func:`check_finite_rows`)."""
    check_float_tensor("X", X, 2, finite=finite_X)
    batch, features = X.shape
    if batch == 0:
        raise InputError("X: the batch is empty (shape has B = 0)", argument="X")
    if features == 0:
        raise InputError("X: no features (shape has d = 0)", argument="X")
    for name, value, ndim in (("y", y, 1), ("w", w, 1), ("b", b, (0, 1))):
        check_float_tensor(name, value, ndim)
        if value.device != X.device or value.dtype != X.dtype:
            raise InputError(f"{name}: on {value.device} with {value.dtype}, but X is on "
                             f"{X.device} with {X.dtype}", argument=name)
    check_labels(y, batch)
    if w.shape != (features,):
        raise InputError(f"w: expected shape ({features},) to match X {tuple(X.shape)}, got {tuple(w.shape)}",
                         argument="w")
    if b.numel() != 1:
        raise InputError(f"b: expected a scalar, got shape {tuple(b.shape)}", argument="b")
    _check_broadcast("weight", weight, batch, X)
    _check_broadcast("pos_weight", pos_weight, batch, X)
    if pos_weight is not None and bool((pos_weight < 0).any()):
        raise InputError("pos_weight: must be nonnegative", argument="pos_weight")
