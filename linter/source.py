"""A file's text and the arithmetic that turns nodes and offsets into positions.

Everything a rule reports goes through :class:`SourceFile`, so a finding inside a
``run: |`` script points at the line and column of the file, not of the script.
"""

from __future__ import annotations

import bisect
import re

from .diagnostics import Position, Span
from .yamltree import Node, Scalar

_NEWLINE = re.compile(r"\n")
_WS = " \t\r\n"


class SourceFile:
    """One file: ``path`` as reported (relative to the repository root), its text."""

    __slots__ = ("path", "abspath", "text", "kind", "_line_starts")

    def __init__(self, path: str, abspath: str, text: str, kind: str = ""):
        self.path = path
        self.abspath = abspath
        self.text = text
        self.kind = kind
        self._line_starts: list[int] | None = None

    # ----------------------------------------------------------------- positions
    @property
    def line_starts(self) -> list[int]:
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in _NEWLINE.finditer(self.text)]
        return self._line_starts

    def position(self, offset: int) -> Position:
        offset = max(0, min(offset, len(self.text)))
        starts = self.line_starts
        line = bisect.bisect_right(starts, offset) - 1
        return Position(line + 1, offset - starts[line] + 1, offset)

    def span(self, start: int, end: int) -> Span:
        return Span(self.path, self.position(start), self.position(max(start, end)))

    def line_span(self, line: int) -> Span:
        """The whole of 1-based ``line`` (without its line break)."""
        starts = self.line_starts
        line = max(1, min(line, len(starts)))
        start = starts[line - 1]
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        if end > start and self.text[end - 1] == "\r":
            end -= 1
        return self.span(start, end)

    def node_span(self, node: Node) -> Span:
        """The node's text, without the trailing blank lines block nodes end with."""
        start = node.start_index
        end = node.end_index
        text = self.text
        while end > start and text[end - 1] in _WS:
            end -= 1
        # lines come from the offsets, not from the parser's marks: YAML also breaks lines
        # at U+2028, U+2029, U+0085 and a lone CR, which editors and GitHub do not
        return Span(self.path, self.position(start), self.position(end))

    def line_text(self, line: int) -> str:
        starts = self.line_starts
        if not 1 <= line <= len(starts):
            return ""
        end = starts[line] if line < len(starts) else len(self.text)
        return self.text[starts[line - 1] : end].rstrip("\r\n")

    # ------------------------------------------------------ inside scalar values
    def scalar_offset(self, node: Scalar, value_offset: int) -> int:
        """File offset of character ``value_offset`` of the scalar's value.

        Walks the value and its source text together: indentation, folded line breaks,
        quote doubling and escapes exist only in the source and are skipped. Exact for
        literal, folded and plain scalars; for escapes in double-quoted scalars it points
        at the escape sequence.
        """
        text = self.text
        value = node.value
        end = node.end_index
        style = node.style
        s = node.start_index
        if style in ("|", ">"):
            nl = text.find("\n", s)
            s = end if nl < 0 else nl + 1
        elif style in ("'", '"'):
            s += 1
        i = 0
        target = min(value_offset, len(value))
        while i < target and s < end:
            c = value[i]
            t = text[s]
            # escapes first: their first character may equal the value's character
            if style == '"' and t == "\\":
                letter = text[s + 1 : s + 2]
                if letter in ("\n", "\r"):  # an escaped line break stands for nothing
                    s += 3 if text[s + 1 : s + 3] == "\r\n" else 2
                    continue
                s += {"x": 4, "u": 6, "U": 10}.get(letter, 2)
                i += 1
            elif style == "'" and t == "'":  # '' stands for one quote
                s += 2
                i += 1
            elif t == c:
                i += 1
                s += 1
            elif t in _WS:
                s += 1
            else:
                i += 1
        # land on the character itself, not on indentation (or an escaped line break) before it
        if i < len(value) and value[i] not in _WS:
            while s < end:
                if text[s] in _WS and text[s] != value[i]:
                    s += 1
                elif style == '"' and text[s] == "\\" and text[s + 1 : s + 2] in ("\n", "\r"):
                    s += 2
                else:
                    break
        return s

    def scalar_span(self, node: Scalar, value_start: int, value_end: int) -> Span:
        """Span of ``node.value[value_start:value_end]`` in the file."""
        start = self.scalar_offset(node, value_start)
        if value_end <= value_start:
            return self.span(start, start)
        last = self.scalar_offset(node, value_end - 1)
        return self.span(start, last + self._source_length(node, last))

    def _source_length(self, node: Scalar, offset: int) -> int:
        """How many characters of source text the value character at ``offset`` takes."""
        text = self.text
        if node.style == '"' and text[offset : offset + 1] == "\\":
            return {"x": 4, "u": 6, "U": 10}.get(text[offset + 1 : offset + 2], 2)
        if node.style == "'" and text[offset : offset + 2] == "''":
            return 2
        return 1
