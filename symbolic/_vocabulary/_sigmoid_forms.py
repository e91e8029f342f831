"""Exact rewrites into sigmoid forms that never cancel: 1 - sigmoid(u) = sigmoid(-u)
(derivation ``stable_residual``) and exp(u) / (1 + exp(u)) = sigmoid(u).

They make a printed result read as a person writes it (|dL/dz| of BCE at y = 1 is sigmoid(-m))
and they are the first rewrites of the numerically stable torch code in :mod:`numeric`.
"""

from __future__ import annotations

import sympy as sp

from ._sigmoid import sigmoid

__all__ = ["sigmoid_forms", "SIGMOID_FORM_RULES"]

SIGMOID_FORM_RULES = {
    "logistic": "exp(u)/(1 + exp(u)) -> sigmoid(u)",
    "complement": "1 - sigmoid(u) -> sigmoid(-u)",
}


def _complement(node: sp.Expr) -> sp.Expr:
    """In a sum, 1 - sigmoid(u) becomes sigmoid(-u) and sigmoid(u) - 1 becomes -sigmoid(-u)."""
    if not node.is_Add:
        return node
    for term in node.args:
        sign = 1 if isinstance(term, sigmoid) else -1 if isinstance(-term, sigmoid) else 0
        one = sp.Integer(-sign)
        if sign and one in node.args:
            u = (sign * term).args[0]
            rest = [a for a in node.args if a not in (term, one)]
            return sp.Add(*rest, one * sigmoid(-u))
    return node


def _logistic(node: sp.Expr) -> sp.Expr:
    """1/(1 + exp(u)) becomes sigmoid(-u), and exp(u) sigmoid(-u) becomes sigmoid(u)."""
    if node.is_Pow and node.exp == -1 and node.base.is_Add and len(node.base.args) == 2 \
            and sp.S.One in node.base.args:
        other = node.base.args[1] if node.base.args[0] == 1 else node.base.args[0]
        if isinstance(other, sp.exp):
            return sigmoid(-other.args[0])
    if node.is_Mul:
        for factor in node.args:
            if isinstance(factor, sp.exp) and sigmoid(-factor.args[0]) in node.args:
                rest = [a for a in node.args if a not in (factor, sigmoid(-factor.args[0]))]
                return sp.Mul(*rest, sigmoid(factor.args[0]))
    return node


def sigmoid_forms(expr: sp.Expr) -> tuple[sp.Expr, list[str]]:
    """``expr`` with the rewrites applied from the leaves up, and the names of those that changed it."""
    used = []
    for name, rule in (("logistic", _logistic), ("complement", _complement)):
        rewritten = sp.bottom_up(expr, rule)
        if rewritten != expr:
            used.append(name)
        expr = rewritten
    return expr, used
