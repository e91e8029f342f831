"""The GRU tests' own model and reference, written here so that they share nothing with gradproof.

``PlainGRUClassifier`` is a user's module built from torch parts only: an optional nn.Embedding,
an nn.GRU with the given options, an nn.Linear(hidden * directions, 1) head on the last valid
step (the top layer's forward state at the last valid token and backward state at the first) and
optionally nn.Sigmoid.  ``per_sample_autograd`` is the reference: one backward pass per sample
through that unmodified module, of the sample's own unreduced loss (BCE-with-logits on the logit,
or nn.BCELoss on the probability after the nn.Sigmoid).

pytest runs with ``--import-mode=importlib``, where test modules cannot import each other, so the
helpers reach the test files through the session fixture ``gru_oracle``.
"""

from types import SimpleNamespace

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence


class PlainGRUClassifier(nn.Module):
    """[nn.Embedding ->] nn.GRU -> nn.Linear(hidden * directions, 1) on the last valid step [-> nn.Sigmoid].

    ``read="h_n"`` takes the head's input from torch's own ``h_n`` (of a ``pack_padded_sequence``
    batch when lengths are given); ``read="index"`` indexes the padded output of the packed GRU
    (forward half at step len - 1, backward half at step 0).  ``forward(X, lengths=None)`` takes a
    padded tensor (layout as ``batch_first`` says), optionally with lengths, or a PackedSequence.
    """

    def __init__(self, input_size, hidden_size, *, num_layers=1, bidirectional=False, batch_first=True, bias=True,
                 vocab_size=None, sigmoid=False, dropout=0.0, read="h_n"):
        super().__init__()
        if vocab_size is not None:
            self.embedding = nn.Embedding(vocab_size, input_size)
        self.gru = nn.GRU(input_size, hidden_size, num_layers=num_layers, bias=bias, batch_first=batch_first,
                          dropout=dropout, bidirectional=bidirectional)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), 1)
        if sigmoid:
            self.sigmoid = nn.Sigmoid()
        self.read = read

    def embed(self, X):
        if not hasattr(self, "embedding"):
            return X
        if isinstance(X, PackedSequence):  # torch's own packed layout: embed the packed data
            return PackedSequence(self.embedding(X.data), X.batch_sizes, X.sorted_indices, X.unsorted_indices)
        return self.embedding(X)

    def last_step(self, X, lengths=None):
        """The head's input [B, hidden * directions]."""
        x = self.embed(X)
        if lengths is not None:
            x = pack_padded_sequence(x, lengths.cpu(), batch_first=self.gru.batch_first, enforce_sorted=False)
        out, h_n = self.gru(x)
        if self.read == "h_n":
            return torch.cat([h_n[-2], h_n[-1]], dim=1) if self.gru.bidirectional else h_n[-1]
        if isinstance(out, PackedSequence):
            out, lengths = pad_packed_sequence(out, batch_first=True)
        else:
            out = out if self.gru.batch_first else out.transpose(0, 1)
            lengths = torch.full((out.shape[0],), out.shape[1])
        rows, last = torch.arange(out.shape[0], device=out.device), lengths.to(out.device) - 1
        forward = out[rows, last, :self.gru.hidden_size]
        if not self.gru.bidirectional:
            return forward
        return torch.cat([forward, out[:, 0, self.gru.hidden_size:]], dim=1)

    def forward(self, X, lengths=None):
        z = self.head(self.last_step(X, lengths)).squeeze(1)
        return self.sigmoid(z) if hasattr(self, "sigmoid") else z


def ends_in_sigmoid(model):
    return any(isinstance(m, nn.Sigmoid) for m in model.modules())


def batch_first(model):
    return next(m for m in model.modules() if isinstance(m, nn.GRU)).batch_first


def one_sample(model, X, lengths, i):
    """The arguments of ``model(...)`` for sample i alone, in the form the batch came in."""
    if isinstance(X, PackedSequence):
        padded, all_lengths = pad_packed_sequence(X, batch_first=True)
        return (pack_padded_sequence(padded[i:i + 1], all_lengths[i:i + 1], batch_first=True),)
    X_i = X[i:i + 1] if batch_first(model) else X[:, i:i + 1]
    return (X_i,) if lengths is None else (X_i, lengths[i:i + 1])


def truncated_sample(model, X, lengths, i):
    """Sample i alone, cut to its length, as a padded tensor without lengths."""
    if isinstance(X, PackedSequence):
        padded, lengths = pad_packed_sequence(X, batch_first=True)
        X_i = padded[i:i + 1, :int(lengths[i])]
        return (X_i,) if batch_first(model) else (X_i.transpose(0, 1),)
    steps = X.shape[1] if batch_first(model) else X.shape[0]
    n = steps if lengths is None else int(lengths[i])
    return (X[i:i + 1, :n],) if batch_first(model) else (X[:n, i:i + 1],)


def sample_loss(model, output, y_i, probability=None):
    """The unreduced loss of one sample: nn.BCELoss after an nn.Sigmoid, BCE-with-logits otherwise."""
    probability = ends_in_sigmoid(model) if probability is None else probability
    loss = nn.functional.binary_cross_entropy if probability else nn.functional.binary_cross_entropy_with_logits
    return loss(output.reshape(-1), y_i, reduction="none")


def per_sample_autograd(model, X, y, lengths=None, *, probability=None, split=one_sample):
    """{name: [B, *param.shape]}: one backward pass per sample through the unmodified ``model``."""
    rows = []
    for i in range(y.shape[0]):
        model.zero_grad(set_to_none=True)
        loss = sample_loss(model, model(*split(model, X, lengths, i)), y[i:i + 1], probability)
        assert loss.shape == (1,)
        loss.sum().backward()
        rows.append({name: torch.zeros_like(p) if p.grad is None else p.grad.detach().clone()
                     for name, p in model.named_parameters()})
    model.zero_grad(set_to_none=True)
    return {name: torch.stack([row[name] for row in rows]) for name in rows[0]}


def relative_error(got, want):
    """Per sample: max |got - want| / max |want| over the parameter's entries; the worst sample."""
    diff = (got - want).abs().reshape(len(got), -1).amax(1)
    scale = want.abs().reshape(len(want), -1).amax(1).clamp_min(1e-30)
    return float((diff / scale).max())


def assert_matches(got, want, model, bound):
    """``got`` is keyed like ``model.named_parameters()`` and within ``bound`` of ``want`` per sample."""
    names = [name for name, _ in model.named_parameters()]
    assert list(got) == names and list(want) == names
    for name, p in model.named_parameters():
        assert got[name].shape == want[name].shape == (len(want[name]), *p.shape), name
        assert torch.isfinite(want[name]).all(), name
        error = relative_error(got[name], want[name])
        assert error <= bound, f"{name}: relative error {error:.3g} > {bound:g}"


@pytest.fixture(scope="session")
def gru_oracle():
    return SimpleNamespace(PlainGRUClassifier=PlainGRUClassifier, per_sample_autograd=per_sample_autograd,
                           sample_loss=sample_loss, one_sample=one_sample, truncated_sample=truncated_sample,
                           relative_error=relative_error, assert_matches=assert_matches)
