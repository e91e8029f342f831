"""Derivations as data: a chain of equalities, each step re-checked two ways.

A :class:`Derivation` proves ``result.lhs == result.rhs`` through steps
``lhs = e_1 = e_2 = ... = rhs``.  Each :class:`Step` holds the expression
before and after and the rule that links them.  The statement is part of the
data: ``ranges`` (the index ranges, ``(k, 0, n - 1)`` for 0 <= k <= n - 1) and
``hypotheses`` (assumptions that restrict the domain, such as hard labels or
labels summing to one; each is printed wherever the derivation is shown).

:meth:`Derivation.verdicts` re-checks, from scratch and with no cached answer, for
every step and every case of the hypotheses:

* that the step's substitutions are legitimate: each is a declared hypothesis, or
  a guard discharge ``n = k + 1 + q`` (q a fresh nonnegative integer) proved to
  cover the whole stated range; anything else is *refused*;
* an exact proof that ``before - after`` is zero on the stated ranges
  (:func:`gradproof.symbolic._proof._zero.is_identically_zero`).  Derivatives of sigmoid use
  ``sigmoid.fdiff``, the rule that ``sigmoid_derivative`` proves from the exp
  definition (its own steps are written with exp, not fdiff);
* a second, independent witness (:mod:`gradproof.symbolic._proof._witness`): both sides evaluated
  with certified error bounds at concrete sizes, with sums, deltas and derivatives
  expanded by plain arithmetic, at random rational points.

A step is "verified" only when the proof succeeds and the witness agrees;
"refuted" when the witness finds a point where certified enclosures of the two sides
are disjoint (the exact proof is then given only FAULT_SECONDS); "undecided"
otherwise.  A proof that the witness contradicts is a "fault" of the engine:
:meth:`Derivation.verify` raises :class:`SoundnessError` naming the step and the
point, never passes it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import sympy as sp

from ..printing import html_text, latex, typst_equation
from . import _witness
from ._ranges import Ranges, implied, within
from ._zero import DEFAULT_SECONDS, is_identically_zero, is_positive

__all__ = ["Step", "Fact", "Hypothesis", "Derivation", "StepVerdict", "SoundnessError",
           "TAYLOR_INDICES"]


FAULT_SECONDS = 2.0
"""Time for the exact proof of a step the witness refutes: a proof found then is a fault;
a slower one is not waited for (the step is reported refuted, never passed)."""


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
        """The exact proof alone: ``before - after`` is zero on ``ranges`` (in ``case``)."""
        difference = self.before - self.after
        subs = {**(case or {}), **self.substitutions}
        if self.taylor_in is not None:
            return _agrees_to_second_order(difference, self.taylor_in, subs, ranges, seconds)
        return is_identically_zero(difference, subs or None, seconds, ranges) is True


TAYLOR_INDICES = sp.symbols("r_1 r_2", integer=True, nonnegative=True)


def _agrees_to_second_order(difference: sp.Expr, u: sp.IndexedBase, subs: dict,
                            ranges: Ranges = (), seconds: float = DEFAULT_SECONDS) -> bool:
    """difference(u) == 0 for every vector u, by Taylor's theorem in u.

    The difference vanishes at u = 0, its gradient vanishes at u = 0 and its
    Hessian vanishes everywhere; so it is affine with zero value and zero slope
    at the origin, hence zero.  The derivative indices r_1, r_2 range over every
    entry of u that occurs: over lo..hi when every occurrence u[e] is proved to lie
    there (:func:`_support`), else over every nonnegative integer.
    """
    r1, r2 = TAYLOR_INDICES
    support = _support(difference, u, ranges)
    if support is not None:
        ranges = tuple(ranges) + ((r1, *support), (r2, *support))

    def at_zero(expr: sp.Expr) -> sp.Expr:
        return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == u,
                            lambda e: sp.S.Zero)

    gradient = sp.diff(difference, u[r1])
    checks = (at_zero(difference), at_zero(gradient), sp.diff(gradient, u[r2]))
    return all(is_identically_zero(expr, subs or None, seconds, ranges) is True for expr in checks)


def _support(expr: sp.Expr, u: sp.IndexedBase, ranges: Ranges) -> tuple | None:
    """(lo, hi) such that every occurrence u[e] in ``expr`` has lo <= e <= hi, proved from the
    ranges and the limits of the sums around it; None when that cannot be shown."""
    occurrences: list = []

    def walk(node: sp.Basic, limits: tuple) -> None:
        if isinstance(node, sp.Indexed) and node.base == u:
            occurrences.append((node.indices, limits))
        elif isinstance(node, sp.Sum):
            walk(node.function, within(limits, node.limits))
        else:
            for arg in node.args:
                walk(arg, limits)

    walk(expr, ())
    bound = [(lo, hi) for (index, *_), limits in occurrences for var, lo, hi in limits if var == index]
    if not bound or any(len(indices) != 1 for indices, _ in occurrences):
        return None
    lo, hi = bound[0]
    inside = all(implied(sp.And(sp.Le(lo, e), sp.Le(e, hi)), within(ranges, limits))
                 for (e,), limits in occurrences)
    return (lo, hi) if inside else None


@dataclass(frozen=True)
class Fact:
    """A claim ``expression > 0`` for all real values of its symbols."""

    expression: sp.Expr
    statement: str

    def holds(self) -> bool:
        return is_positive(self.expression) is True


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
class StepVerdict:
    """The re-check of one step: ``status`` is "verified", "undecided", "refuted" (with a
    witness ``point`` where the two sides differ), "refused" (an undeclared hypothesis or
    a guard that does not cover the stated range) or "fault" (proved, yet refuted at
    ``point``: an engine bug)."""

    step: int
    status: str
    reason: str = ""
    point: dict | None = None

    @property
    def ok(self) -> bool:
        return self.status == "verified"

    def describe(self) -> str:
        where = f" at {_witness.describe(self.point)}" if self.point else ""
        return f"step {self.step}: {self.status}" + (f" ({self.reason}{where})" if self.reason else where)


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
        alternatives = [h.cases for h in self.hypotheses if len(h.cases) > 1 or not split_only]
        return [dict(item for case in combo for item in case.items())
                for combo in itertools.product(*alternatives)]

    def chain_is_linked(self) -> bool:
        """True when the steps form one unbroken chain from lhs to rhs."""
        if not self.steps:
            return False
        ends = [self.steps[0].before == self.result.lhs, self.steps[-1].after == self.result.rhs]
        links = [a.after == b.before for a, b in zip(self.steps, self.steps[1:])]
        return all(ends + links)

    def _refusal(self, step: Step) -> str:
        """Why the step's substitutions are not allowed ('' when they are)."""
        declared = [h.cases[0] for h in self.hypotheses if len(h.cases) == 1]
        split = {key for case in self.hypothesis_cases(split_only=True) for key in case}
        for key, value in step.substitutions.items():
            if key in split:
                return f"substitutes {sp.sstr(key)}, which a case split of the hypotheses already fixes"
            if any(case.get(key) == value for case in declared):
                continue
            if not _is_guard(key):
                return f"uses the undeclared hypothesis {sp.sstr(key)} = {sp.sstr(value)}"
            if not _guard_covers(key, value, step, self.ranges):
                return (f"the guard {sp.sstr(key)} = {sp.sstr(value)} does not cover the stated "
                        f"range {', '.join(self.range_lines()) or '(none stated)'}")
        return ""

    def _step_verdict(self, number: int, step: Step) -> StepVerdict:
        refusal = self._refusal(step)
        if refusal:
            return StepVerdict(number, "refused", refusal)
        witness = _witness.compare(step.before, step.after, self.hypothesis_cases(), self.ranges)
        seconds = FAULT_SECONDS if witness.point is not None else DEFAULT_SECONDS
        proved = all(step.holds(case, self.ranges, seconds) for case in self.hypothesis_cases(split_only=True))
        if witness.point is not None:
            status = "fault" if proved else "refuted"
            return StepVerdict(number, status, f"the two sides differ: {witness.detail}", witness.point)
        if not proved:
            return StepVerdict(number, "undecided", "no exact proof")
        if not witness.confirms:
            why = witness.detail or f"the witness found only {witness.agreed} points where both sides are defined"
            return StepVerdict(number, "undecided", why)
        return StepVerdict(number, "verified")

    def verdicts(self) -> list[StepVerdict]:
        """Each step re-checked from scratch (exact proof and numeric witness)."""
        return [self._step_verdict(i, step) for i, step in enumerate(self.steps, 1)]

    def step_checks(self) -> list[bool]:
        """For each step, whether it is verified; raises :class:`SoundnessError` on a fault."""
        verdicts = self.verdicts()
        _raise_faults(self.name, verdicts)
        return [v.ok for v in verdicts]

    def audit(self) -> tuple[bool, list[StepVerdict]]:
        """(verified, each step's verdict): :meth:`verify` without raising on a fault."""
        verdicts = self.verdicts()
        verified = (self.chain_is_linked() and all(v.ok for v in verdicts)
                    and all(fact.holds() for fact in self.facts))
        return verified, verdicts

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

    def __str__(self) -> str:
        return self.text()


def _raise_faults(name: str, verdicts: list[StepVerdict]) -> None:
    faults = [v for v in verdicts if v.status == "fault"]
    if faults:
        raise SoundnessError(f"{name}: the exact engine proved what the witness refutes: "
                             + "; ".join(v.describe() for v in faults))


def _is_guard(key: sp.Basic) -> bool:
    """A guard substitutes a size (a positive integer symbol)."""
    return isinstance(key, sp.Symbol) and bool(key.is_integer and key.is_positive)


def _guard_covers(size: sp.Symbol, value: sp.Expr, step: Step, ranges: Ranges) -> bool:
    """``size = value`` with one fresh nonnegative integer q of coefficient 1 in ``value``
    covers every point of the stated ranges when the ranges imply size - value|_{q=0} >= 0."""
    stated = (_witness.free_symbols(step.before) | _witness.free_symbols(step.after)
              | {s for r in ranges for e in r for s in sp.sympify(e).free_symbols})
    fresh = [s for s in value.free_symbols - stated if s not in TAYLOR_INDICES]
    if len(fresh) != 1 or not (fresh[0].is_integer and fresh[0].is_nonnegative):
        return False
    q = fresh[0]
    if sp.expand(value).coeff(q) != 1 or sp.expand(value - q).has(q):
        return False
    return implied(sp.Ge(size - value.xreplace({q: 0}), 0), ranges)
