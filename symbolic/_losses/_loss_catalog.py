"""Named binary losses in the logit z and the label y, and the one syntax that names a loss.

A loss is written ``NAME[:param=value,...]`` (``focal:gamma=2,alpha=0.25``) or as a formula in
z and y (``"(sigmoid(z) - y)**2"``), read by the same whitelist parser as ``gradproof check``.
With s = sigmoid(z) and CE(z, y) = -y log s - (1 - y) log(1 - s):

========================  =============================================  ===========================
name                      L(z, y)                                        source
========================  =============================================  ===========================
bce                       CE(z, y)                                       torch BCEWithLogitsLoss
bce_pos_weight            -p_w y log s - (1 - y) log(1 - s)              torch BCEWithLogitsLoss(pos_weight)
squared_error             (s - y)^2 / 2                                  squared error on the sigmoid
focal                     alpha_t (1 - p_t)^gamma CE(z, y)               Lin et al. 2017; torchvision
label_smoothing           CE(z, (1 - eps) y + eps / 2)                   Szegedy et al. 2016, K = 2
exponential               exp(-(2y - 1) z)                               Freund & Schapire 1997
========================  =============================================  ===========================

Focal loss follows torchvision's ``sigmoid_focal_loss`` for soft labels: p_t = s y + (1 - s)(1 - y),
alpha_t = alpha y + (1 - alpha)(1 - y).  Parameter values are read as exact rationals
(``0.25`` is 1/4, and ``1/4`` too, as a loss's canonical name writes it), never evaluated as Python.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from .._vocabulary import InputError, sigmoid, y, z

__all__ = ["LossSpec", "Param", "LOSSES", "split_loss_text", "cross_entropy"]

s = sigmoid(z)
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?", re.ASCII)
_FRACTION = re.compile(r"[+-]?[0-9]+/0*[1-9][0-9]*", re.ASCII)  # p/q, as a loss's canonical name writes 0.25
MAX_PARAM_DIGITS = 12
"""A parameter's numerator and denominator have at most this many digits: every loss command then
works on numbers it can represent and answers within its budget."""
_NAMED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(:.*)?$", re.DOTALL)


def cross_entropy(label: sp.Expr = y) -> sp.Expr:
    """CE(z, y) = -y log sigmoid(z) - (1 - y) log(1 - sigmoid(z))."""
    return -label * sp.log(s) - (1 - label) * sp.log(1 - s)


@dataclass(frozen=True)
class Param:
    """A loss parameter: its name, what values it takes, and its default (None: required)."""

    name: str
    allowed: str
    accepts: Callable[[sp.Rational], bool]
    default: sp.Rational | None = None


@dataclass(frozen=True)
class LossSpec:
    """A named loss: its formula builder, parameters and where it comes from."""

    name: str
    title: str
    source: str
    build: Callable[..., sp.Expr]
    params: tuple[Param, ...] = ()


def _focal(gamma: sp.Expr, alpha: sp.Expr) -> sp.Expr:
    p_t = s * y + (1 - s) * (1 - y)
    alpha_t = alpha * y + (1 - alpha) * (1 - y)
    return alpha_t * (1 - p_t) ** gamma * cross_entropy()


MAX_GAMMA = 10
MAX_POS_WEIGHT = 10**6
_GAMMA = Param("gamma", f"0 <= gamma <= {MAX_GAMMA}", lambda v: 0 <= v <= MAX_GAMMA, sp.Integer(2))
_ALPHA = Param("alpha", "0 <= alpha <= 1", lambda v: 0 <= v <= 1, sp.Rational(1, 4))
_EPS = Param("eps", "0 <= eps < 1", lambda v: 0 <= v < 1)
_POS_WEIGHT = Param("pos_weight", f"0 < pos_weight <= {MAX_POS_WEIGHT}", lambda v: 0 < v <= MAX_POS_WEIGHT)

LOSSES: dict[str, LossSpec] = {spec.name: spec for spec in (
    LossSpec("bce", "binary cross-entropy", "torch.nn.BCEWithLogitsLoss",
             lambda: cross_entropy()),
    LossSpec("bce_pos_weight", "binary cross-entropy with pos_weight",
             "torch.nn.BCEWithLogitsLoss(pos_weight=p_w)",
             lambda pos_weight: -pos_weight * y * sp.log(s) - (1 - y) * sp.log(1 - s), (_POS_WEIGHT,)),
    LossSpec("squared_error", "squared error on the sigmoid", "(sigmoid(z) - y)^2 / 2, "
             "as torch.nn.MSELoss(reduction='sum')(sigmoid(z), y) / 2", lambda: (s - y) ** 2 / 2),
    LossSpec("focal", "focal loss", "Lin et al. 2017, 'Focal Loss for Dense Object Detection'; "
             "soft labels as torchvision.ops.sigmoid_focal_loss", _focal, (_GAMMA, _ALPHA)),
    LossSpec("label_smoothing", "label-smoothed binary cross-entropy",
             "Szegedy et al. 2016, 'Rethinking the Inception Architecture', with K = 2 classes: "
             "target (1 - eps) y + eps/2", lambda eps: cross_entropy((1 - eps) * y + eps / 2), (_EPS,)),
    LossSpec("exponential", "exponential margin loss", "Freund & Schapire 1997 (AdaBoost); "
             "Friedman, Hastie & Tibshirani 2000", lambda: sp.exp(-(2 * y - 1) * z)),
)}


def _value(name: str, text: str) -> sp.Rational:
    text = text.strip()
    if not text:
        raise InputError(f"loss parameter {name}: no value given")
    if not (_NUMBER.fullmatch(text) or _FRACTION.fullmatch(text)):
        raise InputError(f"loss parameter {name}: {text!r} is not a number (a decimal or p/q, in the digits 0-9)")
    value = sp.Rational(text)
    if max(len(str(abs(value.p))), len(str(value.q))) > MAX_PARAM_DIGITS:
        raise InputError(f"loss parameter {name}: {text!r} has more than {MAX_PARAM_DIGITS} digits in its "
                         "numerator or denominator")
    return value


def _params_from_text(spec: LossSpec, text: str) -> dict[str, sp.Rational]:
    values: dict[str, sp.Rational] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, equals, value = item.partition("=")
        if not equals:
            raise InputError(f"loss {spec.name}: expected param=value, got {item!r}")
        values[name.strip()] = _value(name.strip(), value)
    return values


def resolve_params(spec: LossSpec, given: dict[str, object]) -> dict[str, sp.Rational]:
    """The parameter values of ``spec``: ``given`` checked, defaults filled in.

    Raises InputError naming the parameter that is unknown, missing or out of range.
    """
    known = {p.name: p for p in spec.params}
    for name in given:
        if name not in known:
            allowed = ", ".join(known) or "none"
            raise InputError(f"loss {spec.name}: unknown parameter {name!r} (parameters: {allowed})")
    values = {}
    for param in spec.params:
        raw = given.get(param.name, param.default)
        if raw is None:
            raise InputError(f"loss {spec.name}: parameter {param.name} is required ({param.allowed})")
        value = raw if isinstance(raw, sp.Rational) else _value(param.name, str(raw))
        if not param.accepts(value):
            raise InputError(f"loss {spec.name}: parameter {param.name} = {value} is out of range "
                             f"({param.allowed})")
        values[param.name] = value
    return values


def split_loss_text(text: str) -> tuple[LossSpec, dict[str, sp.Rational]] | None:
    """(spec, parameters) for ``NAME[:param=value,...]``; None when ``text`` is a formula.

    A bare word that is not a variable (z, y) must be a known loss name.
    """
    if not isinstance(text, str):
        raise InputError(f"loss: expected a name or a formula, got {type(text).__name__}", argument="loss")
    control = next((i for i, char in enumerate(text) if unicodedata.category(char) == "Cc"), None)
    if control is not None:
        raise InputError(f"loss: a control character ({text[control]!r}) at position {control + 1}; write the "
                         "loss on one line", argument="loss")
    text = text.strip()
    if not _NAMED.match(text) or text in ("z", "y"):
        return None
    name, _, rest = text.partition(":")
    if name not in LOSSES:
        raise InputError(f"loss: unknown loss {name!r}; known: {', '.join(LOSSES)} "
                         "(or a formula in z and y)", argument="loss")
    spec = LOSSES[name]
    return spec, resolve_params(spec, _params_from_text(spec, rest))
