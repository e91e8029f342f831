"""The report's sections for ``--loss``: a section of derivations per loss, each step re-checked
in this run like the catalog's, and the manifest's record of those checks."""

from __future__ import annotations

from collections.abc import Sequence

from gradproof import symbolic
from gradproof.symbolic import printing

from ._pages import DerivationCheck, LossSection, derivation_block, esc

__all__ = ["check_loss_derivations", "loss_sections", "loss_verified"]


def check_loss_derivations(losses: Sequence[symbolic.Loss]) -> list[tuple[symbolic.Loss, list[DerivationCheck]]]:
    """Re-check every derivation of each loss from scratch, as the catalog's are."""
    return [(loss, [DerivationCheck(d, d.chain_is_linked(), tuple(d.step_checks()),
                                    tuple(f.holds() for f in d.facts)) for d in loss.derivations])
            for loss in losses]


def loss_sections(checked: Sequence[tuple[symbolic.Loss, list[DerivationCheck]]]) -> list[LossSection]:
    """One Typst section per loss: its name, what it is and where it comes from, its derivations."""
    sections = []
    for loss, checks in checked:
        formula = printing.witnessed_typst(loss.expression)
        intro = (f"= Loss {esc(loss.name)}\n{printing.typst_text(loss.title)}; source: {esc(loss.source)}. "
                 f"Each step was re-checked by SymPy in this run.\n$ L(z, y) = {formula} $")
        previous = [None] + [c.derivation for c in checks[:-1]]
        blocks = [derivation_block(c, p) for c, p in zip(checks, previous)]
        sections.append(LossSection("\n\n".join([intro] + blocks), loss.name))
    return sections


def loss_verified(checked: Sequence[tuple[symbolic.Loss, list[DerivationCheck]]]) -> dict[str, bool]:
    """Manifest entries, keyed by loss so that two losses' derivations cannot hide each other."""
    return {f"{loss.name}: {c.derivation.name}": c.verified for loss, checks in checked for c in checks}
