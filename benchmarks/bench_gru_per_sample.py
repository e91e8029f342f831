"""Per-sample gradients of a GRU binary classifier: gradproof's closed-form BPTT against peers.

B = 256, T = 50, D = 16, H = 64, float32, CPU.  Peers: (a) a Python loop of
per-sample backward passes, (b) torch.func vmap(grad) over a hand-unrolled
functional GRU cell (vmap has no rule for aten::gru), (c) Opacus
GradSampleModule with DPGRU (optional: ``pip install opacus``).

Run: ``python benchmarks/bench_gru_per_sample.py`` (one command, prints the ratios).
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _harness import run_benchmark  # noqa: E402

from numeric import GRUClassifier, gru_per_sample_grads  # noqa: E402

B, T, D, H = 256, 50, 16, 64


def problem():
    torch.manual_seed(0)
    model = GRUClassifier(D, H)
    X = torch.randn(B, T, D)
    y = (torch.rand(B) > 0.5).float()
    return model, X, y


def closed_form(model, X, y):
    return lambda: gru_per_sample_grads(model, X, y)


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


def opacus_dpgru(model, X, y):
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


METHODS = {
    "gradproof closed-form BPTT": (closed_form, 20, problem),
    "(a) Python loop of per-sample backward": (python_loop, 3, problem),
    "(b) torch.func vmap(grad), unrolled cell": (torch_func_unrolled, 5, problem),
    "(c) Opacus GradSampleModule + DPGRU": (opacus_dpgru, 10, problem),
}
OURS = "gradproof closed-form BPTT"


def summarise(results: dict) -> None:
    peers = {k: v for k, v in results.items() if k != OURS and "error" not in v}
    if peers:
        fastest = min(peers, key=lambda k: peers[k]["median_s"])
        ratio = peers[fastest]["median_s"] / results[OURS]["median_s"]
        print(f"speed-up over the fastest peer ({fastest}): {ratio:.1f}x (target >= 5x)")


if __name__ == "__main__":
    run_benchmark(__file__, METHODS, OURS, f"GRU per-sample gradients, B={B} T={T} D={D} H={H}, float32, "
                  f"CPU x{torch.get_num_threads()} threads", summarise)
