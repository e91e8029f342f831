"""A derivation typeset for a reader, in Typst and in LaTeX.

The chain ``lhs = e_1 = e_2 = ...`` is set as left-aligned lines: the left-hand side, then
each ``= e_i`` indented, with the rule of the step in words under it.  A long formula is
broken at its operators (:mod:`._lines`: between terms, then between factors, then inside
brackets; a sum over a sum of terms is shown as a sum of sums, the same value), never
scaled down.  The statement's hypotheses (hard-label cases,
index ranges, assumptions) are part of what is printed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from ._latex import latex
from ._lines import break_lines
from ._typst import typst
from ._witness import witnessed

__all__ = ["TypstParts", "typst_parts", "typst_equation", "latex_align", "typst_text", "latex_text",
           "prose_latex", "hypotheses", "hypothesis_latex", "witnessed_typst", "witnessed_latex", "shown_lines"]

_PRINTERS = {"typst": typst, "latex": latex}
_SEEN: dict[tuple[str, sp.Basic, str], str] = {}  # (language, expression, text) read back and found equal


def _witnessed(expr, text: str, language: str) -> str:
    key = (language, sp.sympify(expr), text)
    if key not in _SEEN:
        _SEEN[key] = witnessed(expr, text, language)
    return text


def witnessed_typst(expr) -> str:
    """``typst(expr)``, read back by the Typst reader and found equal to ``expr`` (else
    :class:`PrinterError`)."""
    return _witnessed(expr, typst(expr), "typst")


def witnessed_latex(expr) -> str:
    """``latex(expr)``, read back by the LaTeX reader and found equal to ``expr`` (else
    :class:`PrinterError`)."""
    return _witnessed(expr, latex(expr), "latex")

def _sum_of_sums(expr: sp.Expr) -> sp.Expr:
    """A sum over a sum of terms shown as a sum of sums (the same value), so that a long one
    breaks between its terms."""
    return expr.replace(lambda e: isinstance(e, sp.Sum) and isinstance(e.function, sp.Add),
                        lambda e: sp.Add(*[sp.Sum(t, *e.limits) for t in e.function.args], evaluate=False))


def shown_lines(expr: sp.Expr, language: str) -> list[str]:
    """``expr`` in ``language`` ('typst' or 'latex') as lines that fit the column, broken at
    operators (:func:`._lines.break_lines`), the lines together read back and found equal to
    ``expr``."""
    out = break_lines(expr, language)
    if len(out) > 1 and (split := _sum_of_sums(expr)) != expr:
        out = break_lines(split, language)
    _witnessed(expr, " ".join(out), language)
    return out


def _prettify(text: str) -> str:
    """ASCII maths in prose made readable: Greek names, <=, >=, minus signs, squares."""
    text = text.replace("d2L/dz2", "∂²L/∂z²")
    text = re.sub(r"(?<![A-Za-z])dL/d(?=[A-Za-z])", "∂L/∂", text)
    text = re.sub(r"(?<![A-Za-z])dh'", "∂h′", text)
    text = re.sub(r"(∂h′\S*?)/dx", r"\1/∂x", text)
    for word, pretty in (("sigmoid(?=\\()", "σ"), ("sigma", "σ"), ("Sigma", "Σ"), ("delta", "δ"), ("omega", "ω"),
                         ("sum(?=_)", "Σ")):
        text = re.sub(rf"(?<![A-Za-z]){word}(?![A-Za-z])", pretty, text)
    for ascii_, pretty in (("^2", "²"), ("^T", "ᵀ"), ("<=", "≤"), (">=", "≥"), ("!=", "≠"), (" - ", " − "),
                           ("(1-", "(1 − "), (" in {", " ∈ {"), ("^-", "^−"), (" * ", " · ")):
        text = text.replace(ascii_, pretty)
    text = re.sub(r"(?<=[σh])'", "′", text)  # a derivative's prime, not a quotation mark
    return re.sub(r"(?<=[\s(])-(?=[\w(σ])", "−", text)


# a derivation's name (bce_dL_dz, sigmoid_derivative) or an identifier of code (pos_weight,
# padding_idx), set as a word, not maths such as sum_k, p_w or ghn_k
NAME = re.compile(r"\b([a-z][a-z0-9]{2,}(?:_[A-Za-z0-9]+){2,}|[a-z][a-z0-9]{4,}_[a-z]{4,}|[a-z]{2,}(?:_[a-z]{2,})+)\b")


def _scripts(markup: str) -> str:
    """x_k, W_ir, h_{t-1} as subscripts and e^-z, |G|^2 as superscripts, in escaped markup."""
    markup = re.sub(r"(?<=[A-Za-zσδωΣ′')|])\\_\{([^{}]+)\}", r"#sub[\1];", markup)
    markup = re.sub(r"(?<=[A-Za-zσδωΣ′')|])\\_([A-Za-z0-9]+)", r"#sub[\1];", markup)
    markup = re.sub(r"\^\{([^{}]+)\}", r"#super[\1];", markup)
    return re.sub(r"\^(−?[A-Za-z0-9]+)", r"#super[\1];", markup)


def typst_text(text: str) -> str:
    """Prose as Typst markup: special characters escaped, ASCII maths prettified (Greek
    letters, sub- and superscripts, minus signs), names of derivations in monospace."""
    pieces = NAME.split(text)
    return "".join(f'#raw("{p}");' if i % 2 else _scripts(re.sub(r"([\\#$*_@<>\[\]~`/])", r"\\\1", _prettify(p)))
                   for i, p in enumerate(pieces))


def latex_text(text: str) -> str:
    """Prose for LaTeX's ``\\text{...}``: special characters escaped, sigma as maths."""
    pieces = NAME.split(text)
    return "".join(r"\texttt{%s}" % _latex_escape(p) if i % 2 else _latex_maths(_latex_escape(p))
                   for i, p in enumerate(pieces))


def _latex_maths(text: str) -> str:
    """The prose's ASCII maths that LaTeX sets as maths: sigma, d2L/dz2 and dL/dz."""
    text = text.replace("d2L/dz2", r"$\partial^2 L/\partial z^2$")
    text = re.sub(r"\bdL/d([A-Za-z])(?=[\s=,.:;)]|$)", r"$\\partial L/\\partial \1$", text)
    return re.sub(r"\bsigma\b", r"$\\sigma$", text)


def _latex_escape(text: str) -> str:
    out = text
    for char, escaped in (("\\", r"\textbackslash{}"), ("{", r"\{"), ("}", r"\}"), ("_", r"\_"),
                          ("^", r"\^{}"), ("&", r"\&"), ("%", r"\%"), ("#", r"\#"), ("$", r"\$"),
                          ("~", r"\~{}")):
        out = out.replace(char, escaped)
    return out


def hypotheses(d) -> list:
    """What the derivation's statement assumes: each index range as a tuple (lo, index, hi),
    each hypothesis as its statement (text), and the free-text assumptions when nothing else
    states them."""
    items: list = [(lo, var, hi) for var, lo, hi in getattr(d, "ranges", ())]
    items += [h.statement for h in getattr(d, "hypotheses", ())]
    if d.assumptions and len(items) == 0:
        items.extend(part.strip() for part in d.assumptions.split(";") if part.strip())
    return items


@dataclass(frozen=True)
class TypstParts:
    """A derivation in Typst pieces: the left-hand side, each step's lines and rule, the
    abbreviations ('where' lines) and the hypotheses, all Typst maths or markup."""

    first: str
    steps: tuple[tuple[tuple[str, ...], str], ...]
    where: tuple[str, ...]
    hypotheses: tuple[str, ...]


def _hypothesis_typst(item) -> str:
    if isinstance(item, tuple):
        lo, var, hi = (witnessed_typst(e) for e in item)
        return f"${lo} <= {var} <= {hi}$"
    return f"${witnessed_typst(item)}$" if isinstance(item, sp.Basic) else typst_text(str(item))


def hypothesis_latex(item) -> str:
    """One item of :func:`hypotheses` as LaTeX text (maths in $...$)."""
    if isinstance(item, tuple):
        lo, var, hi = (witnessed_latex(e) for e in item)
        return f"${lo} \\le {var} \\le {hi}$"
    return f"${witnessed_latex(item)}$" if isinstance(item, sp.Basic) else latex_text(str(item))


def typst_parts(d) -> TypstParts:
    """The pieces of ``d`` the report lays out, each formula read back (:func:`witnessed_typst`)."""
    steps = tuple((tuple(shown_lines(d.shown(s.after), "typst")), typst_text(s.rule)) for s in d.steps)
    where = tuple(f"{witnessed_typst(sym)} = {witnessed_typst(d.definition(full))}" for full, sym in d.abbreviations)
    first = shown_lines(d.shown(d.steps[0].before), "typst")
    first_text = first[0] if len(first) == 1 else " \\ ".join(("& " if n == 0 else "& quad ") + line
                                                                 for n, line in enumerate(first))
    return TypstParts(first_text, steps, where,
                      tuple(_hypothesis_typst(h) for h in hypotheses(d)))


def typst_equation(d) -> str:
    """``d`` as one Typst block equation: the chain, each rule in words under its step."""
    first = shown_lines(d.shown(d.steps[0].before), "typst")
    rows = [("& " if n == 0 else "& quad ") + line for n, line in enumerate(first)]
    for step in d.steps:
        for number, line in enumerate(shown_lines(d.shown(step.after), "typst")):
            rows.append(f"& quad {'= ' if number == 0 else 'quad '}{line}")
        rows.append(f'& #h(3em) #text(size: 0.8em)[{typst_text(step.rule)}]')
    rows += [f'& "where" {witnessed_typst(sym)} = {witnessed_typst(d.definition(full))}'
             for full, sym in d.abbreviations]
    return "#align(left, $\n  " + " \\\n  ".join(rows) + "\n$)"


def prose_latex(text: str, small: bool = False) -> str:
    """A sentence inside an ``align*`` row, wrapped to the column (a ``\\text`` never wraps: a
    long rule or assumption ran off the page of the kit's article and out of a beamer frame)."""
    return "\\parbox[t]{0.8\\linewidth}{\\raggedright%s %s}" % ("\\small" if small else "", text)


def latex_align(d) -> str:
    """``d`` as an amsmath ``align*`` environment, each rule in words under its step, each
    formula read back (:func:`witnessed_latex`)."""
    first = shown_lines(d.shown(d.steps[0].before), "latex")
    rows = [("& " if n == 0 else "&\\quad ") + line for n, line in enumerate(first)]
    for step in d.steps:
        for number, line in enumerate(shown_lines(d.shown(step.after), "latex")):
            rows.append("&\\quad " + ("= " if number == 0 else "\\quad ") + line)
        rows.append(f"&\\qquad{prose_latex(latex_text(step.rule), small=True)}")
    rows += [f"&\\text{{where }} {witnessed_latex(sym)} = {witnessed_latex(d.definition(full))}"
             for full, sym in d.abbreviations]
    return "\\begin{align*}\n  " + " \\\\\n  ".join(rows) + "\n\\end{align*}"
