"""The trusted kernel: the one module that decides whether a derivation's step is verified.

Everything else in :mod:`gradproof.symbolic` *builds* derivations (the catalog, the loss
module, a user with :class:`~gradproof.symbolic.Derivation`) and asks this module; nothing
else turns a step into "verified".  A reader who wants to audit what "verified" means reads
this file, the exact zero test it calls (:mod:`._zero`, with :mod:`._ranges`) and the
witness (:mod:`._witness`, with :mod:`._dual`, :mod:`._intervals` and the semantics table
:mod:`._semantics`).

The rules it accepts, each with the side conditions it checks (:data:`RULES` holds the same
list, and a test walks it):

``names``
    Symbols are identified by name *and* assumptions: two different symbols with one name in
    a derivation (``y`` real and ``y`` positive) are an error, bound variables and Dummies included.
``exact numbers``
    Every number in a step is an exact rational: a ``Float`` is refused, because SymPy adds floats
    in 53 bits (1 + 1e-3000 is 1.0) and the "exact" engine would round.
``hypotheses``
    Each hypothesis fixes its own keys: two hypotheses that set the same quantity (``y = 0``
    and ``y = 1``, each with one case) are an error, never merged.
``facts``
    A fact claims ``expression > 0`` for every real value of its symbols: a fact over a symbol
    carrying more than ``real`` (positive, integer, ...) is refused.
``substitution``
    A step may substitute only a declared one-case hypothesis (exactly as declared) or a guard.
``capture``
    A substitution (a step's, or a hypothesis case's) may not use a summation index of the step
    (SymPy would push a free k into a sum over k and capture it), and a scalar it replaces may not
    be the label of an indexed quantity of the step (``y = z`` would rewrite ``y[k]``).
``guard``
    A guard ``n = k + 1 + q`` substitutes a size (a positive integer symbol) and brings exactly
    one *fresh* nonnegative integer q with coefficient 1 (not assumed positive: q = 0 must be
    allowed).  Fresh means: q occurs nowhere else
    (not in the step, bound variables included, not in the ranges, not in any hypothesis,
    fact or result, not in another guard of the step); one fresh symbol per guard.  The stated
    ranges must imply ``n - (k + 1) >= 0`` (:func:`._ranges.implied`), so the guard covers
    every point of them.
``derivative``
    A derivative in an indexed entry ``x[k]`` whose index k is bound inside the differentiated
    expression (a summation index) is refused: SymPy would confuse the two k.
``taylor``
    A step proved as a function of a vector u (value and gradient at u = 0, Hessian
    everywhere) needs every entry u[e] of the step proved to lie in one stated range
    (the ranges and the limits of the sums around it); an entry outside them is an error, and the
    step may not use the rule's own indices r_1, r_2.
``equality``
    A step passing every rule above is *verified* when the exact engine proves
    ``before - after = 0`` on the stated ranges in every case of the hypotheses **and** the
    witness, evaluating both sides by plain interval arithmetic at sizes 1-4 and at sizes drawn
    with fresh entropy from 5-12, finds them equal at enough points, at a precision raised
    past every coefficient written in the step.  A proof the witness refutes is a *fault*
    (:class:`SoundnessError` from ``verify``), never a pass.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable
from dataclasses import dataclass

import sympy as sp

from . import _witness
from ._certified import evaluate
from ._ranges import Ranges, implied, within
from ._zero import DEFAULT_SECONDS, is_identically_zero, is_positive

__all__ = ["RULES", "Rule", "StepVerdict", "TAYLOR_INDICES", "FAULT_SECONDS", "derivation_refusal",
           "step_refusal", "step_holds", "step_verdict", "fact_holds", "audit"]

FAULT_SECONDS = 2.0
"""Time for the exact proof of a step the witness refutes: a proof found then is a fault;
a slower one is not waited for (the step is reported refuted, never passed)."""

TAYLOR_INDICES = sp.symbols("r_1 r_2", integer=True, nonnegative=True)


@dataclass(frozen=True)
class Rule:
    """One rule of the kernel: its name and what it checks, in words."""

    name: str
    checks: str


RULES: tuple[Rule, ...] = (
    Rule("names", "two different symbols with one name (bound ones and Dummies included) are an error"),
    Rule("exact numbers", "every number in a step is an exact rational, never a binary float"),
    Rule("hypotheses", "two hypotheses may not set the same quantity"),
    Rule("facts", "a fact's symbols are plain reals (no positive, integer, ... assumption)"),
    Rule("substitution", "a step substitutes only a declared one-case hypothesis or a guard"),
    Rule("capture", "no substitution reaches under a binder (a summation index) or rewrites an indexed "
                    "quantity through its label"),
    Rule("guard", "one fresh nonnegative integer per guard, occurring nowhere else, never named by a "
                  "hypothesis; the stated ranges imply the guard covers them"),
    Rule("derivative", "no derivative in an indexed entry whose index is bound in the differentiated expression"),
    Rule("taylor", "every entry of the Taylor vector lies in a stated range"),
    Rule("equality", "exact proof on the ranges in every case, and the witness agrees (sizes 1-4 and "
                     "random 5-12, precision past every coefficient); a refuted proof is a fault"),
)


@dataclass(frozen=True)
class StepVerdict:
    """The re-check of one step: ``status`` is "verified", "undecided", "refuted" (with a
    witness ``point`` where the two sides differ), "refused" (a rule of the kernel is broken,
    ``rule`` names it) or "fault" (proved, yet refuted at ``point``: an engine bug)."""

    step: int
    status: str
    reason: str = ""
    point: dict | None = None
    rule: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "verified"

    def describe(self) -> str:
        where = f" at {_witness.describe(self.point)}" if self.point else ""
        return f"step {self.step}: {self.status}" + (f" ({self.reason}{where})" if self.reason else where)


# --- symbols ----------------------------------------------------------------------------

def _symbols(exprs: Iterable) -> set[sp.Symbol]:
    """Every symbol of ``exprs``, bound variables, indexed labels and Dummies included."""
    found: set[sp.Symbol] = set()
    for expr in exprs:
        found |= sp.sympify(expr).atoms(sp.Symbol)
    return found


def _inexact(exprs: Iterable) -> str:
    """A binary float in a step: SymPy adds Floats in 53 bits (1 + 1e-3000 is 1.0), so the exact
    engine would not be exact; numbers must be rationals."""
    for expr in exprs:
        for number in sp.sympify(expr).atoms(sp.Float):
            return (f"the step holds the float {number}: write numbers as exact rationals "
                    "(sp.Rational), since float arithmetic rounds")
    return ""


def _hypothesis_exprs(hypotheses) -> list:
    return [e for h in hypotheses for case in h.cases for item in case.items() for e in item]


def _step_exprs(step) -> list:
    return [step.before, step.after, *step.substitutions.keys(), *step.substitutions.values()]


def _derivation_exprs(derivation) -> list:
    exprs = [derivation.result.lhs, derivation.result.rhs]
    exprs += [e for step in derivation.steps for e in _step_exprs(step)]
    exprs += [f.expression for f in derivation.facts] + _hypothesis_exprs(derivation.hypotheses)
    exprs += [e for r in derivation.ranges for e in r]
    exprs += [e for pair in derivation.abbreviations for e in pair]
    return exprs


_SHOWN = ("integer", "positive", "negative", "nonnegative", "nonpositive", "nonzero", "real")


def _name_clash(exprs: Iterable) -> str:
    by_name: dict[str, set] = {}
    for symbol in _symbols(exprs):
        by_name.setdefault(symbol.name, set()).add(symbol)
    for name, symbols in sorted(by_name.items()):
        if len(symbols) > 1:
            kinds = sorted(", ".join(k for k in _SHOWN if s.assumptions0.get(k)) or "no assumptions"
                           for s in symbols)
            return f"the name {name} is used for {len(symbols)} different symbols ({'; '.join(kinds)})"
    return ""


def _hypothesis_conflict(hypotheses) -> str:
    """Two hypotheses may not constrain one quantity: their keys share no free symbol (y = 0 and
    2 y = 1 both set y), so no case of one can override a case of another."""
    owner: dict = {}
    for h in hypotheses:
        for key in {key for case in h.cases for key in case}:
            for symbol in _witness.free_symbols(sp.sympify(key)) | ({key} if isinstance(key, sp.Indexed) else set()):
                if symbol in owner and owner[symbol] != h.statement:
                    return (f"the hypotheses '{owner[symbol]}' and '{h.statement}' both constrain {sp.sstr(symbol)}; "
                            "state one hypothesis with both cases instead")
                owner[symbol] = h.statement
    return ""


def _fact_refusal(facts) -> str:
    for fact in facts:
        for symbol in sorted(_symbols([fact.expression]), key=sp.default_sort_key):
            extra = [k for k in ("positive", "negative", "nonnegative", "nonpositive", "integer", "nonzero", "zero")
                     if symbol.assumptions0.get(k)]
            if extra:
                return (f"the fact '{fact.statement}' is over {symbol}, assumed {', '.join(extra)}: a fact "
                        "must hold for every real value of its symbols")
    return ""


def derivation_refusal(derivation) -> tuple[str, str]:
    """(rule, why) when the derivation as a whole breaks a rule, else ("", "")."""
    for rule, why in (("names", _name_clash(_derivation_exprs(derivation))),
                      ("hypotheses", _hypothesis_conflict(derivation.hypotheses)),
                      ("facts", _fact_refusal(derivation.facts))):
        if why:
            return rule, why
    return "", ""


# --- one step ---------------------------------------------------------------------------

def hypothesis_cases(hypotheses, split_only: bool = False) -> list[dict]:
    """Each combination of one case per hypothesis (with ``split_only``, of the hypotheses with
    several cases only: a one-case hypothesis applies only in a step that names it)."""
    alternatives = [h.cases for h in hypotheses if len(h.cases) > 1 or not split_only]
    return [dict(item for case in combo for item in case.items()) for combo in itertools.product(*alternatives)]


def _is_guard(key: sp.Basic) -> bool:
    """A guard substitutes a size (a positive integer symbol)."""
    return isinstance(key, sp.Symbol) and bool(key.is_integer and key.is_positive)


def _fresh_of_guard(size: sp.Symbol, value: sp.Expr, taken: set) -> sp.Symbol | None:
    """The one fresh nonnegative integer of coefficient 1 in ``value``, or None."""
    fresh = [s for s in sp.sympify(value).free_symbols - taken if s not in TAYLOR_INDICES]
    if len(fresh) != 1 or not (fresh[0].is_integer and fresh[0].is_nonnegative):
        return None
    q = fresh[0]
    if q.is_positive or sp.expand(value).coeff(q) != 1 or sp.expand(value - q).has(q):
        return None  # a q assumed positive cannot be 0: the guard would not cover size = k + 1
    return q


def _guard_covers(size: sp.Symbol, value: sp.Expr, q: sp.Symbol, ranges: Ranges) -> bool:
    """``size = value`` covers every point of the stated ranges when they imply size - value|_{q=0} >= 0."""
    return implied(sp.Ge(size - value.xreplace({q: 0}), 0), ranges)


def _guards_refusal(derivation, step) -> str:
    guards = {key: value for key, value in step.substitutions.items() if _is_guard(key)}
    if not guards:
        return ""
    taken = _symbols([step.before, step.after, derivation.result.lhs, derivation.result.rhs,
                      *(e for r in derivation.ranges for e in r), *_hypothesis_exprs(derivation.hypotheses),
                      *(f.expression for f in derivation.facts),
                      *(k for k in step.substitutions if not _is_guard(k)),
                      *(v for k, v in step.substitutions.items() if not _is_guard(k))])
    used: dict = {}
    for size, value in guards.items():
        q = _fresh_of_guard(size, value, taken | {size})
        if q is None:
            return (f"the guard {sp.sstr(size)} = {sp.sstr(value)} needs exactly one fresh nonnegative integer of "
                    "coefficient 1, occurring nowhere else in the step (bound variables included), its ranges, "
                    "hypotheses or facts")
        if q in used:
            return (f"the guards {sp.sstr(used[q])} and {sp.sstr(size)} share the fresh symbol {q}: each guard "
                    "needs its own")
        used[q] = size
        if not _guard_covers(size, value, q, derivation.ranges):
            return (f"the guard {sp.sstr(size)} = {sp.sstr(value)} does not cover the stated "
                    f"range {', '.join(derivation.range_lines()) or '(none stated)'}")
    return ""


def _capture_refusal(derivation, step) -> str:
    """A substitution (of the step or of a hypothesis case) must not reach under a binder: none of
    its symbols may be a summation index of the step (SymPy would push a free k into a sum over k),
    and a scalar it replaces may not also be the label of an indexed quantity (y = z would turn
    y[k] into z[k])."""
    bound = _bound(step.before) | _bound(step.after)
    labels = {node.base.label for side in (step.before, step.after) for node in sp.preorder_traversal(side)
              if isinstance(node, sp.Indexed)}
    items = list(step.substitutions.items()) + [item for case in hypothesis_cases(derivation.hypotheses)
                                                for item in case.items()]
    for key, value in items:
        reached = (_witness.free_symbols(sp.sympify(key)) | _witness.free_symbols(sp.sympify(value))) & bound
        if reached:
            return (f"the substitution {sp.sstr(key)} = {sp.sstr(value)} uses {', '.join(sorted(map(str, reached)))}, "
                    "which is also a summation index in the step: rename the summation index")
        if isinstance(key, sp.Symbol) and key in labels:
            return (f"the substitution of {sp.sstr(key)} would also rewrite the indexed entries {key}[...]: "
                    "give the scalar and the indexed quantity different names")
    return ""


def _substitution_refusal(derivation, step) -> str:
    declared = [h.cases[0] for h in derivation.hypotheses if len(h.cases) == 1]
    split = {key for case in hypothesis_cases(derivation.hypotheses, split_only=True) for key in case}
    for key, value in step.substitutions.items():
        if key in split:
            return f"substitutes {sp.sstr(key)}, which a case split of the hypotheses already fixes"
        if any(case.get(key) == value for case in declared) or _is_guard(key):
            continue
        return f"uses the undeclared hypothesis {sp.sstr(key)} = {sp.sstr(value)}"
    return ""


def _bound(expr: sp.Basic) -> set:
    """The variables bound inside ``expr`` (summation indices)."""
    return {var for node in sp.preorder_traversal(expr) if isinstance(node, sp.Sum) for var, *_ in node.limits}


def _derivative_refusal(step) -> str:
    for side in (step.before, step.after):
        for node in sp.preorder_traversal(side):
            if not isinstance(node, sp.Derivative):
                continue
            bound = _bound(node.expr)
            for var in node.variables:
                captured = (sp.sympify(var).free_symbols & bound) if isinstance(var, sp.Indexed) else set()
                if captured or var in bound:
                    return (f"the derivative in {sp.sstr(var)} uses {', '.join(map(str, captured or {var}))}, which is "
                            "also a summation index inside what it differentiates")
    return ""


def _taylor_refusal(derivation, step) -> str:
    if step.taylor_in is None:
        return ""
    if _symbols([step.before, step.after]) & set(TAYLOR_INDICES):
        return (f"the step uses {', '.join(map(str, TAYLOR_INDICES))}, the indices the Taylor rule differentiates "
                "in: rename them")
    if _support(step.before - step.after, step.taylor_in, derivation.ranges) is None:
        return (f"an entry of {step.taylor_in} in this step is not proved to lie in one stated range, so the "
                "Taylor rule cannot cover it")
    return ""


def step_refusal(derivation, step) -> tuple[str, str]:
    """(rule, why) when the step breaks a rule, else ("", "")."""
    inexact = _inexact(_step_exprs(step))
    if inexact:
        return "exact numbers", inexact
    for rule, check in (("substitution", _substitution_refusal), ("capture", _capture_refusal),
                        ("guard", _guards_refusal), ("taylor", _taylor_refusal)):
        why = check(derivation, step)
        if why:
            return rule, why
    why = _derivative_refusal(step)
    return ("derivative", why) if why else ("", "")


# --- the equality rule ------------------------------------------------------------------

def step_holds(step, case: dict | None = None, ranges: Ranges = (), seconds: float = DEFAULT_SECONDS) -> bool:
    """The exact proof alone: ``before - after`` is zero on ``ranges`` (in ``case``)."""
    difference = step.before - step.after
    subs = {**(case or {}), **step.substitutions}
    if step.taylor_in is not None:
        return _agrees_to_second_order(difference, step.taylor_in, subs, ranges, seconds)
    return is_identically_zero(difference, subs or None, seconds, ranges) is True


def _agrees_to_second_order(difference: sp.Expr, u: sp.IndexedBase, subs: dict,
                            ranges: Ranges = (), seconds: float = DEFAULT_SECONDS) -> bool:
    """difference(u) == 0 for every vector u, by Taylor's theorem in u.

    The difference vanishes at u = 0, its gradient vanishes at u = 0 and its Hessian vanishes
    everywhere; so it is affine with zero value and zero slope at the origin, hence zero.  The
    derivative indices r_1, r_2 range over lo..hi, where every occurrence u[e] is proved to lie
    (:func:`_support`); without such a proof the step is refused (rule ``taylor``).
    """
    r1, r2 = TAYLOR_INDICES
    support = _support(difference, u, ranges)
    if support is None:
        return False
    ranges = tuple(ranges) + ((r1, *support), (r2, *support))

    def at_zero(expr: sp.Expr) -> sp.Expr:
        return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == u, lambda e: sp.S.Zero)

    gradient = sp.diff(difference, u[r1])
    checks = (at_zero(difference), at_zero(gradient), sp.diff(gradient, u[r2]))
    return all(is_identically_zero(expr, subs or None, seconds, ranges) is True for expr in checks)


def _support(expr: sp.Expr, u: sp.IndexedBase, ranges: Ranges) -> tuple | None:
    """(lo, hi) such that every occurrence u[e] in ``expr`` has lo <= e <= hi, proved from the
    ranges and the limits of the sums around it; None when that cannot be shown."""
    occurrences: list = []

    def walk(node: sp.Basic, limits: tuple) -> None:
        if isinstance(node, sp.Indexed) and node.base == u:
            occurrences.append((node.indices, limits))
        elif isinstance(node, sp.Sum):
            walk(node.function, within(limits, node.limits))
        else:
            for arg in node.args:
                walk(arg, limits)

    walk(expr, ())
    bound = [(lo, hi) for (index, *_), limits in occurrences for var, lo, hi in limits if var == index]
    if not bound or any(len(indices) != 1 for indices, _ in occurrences):
        return None
    lo, hi = bound[0]
    inside = all(implied(sp.And(sp.Le(lo, e), sp.Le(e, hi)), within(ranges, limits))
                 for (e,), limits in occurrences)
    return (lo, hi) if inside else None


def step_verdict(derivation, number: int, step) -> StepVerdict:
    """One step through every rule: refused, or the exact proof and the witness together."""
    rule, refusal = derivation_refusal(derivation)
    if not refusal:
        rule, refusal = step_refusal(derivation, step)
    if refusal:
        return StepVerdict(number, "refused", refusal, rule=rule)
    witness = _witness.compare(step.before, step.after, hypothesis_cases(derivation.hypotheses), derivation.ranges)
    seconds = FAULT_SECONDS if witness.point is not None else DEFAULT_SECONDS
    proved = all(step_holds(step, case, derivation.ranges, seconds)
                 for case in hypothesis_cases(derivation.hypotheses, split_only=True))
    if witness.point is not None:
        status = "fault" if proved else "refuted"
        return StepVerdict(number, status, f"the two sides differ: {witness.detail}", witness.point, rule="equality")
    if not proved:
        return StepVerdict(number, "undecided", "no exact proof", rule="equality")
    if not witness.confirms:
        why = witness.detail or f"the witness found only {witness.agreed} points where both sides are defined"
        return StepVerdict(number, "undecided", why, rule="equality")
    return StepVerdict(number, "verified")


FACT_POINTS = 8


def fact_holds(fact) -> bool:
    """A fact ``expression > 0`` over plain reals, proved by the exact engine (rule ``facts``) and
    not contradicted by certified evaluation at FACT_POINTS random rational points (fresh entropy):
    a point where the enclosure lies at or below 0 makes the fact unproved (it is a fault of the
    engine, reported as not verified)."""
    if _fact_refusal((fact,)) or is_positive(fact.expression) is not True:
        return False
    entropy = random.SystemRandom()
    symbols = sorted(sp.sympify(fact.expression).free_symbols, key=sp.default_sort_key)
    for _ in range(FACT_POINTS):
        point = {s: sp.Rational(entropy.randint(-400, 400), entropy.randint(1, 50)) for s in symbols}
        found = evaluate(fact.expression, point, seconds=0.5)
        if found.kind == "value" and found.high <= 0:
            return False
    return True


def audit(derivation) -> tuple[bool, list[StepVerdict]]:
    """(verified, each step's verdict): the chain is linked, every step verified, every fact proved."""
    verdicts = [step_verdict(derivation, i, step) for i, step in enumerate(derivation.steps, 1)]
    verified = (derivation.chain_is_linked() and bool(verdicts) and all(v.ok for v in verdicts)
                and not derivation_refusal(derivation)[1] and all(fact_holds(f) for f in derivation.facts))
    return verified, verdicts
