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
    """Bad input from the user: the message names the argument and what was wrong.

    ``argument``, when given, is the name of the argument the message begins with (``"data
    file"``, ``"seed"``), so that a front end can say it in its own words (the command line
    names its flag instead) without reading the message.
    """

    def __init__(self, message: str, *, argument: str | None = None) -> None:
        if argument is not None and not message.startswith(argument):
            raise ValueError(f"the message {message!r} does not begin with its argument {argument!r}")
        super().__init__(message)
        self.argument = argument

    def naming(self, name: str) -> str:
        """The message with its argument called ``name`` (the message itself when it names none)."""
        message = str(self)
        return message if self.argument is None else name + message[len(self.argument):]
