"""Plain-text tables for the terminal."""

from __future__ import annotations

from collections.abc import Sequence

from numeric import CheckResult

__all__ = ["verification_table"]


def _status(result: CheckResult) -> str:
    if result.expected_difference:
        return "explained" if result.passed else "FAILED"
    return "pass" if result.passed else "FAILED"


def verification_table(results: Sequence[CheckResult]) -> str:
    """One line per check: status, device, dtype, errors and tolerance; notes below."""
    width = max(len(r.name) for r in results)
    lines = [f"{'status':<10}{'device':<7}{'dtype':<9}{'check':<{width}}  {'max abs':>9} {'max rel':>9} {'rtol':>7}"]
    for r in results:
        lines.append(f"{_status(r):<10}{r.device:<7}{r.dtype:<9}{r.name:<{width}}  "
                     f"{r.max_abs_error:>9.2e} {r.max_rel_error:>9.2e} {r.rtol:>7.0e}")
        if r.note:
            lines.append(f"{'':<26}note: {r.note}")
    failed = sum(not r.passed for r in results)
    lines.append(f"{len(results) - failed} of {len(results)} checks passed"
                 + (f", {failed} FAILED" if failed else ""))
    return "\n".join(lines)
