"""The report's text pages: title and reproducibility stamp, the question and its answer,
the derivations (rendered from the ``symbolic`` objects, each step re-verified in this
run), the verification table and the figure pages."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import sympy as sp
from matplotlib.backends.backend_pdf import PdfPages

import symbolic
from numeric import CheckResult

from ._experiments import FigureData
from ._figures import draw
from ._layout import LEFT, LINE, PageWriter
from ._style import A4

__all__ = ["title_page", "question_page", "derivation_pages", "verification_pages", "figure_page",
           "batch_statistics_page"]


def title_page(writer: PageWriter, stamp: dict) -> None:
    writer.new_page()
    writer.space(8)
    writer.text("gradproof", size=28, weight="bold")
    writer.space(1)
    writer.text("How one scalar loss rewards the right samples and punishes the wrong ones", size=15)
    writer.text("Binary cross-entropy gradients, proved, confirmed and shown", size=12, color="0.3")
    writer.space(4)
    writer.text("Reproducibility stamp", size=12, weight="bold")
    for key, value in stamp.items():
        writer.text(f"{key:<22}{value}", size=10, family="DejaVu Sans Mono")
    writer.space(2)
    writer.text("Every derivation in this report was re-checked step by step by SymPy while it was "
                "written, every closed form was compared with torch autograd and with finite "
                "differences, and every number quoted in a caption is read from the data behind the "
                "figure (figures/*.csv, manifest.json). The same seed and versions give the same file, "
                "byte for byte.", size=10)


def question_page(writer: PageWriter, figures: list[FigureData], batch_text: str) -> None:
    keys = {f.name.split("-")[0]: f.key_numbers for f in figures}
    writer.new_page()
    writer.text("The question", size=16, weight="bold")
    writer.space(0.5)
    writer.text("A GRU binary classifier is trained with mini-batches. nn.BCELoss merges every sample's "
                "loss into one scalar, the mean over the batch. How can one scalar reward the sample the "
                "network got right and punish the one it got wrong?")
    writer.space(1)
    writer.text("The answer", size=16, weight="bold")
    writer.space(0.5)
    f1, f3 = keys.get("f1", {}), keys.get("f3", {})
    writer.text(
        "The scalar is never used as a number: only its gradient is. With logit z = w.x + b the BCE "
        "gradient of one sample is dL/dw = (sigmoid(z) - y) x, and the gradient of the batch's mean "
        "loss is the mean of these per-sample gradients (derivations logreg_dL_dw and "
        "batch_mean_gradient). Each sample pulls the weights with its own residual r = sigmoid(z) - y, "
        f"whose size is sigmoid(-m) for the signed margin m = (2y - 1) z: about "
        f"{f1.get('bce_abs_grad_at_margin_2', '?')} for a sample on the right side at m = 2, 0.5 on the "
        f"boundary, {f1.get('bce_abs_grad_at_margin_-6', '?')} for a confidently wrong one at m = -6 "
        "(Figure 1, derivation residual_margin). The mean therefore carries every sample's correction, "
        "weighted by how wrong that sample is; a right sample contributes little, and its residual "
        "has the sign that pushes it further to the right side.")
    writer.space(0.5)
    writer.text(
        f"In a real batch (Figures 2 and 3) the misclassified samples have the large gradients: "
        f"{f3.get('wrong_count', '?')} of {f3.get('batch_size', '?')} samples supply "
        f"{100 * f3.get('wrong_share', float('nan')):.0f}% of the batch gradient's pull. "
        "Figure 4 follows that share through training for logistic regression and for a GRU "
        "classifier, and Figure 5 shows the same picture at the GRU's head, whose gradient "
        "(sigmoid(z) - y) h_T flows back through time into every GRU weight.")
    if batch_text:
        writer.space(0.5)
        writer.text(batch_text)
    writer.space(0.5)
    writer.text("Squared error on the sigmoid output would not do this: its gradient "
                "(s - y) s (1 - s) vanishes for confidently wrong samples (Figure 1, dashed).")


def batch_statistics_page(writer: PageWriter, figures: list[FigureData], stats: dict) -> None:
    """The second half of the question: what one scalar of a mini-batch estimates."""
    keys = {f.name.split("-")[0]: f.key_numbers for f in figures}
    f6 = keys.get("f6", {})
    writer.new_page()
    writer.text("Batch statistics: what the one scalar estimates", size=16, weight="bold")
    writer.space(0.5)
    writer.text(
        "The mean loss of a random mini-batch is an unbiased estimate of the mean loss over the data, "
        "and so is its gradient: E[G_B] = G. Its noise is measured by the trace of the per-sample "
        "gradient covariance, E||G_B - G||^2 = tr(Sigma)/B (Figure 6), so one sample (B = 1) gives an "
        "unbiased but B times noisier direction than a batch of B. The gradient noise scale "
        "B_simple = tr(Sigma)/|G|^2 (McCandlish et al. 2018) is the batch size at which noise and signal "
        "are comparable: far below it, larger batches help almost linearly; far above it, they "
        "waste samples.")
    writer.space(0.5)
    writer.text("Statistics over the whole data set: the fitted logistic regression (mergeable sums, "
                "numeric.logreg_moments) and the trained GRU classifier (closed-form per-sample "
                "gradients, numeric.gru_per_sample_grads):", weight="bold")
    width = max(len(name) for name in stats) + 2
    for name, value in stats.items():
        writer.text(f"{name:<{width}}{value}", family="DejaVu Sans Mono", size=9)
    writer.space(0.5)
    writer.text(
        f"Measured over predicted variance across B = 1 ... 1024: between "
        f"{f6.get('min_measured_over_predicted', '?')} and {f6.get('max_measured_over_predicted', '?')}. "
        "Figure 7 trains with B = 1 and with B = 8, 32, 128, at equal epochs and at equal numbers of "
        "updates, with the learning rate held or scaled with B: it shows when B = 1 and larger "
        "batches give similar results and when they do not.")


def _latex(expr: sp.Expr) -> str:
    """LaTeX for mathtext, with full-size fractions."""
    return sp.latex(expr).replace(r"\frac", r"\dfrac")


def _pieces(expr: sp.Expr, prefix: str) -> list[str]:
    """``prefix expr`` as pieces at which a long line may break: the terms of a sum, with a sum
    over a sum of terms shown as a sum of sums (the same value)."""
    expr = expr.replace(lambda e: isinstance(e, sp.Sum) and isinstance(e.function, sp.Add),
                        lambda e: sp.Add(*[sp.Sum(t, *e.limits) for t in e.function.args], evaluate=False))
    terms = sp.Add.make_args(expr) if isinstance(expr, sp.Add) else (expr,)
    pieces = [prefix + _latex(terms[0])]
    for term in terms[1:]:
        text = _latex(term)
        pieces.append(text if text.startswith("-") else "+" + text)
    return pieces


def _step_mark(ok: bool) -> str:
    return "verified in this run" if ok else "NOT VERIFIED"


def derivation_pages(writer: PageWriter) -> dict[str, bool]:
    """Render every catalog derivation; return name -> verified (re-checked now)."""
    writer.new_page()
    writer.text("Derivations", size=16, weight="bold")
    writer.text("Each line is one step; the rule that justifies it and the mark of its re-check by "
                "SymPy in this run stand below it.", size=9, color="0.3")
    verified, shown_before = {}, ()
    for d in symbolic.catalog().values():
        checks = d.step_checks()
        facts = [fact.holds() for fact in d.facts]
        verified[d.name] = d.chain_is_linked() and all(checks) and all(facts)
        writer.space(0.6)
        writer.text(f"{d.title}  [{d.name}]", size=11, weight="bold")
        if d.statement:
            writer.text(d.statement, size=9, color="0.2")
        writer.math(_latex(d.shown(d.steps[0].before)), size=11)
        for step, ok in zip(d.steps, checks):
            writer.equation(_pieces(d.shown(step.after), "=\\;"), size=11, indent=0.04,
                            note=f"{step.rule} - {_step_mark(ok)}")
        if d.abbreviations and d.abbreviations == shown_before:
            writer.text("where the abbreviations are as above", size=9, color="0.3")
        else:
            for full, symbol in d.abbreviations:
                writer.math(r"\mathrm{where}\; " + _latex(symbol) + " = " + _latex(d.definition(full)), size=9)
        shown_before = d.abbreviations
        for line in d.range_lines():
            writer.text(f"for {line}", size=9)
        for line in d.hypothesis_lines():
            writer.text(f"hypothesis: {line}", size=9)
        for fact, ok in zip(d.facts, facts):
            writer.text(f"fact: {fact.statement} - {_step_mark(ok)}", size=9)
        if d.assumptions:
            writer.text(f"assuming: {d.assumptions}", size=9, color="0.3")
    return verified


def verification_pages(writer: PageWriter, results: list[CheckResult]) -> None:
    writer.new_page()
    writer.text("Verification: three witnesses", size=16, weight="bold")
    writer.text("Closed forms against code generated from the SymPy results, torch autograd of "
                "nn.BCEWithLogitsLoss and nn.BCELoss, torch.func per-sample gradients and central "
                "finite differences in float64. A check passes when |a - b| <= atol + rtol |b| everywhere. "
                "'explained' marks a known departure whose size is given in its note.", size=9)
    writer.space(0.5)
    header = f"{'status':<10}{'device':<7}{'dtype':<8}{'max abs':>9}{'max rel':>9}{'rtol':>7}  check"
    writer.text(header, size=7, family="DejaVu Sans Mono", weight="bold")
    for r in results:
        status = ("explained" if r.passed else "FAILED") if r.expected_difference else (
            "pass" if r.passed else "FAILED")
        line = (f"{status:<10}{r.device:<7}{r.dtype:<8}{r.max_abs_error:>9.1e}{r.max_rel_error:>9.1e}"
                f"{r.rtol:>7.0e}  {r.name}")
        writer.text(line, size=7, family="DejaVu Sans Mono")
        if r.note:
            writer.text(f"note: {r.note}", size=7, indent=0.05, color="0.25")
    failed = sum(not r.passed for r in results)
    writer.space(0.5)
    writer.text(f"{len(results) - failed} of {len(results)} checks passed.", size=10, weight="bold")


def figure_page(pdf: PdfPages, data: FigureData, number: int, footer: str) -> None:
    """One A4 page: the figure on top, its numbered caption below."""
    page = plt.figure(figsize=A4, layout="constrained")
    tall = data.name.startswith("f7")
    top, bottom = page.subfigures(2, 1, height_ratios=[3.2, 0.8] if tall else [1.1, 0.9])
    draw(data, top)
    y, step = (0.95, LINE * 4.2) if tall else (0.92, LINE * 2.3)
    caption = data.caption.replace("$", "").replace("\\/", "/")  # the Typst maths as plain text
    for line in textwrap.wrap(f"Figure {number}. {caption}", width=105 if tall else 95):
        bottom.text(LEFT, y, line.replace("$", r"\$"), fontsize=9 if tall else 10, va="top")
        y -= step
    page.text(0.5, 0.025, f"{footer} - page {pdf.get_pagecount() + 1}", ha="center", fontsize=7,
              color="0.35")
    pdf.savefig(page)
    plt.close(page)
