"""The course kit written beside the report: for each figure a LaTeX snippet
(``figures/F1.tex``: a ``figure`` environment with the caption in LaTeX maths and a label), and
for each derivation its LaTeX (``derivations/NAME.tex``, an amsmath ``align*``) and its Typst
(``derivations/NAME.typ``).  The figure files carry no "Figure N." of their own: the number
belongs to the document that cites them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import symbolic

from . import _caption
from ._experiments import FigureData

__all__ = ["figure_latex", "derivation_latex", "derivation_typst", "write_kit"]


def figure_latex(data: FigureData, number: int) -> str:
    """A LaTeX ``figure`` for ``data`` (needs graphicx; the image is found as .pdf or .png)."""
    return (f"% Figure F{number} of the gradproof report; needs \\usepackage{{graphicx}}.\n"
            "\\begin{figure}[htbp]\n  \\centering\n"
            f"  \\includegraphics[width=\\linewidth]{{{data.name}}}\n"
            f"  \\caption{{\\textbf{{{_caption.latex(data.title)}.}} {_caption.latex(data.caption)}}}\n"
            f"  \\label{{fig:{data.name}}}\n\\end{{figure}}\n")


def _hypotheses_latex(d: symbolic.Derivation) -> str:
    return "; ".join(symbolic.hypothesis_latex(h) for h in symbolic.hypotheses(d))


def derivation_latex(d: symbolic.Derivation) -> str:
    """``d`` as a LaTeX ``align*`` (needs amsmath), hypotheses in a comment and a text line."""
    header = f"% {d.name}: {d.title}. Needs \\usepackage{{amsmath}}.\n"
    body = symbolic.latex_align(d)
    hypotheses = _hypotheses_latex(d)
    if hypotheses:
        body = body.replace("\n\\end{align*}", f" \\\\\n  &\\text{{assuming {hypotheses}}}\n\\end{{align*}}")
    return header + body + "\n"


def derivation_typst(d: symbolic.Derivation) -> str:
    """``d`` as a Typst block equation, its title and hypotheses above it."""
    lines = [f"// {d.name}: {d.title}", f"*{symbolic.typst_text(d.title)}*"]
    hypotheses = symbolic.typst_parts(d).hypotheses
    if hypotheses:
        lines.append("_Hypotheses:_ " + "; ".join(hypotheses) + ".")
    return "\n\n".join(lines + [symbolic.typst_equation(d)]) + "\n"


def write_kit(folder: Path, figures: Sequence[FigureData], checks) -> dict[str, list[str]]:
    """Write the snippets under ``folder``; return each figure's kit files (relative paths)."""
    files = {}
    for number, data in enumerate(figures, start=1):
        (folder / "figures" / f"F{number}.tex").write_text(figure_latex(data, number))
        files[data.name] = [f"figures/F{number}.tex"]
    (folder / "derivations").mkdir(exist_ok=True)
    for check in checks:
        d = check.derivation
        (folder / "derivations" / f"{d.name}.tex").write_text(derivation_latex(d))
        (folder / "derivations" / f"{d.name}.typ").write_text(derivation_typst(d))
    return files
