"""Reading the plain-text printer's formulas back (``gradproof derive``'s worked solutions), as a
student reads them: the third reader of the printer witness.

The text is SymPy's string syntax with the toolkit's notation (:mod:`._text`): ``+``, ``-``
(or ``−``) between terms; ``*`` (or ``·``) and juxtaposition-free products; ``/`` dividing the
factor before it by the next; ``^``, ``**`` or a Unicode superscript (``²``) binding to the atom
just before it; ``σ(...)``, ``exp(...)``, ``log(...)``; a derivative ``∂/∂z [...]`` (``d/dz``
with ``ascii``) whose operand is its bracket; a sum sign ``Σ_{i=0}^{B − 1}`` (``sum_``) acting on
the rest of the product it stands in, up to the next ``+`` or ``-``.

Names are matched against the printed names of the expression's own atoms (its symbols and
indexed entries): the names say which atoms exist, never how they are grouped, and two atoms
that print alike (a dropped index) make the text unreadable.
"""

from __future__ import annotations

import re

import sympy as sp

from .._vocabulary import sigmoid
from ._read import FUNCTIONS, GrammarReader, ReadError, Token, differentiation, summation

__all__ = ["read_text", "TextNames", "text_names"]

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_RAISED = "ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ"
_NAME = (r"[A-Za-zα-ωΑ-ΡΤ-Ω][A-Za-z0-9]*[" + _RAISED + r"]*(?:\^[A-Za-z]+)?"
         r"(?:_(?:\{[^{}]*\}|[A-Za-z0-9]+))*")  # n, X_ik, x_{i,k + 1}, nᵇ_k, n^b_k (ascii)
_TEXT_FUNCTIONS = {**FUNCTIONS, "σ": sigmoid, "sqrt": sp.sqrt, "Abs": sp.Abs}


class TextNames(dict):
    """Printed name -> the atom it names (None where two atoms print alike)."""


def text_names(expr: sp.Basic, printer) -> TextNames:
    """The printed names of the symbols and indexed entries of ``expr`` (``printer``: the text
    printer's ``_print``)."""
    names = TextNames()
    for atom in sorted(expr.atoms(sp.Symbol, sp.Dummy, sp.Indexed), key=sp.default_sort_key):
        shown = printer(atom)
        names[shown] = None if shown in names and names[shown] != atom else atom
    return names


class TextReader(GrammarReader):
    """The plain text of :func:`gradproof.symbolic.printing.text` (Unicode or ASCII)."""

    TOKEN = re.compile(r"Σ|sum(?=_\{)|∂/∂|d/d(?=[A-Za-z])|∂|\*\*|" + _NAME +
                       r"|\d+(?:\.\d+)?(?:e[-+]?\d+)?|[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+|\S")
    ALIASES = {"−": "-", "·": "*", "**": "^", "sum": "Σ", "d/d": "∂/∂"}
    language = "text"

    def __init__(self, source: str, names: TextNames):
        self.source, self.text_names = source, names
        self.names = None  # type: ignore[assignment]
        self.tokens = [Token(self.ALIASES.get(m.group(), m.group()), m.start(), m.end())
                       for m in self.TOKEN.finditer(source)]
        self.at = 0

    def sub_reader(self, tokens: list[Token]) -> TextReader:
        reader = TextReader("", self.text_names)
        reader.source = self.text_of(tokens)
        reader.tokens = list(tokens)
        return reader

    def is_times(self) -> bool:
        return self.peek() == "*"

    def is_slash(self) -> bool:
        return self.peek() == "/"

    def factor(self):
        base = self.atom()
        if callable(base):
            return base
        while True:
            if self.peek() == "^":
                self.take()
                base = sp.Pow(base, self.script())
            elif self.peek() and re.fullmatch(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+", self.peek() or ""):
                base = sp.Pow(base, sp.Integer(self.take().translate(_SUPERSCRIPTS)))
            else:
                return base

    def script(self) -> sp.Expr:
        if self.peek() == "(":
            self.take()
            return self.sub_reader(self.group_until(")", "(")).read()
        if self.peek() == "-":
            self.take()
            return -self.script()
        value = self.atom()
        if callable(value):
            raise self.error("an operator as an exponent")
        return value

    def atom(self):
        token = self.take()
        if token == "(":
            return self.sub_reader(self.group_until(")", "(")).read()
        if re.fullmatch(r"\d+(\.\d+)?(e[-+]?\d+)?", token):
            return sp.Rational(token) if re.fullmatch(r"\d+", token) else sp.Float(token)
        if token == "Σ":
            return self.sum_sign()
        if token == "∂/∂":
            return self.derivative()
        if token in _TEXT_FUNCTIONS and self.peek() == "(" and self.adjacent():
            self.take()
            arguments = [self.sub_reader(g).read() for g in self.groups(self.group_until(")", "("))]
            return _TEXT_FUNCTIONS[token](*arguments)
        if re.fullmatch(_NAME, token):
            return self.name_of(token)
        raise self.error(f"unknown {token!r}")

    def name_of(self, token: str) -> sp.Expr:
        if token in self.text_names:
            atom = self.text_names[token]
            if atom is None:
                raise self.error(f"{token!r} names two different atoms")
            return atom
        if token in ("E", "e"):
            return sp.E
        if "^" in token:  # no name n^b: the name n to the power b (ascii's z^y)
            base, _, exponent = token.partition("^")
            return sp.Pow(self.name_of(base), self.name_of(exponent))
        base, _, rest = token.partition("_")
        if base in ("δ", "delta") and rest:
            indices = [self.name_of(i) if i in self.text_names else sp.sympify(i)
                       for i in (rest.strip("{}").split(",") if "," in rest else list(rest.strip("{}")))]
            if len(indices) == 2:
                return sp.KroneckerDelta(*indices)
        raise self.error(f"no name {token!r} in the expression shown")

    def sum_sign(self):
        self.expect("_")
        self.expect("{")
        limit = self.group_until("}", "{")
        if len(limit) < 3 or limit[1].text != "=":
            raise self.error("a sum sign without its limits")
        variable = self.sub_reader(limit[:1]).read()
        lower = self.sub_reader(limit[2:]).read()
        self.expect("^")
        if self.peek() == "{":
            self.take()
            upper = self.sub_reader(self.group_until("}", "{")).read()
        else:
            upper = self.atom()
        return summation(variable, lower, upper)

    def derivative(self) -> sp.Expr:
        """``∂/∂z [...]`` or ``∂/∂z ∂w [...]`` (``d/dz dw [...]``): the operand is the bracket."""
        variables: list[sp.Expr] = [self.name_of(self.take())]
        while self.peek() != "[":
            token = self.take()
            if token == "∂":
                variables.append(self.name_of(self.take()))
            elif token.startswith("d") and token[1:] in self.text_names:
                variables.append(self.name_of(token[1:]))
            else:
                raise self.error(f"derivative: expected '[', found {token!r}")
        self.expect("[")
        body = self.sub_reader(self.group_until("]", "[")).read()
        counts: dict[sp.Expr, int] = {}
        for variable in variables:
            counts[variable] = counts.get(variable, 0) + 1
        return differentiation(list(counts.items()))(body)


def read_text(text: str, names: TextNames) -> sp.Expr:
    """Plain text printed by :func:`gradproof.symbolic.printing.text` as a SymPy expression."""
    try:
        return TextReader(text, names).read()
    except ReadError:
        raise
    except (TypeError, ValueError, IndexError, AttributeError) as error:
        raise ReadError(f"text {text!r}: {type(error).__name__}: {error}") from None
