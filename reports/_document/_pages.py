"""The report as a Typst document: title page with the reproducibility stamp, the question
and its answer, the derivations (rendered from the ``symbolic`` objects, each step
re-verified in this run), the verification table, the batch statistics and the figures.

Every function returns Typst markup; :func:`document` joins them into ``report.typ``,
which imports the look from ``gradproof.typ``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gradproof import symbolic

from .._figure_data import FigureData, counted

if TYPE_CHECKING:  # not imported at run time: gradproof loss uses this package without torch
    from gradproof.numeric import CheckResult
from . import _caption
from ._lesson import QUESTION, batch_size_answer, lesson_section
from ._tables import check_count

__all__ = ["DerivationCheck", "LossSection", "check_derivations", "document", "STYLE"]

STYLE = Path(__file__).with_name("gradproof.typ")  # the look, imported by report.typ


def esc(text: str) -> str:
    """Plain text as Typst markup."""
    return re.sub(r"([\\#$*_@<>\[\]~`/])", r"\\\1", str(text))


def string(text: str) -> str:
    """Text as a Typst string literal."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


class LossSection(str):
    """The Typst of one ``--loss`` section, which knows the loss it is about (for the stamp)."""

    loss_name: str

    def __new__(cls, text: str, loss_name: str) -> LossSection:
        section = super().__new__(cls, text)
        section.loss_name = loss_name
        return section


@dataclass(frozen=True)
class DerivationCheck:
    """One derivation's re-check in this run: the chain's links, each step, each fact."""

    derivation: symbolic.Derivation
    linked: bool
    steps: tuple[bool, ...]
    facts: tuple[bool, ...]

    @property
    def verified(self) -> bool:
        return self.linked and all(self.steps) and all(self.facts)


def check_derivations() -> list[DerivationCheck]:
    """Re-check every catalog derivation from scratch."""
    return [DerivationCheck(d, d.chain_is_linked(), tuple(d.step_checks()), tuple(f.holds() for f in d.facts))
            for d in symbolic.catalog().values()]


def title_page(stamp: Mapping[str, str]) -> str:
    rows = ", ".join(f"[{esc(k)}], [{esc(v)}]" for k, v in stamp.items())
    command = "gradproof report --seed " + esc(stamp.get("seed", "0"))
    command += "".join(f" --loss {esc(spec)}" for spec in stamp.get("loss", "").split("; ") if spec)
    return f"""
#set par(justify: false)
#v(3cm)
#[#show heading: set text(size: 30pt)
#show heading: set block(above: 0pt, below: 0.4cm)
#heading(level: 1, outlined: false)[gradproof]]
#text(size: 16pt)[How one scalar loss rewards the right samples and punishes the wrong ones]
#v(0.2cm)
#text(size: 12pt, fill: luma(80))[Binary cross-entropy gradients, proved, confirmed and shown]
#v(2cm)
== Reproducibility stamp
#table(columns: (auto, 1fr), stroke: none, inset: (x: 0pt, y: 3pt), column-gutter: 1.5em,
  {rows})
#v(0.8cm)
#set par(justify: true)
Every derivation in this report was re-checked step by step by SymPy while the report was written;
every closed form was compared with torch autograd and with finite differences; every number
quoted in a caption is read from the data behind its figure (`figures/*.csv`, `manifest.json`).
The same command (`{command}`, with the data above) and versions give the same files, byte for
byte. `report.typ` beside this PDF is its source: edit it and run
```
typst compile --ignore-system-fonts --font-path fonts --pdf-standard ua-1 report.typ
```
to typeset it again (with Typst's own fonts and the figures' fonts in `fonts/`, as gradproof typesets
it: unedited, the same bytes). The PDF carries no date. It is PDF/UA-1: every figure and every formula has
alternative text, the formulas' read from the formula as printed.
"""


def _two_samples():
    """The lesson's numbers (imported here: ``_experiments`` imports numeric, hence torch, which
    ``gradproof loss`` keeps out of its first process)."""
    from .._experiments import two_samples

    return two_samples()


def question_section(keys: Mapping[str, Mapping]) -> str:
    f1, f3 = keys.get("f1", {}), keys.get("f3", {})
    return f"""
#pagebreak()
{QUESTION}
{lesson_section(_two_samples())}
= The answer
The scalar is never used as a number: only its gradient is. With logit $z = w dot x + b$ the
gradient of one sample's loss is $(partial L) / (partial w) = (sigma(z) - y) x$, and the gradient
of the batch's mean loss is the mean of these per-sample gradients (derivations `logreg_dL_dw` and
`batch_mean_gradient`). Each sample pulls the weights with its own residual $r = sigma(z) - y$,
whose size is $abs(r) = sigma(-m)$ for the signed margin $m = (2y - 1) z$: about
{esc(f1.get('bce_abs_grad_at_margin_2', '?'))} for a sample on the right side at $m = 2$, $0.5$ on the
boundary, {esc(f1.get('bce_abs_grad_at_margin_-6', '?'))} at $m = -6$ for a confidently wrong one
(@fig-f1, derivation `residual_margin`). The mean therefore carries every sample's correction,
weighted by how wrong that sample is; a right sample contributes little, and its residual has the
sign that pushes it further to the right side.

{batch_sentence(f3)}
@fig-f4 follows that share through training for logistic regression
and for a GRU classifier, and @fig-f5 shows the same picture at the GRU's head, whose gradient
$(sigma(z) - y) h_T$ flows back through time into every GRU weight.

Squared error on the sigmoid output would not do this: its gradient
$(sigma(z) - y) sigma(z) (1 - sigma(z))$ vanishes for confidently wrong samples (@fig-f1, dashed).
{batch_size_answer(keys.get("f6", {}), keys.get("f7", {}))}"""


SHARE = 'frac(sum_("wrong" i) norm(g_i), sum_i norm(g_i))'  # the misclassified share, as Typst maths


def batch_sentence(f3: Mapping) -> str:
    """What one batch shows about the misclassified samples, said only as far as it holds:
    they carry more than their number only when their share exceeds their fraction."""
    if not {"wrong_count", "batch_size", "wrong_share", "wrong_fraction"} <= set(f3):
        return ""
    wrong, size, share, fraction = f3["wrong_count"], f3["batch_size"], f3["wrong_share"], f3["wrong_fraction"]
    shown = (f"In one batch of the data (@fig-f2 and @fig-f3), {counted(wrong, 'sample')} of {size} "
             f"{'is' if wrong == 1 else 'are'} misclassified ({100 * fraction:.0f}% of the batch) and "
             f"{'carries' if wrong == 1 else 'carry'} {100 * share:.0f}% of the per-sample gradient magnitude, "
             f"${SHARE}$ (the misclassified share; see #link(<notation>)[Notation])")
    if wrong == 0:
        return shown + "."
    if share > fraction:
        return shown + ": the misclassified samples weigh in more than their number."
    return shown + ": here they do not weigh in more than their number."


def notation_section() -> str:
    """One table of the symbols every page, caption and kit file uses."""
    rows = [
        ("$z = w dot x + b$", "the logit of a sample (the model's output before the sigmoid)"),
        ("$sigma(z) = 1 \\/ (1 + e^(-z))$", "the predicted probability"),
        ("$r = sigma(z) - y$", "the residual: $partial L \\/ partial z$ of binary cross-entropy"),
        ("$m = (2y - 1) z$", "the signed margin; a sample is misclassified when $m <= 0$"),
        ("$g_i$", "the per-sample gradient of sample $i$'s loss in all parameters, $(w, b)$ for logistic "
                  "regression"),
        ("$G_B = frac(1, B) sum_(i in \"batch\") g_i$", "the gradient of one mini-batch's mean loss"),
        ("$G = frac(1, N) sum_(i = 1)^N g_i$", "the full-data gradient, over all $N$ samples"),
        (f"${SHARE}$", "the misclassified share: the part of the per-sample gradient magnitude that the "
                       "misclassified samples carry (in a batch or in the whole data)"),
        ("$tr(Sigma) = frac(1, N) sum_i norm(g_i - G)^2$", "the trace of the per-sample gradient covariance"),
        ('$B_"simple" = tr(Sigma) \\/ norm(G)^2$', "the gradient noise scale (McCandlish et al. 2018 [1])"),
    ]
    cells = ",\n  ".join(f"[{a}], [{b}]" for a, b in rows)
    return f"""
= Notation <notation>
#table(columns: (auto, 1fr), stroke: none, inset: (x: 0pt, y: 3pt), column-gutter: 1.5em,
  {cells})
"""


REFERENCES = """
= References
[1] S. McCandlish, J. Kaplan, D. Amodei and the OpenAI Dota Team (2018). _An Empirical Model of
Large-Batch Training._ arXiv:1812.06162.
"""


def _mark(ok: bool) -> str:
    return "#verified" if ok else "#not-verified"


def derivation_block(check: DerivationCheck, previous: symbolic.Derivation | None = None) -> str:
    """One derivation; abbreviations shared with ``previous`` are referred to, not repeated."""
    d = check.derivation
    parts = symbolic.printing.typst_parts(d)
    out = [f"== {symbolic.printing.typst_text(d.title)} #h(0.4em) #text(size: 9pt, weight: \"regular\")[`{d.name}`] "
           f"<deriv-{d.name}>"]
    if d.statement:
        out.append(f"{symbolic.printing.typst_text(d.statement)}")
    if parts.hypotheses:
        out.append("_Hypotheses:_ " + "; ".join(parts.hypotheses) + ".")
    steps = []
    for (rhs_lines, rule), ok in zip(parts.steps, check.steps):
        rhs = " \\ ".join(("& = " if n == 0 else "& quad ") + line for n, line in enumerate(rhs_lines))
        steps.append(f"(rhs: $ {rhs} $, rule: [{rule}], mark: [{_mark(ok)}])")
    out.append(f"#derivation($ {parts.first} $, ({', '.join(steps)},))")
    if parts.where and previous is not None and previous.abbreviations == d.abbreviations:
        names = ", ".join(f"${symbolic.printing.witnessed_typst(symbol)}$" for _, symbol in d.abbreviations)
        out.append(f"where {names} are as above.")
    elif parts.where:
        out.append("#where(" + ", ".join(f"$ {w} $" for w in parts.where) + ")")
    for fact, ok in zip(d.facts, check.facts):
        out.append(f"_Fact:_ {symbolic.printing.typst_text(fact.statement)} #h(0.5em) {_mark(ok)}")
    if not check.linked:
        out.append("#not-verified: the steps do not form one chain from the left-hand side to the result.")
    # breakable: a derivation longer than what is left of a page goes on over the next one, between
    # its steps or its where-lines (its heading stays with what follows it), rather than leave a gap
    return "#block(breakable: true, width: 100%)[\n" + "\n\n".join(out) + "\n]"


def derivations_section(checks: Sequence[DerivationCheck]) -> str:
    intro = ("= Derivations\nEach derivation is a chain of equalities, one step per line; the rule that "
             "justifies a step and the mark of its re-check by SymPy in this run stand under it. "
             "Indices run over $0 <= k < n$ features, $0 <= i < B$ samples and $0 <= k, q < H$ hidden "
             "units; $sigma(z) = 1 \\/ (1 + e^(-z))$.")
    previous = [None] + [c.derivation for c in checks[:-1]]
    blocks = [derivation_block(c, p) for c, p in zip(checks, previous)]
    return "\n\n".join([intro] + blocks)


def _sci(value: float) -> str:
    if value != value:  # nan
        return "–"
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"${mantissa} dot 10^({int(exponent)})$"


def _status(r: CheckResult) -> str:
    return "*failed*" if r.status == "failed" else r.status


def verification_section(results: Sequence[CheckResult]) -> str:
    rows, notes = [], []
    for r in results:
        name = esc(r.name)
        if r.note:
            notes.append(r.note)
            name += f"#super[{len(notes)}]"
        rows.append(", ".join(f"[{cell}]" for cell in (
            name, esc(r.dtype), _sci(r.max_abs_error), _sci(r.atol), _sci(r.max_rel_error), _sci(r.rtol),
            r.share_text(missing="–", small="< 1%"), _status(r))))
    devices = ", ".join(sorted({r.device for r in results}))
    note_lines = "\n".join(f"+ {esc(n)}" for n in notes)
    return f"""
= Verification: three witnesses
Closed forms against code generated from the SymPy results, torch autograd of `nn.BCEWithLogitsLoss`
and `nn.BCELoss`, `torch.func` per-sample gradients and central finite differences in float64, on
{esc(devices)}. A check compares every entry $a$ of the closed form with the reference $b$ and passes
when $abs(a - b) <= "atol" + "rtol" dot abs(b)$ holds for every entry. The column _used_ is the
largest share of that bound taken by any entry: a row passes when it is at most 100%. A row whose
largest relative error exceeds rtol still passes when the entries with that error have a tiny
reference $abs(b)$, where atol bounds the difference. _Explained_ marks a known departure whose size
its note gives.

#set text(size: 9pt)  // readable: the issue's floor for a table
#table(columns: (1fr, auto, auto, auto, auto, auto, auto, auto), stroke: none, inset: (x: 3pt, y: 2.2pt),
  align: (left, left, right, right, right, right, right, left),
  table.header([*check*], [*dtype*], [*max abs*], [*atol*], [*max rel*], [*rtol*], [*used*], [*status*]),
  table.hline(stroke: 0.5pt),
  {(',' + chr(10) + '  ').join(rows)},
  table.hline(stroke: 0.5pt))
#set text(size: 10.5pt)
{note_lines}

*{check_count(results)}*
"""



def _value(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return esc(value)


# each quantity of the statistics table (the manifest's names, after the model) in maths
QUANTITIES = {
    "samples N": "samples $N$",
    "misclassified, signed margin (2y - 1) z <= 0": "misclassified ($m = (2y - 1) z <= 0$)",
    "misclassified fraction": "misclassified fraction",
    "misclassified share, sum_wrong |g_i| / sum |g_i|": f"misclassified share ${SHARE}$",
    "|G|, G = (1/N) sum g_i": "$norm(G)$, $G = frac(1, N) sum_i g_i$",
    "tr(Sigma) = (1/N) sum |g_i - G|^2": "$tr(Sigma) = frac(1, N) sum_i norm(g_i - G)^2$",
    "B_simple = tr(Sigma)/|G|^2": '$B_"simple" = tr(Sigma) \\/ norm(G)^2$',
    "misclassified": "misclassified ($m <= 0$)",
}


def _statistics_rows(stats: Mapping[str, object], source: str) -> str:
    """The table's rows, grouped under a line that says which model and which data they are
    about; each quantity in maths."""
    models = {"logistic regression": f"Logistic regression on {esc(source) or 'the data'}",
              "GRU head": "GRU classifier's head (synthetic sequences, not the data above)",
              "whole GRU": "Whole GRU classifier, every parameter (synthetic sequences)",
              "GRU misclassified": "GRU classifier (synthetic sequences)"}
    rows, current = [], None
    for name, value in stats.items():
        model, _, quantity = name.partition(": ")
        if not quantity:
            model, quantity = name, name.removeprefix("GRU ")
        if model != current:
            rows.append(f"table.cell(colspan: 2, inset: (top: 6pt, bottom: 2pt))[_{models.get(model, esc(model))}_]")
            current = model
        label = QUANTITIES.get(quantity, symbolic.printing.typst_text(quantity))
        rows.append(f"[#h(1em){label}], [{_value(value)}]")
    return ",\n  ".join(rows)


def statistics_section(keys: Mapping[str, Mapping], stats: Mapping[str, object], source: str = "") -> str:
    f6 = keys.get("f6", {})
    rows = _statistics_rows(stats, source)
    return f"""
= Batch statistics: what the one scalar estimates
The mean loss of a random mini-batch is an unbiased estimate of the mean loss over the data, and so
is its gradient: $E[G_B] = G$. Its noise is measured by the trace of the per-sample gradient
covariance, $E norm(G_B - G)^2 = "tr"(Sigma) \\/ B$ (@fig-f6), so one sample ($B = 1$) gives an
unbiased but $B$ times noisier direction than a batch of $B$. The gradient noise scale
$B_"simple" = "tr"(Sigma) \\/ norm(G)^2$ (McCandlish et al. 2018 [1]) is the batch size at which noise
and signal are comparable: far below it, larger batches help almost linearly; far above it, they
waste samples.

Statistics over the whole data set (so $G$ here is the full-data gradient, see #link(<notation>)[Notation]),
for the fitted logistic regression (mergeable sums, `numeric.logreg_moments`) and the trained GRU classifier
(closed-form per-sample gradients, `numeric.gru_per_sample_grads`); a line in italics says which model and
which data the rows under it are about:

#block(breakable: true, table(columns: (auto, auto), stroke: none, inset: (x: 0pt, y: 3pt),
  column-gutter: 2em, align: (left, right),
  {rows}))

Measured over predicted variance across $B = 1, ..., 1024$: between
{esc(f6.get('min_measured_over_predicted', '?'))} and {esc(f6.get('max_measured_over_predicted', '?'))}.
@fig-f7 trains with $B = 1$ and with $B = 8, 32, 128$, at equal epochs and at equal numbers of
updates, with the learning rate held or scaled with $B$: it shows when $B = 1$ and larger batches
give similar results and when they do not.
"""


def figure_alt_text(data: FigureData) -> str:
    """What a figure shows in this run, for a reader who cannot see it: its title and its
    caption (every number in it computed from the figure's data), the formulas in words."""
    return f"Chart: {data.title}. {_caption.spoken(data.caption)}"


def figure_block(data: FigureData, image: str) -> str:
    key = data.name.split("-")[0]
    return (f"#figure(plot({string(image)}, {string(figure_alt_text(data))}),\n"
            f"  caption: [*{esc(data.title)}.* {_caption.typst(data.caption)}]) <fig-{key}>")


def with_figures(lesson: str, figures: Sequence[FigureData], images: Mapping[str, str]) -> str:
    """The lesson with each figure after the paragraph that first refers to it (``@fig-f1``), the
    others at its end. The figures float (gradproof.typ): the text fills the page around them, and
    every one is placed before the lesson ends (``place.flush``)."""
    paragraphs = lesson.split("\n\n")
    after: dict[int, list[str]] = {}
    for data in figures:
        key = data.name.split("-")[0]
        where = next((i for i, p in enumerate(paragraphs) if f"@fig-{key}" in p), len(paragraphs) - 1)
        after.setdefault(where, []).append(figure_block(data, images[data.name]))
    out = []
    for i, paragraph in enumerate(paragraphs):
        out += [paragraph, *after.get(i, [])]
    return "\n\n".join(out) + "\n\n#place.flush()\n"


def link_derivations(markup: str, names: Sequence[str]) -> str:
    """Each derivation the lesson names (`` `name` `` in prose, ``na\\_me`` in a caption) made a
    link to where the reference part proves it."""
    for name in sorted(names, key=len, reverse=True):
        markup = markup.replace(f"`{name}`", f"#link(<deriv-{name}>)[`{name}`]")
        escaped = name.replace("_", "\\_")
        link = f"#link(<deriv-{name}>)[{escaped}]".replace("\\", "\\\\")  # a replacement, not a function
        markup = re.sub(rf"(?<![\w\\]){re.escape(escaped)}(?![\w\\])", link, markup)
    return markup


def document(*, footer: str, stamp: Mapping[str, str], figures: Sequence[FigureData],
             images: Mapping[str, str], stats: Mapping[str, object], checks: Sequence[DerivationCheck],
             results: Sequence[CheckResult], loss_sections: Sequence[str] = ()) -> str:
    """The whole report as Typst source (``loss_sections``, from ``report --loss``, follow the derivations)."""
    keys = {f.name.split("-")[0]: f.key_numbers for f in figures}
    losses = [section.loss_name for section in loss_sections if isinstance(section, LossSection)]
    if losses and "loss" not in stamp:
        stamp = {**stamp, "loss": "; ".join(losses)}
    names = [c.derivation.name for c in checks]
    lesson = link_derivations(with_figures(question_section(keys), figures, images), names)
    body = [title_page(stamp), lesson, "#pagebreak()\n" + notation_section(), derivations_section(checks),
            *loss_sections, verification_section(results), statistics_section(keys, stats, stamp.get("data", "")),
            REFERENCES]
    return (f'#import "gradproof.typ": *\n#show: report.with(footer: {string(footer)})\n'
            + "\n".join(body) + "\n")
