"""Deciding whether an expression is identically zero.

The decision is two-valued here: ``True`` (a chain of exact rewrites reached 0) or
``None`` (the rewrites ran out, or the time limit hit).  Refutation is numeric and
lives in :mod:`symbolic._checker`.  ``simplify`` is avoided: it can recurse without
end on these expressions.  Instead the steps are targeted:

1. :func:`evaluate` carries out derivatives and the sums that Kronecker deltas pin;
2. finite sums with equal limits are merged (``sum_simplify``) and a sum whose
   summand is identically zero is replaced by 0 (sound: f == 0 implies sum f == 0);
3. remaining sums and indexed symbols become opaque real symbols;
4. with every sigmoid/tanh/exp/log application an opaque symbol, ``cancel`` may
   already reach 0 (sound: an identity in free symbols holds for any values);
5. otherwise sigmoid and tanh are rewritten through exp, every real symbol a inside
   an exponent is written log(t_a) with t_a > 0, logs are expanded only where SymPy
   knows the factors are positive, and ``cancel(together(.))`` decides zero for the
   resulting rational function.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import sympy as sp
from sympy.simplify.simplify import sum_simplify

from ._sigmoid import sigmoid

__all__ = ["evaluate", "is_identically_zero", "is_positive", "time_limit", "TimeLimitError"]

DEFAULT_SECONDS = 10.0


class TimeLimitError(Exception):
    """Raised inside :func:`time_limit` when the wall-clock budget runs out."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the body after ``seconds`` (main thread only; elsewhere no limit)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _expire(signum, frame):
        raise TimeLimitError

    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_Exp = sp.Function("Exp")


def _drop_zero_sums(expr: sp.Expr) -> sp.Expr:
    """Merge sums with equal limits and drop those whose summand is identically zero.

    exp is hidden behind an opaque function meanwhile: ``sum_simplify`` would turn
    exp(Sum(...)) into a Product, which the later steps cannot see through.
    """
    expr = sp.expand(expr.replace(sp.exp, _Exp))
    expr = sum_simplify(expr).replace(_Exp, sp.exp)

    def summand_vanishes(node) -> bool:
        return isinstance(node, sp.Sum) and _rational_zero(_opaque(node.function))

    return expr.replace(summand_vanishes, lambda node: sp.S.Zero)


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
    if sp.cancel(sp.together(sp.expand(_functions_opaque(expr)))) == 0:
        return True
    return sp.cancel(sp.together(sp.expand(_exp_free(expr)))) == 0


def is_positive(expr: sp.Expr, seconds: float = DEFAULT_SECONDS) -> bool | None:
    """Return True when ``expr`` is proved positive for all real values of its symbols."""
    try:
        with time_limit(seconds):
            value = sp.factor(sp.together(_exp_free(_opaque(evaluate(sp.sympify(expr))))))
            return True if value.is_positive else None
    except (TimeLimitError, RecursionError, sp.PolynomialError, MemoryError):
        return None


def _sum_deltas(total: sp.Sum) -> sp.Expr:
    """Carry out a sum over an index that a Kronecker delta pins.

    For delta = KroneckerDelta(k, q) and any summand f, f = f|_{delta=0} + (f|_{delta=1} -
    f|_{delta=0}) delta exactly, because a delta is 0 or 1.  So
    sum_{k=a}^{b} f = sum_{k=a}^{b} f|_{delta=0} + [a <= q <= b] (f|_{delta=1} - f|_{delta=0})|_{k=q}.
    This never expands the summand (SymPy's ``deltasummation`` does, and then tries to
    sum every other term in closed form, which takes minutes on a GRU cell).
    """
    if len(total.limits) > 1:
        inner = sp.Sum(total.function, total.limits[0])
        return sp.Sum(_sum_deltas(inner) if _pinned(inner) else inner, *total.limits[1:])
    f, (var, low, high) = total.function, total.limits[0]
    if f.is_zero:
        return sp.S.Zero
    delta = next(d for d in sorted(f.atoms(sp.KroneckerDelta), key=sp.default_sort_key) if var in d.free_symbols)
    other = delta.args[1] if delta.args[0] == var else delta.args[0]
    f0, f1 = f.xreplace({delta: sp.S.Zero}), f.xreplace({delta: sp.S.One})
    pinned = (f1 - f0).subs(var, other)
    rest = sp.Sum(f0, total.limits[0]) if not f0.is_zero else sp.S.Zero
    return rest + sp.Piecewise((pinned, sp.And(other >= low, other <= high)), (0, True))


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
) -> bool | None:
    """Return True when ``expr`` is proved identically zero, None when undecided.

    ``substitutions`` are applied after ``doit()``; they discharge range guards
    such as ``k <= n - 1`` by writing ``n = k + 1 + m`` with ``m >= 0``.
    """
    try:
        with time_limit(seconds):
            expr = evaluate(sp.sympify(expr))
            if substitutions:
                expr = evaluate(expr.subs(substitutions))
            if expr.has(sp.Piecewise):
                expr = sp.piecewise_fold(expr)
                if expr.has(sp.Piecewise):
                    return None
            if expr.has(sp.Sum):
                expr = _drop_zero_sums(expr)
            return True if _rational_zero(_opaque(expr)) else None
    except (TimeLimitError, RecursionError, sp.PolynomialError, MemoryError):
        return None
