"""The default report as an assistive technology reads it: PDF/UA-1, alternative text for every
figure and formula, figure text extractable as drawn, a real title, headings from level 1."""

import json
import re

import pytest
from pypdf import PdfReader

from gradproof.reports._build._report import build_report


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("accessible") / "out"
    pdf = build_report(out, seed=0, quiet=True)
    return out, PdfReader(pdf), json.loads((out / "manifest.json").read_text())


def structure(reader: PdfReader) -> list[tuple[str, str | None]]:
    """Every element of the PDF's structure tree, in order, as (type, alternative text)."""
    found: list[tuple[str, str | None]] = []

    def walk(node):
        node = node.get_object()
        if not isinstance(node, dict):
            return
        if "/S" in node:
            found.append((str(node["/S"]), str(node["/Alt"]) if "/Alt" in node else None))
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            walk(kid)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return found


def test_the_pdf_declares_pdf_ua_1_a_language_and_a_title(report):
    _, reader, _ = report
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfuaid:part(>|=\")1", xmp), "no PDF/UA-1 identification in the XMP metadata"
    assert str(root["/Lang"]).startswith("en")
    assert "binary cross-entropy gradients" in reader.metadata.title
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]


def test_every_figure_and_formula_has_alternative_text(report):
    _, reader, manifest = report
    elements = structure(reader)
    figures = [alt for kind, alt in elements if kind == "/Figure"]
    formulas = [alt for kind, alt in elements if kind == "/Formula"]
    assert len(figures) == len(manifest["figures"]) == 7
    assert len(formulas) > 500
    assert all(alt and alt.strip() for alt in figures + formulas)
    # a figure's words say what it shows in this run: its computed numbers, not only its title
    f3 = manifest["figures"][2]
    assert any(f"{f3['key_numbers']['wrong_count']} misclassified" in alt for alt in figures)
    # a formula's words are its reading, not a placeholder
    assert "r equals sigma of z minus y" in formulas
    assert "the absolute value of r equals sigma of minus m" in formulas
    assert any(alt.startswith("the fraction partial, over partial w sub") for alt in formulas)


def test_headings_start_at_level_1(report):
    _, reader, _ = report
    headings = [kind for kind, _ in structure(reader) if re.fullmatch(r"/H\d", kind)]
    assert headings[0] == "/H1" and "/H1" in headings[1:]


def test_figure_text_extracts_as_the_characters_drawn(report):
    _, reader, _ = report
    page = next(p for p in reader.pages if re.search(r"Figure\s1\.", p.extract_text()))
    text = re.sub(r"\s+", "", page.extract_text(extraction_mode="layout"))
    # F1's legend and axis label, as matplotlib draws them (Computer Modern gave 'j¾(z) ¡ yj')
    assert "MSEonσ:|σ−y|σ(1−σ)" in text
    assert "signedmarginm=(2y−1)z" in text
