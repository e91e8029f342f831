"""What the one scalar of a mini-batch estimates: batch gradient statistics.

For per-sample gradients g_i (i = 1..B) of the unreduced loss, the mean-loss
gradient is G = (1/B) sum_i g_i (derivation ``batch_mean_gradient``).  One definition
of each quantity, used by ``gradproof stats``, the report's pages and its captions:

* tr(Sigma), the trace of the covariance of the per-sample gradients over the B given
  samples, divided by B (not B - 1): tr(Sigma) = (1/B) sum_i ||g_i - G||^2
  = S/B - ||G||^2 with S = sum_i ||g_i||^2.  A mini-batch of b samples drawn from them
  with replacement then has E||G_b - G||^2 = tr(Sigma)/b exactly (Figure 6);
* the simple gradient noise scale (McCandlish et al. 2018): B_simple = tr(Sigma) / ||G||^2,
  with that same tr(Sigma);
* a sample is misclassified when its signed margin (2 y_i - 1) z_i is not positive: a
  prediction of exactly 1/2 is not a correct classification;
* the misclassified fraction: (number misclassified) / B;
* the misclassified share: the part of the per-sample gradient magnitude that
  misclassified samples carry, share = sum_{i wrong} ||g_i|| / sum_i ||g_i||, between 0
  and 1, a sum of one nonnegative part per sample (Figure 3 draws exactly these parts);
* the cosine of each g_i with G: (g_i . G) / (||g_i|| ||G||).

For logistic regression g_i = r_i [x_i, 1] (derivation ``logreg_dL_dw``), so
||g_i|| = |r_i| sqrt(||x_i||^2 + 1) and g_i . G = r_i (x_i . G_w + G_b): every
statistic needs X only through two matrix-vector products and one row-norm,
never the B x (d + 1) per-sample matrix.  :class:`GradientMoments` holds the
sufficient statistics (count, sum of gradients, sums of norms and of squared
norms, and the same for misclassified samples); merging two of them is addition, so chunks of
a large file, or processes joined by an all-reduce, combine exactly.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import torch

from gradproof.symbolic import InputError

from .._gru import gru_per_sample_grads, gru_residuals
from .._logreg import misclassified, residual_weights, stable_residual
from .._validation import check_finite_rows, check_logreg_inputs
from . import _kernel

__all__ = ["GradientMoments", "BatchStatistics", "logreg_moments", "moments_from_per_sample",
           "logreg_batch_statistics", "per_sample_batch_statistics", "gru_batch_statistics", "logreg_per_sample_norms",
           "misclassified"]


@dataclass(frozen=True)
class BatchStatistics:
    """Summary of one batch (or one stream) of per-sample gradients."""

    count: int
    mean_gradient: torch.Tensor
    mean_gradient_norm: float
    trace_covariance: float
    noise_scale: float
    wrong_count: int
    wrong_share: float

    @property
    def wrong_fraction(self) -> float:
        """The misclassified fraction: wrong_count / count."""
        return self.wrong_count / self.count

    def as_dict(self) -> dict:
        return {"count": self.count, "mean_gradient_norm": self.mean_gradient_norm,
                "trace_covariance": self.trace_covariance, "noise_scale": self.noise_scale,
                "wrong_count": self.wrong_count, "wrong_fraction": self.wrong_fraction,
                "wrong_share": self.wrong_share,
                "mean_gradient": [float(v) for v in self.mean_gradient.reshape(-1)]}

    def _rows(self) -> list[tuple[str, str]]:
        return [("samples B", f"{self.count}"),
                ("misclassified, (2y - 1) z <= 0", f"{self.wrong_count} ({100 * self.wrong_fraction:.1f}%)"),
                ("misclassified share, sum_wrong |g_i| / sum |g_i|", f"{self.wrong_share:.4g}"),
                ("|G|, G = (1/B) sum g_i", f"{self.mean_gradient_norm:.6g}"),
                ("tr(Sigma) = (1/B) sum |g_i - G|^2", f"{self.trace_covariance:.6g}"),
                ("B_simple = tr(Sigma) / |G|^2", f"{self.noise_scale:.6g}")]

    def __str__(self) -> str:
        width = max(len(name) for name, _ in self._rows())
        return "\n".join(f"{name:<{width}}  {value}" for name, value in self._rows())

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{html.escape(name)}</td><td>{html.escape(value)}</td></tr>"
                       for name, value in self._rows())
        return f"<table>{rows}</table>"

    def _repr_latex_(self) -> str:
        return (f"$B = {self.count},\\ \\|G\\| = {self.mean_gradient_norm:.6g},\\ "
                f"\\operatorname{{tr}}\\Sigma = {self.trace_covariance:.6g},\\ "
                f"B_\\text{{simple}} = {self.noise_scale:.6g},\\ "
                f"\\text{{misclassified share}} = {self.wrong_share:.4g}$")


@dataclass(frozen=True)
class GradientMoments:
    """Mergeable sufficient statistics of per-sample gradients (all sums in float64).

    ``count``: B; ``grad_sum``: sum_i g_i; ``sq_norm_sum``: sum_i ||g_i||^2;
    ``norm_sum``: sum_i ||g_i||; ``wrong_count``, ``wrong_grad_sum`` and
    ``wrong_norm_sum``: the same over misclassified samples.
    ``merge`` adds them, which is also what an all-reduce with SUM does to
    :meth:`as_tensor`.
    """

    count: int
    grad_sum: torch.Tensor
    sq_norm_sum: float
    wrong_count: int
    wrong_grad_sum: torch.Tensor
    norm_sum: float
    wrong_norm_sum: float

    HEAD = 5  # count, sq_norm_sum, wrong_count, norm_sum, wrong_norm_sum

    def merge(self, other: GradientMoments) -> GradientMoments:
        return GradientMoments(self.count + other.count, self.grad_sum + other.grad_sum,
                               self.sq_norm_sum + other.sq_norm_sum,
                               self.wrong_count + other.wrong_count,
                               self.wrong_grad_sum + other.wrong_grad_sum,
                               self.norm_sum + other.norm_sum, self.wrong_norm_sum + other.wrong_norm_sum)

    def as_tensor(self) -> torch.Tensor:
        """Everything in one flat float64 tensor, for ``torch.distributed.all_reduce``."""
        head = torch.tensor([self.count, self.sq_norm_sum, self.wrong_count, self.norm_sum,
                             self.wrong_norm_sum], dtype=torch.float64)
        return torch.cat([head, self.grad_sum.double().cpu(), self.wrong_grad_sum.double().cpu()])

    @classmethod
    def from_tensor(cls, flat: torch.Tensor) -> GradientMoments:
        h = cls.HEAD
        size = (flat.numel() - h) // 2
        return cls(int(round(float(flat[0]))), flat[h:h + size].clone(), float(flat[1]),
                   int(round(float(flat[2]))), flat[h + size:].clone(), float(flat[3]), float(flat[4]))

    def statistics(self) -> BatchStatistics:
        """G, tr(Sigma) = S/B - ||G||^2, B_simple = tr(Sigma)/||G||^2 and the misclassified
        share sum_wrong ||g_i|| / sum ||g_i|| from the sums (definitions in the module docstring)."""
        if self.count < 1:
            raise InputError("count: no samples were accumulated", argument="count")
        G = self.grad_sum / self.count
        g2 = float(G @ G)
        trace = max(self.sq_norm_sum / self.count - g2, 0.0)
        share = self.wrong_norm_sum / self.norm_sum if self.norm_sum > 0 else float("nan")
        noise = trace / g2 if g2 > 0 else float("inf")
        return BatchStatistics(self.count, G, g2 ** 0.5, trace, noise, self.wrong_count, share)


CACHE_ELEMENTS = 1 << 18  # rows of X per block: about 1 MiB of float32, resident in L2


def logreg_per_sample_norms(X: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    """||g_i|| = |r_i| sqrt(||x_i||^2 + 1) for g_i = r_i [x_i, 1]."""
    return logreg_per_sample_norms_from(r, torch.linalg.vector_norm(X, dim=1) ** 2)


def logreg_per_sample_norms_from(r: torch.Tensor, sq_norms: torch.Tensor) -> torch.Tensor:
    """||g_i|| = |r_i| sqrt(||x_i||^2 + 1) from the residuals and the squared row norms."""
    return r.abs() * torch.sqrt(sq_norms + 1)


def logreg_moments(X: torch.Tensor, y: torch.Tensor, w: torch.Tensor, b: torch.Tensor, *,
                   weight: torch.Tensor | None = None,
                   pos_weight: torch.Tensor | None = None) -> GradientMoments:
    """Sufficient statistics of the per-sample logistic-regression gradients (see ``_logreg_pass``)."""
    return _logreg_pass(X, y, w, b, weight, pos_weight)[0]


KERNEL_MIN_ELEMENTS = 1 << 22  # below this the kernel's compile time outweighs its speed


def _logreg_pass(X, y, w, b, weight, pos_weight) -> tuple[GradientMoments, torch.Tensor, torch.Tensor]:
    """The moments, the residuals r and the squared row norms ||x_i||^2, in one pass over X.

    On the CPU, for large float inputs, the numba kernel of ``_kernel`` does it row by row;
    elsewhere X is read in row blocks small enough to stay in cache, each block used for
    every product (X w, the row norms, X^T r and X^T r_wrong) before the next is loaded.
    Either way O(B + d) extra memory and no per-sample matrix; finiteness of X is read
    off the logits at the end (``check_finite_rows``).
    """
    check_logreg_inputs(X, y, w, b, weight, pos_weight, finite_X=False)
    of_sigmoid, of_sigmoid_neg = residual_weights(y, weight=weight, pos_weight=pos_weight)
    B = X.shape[0]
    of_sigmoid, of_sigmoid_neg = of_sigmoid.expand(B), of_sigmoid_neg.expand(B)
    use_kernel = (X.device.type == "cpu" and X.numel() >= KERNEL_MIN_ELEMENTS and X.is_contiguous()
                  and _kernel.available())
    pass_ = _kernel_pass if use_kernel else _blocked_pass
    z, r, sq_norms, grad, wrong_grad = pass_(X, w, b, of_sigmoid, of_sigmoid_neg, y)
    check_finite_rows("X", X, z)
    r64 = r.double()
    wrong = misclassified(z, y)
    sq = float((r64 * r64) @ (sq_norms.double() + 1))
    norms = logreg_per_sample_norms_from(r64, sq_norms.double())
    total = torch.cat([grad.double(), r64.sum().reshape(1)])
    wrong_total = torch.cat([wrong_grad.double(), (r64 * wrong).sum().reshape(1)])
    moments = GradientMoments(B, total, sq, int(wrong.sum()), wrong_total, float(norms.sum()),
                              float(norms[wrong].sum()))
    return moments, r, sq_norms


def _kernel_pass(X, w, b, of_sigmoid, of_sigmoid_neg, y):
    arrays = [t.detach().contiguous().numpy() for t in (X, w, of_sigmoid, of_sigmoid_neg, y)]
    out = _kernel.logreg_row_pass(arrays[0], arrays[1], float(b), *arrays[2:])
    return tuple(torch.from_numpy(np.asarray(a)) for a in out)


def _blocked_pass(X, w, b, of_sigmoid, of_sigmoid_neg, y):
    B, d = X.shape
    rows = max(256, CACHE_ELEMENTS // d)
    z, norms, r, r_wrong = (X.new_empty(B) for _ in range(4))
    grad, wrong_grad = X.new_zeros(d), X.new_zeros(d)
    bias = b.expand(rows)
    for block, zb, nb, rb, wb, a, c, yb in zip(
            X.split(rows), z.split(rows), norms.split(rows), r.split(rows), r_wrong.split(rows),
            of_sigmoid.split(rows), of_sigmoid_neg.split(rows), y.split(rows)):
        torch.addmv(bias[:len(zb)], block, w, out=zb)
        torch.linalg.vector_norm(block, dim=1, out=nb)
        stable_residual(zb, a, c, out=rb)
        grad.addmv_(block.t(), rb)
        torch.mul(rb, misclassified(zb, yb), out=wb)
        wrong_grad.addmv_(block.t(), wb)
    return z, r, norms.square_(), grad, wrong_grad


def _cosine(dots: torch.Tensor, norms: torch.Tensor) -> torch.Tensor:
    """dots / norms with the norms floored at the smallest normal number of their dtype (the one
    cosine floor): a zero per-sample gradient gets cosine 0, not NaN."""
    return dots / norms.clamp_min(torch.finfo(norms.dtype).tiny)


def _cosines(X, r, sq_norms, stats: BatchStatistics) -> torch.Tensor:
    """cos(g_i, G) = r_i (x_i . G_w + G_b) / (|r_i| sqrt(||x_i||^2 + 1) ||G||): one product with X."""
    G = stats.mean_gradient.to(X.dtype)
    dots = r * torch.addmv(G[-1].expand(X.shape[0]), X, G[:-1])
    scale = r.abs() * torch.sqrt(sq_norms + 1) * stats.mean_gradient_norm
    return _cosine(dots, scale)


def logreg_batch_statistics(X: torch.Tensor, y: torch.Tensor, w: torch.Tensor, b: torch.Tensor, *,
                            weight: torch.Tensor | None = None,
                            pos_weight: torch.Tensor | None = None) -> tuple[BatchStatistics, torch.Tensor]:
    """Statistics of one batch and the cosine of each per-sample gradient with G."""
    moments, r, sq_norms = _logreg_pass(X, y, w, b, weight, pos_weight)
    stats = moments.statistics()
    return stats, _cosines(X, r, sq_norms, stats)


def moments_from_per_sample(per_sample: torch.Tensor, wrong: torch.Tensor) -> GradientMoments:
    """Sufficient statistics from an explicit [B, P] matrix of per-sample gradients."""
    if per_sample.dim() != 2 or wrong.shape != (per_sample.shape[0],):
        raise InputError(f"per_sample: expected [B, P] with wrong [B], got {tuple(per_sample.shape)} "
                         f"and {tuple(wrong.shape)}", argument="per_sample")
    g = per_sample.double()
    norms = torch.linalg.vector_norm(g, dim=1)
    wrong = wrong.bool()
    return GradientMoments(g.shape[0], g.sum(0), float((g * g).sum()), int(wrong.sum()),
                           g[wrong].sum(0), float(norms.sum()), float(norms[wrong].sum()))


def per_sample_batch_statistics(per_sample: torch.Tensor, wrong: torch.Tensor) -> tuple[BatchStatistics, torch.Tensor]:
    """Statistics and cosines for explicit per-sample gradients (for example the GRU's)."""
    stats = moments_from_per_sample(per_sample, wrong).statistics()
    g = per_sample.double()
    cosines = _cosine(g @ stats.mean_gradient, g.norm(dim=1) * stats.mean_gradient_norm)
    return stats, cosines


def gru_batch_statistics(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor,
                         lengths: torch.Tensor | None = None, *,
                         part: str = "all") -> tuple[BatchStatistics, torch.Tensor]:
    """Batch statistics of a GRU classifier from its closed-form per-sample gradients.

    ``part="head"``: the head's gradients r_i [h_T,i, 1] (derivations ``gru_head_*``);
    ``part="all"``: every parameter, flattened, from ``gru_per_sample_grads``.  A sample is
    misclassified when its signed margin (2 y_i - 1) z_i is not positive.
    """
    if part not in ("head", "all"):
        raise InputError(f"part: expected 'head' or 'all', got {part!r}", argument="part")
    z, r, h_last = gru_residuals(model, X, y, lengths)
    if part == "head":
        per_sample = torch.cat([r[:, None] * h_last, r[:, None]], dim=1)
    else:
        grads = gru_per_sample_grads(model, X, y, lengths)
        per_sample = torch.cat([g.reshape(len(y), -1) for g in grads.values()], dim=1)
    return per_sample_batch_statistics(per_sample, misclassified(z, y))
