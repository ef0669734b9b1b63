"""Reporters: LintResult -> text for people and machines. They read only diagnostics."""

from __future__ import annotations

FORMATS = ("text", "json", "sarif", "github", "gitlab")


def render(fmt: str, result, stream, *, color: bool | None = None, verbose: bool = False, registry=None) -> None:
    """Write ``result`` to ``stream`` in format ``fmt`` (modules imported on demand)."""
    if fmt == "text":
        from .text import render as r

        r(result, stream, color=color, verbose=verbose)
    elif fmt == "json":
        from .json import render as r

        r(result, stream)
    elif fmt == "sarif":
        from .sarif import render as r

        r(result, stream, registry=registry)
    elif fmt == "github":
        from .github import render as r

        r(result, stream)
    elif fmt == "gitlab":
        from .gitlab import render as r

        r(result, stream)
    else:  # pragma: no cover - argparse restricts choices
        raise ValueError(fmt)
