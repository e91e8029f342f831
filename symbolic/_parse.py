"""A whitelist parser for user formulas: no Python is ever evaluated.

The text is parsed by :func:`ast.parse` (which builds a tree and runs nothing)
and the tree is walked by hand: only numbers, the named variables, the
functions sigmoid/exp/log/tanh, ``+ - * / **`` (``^`` is read as a power) and
parentheses are accepted.  Length, nesting depth, node count, the size of
numbers and of constant exponents are bounded, so hostile input such as
``10**10**10`` or a 100 kB string is rejected at once instead of computed.  ``e`` and
``pi`` are the constants.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Mapping

import sympy as sp

from ._errors import InputError
from ._sigmoid import sigmoid

__all__ = ["FormulaError", "parse_formula", "FUNCTIONS"]

MAX_LENGTH = 2000
MAX_DEPTH = 60
MAX_NODES = 400
MAX_CONSTANT = sp.Integer(10) ** 100
MAX_CONSTANT_EXPONENT = 100

FUNCTIONS: dict[str, type[sp.Function]] = {
    "sigmoid": sigmoid, "sigma": sigmoid, "exp": sp.exp, "log": sp.log, "tanh": sp.tanh,
}
CONSTANTS: dict[str, sp.Expr] = {"e": sp.E, "pi": sp.pi}
_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.Pow: operator.pow, ast.BitXor: operator.pow,
}


class FormulaError(InputError):
    """The formula text is not an allowed expression; the message says why."""


def _depth(tree: ast.AST) -> int:
    """Nesting depth of the tree, computed without recursion."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _bounded(value: sp.Expr) -> sp.Expr:
    if value.is_Number and abs(value) > MAX_CONSTANT:
        raise FormulaError("formula: a number in it exceeds 1e100")
    return value


def _power(base: sp.Expr, exponent: sp.Expr) -> sp.Expr:
    if exponent.is_Number and abs(exponent) > MAX_CONSTANT_EXPONENT:
        raise FormulaError(f"formula: the exponent {exponent} is larger than {MAX_CONSTANT_EXPONENT}")
    if base.is_zero and exponent.is_Number and exponent.is_negative:
        raise FormulaError("formula: division by zero (0 raised to a negative power)")
    power = sp.Pow(base, exponent)
    for node in sp.preorder_traversal(power):
        if isinstance(node, sp.Pow) and node.exp.is_Number and abs(node.exp) > MAX_CONSTANT_EXPONENT:
            raise FormulaError(f"formula: the exponent {node.exp} is larger than {MAX_CONSTANT_EXPONENT}")
    return power


class _Builder:
    def __init__(self, variables: Mapping[str, sp.Symbol]):
        self.variables = variables

    def build(self, node: ast.AST) -> sp.Expr:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise FormulaError(f"formula: '{type(node).__name__}' is not allowed "
                               "(only numbers, variables, + - * / ** and sigmoid, exp, log, tanh)")
        return _bounded(method(node))

    def _Expression(self, node: ast.Expression) -> sp.Expr:
        return self.build(node.body)

    def _Constant(self, node: ast.Constant) -> sp.Expr:
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise FormulaError(f"formula: the constant {node.value!r} is not a number")
        if isinstance(node.value, int) and node.value.bit_length() > 400:
            raise FormulaError("formula: a number in it exceeds 1e100")
        return sp.Rational(repr(node.value)) if isinstance(node.value, float) else sp.Integer(node.value)

    def _Name(self, node: ast.Name) -> sp.Expr:
        if node.id in self.variables:
            return self.variables[node.id]
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        raise FormulaError(f"formula: unknown name '{node.id}'; allowed variables: "
                           + ", ".join(sorted(self.variables)) + " (constants e, pi)")

    def _UnaryOp(self, node: ast.UnaryOp) -> sp.Expr:
        if isinstance(node.op, ast.USub):
            return -self.build(node.operand)
        if isinstance(node.op, ast.UAdd):
            return self.build(node.operand)
        raise FormulaError(f"formula: the operator '{type(node.op).__name__}' is not allowed")

    def _BinOp(self, node: ast.BinOp) -> sp.Expr:
        op = _BINARY.get(type(node.op))
        if op is None:
            raise FormulaError(f"formula: the operator '{type(node.op).__name__}' is not allowed")
        left, right = self.build(node.left), self.build(node.right)
        if op is operator.pow:
            return _power(left, right)
        if op is operator.truediv and right.is_zero:
            raise FormulaError("formula: division by zero")
        return op(left, right)

    def _Call(self, node: ast.Call) -> sp.Expr:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise FormulaError("formula: only sigmoid, exp, log and tanh may be called")
        if node.keywords or len(node.args) != 1:
            raise FormulaError(f"formula: {node.func.id} takes exactly one argument")
        return FUNCTIONS[node.func.id](self.build(node.args[0]))


def parse_formula(text: str, variables: Mapping[str, sp.Symbol]) -> sp.Expr:
    """Parse ``text`` into a SymPy expression over ``variables``, evaluating no Python.

    Raises
    ------
    FormulaError
        (a ValueError) naming what is not allowed.

    Examples
    --------
    >>> import sympy as sp
    >>> z, y = sp.symbols("z y", real=True)
    >>> parse_formula("sigmoid(z) - y", {"z": z, "y": y})
    -y + sigmoid(z)
    """
    if not isinstance(text, str):
        raise FormulaError(f"formula: expected a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula: {len(text)} characters, more than the limit of {MAX_LENGTH}")
    if not text.strip():
        raise FormulaError("formula: it is empty")
    try:
        tree = ast.parse(text.strip().replace("^", "**"), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise FormulaError(f"formula: cannot parse it ({type(error).__name__})") from None
    if _depth(tree) > MAX_DEPTH:
        raise FormulaError(f"formula: nested deeper than {MAX_DEPTH} levels")
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise FormulaError(f"formula: more than {MAX_NODES} parts")
    return _Builder(variables).build(tree)

