"""Every formula of a Typst source gets its words, wherever Typst reads it as maths, and nothing
that only looks like maths (a dollar in a string, raw text, a comment, an escape) is touched."""

import typst
from pypdf import PdfReader

from gradproof.reports._document._alt_text import math_spans, with_alt_text

TRICKY = r'''#set document(title: "Alt text")
#set text(lang: "en")
= Formulas everywhere
Prose with $x_i$ and a price \$5, then `raw $not maths$` and $a$.Then $b$(in parens) $c$[in brackets].
// a comment with $not maths$
/* a block comment $not maths$ */
#let f(a, b) = block[#a and #b]
#f($ frac(partial L, partial w) $, [cell with $sigma(z) - y$ and #raw("$no$")])
#table(columns: 2, [$m <= 0$], [text #"$quoted$" $r = "tr"(Sigma)$])
#f({ let s = "$not$"; [#s and $y$] }, [#emph[$e^z$]])
$ sum_(i = 0)^(B - 1) g_i \
  & = 1 $
'''


def test_the_formulas_found_are_the_ones_typst_reads():
    found = [TRICKY[s.start:s.end] for s in math_spans(TRICKY)]
    assert found == ["$x_i$", "$a$", "$b$", "$c$", "$ frac(partial L, partial w) $", "$sigma(z) - y$",
                     "$m <= 0$", '$r = "tr"(Sigma)$', "$y$", "$e^z$", "$ sum_(i = 0)^(B - 1) g_i \\\n  & = 1 $"]
    assert [s.in_code for s in math_spans(TRICKY)][4] is True


def test_the_source_with_words_compiles_as_pdf_ua_1_and_reads_the_same(tmp_path):
    (tmp_path / "plain.typ").write_text(TRICKY)
    (tmp_path / "ua.typ").write_text(with_alt_text(TRICKY))
    typst.compile(str(tmp_path / "plain.typ"), output=str(tmp_path / "plain.pdf"), ignore_system_fonts=True)
    typst.compile(str(tmp_path / "ua.typ"), output=str(tmp_path / "ua.pdf"), ignore_system_fonts=True,
                  pdf_standards=["ua-1"])  # refuses any formula left without alternative text
    text = [PdfReader(tmp_path / f"{n}.pdf").pages[0].extract_text() for n in ("plain", "ua")]
    assert text[0] == text[1]


def test_the_words_are_the_formulas_reading():
    source = with_alt_text("Its residual $r = sigma(z) - y$ and \"quotes\" $x^\"a\"$.\n")
    assert 'alt: "r equals sigma of z minus y"' in source
    assert 'alt: "x superscript a"' in source and source.endswith("$x^\"a\"$);.\n")
