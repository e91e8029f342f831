"""The pieces a formula is spelled with, one :class:`Syntax` per language (Typst, LaTeX, text):
the printer core (:mod:`._walk`) decides the structure and calls these to write it."""

from __future__ import annotations

import sympy as sp

__all__ = ["Syntax", "GREEK", "OPERATORS"]

GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
         "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi",
         "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma",
         "Upsilon", "Phi", "Psi", "Omega"}
OPERATORS = {"exp", "log", "tanh", "sinh", "cosh", "sin", "cos", "tan", "ln", "max", "min"}


class Syntax:
    """How one language spells the pieces the walk decides on (every method returns text)."""

    minus = "-"  # the sign of a negative term or of a subtracted one

    def name(self, base: str, subs: list[str], sups: list[str], indices: tuple[str, ...]) -> str:
        raise NotImplementedError

    def group(self, text: str) -> str:
        raise NotImplementedError

    def integer(self, value: int) -> str:
        return self.minus + str(-value) if value < 0 else str(value)

    def rational(self, numerator: int, denominator: int) -> str:
        raise NotImplementedError

    def constant(self, name: str) -> str:
        raise NotImplementedError

    def add(self, parts: list[tuple[str, str]]) -> str:
        """Terms with the sign before each ('' or '-' for the first, '+' or '-' after)."""
        out = ""
        for position, (sign, text) in enumerate(parts):
            if position == 0:
                out = (self.minus if sign == "-" else "") + text
            else:
                out += f" {self.minus if sign == '-' else '+'} {text}"
        return out

    def negate(self, text: str) -> str:
        return self.minus + text

    def product(self, texts: list[str]) -> str:
        raise NotImplementedError

    def fraction(self, numerator: str, denominator: str, numer: sp.Expr, denom: sp.Expr) -> str:
        raise NotImplementedError

    def sqrt(self, text: str) -> str:
        raise NotImplementedError

    def power(self, base: str, exponent: str, exp: sp.Expr) -> str:
        raise NotImplementedError

    def exp(self, argument: str, exponent: str | None) -> str:
        raise NotImplementedError

    def function(self, name: str, arguments: list[str], exponent: str | None, bare: bool) -> str:
        raise NotImplementedError

    def abs(self, text: str) -> str:
        raise NotImplementedError

    def delta(self, first: str, second: str) -> str:
        raise NotImplementedError

    def sum_sign(self, variable: str, lower: str, upper: str) -> str:
        raise NotImplementedError

    def operator(self, heads: list[str], body: str) -> str:
        return " ".join(heads) + " " + body

    def derivative(self, ordinary: bool, variables: list[tuple[str, int]], inner: str, bracketed: bool) -> str:
        raise NotImplementedError

    def cases(self, rows: list[tuple[str, str | None]]) -> str:
        raise NotImplementedError

    def relation(self, lhs: str, operator: str, rhs: str) -> str:
        raise NotImplementedError

    def junction(self, word: str, items: list[str]) -> str:
        raise NotImplementedError

    def word(self, text: str) -> str:
        raise NotImplementedError

    def unknown(self, expr) -> str:
        return self.word(str(expr))
