"""Deciding whether an expression is identically zero.

The decision is two-valued here: ``True`` (a chain of exact rewrites reached 0) or
``None`` (the rewrites ran out, or the time limit hit).  Refutation is numeric and
lives in :mod:`gradproof.symbolic._checker._checker`.  ``simplify`` is avoided: it can recurse without
end on these expressions.  Instead the steps are targeted:

1. :func:`evaluate` carries out derivatives and the sums that Kronecker deltas pin
   (a delta whose equation is not affine with coefficient +-1 in the summation index
   is left unevaluated); the guards this leaves (``Piecewise``) are discharged only
   where the stated index ranges imply or exclude them (:mod:`gradproof.symbolic._proof._ranges`), and
   what remains is split into its cases, each proved zero or empty on the ranges;
2. finite sums with equal limits are merged and a sum whose
   summand is identically zero is replaced by 0 (sound: f == 0 implies sum f == 0);
3. remaining sums and indexed symbols become opaque real symbols;
4. with every sigmoid/tanh/exp/log application an opaque symbol, the numerator over a
   common denominator may already expand to 0 (sound: an identity in free symbols holds
   for any values);
5. otherwise sigmoid and tanh are rewritten through exp, every real symbol a inside
   an exponent is written log(t_a) with t_a > 0, logs are expanded only where SymPy
   knows the factors are positive, and the expanded numerator over a common denominator
   decides zero for the resulting rational function.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import sympy as sp

from .._vocabulary import sigmoid
from ._ranges import Ranges, implied, infeasible, within

__all__ = ["evaluate", "is_identically_zero", "is_nonnegative", "is_positive", "time_limit", "TimeLimitError"]

DEFAULT_SECONDS = 10.0


class TimeLimitError(Exception):
    """Raised inside :func:`time_limit` when the CPU-time budget runs out."""


def _expire(signum, frame):
    raise TimeLimitError


REPEAT_SECONDS = 0.1
"""CPU seconds between repeats of an expiry.  A signal's exception raised while the interpreter
runs a finaliser (``__del__``, a weakref callback) is printed and dropped, so an expiry that
fired once could be lost, and the body then ran unbounded (a CI run spent 14 minutes in one
SymPy expansion); the timer therefore fires again until the limit is left."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the body with :class:`TimeLimitError` after ``seconds`` of this process's CPU time.

    CPU time (``ITIMER_PROF``), not wall-clock time: a busy neighbour process slows the body
    down but does not change what it decides within its budget, so the same input gives the
    same verdict on a loaded machine.  Once expired, it repeats every ``REPEAT_SECONDS`` of CPU
    time until the body is left.  Limits nest: an inner limit never outlives the one around it,
    and the outer one resumes with what is left of it.  Main thread only; elsewhere the body
    runs without a limit.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    outer, _ = signal.getitimer(signal.ITIMER_PROF)
    started = time.process_time()
    previous = signal.signal(signal.SIGPROF, _expire)
    signal.setitimer(signal.ITIMER_PROF, min(seconds, outer) if outer else seconds, REPEAT_SECONDS)
    try:
        yield
    finally:
        _disarm()
        signal.signal(signal.SIGPROF, previous)
        if outer:
            signal.setitimer(signal.ITIMER_PROF, max(outer - (time.process_time() - started), 1e-6), REPEAT_SECONDS)


def _disarm() -> None:
    """Stop the timer, even when a repeat of the expiry arrives while stopping it."""
    while True:
        try:
            signal.setitimer(signal.ITIMER_PROF, 0)
            return
        except TimeLimitError:
            continue


_Exp = sp.Function("Exp")


def _drop_zero_sums(expr: sp.Expr) -> sp.Expr:
    """Merge the sums with equal limits and drop those whose summand is identically zero.

    After expanding, every term c * Sum(f, limits) whose coefficient c does not involve
    the summation indices joins the one sum over those limits: sum of c_i Sum(f_i) =
    Sum(sum of c_i f_i), a finite identity.  exp is hidden behind an opaque function
    meanwhile, so that expanding leaves exp(a + b) whole.
    """
    groups: dict = {}
    rest = []
    for term in sp.Add.make_args(sp.expand(expr.replace(sp.exp, _Exp))):
        sums = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.Sum)]
        if len(sums) == 1 and not (set(sums[0].variables) & (term / sums[0]).free_symbols):
            groups.setdefault(sums[0].limits, []).append((term / sums[0]) * sums[0].function)
        else:
            rest.append(term)
    merged = [sp.Sum(sp.Add(*summands), *limits) for limits, summands in groups.items()]
    kept = [total for total in merged if not _rational_zero(_opaque(total.function.replace(_Exp, sp.exp)))]
    return sp.Add(*rest, *kept).replace(_Exp, sp.exp)


def _opaque(expr: sp.Expr) -> sp.Expr:
    """Replace sums, products and indexed symbols by real symbols (same object, same symbol)."""
    atoms = sorted(
        expr.atoms(sp.Sum, sp.Product, sp.Indexed), key=sp.default_sort_key, reverse=True
    )
    mapping = {a: sp.Dummy(f"a{i}", real=True) for i, a in enumerate(atoms)}
    return expr.xreplace(mapping) if mapping else expr


def _exp_free(expr: sp.Expr) -> sp.Expr:
    """Rewrite sigmoid, tanh and exp into rational functions of positive symbols.

    Every real symbol a that sits inside an exponential is written a = log(t_a)
    with t_a > 0 (a bijection of the reals onto the positive reals), so exp(a)
    becomes t_a and log(1 + exp(-a)) becomes log(t_a + 1) - log(t_a).
    """
    expr = expr.rewrite(sigmoid, sp.exp) if expr.has(sigmoid) else expr
    expr = expr.rewrite(sp.tanh, sp.exp) if expr.has(sp.tanh) else expr
    exponents = {e.args[0] for e in expr.atoms(sp.exp)}
    inside = set().union(*(a.free_symbols for a in exponents)) if exponents else set()
    mapping = {s: sp.log(sp.Dummy(f"t_{s}", positive=True)) for s in inside if s.is_real}
    expr = sp.expand_power_exp(expr.xreplace(mapping))
    expr = expr.replace(
        lambda node: isinstance(node, sp.log),
        lambda node: sp.expand_log(sp.log(sp.factor(sp.together(node.args[0])))),
    )
    return expr.replace(lambda node: isinstance(node, sp.Abs), _resolve_abs)


def _resolve_abs(node: sp.Abs) -> sp.Expr:
    inner = sp.factor(sp.together(node.args[0]))
    if inner.is_nonnegative:
        return inner
    if inner.is_nonpositive:
        return -inner
    return node


def _functions_opaque(expr: sp.Expr) -> sp.Expr:
    """Replace every application of sigmoid, tanh, exp and log by a real symbol (outermost first)."""
    kinds = (sigmoid, sp.tanh, sp.exp, sp.log)
    mapping: dict = {}

    def visit(node):
        if isinstance(node, kinds):
            return mapping.setdefault(node, sp.Dummy(f"f{len(mapping)}", real=True))
        if not node.args:
            return node
        return node.func(*[visit(arg) for arg in node.args])

    return visit(expr)


def _rational_zero(expr: sp.Expr) -> bool:
    """Zero as a rational function of opaque function values, or after rewriting through exp."""
    return _zero_fraction(_functions_opaque(expr)) or _zero_fraction(_exp_free(expr))


def _zero_fraction(expr: sp.Expr) -> bool:
    """A rational function is zero where defined exactly when the expansion of its numerator
    over one common denominator is 0.  Deciding that needs no polynomial gcd: ``cancel``'s
    heuristic gcd evaluates at ever larger integers, and with a constant such as 1 + 10^-30 in
    a polynomial of a dozen symbols one of its big-integer powers ran for minutes inside C,
    where no time limit can interrupt it."""
    numerator, _ = sp.fraction(sp.together(sp.expand(expr)))
    return sp.expand(numerator) == 0


def is_positive(expr: sp.Expr, seconds: float = DEFAULT_SECONDS) -> bool | None:
    """Return True when ``expr`` is proved positive for all real values of its symbols."""
    try:
        with time_limit(seconds):
            if sp.sympify(expr).is_positive:  # SymPy's own assumptions: 1 + exp(u) for real u
                return True
            value = sp.factor(sp.together(_exp_free(_opaque(evaluate(sp.sympify(expr))))))
            return True if (value.is_positive or _positive_polynomial(value)) else None
    except (TimeLimitError, RecursionError, sp.PolynomialError, MemoryError):
        return None


def _positive_polynomial(expr: sp.Expr) -> bool:
    """A polynomial in one real symbol with no real root (Sturm's theorem, SymPy's exact root
    count) that is positive at 0 is positive everywhere: z**2 + z + 2."""
    symbols = expr.free_symbols
    if len(symbols) != 1 or not next(iter(symbols)).is_real:
        return False
    symbol = next(iter(symbols))
    try:
        poly = sp.Poly(expr, symbol)
    except sp.PolynomialError:
        return False
    if not all(c.is_Rational for c in poly.all_coeffs()) or poly.degree() < 1:
        return False
    return poly.count_roots() == 0 and poly.eval(0) > 0


def is_nonnegative(expr: sp.Expr, seconds: float = DEFAULT_SECONDS) -> bool | None:
    """Return True when ``expr`` is proved nonnegative (>= 0) for all real values of its symbols:
    after the rewrites of :func:`is_positive`, the factored form is known nonnegative (a square
    such as (t - 1)**2, a product of such factors and positive ones)."""
    try:
        with time_limit(seconds):
            if sp.sympify(expr).is_nonnegative:
                return True
            value = sp.factor(sp.together(_exp_free(_opaque(evaluate(sp.sympify(expr))))))
            return True if (value.is_nonnegative or value.is_zero) else None
    except (TimeLimitError, RecursionError, sp.PolynomialError, MemoryError):
        return None


def _solve_delta(delta: sp.KroneckerDelta, var: sp.Symbol) -> sp.Expr | None:
    """The value of ``var`` at which ``delta`` is 1, when the delta's equation is
    affine in ``var`` with coefficient +-1 and the solution is an integer expression
    (integer coefficients in integer symbols); None otherwise."""
    equation = sp.expand(delta.args[0] - delta.args[1])
    coefficient = equation.coeff(var)
    if coefficient not in (1, -1) or (equation - coefficient * var).has(var):
        return None
    solution = sp.expand(-(equation - coefficient * var) / coefficient)
    return solution if _integer_affine(solution) else None


def _integer_affine(expr: sp.Expr) -> bool:
    """True for sum_v a_v v + c with integer a_v, c and integer symbols v."""
    symbols = sorted(expr.free_symbols, key=sp.default_sort_key)
    if not symbols:
        return bool(expr.is_Integer)
    if not all(s.is_integer for s in symbols):
        return False
    try:
        poly = sp.Poly(expr, *symbols)
    except sp.PolynomialError:
        return False
    return poly.total_degree() <= 1 and all(c.is_Integer for c in poly.coeffs())


def _sum_deltas(total: sp.Sum) -> sp.Expr:
    """Carry out a sum over an index that a Kronecker delta pins.

    For delta = KroneckerDelta(a, b) and any summand f, f = f|_{delta=0} + (f|_{delta=1} -
    f|_{delta=0}) delta exactly, because a delta is 0 or 1.  When a - b = 0 solves to
    k = q (affine in k with coefficient +-1, q an integer expression),
    sum_{k=lo}^{hi} f = sum_{k=lo}^{hi} f|_{delta=0} + [lo <= q <= hi] (f|_{delta=1} - f|_{delta=0})|_{k=q}.
    Any other delta (2 j = k, a non-integer solution, a solution in an index that an
    inner sum binds) is left unevaluated.  This never
    expands the summand (SymPy's ``deltasummation`` does, and then tries to sum every
    other term in closed form, which takes minutes on a GRU cell).
    """
    if len(total.limits) > 1:
        inner = sp.Sum(total.function, total.limits[0])
        return sp.Sum(_sum_deltas(inner) if _pinned(inner) else inner, *total.limits[1:])
    f, (var, low, high) = total.function, total.limits[0]
    if f.is_zero:
        return sp.S.Zero
    rebound = {v for inner in f.atoms(sp.Sum) for v in inner.variables}
    for delta in sorted(f.atoms(sp.KroneckerDelta), key=sp.default_sort_key):
        solution = _solve_delta(delta, var)
        if solution is not None and not ({var} | solution.free_symbols) & rebound:
            break
    else:
        return total
    f0, f1 = f.xreplace({delta: sp.S.Zero}), f.xreplace({delta: sp.S.One})
    pinned = (f1 - f0).xreplace({var: solution})
    rest = sp.Sum(f0, total.limits[0]) if not f0.is_zero else sp.S.Zero
    return rest + sp.Piecewise((pinned, sp.And(solution >= low, solution <= high)), (0, True))


def _pinned(e) -> bool:
    """A sum one of whose indices a Kronecker delta in the summand pins."""
    if not isinstance(e, sp.Sum):
        return False
    if e.function.is_zero:
        return True
    indices = set(e.variables)
    return any(indices & d.free_symbols for d in e.function.atoms(sp.KroneckerDelta))


def evaluate(expr: sp.Expr) -> sp.Expr:
    """Carry out derivatives and the sums of Kronecker deltas they leave, nothing more.

    A plain ``doit()`` would also try to sum every finite sum in closed form
    (Gosper, hypergeometric), which is slow and never needed here.
    """
    while expr.has(sp.Derivative):
        expr = expr.replace(lambda e: isinstance(e, sp.Derivative), lambda e: e.doit(deep=False))
    while True:
        done = expr.replace(_pinned, _sum_deltas)
        if done == expr:
            return expr
        expr = done


def is_identically_zero(
    expr: sp.Expr,
    substitutions: dict | None = None,
    seconds: float = DEFAULT_SECONDS,
    ranges: Ranges = (),
) -> bool | None:
    """Return True when ``expr`` is proved zero at every point of ``ranges``, None when undecided.

    ``substitutions`` are applied after the derivatives and deltas are carried out (the
    caller proves them legitimate: declared hypotheses, or guards that cover the ranges).
    ``ranges`` states the index ranges, ``(k, 0, n - 1)`` for 0 <= k <= n - 1; the guards
    SymPy leaves are discharged only when these ranges imply (or exclude) them.
    """
    try:
        with time_limit(seconds):
            expr = evaluate(sp.sympify(expr))
            if substitutions:
                expr = evaluate(expr.subs(substitutions))
            return True if _zero_on(expr, tuple(ranges)) else None
    except (TimeLimitError, RecursionError, sp.PolynomialError, MemoryError):
        return None


def _zero_on(expr: sp.Expr, ranges: Ranges) -> bool:
    """expr == 0 on the ranges: guards discharged, then each remaining case proved zero or empty."""
    if expr.has(sp.Piecewise):
        expr = _discharge(expr, ranges)
    if expr.has(sp.Piecewise):
        if any(total.has(sp.Piecewise) for total in expr.atoms(sp.Sum)):
            return False  # piecewise_fold would pull a guard out of its sum, freeing the bound index
        folded = sp.piecewise_fold(expr)
        if not isinstance(folded, sp.Piecewise) or any(arm.has(sp.Piecewise) for arm, _ in folded.args):
            return False
        earlier: list = []
        for arm, cond in folded.args:
            here = sp.And(cond, *[sp.Not(c) for c in earlier])
            if not (infeasible(here, ranges) or _zero_on(arm, ranges)):
                return False
            earlier.append(cond)
        return True
    if expr.has(sp.Sum):
        expr = _drop_zero_sums(expr)
    return _rational_zero(_opaque(expr))


def _discharge(expr: sp.Expr, ranges: Ranges) -> sp.Expr:
    """Every guard in ``expr`` discharged where it can be; inside a sum, its limits are ranges too."""
    if not expr.has(sp.Piecewise):
        return expr
    if isinstance(expr, sp.Sum):
        return sp.Sum(_discharge(expr.function, within(ranges, expr.limits)), *expr.limits)
    done = expr.func(*[_discharge(arg, ranges) for arg in expr.args])
    return _discharged(done, ranges) if isinstance(done, sp.Piecewise) else done


def _discharged(node: sp.Piecewise, ranges: Ranges) -> sp.Expr:
    """A Piecewise with the arms the ranges exclude dropped, or its arm the ranges imply."""
    kept: list[tuple[sp.Expr, sp.Basic]] = []
    for arm, cond in node.args:
        if not kept and implied(cond, ranges):
            return arm
        if not infeasible(cond, ranges):
            kept.append((arm, cond))
    return sp.Piecewise(*kept) if kept and kept != list(node.args) else node
