"""GRU classifier: closed-form per-sample BPTT against autograd, and the symbolic cell
Jacobians against autograd of nn.GRUCell."""

import pytest
import sympy as sp
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

import numeric
import symbolic
from numeric._verify_gru import autograd_per_sample

BOUND = {torch.float64: 1e-10, torch.float32: 1e-4}
NAMES = ["gru.weight_ih_l0", "gru.weight_hh_l0", "gru.bias_ih_l0", "gru.bias_hh_l0", "head.weight", "head.bias"]


def make(B, T, D, H, dtype, device="cpu", seed=0, ragged=False):
    torch.manual_seed(seed)
    model = numeric.GRUClassifier(D, H).to(device=device, dtype=dtype)
    X = torch.randn(B, T, D, dtype=dtype, device=device)
    y = torch.rand(B, dtype=dtype, device=device)
    lengths = torch.randint(1, T + 1, (B,), device=device) if ragged else None
    return model, X, y, lengths


def relative_error(got, want):
    """Per sample: max |got - want| / max |want| over the parameter's entries."""
    diff = (got - want).abs().reshape(len(got), -1).amax(1)
    scale = want.abs().reshape(len(want), -1).amax(1).clamp_min(1e-30)
    return float((diff / scale).max())


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("ragged", [False, True])
def test_per_sample_grads_match_autograd_per_sample(device, dtype, ragged):
    model, X, y, lengths = make(7, 9, 4, 6, dtype, device, ragged=ragged)
    got = numeric.gru_per_sample_grads(model, X, y, lengths)
    want = autograd_per_sample(model, X, y, lengths)
    assert list(got) == [name for name, _ in model.named_parameters()] == NAMES
    for name, p in model.named_parameters():
        assert got[name].shape == (7, *p.shape)
        assert relative_error(got[name], want[name]) <= BOUND[dtype], name


@given(B=st.integers(1, 5), T=st.integers(1, 6), D=st.integers(1, 4), H=st.integers(1, 5),
       seed=st.integers(0, 1000), ragged=st.booleans())
def test_shapes_and_values_for_any_size(B, T, D, H, seed, ragged):
    model, X, y, lengths = make(B, T, D, H, torch.float64, seed=seed, ragged=ragged)
    got = numeric.gru_per_sample_grads(model, X, y, lengths)
    want = autograd_per_sample(model, X, y, lengths)
    for name in NAMES:
        assert relative_error(got[name], want[name]) <= 1e-10


def test_sum_over_samples_matches_batch_autograd():
    model, X, y, lengths = make(16, 12, 3, 8, torch.float64, ragged=True)
    got = numeric.gru_per_sample_grads(model, X, y, lengths)
    nn.functional.binary_cross_entropy_with_logits(model(X, lengths), y, reduction="sum").backward()
    for name, p in model.named_parameters():
        torch.testing.assert_close(got[name].sum(0), p.grad, rtol=1e-10, atol=1e-12)


def test_logit_comes_from_the_last_valid_step():
    model, X, y, _ = make(3, 6, 2, 4, torch.float64)
    lengths = torch.tensor([6, 2, 4])
    logits = model(X, lengths)
    for i in range(3):
        torch.testing.assert_close(logits[i], model(X[i:i + 1, :lengths[i]])[0])
    padded = X.clone()
    padded[1, 2:] = 99.0
    torch.testing.assert_close(model(padded, lengths), logits)


def test_head_gradient_is_the_catalog_formula():
    model, X, y, _ = make(5, 4, 3, 6, torch.float64)
    got = numeric.gru_per_sample_grads(model, X, y)
    z, r, h_last = numeric.gru_residuals(model, X, y)
    d = symbolic.catalog()["gru_head_dL_dv"]
    zs, ys, hs = sp.symbols("z y h", real=True)
    from symbolic._linear import linear_logit
    from symbolic._symbols import c, h, k, v
    rhs = d.result.rhs.xreplace({linear_logit(v, h, c): zs, h[k]: hs})
    f = sp.lambdify((zs, ys, hs), rhs, [{"sigmoid": torch.sigmoid}, "math"])
    torch.testing.assert_close(got["head.weight"][:, 0], f(z[:, None], y[:, None], h_last))


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
    from symbolic import _gru_cell as cell

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


@pytest.mark.parametrize("bad, message", [
    (lambda m, X, y, L: (m, X[0], y, L), "X: expected a tensor of shape"),
    (lambda m, X, y, L: (m, X[:, :, :2], y, L), "X: expected D = 3"),
    (lambda m, X, y, L: (m, X.float(), y, L), "X: torch.float32"),
    (lambda m, X, y, L: (m, X, y[:2], L), "y: expected shape"),
    (lambda m, X, y, L: (m, X, y + 2, L), "y: labels must"),
    (lambda m, X, y, L: (m, X, y, torch.tensor([0, 1, 1, 1])), "lengths: every length"),
    (lambda m, X, y, L: (m, X, y, torch.tensor([9, 1, 1, 1])), "lengths: every length"),
    (lambda m, X, y, L: (m, X, y, torch.ones(4)), "lengths: expected an integer"),
    (lambda m, X, y, L: (m, X * float("nan"), y, L), "X: contains NaN"),
    (lambda m, X, y, L: (m, X[:0], y[:0], L), "X: empty"),
])
def test_bad_input_is_rejected(bad, message):
    model, X, y, _ = make(4, 5, 3, 2, torch.float64)
    with pytest.raises(ValueError, match=message):
        numeric.gru_per_sample_grads(*bad(model, X, y, None))
