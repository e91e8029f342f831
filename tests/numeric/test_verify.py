"""numeric.verify passes, and fails when a closed form is deliberately broken."""

import pytest
import torch

from gradproof import numeric
from gradproof.numeric import _logreg as logreg
from gradproof.numeric._verification._logreg import logreg_checks


@pytest.fixture(scope="module")
def results():
    return numeric.verify()


def test_verify_passes_on_every_available_device(results):
    failed = [r for r in results if not r.passed]
    assert not failed, failed
    devices = {r.device for r in results}
    assert "cpu" in devices
    if torch.cuda.is_available():
        assert any(d.startswith("cuda") for d in devices)
    assert {r.dtype for r in results} == {"float64", "float32"}


def test_results_carry_errors_and_tolerances(results):
    for r in results:
        assert r.max_abs_error >= 0 and r.rtol > 0 and r.atol > 0
        assert set(r.as_dict()) >= {"name", "device", "dtype", "max_abs_error", "max_rel_error", "passed"}


def test_tolerance_used_says_why_a_check_passes(results):
    from gradproof.numeric._verification._compare import compare

    want = torch.tensor([1.0, 1e-9], dtype=torch.float64)
    got = want + torch.tensor([1e-5, 5e-9], dtype=torch.float64)  # relative error 5 on the tiny entry
    passing = compare("c", [got], [want], device="cpu", dtype=torch.float64, rtol=1e-4, atol=1e-8)
    assert passing.passed and passing.max_rel_error > passing.rtol
    assert passing.tolerance_used == pytest.approx(max(1e-5 / (1e-8 + 1e-4), 5e-9 / (1e-8 + 1e-13)))
    failing = compare("c", [want + 1e-3], [want], device="cpu", dtype=torch.float64, rtol=1e-4, atol=1e-8)
    assert not failing.passed and failing.tolerance_used > 1
    assert all(0 <= r.tolerance_used <= 1 for r in results if not r.expected_difference)


def test_bceloss_clamp_is_shown_as_an_explained_difference(results):
    clamp = [r for r in results if r.expected_difference]
    assert clamp and all(r.passed for r in clamp)
    for r in clamp:
        assert r.max_abs_error >= 0.9  # the clamp costs a confidently wrong sample its gradient
        assert "1e-12" in r.note and "BCEWithLogitsLoss does not" in r.note


BREAKAGES = {
    "sign": lambda z, y, **kw: y - torch.sigmoid(z),
    "extra sigma prime": lambda z, y, **kw: (torch.sigmoid(z) - y) * torch.sigmoid(z) * (1 - torch.sigmoid(z)),
    "swapped labels": lambda z, y, **kw: torch.sigmoid(z) - (1 - y),
    "ignores weight": lambda z, y, weight=None, pos_weight=None: torch.sigmoid(z) - y,
    "half": lambda z, y, **kw: (torch.sigmoid(z) - y) / 2,
    "float32 sigmoid": lambda z, y, **kw: (torch.sigmoid(z.float()) - y.float()).to(z.dtype),
}


@pytest.mark.parametrize("kind", list(BREAKAGES))
def test_a_broken_closed_form_fails_verification(monkeypatch, kind):
    monkeypatch.setattr(logreg, "logit_residual", BREAKAGES[kind])
    failed = [r for r in logreg_checks(0, torch.device("cpu"), torch.float64) if not r.passed]
    assert failed, f"breakage {kind!r} went unnoticed"


def test_a_broken_feature_factor_fails(monkeypatch):
    original = logreg.logreg_per_sample_grads

    def missing_x(X, y, w, b, **kw):
        Gw, gb = original(X, y, w, b, **kw)
        return Gw / X.abs().clamp_min(1e-3), gb

    monkeypatch.setattr("gradproof.numeric._verification._logreg.logreg_per_sample_grads", missing_x)
    failed = [r for r in logreg_checks(0, torch.device("cpu"), torch.float64) if not r.passed]
    assert failed


def test_unknown_device_or_dtype_is_rejected():
    with pytest.raises(ValueError, match="device"):
        numeric.verify(device="tpu")
    with pytest.raises(ValueError, match="dtypes"):
        numeric.verify(dtypes=(torch.float16,))
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            numeric.verify(device="cuda")
