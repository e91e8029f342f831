"""Installing a staged report into the output directory, file by file, with a journal.

``out`` holds the old report's files (those its marker lists) and maybe files of the user's.
The install touches only listed files:

1. ``out/.gradproof-old-*/journal.json`` records the stage, the old listing and the new one
   (written to a temporary name, then renamed: it exists whole or not at all);
2. each file of the old listing is moved into that folder, then hashed: a file that is not
   what gradproof wrote (edited since the check) stops the install, which is rolled back;
3. each new file is moved from the stage to its place, never over anything (a file that
   appeared there meanwhile stops the install, which is rolled back);
4. with every new file in place the report is installed: the new marker replaces the old one
   (written in the journal's folder, then renamed);
5. the old files, the folders only they needed and the stage are removed.

Nothing else is moved or removed: a file or folder of the user's, wherever it is and whenever
it appeared, stays where it is.  A run killed during the install (SIGKILL: nothing can run)
leaves the journal, and the next run into ``out`` finishes it (every new file in place) or
rolls it back (the old files moved back), before it does anything else (:func:`recover`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

from gradproof.symbolic import InputError

from ._fs import UnreadableError, is_regular, lexists, move_no_replace, read_json, sha256

__all__ = ["JOURNAL", "install", "recover", "marker_bytes", "OLD_FILES"]

JOURNAL = "journal.json"
MARKER = ".gradproof-report.json"
MARKER_PART = "marker.part"
OLD_FILES = "files"
JOURNAL_LIMIT = 64 << 20


def marker_bytes(files: dict[str, str]) -> bytes:
    """The marker listing ``files`` (relative path -> SHA-256)."""
    return (json.dumps({"written_by": "gradproof", "files": files}, indent=1) + "\n").encode()


def _parents(names) -> set[str]:
    """Every folder that holds one of ``names`` (relative paths), at any depth."""
    return {Path(*Path(name).parts[:i]).as_posix() for name in names for i in range(1, len(Path(name).parts))}


def _make_folders(out: Path, name: str) -> None:
    """The folders of ``out/name``: made where missing, refused where something else is in the way."""
    folder = out
    for part in Path(name).parts[:-1]:
        folder = folder / part
        try:
            folder.mkdir()
        except FileExistsError:
            if folder.is_symlink() or not folder.is_dir():
                raise InputError(f"--out {out}: {folder.relative_to(out)} is in the way of the report's files "
                                 "(not a plain folder); nothing was replaced") from None


def _remove_empty_folders(out: Path, folders) -> None:
    """Remove those of ``folders`` (relative) that are empty, deepest first; others stay."""
    for name in sorted(folders, key=lambda n: -len(Path(n).parts)):
        with contextlib.suppress(OSError):
            os.rmdir(out / name)


def _write_journal(held: Path, journal: dict) -> None:
    temporary = held / (JOURNAL + ".part")
    temporary.write_text(json.dumps(journal))
    os.replace(temporary, held / JOURNAL)


def install(stage: Path, out: Path, held: Path, old: dict[str, str], new: dict[str, str], created: bool) -> None:
    """Replace the files listed in ``old`` by the staged files listed in ``new`` (see the module
    docstring); on any failure roll back and re-raise.  ``held`` is an empty folder in ``out``."""
    journal = {"stage": str(stage), "old": old, "new": new, "created": created}
    _write_journal(held, journal)
    try:
        _forward(stage, out, held, old, new)
    except BaseException:
        roll_back(out, held, journal)
        raise
    finish(out, held, journal)


def _forward(stage: Path, out: Path, held: Path, old: dict[str, str], new: dict[str, str]) -> None:
    kept = held / OLD_FILES
    kept.mkdir(exist_ok=True)
    for name, digest in sorted(old.items()):
        if not is_regular(out / name):
            continue  # gone already (the user removed it): nothing to move
        _make_folders(kept, name)
        os.replace(out / name, kept / name)
        try:
            same = sha256(kept / name) == digest
        except UnreadableError:
            same = False
        if not same:
            raise InputError(f"--out {out}: {name} was changed while the report was being installed; "
                             "nothing was replaced")
    for name in sorted(new):
        _make_folders(out, name)
        try:
            move_no_replace(stage / name, out / name)
        except FileExistsError:
            raise InputError(f"--out {out}: {name} appeared while the report was being installed; it is "
                             "left as it is, and nothing was replaced") from None


def _placed(out: Path, stage: Path, new: dict[str, str]) -> list[str]:
    """The new files moved into ``out`` already (gone from the stage, in place with their hash)."""
    placed = []
    for name, digest in new.items():
        if lexists(stage / name) or not is_regular(out / name):
            continue
        with contextlib.suppress(UnreadableError):
            if sha256(out / name) == digest:
                placed.append(name)
    return placed


def roll_back(out: Path, held: Path, journal: dict) -> None:
    """Put ``out`` back as the old marker lists it: the new files go back to the stage, the old
    ones back to their places.  Safe to run again after it was cut short."""
    stage, old, new = Path(journal["stage"]), journal["old"], journal["new"]
    for name in sorted(_placed(out, stage, new), reverse=True):
        (stage / name).parent.mkdir(parents=True, exist_ok=True)
        os.replace(out / name, stage / name)
    kept = held / OLD_FILES
    left = []
    for name in sorted(old):
        if lexists(kept / name):
            try:
                _make_folders(out, name)
                move_no_replace(kept / name, out / name)
            except (FileExistsError, InputError):
                left.append(name)  # something took its place meanwhile: kept, never overwritten
    _remove_empty_folders(out, _parents(new) - _parents(old))
    if left:
        raise InputError(f"--out {out}: could not put back {left[0]} (something else is at its place now); "
                         f"the old file is kept in {held}")
    shutil.rmtree(held, ignore_errors=True)
    if journal.get("created"):
        with contextlib.suppress(OSError):
            os.rmdir(out)


def finish(out: Path, held: Path, journal: dict) -> None:
    """The new report is in place: write its marker (if a killed run did not) and remove the old
    files (checked to be gradproof's: one that is not stays in ``held``) and their folders."""
    old, new = journal["old"], journal["new"]
    (held / MARKER_PART).write_bytes(marker_bytes(new))
    os.replace(held / MARKER_PART, out / MARKER)
    kept = held / OLD_FILES
    foreign = False
    for name, digest in old.items():
        if lexists(kept / name):
            try:
                ours = sha256(kept / name) == digest
            except UnreadableError:
                ours = False
            if ours:
                os.unlink(kept / name)
            else:
                foreign = True
    _remove_empty_folders(out, _parents(old) - _parents(new))
    if not foreign:
        shutil.rmtree(held, ignore_errors=True)


def _inside(name) -> bool:
    return isinstance(name, str) and bool(Path(name).parts) and not Path(name).is_absolute() \
        and ".." not in Path(name).parts


def _valid(journal, out: Path) -> bool:
    """A journal as :func:`install` writes it, naming only files inside ``out`` and a stage
    folder beside or inside it (so that recovering can never move or remove anything else)."""
    if not isinstance(journal, dict) or not isinstance(journal.get("stage"), str):
        return False
    stage = Path(journal["stage"])
    if stage.parent not in (out, out.parent) or not stage.name.startswith(".gradproof-stage-"):
        return False
    return all(isinstance(journal.get(key), dict) and all(_inside(n) and isinstance(d, str)
                                                         for n, d in journal[key].items())
               for key in ("old", "new"))


def recover(out: Path, held: Path) -> None:
    """Finish or roll back the install that a killed run left in ``held`` (its journal says which
    files it meant to move); a folder without a journal had moved nothing and is removed."""
    try:
        journal = read_json(held / JOURNAL, JOURNAL_LIMIT)
    except UnreadableError:
        if not lexists(held / JOURNAL):
            shutil.rmtree(held, ignore_errors=True)
        return
    if not _valid(journal, out):
        return  # not a journal this version wrote: left alone
    stage = Path(journal["stage"])
    if len(_placed(out, stage, journal["new"])) == len(journal["new"]):
        finish(out, held, journal)
    else:
        roll_back(out, held, journal)
    shutil.rmtree(stage, ignore_errors=True)
