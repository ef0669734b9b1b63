"""Inline suppressions: ``# pipelint: ignore[PL101, name] reason``.

A comment covers the line it ends, or (alone on its line) the next line of content; when
that line starts a block (a job key, a step item, a ``run: |`` script) it covers the whole
block. ``# pipelint: ignore-file[PL5]`` covers the file. SQL files use ``--`` comments.
Which suppressions were used is tracked so PL005 can report the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .diagnostics import Span
from .source import SourceFile
from .yamltree import Document, Mapping, Sequence, walk

_COMMENT = re.compile(
    r"(?:^|\s)(?:#|--)\s*pipelint:\s*(?P<kind>ignore-file|ignore)\s*\[(?P<codes>[^\]]*)\]\s*(?P<reason>.*)$"
)


@dataclass(eq=False)
class InlineSuppression:
    file: SourceFile
    selectors: list[str]
    reason: str
    span: Span  # the comment itself
    first_line: int  # 1-based, inclusive
    last_line: int
    whole_file: bool = False
    used: set = field(default_factory=set)  # selectors that matched something

    def covers(self, line: int) -> bool:
        return self.whole_file or self.first_line <= line <= self.last_line


def _block_ends(documents: list[Document]) -> dict[int, int]:
    """1-based line -> last line of the largest block that starts on it."""
    ends: dict[int, int] = {}

    def note(start_line: int, end_node) -> None:
        end = end_node.end_line + 1
        if end_node.end_col == 0 and end > start_line:
            end -= 1  # block nodes end at column 0 of the following line
        if end > ends.get(start_line, 0):
            ends[start_line] = end

    for doc in documents:
        for _path, node in walk(doc.root):
            if isinstance(node, Mapping):
                for _text, key, value in node.items():
                    note(key.start_line + 1, value)
            elif isinstance(node, Sequence):
                for item in node.items:
                    note(item.start_line + 1, item)
    return ends


def parse(file: SourceFile, documents: list[Document]) -> list[InlineSuppression]:
    text = file.text
    if "pipelint:" not in text:
        return []
    found: list[InlineSuppression] = []
    lines = text.split("\n")
    ends: dict[int, int] | None = None
    for i, line in enumerate(lines):
        if "pipelint:" not in line:
            continue
        m = _COMMENT.search(line)
        if not m:
            continue
        lineno = i + 1
        selectors = [s.strip() for s in m["codes"].split(",") if s.strip()]
        start = file.line_starts[i] + m.start() + (1 if line[m.start()].isspace() else 0)
        span = file.span(start, file.line_starts[i] + len(line.rstrip("\r")))
        reason = m["reason"].strip()
        if m["kind"] == "ignore-file":
            found.append(InlineSuppression(file, selectors, reason, span, 1, len(lines), whole_file=True))
            continue
        before = line[: m.start()].strip()
        target = lineno
        if not before or before == "-":
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or lines[j].lstrip().startswith("#")):
                j += 1
            target = j + 1 if j < len(lines) else lineno
        if ends is None:
            ends = _block_ends(documents)
        found.append(InlineSuppression(file, selectors, reason, span, min(lineno, target), max(target, ends.get(target, target))))
    return found
