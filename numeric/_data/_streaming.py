"""Batch statistics over data larger than memory: chunks in, mergeable sums out.

However a file is read (whatever its chunks), the data is first cut again into **windows** of
:func:`window_rows` rows, a number fixed by the number of features alone (about
:data:`WINDOW_BYTES` of float64 rows, a multiple of the fit's batch size): each window
contributes its :class:`GradientMoments`, merged by addition in order, and the fit shuffles
within each window.  So one pass over a file of any length needs O(d) memory besides one window
and one chunk, and the statistics and the fit are the same, bit for bit, for every chunk size
(``chunk_size`` bounds memory and nothing else).  Data of at most one window is one window: the
in-memory computation itself.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
import torch

from gradproof.symbolic import InputError

from .._statistics import GradientMoments, logreg_moments
from .._training import LogregState, logreg_sgd
from .._validation import check_seed
from ._files import check_real_dtype, check_regular_file, excerpt

__all__ = ["stream_logreg_moments", "fit_logreg_streaming", "load_weights", "windows", "window_rows",
           "WINDOW_BYTES", "BATCH_MULTIPLE"]

Chunks = Callable[[], Iterator[tuple[np.ndarray, np.ndarray]]]
WINDOW_BYTES = 1 << 22  # about 4 MiB of float64 rows (features and label) per window
BATCH_MULTIPLE = 64  # windows hold whole batches of the fit (its BATCH_SIZE divides this)


def window_rows(features: int) -> int:
    """Rows per window for data of ``features`` columns: depends on nothing else."""
    rows = WINDOW_BYTES // (8 * (features + 1))
    return max(BATCH_MULTIPLE, rows // BATCH_MULTIPLE * BATCH_MULTIPLE)


def windows(chunks: Iterable[tuple[np.ndarray, np.ndarray]], rows: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The rows of ``chunks`` cut again into blocks of exactly ``rows`` rows (the last one shorter),
    so that what follows does not depend on where the chunks ended."""
    Xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    held = 0
    for X, y in chunks:
        start = 0
        while start < len(y):
            take = min(rows - held, len(y) - start)
            Xs.append(X[start:start + take])
            ys.append(y[start:start + take])
            held, start = held + take, start + take
            if held == rows:
                yield np.concatenate(Xs), np.concatenate(ys)
                Xs, ys, held = [], [], 0
    if held:
        yield np.concatenate(Xs), np.concatenate(ys)


def _tensors(X: np.ndarray, y: np.ndarray, dtype, device) -> tuple[torch.Tensor, torch.Tensor]:
    return (torch.as_tensor(X, dtype=dtype, device=device), torch.as_tensor(y, dtype=dtype, device=device))


def stream_logreg_moments(chunks: Iterable[tuple[np.ndarray, np.ndarray]], w: torch.Tensor,
                          b: torch.Tensor) -> GradientMoments:
    """Merge the moments of every window of the chunks (see the module docstring): one pass, O(d)
    memory besides the window and the chunk in hand."""
    total = None
    for X, y in windows(chunks, window_rows(w.shape[0])):
        if X.shape[1] != w.shape[0]:
            raise InputError(f"w: {w.shape[0]} weights, but the data has {X.shape[1]} features", argument="w")
        part = logreg_moments(*_tensors(X, y, w.dtype, w.device), w, b)
        total = part if total is None else total.merge(part)
    if total is None:
        raise InputError("data: no rows", argument="data")
    return total


def fit_logreg_streaming(chunks: Chunks, features: int, *, epochs: int = 3, batch_size: int = 256,
                         lr: float = 0.5, seed: int = 0, dtype=torch.float64,
                         device="cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """Mini-batch SGD on the mean BCE over the data, ``epochs`` times, shuffled within each window
    (see the module docstring: the chunks' sizes make no difference)."""
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise InputError(f"epochs: expected a positive integer, got {epochs!r}", argument="epochs")
    gen = torch.Generator().manual_seed(check_seed(seed))
    state = LogregState(torch.zeros(features, dtype=dtype, device=device),
                        torch.zeros((), dtype=dtype, device=device))

    def batches():
        for _ in range(epochs):
            for X_np, y_np in windows(chunks(), window_rows(features)):
                X, y = _tensors(X_np, y_np, dtype, device)
                for idx in torch.randperm(X.shape[0], generator=gen).split(batch_size):
                    yield X[idx], y[idx]

    state = logreg_sgd(state, batches(), lr=lr)
    return state.w, state.b


def _read_bounded(path: Path, limit: int) -> bytes:
    """At most ``limit`` bytes of ``path``; a longer file is refused (a file that claims to be
    small may still stream, as files in /proc do)."""
    with path.open("rb") as handle:
        content = handle.read(limit + 1)
    if len(content) > limit:
        raise InputError(f"weights file {path}: longer than {limit} bytes, too long for a list of weights",
                         argument="weights file")
    return content


def _parse_weights(path: Path, content: bytes) -> np.ndarray:
    try:
        if path.suffix == ".npy":
            values = np.load(io.BytesIO(content), allow_pickle=False)
            check_real_dtype(values.dtype, "weights file", path)
            return values
        return np.loadtxt(io.StringIO(content.decode("utf-8")), delimiter=",", ndmin=1, dtype=np.float64)
    except (OSError, ValueError, EOFError) as error:
        if isinstance(error, InputError):
            raise
        raise InputError(f"weights file {path}: cannot read it ({excerpt(str(error), 80)})",
                         argument="weights file") from None


def load_weights(path: str | Path, features: int, dtype=torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """d weights followed by the bias, from a .npy file or a text file of comma-separated numbers.

    Only a regular file of a size that fits ``features + 1`` numbers is read (never a device
    such as /dev/zero or a FIFO), and only real numbers are accepted."""
    path = check_regular_file(Path(path), "weights file")
    values = _parse_weights(path, _read_bounded(path, 4096 + 64 * (features + 1)))
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if values.size != features + 1:
        raise InputError(f"weights file {path}: expected {features} weights and a bias ({features + 1} numbers), "
                         f"got {values.size}", argument="weights file")
    if not np.isfinite(values).all():
        raise InputError(f"weights file {path}: contains NaN or infinite values", argument="weights file")
    tensor = torch.as_tensor(values, dtype=dtype)
    return tensor[:-1].clone(), tensor[-1].clone()
