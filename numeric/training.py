"""gradproof.numeric.training: the small, seeded training runs behind the report's figures.

Synthetic data (:func:`synthetic_logreg_data`, :func:`synthetic_sequence_data`), plain SGD on
the closed-form gradient (:func:`train_logreg`, :func:`logreg_sgd`) and on a GRU classifier
(:func:`train_gru`), and the misclassified share while training under each loss
(:func:`loss_training_shares`).
"""

from ._training import LogregState as LogregState
from ._training import logreg_sgd as logreg_sgd
from ._training import loss_training_shares as loss_training_shares
from ._training import synthetic_logreg_data as synthetic_logreg_data
from ._training import synthetic_sequence_data as synthetic_sequence_data
from ._training import train_gru as train_gru
from ._training import train_logreg as train_logreg

__all__ = ["LogregState", "logreg_sgd", "train_logreg", "train_gru", "synthetic_logreg_data",
           "synthetic_sequence_data", "loss_training_shares"]
