"""The proof engine: derivations as checked steps, the exact zero test under a CPU-time limit,
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
from ._derivation import StepVerdict as StepVerdict
from ._zero import TimeLimitError as TimeLimitError
from ._zero import is_identically_zero as is_identically_zero
from ._zero import is_positive as is_positive
from ._zero import time_limit as time_limit

__all__ = ["Derivation", "Enclosure", "Fact", "Hypothesis", "SoundnessError", "Step", "StepVerdict",
           "TimeLimitError", "compare", "describe", "evaluate", "is_identically_zero", "is_positive",
           "time_limit"]
