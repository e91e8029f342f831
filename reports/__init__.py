"""gradproof.reports: figures, the PDF report and the command-line interface (matplotlib).

:func:`main` is the ``gradproof`` program; everything else of the report is private.
"""

from ._cli import main as main

__all__ = ["main"]
