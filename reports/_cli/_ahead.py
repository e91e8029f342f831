"""Work done ahead in a forked child while this process goes on.

``gradproof loss`` needs torch only for its numeric checks, and importing torch takes about as
long as SymPy takes to derive and re-check the loss.  :class:`Ahead` forks a child at once that
runs ``prepare()`` (import torch) while this process derives; the argument of the work (the loss)
follows through a pipe when it is known, and the result (or the exception, re-raised here) comes
back through another.  Nothing is written to disk.

It forks only where ``os.fork`` exists and torch is not imported yet: a forked copy of a process
whose torch has started its OpenMP threads can deadlock.  Otherwise :meth:`Ahead.result` runs
``prepare()`` and the work here, in order, with the same result.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

__all__ = ["Ahead", "can_fork"]


def can_fork() -> bool:
    """True where a child can be forked safely: POSIX, torch not imported in this process."""
    return hasattr(os, "fork") and "torch" not in sys.modules


def _read_all(fd: int) -> bytes:
    with os.fdopen(fd, "rb") as pipe:
        return pipe.read()


def _write_all(fd: int, data: bytes) -> None:
    with os.fdopen(fd, "wb") as pipe:
        pipe.write(data)


def _outcome(work: Callable[[Any], Any], arg: Any) -> bytes:
    try:
        return pickle.dumps((True, work(arg)))
    except BaseException as error:  # noqa: BLE001 - every failure goes back to the parent
        text = traceback.format_exc()
        try:
            return pickle.dumps((False, error, text))
        except Exception:  # noqa: BLE001 - an exception that does not pickle
            return pickle.dumps((False, RuntimeError(text), text))


class Ahead:
    """``work(arg)`` in a forked child that ran ``prepare()`` while this process went on."""

    def __init__(self, prepare: Callable[[], None], work: Callable[[Any], Any]):
        self._prepare, self._work = prepare, work
        self._pid: int | None = None
        self._arg: Any = None
        self._arg_write: int | None = None
        self._result_read: int | None = None
        if can_fork():
            self._start()

    def _start(self) -> None:
        arg_read, self._arg_write = os.pipe()
        self._result_read, result_write = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            try:
                os.close(self._arg_write)
                os.close(self._result_read)
                _write_all(result_write, _outcome(self._in_child, arg_read))
            finally:
                os._exit(0)
        os.close(arg_read)
        os.close(result_write)
        self._pid = pid

    def _in_child(self, arg_read: int) -> Any:
        received: list[bytes] = []
        reader = threading.Thread(target=lambda: received.append(_read_all(arg_read)))
        reader.start()  # drains the pipe at once, so submit never waits for prepare
        self._prepare()
        reader.join()
        if not received or not received[0]:
            raise RuntimeError("no work was submitted")  # the parent left early; nobody reads this
        return self._work(pickle.loads(received[0]))

    def submit(self, arg: Any) -> None:
        """Give the work its argument (pickled to the child, or kept for :meth:`result`)."""
        if self._pid is None:
            self._arg = arg
            return
        if self._arg_write is None:
            raise RuntimeError("the work was submitted already")
        _write_all(self._arg_write, pickle.dumps(arg))
        self._arg_write = None

    def result(self) -> Any:
        """The work's result; its exception, if it raised one, is raised here."""
        if self._pid is None:
            self._prepare()
            return self._work(self._arg)
        if self._result_read is None:
            raise RuntimeError("the result was read already")
        data = _read_all(self._result_read)
        self._result_read = None
        os.waitpid(self._pid, 0)
        self._pid = None
        if not data:
            raise RuntimeError("the worker process ended without a result")
        outcome = pickle.loads(data)
        if outcome[0]:
            return outcome[1]
        error, text = outcome[1], outcome[2]
        error.add_note("in the worker process:\n" + text)
        raise error

    def cancel(self) -> None:
        """Stop the child if it still runs (an error here before the result was asked for)."""
        for fd in (getattr(self, "_arg_write", None), getattr(self, "_result_read", None)):
            if fd is not None:
                os.close(fd)
        self._arg_write = self._result_read = None
        if self._pid is not None:
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._pid = None

    def __enter__(self) -> Ahead:
        return self

    def __exit__(self, *exc) -> None:
        self.cancel()
