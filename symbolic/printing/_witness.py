"""The printer witness: what a reader sees is what was verified.

:func:`witnessed` reads a printed formula back (:mod:`._read`, a parser of the language as a
person reads it, independent of the printers) and compares it with the SymPy expression it
was printed from, numerically: every size (``n``, ``B``, ``H``, ...: the positive integer
symbols) set to a concrete value, every free index to one below it, the sums and derivatives
carried out, then every remaining symbol and indexed entry set to a seeded rational, both
sides evaluated to 30 digits at ``POINTS`` such points.  Values may be complex (a log of a
negative number): the two sides are the same analytic expression or they are not, whatever
the domain.  A formula that cannot be read, or whose value differs, raises
:class:`PrinterError`, as a soundness fault stops ``Derivation.verify()``.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from fractions import Fraction

import sympy as sp
from sympy.core.function import AppliedUndef

from ._read import ReadError, lexicon, read_latex, read_latex_chain, read_typst, read_typst_chain
from ._read_text import read_text
from ._text import text

__all__ = ["PrinterError", "witnessed", "witnessed_text", "agree", "READERS", "same_reading"]

POINTS = 2
DIGITS = 30
TOLERANCE = sp.Rational(1, 10**20)
READERS: dict[str, Callable] = {"typst": read_typst, "latex": read_latex, "text": read_text}


class PrinterError(AssertionError):
    """A printed formula that does not read back as the expression it was printed from."""

    def __init__(self, language: str, text: str, expr: sp.Basic, reason: str):
        self.language, self.text, self.expr, self.reason = language, text, expr, reason
        super().__init__(f"printer fault ({language}): {text!r} does not show {sp.sstr(expr)}: {reason}")


def _value(name: str, point: int) -> sp.Rational:
    """A seeded rational in (-2, 2) \\ {0} for the atom named ``name`` at sample ``point``."""
    digest = int.from_bytes(hashlib.sha256(f"{point}:{name}".encode()).digest()[:8], "big")
    fraction = Fraction(digest % 3001 - 1500, 777) or Fraction(3, 7)
    return sp.Rational(fraction.numerator, fraction.denominator)


def _sizes_and_indices(expr: sp.Basic, point: int) -> dict:
    """Sizes (positive integer symbols) 2 or 3; free nonnegative integer symbols 0 or 1."""
    values = {}
    for symbol in sorted(expr.free_symbols, key=sp.default_sort_key):
        if not isinstance(symbol, sp.Symbol) or not symbol.is_integer:
            continue
        values[symbol] = (2 + (point + len(symbol.name)) % 2) if symbol.is_positive else (point + len(symbol.name)) % 2
    return values


def _interpreted(expr: sp.Basic) -> sp.Basic:
    """Operators that have no value of their own (a caption's norm, tr, a sum without limits)
    replaced by a seeded function of their arguments, the same on both sides."""
    return expr.replace(lambda e: isinstance(e, AppliedUndef),
                        lambda e: sp.exp(sp.Add(*e.args) / 7) * _value(type(e).__name__, 0))


@functools.lru_cache(maxsize=4096)
def _evaluate(expr: sp.Basic, point: int) -> sp.Expr:
    """``expr`` at sample ``point``: sizes and free indices concrete, sums and derivatives done,
    every other atom a seeded rational, evaluated to DIGITS digits (cached: the expression shown
    is evaluated once for both languages)."""
    concrete = _interpreted(expr.subs(_sizes_and_indices(expr, point))).doit()
    entries = sorted(concrete.atoms(sp.Indexed), key=sp.default_sort_key)
    concrete = concrete.xreplace({a: _value(sp.srepr(a), point) for a in entries})
    symbols = sorted(concrete.free_symbols, key=sp.default_sort_key)
    return sp.N(concrete.xreplace({s: _value(sp.srepr(s), point) for s in symbols}), DIGITS)


def _rebuilt(expr: sp.Basic) -> sp.Basic:
    """``expr`` rebuilt node by node with SymPy's automatic evaluation (a derivation's steps are
    kept unevaluated, ``Mul(Mul(a, b), c)``; what a reader builds is evaluated, ``Mul(a, b, c)``):
    nested sums as one sum of several limits (the same sum: SymPy's limits run innermost first),
    independent limits in one order.
    The same value, so an equal rebuild spares the evaluation at the sample points."""
    if not expr.args or isinstance(expr, (sp.Indexed, sp.IndexedBase, sp.Tuple)):
        return expr
    try:
        rebuilt = expr.func(*(_rebuilt(a) for a in expr.args))
    except (TypeError, ValueError):
        return expr
    if isinstance(rebuilt, sp.Sum) and isinstance(rebuilt.function, sp.Sum):  # sum_k sum_l f: one Sum
        inner = rebuilt.function
        rebuilt = sp.Sum(inner.function, *inner.limits, *rebuilt.limits)
    if isinstance(rebuilt, sp.Sum) and len(rebuilt.limits) > 1:
        variables = {limit[0] for limit in rebuilt.limits}
        if not any(bound.free_symbols & variables for limit in rebuilt.limits for bound in limit[1:]):
            # independent ranges: the order of summation does not change the value
            rebuilt = sp.Sum(rebuilt.function, *sorted(rebuilt.limits, key=sp.default_sort_key))
    return rebuilt


def agree(shown: sp.Basic, read: sp.Basic) -> str | None:
    """None when ``read`` equals ``shown`` at every sample point, else what differs."""
    if shown == read or _rebuilt(shown) == _rebuilt(read):
        return None
    names = set(map(str, shown.free_symbols)) ^ set(map(str, read.free_symbols))
    for point in range(POINTS):
        a, b = _evaluate(shown, point), _evaluate(read, point)
        if not (a.is_number and b.is_number):
            return f"not a number at sample {point}: {a} and {b} (names only on one side: {sorted(names)})"
        if a.has(sp.nan, sp.zoo) or b.has(sp.nan, sp.zoo):
            continue
        if abs(a - b) > TOLERANCE * max(1, abs(a)):
            return f"at sample {point} the verified expression is {sp.N(a, 12)}, the printed one reads {sp.N(b, 12)}"
    return None


def witnessed(expr, text: str, language: str) -> str:
    """``text`` (``expr`` printed in ``language``, 'typst' or 'latex'), once read back and found equal."""
    expr = sp.sympify(expr)
    try:
        read = READERS[language](text, lexicon(expr))
    except ReadError as error:
        raise PrinterError(language, text, expr, f"unreadable: {error}") from None
    except (TypeError, ValueError, IndexError) as error:
        raise PrinterError(language, text, expr, f"unreadable: {type(error).__name__}: {error}") from None
    differs = agree(expr, read)
    if differs:
        raise PrinterError(language, text, expr, differs)
    return text


def witnessed_text(expr, ascii: bool = False) -> str:
    """``expr`` as plain text (:func:`._text.text`), once read back by the text reader
    (:mod:`._read_text`) and found equal; else :class:`PrinterError`."""
    return witnessed(expr, text(sp.sympify(expr), ascii), "text")


def same_reading(typst_text: str, latex_text: str) -> None:
    """Raise :class:`PrinterError` unless the Typst maths and its LaTeX translation (a caption's
    maths, where no verified expression stands behind the text) read as the same chain of
    relations, part by part, every name read as itself."""
    try:
        typst_parts, latex_parts = read_typst_chain(typst_text), read_latex_chain(latex_text)
    except (ReadError, TypeError, ValueError, IndexError) as error:
        raise PrinterError("caption", f"{typst_text} | {latex_text}", sp.S.Zero, f"unreadable: {error}") from None
    if [sep for sep, _ in typst_parts] != [sep for sep, _ in latex_parts]:
        raise PrinterError("caption", latex_text, sp.S.Zero, f"relations differ from the Typst {typst_text!r}")
    for (_, shown), (_, read) in zip(typst_parts, latex_parts):
        differs = agree(shown, read)
        if differs:
            raise PrinterError("caption", latex_text, shown, f"{differs} (Typst {typst_text!r})")
