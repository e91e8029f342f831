"""Comparing two computations of the same gradient, and the record of one comparison."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from gradproof.symbolic.printing import html_text, latex_text

from ._tolerances import tolerance_bound, within_tolerance

__all__ = ["CheckResult", "compare"]


@dataclass(frozen=True)
class CheckResult:
    """One verification: ``passed`` when every entry satisfies |a - b| <= atol + rtol |b|.

    ``expected_difference`` marks a known, explained departure (for example
    nn.BCELoss's clamp): ``passed`` then says whether the departure is exactly
    the explained one, and ``note`` states its size.  ``tolerance_used`` is the largest
    share of its bound that any entry takes, max |a - b| / (atol + rtol |b|): at most 1 when
    the check passes, which says why a row passes whose max_rel_error exceeds rtol.
    """

    name: str
    device: str
    dtype: str
    max_abs_error: float
    max_rel_error: float
    rtol: float
    atol: float
    passed: bool
    note: str = ""
    expected_difference: bool = False
    tolerance_used: float = float("nan")

    @property
    def status(self) -> str:
        """``"pass"``, ``"explained"`` (a known departure, exactly as explained) or ``"failed"``."""
        if not self.passed:
            return "failed"
        return "explained" if self.expected_difference else "pass"

    @property
    def share_of_tolerance(self) -> float | None:
        """``tolerance_used``, or None where it says nothing (an explained departure, no entries)."""
        used = self.tolerance_used
        return None if self.expected_difference or used != used else used

    def share_text(self, *, missing: str = "-", small: str = "<1%") -> str:
        """``share_of_tolerance`` as a whole percentage for a table: ``missing`` where it says
        nothing, ``small`` below 1%."""
        used = self.share_of_tolerance
        if used is None:
            return missing
        return f"{100 * used:.0f}%" if used >= 0.01 else small

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        share = "" if self.share_of_tolerance is None else f", {100 * self.share_of_tolerance:.0f}% of the bound used"
        text = (f"{self.status}: {self.name} ({self.device}, {self.dtype}): max |a - b| = {self.max_abs_error:.2e}, "
                f"max rel = {self.max_rel_error:.2e}; passes when |a - b| <= {self.atol:.0e} + {self.rtol:.0e} |b|"
                f"{share}")
        return text + (f"\n  note: {self.note}" if self.note else "")

    def _repr_html_(self) -> str:
        return html_text(str(self))

    def _repr_latex_(self) -> str:
        return (f"$\\text{{{latex_text(self.status + ': ' + self.name)}}}\\quad "
                f"\\max|a - b| = {self.max_abs_error:.2e} \\le {self.atol:.0e} + {self.rtol:.0e}\\,|b|$")


def _as_numpy(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().double().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


def errors(got, want, floor: float = np.finfo(np.float64).tiny) -> tuple[float, float, np.ndarray]:
    """(max absolute error, max relative error, elementwise |got - want|).

    The relative error of an entry is |got - want| / max(|want|, floor): entries whose
    reference is below ``floor`` (the check's atol) are judged in absolute terms.
    """
    a, b = _as_numpy(got), _as_numpy(want)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} against {b.shape}")
    with np.errstate(over="ignore", invalid="ignore"):  # inf - inf is nan: judged below, not warned about
        diff = np.abs(a - b)
    scale = np.maximum(np.abs(b), floor)
    finite = np.isfinite(diff).all()
    max_abs = float(diff.max()) if finite and diff.size else (0.0 if finite else float("inf"))
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        relative = diff / scale
    max_rel = float(relative.max()) if finite and diff.size else (0.0 if finite else float("inf"))
    return max_abs, max_rel, diff


def compare(name: str, got_pairs, want_pairs, *, device, dtype, rtol: float, atol: float,
            note: str = "") -> CheckResult:
    """Compare several (got, want) arrays as one check; errors are the worst over all of them."""
    max_abs = max_rel = used = 0.0
    passed = True
    for got, want in zip(got_pairs, want_pairs):
        a, r, diff = errors(got, want, floor=atol)
        max_abs, max_rel = max(max_abs, a), max(max_rel, r)
        passed &= bool(np.all(within_tolerance(_as_numpy(got), _as_numpy(want), rtol, atol)))
        if diff.size:
            bound = tolerance_bound(_as_numpy(want), rtol, atol)
            with np.errstate(divide="ignore", invalid="ignore"):
                used = max(used, float(np.max(np.where(diff == 0, 0.0, diff / bound))))
    return CheckResult(name, str(device), str(dtype).replace("torch.", ""), max_abs, max_rel,
                       rtol, atol, passed, note, tolerance_used=used)
