"""GRU classifier: closed-form per-sample BPTT against autograd (the symbolic cell Jacobians
are checked against nn.GRUCell in tests/symbolic/test_gru_cell_autograd.py)."""

import pytest
import sympy as sp
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from gradproof import numeric, symbolic
from gradproof.numeric._verification._gru import autograd_per_sample

BOUND = {dtype: numeric.testing.tolerance(dtype).rtol for dtype in (torch.float64, torch.float32)}
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
        assert relative_error(got[name], want[name]) <= BOUND[torch.float64]


def test_sum_over_samples_matches_batch_autograd():
    model, X, y, lengths = make(16, 12, 3, 8, torch.float64, ragged=True)
    got = numeric.gru_per_sample_grads(model, X, y, lengths)
    nn.functional.binary_cross_entropy_with_logits(model(X, lengths), y, reduction="sum").backward()
    for name, p in model.named_parameters():
        tol = numeric.testing.tolerance(torch.float64)
        torch.testing.assert_close(got[name].sum(0), p.grad, rtol=tol.rtol, atol=tol.atol)


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
    target = symbolic.targets()["gru_head.dL_dv"]  # derivation gru_head_dL_dv in scalar variables
    assert target.derivation == "gru_head_dL_dv"
    f = sp.lambdify([target.variables[n] for n in ("z", "y", "h")], target.reference,
                    [{"sigmoid": torch.sigmoid}, "math"])
    torch.testing.assert_close(got["head.weight"][:, 0], f(z[:, None], y[:, None], h_last))


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
