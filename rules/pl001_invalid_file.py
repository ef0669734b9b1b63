"""PL001 invalid-file."""

from __future__ import annotations

from pipelint.diagnostics import Related, Severity
from pipelint.rule import Rule


class InvalidFile(Rule):
    """## What it does
    Reports a file that pipelint recognises (by its path) but cannot read: YAML syntax
    errors, duplicate keys, text that is not UTF-8, binary content, nesting or alias
    expansion beyond pipelint's safety limits.

    ## Why is this bad?
    The CI platform will reject the file or, worse, read it differently from what its
    author sees: with a duplicate key, one of the two values is silently dropped, and
    which one depends on the YAML library. Nothing else in the file can be checked.

    ## Example
    ```yaml
    jobs:
      deploy:
        runs-on: ubuntu-latest
        runs-on: self-hosted
    ```

    ## Use instead
    ```yaml
    jobs:
      deploy:
        runs-on: self-hosted
    ```
    """

    code = "PL001"
    name = "invalid-file"
    severity = Severity.ERROR
    platforms = ("github", "gitlab", "azure", "argo", "kubernetes", "docker", "sql")
    tags = ("correctness",)
    precision = "very-high"

    def check(self, ctx):
        file = ctx.file.file
        for problem in ctx.file.problems:
            if problem.node is not None:
                span = file.node_span(problem.node)
            else:
                start = problem.offset if problem.offset else _offset(file, problem.line, problem.column)
                span = file.span(start, start + 1 if start < len(file.text) else start)
            related = ()
            if problem.related_node is not None:
                related = (Related(file.node_span(problem.related_node), "first defined here"),)
            yield self.diagnostic(span, _message(problem.message), related=related)


_LEAD, _FIX = "Cannot read this file: ", "; fix the file or exclude it."


def _message(problem: str) -> str:
    """One sentence under 200 characters: a long parser message is shortened, not the fix."""
    text = " ".join(problem.split()).rstrip(".")
    room = 199 - len(_LEAD) - len(_FIX)
    if len(text) > room:
        text = text[: room - 1].rstrip() + "…"
    return f"{_LEAD}{text}{_FIX}"


def _offset(file, line: int, column: int) -> int:
    starts = file.line_starts
    if not file.text:
        return 0
    line = min(line, len(starts) - 1)
    return min(starts[line] + column, len(file.text))
