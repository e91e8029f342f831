"""A one-pass CPU kernel (numba) for the batch statistics of logistic regression.

For each row x_i, while it is in registers: z_i = x_i . w + b, ||x_i||^2, the residual
r_i = omega_i [(1 - y_i) sigmoid(z_i) - p_w y_i sigmoid(-z_i)] (derivation
``stable_residual``, written once in ``_logreg.residual_formula`` and compiled
here), and r_i x_i added to the sum of the misclassified rows or of the
others.  X is read from memory once; rows are split among threads, each with its own
partial sums.  torch needs four kernels per block of rows for the same work; this one
runs at about the speed of ``X.sum()``.

Of ``fastmath`` only ``reassoc`` and ``contract`` (reorder and fuse the sums, so the dot
products vectorise); never ``nnan``/``ninf``, which would let the compiler assume that no value
is inf or NaN, while ``check_finite_rows`` finds bad rows of X from the non-finite logits this
pass returns.

numba is imported on first use; :func:`available` says whether it can be.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from .._logreg import misclassified, residual_formula

__all__ = ["available", "logreg_row_pass"]


@cache
def _compiled():
    import numba

    compile_ = numba.njit(cache=True, error_model="numpy")  # IEEE division: 1/0 = inf, no Python check

    @compile_
    def sigmoid(v):  # pragma: no cover - compiled
        return 1 / (1 + np.exp(-v))

    residual = compile_(residual_formula)
    is_wrong = compile_(misclassified)

    @numba.njit(parallel=True, fastmath={"reassoc", "contract"}, cache=True, error_model="numpy")
    def row_pass(X, w, b, of_sigmoid, of_sigmoid_neg, y, parts):  # pragma: no cover - compiled
        B, d = X.shape
        rows = (B + parts - 1) // parts
        right = np.zeros((parts, d), dtype=np.float64)
        wrong = np.zeros((parts, d), dtype=np.float64)
        z = np.empty(B, dtype=X.dtype)
        r = np.empty(B, dtype=X.dtype)
        sq_norms = np.empty(B, dtype=X.dtype)
        for part in numba.prange(parts):
            sum_right = np.zeros(d, dtype=X.dtype)
            sum_wrong = np.zeros(d, dtype=X.dtype)
            for i in range(part * rows, min(B, (part + 1) * rows)):
                x = X[i]
                dot = X.dtype.type(0)
                sq = X.dtype.type(0)
                for k in range(d):
                    dot += x[k] * w[k]
                    sq += x[k] * x[k]
                zi = dot + b
                ri = residual(sigmoid, zi, of_sigmoid[i], of_sigmoid_neg[i])
                z[i], r[i], sq_norms[i] = zi, ri, sq
                target = sum_wrong if is_wrong(zi, y[i]) else sum_right
                for k in range(d):
                    target[k] += ri * x[k]
            right[part] = sum_right
            wrong[part] = sum_wrong
        return z, r, sq_norms, right.sum(0) + wrong.sum(0), wrong.sum(0)

    return row_pass, numba.get_num_threads()


@cache
def available() -> bool:
    """True when numba can be imported (the kernel is then compiled on first use)."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def logreg_row_pass(X: np.ndarray, w: np.ndarray, b: float, of_sigmoid: np.ndarray,
                    of_sigmoid_neg: np.ndarray, y: np.ndarray):
    """(z, r, ||x_i||^2, sum_i r_i x_i, sum_{i wrong} r_i x_i) in one pass over the rows of X.

    r_i is ``residual_formula`` and "wrong" is ``misclassified`` (both of ``numeric._logreg``),
    the same Python functions compiled by numba (with a scalar sigmoid).
    """
    row_pass, threads = _compiled()
    dtype = X.dtype.type
    return row_pass(X, w, dtype(b), of_sigmoid, of_sigmoid_neg, y, threads * 4)
