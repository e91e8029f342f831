"""The formula checker: prove or refute a user's formula for a named gradient.

A target's reference expression is not typed in here: it is read off the
right-hand side of a catalog derivation (which ``verify()`` proves) and mapped
to plain scalar symbols.  Every reference is defined on its whole target domain
(:data:`DOMAINS`).  ``check`` decides ``formula == reference`` on that domain:

* "proved": ``formula - reference`` rewrites to 0 exactly (``is_identically_zero``),
  every condition the typed formula needs (nonzero divisors, positive log
  arguments, ...; see :mod:`gradproof.symbolic._checker._parse`) is proved to hold on the whole domain,
  and a second witness agrees: certified enclosures (:mod:`gradproof.symbolic._proof._certified`) of
  both sides overlap, narrowly, at :data:`WITNESS_POINTS` random rational points.
* "proved-except": the same, except that some condition is not proved to hold
  everywhere: the formula equals the reference wherever the formula is defined,
  and may be undefined on the listed exception set (a removable singularity such
  as 0/0 at z = 0).  When a point of that set was found, it is shown.
* "refuted": an exact rational point of the domain where certified enclosures of
  the two sides are disjoint, or where the typed formula is certainly undefined
  (a divisor exactly 0, a log argument certainly negative, a divisor identically
  0) while the reference is defined.
* "undecided": anything else, including a disagreement between the exact proof
  and the witness (then ``fault`` says so: a soundness fault of the engine).

Every stage runs under a time limit; ``check`` answers within :data:`TOTAL_SECONDS` of
CPU time.  Every limit counts this process's CPU time (the certified stages read
``time.process_time``, the exact rewrites run under ``time_limit``, a CPU-time timer), so an
answer does not depend on the machine's load.
"""

from __future__ import annotations

import itertools
import random
import time
from dataclasses import dataclass, field, replace

import sympy as sp

from .._catalog import catalog, linear_logit
from .._proof import (
    Enclosure,
    TimeLimitError,
    compare,
    describe,
    evaluate,
    is_identically_zero,
    is_nonnegative,
    is_positive,
    strict_kind,
    time_limit,
)
from .._vocabulary import H, InputError, b, c, h, k, p, pw, v, w, x, y, z
from ..printing import html_text, latex, latex_text
from ._batch import batch_points, batch_references, batch_variables
from ._batch import meaning as batch_meaning
from ._diagnosis import DIAGNOSIS_SECONDS, diagnose
from ._parse import Condition, Formula, FormulaError, parse

__all__ = ["Target", "Verdict", "targets", "target_of", "check", "holds_everywhere", "domain_cases", "DOMAINS",
           "TOTAL_SECONDS"]

TOTAL_SECONDS = 10.0
PARSE_SECONDS = 1.0
CONDITION_SECONDS = 2.0
PROOF_SECONDS = 4.0
SEARCH_SECONDS = 1.5
WITNESS_SECONDS = 1.0
SAMPLE_POINTS = 16
WITNESS_POINTS = 3

_x, _h, _v = sp.symbols("x h v", real=True)


@dataclass(frozen=True)
class Target:
    """A gradient a user may check: its reference, variables and their meaning."""

    name: str
    derivation: str
    reference: sp.Expr
    variables: dict[str, sp.Symbol]
    meanings: dict[str, str]
    domains: dict[str, tuple[float, float]] = field(default_factory=dict)
    batch: tuple[str, ...] = ()
    """For a batch target, the per-sample names it takes (z_i, y_i, ...); see :mod:`._batch`."""

    def describe(self) -> str:
        names = ", ".join(f"{name} ({self.meanings[name]})" for name in self.variables)
        syntax = "; sum over the batch: sum(EXPR, i) for i = 0, ..., B - 1" if self.batch else ""
        return f"{self.name}: variables {names}{syntax}; proved in derivation '{self.derivation}'"


@dataclass(frozen=True)
class Verdict:
    """The checker's answer.

    ``status`` is "proved", "proved-except", "refuted" or "undecided" (see the module
    docstring).  ``counterexample`` is set only for "refuted": the exact rational
    point (variable name -> ``sp.Rational``) plus the texts "formula" and "expected"
    of the two certified values there.  ``exceptions`` (for "proved-except") lists
    the sets where the formula may be undefined; ``fault`` is non-empty only when the
    exact proof and the numeric witness disagreed.  ``read_as`` is the formula as the parser read
    it (every grouping explicit); ``diagnosis``, for "refuted" only, a relation between the formula
    and the gradient that the engine proved (:mod:`._diagnosis`), empty when none is proved.
    """

    status: str
    target: str
    formula: sp.Expr
    reference: sp.Expr
    counterexample: dict[str, object] | None = None
    reason: str = ""
    exceptions: tuple[str, ...] = ()
    fault: str = ""
    text: str = ""
    read_as: str = ""
    diagnosis: str = ""

    def __str__(self) -> str:
        lines = [f"{self.status}: {self.target} = {self.text or sp.sstr(self.formula)}"]
        if self.read_as:
            lines.append(f"  read as: {self.read_as}")
        if self.counterexample:
            lines.append("  counterexample: " + ", ".join(f"{k}={v_}" for k, v_ in self.counterexample.items()))
        if self.diagnosis:
            lines.append(f"  what is wrong (proved): {self.diagnosis}")
        lines += [f"  except {e}" for e in self.exceptions]
        lines += [f"  {self.reason}"] if self.reason else []
        lines += [f"  SOUNDNESS FAULT (please report): {self.fault}"] if self.fault else []
        return "\n".join(lines)

    def as_dict(self) -> dict:
        """Stable keys for an autograder (``gradproof check --json``): status, target, formula (as
        typed), read_as, counterexample (point and values as text, or null), diagnosis (or null),
        exceptions, reason, fault (or null)."""
        point = None if self.counterexample is None else {k: str(v_) for k, v_ in self.counterexample.items()}
        return {"status": self.status, "target": self.target, "formula": self.text or sp.sstr(self.formula),
                "read_as": self.read_as, "counterexample": point, "diagnosis": self.diagnosis or None,
                "exceptions": list(self.exceptions), "reason": self.reason, "fault": self.fault or None}

    def _repr_html_(self) -> str:
        return html_text(str(self))

    def _repr_latex_(self) -> str:
        relation = {"refuted": "\\ne", "undecided": "\\overset{?}{=}"}.get(self.status, "=")
        return (f"$\\text{{{latex_text(self.status + ': ' + self.target)}}}\\quad {latex(self.formula)} {relation} "
                f"{latex(self.reference)}$")


_MEANING = {
    "z": "the logit w.x + b", "y": "the label in [0, 1]", "x": "one feature x_k",
    "p": "the predicted probability in (0, 1)", "pw": "pos_weight, positive",
    "h": "one entry h_T,k of the last hidden state", "v": "one head weight v_k",
}
_HEAD = {"z": "the head's logit v.h_T + c"}
_DOMAIN = {"z": (-8.0, 8.0), "y": (0.0, 1.0), "x": (-3.0, 3.0), "p": (0.02, 0.98),
           "pw": (0.1, 5.0), "h": (-1.0, 1.0), "v": (-3.0, 3.0)}
DOMAINS = {"z": "real", "x": "real", "h": "real", "v": "real", "y": "[0, 1]", "p": "(0, 1)", "pw": "(0, oo)",
           "B": "positive integer", "i": "0, ..., B - 1 (bound by sum)", "z_i": "real", "x_i": "real",
           "y_i": "[0, 1]", "omega_i": "[0, oo)"}
"""Each variable's domain, on which "proved" holds; points are sampled from ``_DOMAIN`` within it."""
_SPECIAL = (0, 1, -1, sp.Rational(1, 2), -sp.Rational(1, 2), 2, -2)


def _target(name: str, derivation: str, plain: dict, *names: str, meanings: dict | None = None) -> Target:
    scalar = {"z": z, "y": y, "x": _x, "p": p, "pw": pw, "h": _h, "v": _v}
    reference = catalog()[derivation].result.rhs.xreplace(plain)
    variables = {key: scalar[key] for key in names}
    leftover = reference.free_symbols - set(variables.values())
    if leftover:
        raise RuntimeError(f"target {name}: reference keeps symbols {leftover}")
    return target_of(name, derivation, reference, variables, meanings)


def target_of(name: str, derivation: str, reference: sp.Expr, variables: dict[str, sp.Symbol],
              meanings: dict | None = None) -> Target:
    """A Target whose variables take their meaning and sampling range from the one table of
    variables (``meanings`` may override a meaning, as the GRU head's logit does)."""
    meaning = {**_MEANING, **(meanings or {})}
    return Target(name, derivation, reference, variables,
                  {key: meaning[key] for key in variables}, {key: _DOMAIN[key] for key in variables})


def targets() -> dict[str, Target]:
    """Every checkable target by name, with its reference taken from the catalog."""
    logreg = {linear_logit(w, x, b): z, x[k]: _x}
    head = {linear_logit(v, h, c, H): z, h[k]: _h, v[k]: _v}
    batch = [Target(name, derivation, reference, batch_variables(names),
                    {key: batch_meaning(key) for key in ("B", "i", *names)}, batch=names)
             for name, (derivation, reference, names) in batch_references().items()]
    found = (
        *batch,
        _target("logreg.dL_dz", "bce_dL_dz", {}, "z", "y", "x"),
        _target("logreg.dL_dw", "logreg_dL_dw", logreg, "z", "y", "x"),
        _target("logreg.dL_db", "logreg_dL_db", logreg, "z", "y", "x"),
        _target("logreg.d2L_dz2", "bce_d2L_dz2", {}, "z", "y", "x"),
        _target("bce.dL_dp", "bce_dL_dp", {}, "p", "y"),
        _target("pos_weight.dL_dz", "pos_weight_dL_dz", {}, "z", "y", "pw"),
        _target("mse_sigmoid.dL_dz", "mse_sigmoid_dL_dz", {}, "z", "y"),
        _target("gru_head.dL_dv", "gru_head_dL_dv", head, "z", "y", "h", meanings=_HEAD),
        _target("gru_head.dL_dh", "gru_head_dL_dh", head, "z", "y", "v", meanings=_HEAD),
    )
    return {t.name: t for t in found}


class _Clock:
    """The remaining share of :data:`TOTAL_SECONDS`; each stage takes at most its own budget."""

    def __init__(self, total: float = TOTAL_SECONDS):
        self.end = time.process_time() + total

    def budget(self, stage: float) -> float:
        return max(0.05, min(stage, self.end - time.process_time() - 0.5))

    def deadline(self, stage: float) -> float:
        """The CPU time by which a stage of at most ``stage`` seconds must stop."""
        return time.process_time() + self.budget(stage)


def _in_domain(name: str, value: sp.Rational) -> bool:
    low, high = _DOMAIN[name]
    return {"[0, 1]": 0 <= value <= 1, "(0, 1)": 0 < value < 1, "(0, oo)": value > 0}.get(
        DOMAINS[name], low <= value <= high)


def _points(target: Target, seed: int) -> list[dict[sp.Symbol, sp.Rational]]:
    """Random rational points of the sampling boxes, then points made of special values (for a
    batch target, random and small special batches)."""
    if target.batch:
        return batch_points(target.batch, seed, SAMPLE_POINTS)
    rng = random.Random(seed)
    points = []
    for _ in range(SAMPLE_POINTS):
        point = {}
        for name, symbol in target.variables.items():
            low, high = target.domains[name]
            point[symbol] = sp.Rational(round(rng.uniform(low, high), 3)).limit_denominator(1000)
        points.append(point)
    specials = [[sp.Rational(s) for s in (*_SPECIAL, *target.domains[name]) if _in_domain(name, sp.Rational(s))]
                for name in target.variables]
    grid = list(itertools.product(*specials))
    rng.shuffle(grid)
    points += [dict(zip(target.variables.values(), values, strict=True)) for values in grid[:60]]
    return points


def domain_cases(target: Target) -> list[dict]:
    """Substitutions that cover the domain by real or positive parameters, for positivity proofs."""
    if target.batch:  # one substitution for y_i would tie all labels together: prove for every real value
        return [{}]
    cases: list[dict] = [{}]
    for name, symbol in target.variables.items():
        t = sp.Dummy(f"t_{name}", positive=True)
        options = {"(0, oo)": [{symbol: t}], "(0, 1)": [{symbol: t / (1 + t)}],
                   "[0, 1]": [{symbol: t / (1 + t)}, {symbol: sp.S.Zero}, {symbol: sp.S.One}]}
        cases = [{**case, **option} for case in cases for option in options.get(DOMAINS[name], [{}])]
    return cases


def _proved(kind: str, expr: sp.Expr, seconds: float) -> bool:
    """``expr`` satisfies ``kind`` ("nonzero", "positive" or "nonnegative") for all real values."""
    if kind == "nonnegative" and (expr.is_nonnegative or expr.is_zero or is_nonnegative(expr, seconds=seconds)):
        return True
    if is_positive(expr, seconds=seconds):
        return True
    return kind == "nonzero" and bool(is_positive(-expr, seconds=seconds))


def holds_everywhere(condition: Condition, cases: list[dict], seconds: float, strict: bool = False) -> bool:
    """Proved: the condition holds at every point of the domain (case by case).  With ``strict``,
    its strict form (:func:`~gradproof.symbolic._proof.strict_kind`: a base positive, not only
    nonnegative), which also makes the formula differentiable there."""
    kind = strict_kind(condition.kind) if strict else condition.kind

    def holds(case: dict) -> bool:
        quantity = condition.expr.xreplace(case)
        if kind != "power":
            return _proved(kind, quantity, seconds)
        if _proved("positive", quantity, seconds):
            return True
        exponent = condition.exponent
        return exponent is not None and bool(quantity.is_zero) and _proved("nonnegative", exponent.xreplace(case),
                                                                              seconds)
    return all(holds(case) for case in cases)


def _failure(condition: Condition, point: dict) -> str | None:
    """"strict" where a certified enclosure shows the condition fails on a neighbourhood,
    "boundary" where it fails exactly at the point, None when not certainly failing."""
    return condition.at(point)[1]


def _defined_at(formula: Formula, point: dict) -> bool:
    """Every condition certainly holds at the point (then ``typed`` equals ``expr`` there)."""
    return all(condition.at(point)[0] == "holds" for condition in formula.conditions)


def _point_text(point: dict) -> dict[str, object]:
    return {str(symbol): value for symbol, value in point.items()}


def _point_words(point: dict) -> str:
    return ", ".join(f"{symbol}={value}" for symbol, value in point.items())


def _used_point(point: dict, *exprs: sp.Expr) -> dict:
    """The point restricted to the variables the expressions use (sizes and indices kept)."""
    used = set().union(*(expr.free_symbols for expr in exprs))
    return {key: value for key, value in point.items()
            if not isinstance(key, sp.Symbol) or key in used or key.is_integer}


def _counterexample(expr: sp.Expr, reference: sp.Expr, point: dict, undefined: Enclosure | None = None) -> dict:
    """The point (the variables either side uses) and both values, rounded for reading: 4 significant
    digits, or as many as it takes to tell them apart."""
    point = _used_point(point, expr, reference)
    if undefined is not None:
        expected = evaluate(reference, point, seconds=0.5)
        return {**_point_text(point), "formula": describe(undefined, 4), "expected": describe(expected, 4)}
    texts = ("", "")
    for bits, digits in ((40, 4), (40, 12), (160, 50), (640, 200), (2560, 800), (8192, 2400)):
        got = evaluate(expr, point, seconds=0.3, bits=bits)
        want = evaluate(reference, point, seconds=0.3, bits=bits)
        texts = describe(got, digits), describe(want, digits)
        if texts[0] != texts[1]:
            break
    return {**_point_text(point), "formula": texts[0], "expected": texts[1]}


def _clearly_apart(expr: sp.Expr, reference: sp.Expr, point: dict) -> bool:
    """The two values differ by more than 1 % of max(1, |expected|): a point a student can read."""
    got, want = evaluate(expr, point, seconds=0.2), evaluate(reference, point, seconds=0.2)
    if got.kind != "value" or want.kind != "value":
        return False
    gap = abs((got.low + got.high) / 2 - (want.low + want.high) / 2)
    return bool(gap > 0.01 * max(1, abs(want.low), abs(want.high)))


def _simplest_first(points: list[dict]) -> list[dict]:
    """Points made of small, simple values first (z = 0, 1, -1, ...; y = 0, 1/2, 1), then the rest."""
    def cost(point: dict) -> tuple:
        values = [sp.Rational(v) for v in point.values()]
        return (max(abs(v.p) + v.q for v in values), sum(abs(v.p) + v.q for v in values))
    simple = sorted((q for q in points if cost(q)[0] <= 4), key=cost)
    return simple + [q for q in points if cost(q)[0] > 4]


def _compare(formula: Formula, reference: sp.Expr, point: dict, seconds: float) -> str:
    """Certified comparison of the typed formula with the reference at one point.

    The SymPy-evaluated form stands in for the typed one where the typed form is
    too wide to decide but every condition certainly holds (there they are equal).
    """
    verdict = compare(formula.typed, reference, point, seconds=seconds)
    if verdict == "unknown" and formula.expr != formula.typed and _defined_at(formula, point):
        verdict = compare(formula.expr, reference, point, seconds=seconds)
    return verdict


def _witness(formula: Formula, reference: sp.Expr, points: list[dict], seconds: float) -> tuple[int, dict | None]:
    """Certified comparisons at random points: (how many agreed, a point where they are disjoint)."""
    agreed, end = 0, time.process_time() + seconds
    for point in points[:SAMPLE_POINTS]:
        if agreed >= WITNESS_POINTS or time.process_time() > end:
            break
        verdict = _compare(formula, reference, point, seconds=max(0.05, end - time.process_time()))
        if verdict == "disjoint":
            return agreed, point
        agreed += verdict == "agree"
    return agreed, None


def _parse(text: str, target: Target, clock: _Clock) -> Formula:
    try:
        with time_limit(clock.budget(PARSE_SECONDS)):
            return parse(text, target.variables)
    except (TimeLimitError, RecursionError, MemoryError):
        raise FormulaError("formula: too costly to build (time or memory limit)") from None


def _undefined_everywhere(formula: Formula, clock: _Clock) -> Condition | None:
    """A divisor that rewrites to 0 exactly: the formula is undefined at every point.

    Skipping a divisor for lack of time is safe: the witness counts only points where
    every divisor is certainly nonzero, so such a formula is never proved anyway.
    """
    deadline = clock.deadline(CONDITION_SECONDS)
    for condition in formula.conditions:
        if time.process_time() > deadline:
            break
        if condition.kind == "nonzero" and is_identically_zero(condition.expr, seconds=clock.budget(1.0)):
            return condition
    return None


def _refuted_undefined(target: Target, formula: Formula, point: dict, why: str) -> Verdict:
    value = evaluate(formula.typed, point, seconds=0.5)
    if value.kind != "undefined":
        value = Enclosure("undefined", reason=why)
    found = _counterexample(formula.typed, target.reference, point, value)
    return Verdict("refuted", target.name, formula.expr, target.reference, found, reason=why, text=formula.text)


def _open_conditions(target: Target, formula: Formula, clock: _Clock) -> list[Condition]:
    """The conditions not proved to hold on the whole domain (within the time budget)."""
    cases, deadline = domain_cases(target), clock.deadline(CONDITION_SECONDS)
    return [cond for cond in formula.conditions
            if time.process_time() > deadline
            or not holds_everywhere(cond, cases, max(0.05, deadline - time.process_time()))]


def _failures(conditions: list[Condition], points: list[dict], clock: _Clock) -> tuple[tuple | None, tuple | None]:
    """(point, condition) pairs: the first strict failure, and the first failure exactly at a point."""
    boundary, deadline = None, clock.deadline(SEARCH_SECONDS)
    for point, condition in itertools.product(points, conditions):
        if time.process_time() > deadline:
            break
        failure = _failure(condition, point)
        if failure == "strict":
            return (point, condition), boundary
        if failure == "boundary" and boundary is None:
            boundary = (point, condition)
    return None, boundary


def _decide(target: Target, formula: Formula, seed: int, clock: _Clock) -> Verdict:
    reference, points = target.reference, _points(target, seed)
    defined_points = [q for q in points if evaluate(reference, q, seconds=0.2).kind == "value"]
    void = _undefined_everywhere(formula, clock)
    if void is not None:
        why = f"undefined everywhere: in {void.text} the divisor {void.quantity} is identically 0"
        return _refuted_undefined(target, formula, defined_points[0], why)
    open_conditions = _open_conditions(target, formula, clock)
    strict, example = _failures(open_conditions, defined_points, clock)
    if strict is not None:
        point, condition = strict
        return _refuted_undefined(target, formula, point, f"not real-valued near this point: {condition.violated()}")
    equal = is_identically_zero(formula.expr - reference, seconds=clock.budget(PROOF_SECONDS))
    if equal:
        return _confirm(target, formula, defined_points, open_conditions, example, clock)
    return _refute(target, formula, defined_points, example, clock)


def _confirm(target, formula, points, open_conditions, example, clock) -> Verdict:
    """The exact proof holds; the certified witness must agree before it is printed."""
    agreed, disjoint = _witness(formula, target.reference, points, clock.budget(WITNESS_SECONDS))
    if disjoint is not None:
        fault = (f"an exact rewrite proved {formula.text} = {sp.sstr(target.reference)}, but certified "
                 f"enclosures differ at {_point_words(disjoint)}")
        return Verdict("undecided", target.name, formula.expr, target.reference, text=formula.text, fault=fault,
                       reason="the exact proof and the numeric witness disagree")
    if agreed < WITNESS_POINTS:
        return Verdict("undecided", target.name, formula.expr, target.reference, text=formula.text,
                       reason=f"an exact rewrite reached 0, but the numeric witness confirmed it at only "
                              f"{agreed} of {WITNESS_POINTS} points")
    proof = (f"equal to {sp.sstr(target.reference)} (derivation '{target.derivation}'); "
             f"confirmed by certified evaluation at {agreed} random points")
    if not open_conditions:
        return Verdict("proved", target.name, formula.expr, target.reference, text=formula.text, reason=proof)
    exceptions = tuple(cond.violated() for cond in open_conditions)
    if example is not None:
        shown = _used_point(example[0], formula.typed, formula.expr, target.reference)
        proof += f"; undefined, for example, at {_point_words(shown)}"
    else:
        proof += "; the exception set may be empty (not decided)"
    return Verdict("proved-except", target.name, formula.expr, target.reference, text=formula.text,
                   reason=proof, exceptions=exceptions)


def _refute(target, formula, points, example, clock) -> Verdict:
    """No exact proof: look for a point where certified enclosures are disjoint, preferring a simple
    point where the two values are clearly apart; then a proved diagnosis of what is wrong."""
    end = time.process_time() + clock.budget(SEARCH_SECONDS)
    chosen = None
    for point in _simplest_first(points):
        if time.process_time() > end:
            break
        if _compare(formula, target.reference, point, seconds=max(0.05, end - time.process_time())) == "disjoint":
            chosen = chosen or point
            if _clearly_apart(formula.expr, target.reference, point):
                chosen = point
                break
    if chosen is not None:
        typed_defined = evaluate(formula.typed, chosen, seconds=0.5).kind == "value"
        found = _counterexample(formula.typed if typed_defined else formula.expr, target.reference, chosen)
        relation = diagnose(formula.expr, target.reference, target.variables, points,
                            clock.budget(DIAGNOSIS_SECONDS))
        return Verdict("refuted", target.name, formula.expr, target.reference, found,
                       reason="your formula and the gradient differ at this point (certified)", text=formula.text,
                       diagnosis=relation.hint if relation else "")
    if example is not None:
        return _refuted_undefined(target, formula, example[0], f"undefined at this point: {example[1].violated()}")
    return Verdict("undecided", target.name, formula.expr, target.reference, text=formula.text,
                   reason="no exact rewrite reached 0 and no certified evaluation told the two apart")


def check(target: str | Target, formula: str, *, seed: int = 0, seconds: float = TOTAL_SECONDS) -> Verdict:
    """Prove or refute that ``formula`` equals the gradient named by ``target``.

    Answers within ``seconds`` (:data:`TOTAL_SECONDS` by default) of CPU time whatever the input;
    a caller that spent part of its own budget first (building a loss's targets) passes what is left.
    Raises InputError: ``FormulaError`` for a formula that is not allowed or not real-valued at a
    constant part, and one naming ``target`` for an unknown target.

    Examples
    --------
    >>> check("logreg.dL_dw", "x/(1 + exp(-z)) - x*y").status
    'proved'
    >>> check("logreg.dL_dw", "(y - sigmoid(z))*x").status
    'refuted'
    >>> check("logreg.dL_dz", "(sigmoid(z) - y)*(exp(z) - 1)/(exp(z) - 1)").status
    'proved-except'
    """
    if not 0 < seconds <= TOTAL_SECONDS:
        raise InputError(f"seconds: {seconds!r} is not in (0, {TOTAL_SECONDS:g}]", argument="seconds")
    clock = _Clock(seconds)
    if isinstance(target, Target):  # e.g. a loss's target, from symbolic.loss(...).targets()
        chosen = target
    else:
        known = targets()
        if target not in known:
            raise InputError(f"target: unknown target {target!r}; known: {', '.join(known)}", argument="target")
        chosen = known[target]
    parsed = _parse(formula, chosen, clock)
    return replace(_decide(chosen, parsed, seed, clock), read_as=parsed.read_as)
