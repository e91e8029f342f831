"""Any binary loss as stable torch code generated from its SymPy expression."""

from ._codegen import Y as Y
from ._codegen import Z as Z
from ._codegen import as_loss as as_loss
from ._codegen import loss_grad as loss_grad
from ._codegen import stable_rewrites as stable_rewrites
from ._codegen import torch_function as torch_function

__all__ = ["Y", "Z", "as_loss", "loss_grad", "stable_rewrites", "torch_function"]
