"""The report, read back: pages, sections, numbers, files, determinism and safety."""

import csv
import json
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest
import torch
from pypdf import PdfReader

from gradproof.reports import main
from gradproof.reports._build._report import build_report
from gradproof.reports._links import FIGURE_DERIVATIONS, caption_note

SECTIONS = ["The question", "The answer", "Derivations", "Verification: three witnesses",
            "Batch statistics: what the one scalar estimates"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "out"
    pdf = build_report(out, seed=3, quiet=True)
    return out, pdf, json.loads((out / "manifest.json").read_text())


def text_of(pdf: Path) -> str:
    """The PDF's text, with Typst's maths letters (𝑚, −) and typographic apostrophes read as
    plain ones (m, -, ')."""
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    return unicodedata.normalize("NFKC", text).replace("\u2212", "-").replace("\u2019", "'")


def read_csv(path: Path) -> dict[str, list[str]]:
    with path.open() as handle:
        rows = list(csv.reader(handle))
    return {name: [row[i] for row in rows[1:]] for i, name in enumerate(rows[0])}


def test_products_exist(report):
    out, pdf, manifest = report
    assert pdf == out / "report.pdf" and pdf.stat().st_size > 50_000
    assert [f["name"] for f in manifest["figures"]] == [
        "f1-residual-vs-margin", "f2-per-sample-norms", "f3-batch-contributions",
        "f4-wrong-share-over-training", "f5-gru-head-over-training", "f6-variance-vs-batch-size",
        "f7-batch-size-training"]
    for figure in manifest["figures"]:
        assert sorted(Path(f).suffix for f in figure["files"]) == [".csv", ".pdf", ".png", ".svg", ".tex"]
        for name in figure["files"]:
            assert (out / name).stat().st_size > 0
    assert (out / "report.typ").read_text().startswith('#import "gradproof.typ"')
    assert (out / "gradproof.typ").exists()
    assert not list(out.parent.glob(".gradproof-stage-*"))


def test_report_typ_recompiles_to_the_same_pdf(report, tmp_path):
    import typst

    out, pdf, _ = report
    # as the title page says: Typst's own fonts and those in fonts/, PDF/UA-1, no date to give
    typst.compile(str(out / "report.typ"), output=str(tmp_path / "again.pdf"), root=str(out),
                  ignore_system_fonts=True, font_paths=[str(out / "fonts")], pdf_standards=["ua-1"])
    assert (tmp_path / "again.pdf").read_bytes() == pdf.read_bytes()
    assert ("--ignore-system-fonts --font-path fonts --pdf-standard ua-1 report.typ"
            in " ".join(text_of(pdf).split()))
    info = PdfReader(pdf).metadata
    assert "/CreationDate" not in info and "/ModDate" not in info


def test_the_kit_has_a_snippet_per_figure_and_derivation(report, tmp_path):
    import typst

    from gradproof import symbolic

    out, _, manifest = report
    for figure in manifest["figures"]:
        snippet = (out / f"figures/F{figure['number']}.tex").read_text()
        assert f"keepaspectratio]{{figures/{figure['name']}}}" in snippet  # found from the kit's folder
        assert f"\\label{{fig:{figure['name']}}}" in snippet
        burned = PdfReader(out / f"figures/{figure['name']}.pdf").pages[0].extract_text()
        assert "Figure" not in burned and figure["title"] not in burned
    names = list(symbolic.catalog())
    assert sorted(p.stem for p in (out / "derivations").glob("*.tex")) == sorted(names)
    (out / "derivations" / "all.typ").write_text("\n".join(f'#include "{n}.typ"' for n in names))
    try:
        typst.compile(str(out / "derivations" / "all.typ"), output=str(tmp_path / "d.pdf"),
                      ignore_system_fonts=True)
    finally:
        (out / "derivations" / "all.typ").unlink()


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no LaTeX installation")
def test_the_kit_compiles_unchanged_in_article_and_beamer(report, tmp_path, latex_kit):
    """As the README says: the report's figures/ beside a document, each F*.tex input as it is."""
    out, _, manifest = report
    shutil.copytree(out / "figures", tmp_path / "figures")
    snippets = [f"F{f['number']}.tex" for f in manifest["figures"]]
    for name, document in latex_kit.documents(snippets).items():
        log = latex_kit.compile(tmp_path, name, document)
        assert "Undefined control sequence" not in log and "not found" not in log, name
        assert not latex_kit.overfull(log), (name, latex_kit.overfull(log))
    derivations = "\n".join(f"\\input{{derivations/{n}.tex}}" for n in ("bce_dL_dz", "logreg_hessian_psd"))
    shutil.copytree(out / "derivations", tmp_path / "derivations")
    latex_kit.compile(tmp_path, "maths", "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
           + derivations + "\n\\end{document}\n")


def test_pdf_has_its_sections_stamp_and_captions(report):
    out, pdf, manifest = report
    text = text_of(pdf)
    for section in SECTIONS:
        assert section in text
    stamp = manifest["stamp"]
    for key in ("gradproof", "torch", "sympy", "matplotlib", "numpy"):
        assert stamp[key] in text
    assert "seed" in text and stamp["seed"] == "3"
    flat = " ".join(text.split())
    for figure in manifest["figures"]:
        assert f"Figure {figure['number']}. {figure['title']}." in flat


def test_captions_name_the_derivations_they_illustrate(report):
    _, pdf, manifest = report
    assert [f["name"] for f in manifest["figures"]] == list(FIGURE_DERIVATIONS)
    for figure in manifest["figures"]:
        assert figure["caption"].endswith(caption_note(figure["name"]))
    assert " ".join(text_of(pdf).split()).count("shown:") >= len(FIGURE_DERIVATIONS)


def test_caption_numbers_are_the_manifest_numbers(report):
    _, pdf, manifest = report
    flat = " ".join(text_of(pdf).split())
    f1 = manifest["figures"][0]["key_numbers"]
    assert f"{f1['bce_abs_grad_at_margin_-6']}atm=-6" in flat.replace(" ", "")  # maths has no spaces
    f2 = manifest["figures"][1]["key_numbers"]
    assert f"mean norm {f2['mean_norm_wrong']}" in flat
    f6 = manifest["figures"][5]["key_numbers"]
    assert str(f6["min_measured_over_predicted"]) in flat


def test_every_derivation_was_verified_in_this_run(report):
    _, pdf, manifest = report
    from gradproof import symbolic

    assert manifest["derivations_verified"] == {name: True for name in symbolic.catalog()}
    text = " ".join(text_of(pdf).split())
    assert "NOT VERIFIED" not in text
    assert text.count("verified in this run") >= sum(len(d.steps) for d in symbolic.catalog().values())


def test_the_source_says_what_was_proved(report):
    """The findings of issue 20, each read off report.typ as it was typeset."""
    out, _, _ = report
    source = (out / "report.typ").read_text()
    assert 'frac(sum_("wrong" i) norm(g_i), sum_i norm(g_i))' in source  # the share, one fraction
    assert "norm(g_i) / sum_i" not in source and 'norm(g_i) \\/ sum_i' not in source
    assert "lr((sum_(k = 0)^(n - 1) u_k X_(i k)))^2" in source  # logreg_hessian_psd's last step
    assert "lr((n_k^b))^2" in source and "n_k^b^2" not in source
    assert '#raw("pos_weight")' in source and '#raw("padding_idx")' in source and "pos#sub" not in source
    assert "∂²L\\/∂z²" in source and "d2L" not in source.replace("bce_d2L_dz2", "")
    assert "Derivative of the sigmoid" in source and "Derivative of the σ" not in source
    assert "cancel s and" not in source and "Cancel σ(z) against 1 − σ(z)" in source
    assert "l-1's" not in source and "layer l − 1" in source
    assert "0 <= k <= H - 1" in source or "k <= H - 1" in source  # the GRU head ranges over its H hidden units
    assert "= Notation" in source and "$G_B = frac(1, B)" in source and "$G = frac(1, N)" in source
    assert "= References" in source and "arXiv:1812.06162" in source
    assert "_Logistic regression on synthetic Gaussian classes" in source
    assert "synthetic sequences, not the data above" in source


def test_verification_table_is_in_the_pdf_and_manifest(report):
    _, pdf, manifest = report
    results = manifest["verification"]
    assert results and all(r["passed"] for r in results)
    explained = sum(bool(r["expected_difference"]) for r in results)
    assert explained  # the BCELoss clamp rows: a known departure, not a pass
    flat = " ".join(text_of(pdf).split())
    assert f"{len(results) - explained} of {len(results)} checks passed, {explained} explained" in flat


def test_csvs_agree_with_key_numbers(report):
    out, _, manifest = report
    figures = {f["name"]: f for f in manifest["figures"]}
    f1 = read_csv(out / "figures/f1-residual-vs-margin.csv")
    at_zero = f1["margin"].index(min(f1["margin"], key=lambda m: abs(float(m))))
    assert float(f1["bce_abs_dL_dz"][at_zero]) == pytest.approx(0.5)
    f2 = read_csv(out / "figures/f2-per-sample-norms.csv")
    assert sum(map(int, f2["misclassified"])) == figures["f2-per-sample-norms"]["key_numbers"]["wrong_count"]
    f3 = read_csv(out / "figures/f3-batch-contributions.csv")
    parts, wrong = list(map(float, f3["magnitude_part"])), list(map(int, f3["misclassified"]))
    keys = figures["f3-batch-contributions"]["key_numbers"]
    assert sum(parts) == pytest.approx(1.0) and min(parts) >= 0  # the bars add up to 1
    hatched = sum(p for p, w in zip(parts, wrong) if w)
    assert hatched == pytest.approx(keys["wrong_share"], abs=1e-4)  # the share is what is drawn
    assert sum(wrong) == keys["wrong_count"]
    assert keys["wrong_fraction"] == pytest.approx(sum(wrong) / len(wrong), abs=1e-4)
    f4 = read_csv(out / "figures/f4-wrong-share-over-training.csv")
    assert float(f4["logreg_wrong_fraction"][0]) < 1  # no prediction is exactly 1/2 at the first step
    f6 = read_csv(out / "figures/f6-variance-vs-batch-size.csv")
    ratios = [float(m) / float(p) for m, p in zip(f6["measured_variance"], f6["predicted_variance"])]
    keys = figures["f6-variance-vs-batch-size"]["key_numbers"]
    assert min(ratios) == pytest.approx(keys["min_measured_over_predicted"], abs=1e-3)
    assert 0.5 < min(ratios) and max(ratios) < 2.0  # the 1/B law holds
    stats = manifest["batch_statistics"]  # one tr(Sigma) and one B_simple, in the caption and the table
    assert keys["trace_covariance"] == stats["logistic regression: tr(Sigma) = (1/N) sum |g_i - G|^2"]
    assert keys["noise_scale"] == stats["logistic regression: B_simple = tr(Sigma)/|G|^2"]
    assert keys["noise_scale"] == pytest.approx(keys["trace_covariance"] / keys["mean_gradient_norm"] ** 2, rel=1e-4)
    f7 = read_csv(out / "figures/f7-batch-size-training.csv")
    assert set(f7["batch_size"]) == {"1", "8", "32", "128"}
    assert set(f7["budget"]) == {"equal epochs", "equal updates"} and set(f7["lr_rule"]) == {"held", "scaled"}


def _fonts(font) -> list:
    """The fonts behind a font dictionary (a Type0 font holds CID font descendants)."""
    if font["/Subtype"] == "/Type0":
        return [d.get_object() for d in font["/DescendantFonts"]]
    return [font]


def test_fonts_are_embedded_and_text_is_selectable(report):
    _, pdf, _ = report
    reader = PdfReader(pdf)
    seen = 0
    for page in reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            for real in _fonts(font.get_object()):
                descriptor = real["/FontDescriptor"].get_object()
                assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), real.get("/BaseFont")
                seen += 1
    assert seen
    assert "How one scalar loss rewards the right samples" in reader.pages[0].extract_text()


def _spinners(count: int) -> list[subprocess.Popen]:
    """``count`` processes that keep a CPU busy each."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def test_same_seed_gives_the_same_bytes_under_load(report, tmp_path):
    out, pdf, _ = report
    load = _spinners(os.cpu_count() or 2)  # every core busy while the second report is built
    try:
        again = build_report(tmp_path / "again", seed=3, quiet=True)
    finally:
        for process in load:
            process.kill()
            process.wait()
    assert again.read_bytes() == pdf.read_bytes()
    for name in ("report.html", "figures/f1-residual-vs-margin.pdf", "figures/f7-batch-size-training.png",
                 "figures/f2-per-sample-norms.svg",
                 "figures/f4-wrong-share-over-training.csv", "manifest.json", "report.typ",
                 "figures/F3.tex", "derivations/gru_cell_dh.tex", "derivations/gru_cell_dh.typ"):
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes(), name


def test_a_failure_leaves_the_previous_report_whole(report, tmp_path, monkeypatch):
    out, _, _ = report
    target = tmp_path / "kept"
    shutil.copytree(out, target)
    before = {p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()}
    (target / "notes.txt").write_text("the user's own file")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("gradproof.reports._build._report.numeric.verify", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_report(target, seed=4, quiet=True)
    after = {p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()}
    assert after.pop(Path("notes.txt")) == b"the user's own file"
    assert after == before
    assert not list(tmp_path.glob(".gradproof-stage-*"))


@pytest.mark.parametrize("content, message", [
    ("a,b,label\n1,2,0\n3,,1\n", "missing value in column 'b', row 3"),
    ("a,b,label\n1,x,0\n3,4,1\n", "column 'b' is not numeric"),
    ("a,b,label\n1,2,0\n3,4,0\n", "only one class"),
    ("a,b,label\n1,2,0\n3,4,7\n", "labels must be 0 or 1"),
    ("a,b,y\n1,2,0\n3,4,1\n", "label 'label': no such column"),
])
def test_bad_csv_is_rejected_before_anything_is_written(tmp_path, content, message):
    data = tmp_path / "data.csv"
    data.write_text(content)
    with pytest.raises(ValueError, match=message):
        build_report(tmp_path / "out", data=str(data), label="label", quiet=True)
    assert not (tmp_path / "out").exists()


def test_user_csv_drives_the_logistic_regression_figures(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = (X @ [1.0, -1.0, 0.5] + rng.normal(size=300) > 0).astype(int)
    data = tmp_path / "mine.csv"
    with data.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["f1", "f2", "f3", "target"])
        writer.writerows([[*row, label] for row, label in zip(X.tolist(), y.tolist())])
    build_report(tmp_path / "out", data=str(data), label="target", formats=("svg",), quiet=True)
    manifest = json.loads((tmp_path / "out/manifest.json").read_text())
    f7 = read_csv(tmp_path / "out/figures/f7-batch-size-training.csv")
    epochs = [float(e) for e, m, b in zip(f7["epoch"], f7["model"], f7["budget"])
              if m == "logreg" and b == "equal epochs"]
    assert min(epochs) == 0 and max(epochs) == 3  # 300 rows: short last batches count short
    assert main(["stats", "--data", str(data), "--label", "target", "--json"]) == 0
    stats, table = json.loads(capsys.readouterr().out), manifest["batch_statistics"]
    name = "logistic regression: "  # the same fit and the same definitions as `gradproof stats`
    assert table[name + "misclassified, signed margin (2y - 1) z <= 0"] == f"{stats['wrong_count']} of 300"
    assert table[name + "misclassified fraction"] == pytest.approx(stats["wrong_fraction"], abs=1e-4)
    share = table[name + "misclassified share, sum_wrong |g_i| / sum |g_i|"]
    assert share == pytest.approx(stats["wrong_share"], abs=1e-4)
    assert table[name + "tr(Sigma) = (1/N) sum |g_i - G|^2"] == pytest.approx(stats["trace_covariance"], rel=1e-5)
    assert table[name + "B_simple = tr(Sigma)/|G|^2"] == pytest.approx(stats["noise_scale"], rel=1e-5)
    assert manifest["stamp"]["data"].startswith("mine.csv, label 'target', 300 rows, 3 standardised")
    assert "mine.csv" in " ".join(text_of(tmp_path / "out/report.pdf").split())
    assert (tmp_path / "out/figures/f2-per-sample-norms.svg").exists()
    assert not (tmp_path / "out/figures/f2-per-sample-norms.png").exists()


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="--formats: unknown format 'gif'"):
        build_report(tmp_path / "o", formats=("gif",))
    with pytest.raises(ValueError, match="seed: expected an integer"):
        build_report(tmp_path / "o", seed=-1)
    with pytest.raises(ValueError, match="--label: given without --data"):
        build_report(tmp_path / "o", label="y")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device: 'cuda'"):
            build_report(tmp_path / "o", device="cuda")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="is not a directory"):
        build_report(tmp_path / "file")
