"""The default report as an assistive technology reads it: PDF/UA-1, alternative text for every
figure and formula, figure text extractable as drawn, a real title, headings from level 1; and its
HTML edition, self-contained, with MathML and inline SVG, loaded in a real browser; and the slides."""

import html
import json
import math
import re
import shutil
import subprocess

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


def test_no_formula_is_shrunk_and_no_page_is_more_than_a_quarter_empty(report, layout):
    """Long formulas break at operators instead of being scaled down, and every page but the
    last (the end of the reference part) is at least three quarters full, read from the PDF's
    text positions."""
    out, reader, _ = report
    assert layout.shrunk(out) == []
    empty = layout.empty_below(reader)
    assert {page: round(share, 2) for page, share in enumerate(empty[:-1], 1) if share > 0.25} == {}


def test_the_verification_table_is_set_at_9_pt(report):
    _, reader, _ = report
    page = next(p for p in reader.pages if "max abs" in p.extract_text() and "rtol" in p.extract_text())
    sizes: dict[float, int] = {}

    def visit(text, cm, tm, font, size):
        if text.strip():
            sizes[round(size * tm[0], 1)] = sizes.get(round(size * tm[0], 1), 0) + len(text.strip())
    page.extract_text(visitor_text=visit)
    main_size = max(sizes, key=sizes.get)
    assert main_size >= 9.0, sizes


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


# The HTML edition: one self-contained page, the PDF's lesson, numbers and captions, MathML.

def html_of(out) -> str:
    return (out / "report.html").read_text(encoding="utf-8")


def test_the_html_edition_is_self_contained_with_the_pdfs_formulas_and_captions(report):
    out, reader, manifest = report
    page = html_of(out)
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    assert "<title>How one scalar loss rewards" in page
    assert not re.search(r"<(img|script|link|iframe)\b", page)
    assert not re.search(r"""(src|href)=["'](?!#)""", page), "an external resource"
    formulas = [kind for kind, _ in structure(reader) if kind == "/Formula"]
    assert page.count("<math") == len(formulas)  # every formula of the PDF, as MathML
    svgs = re.findall(r'<svg\b[^>]*aria-label="([^"]+)"', page)
    assert len(svgs) == len(manifest["figures"]) == page.count("<svg")
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    for figure in manifest["figures"]:
        assert figure["title"].replace("'", "&#39;") in page or figure["title"] in words
    assert "The batch gradient is their mean, 0.294" in words  # the lesson's computed numbers
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "two elements share an id"


CHECK_SCRIPT = """<script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(String(e.message || e.type)), true);
window.addEventListener('load', () => {
  const maths = [...document.querySelectorAll('math')];
  const box = m => { const r = m.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const shown = new Set(maths.map(m => getComputedStyle(m).display));
  const figures = [...document.querySelectorAll('svg')];
  document.body.setAttribute('data-check', JSON.stringify({
    errors: window.__errors, maths: maths.length, emptyMaths: maths.filter(m => !box(m)).length,
    mathml: maths.every(m => m.namespaceURI === 'http://www.w3.org/1998/Math/MathML'), display: [...shown],
    figures: figures.length,
    figuresWithoutAlt: figures.filter(s => !(s.getAttribute('aria-label') || '').trim()).length,
    emptyFigures: figures.filter(s => !box(s)).length,
    resources: performance.getEntriesByType('resource').map(r => r.name)}));
});
</script>"""


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no Chromium installed (apt-get install chromium): the HTML edition is not loaded in a browser")


def test_the_html_edition_renders_in_headless_chromium(report, tmp_path):
    browser = chromium()
    out, _, manifest = report
    page = html_of(out)
    probe = tmp_path / "probe.html"  # the page as written, with a script that measures it
    probe.write_text(page.replace("<head>", "<head>" + CHECK_SCRIPT, 1), encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={tmp_path}/profile"]
    done = subprocess.run([browser, *flags, "--virtual-time-budget=10000", "--dump-dom", probe.as_uri()],
                          capture_output=True, text=True, timeout=180)
    found = re.search(r'data-check="([^"]*)"', done.stdout)
    assert found, done.stderr[-2000:]
    check = json.loads(html.unescape(found.group(1)))
    assert check["errors"] == [] and check["resources"] == []
    assert check["mathml"] and set(check["display"]) <= {"math", "block math"}, check["display"]
    assert check["maths"] == page.count("<math") and check["emptyMaths"] == 0
    assert check["figures"] == len(manifest["figures"]) and check["figuresWithoutAlt"] == 0
    assert check["emptyFigures"] == 0
    shot = tmp_path / "report-html.png"  # kept in the test's folder for a person to look at
    subprocess.run([browser, *flags, "--window-size=1100,4000", f"--screenshot={shot}", probe.as_uri()],
                   capture_output=True, timeout=180)
    assert shot.stat().st_size > 50_000


# The slides: 16:9, one idea per slide, nothing below 20 pt, computed like the report.

def glyph_sizes(page) -> list[tuple[float, str]]:
    """Each text run of a PDF page with the size it is drawn at (font size times the text and
    graphics matrices' vertical scale), figures' text included."""
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            c, d = tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3]
            found.append((size * math.hypot(c, d), text))

    page.extract_text(visitor_text=visit)
    return found


def test_the_slides_say_one_thing_each_from_this_runs_numbers(report):
    out, _, manifest = report
    slides = PdfReader(out / "slides.pdf")
    for page in slides.pages:
        assert abs(float(page.mediabox.width) / float(page.mediabox.height) - 16 / 9) < 0.01
    texts = [" ".join(page.extract_text().split()) for page in slides.pages]
    figures = {f["name"][:2]: f for f in manifest["figures"]}
    heads = ["The question", "Two samples, one batch", figures["f1"]["title"], figures["f2"]["title"],
             figures["f3"]["title"], figures["f6"]["title"], "Batch size 1 against 128"]
    assert len(texts) == 1 + len(heads)
    for text, head in zip(texts[1:], heads):
        assert text.startswith(head.replace("'", "’")), (head, text[:80])
    f3 = figures["f3"]["key_numbers"]
    assert f"carry {100 * f3['wrong_share']:.0f}% of the gradient" in texts[5]
    assert "The batch gradient is their mean, 0.294" in texts[2]
    assert f"{figures['f6']['key_numbers']['noise_scale']:.3g}" in texts[6]
    assert (out / "slides.typ").read_text().startswith("#set document(")  # the source, in the kit
    shown = [f"figures/slides/{figures[k]['name']}.svg" for k in ("f1", "f2", "f3", "f6")]
    assert manifest["slides"]["figures"] == shown


def test_no_text_on_a_slide_is_below_20_pt(report):
    out, _, _ = report
    for number, page in enumerate(PdfReader(out / "slides.pdf").pages, start=1):
        for size, text in glyph_sizes(page):
            # a formula's index (the i of z_i in a figure's label) is set at mathtext's 70 %
            assert size >= 19.9 or (size >= 13.9 and text in {"i", "j", "B", "2"}), (number, size, text)


def test_the_slides_are_pdf_ua_1_with_words_for_each_figure(report):
    out, _, _ = report
    slides = PdfReader(out / "slides.pdf")
    xmp = slides.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfuaid:part(>|=\")1", xmp)
    figures = [alt for kind, alt in structure(slides) if kind == "/Figure"]
    assert len(figures) == 4 and all(alt.startswith("Chart: ") for alt in figures)
