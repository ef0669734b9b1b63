"""PL002 schema-violation."""

from __future__ import annotations

from pipelint.diagnostics import Severity
from pipelint.rule import Rule

#: Classifier kind -> vendored schema (see schemas/README.md).
SCHEMAS = {"github-workflow": "github-workflow", "github-action": "github-action"}


class SchemaViolation(Rule):
    """## What it does
    Checks a pipeline file against its platform's published schema (SchemaStore's GitHub
    workflow and action schemas) and reports each unknown key, wrong type or bad value at
    the node that is wrong. Where the schema is stricter than GitHub itself (a `strategy`
    without `matrix`, a filter given as one string, `${{ }}` expressions where a mapping
    or number is expected), pipelint follows GitHub.

    ## Why is this bad?
    GitHub rejects an invalid workflow only when it runs: a typo such as `runs-in:` or
    `timeout-minute:` shows up as a failed run after merge, and a misspelt key inside
    `on:` silently stops the workflow from triggering at all.

    ## Example
    ```yaml
    jobs:
      deploy:
        runs-in: ubuntu-latest
        timeout-minutes: ten
        steps:
          - run: ./deploy.sh
    ```

    ## Use instead
    ```yaml
    jobs:
      deploy:
        runs-on: ubuntu-latest
        timeout-minutes: 10
        steps:
          - run: ./deploy.sh
    ```
    """

    code = "PL002"
    name = "schema-violation"
    severity = Severity.ERROR
    platforms = ("github",)
    tags = ("correctness", "schema")
    precision = "high"

    def check(self, ctx):
        from pipelint.schema import validate

        parsed = ctx.file
        schema = SCHEMAS.get(parsed.kind)
        if schema is None or parsed.problems and not parsed.documents:
            return
        file = parsed.file
        for document in parsed.documents[:1]:
            for violation in validate(schema, document.root):
                if violation.node is None:
                    span = file.line_span(1)
                elif violation.node is document.root and getattr(document.root, "pairs", None):
                    # a key missing at the top: point at the first key, not the whole file
                    span = file.node_span(document.root.pairs[0][0])
                else:
                    span = file.node_span(violation.node)
                path = ".".join(str(p) for p in violation.path)
                yield self.diagnostic(span, _sentence(violation.message), logical_path=path)


def _sentence(message: str) -> str:
    message = message.strip()
    if len(message) > 197:
        message = message[:194].rstrip() + "..."
    return message
