"""A long formula broken into lines at its operators, never shrunk.

A formula wider than the column is cut at the outermost operator that makes it fit: first
between the terms of a sum (the next line starts with its ``+`` or ``-``), then, inside a term
that is still too wide, between the factors of its product (the next line starts with a
multiplication dot), and inside a factor that is itself too wide, between the terms of its
bracketed sum, the bracket opened on one line and closed on a later one.  A sum sign, a
derivative operator and a fraction's ``1/B`` stay on the line of what they act on.

The pieces are printed by the same printer as the whole formula (Typst or LaTeX); the break
points are chosen on the Typst text's width.  Brackets that span lines are written unpaired
(``\\(`` and ``\\)`` in Typst, bare ``(`` and ``)`` in LaTeX), since a paired bracket cannot hold
a line break.  What the lines say together is read back by the printer witness
(:func:`._render.shown_lines`), so a break that changed the formula stops the report.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from ._grouping import factor_needs_brackets, summand_needs_brackets
from ._latex import latex
from ._typst import typst
from ._walk import factor_rank, ordered_terms

__all__ = ["break_lines", "visible_width", "LINE_BUDGET"]

LINE_BUDGET = 64  # characters of visible maths on one line of the report's column at 10.5 pt
_ZERO_WIDTH = {"lr", "frac", "italic", "abs", "sqrt", "cases", "op"}
_ONE_WIDTH = {"sigma", "delta", "omega", "partial", "dif", "dot", "pi", "infinity", "sum"}


def visible_width(text: str) -> float:
    """A rough width of Typst maths in characters (fractions count both parts: an overestimate)."""
    width = 0.0
    for token in re.findall(r"[A-Za-z]+|\d|[^\sA-Za-z\d]", text):
        if token in _ZERO_WIDTH or token in '_^,"\\':
            continue
        if token in _ONE_WIDTH:
            width += 1.2
        elif token in "+-=<>":
            width += 2.2
        elif token in "()":
            width += 0.4
        else:
            width += len(token) * 0.9
    return width


_OPEN, _CLOSE = "\x01", "\x02"  # a bracket of the layout, written paired or unpaired once the lines are known
_INDENT = 2.0  # the width a continued line is indented by (quad)


@dataclass(frozen=True)
class _Language:
    printer: Callable[[sp.Basic], str]
    times: str  # the multiplication sign that starts a continued product's line
    paired: tuple[str, str]  # brackets that grow with their content (open and close on one line)
    unpaired: tuple[str, str]  # brackets that may be opened on one line and closed on another
    power: Callable[[str], str]  # an exponent after a closing bracket
    indent: str  # the space a line inside a bracket is indented by


_TYPST = _Language(typst, "dot", ("lr((", "))"), ("\\(", "\\)"),
                   lambda e: "^" + (e if e.isalnum() and len(e) == 1 else f"({e})"), "quad")
_LATEX = _Language(latex, "\\cdot", ("\\left(", "\\right)"), ("(", ")"), lambda e: "^{%s}" % e, "\\quad")
LANGUAGES = {"typst": _TYPST, "latex": _LATEX}


@dataclass(frozen=True)
class _Leaf:
    """Printed text that is never cut, with the width of its Typst form."""

    text: str
    width: float


@dataclass(frozen=True)
class _Glued:
    """Parts set one after another without a break between them (an operator and its body,
    a bracket and its content); a part may itself break."""

    parts: tuple[_Node, ...]
    indent: bool = False  # a bracket's content: its continued lines are indented one step more


@dataclass(frozen=True)
class _Chain:
    """Terms or factors: the first, then each with the sign a continued line starts with
    ('+', '-' or '*')."""

    first: _Node
    rest: tuple[tuple[str, _Node], ...]


_Node = _Leaf | _Glued | _Chain


def _leaf(expr: sp.Basic, language: _Language) -> _Leaf:
    return _Leaf(language.printer(expr), visible_width(typst(expr)))


def _bracketed(inner: _Node, language: _Language, exponent: sp.Expr | None = None) -> _Glued:
    power = "" if exponent is None else language.power(language.printer(exponent))
    width = 0.4 + (0.0 if exponent is None else visible_width(typst(exponent)))
    return _Glued((_Leaf(_OPEN, 0.4), inner, _Leaf(_CLOSE + power, width)), indent=True)


def _head(expr: sp.Basic, body: sp.Basic, language: _Language) -> str | None:
    """What ``expr`` (a sum or a derivative of ``body``) prints before its body, or None."""
    full, inner = language.printer(expr), language.printer(body)
    at = full.rfind(inner)
    tail = full[at + len(inner):] if at > 0 else None
    if tail not in ("", language.paired[1], ")"):
        return None
    head = full[:at]
    for opener in (language.paired[0], "("):
        if tail and head.endswith(opener):
            return head[: -len(opener)].rstrip()
    return head.rstrip()


def _operator(expr: sp.Basic, body: sp.Expr, language: _Language, budget: float) -> _Node:
    """A sum sign or a derivative operator, then its body (bracketed unless it is one name)."""
    head, typst_head = _head(expr, body, language), _head(expr, body, _TYPST)
    if head is None or typst_head is None:
        return _leaf(expr, language)
    head_width = visible_width(typst_head)
    inner = _tree(body, language, budget - head_width - 0.8)  # the body shares its first line with the head
    if summand_needs_brackets(body) or isinstance(expr, sp.Derivative) and not (
            body.is_Symbol or body.is_Indexed or body.is_Function):
        inner = _bracketed(inner, language)
    return _Glued((_Leaf(head, head_width), inner))


def _factor(factor: sp.Expr, language: _Language, budget: float, last: bool = True) -> _Node:
    """One factor of a product, bracketed where the shared rules say (``_grouping``)."""
    if factor.is_Add:
        return _bracketed(_tree(factor, language, budget), language)
    if factor_needs_brackets(factor, last):
        return _Leaf(language.paired[0] + language.printer(factor) + language.paired[1],
                     visible_width(typst(factor)) + 0.8)
    return _tree(factor, language, budget)


def _product(expr: sp.Mul, language: _Language, budget: float) -> _Node:
    if expr.could_extract_minus_sign():
        return _Glued((_Leaf("-", 2.2), _factor(-expr, language, budget)))
    numer, denom = sp.fraction(expr, exact=True)
    nodes: list[_Node] = []
    if denom is not sp.S.One:  # a/B as 1/B (or c/B) before the factors of a
        coeff, numer = numer.as_coeff_Mul() if numer.is_Mul else (sp.S.One, numer)
        nodes.append(_leaf(coeff / denom, language))
    factors = [f for f in sorted(sp.Mul.make_args(numer), key=factor_rank) if f is not sp.S.One]
    nodes += [_factor(f, language, budget, last=at == len(factors) - 1) for at, f in enumerate(factors)]
    return _Chain(nodes[0], tuple(("*", n) for n in nodes[1:]))


def _tree(expr: sp.Expr, language: _Language, budget: float) -> _Node:
    """``expr`` as a layout tree, taken apart only where it is wider than ``budget``."""
    if visible_width(typst(expr)) <= budget:
        return _leaf(expr, language)
    if expr.is_Add:
        terms = []
        for term in ordered_terms(expr):
            negative = term.could_extract_minus_sign()
            terms.append(("-" if negative else "+", _tree(-term if negative else term, language, budget)))
        first = terms[0][1] if terms[0][0] == "+" else _Glued((_Leaf("-", 2.2), terms[0][1]))
        return _Chain(first, tuple(terms[1:]))
    if expr.is_Mul:
        return _product(expr, language, budget)
    if isinstance(expr, sp.Sum):
        return _operator(expr, expr.function, language, budget)
    if isinstance(expr, sp.Derivative):
        return _operator(expr, expr.expr, language, budget)
    if expr.is_Pow and expr.base.is_Add and expr.exp.is_Integer and expr.exp > 1:
        return _bracketed(_tree(expr.base, language, budget), language, expr.exp)
    return _leaf(expr, language)


def _width(node: _Node) -> float:
    if isinstance(node, _Leaf):
        return node.width
    if isinstance(node, _Glued):
        return sum(_width(p) for p in node.parts)
    return _width(node.first) + sum(2.2 + _width(n) for _, n in node.rest)


def _then(left: str, right: str, sign: str, language: _Language) -> str:
    """``right`` after ``left`` on one line: a sign between terms; side by side for factors,
    with a dot where digits would run together (2 dot 3)."""
    if not left:
        return right
    if sign in "+-":
        return f"{left} {sign} {right}"
    if right[:1].isdigit() or (left[-1:].isdigit() and right.startswith("(")):  # as the printer does
        return f"{left} {language.times} {right}"
    return f"{left} {right}"


def _layout(node: _Node, used: float, budget: float, language: _Language) -> tuple[list[str], float]:
    """The lines of ``node`` set from width ``used`` on: the first continues the current line,
    each other one is a new line.  Returns them and the width used on the last.  A chain puts
    a part that does not fit on a new line, and breaks inside a part only when the part does
    not fit on a line of its own."""
    if isinstance(node, _Leaf):
        return [node.text], used + node.width
    lines = [""]
    if isinstance(node, _Glued):
        for part in node.parts:
            sub, used = _layout(part, used, budget, language)
            lines[-1] = f"{lines[-1]} {sub[0]}".strip()
            lines += sub[1:]
        return (lines[:1] + [f"{language.indent} {line}" for line in lines[1:]] if node.indent else lines), used
    sub, used = _layout(node.first, used, budget, language)
    lines = list(sub)
    for sign, part in node.rest:
        width = _width(part)
        if used + 2.2 + width <= budget:
            sub, used = _layout(part, used + 2.2, budget, language)
            lines[-1] = _then(lines[-1], sub[0], sign, language)
            lines += sub[1:]
            continue
        if sign == "*" and width > budget - _INDENT - 2.2 and used < budget / 2:
            # a factor too wide for any line starts where it stands and breaks inside
            sub, used = _layout(part, used + 2.2, budget, language)
            lines[-1] = _then(lines[-1], sub[0], sign, language)
            lines += sub[1:]
            continue
        lead = language.times if sign == "*" else sign
        sub, used = _layout(part, _INDENT + 2.2, budget, language)
        lines.append(f"{lead} {sub[0]}")
        lines += sub[1:]
    return lines, used


def _brackets(lines: list[str], language: _Language) -> list[str]:
    """The layout's brackets written out: paired where a bracket opens and closes on one
    line (it grows with its content), unpaired where it spans lines."""
    out = []
    for line in lines:
        chars, opened = list(line), []
        for at, char in enumerate(chars):
            if char == _OPEN:
                opened.append(at)
            elif char == _CLOSE:
                if opened:
                    chars[opened.pop()], chars[at] = language.paired
                else:
                    chars[at] = language.unpaired[1]
        for at in opened:
            chars[at] = language.unpaired[0]
        out.append("".join(chars).replace(language.paired[0] + " ", language.paired[0])
                   .replace(" " + language.paired[1], language.paired[1]))
    return out


def break_lines(expr: sp.Expr, language: str, budget: float = LINE_BUDGET) -> list[str]:
    """``expr`` printed in ``language`` ('typst' or 'latex') as lines no wider than ``budget``
    where a cut at an operator allows it; each continued line starts with its operator."""
    spec = LANGUAGES[language]
    lines, _ = _layout(_tree(expr, spec, budget), 0.0, budget, spec)
    return _brackets(lines, spec)
