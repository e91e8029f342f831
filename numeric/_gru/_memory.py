"""The memory a per-sample pass will take, predicted before it starts, and the chunks it runs in.

The estimate counts the buffers this package allocates (float elements of the model's dtype):

* **fixed**: what the result holds whatever the chunk: B x (trainable parameters) for
  per-sample gradients, B x (parameters + 1) for norms; plus 2 x (parameters) for the witness's
  autograd gradients and its sum over samples (or the clipped gradient);
* **per sample of a chunk**: each layer's tape, K T (D_l + 8 H) (inputs, states, gates and the
  coefficients of the backward step, the layer's output), kept until the backward pass reaches
  the layer; the backward pass's own buffers, K T (6 H + D_max); the embedded inputs T E; for
  norms the Gram matrices, 3 T^2, or the materialised gradient of the largest weight taken that
  way; for the witness, autograd of the module's own forward, about sum_l K T (D_l + 6 H).

A chunk of the batch is as many samples as fit beside the fixed part in ``max_memory`` (default
``MEMORY_FRACTION`` of the memory available now: MemAvailable in /proc/meminfo on Linux, the free
memory of a CUDA device); when not even one sample fits, the pass is refused before it starts.
"""

from __future__ import annotations

import os

import torch

from gradproof.symbolic import InputError

from ._model import GRUModel

__all__ = ["MEMORY_FRACTION", "available_memory", "resolve_max_memory", "per_sample_bytes", "chunk_rows",
           "format_bytes", "autograd_bytes"]

MEMORY_FRACTION = 0.8


def available_memory(device: torch.device) -> int:
    """Bytes available now on ``device``: free CUDA memory, or the system's MemAvailable."""
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 1 << 40  # unknown: do not refuse on a guess


def resolve_max_memory(max_memory, device: torch.device) -> int:
    """``max_memory`` in bytes (a positive number), or MEMORY_FRACTION of what is available."""
    if max_memory is None:
        return int(MEMORY_FRACTION * available_memory(device))
    if isinstance(max_memory, bool) or not isinstance(max_memory, (int, float)) or not max_memory > 0 \
            or max_memory == float("inf"):
        raise InputError(f"max_memory: expected a positive number of bytes or None, got {max_memory!r}",
                         argument="max_memory")
    return int(max_memory)


def format_bytes(count: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return f"{int(count)} B"


def per_sample_bytes(parts: GRUModel, steps: int, element: int, *, norms_extra: int = 0,
                     witness: bool = False) -> int:
    """Working bytes per sample of a chunk (see the module docstring); ``norms_extra`` elements
    per sample for the norms' Gram matrices or materialised gradients."""
    gru, K, H = parts.gru, parts.directions, parts.gru.hidden_size
    widths = [gru.input_size] + [K * H] * (gru.num_layers - 1)
    tapes = sum(K * steps * (width + 8 * H) for width in widths)
    backward = K * steps * (6 * H + max(widths))
    embedded = steps * gru.input_size if parts.embedding is not None else 0
    autograd = sum(K * steps * (width + 6 * H) for width in widths) if witness else 0
    return element * (max(tapes + backward + embedded + norms_extra, autograd) + 16)


def autograd_bytes(parts: GRUModel, steps: int, element: int) -> int:
    """Bytes per sample that autograd of the module's forward holds, about sum_l K T (D_l + 6 H)
    (an over-estimate: plain training of benchmark part 4 grew by 399 MB where this says 737 MB)."""
    gru, K, H = parts.gru, parts.directions, parts.gru.hidden_size
    widths = [gru.input_size] + [K * H] * (gru.num_layers - 1)
    return element * sum(K * steps * (width + 6 * H) for width in widths)


def chunk_rows(size: int, fixed: int, per_sample: int, budget: int, *, what: str, way_out: str) -> int:
    """Samples per chunk so that fixed + rows x per_sample <= budget.

    **Raises** :class:`InputError` (argument ``max_memory``) naming the estimate and the way out
    when not even one sample fits."""
    room = budget - fixed
    if room < per_sample:
        whole = fixed + size * per_sample
        raise InputError(f"max_memory: {what} need about {format_bytes(whole)} ({format_bytes(fixed)} whatever the "
                         f"chunk, {format_bytes(per_sample)} per sample in work), more than max_memory = "
                         f"{format_bytes(budget)}; {way_out}", argument="max_memory")
    return max(1, min(size, room // per_sample))
