"""Batch gradient statistics of logistic regression: gradproof's closed form against
torch.func.vmap(grad(...)) followed by the same reductions, and against the memory-bandwidth
floor (one pass that only reads X: X.sum(), and one product X @ w).

B = 65536, d = 1024, float32, CPU.  Statistics: per-sample gradient norms, mean gradient G,
tr(Sigma), the noise scale B_simple and the misclassified share; "+ cosines" adds the cosine of
every per-sample gradient with G (one more product with X).

Run: ``python benchmarks/bench_batch_stats.py``
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import run_benchmark  # noqa: E402

from gradproof import numeric  # noqa: E402

B, D = 65536, 1024


def problem():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(B, D, generator=g)
    w = torch.randn(D, generator=g) / D ** 0.5
    b = torch.tensor(0.1)
    y = (torch.rand(B, generator=g) > 0.5).float()
    return X, y, w, b


def closed_form(X, y, w, b):
    return lambda: numeric.logreg_moments(X, y, w, b).statistics()


def closed_form_with_cosines(X, y, w, b):
    return lambda: numeric.logreg_batch_statistics(X, y, w, b)


def vmap_grad(X, y, w, b):
    from torch.func import grad, vmap

    def loss(w_, b_, x, t):
        return torch.nn.functional.binary_cross_entropy_with_logits(x @ w_ + b_, t)

    per_sample = vmap(grad(loss, argnums=(0, 1)), in_dims=(None, None, 0, 0))

    def run():
        gw, gb = per_sample(w, b, X, y)
        g = torch.cat([gw, gb[:, None]], 1)
        G = g.mean(0)
        sq = (g * g).sum(1)
        trace = (sq.sum() - B * (G @ G)) / (B - 1)
        noise = trace / (G @ G)
        cos = (g @ G) / (sq.sqrt() * G.norm())
        wrong = (2 * y - 1) * (X @ w + b) <= 0
        pull = g[wrong].sum(0).norm(), g[~wrong].sum(0).norm()
        return sq.sqrt(), G, trace, noise, cos, pull[0] / (pull[0] + pull[1])
    return run


def read_once(X, y, w, b):
    return lambda: X.sum()


def matvec(X, y, w, b):
    return lambda: X @ w


METHODS = {
    "gradproof statistics (one pass)": (closed_form, 15, problem),
    "gradproof statistics + cosines": (closed_form_with_cosines, 15, problem),
    "torch.func vmap(grad) + same reductions": (vmap_grad, 5, problem),
    "floor: X.sum() (reads X once)": (read_once, 15, problem),
    "floor: X @ w": (matvec, 15, problem),
}
OURS = "gradproof statistics (one pass)"


def summarise(results: dict) -> None:
    if any("error" in r for r in results.values()):
        return
    peer, floor = results["torch.func vmap(grad) + same reductions"], results["floor: X.sum() (reads X once)"]
    for name in (OURS, "gradproof statistics + cosines"):
        r = results[name]
        print(f"{name}: {peer['median_s'] / r['median_s']:.1f}x faster than vmap(grad) (target >= 5x), "
              f"{r['peak_mb'] / max(peer['peak_mb'], 0.1):.3f} of its peak memory (target <= 1/16 = 0.0625), "
              f"{r['median_s'] / floor['median_s']:.2f}x the X.sum() pass (target <= 2x)")


if __name__ == "__main__":
    run_benchmark(__file__, METHODS, OURS, f"Batch statistics, B={B} d={D}, float32, CPU "
                  f"x{torch.get_num_threads()} threads", summarise)
