"""Labelled data files read in chunks: a memory-mapped .npy (label in the last column)
or a CSV with a header (numeric feature columns and one 0/1 label column).

Each chunk is (X [n, d] float64, y [n]) as numpy arrays; only one chunk is held at a
time, and a chunk ends at ``chunk_size`` rows or at :data:`CHUNK_BYTES` of input,
whichever comes first, so memory is bounded by bytes read whatever the number of
columns.  Only regular files are read (never a device, a FIFO or a directory), lines
are read with a length limit, and only real numbers are accepted (no complex, bool,
date or object arrays).  Problems are :class:`InputError` naming the argument
(``data file``, ``label``, ``chunk_size``), the row and the column; an error quotes at
most a short excerpt of the file, never its contents.
"""

from __future__ import annotations

import csv
import itertools
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gradproof.symbolic import InputError

__all__ = ["LabelledFile", "open_labelled_file", "read_labelled_csv", "Table", "CHUNK_BYTES",
           "MAX_LINE_BYTES", "check_regular_file", "check_real_dtype", "excerpt"]

CHUNK_BYTES = 1 << 22  # 4 MiB of input per chunk (CSV text, or .npy rows)
MAX_LINE_BYTES = 1 << 22  # a longer CSV line is refused, not read
EXCERPT_CHARS = 30


@dataclass(frozen=True)
class Table:
    """Features ``X`` [N, d] (float64), labels ``y`` [N] in {0, 1}, and the column names."""

    X: np.ndarray
    y: np.ndarray
    features: tuple[str, ...]
    label: str


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A short quoted excerpt of file contents for an error message."""
    return repr(text[:limit] + "..." if len(text) > limit else text)


def check_regular_file(path: Path, name: str) -> Path:
    """``path`` must be an existing regular file: a device (``/dev/zero``), a FIFO or a
    directory could be endless or block, so none is read."""
    if not path.exists():
        raise InputError(f"{name} {path}: no such file", argument=name)
    if not path.is_file():
        raise InputError(f"{name} {path}: not a regular file (devices, FIFOs and directories are not read)",
                         argument=name)
    return path


def check_real_dtype(dtype: np.dtype, name: str, path: Path) -> None:
    """Integers and floats only: complex would lose its imaginary part, bool, timedelta and
    datetime are not measurements, objects would need pickle."""
    if dtype.kind not in "iuf":
        raise InputError(f"{name} {path}: expected real numbers (integer or float), got dtype {dtype}", argument=name)


def _number(text: str, column: str, row: int, path: Path) -> float:
    if text.strip() == "":
        raise InputError(f"data file {path}: missing value in column {excerpt(column)}, row {row}",
                         argument="data file")
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"data file {path}: column {excerpt(column)} is not numeric "
                         f"(row {row} holds {excerpt(text.strip())})", argument="data file") from None
    if not math.isfinite(value):
        raise InputError(f"data file {path}: missing or infinite value in column {excerpt(column)}, row {row}",
                         argument="data file")
    return value


def _check_labels(y: np.ndarray, label: str) -> None:
    bad = ~np.isin(y, (0.0, 1.0))
    if bad.any():
        raise InputError(f"label {excerpt(label)}: labels must be 0 or 1, found {y[bad][0]:g}", argument="label")


class _Lines:
    """The lines of a text file, each at most MAX_LINE_BYTES long, counting characters read."""

    def __init__(self, handle, path: Path):
        self.handle, self.path, self.read = handle, path, 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        try:
            line = self.handle.readline(MAX_LINE_BYTES + 1)
        except UnicodeDecodeError as error:
            raise InputError(f"data file {self.path}: not UTF-8 text ({error.reason} at byte {error.start} "
                             "of a line)", argument="data file") from None
        if not line:
            raise StopIteration
        if len(line) > MAX_LINE_BYTES:
            raise InputError(f"data file {self.path}: a line is longer than {MAX_LINE_BYTES} characters",
                             argument="data file")
        if "\0" in line:
            raise InputError(f"data file {self.path}: contains NUL bytes, so it is not a CSV text file",
                             argument="data file")
        self.read += len(line)
        return line


class _Replay:
    """A handle whose ``readline`` hands out the given lines (already read and limited)."""

    def __init__(self, lines) -> None:
        self.lines = iter(lines)

    def readline(self, limit: int) -> str:
        return next(self.lines, "")


def _fast_block(lines: list[str], fields: int) -> np.ndarray | None:
    """The chunk's numbers by numpy's C parser, or None where it does not read them exactly as the
    csv module and ``float`` would (then the caller parses the chunk field by field)."""
    if any(not line.strip() for line in lines):
        return None  # a blank line is a row of no fields, an error that the slow path names
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            block = np.loadtxt(lines, delimiter=",", dtype=np.float64, comments=None, ndmin=2,
                               quotechar=None)
    except (ValueError, UserWarning):
        return None
    if block.shape != (len(lines), fields) or not np.isfinite(block).all():
        return None
    return block


def _csv_rows(handle, path: Path) -> Iterator[tuple[list[str], int]]:
    """Rows of a CSV with the characters read so far; csv's own errors become InputError."""
    return _csv_rows_of(_Lines(handle, path), path)


def _csv_rows_of(lines: _Lines, path: Path) -> Iterator[tuple[list[str], int]]:
    reader = csv.reader(lines)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise InputError(f"data file {path}: unreadable CSV near line {reader.line_num} ({error})",
                             argument="data file") from None
        yield row, lines.read


@dataclass(frozen=True)
class LabelledFile:
    """A data file to be read in chunks of at most ``chunk_size`` rows and about CHUNK_BYTES."""

    path: Path
    label: str
    features: tuple[str, ...]
    chunk_size: int

    def chunks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        if self.path.suffix == ".npy":
            yield from self._npy_chunks()
        else:
            yield from self._csv_chunks()

    def _npy_chunks(self):
        array = np.load(self.path, mmap_mode="r", allow_pickle=False)
        rows = max(1, min(self.chunk_size, CHUNK_BYTES // max(1, array.itemsize * array.shape[1])))
        for start in range(0, array.shape[0], rows):
            block = np.array(array[start:start + rows], dtype=np.float64)
            if not np.isfinite(block).all():
                row = start + int(np.argwhere(~np.isfinite(block))[0][0])
                raise InputError(f"data file {self.path}: missing or infinite value in row {row}", argument="data file")
            _check_labels(block[:, -1], self.label)
            yield block[:, :-1], block[:, -1]

    def _csv_chunks(self):
        """Chunks of a CSV, each the same rows whatever path parses it.

        Fast path: a chunk of lines with no quote character is parsed by numpy's C reader
        (``np.loadtxt``), and its shape and finiteness are checked.  Anything that path does not
        accept exactly (a quote, a blank line, a wrong field count, text, an empty, infinite or
        NaN value) is parsed again by the ``csv`` module field by field, which either reads the
        same numbers or raises the error naming the row and the column.  From the first chunk
        holding a quote on, the ``csv`` module reads the rest (a quoted field may span lines).
        """
        with self.path.open(newline="", encoding="utf-8") as handle:
            lines = _Lines(handle, self.path)
            header_rows = _csv_rows(_Replay([next(lines, "")]), self.path)
            header = [h.strip() for h in next(header_rows)[0]]
            column = header.index(self.label)
            number = 2
            while True:
                chunk, start = [], lines.read
                for line in lines:
                    chunk.append(line)
                    if len(chunk) == self.chunk_size or lines.read - start >= CHUNK_BYTES:
                        break
                if not chunk:
                    return
                if any('"' in line for line in chunk):
                    yield from self._csv_module_chunks(itertools.chain(chunk, lines), header, column, number)
                    return
                block = _fast_block(chunk, len(header))
                if block is None:
                    block = self._parse_rows(csv.reader(chunk), header, number)
                yield self._split_block(block, column)
                number += len(chunk)

    def _csv_module_chunks(self, source, header, column, number):
        """The csv module's reading of the rest of the file, in chunks as above."""
        counted = _Lines(_Replay(source), self.path)
        rows_of = _csv_rows_of(counted, self.path)
        rows: list[list[float]] = []
        start = 0
        for row, read in rows_of:
            rows.append(self._number_row(row, header, number))
            number += 1
            if len(rows) == self.chunk_size or read - start >= CHUNK_BYTES:
                yield self._split(rows, column)
                rows, start = [], read
        if rows:
            yield self._split(rows, column)

    def _parse_rows(self, reader, header, number) -> np.ndarray:
        rows = []
        try:
            for offset, row in enumerate(reader):
                rows.append(self._number_row(row, header, number + offset))
        except csv.Error as error:
            raise InputError(f"data file {self.path}: unreadable CSV near line {number + reader.line_num - 1} "
                             f"({error})", argument="data file") from None
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(header))

    def _number_row(self, row, header, number) -> list[float]:
        if len(row) != len(header):
            raise InputError(f"data file {self.path}: row {number} has {len(row)} fields, "
                             f"the header has {len(header)}", argument="data file")
        return [_number(text, header[c], number, self.path) for c, text in enumerate(row)]

    def _split_block(self, block, column):
        y = block[:, column]
        _check_labels(y, self.label)
        return np.delete(block, column, axis=1), y

    def _split(self, rows, column):
        return self._split_block(np.asarray(rows, dtype=np.float64), column)


def open_labelled_file(path: str | Path, label: str | None = None, chunk_size: int = 65536) -> LabelledFile:
    """Check that ``path`` is a readable data file naming its label column; nothing is read
    yet but the header."""
    path = Path(path)
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise InputError(f"chunk_size: expected a positive integer, got {chunk_size!r}", argument="chunk_size")
    check_regular_file(path, "data file")
    if path.suffix == ".npy":
        return _open_npy(path, label, chunk_size)
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(_csv_rows(handle, path), ([], 0))[0]
    if not header:
        raise InputError(f"data file {path}: the file is empty", argument="data file")
    header = [h.strip() for h in header]
    label = header[-1] if label is None else label
    if label not in header:
        shown = ", ".join(excerpt(h) for h in header[:8]) + (", ..." if len(header) > 8 else "")
        raise InputError(f"label {excerpt(label)}: no such column in {path} (columns: {shown})", argument="label")
    if len(header) < 2:
        raise InputError(f"data file {path}: needs at least one feature column besides {excerpt(label)}",
                         argument="data file")
    return LabelledFile(path, label, tuple(h for h in header if h != label), chunk_size)


def _open_npy(path: Path, label: str | None, chunk_size: int) -> LabelledFile:
    if label is not None:
        raise InputError("label: a .npy file has no column names; its last column is the label", argument="label")
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as error:
        if "Python objects" in str(error):
            check_real_dtype(np.dtype(object), "data file", path)
        raise InputError(f"data file {path}: not a readable .npy file ({excerpt(str(error), 80)})",
                         argument="data file") from None
    except OSError as error:
        raise InputError(f"data file {path}: not a readable .npy file ({excerpt(str(error), 80)})",
                         argument="data file") from None
    if not isinstance(array, np.ndarray) or array.ndim != 2 or array.shape[1] < 2:
        raise InputError(f"data file {path}: expected a numeric 2-D array with features then the label, "
                         f"got shape {getattr(array, 'shape', None)}", argument="data file")
    check_real_dtype(array.dtype, "data file", path)
    names = tuple(f"x{i}" for i in range(array.shape[1] - 1))
    return LabelledFile(path, "last column", names, chunk_size)


def read_labelled_csv(path: str | Path, label: str | None) -> Table:
    """Read a whole labelled file into memory; both classes must be present."""
    source = open_labelled_file(path, label)
    parts = list(source.chunks())
    if not parts:
        raise InputError(f"data file {source.path}: no data rows", argument="data file")
    X = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    if len(np.unique(y)) < 2:
        raise InputError(f"label {excerpt(source.label)}: only one class ({int(y[0])}) in {source.path}; "
                         "need both 0 and 1", argument="label")
    return Table(X, y, source.features, source.label)
