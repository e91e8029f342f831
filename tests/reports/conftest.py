"""What the report tests share: compiling the course kit with a real LaTeX."""

import json
import subprocess
from types import SimpleNamespace

import pytest


def compile_latex(folder, name: str, document: str) -> str:
    """Compile ``document`` in ``folder`` twice (labels, list of figures); return the log."""
    (folder / f"{name}.tex").write_text(document)
    for _ in range(2):
        done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
                              cwd=folder, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-3000:]
    return (folder / f"{name}.log").read_text(errors="replace")


def overfull(log: str, limit: float = 1.0) -> list[str]:
    """The boxes that run out of their frame or column by more than ``limit`` pt."""
    return [line for line in log.splitlines() if line.startswith("Overfull")
            and float(line.split("(")[1].split("pt")[0]) > limit]


def kit_documents(snippets: list[str]) -> dict[str, str]:
    """The two documents the README promises: a plain article and beamer frames, the snippets
    input unchanged from figures/, only the packages they state loaded."""
    inputs = [f"\\input{{figures/{name}}}" for name in snippets]
    return {"article": "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{graphicx}\n"
                       "\\begin{document}\n\\listoffigures\n" + "\n".join(inputs) + "\n\\end{document}\n",
            "slides": "\\documentclass{beamer}\n\\begin{document}\n"
                      + "\n".join(f"\\begin{{frame}}{{{n}}}\n{i}\n\\end{{frame}}" for n, i in zip(snippets, inputs))
                      + "\n\\end{document}\n"}


@pytest.fixture
def latex_kit() -> SimpleNamespace:
    """``compile(folder, name, document)`` (the log), ``overfull(log)``, ``documents(snippets)``."""
    return SimpleNamespace(compile=compile_latex, overfull=overfull, documents=kit_documents)


def shrunk_formulas(out) -> list[float]:
    """The factors of every equation the report's style scaled down to fit the column (its
    ``fit`` marks each with ``<gradproof-scaled>``), by Typst's query of the kept source."""
    import typst
    found = typst.query(str(out / "report.typ"), "<gradproof-scaled>", field="value", root=str(out),
                        font_paths=[str(out / "fonts")], ignore_system_fonts=True)
    return json.loads(found) if isinstance(found, str) else list(found)


def empty_below(reader) -> list[float]:
    """Per page, the share of the text area (A4, 2.2 cm top and 2.4 cm bottom margin) left
    empty below the lowest text drawn on it, from the PDF's text positions (figures carry
    their tick labels and captions, so they count as text)."""
    top, bottom = 842 - 2.2 * 72 / 2.54, 2.4 * 72 / 2.54
    shares = []
    for page in reader.pages:
        lowest = [top]

        def visit(text, cm, tm, font, size, lowest=lowest):
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            if text.strip() and bottom < y < top:
                lowest[0] = min(lowest[0], y)
        page.extract_text(visitor_text=visit)
        shares.append((lowest[0] - bottom) / (top - bottom))
    return shares


@pytest.fixture
def layout() -> SimpleNamespace:
    """``shrunk(out)`` (the scale factors of shrunk equations) and ``empty_below(reader)``."""
    return SimpleNamespace(shrunk=shrunk_formulas, empty_below=empty_below)
