"""The one error type for bad input, shared by every package.

``InputError`` is raised by validators and parsers when the *user's* input is
wrong (a formula, a tensor's shape, a file, an argument out of range).  The
command line turns exactly these (and ``OSError`` on user paths) into one line
on stderr and exit code 2; any other exception escaping is a bug and shows as
one.  It subclasses ``ValueError`` so ``except ValueError`` keeps working.

>>> issubclass(InputError, ValueError)
True
"""

from __future__ import annotations

__all__ = ["InputError"]


class InputError(ValueError):
    """Bad input from the user: the message names the argument and what was wrong."""
