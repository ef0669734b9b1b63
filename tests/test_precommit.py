"""The pre-commit hook, run for real with ``pre-commit try-repo``.

``try-repo`` on a checkout with uncommitted changes snapshots only tracked files
(``git add -u``): a new, not yet committed ``.pre-commit-hooks.yaml`` or module would be
missing. So the hook repository is a committed snapshot of the working tree in a
temporary folder, made once per module; each ``try-repo`` then clones it and installs
the hook's environment in a store of its own (about half a minute each).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git"),
]
#: Runs by default; ``-m "not slow"`` skips the tests that build virtual environments.
slow = pytest.mark.slow

_IGNORE = shutil.ignore_patterns(
    ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis",
    ".venv", "venv", ".pipelint_cache", "*.pyc",
)

UNPINNED = """\
name: Release
on:
  push:
    tags: ["v*"]
permissions:
  contents: read
jobs:
  github-release:
    runs-on: ubuntu-24.04
    permissions:
      contents: write
    steps:
      - uses: softprops/action-gh-release@v2
        with:
          generate_release_notes: true
"""

CLEAN = """\
name: CI
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - run: make test
"""

NOT_A_PIPELINE = """\
# application settings: YAML that pipelint is handed by the hook and must skip
server:
  port: 8080
  jobs: 4
"""


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GIT_", "PRE_COMMIT")) and k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    env.update(
        GIT_AUTHOR_NAME="pipelint tests",
        GIT_AUTHOR_EMAIL="tests@example.invalid",
        GIT_COMMITTER_NAME="pipelint tests",
        GIT_COMMITTER_EMAIL="tests@example.invalid",
        GIT_CONFIG_NOSYSTEM="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        NO_COLOR="1",
    )
    env.update(extra)
    return env


def _git(cwd: Path, *args: str, env: dict) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, stdin=subprocess.DEVNULL)


def _commit_all(folder: Path, env: dict) -> None:
    _git(folder, "init", "-q", "-b", "main", env=env)
    _git(folder, "add", "-A", env=env)
    _git(folder, "commit", "-q", "--no-verify", "-m", "snapshot", env=env)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """A folder with an empty global git config, so the user's settings (signing,
    hooks, templates) do not interfere; HOME itself is kept for pip's cache."""
    folder = tmp_path_factory.mktemp("home")
    (folder / "gitconfig").write_text("", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory, home) -> Path:
    """The working tree, committed into a temporary repository."""
    dest = tmp_path_factory.mktemp("hook") / "pipelint"
    shutil.copytree(REPO, dest, ignore=_IGNORE)
    _commit_all(dest, _env(GIT_CONFIG_GLOBAL=str(home / "gitconfig")))
    return dest


def _project(root: Path, files: dict[str, str], home: Path) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    _commit_all(root, _env(GIT_CONFIG_GLOBAL=str(home / "gitconfig")))
    return root


def _try_repo(hook_repo: Path, project: Path, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "pipelint", "--all-files", "--color", "never"],
        cwd=project,
        env=_env(GIT_CONFIG_GLOBAL=str(home / "gitconfig")),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=900,
    )


@slow
def test_hook_fails_and_prints_the_finding(hook_repo, home, tmp_path):
    project = _project(
        tmp_path / "project",
        {".github/workflows/release.yml": UNPINNED, "config/settings.yml": NOT_A_PIPELINE},
        home,
    )
    proc = _try_repo(hook_repo, project, home)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "pipelint" in out and "Failed" in out, out
    assert ".github/workflows/release.yml:13:43: PL501" in out, out
    assert not re.search(r"settings\.yml:\d+:\d+:", out), out  # read as a pipeline: it is not one


@slow
def test_hook_passes_on_a_clean_repository(hook_repo, home, tmp_path):
    project = _project(
        tmp_path / "project",
        {".github/workflows/ci.yml": CLEAN, "config/settings.yml": NOT_A_PIPELINE},
        home,
    )
    proc = _try_repo(hook_repo, project, home)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Passed" in out, out
