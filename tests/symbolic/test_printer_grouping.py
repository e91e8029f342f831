"""The printer core: one walk (``printing._walk``) with one set of grouping rules
(``printing._grouping``) spelled in Typst, LaTeX and text, and the witness that reads each back.

The class of bug: SymPy's precedence table treats a sum sign and a derivative as atoms, so a
power of a sum, an operator followed by more factors or a negative summand lose their brackets
(the Typst (Σ_k u_k X_ik)² of issue 'Printed means proved'; the same power in the text of
``gradproof derive logreg_hessian_psd`` read Σ_k (X_ik·u_k)², a sum of squares)."""

from __future__ import annotations

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy.printing.precedence import PRECEDENCE, precedence

from gradproof.symbolic import sigmoid
from gradproof.symbolic._catalog._catalog import catalog
from gradproof.symbolic.printing import (
    PrinterError,
    _latex,
    _text,
    _typst,
    _walk,
    text,
    witnessed_latex,
    witnessed_text,
    witnessed_typst,
)
from gradproof.symbolic.printing._read import lexicon, read_latex

z, y, x, v = sp.symbols("z y x v", real=True)
i, k = sp.symbols("i k", integer=True, nonnegative=True)
B, n = sp.symbols("B n", integer=True, positive=True)
X, W = sp.IndexedBase("X"), sp.IndexedBase("w")
SUM = sp.Sum(W[k] * X[i, k], (k, 0, n - 1))

PRINTERS = {"typst": witnessed_typst, "latex": witnessed_latex,
            "text": lambda e: witnessed_text(e), "ascii text": lambda e: witnessed_text(e, ascii=True)}

atoms = st.sampled_from([z, y, x, v, sp.Integer(2), sp.Rational(1, 3), X[i, k], W[k], sp.Integer(-1)])


def _extend(children):
    one = children
    two = st.tuples(children, children)
    return st.one_of(
        two.map(lambda p: p[0] + p[1]), two.map(lambda p: p[0] - p[1]), two.map(lambda p: p[0] * p[1]),
        two.map(lambda p: p[0] / (p[1] + 3)),
        st.tuples(one, st.sampled_from([2, 3, -1, -2, sp.Rational(1, 2), y])).map(lambda p: p[0] ** p[1]),
        one.map(sigmoid), one.map(sp.exp), one.map(lambda a: sp.log(a ** 2 + 1)), one.map(sp.Abs),
        one.map(lambda a: -a), one.map(sp.tanh), one.map(lambda a: sp.KroneckerDelta(i, k) * a),
        one.map(lambda a: sp.Sum(a * X[i, k], (i, 0, B - 1))),
        one.map(lambda a: sp.Sum(a * X[i, k], (i, 0, B - 1), (k, 0, n - 1))),
        one.map(lambda a: sp.Derivative(a * z, z, evaluate=False)),
        one.map(lambda a: sp.Derivative(a * z * x, z, 2, evaluate=False)))


expressions = st.recursive(atoms, _extend, max_leaves=6).filter(
    lambda e: isinstance(e, sp.Expr) and not e.has(sp.I, sp.zoo, sp.nan, sp.re, sp.im))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(expressions)
def test_every_printer_reads_back_as_the_expression_it_printed(expr):
    """Random expressions of the constructs the toolkit prints (sums of one and two limits,
    derivatives of order 1 and 2, powers, quotients, sigma, log, exp, abs, Kronecker deltas):
    all four printings are read back and found equal, or the witness raises."""
    for printer in PRINTERS.values():
        printer(expr)


@pytest.mark.parametrize("expr, shows", [
    (SUM ** 2, ["lr((sum_(k = 0)^(n - 1) w_k X_(i k)))^2", r"\left(\sum_{k=0}^{n - 1} w_{k} X_{ik}\right)^{2}",
                "(Σ_{k=0}^{n − 1} w_k·X_ik)²"]),
    (sp.Derivative(z / 3, z) * SUM, ["lr((frac(dif, dif z) lr((frac(z, 3)))))", r"\left(\frac{d}{d z}",
                                     "(∂/∂z [z/3])·Σ"]),
    (sp.Sum(-X[i, k], (i, 0, B - 1)), ["lr((-X_(i k)))", r"\left(-X_{ik}\right)", "Σ_{i=0}^{B − 1} (−X_ik)"]),
    (sp.Derivative(z ** 2, z) ** 2, ["lr((frac(dif, dif z) lr((z^2))))^2",
                                     r"\left(\frac{d}{d z} \left(z^{2}\right)\right)^{2}", "(∂/∂z [z²])²"]),
    (sp.Sum(X[i, k], (i, 0, B - 1)) / (z + 5), ["frac(1, 5 + z) sum_(i = 0)^(B - 1) X_(i k)",
                                               r"\frac{1}{5 + z} \sum_{i=0}^{B - 1} X_{ik}",
                                               "1/(5 + z)·Σ_{i=0}^{B − 1} X_ik"]),
])
def test_one_walk_brackets_an_operator_where_it_would_reach_too_far_in_every_language(expr, shows):
    """The three printers are one walk (``printing._walk``) in three syntaxes: the same grouping,
    the same order of factors, each read back."""
    for printer, fragment in zip(("typst", "latex", "text"), shows):
        assert fragment in PRINTERS[printer](expr), printer


def test_the_three_printers_are_one_walk():
    assert issubclass(_typst.TypstPrinter, _walk.FormulaWalk)
    assert issubclass(_latex.ToolkitLatexPrinter, _walk.FormulaWalk)
    assert issubclass(_text.TextPrinter, _walk.FormulaWalk)
    for printer in (_typst.TypstPrinter, _latex.ToolkitLatexPrinter, _text.TextPrinter):
        assert "_print_Pow" not in vars(printer) and "_print_Mul" not in vars(printer)  # no walk of their own


def _old_factor_rule(factor, last):
    return precedence(factor) < PRECEDENCE["Mul"]


@pytest.mark.parametrize("printer", list(PRINTERS))
def test_the_witness_catches_a_power_of_a_sum_printed_without_its_brackets(monkeypatch, printer):
    """The bug put back in the core, where every language takes it from: the last step of
    logreg_hessian_psd, (1/B) Σ_i σ(z_i)(1 − σ(z_i)) (Σ_k u_k X_ik)², is refused in each."""
    monkeypatch.setattr(_walk.FormulaWalk, "_power_base", lambda self, base: self._print(base))
    last = catalog()["logreg_hessian_psd"]
    shown = last.shown(last.steps[-1].after)
    with pytest.raises(PrinterError, match="printer fault"):
        PRINTERS[printer](shown)


@pytest.mark.parametrize("printer, expr", [
    ("typst", sp.Derivative(z / 3, z) * sp.Sum(z * X[i, k], (i, 0, B - 1))),
    ("latex", sp.Derivative(z / 3, z) * sp.Sum(z * X[i, k], (i, 0, B - 1))),
    # text writes a derivative's operand in brackets; a sum sign before a factor that uses its index:
    ("text", sp.Sum(X[i, k], (i, 0, B - 1)) * sp.Sum(X[i, k], (k, 0, n - 1)))])
def test_the_witness_catches_an_operator_that_seems_to_act_on_the_factors_after_it(monkeypatch, printer, expr):
    monkeypatch.setattr(_walk, "factor_needs_brackets", _old_factor_rule)
    with pytest.raises(PrinterError, match="printer fault"):
        PRINTERS[printer](expr)
    monkeypatch.undo()
    PRINTERS[printer](expr)  # and the rule as it is prints it right


def test_the_worked_solution_shows_the_square_of_the_sum():
    worked = catalog()["logreg_hessian_psd"].worked()
    assert "(Σ_{k=0}^{n − 1} u_k·X_ik)²" in worked      # as the report's Typst: (sum_k u_k X_ik)^2
    assert "Σ_{k=0}^{n − 1} u_k·X_ik²" not in worked


def test_a_superscripted_name_is_a_name_in_text_not_a_power():
    """The backward direction's n_k (the symbol n^b_k) prints raised, nᵇ_k, and reads back as
    that name; in ASCII it is n^b_k, which the reader takes as the name because the expression
    has one (and as a power where it has none: z^y)."""
    nb = sp.Symbol("n^b_k", real=True)
    assert text(nb * z) in ("nᵇ_k·z", "z·nᵇ_k")
    assert "n^b_k" in witnessed_text(nb * z + 1, ascii=True)
    assert witnessed_text(z ** y, ascii=True) == "z^y"


def test_the_latex_reader_reads_nested_bars_and_roots():
    assert witnessed_latex(sp.Abs(sp.Abs(x) - 1)) == r"\left|{\left|{x}\right| - 1}\right|"
    assert read_latex(r"\sqrt[4]{1 + z}", lexicon(z)) == (z + 1) ** sp.Rational(1, 4)


def test_every_catalog_worked_solution_reads_back_in_unicode_and_ascii():
    for derivation in catalog().values():
        derivation.worked()
        derivation.worked(ascii=True)


def test_the_text_witness_catches_a_dropped_index(monkeypatch):
    """Names are resolved against the expression's lexicon by their parts, not by how the
    printer writes them: an indexed name that keeps only its first index is refused."""
    expr = X[i, k] * sigmoid(z) + W[k]
    witnessed_text(expr)
    real = _text.TextSyntax.name
    monkeypatch.setattr(_text.TextSyntax, "name",
                        lambda self, base, subs, sups, indices: real(self, base, subs, sups, indices[:1]))
    assert "X_i·" in text(expr) or "·X_i" in text(expr)
    with pytest.raises(PrinterError, match="printer fault"):
        witnessed_text(expr)


def test_the_text_witness_catches_a_name_that_lost_its_superscript(monkeypatch):
    backward = sp.IndexedBase("h^b")
    expr = backward[k] * W[k]
    assert "hᵇ_k" in witnessed_text(expr)
    real = _text.TextSyntax.name
    monkeypatch.setattr(_text.TextSyntax, "name",
                        lambda self, base, subs, sups, indices: real(self, base, subs, [], indices))
    with pytest.raises(PrinterError, match="printer fault"):
        witnessed_text(expr)
