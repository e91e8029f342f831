"""Per-sample BPTT for GRU classifiers of every recognised shape, against per-sample autograd of
the unmodified module (float64, tight), plus the model adapter's refusals.

The models are plain torch modules and the reference is one backward pass per sample through
them, both written in the tests (``PlainGRUClassifier`` and ``per_sample_autograd`` in
tests/numeric/conftest.py, reached through the ``gru_oracle`` fixture): nothing here runs
gradproof's own forward or its own reference."""

import itertools

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from gradproof import numeric

B, T, D, H, V = 4, 5, 3, 3, 7

# (num_layers, bidirectional, batch_first, bias, embedding, sigmoid, form): the full product of
# the options the issue names (the head alternates between BCE-with-logits and Sigmoid + BCELoss)
MATRIX = [(*options, index % 2 == 1, form) for index, (*options, form) in enumerate(itertools.product(
    (1, 2, 3), (False, True), (False, True), (False, True), (False, True), ("padded", "equal", "variable", "packed")))]
assert len(MATRIX) == 192 and len(set(MATRIX)) == 192


def problem(oracle, layers, bidirectional, batch_first, bias, embedding, sigmoid, form, dtype=torch.float64,
            seed=0, read=None):
    """A plain model and batch; the head's input is read from h_n or by indexing, alternately."""
    torch.manual_seed(seed)
    if read is None:
        read = ("h_n", "index")[(layers + bidirectional + batch_first + bias + embedding) % 2]
    model = oracle.PlainGRUClassifier(D, H, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first,
                                      bias=bias, vocab_size=V if embedding else None, sigmoid=sigmoid,
                                      read=read).to(dtype)
    shape = (B, T) if batch_first else (T, B)
    X = torch.randint(0, V, shape) if embedding else torch.randn(*shape, D, dtype=dtype)
    y = torch.rand(B, dtype=dtype)
    lengths = {"padded": None, "equal": torch.full((B,), T), "variable": torch.tensor([5, 1, 3, 4])}.get(form)
    if form == "packed":
        X = pack_padded_sequence(X, torch.tensor([2, 5, 1, 4]), batch_first=batch_first, enforce_sorted=False)
    return model, X, y, lengths


def config_id(c):
    return "L{}-bi{:d}-bf{:d}-bias{:d}-emb{:d}-sig{:d}-{}".format(*c)


@pytest.mark.parametrize("config", MATRIX, ids=config_id)
def test_matches_per_sample_autograd_float64(gru_oracle, config):
    model, X, y, lengths = problem(gru_oracle, *config)
    want = gru_oracle.per_sample_autograd(model, X, y, lengths)
    gru_oracle.assert_matches(numeric.gru_per_sample_grads(model, X, y, lengths), want, model, 1e-10)


@pytest.mark.parametrize("config", [MATRIX[-1], MATRIX[-42]], ids=config_id)
def test_matches_per_sample_autograd_float32(gru_oracle, config):
    model, X, y, lengths = problem(gru_oracle, *config, dtype=torch.float32)
    want = gru_oracle.per_sample_autograd(model, X, y, lengths)
    gru_oracle.assert_matches(numeric.gru_per_sample_grads(model, X, y, lengths), want, model, 1e-4)


# --- the reference itself: consistent, and able to fail ---------------------------------------

@pytest.mark.parametrize("config", [MATRIX[i] for i in (2, 3, 45, 94, 127, 170, 191)], ids=config_id)
def test_the_reference_is_the_same_on_each_sample_cut_to_its_length(gru_oracle, config):
    """The plain module's per-sample loss, fed as given (lengths / packed), equals the loss of
    the sample cut to its length with no padding at all, and both ways of reading the last
    step (h_n, indexing) give it: the reference does not depend on how padding is handled."""
    model, X, y, lengths = problem(gru_oracle, *config, read="h_n")
    want = gru_oracle.per_sample_autograd(model, X, y, lengths)
    cut = gru_oracle.per_sample_autograd(model, X, y, lengths, split=gru_oracle.truncated_sample)
    model.read = "index"
    indexed = gru_oracle.per_sample_autograd(model, X, y, lengths)
    for name in want:
        assert gru_oracle.relative_error(cut[name], want[name]) <= 1e-12, name
        assert gru_oracle.relative_error(indexed[name], want[name]) <= 1e-12, name


@pytest.mark.parametrize("config", [MATRIX[i] for i in (3, 46, 127, 191)], ids=config_id)
@pytest.mark.parametrize("where", ["gru.weight_hh_l0", "head.weight", "gru.bias_ih_l0"])
def test_the_comparison_fails_when_a_parameter_moves_after_the_reference(gru_oracle, config, where):
    model, X, y, lengths = problem(gru_oracle, *config)
    params = dict(model.named_parameters())
    if where not in params:
        where = "gru.weight_ih_l0"
    want = gru_oracle.per_sample_autograd(model, X, y, lengths)
    gru_oracle.assert_matches(numeric.gru_per_sample_grads(model, X, y, lengths), want, model, 1e-10)
    with torch.no_grad():
        params[where].view(-1)[0] += 1e-3
    with pytest.raises(AssertionError, match="relative error"):
        gru_oracle.assert_matches(numeric.gru_per_sample_grads(model, X, y, lengths), want, model, 1e-10)


class PaddedLastStep(nn.Module):
    """Wrong on purpose: reads the padded last step, whatever the lengths."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, X, lengths=None):
        out, _ = self.model.gru(self.model.embed(X))
        z = self.model.head(out[:, -1] if self.model.gru.batch_first else out[-1]).squeeze(1)
        return self.model.sigmoid(z) if hasattr(self.model, "sigmoid") else z


class SwappedDirections(nn.Module):
    """Wrong on purpose: [backward, forward] into the head."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, X, lengths=None):
        h = self.model.last_step(X, lengths)
        z = self.model.head(torch.cat([h[:, H:], h[:, :H]], dim=1)).squeeze(1)
        return self.model.sigmoid(z) if hasattr(self.model, "sigmoid") else z


def prefixed(grads, prefix="model."):
    return {name.removeprefix(prefix): g for name, g in grads.items()}


@pytest.mark.parametrize("wrong, sigmoid", [
    ("padded last step", False), ("padded last step", True), ("swapped directions", False),
    ("swapped directions", True), ("labels flipped", False), ("labels flipped", True),
    ("mean over the batch", False), ("mean over the batch", True), ("BCE-with-logits on the probability", True)])
def test_a_reference_of_another_model_or_loss_is_told_apart(gru_oracle, wrong, sigmoid):
    model, X, y, lengths = problem(gru_oracle, 2, True, True, True, False, sigmoid, "variable")
    got = numeric.gru_per_sample_grads(model, X, y, lengths)
    gru_oracle.assert_matches(got, gru_oracle.per_sample_autograd(model, X, y, lengths), model, 1e-10)
    if wrong == "padded last step":
        other = prefixed(gru_oracle.per_sample_autograd(PaddedLastStep(model), X, y, lengths))
    elif wrong == "swapped directions":
        other = prefixed(gru_oracle.per_sample_autograd(SwappedDirections(model), X, y, lengths))
    elif wrong == "labels flipped":
        other = gru_oracle.per_sample_autograd(model, X, 1 - y, lengths)
    elif wrong == "mean over the batch":
        other = {name: g / B for name, g in gru_oracle.per_sample_autograd(model, X, y, lengths).items()}
    else:
        other = gru_oracle.per_sample_autograd(model, X, y, lengths, probability=False)
    with pytest.raises(AssertionError, match="relative error"):
        gru_oracle.assert_matches(got, other, model, 1e-10)


# --- sums, shares, the user's own module ------------------------------------------------------

@pytest.mark.parametrize("threads", [2, 3])
def test_shares_of_the_batch_in_threads_give_the_one_pass_result(gru_oracle, threads):
    torch.manual_seed(4)
    model = gru_oracle.PlainGRUClassifier(D, H, num_layers=2, bidirectional=True, vocab_size=V, sigmoid=True).double()
    ids, y = torch.randint(0, V, (100, T)), torch.rand(100, dtype=torch.float64)
    lengths = torch.randint(1, T + 1, (100,))
    before = torch.get_num_threads()
    got = numeric.gru_per_sample_grads(model, ids, y, lengths, threads=threads)
    assert torch.get_num_threads() == before
    one_pass = numeric.gru_per_sample_grads(model, ids, y, lengths, threads=1)
    want = gru_oracle.per_sample_autograd(model, ids, y, lengths)
    for name in want:
        torch.testing.assert_close(got[name], one_pass[name], rtol=1e-12, atol=1e-14)
    gru_oracle.assert_matches(got, want, model, 1e-10)


def test_sum_over_samples_is_the_summed_loss_gradient(gru_oracle):
    model, X, y, lengths = problem(gru_oracle, 2, True, True, True, True, True, "packed")
    got = numeric.gru_per_sample_grads(model, X, y, lengths)
    nn.functional.binary_cross_entropy(model(X), y, reduction="sum").backward()
    for name, p in model.named_parameters():
        assert float(p.grad.abs().max()) > 0, name
        torch.testing.assert_close(got[name].sum(0), p.grad, rtol=1e-10, atol=1e-12)


class UserClassifier(nn.Module):
    """Written the way people write it: nothing from gradproof, padding_idx, Sequential head."""

    def __init__(self, head=None):
        super().__init__()
        self.embed = nn.Embedding(V, 4, padding_idx=0)
        self.rnn = nn.GRU(4, H, num_layers=2, bidirectional=True, batch_first=True)
        self.classifier = head or nn.Sequential(nn.Linear(2 * H, 1), nn.Sigmoid())

    def forward(self, ids, lengths):
        packed = pack_padded_sequence(self.embed(ids), lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, h_n = self.rnn(packed)
        return self.classifier(torch.cat([h_n[-2], h_n[-1]], dim=1)).squeeze(1)


def user_problem(module=None):
    torch.manual_seed(1)
    model = (module or UserClassifier()).double().eval()
    ids = torch.randint(0, V, (B, T))
    ids[1, 3:] = 0
    return model, ids, torch.rand(B, dtype=torch.float64), torch.tensor([5, 3, 2, 5])


def test_a_plain_user_module(gru_oracle):
    model, ids, y, lengths = user_problem()
    got = numeric.gru_per_sample_grads(model, ids, y, lengths)
    gru_oracle.assert_matches(got, gru_oracle.per_sample_autograd(model, ids, y, lengths), model, 1e-10)
    assert "embed.weight" in got and float(got["embed.weight"][:, 0].abs().max()) == 0.0


def test_bceloss_clamp_is_reproduced_where_sigmoid_saturates(gru_oracle):
    model, ids, y, lengths = user_problem()
    with torch.no_grad():
        model.classifier[0].bias.fill_(40.0)   # p (1 - p) < 1e-12: BCELoss's backward clamps
    y = torch.tensor([0.0, 1.0, 0.3, 0.0], dtype=torch.float64)
    got = numeric.gru_per_sample_grads(model, ids, y, lengths)
    want = gru_oracle.per_sample_autograd(model, ids, y, lengths)
    gru_oracle.assert_matches(got, want, model, 1e-10)
    z, dL_dz, _ = numeric.gru_residuals(model, ids, y, lengths)
    residual = numeric.logit_residual(z, y)
    assert float((dL_dz - residual).abs()[[0, 2, 3]].min()) > 0.5   # the clamp, not sigmoid(z) - y


class MeanPooled(UserClassifier):
    def forward(self, ids, lengths):
        out, _ = self.rnn(self.embed(ids))
        return self.classifier(out.mean(1)).squeeze(1)


class LogitsThroughTorchSigmoid(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru, self.head = nn.GRU(D, H, batch_first=True), nn.Linear(H, 1)

    def forward(self, X):
        return torch.sigmoid(self.head(self.gru(X)[0][:, -1])).squeeze(1)


@pytest.mark.parametrize("make, message", [
    (lambda: UserClassifier(nn.Sequential(nn.Linear(2 * H, 4), nn.Linear(4, 1))), "found 2 head parts"),
    (lambda: UserClassifier(nn.Sequential(nn.Linear(2 * H, 1), nn.Tanh())), r"found classifier.1 \(Tanh\)"),
    (lambda: UserClassifier(nn.Linear(2 * H, 2)), r"head is nn.Linear\(6, 2\); expected nn.Linear\(6, 1\)"),
    (lambda: UserClassifier(nn.Sequential(nn.Dropout(0.2), nn.Linear(2 * H, 1))).train(), "nn.Dropout.*training"),
    (lambda: MeanPooled(), "its forward returned"),
])
def test_unrecognised_models_are_refused(make, message):
    torch.manual_seed(0)
    model = make().double()
    ids, y, lengths = torch.randint(0, V, (B, T)), torch.rand(B, dtype=torch.float64), torch.full((B,), T)
    with pytest.raises(numeric.InputError, match=message):
        numeric.gru_per_sample_grads(model, ids, y, lengths)


def test_training_mode_dropout_between_layers_is_refused_and_eval_mode_is_exact(gru_oracle):
    torch.manual_seed(0)
    model = gru_oracle.PlainGRUClassifier(D, H, num_layers=2, dropout=0.5).double().train()
    X, y = torch.randn(B, T, D, dtype=torch.float64), torch.rand(B, dtype=torch.float64)
    with pytest.raises(numeric.InputError, match="dropout=0.5 between layers and is in training mode"):
        numeric.gru_per_sample_grads(model, X, y)
    model.eval()
    want = gru_oracle.per_sample_autograd(model, X, y)
    gru_oracle.assert_matches(numeric.gru_per_sample_grads(model, X, y), want, model, 1e-10)


def test_a_probability_without_nn_sigmoid_is_refused():
    model = LogitsThroughTorchSigmoid().double()
    with pytest.raises(numeric.InputError, match="use an nn.Sigmoid module"):
        numeric.gru_per_sample_grads(model, torch.randn(B, T, D, dtype=torch.float64), torch.rand(B).double())


@pytest.mark.parametrize("bad, message", [
    (lambda ids, y, L: (ids - 1, y, L), r"token ids must lie in \[0, 6\].*min -1"),
    (lambda ids, y, L: (ids + V, y, L), r"token ids must lie in \[0, 6\].*max 1[0-3]"),
    (lambda ids, y, L: (ids.double(), y, L), "token ids must be an integer tensor"),
    (lambda ids, y, L: (ids[:, :, None], y, L), r"token ids of shape \[B, T\]"),
    (lambda ids, y, L: (ids, y, torch.tensor([5, 0, 2, 5])), r"every length must lie in \[1, 5\]"),
    (lambda ids, y, L: (ids, y, torch.tensor([5, 6, 2, 5])), r"every length must lie in \[1, 5\]"),
    (lambda ids, y, L: (pack_padded_sequence(ids, L, batch_first=True, enforce_sorted=False), y, L),
     "PackedSequence carries its own lengths"),
    (lambda ids, y, L: (pack_padded_sequence(ids[:3], L[:3], batch_first=True, enforce_sorted=False), y, None),
     r"y: expected shape \(3,\).*PackedSequence's batch size"),
])
def test_bad_inputs_are_refused(bad, message):
    model, ids, y, lengths = user_problem()
    with pytest.raises(numeric.InputError, match=message):
        numeric.gru_per_sample_grads(model, *bad(ids, y, lengths))


@pytest.mark.parametrize("threads", [0, -2, 1.5, True, "2"])
def test_bad_thread_counts_are_refused(threads):
    model, ids, y, lengths = user_problem()
    with pytest.raises(numeric.InputError, match="threads: expected a positive integer"):
        numeric.gru_per_sample_grads(model, ids, y, lengths, threads=threads)


def test_adapter_finds_the_parts():
    parts = numeric.GRUModel.from_module(UserClassifier())
    assert (parts.gru.num_layers, parts.directions, parts.sigmoid) == (2, 2, True)
    assert parts.embedding.padding_idx == 0 and parts.head.in_features == 2 * H


class SmallHeadMeanPool(nn.Module):
    """Mean pooling over steps with a head so small that the logits barely tell it apart."""

    def __init__(self, scale):
        super().__init__()
        self.gru = nn.GRU(D, 6, batch_first=True)
        self.fc = nn.Linear(6, 1)
        with torch.no_grad():
            self.fc.weight.mul_(scale)

    def forward(self, X):
        return self.fc(self.gru(X)[0].mean(1)).squeeze(1)


class Rescaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru, self.fc = nn.GRU(D, 6, batch_first=True), nn.Linear(6, 1)

    def forward(self, X):
        return self.fc(self.gru(X)[1][-1]).squeeze(1) / 1.0008


@pytest.mark.parametrize("make, dtype", [(lambda: SmallHeadMeanPool(1e-3), torch.float32),
                                         (lambda: SmallHeadMeanPool(0.0), torch.float64),
                                         (Rescaled, torch.float32)])
def test_a_forward_whose_logits_barely_differ_is_refused_by_its_head(make, dtype):
    torch.manual_seed(0)
    model = make().to(dtype).eval()
    with pytest.raises(numeric.InputError, match="not the last valid step|nothing between the head and the output"):
        numeric.gru_per_sample_grads(model, torch.randn(8, T, D, dtype=dtype), torch.rand(8, dtype=dtype))


def test_inference_mode_gives_the_same_gradients_in_shares(gru_oracle):
    torch.manual_seed(2)
    model = gru_oracle.PlainGRUClassifier(D, H).double().eval()
    X, y = torch.randn(70, T, D, dtype=torch.float64), torch.rand(70, dtype=torch.float64)
    want = numeric.gru_per_sample_grads(model, X, y, threads=1)
    with torch.inference_mode():
        got = numeric.gru_per_sample_grads(model, X, y, threads=2)
    for name in want:
        torch.testing.assert_close(got[name], want[name], rtol=1e-12, atol=1e-14)


@pytest.mark.filterwarnings("ignore:.*weight_norm.*:FutureWarning")
def test_weight_normalised_parts_are_refused(gru_oracle):
    torch.manual_seed(0)
    model = gru_oracle.PlainGRUClassifier(D, H).double().eval()
    model.head = nn.utils.weight_norm(model.head)
    with pytest.raises(numeric.InputError, match="head.weight is not a parameter"):
        numeric.gru_per_sample_grads(model, torch.randn(4, T, D, dtype=torch.float64),
                                     torch.rand(4, dtype=torch.float64))


def test_small_integer_token_ids_are_read_as_indices(gru_oracle):
    torch.manual_seed(1)
    model = gru_oracle.PlainGRUClassifier(D, H, vocab_size=V).double().eval()
    ids, y = torch.randint(0, V, (4, T)), torch.rand(4, dtype=torch.float64)
    want = numeric.gru_per_sample_grads(model, ids, y)
    got = numeric.gru_per_sample_grads(model, ids.to(torch.int32), y)
    for name in want:
        torch.testing.assert_close(got[name], want[name], rtol=0, atol=0)
    with pytest.raises(numeric.InputError, match="calling its forward"):  # nn.Embedding itself refuses uint8
        numeric.gru_per_sample_grads(model, ids.to(torch.uint8), y)
