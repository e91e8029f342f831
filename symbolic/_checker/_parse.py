"""A whitelist parser for user formulas: no Python is ever evaluated.

The text is parsed by :func:`ast.parse` (which builds a tree and runs nothing)
and the tree is walked by hand: only numbers, the named variables, the
functions sigmoid/exp/log/tanh, ``+ - * / **`` (``^`` is read as a power) and
parentheses are accepted.  ``e`` and ``pi`` are the constants.  Length, nesting
depth, node count, the size of numbers (every constant, typed or computed, within
1e-100 .. 1e100 in numerator and denominator) and of constant exponents are
bounded, so hostile input such as ``10**10**10``, ``((1/10**1000)**100)**100`` or a
100 kB string is refused at once instead of computed.

Numbers are read from their text, exactly: a decimal or exponent literal such as ``0.1``,
``1.00000000000000000001`` or ``1e-400`` is the rational it denotes (never a binary float), so
nothing typed is rounded away.  Literals and computed constants lie within 1e-1000 .. 1e1000.

Definedness is judged on what was typed.  SymPy simplifies while it builds
(``0/B`` becomes 0, ``B/B`` becomes 1, ``log(x) - log(x)`` becomes 0), so the parser
records, before any such folding, every *condition* the typed formula needs to be
a real number, by the one table of real-valued semantics (:mod:`gradproof.symbolic._proof._semantics`):
each divisor is nonzero, each ``log`` argument positive, each base under a positive non-integer
constant power nonnegative (under a negative one positive), each base under a non-constant power
positive or 0 with a nonnegative exponent (0**0 = 1).
It also keeps the formula *as typed*, built without automatic evaluation, for the
checker's certified evaluation.  A condition that fails for a constant (``log(0)``,
``log(-1)``, ``(-1)**(1/2)``, ``(-8)**(1/3)``, ``1/0``) makes the formula bad input.
"""

from __future__ import annotations

import ast
import copy
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import sympy as sp

from .._proof import evaluate, failure, is_identically_zero, judge, power_kind, violated_text
from .._vocabulary import sigmoid
from ._spelling import FormulaError, mistake, normalise

__all__ = ["FormulaError", "Formula", "Condition", "parse", "parse_formula", "conditions_of", "FUNCTIONS"]

MAX_LENGTH = 2000
MAX_DEPTH = 60
MAX_NODES = 400
MAX_DIGITS = 1000
MAX_CONSTANT = sp.Integer(10) ** MAX_DIGITS
MAX_CONSTANT_BITS = 3322  # 2**3322 > 1e1000
MAX_CONSTANT_EXPONENT = 100
MAX_MAGNITUDE_BITS = 2**16  # every constant part lies within 2**(+-65536), about 10**(+-19728)

FUNCTIONS: dict[str, type[sp.Function]] = {
    "sigmoid": sigmoid, "sigma": sigmoid, "exp": sp.exp, "log": sp.log, "tanh": sp.tanh,
}
CONSTANTS: dict[str, sp.Expr] = {"e": sp.E, "pi": sp.pi}
_NOT_REAL = (sp.nan, sp.zoo, sp.oo, sp.I)
_NAME_HINTS = {"s": "; write sigmoid(z) for s = sigma(z)", "p": "; the probability p is sigmoid(z) here",
               "w": "; the logit z stands for w.x + b: write z", "b": "; the logit z stands for w.x + b: write z",
               "X": "; variables are lower case: x", "Y": "; variables are lower case: y",
               "Z": "; variables are lower case: z", "L": "; type only the formula, without 'dL/dw ='",
               "dL": "; type only the formula, without 'dL/dw ='"}


@dataclass(frozen=True)
class Condition:
    """What the typed formula needs at a point to be a real number there.

    ``kind`` names a row of the semantics table (:mod:`gradproof.symbolic._proof._semantics`):
    "nonzero" (a divisor), "positive" (a log argument, or a base under a negative non-integer
    power), "nonnegative" (a base under a positive non-integer constant power) or "power" (a base
    under a non-constant power ``exponent``: positive, or 0 with the exponent >= 0).  ``expr`` is
    the quantity, ``typed`` the same as typed, ``quantity`` its text and ``text`` the part of the
    formula that needs it.
    """

    kind: str
    expr: sp.Expr
    typed: sp.Expr
    quantity: str
    text: str
    exponent: sp.Expr | None = None
    exponent_typed: sp.Expr | None = None
    exponent_text: str = ""

    def violated(self) -> str:
        """The set where the condition fails, in words: "where exp(z) - 1 = 0 (...)"."""
        return f"{violated_text(self.kind, self.quantity, self.exponent_text)} ({self.text} is undefined there)"

    def free_symbols(self) -> set:
        return self.expr.free_symbols | (self.exponent.free_symbols if self.exponent is not None else set())

    def at(self, point: Mapping, seconds: float = 0.2) -> tuple[str, str | None]:
        """(judgement, failure) at an exact point, from certified enclosures: judgement "holds",
        "fails" or "unknown"; failure "strict" (on a neighbourhood), "boundary" (at the point
        only) or None (see :func:`~gradproof.symbolic._proof._semantics.judge`)."""
        found = evaluate(self.typed, point, seconds=seconds)
        if found.kind != "value":  # undefined inside: the inner part's own condition says where
            return "unknown", None
        exponent = None
        if self.kind == "power" and found.low == found.high == 0:
            power = evaluate(self.exponent_typed, point, seconds=seconds)
            exponent = (power.low, power.high) if power.kind == "value" else None
        return (judge(self.kind, found.low, found.high, exponent),
                failure(self.kind, found.low, found.high, exponent))


def _exact_integer(value: sp.Expr) -> sp.Expr:
    """A constant that is exactly an integer, as that Integer (log(4)/log(2) is 2), proved by the
    exact engine; any other constant unchanged.  The semantics table then reads the power by its
    value, as written in the table, not by how the exponent was spelled."""
    if value.is_Rational:
        return value
    found = evaluate(value, {}, seconds=0.2)
    if found.kind != "value":
        return value
    nearest = sp.Integer(int(mpmath.nint((found.low + found.high) / 2)))
    if abs(found.low - nearest) > 1e-6 or abs(found.high - nearest) > 1e-6:
        return value
    return nearest if is_identically_zero(value - nearest, seconds=0.5) is True else value


def _top_level_equals(text: str) -> bool:
    """A single '=' outside every parenthesis: the student typed 'dL/dw = ...'."""
    depth = 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "=" and depth == 0 and text[i - 1:i] not in ("=", "<", ">", "!") and text[i + 1:i + 2] != "=":
            return True
    return False


def _literal(text: str) -> sp.Rational:
    """A decimal or exponent literal as the exact rational its text denotes ("1e-400" is 10**-400)."""
    return sp.Rational(Fraction(text.replace("_", "")))


@dataclass(frozen=True)
class Formula:
    """A parsed formula: ``expr`` (SymPy's evaluated form), ``typed`` (built without
    automatic evaluation), the ``conditions`` under which the typed text is real, ``text``, the
    source as typed, and ``read_as``, how it was read, every operation's grouping explicit
    (``1/1+exp(-z)`` reads as ``1/1 + exp(-z)``; ``exp -z`` as ``exp(-z)``)."""

    expr: sp.Expr
    typed: sp.Expr
    conditions: tuple[Condition, ...]
    text: str
    read_as: str = ""


def _depth(tree: ast.AST) -> int:
    """Nesting depth of the tree, computed without recursion."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _bits(number: sp.Rational) -> int:
    return max(abs(int(number.p)).bit_length(), int(number.q).bit_length())


def _bounded(value: sp.Expr) -> sp.Expr:
    if value.is_Rational and _bits(value) > MAX_CONSTANT_BITS and abs(value) != MAX_CONSTANT:
        raise FormulaError(f"formula: a number in it exceeds 1e{MAX_DIGITS} (or is below 1e-{MAX_DIGITS})")
    return value


def _check_power_size(base: sp.Expr, exponent: sp.Expr) -> None:
    """Refuse a power before SymPy computes it when its value would exceed the bounds."""
    if exponent.is_Number and abs(exponent) > MAX_CONSTANT_EXPONENT:
        raise FormulaError(f"formula: the exponent {exponent} is larger than {MAX_CONSTANT_EXPONENT}")
    if base.is_Rational and exponent.is_Rational and abs(base) not in (0, 1):
        size = max(math.log2(abs(int(base.p))), math.log2(int(base.q)))  # log2 of numerator, denominator
        if size * float(abs(exponent)) > math.log2(10) * MAX_DIGITS + 1e-9:
            raise FormulaError(f"formula: a number in it exceeds 1e{MAX_DIGITS} (or is below 1e-{MAX_DIGITS})")


class _Builder:
    def __init__(self, variables: Mapping[str, sp.Symbol], text: str):
        self.variables, self.text = variables, text
        self.conditions: list[Condition] = []
        self.summing = False

    def build(self, node: ast.AST) -> tuple[sp.Expr, sp.Expr]:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise FormulaError(f"formula: '{type(node).__name__}' is not allowed "
                               "(only numbers, variables, + - * / ** and sigmoid, exp, log, tanh)")
        expr, typed = method(node)
        if any(expr.has(bad) for bad in _NOT_REAL):
            raise FormulaError(f"formula: {self._segment(node)} is not real-valued")
        if not expr.free_symbols and not expr.is_Rational:
            self._check_constant(typed, node)
        return _bounded(expr), typed

    def _check_constant(self, typed: sp.Expr, node: ast.AST) -> None:
        """A constant part must be certainly real and at most 2**MAX_MAGNITUDE_BITS in size."""
        found = evaluate(typed, {}, seconds=0.3, max_prec=1024)
        if found.kind == "undefined":
            raise FormulaError(f"formula: {self._segment(node)} is not real-valued ({found.reason})")
        if found.kind != "value" or max(abs(found.low), abs(found.high)) > mpmath.ldexp(1, MAX_MAGNITUDE_BITS):
            raise FormulaError(f"formula: the constant {self._segment(node)} is too large to evaluate "
                               f"(constants must stay below 2**{MAX_MAGNITUDE_BITS})")

    def _segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or ast.unparse(node)

    def _require(self, kind: str, part: tuple[sp.Expr, sp.Expr], quantity: ast.AST, node: ast.AST,
                 why: str, exponent: tuple[sp.Expr, sp.Expr] | None = None, exponent_node: ast.AST | None = None,
                 ) -> None:
        """Record a condition; refuse the formula at once if a constant certainly fails it."""
        power, power_typed = exponent or (None, None)
        condition = Condition(kind, part[0], part[1], self._segment(quantity), self._segment(node), power, power_typed,
                              self._segment(exponent_node) if exponent_node is not None else "")
        if not condition.free_symbols():
            if _constant_fails(condition):
                raise FormulaError(f"formula: {condition.text} is not real-valued: {why}")
            if _constant_holds(condition):
                return
        self.conditions.append(condition)

    def _Expression(self, node: ast.Expression) -> tuple[sp.Expr, sp.Expr]:
        return self.build(node.body)

    def _Constant(self, node: ast.Constant) -> tuple[sp.Expr, sp.Expr]:
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise FormulaError(f"formula: the constant {node.value!r} is not a number")
        if isinstance(node.value, int) and node.value.bit_length() > MAX_CONSTANT_BITS + 1:
            raise FormulaError(f"formula: a number in it exceeds 1e{MAX_DIGITS}")
        value = _literal(self._segment(node)) if isinstance(node.value, float) else sp.Integer(node.value)
        return _bounded(value), value

    def _sum(self, node: ast.Call) -> tuple[sp.Expr, sp.Expr]:
        """``sum(EXPR, i)``: the sum over the batch, i = 0, ..., B - 1 (batch targets only)."""
        if node.keywords or len(node.args) != 2 or not isinstance(node.args[1], ast.Name) \
                or node.args[1].id != "i":
            raise FormulaError("formula: write a batch sum as sum(EXPR, i): the sum over i = 0, ..., B - 1")
        if self.summing:
            raise FormulaError("formula: a batch sum inside a batch sum is not allowed")
        self.summing = True
        try:
            body = self.build(node.args[0])
        finally:
            self.summing = False
        index, size = self.variables["i"], self.variables["B"]
        limits = (index, 0, size - 1)
        return sp.Sum(body[0], limits), sp.Sum(body[1], limits)

    def _Name(self, node: ast.Name) -> tuple[sp.Expr, sp.Expr]:
        found = self.variables.get(node.id, CONSTANTS.get(node.id))
        if found is not None and "i" in self.variables and not self.summing and (
                node.id == "i" or node.id.endswith("_i")):
            raise FormulaError(f"formula: {node.id} is per sample: use it inside sum(..., i)")
        if found is None:
            hint = _NAME_HINTS.get(node.id, "")
            raise FormulaError(f"formula: unknown name '{node.id}'; allowed variables: "
                               + ", ".join(sorted(self.variables)) + " (constants e, pi)" + hint)
        return found, found

    def _UnaryOp(self, node: ast.UnaryOp) -> tuple[sp.Expr, sp.Expr]:
        expr, typed = self.build(node.operand)
        if isinstance(node.op, ast.USub):
            return -expr, -typed if typed.is_Number else sp.Mul(-1, typed, evaluate=False)
        if isinstance(node.op, ast.UAdd):
            return expr, typed
        raise FormulaError(f"formula: the operator '{type(node.op).__name__}' is not allowed")

    def _BinOp(self, node: ast.BinOp) -> tuple[sp.Expr, sp.Expr]:
        kind = type(node.op)
        if kind not in (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.BitXor):
            raise FormulaError(f"formula: the operator '{kind.__name__}' is not allowed")
        (a, a_typed), (b, b_typed) = self.build(node.left), self.build(node.right)
        if kind is ast.Add:
            return a + b, sp.Add(a_typed, b_typed, evaluate=False)
        if kind is ast.Sub:
            return a - b, sp.Add(a_typed, sp.Mul(-1, b_typed, evaluate=False), evaluate=False)
        if kind is ast.Mult:
            return a * b, sp.Mul(a_typed, b_typed, evaluate=False)
        if kind is ast.Div:
            self._require("nonzero", (b, b_typed), node.right, node, "division by zero")
            return a / b, sp.Mul(a_typed, sp.Pow(b_typed, -1, evaluate=False), evaluate=False)
        return self._power(node, (a, a_typed), (b, b_typed))

    def _power(self, node: ast.BinOp, base: tuple, exponent: tuple) -> tuple[sp.Expr, sp.Expr]:
        if not exponent[0].free_symbols:  # a constant exponent is its value (4/2 is 2, log(4)/log(2) too)
            exponent = (_exact_integer(exponent[0]),) * 2
        _check_power_size(base[0], exponent[0])
        kind = power_kind(exponent[0])
        if kind == "nonzero":
            self._require(kind, base, node.left, node, "division by zero (0 raised to a negative power)")
        elif kind is not None:
            self._require(kind, base, node.left, node, "a negative base under a non-integer power",
                          exponent if kind == "power" else None, node.right)
        power = base[0] ** exponent[0]
        for inner in sp.preorder_traversal(power):
            if isinstance(inner, sp.Pow) and inner.exp.is_Number and abs(inner.exp) > MAX_CONSTANT_EXPONENT:
                raise FormulaError(f"formula: the exponent {inner.exp} is larger than {MAX_CONSTANT_EXPONENT}")
        return power, sp.Pow(base[1], exponent[1], evaluate=False)

    def _Call(self, node: ast.Call) -> tuple[sp.Expr, sp.Expr]:
        if isinstance(node.func, ast.Name) and node.func.id == "sum" and "i" in self.variables:
            return self._sum(node)
        arithmetic = (ast.BinOp, ast.UnaryOp, ast.Constant, ast.Call)
        if not node.keywords and (isinstance(node.func, arithmetic) or (
                isinstance(node.func, ast.Name) and (node.func.id in self.variables or node.func.id in CONSTANTS))):
            raise FormulaError(f"formula: multiplication needs *: write {self._segment(node.func)}*(...)")
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise FormulaError("formula: only sigmoid, exp, log and tanh may be called")
        if node.keywords or len(node.args) != 1:
            raise FormulaError(f"formula: {node.func.id} takes exactly one argument")
        function = FUNCTIONS[node.func.id]
        arg = self.build(node.args[0])
        if function is sp.log:
            self._require("positive", arg, node.args[0], node, "log needs a positive argument")
        return function(arg[0]), function(arg[1], evaluate=False)


def _constant_fails(condition: Condition) -> bool:
    """A constant condition that certainly fails (exactly, or by a certified enclosure)."""
    return condition.at({}, seconds=0.5)[0] == "fails"


def _constant_holds(condition: Condition) -> bool:
    """A constant condition that a certified enclosure proves."""
    return condition.at({}, seconds=0.5)[0] == "holds"


def parse(text: str, variables: Mapping[str, sp.Symbol]) -> Formula:
    """Parse ``text`` into a :class:`Formula` over ``variables``, evaluating no Python.

    Raises
    ------
    FormulaError
        (an InputError) naming what is not allowed, or the constant part that is
        not real-valued.

    Examples
    --------
    >>> import sympy as sp
    >>> z, y = sp.symbols("z y", real=True)
    >>> found = parse("sigmoid(z) - y + 0/(exp(z) - 1)", {"z": z, "y": y})
    >>> found.expr
    -y + sigmoid(z)
    >>> [c.violated() for c in found.conditions]
    ['where exp(z) - 1 = 0 (0/(exp(z) - 1) is undefined there)']
    """
    if not isinstance(text, str):
        raise FormulaError(f"formula: expected a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula: {len(text)} characters, more than the limit of {MAX_LENGTH}")
    if not text.strip():
        raise FormulaError("formula: it is empty")
    if _top_level_equals(text):
        raise FormulaError("formula: type only the right-hand side, the formula itself (no 'dL/dw =' and no '=')")
    source = normalise(text, variables)
    try:
        return _parse_source(source, text, variables)
    except FormulaError as error:
        raise (mistake(text, variables) or error) from None


def _parse_source(source: str, text: str, variables: Mapping[str, sp.Symbol]) -> Formula:
    try:
        with warnings.catch_warnings():  # Python's SyntaxWarnings ("is" with a literal) are not the user's
            warnings.simplefilter("ignore")
            tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        where = f" at position {error.offset} of '{source[:60]}'" if error.offset else ""
        raise FormulaError(f"formula: cannot parse it (SyntaxError){where}: {error.msg}") from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise FormulaError(f"formula: cannot parse it ({type(error).__name__})") from None
    if _depth(tree) > MAX_DEPTH:
        raise FormulaError(f"formula: nested deeper than {MAX_DEPTH} levels")
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise FormulaError(f"formula: more than {MAX_NODES} parts")
    builder = _Builder(variables, source)
    expr, typed = builder.build(tree)
    distinct = {(c.kind, c.expr, c.exponent): c for c in reversed(builder.conditions)}  # the first of equal ones
    read_as = _read_as(tree, source)
    return Formula(expr, typed, tuple(reversed(distinct.values())), text.strip(), read_as)


class _TypedNumbers(ast.NodeTransformer):
    """Every number literal replaced by a name spelling its source text, so that unparsing prints
    the digits as typed (``1e-400``, ``1.00000000000000000001``), never Python's float of them."""

    def __init__(self, source: str) -> None:
        self.source = source

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        text = ast.get_source_segment(self.source, node)
        if text is None or isinstance(node.value, bool) or not isinstance(node.value, int | float):
            return node
        return ast.copy_location(ast.Name(id=text, ctx=ast.Load()), node)


def _read_as(tree: ast.AST, source: str) -> str:
    """Python's own grouping of the text (ast.unparse), never a reprint, with numbers as typed."""
    typed = _TypedNumbers(source).visit(copy.deepcopy(tree))
    return ast.unparse(typed).replace(" ** ", "**")


def parse_formula(text: str, variables: Mapping[str, sp.Symbol]) -> sp.Expr:
    """Parse ``text`` into a SymPy expression over ``variables`` (see :func:`parse`).

    >>> import sympy as sp
    >>> z, y = sp.symbols("z y", real=True)
    >>> parse_formula("sigmoid(z) - y", {"z": z, "y": y})
    -y + sigmoid(z)
    """
    return parse(text, variables).expr


def conditions_of(expr: sp.Expr) -> tuple[Condition, ...]:
    """The conditions, by the same semantics table, under which a SymPy expression built in code
    (not typed) is a real number: one per divisor, log argument and base of a non-integer power.

    >>> import sympy as sp
    >>> z = sp.Symbol("z", real=True)
    >>> [c.violated() for c in conditions_of(sp.log(z**2))]
    ['where z**2 <= 0 (log(z**2) is undefined there)']
    """
    found: dict = {}
    for node in sp.preorder_traversal(expr):
        condition = None
        if isinstance(node, sp.Pow) and (kind := power_kind(node.exp)) is not None:
            exponent = (node.exp, node.exp, sp.sstr(node.exp)) if kind == "power" else (None, None, "")
            condition = Condition(kind, node.base, node.base, sp.sstr(node.base), sp.sstr(node), *exponent)
        elif isinstance(node, sp.log):
            condition = Condition("positive", node.args[0], node.args[0], sp.sstr(node.args[0]), sp.sstr(node))
        if condition is not None and condition.free_symbols():
            found.setdefault((condition.kind, condition.expr, condition.exponent), condition)
    return tuple(found.values())
