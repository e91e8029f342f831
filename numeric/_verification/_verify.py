"""``verify``: every numeric check on every requested device and dtype."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from gradproof.symbolic import InputError

from .._devices import resolve_devices
from .._validation import check_seed
from ._compare import CheckResult
from ._gru import gru_checks
from ._logreg import logreg_checks

__all__ = ["verify", "CHECK_SUITES"]

CHECK_SUITES: list[Callable[[int, torch.device, torch.dtype], list[CheckResult]]] = [logreg_checks, gru_checks]


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
            raise InputError(f"dtypes: expected float32 or float64, got {dtype}", argument="dtypes")
    return [result for dev in resolve_devices(device) for dtype in dtypes
            for suite in CHECK_SUITES for result in suite(seed, dev, dtype)]
