"""Wall time of the command line, cold start included (a fresh process each run), against the
budgets of the issues: `gradproof derive --all` < 5 s, one `gradproof check` < 2 s, `gradproof loss focal` < 3 s, the
default `gradproof report` < 20 s.  Prints the median of the runs and its ratio to the budget.

Run: ``python benchmarks/bench_cli.py [--runs N] [--only TEXT]`` (``--only "loss focal"``: the cases
whose name holds TEXT).  ``gradproof loss`` imports torch in a forked child while SymPy derives
(``reports/_ahead.py``), so it gains most where a second core is free.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time

# (name, arguments, budget in seconds, the exit code the command must give: a run that exits
# otherwise, say with an import error, is reported as failed instead of timed)
CASES = [
    ("gradproof derive --all", ["derive", "--all"], 5.0, 0),
    ("gradproof check (proved)", ["check", "logreg.dL_dw", "x/(1 + exp(-z)) - x*y"], 2.0, 0),
    ("gradproof check (refuted)", ["check", "logreg.dL_dw", "(y - sigmoid(z))*x"], 2.0, 1),
    ("gradproof check (hostile 10**10**10)", ["check", "logreg.dL_dw", "10**10**10"], 2.0, 2),
    ("gradproof check (tiny difference, refuted)", ["check", "logreg.dL_dw", "x*(sigmoid(z) - y) + 10**(-40)*x"],
     2.0, 1),
    ("gradproof check (proved-except)",
     ["check", "logreg.dL_dz", "(sigmoid(z) - y)*(exp(2*z)-1)/((exp(z)-1)*(exp(z)+1))"], 2.0, 5),
    ("gradproof check (undefined everywhere)",
     ["check", "logreg.dL_dz", "sigmoid(z) - y + 0/(tanh(z) - 1 + 2/(exp(2*z)+1))"], 2.0, 1),
    ("gradproof check (undecided)", ["check", "logreg.dL_dw", "x*(sigmoid(z) - y)*(1 + exp(-exp(10)))"], 10.0, 3),
    ("gradproof check (refuted, no diagnosis)", ["check", "logreg.dL_dw", "x*tanh(z)"], 2.0, 1),
    ("gradproof check (diagnosis: dL/dp)",
     ["check", "logreg.dL_dw", "x*(sigmoid(z) - y)/(sigmoid(z)*(1 - sigmoid(z)))"], 2.0, 1),
    ("gradproof check (batch, proved)", ["check", "batch.dL_dw", "(1/B)*sum((sigmoid(z_i) - y_i)*x_i, i)"], 2.0, 0),
    ("gradproof check (batch, diagnosis)", ["check", "batch.dL_dw", "sum((sigmoid(z_i) - y_i)*x_i, i)"], 2.0, 1),
    ("gradproof check --loss focal d2L_dz2", ["check", "--loss", "focal:gamma=1/2", "d2L_dz2", "sigmoid(z)"],
     10.0, 1),
    ("gradproof loss focal", ["loss", "focal"], 3.0, 0),
    ("gradproof loss (slow user loss)",
     ["loss", "log(1 + exp(-(2*y - 1)*z)) + exp(-10**4*(z-1/8)**2)/10**3"], 15.0, 3),
]


def wall(args: list[str], expected: int) -> float:
    """Seconds one cold run of ``gradproof ARGS`` takes; RuntimeError if it exits otherwise than ``expected``."""
    start = time.perf_counter()
    done = subprocess.run(["gradproof", *args], capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != expected:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"exit {done.returncode}, expected {expected}: {last}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="", help="run only the cases whose name holds this text")
    args = parser.parse_args()
    out = tempfile.mkdtemp()
    cases = CASES + [("gradproof report (default)", ["report", "--out", out, "--quiet"], 20.0, 0)]
    print(f"{'command':<40}{'median s':>10}{'budget s':>10}{'median / budget':>17}")
    for name, argv, budget, expected in [case for case in cases if args.only in case[0]]:
        try:
            times = [wall(argv, expected) for _ in range(args.runs)]
        except RuntimeError as failure:
            print(f"{name:<40}  FAILED: {failure}")
            continue
        median = statistics.median(times)
        print(f"{name:<40}{median:>10.2f}{budget:>10.1f}{median / budget:>16.2f}x")
    shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
