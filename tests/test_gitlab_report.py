"""`--format gitlab`: GitLab Code Quality JSON (an array of issues with unique,
line-independent fingerprints and repository-relative paths)."""

from __future__ import annotations

import json

from conftest import run_cli, write_tree

WF = ".github/workflows/pr.yml"
STEP = '      - run: echo "${{ github.event.pull_request.title }}"\n'
PR = "name: pr\non: pull_request\npermissions:\n  contents: read\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n" + STEP


def report(capsys, *argv):
    code, out, err = run_cli(["--no-cache", "--format", "gitlab", *argv], capsys)
    return code, json.loads(out), err


def test_issue_fields(tmp_path, capsys, monkeypatch):
    (tmp_path / ".git").mkdir()
    write_tree(tmp_path, {WF: PR})
    monkeypatch.chdir(tmp_path / ".github")  # paths stay relative to the repository root
    code, issues, _ = report(capsys, ".")
    assert code == 1
    [issue] = issues
    assert issue["check_name"] == "PL502"
    assert issue["description"].startswith("PL502 script-injection: ")
    assert issue["severity"] == "major"  # an error
    assert issue["categories"] == ["Security"]
    assert issue["location"] == {"path": WF, "lines": {"begin": 9, "end": 9}}
    assert len(issue["fingerprint"]) == 32 and int(issue["fingerprint"], 16) >= 0
    assert issue["type"] == "issue"


def test_fingerprints_unique_and_stable_when_lines_move(tmp_path, capsys, monkeypatch):
    (tmp_path / ".git").mkdir()
    twice = PR.replace("title }}\"", "title }}\" \"${{ github.event.pull_request.title }}\"")
    write_tree(tmp_path, {WF: twice + STEP})  # one step with the same finding twice, and another step
    monkeypatch.chdir(tmp_path)
    _, issues, _ = report(capsys, ".")
    first = [i["fingerprint"] for i in issues]
    assert len(first) == 3 and len(set(first)) == 3
    assert first[1] == first[0] + ":2"  # same rule, step and snippet: numbered
    assert ":" not in first[2]  # another step: its own fingerprint
    (tmp_path / WF).write_text("# moved down\n\n" + twice + STEP)
    _, issues, _ = report(capsys, ".")
    assert [i["fingerprint"] for i in issues] == first
    assert [i["location"]["lines"]["begin"] for i in issues] == [11, 11, 12]


def test_clean_project_is_an_empty_array_and_suppressed_are_left_out(tmp_path, capsys, monkeypatch):
    (tmp_path / ".git").mkdir()
    write_tree(tmp_path, {WF: PR.replace(STEP, STEP.rstrip("\n") + "  # pipelint: ignore[PL502] reviewed\n")})
    monkeypatch.chdir(tmp_path)
    code, issues, _ = report(capsys, ".")
    assert (code, issues) == (0, [])
