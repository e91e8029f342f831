"""Labelled data files read in chunks: a memory-mapped .npy (label in the last column)
or a CSV with a header (numeric feature columns and one 0/1 label column).

Each chunk is (X [n, d] float64, y [n]) as numpy arrays; only one chunk is held
at a time.  Problems are ValueErrors naming the file, column or row.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["LabelledFile", "open_labelled_file", "read_labelled_csv", "Table"]


@dataclass(frozen=True)
class Table:
    """Features ``X`` [N, d] (float64), labels ``y`` [N] in {0, 1}, and the column names."""

    X: np.ndarray
    y: np.ndarray
    features: tuple[str, ...]
    label: str
    source: str


def _number(text: str, column: str, row: int, path: Path) -> float:
    if text.strip() == "":
        raise ValueError(f"--data {path}: missing value in column {column!r}, row {row}")
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"--data {path}: column {column!r} is not numeric "
                         f"(row {row} holds {text.strip()[:30]!r})") from None
    if not math.isfinite(value):
        raise ValueError(f"--data {path}: missing or infinite value in column {column!r}, row {row}")
    return value


def _check_labels(y: np.ndarray, label: str) -> None:
    bad = ~np.isin(y, (0.0, 1.0))
    if bad.any():
        raise ValueError(f"--label {label!r}: labels must be 0 or 1, found {y[bad][0]:g}")


@dataclass(frozen=True)
class LabelledFile:
    """A data file to be read in chunks of ``chunk_size`` rows."""

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
        array = np.load(self.path, mmap_mode="r")
        for start in range(0, array.shape[0], self.chunk_size):
            block = np.array(array[start:start + self.chunk_size], dtype=np.float64)
            if not np.isfinite(block).all():
                row = start + int(np.argwhere(~np.isfinite(block))[0][0])
                raise ValueError(f"--data {self.path}: missing or infinite value in row {row}")
            _check_labels(block[:, -1], self.label)
            yield block[:, :-1], block[:, -1]

    def _csv_chunks(self):
        with self.path.open(newline="") as handle:
            reader = csv.reader(handle)
            header = [h.strip() for h in next(reader)]
            column = header.index(self.label)
            rows: list[list[float]] = []
            for number, row in enumerate(reader, start=2):
                if len(row) != len(header):
                    raise ValueError(f"--data {self.path}: row {number} has {len(row)} fields, "
                                     f"the header has {len(header)}")
                rows.append([_number(text, header[c], number, self.path) for c, text in enumerate(row)])
                if len(rows) == self.chunk_size:
                    yield self._split(rows, column)
                    rows = []
            if rows:
                yield self._split(rows, column)

    def _split(self, rows, column):
        block = np.asarray(rows, dtype=np.float64)
        y = block[:, column]
        _check_labels(y, self.label)
        return np.delete(block, column, axis=1), y


def open_labelled_file(path: str | Path, label: str | None = None, chunk_size: int = 65536) -> LabelledFile:
    """Check that ``path`` exists and names its label column; nothing is read yet but the header."""
    path = Path(path)
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"--chunk-size: expected a positive integer, got {chunk_size!r}")
    if not path.is_file():
        raise ValueError(f"--data {path}: no such file")
    if path.suffix == ".npy":
        return _open_npy(path, label, chunk_size)
    with path.open(newline="") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        raise ValueError(f"--data {path}: the file is empty")
    header = [h.strip() for h in header]
    label = header[-1] if label is None else label
    if label not in header:
        raise ValueError(f"--label {label!r}: no such column in {path} (columns: {', '.join(header)})")
    if len(header) < 2:
        raise ValueError(f"--data {path}: needs at least one feature column besides {label!r}")
    return LabelledFile(path, label, tuple(h for h in header if h != label), chunk_size)


def _open_npy(path: Path, label: str | None, chunk_size: int) -> LabelledFile:
    if label is not None:
        raise ValueError("--label: a .npy file has no column names; its last column is the label")
    try:
        array = np.load(path, mmap_mode="r")
    except (ValueError, OSError) as error:
        raise ValueError(f"--data {path}: not a readable .npy file ({error})") from None
    if array.ndim != 2 or array.shape[1] < 2 or not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"--data {path}: expected a numeric 2-D array with features then the label, "
                         f"got shape {array.shape} and dtype {array.dtype}")
    names = tuple(f"x{i}" for i in range(array.shape[1] - 1))
    return LabelledFile(path, "last column", names, chunk_size)


def read_labelled_csv(path: str | Path, label: str | None) -> Table:
    """Read a whole labelled file into memory; both classes must be present."""
    source = open_labelled_file(path, label)
    parts = list(source.chunks())
    if not parts:
        raise ValueError(f"--data {source.path}: no data rows")
    X = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    if len(np.unique(y)) < 2:
        raise ValueError(f"--label {source.label!r}: only one class ({int(y[0])}) in {source.path}; "
                         "need both 0 and 1")
    return Table(X, y, source.features, source.label, str(source.path))
