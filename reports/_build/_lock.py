"""One run at a time per output directory: an exclusive ``flock`` on a lock file beside it.

The lock file, ``.gradproof-lock-NAME`` beside ``NAME`` (inside it where its parent is not
writable), holds the pid of the run that has it.  A second run into the same directory does not
wait: it is refused at once with an :class:`InputError` that says which process writes there.
The holder removes the file when it is done; a run killed with SIGKILL leaves the file, but not
the lock (the kernel drops it with the process), and the next run takes it over.  Removing a
lock file that another process has open is safe because a run that gets the lock checks that the
file it locked is still the one at the path, and tries again otherwise.

Where ``fcntl`` is missing (Windows) runs are not serialised.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from gradproof.symbolic import InputError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

__all__ = ["LOCK_PREFIX", "lock_path", "OutputLock"]

LOCK_PREFIX = ".gradproof-lock-"


def lock_path(out: Path, parent: Path) -> Path:
    """The lock file of ``out``: in ``parent`` (beside ``out``, or ``out`` itself)."""
    if parent == out:
        return out / LOCK_PREFIX.rstrip("-")
    name = out.name if len(os.fsencode(out.name)) <= 200 else hashlib.sha256(os.fsencode(out.name)).hexdigest()
    return parent / (LOCK_PREFIX + name)


def _holder(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            pid = handle.read(32).decode("ascii", "replace").strip()
    except OSError:
        return "another gradproof run"
    return f"another gradproof run (pid {pid})" if pid.isdigit() else "another gradproof run"


class OutputLock:
    """The lock of ``out``: :meth:`acquire` (InputError at once if another run holds it), :meth:`release`."""

    def __init__(self, out: Path, parent: Path):
        self.out, self.path = out, lock_path(out, parent)
        self.fd: int | None = None

    def acquire(self) -> None:
        if fcntl is None:
            return
        while self.fd is None:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                same = os.path.samestat(os.fstat(fd), os.stat(self.path, follow_symlinks=False))
            except BlockingIOError:
                os.close(fd)
                raise InputError(f"--out {self.out}: {_holder(self.path)} is writing a report there; wait for it "
                                 "to end, or choose another --out") from None
            except FileNotFoundError:
                same = False  # removed by the run that held it last: lock the new one
            except BaseException:
                os.close(fd)
                raise
            if same:
                self.fd = fd
            else:
                os.close(fd)
        os.ftruncate(self.fd, 0)
        os.write(self.fd, f"{os.getpid()}\n".encode())

    def release(self) -> None:
        """Remove the lock file while still holding it (nobody can have locked the file at the path
        since), then let go."""
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        os.close(self.fd)
        self.fd = None
