"""gradproof.numeric.losses: any binary loss of :func:`gradproof.symbolic.loss` as torch code.

:func:`torch_function` turns a SymPy expression in z and y into a stable torch function (the
rewrites it needs are listed by :func:`stable_rewrites`); :func:`loss_checks` checks a loss's
generated gradient against torch autograd and finite differences; :func:`torch_loss` is the
loss itself.  ``numeric.loss_grad`` is the gradient dL/dz.
"""

from ._losses import loss_grad as loss_grad
from ._losses import stable_rewrites as stable_rewrites
from ._losses import torch_function as torch_function
from ._verification import loss_checks as loss_checks
from ._verification import torch_loss as torch_loss

__all__ = ["loss_grad", "loss_checks", "torch_loss", "torch_function", "stable_rewrites"]
