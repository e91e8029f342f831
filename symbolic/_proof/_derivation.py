"""Derivations as data: a chain of equalities, each step re-checked two ways.

A :class:`Derivation` proves ``result.lhs == result.rhs`` through steps
``lhs = e_1 = e_2 = ... = rhs``.  Each :class:`Step` holds the expression
before and after and the rule that links them.  The statement is part of the
data: ``ranges`` (the index ranges, ``(k, 0, n - 1)`` for 0 <= k <= n - 1) and
``hypotheses`` (assumptions that restrict the domain, such as hard labels or
labels summing to one; each is printed wherever the derivation is shown).

:meth:`Derivation.verdicts` asks the trusted kernel (:mod:`._kernel`), which alone decides:
it checks the kernel's rules (names, hypotheses, facts, substitutions, guards, derivatives in
indexed entries, the Taylor rule) and then the equality of each step two ways, by the exact
engine and by the independent numeric witness.  A step is "verified" only when both agree; a
proof that the witness contradicts is a "fault": :meth:`Derivation.verify` raises
:class:`SoundnessError` naming the step and the point, never passes it.  This module only holds
the data and prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from ..printing import html_text, latex, typst_equation, witnessed_text
from . import _kernel
from ._kernel import TAYLOR_INDICES, StepVerdict
from ._ranges import Ranges
from ._zero import DEFAULT_SECONDS

__all__ = ["Step", "Fact", "Hypothesis", "Derivation", "StepVerdict", "SoundnessError",
           "TAYLOR_INDICES"]


class SoundnessError(AssertionError):
    """The exact engine proved a step that the numeric witness refutes: a bug, never a pass."""


def _escape(text: str) -> str:
    """Text safe inside LaTeX's \\text{...}."""
    for char in "_^&%#${}":
        text = text.replace(char, "\\" + char)
    return text


@dataclass(frozen=True)
class Step:
    """One equality ``before = after`` justified by ``rule``.

    ``substitutions`` are applied after evaluating derivatives and sums.  Each must be
    either a one-case hypothesis its derivation declares (``sum_c y_c = 1``; a case
    split such as hard labels applies to every step by itself) or a guard
    discharge ``n = k + 1 + q`` with q a fresh nonnegative integer, accepted only when
    the derivation's ``ranges`` imply it (here: k <= n - 1).  With ``taylor_in`` set to
    a vector u, the step is proved as a function of u (value and gradient at u = 0,
    Hessian everywhere; see :func:`_agrees_to_second_order`).
    """

    before: sp.Expr
    after: sp.Expr
    rule: str
    substitutions: dict = field(default_factory=dict)
    taylor_in: sp.IndexedBase | None = None

    def holds(self, case: dict | None = None, ranges: Ranges = (), seconds: float = DEFAULT_SECONDS) -> bool:
        """The exact proof alone: ``before - after`` is zero on ``ranges`` (in ``case``); see
        :func:`._kernel.step_holds`."""
        return _kernel.step_holds(self, case, ranges, seconds)


@dataclass(frozen=True)
class Fact:
    """A claim ``expression > 0`` for all real values of its symbols."""

    expression: sp.Expr
    statement: str

    def holds(self) -> bool:
        """Proved by the kernel (:func:`._kernel.fact_holds`)."""
        return _kernel.fact_holds(self)


@dataclass(frozen=True)
class Hypothesis:
    """An assumption of a derivation's statement: the symbols satisfy one of ``cases``.

    Hard labels are ``Hypothesis("y in {0, 1} (hard labels)", ({y: 0}, {y: 1}))``; labels
    summing to one are ``Hypothesis("sum_c y_c = 1", ({Sum(y[c], (c, 0, K - 1)): 1},))``.
    Every step is checked in every case; a step may name a declared hypothesis among
    its substitutions, never an undeclared one.
    """

    statement: str
    cases: tuple[dict, ...]


@dataclass(frozen=True)
class Derivation:
    """A named result and the machine-checkable chain of steps that proves it.

    ``ranges`` state the index ranges (SymPy's limits convention, ``(k, 0, n - 1)``);
    ``hypotheses`` the assumptions that restrict the domain.
    """

    name: str
    title: str
    result: sp.Eq
    steps: tuple[Step, ...]
    statement: str = ""
    facts: tuple[Fact, ...] = ()
    assumptions: str = ""
    abbreviations: tuple[tuple[sp.Expr, sp.Symbol], ...] = ()
    hypotheses: tuple[Hypothesis, ...] = ()
    ranges: Ranges = ()

    def shown(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` for display: each abbreviated subexpression replaced by its symbol."""
        return expr.xreplace(dict(self.abbreviations)) if self.abbreviations else expr

    def definition(self, full: sp.Expr) -> sp.Expr:
        """An abbreviated expression written with the other abbreviations."""
        return full.xreplace({f: s for f, s in self.abbreviations if f != full})

    def where(self) -> list[str]:
        """The abbreviations as 'symbol = expression' text lines."""
        return [f"{sp.sstr(sym)} = {sp.sstr(self.definition(full))}" for full, sym in self.abbreviations]

    def range_lines(self) -> list[str]:
        """The stated index ranges as text: '0 <= k <= n - 1'."""
        return [f"{sp.sstr(lo)} <= {sp.sstr(var)} <= {sp.sstr(hi)}" for var, lo, hi in self.ranges]

    def hypothesis_lines(self) -> list[str]:
        """Every hypothesis as text."""
        return [h.statement for h in self.hypotheses]

    def hypothesis_cases(self, split_only: bool = False) -> list[dict]:
        """Each combination of one case per hypothesis: the domain the steps must hold on.
        With ``split_only``, only the hypotheses with several cases (a case split such as hard
        labels): the exact proof applies a one-case hypothesis only in a step that names it."""
        return _kernel.hypothesis_cases(self.hypotheses, split_only)

    def chain_is_linked(self) -> bool:
        """True when the steps form one unbroken chain from lhs to rhs."""
        if not self.steps:
            return False
        ends = [self.steps[0].before == self.result.lhs, self.steps[-1].after == self.result.rhs]
        links = [a.after == b.before for a, b in zip(self.steps, self.steps[1:])]
        return all(ends + links)

    def verdicts(self) -> list[StepVerdict]:
        """Each step re-checked from scratch by the kernel (:mod:`._kernel`)."""
        return _kernel.audit(self)[1]

    def step_checks(self) -> list[bool]:
        """For each step, whether it is verified; raises :class:`SoundnessError` on a fault."""
        verdicts = self.verdicts()
        _raise_faults(self.name, verdicts)
        return [v.ok for v in verdicts]

    def audit(self) -> tuple[bool, list[StepVerdict]]:
        """(verified, each step's verdict): :meth:`verify` without raising on a fault; the kernel decides."""
        return _kernel.audit(self)

    def verify(self) -> bool:
        """Re-check the chain, every step and every fact from scratch; raise
        :class:`SoundnessError` when a proof is contradicted by the witness."""
        verified, verdicts = self.audit()
        _raise_faults(self.name, verdicts)
        return verified

    def latex(self) -> str:
        """The chain as a LaTeX ``aligned`` block, the rule beside each step, then the statement's
        ranges and hypotheses."""
        lines = [
            r"%s&= %s && \text{%s}" % (latex(self.shown(step.before)) if i == 0 else "",
                                        latex(self.shown(step.after)), _escape(self._rule(step)))
            for i, step in enumerate(self.steps)
        ]
        body = (r" \\" + "\n").join(lines)
        where = "".join(r" \\ &\text{where } %s = %s" % (latex(sym), latex(self.definition(full)))
                        for full, sym in self.abbreviations)
        ranges = "".join(r" \\ &\text{for } %s \le %s \le %s" % (latex(lo), latex(var), latex(hi))
                         for var, lo, hi in self.ranges)
        hypotheses = "".join(r" \\ &\text{hypothesis: %s}" % _escape(line) for line in self.hypothesis_lines())
        return "\\begin{aligned}\n" + body + where + ranges + hypotheses + "\n\\end{aligned}"

    def typst(self) -> str:
        """The chain as a Typst block equation, each rule in words under its step."""
        return typst_equation(self)

    def _repr_latex_(self) -> str:
        return "$$" + self.latex() + "$$"

    def _repr_html_(self) -> str:
        return html_text(self.text())

    def _rule(self, step: Step) -> str:
        """The step's rule, with the hypotheses it uses named."""
        used = [h.statement for h in self.hypotheses
                if any(all(step.substitutions.get(k) == v for k, v in case.items()) for case in h.cases)
                and len(h.cases) == 1]
        return step.rule + "".join(f"; by hypothesis {u}" for u in used)

    def text(self) -> str:
        """A plain-text rendering: the result, then each step with its rule, then the statement's
        ranges, hypotheses, facts and assumptions."""
        out = [f"{self.name}: {self.title}", f"  {sp.sstr(self.shown(self.result.lhs))}"]
        out += [f"    = {sp.sstr(self.shown(step.after))}    [{self._rule(step)}]" for step in self.steps]
        out += [f"  where {line}" for line in self.where()]
        out += [f"  for {line}" for line in self.range_lines()]
        out += [f"  hypothesis: {line}" for line in self.hypothesis_lines()]
        out += [f"  fact: {fact.statement}" for fact in self.facts]
        if self.assumptions:
            out.append(f"  assuming: {self.assumptions}")
        return "\n".join(out)

    def worked(self, ascii: bool = False) -> str:
        """The derivation as a worked solution: each step on its own line in readable maths (one
        index notation, Unicode unless ``ascii``; :func:`~gradproof.symbolic.printing.text`), its rule
        as a sentence under it, then the abbreviations, ranges, hypotheses and facts."""
        le = "<=" if ascii else "≤"

        def text(expr) -> str:  # every formula read back before a student reads it
            return witnessed_text(expr, ascii)

        out = [f"{self.name}: {self.title}", f"  {text(self.shown(self.result.lhs))}"]
        for step in self.steps:
            out += [f"  = {text(self.shown(step.after))}", f"      {self._rule(step)}"]
        out += [f"  where {text(sym)} = {text(self.definition(full))}"
                for full, sym in self.abbreviations]
        out += [f"  for {text(lo)} {le} {text(var)} {le} {text(hi)}"
                for var, lo, hi in self.ranges]
        out += [f"  hypothesis: {line}" for line in self.hypothesis_lines()]
        out += [f"  fact: {fact.statement}" for fact in self.facts]
        if self.assumptions:
            out.append(f"  assuming: {self.assumptions}")
        return "\n".join(out)

    def as_dict(self) -> dict:
        """Stable keys for a program: name, title, result (lhs, rhs), steps (before, after, rule),
        ranges, hypotheses, facts; expressions as SymPy's plain text."""
        return {"name": self.name, "title": self.title,
                "result": {"lhs": sp.sstr(self.result.lhs), "rhs": sp.sstr(self.result.rhs)},
                "steps": [{"before": sp.sstr(s.before), "after": sp.sstr(s.after), "rule": self._rule(s)}
                          for s in self.steps],
                "ranges": self.range_lines(), "hypotheses": self.hypothesis_lines(),
                "facts": [f.statement for f in self.facts]}

    def __str__(self) -> str:
        return self.text()


def _raise_faults(name: str, verdicts: list[StepVerdict]) -> None:
    faults = [v for v in verdicts if v.status == "fault"]
    if faults:
        raise SoundnessError(f"{name}: the exact engine proved what the witness refutes: "
                             + "; ".join(v.describe() for v in faults))
