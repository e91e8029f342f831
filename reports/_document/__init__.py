"""The document: Typst pages, captions, the course kit, terminal tables and the Typst style."""

from ._alt_text import with_alt_text as with_alt_text
from ._caption import plain as plain
from ._html import html_edition as html_edition
from ._kit import derivation_latex as derivation_latex
from ._kit import derivation_typst as derivation_typst
from ._kit import write_kit as write_kit
from ._kit import write_loss_kit as write_loss_kit
from ._losses import check_loss_derivations as check_loss_derivations
from ._losses import loss_sections as loss_sections
from ._losses import loss_verified as loss_verified
from ._pages import STYLE as STYLE
from ._pages import check_derivations as check_derivations
from ._pages import document as document
from ._slides import SLIDE_FIGURES as SLIDE_FIGURES
from ._slides import slides_source as slides_source
from ._tables import verification_table as verification_table

__all__ = ["SLIDE_FIGURES", "STYLE", "check_derivations", "check_loss_derivations", "derivation_latex",
           "derivation_typst", "document", "html_edition", "loss_sections", "loss_verified", "plain", "slides_source",
           "verification_table", "with_alt_text", "write_kit", "write_loss_kit"]
