"""Per-sample gradients of GRU binary classifiers: gradproof's closed-form BPTT against peers.

Three parts, every method in its own fresh process, the methods taking turns for three rounds
(time: the median over rounds of each process's median of repeated runs; peak: the largest
resident-set growth during them, see ``_harness``):

1. The issue's classifier, written as a plain nn.Module: token ids [B=256, T=50] ->
   nn.Embedding(1000, 32) -> nn.GRU(32, 64, num_layers=2, bidirectional=True) -> nn.Linear(128, 1)
   -> nn.Sigmoid, loss nn.BCELoss; float32, CPU.  Peers: plain training (one forward + backward
   of the same module on the summed loss: no per-sample gradients, the floor) and Opacus
   (GradSampleModule around the same model with DPGRU in place of nn.GRU; its embedding
   support).  Targets: >= 5x faster than Opacus, <= 1.5x plain training.
2. The single-layer benchmark: B = 256, T = 50, D = 16, H = 64 on features; peers a Python loop
   of per-sample backward passes, torch.func vmap(grad) over an unrolled cell, Opacus.
3. A busy neighbour: part 1's gradproof and plain training again while a second process runs
   float32 matrix products on two threads.  gradproof runs the batch in shares, one thread of
   one intra-op thread each (``numeric.gru_per_sample_grads``, default ``threads``); part 1 and 3
   also time it in one pass (``threads=1``: per-step work on one intra-op thread, the large
   products on torch's), the design the shares replaced.  The slow-downs are ratios to the
   quiet runs of the same invocation.

Part 1 also times gradproof without its witness on the real batch (``witness=False``: the
module's forward on two samples only, no Freivalds probe) and the per-sample norms
(``numeric.gru_per_sample_norms``), each against plain training.

4. A large GRU: the same classifier with H = 512 (about 6.3 M parameters in the GRU), B = 256,
   T = 50, float32: per-sample norms (and norms with the clipped sum, ``clip=1``) against plain
   training, time and peak memory (targets: <= 1.5x its time, peak within 2x of it), and Opacus
   with DPGRU, which must materialise B x 6.3 M gradients (reported, or that it did not fit).

Run: ``python benchmarks/bench_gru_per_sample.py`` (``pip install opacus`` for the Opacus peer;
``--parts 13`` runs parts 1 and 3 only; leaving 1 out keeps part 1's gradproof and plain training,
the quiet reference of part 3).  ``--quick`` (under 3 minutes on a 2-core machine): parts 1 and 4
only, one round, fewer repeats, and part 4 at B = 64, T = 20 (Opacus left out of part 4); the
ratios are printed in the same form.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import measure, print_table, run_method_in_child  # noqa: E402

from gradproof import numeric  # noqa: E402

QUICK = "--quick" in sys.argv
B, T, D, H = 256, 50, 16, 64
VOCABULARY, EMBEDDING, LAYERS = 1000, 32, 2
LARGE_H, LARGE_B, LARGE_T = (512, 64, 20) if QUICK else (512, 256, 50)
NEIGHBOUR = ("import torch\ntorch.set_num_threads(2)\na = torch.randn(384, 384)\n"
             "while True:\n    a = torch.tanh(a @ a)\n")


class SentimentGRU(nn.Module):
    """The issue's classifier, as a user writes it (``gru`` may be Opacus's DPGRU)."""

    def __init__(self, gru_type=nn.GRU, hidden=H):
        super().__init__()
        self.embedding = nn.Embedding(VOCABULARY, EMBEDDING)
        self.gru = gru_type(EMBEDDING, hidden, num_layers=LAYERS, bidirectional=True, batch_first=True)
        self.head = nn.Linear(2 * hidden, 1)
        self.sigmoid = nn.Sigmoid()

    def forward(self, ids):
        _, h_n = self.gru(self.embedding(ids))
        return self.sigmoid(self.head(torch.cat([h_n[-2], h_n[-1]], dim=1))).squeeze(1)


def stacked_problem(gru_type=nn.GRU):
    torch.manual_seed(0)
    model = SentimentGRU(gru_type).eval()
    ids = torch.randint(0, VOCABULARY, (B, T))
    y = (torch.rand(B) > 0.5).float()
    return model, ids, y


def stacked_closed_form(model, ids, y):
    return lambda: numeric.gru_per_sample_grads(model, ids, y)


def stacked_closed_form_one_pass(model, ids, y):
    return lambda: numeric.gru_per_sample_grads(model, ids, y, threads=1)


def stacked_no_witness(model, ids, y):
    return lambda: numeric.gru_per_sample_grads(model, ids, y, witness=False)


def per_sample_norms(model, ids, y):
    return lambda: numeric.gru_per_sample_norms(model, ids, y)


def per_sample_norms_clipped(model, ids, y):
    return lambda: numeric.gru_per_sample_norms(model, ids, y, clip=1.0)


def large_problem(gru_type=nn.GRU):
    torch.manual_seed(0)
    model = SentimentGRU(gru_type, LARGE_H).eval()
    ids = torch.randint(0, VOCABULARY, (LARGE_B, LARGE_T))
    y = (torch.rand(LARGE_B) > 0.5).float()
    return model, ids, y


def large_opacus(model, ids, y):
    from opacus import GradSampleModule
    from opacus.layers import DPGRU

    torch.manual_seed(0)
    dp = GradSampleModule(SentimentGRU(DPGRU, LARGE_H).train())

    def run():
        dp.zero_grad(set_to_none=True)
        nn.functional.binary_cross_entropy(dp(ids), y, reduction="sum").backward()
        return [p.grad_sample for p in dp.parameters()]
    return run


def plain_training(model, ids, y):
    def run():
        model.zero_grad(set_to_none=True)
        nn.functional.binary_cross_entropy(model(ids), y, reduction="sum").backward()
        return [p.grad for p in model.parameters()]
    return run


def plain_training_one_thread(model, ids, y):
    torch.set_num_threads(1)  # this child process only
    return plain_training(model, ids, y)


def stacked_opacus(model, ids, y):
    from opacus import GradSampleModule
    from opacus.layers import DPGRU

    torch.manual_seed(0)
    dp = GradSampleModule(SentimentGRU(DPGRU).train())  # Opacus records activations in training mode only

    def run():
        dp.zero_grad(set_to_none=True)
        nn.functional.binary_cross_entropy(dp(ids), y, reduction="sum").backward()
        return [p.grad_sample for p in dp.parameters()]
    return run


def single_problem():
    torch.manual_seed(0)
    model = numeric.GRUClassifier(D, H)
    X = torch.randn(B, T, D)
    y = (torch.rand(B) > 0.5).float()
    return model, X, y


def single_closed_form(model, X, y):
    return lambda: numeric.gru_per_sample_grads(model, X, y)


def python_loop(model, X, y):
    def run():
        grads = []
        for i in range(B):
            model.zero_grad()
            loss = nn.functional.binary_cross_entropy_with_logits(model(X[i:i + 1]), y[i:i + 1])
            loss.backward()
            grads.append([p.grad.clone() for p in model.parameters()])
        return grads
    return run


def torch_func_unrolled(model, X, y):
    from torch.func import grad, vmap

    params = {k: v.detach() for k, v in model.named_parameters()}

    def loss_one(p, x, target):
        h = x.new_zeros(H)
        for t in range(T):
            gi = p["gru.weight_ih_l0"] @ x[t] + p["gru.bias_ih_l0"]
            gh = p["gru.weight_hh_l0"] @ h + p["gru.bias_hh_l0"]
            r = torch.sigmoid(gi[:H] + gh[:H])
            u = torch.sigmoid(gi[H:2 * H] + gh[H:2 * H])
            n = torch.tanh(gi[2 * H:] + r * gh[2 * H:])
            h = (1 - u) * n + u * h
        z = p["head.weight"][0] @ h + p["head.bias"][0]
        return nn.functional.binary_cross_entropy_with_logits(z, target)

    per_sample = vmap(grad(loss_one), in_dims=(None, 0, 0))
    return lambda: per_sample(params, X, y)


def single_opacus(model, X, y):
    from opacus import GradSampleModule
    from opacus.layers import DPGRU

    class DPClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = DPGRU(D, H, batch_first=True)
            self.head = nn.Linear(H, 1)

        def forward(self, x):
            out, _ = self.gru(x)
            return self.head(out[:, -1]).squeeze(-1)

    dp = GradSampleModule(DPClassifier())

    def run():
        dp.zero_grad(set_to_none=True)
        loss = nn.functional.binary_cross_entropy_with_logits(dp(X), y, reduction="sum")
        loss.backward()
        return [p.grad_sample for p in dp.parameters()]
    return run


OURS, PLAIN = "gradproof closed-form BPTT", "plain training (fwd + bwd, summed)"
OPACUS = "Opacus GradSampleModule + DPGRU"
ONE_PASS = "gradproof in one pass (threads=1)"
NO_WITNESS = "gradproof, witness=False"
NORMS = "gradproof per-sample norms"
PLAIN_ONE = "plain training on one intra-op thread"
CLIPPED = "gradproof norms + clipped sum"
REPEATS = 3 if QUICK else 9
STACKED = {
    OURS: (stacked_closed_form, REPEATS, stacked_problem),
    NO_WITNESS: (stacked_no_witness, REPEATS, stacked_problem),
    NORMS: (per_sample_norms, REPEATS, stacked_problem),
    ONE_PASS: (stacked_closed_form_one_pass, REPEATS, stacked_problem),
    PLAIN: (plain_training, REPEATS, stacked_problem),
    PLAIN_ONE: (plain_training_one_thread, REPEATS, stacked_problem),
    OPACUS: (stacked_opacus, 1 if QUICK else 3, stacked_problem),
}
if QUICK:
    del STACKED[ONE_PASS]
LARGE = {
    NORMS: (per_sample_norms, 2 if QUICK else 3, large_problem),
    CLIPPED: (per_sample_norms_clipped, 2 if QUICK else 3, large_problem),
    PLAIN: (plain_training, 2 if QUICK else 3, large_problem),
    **({} if QUICK else {OPACUS: (large_opacus, 1, large_problem)}),
}
SINGLE = {
    OURS: (single_closed_form, 15, single_problem),
    "(a) Python loop of per-sample backward": (python_loop, 3, single_problem),
    "(b) torch.func vmap(grad), unrolled cell": (torch_func_unrolled, 5, single_problem),
    "(c) Opacus GradSampleModule + DPGRU": (single_opacus, 5, single_problem),
}
NEIGHBOURED = {
    OURS: (stacked_closed_form, 9, stacked_problem),
    PLAIN: (plain_training, 9, stacked_problem),
    ONE_PASS: (stacked_closed_form_one_pass, 9, stacked_problem),
}
def on_cuda(build):
    """``build`` on the CUDA device: model and batch moved there, each run synchronised."""
    def built(model, ids, y):
        run = build(model.cuda(), ids.cuda(), y.cuda())

        def synchronised():
            found = run()
            torch.cuda.synchronize()
            return found
        return synchronised
    return built


CUDA = {name: (on_cuda(build), REPEATS, problem) for name, (build, _, problem) in STACKED.items()
        if name in (OURS, NO_WITNESS, NORMS, PLAIN)}
METHODS = {f"cuda/{k}": v for k, v in CUDA.items()} | {f"stacked/{k}": v for k, v in STACKED.items()} \
    | {f"single/{k}": v for k, v in SINGLE.items()} \
    | {f"neighbour/{k}": v for k, v in NEIGHBOURED.items()} | {f"large/{k}": v for k, v in LARGE.items()}


ROUNDS = 1 if QUICK else 3


def run_part(part: str, methods: dict, rounds: int = ROUNDS) -> dict:
    """Every method in its own child process, ``rounds`` times in turn (A B C A B C ...): this
    machine's speed drifts by tens of percent within a minute, and taking turns exposes every
    method to the same drift.  Per method: the median over rounds of each child's median, the
    largest peak, and the fastest child's minimum."""
    runs: dict[str, list[dict]] = {name: [] for name in methods}
    for _ in range(rounds):
        for name in methods:
            runs[name].append(run_method_in_child(__file__, f"{part}/{name}", ["--quick"] if QUICK else []))
    return {name: _combined(results) for name, results in runs.items()}


def _combined(results: list[dict]) -> dict:
    failed = [r for r in results if "error" in r]
    if failed:
        return failed[0]
    return {"median_s": statistics.median(r["median_s"] for r in results),
            "min_s": min(r["min_s"] for r in results), "peak_mb": max(r["peak_mb"] for r in results)}


def ratio(results: dict, slow: str, fast: str, key: str = "median_s") -> float:
    """results[slow][key] / results[fast][key]; nan when either failed or, for a peak, when the
    denominator is under 1 MB (the resident-set growth is then noise, even negative)."""
    if "error" in results.get(slow, {"error": 1}) or "error" in results.get(fast, {"error": 1}):
        return float("nan")
    if key == "peak_mb" and results[fast][key] < 1.0:
        return float("nan")
    return results[slow][key] / max(results[fast][key], 1e-9)


def large_part(threads: int) -> None:
    large = run_part("large", LARGE)
    print_table(f"4. Embedding({VOCABULARY}, {EMBEDDING}) -> GRU(H={LARGE_H}, {LAYERS} layers, bidirectional) -> "
                f"Linear -> Sigmoid; B={LARGE_B} T={LARGE_T}, float32, CPU x{threads} threads", large, NORMS)
    print(f"   norms / plain training: time {ratio(large, NORMS, PLAIN):.2f}x (target <= 1.5x), peak memory "
          f"{ratio(large, NORMS, PLAIN, 'peak_mb'):.2f}x (target <= 2x); norms + clipped sum / plain training: "
          f"time {ratio(large, CLIPPED, PLAIN):.2f}x, peak {ratio(large, CLIPPED, PLAIN, 'peak_mb'):.2f}x")
    if OPACUS in large:
        state = (f"{ratio(large, OPACUS, NORMS):.1f}x the norms' time, {ratio(large, OPACUS, NORMS, 'peak_mb'):.1f}x "
                 f"their peak" if "error" not in large[OPACUS] else f"did not run: {large[OPACUS]['error']}")
        print(f"   Opacus (materialising): {state}")
    print()


def with_neighbour() -> dict:
    neighbour = subprocess.Popen([sys.executable, "-c", NEIGHBOUR])
    try:
        return run_part("neighbour", NEIGHBOURED)
    finally:
        neighbour.kill()
        neighbour.wait()


def single_part(threads: int) -> None:
    single = run_part("single", SINGLE)
    print_table(f"2. GRU(D={D}, H={H}, 1 layer) -> Linear, BCE-with-logits; B={B} T={T}, float32, CPU x{threads}",
                single, OURS)
    peers = {k: v for k, v in single.items() if k != OURS and "error" not in v}
    if peers:
        fastest = min(peers, key=lambda k: peers[k]["median_s"])
        print(f"   speed-up over the fastest peer ({fastest}): {ratio(single, fastest, OURS):.1f}x (target >= 5x)\n")


def main(parts: str) -> None:
    threads = torch.get_num_threads()
    quiet_reference = {k: STACKED[k] for k in (OURS, ONE_PASS, PLAIN) if k in STACKED}
    stacked = run_part("stacked", STACKED if "1" in parts else quiet_reference)
    print_table(f"1. Embedding({VOCABULARY}, {EMBEDDING}) -> GRU(H={H}, {LAYERS} layers, bidirectional) -> Linear "
                f"-> Sigmoid, BCELoss; B={B} T={T}, float32, CPU x{threads} threads", stacked, OURS)
    versus_opacus = (f"Opacus / gradproof: {ratio(stacked, OPACUS, OURS):.1f}x (target >= 5x); "
                     if OPACUS in stacked else "")
    print(f"   {versus_opacus}gradproof / plain training: {ratio(stacked, OURS, PLAIN):.2f}x (target <= 1.5x)")
    print(f"   without the witness: gradproof / plain training {ratio(stacked, NO_WITNESS, PLAIN):.2f}x"
          + (f", Opacus / gradproof {ratio(stacked, OPACUS, NO_WITNESS):.1f}x" if OPACUS in stacked else "")
          + f"; norms / plain training {ratio(stacked, NORMS, PLAIN):.2f}x (target <= 1.2x)")
    print(f"   against plain training on one intra-op thread (faster beside a busy neighbour): gradproof "
          f"{ratio(stacked, OURS, PLAIN_ONE):.2f}x, without the witness {ratio(stacked, NO_WITNESS, PLAIN_ONE):.2f}x, "
          f"norms {ratio(stacked, NORMS, PLAIN_ONE):.2f}x\n")
    if "4" in parts:
        large_part(threads)
    if torch.cuda.is_available():
        cuda = run_part("cuda", CUDA)
        print_table(f"5. Part 1 on CUDA ({torch.cuda.get_device_name()}); peak MB is host memory only", cuda, OURS)
        print(f"   gradproof / plain training: {ratio(cuda, OURS, PLAIN):.2f}x, without the witness "
              f"{ratio(cuda, NO_WITNESS, PLAIN):.2f}x, norms {ratio(cuda, NORMS, PLAIN):.2f}x\n")
    if "2" in parts:
        single_part(threads)
    if "3" not in parts:
        return
    busy = with_neighbour()
    print_table("3. Part 1 again, beside a second process running float32 matmuls on 2 threads", busy, OURS)

    def slowdown(name: str, quiet: str) -> float:
        both = {"busy": busy.get(name, {"error": 1}), "quiet": stacked.get(quiet, {"error": 1})}
        return ratio(both, "busy", "quiet")

    print(f"   slow-down beside the neighbour (quiet runs of part 1 = 1): gradproof {slowdown(OURS, OURS):.2f}x, "
          f"plain training {slowdown(PLAIN, PLAIN):.2f}x, gradproof in one pass "
          f"{slowdown(ONE_PASS, ONE_PASS):.2f}x (a fair share of two cores shared by two jobs: 2x)")


if __name__ == "__main__":
    if "--method" in sys.argv:
        build, repeats, problem = METHODS[sys.argv[sys.argv.index("--method") + 1]]
        import json

        print(json.dumps(measure(build(*problem()), repeats)))
    else:
        import argparse

        parser = argparse.ArgumentParser(description="Per-sample gradients and norms of GRU classifiers against "
                                         "plain training and Opacus (see the module docstring).")
        parser.add_argument("--quick", action="store_true", help="parts 1 and 4, one round, part 4 at B=64, T=20")
        parser.add_argument("--parts", default="14" if QUICK else "1234", help="the parts to run, e.g. 13")
        options = parser.parse_args()  # --help prints this and exits, instead of starting a 25-minute run
        if not options.parts or set(options.parts) - set("1234"):
            parser.error(f"--parts: expected digits from 1234, got {options.parts!r}")
        main(options.parts)
