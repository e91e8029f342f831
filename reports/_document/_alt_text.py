"""Alternative text for every formula of a Typst source, as PDF/UA-1 requires.

Typst takes a formula's words only where the formula is made (``math.equation(alt: ..)``); a show
rule cannot add them afterwards (the tag of the formula is already written).  So the finished
source is scanned once, as Typst reads it: markup, code (after ``#`` or inside ``(..)``, ``{..}``),
strings, raw text, comments and maths, and every ``$..$`` becomes
``math.equation(block: .., alt: "<its words>", $..$)`` (with ``#`` in markup), its words read from
the very text between the dollars (:func:`gradproof.symbolic.printing.spoken`).  Nothing else in
the source changes.  A formula the scanner missed is not silent: Typst's PDF/UA-1 export refuses a
formula without alternative text, so the report would not compile.
"""

from __future__ import annotations

from dataclasses import dataclass

from gradproof.symbolic.printing import spoken

__all__ = ["with_alt_text", "math_spans", "MathSpan"]

_CLOSER = {"(": ")", "{": "}", "[": "]"}
_KEYWORD_LINES = {"let", "set", "show", "import", "include"}


@dataclass(frozen=True)
class MathSpan:
    """``source[start:end]`` is one formula with its dollars; ``in_code``: it sits in code."""

    start: int
    end: int
    in_code: bool


class _Scanner:
    def __init__(self, source: str):
        self.s = source
        self.spans: list[MathSpan] = []

    def at(self, i: int, text: str) -> bool:
        return self.s.startswith(text, i)

    def comment(self, i: int) -> int | None:
        """The end of a comment starting at ``i``, or None when none starts there."""
        if self.at(i, "//"):
            j = self.s.find("\n", i)
            return len(self.s) if j < 0 else j
        if self.at(i, "/*"):
            j = self.s.find("*/", i + 2)
            return len(self.s) if j < 0 else j + 2
        return None

    def markup(self, i: int, closer: str | None) -> int:
        """Markup from ``i`` to its closing ``]`` (or the end); returns the index after it."""
        depth = 0
        while i < len(self.s):
            c = self.s[i]
            if c == "\\":
                i += 2
            elif (end := self.comment(i)) is not None:
                i = end
            elif c == "`":
                i = self.raw(i)
            elif c == "$":
                i = self.math(i, in_code=False)
            elif c == "#":
                i = self.embedded(i + 1)
            elif c == "[":
                depth, i = depth + 1, i + 1
            elif c == "]":
                if depth == 0 and closer == "]":
                    return i + 1
                depth, i = depth - 1, i + 1
            else:
                i += 1
        return i

    def raw(self, i: int) -> int:
        n = 0
        while self.at(i + n, "`"):
            n += 1
        if n == 2:
            return i + 2
        j = self.s.find("`" * n, i + n)
        return len(self.s) if j < 0 else j + n

    def string(self, i: int) -> int:
        i += 1
        while i < len(self.s) and self.s[i] != '"':
            i += 2 if self.s[i] == "\\" else 1
        return i + 1

    def code(self, i: int, closer: str, *, line: bool = False) -> int:
        """Code up to ``closer`` at depth 0 (or a newline at depth 0 when ``line``)."""
        while i < len(self.s):
            c = self.s[i]
            if c == closer or (line and c == "\n"):
                return i + 1
            if c == '"':
                i = self.string(i)
            elif (end := self.comment(i)) is not None:
                i = end
            elif c == "[":
                i = self.markup(i + 1, "]")
            elif c == "$":
                i = self.math(i, in_code=True)
            elif c in "({":
                i = self.code(i + 1, _CLOSER[c])
            else:
                i += 1
        return i

    def embedded(self, i: int) -> int:
        """One expression after ``#`` in markup: a name with calls, fields and content blocks."""
        s = self.s
        if i < len(s) and s[i] in "({":
            return self.code(i + 1, _CLOSER[s[i]])
        if i < len(s) and s[i] == '"':
            return self.string(i)
        j = i
        while j < len(s) and (s[j].isalnum() or s[j] in "_-"):
            j += 1
        if s[i:j] in _KEYWORD_LINES:
            return self.code(j, "\n", line=True)
        if s[i:j] == "context":
            return self.embedded(j + 1)
        while j < len(s):
            if s[j] == "(":
                j = self.code(j + 1, ")")
            elif s[j] == "[":
                j = self.markup(j + 1, "]")
            elif s[j] == "." and j + 1 < len(s) and s[j + 1].isalpha():
                j += 1
                while j < len(s) and (s[j].isalnum() or s[j] in "_-"):
                    j += 1
            else:
                break
        return j

    def math(self, i: int, *, in_code: bool) -> int:
        """A formula from its opening ``$``; records it and returns the index after its ``$``."""
        j = i + 1
        while j < len(self.s) and self.s[j] != "$":
            c = self.s[j]
            if c == "\\":
                j += 2
            elif c == '"':
                j = self.string(j)
            elif c == "#":
                j = self.embedded(j + 1)
            else:
                j += 1
        self.spans.append(MathSpan(i, j + 1, in_code))
        return j + 1


def math_spans(source: str) -> list[MathSpan]:
    """Every formula of a Typst markup source, in order."""
    scanner = _Scanner(source)
    scanner.markup(0, None)
    spans = sorted(scanner.spans, key=lambda span: span.start)
    outer = [span for span in spans  # a formula inside a formula's code is part of the outer one
             if not any(o.start < span.start and span.end <= o.end for o in spans)]
    return outer


def _typst_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def with_alt_text(source: str) -> str:
    """``source`` with each formula given its spoken words as alternative text."""
    out, last = [], 0
    for span in math_spans(source):
        formula = source[span.start:span.end]
        body = formula[1:-1]
        block = len(body) > 1 and body[0].isspace() and body[-1].isspace()
        words = spoken(body) or "formula"
        call = f"math.equation(block: {'true' if block else 'false'}, alt: {_typst_string(words)}, {formula})"
        out += [source[last:span.start], call if span.in_code else f"#{call};"]
        last = span.end
    out.append(source[last:])
    return "".join(out)
