"""numeric.gru_per_sample_norms (issue 24): per-sample gradient norms by the Gram ("ghost norm")
form and by materialising, against the norms of materialised per-sample gradients (float64, the
full configuration matrix of test_gru_models.py) and of per-sample autograd of the plain module
(tests/numeric/conftest.py's oracle); the clipped batch gradient against its definition."""

import itertools

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from gradproof import numeric
from gradproof.numeric._gru import _norms
from gradproof.numeric._gru._memory import per_sample_bytes
from gradproof.numeric._gru._model import GRUModel

B, T, D, H, V = 4, 5, 3, 3, 7

# the matrix of test_gru_models.py (test modules cannot import each other under importlib mode)
MATRIX = [(*options, index % 2 == 1, form) for index, (*options, form) in enumerate(itertools.product(
    (1, 2, 3), (False, True), (False, True), (False, True), (False, True), ("padded", "equal", "variable", "packed")))]
assert len(MATRIX) == 192


def problem(oracle, layers, bidirectional, batch_first, bias, embedding, sigmoid, form, dtype=torch.float64, seed=0):
    torch.manual_seed(seed)
    model = oracle.PlainGRUClassifier(D, H, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first,
                                      bias=bias, vocab_size=V if embedding else None, sigmoid=sigmoid).to(dtype)
    shape = (B, T) if batch_first else (T, B)
    X = torch.randint(0, V, shape) if embedding else torch.randn(*shape, D, dtype=dtype)
    y = torch.rand(B, dtype=dtype)
    lengths = {"padded": None, "equal": torch.full((B,), T), "variable": torch.tensor([5, 1, 3, 4])}.get(form)
    if form == "packed":
        X = pack_padded_sequence(X, torch.tensor([2, 5, 1, 4]), batch_first=batch_first, enforce_sorted=False)
    return model, X, y, lengths


def config_id(c):
    return "L{}-bi{:d}-bf{:d}-bias{:d}-emb{:d}-sig{:d}-{}".format(*c)


def norms_of(grads):
    """Per-parameter and total norms of materialised per-sample gradients {name: [B, ...]}."""
    per = {name: g.reshape(len(g), -1).norm(dim=1) for name, g in grads.items()}
    return per, torch.stack([n.square() for n in per.values()]).sum(0).sqrt()


def assert_norms(got, grads, rtol=1e-10):
    per, total = norms_of(grads)
    assert list(got.per_parameter) == list(per)
    for name in per:
        torch.testing.assert_close(got.per_parameter[name], per[name], rtol=rtol, atol=rtol * 1e-3, msg=name)
    torch.testing.assert_close(got.total, total, rtol=rtol, atol=rtol * 1e-3)
    assert float(total.min()) > 0


@pytest.mark.parametrize("config", MATRIX, ids=config_id)
def test_norms_equal_the_norms_of_materialised_gradients_both_ways(gru_oracle, config, monkeypatch):
    model, X, y, lengths = problem(gru_oracle, *config)
    grads = numeric.gru_per_sample_grads(model, X, y, lengths)
    for gram in (True, False):
        monkeypatch.setattr(_norms, "use_gram", lambda steps, size, gram=gram: gram)
        assert_norms(numeric.gru_per_sample_norms(model, X, y, lengths), grads)


@pytest.mark.parametrize("config", [MATRIX[i] for i in (3, 46, 101, 127, 170, 191)], ids=config_id)
def test_norms_equal_those_of_per_sample_autograd(gru_oracle, config):
    model, X, y, lengths = problem(gru_oracle, *config)
    assert_norms(numeric.gru_per_sample_norms(model, X, y, lengths),
                 gru_oracle.per_sample_autograd(model, X, y, lengths))


def test_the_comparison_can_fail(gru_oracle):
    model, X, y, lengths = problem(gru_oracle, *MATRIX[127])
    got = numeric.gru_per_sample_norms(model, X, y, lengths)
    grads = gru_oracle.per_sample_autograd(model, X, y, lengths)
    grads["gru.weight_hh_l0"][2, 0, 0] += 1e-6
    with pytest.raises(AssertionError):
        assert_norms(got, grads)


@pytest.mark.parametrize("config", [MATRIX[-1], MATRIX[-42]], ids=config_id)
def test_float32_norms(gru_oracle, config):
    model, X, y, lengths = problem(gru_oracle, *config, dtype=torch.float32)
    got = numeric.gru_per_sample_norms(model, X, y, lengths)
    assert got.total.dtype == torch.float32
    assert_norms(got, numeric.gru_per_sample_grads(model, X, y, lengths), rtol=1e-4)


def test_the_choice_is_gram_exactly_when_t_squared_is_below_the_size():
    assert _norms.use_gram(5, 26) and not _norms.use_gram(5, 25) and _norms.use_gram(50, 3 * 512 * 1024)


def test_a_padding_row_has_no_gradient_and_no_norm(gru_oracle):
    torch.manual_seed(3)
    model = gru_oracle.PlainGRUClassifier(D, H, vocab_size=V, bidirectional=True).double()
    model.embedding.padding_idx = 0
    ids = torch.randint(0, V, (6, 8))
    ids[:, 5:] = 0
    ids[0, 1] = ids[0, 3] = 0   # padding inside a sequence: its input gradient is not zero, its row has none
    y, lengths = torch.rand(6, dtype=torch.float64), torch.tensor([8, 5, 3, 8, 6, 5])
    grads = numeric.gru_per_sample_grads(model, ids, y, lengths)
    assert float(grads["embedding.weight"][:, 0].abs().max()) == 0
    assert_norms(numeric.gru_per_sample_norms(model, ids, y, lengths), grads)
    model.embedding.padding_idx = None
    with pytest.raises(AssertionError):
        assert_norms(numeric.gru_per_sample_norms(model, ids, y, lengths), grads)


@pytest.mark.parametrize("kwargs", [{}, {"loss": "focal"}, {"pos_weight": 3.0, "weight": "random"}])
def test_options_and_frozen_parameters_as_for_the_gradients(gru_oracle, kwargs):
    model, X, y, lengths = problem(gru_oracle, *MATRIX[158])   # a logit model: 3 layers, bidirectional, embedding
    if kwargs.get("weight") == "random":
        kwargs = {**kwargs, "weight": torch.rand(B, dtype=torch.float64)}
    model.gru.weight_hh_l0.requires_grad_(False)
    got = numeric.gru_per_sample_norms(model, X, y, lengths, **kwargs)
    assert "gru.weight_hh_l0" not in got.per_parameter
    assert_norms(got, numeric.gru_per_sample_grads(model, X, y, lengths, **kwargs))


# --- the clipped sum --------------------------------------------------------------------------

@pytest.mark.parametrize("config", [MATRIX[i] for i in (7, 46, 127, 191)], ids=config_id)
@pytest.mark.parametrize("witness", [True, False])
def test_the_clipped_sum_is_its_definition(gru_oracle, config, witness):
    model, X, y, lengths = problem(gru_oracle, *config)
    grads = gru_oracle.per_sample_autograd(model, X, y, lengths)
    _, total = norms_of(grads)
    C = float(total.median())
    got = numeric.gru_per_sample_norms(model, X, y, lengths, clip=C, witness=witness)
    factors = torch.clamp(C / total, max=1.0)
    assert 0 < int((factors < 1).sum()) < B
    torch.testing.assert_close(got.factors, factors, rtol=1e-10, atol=0)
    for name, g in grads.items():
        want = (factors.reshape(-1, *[1] * (g.dim() - 1)) * g).sum(0)
        torch.testing.assert_close(got.clipped[name], want, rtol=1e-9, atol=1e-13, msg=name)
    assert got.clip == C


def test_a_large_clip_gives_the_batch_gradient(gru_oracle):
    model, X, y, lengths = problem(gru_oracle, *MATRIX[127])
    got = numeric.gru_per_sample_norms(model, X, y, lengths, clip=1e9)
    model.zero_grad()
    gru_oracle.sample_loss(model, model(X, lengths) if lengths is not None else model(X), y).sum().backward()
    assert bool((got.factors == 1).all())
    for name, p in model.named_parameters():
        torch.testing.assert_close(got.clipped[name], p.grad, rtol=1e-10, atol=1e-13)


def test_parts_without_a_module_clip_through_the_composition(gru_oracle):
    torch.manual_seed(0)
    gru, head = nn.GRU(D, H, batch_first=True).double(), nn.Linear(H, 1).double()
    parts = numeric.GRUModel(gru, head)
    X, y = torch.randn(B, T, D, dtype=torch.float64), torch.rand(B, dtype=torch.float64)
    grads = numeric.gru_per_sample_grads(parts, X, y)
    got = numeric.gru_per_sample_norms(parts, X, y, clip=0.05)
    assert_norms(got, grads)
    for name, g in grads.items():
        want = (got.factors.reshape(-1, *[1] * (g.dim() - 1)) * g).sum(0)
        torch.testing.assert_close(got.clipped[name], want, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("clip", [0, -1.0, float("inf"), float("nan"), True, "1"])
def test_a_bad_clip_is_refused(gru_oracle, clip):
    model, X, y, lengths = problem(gru_oracle, *MATRIX[0])
    with pytest.raises(numeric.InputError, match="clip: expected a positive finite number"):
        numeric.gru_per_sample_norms(model, X, y, lengths, clip=clip)


class MeanPoolsBigBatches(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru, self.head = nn.GRU(D, H, batch_first=True), nn.Linear(H, 1)

    def forward(self, X):
        out, h_n = self.gru(X)
        return self.head(h_n[-1] if X.shape[0] <= 2 else out.mean(1)).squeeze(1)


def test_the_witness_refuses_a_batch_dependent_module():
    torch.manual_seed(0)
    model = MeanPoolsBigBatches().double()
    X, y = torch.randn(6, T, D, dtype=torch.float64), torch.rand(6, dtype=torch.float64)
    numeric.gru_per_sample_norms(model, X, y, witness=False)
    with pytest.raises(numeric.InputError, match="model: its forward returned"):
        numeric.gru_per_sample_norms(model, X, y)
    with pytest.raises(numeric.InputError, match="model: its forward returned"):
        numeric.gru_per_sample_norms(model, X, y, clip=1.0)


# --- memory ----------------------------------------------------------------------------------

def test_a_tight_max_memory_works_through_the_batch_in_chunks(gru_oracle, monkeypatch):
    from gradproof.numeric._gru import _classifier

    torch.manual_seed(1)
    model = gru_oracle.PlainGRUClassifier(D, H, num_layers=2, vocab_size=V).double()
    ids, y = torch.randint(0, V, (13, T)), torch.rand(13, dtype=torch.float64)
    want = numeric.gru_per_sample_norms(model, ids, y, clip=0.1)
    chunks = []
    real = _classifier.run_chunks
    monkeypatch.setattr(_norms, "run_chunks", lambda run, rows, *a: chunks.append(rows) or real(run, rows, *a))
    params = list(model.parameters())
    fixed = 8 * (13 * (len(params) + 1) + 2 * sum(p.numel() for p in params))
    # T^2 = 25 > V E = 21: the embedding's norm is taken from its materialised gradient
    per_sample = per_sample_bytes(GRUModel.from_module(model), T, 8, norms_extra=3 * T * T + V * D, witness=True)
    got = numeric.gru_per_sample_norms(model, ids, y, clip=0.1, max_memory=fixed + 4 * per_sample)
    assert chunks == [4]
    torch.testing.assert_close(got.total, want.total, rtol=1e-12, atol=0)
    for name in want.clipped:
        torch.testing.assert_close(got.clipped[name], want.clipped[name], rtol=1e-12, atol=1e-15)
    with pytest.raises(numeric.InputError, match=r"max_memory: per-sample norms need about .* more than max_memory"):
        numeric.gru_per_sample_norms(model, ids, y, max_memory=fixed // 2)


def test_a_large_model_is_cut_into_chunks_by_default_with_the_same_result(gru_oracle, monkeypatch):
    from gradproof.numeric._gru import _classifier

    torch.manual_seed(2)
    model = gru_oracle.PlainGRUClassifier(D, 256, bidirectional=True).double()
    X, y = torch.randn(200, T, D, dtype=torch.float64), torch.rand(200, dtype=torch.float64)
    chunks = []
    real = _classifier.run_chunks
    monkeypatch.setattr(_norms, "run_chunks", lambda run, rows, *a: chunks.append(rows) or real(run, rows, *a))
    whole = numeric.gru_per_sample_norms(model, X, y, max_memory=1e12, clip=0.5)
    cut = numeric.gru_per_sample_norms(model, X, y, clip=0.5)
    assert chunks[0] == 200 and 64 <= chunks[1] < 200
    torch.testing.assert_close(cut.total, whole.total, rtol=1e-12, atol=0)
    for name in whole.clipped:
        torch.testing.assert_close(cut.clipped[name], whole.clipped[name], rtol=1e-12, atol=1e-15)
    small = gru_oracle.PlainGRUClassifier(D, H).double()   # small per-step work: one chunk
    numeric.gru_per_sample_norms(small, X, y)
    assert chunks[-1] == 200
