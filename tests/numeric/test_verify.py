"""numeric.verify passes, and fails when a closed form is deliberately broken."""

import math

import pytest
import torch

from gradproof import numeric
from gradproof.numeric import _logreg as logreg
from gradproof.numeric._verification._logreg import logreg_checks
from gradproof.numeric._verification._tolerances import FD_TOLERANCE


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
        assert set(r.as_dict()) >= {"name", "device", "dtype", "max_abs_error", "max_rel_error", "passed"}
        assert all(math.isfinite(v) for v in (r.max_abs_error, r.max_rel_error, r.tolerance_used)), r
        dtype = getattr(torch, r.dtype)
        assert (r.rtol, r.atol) in (tuple(numeric.testing.tolerance(dtype)), tuple(FD_TOLERANCE)), r
        if (r.rtol, r.atol) != tuple(numeric.testing.tolerance(dtype)):
            assert "finite differences" in r.name, r


def test_each_error_is_within_the_bound_the_result_states(results):
    """passed says |a - b| <= atol + rtol |b| for every entry, i.e. tolerance_used <= 1; and the
    three numbers of a row fit together: max_rel / (1 + rtol) <= tolerance_used <= max_abs / atol
    (each entry's bound lies between atol and (1 + rtol) max(|b|, atol))."""
    checked = [r for r in results if not r.expected_difference]
    assert len(checked) >= 60
    for r in checked:
        assert r.passed == (r.tolerance_used <= 1) and r.status == "pass", r
        assert r.max_rel_error / (1 + r.rtol) <= r.tolerance_used * (1 + 1e-9), r
        assert r.tolerance_used <= r.max_abs_error / r.atol * (1 + 1e-9), r


def test_the_checks_measure_something(results):
    """Not a value compared with itself: most rows see rounding, and float32 rows see more of it."""
    checked = [r for r in results if not r.expected_difference]
    assert sum(r.max_abs_error > 0 for r in checked) >= len(checked) - 4
    worst = {dtype: max(r.tolerance_used * r.rtol for r in checked if r.dtype == dtype)
             for dtype in ("float64", "float32")}
    assert worst["float32"] > 100 * worst["float64"], worst


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
        assert r.tolerance_used > 1 and r.share_of_tolerance is None and r.status == "explained"
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


@pytest.mark.parametrize("target, part", [
    ("gradproof.numeric._logreg.logit_residual", "logreg: per-sample closed form"),
    ("gradproof.numeric._gru._objective.head_dL_dz", "gru: per-sample BPTT"),
])
def test_verify_reports_a_broken_closed_form_as_failed(monkeypatch, target, part):
    """numeric.verify itself (not only one family of checks) reports the breakage, with numbers
    that say why: the failed rows exceed their bound."""
    monkeypatch.setattr(target, lambda z, y, **kw: y - torch.sigmoid(z))   # the sign error
    results = numeric.verify(device="cpu", dtypes=(torch.float64,))
    failed = [r for r in results if not r.passed]
    assert failed and any(r.name.startswith(part) for r in failed), [r.name for r in failed]
    for r in failed:
        assert r.status == "failed" and r.tolerance_used > 1 and str(r).startswith("failed:"), r
    assert any(r.passed for r in results)   # the rest still pass: the failure is the breakage's


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
