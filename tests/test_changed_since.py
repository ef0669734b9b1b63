"""`--changed-since REV`: only findings in files changed since REV (committed on the
branch, uncommitted or untracked) are reported; the whole project is still read."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from conftest import run_cli, write_tree

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

PR = """\
name: {name}
on: pull_request
permissions:
  contents: read
jobs:
  title:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{{{ github.event.pull_request.title }}}}"
"""


def git(root, *args):
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=root, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    write_tree(tmp_path, {f".github/workflows/{n}.yml": PR.format(name=n) for n in ("a", "b", "c")})
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    git(tmp_path, "checkout", "-qb", "feature")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def reported(capsys, *argv):
    code, out, err = run_cli(["--no-cache", "--format", "json", *argv, "."], capsys)
    report = json.loads(out) if out else None
    return code, report, err


def test_only_files_changed_on_the_branch_committed_staged_or_untracked(repo, capsys):
    (repo / ".github/workflows/a.yml").write_text(PR.format(name="a2"))
    git(repo, "commit", "-qam", "change a")
    (repo / ".github/workflows/b.yml").write_text(PR.format(name="b2"))  # uncommitted
    (repo / ".github/workflows/d.yml").write_text(PR.format(name="d"))  # untracked
    code, report, _ = reported(capsys, "--changed-since", "main")
    assert code == 1
    assert [(d["path"], d["code"], d["line"], d["column"]) for d in report["diagnostics"]] == [
        (".github/workflows/a.yml", "PL502", 9, 20),
        (".github/workflows/b.yml", "PL502", 9, 20),
        (".github/workflows/d.yml", "PL502", 9, 20),
    ]
    assert report["outside_changes"] == 1  # c.yml's finding
    assert report["files"] == 4  # every file was still read


def test_nothing_changed_reports_nothing(repo, capsys):
    code, out, _ = run_cli(["--no-cache", "--changed-since", "main", "."], capsys)
    assert code == 0
    assert "No problems found in 3 files. 3 in files not changed since the revision not shown." in out


def test_changes_on_the_target_branch_after_the_fork_are_not_the_branchs(repo, capsys):
    git(repo, "checkout", "-q", "main")
    (repo / ".github/workflows/c.yml").write_text(PR.format(name="c-on-main"))
    git(repo, "commit", "-qam", "main moves on")
    git(repo, "checkout", "-q", "feature")
    code, report, _ = reported(capsys, "--changed-since", "main")
    assert (code, report["diagnostics"]) == (0, [])  # diff from the merge base, not from main's tip


def test_untracked_files_git_ignores_are_not_changes(repo, capsys):
    (repo / ".git/info/exclude").write_text("x.yml\n")  # git's own ignore list; pipelint reads it anyway
    write_tree(repo, {".github/workflows/x.yml": PR.format(name="x")})
    code, report, _ = reported(capsys, "--changed-since", "HEAD")
    assert report["files"] == 4
    assert (code, report["diagnostics"], report["outside_changes"]) == (0, [], 4)


@pytest.mark.parametrize("rev, message", [("no-such-branch", "unknown revision 'no-such-branch'"), ("--output=x", "is not a revision")])
def test_bad_revision_is_a_usage_error(repo, capsys, rev, message):
    code, report, err = reported(capsys, f"--changed-since={rev}")
    assert (code, report) == (2, None)
    assert message in err


def test_outside_a_repository_is_a_usage_error(tmp_path, capsys, monkeypatch):
    write_tree(tmp_path, {".github/workflows/a.yml": PR.format(name="a")})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    code, report, err = reported(capsys, "--changed-since", "HEAD")
    assert (code, report) == (2, None)
    assert err.startswith("pipelint: --changed-since: ") and "git repository" in err


def test_with_a_baseline_fixed_counts_the_whole_project_and_outside_counts_only_unrecorded(repo, capsys):
    code, _, _ = run_cli(["baseline", "--no-cache", "."], capsys)
    assert code == 0
    (repo / ".github/workflows/a.yml").write_text(PR.format(name="a2").replace("pull_request.title", "pull_request.head.ref"))
    (repo / ".github/workflows/c.yml").write_text(PR.format(name="c2").replace("pull_request.title", "pull_request.body"))
    git(repo, "add", ".github/workflows/c.yml")
    git(repo, "commit", "-qm", "c changes on the branch")
    (repo / ".github/workflows/x.yml").write_text(PR.format(name="x"))  # new, untracked: changed
    code, report, _ = reported(capsys, "--baseline", ".pipelint-baseline.json", "--changed-since", "HEAD")
    # changed since HEAD: a.yml (edited) and x.yml (untracked); c.yml's new finding is outside
    assert [(d["path"], d["line"]) for d in report["diagnostics"]] == [(".github/workflows/a.yml", 9), (".github/workflows/x.yml", 9)]
    assert report["baseline"] == {"file": ".pipelint-baseline.json", "new": 3, "unchanged": 1, "fixed": 2}
    assert report["outside_changes"] == 1  # c.yml's new finding; b.yml's recorded one is not counted
    assert code == 1
