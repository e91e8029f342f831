"""gradproof.numeric.implementations: which numeric function computes which derivation.

``IMPLEMENTED_BY`` maps a derivation of :func:`gradproof.symbolic.catalog` to the functions of
``numeric`` that compute its result; ``PROOF_ONLY`` says why a derivation has none.
"""

from ._verification import IMPLEMENTED_BY as IMPLEMENTED_BY
from ._verification import PROOF_ONLY as PROOF_ONLY
from ._verification import implemented_by as implemented_by

__all__ = ["IMPLEMENTED_BY", "PROOF_ONLY", "implemented_by"]
