"""gru_per_sample_grads with the user's own loss and options (issue 24): ``loss=``, ``pos_weight``,
per-sample ``weight``, frozen parameters, the witness on the real batch and ``max_memory``.

The reference is autograd of the same loss, written here in plain torch (not through gradproof's
generated code), one backward pass per sample through the unmodified module (tests/numeric/conftest.py's
``PlainGRUClassifier`` and ``one_sample``, reached through the ``gru_oracle`` fixture)."""

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from gradproof import numeric
from gradproof.numeric._gru._memory import per_sample_bytes
from gradproof.numeric._gru._model import GRUModel

B, T, D, H, V = 5, 6, 3, 4, 9


def problem(oracle, *, sigmoid=False, embedding=True, layers=2, bidirectional=True, seed=0, batch=B):
    torch.manual_seed(seed)
    model = oracle.PlainGRUClassifier(D, H, num_layers=layers, bidirectional=bidirectional,
                                      vocab_size=V if embedding else None, sigmoid=sigmoid).double().eval()
    X = torch.randint(0, V, (batch, T)) if embedding else torch.randn(batch, T, D, dtype=torch.float64)
    y = torch.rand(batch, dtype=torch.float64)
    lengths = torch.randint(1, T + 1, (batch,))
    return model, X, y, lengths


def reference(oracle, model, X, y, lengths, loss_of):
    """{name: [B, *shape]}: autograd of loss_of(output_i, y_i, i) per sample, trainable parameters only."""
    named = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    rows = []
    for i in range(len(y)):
        model.zero_grad(set_to_none=True)
        out = model(*oracle.one_sample(model, X, lengths, i)).reshape(-1)
        loss_of(out, y[i:i + 1], i).sum().backward()
        rows.append([torch.zeros_like(p) if p.grad is None else p.grad.clone() for _, p in named])
    model.zero_grad(set_to_none=True)
    return {name: torch.stack([row[k] for row in rows]) for k, (name, _) in enumerate(named)}


def assert_close_to(got, want):
    assert list(got) == list(want)
    for name in want:
        assert float(want[name].abs().max()) > 0, name
        torch.testing.assert_close(got[name], want[name], rtol=1e-9, atol=1e-12, msg=name)


def focal(z, y, gamma=2.0, alpha=0.25):   # torchvision.ops.sigmoid_focal_loss, soft labels
    p = torch.sigmoid(z)
    ce = nn.functional.binary_cross_entropy_with_logits(z, y, reduction="none")
    p_t = p * y + (1 - p) * (1 - y)
    return (alpha * y + (1 - alpha) * (1 - y)) * ce * (1 - p_t) ** gamma


LOSSES = {
    "focal": focal,
    "focal:gamma=1/2,alpha=0.6": lambda z, y: focal(z, y, 0.5, 0.6),
    "squared_error": lambda z, y: (torch.sigmoid(z) - y) ** 2 / 2,
    "label_smoothing:eps=0.1": lambda z, y: nn.functional.binary_cross_entropy_with_logits(
        z, 0.9 * y + 0.05, reduction="none"),
    "(sigmoid(z) - y)**4": lambda z, y: (torch.sigmoid(z) - y) ** 4,
    "bce": lambda z, y: nn.functional.binary_cross_entropy_with_logits(z, y, reduction="none"),
}


@pytest.mark.parametrize("name", list(LOSSES))
def test_any_loss_matches_autograd_of_that_loss(gru_oracle, name):
    model, X, y, lengths = problem(gru_oracle)
    want = reference(gru_oracle, model, X, y, lengths, lambda out, y_i, i: LOSSES[name](out, y_i))
    assert_close_to(numeric.gru_per_sample_grads(model, X, y, lengths, loss=name), want)


def test_a_symbolic_loss_object_is_accepted_and_another_loss_is_told_apart(gru_oracle):
    from gradproof import symbolic

    model, X, y, lengths = problem(gru_oracle)
    got = numeric.gru_per_sample_grads(model, X, y, lengths, loss=symbolic.loss("focal"))
    assert_close_to(got, reference(gru_oracle, model, X, y, lengths, lambda out, y_i, i: focal(out, y_i)))
    bce = reference(gru_oracle, model, X, y, lengths, lambda out, y_i, i: LOSSES["bce"](out, y_i))
    with pytest.raises(AssertionError):
        assert_close_to(got, bce)


@pytest.mark.parametrize("pos_weight", [3.0, 0.25, torch.tensor([2.5], dtype=torch.float64)])
@pytest.mark.parametrize("weighted", [False, True])
def test_pos_weight_and_weight_match_bce_with_logits(gru_oracle, pos_weight, weighted):
    model, X, y, lengths = problem(gru_oracle, seed=1)
    weight = torch.rand(B, dtype=torch.float64) * 2 if weighted else None
    pw = torch.as_tensor(pos_weight, dtype=torch.float64).reshape(1)

    def loss(out, y_i, i):
        value = nn.functional.binary_cross_entropy_with_logits(out, y_i, pos_weight=pw, reduction="none")
        return value if weight is None else weight[i] * value

    got = numeric.gru_per_sample_grads(model, X, y, lengths, pos_weight=pos_weight, weight=weight)
    assert_close_to(got, reference(gru_oracle, model, X, y, lengths, loss))


def test_pos_weight_is_the_closed_form_of_the_issue(gru_oracle):
    model, X, y, lengths = problem(gru_oracle, seed=2)
    got = numeric.gru_per_sample_grads(model, X, y, lengths, pos_weight=4.0)
    z, _, h = numeric.gru_residuals(model, X, y, lengths)
    dL_dz = torch.sigmoid(z) * (1 + 3.0 * y) - 4.0 * y
    torch.testing.assert_close(got["head.bias"][:, 0], dL_dz, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(got["head.weight"][:, 0], dL_dz[:, None] * h, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["focal", "squared_error"])
def test_weight_multiplies_any_loss(gru_oracle, name):
    model, X, y, lengths = problem(gru_oracle, seed=3)
    weight = torch.tensor([0.0, 1.0, 2.5, -1.0, 0.5], dtype=torch.float64)
    want = reference(gru_oracle, model, X, y, lengths, lambda out, y_i, i: weight[i] * LOSSES[name](out, y_i))
    got = numeric.gru_per_sample_grads(model, X, y, lengths, loss=name, weight=weight)
    assert_close_to(got, want)
    assert all(float(g[0].abs().max()) == 0 for g in got.values())   # weight 0: no gradient


def test_weight_on_a_sigmoid_model_is_bceloss_weight(gru_oracle):
    model, X, y, lengths = problem(gru_oracle, sigmoid=True, seed=4)
    weight = torch.rand(B, dtype=torch.float64)
    want = reference(gru_oracle, model, X, y, lengths, lambda out, y_i, i: nn.functional.binary_cross_entropy(
        out, y_i, weight=weight[i:i + 1], reduction="none"))
    assert_close_to(numeric.gru_per_sample_grads(model, X, y, lengths, weight=weight), want)


@pytest.mark.parametrize("kwargs, message", [
    ({"loss": "focal"}, "loss: the model ends in nn.Sigmoid"),
    ({"pos_weight": 2.0}, "pos_weight: the model ends in nn.Sigmoid"),
])
def test_logit_losses_are_refused_for_a_sigmoid_model(gru_oracle, kwargs, message):
    model, X, y, lengths = problem(gru_oracle, sigmoid=True)
    with pytest.raises(numeric.InputError, match=message) as caught:
        numeric.gru_per_sample_grads(model, X, y, lengths, **kwargs)
    assert caught.value.argument == next(iter(kwargs))


@pytest.mark.parametrize("kwargs, message", [
    ({"loss": "no_such_loss"}, "loss: unknown loss"),
    ({"loss": "z**"}, "loss: "),
    ({"loss": "focal", "pos_weight": 2.0}, "pos_weight: applies to BCE-with-logits, not to loss focal"),
    ({"pos_weight": -1.0}, "pos_weight: expected a positive finite number"),
    ({"pos_weight": float("inf")}, "pos_weight: expected a positive finite number"),
    ({"pos_weight": True}, "pos_weight: expected one positive number"),
    ({"pos_weight": torch.tensor([1.0, 2.0])}, r"pos_weight: expected one positive number.*shape \(2,\)"),
    ({"weight": torch.ones(B + 1, dtype=torch.float64)}, r"weight: expected a floating-point tensor of shape \(5,\)"),
    ({"weight": [1.0] * B}, "weight: expected a floating-point tensor"),
    ({"weight": torch.tensor([1.0, float("nan"), 1, 1, 1], dtype=torch.float64)}, "weight: contains NaN"),
    ({"max_memory": -5}, "max_memory: expected a positive number"),
    ({"max_memory": "1GB"}, "max_memory: expected a positive number"),
])
def test_bad_options_are_refused_naming_the_argument(gru_oracle, kwargs, message):
    model, X, y, lengths = problem(gru_oracle)
    with pytest.raises(numeric.InputError, match=message) as caught:
        numeric.gru_per_sample_grads(model, X, y, lengths, **kwargs)
    assert caught.value.argument == message.split(":")[0]


# --- frozen parameters ------------------------------------------------------------------------

TOP_LAYER = tuple(f"gru.{kind}_l1{direction}" for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
                  for direction in ("", "_reverse"))


@pytest.mark.parametrize("frozen", [("embedding.weight",), ("gru.weight_hh_l0", "gru.bias_ih_l1_reverse"),
                                    ("head.weight", "head.bias"), TOP_LAYER,
                                    tuple(n for n in TOP_LAYER if "reverse" not in n) + ("embedding.weight",)])
def test_frozen_parameters_are_skipped(gru_oracle, frozen):
    model, X, y, lengths = problem(gru_oracle, seed=5)
    for name, p in model.named_parameters():
        p.requires_grad_(name not in frozen)
    got = numeric.gru_per_sample_grads(model, X, y, lengths)
    assert not set(frozen) & set(got)
    assert_close_to(got, reference(gru_oracle, model, X, y, lengths, lambda out, y_i, i: LOSSES["bce"](out, y_i)))


def test_a_model_with_every_parameter_frozen_is_refused(gru_oracle):
    model, X, y, lengths = problem(gru_oracle)
    model.requires_grad_(False)
    with pytest.raises(numeric.InputError, match="model: no parameter requires grad"):
        numeric.gru_per_sample_grads(model, X, y, lengths)


# --- the witness on the real batch -------------------------------------------------------------

class PoolsBigBatches(nn.Module):
    """The issue's module: the last valid step for batches of at most two samples, mean pooling otherwise."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(D, H, batch_first=True)
        self.head = nn.Linear(H, 1)

    def forward(self, X, lengths):
        packed = pack_padded_sequence(X, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, h_n = self.gru(packed)
        if X.shape[0] <= 2:
            return self.head(h_n[-1]).squeeze(1)
        padded, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=X.shape[1])
        mask = (torch.arange(X.shape[1])[None, :] < lengths[:, None]).to(X.dtype)
        return self.head((padded * mask[..., None]).sum(1) / lengths[:, None].to(X.dtype)).squeeze(1)


class HalvesTheGruGradient(nn.Module):
    """Every value as the plain composition, but half the gradient reaches the GRU (h/2 + h.detach()/2)."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(D, H, batch_first=True)
        self.head = nn.Linear(H, 1)

    def forward(self, X):
        h = self.gru(X)[1][-1]
        return self.head(h / 2 + h.detach() / 2).squeeze(1)


def test_the_issues_batch_dependent_module_is_refused_by_the_witness():
    torch.manual_seed(0)
    model = PoolsBigBatches().double()
    X, y = torch.randn(8, T, D, dtype=torch.float64), torch.rand(8, dtype=torch.float64)
    lengths = torch.tensor([6, 2, 4, 1, 5, 6, 3, 2])
    silently_wrong = numeric.gru_per_sample_grads(model, X, y, lengths, witness=False)  # the two-sample check
    model.zero_grad()
    nn.functional.binary_cross_entropy_with_logits(model(X, lengths), y, reduction="sum").backward()
    assert float((silently_wrong["head.weight"].sum(0) - model.head.weight.grad).abs().max()) > 1e-3
    with pytest.raises(numeric.InputError, match="model: its forward returned"):
        numeric.gru_per_sample_grads(model, X, y, lengths)


def test_a_module_that_only_changes_gradients_is_refused_by_the_probe():
    torch.manual_seed(0)
    model = HalvesTheGruGradient().double()
    X, y = torch.randn(6, T, D, dtype=torch.float64), torch.rand(6, dtype=torch.float64)
    numeric.gru_per_sample_grads(model, X, y, witness=False)   # its values are the composition's
    with pytest.raises(numeric.InputError, match=r"model: the module is not the composition it looks like.*gru\."):
        numeric.gru_per_sample_grads(model, X, y)
    model.gru.requires_grad_(False)                               # only the head is asked for: it is right
    assert set(numeric.gru_per_sample_grads(model, X, y)) == {"head.weight", "head.bias"}


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_the_probe_catches_one_wrong_sample(gru_oracle, dtype, monkeypatch):
    """A closed form wrong in a single sample's gradient is refused for every draw of the probe once
    the error exceeds the bound probe_weights states (3x 2 rtol sum_j ||g_j||, at least 1 % of the
    sample's gradient); right, it passes."""
    from gradproof.numeric._gru import _classifier

    torch.manual_seed(0)
    model = gru_oracle.PlainGRUClassifier(D, H, num_layers=2, bidirectional=True).to(dtype).eval()
    X, y = torch.randn(40, T, D, dtype=dtype), torch.rand(40, dtype=dtype)
    right = numeric.gru_per_sample_grads(model, X, y)["gru.weight_hh_l0"]
    rtol = _classifier.WITNESS_RTOL.get(dtype, _classifier.WITNESS_RTOL["other"])
    size = 3 * 2 * rtol * float(right.flatten(1).norm(dim=1).sum()) / float(right[3].norm())
    real = _classifier.share_pass

    def wrong(run, rows, slots, threads):
        found = real(run, rows, slots, threads)
        weight = slots[id(model.gru.weight_hh_l0)]
        if rows.start == 0:
            weight[3] *= 1 + max(size, 1e-2)
        return found

    monkeypatch.setattr(_classifier, "share_pass", wrong)
    with pytest.raises(numeric.InputError, match="differ from the closed form's in gru.weight_hh_l0"):
        numeric.gru_per_sample_grads(model, X, y, threads=1)


def test_a_probe_whose_sum_cancels_does_not_refuse_a_right_float32_result(gru_oracle, monkeypatch):
    """Rounding errors grow with sum_i |c_i| ||g_i||, not with ||sum_i c_i g_i||, which the random
    signs can cancel to near 0 (head.bias: sum_i c_i r_i; the default report was refused in 1 run of
    3 at relative differences 0.0013-0.0098 of the sum): a draw that cancels exactly must pass."""
    from gradproof.numeric._gru import _classifier

    torch.manual_seed(3)
    model = gru_oracle.PlainGRUClassifier(D, H, num_layers=2, bidirectional=True).float().eval()
    X, y = torch.randn(64, T, D), (torch.rand(64) > 0.5).float()
    residual = numeric.gru_per_sample_grads(model, X, y, witness=False)["head.bias"][:, 0].double()
    real = _classifier.probe_weights

    def cancelling(size, like):
        c = real(size, like).double()
        j = int(residual.abs().argmax())
        c[j] -= float(c @ residual) / float(residual[j])      # sum_i c_i r_i = 0 in exact arithmetic
        return c.to(like.dtype)

    monkeypatch.setattr(_classifier, "probe_weights", cancelling)
    for _ in range(3):
        numeric.gru_per_sample_grads(model, X, y)


def test_the_witness_passes_in_inference_mode_with_options(gru_oracle):
    model, X, y, lengths = problem(gru_oracle, seed=6)
    weight = torch.rand(B, dtype=torch.float64)
    want = numeric.gru_per_sample_grads(model, X, y, lengths, pos_weight=2.0, weight=weight)
    with torch.inference_mode():
        got = numeric.gru_per_sample_grads(model, X.clone(), y.clone(), lengths.clone(), pos_weight=2.0,
                                           weight=weight.clone())
    for name in want:
        torch.testing.assert_close(got[name], want[name], rtol=1e-12, atol=1e-14)


# --- memory ----------------------------------------------------------------------------------

def test_a_tight_max_memory_works_through_the_batch_in_chunks(gru_oracle, monkeypatch):
    from gradproof.numeric._gru import _classifier

    model, X, y, lengths = problem(gru_oracle, seed=7, batch=11)
    want = numeric.gru_per_sample_grads(model, X, y, lengths)
    parameters = sum(p.numel() for p in model.parameters())
    per_sample = per_sample_bytes(GRUModel.from_module(model), T, 8, witness=True)
    chunks = []
    real = _classifier.run_chunks
    monkeypatch.setattr(_classifier, "run_chunks", lambda run, rows, *a: chunks.append(rows) or real(run, rows, *a))
    got = numeric.gru_per_sample_grads(model, X, y, lengths,
                                       max_memory=8 * (11 * parameters + 2 * parameters) + 3 * per_sample)
    assert chunks == [3]
    for name in want:
        torch.testing.assert_close(got[name], want[name], rtol=1e-12, atol=1e-14)


def test_a_result_that_does_not_fit_is_refused_with_the_estimate_and_the_way_out(gru_oracle):
    model, X, y, lengths = problem(gru_oracle)
    parameters = sum(p.numel() for p in model.parameters())
    with pytest.raises(numeric.InputError, match=r"max_memory: per-sample gradients need about .* more than "
                                                 r"max_memory = .*gru_per_sample_norms.*smaller batch") as caught:
        numeric.gru_per_sample_grads(model, X, y, lengths, max_memory=8 * B * parameters // 2)
    assert caught.value.argument == "max_memory"


def test_verify_runs_the_witness_and_reports_its_refusal(monkeypatch):
    """numeric.verify computes the GRU's per-sample gradients with the witness on: a closed form
    with the sign of dL/dz flipped is refused by it, and verify reports that as a failed check
    (with the witness's message) instead of raising."""
    monkeypatch.setattr("gradproof.numeric._gru._objective.head_dL_dz", lambda z, y, **kw: y - torch.sigmoid(z))
    results = [r for r in numeric.verify(device="cpu", dtypes=(torch.float64,)) if r.name.startswith("gru:")]
    refused = [r for r in results if "the witness on the real batch refused" in r.note]
    assert refused and all(not r.passed and r.status == "failed" for r in refused)
    assert any("not the composition it looks like" in r.note for r in refused)
