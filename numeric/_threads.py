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

__all__ = ["single_thread"]


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(1)``; restore the thread count after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
