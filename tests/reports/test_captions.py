"""Captions are claims: each states a property only where the run's data bears it out.

The batch figures (F2, F3, the answer's sentence) and F6 are computed on the default data and
on data sets where the usual pattern does not hold; every claim a caption or title makes is
checked here against the figure's own columns, by predicates written apart from the captions.
"""

import numpy as np
import pytest
import torch

from gradproof import numeric
from gradproof.reports._document._pages import batch_sentence
from gradproof.reports._experiments import LogregData, Setting
from gradproof.reports._experiments._batch import _law_sentence, variance_vs_batch_size
from gradproof.reports._experiments._logreg import contributions, per_sample_norms
from gradproof.reports._experiments._setting import fitted, fitted_state
from gradproof.reports._experiments._training import _head_story, _outweighs, _weigh_in


def _data(name: str) -> LogregData:
    rng = np.random.default_rng(1)
    if name == "default":
        X, y = numeric.training.synthetic_logreg_data(0)
        return LogregData(X, y, "default")
    if name == "breast cancer":
        datasets = pytest.importorskip("sklearn.datasets")
        X, y = datasets.load_breast_cancer(return_X_y=True)
    elif name == "nearly separable":  # two far-apart classes, three labels flipped near the boundary
        y = (rng.random(400) < 0.5).astype(float)
        X = rng.normal(size=(400, 2)) + 4.0 * (2 * y[:, None] - 1)
        near = np.argsort(np.abs(X[:, 0] + X[:, 1]))[:3]
        y[near] = 1 - y[near]
    elif name == "wrong with a small gradient":  # a heavy-tailed, useless feature: right samples with huge x
        y = (rng.random(400) < 0.5).astype(float)
        signal = rng.normal(size=400) + 0.8 * (2 * y - 1)
        noise = rng.standard_cauchy(size=400)
        X = np.stack([signal, np.clip(noise, -60, 60)], axis=1)
    elif name == "separable":  # no sample is misclassified at the fit
        y = (rng.random(400) < 0.5).astype(float)
        X = rng.normal(size=(400, 3)) + 6.0 * (2 * y[:, None] - 1)
    else:
        raise ValueError(name)
    return LogregData(torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32), name)


DATA = ["default", "breast cancer", "nearly separable", "wrong with a small gradient", "separable"]


@pytest.fixture(scope="module", params=DATA)
def batch(request):
    setting = fitted(Setting(0, torch.device("cpu"), _data(request.param)))
    state = fitted_state(setting)
    return request.param, per_sample_norms(setting, state), contributions(setting, state)


def _groups(f2):
    norms = np.asarray(f2.columns["gradient_norm"])
    wrong = np.asarray(f2.columns["misclassified"]) == 1
    return norms[wrong], norms[~wrong]


def test_f2_title_and_caption_claim_only_what_the_norms_show(batch):
    _, f2, _ = batch
    wrong, right = _groups(f2)
    every_above = len(wrong) > 0 and len(right) > 0 and wrong.min() > right.max()
    assert ("Wrong samples carry large gradients, right ones small" == f2.title) == every_above
    if f2.title == "Wrong samples carry larger gradients on average":
        assert wrong.mean() > right.mean() and not every_above
    assert ("Every misclassified sample's norm exceeds every correct one's" in f2.caption) == every_above
    if len(wrong) and len(right) and not every_above:
        above = int((right > wrong.min()).sum())
        assert f"{above} correct sample{'' if above == 1 else 's'} of {len(right)}" in f2.caption
    if len(wrong) == 1:
        assert "The 1 misclassified sample (" in f2.caption and " has mean norm" in f2.caption
    assert "1 misclassified samples" not in f2.caption


def test_f3_says_each_wrong_sample_outweighs_the_right_ones_only_when_it_does(batch):
    _, _, f3 = batch
    parts = np.asarray(f3.columns["magnitude_part"])
    wrong = np.asarray(f3.columns["misclassified"]) == 1
    holds = wrong.any() and (~wrong).any() and parts[wrong].min() > parts[~wrong].max()
    assert ("Each misclassified sample weighs in more than every correct one" in f3.caption) == bool(holds)
    if wrong.any() and (~wrong).any() and not holds:
        ranks = [str(r + 1) for r in np.nonzero(wrong)[0][:12]]
        assert "rank" in f3.caption and ", ".join(ranks) in f3.caption
    assert "$G_B = frac(1, B) sum_i g_i$" in f3.caption  # the batch gradient, as the notation names it


def test_the_answer_says_the_mistakes_outweigh_their_number_only_when_they_do(batch):
    _, _, f3 = batch
    keys = f3.key_numbers
    sentence = batch_sentence(keys)
    parts = np.asarray(f3.columns["magnitude_part"])
    wrong = np.asarray(f3.columns["misclassified"]) == 1
    outweigh = wrong.any() and parts[wrong].sum() > wrong.mean()
    assert ("weigh in more than their number" in sentence and "do not" not in sentence) == bool(outweigh)
    assert f"{int(wrong.sum())} of {len(wrong)}" in sentence or f"{int(wrong.sum())} sample" in sentence


def test_the_data_sets_do_break_the_usual_pattern():
    """The test above would be empty if every data set showed the textbook picture."""
    titles, captions = set(), []
    for name in DATA:
        if name == "breast cancer":
            continue
        setting = fitted(Setting(0, torch.device("cpu"), _data(name)))
        state = fitted_state(setting)
        titles.add(per_sample_norms(setting, state).title)
        captions.append(contributions(setting, state).caption)
    assert len(titles) >= 2, titles
    assert any("not every misclassified sample" in c for c in captions)
    assert any("No sample of this batch is misclassified" in c for c in captions)


def test_f6_states_the_one_over_b_law_only_when_the_draws_bear_it_out():
    figure = variance_vs_batch_size(Setting(0, torch.device("cpu"), _data("default")))
    ratios = [m / p for m, p in zip(figure.columns["measured_variance"], figure.columns["predicted_variance"])]
    assert ("noise falls as" in figure.caption) == all(0.8 <= r <= 1.25 for r in ratios)
    assert "noise falls as" in _law_sentence([1.0, 1.1, 0.9])
    assert "do not bear out" in _law_sentence([1.0, 1.6])


def test_f4_and_f5_sentences_follow_their_numbers():
    keys = {"logreg_share_last_steps": 0.3, "logreg_wrong_fraction_last_steps": 0.2,
            "gru_share_last_steps": 0.1, "gru_wrong_fraction_last_steps": 0.2}
    assert _outweighs(keys, "logreg") and not _outweighs(keys, "gru")
    assert _weigh_in(keys).startswith("Only for logistic regression do the mistakes supply more")
    story = _head_story({"start_min_probability": 0.2, "start_max_probability": 0.9, "start_wrong_count": 1,
                         "start_mean_norm_correct": 0.3, "end_mean_norm_correct": 0.4, "end_wrong_count": 2,
                         "end_mean_norm_wrong": 0.35})
    assert "nearly 1/2" not in story and "1 sequence of the batch is misclassified" in story
    assert "does not shrink" in story and "not above the correct ones'" in story


def test_f4_caption_and_legend_name_the_line_styles_drawn():
    from types import SimpleNamespace

    from gradproof.reports._experiments._training import _share_figure
    from gradproof.reports._figures import apply_style, draw

    steps = 30
    series = [(0.5 + 0.01 * (i % 3), 0.3) for i in range(steps)]
    figure = _share_figure(SimpleNamespace(steps=steps, batch_size=8), series, series)
    apply_style()
    drawn = draw(figure)
    words = {"-": "solid", "-.": "dash-dot", "--": "dashed", ":": "dotted"}
    legend = {text.get_text(): handle for text, handle in
              zip(drawn.axes[0].get_legend().get_texts(), drawn.axes[0].get_legend().legend_handles)}
    assert words[legend["logistic regression: share"].get_linestyle()] == "solid"
    assert "logistic regression (blue, solid" in figure.caption
    assert words[legend["GRU classifier: share"].get_linestyle()] == "dash-dot"
    assert "GRU classifier (pink, dash-dot" in figure.caption
    for name in ("logistic regression: fraction", "GRU classifier: fraction"):
        assert words[legend[name].get_linestyle()] == "dotted"
    assert "dotted: the misclassified fraction" in figure.caption
    bold = next(label for label in legend if label.startswith("bold"))
    assert "dotted" not in bold and words[legend[bold].get_linestyle()] == "solid"
