"""File-system steps that cannot hang, follow a link or overwrite: what the output directory is
read and changed with.

- :func:`read_small` reads a regular file of bounded size only: a symbolic link (to
  ``/dev/zero``, say), a FIFO, a device or a directory is :class:`UnreadableError`, never opened
  for a blocking read.
- :func:`read_json` adds JSON that is too deeply nested or not JSON at all.
- :func:`sha256` hashes a regular file, never through a link.
- :func:`walk` lists a tree without following links or recursing on the stack.
- :func:`move_no_replace` renames a file only where nothing is in its way (``renameat2``
  with ``RENAME_NOREPLACE``; a hard link then unlink where that is missing).
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["UnreadableError", "read_small", "read_json", "sha256", "walk", "move_no_replace", "is_regular", "lexists"]

_RENAME_NOREPLACE = 1
_AT_FDCWD = -100


class UnreadableError(Exception):
    """A file that is not a regular file of bounded size holding what was expected."""


def _open_regular(path: Path) -> int:
    """A descriptor of ``path`` if it is a regular file (opened without following a link and
    without blocking on a FIFO), else :class:`UnreadableError`."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UnreadableError("is a symbolic link") from None
        if error.errno == errno.ENOENT:
            raise UnreadableError("is missing") from None
        raise UnreadableError(error.strerror or "cannot be opened") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UnreadableError("is not a regular file (a FIFO, a device or a directory)")
    return fd


def read_small(path: Path, limit: int) -> bytes:
    """At most ``limit`` bytes of the regular file ``path``; anything else is :class:`UnreadableError`."""
    fd = _open_regular(path)
    try:
        with os.fdopen(fd, "rb", closefd=False) as handle:
            content = handle.read(limit + 1)
    except OSError as error:
        raise UnreadableError(error.strerror or "cannot be read") from None
    finally:
        os.close(fd)
    if len(content) > limit:
        raise UnreadableError(f"is longer than {limit} bytes")
    return content


def read_json(path: Path, limit: int) -> Any:
    """The JSON value in the regular file ``path`` of at most ``limit`` bytes."""
    content = read_small(path, limit)
    try:
        return json.loads(content.decode("utf-8"))
    except UnicodeDecodeError:
        raise UnreadableError("is not UTF-8 text") from None
    except RecursionError:
        raise UnreadableError("is JSON nested too deeply") from None
    except ValueError:
        raise UnreadableError("is not JSON") from None


def sha256(path: Path) -> str:
    """The SHA-256 of the regular file ``path`` (:class:`UnreadableError` for anything else)."""
    fd = _open_regular(path)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "rb", closefd=False) as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as error:
        raise UnreadableError(error.strerror or "cannot be read") from None
    finally:
        os.close(fd)
    return digest.hexdigest()


def lexists(path: Path) -> bool:
    return os.path.lexists(path)


def is_regular(path: Path) -> bool:
    """A regular file, not a link to one."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def walk(root: Path, top: Path) -> Iterator[Path]:
    """Every entry under ``top`` (itself included), relative to ``root``, sorted, links not
    followed; iterative, so a deep tree cannot exhaust the stack."""
    pending = [top]
    while pending:
        path = pending.pop()
        yield path.relative_to(root)
        try:
            is_dir = stat.S_ISDIR(os.lstat(path).st_mode)
        except OSError:
            continue
        if is_dir:
            try:
                names = sorted(os.listdir(path), reverse=True)
            except OSError:
                continue
            pending += [path / name for name in names]


def _renameat2():
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return function


_RENAMEAT2 = _renameat2()
_NOT_SUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM}


def move_no_replace(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst``; FileExistsError if anything is at ``dst`` (nothing is overwritten)."""
    if _RENAMEAT2 is not None:
        if _RENAMEAT2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), _RENAME_NOREPLACE) == 0:
            return
        code = ctypes.get_errno()
        if code not in _NOT_SUPPORTED:
            raise OSError(code, os.strerror(code), str(dst))
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError as error:
        if error.errno not in _NOT_SUPPORTED:
            raise
        if lexists(dst):  # no atomic way on this file system: the narrowest check there is
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(dst)) from None
        os.rename(src, dst)
        return
    os.unlink(src)
