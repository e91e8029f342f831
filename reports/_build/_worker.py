"""One background process for work beside the main thread's (saving figures while the PDF
is written), which never outlives the process that started it.

The worker is forked, so nothing is imported again.  It dies with its parent: on Linux the
kernel sends it SIGKILL when the parent dies (``prctl(PR_SET_PDEATHSIG)``), elsewhere a
thread in it watches the parent's pid.  When the ``with`` block is left by an exception
(Ctrl-C, SIGTERM turned into :class:`gradproof.reports._build._signals.Terminated`, an error) the worker is
killed at once instead of being waited for.  A worker ended by SIGINT, SIGTERM or SIGHUP (sent to
the whole process group) is that signal here too, not an error.  Where fork is not available the work runs
inline, at ``submit``.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from multiprocessing.connection import wait
from typing import Literal

from ._signals import STOPPING, Terminated

__all__ = ["Background", "die_with_parent"]

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(1)


def die_with_parent(parent: int) -> None:
    """Make this (child) process end when process ``parent`` does."""
    armed = False
    if sys.platform.startswith("linux"):
        try:
            armed = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL) == 0
        except (OSError, AttributeError):
            armed = False
    if not armed:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def _run(fn, args, connection, parent: int) -> None:
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        outcome = ("value", fn(*args))
    except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
        outcome = ("error", error)
    try:
        connection.send(outcome)
    except Exception as error:  # an unpicklable result or error
        connection.send(("error", RuntimeError(f"the background worker's {outcome[0]} could not be sent "
                                               f"back: {error}")))


class Job:
    """The result of work in the worker process (or done inline)."""

    def __init__(self, process=None, connection=None, outcome=None):
        self.process, self.connection, self.outcome = process, connection, outcome

    def result(self):
        if self.outcome is None:
            wait([self.connection, self.process.sentinel])
            if not self.connection.poll():
                self.process.join()
                code = self.process.exitcode
                if code == -signal.SIGINT:  # Ctrl-C reached the whole process group: so will it reach us
                    raise KeyboardInterrupt
                if code is not None and -code in STOPPING:
                    raise Terminated(-code)
                raise RuntimeError(f"the background worker died (exit code {code})")
            self.outcome = self.connection.recv()
            self.process.join()
        kind, value = self.outcome
        if kind == "error":
            raise value
        return value


class Background:
    """``with Background() as pool: job = pool.submit(fn, *args); ...; job.result()``."""

    def __init__(self):
        self.jobs: list[Job] = []
        self.forked = "fork" in multiprocessing.get_all_start_methods()

    def __enter__(self) -> Background:
        return self

    def submit(self, fn, *args) -> Job:
        if not self.forked:
            try:
                return Job(outcome=("value", fn(*args)))
            except Exception as error:
                return Job(outcome=("error", error))
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        sys.stdout.flush()
        sys.stderr.flush()
        process = context.Process(target=_run, args=(fn, args, send, os.getpid()), daemon=True)
        process.start()
        send.close()
        job = Job(process, receive)
        self.jobs.append(job)
        return job

    def __exit__(self, kind, error, trace) -> Literal[False]:
        for job in self.jobs:
            if job.process is not None and job.process.is_alive():
                job.process.kill()
            if job.process is not None:
                job.process.join()
                job.connection.close()
        return False
