"""What the report tests share: compiling the course kit with a real LaTeX."""

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
