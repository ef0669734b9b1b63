"""Diagnostics: what rules produce and reporters consume.

Positions are 1-based lines and columns counted in Unicode code points (what SARIF
calls ``unicodeCodePoints``); ``end_column`` is exclusive. Offsets are 0-based indexes
into the decoded file text, used by fixes to edit text in place.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field


class Severity(enum.IntEnum):
    NOTE = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (error, warning or note)") from None

    def __str__(self) -> str:
        return self._name_.lower()  # (``name`` is a property: slower, once per finding)


@dataclass(frozen=True, slots=True)
class Position:
    """A point in a file: 1-based line and column, 0-based text offset."""

    line: int
    column: int
    offset: int


@dataclass(frozen=True, slots=True)
class Span:
    """A region of one file."""

    path: str
    start: Position
    end: Position

    @property
    def line(self) -> int:
        return self.start.line


@dataclass(frozen=True, slots=True)
class Related:
    """Another place that explains a finding (the job upstream, the template...)."""

    span: Span
    message: str


class Applicability(str, enum.Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace text[start:end] of ``path`` with ``text`` (offsets into decoded text)."""

    path: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Fix:
    description: str
    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.SAFE


@dataclass(slots=True)
class Suppression:
    """What silenced a diagnostic: an inline ``# pipelint: ignore[...]`` (kind
    ``inSource``, SARIF's word) or a baseline file (kind ``external``)."""

    justification: str
    span: Span
    kind: str = "inSource"


@dataclass(slots=True)
class Diagnostic:
    code: str
    name: str
    severity: Severity
    message: str
    span: Span
    related: tuple[Related, ...] = ()
    fix: Fix | None = None
    #: A stable, line-independent description of where the finding sits
    #: (e.g. ``jobs.deploy.steps[2].run``); part of the SARIF fingerprint.
    logical_path: str = ""
    suppression: Suppression | None = None
    help_uri: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.span.path

    @property
    def line(self) -> int:
        return self.span.start.line

    @property
    def column(self) -> int:
        return self.span.start.column

    def sort_key(self) -> tuple:
        return (self.span.path, self.span.start.line, self.span.start.column, self.code, self.message)


def clip(message: str, limit: int = 200) -> str:
    """A message kept under ``limit`` characters (one readable line in every reporter)."""
    return message if len(message) < limit else message[: limit - 4].rstrip() + "..."


#: Messages stay under 200 characters (one readable line in every reporter).
MESSAGE_LIMIT = 199


def fit(*messages: str, limit: int = MESSAGE_LIMIT) -> str:
    """The first of ``messages`` (longest, most helpful first) that fits in ``limit``,
    capitalised; if none does, the last one with its longest quoted names shortened
    (never its fix), and only as a last resort cut at the end."""
    messages = tuple(m[:1].upper() + m[1:] for m in messages)
    for m in messages:
        if len(m) <= limit:
            return m
    m = messages[-1]
    while len(m) > limit:
        names = list(re.finditer(r"'([^']{12,})'", m))
        if not names:
            return m[: limit - 1].rstrip() + "…"
        longest = max(names, key=lambda q: len(q[1]))
        keep = max(len(longest[1]) - (len(m) - limit) - 1, 10)
        if keep >= len(longest[1]):
            return m[: limit - 1].rstrip() + "…"
        m = m[: longest.start(1)] + longest[1][:keep].rstrip() + "…" + m[longest.end(1) :]
    return m
