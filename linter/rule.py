"""The rule API: what a built-in or third-party rule looks like.

A rule is a small class with a code, a name, a default severity, tags, the platforms it
reads, options with defaults and a ruff-style docstring (What it does / Why is this bad /
Example / Use instead). ``check(ctx)`` reads the model through ``ctx.project`` and yields
:class:`~pipelint.diagnostics.Diagnostic` objects, nothing more. Rules are registered
through the ``pipelint.rules`` entry-point group, built-in ones included.
"""

from __future__ import annotations

import re

import inspect
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable

from .diagnostics import Diagnostic, Fix, Related, Severity, Span

DOCS_BASE = "https://github.com/pipelint/pipelint/blob/main/docs/rules"


@dataclass
class RuleContext:
    """What a rule may read: the project model, its options and the shared settings."""

    project: Any  # pipelint.model.Project
    options: dict[str, Any]
    settings: Any  # pipelint.config.Settings
    targets: Any = None  # pipelint.environments.Targets
    #: For file-scoped rules: the file being checked (a pipelint.model.ParsedFile).
    file: Any = None

    def option(self, name: str):
        return self.options[name]


class Rule:
    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    severity: ClassVar[Severity] = Severity.WARNING
    #: Platforms whose files the rule reads: github, gitlab, azure, argo, kubernetes, docker, sql.
    platforms: ClassVar[tuple[str, ...]] = ()
    tags: ClassVar[tuple[str, ...]] = ()
    #: SARIF precision: very-high, high, medium, low.
    precision: ClassVar[str] = "high"
    fixable: ClassVar[bool] = False
    #: "file": ``check`` runs once per file (``ctx.file``), so a crash on one file spares the
    #: others; "project": once per run, for rules that read across files.
    scope: ClassVar[str] = "file"
    #: Option name -> default value; users set them under ``[tool.pipelint.rules.<code or name>]``.
    options: ClassVar[dict[str, Any]] = {}
    #: Set by the engine: the entry point the rule was loaded from.
    origin: ClassVar[str] = ""

    def check(self, ctx: RuleContext) -> Iterable[Diagnostic]:
        raise NotImplementedError

    # ----------------------------------------------------------------- helpers
    def diagnostic(
        self,
        span: Span,
        message: str,
        *,
        fix: Fix | None = None,
        related: Iterable[Related] = (),
        logical_path: str = "",
    ) -> Diagnostic:
        return Diagnostic(
            code=self.code,
            name=self.name,
            severity=self.severity,
            message=message,
            span=span,
            related=tuple(related),
            fix=fix,
            logical_path=logical_path,
            help_uri=help_uri(self.code),
        )

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        """The first sentence of 'What it does'."""
        doc = cls.documentation()
        lines = doc.splitlines()
        for i, line in enumerate(lines):
            if line.strip().lower().startswith("## what it does"):
                body = " ".join(_until_heading(lines[i + 1 :]))
                return _first_sentence(body).rstrip(".") + "."
        return (lines[0] if lines else cls.name).strip()


def _first_sentence(text: str) -> str:
    """Up to the first ". " outside code spans that does not end an abbreviation."""
    code = False
    for i, ch in enumerate(text):
        if ch == "`":
            code = not code
        elif ch == "." and not code and text[i + 1 : i + 2] in (" ", "") and not _ABBREVIATION.search(text, 0, i + 1):
            return text[:i]
    return text


#: "e.g.", "i.e.", "etc." and "..." end no sentence.
_ABBREVIATION = re.compile(r"(?:\be\.g|\bi\.e|\betc|\.\.)\.$")


def _until_heading(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        if line.startswith("#"):
            break
        if line.strip():
            out.append(line.strip())
    return out


def help_uri(code: str) -> str:
    return f"{DOCS_BASE}/{code}.md"


@dataclass
class RuleInfo:
    """Registry entry: the rule class plus where it came from."""

    cls: type[Rule]
    origin: str = ""
    extra: dict = field(default_factory=dict)
