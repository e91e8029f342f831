"""Side-by-side measurement: each method runs in its own fresh process, so its peak memory
is its own.  Time is the median of repeated runs after one warm-up run.  Peak memory is the
growth of the resident set during the timed runs over the resident set just before them:
after the warm-up (which pays one-time costs such as lazy imports and JIT loading) the
kernel's high-water mark is reset (``/proc/self/clear_refs``), so the figure is what each
call itself allocates.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def measure(run: Callable[[], object], repeats: int) -> dict:
    """Median seconds over ``repeats`` runs (after one warm-up) and the peak RSS growth in MB."""
    run()
    fresh = _reset_peak()
    before = _status_mb("VmRSS") if fresh else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    peak = _status_mb("VmHWM") if fresh else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"median_s": statistics.median(times), "min_s": min(times), "peak_mb": peak - before}


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


def run_benchmark(script: str, methods: dict, ours: str, title: str,
                  summarise: Callable[[dict], None]) -> None:
    """``--method NAME`` measures one method (in this process); without it every method runs in
    a child process, the table is printed and ``summarise(results)`` prints the ratios."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--method")
    args = parser.parse_args()
    if args.method:
        build, repeats, problem = methods[args.method]
        print(json.dumps(measure(build(*problem()), repeats)))
        return
    results = {name: run_method_in_child(script, name, []) for name in methods}
    print_table(title, results, ours)
    summarise(results)
