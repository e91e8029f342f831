"""Where a printed formula needs brackets: the grouping rules every printer (Typst, LaTeX, text)
takes from one place.

SymPy's precedence table gives a sum sign, a derivative, an integral and a product sign the
precedence of an atom, which is right for what comes *before* them and wrong for what comes
after: such an operator acts on everything to its right, so ``(sum_i a_i)^2`` printed without
brackets reads as sum_i (a_i^2), and ``d/dz (z/3) sum_i a_i`` as the derivative of the whole
product.  The rules below say where each printer must bracket; each printer writes the brackets
in its own language.  What the printers then write is read back by the witness
(:mod:`._witness`), which would find a rule that is wrong.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.precedence import PRECEDENCE, precedence

__all__ = ["OPERATOR_SIGNS", "acts_rightwards", "power_base_needs_brackets", "factor_needs_brackets",
           "summand_needs_brackets"]

OPERATOR_SIGNS = (sp.Sum, sp.Derivative, sp.Integral, sp.Product)
"""Expressions printed as an operator sign followed by its operand, with no closing mark."""


def acts_rightwards(expr: sp.Expr) -> bool:
    """Whether ``expr`` prints as an operator whose scope runs on to the right (a sum sign, a
    derivative, an integral or product sign), so that whatever follows would join its operand."""
    return isinstance(expr, OPERATOR_SIGNS)


def power_base_needs_brackets(base: sp.Expr) -> bool:
    """Whether the base of a power must be bracketed: anything binding more loosely than a power
    (sums, products, negatives, fractions), and an operator, whose exponent would otherwise
    land on the last atom of its operand (``(sum_k u_k X_ik)^2``, issue 'Printed means proved')."""
    return acts_rightwards(base) or precedence(base) <= PRECEDENCE["Pow"]


def factor_needs_brackets(factor: sp.Expr, last: bool) -> bool:
    """Whether a factor of a product must be bracketed: a sum or a negative term always
    (binding more loosely than a product), an operator unless it is the last factor."""
    return precedence(factor) < PRECEDENCE["Mul"] or (not last and acts_rightwards(factor))


def summand_needs_brackets(body: sp.Expr) -> bool:
    """Whether the operand of a sum sign must be bracketed: a sum or a negative term (a sign
    hanging after the operator, ``sum_i - x_i``)."""
    return precedence(body) < PRECEDENCE["Mul"]
