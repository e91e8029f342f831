"""Any binary loss: the named catalog, its derivations and its margin profile."""

from ._loss import Loss as Loss
from ._loss import loss as loss
from ._loss_catalog import LOSSES as LOSSES
from ._margin import MarginVerdict as MarginVerdict

__all__ = ["LOSSES", "Loss", "MarginVerdict", "loss"]
