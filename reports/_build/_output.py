"""The report's output directory: gradproof only ever removes what it wrote.

A directory gradproof writes a report into carries a marker, ``.gradproof-report.json``,
listing every file it wrote there with its SHA-256.  A new report is written into a stage
directory first and replaces the old one only at the end (:func:`staged_output`).  The
output directory may be new, empty, or marked; in a marked one, a product is replaced
only when every file in it is listed in the marker and unchanged.  Anything else (a
directory of the user's own files, a file the user edited or added to ``figures/``, a
symbolic link, the file system's root, the home directory) is refused with an
:class:`InputError` before any work is done.  Files of the user's beside the products are
left alone.

Stage directories record the host, boot and process (pid and start time) that made them;
a later run removes those whose process is provably gone (killed with SIGKILL, say).
SIGTERM and SIGHUP are turned into :class:`Terminated` (a ``KeyboardInterrupt``) while a
report is staged, so they clean up as Ctrl-C does.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from gradproof.symbolic import InputError

__all__ = ["MARKER", "STAGE_MARKER", "Terminated", "staged_output", "check_output_dir", "remove_stale_stages"]

MARKER = ".gradproof-report.json"
STAGE_MARKER = ".gradproof-stage.json"
TEMPORARY_PREFIXES = (".gradproof-stage-", ".gradproof-old-")


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: unwind and clean up as for Ctrl-C."""

    def __init__(self, signum: int):
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files_under(root: Path, top: Path) -> Iterator[Path]:
    """Every entry under ``top`` (itself included), relative to ``root``, links not followed."""
    yield top.relative_to(root)
    if top.is_dir() and not top.is_symlink():
        for entry in sorted(top.iterdir()):
            yield from _files_under(root, entry)


def _written(out: Path) -> dict[str, str]:
    """The files gradproof wrote in ``out``, relative path -> SHA-256, from its marker."""
    try:
        listed = json.loads((out / MARKER).read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        raise InputError(f"--out {out}: its marker {MARKER} is unreadable; gradproof cannot tell which "
                         "files it wrote there, so it replaces none") from None
    def inside(name) -> bool:
        return isinstance(name, str) and bool(Path(name).parts) and not Path(name).is_absolute() \
            and ".." not in Path(name).parts

    if not isinstance(listed, dict) or not all(inside(name) for name in listed):
        raise InputError(f"--out {out}: its marker {MARKER} lists paths outside the directory")
    return listed


def _foreign(out: Path, top: str, written: dict[str, str]) -> str | None:
    """The first entry under ``out/top`` that gradproof did not write as it is now, if any."""
    for entry in _files_under(out, out / top):
        path = out / entry
        if path.is_symlink() or not (path.is_dir() or path.is_file()):
            return f"{entry} is not a plain file or directory"
        if path.is_file() and written.get(entry.as_posix()) != _sha256(path):
            return f"{entry} was not written by gradproof, or was changed since"
    return None


def _own_tops(written: dict[str, str]) -> set[str]:
    return {Path(name).parts[0] for name in written}


def check_output_dir(out: Path, products: tuple[str, ...] = ()) -> None:
    """Refuse (InputError) an ``out`` whose products gradproof could not replace safely."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a directory")
    try:
        home = Path.home().resolve()
    except (RuntimeError, KeyError):  # no home directory known
        home = None
    if out == Path(out.anchor) or out == home:
        raise InputError(f"--out {out}: refusing to write a report into the file system's root or the home "
                         "directory; give a directory of its own")
    if not out.exists():
        return
    entries = [e.name for e in out.iterdir() if not e.name.startswith(TEMPORARY_PREFIXES)]
    if not entries:
        return
    if MARKER not in entries:
        shown = ", ".join(repr(name) for name in sorted(entries)[:3]) + (", ..." if len(entries) > 3 else "")
        raise InputError(f"--out {out}: holds files gradproof did not write ({shown}); give a new or empty "
                         "directory, or one gradproof wrote")
    written = _written(out)
    for top in sorted((_own_tops(written) | set(products)) - {MARKER}):
        if (out / top).exists() or (out / top).is_symlink():
            problem = _foreign(out, top, written)
            if problem:
                raise InputError(f"--out {out}: {problem}; gradproof replaces only its own files (move it "
                                 "away or choose another --out)")


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _start_time(pid: int) -> str | None:
    """The start time of process ``pid`` (clock ticks after boot, Linux), or None if unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _owner() -> dict:
    return {"host": socket.gethostname(), "boot": _boot_id(), "pid": os.getpid(), "start": _start_time(os.getpid())}


def _provably_dead(owner: dict) -> bool:
    """True only when the process that made a stage directory is certainly gone."""
    if owner.get("host") != socket.gethostname():
        return False  # another machine on a shared file system: cannot tell
    if owner.get("boot") and _boot_id() and owner["boot"] != _boot_id():
        return True  # this machine rebooted since
    pid = owner.get("pid")
    if not isinstance(pid, int) or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, another user's
    start = _start_time(pid)
    return owner.get("start") is not None and start is not None and start != owner["start"]  # pid reused


def remove_stale_stages(*folders: Path) -> list[Path]:
    """Remove the stage directories in ``folders`` left by runs that were killed; return them."""
    removed = []
    for folder in folders:
        try:
            candidates = [p for p in folder.iterdir() if p.name.startswith(TEMPORARY_PREFIXES) and p.is_dir()]
        except OSError:
            continue
        for stage in candidates:
            try:
                owner = json.loads((stage / STAGE_MARKER).read_text())
            except (OSError, ValueError):
                continue  # not provably ours
            if isinstance(owner, dict) and _provably_dead(owner):
                shutil.rmtree(stage, ignore_errors=True)
                removed.append(stage)
    return removed


def _make_stage(parent: Path, prefix: str) -> Path:
    stage = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    (stage / STAGE_MARKER).write_text(json.dumps(_owner()))
    return stage


def _stage_parent(out: Path) -> Path:
    """Beside ``out`` (same file system, so installing is renames), or inside it when the
    parent is not writable (``--out .`` in a read-only parent, say)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if os.access(out.parent, os.W_OK):
        return out.parent
    out.mkdir(exist_ok=True)
    return out


def _write_marker(stage: Path) -> None:
    written = {entry.as_posix(): _sha256(stage / entry)
               for top in sorted(os.listdir(stage)) if top != STAGE_MARKER
               for entry in _files_under(stage, stage / top) if (stage / entry).is_file()}
    (stage / MARKER).write_text(json.dumps({"written_by": "gradproof", "files": written}, indent=1) + "\n")


def _install(stage: Path, out: Path) -> None:
    """Replace ``out``'s old products by the staged ones; on any failure put the old ones back."""
    out.mkdir(parents=True, exist_ok=True)
    _write_marker(stage)
    new = [name for name in sorted(os.listdir(stage)) if name != STAGE_MARKER]
    check_output_dir(out, tuple(new))
    old_tops = _own_tops(_written(out)) if (out / MARKER).exists() else set()
    old = [name for name in sorted(old_tops | set(new)) if (out / name).exists()]
    held = _make_stage(out, ".gradproof-old-")
    moved_old, moved_new = [], []
    try:
        for name in old:
            os.replace(out / name, held / name)
            moved_old.append(name)
        for name in new:
            os.replace(stage / name, out / name)
            moved_new.append(name)
    except BaseException:
        for name in reversed(moved_new):
            os.replace(out / name, stage / name)
        for name in reversed(moved_old):
            os.replace(held / name, out / name)
        shutil.rmtree(held, ignore_errors=True)
        raise
    shutil.rmtree(held, ignore_errors=True)


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """While staging, SIGTERM and SIGHUP raise :class:`Terminated` (where their handler was the default)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminated(signum, frame):
        raise Terminated(signum)

    changed = {}
    for signum in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if signum is not None and signal.getsignal(signum) == signal.SIG_DFL:
            changed[signum] = signal.signal(signum, terminated)
    try:
        yield
    finally:
        for signum, previous in changed.items():
            signal.signal(signum, previous)


@contextlib.contextmanager
def staged_output(out: str | os.PathLike, products: tuple[str, ...] = ()) -> Iterator[Path]:
    """Yield an empty stage directory; when the block ends without error, its contents replace
    ``out``'s products (see the module docstring).  The stage is removed in every case, and
    ``out`` is checked before the block runs, so a refusal costs no work."""
    out = Path(out).resolve()
    check_output_dir(out, products)
    with _terminate_as_interrupt():
        parent = _stage_parent(out)
        remove_stale_stages(parent, out)
        stage = _make_stage(parent, ".gradproof-stage-")
        try:
            yield stage
            _install(stage, out)
        except OSError as error:
            raise _naming_out(error, stage, out) from error
        finally:
            shutil.rmtree(stage, ignore_errors=True)


def _naming_out(error: OSError, stage: Path, out: Path) -> OSError:
    """The error, naming the path in ``out`` that could not be written (the stage is temporary;
    a full disk names no file at all)."""
    name = error.filename
    if name is None:
        name = out
    elif Path(name).is_relative_to(stage):
        name = out / Path(name).relative_to(stage)
    else:
        return error
    return type(error)(error.errno, error.strerror, str(name))
