"""Repository scripts a step runs by path are read like the step's own script
(pipelint.parsers.scripts): deploy commands inside them count, positions point into them."""

from __future__ import annotations

from conftest import run_lint, write_tree

DEPLOY_SH = """
    #!/usr/bin/env bash
    set -euo pipefail
    # roll out the API
    kubectl --namespace production apply -f k8s/
"""

WORKFLOW = """
    name: release
    on:
      push:
        branches: [main]
    permissions:
      contents: read
    jobs:
      ship:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11 # v4.1.1
          - name: Deploy
            run: |
              echo "deploying"
              {call}
"""


def _pl101(root):
    result = run_lint(root, select=["PL101"])
    return [(d.path, d.line, [(r.span.path, r.span.start.line, r.span.start.column) for r in d.related]) for d in result.active]


def test_github_step_running_a_repository_script(tmp_path):
    root = write_tree(tmp_path, {".github/workflows/release.yml": WORKFLOW.format(call="./scripts/deploy.sh"), "scripts/deploy.sh": DEPLOY_SH})
    assert _pl101(root) == [(".github/workflows/release.yml", 8, [("scripts/deploy.sh", 4, 1)])]


def test_interpreter_and_working_directory(tmp_path):
    workflow = WORKFLOW.format(call="bash ci/rollout.sh").replace(
        "        run: |", "        working-directory: tools\n            run: |"
    )
    root = write_tree(tmp_path, {".github/workflows/release.yml": workflow, "tools/ci/rollout.sh": DEPLOY_SH})
    assert _pl101(root) == [(".github/workflows/release.yml", 8, [("tools/ci/rollout.sh", 4, 1)])]


def test_gitlab_script_line(tmp_path):
    root = write_tree(
        tmp_path,
        {
            ".gitlab-ci.yml": """
                stages: [deploy]
                release:
                  stage: deploy
                  script:
                    - ./ci/deploy.sh
            """,
            "ci/deploy.sh": DEPLOY_SH,
        },
    )
    assert _pl101(root) == [(".gitlab-ci.yml", 2, [("ci/deploy.sh", 4, 1)])]


def test_paths_that_are_not_followed(tmp_path):
    outside = tmp_path / "outside.sh"
    outside.write_text("kubectl -n production apply -f k8s/\n", encoding="utf-8")
    for call in ("../outside.sh", "$SCRIPTS/deploy.sh", "./scripts/missing.sh", "deploy.sh", "./scripts/link.sh"):
        root = write_tree(tmp_path / "repo", {".github/workflows/release.yml": WORKFLOW.format(call=call), "deploy.sh": DEPLOY_SH})
        link = root / "scripts" / "link.sh"
        if not link.exists():
            link.parent.mkdir(exist_ok=True)
            link.symlink_to(outside)  # a link out of the repository is not followed
        assert _pl101(root) == [], call


def test_remote_script_execution_inside_a_called_script(tmp_path):
    root = write_tree(
        tmp_path,
        {
            ".github/workflows/release.yml": WORKFLOW.format(call="./scripts/setup.sh"),
            "scripts/setup.sh": """
                #!/usr/bin/env bash
                set -euo pipefail
                curl -fsSL https://get.example.com/install.sh | bash
            """,
        },
    )
    result = run_lint(root, select=["PL508"])
    assert [(d.path, d.line, d.column) for d in result.active] == [("scripts/setup.sh", 3, 1)]
