"""The catalog: every named derivation, in reading order."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from .._proof import Derivation
from . import _bce, _gru_cell, _gru_stack, _linear
from ._sentences import explained

__all__ = ["catalog"]

_BUILDERS: tuple[Callable[[], Derivation], ...] = (
    _bce.sigmoid_derivative,
    _bce.bce_dL_dp,
    _bce.bce_logit_form,
    _bce.bce_dL_dz,
    _bce.bce_logit_dL_dz,
    _bce.bce_d2L_dz2,
    _linear.logreg_dL_dw,
    _linear.logreg_dL_db,
    _linear.batch_mean_gradient,
    _linear.batch_sum_gradient,
    _linear.batch_weighted_gradient,
    _bce.pos_weight_dL_dz,
    _bce.stable_residual,
    _linear.batch_pos_weight_gradient,
    _linear.logreg_hessian,
    _linear.logreg_hessian_psd,
    _linear.gru_head_dL_dv,
    _linear.gru_head_dL_dc,
    _linear.gru_head_dL_dh,
    *_gru_cell.BUILDERS,
    *_gru_stack.BUILDERS,
    _bce.mse_sigmoid_dL_dz,
    _bce.softmax_ce_dL_dz,
    _bce.residual_margin,
    _bce.residual_margin_slope,
)


@cache
def _build() -> tuple[Derivation, ...]:
    return tuple(explained(builder()) for builder in _BUILDERS)


def catalog() -> dict[str, Derivation]:
    """Every named derivation, keyed by name, in reading order.

    Examples
    --------
    >>> from gradproof.symbolic import catalog
    >>> catalog()["bce_dL_dz"].result.rhs
    -y + sigmoid(z)
    """
    return {d.name: d for d in _build()}
