"""Derivation -> numeric function -> figure: the links are data, and they hold."""

from gradproof import symbolic
from gradproof.reports import main
from gradproof.reports._links import FIGURE_DERIVATIONS, caption_note, derivation_links, figures_showing


def test_every_figure_names_derivations_of_the_catalog():
    catalog = symbolic.catalog()
    for figure, shown in FIGURE_DERIVATIONS.items():
        assert shown and set(shown) <= set(catalog), figure
        assert caption_note(figure).endswith(f"{shown[-1]}.")


def test_the_links_of_a_derivation():
    assert figures_showing("gru_head_dL_dv") == ["Figure 5 (f5-gru-head-over-training)"]
    assert derivation_links("pos_weight_dL_dz") == [
        "computed by: numeric.logit_residual, numeric.logreg_per_sample_grads",
        "shown in: no figure of the report", "checker targets: pos_weight.dL_dz"]
    assert derivation_links("logreg_hessian_psd")[0].startswith("computed by: no numeric function (")


def test_derive_prints_code_figures_and_targets(capsys):
    assert main(["derive", "bce_dL_dz"]) == 0
    out = capsys.readouterr().out
    assert "computed by: numeric.logit_residual" in out
    assert "shown in: Figure 1 (f1-residual-vs-margin)" in out
    assert "checker targets: logreg.dL_dz" in out
