"""Per-sample gradients of a GRU classifier: recognising the user's model, its inputs, BPTT
through the layers, and the shares of a batch run in threads with large buffers."""

from ._bptt import LayerTape as LayerTape
from ._bptt import back_steps as back_steps
from ._bptt import cell_scratch as cell_scratch
from ._bptt import cell_step as cell_step
from ._bptt import cell_step_back as cell_step_back
from ._bptt import cell_steps as cell_steps
from ._classifier import GRUClassifier as GRUClassifier
from ._classifier import gru_per_sample_grads as gru_per_sample_grads
from ._classifier import gru_residuals as gru_residuals
from ._model import GRUModel as GRUModel
from ._norms import GRUSampleNorms as GRUSampleNorms
from ._norms import gru_per_sample_norms as gru_per_sample_norms

__all__ = ["GRUClassifier", "GRUModel", "GRUSampleNorms", "LayerTape", "back_steps", "cell_scratch", "cell_step",
           "cell_step_back", "cell_steps", "gru_per_sample_grads", "gru_per_sample_norms", "gru_residuals"]
