"""The asker's scenario worked in numbers, as a Typst section: every number comes from
:func:`~gradproof.reports._experiments.two_samples` (closed forms checked against autograd), and
every sentence about it is said only when its predicate holds on those numbers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # not at run time: _experiments imports torch
    from .._experiments import TwoSamples

__all__ = ["lesson_section", "batch_size_answer", "QUESTION"]

QUESTION = """= The question
A beginner trains a GRU binary classifier with mini-batches and asks two things.

+ _One scalar._ `nn.BCELoss` merges every sample's loss in a batch into one scalar. Take one neuron
  with a positive weight, and a batch in which sample 0 is classified right and sample 1 wrong:
  "the weight would be decreased regardless whether or not the classifying results were correct".
  How can one scalar reward the sample the network got right and punish the one it got wrong?
+ _Batch size._ Training with batch size 1 worked as well as with larger batches, only slower.
  Why, and when does it not?
"""


def num(value: float) -> str:
    """A number for reading: 3 significant digits, a true minus sign."""
    return f"{value:.3g}".replace("-", "−")


def lesson_section(t: TwoSamples) -> str:
    """The two-sample example: each sample's loss, residual and gradient, the batch gradient and the
    step, and the margins after it, with the conclusions its numbers support."""
    rows = "\n".join(
        f"  [{label}], [{num(t.x[i])}], [{num(t.y[i])}], [{num(t.z[i])}], [{num(t.p[i])}], [{num(t.loss[i])}], "
        f"[{num(t.residual[i])}], [{num(t.grad[i])}],"
        for i, label in enumerate(("sample 0 (right)", "sample 1 (wrong)")))
    pulls = (f"The right sample's gradient ({num(t.grad[0])}) is {'smaller' if t.right_pulls_less else 'not smaller'}"
             f" in size than the wrong one's ({num(t.grad[1])})")
    pulls += (", and the two pull the weight in opposite directions: the right sample, with "
              "$sigma(z) - y < 0$, pulls $w$ up, towards more confidence, and the wrong one pulls it down."
              if t.pulls_oppose else ".")
    step = (f"The batch gradient is their mean, {num(t.batch_grad)}, so one step of rate {num(t.rate)} moves the "
            f"weight from {num(t.w)} to {num(t.w_after)}")
    step += ": the weight does decrease, as the asker expected, because the wrong sample pulls harder." \
        if t.weight_falls else "."
    after = [f"sample 0's margin goes from {num(t.margin[0])} to {num(t.margin_after[0])}"
             + (" (still right)" if t.right_stays_right else " (now wrong)"),
             f"sample 1's from {num(t.margin[1])} to {num(t.margin_after[1])}"
             + (" (less wrong)" if t.wrong_improves else "")]
    return f"""
= One scalar, two corrections: the asker's example in numbers
One feature and one neuron, $z = w x$ with $w = {num(t.w)}$, and a batch of two samples. The mean BCE
loss $L = (L_0 + L_1) / 2$ is one scalar, but its gradient is the mean of the two samples' own
gradients $(sigma(z_i) - y_i) x_i$ (derivations `logreg_dL_dw` and `batch_mean_gradient`), each scaled by
that sample's residual $r_i = sigma(z_i) - y_i$:

#table(
  columns: 8, align: right,
  [], [$x$], [$y$], [$z$], [$sigma(z)$], [loss], [$r = sigma(z) - y$], [$g = r x$],
{rows}
)

{pulls} {step} After the step {after[0]}, and {after[1]}. So "one scalar" does not mean "one
correction": the scalar's gradient adds up one correction per sample, each as large as that sample
is wrong, and the weight moves by their sum. A different batch, with more right samples or a less wrong
one, would move it the other way; the residuals decide, not the scalar.
"""


SIMILAR = 0.02
"""Two final losses within this of each other are "similar" (as Figure 7's caption says)."""


def budget_comparison(f7: Mapping, model: str, budget: str, rule: str) -> str | None:
    small, large = (f7.get(f"{model}_{budget}_{rule}_B{b}_final_loss") for b in (1, 128))
    if small is None or large is None:
        return None
    return "similar" if abs(small - large) <= SIMILAR else "B = 1 lower" if small < large else "B = 128 lower"


def batch_size_answer(f6: Mapping, f7: Mapping) -> str:
    """The batch-size half of the question, concluded from Figures 6 and 7 of this run: each claim
    only as far as the run's numbers show it."""
    if not {"noise_scale", "min_measured_over_predicted", "max_measured_over_predicted"} <= set(f6):
        return ""
    low, high, scale = f6["min_measured_over_predicted"], f6["max_measured_over_predicted"], f6["noise_scale"]
    law = (f"its noise falls as $1 / B$ (measured over predicted between {num(low)} and {num(high)}, @fig-f6)"
           if 0.8 <= low and high <= 1.25 else
           f"its noise follows $tr(Sigma) / B$ only roughly here (measured over predicted {num(low)} to {num(high)})")
    text = (f"\n*The batch-size half.* A mini-batch gradient $G_B$ is an unbiased estimate of the full-data "
            f"gradient $G$, and {law}. So B = 1 steps in the same expected direction as a large batch, only "
            f"more noisily; the gradient noise scale $B_\"simple\" = tr(Sigma) / norm(G)^2 = {num(scale)}$ says how "
            f"large a batch must be before its noise is small next to the gradient itself.")
    found = {(model, budget, rule): budget_comparison(f7, model, budget, rule) for model in ("logreg", "gru")
             for budget in ("equal_epochs", "equal_updates") for rule in ("held", "scaled")}
    epochs = [v for (m, b, r), v in found.items() if b == "equal_epochs" and v]
    updates = [v for (m, b, r), v in found.items() if b == "equal_updates" and v]
    if epochs:
        text += (f" In this run, at equal epochs (the same samples seen), B = 1 against B = 128 gives: "
                 f"{', '.join(epochs)} (@fig-f7);")
    if updates:
        text += f" at equal updates: {', '.join(updates)}."
    if epochs and all(v in ("similar", "B = 1 lower") for v in epochs):
        text += (" With as many samples seen, B = 1 did as well or better here: it takes B times more, "
                 "noisier steps, which is why it trains as well, only slower per sample on parallel hardware.")
    elif epochs:
        text += (" So B = 1 does not always match larger batches: where it loses, its noisier steps cost more "
                 "than its extra updates gain.")
    return text + "\n"
