"""Which files pipelint reads, and as what: one table, extended by each platform.

A file is first matched by its path (cheap, decides whether it is read at all) and then
confirmed by its content (real repositories keep probot configs and action metadata
under ``.github/workflows/``). A path match whose content says "not ours" is skipped
silently; a path match that cannot be parsed is reported (PL001).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from .yamltree import Mapping

_WORKFLOW_PATH = re.compile(r"(^|/)\.github/workflows/[^/]+\.ya?ml$")
_ACTION_PATH = re.compile(r"(^|/)action\.ya?ml$")
# Azure Pipelines: well-known pipeline files and folders (confirmed by content), and weak
# folders (build/, ci/, eng/...) whose YAML is read only if a text sniff looks Azure.
_AZURE_PATH = re.compile(
    r"(^|/)(\.?azure-pipelines[^/]*\.ya?ml|\.vsts[.-]ci[^/]*\.ya?ml|\.vsts\.release[^/]*\.ya?ml"
    r"|(\.azure-pipelines|\.azuredevops|\.pipelines|eng/pipelines|\.vsts-ci)/.+\.ya?ml)$"
)
_AZURE_WEAK_PATH = re.compile(
    r"(^|/)(build|Build|ci|\.ci|eng|\.ado|azure-pipelines|azure-devops|pipelines)/.+\.ya?ml$"
    r"|(^|/)([^/]*pipeline[^/]*|ci|tests)\.ya?ml$"
)


@dataclass(frozen=True)
class FileKind:
    name: str
    platform: str
    #: Path test on the '/'-separated path relative to the lint root.
    matches: Callable[[str], bool]
    #: Content test on the first document's root: returns the confirmed kind name, or
    #: None when the file is not one of ours (skipped silently).
    confirm: Callable[[object], str | None]
    #: The file is YAML (parsed with yamltree before confirm).
    yaml: bool = True
    #: For a weak path match: a cheap test on the path and the start of the text (the
    #: first 64 KiB, decoded leniently), run by the engine on the bytes it has read,
    #: before decoding and parsing; a file that fails it is not ours and is skipped
    #: silently (no PL001 for someone else's invalid YAML in ``build/``).
    sniff: Callable[[str, str], bool] | None = None


def _workflow_dir_content(root) -> str | None:
    if not isinstance(root, Mapping):
        return None
    if "jobs" in root or "on" in root:
        return "github-workflow"
    if "runs" in root:
        return "github-action"
    return None


def _action_content(root) -> str | None:
    if not isinstance(root, Mapping):
        return None
    if "runs" in root or ("name" in root and "description" in root):
        return "github-action"
    if "jobs" in root and "on" in root:  # a workflow named action.yml: not an action
        return None
    return None


# GitLab CI: the root file, `*.gitlab-ci.yml`, and the usual folders of included files.
_GITLAB_PATH = re.compile(
    r"(^|/)(\.gitlab-ci\.ya?ml|[^/]+\.gitlab-ci\.ya?ml|\.gitlab/ci/.+\.ya?ml|\.gitlab-ci/.+\.ya?ml|\.gitlab-ci\.d/.+\.ya?ml)$"
)


_YAML_PATH = re.compile(r"\.ya?ml$", re.IGNORECASE)
# Dockerfiles: `Dockerfile`, `Dockerfile.*` / `Dockerfile-*`, `*.Dockerfile`, `Containerfile`,
# `*.containerfile` (any case); not `.dockerignore` or template sources (`Dockerfile.j2`).
_DOCKERFILE_PATH = re.compile(
    r"(^|/)(?:(?:dockerfile|containerfile)(?:[.-][^/]*)?|[^/]+\.(?:dockerfile|containerfile))$", re.IGNORECASE
)
_DOCKERFILE_TEMPLATE = re.compile(r"\.(?:j2|jinja2?|tmpl|tpl|template|erb|in|mustache|hbs|ejs|md|txt|orig|bak|swp|dockerignore|fixed|ya?ml|json|sh|py)$", re.IGNORECASE)
_SQL_PATH = re.compile(r"\.sql$", re.IGNORECASE)
#: File names that are migrations by their convention alone (Flyway versioned/undo,
#: `.undo.sql` siblings, golang-migrate / dbmate style up/down pairs, Diesel's
#: `<version>_<name>/up.sql` + `down.sql` folders).
_MIGRATION_NAME = re.compile(
    r"(^|/)(?:[VU]\d[\w.]*__[^/]+|[^/]+\.undo|[^/]+\.(?:up|down)|\d[^/]*/(?:up|down))\.sql$", re.IGNORECASE
)
#: Section markers of single-file migrations (sql-migrate, goose, dbmate).
_MIGRATION_MARKER = re.compile(r"^\s*--\s*(?:\+migrate\s+(?:up|down)|\+goose\s+(?:up|down)|migrate:(?:up|down))\b", re.IGNORECASE | re.MULTILINE)
_MANIFEST_API = re.compile(r"^[ \t]*(?:-[ \t]+)?apiVersion[ \t]*:", re.M)
_MANIFEST_KIND = re.compile(r"^[ \t]*(?:-[ \t]+)?kind[ \t]*:", re.M)
HELM_TEMPLATE = "helm-template"
_KUSTOMIZATION_NAME = re.compile(r"(^|[/\\])(kustomization\.ya?ml|Kustomization)$")


def _manifest_sniff(path: str, head: str) -> bool | str:
    """Text test for the manifest kind: ``apiVersion:`` and ``kind:`` keys; a Helm chart
    template (``templates/`` beside a ``Chart.yaml``, with ``{{ }}``) is not YAML:
    :data:`HELM_TEMPLATE` (skipped with a notice, never PL001)."""
    if "{{" in head and (_in_helm_chart(path) or head.lstrip().startswith("{{")):
        return HELM_TEMPLATE  # (a file that opens with a template action is one too)
    if _KUSTOMIZATION_NAME.search(path):
        return True  # kustomization.yaml may omit apiVersion/kind
    return _MANIFEST_API.search(head) is not None and _MANIFEST_KIND.search(head) is not None


def _in_helm_chart(path: str) -> bool:
    import os

    parts = path.replace("\\", "/").split("/")
    for i in range(len(parts) - 2, 0, -1):
        if parts[i] == "templates":
            chart = "/".join(parts[:i])
            return os.path.isfile(os.path.join(chart, "Chart.yaml")) or os.path.isfile(os.path.join(chart, "Chart.yml"))
    return False


def _manifest_content(root) -> str | None:
    from .parsers.kubernetes import is_kustomization, is_manifest

    return "kubernetes" if is_manifest(root) or is_kustomization(root) else None


def _is_dockerfile(path: str) -> bool:
    lowered = path.lower()
    if "dockerfile" not in lowered and "containerfile" not in lowered:
        return False  # every match names one (the search below tries each position)
    return bool(_DOCKERFILE_PATH.search(path)) and not _DOCKERFILE_TEMPLATE.search(path)


def _migration_sniff(path: str, head: str) -> bool:
    """A ``.sql`` file is a migration by its name (Flyway, ``.undo.sql``, ``.up``/``.down``)
    or by its section markers; any other SQL file (a schema dump, a query) is not ours."""
    return bool(_MIGRATION_NAME.search(path.replace("\\", "/"))) or _MIGRATION_MARKER.search(head) is not None


def _gitlab():
    from .parsers import gitlab

    return gitlab


def _azure():
    from .parsers import azure

    return azure


def _path_test(pattern: re.Pattern, *needles: str) -> Callable[[str], bool]:
    """``pattern.search`` as a path test, asked only of paths that hold one of ``needles``
    (substrings every match contains). Every file of a walk meets most tests; a substring
    test costs a twentieth of these searches, which try each position of the path."""
    search = pattern.search

    def test(path: str) -> bool:
        for needle in needles:
            if needle in path:
                return search(path) is not None
        return False

    return test


_is_workflow_path = _path_test(_WORKFLOW_PATH, ".github/workflows/")
_is_action_path = _path_test(_ACTION_PATH, "action.y")
_is_azure_path = _path_test(_AZURE_PATH, "pipelines", ".vsts", ".azuredevops")
_is_azure_weak_path = _path_test(
    _AZURE_WEAK_PATH, "build/", "Build/", "ci/", "eng/", ".ado/", "azure-devops/", "pipeline", "ci.y", "tests.y"
)
_is_gitlab_path = _path_test(_GITLAB_PATH, ".gitlab-ci", ".gitlab/ci/")


KINDS: list[FileKind] = [
    FileKind("github-workflow", "github", _is_workflow_path, _workflow_dir_content),
    FileKind("github-action", "github", _is_action_path, _action_content),
    FileKind("azure-pipelines", "azure", _is_azure_path, lambda root: _azure().confirm(root)),
    FileKind(
        "azure-pipelines",
        "azure",
        lambda p: _is_azure_weak_path(p) and "gitlab" not in p.lower(),
        lambda root: _azure().confirm_strict(root),
        sniff=lambda path, head: _azure().sniff(path, head),
    ),
    FileKind("gitlab-ci", "gitlab", _is_gitlab_path, lambda root: _gitlab().confirm(root)),
    # Kubernetes / Argo manifests: any other YAML whose text has `apiVersion:` and `kind:`
    FileKind("kubernetes", "kubernetes", lambda p: _YAML_PATH.search(p) is not None, _manifest_content, sniff=_manifest_sniff),
    # not YAML: read by their own parsers (pipelint.parsers.dockerfile / .sql)
    FileKind("dockerfile", "docker", _is_dockerfile, lambda root: "dockerfile", yaml=False),
    FileKind("migration", "sql", lambda p: _SQL_PATH.search(p) is not None, lambda root: "migration", yaml=False, sniff=_migration_sniff),
]


def later_kinds(kind: FileKind, relpath: str) -> list[FileKind]:
    """The kinds after ``kind`` in the table whose path test also matches: where a file
    goes when its content says it is not ``kind`` (a Kubernetes manifest in ``build/``)."""
    p = relpath.replace("\\", "/")
    i = next((n for n, k in enumerate(KINDS) if k is kind), len(KINDS))
    return [k for k in KINDS[i + 1 :] if k.matches(p)]


def kind_for_path(relpath: str) -> FileKind | None:
    """The first table entry whose path test matches, or None (file not read)."""
    p = relpath.replace("\\", "/")
    name = p[p.rfind("/") + 1 :].lower()
    if not (name.endswith((".yml", ".yaml", ".sql")) or "dockerfile" in name or "containerfile" in name):
        return None  # every row's path test needs one of these: most files of a repository stop here
    for kind in KINDS:
        if kind.matches(p):
            return kind
    return None


def kind_named(name: str) -> FileKind:
    """The table entry for files of kind ``name`` (its first, strongest row): files a
    pipeline includes are read as that kind whatever their path."""
    return next(kind for kind in KINDS if kind.name == name)
