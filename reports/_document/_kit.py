"""The course kit written beside the report: for each figure a LaTeX snippet
(``figures/F1.tex``: a ``figure`` environment with the caption in LaTeX maths and a label), and
for each derivation its LaTeX (``derivations/NAME.tex``, an amsmath ``align*``) and its Typst
(``derivations/NAME.typ``).  The figure files carry no "Figure N." of their own: the number
belongs to the document that cites them.

A loss asked for with ``report --loss`` puts its derivations in a folder of their own,
``derivations/KEY/NAME.tex`` and ``.typ``, KEY being the loss as written in its canonical form
(:func:`loss_key`): ``focal:gamma=2`` and ``focal:gamma=1/2`` share derivation names
(``focal_dL_dz``, ...) but not a folder.  Each file starts with the loss L(z, y) it derives from."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gradproof import symbolic

from . import _caption

if TYPE_CHECKING:  # not imported at run time: derivation_latex serves gradproof loss, which imports no torch
    from .._figure_data import FigureData

__all__ = ["figure_latex", "derivation_latex", "derivation_typst", "write_kit", "loss_key", "write_loss_kit"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_.=-]+")
_SAFE_NAMED = str.maketrans({":": "-", ",": "-", "/": "_"})


FIGURE_PACKAGES = r"\usepackage{amsmath}" + " " + r"\usepackage{graphicx}"


def figure_latex(data: FigureData, number: int) -> str:
    """A LaTeX ``figure`` for ``data`` that compiles unchanged in ``article`` and in a ``beamer``
    frame: it needs amsmath and graphicx (beamer loads both), finds its image as
    ``figures/NAME`` (.pdf or .png) from the folder of the document that inputs it (where the
    README says to put the kit), is at most 70% of the text height tall, and on a slide shows
    its title as the caption, in a document the whole caption (the title also being the short
    caption of a list of figures)."""
    title = _caption.latex(data.title)
    return (f"% Figure F{number} of the gradproof report. Needs {FIGURE_PACKAGES} (beamer loads both);\n"
            f"% \\input it from the folder that holds figures/ (the image is figures/{data.name}.pdf or .png).\n"
            "\\begin{figure}[htbp]\n  \\centering\n"
            f"  \\includegraphics[width=\\linewidth,height=0.7\\textheight,keepaspectratio]{{figures/{data.name}}}\n"
            "  \\ifdefined\\frametitle % beamer: a slide shows the title only\n"
            f"  \\caption{{{title}}}\n"
            "  \\else % a document: the title, then the whole caption\n"
            f"  \\caption[{title}]{{\\textbf{{{title}.}} {_caption.latex(data.caption)}}}\n"
            "  \\fi\n"
            f"  \\label{{fig:{data.name}}}\n\\end{{figure}}\n")


def _hypotheses_latex(d: symbolic.Derivation) -> str:
    return "; ".join(symbolic.printing.hypothesis_latex(h) for h in symbolic.printing.hypotheses(d))


def derivation_latex(d: symbolic.Derivation) -> str:
    """``d`` as a LaTeX ``align*`` (needs amsmath), hypotheses in a comment and a text line."""
    header = f"% {d.name}: {d.title}. Needs \\usepackage{{amsmath}}.\n"
    body = symbolic.printing.latex_align(d)
    hypotheses = _hypotheses_latex(d)
    if hypotheses:
        body = body.replace("\n\\end{align*}", f" \\\\\n  &{symbolic.printing.prose_latex('assuming ' + hypotheses)}"
                            "\n\\end{align*}")
    return header + body + "\n"


def derivation_typst(d: symbolic.Derivation) -> str:
    """``d`` as a Typst block equation, its title and hypotheses above it."""
    lines = [f"// {d.name}: {d.title}", f"*{symbolic.printing.typst_text(d.title)}*"]
    hypotheses = symbolic.printing.typst_parts(d).hypotheses
    if hypotheses:
        lines.append("_Hypotheses:_ " + "; ".join(hypotheses) + ".")
    return "\n\n".join(lines + [symbolic.printing.typst_equation(d)]) + "\n"


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


def loss_key(loss: symbolic.Loss) -> str:
    """A file name for ``loss``, one per loss: a named loss's canonical spec with ':' and ','
    as '-' and '/' as '_' (``focal-gamma=2-alpha=1_4``; parameter values are rationals, so this
    is one to one), a formula as 'user-', its first characters made safe and 10 hex digits of
    its SHA-256."""
    if loss.name.split(":")[0] in symbolic.LOSSES:
        return loss.name.translate(_SAFE_NAMED)
    digest = hashlib.sha256(loss.name.encode()).hexdigest()[:10]
    return f"user-{_UNSAFE.sub('-', loss.name).strip('-.')[:40]}-{digest}"


def _loss_headers(loss: symbolic.Loss) -> tuple[str, str]:
    latex = (f"% From the loss {loss.name} ({loss.title}):\n"
             f"% L(z, y) = {symbolic.printing.witnessed_latex(loss.expression)}\n")
    typst = (f"// From the loss {loss.name} ({loss.title})\n\n"
             f"Loss `{loss.name}`:\n\n$ L(z, y) = {symbolic.printing.witnessed_typst(loss.expression)} $\n\n")
    return latex, typst


def write_loss_kit(folder: Path, loss_checks) -> dict[str, list[str]]:
    """Write each loss's derivations under ``folder/derivations/KEY/``; return, per loss name,
    the files written (relative paths)."""
    files: dict[str, list[str]] = {}
    for loss, checks in loss_checks:
        key = loss_key(loss)
        (folder / "derivations" / key).mkdir(parents=True, exist_ok=True)
        latex, typst = _loss_headers(loss)
        files[loss.name] = []
        for check in checks:
            d = check.derivation
            stem = f"derivations/{key}/{d.name}"
            (folder / f"{stem}.tex").write_text(latex + derivation_latex(d))
            (folder / f"{stem}.typ").write_text(typst + derivation_typst(d))
            files[loss.name] += [f"{stem}.tex", f"{stem}.typ"]
    return files
