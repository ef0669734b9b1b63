"""PL004 invalid-expression."""

from __future__ import annotations

from pipelint.diagnostics import Severity
from pipelint.rule import Rule
from pipelint.yamltree import Scalar


class InvalidExpression(Rule):
    """## What it does
    Parses every GitHub Actions expression — each `${{ }}` in any value, and the bare
    `if:` conditions of jobs and steps — and reports the ones that do not parse: unknown
    functions, wrong argument counts, double-quoted strings, unbalanced parentheses,
    operators GitHub does not have, an unterminated `${{`.

    ## Why is this bad?
    GitHub evaluates expressions only when the job runs: a broken `if:` fails the run
    (or the whole workflow) after merge, often on the one branch or event nobody tried,
    such as the release that was supposed to ship.

    ## Example
    ```yaml
    jobs:
      deploy:
        if: ${{ github.ref == "refs/heads/main" && startWith(github.ref, 'refs/tags') }}
        runs-on: ubuntu-latest
    ```

    ## Use instead
    ```yaml
    jobs:
      deploy:
        if: ${{ github.ref == 'refs/heads/main' || startsWith(github.ref, 'refs/tags') }}
        runs-on: ubuntu-latest
    ```
    """

    code = "PL004"
    name = "invalid-expression"
    severity = Severity.ERROR
    platforms = ("github",)
    tags = ("correctness", "expressions")
    precision = "very-high"

    def check(self, ctx):
        parsed = ctx.file
        if parsed.platform != "github" or not parsed.documents:
            return
        document = parsed.documents[0]
        root = document.root
        seen: set[int] = set()
        for node in document.expression_scalars:
            if id(node) not in seen:  # aliases repeat a node
                seen.add(id(node))
                yield from self._embedded(parsed.file, node, root)
        for node in _conditions(parsed):
            if "${{" not in node.value and node.style in ("", "'", '"'):
                yield from self._bare_condition(parsed.file, node, root)

    def _embedded(self, file, node: Scalar, root):
        from pipelint.expressions.github import ExpressionError, find_expressions, parse

        for e in find_expressions(node.value):
            if e.end is None:
                span = file.scalar_span(node, e.start, e.start + 3)
                yield self.diagnostic(
                    span,
                    "unterminated expression: '${{' has no closing '}}'; close it or quote the text",
                    logical_path=path_of(root, node),
                )
                continue
            try:
                parse(e.inner)
            except ExpressionError as err:
                at = e.inner_start + min(max(err.offset, 0), len(e.inner))
                span = file.scalar_span(node, at, max(at + 1, e.end - 2) if at < e.end - 2 else at + 1)
                yield self.diagnostic(span, _message(err), logical_path=path_of(root, node))

    def _bare_condition(self, file, node: Scalar, root):
        from pipelint.expressions.github import ExpressionError, parse

        text = node.value
        if not text.strip():
            return
        try:
            parse(text)
        except ExpressionError as err:
            at = min(max(err.offset, 0), len(text))
            span = file.scalar_span(node, at, max(at + 1, len(text.rstrip())))
            yield self.diagnostic(span, _message(err), logical_path=path_of(root, node))


def _message(err) -> str:
    text = f"invalid expression: {err.message}; GitHub fails the run when it evaluates it"
    return text if len(text) < 200 else text[:196].rstrip() + "..."


def _conditions(parsed):
    """``if:`` values of jobs and steps (GitHub reads them as expressions without ``${{ }}``)."""
    if parsed.pipeline is not None:
        for job in parsed.pipeline.jobs.values():
            if job.condition is not None:
                yield job.condition
            for step in job.steps:
                if step.condition is not None:
                    yield step.condition
    if parsed.action is not None:
        for step in parsed.action.steps:
            if step.condition is not None:
                yield step.condition


def path_of(root, target) -> str:
    """The dotted YAML path of ``target`` below ``root`` (``jobs.build.steps[2].run``)."""
    from pipelint.yamltree import walk

    for path, node in walk(root):
        if node is target:
            return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(path))
    return ""
