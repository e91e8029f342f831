"""GRU classifier: closed-form per-sample BPTT against autograd (the symbolic cell Jacobians
are checked against nn.GRUCell in tests/symbolic/test_gru_cell_autograd.py).

The model under test is the tests' own plain torch module and the reference one backward pass
per sample through it (``gru_oracle``, tests/numeric/conftest.py); ``numeric.GRUClassifier`` is
checked against that plain module with the same weights."""

import pytest
import sympy as sp
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from gradproof import numeric, symbolic

BOUND = {dtype: numeric.testing.tolerance(dtype).rtol for dtype in (torch.float64, torch.float32)}
NAMES = ["gru.weight_ih_l0", "gru.weight_hh_l0", "gru.bias_ih_l0", "gru.bias_hh_l0", "head.weight", "head.bias"]


def make(oracle, B, T, D, H, dtype, device="cpu", seed=0, ragged=False):
    torch.manual_seed(seed)
    model = oracle.PlainGRUClassifier(D, H).to(device=device, dtype=dtype)
    X = torch.randn(B, T, D, dtype=dtype, device=device)
    y = torch.rand(B, dtype=dtype, device=device)
    lengths = torch.randint(1, T + 1, (B,), device=device) if ragged else None
    return model, X, y, lengths


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("ragged", [False, True])
def test_per_sample_grads_match_autograd_per_sample(gru_oracle, device, dtype, ragged):
    model, X, y, lengths = make(gru_oracle, 7, 9, 4, 6, dtype, device, ragged=ragged)
    got = numeric.gru_per_sample_grads(model, X, y, lengths)
    want = gru_oracle.per_sample_autograd(model, X, y, lengths)
    assert list(got) == [name for name, _ in model.named_parameters()] == NAMES
    assert all(got[name].shape[0] == 7 for name in NAMES)
    gru_oracle.assert_matches(got, want, model, BOUND[dtype])


@given(B=st.integers(1, 5), T=st.integers(1, 6), D=st.integers(1, 4), H=st.integers(1, 5),
       seed=st.integers(0, 1000), ragged=st.booleans())
def test_shapes_and_values_for_any_size(gru_oracle, B, T, D, H, seed, ragged):
    model, X, y, lengths = make(gru_oracle, B, T, D, H, torch.float64, seed=seed, ragged=ragged)
    got = numeric.gru_per_sample_grads(model, X, y, lengths)
    want = gru_oracle.per_sample_autograd(model, X, y, lengths)
    assert list(got) == NAMES
    gru_oracle.assert_matches(got, want, model, BOUND[torch.float64])


def test_sum_over_samples_matches_batch_autograd(gru_oracle):
    model, X, y, lengths = make(gru_oracle, 16, 12, 3, 8, torch.float64, ragged=True)
    assert len(set(lengths.tolist())) > 1
    got = numeric.gru_per_sample_grads(model, X, y, lengths)
    nn.functional.binary_cross_entropy_with_logits(model(X, lengths), y, reduction="sum").backward()
    tol = numeric.testing.tolerance(torch.float64)
    for name, p in model.named_parameters():
        assert float(p.grad.abs().max()) > 0, name
        torch.testing.assert_close(got[name].sum(0), p.grad, rtol=tol.rtol, atol=tol.atol)


def test_logit_comes_from_the_last_valid_step():
    torch.manual_seed(0)
    model, X = numeric.GRUClassifier(2, 4).double(), torch.randn(3, 6, 2, dtype=torch.float64)
    lengths = torch.tensor([6, 2, 4])
    logits = model(X, lengths)
    for i in range(3):
        torch.testing.assert_close(logits[i], model(X[i:i + 1, :lengths[i]])[0])
    padded = X.clone()
    padded[1, 2:] = 99.0
    torch.testing.assert_close(model(padded, lengths), logits)


def test_head_gradient_is_the_catalog_formula(gru_oracle):
    model, X, y, _ = make(gru_oracle, 5, 4, 3, 6, torch.float64)
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
def test_bad_input_is_rejected(gru_oracle, bad, message):
    model, X, y, _ = make(gru_oracle, 4, 5, 3, 2, torch.float64)
    with pytest.raises(ValueError, match=message):
        numeric.gru_per_sample_grads(*bad(model, X, y, None))


@pytest.mark.parametrize("options", [
    {}, {"num_layers": 2, "bidirectional": True}, {"vocab_size": 7, "sigmoid": True},
    {"num_layers": 3, "bidirectional": True, "batch_first": False, "bias": False, "vocab_size": 7},
], ids=["plain", "2-layer-bi", "embedding-sigmoid", "3-layer-bi-time-first-no-bias-embedding"])
def test_gru_classifier_is_the_plain_composition(gru_oracle, options):
    """numeric.GRUClassifier computes what the plain module with its weights computes, for
    padded, ragged and packed batches, and its per-sample gradients are that module's."""
    torch.manual_seed(3)
    classifier = numeric.GRUClassifier(3, 4, **options).double()
    plain = gru_oracle.PlainGRUClassifier(3, 4, **options).double()
    assert [name for name, _ in classifier.named_parameters()] == [name for name, _ in plain.named_parameters()]
    plain.load_state_dict(classifier.state_dict())
    batch_first, B, T = options.get("batch_first", True), 5, 6
    shape = (B, T) if batch_first else (T, B)
    X = torch.randint(0, 7, shape) if "vocab_size" in options else torch.randn(*shape, 3, dtype=torch.float64)
    y, lengths = torch.rand(B, dtype=torch.float64), torch.tensor([6, 1, 4, 2, 6])
    packed = pack_padded_sequence(X, lengths, batch_first=batch_first, enforce_sorted=False)
    for args in [(X,), (X, lengths), (packed,)]:
        torch.testing.assert_close(classifier(*args), plain(*args), rtol=1e-13, atol=1e-14)
    assert not torch.allclose(classifier(X), classifier(X, lengths))   # the lengths are read
    want = gru_oracle.per_sample_autograd(plain, X, y, lengths)
    gru_oracle.assert_matches(numeric.gru_per_sample_grads(classifier, X, y, lengths), want, classifier, 1e-10)
