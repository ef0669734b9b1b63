"""PL002 schema-violation."""

from __future__ import annotations

from pipelint.diagnostics import Severity
from pipelint.rule import Rule

#: Classifier kind -> vendored schema (see schemas/README.md).
SCHEMAS = {
    "github-workflow": "github-workflow",
    "github-action": "github-action",
    "gitlab-ci": "gitlab-ci",
    "azure-pipelines": "azure-pipelines",
}


class SchemaViolation(Rule):
    """## What it does
    Checks a pipeline file against its platform's published schema (SchemaStore's GitHub
    workflow and action schemas, GitLab's own CI schema, Microsoft's Azure Pipelines
    schema) and reports each unknown key, wrong type or bad value at the node that is
    wrong. Where a schema is stricter than the platform itself, pipelint follows the
    platform: GitHub's `${{ }}` expressions where a mapping or number is expected,
    GitLab's `!reference` tags, nested `rules` lists and `key: null` overrides, Azure's
    text scalars (`timeoutInMinutes: 30`), case-insensitive keys and values, custom
    tasks and `${{ if }}` template expressions.

    ## Why is this bad?
    The platform rejects an invalid pipeline only when it runs: a typo such as `runs-in:`,
    `stgae:` or `dispalyName:` shows up as a failed run after merge, and a misspelt
    trigger key silently stops the pipeline from starting at all.

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
    platforms = ("github", "gitlab", "azure")
    tags = ("correctness", "schema")
    precision = "high"

    def check(self, ctx):
        from pipelint.schema import validate

        parsed = ctx.file
        schema = SCHEMAS.get(parsed.kind)
        if schema is None or parsed.problems and not parsed.documents:
            return
        file = parsed.file
        # a GitLab file may start with a `spec:` header document; the pipeline follows it
        documents = parsed.documents[:2] if parsed.kind == "gitlab-ci" else parsed.documents[:1]
        for document in documents:
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
