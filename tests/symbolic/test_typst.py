"""The Typst and LaTeX printers: what each construct prints as, and that Typst compiles it."""

import shutil
import subprocess

import pytest
import sympy as sp
import typst as typst_compiler

from gradproof import symbolic
from gradproof.symbolic import sigmoid
from gradproof.symbolic.printing import latex, typst

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
