"""What beginners type, read halfway: common spellings that have one meaning are rewritten to the
parser's syntax, and common mistakes are refused with the position and what to write instead.

Accepted (each has one meaning):

=====================  ==================  ===========================================
typed                  read as             note
=====================  ==================  ===========================================
``σ(z)``               ``sigmoid(z)``
``ln(x)``              ``log(x)``          the natural logarithm
``e^z``, ``e^-z``      ``exp(z)``, ...     ``^`` is a power; ``e`` is Euler's number
``exp z``, ``exp -z``  ``exp(z)``, ...     a function without parentheses takes the next
                                           signed factor and its power: ``exp -z^2`` is
                                           ``exp(-z**2)``, ``exp z + 1`` is ``exp(z) + 1``
``−`` (U+2212)         ``-``               also the dashes ``–`` and ``—``
``×``, ``·``, ``⋅``    ``*``
``p_w``                ``pw``              where the target has pos_weight
=====================  ==================  ===========================================

Refused with a position and a fix: ``2x`` ("write 2*x"), ``x(...)`` ("multiplication needs *"),
``np.exp`` and ``math.log`` (no module prefix), ``Sigmoid``, ``Exp``, ``sqrt``, ``abs``, a prime
``sigmoid'(z)``, and parentheses that are not balanced.  Nothing here evaluates anything: the
result is text for the whitelist parser (:mod:`._parse`).
"""

from __future__ import annotations

import io
import keyword
import tokenize
from collections.abc import Collection

from .._vocabulary import InputError

__all__ = ["normalise", "mistake", "FormulaError", "SpellingError", "SPELLINGS", "FUNCTION_NAMES"]

FUNCTION_NAMES = ("sigmoid", "sigma", "exp", "log", "tanh", "ln")
SPELLINGS = {"σ": "sigmoid", "ω": "omega", "Σ": "sum",
             "\u2212": "-", "\u2013": "-", "\u2014": "-", "×": "*", "·": "*", "⋅": "*", "^": "**"}
_ALIASES = {"ln": "log"}
_MODULES = ("np", "numpy", "math", "torch", "sp", "sympy", "F", "scipy", "special", "nn", "tf", "jnp", "mpmath")
_QUANTITIES = ("x", "y", "z", "p", "pw", "h", "v", "e", "pi", "B")
_MISSPELT = {"sigmoid": "sigmoid", "sigma": "sigmoid", "logistic": "sigmoid", "exp": "exp", "log": "log",
             "ln": "log", "tanh": "tanh", "sig": "sigmoid", "expit": "sigmoid"}
_NOT_OFFERED = {"sqrt": "write (...)**(1/2)", "abs": "|.| is not differentiable everywhere; write the cases out",
                "pow": "write a**b", "max": "max is not differentiable everywhere", "min": "min is not "
                "differentiable everywhere", "softplus": "write log(1 + exp(...))", "cosh": "write (exp(u) + "
                "exp(-u))/2", "sinh": "write (exp(u) - exp(-u))/2"}


class FormulaError(InputError):
    """The formula text is not an allowed expression; the message says why."""


class SpellingError(FormulaError):
    """A formula that cannot be read, with the position (1-based) and what to write instead."""


def _error(text: str, position: int, message: str) -> SpellingError:
    near = text[max(0, position - 6): position + 6]
    return SpellingError(f"formula: at position {position + 1} (near '{near}'), {message}", argument="formula")


def _replace_characters(text: str) -> tuple[str, list[int]]:
    """The text with each accepted character spelled for the parser, and for every character of the
    result the position it came from."""
    out: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        spelled = SPELLINGS.get(char, char)
        out.append(spelled)
        origin += [i] * len(spelled)
    return "".join(out), origin


def _balance(text: str, source: str, origin: list[int]) -> None:
    depth: list[int] = []
    for i, char in enumerate(text):
        if char == "(":
            depth.append(i)
        elif char == ")":
            if not depth:
                raise _error(source, origin[i], "this ')' closes nothing: remove it or add a '(' before it")
            depth.pop()
    if depth:
        raise _error(source, origin[depth[-1]], "this '(' is never closed: add a ')'")


def _tokens(text: str, source: str, origin: list[int]) -> list[tokenize.TokenInfo]:
    try:
        found = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        raise _error(source, 0, "it cannot be read as a formula") from None
    return [t for t in found if t.type not in _LAYOUT]


_LAYOUT = (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT, tokenize.COMMENT)


def _check_token(token: tokenize.TokenInfo, after: tokenize.TokenInfo | None, variables: Collection[str],
                 source: str, origin: list[int]) -> None:
    """Refuse the mistakes beginners make, each with what to write instead."""
    if after is not None and keyword.iskeyword(after.string):
        after = None  # Python syntax (x if y else z): the parser's own message names it
    at = origin[min(token.start[1], len(origin) - 1)]
    if token.type == tokenize.ERRORTOKEN or token.string in ("'", '"'):
        if token.string.strip() in ("'", "′", '"'):
            raise _error(source, at, "a prime ' is not a derivative here: write the derivative out, "
                                     "e.g. sigmoid(z)*(1 - sigmoid(z)) for sigmoid'(z)")
        if token.string.strip():
            raise _error(source, at, f"the character {token.string.strip()!r} is not part of a formula")
        return
    if token.type == tokenize.NAME:
        lowered = token.string.lower()
        if after is not None and after.string == "." and token.string in _MODULES:
            raise _error(source, at, f"no module prefix: write the function alone, e.g. exp(...) "
                                     f"instead of {token.string}.exp(...)")
        if token.string not in FUNCTION_NAMES and lowered in _MISSPELT and token.string not in variables:
            raise _error(source, at, f"write {_MISSPELT[lowered]}(...) in lower case, not {token.string}")
        if lowered in _NOT_OFFERED and token.string not in variables:
            raise _error(source, at, f"{token.string} is not offered: {_NOT_OFFERED[lowered]}")
        if after is not None and after.string == "(" and (token.string in variables or token.string in _QUANTITIES):
            raise _error(source, at, f"multiplication needs *: write {token.string}*(...) "
                                     "(only sigmoid, exp, log, ln and tanh are functions)")
        if after is not None and after.type in (tokenize.NAME, tokenize.NUMBER) \
                and (token.string in variables or token.string in _QUANTITIES):
            raise _error(source, at, f"multiplication needs *: write {token.string}*{after.string}")
    if token.type == tokenize.NUMBER:
        if after is not None and (after.type == tokenize.NAME or after.string == "(") \
                and after.start == token.end:
            raise _error(source, at, f"multiplication needs *: write {token.string}*{after.string}")
        if any(c in token.string.lower() for c in "jx") or token.string.lower().startswith(("0b", "0o")):
            raise _error(source, at, f"{token.string} is not a decimal number")
        if after is not None and after.type in (tokenize.NAME, tokenize.NUMBER):
            raise _error(source, at, f"multiplication needs *: write {token.string}*{after.string}")
    if token.string == ")" and after is not None and after.type in (tokenize.NAME, tokenize.NUMBER):
        raise _error(source, origin[after.start[1]], f"multiplication needs *: write )*{after.string}")


def _argument_end(tokens: list[tokenize.TokenInfo], start: int) -> int:
    """The end (exclusive) of the signed factor, with its power chain, that starts at ``start``:
    what ``exp -z^2`` applies exp to."""
    i = start
    while i < len(tokens) and tokens[i].string in ("-", "+"):
        i += 1
    if i >= len(tokens):
        return i
    if tokens[i].type == tokenize.NAME and tokens[i].string in FUNCTION_NAMES:
        if i + 1 < len(tokens) and tokens[i + 1].string == "(":
            i = _group_end(tokens, i + 1)
        else:
            i = _argument_end(tokens, i + 1)
    elif tokens[i].string == "(":
        i = _group_end(tokens, i)
    else:
        i += 1
    if i < len(tokens) and tokens[i].string == "**":
        return _argument_end(tokens, i + 1)
    return i


def _group_end(tokens: list[tokenize.TokenInfo], start: int) -> int:
    depth = 0
    for i in range(start, len(tokens)):
        depth += {"(": 1, ")": -1}.get(tokens[i].string, 0)
        if depth == 0:
            return i + 1
    return len(tokens)


def _rewrite(tokens: list[tokenize.TokenInfo], variables: Collection[str]) -> list[str]:
    """Token strings with aliases replaced and parentheses added where a function is applied
    without them (``exp -z`` becomes ``exp ( - z )``)."""
    out: list[str] = []
    closing: list[int] = []  # token indices after which a ')' is added
    for i, token in enumerate(tokens):
        word = token.string
        if token.type == tokenize.NAME:
            word = _ALIASES.get(word, word)
            if word == "p_w" and "pw" in variables:
                word = "pw"
        out.append(word)
        if token.type == tokenize.NAME and token.string in FUNCTION_NAMES and i + 1 < len(tokens) \
                and tokens[i + 1].string != "(" and tokens[i + 1].string not in (")", ",", "*", "/", "**"):
            out.append("(")
            closing.append(_argument_end(tokens, i + 1) - 1)
        while closing and closing[-1] == i:
            closing.pop()
            out.append(")")
    return out


def normalise(text: str, variables: Collection[str]) -> str:
    """``text`` in the parser's syntax, the accepted spellings rewritten.  Never raises: what it
    cannot tokenize it returns with only its characters respelled, for the parser to refuse (and
    :func:`mistake` to explain).

    >>> normalise("σ(z) − y", {"z", "y"})
    'sigmoid(z) - y'
    >>> normalise("exp -z^2 + ln x", {"z", "x"})
    'exp(-z**2) + log(x)'
    """
    spelled, _ = _replace_characters(text.strip())
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(spelled).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return spelled
    kept = [t for t in tokens if t.type not in _LAYOUT]
    if any(t.type == tokenize.ERRORTOKEN and t.string.strip() for t in kept):
        return spelled
    words = _rewrite(kept, variables)
    return spelled if words == [t.string for t in kept] else _joined(words)  # as typed where nothing is rewritten


def mistake(text: str, variables: Collection[str]) -> SpellingError | None:
    """The first beginner's mistake in a formula the parser refused, with its position and the fix
    (None when none of the known mistakes is there: the parser's own message stands)."""
    source = text.strip()
    spelled, origin = _replace_characters(source)
    try:
        _balance(spelled, source, origin)
        tokens = _tokens(spelled, source, origin)
        for i, token in enumerate(tokens):
            _check_token(token, tokens[i + 1] if i + 1 < len(tokens) else None, variables, source, origin)
    except SpellingError as error:
        return error
    return None


def _joined(words: list[str]) -> str:
    """The token strings as compact text: a space only where two words would otherwise merge, and
    around the operators that read better spaced."""
    text = ""
    for word in words:
        if text and ((text[-1].isalnum() or text[-1] in "_.") and (word[0].isalnum() or word[0] in "_.")):
            text += " "
        if word in ("+", "-") and text and text[-1] not in "(*/,e" and not text.endswith("**"):
            text += f" {word} "
        else:
            text += word
    return text.replace("  ", " ").strip()
