"""Reading a user's CSV: numeric feature columns and one 0/1 label column.

Every problem is a ValueError with one line naming the file, the column or
the row, and what was wrong.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Table", "read_labelled_csv"]


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


def read_labelled_csv(path: str | Path, label: str | None) -> Table:
    """Read ``path``; ``label`` names the 0/1 label column (default: the last column)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"--data {path}: no such file")
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows or not rows[0]:
        raise ValueError(f"--data {path}: the file is empty")
    header, body = [h.strip() for h in rows[0]], rows[1:]
    label = header[-1] if label is None else label
    if label not in header:
        raise ValueError(f"--label {label!r}: no such column in {path} (columns: {', '.join(header)})")
    if len(header) < 2:
        raise ValueError(f"--data {path}: needs at least one feature column besides {label!r}")
    values = np.empty((len(body), len(header)))
    for r, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise ValueError(f"--data {path}: row {r} has {len(row)} fields, the header has {len(header)}")
        values[r - 2] = [_number(text, header[c], r, path) for c, text in enumerate(row)]
    column = header.index(label)
    y = values[:, column]
    if not np.isin(y, (0.0, 1.0)).all():
        bad = y[~np.isin(y, (0.0, 1.0))][0]
        raise ValueError(f"--label {label!r}: labels must be 0 or 1, found {bad:g}")
    if len(np.unique(y)) < 2:
        raise ValueError(f"--label {label!r}: only one class ({int(y[0])}) in {path}; need both 0 and 1")
    features = tuple(h for c, h in enumerate(header) if c != column)
    return Table(np.delete(values, column, axis=1), y, features, label, str(path))
