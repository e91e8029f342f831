"""The catalog of named derivations: BCE, the linear model and the batch, the GRU cell and stack."""

from ._catalog import catalog as catalog
from ._linear import linear_logit as linear_logit
from ._sentences import SENTENCES as SENTENCES
from ._sentences import explained as explained

__all__ = ["SENTENCES", "catalog", "explained", "linear_logit"]
