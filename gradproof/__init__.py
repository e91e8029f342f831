"""gradproof: prove, confirm and show the gradients of binary cross-entropy.

Three parts, data flowing one way:

- :mod:`gradproof.symbolic`: machine-checked SymPy derivations, the catalog of results and a
  checker that proves or refutes a formula;
- :mod:`gradproof.numeric`: the closed forms as fast torch code, checked against autograd and
  finite differences, per-sample gradients of logistic regression and GRU classifiers, batch
  statistics;
- :mod:`gradproof.reports`: figures, the PDF report and the ``gradproof`` command line.

``from gradproof import symbolic, numeric`` is the way in.  Each part is imported on first use,
so ``import gradproof`` costs neither SymPy nor torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__ as __version__

if TYPE_CHECKING:
    from . import numeric as numeric
    from . import reports as reports
    from . import symbolic as symbolic

__all__ = ["symbolic", "numeric", "reports", "__version__"]

_PARTS = ("symbolic", "numeric", "reports")


def __getattr__(name: str) -> Any:
    if name in _PARTS:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PARTS))
