"""The path tests of the file-kind table: the substring pre-checks (a speed-up, see
``classify._path_test``) must never change what a path test answers. The reference is
the plain regular-expression search each test was before them."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES
from pipelint import classify as c

#: Each row of ``classify.KINDS``, in order, as a bare search (no pre-check).
REFERENCE = [
    lambda p: bool(c._WORKFLOW_PATH.search(p)),
    lambda p: bool(c._ACTION_PATH.search(p)),
    lambda p: bool(c._AZURE_PATH.search(p)),
    lambda p: bool(c._AZURE_WEAK_PATH.search(p)) and "gitlab" not in p.lower(),
    lambda p: bool(c._GITLAB_PATH.search(p)),
    lambda p: bool(c._YAML_PATH.search(p)),
    lambda p: bool(c._DOCKERFILE_PATH.search(p)) and not c._DOCKERFILE_TEMPLATE.search(p),
    lambda p: bool(c._SQL_PATH.search(p)),
]

#: Path pieces that the patterns look for, their near misses, and their case variants.
PIECES = [
    "/", ".", "-", "x", "src", ".github", "workflows", "github", "action", "Action", ".yml", ".yaml", ".YML",
    "yml", "ci", "CI", ".ci", "build", "Build", "BUILD", "eng", "pipelines", "pipeline", "Pipeline", "azure-pipelines",
    ".azure-pipelines", "azure-devops", ".azuredevops", ".pipelines", ".vsts", "-ci", ".release", ".ado", "tests",
    "gitlab", ".gitlab", ".gitlab-ci", ".d", "Dockerfile", "dockerfile", "DOCKERFILE", "Containerfile", ".j2",
    ".sql", ".SQL", "V1__init", "up", "down", "\n",
]


def _agree(path: str) -> None:
    assert len(REFERENCE) == len(c.KINDS)
    for kind, reference in zip(c.KINDS, REFERENCE):
        assert bool(kind.matches(path)) == reference(path), (kind.name, path)


def test_path_tests_agree_with_their_patterns_on_every_fixture_path():
    paths = [os.path.join(folder, name) for folder, _, names in os.walk(FIXTURES) for name in names]
    assert len(paths) > 500
    for path in paths:
        _agree(path)
        _agree(os.path.relpath(path, FIXTURES))


def test_path_tests_agree_on_the_patterns_own_examples():
    for path in [
        ".github/workflows/ci.yml", "a/.github/workflows/x.yaml", "action.yml", "sub/action.yaml", "azure-pipelines.yml",
        ".vsts-ci.yml", ".vsts.release.yml", "eng/pipelines/x/y.yml", ".pipelines/a.yml", "build/x.yml", "Build/x.yaml",
        ".ci/a.yml", "ci.yml", "tests.yml", "my-pipeline.yml", ".gitlab-ci.yml", "x.gitlab-ci.yml", ".gitlab/ci/a.yml",
        ".gitlab-ci.d/a.yml", "gitlab/build/x.yml", "Dockerfile", "api.Dockerfile", "Dockerfile.j2", "Containerfile",
        "db/V1__init.sql", "x.SQL", "ci.yml\n",
    ]:
        _agree(path)


@settings(derandomize=True, max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12).map("".join))
def test_path_tests_agree_on_paths_made_of_their_pieces(path):
    _agree(path)
