"""A SymPy printer for Typst math, built like SymPy's own LaTeX printer.

``typst(expr)`` returns the body of a Typst equation (what goes between ``$ ... $``):

>>> import sympy as sp
>>> from gradproof.symbolic import sigmoid
>>> from gradproof.symbolic.printing import typst
>>> z, y = sp.symbols("z y", real=True)
>>> typst(sigmoid(z) - y)
'sigma(z) - y'
>>> typst(sp.Derivative(-y*sp.log(sigmoid(z)), z))
'frac(partial, partial z) lr((-y log sigma(z)))'

Names follow SymPy's convention ``name_sub^sup``: ``W_hz`` prints as W with subscript hz,
``ghn_k`` as the one italic name ghn with subscript k (never the product g h n), Greek
names as Greek letters.  Typst scales paired delimiters to their content, so sums and
fractions inside parentheses get tall parentheses (``lr`` where Typst would not pair them).
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.conventions import split_super_sub
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.printer import Printer

from ._grouping import factor_needs_brackets, power_base_needs_brackets, summand_needs_brackets

__all__ = ["TypstPrinter", "typst"]

GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
         "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi",
         "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma",
         "Upsilon", "Phi", "Psi", "Omega"}
OPERATORS = {"exp", "log", "tanh", "sinh", "cosh", "sin", "cos", "tan", "ln", "max", "min"}
RELATIONS = {"==": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def _letters(name: str) -> str:
    """One name: a Greek letter, a single italic letter, or a longer italic name."""
    if name in GREEK:
        return name
    if len(name) == 1 and name.isalpha():
        return name
    if name.isdigit():
        return name
    return f'italic("{name}")'


def _subscript(text: str) -> str:
    """A subscript of a name: Greek, digits, letters set side by side (``hz`` as h z), or a
    small sum of single letters and digits written in braces (``{t+1}`` as t+1)."""
    text = text.strip("{}")
    if re.fullmatch(r"([A-Za-z]|[0-9]+)([+-]([A-Za-z]|[0-9]+))+", text):
        return text
    if text in GREEK or text.isdigit() or len(text) == 1:
        return text
    if text.isalpha() and len(text) <= 3:
        return " ".join(text)
    return _letters(text)


def _group(text: str) -> str:
    """A script argument: bare when it is one token, else grouped in parentheses."""
    return text if text.isalnum() and (len(text) == 1 or text.isdigit() or text in GREEK) else f"({text})"


class TypstPrinter(Printer):
    """Print SymPy expressions as Typst math (the body of ``$ ... $``)."""

    printmethod = "_typst"
    _default_settings: dict = {}

    def parenthesize(self, item, level: int, strict: bool = False) -> str:
        prec = precedence(item)
        if prec < level or (strict and prec == level):
            return f"lr(({self._print(item)}))"
        return self._print(item)

    def emptyPrinter(self, expr) -> str:  # noqa: N802 - SymPy's hook name
        return f'"{expr}"'

    # atoms --------------------------------------------------------------------------------
    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return self._scripted(expr.name)

    @staticmethod
    def _scripted(full_name: str, indices: tuple[str, ...] = ()) -> str:
        """``name_sub^sup`` with the indices of an Indexed appended to the subscript."""
        name, sups, subs = split_super_sub(full_name)
        text = _letters(name)
        scripts = [_subscript(s) for s in subs]
        if indices:
            simple = all(len(i) == 1 for i in indices)
            scripts.append(" ".join(indices) if simple else ", ".join(indices))
        if scripts:
            text += "_" + _group(", ".join(scripts))
        if sups:
            text += "^" + _group(" ".join(_letters(s) for s in sups))
        return text

    _print_Dummy = _print_Symbol

    def _print_IndexedBase(self, expr: sp.IndexedBase) -> str:
        return self._print(expr.label)

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        """W_hz[k, q] as W with subscript (h z, k q): the name's subscript, then the indices."""
        label = expr.base.label
        indices = tuple(self._print(i) for i in expr.indices)
        if isinstance(label, sp.Symbol):
            return self._scripted(label.name, indices)
        return f"{self._print(label)}_{_group(', '.join(indices))}"

    def _print_Integer(self, expr: sp.Integer) -> str:
        return str(expr.p)

    def _print_Rational(self, expr: sp.Rational) -> str:
        sign = "-" if expr.p < 0 else ""
        return f"{sign}frac({abs(expr.p)}, {expr.q})"

    def _print_Float(self, expr: sp.Float) -> str:
        return sp.sstr(expr, full_prec=False)

    def _print_Exp1(self, expr) -> str:
        return "e"

    def _print_Pi(self, expr) -> str:
        return "pi"

    def _print_Infinity(self, expr) -> str:
        return "infinity"

    def _print_NegativeInfinity(self, expr) -> str:
        return "-infinity"

    def _print_ImaginaryUnit(self, expr) -> str:
        return "i"

    # arithmetic ---------------------------------------------------------------------------
    def _print_Add(self, expr: sp.Add, order=None) -> str:
        out = ""
        for i, term in enumerate(ordered_terms(expr)):
            text = self._print(term)
            if text.startswith("-"):
                out += (" - " if i else "-") + text[1:]
            else:
                out += (" + " if i else "") + (f"lr(({text}))" if precedence(term) < PRECEDENCE["Add"] else text)
        return out

    def _print_Mul(self, expr: sp.Mul) -> str:
        if expr.could_extract_minus_sign():
            inner = -expr
            if inner.is_Add:
                return f"-lr(({self._print(inner)}))"
            return "-" + self._print(inner)
        numer, denom = sp.fraction(expr, exact=True)
        if denom is not sp.S.One:
            return self._print_fraction(numer, denom)
        return self._print_product(sp.Mul.make_args(expr))

    def _print_fraction(self, numer: sp.Expr, denom: sp.Expr) -> str:
        """a/b as frac(a, b); (1/B) times a sum or a long product as frac(1, B) before it."""
        if numer.has(sp.Sum) or (numer.is_Mul and len(self._print(numer)) > 24):
            coeff, rest = (numer.as_coeff_Mul() if numer.is_Mul else (sp.S.One, numer))
            head = f"frac({self._print(coeff)}, {self._print(denom)})"
            return f"{head} {self.parenthesize(rest, PRECEDENCE['Mul'])}"
        return f"frac({self._print(numer)}, {self._print(denom)})"

    def _print_product(self, factors) -> str:
        """Factors side by side in the order of ``factor_rank``; a factor holding an operator
        that acts on everything after it (a sum sign, a derivative) is bracketed unless it comes
        last, as SymPy's LaTeX printer does for sums (``d/dz (z/3) sum_i x_i`` would read as the
        derivative of the whole product)."""
        parts: list[str] = []
        ordered = sorted(factors, key=factor_rank)
        for position, factor in enumerate(ordered):
            text = self._print(factor)
            if factor_needs_brackets(factor, last=position == len(ordered) - 1):
                text = f"lr(({text}))"
            if parts and (text[0].isdigit() or parts[-1][-1].isdigit() and text[0] == "("):
                parts.append("dot")
            parts.append(text)
        return " ".join(parts)

    def _print_Pow(self, expr: sp.Pow) -> str:
        base, exp = expr.args
        if exp is sp.S.Half:
            return f"sqrt({self._print(base)})"
        if exp.is_Rational and exp.is_negative:
            return f"frac(1, {self._print(base ** -exp)})"
        if base.func == sp.exp:
            return self._print(sp.exp(base.args[0] * exp))
        if base.is_Function and not isinstance(base, sp.Abs):
            return self._print_function(base, exponent=self._print(exp))
        return f"{self._power_base(base)}^{_group(self._print(exp))}"

    def _power_base(self, base: sp.Expr) -> str:
        """The base of a power, in parentheses when the exponent would not reach all of it: a
        sum sign or a derivative (which act on everything after them) and a name that has a
        superscript already (``n_k^b^2`` reads as n_k to the power b^2)."""
        text = self._print(base)
        if power_base_needs_brackets(base) or "^" in text:
            return f"lr(({text}))"
        return text

    # functions ----------------------------------------------------------------------------
    def _print_function(self, expr: sp.Function, exponent: str | None = None) -> str:
        name = type(expr).__name__
        args = ", ".join(self._print(a) for a in expr.args)
        if name == "exp":
            text = f"e^{_group(args)}"
            return text if exponent is None else f"lr((e^{_group(args)}))^{_group(exponent)}"
        if name == "sigmoid":
            head = "sigma"
        elif name in OPERATORS:
            head = name
        else:
            head = _letters(name) if len(name) == 1 or name in GREEK else f'op("{name}")'
        if exponent is not None:
            head = f"{head}^{_group(exponent)}"
        single = len(expr.args) == 1
        if name in {"log", "tanh"} and single and _is_atom_argument(expr.args[0]):
            return f"{head} {args}"
        return f"{head}({args})" if "_" not in head and "^" not in head else f"{head} lr(({args}))"

    def _print_Function(self, expr: sp.Function) -> str:
        return self._print_function(expr)

    def _print_Abs(self, expr: sp.Abs) -> str:
        return f"abs({self._print(expr.args[0])})"

    def _print_KroneckerDelta(self, expr: sp.KroneckerDelta) -> str:
        a, b = (self._print(i) for i in expr.args)
        return f"delta_({a} {b})" if len(a) == len(b) == 1 else f"delta_({a}, {b})"

    def _print_Sum(self, expr: sp.Sum) -> str:
        heads = []
        for var, lower, upper in expr.limits:
            heads.append(f"sum_({self._print(var)} = {self._print(lower)})^{_group(self._print(upper))}")
        body = self._print(expr.function)
        if summand_needs_brackets(expr.function):
            body = f"lr(({body}))"
        return " ".join(heads) + " " + body

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        variables = list(expr.variable_count)
        total = sum(int(c) for _, c in variables)
        ordinary = len(variables) == 1 and expr.expr.free_symbols == {variables[0][0]}
        d = "dif" if ordinary else "partial"
        top = d if total == 1 else f"{d}^{total}"
        bottom = " ".join(f"{d} {self._print(v)}" + (f"^{_group(str(c))}" if c != 1 else "")
                          for v, c in variables)
        inner = self._print(expr.expr)
        plain = expr.expr.is_Symbol or expr.expr.is_Indexed or isinstance(expr.expr, sp.Function)
        body = inner if plain else f"lr(({inner}))"
        return f"frac({top}, {bottom}) {body}"

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        rows = []
        for value, cond in expr.args:
            when = '"otherwise"' if cond is sp.true else f'"if" {self._print(cond)}'
            rows.append(f"{self._print(value)} & {when}")
        return "cases(" + ", ".join(rows) + ")"

    def _print_Relational(self, expr) -> str:
        return f"{self._print(expr.lhs)} {RELATIONS[expr.rel_op]} {self._print(expr.rhs)}"

    def _print_And(self, expr) -> str:
        return ' "and" '.join(self._print(a) for a in expr.args)

    def _print_Or(self, expr) -> str:
        return ' "or" '.join(self._print(a) for a in expr.args)

    def _print_BooleanTrue(self, expr) -> str:
        return '"true"'

    def _print_BooleanFalse(self, expr) -> str:
        return '"false"'

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
    return arg.is_Symbol or arg.is_Indexed or (arg.is_Number and arg.is_nonnegative) or (
        isinstance(arg, sp.Function) and type(arg).__name__ == "sigmoid")


def typst(expr, **settings) -> str:
    """``expr`` as Typst math: the text to put between ``$`` signs."""
    return TypstPrinter(settings).doprint(sp.sympify(expr))
