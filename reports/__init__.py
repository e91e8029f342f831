"""gradproof.reports: figures, the PDF report and the command-line interface (matplotlib)."""

from .cli import main as main

__all__ = ["main"]
