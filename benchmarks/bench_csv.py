"""Reading a labelled CSV: gradproof's validated reader against numpy.loadtxt (no validation of
labels, row numbers or finiteness), on a file of about 95 MB (160,000 rows, 30 features and a
0/1 label, each feature written with 17 significant digits as a float64's repr would be).

gradproof's reader keeps its checks (every row's field count, missing, non-numeric, infinite or
NaN values named by row and column, labels in {0, 1}) and reads in chunks of at most 4 MiB; the
peer reads the whole file at once.  Target: at most 1.5x loadtxt's time.

Run: ``python benchmarks/bench_csv.py``
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import run_benchmark  # noqa: E402

from gradproof.numeric.data import read_labelled_csv  # noqa: E402

ROWS, FEATURES = 160_000, 30
PATH = Path(tempfile.gettempdir()) / f"gradproof-bench-{ROWS}x{FEATURES}.csv"


def problem():
    """The file, written once (deterministic contents) and reused by every method's process."""
    if not PATH.exists():
        rng = np.random.default_rng(0)
        X = rng.standard_normal((ROWS, FEATURES))
        y = (rng.random(ROWS) > 0.5).astype(int)
        header = ",".join([f"x{k}" for k in range(FEATURES)] + ["label"])
        partial = PATH.with_suffix(".part")
        with partial.open("w") as handle:
            handle.write(header + "\n")
            for row, label in zip(X, y, strict=True):
                handle.write(",".join(repr(float(v)) for v in row) + f",{label}\n")
        partial.replace(PATH)
    return (PATH,)


def gradproof_reader(path):
    return lambda: read_labelled_csv(path, "label")


def numpy_loadtxt(path):
    return lambda: np.loadtxt(path, delimiter=",", skiprows=1)


METHODS = {
    "gradproof read_labelled_csv (validated)": (gradproof_reader, 5, problem),
    "numpy.loadtxt (no validation)": (numpy_loadtxt, 5, problem),
}
OURS = "gradproof read_labelled_csv (validated)"


def summarise(results: dict) -> None:
    if any("error" in r for r in results.values()):
        return
    ours, peer = results[OURS], results["numpy.loadtxt (no validation)"]
    size = PATH.stat().st_size / 1e6
    print(f"file {size:.0f} MB: gradproof {ours['median_s']:.2f} s, loadtxt {peer['median_s']:.2f} s, "
          f"{ours['median_s'] / peer['median_s']:.2f}x loadtxt's time (target <= 1.5x)")


if __name__ == "__main__":
    run_benchmark(__file__, METHODS, OURS, f"CSV reading, {ROWS} rows x {FEATURES + 1} columns", summarise)
