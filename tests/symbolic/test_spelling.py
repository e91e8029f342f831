"""Issue 22: the parser meets beginners halfway.  Every accepted spelling is read as documented, and
every known mistake is refused with its position and what to write instead."""

from __future__ import annotations

import re

import pytest

from gradproof.symbolic import FormulaError, check
from gradproof.symbolic._checker._parse import parse
from gradproof.symbolic._vocabulary._symbols import pw, y, z

VARIABLES = {"z": z, "y": y}


@pytest.mark.parametrize("typed, canonical", [
    ("σ(z) - y", "sigmoid(z) - y"),
    ("sigmoid(z) − y", "sigmoid(z) - y"),              # Unicode minus
    ("sigmoid(z) – y", "sigmoid(z) - y"),              # en dash
    ("2×sigmoid(z) - 2·y", "2*sigmoid(z) - 2*y"),
    ("1/(1 + e^-z) - y", "1/(1 + exp(-z)) - y"),
    ("1/(1 + exp -z) - y", "1/(1 + exp(-z)) - y"),
    ("1/(1 + exp(-z)) - y", "1/(1 + e**(-z)) - y"),
    ("exp z + 1 - y", "exp(z) + 1 - y"),              # a function without parentheses takes one factor
    ("exp -z^2", "exp(-z**2)"),
    ("ln(1 + exp z) - y*z", "log(1 + exp(z)) - y*z"),
    ("ln sigmoid(z)", "log(sigmoid(z))"),
])
def test_each_accepted_spelling_reads_as_documented(typed, canonical):
    assert parse(typed, VARIABLES).expr == parse(canonical, VARIABLES).expr


def test_p_w_is_read_where_the_target_has_pos_weight():
    found = parse("p_w*y*(sigmoid(z) - 1) + (1 - y)*sigmoid(z)", {"z": z, "y": y, "pw": pw})
    assert pw in found.expr.free_symbols
    assert check("pos_weight.dL_dz", "p_w*y*(sigmoid(z) - 1) + (1 - y)*sigmoid(z)").status == "proved"


@pytest.mark.parametrize("typed, position, advice", [
    ("2x*(sigmoid(z) - y)", 1, "write 2*x"),
    ("x(sigmoid(z) - y)", 1, "multiplication needs *: write x*(...)"),
    ("x*(sigmoid(z) - y)(1 - y)", None, "multiplication needs *"),
    ("x*np.exp(z)", 3, "no module prefix"),
    ("x*math.log(sigmoid(z))", 3, "no module prefix"),
    ("x*Sigmoid(z) - x*y", 3, "write sigmoid(...) in lower case"),
    ("x*Exp(z)", 3, "write exp(...) in lower case"),
    ("x*sigmoid'(z)", 10, "a prime ' is not a derivative"),
    ("x*(sigmoid(z) - y", 3, "is never closed"),
    ("x*(sigmoid(z) - y))", 19, "closes nothing"),
    ("x*sqrt(z)", 3, "write (...)**(1/2)"),
    ("x y", 1, "write x*y"),
])
def test_each_known_mistake_names_its_position_and_the_fix(typed, position, advice):
    with pytest.raises(FormulaError) as error:
        check("logreg.dL_dw", typed)
    message = str(error.value)
    assert advice in message, message
    if position is not None:
        assert f"at position {position} " in message, message
    assert "\n" not in message   # one line on the CLI


def test_every_verdict_says_how_the_formula_was_read():
    verdict = check("logreg.dL_dz", "1/1+exp(-z)")
    assert verdict.status == "refuted"
    assert "read as: 1 / 1 + exp(-z)" in str(verdict)
    assert "read as: exp(-z)" in str(check("logreg.dL_dz", "exp -z"))


def test_x_in_a_formula_for_dl_db_is_refuted_not_a_usage_error():
    verdict = check("logreg.dL_db", "(sigmoid(z) - y)*x")
    assert verdict.status == "refuted"
    assert check("logreg.dL_db", "(sigmoid(z) - y)*x/x").status in ("proved", "proved-except")


@pytest.mark.parametrize("typed, advice", [
    ("sigmoid(z)(1 - sigmoid(z))", "multiplication needs *: write sigmoid(z)*(...)"),
    ("dL/dz = sigmoid(z) - y", "type only the right-hand side"),
    ("sigmoid(z) - s", "write sigmoid(z) for s"),
    ("sigmoid(w*x + b) - y", "the logit z stands for w.x + b"),
])
def test_more_beginner_mistakes_say_what_to_write(typed, advice):
    with pytest.raises(FormulaError, match=re.escape(advice)):
        check("logreg.d2L_dz2", typed)


def test_euler_s_number_reads_back_as_typed():
    assert "read as: 1 / (1 + e**(-z)) - y" in str(check("logreg.dL_dz", "1/(1 + e^(-z)) - y"))


@pytest.mark.parametrize("typed, read", [
    ("(sigmoid(z) - y)^-1/2", "(sigmoid(z) - y)**(-1) / 2"),   # a reprint once showed 1/(sigmoid(z) - y*2)
    ("1/z^-1", "1 / z**(-1)"),
    ("exp -z^2*y", "exp(-z**2) * y"),
])
def test_read_as_is_the_parser_s_own_grouping(typed, read):
    assert f"read as: {read}" in str(check("logreg.dL_dz", typed))


def test_no_python_warning_reaches_the_user(recwarn):
    with pytest.raises(FormulaError):
        check("logreg.dL_dz", "1 is 1")
    assert not [w for w in recwarn if issubclass(w.category, SyntaxWarning)]


@pytest.mark.parametrize("typed", ["1e-400", "1.00000000000000000001", "123456789012345678901.0", "1_0", "0.1e+3"])
def test_read_as_shows_each_number_as_typed(typed):
    """'read as' is printed back to the student: a literal must show its digits, not a float's."""
    formula = parse(f"sigmoid(z) - y + {typed}", {"z": z, "y": y})
    assert formula.read_as == f"sigmoid(z) - y + {typed}"
