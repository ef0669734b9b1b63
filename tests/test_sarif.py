"""SARIF output: the 2.1.0 schema, GitHub's ingestion rules, and the fields code scanning reads."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, crashing_rule, marker_rule, run_lint, test_registry, write_tree
from pipelint.fingerprints import line_hashes, logical_fingerprint
from pipelint.registry import Registry
from pipelint.reporters import sarif as sarif_reporter

SCHEMA = REPO / "schemas" / "sarif-2.1.0.json"
VALIDATE_SARIF = REPO.parent / "shared" / "sarif" / "validate-sarif"
MULTITOOL = Path(os.environ.get("SARIF_TOOL_HOME", Path.home() / ".cache" / "sarif-multitool")) / (
    "node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
)

CI = """\
name: ci
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    runs-on: ubuntu-22.04
    steps:
      - uses: actions/checkout@v4
      - run: echo FLAG SECRET
      - run: echo FLAG  # pipelint: ignore[PL901] fixture value, reviewed
      - run: echo "\U0001f680 é FLAG"
"""
RELEASE = """\
name: release
on: push
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - run: echo ok  # pipelint: ignore[PL590] stale
      - run: |
          echo one
          echo FLAG
"""


def _registry(*extra) -> Registry:
    return test_registry(marker_rule("PL590", "test-secret", "SECRET", tags=("security", "test")), *extra)


def _git_repo(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(root)], check=True, capture_output=True)
    else:
        (root / ".git").mkdir()
    return root


@pytest.fixture
def sarif_log(tmp_path):
    """SARIF for a subfolder of a git repository, linted from that subfolder."""
    repo = _git_repo(tmp_path / "repo")
    project = write_tree(
        repo / "services" / "api",
        {".github/workflows/ci.yml": CI, ".github/workflows/release.yml": RELEASE},
    )
    registry = _registry()
    result = run_lint(project, registry=registry)
    return sarif_reporter.build(result, registry), repo, project


def _results(log) -> list[tuple[str, str, int, int]]:
    return [
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["locations"][0]["physicalLocation"]["region"]["startColumn"],
        )
        for r in log["runs"][0]["results"]
    ]


def test_results_and_repository_relative_uris(sarif_log):
    log, repo, _project = sarif_log
    ci = "services/api/.github/workflows/ci.yml"
    release = "services/api/.github/workflows/release.yml"
    assert _results(log) == [
        ("PL001", ci, 6, 5),
        ("PL901", ci, 9, 19),
        ("PL590", ci, 9, 24),
        ("PL901", ci, 10, 19),
        ("PL901", ci, 11, 24),  # columns in code points: the rocket counts once
        ("PL005", release, 7, 23),
        ("PL901", release, 10, 16),
    ]
    run = log["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": repo.resolve().as_uri() + "/"}}
    for r in run["results"]:
        for loc in r["locations"] + r.get("relatedLocations", []):
            assert loc["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["automationDetails"] == {"id": "pipelint/"}
    assert log["version"] == "2.1.0"
    assert run["invocations"] == [{"executionSuccessful": True}]


def test_related_locations_and_suppressions(sarif_log):
    log, _repo, _project = sarif_log
    results = log["runs"][0]["results"]
    dup = results[0]
    assert dup["relatedLocations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "services/api/.github/workflows/ci.yml", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 5, "startColumn": 5, "endLine": 5, "endColumn": 12},
            },
            "id": 0,
            "message": {"text": "first defined here"},
        }
    ]
    assert dup["locations"][0]["physicalLocation"]["region"] == {"startLine": 6, "startColumn": 5, "endLine": 6, "endColumn": 12}
    assert [r.get("suppressions") for r in results] == [
        None,
        None,
        None,
        [{"kind": "inSource", "justification": "fixture value, reviewed"}],
        None,
        None,
        None,
    ]
    assert [r["level"] for r in results] == ["error", "warning", "warning", "warning", "warning", "warning", "warning"]


def test_rule_index_and_descriptors(sarif_log):
    log, _repo, _project = sarif_log
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "pipelint" and driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    assert [r["id"] for r in rules] == ["PL001", "PL005", "PL590", "PL901"]
    for result in log["runs"][0]["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    secret = rules[2]
    assert secret["properties"] == {"tags": ["security", "test"], "precision": "high", "security-severity": "5.5"}
    assert "security-severity" not in rules[3]["properties"]


def test_fingerprints(sarif_log):
    log, _repo, project = sarif_log
    for result in log["runs"][0]["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        line = result["locations"][0]["physicalLocation"]["region"]["startLine"]
        text = (project / uri.removeprefix("services/api/")).read_text(encoding="utf-8")
        assert result["partialFingerprints"] == {"primaryLocationLineHash": line_hashes(text)[line - 1]}
        assert re.fullmatch(r"[0-9a-f]{32}", result["fingerprints"]["pipelint/v1"])
    fps = [r["fingerprints"]["pipelint/v1"] for r in log["runs"][0]["results"]]
    assert len(set(fps)) == len(fps)


def test_line_hash_of_a_crlf_file_with_bom(tmp_path):
    repo = _git_repo(tmp_path / "repo")
    wf = repo / ".github" / "workflows" / "ci.yml"
    wf.parent.mkdir(parents=True)
    raw = "\ufeffon: push\r\njobs:\r\n  a:\r\n    runs-on: FLAG\r\n"
    wf.write_bytes(raw.encode("utf-8"))
    registry = _registry()
    log = sarif_reporter.build(run_lint(repo, registry=registry), registry)
    [result] = log["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 4
    assert result["partialFingerprints"]["primaryLocationLineHash"] == line_hashes(raw)[3]
    # the line-independent fingerprint hashes the finding's own text, BOM or not
    assert result["fingerprints"]["pipelint/v1"] == logical_fingerprint("PL901", ".github/workflows/ci.yml", "jobs.a.runs-on", "FLAG")
    wf.write_bytes(raw.replace("\r\n", "\n").removeprefix("\ufeff").encode("utf-8"))
    log = sarif_reporter.build(run_lint(repo, registry=registry), registry)
    assert log["runs"][0]["results"][0]["fingerprints"] == result["fingerprints"]


def test_every_builtin_rule_descriptor_is_complete():
    registry = Registry.load()
    builtin = [r for r in registry.rules if r.origin.startswith("pipelint.rules")]
    assert builtin
    problems = []
    for rule in builtin:
        d = sarif_reporter.rule_descriptor(rule)
        where = rule.code
        if d["id"] != rule.code or d["name"] != rule.name:
            problems.append(f"{where}: id/name")
        for key in ("shortDescription", "fullDescription"):
            if not d[key]["text"].strip():
                problems.append(f"{where}: empty {key}")
        if not d["help"]["text"].strip() or "## What it does" not in d["help"]["markdown"]:
            problems.append(f"{where}: help text/markdown lacks the documentation")
        if d["helpUri"] != f"https://github.com/pipelint/pipelint/blob/main/docs/rules/{rule.code}.md":
            problems.append(f"{where}: helpUri")
        if d["defaultConfiguration"]["level"] != {"error": "error", "warning": "warning", "note": "note"}[str(rule.severity)]:
            problems.append(f"{where}: level")
        props = d["properties"]
        if not props["tags"] or not all(isinstance(t, str) and t for t in props["tags"]):
            problems.append(f"{where}: no tags")
        if props["precision"] not in ("very-high", "high", "medium", "low"):
            problems.append(f"{where}: precision {props['precision']!r}")
        if rule.code.startswith("PL5"):
            severity = props.get("security-severity")
            if not (isinstance(severity, str) and 0.0 <= float(severity) <= 10.0):
                problems.append(f"{where}: security-severity {severity!r}")
    assert not problems, problems


def _schema_validator():
    jsonschema = pytest.importorskip("jsonschema")
    assert SCHEMA.is_file(), "schemas/sarif-2.1.0.json (vendored SARIF schema) is missing"
    assert (REPO / "schemas" / "LICENSE.sarif-schema").is_file()
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def test_valid_against_sarif_schema(sarif_log):
    validator = _schema_validator()
    log, _repo, _project = sarif_log
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]
    assert not errors, errors


def test_internal_errors_become_notifications_and_stay_valid(tmp_path):
    validator = _schema_validator()
    repo = _git_repo(tmp_path / "repo")
    write_tree(repo, {".github/workflows/ci.yml": CI})
    registry = _registry(crashing_rule())
    log = sarif_reporter.build(run_lint(repo, registry=registry), registry)
    [invocation] = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    [note] = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["message"]["text"] == (
        "internal error in PL999 on .github/workflows/ci.yml: RuntimeError: boom in .github/workflows/ci.yml"
    )
    assert not list(validator.iter_errors(log))


def test_files_outside_the_current_repository(tmp_path, monkeypatch):
    """Linting another folder from inside a repository: URIs stay relative to the files' repository."""
    here = _git_repo(tmp_path / "here")
    other = _git_repo(tmp_path / "other")
    write_tree(other, {".github/workflows/ci.yml": CI})
    registry = _registry()
    from pipelint.config import Settings
    from pipelint.engine import lint

    result = lint([str(other)], Settings(), registry, cwd=str(here))
    log = sarif_reporter.build(result, registry)
    run = log["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == other.resolve().as_uri() + "/"
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"] for loc in r["locations"]}
    assert uris == {".github/workflows/ci.yml"}


def _write(log, path: Path) -> Path:
    path.write_text(json.dumps(log, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def test_github_ingestion_rules(sarif_log, tmp_path):
    """Microsoft's SARIF Multitool with GitHub's rules (../shared/sarif/validate-sarif)."""
    if not VALIDATE_SARIF.is_file():
        pytest.skip(f"{VALIDATE_SARIF} not found")
    if not MULTITOOL.exists() and shutil.which("npm") is None:
        pytest.skip("npm is not available to install the SARIF Multitool that validate-sarif uses")
    log, _repo, _project = sarif_log
    files = [_write(log, tmp_path / "lint.sarif")]
    # an internal error (toolExecutionNotifications) must not break ingestion either
    repo = _git_repo(tmp_path / "crash")
    write_tree(repo, {".github/workflows/ci.yml": CI})
    registry = _registry(crashing_rule())
    files.append(_write(sarif_reporter.build(run_lint(repo, registry=registry), registry), tmp_path / "crash.sarif"))
    for path in files:
        proc = subprocess.run([str(VALIDATE_SARIF), str(path)], capture_output=True, text=True, timeout=900)
        if proc.returncode == 2:
            pytest.skip(f"validate-sarif could not run: {proc.stderr.strip()[-500:]}")
        assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
        assert proc.stdout.strip().endswith("validate-sarif: 0 error(s)")


def test_logical_fingerprint_of_a_finding_on_the_first_line_of_a_bom_file(tmp_path):
    repo = _git_repo(tmp_path / "repo")
    wf = repo / ".github" / "workflows" / "ci.yml"
    wf.parent.mkdir(parents=True)
    wf.write_bytes("\ufeffname: FLAG\u2028x\non: push\njobs: {}\n".encode("utf-8"))
    registry = _registry()
    [result] = sarif_reporter.build(run_lint(repo, registry=registry), registry)["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 1, "startColumn": 7, "endLine": 1, "endColumn": 11}
    assert result["fingerprints"]["pipelint/v1"] == logical_fingerprint("PL901", ".github/workflows/ci.yml", "name", "FLAG")
