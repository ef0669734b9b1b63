"""PL002 schema-violation."""

from __future__ import annotations

import re

from pipelint.diagnostics import Severity
from pipelint.kustomize import kustomize_patches
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
    tasks and `${{ if }}` template expressions. Argo Rollouts objects (`Rollout`,
    `AnalysisTemplate`, `ClusterAnalysisTemplate`, `AnalysisRun`, `Experiment`) are
    checked against schemas derived from Argo's CRDs (unknown keys the API server would
    drop, wrong types); Kustomize patches and objects without a `spec` are partial and
    not judged.

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
    platforms = ("github", "gitlab", "azure", "argo")
    tags = ("correctness", "schema")
    precision = "high"

    def check(self, ctx):
        from pipelint.schema import validate

        parsed = ctx.file
        if parsed.kind == "kubernetes":
            yield from self._manifests(parsed, validate, ctx.project)
            return
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

    def _manifests(self, parsed, validate, project=None):
        """Argo Rollouts objects against their CRD schemas. Not whole objects, so not
        judged: objects without a ``spec`` (status-only assertion fragments of test
        suites) and files a Kustomization applies as patches."""
        if project is not None and parsed.file.abspath in kustomize_patches(project):
            return
        for m in parsed.manifests:
            schema = ARGO_SCHEMAS.get(m.kind)
            if schema is None or m.group != "argoproj.io" or m.spec is None:
                continue
            prefix = f"{m.kind}/{m.name or m.document}"
            for violation in validate(schema, m.node):
                node = violation.node if violation.node is not None else m.node
                path = ".".join(str(p) for p in violation.path)
                yield self.diagnostic(m.file.node_span(node), _sentence(violation.message), logical_path=f"{prefix}.{path}")


#: Argo Rollouts kinds -> schema derived from their CRDs (schemas/derive_argo_rollouts.py).
ARGO_SCHEMAS = {
    "Rollout": "argo-rollout",
    "AnalysisTemplate": "argo-analysistemplate",
    "ClusterAnalysisTemplate": "argo-clusteranalysistemplate",
    "AnalysisRun": "argo-analysisrun",
    "Experiment": "argo-experiment",
}


def _sentence(message: str) -> str:
    """The validator's message as one sentence under 200 characters: capitalised (a
    message that starts with a quoted key path names it as a key), a long list of
    accepted keys or values shortened to what fits, and a full stop."""
    message = " ".join(message.split()).rstrip(".")
    if message.startswith("'"):
        message = "Key " + message
    message = message[:1].upper() + message[1:]
    if ";" not in message:  # the fix of a missing key, which the validator leaves implied
        if re.search(r" is missing the (?:required )?keys ", message):
            message += "; add them"
        elif re.search(r" is missing the (?:required )?key ", message):
            message += "; add it"
        elif " needs one of the keys " in message:
            message += "; add one"
    return _fit(message, 198) + "."


def _fit(message: str, limit: int) -> str:
    """``message`` with its list of accepted keys or values cut to fit ``limit``."""
    if len(message) <= limit:
        return message
    tail = re.search(r"expected one of: (.+)$", message)
    if tail:
        items = tail[1].split(", ")
        head = message[: tail.start(1)]
        for keep in range(len(items) - 1, 0, -1):
            shorter = f"{head}{', '.join(items[:keep])} and {len(items) - keep} more"
            if len(shorter) <= limit:
                return shorter
    enum = re.search(r"'[^']*'(?:, '[^']*')+ or '[^']*'", message)
    if enum:
        items = re.findall(r"'[^']*'", enum[0])
        for keep in range(len(items) - 1, 0, -1):
            listed = f"{', '.join(items[:keep])} or one of {len(items) - keep} more"
            shorter = message[: enum.start()] + listed + message[enum.end() :]
            if len(shorter) <= limit:
                return shorter
    return message
