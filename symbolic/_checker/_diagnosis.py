"""What is wrong in a refuted formula, proved like a verdict (never guessed).

For a refuted formula F and the target's reference R, a small documented family of relations is
tried, each one an expression C built from R and the problem's quantities; a relation is reported
only when the checker's own engine **proves** F = C (an exact rewrite takes F - C to 0, and
certified enclosures of both sides agree at random rational points, none disjoint): the same
standard as "proved".  No relation proved: no hint.

=================  =======================================  ================================
relation           C                                        the hint says
=================  =======================================  ================================
sign               -R                                       a sign error
constant factor    c R, c in 2, 1/2, -2, -1/2, 4, 1/4       a constant factor c
extra factor       g R, g in x, σ(z), 1 - σ(z), σ(1 - σ)    an extra factor g
missing factor     R / g (the same g)                       a missing factor g (for x: the
                                                            gradient in z, not in w)
labels swapped     R at y -> 1 - y                          y and 1 - y exchanged
z and x exchanged  R at z <-> x                             z and x exchanged
squared error      the MSE-on-sigmoid gradient (BCE only)   the gradient of another loss
dL/dp              dL/dp at p = σ(z) (BCE only)             the chain rule through σ forgotten
extra term         R + D, D = F - R: two terms at most,     a term too many (or too few)
                   no exp or log, simpler than F
=================  =======================================  ================================
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from .._proof import compare, is_identically_zero
from .._vocabulary import sigmoid, y, z

__all__ = ["Relation", "DIAGNOSIS_SECONDS", "candidates", "diagnose", "relation_holds"]

DIAGNOSIS_SECONDS = 2.0
TERM_OPS = 8
_FACTORS = (2, sp.Rational(1, 2), -2, -sp.Rational(1, 2), 4, sp.Rational(1, 4))


@dataclass(frozen=True)
class Relation:
    """A proved relation between a formula and the reference: the formula equals ``expression``."""

    name: str
    expression: sp.Expr
    hint: str


def _chain_factor(reference: sp.Expr, variables: dict) -> sp.Expr | None:
    """g when the reference is (sigmoid(z) - y) g with g free of z and y (x for dL/dw)."""
    if z not in reference.free_symbols:
        return None
    g = sp.cancel(sp.together(reference / (sigmoid(z) - y)))
    return g if not (g.free_symbols & {z, y}) and not g.has(sigmoid) else None


def candidates(reference: sp.Expr, variables: dict, formula: sp.Expr | None = None) -> list[Relation]:
    """The family of relations of this module's table for a target with ``reference``, the most
    telling first (another loss's gradient before a bare factor it differs by)."""
    s = sigmoid(z)
    found = [Relation("sign", -reference, "your formula is -1 times the gradient: a sign error "
                                           "(compare sigma(z) - y with y - sigma(z))")]
    chain = _chain_factor(reference, variables)
    if chain is not None:
        found.append(Relation("squared error", (s - y) * s * (1 - s) * chain,
                              "this is the gradient of the squared error (sigma(z) - y)^2/2, not of "
                              "binary cross-entropy: BCE's log cancels the factor sigma(z)(1 - sigma(z))"))
        found.append(Relation("dL/dp", (s - y) / (s * (1 - s)) * chain,
                              "this is dL/dp, the gradient in the probability p = sigma(z); the chain rule "
                              "through the sigmoid multiplies it by dp/dz = sigma(z)(1 - sigma(z))"))
    x = variables.get("x")
    if y in variables.values():
        found.append(Relation("labels swapped", reference.xreplace({y: 1 - y}),
                              "the labels are exchanged: your formula has 1 - y where y belongs"))
    if x is not None and z in variables.values():
        found.append(Relation("z and x exchanged", reference.xreplace({z: x, x: z}),
                              "z and x are exchanged in your formula"))
    size = variables.get("B")
    if size is not None:
        found.append(Relation("sum for mean", size * reference, "your formula is B times the gradient: it is "
                              "the sum over the batch; the mean's gradient divides it by B"))
        found.append(Relation("mean for sum", reference / size, "your formula is 1/B times the gradient: it "
                              "is the mean over the batch; the sum's gradient is B times it"))
    found += [Relation("constant factor", c * reference, f"your formula is {c} times the gradient: "
                                                           "a constant factor too many or too few") for c in _FACTORS]
    quantities: list[tuple[sp.Expr, str]] = [(x, "x")] if x is not None else []
    if z in variables.values():
        quantities += [(s, "sigma(z)"), (1 - s, "1 - sigma(z)"), (s * (1 - s), "sigma(z)(1 - sigma(z))")]
    in_z = x is not None and x not in sp.cancel(reference / x).free_symbols  # the reference is (dL/dz) x
    for g, name in quantities:
        missing = ("you have the gradient with respect to the logit z; multiply by x for w (dz/dw = x)"
                   if name == "x" and in_z else f"your formula times {name} is the gradient: a factor {name} "
                   "is missing")
        found.append(Relation("missing factor", reference / g, missing))
        found.append(Relation("extra factor", g * reference, f"your formula has an extra factor {name}"))
    if formula is not None:
        difference = sp.expand(formula - reference)
        if _simple_term(difference, formula):
            shown = sp.sstr(difference)
            sign, term = ("minus", sp.sstr(-difference)) if shown.startswith("-") else ("plus", shown)
            found.append(Relation("extra term", reference + difference,
                                  f"your formula is the gradient {sign} {term}: a term too many, or one missing"))
    return found


def _simple_term(difference: sp.Expr, formula: sp.Expr) -> bool:
    """A term a student can read as "one term too many or too few": at most two terms, at most
    TERM_OPS operations, no exponential, and simpler than the formula itself (else it would only
    restate the answer)."""
    if difference == 0 or difference.has(sp.exp, sp.log, sp.tanh):
        return False
    return (len(sp.Add.make_args(difference)) <= 2 and sp.count_ops(difference) <= TERM_OPS
            and sp.count_ops(difference) < max(1, sp.count_ops(formula)))


def relation_holds(formula: sp.Expr, relation: Relation, points: list[dict], seconds: float) -> bool:
    """Proved: ``formula`` equals ``relation.expression`` (exact rewrite to 0, and certified
    enclosures agree at 3 points with none disjoint), within ``seconds``."""
    end = time.process_time() + seconds
    agreed = 0
    for point in points:
        left = end - time.process_time()
        if left <= 0:
            return False
        verdict = compare(formula, relation.expression, point, seconds=min(0.3, left))
        if verdict == "disjoint":
            return False
        agreed += verdict == "agree"
        if agreed >= 3:
            break
    if agreed < 3:
        return False
    return is_identically_zero(formula - relation.expression, seconds=max(0.05, end - time.process_time())) is True


def diagnose(formula: sp.Expr, reference: sp.Expr, variables: dict, points: list[dict],
             seconds: float = DIAGNOSIS_SECONDS, holds: Callable = relation_holds) -> Relation | None:
    """The first relation of the family that the engine proves between ``formula`` and
    ``reference`` within ``seconds``; None when none is proved."""
    end = time.process_time() + seconds
    for relation in candidates(reference, variables, formula):
        left = end - time.process_time()
        if left <= 0.05:
            return None
        if holds(formula, relation, points, min(left, 1.0)):
            return relation
    return None
