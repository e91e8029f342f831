"""The Typst and LaTeX printers: what each construct prints as, that Typst compiles it, and that the
witness reads every formula back (and catches the printer bugs of issue 20 when they are put back)."""

import shutil
import subprocess

import pytest
import sympy as sp
import typst as typst_compiler
from sympy.printing.precedence import PRECEDENCE

from gradproof import symbolic
from gradproof.symbolic import sigmoid
from gradproof.symbolic.printing import PrinterError, latex, typst, witnessed_latex, witnessed_typst
from gradproof.symbolic.printing import _typst as typst_module
from gradproof.symbolic.printing._read import lexicon, read_latex, read_typst
from gradproof.symbolic.printing._witness import agree, witnessed

z, y = sp.symbols("z y", real=True)
k, q, i = sp.symbols("k q i", integer=True, nonnegative=True)
B = sp.Symbol("B", integer=True, positive=True)
X = sp.IndexedBase("X", real=True)


def compiles(body: str, tmp_path) -> None:
    source = tmp_path / "t.typ"
    source.write_text(body)
    typst_compiler.compile(str(source), output=str(tmp_path / "t.pdf"), ignore_system_fonts=True)


@pytest.mark.parametrize("expr, expected", [
    (sigmoid(z) - y, "sigma(z) - y"),
    (sp.Symbol("ghn_k"), 'italic("ghn")_k'),
    (sp.Symbol("p_w") * y, "p_w y"),
    (sp.IndexedBase("W_hz")[k, q], "W_(h z, k q)"),
    (X[i, k], "X_(i k)"),
    (sp.IndexedBase("W^b_hz")[k, q], "W_(h z, k q)^b"),
    (sp.IndexedBase("h^b_{t+1}")[k], "h_(t+1, k)^b"),
    (sp.KroneckerDelta(k, q), "delta_(k q)"),
    (sp.Sum(X[i, k], (i, 0, B - 1)) / B, "frac(1, B) sum_(i = 0)^(B - 1) X_(i k)"),
    (sp.Derivative(sigmoid(z), z), "frac(dif, dif z) sigma(z)"),
    (sp.Derivative(-y * sp.log(sigmoid(z)), z), "frac(partial, partial z) lr((-y log sigma(z)))"),
    (sp.tanh(z) ** 2, "tanh^2 z"),
    (sp.exp(-z), "e^(-z)"),
    ((1 - y) * sp.log(1 - sigmoid(z)), "lr((1 - y)) log(1 - sigma(z))"),
    (sp.Abs(y - sigmoid(z)), "abs(y - sigma(z))"),
    (sp.Rational(1, 2) * z, "frac(z, 2)"),
    (sp.Eq(z, y), "z = y"),
    (sp.Piecewise((z, z > 0), (0, True)), 'cases(z & "if" z > 0, 0 & "otherwise")'),
])
def test_typst_prints_each_construct(expr, expected):
    assert typst(expr) == expected


def test_every_construct_compiles(tmp_path):
    exprs = [sp.Symbol("ghn_k"), sp.IndexedBase("W_hz")[k, q], sp.KroneckerDelta(k, q),
             sp.Sum(X[i, k] * sigmoid(z), (i, 0, B - 1)) / B, sp.Derivative(sp.tanh(z) ** 2, z),
             sp.Piecewise((z, z > 0), (0, True)), sp.Eq(sp.Abs(y - sigmoid(z)), sigmoid(-z))]
    compiles("\n".join(f"$ {typst(e)} $" for e in exprs), tmp_path)


def test_latex_keeps_long_names_whole():
    assert latex(sp.Symbol("ghn_k")) == r"\mathit{ghn}_{k}"
    assert latex(sp.IndexedBase("W_hz")[k, q]) == "W_{hz,kq}"
    assert latex(sp.IndexedBase("W^b_hz")[k, q]) == "W_{hz,kq}^{b}"  # the direction is kept
    assert latex(sp.IndexedBase("h^b_{t+1}")[k]) == "h_{t+1,k}^{b}"
    assert latex(sigmoid(z) - y) == r"\sigma\left(z\right) - y"


def test_every_derivation_compiles_in_typst(tmp_path):
    """Each derivation's block equation, rules included, and its hypotheses."""
    for d in symbolic.catalog().values():
        parts = symbolic.printing.typst_parts(d)
        (tmp_path / f"{d.name}.typ").write_text("; ".join(parts.hypotheses) + "\n\n" + d.typst())
    compiles("\n".join(f'#include "{name}.typ"' for name in symbolic.catalog()), tmp_path)
    gru = symbolic.catalog()["gru_cell_dh"].typst()
    assert 'italic("ghn")_k' in gru and "g h n" not in gru


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no LaTeX installation")
def test_every_derivation_compiles_in_latex(tmp_path):
    body = "\n".join(symbolic.printing.latex_align(d) for d in symbolic.catalog().values())
    (tmp_path / "d.tex").write_text("\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
                                    + body + "\\end{document}\n")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "d.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]


# ---------------------------------------------------------------------------------------------
# the printer witness: every formula read back by an independent reader and compared

n = sp.Symbol("n", integer=True, positive=True)
u = sp.IndexedBase("u", real=True)
SUM_POWER = sp.Sum(sigmoid(z) * (1 - sigmoid(z)) * sp.Sum(u[k] * X[i, k], (k, 0, n - 1)) ** 2, (i, 0, B - 1)) / B


def test_sum_power_prints_its_parentheses():
    assert "lr((sum_(k = 0)^(n - 1) u_k X_(i k)))^2" in typst(SUM_POWER)
    assert typst(sp.Symbol("n^b_k") ** 2) == "lr((n_k^b))^2"
    assert typst(sp.Symbol("x_k") ** 2) == "x_k^2"  # a subscript alone needs none


@pytest.mark.parametrize("text, expected", [
    ("frac(1, B) sum_(i = 0)^(B - 1) sum_(k = 0)^(n - 1) u_k X_(i k)^2",
     sp.Sum(u[k] * X[i, k] ** 2, (k, 0, n - 1), (i, 0, B - 1)) / B),
    ("lr((sum_(k = 0)^(n - 1) u_k X_(i k)))^2", sp.Sum(u[k] * X[i, k], (k, 0, n - 1)) ** 2),
    ("sigma(z) - y", sigmoid(z) - y),
    ("-y log sigma(z) - lr((1 - y)) log(1 - sigma(z))", -y * sp.log(sigmoid(z)) - (1 - y) * sp.log(1 - sigmoid(z))),
    ("tanh^2 z + e^(-z)", sp.tanh(z) ** 2 + sp.exp(-z)),
    ("frac(dif, dif z) sigma(z) dot 2", None),  # an operator takes the rest of the product: 2 is inside
])
def test_the_typst_reader_reads_as_a_person_does(text, expected):
    names = lexicon(sp.Tuple(SUM_POWER, y, sigmoid(z), *u[k].atoms(sp.Symbol)))
    read = read_typst(text, names)
    if expected is None:
        assert read == sp.Derivative(2 * sigmoid(z), z)
    else:
        assert agree(expected, read) is None, read


def test_the_latex_reader_reads_sums_of_several_limits_and_derivatives():
    names = lexicon(SUM_POWER)
    read = read_latex(r"\sum_{\substack{0 \leq k \leq n - 1\\0 \leq i \leq B - 1}} \frac{u_{k}}{B} X_{ik}", names)
    assert agree(sp.Sum(u[k] * X[i, k] / B, (k, 0, n - 1), (i, 0, B - 1)), read) is None
    second = read_latex(r"\frac{\partial^{2}}{\partial z^{2}} \log{\left(\sigma\left(z\right) \right)}", lexicon(z))
    assert second == sp.Derivative(sp.log(sigmoid(z)), (z, 2))


def test_the_witness_catches_the_sum_power_bug_put_back(monkeypatch):
    assert witnessed_typst(SUM_POWER)
    monkeypatch.setattr(typst_module.TypstPrinter, "_power_base",
                        lambda self, base: self.parenthesize(base, PRECEDENCE["Pow"], strict=True))
    bad = typst(SUM_POWER)
    assert "u_k X_(i k)^2" in bad  # the bug as the issue found it
    with pytest.raises(PrinterError, match="printer fault"):
        witnessed(SUM_POWER, bad, "typst")
    with pytest.raises(PrinterError):
        symbolic.printing.typst_parts(symbolic.catalog()["logreg_hessian_psd"])


SCRIPTED = typst_module.TypstPrinter._scripted


def _drop_indices(full_name, indices=()):
    return SCRIPTED(full_name, indices[:1])  # the bug: an indexed name keeps only its first index


def test_the_witness_catches_a_dropped_subscript(monkeypatch):
    expr = X[i, k] * sigmoid(z)
    monkeypatch.setattr(typst_module.TypstPrinter, "_scripted", staticmethod(_drop_indices))
    assert typst(expr).startswith("X_i")
    with pytest.raises(PrinterError, match="X"):
        witnessed(expr, typst(expr), "typst")
    with pytest.raises(PrinterError):
        witnessed(sp.Symbol("p_w") * y, "p y", "typst")
    with pytest.raises(PrinterError):
        witnessed(expr, r"X_{i} \sigma\left(z\right)", "latex")


def test_the_witness_catches_wrong_precedence_in_latex():
    expr = sp.Sum(u[k], (k, 0, n - 1)) ** 2
    assert witnessed_latex(expr)
    with pytest.raises(PrinterError):
        witnessed(expr, r"\sum_{k=0}^{n - 1} u_{k}^{2}", "latex")
    with pytest.raises(PrinterError):
        witnessed(sigmoid(z) * (1 - y), r"\sigma\left(z\right) 1 - y", "latex")


def test_every_catalog_formula_reads_back_in_both_languages():
    for d in symbolic.catalog().values():
        symbolic.printing.typst_parts(d)  # raises PrinterError on any mismatch
        symbolic.printing.latex_align(d)


def test_caption_maths_reads_the_same_in_typst_and_in_latex():
    from gradproof.symbolic.printing import same_reading
    from gradproof.symbolic.printing._read import read_latex_chain, read_typst_chain

    parts = read_typst_chain('B_"simple" = tr(Sigma) \\/ norm(G)^2 = 226.6')
    assert [sep for sep, _ in parts] == ["", "=", "="] and parts[2][1] == sp.Float("226.6")
    same_reading('B_"simple" = tr(Sigma) \\/ norm(G)^2',
                 r"B_{\text{simple}} = \operatorname{tr} (\Sigma) / \lVert G\rVert^{2}")
    same_reading("B = 1, 8, 32, 128", "B = 1, 8, 32, 128")
    with pytest.raises(PrinterError):  # the exponent on the wrong atom
        same_reading("norm(G)^2", r"\lVert G^{2}\rVert")
    with pytest.raises(PrinterError):  # a relation changed
        same_reading("m <= 0", "m < 0")
    assert read_latex_chain(r"m \to - \infty")[1] == ("->", -sp.oo)


# ---------------------------------------------------------------------------------------------
# long formulas broken at operators, never shrunk

from gradproof.symbolic.printing._lines import LINE_BUDGET, break_lines, visible_width  # noqa: E402

LONG_LOSSES = ("focal:gamma=2", "focal:gamma=1/2,alpha=1/4", "label_smoothing:eps=1/10", "exponential")


def shown_formulas():
    """Every left-hand side and step of the catalog and of the long losses' derivations."""
    derivations = list(symbolic.catalog().values())
    derivations += [d for name in LONG_LOSSES for d in symbolic.loss(name).derivations]
    for d in derivations:
        yield d.shown(d.steps[0].before)
        yield from (d.shown(s.after) for s in d.steps)


def test_every_shown_formula_fits_its_lines_and_reads_back_in_both_languages():
    """A line may run over the budget only where it is one piece the breaker cannot cut."""
    for expr in shown_formulas():
        for language in ("typst", "latex"):
            lines = symbolic.printing.shown_lines(expr, language)  # raises PrinterError on a misreading
            assert all(line.strip() for line in lines)
        for line in symbolic.printing.shown_lines(expr, "typst"):
            assert visible_width(line) <= LINE_BUDGET + 6, line


def test_a_long_product_breaks_between_factors_and_inside_its_brackets():
    s = sigmoid(z)
    wide = (1 - s) ** 2 * (y + s * (1 - 2 * y)) * (s - y) * (-y * sp.log(s) - (1 - y) * sp.log(1 - s))
    lines = break_lines(wide, "typst", budget=30)
    assert len(lines) > 1 and all(line.startswith("dot ") for line in lines[1:])
    assert witnessed(wide, " ".join(lines), "typst")
    inside = break_lines(sp.Derivative(wide + s * y, z), "typst", budget=30)
    assert inside[0].startswith("frac(partial, partial z) \\(") and inside[-1].endswith("\\)")
    assert witnessed(sp.Derivative(wide + s * y, z), " ".join(inside), "typst")
    latex_lines = break_lines(sp.Derivative(wide + s * y, z), "latex", budget=30)
    assert latex_lines[0].startswith(r"\frac{\partial}{\partial z} (") and latex_lines[-1].endswith(")")
    assert witnessed(sp.Derivative(wide + s * y, z), " ".join(latex_lines), "latex")


def test_a_bracket_that_closes_on_its_own_line_is_paired():
    """Only a bracket that spans lines is written unpaired; one line keeps lr((..)), which grows."""
    s = sigmoid(z)
    expr = (s - y) * (y + s * (1 - 2 * y)) * (1 - s)
    assert break_lines(expr, "typst", budget=200) == [typst(expr)]
    for line in break_lines(sp.Derivative(expr + y * s, z), "typst", budget=30):
        assert line.count("\\(") + line.count("\\)") <= 1


def test_the_readers_take_an_unpaired_bracket_as_a_bracket_and_the_witness_catches_a_lost_one():
    s = sigmoid(z)
    expr = y * (s - y)
    assert witnessed(expr, "y \\( sigma(z) - y \\)", "typst")
    with pytest.raises(PrinterError):
        witnessed(expr, "y sigma(z) - y \\)", "typst")
    with pytest.raises(PrinterError):
        witnessed(expr, "y sigma(z) - y", "typst")
