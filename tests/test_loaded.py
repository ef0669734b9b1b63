"""Files are composed once per run, whether the engine or an include/template loader
reads them first (pipelint.loaded)."""

from __future__ import annotations

import collections

import pytest

from pipelint import engine, loaded
from pipelint.yamltree import load_documents

from conftest import run_lint, write_tree

GITLAB = {
    ".gitlab-ci.yml": """
        include:
          - local: ci/build.yml
        stages: [build, deploy]
        deploy:
          stage: deploy
          script: [./deploy.sh]
        """,
    "ci/build.yml": """
        build:
          stage: build
          script: [make]
        """,
}

AZURE = {
    "azure-pipelines.yml": """
        trigger: [main]
        stages:
          - template: .azure-pipelines/build.yml
          - template: .azure-pipelines/build.yml
        """,
    ".azure-pipelines/build.yml": """
        stages:
          - stage: build
            jobs:
              - job: compile
                steps:
                  - script: make
        """,
}


@pytest.fixture
def composed(monkeypatch):
    """Counts how often each text is composed, by the engine or by the loaders."""
    counts: collections.Counter = collections.Counter()

    def counting(text):
        counts[text] += 1
        return load_documents(text)

    monkeypatch.setattr(engine, "load_documents", counting)
    monkeypatch.setattr(loaded, "load_documents", counting)
    return counts


@pytest.mark.parametrize("files", [GITLAB, AZURE], ids=["gitlab-include", "azure-template"])
def test_each_file_is_composed_once(tmp_path, composed, files):
    root = write_tree(tmp_path, files)
    result = run_lint(root)
    assert result.files == len(files)
    assert len(composed) == len(files)
    assert set(composed.values()) == {1}


def test_nothing_is_kept_between_runs(tmp_path):
    root = write_tree(tmp_path, GITLAB)
    run_lint(root)
    assert loaded._TABLE == {}
    # an edit between two runs is seen even when size and timestamp could not tell
    (root / "ci/build.yml").write_text("build:\n  extends: .missing\n  script: [make]\n", encoding="utf-8")
    found = [(d.code, d.path, d.line) for d in run_lint(root, select=["PL003"]).active]
    assert ("PL003", "ci/build.yml", 2) in found
