"""Any binary loss L(z, y): its gradients derived as checked chains of steps, and its margin profile.

``loss("focal", gamma=2)`` (or ``loss("focal:gamma=2")``, or ``loss("(sigmoid(z) - y)**2")``)
returns a :class:`Loss` whose derivations prove, step by step,

* ``dL/dz`` by the chain rule (sigmoid' = sigmoid (1 - sigmoid), derivation
  ``sigmoid_derivative``), then tidied to the shortest of a few exact rewrites
  (``expand``, ``factor``, ``collect`` in sigmoid(z) or y, applied from the leaves up): for BCE
  exactly ``sigmoid(z) - y``;
* ``d2L/dz2`` the same way from dL/dz;
* ``dL/dw_k = (dL/dz) x_k`` for logistic regression, z = sum_j w_j x_j + b (0 <= k < n);
* for each hard label, the pull pi_y(m) = |dL/dz| in the signed margin m (:mod:`._margin`).

A user's formula is accepted only when it is *proved* real and differentiable for every real z and
y in [0, 1] (:func:`prove_defined`), with the condition machinery of ``check``; a named loss is
proved the same way.  Deriving a loss takes at most ``LOSS_SECONDS`` of CPU time (:class:`Budget`):
a rewrite that does not finish within its share is skipped and recorded in ``undecided`` (the
derivation then ends at the unsimplified derivative, which is still exact), and a margin property
not decided in time is "undecided".
"""

from __future__ import annotations

import time
from functools import cached_property

import mpmath
import sympy as sp

from .._catalog import explained, linear_logit
from .._checker import Condition, Target, conditions_of, domain_cases, holds_everywhere, parse, target_of
from .._proof import Derivation, Fact, Step, TimeLimitError, time_limit
from .._vocabulary import InputError, b, k, n, sigmoid, sigmoid_forms, w, x, y, z
from ..printing import html_text, latex, latex_text
from ._loss_catalog import LOSSES, resolve_params, split_loss_text
from ._margin import MARGIN_SECONDS, MarginVerdict, margin_verdict, pull
from ._margin import m as margin

__all__ = ["Loss", "loss"]

TIDY_SECONDS = 3.0
LOSS_SECONDS = 8.0
"""CPU time for deriving one loss (proof of definedness, rewrites and margin properties): past it,
every stage left answers "undecided" at once."""


class Budget:
    """What is left of a CPU-time budget; each stage takes at most its own share of it."""

    def __init__(self, total: float):
        self.total, self.end = total, time.process_time() + total

    def take(self, stage: float) -> float:
        return max(0.05, min(stage, self.end - time.process_time()))
feature = sp.Symbol("x", real=True)
_NOT_SMOOTH = (sp.Abs, sp.sign, sp.Piecewise, sp.Heaviside, sp.Max, sp.Min, sp.floor, sp.ceiling)
_PROBES = [(sp.Rational(zv), sp.Rational(yv)) for zv in (-8, -1, 0, 1, 8) for yv in ("0", "1/2", "1")]


def _tidy_node(e: sp.Expr) -> sp.Expr:
    s = sigmoid(z)
    expanded = sp.expand(e)
    candidates = [e, expanded, sp.factor(e), sp.collect(expanded, s), sp.collect(expanded, y),
                  sp.factor_terms(expanded)]
    return min(candidates, key=sp.count_ops)


def tidy(expr: sp.Expr, memo: dict | None = None, seconds: float = TIDY_SECONDS) -> sp.Expr | None:
    """The shortest exact rewrite of ``expr`` found from the leaves up; None on time-out.

    ``memo`` keeps each sum's rewrite for the next call: one loss meets the same sums again in
    d2L/dz2 and its margin pulls."""
    memo = {} if memo is None else memo

    def node(e: sp.Expr) -> sp.Expr:
        if e.is_Add and e not in memo:
            memo[e] = _tidy_node(e)
        return memo[e] if e.is_Add else e

    try:
        with time_limit(seconds):
            return sp.bottom_up(expr, node)
    except (TimeLimitError, RecursionError, sp.PolynomialError, MemoryError):
        return None


def _chain(name: str, title: str, lhs: sp.Expr, raw: sp.Expr, rule: str, statement: str,
           undecided: list[str], memo: dict, seconds: float = TIDY_SECONDS, **extra) -> tuple[Derivation, sp.Expr]:
    """lhs = raw [rule] = tidy(raw) [simplify]; the result is tidy(raw), or raw if it timed out."""
    steps = [Step(lhs, raw, rule)]
    tidied = tidy(raw, memo, seconds)
    if tidied is None:
        undecided.append(f"{name}: no simpler form within {seconds:.3g} s (undecided); "
                         "the result is the unsimplified derivative")
        tidied = raw
    elif tidied != raw:
        steps.append(Step(raw, tidied, "simplify (expand, factor, collect)"))
    result = sp.Eq(lhs, tidied, evaluate=False)
    return Derivation(name, title, result, tuple(steps), statement=statement, **extra), tidied


def _check_formula(expr: sp.Expr) -> None:
    if z not in expr.free_symbols:
        raise InputError("loss formula: it does not depend on the logit z")
    if expr.has(*_NOT_SMOOTH):
        raise InputError("loss formula: not differentiable where it is used (it contains |.|, sign, "
                         "max, min or a piecewise part)")
    grad = sp.diff(expr, z)
    for zv, yv in _PROBES:
        for what, e in (("L", expr), ("dL/dz", grad)):
            with mpmath.workdps(30):
                value = e.xreplace({z: zv, y: yv}).rewrite(sigmoid, sp.exp).evalf(30)
            if not (value.is_number and value.is_real and value.is_finite):
                raise InputError(f"loss formula: {what} is not defined (real and finite) at z = {zv}, "
                                 f"y = {yv}; a loss must be differentiable for every real z and y in [0, 1]")


DEFINED_SECONDS = 4.0
"""CPU time for proving a loss defined and smooth (:func:`prove_defined`)."""
_SEARCH = [{z: sp.Rational(k, 12), y: yv} for k in range(-96, 97) for yv in (sp.S.Zero, sp.S.Half, sp.S.One)]


def _where_it_fails(condition: Condition) -> str:
    """A point of the domain where the strict form of ``condition`` certainly fails, as text."""
    strict = Condition("positive" if condition.kind in ("nonnegative", "power", "positive") else "nonzero",
                       condition.expr, condition.typed, condition.quantity, condition.text)
    deadline = time.process_time() + 1.0
    for point in _SEARCH:
        if time.process_time() > deadline:
            break
        exact = condition.expr.xreplace(point)
        wrong_side = exact.is_zero or (strict.kind == "positive" and exact.is_negative)
        if wrong_side or strict.at(point, seconds=0.05)[0] == "fails":
            return f"; it fails at z = {point[z]}, y = {point[y]}"
    return ""


def prove_defined(conditions: tuple[Condition, ...], what: str, seconds: float = DEFINED_SECONDS) -> None:
    """Prove that a loss is real, finite and differentiable in z for every real z and every y in
    [0, 1]: each condition in its strict form (divisors nonzero, log arguments and bases of
    non-integer powers positive) is proved on the whole domain, so every part of L is a real-analytic
    function of z there, and so are dL/dz and d2L/dz2.  Raises InputError naming the first condition
    not proved (and a point where it fails, when one is found); a loss is never accepted unproved."""
    cases = domain_cases(target_of(what, "", z, {"z": z, "y": y}))
    deadline = time.process_time() + seconds
    for condition in conditions:
        left = deadline - time.process_time()
        smooth_in_z = z in condition.free_symbols()  # differentiable in z: only a part in z must be strict
        if left <= 0 or not holds_everywhere(condition, cases, max(0.05, left / 2), strict=smooth_in_z):
            why = "not proved within the time limit" if left <= 0 else "not proved"
            raise InputError(f"loss formula: {what} must be real and differentiable for every real z and y in "
                             f"[0, 1]; {why} {condition.violated()}{_where_it_fails(condition)}", argument="loss")


class Loss:
    """A binary loss with its derivations: ``grad`` (dL/dz), ``hessian`` (d2L/dz2), ``grad_w``
    ((dL/dz) x for logistic regression), ``derivations`` and :meth:`margin_profile`."""

    def __init__(self, name: str, title: str, source: str, expression: sp.Expr, params: dict,
                 budget: Budget | None = None):
        self.budget = budget or Budget(LOSS_SECONDS)
        self.name, self.title, self.source = name, title, source
        self.expression, self.params = expression, dict(params)
        self.undecided: list[str] = []
        self._memo: dict = {}  # tidy's rewrites of the sums met so far
        key = _key(name)
        self._dz, self.grad = _chain(
            f"{key}_dL_dz", f"{title}: gradient in the logit", sp.Derivative(expression, z),
            sp.diff(expression, z), "chain rule and sigmoid_derivative",
            "", self.undecided, self._memo,  # L(z, y) itself is its first line, typeset by whoever shows it
            self.budget.take(TIDY_SECONDS))
        self._d2z, self.hessian = _chain(
            f"{key}_d2L_dz2", f"{title}: curvature in the logit", sp.Derivative(self.grad, z),
            sp.diff(self.grad, z), "differentiate dL/dz", "d2L/dz2 from the proved dL/dz", self.undecided,
            self._memo, self.budget.take(TIDY_SECONDS))
        self.grad_w = self.grad * feature

    def __str__(self) -> str:
        return (f"{self.name}: {self.title}\n  L(z, y) = {sp.sstr(self.expression)}\n"
                f"  dL/dz = {sp.sstr(self.grad)}\n  d2L/dz2 = {sp.sstr(self.hessian)}\n  source: {self.source}")

    def _repr_html_(self) -> str:
        return html_text(str(self))

    def _repr_latex_(self) -> str:
        return (f"$\\text{{{latex_text(self.name)}:}}\\quad L(z, y) = {latex(self.expression)},\\quad "
                f"\\frac{{\\partial L}}{{\\partial z}} = {latex(self.grad)}$")

    def _dw(self) -> Derivation:
        logit = linear_logit(w, x, b)
        lhs = sp.Derivative(self.expression.subs(z, logit), w[k])
        rhs = self.grad.subs(z, logit) * x[k]
        step = Step(lhs, rhs, "chain rule: dz/dw_k = x_k, and the proved dL/dz")
        return Derivation(f"{_key(self.name)}_dL_dw", f"{self.title}: per-sample gradient of logistic "
                          "regression", sp.Eq(lhs, rhs, evaluate=False), (step,), statement="dL/dw_k = (dL/dz) x_k",
                          ranges=((k, 0, n - 1),), abbreviations=((logit, z),))

    def _margin_derivation(self, verdict: MarginVerdict) -> Derivation:
        label = verdict.label
        lhs = pull(self.grad, z, y, label)
        steps = (Step(lhs, verdict.pull, f"simplify the proved dL/dz at y = {label}, "
                      f"z = {'m' if label else '-m'}"),)
        facts: tuple[Fact, ...] = ()
        if verdict.proved_decreasing:
            facts = (Fact(verdict.pull, "pi(m) > 0: |dL/dz| = pi(m)"),
                     Fact(-sp.Derivative(verdict.pull, margin), "-dpi/dm > 0: |dL/dz| falls as m grows"))
        return Derivation(f"{_key(self.name)}_margin_y{label}", f"{self.title}: pull at label {label} "
                          "against the signed margin m", sp.Eq(lhs, verdict.pull, evaluate=False), steps, facts=facts,
                          statement=f"pi(m) = -(2y - 1) dL/dz at z = (2y - 1) m; |dL/dz| in m: {verdict.monotone}",
                          assumptions=f"y = {label} (hard label)")

    @cached_property
    def _margins(self) -> tuple[MarginVerdict, ...]:
        verdicts = []
        for label in (1, 0):
            verdict = margin_verdict(self.grad, z, y, label, self.budget.take(MARGIN_SECONDS))
            tidied = tidy(verdict.pull, self._memo, self.budget.take(TIDY_SECONDS))
            tidied = None if tidied is None else sigmoid_forms(tidied)[0]
            verdicts.append(verdict if tidied is None else
                            MarginVerdict(label, tidied, *list(vars(verdict).values())[2:]))
        return tuple(verdicts)

    def margin_profile(self) -> tuple[MarginVerdict, ...]:
        """For y = 1 and y = 0: |dL/dz| against m = (2y - 1) z, its limits and monotonicity."""
        return self._margins

    @cached_property
    def derivations(self) -> tuple[Derivation, ...]:
        """dL/dz, d2L/dz2, dL/dw and the margin pull for each hard label, as checkable chains."""
        found = (self._dz, self._d2z, self._dw(), *(self._margin_derivation(v) for v in self._margins))
        return tuple(explained(d) for d in found)  # each rule as the sentence the catalog uses

    def targets(self) -> dict[str, Target]:
        """Checkable targets ``dL_dz`` (z, y), ``dL_dw`` (z, y, x) and ``d2L_dz2`` (z, y) for
        :func:`symbolic.check`, their references read off this loss's derivations."""
        variables = {"z": z, "y": y}
        found = (("dL_dz", self._dz.name, self.grad, variables),
                 ("d2L_dz2", self._d2z.name, self.hessian, variables),
                 ("dL_dw", f"{_key(self.name)}_dL_dw", self.grad_w, {**variables, "x": feature}))
        return {name: target_of(f"{self.name} {name}", derivation, reference, names)
                for name, derivation, reference, names in found}

    def as_dict(self) -> dict:
        return {"loss": self.name, "title": self.title, "source": self.source,
                "L": sp.sstr(self.expression), "dL_dz": sp.sstr(self.grad),
                "d2L_dz2": sp.sstr(self.hessian), "dL_dw": sp.sstr(self.grad_w),
                "margin": [v.as_dict() for v in self.margin_profile()], "undecided": list(self.undecided)}

    def __repr__(self) -> str:
        return f"Loss({self.name!r}: dL/dz = {sp.sstr(self.grad)})"


def _key(name: str) -> str:
    """A derivation-name prefix: the loss name, or 'user' for a formula."""
    head = name.split(":")[0]
    return head if head in LOSSES else "user"


def _canonical(spec_name: str, values: dict) -> str:
    if not values:
        return spec_name
    return spec_name + ":" + ",".join(f"{key}={sp.sstr(v)}" for key, v in values.items())


def loss(text: str, **params) -> Loss:
    """The loss named by ``text`` (``NAME[:param=value,...]`` or a formula in z and y).

    Keyword ``params`` set or override a named loss's parameters.  Raises :class:`InputError`
    naming the loss or parameter that is unknown, missing or out of range, or why a formula
    is not a usable loss.

    Examples
    --------
    >>> loss("bce").grad
    -y + sigmoid(z)
    >>> loss("focal", gamma=0, alpha=0.5).grad
    (-y + sigmoid(z))/2
    """
    named = split_loss_text(text)
    if named is None:
        if params:
            raise InputError(f"loss: a formula takes no parameters, got {', '.join(params)}", argument="loss")
        formula = parse(text, {"z": z, "y": y})
        budget = Budget(LOSS_SECONDS)
        prove_defined(formula.conditions + conditions_of(formula.expr), "L(z, y)", budget.take(DEFINED_SECONDS))
        _check_formula(formula.expr)
        return Loss(text.strip(), "user loss", "the user's formula", formula.expr, {}, budget)
    spec, values = named
    if params:
        given = {**values, **params}
        values = resolve_params(spec, given)
    budget = Budget(LOSS_SECONDS)
    expression = spec.build(**values)
    prove_defined(conditions_of(expression), f"L(z, y) of {spec.name}", budget.take(DEFINED_SECONDS))
    return Loss(_canonical(spec.name, values), spec.title, spec.source, expression, values, budget)
