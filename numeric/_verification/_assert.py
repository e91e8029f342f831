"""``assert_grad_matches``: check your own closed-form gradient in your own tests.

It passes only when the closed form, torch autograd and (unless turned off) central finite
differences are all finite and agree within tolerance; every witness runs on its own copy
of the inputs, so a closed form that changes its arguments in place cannot fool it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch

from gradproof.symbolic import InputError

from ._tolerances import FD_STEP, FD_TOLERANCE, tolerance
from ._witnesses import finite_difference_grad

__all__ = ["assert_grad_matches"]


def _as_tuple(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _copies(inputs: Sequence, dtype: torch.dtype | None = None) -> list:
    """Fresh, detached copies of the tensor inputs (floating ones cast to ``dtype`` if given)."""
    def copy(t):
        if not isinstance(t, torch.Tensor):
            return t
        t = t.detach().clone()
        return t.to(dtype) if dtype is not None and t.dtype.is_floating_point else t
    return [copy(t) for t in inputs]


def _check_positions(wrt, inputs: Sequence) -> tuple[int, ...]:
    positions = _as_tuple(wrt)
    if not positions:
        raise InputError("wrt: give at least one input position", argument="wrt")
    if len(set(positions)) != len(positions):
        raise InputError(f"wrt: positions repeat in {positions}", argument="wrt")
    for position in positions:
        if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < len(inputs):
            raise InputError(f"wrt: position {position!r} is not one of the {len(inputs)} inputs", argument="wrt")
        if not isinstance(inputs[position], torch.Tensor) or not inputs[position].dtype.is_floating_point:
            raise InputError(f"wrt: input {position} is not a floating-point tensor", argument="wrt")
    return positions


def _check_nonnegative(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise InputError(f"{name}: expected a finite number >= 0, got {value!r}", argument=name)
    return float(value)


def _scalar_loss(value) -> torch.Tensor:
    if not isinstance(value, torch.Tensor) or value.numel() != 1 or not value.dtype.is_floating_point:
        shape = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
        raise InputError(f"loss_fn: expected a floating-point scalar tensor, got {shape}", argument="loss_fn")
    return value.reshape(())


def _finite(name: str, who: str, value: torch.Tensor) -> None:
    bad = ~torch.isfinite(value)
    if bool(bad.any()):
        first = int(torch.nonzero(bad.reshape(-1))[0])
        index = tuple(int(i) for i in torch.unravel_index(torch.tensor(first), value.shape))
        raise AssertionError(f"gradient of input {name}: {who} is not finite ({int(bad.sum())} of "
                             f"{value.numel()} entries NaN or infinite, the first at index {index}: "
                             f"{float(value.reshape(-1)[first])})")


def _compare(name: str, witness: str, got: torch.Tensor, want: torch.Tensor, rtol: float, atol: float) -> None:
    """The closed form ``got`` against a witness ``want``: both finite, same shape, and
    |got - want| <= atol + rtol |want| entrywise (torch.testing.assert_close)."""
    if got.shape != want.shape:
        raise AssertionError(f"gradient of input {name}: closed form has shape {tuple(got.shape)}, "
                             f"{witness} has {tuple(want.shape)}")
    _finite(name, "closed form", got)
    _finite(name, witness, want)
    torch.testing.assert_close(got.double(), want.double(), rtol=rtol, atol=atol, check_device=False,
                               msg=lambda report: f"gradient of input {name} differs from {witness}: {report}")


FAST_ABOVE = 256
"""``mode="auto"`` checks along random directions when the inputs in ``wrt`` hold more entries."""
DIRECTIONS = 4


def _directional(loss_of, params: list[torch.Tensor], got: list[torch.Tensor], step: float, rtol: float,
                 atol: float, seed: int) -> None:
    """Central differences along DIRECTIONS random unit directions v (one pair of loss evaluations
    each): (L(p + h v) - L(p - h v)) / (2h) must match <g, v> within atol + rtol ||g||_2."""
    generator = torch.Generator().manual_seed(seed)
    params = [p.detach().double().clone() for p in params]
    grads = [g.detach().double().cpu().reshape(-1) for g in got]
    norm = float(torch.linalg.vector_norm(torch.cat(grads))) if grads else 0.0
    for d in range(DIRECTIONS):
        directions = [torch.randn(p.numel(), generator=generator, dtype=torch.float64) for p in params]
        scale = float(torch.linalg.vector_norm(torch.cat(directions)))
        directions = [v / scale for v in directions]
        up = [p + step * v.reshape(p.shape).to(p.device) for p, v in zip(params, directions)]
        down = [p - step * v.reshape(p.shape).to(p.device) for p, v in zip(params, directions)]
        fd = (float(loss_of(*up)) - float(loss_of(*down))) / (2 * step)
        predicted = float(sum(torch.dot(g, v) for g, v in zip(grads, directions)))
        if not math.isfinite(fd):
            raise AssertionError(f"finite differences along random direction {d} are not finite (seed {seed})")
        bound = atol + rtol * max(norm, abs(predicted))
        if abs(fd - predicted) > bound:
            raise AssertionError(f"the closed form disagrees with finite differences along random direction {d} "
                                 f"(seed {seed}): <g, v> = {predicted:.10g}, central differences {fd:.10g}, "
                                 f"difference {abs(fd - predicted):.3g} > {bound:.3g}")


def assert_grad_matches(closed_form: Callable, loss_fn: Callable, *inputs: torch.Tensor,
                        wrt: int | Sequence[int] = 0, rtol: float | None = None, atol: float | None = None,
                        fd_step: float = FD_STEP, finite_differences: bool = True, mode: str = "auto",
                        seed: int | None = None) -> None:
    """Assert that ``closed_form(*inputs)`` is the gradient of ``loss_fn(*inputs)``.

    **Arguments**

    - ``closed_form``: returns the gradient with respect to ``inputs[wrt]`` (a tuple of
      gradients when ``wrt`` is a sequence of positions).
    - ``loss_fn``: returns a floating-point scalar tensor.
    - ``wrt``: one position or a non-empty sequence of distinct positions in ``inputs``.
    - ``rtol``, ``atol``: finite and >= 0; default to the named tolerance of the inputs' dtype.
    - ``fd_step``: the step h > 0 of the central differences (L(p + h) - L(p - h)) / (2h),
      evaluated in float64 whatever the inputs' dtype.
    - ``mode``: ``"full"`` takes central differences entry by entry (two loss evaluations per
      entry); ``"fast"`` along 4 random unit directions v (eight evaluations in all, as
      ``torch.autograd.gradcheck(fast_mode=True)`` and ``jax.test_util.check_grads`` do), checking
      (L(p + h v) - L(p - h v)) / (2h) = <g, v> within atol + rtol ||g||; ``"auto"`` (default) is
      fast above 256 entries.  Either way the closed form is compared with autograd **entry by
      entry**; the fast mode only samples the finite-difference witness, which a wrong entry fails
      with probability 1 (a Gaussian direction is orthogonal to the error with probability 0) once
      the error exceeds the tolerance along v.
    - ``seed``: the directions' seed (random by default; the message names it to reproduce a failure).

    Raises ``AssertionError`` when the closed form, autograd or the finite differences are
    not finite, or when the closed form disagrees with either witness (naming the input,
    the index, the difference and how many entries are off); :class:`InputError` (a
    ``ValueError``) for unusable arguments.  Each of the three runs on its own copy of
    ``inputs``, and the caller's tensors are never changed.
    """
    positions = _check_positions(wrt, inputs)
    if mode not in ("auto", "full", "fast"):
        raise InputError(f"mode: expected 'auto', 'full' or 'fast', got {mode!r}", argument="mode")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise InputError(f"seed: expected an integer, got {seed!r}", argument="seed")
    default = tolerance(inputs[positions[0]].dtype)
    rtol = default.rtol if rtol is None else _check_nonnegative("rtol", rtol)
    atol = default.atol if atol is None else _check_nonnegative("atol", atol)
    if isinstance(fd_step, bool) or not isinstance(fd_step, (int, float)) or not math.isfinite(fd_step) \
            or fd_step <= 0:
        raise InputError(f"fd_step: expected a finite number > 0, got {fd_step!r}", argument="fd_step")

    returned = _as_tuple(closed_form(*_copies(inputs)))
    if len(returned) != len(positions):
        raise InputError(f"closed_form: returned {len(returned)} gradient(s) for {len(positions)} input(s) in wrt",
                         argument="closed_form")
    got = [g.detach() if isinstance(g, torch.Tensor) else torch.as_tensor(g) for g in returned]

    leaves = _copies(inputs)
    for p in positions:
        leaves[p].requires_grad_(True)
    autograd = torch.autograd.grad(_scalar_loss(loss_fn(*leaves)), [leaves[p] for p in positions],
                                   allow_unused=True)
    for position, g, a in zip(positions, got, autograd):
        _compare(str(position), "autograd", g, torch.zeros_like(leaves[position]) if a is None else a, rtol, atol)
    if not finite_differences:
        return

    doubles = _copies(inputs, torch.float64)

    def loss_of(*params):
        args = list(doubles)
        for position, p in zip(positions, params):
            args[position] = p
        return _scalar_loss(loss_fn(*args))

    entries = sum(doubles[p].numel() for p in positions)
    if mode == "fast" or (mode == "auto" and entries > FAST_ABOVE):
        fd_rtol, fd_atol = max(rtol, FD_TOLERANCE.rtol), max(atol, FD_TOLERANCE.atol)
        _directional(loss_of, [doubles[p] for p in positions], got, fd_step, fd_rtol, fd_atol,
                     int(torch.randint(0, 2**31 - 1, ())) if seed is None else seed)
        return
    fd = finite_difference_grad(loss_of, [doubles[p] for p in positions], step=fd_step)
    for position, g, f in zip(positions, got, fd):
        _compare(str(position), "finite differences", g, f, max(rtol, FD_TOLERANCE.rtol), max(atol, FD_TOLERANCE.atol))
