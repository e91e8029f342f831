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

import os
import signal
import sys


def _interrupted_at_start(signum, frame) -> None:
    """Ctrl-C while the ``gradproof`` program starts, before its own handlers: one line, exit 130."""
    os.write(2, b"gradproof: interrupted\n")
    os._exit(130)


def _as_program() -> bool:
    """Imported by the ``gradproof`` console script or by ``python -m gradproof[.reports]``."""
    first = os.path.basename(sys.argv[0]) if sys.argv else ""
    argv = getattr(sys, "orig_argv", [])
    return first == "gradproof" or (first == "-m" and any(
        a == "-m" and b in ("gradproof", "gradproof.reports") for a, b in zip(argv, argv[1:])))


# Only as the program, never as a library: its Ctrl-C until reports.main takes over (a traceback
# of half-done imports otherwise).
if _as_program() and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    signal.signal(signal.SIGINT, _interrupted_at_start)

import importlib  # noqa: E402 - after the handler: imports take time
from typing import TYPE_CHECKING, Any  # noqa: E402

from ._version import __version__ as __version__  # noqa: E402

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
