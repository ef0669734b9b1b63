"""An example pipelint plugin: one rule, registered through the ``pipelint.rules`` group."""

from __future__ import annotations

from pipelint.diagnostics import Severity
from pipelint.rule import Rule


class ForbiddenWorkflowName(Rule):
    """## What it does
    Reports a GitHub workflow whose `name:` is `forbidden` (in any letter case).

    ## Why is this bad?
    This organisation reserves the name for workflows that were switched off; a
    workflow that still carries it is a leftover that nobody maintains.

    ## Example
    ```yaml
    name: forbidden
    on: push
    ```

    ## Use instead
    ```yaml
    name: ci
    on: push
    ```
    """

    code = "XMP001"
    name = "forbidden-workflow-name"
    severity = Severity.WARNING
    platforms = ("github",)
    tags = ("example",)
    precision = "very-high"
    scope = "file"

    def check(self, ctx):
        pipeline = ctx.file.pipeline
        if pipeline is None or pipeline.name_node is None:
            return
        if pipeline.name.strip().lower() == "forbidden":
            yield self.diagnostic(
                ctx.file.file.node_span(pipeline.name_node),
                f"workflow {pipeline.name!r} uses a reserved name, so it is taken for a "
                "switched-off leftover; give it a name that says what it does.",
                logical_path="name",
            )
