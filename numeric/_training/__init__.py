"""Seeded SGD runs on the closed-form gradients: logistic regression, the GRU classifier,
and training under each loss."""

from ._losses import loss_training_shares as loss_training_shares
from ._sgd import LogregState as LogregState
from ._sgd import logreg_sgd as logreg_sgd
from ._sgd import synthetic_logreg_data as synthetic_logreg_data
from ._sgd import synthetic_sequence_data as synthetic_sequence_data
from ._sgd import train_gru as train_gru
from ._sgd import train_logreg as train_logreg

__all__ = ["LogregState", "logreg_sgd", "loss_training_shares", "synthetic_logreg_data",
           "synthetic_sequence_data", "train_gru", "train_logreg"]
