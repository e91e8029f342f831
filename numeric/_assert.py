"""``assert_grad_matches``: check your own closed-form gradient in your own tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ._tolerances import FD_STEP, FD_TOLERANCE, tolerance, tolerance_bound
from ._witnesses import finite_difference_grad

__all__ = ["assert_grad_matches"]


def _as_tuple(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _report(name: str, witness: str, got: torch.Tensor, want: torch.Tensor, rtol: float, atol: float) -> None:
    if got.shape != want.shape:
        raise AssertionError(f"gradient of input {name}: closed form has shape {tuple(got.shape)}, "
                             f"{witness} has {tuple(want.shape)}")
    diff = (got.double() - want.double()).abs()
    bound = tolerance_bound(want.double(), rtol, atol)
    if not bool(torch.isfinite(got).all()):
        raise AssertionError(f"gradient of input {name}: closed form is not finite")
    if bool((diff > bound).any()):
        worst = int(torch.argmax(diff - bound))
        index = tuple(int(i) for i in torch.unravel_index(torch.tensor(worst), got.shape)) if got.dim() else ()
        raise AssertionError(
            f"gradient of input {name} differs from {witness} at index {index}: closed form "
            f"{float(got.reshape(-1)[worst]):.10g}, {witness} {float(want.reshape(-1)[worst]):.10g}, "
            f"|difference| {float(diff.reshape(-1)[worst]):.3g} > atol + rtol |expected| = "
            f"{float(bound.reshape(-1)[worst]):.3g} ({int((diff > bound).sum())} of {diff.numel()} entries off)")


def assert_grad_matches(closed_form: Callable, loss_fn: Callable, *inputs: torch.Tensor,
                        wrt: int | Sequence[int] = 0, rtol: float | None = None, atol: float | None = None,
                        fd_step: float = FD_STEP, finite_differences: bool = True) -> None:
    """Assert that ``closed_form(*inputs)`` is the gradient of ``loss_fn(*inputs)``.

    **Arguments**

    - ``closed_form``: returns the gradient with respect to ``inputs[wrt]`` (a tuple of
      gradients when ``wrt`` is a sequence of positions).
    - ``loss_fn``: returns a scalar tensor.
    - ``rtol``, ``atol``: default to the named tolerance of the inputs' dtype.
    - ``fd_step``: the step h of the central differences (L(p + h) - L(p - h)) / (2h),
      evaluated in float64 whatever the inputs' dtype.

    Raises ``AssertionError`` naming the input, the index, both values and the
    difference when the closed form disagrees with torch autograd or with finite
    differences; ``ValueError`` for unusable arguments.
    """
    positions = _as_tuple(wrt)
    for position in positions:
        if not 0 <= position < len(inputs):
            raise ValueError(f"wrt: position {position} is outside the {len(inputs)} inputs")
        if not isinstance(inputs[position], torch.Tensor) or not inputs[position].dtype.is_floating_point:
            raise ValueError(f"wrt: input {position} is not a floating-point tensor")
    dtype = inputs[positions[0]].dtype
    default = tolerance(dtype)
    rtol = default.rtol if rtol is None else rtol
    atol = default.atol if atol is None else atol
    got = _as_tuple(closed_form(*inputs))
    if len(got) != len(positions):
        raise ValueError(f"closed_form: returned {len(got)} gradient(s) for {len(positions)} input(s) in wrt")

    leaves = [t.detach().clone().requires_grad_(i in positions) if isinstance(t, torch.Tensor) else t
              for i, t in enumerate(inputs)]
    autograd = torch.autograd.grad(loss_fn(*leaves), [leaves[p] for p in positions])
    for position, g, a in zip(positions, got, autograd):
        _report(str(position), "autograd", g.detach(), a, rtol, atol)
    if not finite_differences:
        return

    def loss_of(*params):
        args = list(t.double() if isinstance(t, torch.Tensor) and t.dtype.is_floating_point else t
                    for t in inputs)
        for position, p in zip(positions, params):
            args[position] = p
        return loss_fn(*args)

    fd = finite_difference_grad(loss_of, [inputs[p] for p in positions], step=fd_step)
    for position, g, f in zip(positions, got, fd):
        _report(str(position), "finite differences", g.detach(), f,
                max(rtol, FD_TOLERANCE.rtol), max(atol, FD_TOLERANCE.atol))
