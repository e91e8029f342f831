"""The catalog of named derivations: BCE, the linear model and the batch, the GRU cell and stack."""

from ._catalog import catalog as catalog
from ._linear import linear_logit as linear_logit

__all__ = ["catalog", "linear_logit"]
