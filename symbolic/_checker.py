"""The formula checker: prove or refute a user's formula for a named gradient.

A target's reference expression is not typed in here: it is read off the
right-hand side of a catalog derivation (which ``verify()`` proves) and mapped
to plain scalar symbols.  ``check`` then decides ``formula == reference``:

* "proved": ``formula - reference`` rewrites to 0 exactly (``is_identically_zero``);
* "refuted": at some point of the variables' domain both sides, evaluated with
  50 significant digits (and confirmed at 100), differ; that point is returned;
* "undecided": neither happened within the time limits. Never reported as proved.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import sympy as sp

from ._catalog import catalog
from ._errors import InputError
from ._linear import linear_logit
from ._parse import parse_formula
from ._symbols import b, c, h, k, p, pw, v, w, x, y, z
from ._zero import TimeLimitError, is_identically_zero, time_limit

__all__ = ["Target", "Verdict", "targets", "check"]

PROOF_SECONDS = 4.0
REFUTATION_SECONDS = 3.0
SAMPLE_POINTS = 24
DIGITS = 50
AGREEMENT = sp.Float("1e-30", DIGITS)

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

    def describe(self) -> str:
        names = ", ".join(f"{name} ({self.meanings[name]})" for name in self.variables)
        return f"{self.name}: variables {names}; proved in derivation '{self.derivation}'"


@dataclass(frozen=True)
class Verdict:
    """The checker's answer. ``counterexample`` is set only when ``status == "refuted"``."""

    status: str
    target: str
    formula: sp.Expr
    reference: sp.Expr
    counterexample: dict[str, sp.Float] | None = None
    reason: str = ""

    def __str__(self) -> str:
        head = f"{self.status}: {self.target} = {sp.sstr(self.formula)}"
        if self.status == "refuted" and self.counterexample:
            point = ", ".join(f"{k}={sp.N(v_, 8)}" for k, v_ in self.counterexample.items())
            return f"{head}\n  counterexample: {point}\n  expected {sp.sstr(self.reference)}"
        return f"{head}\n  {self.reason}" if self.reason else head


_MEANING = {
    "z": "the logit w.x + b", "y": "the label in [0, 1]", "x": "one feature x_k",
    "p": "the predicted probability in (0, 1)", "pw": "pos_weight, positive",
    "h": "one entry h_T,k of the last hidden state", "v": "one head weight v_k",
}
_HEAD = {"z": "the head's logit v.h_T + c"}
_DOMAIN = {"z": (-8.0, 8.0), "y": (0.0, 1.0), "x": (-3.0, 3.0), "p": (0.02, 0.98),
           "pw": (0.1, 5.0), "h": (-1.0, 1.0), "v": (-3.0, 3.0)}


def _target(name: str, derivation: str, plain: dict, *names: str, meanings: dict | None = None) -> Target:
    scalar = {"z": z, "y": y, "x": _x, "p": p, "pw": pw, "h": _h, "v": _v}
    reference = catalog()[derivation].result.rhs.xreplace(plain)
    variables = {key: scalar[key] for key in names}
    leftover = reference.free_symbols - set(variables.values())
    if leftover:
        raise RuntimeError(f"target {name}: reference keeps symbols {leftover}")
    meaning = {**_MEANING, **(meanings or {})}
    return Target(name, derivation, reference, variables,
                  {key: meaning[key] for key in names}, {key: _DOMAIN[key] for key in names})


def targets() -> dict[str, Target]:
    """Every checkable target by name, with its reference taken from the catalog."""
    logreg = {linear_logit(w, x, b): z, x[k]: _x}
    head = {linear_logit(v, h, c): z, h[k]: _h, v[k]: _v}
    found = (
        _target("logreg.dL_dz", "bce_dL_dz", {}, "z", "y"),
        _target("logreg.dL_dw", "logreg_dL_dw", logreg, "z", "y", "x"),
        _target("logreg.dL_db", "logreg_dL_db", logreg, "z", "y"),
        _target("logreg.d2L_dz2", "bce_d2L_dz2", {}, "z"),
        _target("bce.dL_dp", "bce_dL_dp", {}, "p", "y"),
        _target("pos_weight.dL_dz", "pos_weight_dL_dz", {}, "z", "y", "pw"),
        _target("mse_sigmoid.dL_dz", "mse_sigmoid_dL_dz", {}, "z", "y"),
        _target("gru_head.dL_dv", "gru_head_dL_dv", head, "z", "y", "h", meanings=_HEAD),
        _target("gru_head.dL_dh", "gru_head_dL_dh", head, "z", "y", "v", meanings=_HEAD),
    )
    return {t.name: t for t in found}


def _sample(target: Target, rng: random.Random) -> dict[sp.Symbol, sp.Rational]:
    point = {}
    for name, symbol in target.variables.items():
        low, high = target.domains[name]
        point[symbol] = sp.Rational(round(rng.uniform(low, high), 3)).limit_denominator(1000)
    return point


def _value(expr: sp.Expr, point: dict, digits: int) -> sp.Expr | None:
    value = expr.xreplace(point).evalf(digits)
    return value if value.is_real and value.is_finite else None


def _differs(formula: sp.Expr, reference: sp.Expr, point: dict) -> bool:
    for digits in (DIGITS, 2 * DIGITS):
        got, want = _value(formula, point, digits), _value(reference, point, digits)
        if got is None or want is None or abs(got - want) <= AGREEMENT * (1 + abs(want)):
            return False
    return True


def _find_counterexample(target: Target, formula: sp.Expr, seed: int) -> dict | None:
    rng = random.Random(seed)
    try:
        with time_limit(REFUTATION_SECONDS):
            for _ in range(SAMPLE_POINTS):
                point = _sample(target, rng)
                if _differs(formula, target.reference, point):
                    found = {str(s): sp.Float(val, 12) for s, val in point.items()}
                    found["formula"] = _value(formula, point, DIGITS)
                    found["expected"] = _value(target.reference, point, DIGITS)
                    return found
    except (TimeLimitError, OverflowError, ZeroDivisionError, ValueError, TypeError):
        return None
    return None


def check(target: str | Target, formula: str, *, seed: int = 0) -> Verdict:
    """Prove or refute that ``formula`` equals the gradient named by ``target``.

    Raises ValueError (naming ``target`` or ``formula``) for an unknown target
    or a formula that is not allowed.

    Examples
    --------
    >>> check("logreg.dL_dw", "x/(1 + exp(-z)) - x*y").status
    'proved'
    >>> check("logreg.dL_dw", "(y - sigmoid(z))*x").status
    'refuted'
    """
    if isinstance(target, Target):  # e.g. a loss's target, from symbolic.loss_targets
        chosen, target = target, target.name
    else:
        known = targets()
        if target not in known:
            raise InputError(f"target: unknown target {target!r}; known: {', '.join(known)}")
        chosen = known[target]
    expr = parse_formula(formula, chosen.variables)
    if is_identically_zero(expr - chosen.reference, seconds=PROOF_SECONDS):
        return Verdict("proved", target, expr, chosen.reference,
                       reason=f"equal to {sp.sstr(chosen.reference)} (derivation '{chosen.derivation}')")
    counterexample = _find_counterexample(chosen, expr, seed)
    if counterexample is not None:
        return Verdict("refuted", target, expr, chosen.reference, counterexample)
    return Verdict("undecided", target, expr, chosen.reference,
                   reason="no exact rewrite reached 0 and no sampled point told the two apart")
