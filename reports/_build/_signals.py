"""Signals while a report is staged and installed.

While the report is being made, SIGTERM and SIGHUP raise :class:`Terminated` (a
``KeyboardInterrupt``) as Ctrl-C raises ``KeyboardInterrupt``, so the stage is removed on the
way out (:func:`terminate_as_interrupt`).  While the output directory is being changed (a killed
run recovered, the new report installed, the stage and the lock removed) a signal must not cut
the change in half: :func:`deferred_signals` only records SIGINT, SIGTERM and SIGHUP, and
:func:`redeliver` raises the first one recorded again once the directory is whole.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

__all__ = ["Terminated", "terminate_as_interrupt", "deferred_signals", "redeliver", "STOPPING"]

STOPPING = tuple(s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: unwind and clean up as for Ctrl-C."""

    def __init__(self, signum: int):
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """In the block, SIGTERM and SIGHUP raise :class:`Terminated` (where their handler was the default)."""
    if not _in_main_thread():
        yield
        return

    def terminated(signum, frame):
        raise Terminated(signum)

    changed = {}
    for signum in STOPPING[1:]:
        if signal.getsignal(signum) == signal.SIG_DFL:
            changed[signum] = signal.signal(signum, terminated)
    try:
        yield
    finally:
        for signum, previous in changed.items():
            signal.signal(signum, previous)


@contextlib.contextmanager
def deferred_signals(caught: list[int]) -> Iterator[list[int]]:
    """In the block, SIGINT, SIGTERM and SIGHUP are only appended to ``caught``; the handlers
    before it are restored after it (in the main thread; elsewhere signals do not arrive)."""
    if not _in_main_thread():
        yield caught
        return
    previous = {}
    try:
        for signum in STOPPING:
            previous[signum] = signal.signal(signum, lambda number, frame: caught.append(number))
        yield caught
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)


def redeliver(caught: list[int]) -> None:
    """Raise the first recorded signal again, now that its own handler is back."""
    if caught:
        signum = caught[0]
        caught.clear()
        signal.raise_signal(signum)
