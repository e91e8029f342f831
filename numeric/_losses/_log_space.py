"""Products with non-integer or negative powers, evaluated in log space.

A derivative of p**a (focal loss's (1 - p_t)**gamma with 0 < gamma < 1, or a formula's
sigmoid(z)**0.5) carries a factor p**(a - 1) beside factors that vanish with p, for example

    (1 - p_t)**(gamma - 1) * sigmoid(-z) * sigmoid(z),    1 - p_t = y sigmoid(-z) + (1 - y) sigmoid(z).

In float32, p underflows to 0 at |z| of about 100 (1e4 in float64), and the product becomes
inf * 0 = nan although its value tends to 0.  Every factor of such a product is positive, so

    prod_i f_i**a_i = exp(sum_i a_i log f_i)                                       (exact for f_i > 0)

with each log f_i in a form that never underflows:

* log sigmoid(u) = logsigmoid(u), log exp(u) = u;
* log(A + B sigmoid(u)) = logaddexp(log A + logsigmoid(-u), log(A + B) + logsigmoid(u)),
  from 1 = sigmoid(u) + sigmoid(-u), when A and A + B are >= 0 for every label y in [0, 1]
  (coefficients free of z, at most linear in y: checked at y = 0 and y = 1).

The exponent sum is then -1e4 + 5e3 = -5e3 where the naive product was 0 * inf, and exp gives 0.
A product whose powers are all non-negative integers is left as it is (it underflows to 0 cleanly).
"""

from __future__ import annotations

import sympy as sp

from gradproof import symbolic

__all__ = ["log_space", "logsigmoid", "logaddexp", "LOG_SPACE_RULE"]

logsigmoid = sp.Function("logsigmoid")
logaddexp = sp.Function("logaddexp")
LOG_SPACE_RULE = ("log space: prod f**a -> exp(sum a log f) for a non-integer or negative a, "
                  "with log(A + B sigmoid(u)) -> logaddexp(log A + logsigmoid(-u), log(A + B) + logsigmoid(u))")
_y = sp.Symbol("y", real=True)


def _nonnegative_on_labels(c: sp.Expr) -> bool:
    """c >= 0 for every y in [0, 1], for c a number or a polynomial of degree <= 1 in y."""
    if not c.free_symbols <= {_y} or not c.is_polynomial(_y) or sp.degree(c, _y) > 1:
        return False
    return all(c.subs(_y, v) >= 0 for v in (0, 1))


def _log_linear_sigmoid(p: sp.Expr) -> sp.Expr | None:
    """log(A + B sigmoid(u)) as a logaddexp of two logsigmoids, or None when p is not of that form."""
    sigmoids = p.atoms(symbolic.sigmoid)
    if len(sigmoids) != 1:
        return None
    (s,) = sigmoids
    expanded = sp.expand(p)
    a, b = expanded.coeff(s, 0), expanded.coeff(s, 1)
    if a.has(s) or b.has(s) or a.has(symbolic.sigmoid) or sp.expand(a + b * s - expanded) != 0:
        return None
    low, high = a, sp.expand(a + b)  # p = low sigmoid(-u) + high sigmoid(u)
    if not (_nonnegative_on_labels(low) and _nonnegative_on_labels(high)):
        return None
    u = s.args[0]
    terms = [sp.log(c) + logsigmoid(v) for c, v in ((low, -u), (high, u)) if c != 0]
    return terms[0] if len(terms) == 1 else logaddexp(*terms)


def _log_of(f: sp.Expr) -> sp.Expr | None:
    """log f in a form finite wherever f > 0 is representable in log space; None if unknown."""
    if isinstance(f, symbolic.sigmoid):
        return logsigmoid(f.args[0])
    if isinstance(f, sp.exp):
        return f.args[0]
    if f.is_Add:
        return _log_linear_sigmoid(f)
    return None


def _awkward(exponent: sp.Expr) -> bool:
    return not (exponent.is_Integer and exponent >= 0)


def _split(factor: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    return (factor, sp.Integer(1)) if isinstance(factor, sp.exp) else factor.as_base_exp()


def _log_space_product(node: sp.Expr) -> sp.Expr | None:
    """node (a Mul or Pow) as rest * exp(sum a_i log f_i), or None when no power is awkward."""
    logged, rest, awkward = [], [], False
    for factor in node.args if node.is_Mul else (node,):
        base, exponent = _split(factor)
        log_base = _log_of(base)
        if log_base is None:
            rest.append(factor)
            continue
        logged.append(exponent * log_base)
        awkward = awkward or (factor.is_Pow and _awkward(exponent))
    if not awkward:
        return None
    return sp.Mul(*(log_space(f) for f in rest), sp.exp(sp.Add(*logged), evaluate=False), evaluate=False)


def log_space(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every product that holds a non-integer or negative power of a positive factor
    rewritten as exp of a sum of logs (an exact rewrite; see the module docstring)."""
    if expr.is_Atom:
        return expr
    if expr.is_Mul or expr.is_Pow:
        rewritten = _log_space_product(expr)
        if rewritten is not None:
            return rewritten
    return expr.func(*(log_space(a) for a in expr.args))
