"""The logistic sigmoid as a SymPy function.

sigmoid(z) = 1 / (1 + exp(-z)).  Its derivative, sigmoid(z) (1 - sigmoid(z)), is
what :meth:`sigmoid.fdiff` returns; the catalog derivation ``sigmoid_derivative``
proves that identity from the exp definition, so every later derivation that
differentiates through ``sigmoid`` rests on a checked lemma, not an assumption.

Keeping sigmoid as a function (rather than raw ``exp``) stops ``simplify`` from
turning ``exp(Sum(...))`` into a ``Product``.
"""

from __future__ import annotations

import sympy as sp

__all__ = ["sigmoid"]


class sigmoid(sp.Function):  # noqa: N801 - named like SymPy's own functions
    """sigmoid(z) = 1 / (1 + exp(-z))."""

    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_zero:
            return sp.Rational(1, 2)
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return 1 / (1 + sp.exp(-arg))

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        if self.args[0].is_real:
            return True
        return None

    def _latex(self, printer, exp=None):
        inner = printer._print(self.args[0])
        base = r"\sigma\left(%s\right)" % inner
        return base if exp is None else r"%s^{%s}" % (base, exp)

    def _mpmath_(self, prec):
        import mpmath

        arg = self.args[0]._to_mpmath(prec)
        return 1 / (1 + mpmath.exp(-arg))
