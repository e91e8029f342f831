"""A formula read aloud: the words keep every symbol and the grouping of the formula."""

import re

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from gradproof.symbolic.printing import spoken, typst


@pytest.mark.parametrize("formula, words", [
    ("sigma(z) - y", "sigma of z minus y"),
    ("abs(r) = sigma(-m)", "the absolute value of r equals sigma of minus m"),
    ("x_i", "x sub i"),
    ("W_(h n, p q)", "W sub h n, p q end sub"),
    ("norm(g_i)^2", "the norm of g sub i end norm squared"),
    ("frac(a, b)", "a over b"),
    ("frac(partial L, partial w)", "the fraction partial L, over partial w, end fraction"),
    ("n_k (1 - u_k)", "n sub k open paren 1 minus u sub k close paren"),
    ("sum_(k = 0)^(H - 1) g_k", "the sum from k equals 0 to H minus 1 of g sub k"),
    ("h_k^b", "h sub k superscript b"),
    ("e^(-z)", "e to the power minus z end power"),
    ('B_"simple" = tr(Sigma) \\/ norm(G)^2',
     "B sub simple equals the trace of capital sigma over the norm of G squared"),
    ("0 <= k <= H - 1", "0 is at most k is at most H minus 1"),
    ("a \\ & = b", "a; next line: equals b"),
])
def test_readings(formula, words):
    assert spoken(formula) == words


def test_an_unknown_construct_is_spoken_as_itself_never_dropped():
    assert spoken("x ~ y )") == "x ~ y )"


NAMES = st.sampled_from(["x", "y", "z", "w", "b"])
EXPRESSIONS = st.recursive(
    NAMES.map(sympy.Symbol) | st.integers(1, 9).map(sympy.Integer),
    lambda inner: st.tuples(inner, inner).map(lambda p: p[0] + p[1])
    | st.tuples(inner, inner).map(lambda p: p[0] * p[1])
    | st.tuples(inner, inner).map(lambda p: p[0] / p[1])
    | inner.map(lambda e: e ** 2) | inner.map(sympy.exp) | inner.map(sympy.log),
    max_leaves=8)


@settings(max_examples=60, deadline=None)
@given(EXPRESSIONS)
def test_every_symbol_of_a_printed_formula_is_spoken(expr):
    words = re.findall(r"[A-Za-z0-9]+", spoken(typst(expr)))
    for symbol in expr.free_symbols:
        assert str(symbol) in words
    assert "$" not in " ".join(words)


def test_a_bracket_that_spans_lines_is_spoken_as_a_bracket():
    assert spoken("x \\( a + b \\ & quad + c \\) y") == "x open paren a plus b; next line: plus c close paren y"
