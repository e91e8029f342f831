"""Issue 23 (the lesson first): the asker's two-sample example is computed and checked, and every
sentence about it or about batch size holds on the numbers it is built from."""

from __future__ import annotations

import math
from dataclasses import replace

from gradproof.reports._document._lesson import QUESTION, batch_size_answer, lesson_section
from gradproof.reports._experiments import two_samples


def test_the_example_is_the_askers_scenario_computed():
    t = two_samples()
    assert t.w > 0 and t.margin[0] > 0 > t.margin[1]           # positive weight, sample 0 right, sample 1 wrong
    for i in range(2):
        p = 1 / (1 + math.exp(-t.z[i]))
        assert math.isclose(t.residual[i], p - t.y[i]) and math.isclose(t.grad[i], (p - t.y[i]) * t.x[i])
    assert math.isclose(t.batch_grad, sum(t.grad) / 2)
    assert math.isclose(t.w_after, t.w - t.rate * t.batch_grad)


def test_each_sentence_of_the_example_follows_its_numbers():
    t = two_samples()
    text = lesson_section(t)
    assert "the weight does decrease" in text and "(still right)" in text and "(less wrong)" in text
    assert f"{t.batch_grad:.3g}" in text and "opposite directions" in text
    flipped = replace(t, grad=(-0.9, 0.1), batch_grad=-0.4, w_after=t.w + 0.2, margin_after=(3.6, -1.2))
    other = lesson_section(flipped)
    assert "the weight does decrease" not in other and "not smaller" in other and "(less wrong)" not in other


def test_the_question_has_both_halves_and_the_batch_answer_its_conclusion():
    assert "One scalar" in QUESTION and "Batch size" in QUESTION
    f6 = {"noise_scale": 226.6, "min_measured_over_predicted": 0.85, "max_measured_over_predicted": 1.1}
    same = {f"logreg_equal_epochs_{r}_B{b}_final_loss": 0.45 for r in ("held", "scaled") for b in (1, 128)}
    assert "B = 1 did as well or better here" in batch_size_answer(f6, same)
    worse = {**same, "logreg_equal_epochs_held_B1_final_loss": 0.7}
    answer = batch_size_answer(f6, worse)
    assert "does not always match" in answer and "B = 128 lower" in answer
    assert "only roughly" in batch_size_answer({**f6, "max_measured_over_predicted": 2.0}, same)
    assert batch_size_answer({}, same) == ""


def test_the_pdf_has_a_real_title_and_a_readable_verification_table():
    from gradproof.reports._document import _pages

    source = _pages.verification_section([])
    assert "#set text(size: 9pt)" in source and "7.5pt" not in source
    from pathlib import Path
    style = (Path(_pages.__file__).parent / "gradproof.typ").read_text()
    assert 'title: "How one scalar loss rewards the right samples' in style
