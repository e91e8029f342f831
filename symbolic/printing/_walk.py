"""The printer core: one precedence-aware walk of an expression, written out by a *syntax*.

:class:`FormulaWalk` decides everything about a formula's structure once, for every language:
the order of terms (``sigma(z) - y``) and of factors (numbers, names, functions, brackets, then
operators), which terms are subtracted, where a fraction's ``1/B`` stands before a sum, where
brackets are needed (:mod:`._grouping`: a power of a sum sign, an operator followed by more
factors, a negative summand), how a power of a function is written.  A :class:`Syntax` only
spells the pieces: Typst (:mod:`._typst`), LaTeX (:mod:`._latex`) and plain text (:mod:`._text`)
are three syntaxes of the same walk, so the three cannot disagree about grouping.  Decisions
that depend on a formula's width are taken on its Typst spelling, for all three.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.conventions import split_super_sub
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.printer import Printer

from ._grouping import factor_needs_brackets, power_base_needs_brackets, summand_needs_brackets
from ._syntax import Syntax
from ._typst_syntax import TYPST

__all__ = ["FormulaWalk", "ordered_terms", "factor_rank"]

class FormulaWalk(Printer):
    """The walk (see the module docstring); ``syntax`` spells it in one language."""

    printmethod = "_gradproof_formula"
    _default_settings: dict = {}
    syntax: Syntax

    def __init__(self, syntax: Syntax | None = None, settings: dict | None = None):
        super().__init__(settings or {})
        if syntax is not None:
            self.syntax = syntax

    def _typst_of(self, expr) -> str:
        """The Typst spelling, on which decisions that depend on width are taken."""
        return FormulaWalk(TYPST).doprint(expr)

    def parenthesize(self, item, level: int, strict: bool = False) -> str:
        prec = precedence(item)
        if prec < level or (strict and prec == level):
            return self.syntax.group(self._print(item))
        return self._print(item)

    def emptyPrinter(self, expr) -> str:  # noqa: N802 - SymPy's hook name
        return self.syntax.unknown(expr)

    # atoms --------------------------------------------------------------------------------
    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return self._scripted(expr.name)

    def _scripted(self, full_name: str, indices: tuple[str, ...] = ()) -> str:
        """``name_sub^sup`` with the indices of an Indexed after the name's subscript."""
        name, sups, subs = split_super_sub(full_name)
        return self.syntax.name(name, subs, sups, indices)

    _print_Dummy = _print_Symbol

    def _print_IndexedBase(self, expr: sp.IndexedBase) -> str:
        return self._print(expr.label)

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        label = expr.base.label
        indices = tuple(self._print(i) for i in expr.indices)
        if isinstance(label, sp.Symbol):
            return self._scripted(label.name, indices)
        return self.syntax.name(self._print(label), [], [], indices)

    def _print_Integer(self, expr: sp.Integer) -> str:
        return self.syntax.integer(int(expr.p))

    def _print_Rational(self, expr: sp.Rational) -> str:
        text = self.syntax.rational(abs(int(expr.p)), int(expr.q))
        return self.syntax.negate(text) if expr.p < 0 else text

    def _print_Float(self, expr: sp.Float) -> str:
        text = sp.sstr(abs(expr), full_prec=False)
        return self.syntax.negate(text) if expr < 0 else text

    def _print_Exp1(self, expr) -> str:
        return self.syntax.constant("e")

    def _print_Pi(self, expr) -> str:
        return self.syntax.constant("pi")

    def _print_Infinity(self, expr) -> str:
        return self.syntax.constant("infinity")

    def _print_NegativeInfinity(self, expr) -> str:
        return self.syntax.negate(self.syntax.constant("infinity"))

    def _print_ImaginaryUnit(self, expr) -> str:
        return self.syntax.constant("i")

    # arithmetic ---------------------------------------------------------------------------
    def _print_Add(self, expr: sp.Add, order=None) -> str:
        parts: list[tuple[str, str]] = []
        minus = self.syntax.minus
        for term in ordered_terms(expr):
            text = self._print(term)
            if text.startswith(minus):
                parts.append(("-", text[len(minus):]))
            else:
                parts.append(("+", self.syntax.group(text) if precedence(term) < PRECEDENCE["Add"] else text))
        return self.syntax.add(parts)

    def _print_Mul(self, expr: sp.Mul) -> str:
        if expr.could_extract_minus_sign():
            inner = -expr
            if inner.is_Add:
                return self.syntax.negate(self.syntax.group(self._print(inner)))
            return self.syntax.negate(self._print(inner))
        numer, denom = sp.fraction(expr, exact=True)
        if denom is not sp.S.One:
            return self._print_fraction(numer, denom)
        return self._print_product(sp.Mul.make_args(expr))

    def _print_fraction(self, numer: sp.Expr, denom: sp.Expr) -> str:
        """a/b as a fraction; (1/B) times a sum or a long product as the fraction 1/B before it."""
        if numer.has(sp.Sum) or (numer.is_Mul and len(self._typst_of(numer)) > 24):
            coeff, rest = (numer.as_coeff_Mul() if numer.is_Mul else (sp.S.One, numer))
            head = self.syntax.fraction(self._print(coeff), self._print(denom), coeff, denom)
            return self.syntax.product([head, self.parenthesize(rest, PRECEDENCE["Mul"])])
        return self.syntax.fraction(self._print(numer), self._print(denom), numer, denom)

    def _print_product(self, factors) -> str:
        """Factors in the order of :func:`factor_rank`, bracketed where :mod:`._grouping` says."""
        ordered = sorted(factors, key=factor_rank)
        texts = []
        for position, factor in enumerate(ordered):
            text = self._print(factor)
            if factor_needs_brackets(factor, last=position == len(ordered) - 1):
                text = self.syntax.group(text)
            texts.append(text)
        return self.syntax.product(texts)

    def _print_Pow(self, expr: sp.Pow) -> str:
        base, exp = expr.args
        if exp is sp.S.Half:
            return self.syntax.sqrt(self._print(base))
        if exp.is_Rational and exp.is_negative:
            return self.syntax.fraction(self.syntax.integer(1), self._print(base ** -exp), sp.S.One, base ** -exp)
        if base.func == sp.exp:
            return self._print(sp.exp(base.args[0] * exp))
        if base.is_Function and not isinstance(base, sp.Abs):
            return self._print_function(base, exponent=self._print(exp))
        return self.syntax.power(self._power_base(base), self._print(exp), exp)

    def _power_base(self, base: sp.Expr) -> str:
        """The base of a power, bracketed when the exponent would not reach all of it: an operator
        (:mod:`._grouping`) and a name with a superscript already (``n_k^b^2`` reads as n_k to
        the power b^2)."""
        text = self._print(base)
        if power_base_needs_brackets(base) or "^" in self._typst_of(base):
            return self.syntax.group(text)
        return text

    # functions ----------------------------------------------------------------------------
    def _print_function(self, expr: sp.Function, exponent: str | None = None) -> str:
        name = type(expr).__name__
        arguments = [self._print(a) for a in expr.args]
        if name == "exp":
            return self.syntax.exp(arguments[0], exponent)
        bare = name in {"log", "tanh"} and len(expr.args) == 1 and _is_atom_argument(expr.args[0])
        return self.syntax.function(name, arguments, exponent, bare)

    def _print_Function(self, expr: sp.Function) -> str:
        return self._print_function(expr)

    def _print_Abs(self, expr: sp.Abs) -> str:
        return self.syntax.abs(self._print(expr.args[0]))

    def _print_KroneckerDelta(self, expr: sp.KroneckerDelta) -> str:
        return self.syntax.delta(*(self._print(i) for i in expr.args))

    def _print_Sum(self, expr: sp.Sum) -> str:
        heads = [self.syntax.sum_sign(self._print(var), self._print(lower), self._print(upper))
                 for var, lower, upper in expr.limits]
        body = self._print(expr.function)
        if summand_needs_brackets(expr.function):
            body = self.syntax.group(body)
        return self.syntax.operator(heads, body)

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        variables = list(expr.variable_count)
        ordinary = len(variables) == 1 and expr.expr.free_symbols == {variables[0][0]}
        inner = self._print(expr.expr)
        plain = expr.expr.is_Symbol or expr.expr.is_Indexed or isinstance(expr.expr, sp.Function)
        return self.syntax.derivative(ordinary, [(self._print(v), int(c)) for v, c in variables], inner,
                                      not plain)

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        return self.syntax.cases([(self._print(value), None if cond is sp.true else self._print(cond))
                                  for value, cond in expr.args])

    def _print_Relational(self, expr) -> str:
        return self.syntax.relation(self._print(expr.lhs), expr.rel_op, self._print(expr.rhs))

    def _print_And(self, expr) -> str:
        return self.syntax.junction("and", [self._print(a) for a in expr.args])

    def _print_Or(self, expr) -> str:
        return self.syntax.junction("or", [self._print(a) for a in expr.args])

    def _print_BooleanTrue(self, expr) -> str:
        return self.syntax.word("true")

    def _print_BooleanFalse(self, expr) -> str:
        return self.syntax.word("false")

    def _print_Tuple(self, expr) -> str:
        return "(" + ", ".join(self._print(a) for a in expr) + ")"


def ordered_terms(expr: sp.Add) -> list[sp.Expr]:
    """The terms of a sum in SymPy's order, except that a sum of two terms starts with the
    positive one (sigma(z) - y rather than -y + sigma(z)) and a constant leads (1 + e^z)."""
    terms = list(expr.as_ordered_terms())
    if len(terms) == 2:
        a, b = terms
        if (a.could_extract_minus_sign() and not b.could_extract_minus_sign()) or (b.is_Number and b > 0):
            terms = [b, a]
    return terms


def factor_rank(factor: sp.Expr) -> int:
    """Numbers first, then names, functions, bracketed sums, and derivatives and sums last
    (so that an operator never seems to act on the factors after it)."""
    if factor.is_Number:
        return 0
    if isinstance(factor, (sp.Sum, sp.Derivative)):
        return 4
    if factor.is_Add or (factor.is_Pow and factor.base.is_Add):
        return 3
    if isinstance(factor, (sp.log, sp.tanh)):
        return 3  # after its coefficients: (1 - y) log(1 - s)
    if isinstance(factor, sp.Function) and not isinstance(factor, sp.KroneckerDelta):
        return 2
    return 1


def _is_atom_argument(arg: sp.Expr) -> bool:
    return bool(arg.is_Symbol or arg.is_Indexed or (arg.is_Number and arg.is_nonnegative) or (
        isinstance(arg, sp.Function) and type(arg).__name__ == "sigmoid"))
