"""Files a pipeline includes are linted too, wherever they live (issue 3: "every file
reached by include: local", "files reached by local template: references")."""

from __future__ import annotations

from conftest import run_lint, write_tree

GITLAB = {
    ".gitlab-ci.yml": """
        include:
          - local: ci/build.yml
        stages: [build, deploy]
        """,
    "ci/build.yml": """
        build:
          stage: build
          scirpt: [make]
        """,
    "ci/unused.yml": """
        lint:
          scirpt: [make lint]
        """,
}


def _found(result):
    return sorted((d.code, d.path, d.line, d.column) for d in result.active)


def test_gitlab_include_outside_the_usual_folders_is_linted(tmp_path):
    result = run_lint(write_tree(tmp_path, GITLAB), select=["PL002"])
    # ci/unused.yml is included by nobody and its path is not a GitLab one: not read
    assert _found(result) == [("PL002", "ci/build.yml", 3, 3)]
    assert result.files == 2
    included = [f for f in result.project.files if f.included]
    assert [f.file.path for f in included] == ["ci/build.yml"]
    assert included[0].pipeline.kind == "fragment"


def test_azure_template_outside_the_usual_folders_is_a_template(tmp_path):
    root = write_tree(
        tmp_path,
        {
            "azure-pipelines.yml": """
                trigger: [main]
                jobs:
                  - job: build
                    steps:
                      - template: parts/steps.yml
                """,
            "parts/steps.yml": """
                steps:
                  - script: make
                    timeoutInMinute: 10
                """,
        },
    )
    result = run_lint(root, select=["PL002"])
    assert _found(result) == [("PL002", "parts/steps.yml", 3, 5)]
    (template,) = [f for f in result.project.files if f.included]
    assert template.pipeline.kind == "template"


def test_included_file_that_is_ignored_or_outside_the_linted_folder_is_not_read(tmp_path):
    root = write_tree(tmp_path, {**GITLAB, ".gitignore": "ci/build.yml\n"})
    assert _found(run_lint(root, select=["PL002"])) == []
    root = write_tree(tmp_path / "other", {"app/.gitlab-ci.yml": "include: ../ci/build.yml\n", "ci/build.yml": GITLAB["ci/build.yml"]})
    result = run_lint(root / "app", select=["PL002"])
    assert result.files == 1 and _found(result) == []
