"""Derivations as data: a chain of equalities, each step re-checkable by SymPy.

A :class:`Derivation` proves ``result.lhs == result.rhs`` through steps
``lhs = e_1 = e_2 = ... = rhs``.  Each :class:`Step` holds the expression
before and after and the rule that links them.  :meth:`Derivation.verify`
re-checks, from scratch and with no cached answer, that

* the chain is unbroken (step i's ``after`` is step i+1's ``before``, the first
  ``before`` is ``result.lhs``, the last ``after`` is ``result.rhs``);
* every step's ``before - after`` is identically zero
  (:func:`symbolic._zero.is_identically_zero`), in every case.  Derivatives of
  sigmoid use ``sigmoid.fdiff``, the rule that the derivation ``sigmoid_derivative``
  proves from the exp definition (its own steps are written with exp, not fdiff);
* every stated fact (an expression claimed positive) is proved positive.

A step that SymPy cannot confirm makes ``verify()`` return False; nothing is
skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from ._zero import is_identically_zero, is_positive

__all__ = ["Step", "Fact", "Derivation", "TAYLOR_INDICES"]


def _escape(text: str) -> str:
    """Text safe inside LaTeX's \\text{...}."""
    for char in "_^&%#$":
        text = text.replace(char, "\\" + char)
    return text


@dataclass(frozen=True)
class Step:
    """One equality ``before = after`` justified by ``rule``.

    ``substitutions`` are applied after evaluating derivatives and sums: they
    discharge index-range guards (``n = k + 1 + q`` with q >= 0 states 0 <= k < n)
    or state an assumption (``sum_c y_c = 1``).  With ``taylor_in`` set to a vector
    u, the step is checked as a function of u (value and gradient at u = 0, Hessian
    everywhere; see :func:`_agrees_to_second_order`).
    """

    before: sp.Expr
    after: sp.Expr
    rule: str
    substitutions: dict = field(default_factory=dict)
    taylor_in: sp.IndexedBase | None = None

    def holds(self, case: dict | None = None) -> bool:
        difference = self.before - self.after
        if case:
            difference = difference.subs(case)
        if self.taylor_in is not None:
            return _agrees_to_second_order(difference, self.taylor_in, self.substitutions)
        return is_identically_zero(difference, self.substitutions or None) is True


TAYLOR_INDICES = sp.symbols("r_1 r_2", integer=True, nonnegative=True)


def _agrees_to_second_order(difference: sp.Expr, u: sp.IndexedBase, guard: dict) -> bool:
    """difference(u) == 0 for every vector u, by Taylor's theorem in u.

    The difference vanishes at u = 0, its gradient vanishes at u = 0 and its
    Hessian vanishes everywhere; so it is affine with zero value and zero slope
    at the origin, hence zero.  ``guard`` discharges the range guards of the
    derivative indices r_1, r_2 (for example n = r_1 + r_2 + 1 + q).
    """
    r1, r2 = TAYLOR_INDICES

    def at_zero(expr: sp.Expr) -> sp.Expr:
        return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == u,
                            lambda e: sp.S.Zero)

    checks = (
        (at_zero(difference), None),
        (at_zero(sp.diff(difference, u[r1])), guard),
        (sp.diff(difference, u[r1], u[r2]), guard),
    )
    return all(is_identically_zero(expr, subs) is True for expr, subs in checks)


@dataclass(frozen=True)
class Fact:
    """A claim ``expression > 0`` for all real values of its symbols."""

    expression: sp.Expr
    statement: str

    def holds(self) -> bool:
        return is_positive(self.expression) is True


@dataclass(frozen=True)
class Derivation:
    """A named result and the machine-checkable chain of steps that proves it.

    ``cases`` lists substitutions (for example ``{y: 0}`` and ``{y: 1}`` for
    hard labels) under which every step must hold; an empty list means the
    steps hold for all values of the symbols.
    """

    name: str
    title: str
    result: sp.Eq
    steps: tuple[Step, ...]
    statement: str = ""
    facts: tuple[Fact, ...] = ()
    cases: tuple[dict, ...] = ()
    assumptions: str = ""
    abbreviations: tuple[tuple[sp.Expr, sp.Symbol], ...] = ()

    def shown(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` for display: each abbreviated subexpression replaced by its symbol."""
        return expr.xreplace(dict(self.abbreviations)) if self.abbreviations else expr

    def definition(self, full: sp.Expr) -> sp.Expr:
        """An abbreviated expression written with the other abbreviations."""
        return full.xreplace({f: s for f, s in self.abbreviations if f != full})

    def where(self) -> list[str]:
        """The abbreviations as 'symbol = expression' text lines."""
        return [f"{sp.sstr(sym)} = {sp.sstr(self.definition(full))}" for full, sym in self.abbreviations]

    def chain_is_linked(self) -> bool:
        """True when the steps form one unbroken chain from lhs to rhs."""
        if not self.steps:
            return False
        ends = [self.steps[0].before == self.result.lhs, self.steps[-1].after == self.result.rhs]
        links = [a.after == b.before for a, b in zip(self.steps, self.steps[1:])]
        return all(ends + links)

    def step_checks(self) -> list[bool]:
        """For each step, whether SymPy confirmed it (in every case)."""
        cases = self.cases or ({},)
        return [all(step.holds(case) for case in cases) for step in self.steps]

    def verify(self) -> bool:
        """Re-check the chain, every step and every fact from scratch."""
        return (
            self.chain_is_linked()
            and all(self.step_checks())
            and all(fact.holds() for fact in self.facts)
        )

    def latex(self) -> str:
        """The chain as a LaTeX ``aligned`` block, the rule beside each step."""
        lines = [
            r"%s&= %s && \text{%s}" % (sp.latex(self.shown(step.before)) if i == 0 else "",
                                        sp.latex(self.shown(step.after)), _escape(step.rule))
            for i, step in enumerate(self.steps)
        ]
        body = (r" \\" + "\n").join(lines)
        where = "".join(r" \\ &\text{where } %s = %s" % (sp.latex(sym), sp.latex(self.definition(full)))
                        for full, sym in self.abbreviations)
        return "\\begin{aligned}\n" + body + where + "\n\\end{aligned}"

    def _repr_latex_(self) -> str:
        return "$$" + self.latex() + "$$"

    def text(self) -> str:
        """A plain-text rendering: the result, then each step with its rule."""
        out = [f"{self.name}: {self.title}", f"  {sp.sstr(self.shown(self.result.lhs))}"]
        out += [f"    = {sp.sstr(self.shown(step.after))}    [{step.rule}]" for step in self.steps]
        out += [f"  where {line}" for line in self.where()]
        if self.cases:
            out.append("  for each of: " + ", ".join(sp.sstr(c) for c in self.cases))
        out += [f"  fact: {fact.statement}" for fact in self.facts]
        if self.assumptions:
            out.append(f"  assuming: {self.assumptions}")
        return "\n".join(out)

    def __str__(self) -> str:
        return self.text()
