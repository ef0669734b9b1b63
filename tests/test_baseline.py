"""Baselines: `pipelint baseline` records findings; `--baseline` reports only new ones,
matching across moved lines and reformatting, counting fixed ones, marking SARIF."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli, write_tree

WF = ".github/workflows/pr.yml"
PR = """\
name: pr
on: pull_request
permissions:
  contents: read
jobs:
  title:
    runs-on: ubuntu-latest
    steps:
      - name: Check title
        run: echo "${{ github.event.pull_request.title }}" | grep -E '^(feat|fix):'
      - name: Check body
        run: echo "${{ github.event.pull_request.body }}" | wc -c
"""


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    write_tree(tmp_path, {WF: PR})
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


def lint_json(capsys, *argv):
    code, out, err = run_cli(["--no-cache", "--format", "json", *argv, "."], capsys)
    return code, json.loads(out), err


def record(capsys, *argv):
    code, out, err = run_cli(["baseline", "--no-cache", *argv, "."], capsys)
    return code, out, err


def test_baseline_records_every_finding_with_fingerprint(repo, capsys):
    code, out, err = record(capsys)
    assert (code, out) == (0, "")
    assert err == "pipelint: recorded 2 finding(s) of 1 file(s) in .pipelint-baseline.json\n"
    document = json.loads((repo / ".pipelint-baseline.json").read_text())
    assert document["version"] == 1
    assert [(f["code"], f["path"], f["line"]) for f in document["findings"]] == [("PL502", WF, 10), ("PL502", WF, 12)]
    assert all(len(f["fingerprint"]) == 32 for f in document["findings"])


def test_unchanged_tree_reports_nothing_and_exits_0(repo, capsys):
    record(capsys)
    code, report, _ = lint_json(capsys, "--baseline", ".pipelint-baseline.json")
    assert code == 0
    assert report["diagnostics"] == []
    assert [(d["code"], d["line"], d["kind"]) for d in report["suppressed"]] == [("PL502", 10, "external"), ("PL502", 12, "external")]
    assert report["baseline"] == {"file": ".pipelint-baseline.json", "new": 0, "unchanged": 2, "fixed": 0}


def test_moved_lines_and_reindentation_keep_matching(repo, capsys):
    record(capsys)
    moved = "# header comment\n\n" + PR.replace("    steps:\n", "    # the checks\n    steps:\n")
    moved = moved.replace("      - name: Check title", "      -   name: Check title").replace(
        "        run: echo \"${{ github.event.pull_request.title }}\"", "          run:   echo \"${{ github.event.pull_request.title }}\""
    )
    (repo / WF).write_text(moved)
    code, report, _ = lint_json(capsys, "--baseline", ".pipelint-baseline.json")
    assert [d["line"] for d in report["suppressed"]] == [13, 15]  # the same two findings, moved
    assert (code, report["diagnostics"]) == (0, [])


def test_a_changed_finding_is_new_and_the_old_one_counts_as_fixed(repo, capsys):
    record(capsys)
    (repo / WF).write_text(PR.replace("pull_request.body", "pull_request.head.ref"))
    code, report, _ = lint_json(capsys, "--baseline", ".pipelint-baseline.json")
    assert code == 1
    assert [(d["code"], d["line"], d["column"]) for d in report["diagnostics"]] == [("PL502", 12, 20)]
    assert report["baseline"] == {"file": ".pipelint-baseline.json", "new": 1, "unchanged": 1, "fixed": 1}


def test_a_second_copy_of_a_recorded_finding_is_new(repo, capsys):
    record(capsys)
    (repo / ".github/workflows/copy.yml").write_text(PR)  # another file: other fingerprints
    (repo / WF).write_text(PR + PR.split("    steps:\n")[1])  # the two steps again, lines 13-16
    code, report, _ = lint_json(capsys, "--baseline", ".pipelint-baseline.json")
    new = [(d["path"], d["line"]) for d in report["diagnostics"]]
    # pr.yml now holds each step twice: the baseline's one copy of each matches once
    assert (WF, 10) not in new and (WF, 12) not in new
    assert (WF, 14) in new and (WF, 16) in new
    assert (".github/workflows/copy.yml", 10) in new
    assert report["baseline"]["unchanged"] == 2 and report["baseline"]["fixed"] == 0


def test_text_summary_counts_baseline_and_fixed(repo, capsys):
    record(capsys)
    (repo / WF).write_text(PR.replace("pull_request.body", "pull_request.head.ref"))
    code, out, _ = run_cli(["--no-cache", "--baseline", ".pipelint-baseline.json", "."], capsys)
    assert code == 1
    assert "Baseline .pipelint-baseline.json: 1 not shown, 1 fixed since." in out
    assert out.count("PL502 [") == 1


def test_sarif_marks_baseline_state(repo, capsys):
    record(capsys)
    (repo / WF).write_text(PR.replace("pull_request.body", "pull_request.head.ref"))
    code, out, _ = run_cli(["--no-cache", "--format", "sarif", "--baseline", ".pipelint-baseline.json", "."], capsys)
    results = json.loads(out)["runs"][0]["results"]
    states = [(r["locations"][0]["physicalLocation"]["region"]["startLine"], r["baselineState"], r.get("suppressions")) for r in results]
    assert states == [
        (10, "unchanged", [{"kind": "external", "justification": "recorded in baseline .pipelint-baseline.json"}]),
        (12, "new", None),
    ]
    assert code == 1


def test_sarif_without_baseline_has_no_baseline_state(repo, capsys):
    _, out, _ = run_cli(["--no-cache", "--format", "sarif", "."], capsys)
    assert all("baselineState" not in r for r in json.loads(out)["runs"][0]["results"])


def test_baseline_matches_from_another_working_directory(repo, capsys, monkeypatch):
    (repo / "ci").mkdir()
    record(capsys, "-o", "ci/baseline.json")
    monkeypatch.chdir(repo / ".github")
    code, out, _ = run_cli(["--no-cache", "--format", "json", "--baseline", "../ci/baseline.json", ".."], capsys)
    assert json.loads(out)["baseline"]["unchanged"] == 2
    assert code == 0


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "cannot read baseline missing.json"),
        ("{not json", "is not a pipelint baseline (invalid JSON"),
        ('{"version": 7, "findings": []}', "is not a pipelint baseline (version 1 with a findings list)"),
        ('{"version": 1, "findings": [{"code": "PL502"}]}', "every finding needs a fingerprint string"),
    ],
)
def test_unusable_baseline_is_a_usage_error(repo, capsys, content, message):
    name = "missing.json"
    if content is not None:
        name = "bad.json"
        (repo / name).write_text(content)
    code, out, err = run_cli(["--no-cache", "--baseline", name, "."], capsys)
    assert (code, out) == (2, "")
    assert message in err


def test_baseline_into_a_missing_folder_is_a_usage_error(repo, capsys):
    code, _, err = record(capsys, "-o", "nowhere/baseline.json")
    assert code == 2
    assert "cannot write baseline nowhere/baseline.json" in err


def test_baseline_does_not_combine_with_fix(repo, capsys):
    record(capsys)
    code, _, err = run_cli(["--fix", "--baseline", ".pipelint-baseline.json", "."], capsys)
    assert code == 2
    assert "do not combine with --fix" in err


def test_sarif_with_baseline_states_is_valid_sarif(repo, capsys):
    from test_sarif import _schema_validator

    record(capsys)
    (repo / WF).write_text(PR.replace("pull_request.body", "pull_request.head.ref"))
    _, out, _ = run_cli(["--no-cache", "--format", "sarif", "--baseline", ".pipelint-baseline.json", "."], capsys)
    errors = sorted(_schema_validator().iter_errors(json.loads(out)), key=str)
    assert errors == []


@pytest.mark.parametrize("option", [["--fix"], ["--diff"], ["--changed-since", "HEAD"], ["--baseline", "b.json"]])
def test_baseline_command_refuses_options_that_narrow_or_change(repo, capsys, option):
    code, _, err = record(capsys, *option)
    assert code == 2 and "do not apply" in err
    assert not (repo / ".pipelint-baseline.json").exists()
