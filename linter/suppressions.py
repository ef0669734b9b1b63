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


#: A comment that means to be a suppression but has no ``[...]`` list.
_MALFORMED = re.compile(r"(?:^|\s)(?:#|--)\s*pipelint:\s*ignore(?:-file)?\b")


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


def _content_end(node) -> int:
    """Offset just after the last character that belongs to ``node``.

    A block collection's end mark sits where the next content starts: after blank lines,
    comments and the next line's indentation. Its own text really ends with its last
    child, so descend to that (a block scalar's trailing line breaks are dropped too).
    """
    while isinstance(node, (Mapping, Sequence)) and not node.flow_style and node.value:
        last = node.value[-1]
        child = last[1] if isinstance(node, Mapping) else last
        anchor = last[0] if isinstance(node, Mapping) else node
        if child.start_index < anchor.start_index:  # an alias of an earlier node
            return last[0].end_index if isinstance(node, Mapping) else node.end_index
        node = child
    return node.end_index


def _block_ends(documents: list[Document], file: SourceFile) -> dict[int, int]:
    """1-based line -> last line of the largest block that starts on it."""
    ends: dict[int, int] = {}
    text = file.text

    def note(start_line: int, end_node) -> None:
        end = _content_end(end_node)
        while end > end_node.start_index and text[end - 1] in " \t\r\n":
            end -= 1
        last = file.position(end).line
        if last > ends.get(start_line, 0):
            ends[start_line] = last

    for doc in documents:
        for _path, node in walk(doc.root):
            if isinstance(node, Mapping):
                for _text, key, value in node.items():
                    note(file.position(key.start_index).line, value)
            elif isinstance(node, Sequence):
                for item in node.items:
                    note(file.position(item.start_index).line, item)
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
            loose = _MALFORMED.search(line)
            if loose:  # `# pipelint: ignore PL101`: suppresses nothing, which PL005 says
                start = file.line_starts[i] + loose.start() + (1 if line[loose.start()].isspace() else 0)
                span = file.span(start, file.line_starts[i] + len(line.rstrip("\r")))
                found.append(InlineSuppression(file, [], "", span, i + 1, i + 1))
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
            while j < len(lines) and (not lines[j].strip() or lines[j].lstrip().startswith(("#", "--"))):
                j += 1
            target = j + 1 if j < len(lines) else lineno
        if ends is None:
            ends = _block_ends(documents, file)
        found.append(InlineSuppression(file, selectors, reason, span, min(lineno, target), max(target, ends.get(target, target))))
    return found
