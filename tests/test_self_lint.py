"""pipelint's own CI material passes pipelint: the composite action (`action.yml`) and
every pipeline snippet the README offers to paste (GitHub, GitLab, Azure). The action's
run step is also executed, as the runner would, against a small repository."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
from ruamel.yaml import YAML

from conftest import REPO, run_lint, write_tree

#: A README code block that begins with "# <path>" is a file to paste at that path.
_BLOCK = re.compile(r"```yaml\n# (?P<path>[^\s]+)\n(?P<body>.*?)```", re.S)


def readme_files() -> dict[str, str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return {m["path"]: m["body"] for m in _BLOCK.finditer(text)}


def test_readme_offers_a_pipeline_for_each_ci_platform():
    assert {".github/workflows/pipelint.yml", ".gitlab-ci.yml", "azure-pipelines.yml"} <= set(readme_files())


def test_readme_pipelines_lint_clean(tmp_path):
    files = {p: body for p, body in readme_files().items() if p != ".pre-commit-config.yaml"}
    write_tree(tmp_path, files)
    (tmp_path / ".git").mkdir()
    result = run_lint(tmp_path)
    assert result.files == len(files)  # every snippet was recognised as a pipeline
    assert [(d.path, d.line, d.code, d.message) for d in result.active] == []
    assert result.internal_errors == []


def test_action_lints_clean(tmp_path):
    shutil.copy(REPO / "action.yml", tmp_path / "action.yml")
    (tmp_path / ".git").mkdir()
    result = run_lint(tmp_path)
    assert result.files == 1
    assert [(d.path, d.line, d.code, d.message) for d in result.active] == []


def _action() -> dict:
    return YAML(typ="safe").load((REPO / "action.yml").read_text(encoding="utf-8"))


def test_action_inputs_and_outputs():
    action = _action()
    assert set(action["inputs"]) == {"paths", "config", "fail-on", "sarif-file"}
    assert action["inputs"]["paths"]["default"] == "."
    assert action["runs"]["using"] == "composite"
    assert "sarif-file" in action["outputs"]
    for step in action["runs"]["steps"]:
        assert "${{" not in step["run"]  # inputs reach the scripts through env:, never spliced in


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
@pytest.mark.parametrize("fail_on, expected", [("warning", 1), ("error", 0)])
def test_action_run_step_lints_and_writes_sarif(tmp_path, fail_on, expected):
    """The run step as the runner executes it (bash, inputs in env), with this
    environment's pipelint on PATH in place of the install step's. The project's only
    finding is a warning (PL504), so `fail-on: error` passes and `warning` fails."""
    step = _action()["runs"]["steps"][1]
    workflow = "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n"
    write_tree(tmp_path, {"my project/.github/workflows/ci.yml": workflow})
    output = tmp_path / "github_output"
    env = dict(os.environ)
    env.update(
        PATH=os.path.dirname(shutil.which("pipelint") or sys.executable) + os.pathsep + env.get("PATH", ""),
        GITHUB_OUTPUT=str(output),
        PIPELINT_PATHS="my project\n",  # one per line (a YAML block scalar): spaces stay
        PIPELINT_CONFIG="",
        PIPELINT_FAIL_ON=fail_on,
        PIPELINT_SARIF="out.sarif",
    )
    done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == expected, done.stderr
    assert done.stdout.startswith("::warning file=my project/.github/workflows/ci.yml,line=2,col=1,")
    assert "title=PL504 excessive-permissions::" in done.stdout
    assert (tmp_path / "out.sarif").is_file()
    assert output.read_text() == "sarif-file=out.sarif\n"


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_action_run_step_splits_space_separated_paths(tmp_path):
    step = _action()["runs"]["steps"][1]
    write_tree(tmp_path, {"a/Dockerfile": "FROM python:3.12-slim@sha256:" + "a" * 64 + "\n", "b/Dockerfile": "FROM python\n"})
    env = dict(os.environ, GITHUB_OUTPUT=str(tmp_path / "out"), PIPELINT_PATHS="a  b", PIPELINT_CONFIG="", PIPELINT_FAIL_ON="warning", PIPELINT_SARIF="s.sarif")
    env["PATH"] = os.path.dirname(shutil.which("pipelint") or sys.executable) + os.pathsep + env.get("PATH", "")
    done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert "file=b/Dockerfile,line=1" in done.stdout and "a/Dockerfile" not in done.stdout
    assert done.returncode == 1


def test_readme_graph_example_is_what_pipelint_graph_prints(capsys, monkeypatch):
    from conftest import run_cli

    text = (REPO / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"\$ cd fixtures/promotion/github && pipelint graph\n(.*?)```", text, re.S)[1]
    mermaid = re.search(r"```mermaid\n(.*?)```", text, re.S)[1]
    monkeypatch.chdir(REPO / "fixtures" / "promotion" / "github")
    assert run_cli(["graph", "--color", "never"], capsys) == (0, shown, "")
    assert run_cli(["graph", "--format", "mermaid"], capsys) == (0, mermaid, "")
