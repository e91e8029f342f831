"""The ``gradproof`` command line and its subcommands."""

from ._main import main as main

__all__ = ["main"]
