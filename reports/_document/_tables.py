"""Plain-text tables for the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # not imported at run time: gradproof loss prints this table without torch
    from gradproof.numeric import CheckResult

__all__ = ["verification_table", "check_count"]


def _status(result: CheckResult) -> str:
    return "FAILED" if result.status == "failed" else result.status


def verification_table(results: Sequence[CheckResult]) -> str:
    """One line per check: status, device, dtype, errors, both tolerances and the share of the
    tolerance used (why the row passes); notes below."""
    width = max(len(r.name) for r in results)
    lines = [f"{'status':<10}{'device':<7}{'dtype':<9}{'check':<{width}}  {'max abs':>9} {'atol':>7} "
             f"{'max rel':>9} {'rtol':>7} {'used':>5}"]
    for r in results:
        lines.append(f"{_status(r):<10}{r.device:<7}{r.dtype:<9}{r.name:<{width}}  "
                     f"{r.max_abs_error:>9.2e} {r.atol:>7.0e} {r.max_rel_error:>9.2e} {r.rtol:>7.0e} "
                     f"{r.share_text():>5}")
        if r.note:
            lines.append(f"{'':<26}note: {r.note}")
    lines.append("a check passes when |a - b| <= atol + rtol |b| for every entry; 'used' is the largest share "
                 "of that bound any entry takes")
    lines.append(check_count(results))
    return "\n".join(lines)

def check_count(results: Sequence[CheckResult]) -> str:
    """How many checks passed, were explained (a known departure, its size in its note) and
    failed, each counted apart: an explained row is not a pass."""
    passed = sum(r.status == "pass" for r in results)
    explained = sum(r.status == "explained" for r in results)
    failed = len(results) - passed - explained
    text = f"{passed} of {len(results)} checks passed"
    if explained:
        text += f", {explained} explained (a known departure; see {'its note' if explained == 1 else 'their notes'})"
    if failed:
        text += f", {failed} FAILED"
    return text + "."
