"""gradproof derive --latex and loss --latex stop on a printer fault: a formula whose LaTeX does
not read back as the verified expression is never printed."""


from gradproof.reports import main
from gradproof.symbolic.printing import _latex


def _dropped_parentheses(self, base):
    """The issue's Typst bug, put into the LaTeX printer: a power of a sum loses its parentheses."""
    return self._print(base)


def test_derive_latex_prints_the_verified_formula(capsys):
    assert main(["derive", "logreg_hessian_psd", "--latex"]) == 0
    assert r"\left(\sum_{k=0}^{n - 1} u_{k} X_{ik}\right)^{2}" in capsys.readouterr().out


def test_derive_latex_stops_on_a_printer_fault(monkeypatch, capsys):
    monkeypatch.setattr(_latex.ToolkitLatexPrinter, "_power_base", _dropped_parentheses)
    code = main(["derive", "logreg_hessian_psd", "--latex"])
    captured = capsys.readouterr()
    assert code == 70 and "printer fault (latex)" in captured.err
    assert r"\sum_{k=0}^{n - 1} u_{k} X_{ik}^{2}" not in captured.out
