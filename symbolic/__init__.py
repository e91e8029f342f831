"""gradproof.symbolic: machine-checked derivations of BCE gradients and a formula checker.

Everything here is SymPy.  :func:`catalog` returns every named
:class:`Derivation`; each one's ``verify()`` re-checks its chain of steps from
scratch.  :func:`check` proves or refutes a user's formula for one of the
:func:`targets`.  :func:`loss` derives the gradients and margin profile of any binary loss
(a named one from :data:`LOSSES`, or a formula in z and y).  :mod:`~gradproof.symbolic.printing`
writes expressions and derivations as Typst and LaTeX (as ``sympy.printing``).
"""

from . import printing as printing
from ._catalog import catalog as catalog
from ._checker import TOTAL_SECONDS as CHECK_SECONDS
from ._checker import FormulaAssertionError as FormulaAssertionError
from ._checker import FormulaError as FormulaError
from ._checker import Target as Target
from ._checker import Verdict as Verdict
from ._checker import assert_formula as assert_formula
from ._checker import check as check
from ._checker import targets as targets
from ._losses import LOSSES as LOSSES
from ._losses import Loss as Loss
from ._losses import MarginVerdict as MarginVerdict
from ._losses import loss as loss
from ._proof import Derivation as Derivation
from ._proof import Fact as Fact
from ._proof import Hypothesis as Hypothesis
from ._proof import SoundnessError as SoundnessError
from ._proof import Step as Step
from ._proof import StepVerdict as StepVerdict
from ._proof import is_identically_zero as is_identically_zero
from ._vocabulary import SIGMOID_FORM_RULES as SIGMOID_FORM_RULES
from ._vocabulary import InputError as InputError
from ._vocabulary import sigmoid as sigmoid
from ._vocabulary import sigmoid_forms as sigmoid_forms

__all__ = ["assert_formula", "FormulaAssertionError", "CHECK_SECONDS",
           "catalog", "Derivation", "Step", "Fact", "Hypothesis", "StepVerdict", "SoundnessError",
           "check", "targets", "Target", "Verdict", "FormulaError", "InputError",
           "loss", "Loss", "LOSSES", "MarginVerdict", "sigmoid", "sigmoid_forms", "SIGMOID_FORM_RULES",
           "is_identically_zero", "printing"]
