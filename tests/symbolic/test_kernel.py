"""The trusted kernel (issue 19, item 5): each of its rules refuses what breaks it, the true step
beside each broken one still verifies, and the witness cannot be steered by a factor that vanishes
at the sizes it used to try, nor by a coefficient below a fixed precision."""

from __future__ import annotations

import random

import pytest
import sympy as sp

from gradproof.symbolic import Derivation, Fact, Hypothesis, Step, catalog, sigmoid
from gradproof.symbolic._proof import RULES, _kernel, _witness
from gradproof.symbolic._vocabulary._symbols import B, j, k, n, x, y, z

q = sp.Symbol("q", integer=True, nonnegative=True)
q2 = sp.Symbol("q2", integer=True, nonnegative=True)
P = (n - 1) * (n - 2) * (n - 3) * (n - 4)   # zero at every size the witness used to try
u = sp.IndexedBase("u", real=True)
RANGES = ((k, 0, n - 1), (j, 0, B - 1))


def one_step(before, after, substitutions=None, ranges=(), hypotheses=(), taylor_in=None, facts=()):
    step = Step(before, after, "as written", substitutions=substitutions or {}, taylor_in=taylor_in)
    return Derivation("probe", "probe", sp.Eq(before, after, evaluate=False), (step,), ranges=ranges,
                      hypotheses=hypotheses, facts=facts)


Y_POSITIVE = sp.Symbol("y", positive=True)
INSIDE = sp.Piecewise((1, k <= n - 1), (0, True)) * sp.Piecewise((1, j <= B - 1), (0, True))

# one broken derivation per rule, next to the same derivation made right
BROKEN = {
    "names": (one_step(y, y, facts=(Fact(Y_POSITIVE + y ** 2, "y + y^2 > 0"),)),
              one_step(y, y, facts=(Fact(1 + y ** 2, "1 + y^2 > 0"),))),
    "hypotheses": (one_step(y, sp.S.One, {y: 1}, hypotheses=(Hypothesis("y = 0", ({y: 0},)),
                                                               Hypothesis("2y = 1", ({2 * y: 1},)))),
                   one_step(y, sp.S.One, {y: 1}, hypotheses=(Hypothesis("y = 1", ({y: 1},)),))),
    "exact numbers": (one_step(z * sp.Float("0.5"), z / 2), one_step(z * sp.Rational(1, 2), z / 2)),
    "facts": (one_step(z, z, facts=(Fact(Y_POSITIVE, "y > 0"),)),
              one_step(z, z, facts=(Fact(1 + z ** 2, "1 + z^2 > 0"),))),
    "substitution": (one_step(y, sp.S.One, {y: 1}), one_step(y, y)),
    "capture": (one_step(sp.Sum(x[k] * (n - 1 - k), (k, 0, 1)), (n - 1 - k) * sp.Sum(x[k], (k, 0, 1)),
                         {n: k + 1 + q}, ((k, 0, n - 1),)),
                one_step(INSIDE, sp.S.One, {n: k + 1 + q, B: j + 1 + q2}, RANGES)),
    "guard": (one_step((n - k - B + j) * P, sp.S.Zero, {n: k + 1 + q, B: j + 1 + q}, RANGES),
              one_step(INSIDE, sp.S.One, {n: k + 1 + q, B: j + 1 + q2}, RANGES)),
    "derivative": (one_step(sp.Derivative(sp.Sum(P * x[k] ** 2, (k, 0, n - 1)), x[k]),
                            sp.Sum(2 * P * x[k], (k, 0, n - 1)), ranges=((k, 0, n - 1),)),
                   one_step(sp.Derivative(sp.Sum(x[j] ** 2, (j, 0, n - 1)), x[k]), 2 * x[k],
                            ranges=((k, 0, n - 1),))),
    "taylor": (one_step(P * u[-1], sp.S.Zero, taylor_in=u),
               one_step(sp.Sum(u[k], (k, 0, n - 1)) - sp.Sum(u[j], (j, 0, n - 1)), sp.S.Zero, taylor_in=u)),
    "equality": (one_step(sigmoid(z) + sp.Rational(1, 10**60) * z ** 2, sigmoid(z)),
                 one_step(sigmoid(z) + 0 * z, sigmoid(z))),
}


def test_every_rule_of_the_kernel_is_walked_here():
    assert {rule.name for rule in RULES} == set(BROKEN)
    for rule in RULES:
        assert rule.name in (_kernel.__doc__ or "") and rule.checks


@pytest.mark.parametrize("rule", list(BROKEN))
def test_each_rule_refuses_what_breaks_it_and_passes_the_true_step(rule):
    broken, right = BROKEN[rule]
    verified, verdicts = broken.audit()
    assert not verified
    if rule == "equality":
        assert verdicts[0].status in ("refuted", "undecided")
    else:
        assert verdicts[0].status == "refused" and verdicts[0].rule == rule, verdicts[0].describe()
    assert right.verify(), [v.describe() for v in right.verdicts()]


def test_the_five_reproducers_fail_verify():
    reproducers = [
        one_step((n - k - B + j) * P, sp.S.Zero, {n: k + 1 + q, B: j + 1 + q}, RANGES),
        one_step(sp.Sum(n - q, (q, 0, n - 1)) * P, sp.Sum(k + 1, (q, 0, n - 1)) * P, {n: k + 1 + q},
                 ((k, 0, n - 1),)),
        one_step((n - k - 1) * P, sp.S.Zero, {n: k + 1 + q, q: 0}, ((k, 0, n - 1),),
                 hypotheses=(Hypothesis("q = 0", ({q: 0},)),)),
        one_step(P * u[-1], sp.S.Zero, taylor_in=u),
        one_step(sp.Derivative(sp.Sum(P * x[k] ** 2, (k, 0, n - 1)), x[k]), sp.Sum(2 * P * x[k], (k, 0, n - 1)),
                 ranges=((k, 0, n - 1),)),
    ]
    for derivation in reproducers:
        assert not derivation.verify(), derivation.verdicts()[0].describe()
        assert derivation.verdicts()[0].status == "refused"


def test_a_fact_over_a_positive_symbol_is_refused_even_alone():
    d = one_step(z, z, facts=(Fact(Y_POSITIVE, "y > 0"),))
    assert not Fact(Y_POSITIVE, "y > 0").holds()
    assert not d.verify()


def test_the_witness_sees_sizes_past_four_with_fresh_entropy():
    sizes = [n, B]
    fixed = _witness._size_assignments(sizes, random.Random(1))
    assert any(max(a.values()) >= 5 for a in fixed)
    draws = {_witness._size_assignments([n])[-1][n] for _ in range(40)}
    assert len(draws) > 1 and min(draws) >= 5   # fresh entropy: the draw differs from run to run
    found = _witness.compare(P * z, sp.S.Zero * z, [{}])
    assert found.point is not None and found.point[n] >= 5


@pytest.mark.parametrize("digits", [40, 60, 120])
def test_the_witness_precision_rises_past_every_written_coefficient(digits):
    small = sp.Rational(1, 10**digits)
    assert _witness.compare(sigmoid(z) + small * z ** 2, sigmoid(z), [{}]).point is not None
    assert _witness.precision_for(small * z, z) > digits * 3.32 + 64
    assert _witness.compare(sigmoid(z) + small * z - small * z, sigmoid(z), [{}]).confirms


def test_a_step_that_a_hidden_factor_zeroes_at_small_sizes_is_refuted_not_verified():
    d = one_step(sp.Sum(x[k], (k, 0, n - 1)) + P * z, sp.Sum(x[k], (k, 0, n - 1)))
    assert d.verdicts()[0].status in ("refuted", "undecided")
    assert not d.verify()


def test_every_catalog_derivation_still_verifies_under_the_kernel():
    for name, derivation in catalog().items():
        verified, verdicts = derivation.audit()
        assert verified, (name, [v.describe() for v in verdicts if not v.ok])


def test_derive_shows_a_soundness_fault_loudly(monkeypatch, capsys):
    """A proof the numeric witness refutes (here: the kernel's exact engine made to 'prove' a false
    step) is printed as a soundness fault with its step and point, and exits 1."""
    from dataclasses import replace

    from gradproof import symbolic
    from gradproof.reports import main

    original = symbolic.catalog()
    d = original["bce_dL_dz"]
    broken = replace(d, steps=d.steps[:-1] + (replace(d.steps[-1], after=d.result.rhs + 1),))
    monkeypatch.setattr(symbolic, "catalog", lambda: {**original, "bce_dL_dz": broken})
    monkeypatch.setattr(_kernel, "step_holds", lambda *args, **kwargs: True)
    assert main(["derive", "bce_dL_dz"]) == 1
    out = capsys.readouterr().out
    assert "SOUNDNESS FAULT of the engine: step 4: fault" in out and "z = " in out


# --- found by an adversarial reader after the kernel landed ------------------------------------

def test_a_dummy_is_a_symbol_like_any_other_for_the_rules():
    dummy = sp.Dummy("q", integer=True, nonnegative=True)
    lhs = sp.KroneckerDelta(dummy, n + 4) * x[k]
    guard = one_step(lhs, sp.S.Zero, {n: k + 1 + dummy}, ((k, 0, n - 1),))
    assert not guard.verify() and guard.verdicts()[0].rule == "guard"
    assert not Fact(sp.Dummy("y", positive=True), "y > 0").holds()
    clash = one_step(z, z, facts=(Fact(sp.Dummy("z", positive=True) + z ** 2, "z + z^2 > 0"),))
    assert clash.verdicts()[0].rule == "names"


@pytest.mark.parametrize("tiny", [sp.Float("1e-3000"), sp.Float("1e-20"), sp.Float("0.5")])
def test_a_float_in_a_step_is_refused_since_float_arithmetic_rounds(tiny):
    before, after = (z + tiny) * (z + 1), z ** 2 + z + tiny
    d = one_step(before, after)
    assert not d.verify() and d.verdicts()[0].rule == "exact numbers"


def test_a_coefficient_past_the_witness_precision_is_undecided_never_verified():
    tiny = sp.Rational(1, 10**3000)
    d = one_step((z + tiny) * (z + 1), z ** 2 + z + tiny)
    assert not d.verify() and d.verdicts()[0].status in ("undecided", "refuted")
    assert not _witness.compare(z, z + tiny, [{}]).confirms


P12 = sp.prod([n - m for m in range(1, 13)])   # zero at every size the witness can draw


def test_a_step_zero_at_every_point_tried_confirms_nothing():
    assert not _witness.compare(P12 * x[k], sp.S.Zero * x[k], [{}], ((k, 0, n - 1),)).confirms


def test_the_second_adversary_s_steps_are_refused():
    r = sp.Symbol("r", integer=True, positive=True)
    zs = sp.IndexedBase("z", real=True)
    ys = sp.IndexedBase("y", real=True)
    U = sp.IndexedBase("u", real=True)
    r1, r2 = _kernel.TAYLOR_INDICES
    cases = [
        one_step(P12 * sp.KroneckerDelta(n, k + 1) * x[k], sp.S.Zero, {n: k + 1 + r}, ((k, 0, n - 1),)),
        one_step(sp.Sum(x[k] * (n - 1 - k), (k, 0, 1)), (n - 1 - k) * sp.Sum(x[k], (k, 0, 1)), {n: k + 1 + q},
                 ((k, 0, n - 1),)),
        one_step(P12 * ys[k], P12 * zs[k], {y: z}, ((k, 0, n - 1),), hypotheses=(Hypothesis("y = z", ({y: z},)),)),
        one_step(sp.Sum(U[r2], (r2, 0, n - 1)) ** 2, n * sp.Sum(U[r2], (r2, 0, n - 1)) ** 2, taylor_in=U),
    ]
    for d in cases:
        assert not d.verify(), d.verdicts()[0].describe()
        assert d.verdicts()[0].status == "refused", d.verdicts()[0].describe()
