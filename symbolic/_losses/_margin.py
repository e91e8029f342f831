"""How hard a loss pushes a sample, as a function of its signed margin m = (2y - 1) z.

For a hard label y the *pull* is pi_y(m) = -(2y - 1) dL/dz at z = (2y - 1) m: the rate at which a
gradient step moves the logit towards the right side, so |dL/dz| = |pi_y(m)|.  For each label:

* the limits of pi_y(m) as m -> +oo (confidently right) and m -> -oo (confidently wrong), by SymPy's
  ``limit`` under a time limit ("undecided" when it gives up);
* monotonicity of |pi_y| in m: **proved decreasing** when SymPy proves pi_y > 0 and -dpi_y/dm > 0
  for every real m (both re-checked as facts of the margin derivation); **refuted** by certified
  pairs m_1 < m_2, exact rationals where interval enclosures (:mod:`._certified`) of |pi_y(m_1)| and
  |pi_y(m_2)| are disjoint: a rising pair and a falling pair prove "not monotone"; else "undecided";
* where |pi_y| is not monotone, a certified bracket (a, c) around a grid point b with |pi(b)| above
  (or below) both |pi(a)| and |pi(c)|: the continuous |pi_y| has a local maximum (minimum) in (a, c).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import mpmath
import sympy as sp

from .._proof import TimeLimitError, evaluate, is_positive, time_limit
from .._vocabulary import sigmoid
from ..printing import html_text, latex, latex_text

__all__ = ["MarginVerdict", "pull", "margin_verdict", "GRID"]

m = sp.Symbol("m", real=True)
GRID = tuple(sp.Rational(k, 4) for k in range(-60, 61))
LIMIT_SECONDS = 3.0
MARGIN_SECONDS = 4.0
"""CPU time for one label's margin properties (limits, monotonicity, extremum)."""
FAR = sp.Integer(40)


def pull(grad: sp.Expr, z: sp.Symbol, y: sp.Symbol, label: int) -> sp.Expr:
    """pi_y(m) = -(2y - 1) dL/dz at y = label, z = (2 label - 1) m."""
    sign = 2 * label - 1
    return -sign * grad.xreplace({y: sp.Integer(label)}).subs(z, sign * m)


@dataclass(frozen=True)
class MarginVerdict:
    """The margin properties of |dL/dz| for one hard label."""

    label: int
    pull: sp.Expr
    limit_right: sp.Expr | None
    limit_wrong: sp.Expr | None
    monotone: str
    evidence: list[str] = field(default_factory=list)
    proved_decreasing: bool = False

    def as_dict(self) -> dict:
        def shown(v):
            return None if v is None else sp.sstr(v)

        return {"label": self.label, "pull": sp.sstr(self.pull), "limit_m_to_plus_inf": shown(self.limit_right),
                "limit_m_to_minus_inf": shown(self.limit_wrong), "monotone": self.monotone,
                "evidence": list(self.evidence)}

    def text(self) -> str:
        def shown(v):
            return "undecided" if v is None else sp.sstr(v)

        lines = [f"y = {self.label}: |dL/dz| = |{sp.sstr(self.pull)}|",
                 f"    m -> +oo (confidently right): {shown(self.limit_right)};  "
                 f"m -> -oo (confidently wrong): {shown(self.limit_wrong)}",
                 f"    |dL/dz| monotone in m: {self.monotone}"]
        return "\n".join(lines + [f"      {line}" for line in self.evidence])

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return html_text(self.text())

    def _repr_latex_(self) -> str:
        def shown(v):
            return "\\text{undecided}" if v is None else latex(v)

        return (f"$y = {self.label}:\\ \\left|\\frac{{\\partial L}}{{\\partial z}}\\right| = "
                f"\\left|{latex(self.pull)}\\right| \\to {shown(self.limit_right)}\\ (m \\to +\\infty),\\ "
                f"\\to {shown(self.limit_wrong)}\\ (m \\to -\\infty);\\ "
                f"\\text{{monotone in }} m\\text{{: {latex_text(self.monotone)}}}$")


def _limit_in_sigmoid(expr: sp.Expr, direction) -> sp.Expr | None:
    """The limit through t = sigmoid(c m), c = +-1, when expr is a function of t alone."""
    kinds = {a.args[0] for a in expr.atoms(sigmoid)}
    if len(kinds) != 1 or (c := sp.simplify(next(iter(kinds)) / m)) not in (1, -1):
        return None
    t = sp.Symbol("t", positive=True)
    in_t = expr.xreplace({sigmoid(c * m): t})
    if m in in_t.free_symbols:
        return None
    end = 1 if (c == 1) == (direction == sp.oo) else 0
    return sp.limit(in_t, t, end, "-" if end == 1 else "+")


def _confirmed(value: sp.Expr, expr: sp.Expr, direction) -> bool:
    """A second witness: the certified value at m = +-FAR agrees with the limit (or is huge for oo)."""
    at = _enclosure(expr, FAR if direction == sp.oo else -FAR)
    if at is None:
        return False
    if value in (sp.oo, -sp.oo):
        return (at.a > 1e12) if value == sp.oo else (at.b < -1e12)
    target = float(value)
    return float(abs(at - target).b) <= 1e-9 * (1 + abs(target))


def _limit(expr: sp.Expr, direction, seconds: float = LIMIT_SECONDS) -> sp.Expr | None:
    """lim pi(m) as m -> direction, by SymPy, confirmed numerically; None when undecided."""
    try:
        with time_limit(seconds):
            value = _limit_in_sigmoid(expr, direction)
            if value is None:
                value = sp.limit(expr.rewrite(sigmoid, sp.exp), m, direction)
        if value.has(sp.Limit, sp.AccumBounds, sp.nan, sp.zoo) or value.free_symbols:
            return None
        return value if _confirmed(value, expr, direction) else None
    except (TimeLimitError, NotImplementedError, ValueError, TypeError, RecursionError, AttributeError):
        return None


def _magnitudes(expr: sp.Expr) -> list[float]:
    evaluate = sp.lambdify(m, expr.rewrite(sigmoid, sp.exp), "mpmath")
    with mpmath.workdps(30):
        return [abs(float(evaluate(mpmath.mpf(v.p) / v.q))) for v in GRID]


def _enclosure(expr: sp.Expr, at: sp.Rational):
    found = evaluate(expr, {m: at})
    return found.interval if found.kind == "value" else None


def _certified_order(expr: sp.Expr, low: sp.Rational, high: sp.Rational) -> bool:
    """True when |expr(low)| < |expr(high)| is certified by disjoint interval enclosures."""
    a, b = _enclosure(sp.Abs(expr), low), _enclosure(sp.Abs(expr), high)
    return a is not None and b is not None and a.b < b.a


def _pair(expr: sp.Expr, values: list[float], rising: bool) -> tuple[sp.Rational, sp.Rational] | None:
    """The grid pair m_1 < m_2 with the largest rise (or fall), if certified."""
    best, where = 0.0, None
    for i in range(len(values) - 1):
        gap = (values[i + 1] - values[i]) * (1 if rising else -1)
        if gap > best:
            best, where = gap, i
    if where is None:
        return None
    low, high = GRID[where], GRID[where + 1]
    ok = _certified_order(expr, low, high) if rising else _certified_order(expr, high, low)
    return (low, high) if ok else None


def _extremum(expr: sp.Expr, values: list[float]) -> str | None:
    """A certified bracket of an interior local maximum (else minimum) of |pi| on the grid."""
    for kind, pick in (("maximum", max), ("minimum", min)):
        i = values.index(pick(values))
        if 0 < i < len(values) - 1:
            a, b, c = GRID[i - 1], GRID[i], GRID[i + 1]
            ok = ((_certified_order(expr, a, b) and _certified_order(expr, c, b)) if kind == "maximum"
                  else (_certified_order(expr, b, a) and _certified_order(expr, b, c)))
            if ok:
                return (f"certified: a local {kind} of |dL/dz| lies in m in ({a}, {c}) "
                        f"(|dL/dz| at m = {b} is {'above' if kind == 'maximum' else 'below'} both ends)")
    return None


def margin_verdict(grad: sp.Expr, z: sp.Symbol, y: sp.Symbol, label: int,
                   seconds: float = MARGIN_SECONDS) -> MarginVerdict:
    """Limits and monotonicity of |dL/dz| in the signed margin m, for hard label ``label``, within
    ``seconds`` of CPU time: what is not decided by then is "undecided"."""
    expr = pull(grad, z, y, label)
    deadline = time.process_time() + seconds
    limits = [_limit(expr, end, max(0.05, min(LIMIT_SECONDS, (deadline - time.process_time()) / 4)))
              for end in (sp.oo, -sp.oo)]
    right, wrong = (None if v is None else sp.Abs(v) for v in limits)
    try:
        with time_limit(max(0.05, deadline - time.process_time())):
            return _monotonicity(label, expr, right, wrong)
    except (TimeLimitError, RecursionError, MemoryError):
        return MarginVerdict(label, expr, right, wrong, "undecided",
                             [f"not decided within the CPU budget of {seconds:g} s"])


def _monotonicity(label: int, expr: sp.Expr, right, wrong) -> MarginVerdict:
    if is_positive(expr) and is_positive(-sp.diff(expr, m)):
        return MarginVerdict(label, expr, right, wrong, "decreasing (proved)",
                             ["proved: pi(m) > 0 and dpi/dm < 0 for every real m"], True)
    try:
        values = _magnitudes(expr)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return MarginVerdict(label, expr, right, wrong, "undecided", ["|dL/dz| could not be evaluated on the grid"])
    up, down = _pair(expr, values, rising=True), _pair(expr, values, rising=False)
    evidence = []
    if up:
        evidence.append(f"certified: |dL/dz|(m = {up[0]}) < |dL/dz|(m = {up[1]}): it rises somewhere")
    if down:
        evidence.append(f"certified: |dL/dz|(m = {down[0]}) > |dL/dz|(m = {down[1]}): it falls somewhere")
    if up and down:
        verdict = "not monotone (refuted)"
        extremum = _extremum(expr, values)
        evidence += [extremum] if extremum else []
    elif up:
        verdict = "not decreasing (refuted); increasing undecided"
    else:
        verdict = "undecided"
    return MarginVerdict(label, expr, right, wrong, verdict, evidence)
