"""The proof engine: derivations as checked steps (decided by the trusted kernel, :mod:`._kernel`),
the exact zero test under a CPU-time limit,
index ranges, certified interval evaluation and the independent numeric witness."""

from ._certified import Enclosure as Enclosure
from ._certified import compare as compare
from ._certified import describe as describe
from ._certified import evaluate as evaluate
from ._derivation import Derivation as Derivation
from ._derivation import Fact as Fact
from ._derivation import Hypothesis as Hypothesis
from ._derivation import SoundnessError as SoundnessError
from ._derivation import Step as Step
from ._kernel import RULES as RULES
from ._kernel import StepVerdict as StepVerdict
from ._semantics import failure as failure
from ._semantics import judge as judge
from ._semantics import power_kind as power_kind
from ._semantics import strict_kind as strict_kind
from ._semantics import violated_text as violated_text
from ._zero import TimeLimitError as TimeLimitError
from ._zero import is_identically_zero as is_identically_zero
from ._zero import is_nonnegative as is_nonnegative
from ._zero import is_positive as is_positive
from ._zero import time_limit as time_limit

__all__ = ["RULES", "Derivation", "Enclosure", "Fact", "Hypothesis", "SoundnessError", "Step", "StepVerdict",
           "TimeLimitError", "compare", "failure", "judge", "power_kind", "strict_kind", "violated_text",
           "describe", "evaluate", "is_identically_zero", "is_nonnegative", "is_positive", "time_limit"]
