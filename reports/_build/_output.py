"""The report's output directory: gradproof only ever removes what it wrote.

A directory gradproof writes a report into carries a marker, ``.gradproof-report.json``,
listing every file it wrote there with its SHA-256.  A new report is written into a stage
directory first and replaces the old one only at the end (:func:`staged_output`).  The
output directory may be new, empty, or marked; in a marked one, a product is replaced
only when every file in it is listed in the marker and unchanged.  Anything else (a
directory of the user's own files, a file the user edited or added to ``figures/``, a
symbolic link, the file system's root, the home directory, a marker that is not a regular
file of bounded size holding a listing) is refused with an :class:`InputError` before any
work is done.  Files of the user's beside the products are left alone.

One run at a time writes into a directory (``_lock``: a second one is refused at once).  The
install moves only the files the markers list, one by one, and never over anything
(``_install``): a file or folder the user makes meanwhile stays where it is.  Once it has
begun, the install is finished even if SIGINT, SIGTERM or SIGHUP arrives; the signal takes
effect after it, and ``on_installed`` has been told (``_signals``).  A run killed with SIGKILL
leaves a journal that the next run into the directory finishes or rolls back first.

Stage directories record the host, boot, process (pid and start time) and output directory
that made them; a later run removes those whose process is provably gone (killed with
SIGKILL, say), or that were made for its own directory (whose lock it now holds).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from gradproof.symbolic import InputError

from ._fs import UnreadableError, is_regular, lexists, read_json, sha256, walk
from ._install import install, recover
from ._lock import LOCK_PREFIX, OutputLock
from ._signals import Terminated, deferred_signals, redeliver, terminate_as_interrupt

__all__ = ["MARKER", "STAGE_MARKER", "Terminated", "staged_output", "check_output_dir", "remove_stale_stages",
           "MARKER_LIMIT"]

MARKER = ".gradproof-report.json"
STAGE_MARKER = ".gradproof-stage.json"
TEMPORARY_PREFIXES = (".gradproof-stage-", ".gradproof-old-", LOCK_PREFIX.rstrip("-"))
MARKER_LIMIT = 16 << 20  # the default report's marker is 12 kB; one with many losses stays far below
STAGE_MARKER_LIMIT = 4096


def _inside(name) -> bool:
    return isinstance(name, str) and bool(Path(name).parts) and not Path(name).is_absolute() \
        and ".." not in Path(name).parts


def _written(out: Path) -> dict[str, str]:
    """The files gradproof wrote in ``out``, relative path -> SHA-256, from its marker (read only
    as a regular file of at most MARKER_LIMIT bytes)."""
    try:
        marker = read_json(out / MARKER, MARKER_LIMIT)
    except UnreadableError as reason:
        raise InputError(f"--out {out}: its marker {MARKER} is unreadable (it {reason}); gradproof cannot tell "
                         "which files it wrote there, so it replaces none") from None
    listed = marker.get("files") if isinstance(marker, dict) else None
    if not isinstance(listed, dict) or not all(isinstance(digest, str) for digest in listed.values()):
        raise InputError(f"--out {out}: its marker {MARKER} is unreadable (it lists no files); gradproof cannot "
                         "tell which files it wrote there, so it replaces none")
    if not all(_inside(name) for name in listed):
        raise InputError(f"--out {out}: its marker {MARKER} lists paths outside the directory")
    return listed


def _foreign(out: Path, top: str, written: dict[str, str]) -> str | None:
    """The first entry under ``out/top`` that gradproof did not write as it is now, if any."""
    for entry in walk(out, out / top):
        path = out / entry
        if path.is_symlink() or not (path.is_dir() or path.is_file()):
            return f"{entry} is not a plain file or directory"
        if path.is_file():
            try:
                same = written.get(entry.as_posix()) == sha256(path)
            except UnreadableError:
                return f"{entry} is not a plain file or directory"
            if not same:
                return f"{entry} was not written by gradproof, or was changed since"
    return None


def _own_tops(written: dict[str, str]) -> set[str]:
    return {Path(name).parts[0] for name in written}


def _check_target(out: Path) -> None:
    """Refuse what is never a report's directory: a file, the root, the home directory."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a directory")
    try:
        home = Path.home().resolve()
    except (RuntimeError, KeyError):  # no home directory known
        home = None
    if out == Path(out.anchor) or out == home:
        raise InputError(f"--out {out}: refusing to write a report into the file system's root or the home "
                         "directory; give a directory of its own")


def check_output_dir(out: Path, products: tuple[str, ...] = ()) -> None:
    """Refuse (InputError) an ``out`` whose products gradproof could not replace safely."""
    _check_target(out)
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


def _owner(out: Path) -> dict:
    return {"host": socket.gethostname(), "boot": _boot_id(), "pid": os.getpid(), "start": _start_time(os.getpid()),
            "out": str(out)}


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


def _stale(folder: Path, holding: Path | None) -> bool:
    """A stage (or install) folder of a run that is over: provably dead, or one made for the
    directory ``holding`` whose lock this process holds.  Its record is read only as a small
    regular file; a folder without a readable one is not provably gradproof's, and is kept."""
    try:
        owner = read_json(folder / STAGE_MARKER, STAGE_MARKER_LIMIT)
    except UnreadableError:
        return _stale_unrecorded(folder)
    if not isinstance(owner, dict):
        return False
    if holding is not None and owner.get("out") == str(holding) and owner.get("host") == socket.gethostname():
        return True  # made for the folder whose lock is held now: by a run that is over, this process's too
    return owner.get("pid") != os.getpid() and _provably_dead(owner)


def _tag() -> str:
    """This machine and boot, in eight characters (for the names of stage folders)."""
    return hashlib.sha256(f"{socket.gethostname()} {_boot_id()}".encode()).hexdigest()[:8]


def _stale_unrecorded(folder: Path) -> bool:
    """A folder killed before its record was written: its name says the machine, the process and
    its start time; it is stale when that process is gone and the folder holds nothing else."""
    parts = folder.name.split("-")  # .gradproof-stage-TAG-PID-START-RANDOM
    if len(parts) != 6 or parts[2] != _tag() or not parts[3].isdigit():
        return False
    pid, start = int(parts[3]), parts[4]
    if pid == os.getpid() or not _provably_dead({"host": socket.gethostname(), "pid": pid, "start": start}):
        return False
    try:
        return set(os.listdir(folder)) <= {STAGE_MARKER}
    except OSError:
        return False


def _temporaries(folder: Path, prefix: str) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.name.startswith(prefix) and p.is_dir() and not p.is_symlink())
    except OSError:
        return []


def remove_stale_stages(*folders: Path, holding: Path | None = None) -> list[Path]:
    """Remove the stage directories in ``folders`` left by runs that were killed; return them."""
    removed = []
    for folder in folders:
        for stage in _temporaries(folder, ".gradproof-stage-"):
            if _stale(stage, holding):
                shutil.rmtree(stage, ignore_errors=True)
                removed.append(stage)
    return removed


def _recover(out: Path) -> None:
    """Finish or roll back the installs that killed runs left in ``out`` (their journals)."""
    for held in _temporaries(out, ".gradproof-old-"):
        if _stale(held, out):
            recover(out, held)


def _make_stage(parent: Path, prefix: str, out: Path) -> Path:
    """A new stage folder whose name, then its record, say whose it is."""
    stage = Path(tempfile.mkdtemp(prefix=f"{prefix}{_tag()}-{os.getpid()}-{_start_time(os.getpid())}-", dir=parent))
    (stage / STAGE_MARKER).write_text(json.dumps(_owner(out)))
    return stage


def _stage_parent(out: Path) -> Path:
    """Beside ``out`` (same file system, so installing is renames), or inside it when the
    parent is not writable (``--out .`` in a read-only parent, say) or ``out`` is a mount point."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if os.access(out.parent, os.W_OK) and not (out.is_dir() and os.stat(out).st_dev != os.stat(out.parent).st_dev):
        return out.parent
    out.mkdir(exist_ok=True)
    return out


def _listing(stage: Path) -> dict[str, str]:
    """Every file in the stage (its own record aside), relative path -> SHA-256, in order."""
    return {entry.as_posix(): sha256(stage / entry)
            for top in sorted(os.listdir(stage)) if top != STAGE_MARKER
            for entry in walk(stage, stage / top) if is_regular(stage / entry)}


def _install(stage: Path, out: Path) -> None:
    """Replace ``out``'s old products by the staged ones (``_install``)."""
    new = _listing(stage)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    check_output_dir(out, tuple(sorted(_own_tops(new))))  # again: the user may have added files meanwhile
    old = _written(out) if lexists(out / MARKER) else {}
    held = _make_stage(out, ".gradproof-old-", out)
    install(stage, out, held, old, new, created)


@contextlib.contextmanager
def staged_output(out: str | os.PathLike, products: tuple[str, ...] = (),
                  on_installed: Callable[[Path], None] | None = None) -> Iterator[Path]:
    """Yield an empty stage directory; when the block ends without error, its contents replace
    ``out``'s products (see the module docstring).  The stage is removed in every case, and
    ``out`` is checked before the block runs, so a refusal costs no work.  ``on_installed(out)``
    is called once the new report is in place, before a signal that arrived meanwhile is raised."""
    out = Path(out).resolve()
    _check_target(out)
    caught: list[int] = []
    with terminate_as_interrupt():
        parent = _stage_parent(out)
        lock = OutputLock(out, parent)
        try:
            with deferred_signals(caught):  # whatever arrives, nothing is left half made or half undone
                lock.acquire()
                _recover(out)
                remove_stale_stages(parent, out, holding=out)
            redeliver(caught)
            check_output_dir(out, products)
            stage = None
            try:
                with deferred_signals(caught):
                    stage = _make_stage(parent, ".gradproof-stage-", out)
                redeliver(caught)
                yield stage
            except BaseException as error:
                with deferred_signals(caught):
                    if stage is not None:
                        shutil.rmtree(stage, ignore_errors=True)
                if isinstance(error, OSError) and stage is not None:
                    raise _naming_out(error, stage, out) from error
                raise
            with deferred_signals(caught):
                try:
                    _install(stage, out)
                except OSError as error:
                    raise _naming_out(error, stage, out) from error
                finally:
                    shutil.rmtree(stage, ignore_errors=True)
                if on_installed is not None:
                    on_installed(out)
        finally:
            with deferred_signals(caught):
                lock.release()
        redeliver(caught)


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
