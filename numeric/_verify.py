"""``verify``: every numeric check on every requested device and dtype."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from symbolic import InputError

from ._compare import CheckResult
from ._validation import check_seed
from ._verify_gru import gru_checks
from ._verify_logreg import logreg_checks

__all__ = ["verify", "resolve_device", "resolve_devices", "CHECK_SUITES"]

CHECK_SUITES: list[Callable[[int, torch.device, torch.dtype], list[CheckResult]]] = [logreg_checks, gru_checks]


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """The one device choice: None gives CUDA when present, else the CPU; a named device
    must be ``cpu`` or ``cuda`` and exist on this machine."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        chosen = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise InputError(f"device: {device!r} is not a device ({error})") from None
    if chosen.type not in ("cpu", "cuda"):
        raise InputError(f"device: expected 'cpu' or 'cuda', got {device!r}")
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise InputError("device: 'cuda' was asked for but CUDA is not available on this machine")
    return chosen


def resolve_devices(device: str | torch.device | None) -> list[torch.device]:
    """The devices ``verify`` runs on: None gives the CPU, plus CUDA when present."""
    if device is None:
        return [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    return [resolve_device(device)]


def verify(device: str | torch.device | None = None,
           dtypes: Sequence[torch.dtype] = (torch.float64, torch.float32), *,
           seed: int = 0) -> list[CheckResult]:
    """Run every check (closed form against SymPy-generated code, autograd, vmap and
    finite differences) on each device and dtype.

    **Returns** one :class:`CheckResult` per check; a check ``passed`` when its
    maximum error is within the dtype's named tolerance.
    """
    check_seed(seed)
    for dtype in dtypes:
        if dtype not in (torch.float32, torch.float64):
            raise InputError(f"dtypes: expected float32 or float64, got {dtype}")
    return [result for dev in resolve_devices(device) for dtype in dtypes
            for suite in CHECK_SUITES for result in suite(seed, dev, dtype)]
