"""Reading printed maths back into SymPy: the independent half of the printer witness.

:func:`read_typst` and :func:`read_latex` parse the subset of Typst maths and of LaTeX that a
reader of the report meets, by the grammar of each language as a person reads it, not by the
printers' code: juxtaposition and ``dot`` multiply; ``+`` and ``-`` separate terms; a script
(``^``, ``_``) binds to the atom just before it and takes one token or one group (Typst drops
the parentheses of ``^(...)``; LaTeX's braces group), right to left (``a^b^c`` is
``a^(b^c)``); a sum sign ``sum_(i = 0)^(n - 1)`` and a derivative operator ``frac(partial,
partial z)`` act on the rest of the product they stand in, up to the next ``+`` or ``-``.

Names are read as written (a base, its subscript and superscript) and resolved against the
*lexicon* of the expression the text claims to show: its symbols and indexed bases, with
their number of indices (:func:`lexicon`).  The lexicon says which names exist, never how
they are grouped, so a dropped subscript, a lost pair of parentheses or an exponent that
slid onto the wrong atom gives a different expression (or an unreadable one), which the
witness (:mod:`._witness`) then finds by evaluating both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp
from sympy.printing.conventions import split_super_sub

from .._vocabulary import sigmoid

__all__ = ["ReadError", "Lexicon", "lexicon", "OPEN", "read_typst", "read_latex", "read_typst_chain",
           "read_latex_chain", "SEPARATORS"]


class ReadError(ValueError):
    """The text is not in the subset the readers know, or names something the lexicon lacks."""


def _key(text: str) -> str:
    """A script as a comparable string: no spaces, braces, commas or backslashes."""
    return re.sub(r'[\s{},\\"]|\\text', "", text.replace("\\text", ""))


@dataclass(frozen=True)
class Lexicon:
    """The names an expression uses: ``symbols`` by (base, subscript, superscript) and
    ``indexed`` by (base, superscript) -> (label subscript, rank, IndexedBase)."""

    symbols: dict[tuple[str, str, str], sp.Symbol]
    indexed: dict[tuple[str, str], list[tuple[str, int, sp.IndexedBase]]]
    open: bool = False  # any name is read as a symbol of its own (captions: no expression to compare with)


def _parts(name: str) -> tuple[str, str, str]:
    base, sups, subs = split_super_sub(name)
    return base, _key("".join(subs)), _key("".join(sups))


def lexicon(expr: sp.Basic) -> Lexicon:
    """The symbols and indexed bases of ``expr`` (bound summation variables included)."""
    symbols = {_parts(s.name): s for s in expr.atoms(sp.Symbol, sp.Dummy)}
    indexed: dict[tuple[str, str], list[tuple[str, int, sp.IndexedBase]]] = {}
    for item in expr.atoms(sp.Indexed):
        base, sub, sup = _parts(item.base.label.name)
        entry = (sub, len(item.indices), item.base)
        if entry not in indexed.setdefault((base, sup), []):
            indexed[(base, sup)].append(entry)
    return Lexicon(symbols, indexed)


# ---------------------------------------------------------------------------------------------
# tokens


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int


class GrammarReader:
    """Terms, products and scripts, shared by both languages; each language reads its atoms."""

    TOKEN: re.Pattern = re.compile(r"\S")
    ALIASES: dict[str, str] = {}  # tokens read as another (an unpaired bracket as a bracket)
    language = ""

    def __init__(self, source: str, names: Lexicon):
        self.source, self.names = source, names
        self.tokens = [Token(self.ALIASES.get(m.group(), m.group()), m.start(), m.end())
                       for m in self.TOKEN.finditer(source)
                       if not self.skipped(m.group())]
        self.at = 0

    def skipped(self, token: str) -> bool:
        return False

    # token access ------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> str | None:
        at = self.at + ahead
        return self.tokens[at].text if at < len(self.tokens) else None

    def take(self) -> str:
        if self.at >= len(self.tokens):
            raise self.error("unexpected end")
        self.at += 1
        return self.tokens[self.at - 1].text

    def expect(self, text: str) -> None:
        if self.peek() != text:
            raise self.error(f"expected {text!r}, found {self.peek()!r}")
        self.take()

    def adjacent(self) -> bool:
        """Whether the next token touches the one just taken (``f(x)``, not ``f (x)``)."""
        return 0 < self.at < len(self.tokens) and self.tokens[self.at].start == self.tokens[self.at - 1].end

    def error(self, message: str) -> ReadError:
        return ReadError(f"{self.language} {self.source!r}: {message} (token {self.at})")

    # grammar -----------------------------------------------------------------------------
    STOPS = {"+", "-", ",", ")", "}", "]", "=", "&", "<=", ">=", "<", ">", "->", "approx", None}

    def read(self) -> sp.Expr:
        expr = self.expression()
        if self.peek() is not None:
            raise self.error(f"unread {self.peek()!r}")
        return expr

    def expression(self) -> sp.Expr:
        terms = []
        sign = 1
        if self.peek() in ("+", "-"):
            sign = -1 if self.take() == "-" else 1
        terms.append(sign * self.term())
        while self.peek() in ("+", "-"):
            sign = -1 if self.take() == "-" else 1
            terms.append(sign * self.term())
        return sp.Add(*terms)

    def term(self) -> sp.Expr:
        factors: list[sp.Expr] = []
        while self.peek() not in self.STOPS and not self.ends_term():
            if self.is_times():
                self.take()
                continue
            if self.is_slash() and factors:  # a written slash divides the factor before it by the next
                self.take()
                factors[-1] = factors[-1] / self.factor()
                continue
            factor = self.factor()
            if callable(factor):  # a sum sign or a derivative: it takes the rest of the product
                factors.append(factor(self.term()))
                break
            factors.append(factor)
        if not factors:
            raise self.error(f"expected a factor, found {self.peek()!r}")
        return sp.Mul(*factors)

    def ends_term(self) -> bool:
        return False

    def is_times(self) -> bool:
        return False

    def is_slash(self) -> bool:
        return False

    def chain(self) -> list[tuple[str, sp.Expr]]:
        """A relation chain or a list (``B = 1, 8, 32``): each part with the separator before it."""
        parts = [("", self.expression())]
        while self.peek() is not None:
            separator = self.take()
            if separator not in SEPARATORS:
                raise self.error(f"unread {separator!r}")
            parts.append((SEPARATORS[separator], self.expression()))
        return parts

    def open_name(self, base: str, sub_key: str, sup_key: str) -> sp.Symbol:
        return sp.Symbol(f"{base}_{{{sub_key}}}^{{{sup_key}}}" if sup_key else f"{base}_{{{sub_key}}}" if sub_key
                         else base)

    def factor(self):
        base = self.atom()
        if callable(base):
            return base
        while self.peek() == "^":
            self.take()
            base = sp.Pow(base, self.script())
        return base

    def script(self) -> sp.Expr:
        """One script: a group, or one atom with its own scripts (right to left)."""
        raise NotImplementedError

    def atom(self):
        raise NotImplementedError

    # names -------------------------------------------------------------------------------
    def name(self, base: str, sub: list[Token] | None, sup: list[Token] | None) -> sp.Expr:
        """A written name resolved against the lexicon (an exponent is split off a superscript
        that no name has)."""
        sub_key = _key(self.text_of(sub)) if sub else ""
        sup_key = _key(self.text_of(sup)) if sup else ""
        if (base, sub_key, sup_key) in self.names.symbols:
            return self.names.symbols[(base, sub_key, sup_key)]
        for label, rank, indexed in self.names.indexed.get((base, sup_key), []):
            indices = self.indices(sub or [], label, rank)
            if indices is not None:
                return indexed[tuple(indices)] if rank > 1 else indexed[indices[0]]
        if sup and not (self.names.open and sup_key.isalpha()):
            power = self.sub_reader(sup).read()
            return sp.Pow(self.name(base, sub, None), power)
        if self.names.open:
            return self.open_name(base, sub_key, sup_key)
        raise self.error(f"no name {base}_{sub_key}^{sup_key} in the expression shown")

    def text_of(self, tokens: list[Token]) -> str:
        return " ".join(t.text for t in tokens)

    def groups(self, tokens: list[Token]) -> list[list[Token]]:
        """A subscript split at its top-level commas."""
        out: list[list[Token]] = [[]]
        depth = 0
        for token in tokens:
            depth += token.text in ("(", "{", "[") or token.text.endswith("(")
            depth -= token.text in (")", "}", "]")
            if token.text == "," and depth == 0:
                out.append([])
            else:
                out[-1].append(token)
        return out

    def indices(self, tokens: list[Token], label: str, rank: int) -> list[sp.Expr] | None:
        """The indices of an indexed name whose label carries the subscript ``label``
        (``W_hz``: ``hz``), or None when the subscript does not have that form."""
        groups = self.groups(tokens)
        taken: list[Token] = []
        while label and groups and _key(self.text_of(taken)) != label:
            taken += groups.pop(0)
        if label and _key(self.text_of(taken)) != label:
            return None
        if len(groups) == 1 and rank > 1 and self.single_letters(groups[0], rank):
            return [self.sub_reader([t]).read() for t in self.split_letters(groups[0])]
        if len(groups) != rank:
            return None
        return [self.sub_reader(g).read() for g in groups]

    def single_letters(self, group: list[Token], rank: int) -> bool:
        return len(self.split_letters(group)) == rank and all(len(t.text) == 1 for t in self.split_letters(group))

    def split_letters(self, group: list[Token]) -> list[Token]:
        return group

    def raw_script(self, mark: str = "^") -> list[Token]:
        """A script's tokens (each language knows its groups)."""
        raise NotImplementedError

    def braced(self) -> list[Token]:
        """A group in braces (LaTeX only)."""
        raise self.error("braces are LaTeX")

    def sub_reader(self, tokens: list[Token]) -> GrammarReader:
        reader = type(self)("", self.names)
        reader.source = self.text_of(tokens)
        reader.tokens = list(tokens)
        return reader

    def group_until(self, close: str, open_: str) -> list[Token]:
        """The tokens up to the ``close`` that matches an ``open_`` already taken."""
        depth, out = 1, list[Token]()
        while True:
            token = self.tokens[self.at] if self.at < len(self.tokens) else None
            if token is None:
                raise self.error(f"unclosed {open_!r}")
            self.at += 1
            if token.text == open_ or (open_ == "(" and token.text.endswith("(") and len(token.text) > 1):
                depth += 1
            elif token.text == close:
                depth -= 1
                if depth == 0:
                    return out
            out.append(token)


FUNCTIONS = {"sigma": sigmoid, "log": sp.log, "ln": sp.log, "exp": sp.exp, "tanh": sp.tanh, "sinh": sp.sinh,
             "cosh": sp.cosh, "sin": sp.sin, "cos": sp.cos, "tan": sp.tan}
GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
         "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega", "Gamma",
         "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega"}


def summation(var: sp.Expr, lower: sp.Expr, upper: sp.Expr):
    return lambda body: sp.Sum(body, (var, lower, upper))


OPERATOR_NAMES = {"norm", "tr"}  # Typst operators read as functions of their own (captions)
SEPARATORS = {"=": "=", "<=": "<=", r"\le": "<=", r"\leq": "<=", ">=": ">=", r"\ge": ">=", r"\geq": ">=",
              "<": "<", ">": ">", "->": "->", r"\to": "->", ",": ",", "approx": "~", r"\approx": "~"}
OPEN = Lexicon({}, {}, open=True)


def _open_sum(key: str):
    """A sum sign written without limits (``sum_i``, ``sum_("wrong" i)``): an operator of its own,
    named by its subscript."""
    return lambda body: sp.Function(f"sum_{key}")(body)


def _order(variable: sp.Expr, count: int) -> tuple[sp.Expr, int]:
    """``partial z^2`` read as the name z with an exponent: the variable z, twice."""
    if isinstance(variable, sp.Pow) and variable.exp.is_Integer and count == 1:
        return variable.base, int(variable.exp)
    return variable, count


def differentiation(variables: list[tuple[sp.Expr, int]]):
    return lambda body: sp.Derivative(body, *variables)


# ---------------------------------------------------------------------------------------------
# Typst


class TypstReader(GrammarReader):
    """The Typst maths the report and the kit's ``.typ`` files show."""

    TOKEN = re.compile(r'"[^"]*"|[A-Za-z]+|\d+(?:\.\d+)?|<=|>=|!=|->|\\/|\\[()]|\.\.\.|\S')
    ALIASES = {"\\(": "(", "\\)": ")"}  # a bracket opened on one line and closed on a later one
    language = "Typst"

    def skipped(self, token: str) -> bool:
        return token in ("quad", "wide")  # spacing

    def is_times(self) -> bool:
        return self.peek() == "dot"

    def is_slash(self) -> bool:
        return self.peek() == "\\/"

    def script(self) -> sp.Expr:
        if self.peek() == "(":
            self.take()
            return self.sub_reader(self.group_until(")", "(")).read()
        value = self.factor()
        if callable(value):
            raise self.error("an operator as a script")
        return value

    def raw_script(self, mark: str = "^") -> list[Token]:
        """A script's tokens: a group without its parentheses, or one token; a superscript
        takes the superscripts attached to it too (Typst reads ``n^b^2`` as n to the b^2)."""
        if self.peek() == "(":
            self.take()
            return self.group_until(")", "(")
        start = self.at
        self.take()
        while mark == "^" and self.peek() == "^" and self.adjacent():
            self.take()
            self.raw_script("^")
        return self.tokens[start:self.at]

    def scripts(self) -> tuple[list[Token] | None, list[Token] | None]:
        sub = sup = None
        while self.peek() in ("_", "^") and self.adjacent():
            mark = self.take()
            if mark == "_" and sub is None:
                sub = self.raw_script("_")
            elif mark == "^" and sup is None:
                sup = self.raw_script("^")
            else:
                self.at -= 1
                break
        return sub, sup

    def split_letters(self, group: list[Token]) -> list[Token]:
        return group

    def arguments(self) -> list[sp.Expr]:
        """``(a, b)`` after a function name, or ``lr((a, b))``."""
        if self.peek() == "lr":
            self.take()
            self.expect("(")
            self.expect("(")
            inner = self.group_until(")", "(")
            self.expect(")")
        else:
            self.expect("(")
            inner = self.group_until(")", "(")
        return [self.sub_reader(g).read() for g in self.groups(inner)]

    def atom(self):
        start = self.at
        token = self.take()
        if token == "(":
            return self.sub_reader(self.group_until(")", "(")).read()
        if re.fullmatch(r"\d+(\.\d+)?", token):
            return sp.Rational(token) if "." not in token else sp.Float(token)
        if token.startswith('"'):
            raise self.error(f"text {token} in maths")
        if token == "lr":
            self.expect("(")
            self.expect("(")
            inner = self.sub_reader(self.group_until(")", "(")).read()
            self.expect(")")
            return inner
        if token in ("frac", "sqrt", "abs") and self.peek() == "(" and self.adjacent():
            return self.call(token)
        if token in OPERATOR_NAMES and self.peek() == "(" and self.adjacent():
            return self.function(sp.Function(token))
        if token == "sum" and self.peek() == "_":
            return self.sum_sign()
        if self.names.open and token in ("partial", "dif", "..."):
            return sp.Symbol({"...": "dots", "dif": "d"}.get(token, token))
        if token == "delta" and self.peek() == "_" and not self.names.symbols.get(("delta", "", "")):
            self.take()
            args = self.raw_script()
            groups = self.groups(args)
            pair = groups if len(groups) == 2 else [[t] for t in args]
            if len(pair) != 2:
                raise self.error("delta needs two indices")
            return sp.KroneckerDelta(*(self.sub_reader(g).read() for g in pair))
        if token == "infinity":
            return sp.oo
        if token == "e" and ("e", "", "") not in self.names.symbols:
            return sp.E
        if token == "pi" and ("pi", "", "") not in self.names.symbols:
            return sp.pi
        if token in FUNCTIONS and (token != "sigma" or self.peek() in ("(", "^")):
            return self.function(FUNCTIONS[token])
        if token == "op" and self.peek() == "(":
            self.take()
            name = self.take().strip('"')
            self.expect(")")
            return self.function(sp.Function(name))
        if token == "italic" and self.peek() == "(":
            self.take()
            name = self.take().strip('"')
            self.expect(")")
            return self.name(name, *self.scripts())
        if re.fullmatch(r"[A-Za-z]", token) or token in GREEK:
            return self.name(token, *self.scripts())
        self.at = start
        raise self.error(f"unknown {token!r}")

    def function(self, head):
        """A function name, then ``(args)``, ``^n lr((args))``, or (log, tanh) one atom."""
        exponent = None
        if self.peek() == "^":
            self.take()
            exponent = self.script()
        if self.peek() == "(" and self.adjacent() or self.peek() == "lr":
            value = head(*self.arguments())
        else:
            argument = self.factor()
            if callable(argument):
                raise self.error("an operator as a function's argument")
            value = head(argument)
        return value if exponent is None else sp.Pow(value, exponent)

    def call(self, name: str):
        self.expect("(")
        inner = self.group_until(")", "(")
        groups = self.groups(inner)
        if name == "frac":
            if len(groups) != 2:
                raise self.error("frac takes two arguments")
            if groups[0] and groups[0][0].text in ("partial", "dif"):
                return self.derivative_operator(groups)
            numer, denom = (self.sub_reader(g).read() for g in groups)
            return numer / denom
        if len(groups) != 1:
            raise self.error(f"{name} takes one argument")
        inner_expr = self.sub_reader(groups[0]).read()
        return sp.sqrt(inner_expr) if name == "sqrt" else sp.Abs(inner_expr)

    def derivative_operator(self, groups: list[list[Token]]):
        mark = groups[0][0].text
        bottom = groups[1]
        variables: list[tuple[sp.Expr, int]] = []
        at = 0
        while at < len(bottom):
            if bottom[at].text != mark:
                raise self.error(f"derivative: expected {mark!r} in the denominator")
            at += 1
            reader = self.sub_reader(bottom[at:])
            variable = reader.atom()
            count = 1
            if reader.peek() == "^":
                reader.take()
                count = int(reader.take())
            variable, count = _order(variable, count)
            variables.append((variable, count))
            at += reader.at
        order = sum(c for _, c in variables)
        top = [t.text for t in groups[0]]
        if top != [mark] and top != [mark, "^", str(order)]:
            raise self.error(f"derivative: numerator {' '.join(top)!r} for order {order}")
        return differentiation(variables)

    def sum_sign(self):
        self.expect("_")
        if self.peek() != "(":
            return _open_sum(_key(self.text_of(self.raw_script("_"))))
        self.take()
        limit = self.group_until(")", "(")
        if len(limit) < 3 or limit[1].text != "=" or self.peek() != "^":
            return _open_sum(_key(self.text_of(limit)))
        var = self.sub_reader(limit[:1]).read()
        lower = self.sub_reader(limit[2:]).read()
        self.expect("^")
        upper = self.script()
        return summation(var, lower, upper)


# ---------------------------------------------------------------------------------------------
# LaTeX


class LatexReader(GrammarReader):
    """The LaTeX (amsmath) of the kit's ``.tex`` files and ``gradproof derive --latex``."""

    # \left| and \right| as one token each, so that nested bars pair as written (|{|x|}|)
    TOKEN = re.compile(r"\\left\||\\right\||\\[A-Za-z]+|\\\\|\\[,;:! %]|\d+(?:\.\d+)?|\S")
    ALIASES = {"\\left|": "\\lvert", "\\right|": "\\rvert"}
    language = "LaTeX"
    SPACES = {r"\,", r"\;", r"\:", r"\!", "\\ ", r"\quad", r"\qquad", r"\left", r"\right", r"\displaystyle"}

    def skipped(self, token: str) -> bool:
        return token in self.SPACES

    def is_times(self) -> bool:
        return self.peek() in (r"\cdot", r"\times")

    def is_slash(self) -> bool:
        return self.peek() == "/"

    def ends_term(self) -> bool:
        return self.peek() in (r"\le", r"\leq", r"\ge", r"\geq", r"\to", r"\approx", "\\\\")

    def braced(self) -> list[Token]:
        self.expect("{")
        return self.group_until("}", "{")

    def script(self) -> sp.Expr:
        if self.peek() == "{":
            return self.sub_reader(self.braced()).read()
        value = self.factor()
        if callable(value):
            raise self.error("an operator as a script")
        return value

    def raw_script(self, mark: str = "^") -> list[Token]:
        if self.peek() == "{":
            return self.braced()
        self.take()
        return [self.tokens[self.at - 1]]

    def scripts(self) -> tuple[list[Token] | None, list[Token] | None]:
        sub = sup = None
        while self.peek() in ("_", "^"):
            mark = self.take()
            if mark == "_" and sub is None:
                sub = self.raw_script()
            elif mark == "^" and sup is None and self.name_superscript():
                sup = self.raw_script()
            else:
                self.at -= 1
                break
        return sub, sup

    def name_superscript(self) -> bool:
        """A superscript is part of a name only when it is a letter (``h^{b}``); else a power."""
        nxt = self.peek()
        if nxt == "{":
            inner = self.tokens[self.at + 1].text if self.at + 1 < len(self.tokens) else ""
            closing = self.tokens[self.at + 2].text if self.at + 2 < len(self.tokens) else ""
            return inner.isalpha() and len(inner) == 1 and closing == "}"
        return bool(nxt and nxt.isalpha() and len(nxt) == 1)

    def split_letters(self, group: list[Token]) -> list[Token]:
        out = []
        for token in group:
            if token.text.isalnum() and not token.text.startswith("\\"):
                out += [Token(ch, token.start + n, token.start + n + 1) for n, ch in enumerate(token.text)]
            else:
                out.append(token)
        return out

    def arguments(self) -> list[sp.Expr]:
        """``(args)`` (``\\left`` dropped) or ``{(args)}`` after a function name."""
        if self.peek() == "{":
            inner = self.braced()
            reader = self.sub_reader(inner)
            reader.expect("(")
            args = reader.group_until(")", "(")
            if reader.peek() is not None:
                raise self.error("text after a function's arguments")
        else:
            self.expect("(")
            args = self.group_until(")", "(")
        return [self.sub_reader(g).read() for g in self.groups(args)]

    def atom(self):
        token = self.take()
        if token == "(":
            return self.sub_reader(self.group_until(")", "(")).read()
        if token == "{":
            return self.sub_reader(self.group_until("}", "{")).read()
        if token == "|":
            return sp.Abs(self.sub_reader(self.group_until("|", "\0")).read())
        if token == r"\lvert":
            return sp.Abs(self.sub_reader(self.group_until(r"\rvert", r"\lvert")).read())
        if token == r"\lVert":
            return sp.Function("norm")(self.sub_reader(self.group_until(r"\rVert", r"\lVert")).read())
        if self.names.open and token in (r"\partial", r"\dots", r"\ldots"):
            return sp.Symbol("partial" if token == r"\partial" else "dots")
        if re.fullmatch(r"\d+(\.\d+)?", token):
            return sp.Rational(token) if "." not in token else sp.Float(token)
        if token in (r"\frac", r"\dfrac", r"\tfrac"):
            return self.fraction()
        if token == r"\sqrt":
            degree = sp.Integer(2)
            if self.peek() == "[":   # \sqrt[n]{x}: the n-th root
                self.take()
                degree = self.sub_reader(self.group_until("]", "[")).read()
            return sp.Pow(self.sub_reader(self.braced()).read(), 1 / degree)
        if token == r"\sum":
            return self.sum_sign()
        if token == r"\infty":
            return sp.oo
        if token == r"\delta" and self.peek() == "_":
            self.take()
            args = self.raw_script()
            groups = self.groups(args)
            pair = groups if len(groups) == 2 else [[t] for t in self.split_letters(args)]
            if len(pair) != 2:
                raise self.error("delta needs two indices")
            return sp.KroneckerDelta(*(self.sub_reader(g).read() for g in pair))
        if token == "e" and ("e", "", "") not in self.names.symbols:
            return sp.E
        if token.startswith("\\") and token[1:] in FUNCTIONS and (token != r"\sigma" or self.peek() in ("(", "{", "^")):
            return self.function(FUNCTIONS[token[1:]])
        if token in (r"\mathit", r"\mathrm", r"\operatorname"):
            name = "".join(t.text for t in self.braced())
            if token == r"\operatorname":
                return self.function(sp.Function(name))
            if token == r"\mathrm" and name == "d" and self.names.open:
                return sp.Symbol("d")
            return self.name(name, *self.scripts())
        if token.startswith("\\") and token[1:] in GREEK:
            return self.name(token[1:], *self.scripts())
        if re.fullmatch(r"[A-Za-z]", token):
            return self.name(token, *self.scripts())
        raise self.error(f"unknown {token!r}")

    def function(self, head):
        exponent = None
        if self.peek() == "^":
            self.take()
            exponent = self.script()
        if self.peek() in ("(", "{"):
            value = head(*self.arguments())
        else:
            argument = self.factor()
            if callable(argument):
                raise self.error("an operator as a function's argument")
            value = head(argument)
        return value if exponent is None else sp.Pow(value, exponent)

    def fraction(self):
        top, bottom = self.braced(), self.braced()
        if top and top[0].text in (r"\partial", "d") and (len(top) == 1 or top[1].text == "^"):
            return self.derivative_operator(top, bottom)
        return self.sub_reader(top).read() / self.sub_reader(bottom).read()

    def derivative_operator(self, top: list[Token], bottom: list[Token]):
        mark = top[0].text
        variables: list[tuple[sp.Expr, int]] = []
        reader = self.sub_reader(bottom)
        while reader.peek() is not None:
            reader.expect(mark)
            variable = reader.atom()
            count = 1
            if reader.peek() == "^":
                reader.take()
                count = int(reader.sub_reader(reader.raw_script()).read())
            variable, count = _order(variable, count)
            variables.append((variable, count))
        order = sum(c for _, c in variables)
        written = reader.sub_reader(top[2:]).read() if len(top) > 1 else 1
        if written != order:
            raise self.error(f"derivative of order {written} over {order} variables")
        return differentiation(variables)

    def sum_sign(self):
        self.expect("_")
        limit = self.braced()
        if limit and limit[0].text == r"\substack":
            reader = self.sub_reader(limit[1:])
            rows = reader.sub_reader(reader.braced())
            limits = []
            while rows.peek() is not None:
                lower = rows.expression()
                rows.expect(r"\leq") if rows.peek() == r"\leq" else rows.expect(r"\le")
                var = rows.factor()
                rows.expect(r"\leq") if rows.peek() == r"\leq" else rows.expect(r"\le")
                upper = rows.expression()
                limits.append((var, lower, upper))
                if rows.peek() == "\\\\":
                    rows.take()
            return lambda body: sp.Sum(body, *limits)
        if len(limit) < 3 or limit[1].text != "=" or self.peek() != "^":
            return _open_sum(_key(self.text_of(limit)))
        var = self.sub_reader(limit[:1]).read()
        lower = self.sub_reader(limit[2:]).read()
        self.expect("^")
        upper = self.script()
        return summation(var, lower, upper)


def read_typst(text: str, names: Lexicon) -> sp.Expr:
    """Typst maths (the body of ``$ ... $``) as a SymPy expression, its names from ``names``."""
    return TypstReader(text, names).read()


def read_latex(text: str, names: Lexicon) -> sp.Expr:
    """LaTeX maths as a SymPy expression, its names from ``names``."""
    return LatexReader(text, names).read()


def read_typst_chain(text: str, names: Lexicon = OPEN) -> list[tuple[str, sp.Expr]]:
    """Typst maths that may be a relation chain or a list, part by part (captions)."""
    return TypstReader(text, names).chain()


def read_latex_chain(text: str, names: Lexicon = OPEN) -> list[tuple[str, sp.Expr]]:
    """LaTeX maths that may be a relation chain or a list, part by part (captions)."""
    return LatexReader(text, names).chain()
