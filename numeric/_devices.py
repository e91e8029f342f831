"""The one device choice of the package: CUDA when present unless told otherwise."""

from __future__ import annotations

import torch

from gradproof.symbolic import InputError

__all__ = ["resolve_device", "resolve_devices"]


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """The one device choice: None gives CUDA when present, else the CPU; a named device
    must be ``cpu`` or ``cuda`` and exist on this machine."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        chosen = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise InputError(f"device: {device!r} is not a device ({error})", argument="device") from None
    if chosen.type not in ("cpu", "cuda"):
        raise InputError(f"device: expected 'cpu' or 'cuda', got {device!r}", argument="device")
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise InputError("device: 'cuda' was asked for but CUDA is not available on this machine", argument="device")
    return chosen


def resolve_devices(device: str | torch.device | None) -> list[torch.device]:
    """The devices ``verify`` runs on: None gives the CPU, plus CUDA when present."""
    if device is None:
        return [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    return [resolve_device(device)]
