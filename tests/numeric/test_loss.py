"""Torch code generated from each loss's proved dL/dz, against the three witnesses and against the
project's own closed forms."""

import math

import mpmath
import pytest
import sympy as sp
import torch

from gradproof import numeric, symbolic
from gradproof.numeric._losses._codegen import stable_form
from gradproof.numeric._verification._tolerances import tolerance

CASES = ["bce", "bce_pos_weight:pos_weight=2.5", "squared_error", "focal", "focal:gamma=1,alpha=0.5", "focal:gamma=0.5",
         "label_smoothing:eps=0.2", "exponential",
         "(1 - sigmoid(z))**2*(-y*log(sigmoid(z))) - (1-y)*sigmoid(z)**2*log(1 - sigmoid(z))",
         "log(1 + exp(-(2*y - 1)*z))"]


@pytest.mark.parametrize("text", CASES)
def test_generated_gradient_passes_the_three_witnesses(text):
    results = numeric.losses.loss_checks(text)
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
    assert numeric.losses.stable_rewrites(loss.grad) == [
        "1 - sigmoid(u) -> sigmoid(-u)", "log(sigmoid(u)) -> logsigmoid(u)"]


@pytest.mark.parametrize("text", ["focal", "focal:gamma=0.5", "squared_error", "log(1 + exp(-(2*y - 1)*z))"])
def test_stable_form_is_an_exact_rewrite(text):
    grad = symbolic.loss(text).grad
    back = stable_form(grad).replace(sp.Function("logsigmoid"), lambda u: sp.log(symbolic.sigmoid(u)))
    back = back.replace(sp.Function("softplus"), lambda u: sp.log(1 + sp.exp(u)))
    back = back.replace(sp.Function("logaddexp"), lambda a, b: sp.log(sp.exp(a) + sp.exp(b)))
    assert symbolic.is_identically_zero(back - grad) is True


def test_loss_grad_rejects_bad_input():
    with pytest.raises(numeric.InputError, match="y: shape"):
        numeric.loss_grad("bce", torch.zeros(3), torch.zeros(2))
    with pytest.raises(numeric.InputError, match="gamma"):
        numeric.loss_grad("focal:gamma=-2", torch.zeros(3), torch.zeros(3))


def test_training_under_bce_matches_the_project_training_loop():
    from gradproof.numeric._training._sgd import synthetic_logreg_data, train_logreg

    X, y = synthetic_logreg_data(0, n=256)
    shares = numeric.training.loss_training_shares("bce", X, y, batch_size=32, lr=0.5, steps=20, seed=1)
    expected = []

    def record(step, state, idx):
        stats = numeric.logreg_batch_statistics(X[idx], y[idx], state.w, state.b)[0]
        expected.append((stats.wrong_share, stats.wrong_count / stats.count))

    train_logreg(X, y, batch_size=32, lr=0.5, steps=20, seed=1, on_step=record)
    assert len(shares) == 20
    for (a, fa), (b, fb) in zip(shares, expected):
        assert fa == fb and abs(a - b) < 1e-9
    focal = numeric.training.loss_training_shares("focal", X, y, batch_size=32, lr=0.5, steps=20, seed=1)
    assert focal[0] == shares[0] and focal[-1] != shares[-1]


ROOT_OF_ERROR = "(y*(1 - sigmoid(z)) + (1 - y)*sigmoid(z))**(3/4)"  # a user formula with a fractional power
LOGITS = [sign * v for v in (0.0, 1.0, 20.0, 100.0, 1e4) for sign in (1, -1)]


def _mp_sigmoid(u):
    return 1 / (1 + mpmath.exp(-u))


def _focal_reference(gamma, alpha):
    """dL/dz of alpha_t q**gamma CE, q = 1 - p_t, written by hand from Lin et al. 2017:
    alpha_t (gamma q**(gamma - 1) dq/dz CE + q**gamma (s - y)), dq/dz = (1 - 2y) s (1 - s)."""
    def grad(z, y):
        s, s_minus = _mp_sigmoid(z), _mp_sigmoid(-z)
        q = y * s_minus + (1 - y) * s
        ce = y * mpmath.log1p(mpmath.exp(-z)) + (1 - y) * mpmath.log1p(mpmath.exp(z))
        alpha_t = alpha * y + (1 - alpha) * (1 - y)
        return alpha_t * (gamma * q ** (gamma - 1) * (1 - 2 * y) * s * s_minus * ce + q ** gamma * (s - y))
    return grad


def _root_of_error_reference(z, y):
    q = y * _mp_sigmoid(-z) + (1 - y) * _mp_sigmoid(z)
    return mpmath.mpf(3) / 4 * q ** mpmath.mpf(-0.25) * (1 - 2 * y) * _mp_sigmoid(z) * _mp_sigmoid(-z)


@pytest.mark.parametrize("text, reference", [
    *[(f"focal:gamma={g}", _focal_reference(mpmath.mpf(g), mpmath.mpf(1) / 4))
      for g in ("0.25", "0.5", "1", "2", "3.5")],
    (ROOT_OF_ERROR, _root_of_error_reference)])
def test_fractional_powers_stay_finite_and_exact_at_extreme_logits(text, reference):
    loss = symbolic.loss(text)
    z64 = torch.tensor(LOGITS * 3, dtype=torch.float64)
    y64 = torch.tensor([0.0] * len(LOGITS) + [1.0] * len(LOGITS) + [0.3] * len(LOGITS), dtype=torch.float64)
    want = []
    for a, b in zip(z64.tolist(), y64.tolist()):
        with mpmath.workdps(40 + int(abs(a) / 2.3)):  # 1 - sigmoid(1e4) = e^-1e4: 4343 digits not to cancel
            want.append(float(reference(mpmath.mpf(a), mpmath.mpf(b))))
    want = torch.tensor(want, dtype=torch.float64)
    assert torch.isfinite(want).all()
    for dtype in (torch.float32, torch.float64):
        got = numeric.loss_grad(loss, z64.to(dtype), y64.to(dtype))
        assert torch.isfinite(got).all(), (dtype, z64[~torch.isfinite(got)], y64[~torch.isfinite(got)])
        tol = tolerance(dtype)
        torch.testing.assert_close(got.double(), want, rtol=tol.rtol, atol=tol.atol)


def test_the_log_space_rewrite_is_what_makes_fractional_focal_finite():
    grad = symbolic.loss("focal:gamma=0.5").grad
    assert numeric.losses.stable_rewrites(grad)[-1].startswith("log space")
    without = sp.lambdify(sp.symbols("z y", real=True), symbolic.sigmoid_forms(grad)[0].replace(
        sp.log, lambda u: sp.Function("logsigmoid")(u.args[0]) if isinstance(u, symbolic.sigmoid) else sp.log(u)),
        modules=[{"sigmoid": torch.sigmoid, "logsigmoid": torch.nn.functional.logsigmoid}, "math"])
    z, y = torch.tensor([100.0]), torch.tensor([1.0])
    assert not torch.isfinite(without(z, y)).all()  # inf * 0 without it ...
    assert torch.isfinite(numeric.loss_grad("focal:gamma=0.5", z, y)).all()  # ... finite with it
