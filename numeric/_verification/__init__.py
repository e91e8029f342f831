"""The three witnesses and what compares them: closed form against code generated from the
symbolic result, torch autograd and finite differences; tolerances, the assert helper, and which
function implements which derivation."""

from ._assert import assert_grad_matches as assert_grad_matches
from ._compare import CheckResult as CheckResult
from ._implementations import IMPLEMENTED_BY as IMPLEMENTED_BY
from ._implementations import PROOF_ONLY as PROOF_ONLY
from ._implementations import implemented_by as implemented_by
from ._loss import loss_checks as loss_checks
from ._loss import torch_loss as torch_loss
from ._tolerances import FD_STEP as FD_STEP
from ._tolerances import FD_TOLERANCE as FD_TOLERANCE
from ._tolerances import Tolerance as Tolerance
from ._tolerances import tolerance as tolerance
from ._tolerances import within_tolerance as within_tolerance
from ._verify import verify as verify

__all__ = ["CheckResult", "FD_STEP", "FD_TOLERANCE", "IMPLEMENTED_BY", "PROOF_ONLY", "Tolerance",
           "assert_grad_matches", "implemented_by", "loss_checks", "tolerance", "torch_loss", "verify",
           "within_tolerance"]
