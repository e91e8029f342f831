"""Slides for the lecture: ``slides.typ`` (16:9, one idea per slide, no text below 20 pt).

The question, the asker's two-sample example, Figure 1, Figures 2 and 3, Figure 6 and Figure 7's
conclusion, each slide built from the same computed values as the report (the lesson's
:class:`TwoSamples`, the figures' key numbers and titles) and every sentence said only when its
predicate holds on them, as in the report.  The figures are the slide versions
(:func:`~gradproof.reports._figures.draw_for_slides`: every text at least 20 pt at the size they are
shown).  The source imports nothing: it compiles alone, beside ``figures/slides/`` and ``fonts/``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .._figure_data import FigureData, counted
from ._lesson import SIMILAR, budget_comparison, num
from ._pages import figure_alt_text, string

if TYPE_CHECKING:
    from .._experiments import TwoSamples

__all__ = ["slides_source", "SLIDE_FIGURES"]

SLIDE_FIGURES = ("f1", "f2", "f3", "f6")  # drawn again for the slides, into figures/slides/

STYLE = """#set document(date: none,
  title: "How one scalar loss rewards the right samples and punishes the wrong ones (gradproof slides)")
#set page(paper: "presentation-16-9", margin: (x: 1.2cm, top: 0.8cm, bottom: 1.3cm))
#set text(font: "New Computer Modern", size: 22pt, lang: "en")
#show math.equation: set text(font: "New Computer Modern Math")
#set par(justify: false, leading: 0.55em)
#show heading.where(level: 1): set text(size: 30pt)
#show heading.where(level: 2): set text(size: 26pt)
#show heading: set block(below: 0.4em)
#set table(inset: (x: 0.45em, y: 0.3em), stroke: none)
#let slide(body) = { pagebreak(weak: true); body }
#let picture(path, alt) = align(center, image(path, alt: alt))
"""


def _question() -> str:
    return """#slide[
== The question
A beginner trains a GRU classifier with mini-batches of BCE loss:

+ *One scalar.* The loss merges every sample into one number. With one neuron, a positive weight,
  sample 0 right and sample 1 wrong in one batch: how can one scalar reward the right sample and
  punish the wrong one?
+ *Batch size.* Batch size 1 trained as well as larger batches, only slower. Why, and when not?
]
"""


def _two_samples(t: TwoSamples) -> str:
    rows = "\n".join(
        f"  [{label}], [{num(t.x[i])}], [{num(t.y[i])}], [{num(t.p[i])}], [{num(t.residual[i])}], [{num(t.grad[i])}],"
        for i, label in enumerate(("sample 0, right", "sample 1, wrong")))
    pulls = ("they pull $w$ in opposite directions" if t.pulls_oppose else "they pull $w$ the same way")
    size = ("the wrong one harder" if t.right_pulls_less else "the right one at least as hard")
    moved = f"$w$: {num(t.w)} → {num(t.w_after)}"
    after = (f"margins after one step: {num(t.margin[0])} → {num(t.margin_after[0])}"
             + (" (still right)" if t.right_stays_right else " (now wrong)")
             + f", {num(t.margin[1])} → {num(t.margin_after[1])}" + (" (less wrong)" if t.wrong_improves else ""))
    return f"""#slide[
== Two samples, one batch, one scalar
$z = w x$, $w = {num(t.w)}$; each sample's gradient is $(sigma(z) - y) x$:
#table(columns: 6, align: right,
  [], [$x$], [$y$], [$sigma(z)$], [$r = sigma(z) - y$], [$g = r x$],
{rows}
)
The batch gradient is their mean, {num(t.batch_grad)}: {pulls}, {size}; one step of rate {num(t.rate)} moves {moved}.

{after}: one scalar, two corrections.
]
"""


def _figure_slide(data: FigureData, image: str, headline: str) -> str:
    return f"""#slide[
== {data.title}
{headline}
#picture({string(image)}, {string(figure_alt_text(data))})
]
"""


def _f1_line(keys: Mapping) -> str:
    at2, at6 = keys.get("bce_abs_grad_at_margin_2"), keys.get("bce_abs_grad_at_margin_-6")
    if at2 is None or at6 is None:
        return "$abs(partial L \\/ partial z) = abs(sigma(z) - y) = sigma(-m)$, the margin $m = (2y - 1) z$"
    return (f"$abs(partial L \\/ partial z) = sigma(-m)$: {at2} at $m = 2$ (right), {at6} at $m = -6$ "
            f"(confidently wrong)")


def _f2_line(keys: Mapping) -> str:
    if not {"mean_norm_wrong", "mean_norm_correct", "wrong_count", "batch_size"} <= set(keys):
        return "Per-sample gradient norm against the predicted probability, one batch."
    wrong = counted(keys["wrong_count"], "misclassified sample")
    return (f"Mean gradient norm: {keys['mean_norm_wrong']} for the {wrong}, "
            f"{keys['mean_norm_correct']} for the {keys['batch_size'] - keys['wrong_count']} correct ones.")


def _f3_line(keys: Mapping) -> str:
    if not {"wrong_count", "batch_size", "wrong_share", "wrong_fraction"} <= set(keys):
        return "Each sample's part of the batch's gradient magnitude."
    more = ("more than their number" if keys["wrong_share"] > keys["wrong_fraction"]
            else "not more than their number")
    return (f"{counted(keys['wrong_count'], 'sample')} of {keys['batch_size']} misclassified "
            f"({100 * keys['wrong_fraction']:.0f}%) carry {100 * keys['wrong_share']:.0f}% of the gradient: {more}.")


def _f6_line(keys: Mapping) -> str:
    if not {"noise_scale", "min_measured_over_predicted", "max_measured_over_predicted"} <= set(keys):
        return "Variance of the mini-batch gradient against $tr(Sigma) \\/ B$."
    low, high = keys["min_measured_over_predicted"], keys["max_measured_over_predicted"]
    law = ("The noise falls as $1 \\/ B$" if 0.8 <= low and high <= 1.25
           else "The noise follows $1 \\/ B$ only roughly")
    return (f"{law} (measured over predicted {num(low)} to {num(high)}); the gradient noise scale is "
            f"{num(keys['noise_scale'])}: the batch size at which noise and gradient are of one size.")


def _batch_size_slide(f7: Mapping) -> str:
    cells, epochs = [], []
    for model, name in (("logreg", "logistic regression"), ("gru", "GRU classifier")):
        for budget in ("equal_epochs", "equal_updates"):
            row = [f"[{name}, {budget.replace('_', ' ')}]"]
            for rule in ("held", "scaled"):
                verdict = budget_comparison(f7, model, budget, rule)
                small, large = (f7.get(f"{model}_{budget}_{rule}_B{b}_final_loss") for b in (1, 128))
                row.append(f"[{verdict}: {small} vs {large}]" if verdict else "[—]")
                if budget == "equal_epochs" and verdict:
                    epochs.append(verdict)
            cells.append(", ".join(row) + ",")
    if not epochs:
        return ""
    if all(v in ("similar", "B = 1 lower") for v in epochs):
        found = "With as many samples seen, B = 1 did as well or better: more, noisier steps."
    else:
        found = "B = 1 does not always match: where it loses, its noise costs more than its extra steps gain."
    rows = "\n".join(cells)
    return f"""#slide[
== Batch size 1 against 128: what this run shows
Final full-data loss, B = 1 vs B = 128 ("similar": within {SIMILAR}):
#table(columns: 3, align: (left, left, left),
  [], [*rate held*], [*rate scaled with B*],
{rows}
)
{found}
]
"""


def slides_source(*, two: TwoSamples, figures: Sequence[FigureData], images: Mapping[str, str],
                  footer: str) -> str:
    """The slides as Typst source; ``images`` maps a figure's name to its slide image."""
    by_key = {f.name.split("-")[0]: f for f in figures}
    keys = {k: f.key_numbers for k, f in by_key.items()}
    out = [STYLE, f"#set page(footer: align(right, text(size: 20pt, fill: luma(90))[{footer}]))\n",
           """#align(horizon)[
= How one scalar loss rewards the right samples and punishes the wrong ones
#text(size: 24pt)[Binary cross-entropy gradients, proved, confirmed and shown]
]
""", _question(), _two_samples(two)]
    lines = {"f1": _f1_line, "f2": _f2_line, "f3": _f3_line, "f6": _f6_line}
    for key in SLIDE_FIGURES:
        if key in by_key:
            out.append(_figure_slide(by_key[key], images[by_key[key].name], lines[key](keys[key])))
    out.append(_batch_size_slide(keys.get("f7", {})))
    return "\n".join(out)
