"""gradproof.numeric: closed-form BCE gradients in torch, and the witnesses that check them.

The closed forms (:func:`logreg_per_sample_grads`, :func:`logreg_grad`, :func:`logit_residual`)
come from the SymPy results of :mod:`gradproof.symbolic`; :func:`gru_per_sample_grads` carries
them through a GRU classifier and :func:`gru_per_sample_norms` gives each sample's gradient norm
without materialising the gradients; the batch statistics (:func:`logreg_batch_statistics`, ...)
measure how the per-sample gradients spread; :func:`verify` compares the closed forms with code
generated from the symbolic results, with torch autograd and with finite differences, on the
CPU and on CUDA when present.

Public sub-namespaces: :mod:`~gradproof.numeric.testing` (check your own gradient code, as
``torch.testing``), :mod:`~gradproof.numeric.data` (labelled files, streaming, fitting),
:mod:`~gradproof.numeric.losses` (any binary loss as torch code), :mod:`~gradproof.numeric.training`
(the small training runs the report draws), :mod:`~gradproof.numeric.runtime` (device, seed,
threads) and :mod:`~gradproof.numeric.implementations` (which function computes which derivation).
"""

from gradproof.symbolic import InputError as InputError

from . import data as data
from . import implementations as implementations
from . import losses as losses
from . import runtime as runtime
from . import testing as testing
from . import training as training
from ._gru import GRUClassifier as GRUClassifier
from ._gru import GRUModel as GRUModel
from ._gru import GRUSampleNorms as GRUSampleNorms
from ._gru import gru_per_sample_grads as gru_per_sample_grads
from ._gru import gru_per_sample_norms as gru_per_sample_norms
from ._gru import gru_residuals as gru_residuals
from ._logreg import logit_residual as logit_residual
from ._logreg import logreg_grad as logreg_grad
from ._logreg import logreg_per_sample_grads as logreg_per_sample_grads
from ._logreg import misclassified as misclassified
from ._logreg import mse_sigmoid_logit_grad as mse_sigmoid_logit_grad
from ._losses import loss_grad as loss_grad
from ._statistics import BatchStatistics as BatchStatistics
from ._statistics import GradientMoments as GradientMoments
from ._statistics import gru_batch_statistics as gru_batch_statistics
from ._statistics import logreg_batch_statistics as logreg_batch_statistics
from ._statistics import logreg_moments as logreg_moments
from ._statistics import logreg_per_sample_norms as logreg_per_sample_norms
from ._statistics import per_sample_batch_statistics as per_sample_batch_statistics
from ._verification import CheckResult as CheckResult
from ._verification import verify as verify

__all__ = [
    "logit_residual", "logreg_per_sample_grads", "logreg_grad", "mse_sigmoid_logit_grad",
    "GRUClassifier", "GRUModel", "GRUSampleNorms", "gru_per_sample_grads", "gru_per_sample_norms", "gru_residuals",
    "BatchStatistics", "GradientMoments", "logreg_batch_statistics", "gru_batch_statistics",
    "per_sample_batch_statistics", "logreg_moments", "logreg_per_sample_norms", "misclassified",
    "loss_grad", "verify", "CheckResult", "InputError",
    "testing", "data", "losses", "training", "runtime", "implementations",
]
