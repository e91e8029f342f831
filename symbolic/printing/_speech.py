"""A formula read aloud: the words a screen reader says for a formula in Typst's maths syntax.

:func:`spoken` reads the same Typst text the printer wrote (and the hand-written maths of the
report's prose), so the words describe exactly the formula that is drawn, not a second rendering
of the expression that could disagree with it.  The reading follows the usual spoken conventions
(MathSpeak's, simplified): ``sigma(z) - y`` is "sigma of z minus y", ``x_i`` "x sub i",
``norm(g)^2`` "the norm of g, squared", ``frac(a, b)`` "a over b" and, when either part is more
than one symbol, "the fraction a, over b, end fraction"; a group in parentheses that is not a
function's argument is "open paren ... close paren", so the words keep the grouping.

It knows the subset of Typst's maths that gradproof writes; anything else is spoken as its
characters, never dropped, so a reading is never silently shorter than the formula.
"""

from __future__ import annotations

import re

__all__ = ["spoken"]

_GREEK = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho "
          "sigma tau upsilon phi chi psi omega").split()
_UNICODE_GREEK = dict(zip("αβγδεζηθικλμνξοπρστυφχψω", _GREEK))
_UNICODE_GREEK.update({chr(ord(c) - 32): "capital " + n for c, n in _UNICODE_GREEK.items() if c != "ς"})

_WORDS = {
    "partial": "partial", "dif": "d", "dot": "times", "times": "times", "*": "times", "×": "times",
    "·": "times", "⋅": "times", "+": "plus", "-": "minus", "−": "minus", "=": "equals",
    "<=": "is at most", "≤": "is at most", ">=": "is at least", "≥": "is at least", "<": "is less than",
    ">": "is greater than", "!=": "is not equal to", "≠": "is not equal to", "in": "in", "∈": "in",
    "->": "to", "→": "to", "...": "dots", "…": "dots", "approx": "is approximately",
    "≈": "is approximately", ",": ",", ";": ";", "&": "", "\\": "; next line:", "quad": "",
    "'": "prime", "′": "prime", "oo": "infinity", "infinity": "infinity", "∞": "infinity",
    "∂": "partial", "∑": "the sum", "sum": "the sum", "prod": "the product", "∏": "the product",
    "!": "factorial", "|": "bar", "‖": "double bar", "/": "over", "tr": "the trace", "log": "log",
    "ln": "natural log", "exp": "exp", "tanh": "tanh", "sin": "sine", "cos": "cosine", "max": "max",
    "min": "min", "sqrt": "the square root of", "e": "e", "thin": "", "med": "", "thick": "",
    "plus.minus": "plus or minus", "±": "plus or minus", "in.not": "not in", "forall": "for all",
    "exists": "there exists", "delta": "delta",
}
_ESCAPED = {"(": "open paren", ")": "close paren"}  # a bracket written unpaired, to span lines
_WORDS.update({g: g for g in _GREEK})
_WORDS.update({g.capitalize(): "capital " + g for g in _GREEK})
_WORDS.update(_UNICODE_GREEK)
# names read as a function of what follows in parentheses: "sigma of z"
_APPLIED = {"sigma", "σ", "log", "ln", "exp", "tanh", "sin", "cos", "tr", "max", "min", "softmax",
            "cell", "f", "g", "E", "P"}
_POWERS = {"2": "squared", "3": "cubed", "T": "transposed", "⊤": "transposed"}

_TOKEN = re.compile(r'\s+|"(?:[^"\\]|\\.)*"|\d+(?:\.\d+)?|[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z]+)*'
                    r"|\\.|<=|>=|!=|->|\.\.\.|#[A-Za-z][A-Za-z0-9_-]*|.", re.S)


def _tokens(text: str) -> tuple[list[str], set[int]]:
    """The tokens without spaces, and the positions of those written right after the previous
    one (``sigma(z)`` is a call, ``u_k (1 - u_k)`` a product)."""
    tokens: list[str] = []
    glued: set[int] = set()
    spaced = True
    for token in _TOKEN.findall(text):
        if token.isspace():
            spaced = True
            continue
        if not spaced:
            glued.add(len(tokens))
        tokens.append(token)
        spaced = False
    return tokens, glued


class _Reader:
    """A recursive reading of one token list; ``pos`` moves through it."""

    def __init__(self, tokens: tuple[list[str], set[int]]):
        self.tokens, self.glued = tokens
        self.pos = 0

    def called(self) -> bool:
        """The next token is a ``(`` written right after the previous one."""
        return self.peek() == "(" and self.pos in self.glued

    def peek(self, ahead: int = 0) -> str | None:
        i = self.pos + ahead
        return self.tokens[i] if i < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def sequence(self, closers: tuple[str, ...] = ()) -> list[str]:
        """Atoms up to (not including) a closer at this depth, with ``/`` as a fraction."""
        words: list[list[str]] = []
        while self.peek() is not None and self.peek() not in closers:
            if self.peek() == "/" and words:
                self.take()
                words[-1] = _fraction(words[-1], self.atom())
                continue
            words.append(self.atom())
        return [w for part in words for w in part]

    def group(self, opener: str) -> list[str]:
        """The inside of a bracket whose opener was just taken; the closer is taken too."""
        closer = {"(": ")", "[": "]", "{": "}"}[opener]
        inner = self.sequence((closer,))
        if self.peek() == closer:
            self.take()
        return inner

    def arguments(self) -> list[list[str]]:
        """A call's arguments, the ``(`` just taken: comma-separated sequences up to ``)``."""
        args = [self.sequence((",", ")"))]
        while self.peek() == ",":
            self.take()
            args.append(self.sequence((",", ")")))
        if self.peek() == ")":
            self.take()
        return args

    def atom(self) -> list[str]:
        words = self.primary()
        while self.peek() in ("_", "^", "'", "′"):
            mark = self.take()
            if mark in ("'", "′"):
                words = words + ["prime"]
                continue
            script, simple = self.script()
            if mark == "_":
                words = words + ["sub", *script] + ([] if simple else ["end sub"])
            elif simple and " ".join(script) in _POWERS:
                words = words + [_POWERS[" ".join(script)]]
            elif simple and re.fullmatch(r"[a-z]", " ".join(script)) and words != ["e"]:
                words = words + ["superscript", *script]  # a label (h^b, h^f), not a power
            else:
                words = words + ["to the power", *script] + ([] if simple else ["end power"])
        return words

    def script(self) -> tuple[list[str], bool]:
        """A sub- or superscript: one atom, or a parenthesised group read without its parens."""
        if self.peek() == "(":
            self.take()
            inner = self.group("(")
            return inner, len(inner) <= 1
        inner = self.primary()
        return inner, len(inner) <= 1

    def primary(self) -> list[str]:
        token = self.take()
        if token.startswith('"'):
            return [token[1:-1].replace('\\"', '"')]
        if token.startswith("\\") and len(token) == 2:
            if token[1].isspace():
                return ["; next line:"]
            return [_ESCAPED.get(token[1]) or _WORDS.get(token[1], token[1])] if token != "\\\\" else ["backslash"]
        if token in ("(", "[", "{"):
            return ["open paren", *self.group(token), "close paren"]
        if token.startswith("#"):
            return [token[1:]]
        if self.called() and re.fullmatch(r"[A-Za-z][A-Za-z0-9.]+", token):
            return self.call(token)
        if token in _APPLIED and self.called():
            self.take()
            return [_WORDS.get(token, token), "of", *self.group("(")]
        if token in ("sum", "∑", "prod", "∏"):
            return self.big_operator(token)
        return [_WORDS.get(token, token)]

    def big_operator(self, token: str) -> list[str]:
        words = [_WORDS[token]]
        if self.peek() == "_":
            self.take()
            below, _ = self.script()
            words += ["over", *below] if self.peek() != "^" else ["from", *below]
        if self.peek() == "^":
            self.take()
            above, _ = self.script()
            words += ["to", *above]
        return [*words, "of"]

    def call(self, name: str) -> list[str]:
        self.take()  # the "("
        if name == "lr":
            inside = self.sequence((")",))
            if self.peek() == ")":
                self.take()
            return inside
        if name in _APPLIED or name in _GREEK:
            return [_WORDS.get(name, name), "of", *self.group("(")]
        args = self.arguments()
        if name == "frac" and len(args) == 2:
            return _fraction(args[0], args[1])
        if name in ("abs", "norm") and len(args) == 1:
            what = "absolute value" if name == "abs" else "norm"
            return [f"the {what} of", *args[0]] + ([] if len(args[0]) <= 1 else [f"end {what}"])
        if name in ("sqrt",) and len(args) == 1:
            return ["the square root of", *args[0]] + ([] if len(args[0]) <= 1 else ["end root"])
        if name in ("italic", "upright", "bold", "bb", "cal", "op", "serif", "sans", "mono", "display",
                    "inline") and args:
            return args[-1]
        if name == "cases":
            return ["cases:", *[w for i, a in enumerate(args) for w in ([";"] if i else []) + a]]
        return [_WORDS.get(name, name), "of", *[w for i, a in enumerate(args) for w in ([","] if i else []) + a]]


def _fraction(numerator: list[str], denominator: list[str]) -> list[str]:
    if len(numerator) <= 1 and len(denominator) <= 1:
        return [*numerator, "over", *denominator]
    return ["the fraction", *numerator, ", over", *denominator, ", end fraction"]


def spoken(typst_math: str) -> str:
    """The words for one formula written in Typst's maths syntax (without the ``$`` signs).

    >>> spoken("sigma(z) - y")
    'sigma of z minus y'
    >>> spoken("frac(partial L, partial w) = (sigma(z) - y) x")
    'the fraction partial L, over partial w, end fraction equals open paren sigma of z minus y close paren x'
    """
    reader = _Reader(_tokens(typst_math))
    words = reader.sequence()
    while reader.peek() is not None:  # an unmatched closer: spoken as itself, then go on
        words += [reader.take(), *reader.sequence()]
    text = " ".join(w for w in words if w)
    return re.sub(r"\s+([,;])", r"\1", re.sub(r"\s+", " ", text)).strip()
