"""Captions in words and maths, written once and set in Typst and in LaTeX.

A caption (``FigureData.caption``) is prose with inline maths between ``$`` signs, the maths
in Typst's syntax (``$abs(sigma(z) - y)$``, ``$frac(tr(Sigma), B)$``, ``$m = (2y - 1) z$``).
The report uses it as it is; :func:`latex` translates it for the figure snippets of the
course kit; :func:`plain` gives the manifest a version without markup, :func:`spoken` the
figure's alternative text its words.  The translator knows
the subset below and refuses anything else, and each translated span is read back (by the
readers of ``symbolic.printing``) and compared with the Typst it came from, part by part: a
caption cannot silently come out wrong.
"""

from __future__ import annotations

import re

from gradproof.symbolic import printing

__all__ = ["typst", "latex", "plain", "spoken"]

GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "kappa", "lambda", "mu", "nu",
         "xi", "pi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega", "Gamma", "Delta", "Theta",
         "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega"}
WORDS = {"dot": r"\cdot", "times": r"\times", "approx": r"\approx", "partial": r"\partial",
         "dif": r"\mathrm{d}", "infinity": r"\infty", "quad": r"\quad", "in": r"\in", "dots": r"\dots",
         "tr": r"\operatorname{tr}", "log": r"\log", "exp": r"\exp", "tanh": r"\tanh", "ln": r"\ln",
         "max": r"\max", "min": r"\min", "sum": r"\sum", "minus": "-", "plus": "+", "arrow": r"\to",
         "percent": r"\%"}
SYMBOLS = {"<=": r"\le", ">=": r"\ge", "!=": r"\ne", "->": r"\to", "...": r"\dots", "%": r"\%", "\\/": "/"}
CALLS = {"frac": (r"\frac{%s}{%s}", 2), "abs": (r"\lvert %s\rvert", 1), "norm": (r"\lVert %s\rVert", 1),
         "sqrt": (r"\sqrt{%s}", 1), "italic": (r"\mathit{%s}", 1), "upright": (r"\mathrm{%s}", 1),
         "bold": (r"\mathbf{%s}", 1), "hat": (r"\hat{%s}", 1), "bar": (r"\bar{%s}", 1),
         "lr": (r"\left(%s\right)", 1)}
TOKEN = re.compile(r'"[^"]*"|[A-Za-z]+|\d+(?:\.\d+)?|<=|>=|!=|->|\.\.\.|\\/|\S')


class _Math:
    """A recursive-descent translation of one Typst maths span to LaTeX."""

    def __init__(self, source: str):
        self.source = source
        self.tokens = [(m.group(), m.start(), m.end()) for m in TOKEN.finditer(source)]
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at][0] if self.at < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.at][0]
        self.at += 1
        return token

    def adjacent(self) -> bool:
        """Whether the next token touches the previous one (``f(x)``, not ``f (x)``)."""
        return 0 < self.at < len(self.tokens) and self.tokens[self.at][1] == self.tokens[self.at - 1][2]

    def sequence(self, stops: str = "") -> str:
        out = []
        while (token := self.peek()) is not None and token not in stops:
            out.append(self.atom())
            while self.peek() in ("_", "^"):
                mark = self.take()
                out.append(mark + "{" + self.script() + "}")
        return " ".join(out)

    def script(self) -> str:
        if self.peek() == "(":
            self.take()
            body = self.sequence(")")
            self.expect(")")
            return body
        return self.atom()

    def expect(self, token: str) -> None:
        if self.peek() != token:
            raise ValueError(f"caption maths {self.source!r}: expected {token!r}")
        self.take()

    def call(self, name: str) -> str:
        template, arity = CALLS[name]
        self.expect("(")
        args = [self.sequence(",)")]
        while self.peek() == ",":
            self.take()
            args.append(self.sequence(",)"))
        self.expect(")")
        if len(args) != arity:
            raise ValueError(f"caption maths {self.source!r}: {name} takes {arity} argument(s)")
        return template % tuple(args)

    def atom(self) -> str:
        token = self.take()
        if token.startswith('"'):
            return r"\text{%s}" % token[1:-1]
        if token in CALLS and self.peek() == "(" and self.adjacent():
            return self.call(token)
        if token in GREEK:
            return "\\" + token
        if token in WORDS:
            return WORDS[token]
        if token in SYMBOLS:
            return SYMBOLS[token]
        if token.isalpha() and len(token) > 1:
            raise ValueError(f"caption maths {self.source!r}: unknown name {token!r}")
        if token == "(":
            body = self.sequence(")")
            self.expect(")")
            return "(" + body + ")"
        if token in "{}#\\&$":
            raise ValueError(f"caption maths {self.source!r}: unexpected {token!r}")
        return token


def _spans(caption: str) -> list[str]:
    """Prose and maths alternating (odd positions are maths)."""
    parts = caption.split("$")
    if len(parts) % 2 == 0:
        raise ValueError(f"caption has an unpaired $: {caption!r}")
    return parts


def typst(caption: str) -> str:
    """The caption as Typst markup: prose escaped, maths as written."""
    return "".join(f"${p}$" if i % 2 else re.sub(r"([\\#*_@<>\[\]~`/])", r"\\\1", p)
                   for i, p in enumerate(_spans(caption)))


def latex(caption: str) -> str:
    """The caption as LaTeX: prose escaped, maths translated."""
    out = []
    for i, part in enumerate(_spans(caption)):
        if i % 2:
            translated = _Math(part).sequence()
            printing.same_reading(part, translated)  # the translation reads as the Typst does, or PrinterError
            out.append("$" + translated + "$")
        else:
            for char, escaped in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("#", r"\#"),
                                  ("_", r"\_"), ("{", r"\{"), ("}", r"\}"), ("~", r"\~{}"), ("^", r"\^{}")):
                part = part.replace(char, escaped)
            out.append(part)
    return "".join(out)


def plain(caption: str) -> str:
    """The caption without markup: the maths as written, the $ signs dropped."""
    return "".join(_spans(caption))


def spoken(caption: str) -> str:
    """The caption as it is read aloud: each formula in words (:func:`printing.spoken`)."""
    return "".join(printing.spoken(p) if i % 2 else p for i, p in enumerate(_spans(caption)))
