"""Work on the samples of a batch in shares, one CPU thread each.

Per-sample gradients are independent across samples, so a batch splits into contiguous
shares that need no communication until every share is done.  Each share runs in its own
Python thread (torch releases the GIL inside its operators) with ONE intra-op thread.
Compared with one pass over the whole batch on torch's intra-op threads, nothing waits at a
barrier after each small per-step operator: beside a busy neighbour, a share whose core is
taken only runs slower, instead of stalling its partner at every step (see
benchmarks/bench_gru_per_sample.py, part 3).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import torch

from .._threads import intra_op_threads

# torch.set_num_threads in a share's thread also sets the default that threads started meanwhile
# take up; one run at a time means a second caller reads and restores the true setting
_ONE_RUN_AT_A_TIME = threading.Lock()

__all__ = ["sample_shares", "run_in_shares", "MIN_SHARE"]

Result = TypeVar("Result")

MIN_SHARE = 32  # below this many samples a share's per-step operators are mostly Python overhead


def sample_shares(size: int, threads: int | None, device: torch.device) -> list[slice]:
    """Contiguous slices covering range(size): ``threads`` of them (default torch's intra-op
    threads) on the CPU, at most one per MIN_SHARE samples; one slice on other devices."""
    wanted = torch.get_num_threads() if threads is None else threads
    # autocast is per thread and changes what is computed: keep its computation in the caller's thread
    alone = device.type != "cpu" or torch.is_autocast_enabled("cpu")
    count = 1 if alone else max(1, min(wanted, size // MIN_SHARE))
    bounds = [size * i // count for i in range(count + 1)]
    return [slice(start, stop) for start, stop in zip(bounds, bounds[1:])]


def run_in_shares(work: Callable[[slice], Result], shares: list[slice]) -> list[Result]:
    """``[work(share) for share in shares]``, the shares in parallel threads of one intra-op
    thread each when there are several, in the caller's grad mode (torch's thread setting is
    restored after)."""
    if len(shares) == 1:
        return [work(shares[0])]
    with _ONE_RUN_AT_A_TIME, intra_op_threads():
        grad_mode, inference = torch.is_grad_enabled(), torch.is_inference_mode_enabled()

        def one_thread(share: slice) -> Result:  # grad and inference modes are per thread: carry the caller's
            torch.set_num_threads(1)
            with torch.inference_mode(inference), torch.set_grad_enabled(grad_mode):
                return work(share)

        with ThreadPoolExecutor(len(shares), thread_name_prefix="gradproof-share") as pool:
            return list(pool.map(one_thread, shares))
