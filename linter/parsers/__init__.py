"""Platform parsers: confirmed files -> model objects. One module per platform."""

from __future__ import annotations

from ..model import ParsedFile
from . import azure, github, gitlab, kubernetes, scripts


def build_model(parsed: ParsedFile) -> None:
    """Fill ``parsed.pipeline`` / ``parsed.action`` from its first document."""
    if not parsed.documents:
        return
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
