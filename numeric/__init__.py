"""gradproof.numeric: closed-form BCE gradients in torch, and the witnesses that check them.

The closed forms (:func:`logreg_per_sample_grads`, :func:`logreg_grad`) come
from the SymPy results of :mod:`symbolic`; :func:`verify` compares them with
code generated from those results, with torch autograd and with finite
differences, on the CPU and on CUDA when present.
"""

from symbolic import InputError as InputError

from ._assert import assert_grad_matches as assert_grad_matches
from ._batch_stats import BatchStatistics as BatchStatistics
from ._batch_stats import GradientMoments as GradientMoments
from ._batch_stats import gru_batch_statistics as gru_batch_statistics
from ._batch_stats import logreg_batch_statistics as logreg_batch_statistics
from ._batch_stats import logreg_moments as logreg_moments
from ._batch_stats import logreg_per_sample_norms as logreg_per_sample_norms
from ._batch_stats import misclassified as misclassified
from ._batch_stats import moments_from_per_sample as moments_from_per_sample
from ._batch_stats import per_sample_batch_statistics as per_sample_batch_statistics
from ._compare import CheckResult as CheckResult
from ._data_fit import LogregFit as LogregFit
from ._data_fit import fit_logreg as fit_logreg
from ._data_fit import logreg_data_statistics as logreg_data_statistics
from ._datafiles import Table as Table
from ._datafiles import open_labelled_file as open_labelled_file
from ._datafiles import read_labelled_csv as read_labelled_csv
from ._gru import GRUClassifier as GRUClassifier
from ._gru import gru_per_sample_grads as gru_per_sample_grads
from ._gru import gru_residuals as gru_residuals
from ._gru_model import GRUModel as GRUModel
from ._implementations import IMPLEMENTED_BY as IMPLEMENTED_BY
from ._implementations import PROOF_ONLY as PROOF_ONLY
from ._implementations import implemented_by as implemented_by
from ._logreg import logit_residual as logit_residual
from ._logreg import logreg_grad as logreg_grad
from ._logreg import logreg_per_sample_grads as logreg_per_sample_grads
from ._logreg import mse_sigmoid_logit_grad as mse_sigmoid_logit_grad
from ._loss import loss_grad as loss_grad
from ._loss import stable_rewrites as stable_rewrites
from ._loss import torch_function as torch_function
from ._loss_training import loss_training_shares as loss_training_shares
from ._streaming import fit_logreg_streaming as fit_logreg_streaming
from ._streaming import load_weights as load_weights
from ._streaming import stream_logreg_moments as stream_logreg_moments
from ._threads import single_thread as single_thread
from ._tolerances import FD_STEP as FD_STEP
from ._tolerances import FD_TOLERANCE as FD_TOLERANCE
from ._tolerances import Tolerance as Tolerance
from ._tolerances import tolerance as tolerance
from ._tolerances import within_tolerance as within_tolerance
from ._training import LogregState as LogregState
from ._training import logreg_sgd as logreg_sgd
from ._training import synthetic_logreg_data as synthetic_logreg_data
from ._training import synthetic_sequence_data as synthetic_sequence_data
from ._training import train_gru as train_gru
from ._training import train_logreg as train_logreg
from ._validation import SEED_MAX as SEED_MAX
from ._validation import check_seed as check_seed
from ._verify import resolve_device as resolve_device
from ._verify import verify as verify
from ._verify_loss import loss_checks as loss_checks
from ._verify_loss import torch_loss as torch_loss

__all__ = [
    "assert_grad_matches",
    "BatchStatistics",
    "GradientMoments",
    "gru_batch_statistics",
    "logreg_batch_statistics",
    "logreg_moments",
    "logreg_per_sample_norms",
    "misclassified",
    "moments_from_per_sample",
    "per_sample_batch_statistics",
    "CheckResult",
    "LogregFit",
    "fit_logreg",
    "logreg_data_statistics",
    "GRUClassifier",
    "GRUModel",
    "gru_per_sample_grads",
    "gru_residuals",
    "open_labelled_file",
    "read_labelled_csv",
    "Table",
    "logit_residual",
    "logreg_grad",
    "logreg_per_sample_grads",
    "mse_sigmoid_logit_grad",
    "fit_logreg_streaming",
    "load_weights",
    "stream_logreg_moments",
    "single_thread",
    "tolerance",
    "Tolerance",
    "within_tolerance",
    "FD_STEP",
    "FD_TOLERANCE",
    "LogregState",
    "logreg_sgd",
    "synthetic_logreg_data",
    "synthetic_sequence_data",
    "train_gru",
    "train_logreg",
    "resolve_device",
    "IMPLEMENTED_BY",
    "PROOF_ONLY",
    "implemented_by",
    "verify",
    "InputError",
    "loss_grad",
    "loss_checks",
    "stable_rewrites",
    "torch_function",
    "torch_loss",
    "check_seed",
    "SEED_MAX",
    "loss_training_shares",
]
