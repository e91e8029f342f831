"""gradproof.symbolic: machine-checked derivations of BCE gradients and a formula checker.

Everything here is SymPy.  :func:`catalog` returns every named
:class:`Derivation`; each one's ``verify()`` re-checks its chain of steps from
scratch.  :func:`check` proves or refutes a user's formula for one of the
:func:`targets`.  :func:`loss` derives the gradients and margin profile of any binary loss
(a named one from :data:`LOSSES`, or a formula in z and y).
"""

from ._catalog import catalog as catalog
from ._checker import Target as Target
from ._checker import Verdict as Verdict
from ._checker import check as check
from ._checker import targets as targets
from ._derivation import Derivation as Derivation
from ._derivation import Fact as Fact
from ._derivation import Hypothesis as Hypothesis
from ._derivation import SoundnessError as SoundnessError
from ._derivation import Step as Step
from ._derivation import StepVerdict as StepVerdict
from ._errors import InputError as InputError
from ._latex import latex as latex
from ._loss import Loss as Loss
from ._loss import loss as loss
from ._loss_catalog import LOSSES as LOSSES
from ._margin import MarginVerdict as MarginVerdict
from ._parse import FormulaError as FormulaError
from ._render import TypstParts as TypstParts
from ._render import hypotheses as hypotheses
from ._render import hypothesis_latex as hypothesis_latex
from ._render import latex_align as latex_align
from ._render import latex_text as latex_text
from ._render import typst_equation as typst_equation
from ._render import typst_parts as typst_parts
from ._render import typst_text as typst_text
from ._sigmoid import sigmoid as sigmoid
from ._sigmoid_forms import SIGMOID_FORM_RULES as SIGMOID_FORM_RULES
from ._sigmoid_forms import sigmoid_forms as sigmoid_forms
from ._typst import typst as typst
from ._zero import is_identically_zero as is_identically_zero

__all__ = ["catalog", "check", "targets", "Derivation", "Step", "Fact", "Hypothesis", "StepVerdict",
           "SoundnessError", "Target", "Verdict", "FormulaError", "InputError", "sigmoid", "Loss", "loss",
           "LOSSES", "MarginVerdict", "is_identically_zero", "typst", "latex", "TypstParts", "typst_parts",
           "typst_equation", "typst_text", "latex_align", "latex_text", "hypotheses",
           "hypothesis_latex", "sigmoid_forms", "SIGMOID_FORM_RULES"]
