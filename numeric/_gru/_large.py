"""Large CPU buffers backed by transparent huge pages where Linux offers them on request.

A fresh CPU tensor's memory is mapped lazily: the first write to each 4 KiB page traps into
the kernel.  Per-sample gradients fill hundreds of MB per call, and those traps cost as much
as a third of ``gru_per_sample_grads`` (measured in benchmarks/bench_gru_per_sample.py).
``madvise(MADV_HUGEPAGE)`` asks for 2 MiB pages instead: 512 times fewer traps.  This is the
advice PyTorch itself gives every allocation of 2 MiB or more when ``THP_MEM_ALLOC_ENABLE=1``
is set before it starts; here it is given to the buffers this package allocates, whatever
the environment.  Where the system has no such pages (not Linux, THP ``never``) or the tensor
is not on the CPU, :func:`large_empty` is ``torch.empty``.
"""

from __future__ import annotations

import ctypes
import sys

import torch

__all__ = ["large_empty", "advise_huge_pages"]

_HUGE_PAGE = 1 << 21
_MADV_HUGEPAGE = 14


def _madvise():
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        return None
    function.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    function.restype = ctypes.c_int
    return function


_MADVISE = _madvise()


def large_empty(*shape: int, like: torch.Tensor) -> torch.Tensor:
    """``like.new_empty(shape)``; on the CPU, its whole 2 MiB pages advised to be huge pages."""
    out = like.new_empty(shape)
    advise_huge_pages(out)
    return out


def advise_huge_pages(tensor: torch.Tensor) -> bool:
    """Advise the whole 2 MiB pages inside a CPU tensor of at least 4 MiB to be huge pages.

    Only the page-aligned interior is advised (the advice is per page, never beyond the
    buffer).  **Returns** whether the kernel took the advice; a refusal leaves ordinary pages,
    and the tensor is the same either way.
    """
    nbytes = tensor.numel() * tensor.element_size()
    if _MADVISE is None or tensor.device.type != "cpu" or nbytes < 2 * _HUGE_PAGE:
        return False
    start = -(-tensor.data_ptr() // _HUGE_PAGE) * _HUGE_PAGE
    end = (tensor.data_ptr() + nbytes) // _HUGE_PAGE * _HUGE_PAGE
    return end > start and _MADVISE(start, end - start, _MADV_HUGEPAGE) == 0
