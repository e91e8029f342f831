"""Reading the plain-text printer's formulas back (``gradproof derive``'s worked solutions), as a
student reads them: the third reader of the printer witness.

The text is SymPy's string syntax with the toolkit's notation (:mod:`._text`): ``+``, ``-``
(or ``−``) between terms; ``*`` (or ``·``) and juxtaposition-free products; ``/`` dividing the
factor before it by the next; ``^``, ``**`` or a Unicode superscript (``²``) binding to the atom
just before it; ``σ(...)``, ``exp(...)``, ``log(...)``; a derivative ``∂/∂z [...]`` (``d/dz``
with ``ascii``) whose operand is its bracket; a sum sign ``Σ_{i=0}^{B − 1}`` (``sum_``) acting on
the rest of the product it stands in, up to the next ``+`` or ``-``.

Names are read by their parts (base, raised superscript, subscripts; an indexed name's indices
after its label's subscript) and resolved against the *lexicon* of the expression shown, as the
Typst and LaTeX readers do (:func:`._read.lexicon`): which names exist and how many indices each
takes, never how they print, so a dropped or misplaced index is unreadable or reads as another
entry.
"""

from __future__ import annotations

import re

import sympy as sp

from .._vocabulary import sigmoid
from ._read import FUNCTIONS, GrammarReader, Lexicon, ReadError, differentiation, summation

__all__ = ["read_text"]

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_RAISED = "ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ"
_NAME = (r"[A-Za-zα-ωΑ-ΡΤ-Ω][A-Za-z0-9]*[" + _RAISED + r"]*(?:\^[A-Za-z]+)?"
         r"(?:_(?:\{[^{}]*\}|[A-Za-z0-9]+))*")  # n, X_ik, x_{i,k + 1}, nᵇ_k, n^b_k (ascii)
_TEXT_FUNCTIONS = {**FUNCTIONS, "σ": sigmoid, "sqrt": sp.sqrt, "Abs": sp.Abs}


_RAISED_BACK = str.maketrans(_RAISED, "abcdefghijklmnoprstuvwxyz")
_GREEK_LETTERS = {"σ": "sigma", "ω": "omega", "π": "pi", "δ": "delta"}


def _name_parts(token: str) -> tuple[str, str, list[str]]:
    """A written name as (base, superscript, subscript groups): ``W_hz_kq`` is (W, '', [hz, kq]),
    ``nᵇ_k`` and ``n^b_k`` are (n, b, [k]), ``x_{i,k + 1}`` is (x, '', ['i,k + 1'])."""
    match = re.match(r"([A-Za-zα-ωΑ-Ω][A-Za-z0-9]*)([" + _RAISED + r"]*)(?:\^([A-Za-z]+))?", token)
    assert match is not None
    base = _GREEK_LETTERS.get(match.group(1), match.group(1))
    sup = match.group(2).translate(_RAISED_BACK) + (match.group(3) or "")
    groups = re.findall(r"_(\{[^{}]*\}|[A-Za-z0-9]+)", token[match.end():])
    return base, sup, [g[1:-1] if g.startswith("{") else g for g in groups]


class TextReader(GrammarReader):
    """The plain text of :func:`gradproof.symbolic.printing.text` (Unicode or ASCII)."""

    TOKEN = re.compile(r"Σ|sum(?=_\{)|∂/∂|d/d(?=[A-Za-z])|∂|\*\*|" + _NAME +
                       r"|\d+(?:\.\d+)?(?:e[-+]?\d+)?|[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+|\S")
    ALIASES = {"−": "-", "·": "*", "**": "^", "sum": "Σ", "d/d": "∂/∂"}
    language = "text"

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
        """A written name resolved against the lexicon of the expression shown, by its parts (base,
        superscript, subscript; an indexed name's indices after its label's subscript): the
        lexicon says which names exist and how many indices each takes, never how they print."""
        base, sup, groups = _name_parts(token)
        names = self.names
        whole = "".join(groups).replace(" ", "")
        if (base, whole.replace(",", ""), sup) in names.symbols:
            return names.symbols[(base, whole.replace(",", ""), sup)]
        for label, rank, indexed in names.indexed.get((base, sup), []):
            label_groups = len(label and [g for g in groups[:-1]] or [])
            if "".join(groups[:label_groups]) != label or len(groups) != label_groups + 1:
                continue
            written = groups[-1]
            parts = written.split(",") if "," in written else list(written) if rank > 1 else [written]
            if len(parts) == rank:
                indices = [self.sub_reader_of(part).read() for part in parts]
                return indexed[tuple(indices)] if rank > 1 else indexed[indices[0]]
        if token in ("E", "e"):
            return sp.E
        if sup and "^" in token:  # no name n^b: the name n to the power b (ascii's z^y)
            stem, _, exponent = token.partition("^")
            return sp.Pow(self.name_of(stem), self.name_of(exponent))
        if base == "delta" and len(groups) == 1:
            written = groups[0]
            parts = written.split(",") if "," in written else list(written)
            if len(parts) == 2:
                return sp.KroneckerDelta(*(self.sub_reader_of(part).read() for part in parts))
        raise self.error(f"no name {token!r} in the expression shown")

    def sub_reader_of(self, written: str) -> TextReader:
        """A reader of a piece of a name (an index such as ``k + 1``)."""
        return TextReader(written, self.names)

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
            elif token.startswith("d") and len(token) > 1:  # ascii: d/dz dw
                variables.append(self.name_of(token[1:]))
            else:
                raise self.error(f"derivative: expected '[', found {token!r}")
        self.expect("[")
        body = self.sub_reader(self.group_until("]", "[")).read()
        counts: dict[sp.Expr, int] = {}
        for variable in variables:
            counts[variable] = counts.get(variable, 0) + 1
        return differentiation(list(counts.items()))(body)


def read_text(text: str, names: Lexicon) -> sp.Expr:
    """Plain text printed by :func:`gradproof.symbolic.printing.text` as a SymPy expression."""
    try:
        return TextReader(text, names).read()
    except ReadError:
        raise
    except (TypeError, ValueError, IndexError, AttributeError) as error:
        raise ReadError(f"text {text!r}: {type(error).__name__}: {error}") from None
