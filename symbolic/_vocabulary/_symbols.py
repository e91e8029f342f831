"""The symbols every derivation shares, named as in the design's conventions.

Scalars are real.  Labels ``y`` are real with no 0/1 restriction, so every
result that does not list hard-label cases holds for soft labels y in [0, 1].
Index symbols are nonnegative integers; sizes ``n`` (features), ``B`` (batch),
``H`` (hidden units) and ``D`` (a GRU's inputs) are positive integers, never substituted by
numbers.  ``row`` is the row index of a GRU weight, W[row, q]; it prints as p, as the design's
formulas write it, and is not the probability ``p``.
"""

from __future__ import annotations

import sympy as sp

z, y, b, c, p, m, pw, omega = sp.symbols("z y b c p m p_w omega", real=True)
i, j, k, l, q = sp.symbols("i j k l q", integer=True, nonnegative=True)
n, B, H, D = sp.symbols("n B H D", integer=True, positive=True)
row = sp.Symbol("p", integer=True, nonnegative=True)
slack = sp.Symbol("q_n", integer=True, nonnegative=True)
w, x, v, h = (sp.IndexedBase(name, real=True) for name in ("w", "x", "v", "h"))
X = sp.IndexedBase("X", real=True)
Y = sp.IndexedBase("y", real=True)
Omega = sp.IndexedBase("omega", real=True)

__all__ = ["z", "y", "b", "c", "p", "m", "pw", "omega", "i", "j", "k", "l", "q",
           "n", "B", "H", "D", "row", "slack", "w", "x", "v", "h", "X", "Y", "Omega"]
