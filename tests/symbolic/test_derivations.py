"""Every derivation verifies, and verification fails when a step is wrong."""

from dataclasses import replace

import pytest
import sympy as sp

from gradproof import symbolic
from gradproof.symbolic import Derivation, Fact, SoundnessError, Step, sigmoid
from gradproof.symbolic._proof import _kernel, _zero
from gradproof.symbolic._vocabulary import _symbols
from gradproof.symbolic._vocabulary._symbols import j, k, l, n, slack, w, x, y, z

CATALOG = symbolic.catalog()

REQUIRED = [
    "sigmoid_derivative", "bce_dL_dp", "bce_logit_form", "bce_dL_dz", "bce_logit_dL_dz",
    "bce_d2L_dz2", "logreg_dL_dw", "logreg_dL_db", "batch_mean_gradient", "batch_sum_gradient",
    "batch_weighted_gradient", "batch_pos_weight_gradient", "pos_weight_dL_dz", "logreg_hessian", "logreg_hessian_psd",
    "gru_head_dL_dv", "gru_head_dL_dc", "gru_head_dL_dh", "mse_sigmoid_dL_dz", "softmax_ce_dL_dz",
    "residual_margin", "residual_margin_slope",
]


def test_catalog_has_the_required_results():
    assert set(REQUIRED) <= set(CATALOG)


@pytest.mark.parametrize("name", list(CATALOG))
def test_every_derivation_verifies(name):
    d = CATALOG[name]
    assert d.chain_is_linked()
    assert all(d.step_checks()), [s.rule for s, ok in zip(d.steps, d.step_checks()) if not ok]
    assert d.verify()


def _break_last_step(d: Derivation, wrong: sp.Expr) -> Derivation:
    last = d.steps[-1]
    steps = d.steps[:-1] + (replace(last, after=wrong),)
    return replace(d, steps=steps, result=sp.Eq(d.result.lhs, wrong, evaluate=False))


@pytest.mark.parametrize("name, mutate", [
    ("bce_dL_dz", lambda rhs: -rhs),                              # sign error
    ("bce_dL_dz", lambda rhs: rhs * sigmoid(z) * (1 - sigmoid(z))),  # extra sigma'
    ("bce_dL_dz", lambda rhs: rhs.subs(y, 1 - y)),                # swapped y and 1 - y
    ("logreg_dL_dw", lambda rhs: rhs / rhs.atoms(sp.Indexed).pop()),  # missing x_k
    ("batch_sum_gradient", lambda rhs: rhs / sp.Symbol("B", integer=True, positive=True)),  # 1/B
    ("batch_mean_gradient", lambda rhs: 2 * rhs),
    ("logreg_hessian", lambda rhs: rhs * 2),
    ("pos_weight_dL_dz", lambda rhs: rhs.subs(_symbols.pw, 1)),
    ("batch_pos_weight_gradient", lambda rhs: rhs.subs(_symbols.pw, 1)),  # p_w forgotten
    ("mse_sigmoid_dL_dz", lambda rhs: sigmoid(z) - y),
    ("gru_head_dL_dh", lambda rhs: rhs.subs(y, 0)),
])
def test_a_wrong_final_step_fails_verification(name, mutate):
    d = CATALOG[name]
    broken = _break_last_step(d, mutate(d.result.rhs))
    assert broken.chain_is_linked()
    assert not broken.step_checks()[-1]
    assert not broken.verify()


def test_a_broken_chain_fails_even_when_each_step_holds():
    d = CATALOG["bce_dL_dz"]
    assert not replace(d, steps=d.steps[1:]).verify()


def test_a_false_fact_fails():
    d = CATALOG["bce_d2L_dz2"]
    assert not replace(d, facts=(Fact(sigmoid(z) - sp.Rational(1, 2), "not positive"),)).verify()


def test_taylor_check_rejects_a_wrong_quadratic_form():
    d = CATALOG["logreg_hessian_psd"]
    step = d.steps[1]
    assert step.holds()
    assert not replace(step, after=2 * step.after).holds()
    assert not replace(step, after=step.after + 1).holds()


def test_hard_label_cases_are_each_required():
    d = CATALOG["residual_margin"]
    step = d.steps[0]
    wrong = Step(step.before, sigmoid((2 * y - 1) * z), step.rule)
    assert not replace(d, steps=(wrong,), result=sp.Eq(d.result.lhs, wrong.after)).verify()


def test_latex_and_text_show_each_rule():
    d = CATALOG["logreg_dL_dw"]
    tex, text = d.latex(), d.text()
    assert tex.startswith("\\begin{aligned}") and tex.count("&=") == len(d.steps)
    assert "bce\\_logit\\_dL\\_dz" in tex
    for step in d.steps:
        assert step.rule in text
    assert d._repr_latex_().startswith("$$")


GRU = ["gru_cell_dh", "gru_cell_dx", "gru_bptt_recurrence"] + [
    f"gru_cell_d{p}_{kind}{gate}" for p in ("W", "b") for kind in "ih" for gate in "rzn"]


def test_gru_cell_derivations_are_in_the_catalog():
    assert set(GRU) <= set(CATALOG)


def test_the_other_libraries_gru_convention_is_refuted():
    """With b_hn outside the product with r (Keras' reset_after=False style), dh'/db_hn loses the
    factor r; the derivation must reject that."""
    from gradproof.symbolic._catalog import _gru_cell as cell

    d = CATALOG["gru_cell_db_hn"]
    wrong = sp.KroneckerDelta(cell.k, cell.row) * (1 - cell.u_(cell.k)) * (1 - cell.n_(cell.k) ** 2)
    assert not _break_last_step(d, wrong).verify()


def test_bptt_recurrence_without_the_direct_path_fails():
    from gradproof.symbolic._catalog import _gru_cell as cell

    d = CATALOG["gru_bptt_recurrence"]
    wrong = d.result.rhs - cell.g[cell.q] * cell.u_(cell.q)
    assert not _break_last_step(d, wrong).verify()


# --- hypotheses are part of the statement (issue 10, item 6) ---------------------------

def _with_last_step(d: Derivation, after: sp.Expr, substitutions: dict) -> Derivation:
    last = replace(d.steps[-1], after=after, substitutions=substitutions)
    return replace(d, steps=d.steps[:-1] + (last,), result=sp.Eq(d.result.lhs, after, evaluate=False))


@pytest.mark.parametrize("name, after, substitutions", [
    ("bce_dL_dz", sigmoid(z), {y: 0}),                     # the reproducer
    ("bce_dL_dz", sigmoid(z) - 1, {y: 1}),
    ("pos_weight_dL_dz", sigmoid(z) * (1 - y) - y, {_symbols.pw: 1}),
])
def test_an_undeclared_hypothesis_is_refused(name, after, substitutions):
    broken = _with_last_step(CATALOG[name], after, substitutions)
    verdict = broken.verdicts()[-1]
    assert verdict.status == "refused" and "undeclared hypothesis" in verdict.reason
    assert not broken.verify()


def test_a_declared_hypothesis_is_used_and_printed():
    from gradproof.symbolic import Hypothesis

    y_is_zero = Hypothesis("y = 0 (negative samples only)", ({y: 0},))
    d = replace(_with_last_step(CATALOG["bce_dL_dz"], sigmoid(z), {y: 0}), hypotheses=(y_is_zero,))
    assert d.verify()
    assert "hypothesis: y = 0 (negative samples only)" in d.text()
    assert "negative samples only" in d.latex()
    assert "by hypothesis y = 0" in d.text()


def test_hypotheses_of_the_catalog_are_data_and_shown():
    for name in ("residual_margin", "softmax_ce_dL_dz"):
        d = CATALOG[name]
        assert d.hypotheses and all(h.statement and h.cases for h in d.hypotheses)
        for h in d.hypotheses:
            assert f"hypothesis: {h.statement}" in d.text()
    assert CATALOG["residual_margin"].hypothesis_cases() == [{y: 0}, {y: 1}]


def test_a_hypothesis_restricts_every_step_of_the_witness():
    """Dropping the hard-label hypothesis makes |s - y| = sigma(-m) false for soft labels."""
    d = replace(CATALOG["residual_margin"], hypotheses=())
    assert [v.status for v in d.verdicts()] == ["refuted"]


# --- Kronecker deltas of any shape (issue 10, item 4) ----------------------------------


D = sp.Derivative
IN_RANGE = ((k, 0, n - 1),)


@pytest.mark.parametrize("expr, truth, wrong, ranges", [
    (D(sp.Sum(w[n - 1 - j] * x[j], (j, 0, n - 1)), w[k]), x[n - 1 - k], x[k], IN_RANGE),
    (sp.Sum(sp.KroneckerDelta(k, j + 1) * x[j], (j, 0, n - 1)), x[k - 1], x[k], ((k, 1, n),)),
    (sp.Sum(sp.KroneckerDelta(k, n - 1 - j) * x[j], (j, 0, n - 1)), x[n - 1 - k], x[k], IN_RANGE),
    (sp.Sum(sp.KroneckerDelta(j + n, k) * x[j], (j, 0, n - 1)), sp.S.Zero, x[k - n], IN_RANGE),  # never hit
    (D(sp.Sum(w[j + 1] * x[j], (j, 0, n - 1)), w[k]), x[k - 1], x[k], ((k, 1, n),)),
])
def test_a_delta_is_solved_for_the_summation_index(expr, truth, wrong, ranges):
    assert _zero.is_identically_zero(expr - truth, ranges=ranges) is True
    assert _zero.is_identically_zero(expr - wrong, ranges=ranges) is None


def test_a_delta_hit_only_inside_part_of_the_range_is_not_summed_as_if_always_hit():
    """sum_j delta(k, j + 1) x_j is 0 at k = 0: over 0 <= k <= n it is not x_{k-1}."""
    expr = sp.Sum(sp.KroneckerDelta(k, j + 1) * x[j], (j, 0, n - 1))
    assert _zero.is_identically_zero(expr - x[k - 1], ranges=((k, 0, n),)) is None


@pytest.mark.parametrize("delta", [
    sp.KroneckerDelta(2 * j, k),                    # coefficient 2: k odd is never hit
    sp.KroneckerDelta(k, j + y),                    # y real: no integer solution
    sp.KroneckerDelta(k, j * j),                    # not affine
])
def test_a_delta_of_another_shape_is_left_unevaluated(delta):
    expr = sp.Sum(delta * x[j], (j, 0, n - 1))
    assert _zero.evaluate(expr).has(sp.KroneckerDelta)
    for claim in (x[k], x[k / 2], sp.S.Zero):
        assert _zero.is_identically_zero(expr - claim, ranges=IN_RANGE) is None


def _one_step(lhs: sp.Expr, rhs: sp.Expr, ranges=IN_RANGE, **step) -> Derivation:
    return Derivation("probe", "probe", sp.Eq(lhs, rhs, evaluate=False),
                      (Step(lhs, rhs, "claimed", **step),), ranges=ranges)


REVERSED_DOT = D(sp.Sum(w[n - 1 - j] * x[j], (j, 0, n - 1)), w[k])


def test_the_reversed_dot_product_verifies_only_with_the_true_gradient():
    assert _one_step(REVERSED_DOT, x[n - 1 - k]).verify()
    wrong = _one_step(REVERSED_DOT, x[k])
    assert not wrong.verify()
    assert wrong.verdicts()[0].status == "refuted"


def _sum_deltas_as_it_was(total: sp.Sum) -> sp.Expr:
    """The engine before the fix: it substituted var = the delta's other argument, whatever its shape."""
    f, (var, low, high) = total.function, total.limits[0]
    delta = next(d for d in f.atoms(sp.KroneckerDelta) if var in d.free_symbols)
    other = delta.args[1] if delta.args[0] == var else delta.args[0]
    f0, f1 = f.xreplace({delta: sp.S.Zero}), f.xreplace({delta: sp.S.One})
    rest = sp.Sum(f0, total.limits[0]) if not f0.is_zero else sp.S.Zero
    return rest + sp.Piecewise(((f1 - f0).subs(var, other), sp.And(other >= low, other <= high)), (0, True))


def test_the_witness_catches_the_old_delta_bug_as_a_soundness_fault(monkeypatch):
    monkeypatch.setattr(_zero, "_sum_deltas", _sum_deltas_as_it_was)
    wrong = _one_step(REVERSED_DOT, x[k])
    assert wrong.steps[0].holds(ranges=IN_RANGE)          # the buggy engine "proves" it
    verdict = wrong.verdicts()[0]
    assert verdict.status == "fault" and "n = " in verdict.describe()
    with pytest.raises(SoundnessError, match="probe: .*step 1: fault"):
        wrong.verify()
    assert not _one_step(REVERSED_DOT, x[n - 1 - k]).verify()   # the truth is then undecided, not faulted


# --- guards cover the stated range (issue 10, item 5) ----------------------------------


U = sp.IndexedBase("u", real=True)
R1, R2 = _kernel.TAYLOR_INDICES
CROSS = sp.Sum(U[k] * U[n - k], (k, 1, n - 1))   # u_1^2 at n = 2, not 0


@pytest.mark.parametrize("substitutions, status", [
    ({n: R1 + R2 + 1 + slack}, "refused"),   # the old psd guard: covers r1 + r2 < n only
    ({n: R1 + 1 + slack}, "refused"),
    ({}, "refuted"),
])
def test_a_cross_sum_is_not_zero(substitutions, status):
    d = _one_step(CROSS, sp.S.Zero, ranges=(), substitutions=substitutions, taylor_in=U)
    assert d.verdicts()[0].status == status
    assert not d.verify()


def test_the_witness_catches_an_uncovered_guard_as_a_soundness_fault(monkeypatch):
    monkeypatch.setattr(_kernel, "_guard_covers", lambda *args: True)
    d = _one_step(CROSS, sp.S.Zero, ranges=(), substitutions={n: R1 + R2 + 1 + slack}, taylor_in=U)
    assert d.steps[0].holds(d.steps[0].substitutions)     # the guard makes the exact check pass
    with pytest.raises(SoundnessError, match="step 1: fault"):
        d.verify()


def test_the_hessian_guard_of_old_is_refused_and_the_stated_range_suffices():
    d = CATALOG["logreg_hessian"]
    assert d.ranges == ((k, 0, n - 1), (l, 0, n - 1))
    old = replace(d, steps=tuple(replace(s, substitutions={n: k + l + 1 + slack}) for s in d.steps))
    assert {v.status for v in old.verdicts()} == {"refused"}
    assert "does not cover" in old.verdicts()[0].reason


def test_a_guard_that_covers_the_stated_range_is_accepted():
    d = CATALOG["logreg_dL_dw"]
    covered = replace(d, steps=tuple(replace(s, substitutions={n: k + 1 + slack}) for s in d.steps))
    assert covered.verify()
    too_narrow = replace(covered, ranges=((k, 0, n),))
    assert {v.status for v in too_narrow.verdicts()} == {"refused"}


def test_without_a_stated_range_an_index_guard_is_not_discharged():
    d = replace(CATALOG["logreg_dL_dw"], ranges=())
    assert not d.verify()


# --- mutation tests over every derivation (issue 10) -----------------------------------

def _labels(expr: sp.Expr) -> list:
    """The label leaves of an expression: the scalar y and entries of indexed labels y[.]."""
    scalar = [y] if y in expr.free_symbols else []
    return scalar + sorted((a for a in expr.atoms(sp.Indexed) if a.base.name == "y"), key=sp.default_sort_key)


def _indexed_with_free_index(d: Derivation, expr: sp.Expr) -> list:
    stated = {var for var, _, _ in d.ranges}
    return sorted((a for a in expr.atoms(sp.Indexed) if stated & a.free_symbols), key=sp.default_sort_key)


def _factor(d, expr):
    return expr * (1 + sp.Rational(1, 10**30))


def _index_shift(d, expr):
    atoms = _indexed_with_free_index(d, expr)
    if atoms:
        a = atoms[0]
        return expr.xreplace({a: a.base[tuple(i + 1 for i in a.indices)]})
    return None


def _transposed(d, expr):
    atoms = sorted((a for a in expr.atoms(sp.Indexed) if len(a.indices) == 2 and a.indices[0] != a.indices[1]),
                   key=sp.default_sort_key)
    if atoms:
        a = atoms[0]
        return expr.xreplace({a: a.base[a.indices[::-1]]})
    return None


def _swapped_label(d, expr):
    labels = _labels(expr)
    return expr.xreplace({labels[0]: 1 - labels[0]}) if labels else None


def _hard_label_term(d, expr):
    """A term y (1 - y) s that vanishes exactly for hard labels: dropped where the derivation
    does not assume them, it must be caught."""
    labels = _labels(expr)
    if not labels or d.hypothesis_cases() != [{}]:
        return None
    return expr + labels[0] * (1 - labels[0]) * sigmoid(z)


MUTATIONS = {"factor 1 + 1e-30": _factor, "index shift": _index_shift, "transposed index": _transposed,
             "swapped label": _swapped_label, "hard-label term": _hard_label_term}


def _mutants() -> list:
    """Every derivation with one mutation of one step, the step and the kind rotating
    deterministically (the kinds in turn, each applied where it applies), so that every
    kind is exercised across the catalog and the test stays short."""
    cases, turn = [], 0
    for number, (name, d) in enumerate(CATALOG.items()):
        at = number % len(d.steps)
        applicable = [kind for kind, mutate in MUTATIONS.items() if mutate(d, d.steps[at].after) is not None]
        kinds = list(MUTATIONS)
        kind = next(kinds[(turn + i) % len(kinds)] for i in range(len(kinds))
                    if kinds[(turn + i) % len(kinds)] in applicable)
        turn = kinds.index(kind) + 1
        cases.append((name, at, kind))
    return cases


def _mutated(d: Derivation, at: int, wrong: sp.Expr) -> Derivation:
    steps = list(d.steps)
    steps[at] = replace(steps[at], after=wrong)
    if at + 1 < len(steps):
        steps[at + 1] = replace(steps[at + 1], before=wrong)
    result = d.result if at + 1 < len(steps) else sp.Eq(d.result.lhs, wrong, evaluate=False)
    return replace(d, steps=tuple(steps), result=result)


@pytest.mark.parametrize("name, at, kind", _mutants())
def test_every_derivation_rejects_a_mutated_step(name, at, kind):
    d = CATALOG[name]
    wrong = MUTATIONS[kind](d, d.steps[at].after)
    assert wrong != d.steps[at].after
    broken = _mutated(d, at, wrong)
    assert broken.chain_is_linked()
    verified, verdicts = broken.audit()
    assert not verified and not all(v.ok for v in verdicts[at:at + 2])
    assert "fault" not in {v.status for v in verdicts}


def test_every_derivation_and_every_mutation_kind_is_exercised():
    mutants = _mutants()
    assert {name for name, _, _ in mutants} == set(CATALOG)
    assert {kind for _, _, kind in mutants} == set(MUTATIONS)


def test_a_step_cannot_fix_one_case_of_a_case_split():
    """Under hard labels, a step that substitutes y = 0 would prove only the y = 0 half."""
    d = CATALOG["residual_margin"]
    half = _with_last_step(d, sigmoid(z), {y: 0})
    verdict = half.verdicts()[0]
    assert verdict.status == "refused" and "case split" in verdict.reason


def test_a_guard_slack_must_be_fresh():
    """n = k + 1 + q with q the derivative's own index is not a guard: q is not free to choose."""
    q = _symbols.q
    lhs = D(sp.Sum(w[j] * x[j], (j, 0, n - 1)), w[q])
    d = _one_step(lhs, x[q], ranges=((q, 0, n - 1), (k, 0, n - 1)), substitutions={n: k + 1 + q})
    assert d.verdicts()[0].status == "refused"


def test_strict_inequalities_with_fractions_are_not_tightened_wrongly():
    from gradproof.symbolic._proof._ranges import implied, infeasible

    assert not infeasible(sp.Lt(k / 2, n / 2 - sp.Rational(1, 2)), ((k, n - 2, n - 1),))  # k = n - 2
    assert implied(sp.Lt(k, n), ((k, 0, n - 1),))
    assert not implied(sp.Lt(k / 2, n / 2 - sp.Rational(1, 2)), ((k, 0, n - 1),))  # fails at k = n - 1
    assert implied(sp.Le(k / 2, n / 2 - sp.Rational(1, 2)), ((k, 0, n - 1),))


def test_a_delta_is_never_solved_for_an_index_bound_inside():
    """sum_k sum_j delta(2j, k) x_j: the inner sum cannot be done, and k = 2j must not leak j out."""
    expr = sp.Sum(sp.Sum(sp.KroneckerDelta(2 * j, k) * x[j], (j, 0, n - 1)), (k, 0, 2 * n))
    assert j not in _zero.evaluate(expr).free_symbols
    assert _zero.is_identically_zero(expr - sp.Sum(x[j], (j, 0, n - 1))) is None
    double = sp.Sum(sp.KroneckerDelta(j, k) * x[j], (j, 0, n - 1), (k, 0, n - 1))
    assert _zero.is_identically_zero(double - sp.Sum(x[k], (k, 0, n - 1))) is True   # guard from the limits


def test_a_stated_range_does_not_reach_a_sum_that_binds_the_same_name():
    """With k stated in 0..n-1 outside, the k of sum_{k=n}^{2n-1} is another symbol: its guard
    k >= n must not be judged infeasible from the outer range."""
    inner = sp.Sum(sp.Piecewise((x[k], k >= n), (0, True)), (k, n, 2 * n - 1))
    assert _zero.is_identically_zero(inner, ranges=IN_RANGE) is None
    assert _zero.is_identically_zero(inner - sp.Sum(x[k], (k, n, 2 * n - 1)), ranges=IN_RANGE) is True


def test_a_guard_inside_a_sum_is_never_folded_out_of_it():
    """SymPy's piecewise_fold pulls Piecewise((x_k, k >= j)) out of sum_k, leaving k free; with k
    also a stated index the freed condition could be judged on the wrong k."""
    partial = sp.Sum(sp.Piecewise((x[k], k >= j), (0, True)), (k, 0, n - 1))
    claim = sp.Sum(x[k], (k, 0, n - 1))          # false for j > 0
    assert _zero.is_identically_zero(partial - claim, ranges=((k, n - 1, n - 1), (j, 0, n - 1))) is None


def test_a_proof_the_witness_cannot_confirm_is_undecided():
    """sin is outside what the witness evaluates: the exact proof alone never verifies a step."""
    lhs = sp.Mul(2, sp.sin(z), evaluate=False)
    d = _one_step(lhs, sp.sin(z) + sp.sin(z), ranges=())
    assert d.steps[0].holds()
    verdict = d.verdicts()[0]
    assert verdict.status == "undecided" and "cannot evaluate the function sin" in verdict.reason
    assert not d.verify()
