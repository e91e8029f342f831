"""Side-by-side measurement: each method runs in its own fresh process, so its peak
memory (growth of the resident set over the process's state just before the
method first runs) is its own; time is the median of repeated runs after warm-up.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(run: Callable[[], object], repeats: int) -> dict:
    """Median seconds over ``repeats`` runs (after one warm-up) and the peak RSS growth in MB."""
    before = peak_rss_mb()
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "min_s": min(times), "peak_mb": peak_rss_mb() - before}


def run_method_in_child(script: str, method: str, extra: list[str]) -> dict:
    done = subprocess.run([sys.executable, script, "--method", method, *extra],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_table(title: str, results: dict[str, dict], ours: str) -> None:
    print(title)
    base = results[ours]
    print(f"{'method':<44}{'median ms':>11}{'peak MB':>10}{'time / ours':>13}{'mem / ours':>12}")
    for name, r in results.items():
        if "error" in r:
            print(f"{name:<44}  unavailable: {r['error']}")
            continue
        t_ratio = r["median_s"] / base["median_s"]
        m_ratio = r["peak_mb"] / max(base["peak_mb"], 0.1)
        print(f"{name:<44}{r['median_s'] * 1e3:>11.1f}{r['peak_mb']:>10.1f}{t_ratio:>12.1f}x{m_ratio:>11.1f}x")
