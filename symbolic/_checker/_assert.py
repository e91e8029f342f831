"""``assert_formula``: the checker as a test assertion, for a course's autograder or a test suite."""

from __future__ import annotations

from ._checker import Target, Verdict, check

__all__ = ["assert_formula", "FormulaAssertionError"]


class FormulaAssertionError(AssertionError):
    """A formula that is not proved equal to its target; ``verdict`` holds the checker's answer."""

    def __init__(self, message: str, verdict: Verdict):
        super().__init__(message)
        self.verdict = verdict


def assert_formula(target: str | Target, formula: str, *, seed: int = 0) -> Verdict:
    """Pass only when ``formula`` is **proved** equal to the gradient named by ``target``; raise
    :class:`FormulaAssertionError` (an AssertionError, so pytest shows it as a failed assertion)
    otherwise, its message carrying the verdict, the formula as read, the counterexample and the
    proved diagnosis.  "proved-except" and "undecided" fail too: only a proof passes.

    >>> assert_formula("logreg.dL_dw", "(sigmoid(z) - y)*x").status
    'proved'
    >>> assert_formula("logreg.dL_dw", "(y - sigmoid(z))*x")
    Traceback (most recent call last):
    ...
    gradproof.symbolic._checker._assert.FormulaAssertionError: refuted, not proved: ...
    """
    verdict = check(target, formula, seed=seed)
    if verdict.status != "proved":
        raise FormulaAssertionError(f"{verdict.status}, not proved: {verdict}", verdict)
    return verdict
