"""``report --loss``: one report with two losses, read back from its PDF, manifest and CSVs."""

import csv
import json
import unicodedata

import pytest
import torch
from pypdf import PdfReader

from gradproof import symbolic
from gradproof.reports import main
from gradproof.reports._build._output import MARKER
from gradproof.reports._build._report import build_report
from gradproof.reports._document._kit import derivation_latex, derivation_typst

LOSSES = ("focal:gamma=2", "label_smoothing:eps=0.1", "focal:gamma=0.5,alpha=0.25")
FOCAL, SMOOTH, FOCAL_HALF = "focal:gamma=2,alpha=1/4", "label_smoothing:eps=1/10", "focal:gamma=1/2,alpha=1/4"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("loss-report") / "out"
    pdf = build_report(out, seed=1, quiet=True, formats=("pdf",), losses=LOSSES)
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    flat = " ".join(unicodedata.normalize("NFKC", text).replace("\u2212", "-").replace("\u2019", "'").split())
    return out, flat, json.loads((out / "manifest.json").read_text())


def columns(path) -> dict[str, torch.Tensor]:
    with path.open() as handle:
        rows = list(csv.reader(handle))
    return {name: torch.tensor([float(r[i]) for r in rows[1:]], dtype=torch.float64)
            for i, name in enumerate(rows[0])}


def test_the_two_loss_figures_follow_f7_numbered_with_their_captions(report):
    out, flat, manifest = report
    figures = manifest["figures"]
    assert [f["name"] for f in figures[7:]] == ["lossmargin-abs-grad-vs-margin", "lossshare-wrong-share-by-loss"]
    for figure in figures:
        assert f"Figure {figure['number']}. {figure['title']}." in flat
    margin, share = figures[7]["key_numbers"], figures[8]["key_numbers"]
    for name in ("bce", "squared_error", FOCAL, SMOOTH):
        assert f"{name} {margin[f'{name}: |dL/dz| at m = -6']}" in flat
        assert f"{name} {100 * share[f'{name}: share over the last tenth']:.0f}%" in flat
    assert f"{FOCAL}: not monotone (refuted)" in flat and "bce: decreasing (proved)" in flat
    assert (out / "figures/F8.tex").exists() and (out / "figures/lossshare-wrong-share-by-loss.pdf").exists()


def test_the_long_loss_formulas_break_at_operators_and_the_pages_stay_full(report, layout):
    """The focal losses' second derivatives are the widest formulas the toolkit prints: none is
    scaled below the body size, and no page but the last is more than a quarter empty."""
    out, _, _ = report
    assert layout.shrunk(out) == []
    empty = layout.empty_below(PdfReader(out / "report.pdf"))
    assert {page: round(share, 2) for page, share in enumerate(empty[:-1], 1) if share > 0.25} == {}


def test_the_margin_curves_match_independent_references(report):
    out, _, _ = report
    data = columns(out / "figures/lossmargin-abs-grad-vs-margin.csv")
    m = data["margin"]
    torch.testing.assert_close(data["bce y=1"], torch.sigmoid(-m), rtol=1e-8, atol=1e-12)
    z = m.clone().requires_grad_()  # y = 1: focal loss -alpha (1 - p)^gamma log p, by autograd
    p = torch.sigmoid(z)
    (-(0.25 * (1 - p) ** 2 * torch.log(p))).sum().backward()
    torch.testing.assert_close(data[f"{FOCAL} y=1"], z.grad.abs(), rtol=1e-8, atol=1e-12)
    assert -3 < float(m[data[f"{FOCAL} y=1"].argmax()]) < -2.5  # the proved local maximum, not at the end
    share = columns(out / "figures/lossshare-wrong-share-by-loss.csv")
    assert len(share["step"]) == 120 and all(0 <= v <= 1 for v in share[f"{SMOOTH} share"].tolist())


def test_each_loss_has_a_section_of_derivations_verified_in_this_run(report):
    _, flat, manifest = report
    verified = manifest["derivations_verified"]
    assert {k: v for k, v in verified.items() if ": " not in k} == {name: True for name in symbolic.catalog()}
    for text in LOSSES:
        loss = symbolic.loss(text)
        assert f"Loss {loss.name}" in flat
        for d in loss.derivations:
            assert verified[f"{loss.name}: {d.name}"] is True
    assert flat.count("verified in this run") >= len(symbolic.catalog()) + 10


def test_each_loss_section_typesets_the_loss_itself(report):
    out, flat, _ = report
    source = (out / "report.typ").read_text()
    for text in LOSSES:
        loss = symbolic.loss(text)
        assert f"$ L(z, y) = {symbolic.printing.typst(loss.expression)} $" in source
    assert "L = (3/4" not in flat and "*log(" not in flat  # no SymPy text on the page


@pytest.mark.parametrize("bad", ["focal:gamma=-1", "label_smoothing:eps=1", "no_such_loss"])
def test_a_bad_loss_exits_2_with_one_line_before_anything_is_written(bad, tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path / "r"), "--loss", "bce", "--loss", bad]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_each_loss_writes_its_derivations_to_the_course_kit_in_a_folder_of_its_own(report):
    out, _, manifest = report
    listed = manifest["loss_derivation_files"]
    marker = json.loads((out / MARKER).read_text())["files"]
    folders = {"focal-gamma=2-alpha=1_4": FOCAL, "focal-gamma=1_2-alpha=1_4": FOCAL_HALF,
               "label_smoothing-eps=1_10": SMOOTH}
    assert sorted(p.name for p in (out / "derivations").iterdir() if p.is_dir()) == sorted(folders)
    contents = {}
    for folder, name in folders.items():
        loss = symbolic.loss(name)
        expected = [f"derivations/{folder}/{d.name}.{ext}" for d in loss.derivations for ext in ("tex", "typ")]
        assert listed[name] == expected and all(path in marker for path in expected)
        for d in loss.derivations:
            tex = (out / f"derivations/{folder}/{d.name}.tex").read_text()
            typ = (out / f"derivations/{folder}/{d.name}.typ").read_text()
            assert tex.endswith(derivation_latex(d)) and typ.endswith(derivation_typst(d))
            assert f"% From the loss {name} " in tex
            assert f"Loss `{name}`:\n\n$ L(z, y) = {symbolic.printing.typst(loss.expression)} $" in typ
            contents[folder, d.name] = tex
    assert contents["focal-gamma=2-alpha=1_4", "focal_dL_dz"] != contents["focal-gamma=1_2-alpha=1_4", "focal_dL_dz"]
    assert r"\sqrt" in contents["focal-gamma=1_2-alpha=1_4", "focal_dL_dz"]


def test_the_manifest_stamp_names_the_losses(report):
    _, flat, manifest = report
    stamp = manifest["stamp"]["loss"]
    assert all(name.split(":")[0] in stamp for name in LOSSES), stamp
