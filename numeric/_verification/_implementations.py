"""One hop from a proof to its code: which public function of ``numeric`` computes the result
of each derivation in ``symbolic.catalog()``.

``symbolic`` cannot import ``numeric``, so the link is data here: ``IMPLEMENTED_BY[name]``
lists the functions whose values are the right-hand side of derivation ``name`` (the first is
the one that evaluates it most directly), and ``PROOF_ONLY[name]`` says why a derivation has no
function of its own.  Every derivation is in exactly one of the two (checked by
tests/numeric/test_implementations.py, which also evaluates the scalar results against the
functions).  ``reports`` adds the figures that show each result (``gradproof derive NAME``).
"""

from __future__ import annotations

from collections.abc import Callable

from .._gru import gru_per_sample_grads, gru_residuals
from .._logreg import logit_residual, logreg_grad, logreg_per_sample_grads, mse_sigmoid_logit_grad
from .._statistics import logreg_batch_statistics, logreg_moments

__all__ = ["IMPLEMENTED_BY", "PROOF_ONLY", "implemented_by"]

_BATCH = (logreg_grad, logreg_moments, logreg_batch_statistics)
_GRU_CELL = ("dh", "dx", *(f"d{p}_{kind}{gate}" for kind in "ih" for gate in "rzn" for p in "Wb"))

IMPLEMENTED_BY: dict[str, tuple[Callable, ...]] = {
    "bce_dL_dz": (logit_residual, logreg_per_sample_grads),
    "bce_logit_dL_dz": (logit_residual,),
    "pos_weight_dL_dz": (logit_residual, logreg_per_sample_grads),
    "stable_residual": (logit_residual,),
    "residual_margin": (logit_residual,),
    "logreg_dL_dw": (logreg_per_sample_grads,),
    "logreg_dL_db": (logreg_per_sample_grads,),
    "batch_mean_gradient": _BATCH,
    "batch_sum_gradient": (logreg_grad,),
    "batch_weighted_gradient": (logreg_grad,),
    "batch_pos_weight_gradient": (logreg_grad,),
    "gru_head_dL_dv": (gru_per_sample_grads,),
    "gru_head_dL_dc": (gru_per_sample_grads,),
    "gru_head_dL_dh": (gru_per_sample_grads,),
    **{f"gru_cell_{part}": (gru_per_sample_grads,) for part in _GRU_CELL},
    "gru_bptt_recurrence": (gru_per_sample_grads,),
    **{name: (gru_per_sample_grads,) for name in ("gru_layer_coupling", "gru_reverse_time", "gru_head_split",
                                                   "gru_embedding_row")},
    "sigmoid_bceloss_dL_dz": (gru_residuals, gru_per_sample_grads),
    "mse_sigmoid_dL_dz": (mse_sigmoid_logit_grad,),
}

PROOF_ONLY: dict[str, str] = {
    "sigmoid_derivative": "a lemma: every chain rule through sigma uses it",
    "bce_dL_dp": "numeric works from logits; nn.BCELoss on probabilities is a witness in verify()",
    "bce_logit_form": "the loss itself, which torch's BCEWithLogitsLoss computes",
    "bce_d2L_dz2": "curvature, proved for the Hessian; no numeric function evaluates it",
    "logreg_hessian": "a property of the loss, not computed by numeric",
    "logreg_hessian_psd": "convexity: a statement, not a quantity",
    "softmax_ce_dL_dz": "the K-class contrast; numeric is binary",
    "residual_margin_slope": "the slope of |r| in the margin, read off figure F1",
}


def implemented_by(name: str) -> list[str]:
    """The qualified names (``numeric.logit_residual``) of the functions computing derivation ``name``."""
    return [f"numeric.{function.__name__}" for function in IMPLEMENTED_BY.get(name, ())]
