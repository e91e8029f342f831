"""The GRU cell's symbolic Jacobians (derivations ``gru_cell_dh``, ``gru_cell_dx``) against
torch autograd of ``nn.GRUCell``, entry by entry at small sizes."""

import sympy as sp
import torch
from torch import nn

from gradproof.symbolic._catalog import _gru_cell as cell


def _unroll(expr, sizes):
    """Expand every finite sum over a symbolic size into explicit terms (after, never before)."""
    def expand(s):
        f, (var, low, high) = s.function, s.limits[0]
        top = int(high.subs(sizes))
        return sp.Add(*[f.subs(var, value) for value in range(int(low), top + 1)])
    while expr.has(sp.Sum):
        expr = expr.replace(lambda e: isinstance(e, sp.Sum) and not e.function.has(sp.Sum), expand)
    return expr


def test_symbolic_cell_jacobian_matches_autograd():
    Hn, Dn = 3, 2
    torch.manual_seed(1)
    gru = nn.GRUCell(Dn, Hn).double()
    x = torch.randn(Dn, dtype=torch.float64)
    h = torch.randn(Hn, dtype=torch.float64)
    jac_h = torch.autograd.functional.jacobian(lambda hh: gru(x[None], hh[None])[0], h)
    jac_x = torch.autograd.functional.jacobian(lambda xx: gru(xx[None], h[None])[0], x)
    values = {}
    for gi, gate in enumerate("rzn"):
        for kind, weight, bias in (("i", gru.weight_ih, gru.bias_ih), ("h", gru.weight_hh, gru.bias_hh)):
            W, b = weight.detach()[gi * Hn:(gi + 1) * Hn], bias.detach()[gi * Hn:(gi + 1) * Hn]
            for a in range(Hn):
                values[cell.bias[kind + gate][a]] = float(b[a])
                for col in range(W.shape[1]):
                    values[cell.W[kind + gate][a, col]] = float(W[a, col])
    values.update({cell.x[a]: float(x[a]) for a in range(Dn)})
    values.update({cell.h[a]: float(h[a]) for a in range(Hn)})
    sizes = {cell.H: Hn, cell.D: Dn}
    for derivation, jac, size in ((cell.gru_cell_dh(), jac_h, Hn), (cell.gru_cell_dx(), jac_x, Dn)):
        rhs = derivation.result.rhs
        for row in range(Hn):
            for col in range(size):
                entry = _unroll(rhs.subs({cell.k: row, cell.q: col}), sizes).xreplace(values)
                assert abs(float(entry.rewrite(sp.exp).evalf()) - float(jac[row, col])) < 1e-12
