"""Platform parsers: confirmed files -> model objects. One module per platform."""

from __future__ import annotations

from ..model import ParsedFile
from . import azure, github, gitlab, kubernetes, scripts


def build_model(parsed: ParsedFile, settings=None) -> bool:
    """Fill the model of a confirmed file: ``parsed.pipeline`` / ``parsed.action`` /
    ``parsed.manifests`` from its documents, ``parsed.dockerfile`` / ``parsed.migration``
    from its text. False when a text parser finds the file is not one of its kind."""
    if parsed.kind == "dockerfile":
        from .dockerfile import parse_dockerfile

        parsed.dockerfile = parse_dockerfile(parsed)
        return parsed.dockerfile is not None or bool(parsed.problems)
    if parsed.kind == "migration":
        from .sql import parse_migration

        parsed.migration = parse_migration(parsed, settings)
        return parsed.migration is not None or bool(parsed.problems)
    if not parsed.documents:
        return True
    document = parsed.documents[0]
    if parsed.kind == "github-workflow":
        parsed.pipeline = github.parse_workflow(parsed.file, document)
    elif parsed.kind == "github-action":
        parsed.action = github.parse_action(parsed.file, document)
    elif parsed.kind == "azure-pipelines":
        parsed.pipeline = azure.parse_pipeline(parsed.file, document, included=parsed.included)
    elif parsed.kind == "gitlab-ci":
        parsed.pipeline = gitlab.parse_pipeline(parsed.file, document, parsed.documents)
    elif parsed.kind == "kubernetes":
        parsed.manifests = kubernetes.parse_manifests(parsed.file, parsed.documents)
    if parsed.pipeline is not None:
        scripts.attach(parsed.pipeline)
    return True
