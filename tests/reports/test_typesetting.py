"""Captions in two languages, the kit's snippets, progress lines: the typesetting pieces alone."""

import io
import shutil

import pytest
import typst

from gradproof.reports._build._progress import Progress
from gradproof.reports._document import _caption
from gradproof.reports._document._kit import figure_latex
from gradproof.reports._document._pages import STYLE, figure_block
from gradproof.reports._figure_data import FigureData

CAPTION = ("The size $abs(sigma(z) - y) = sigma(-m)$ for $m = (2y - 1) z$, 50% of the pull; "
           "noise $frac(tr(Sigma), B)$ and $B_\"simple\" = tr(Sigma) \\/ norm(G)^2$.")


def test_caption_in_latex_and_plain():
    latex = _caption.latex(CAPTION)
    assert r"$\lvert \sigma (z) - y\rvert = \sigma (- m)$" in latex
    assert r"\frac{\operatorname{tr} (\Sigma)}{B}" in latex and r"\text{simple}" in latex
    assert "50\\% of the pull" in latex
    assert _caption.plain(CAPTION).startswith("The size abs(sigma(z) - y) = sigma(-m) for")


@pytest.mark.parametrize("bad", ["an $unpaired sign", "$foo(x)$", "$frac(a)$", "$a \\ b$"])
def test_caption_refuses_what_it_cannot_translate(bad):
    with pytest.raises(ValueError, match="caption"):
        _caption.latex(bad)


def test_caption_and_figure_compile_in_typst(tmp_path):
    shutil.copy(STYLE, tmp_path / "gradproof.typ")
    (tmp_path / "f.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    data = FigureData("f1-demo", "A title with 50% and #hash", CAPTION, {})
    source = '#import "gradproof.typ": *\n#show: report.with(footer: "x")\n' + figure_block(data, "f.svg")
    (tmp_path / "r.typ").write_text(source)
    typst.compile(str(tmp_path / "r.typ"), output=str(tmp_path / "r.pdf"), ignore_system_fonts=True)
    from pypdf import PdfReader

    text = " ".join(PdfReader(tmp_path / "r.pdf").pages[0].extract_text().split())
    assert "Figure 1. A title with 50% and #hash." in text


def test_figure_snippet_is_a_labelled_latex_figure():
    snippet = figure_latex(FigureData("f1-demo", "A title", CAPTION, {}), 1)
    assert "\\includegraphics[width=\\linewidth,height=0.7\\textheight,keepaspectratio]{figures/f1-demo}" in snippet
    assert "\\label{fig:f1-demo}" in snippet and "\\caption[A title]{\\textbf{A title.} The size $" in snippet
    assert "\\caption{A title}" in snippet  # what a beamer slide shows
    assert "\\usepackage{amsmath}" in snippet.split("\n", 1)[0] and "\\usepackage{graphicx}" in snippet
    assert "Figure 1" not in snippet.split("\n", 2)[2]


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no LaTeX installation")
def test_figure_snippet_compiles_in_article_and_beamer(tmp_path, latex_kit):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    (tmp_path / "figures").mkdir()
    plt.figure(figsize=(6.3, 3.4)).savefig(tmp_path / "figures" / "f1-demo.png")
    long = CAPTION + " And a much longer tail of words that a slide could never hold. " * 6
    (tmp_path / "figures" / "F1.tex").write_text(figure_latex(FigureData("f1-demo", "A title", long, {}), 1))
    for name, document in latex_kit.documents(["F1.tex"]).items():
        log = latex_kit.compile(tmp_path, name, document)
        assert "Undefined control sequence" not in log and "not found" not in log
        assert not latex_kit.overfull(log), latex_kit.overfull(log)


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no LaTeX installation")
def test_every_kit_derivation_stays_inside_the_column_of_an_article(tmp_path, latex_kit):
    """Each derivation of the kit as it ships (derivations/NAME.tex: rules in words, 'where' and
    'assuming' lines) in a plain article: nothing runs off the page.  A rule or assumption set as
    an unbreakable \\text ran up to 153 pt past the margin (33 overfull lines)."""
    from gradproof import symbolic
    from gradproof.reports._document._kit import derivation_latex

    body = "\n".join(derivation_latex(d) for d in symbolic.catalog().values())
    log = latex_kit.compile(tmp_path, "kit", "\\documentclass{article}\n\\usepackage{amsmath}\n"
                            "\\begin{document}\n" + body + "\\end{document}\n")
    assert not latex_kit.overfull(log), latex_kit.overfull(log)


def test_progress_prints_one_line_per_stage_only_when_enabled():
    stream = io.StringIO()
    progress = Progress(enabled=True, total=2, stream=stream)
    progress.stage("running")
    progress.tick()
    progress.stage("typesetting")
    progress.stage("done")
    lines = stream.getvalue().split("\n")
    assert lines[0].split("\r")[-1].startswith("[1/2] running .")
    assert lines[1].split("\r")[-1].startswith("[2/2] typesetting")
    quiet = io.StringIO()
    Progress(enabled=False, total=2, stream=quiet).stage("running")
    assert quiet.getvalue() == ""


def test_every_caption_translation_is_read_back(monkeypatch):
    from gradproof.symbolic.printing import PrinterError

    assert _caption.latex(CAPTION)  # reads back: the translation means what the Typst means
    monkeypatch.setitem(_caption.CALLS, "frac", (r"%s/%s", 2))  # the bug: a fraction as a bare slash
    with pytest.raises(PrinterError):
        _caption.latex("the share $frac(norm(g_i), sum_j norm(g_j))$")
    monkeypatch.undo()

    def dropped_script(self):  # the bug: a script's group loses all but its first token
        return self.atom() if self.peek() != "(" else (self.take(), self.atom(), self.sequence(")"),
                                                        self.expect(")"))[1]

    monkeypatch.setattr(_caption._Math, "script", dropped_script)
    with pytest.raises(PrinterError):
        _caption.latex('noise $B_"simple" = tr(Sigma) \\/ norm(G_B)^2$ and $h_(T,i)$')


def test_the_report_and_the_kit_stop_on_a_printer_fault(monkeypatch):
    """The document's own paths (a derivation block of report.typ, a kit .typ file) go through the
    witness: with the Sum-power bug of issue 20 put back, neither is written."""
    from sympy.printing.precedence import PRECEDENCE

    from gradproof import symbolic
    from gradproof.reports._document._kit import derivation_typst
    from gradproof.reports._document._pages import DerivationCheck, derivation_block
    from gradproof.symbolic.printing import PrinterError, TypstPrinter

    d = symbolic.catalog()["logreg_hessian_psd"]
    check = DerivationCheck(d, True, (True,) * len(d.steps), (True,) * len(d.facts))
    assert "lr((sum_(k = 0)^(n - 1) u_k X_(i k)))^2" in derivation_block(check)
    monkeypatch.setattr(TypstPrinter, "_power_base",
                        lambda self, base: self.parenthesize(base, PRECEDENCE["Pow"], strict=True))
    with pytest.raises(PrinterError, match="printer fault"):
        derivation_block(check)
    with pytest.raises(PrinterError):
        derivation_typst(d)


def test_the_layout_checks_see_a_shrunk_formula_and_an_empty_page(tmp_path, layout):
    """The report's layout test can fail: an equation wider than the column is marked as shrunk,
    and a page with one line of text on it reads as nearly empty."""
    from pypdf import PdfReader

    shutil.copy(STYLE, tmp_path / "gradproof.typ")
    wide = " + ".join(f"x_{i} y_{i} z_{i}" for i in range(40))
    (tmp_path / "report.typ").write_text(
        '#import "gradproof.typ": *\n#show: report\n'
        f"#derivation($ a $, ((rhs: $ & = {wide} $, rule: [wide], mark: []),))\n#pagebreak()\nOne line.\n")
    (tmp_path / "fonts").mkdir()
    typst.compile(str(tmp_path / "report.typ"), output=str(tmp_path / "t.pdf"), ignore_system_fonts=True)
    factors = layout.shrunk(tmp_path)
    assert len(factors) == 1 and 0 < factors[0] < 0.5
    assert layout.empty_below(PdfReader(tmp_path / "t.pdf"))[1] > 0.9
