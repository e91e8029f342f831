"""One CPU thread for a computation whose bytes must not depend on the machine's load.

torch splits a reduction (a sum, a matrix product) among its intra-op threads, and how it
splits decides the order of the float additions, so the last bits of a result depend on the
number of threads that took part.  The report's experiments are small (vectors of a few
hundred numbers, a GRU of 16 units): on one thread they are also faster on a loaded machine,
where two threads spin waiting for each other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

__all__ = ["intra_op_threads", "single_thread"]


@contextlib.contextmanager
def intra_op_threads(count: int | None = None) -> Iterator[None]:
    """Run the block on ``count`` intra-op threads (None: as many as now), and leave it with the
    count found on entry, whatever the block set meanwhile (``torch.set_num_threads`` in a
    thread the block started sets the process-wide count too): the one save-and-restore."""
    before = torch.get_num_threads()
    if count is not None and count != before:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


def single_thread() -> contextlib.AbstractContextManager[None]:
    """Run the block with ``torch.set_num_threads(1)``; restore the thread count after."""
    return intra_op_threads(1)
