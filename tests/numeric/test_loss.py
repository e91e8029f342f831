"""Torch code generated from each loss's proved dL/dz, against the three witnesses and against the
project's own closed forms."""

import math

import pytest
import sympy as sp
import torch

import numeric
import symbolic
from numeric._loss import stable_form

CASES = ["bce", "bce_pos_weight:pos_weight=2.5", "squared_error", "focal", "focal:gamma=1,alpha=0.5",
         "label_smoothing:eps=0.2", "exponential",
         "(1 - sigmoid(z))**2*(-y*log(sigmoid(z))) - (1-y)*sigmoid(z)**2*log(1 - sigmoid(z))",
         "log(1 + exp(-(2*y - 1)*z))"]


@pytest.mark.parametrize("text", CASES)
def test_generated_gradient_passes_the_three_witnesses(text):
    results = numeric.loss_checks(text)
    assert len(results) == 4
    assert all(r.passed for r in results), [(r.name, r.max_abs_error, r.note) for r in results if not r.passed]


def test_bce_and_pos_weight_match_the_project_closed_forms():
    gen = torch.Generator().manual_seed(3)
    z = torch.cat([torch.randn(50, generator=gen, dtype=torch.float64) * 5,
                   torch.tensor([-1e4, -40.0, 40.0, 1e4], dtype=torch.float64)])
    y = (torch.rand(len(z), generator=gen, dtype=torch.float64) > 0.5).double()
    torch.testing.assert_close(numeric.loss_grad("bce", z, y), numeric.logit_residual(z, y), rtol=1e-12, atol=1e-15)
    pw = torch.tensor(2.5, dtype=torch.float64)
    torch.testing.assert_close(numeric.loss_grad("bce_pos_weight:pos_weight=2.5", z, y),
                               numeric.logit_residual(z, y, pos_weight=pw), rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(numeric.loss_grad("squared_error", z, y), numeric.mse_sigmoid_logit_grad(z, y))


def test_focal_stays_finite_in_float32_where_naive_code_does_not():
    loss = symbolic.loss("focal")
    z = torch.tensor([-1e4, -100.0, 100.0, 1e4])
    for label in (0.0, 1.0):
        y = torch.full_like(z, label)
        assert torch.isfinite(numeric.loss_grad(loss, z, y)).all()
    naive = sp.lambdify(sp.symbols("z y", real=True), loss.grad.rewrite(symbolic.sigmoid, sp.exp), "math")
    assert math.isfinite(naive(-700.0, 1.0))  # the naive form is fine in float64 at -700 ...
    with pytest.raises((ValueError, OverflowError, ZeroDivisionError)):
        naive(-1e4, 1.0)  # ... and breaks at -1e4, where the generated stable form is finite
    assert numeric.stable_rewrites(loss.grad) == ["1 - sigmoid(u) -> sigmoid(-u)", "log(sigmoid(u)) -> logsigmoid(u)"]


@pytest.mark.parametrize("text", ["focal", "squared_error", "log(1 + exp(-(2*y - 1)*z))"])
def test_stable_form_is_an_exact_rewrite(text):
    grad = symbolic.loss(text).grad
    back = stable_form(grad).replace(sp.Function("logsigmoid"), lambda u: sp.log(symbolic.sigmoid(u)))
    back = back.replace(sp.Function("softplus"), lambda u: sp.log(1 + sp.exp(u)))
    assert symbolic.is_identically_zero(back - grad) is True


def test_loss_grad_rejects_bad_input():
    with pytest.raises(numeric.InputError, match="y: shape"):
        numeric.loss_grad("bce", torch.zeros(3), torch.zeros(2))
    with pytest.raises(numeric.InputError, match="gamma"):
        numeric.loss_grad("focal:gamma=-2", torch.zeros(3), torch.zeros(3))


def test_training_under_bce_matches_the_project_training_loop():
    from numeric._training import synthetic_logreg_data, train_logreg

    X, y = synthetic_logreg_data(0, n=256)
    shares = numeric.loss_training_shares("bce", X, y, batch_size=32, lr=0.5, steps=20, seed=1)
    expected = []

    def record(step, state, idx):
        stats = numeric.logreg_batch_statistics(X[idx], y[idx], state.w, state.b)[0]
        expected.append((stats.wrong_share, stats.wrong_count / stats.count))

    train_logreg(X, y, batch_size=32, lr=0.5, steps=20, seed=1, on_step=record)
    assert len(shares) == 20
    for (a, fa), (b, fb) in zip(shares, expected):
        assert fa == fb and abs(a - b) < 1e-9
    focal = numeric.loss_training_shares("focal", X, y, batch_size=32, lr=0.5, steps=20, seed=1)
    assert focal[0] == shares[0] and focal[-1] != shares[-1]
