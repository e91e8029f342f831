"""gradproof.numeric.testing: check your own gradient code in your tests, as ``torch.testing``.

:func:`assert_grad_matches` compares a gradient function with autograd and central finite
differences; :func:`tolerance` gives the named per-dtype tolerances every check of the package
uses, and :func:`within_tolerance` applies |a - b| <= atol + rtol |b| entry by entry.
:func:`assert_formula` (from :mod:`gradproof.symbolic`) passes only when a formula typed by hand is
proved equal to a named gradient.
"""

from gradproof.symbolic import assert_formula as assert_formula

from ._verification import FD_STEP as FD_STEP
from ._verification import FD_TOLERANCE as FD_TOLERANCE
from ._verification import Tolerance as Tolerance
from ._verification import assert_grad_matches as assert_grad_matches
from ._verification import tolerance as tolerance
from ._verification import within_tolerance as within_tolerance

__all__ = ["assert_formula", "assert_grad_matches", "tolerance", "Tolerance", "within_tolerance", "FD_STEP",
           "FD_TOLERANCE"]
