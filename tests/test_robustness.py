"""Hostile and odd inputs through the engine and the CLI: findings or notices, never a traceback."""

from __future__ import annotations

import json
import os
import time

import pytest

from conftest import WORKFLOW_WITH_FLAG, findings, run_cli, run_lint, test_registry, write_tree
from pipelint import discovery
from pipelint.config import Settings
from pipelint.yamltree import MAX_DEPTH

WFD = ".github/workflows"


def _lint(root, settings=None):
    result = run_lint(root, settings=settings, registry=test_registry())
    assert not result.internal_errors, result.internal_errors[0].traceback
    return result


def _write_bytes(root, rel: str, data: bytes):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _messages(result, code="PL001"):
    return [(d.path, d.line, d.column, d.message) for d in result.active if d.code == code]


def test_invalid_yaml_points_at_the_parser_position(tmp_path):
    _write_bytes(tmp_path, f"{WFD}/ci.yml", b"on: push\njobs:\n  build:\n    runs-on: [ubuntu\n  test: x\n")
    _write_bytes(tmp_path, f"{WFD}/indent.yml", b"on: push\nname: a\n  bad: indent\n")
    result = _lint(tmp_path)
    assert _messages(result) == [
        (f"{WFD}/ci.yml", 5, 7, "Cannot read this file: while parsing a flow sequence did not find expected ',' or ']'; fix the file or exclude it."),
        (f"{WFD}/indent.yml", 3, 6, "Cannot read this file: mapping values are not allowed in this context; fix the file or exclude it."),
    ]
    span = result.active[0].span
    assert (span.end.line, span.end.column) == (5, 8)


def test_binary_file_is_pl001_not_a_traceback(tmp_path, capsys, monkeypatch):
    _write_bytes(tmp_path, f"{WFD}/logo.yml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")
    result = _lint(tmp_path)
    assert _messages(result) == [(f"{WFD}/logo.yml", 1, 1, "Cannot read this file: binary content (NUL byte): not a text file; fix the file or exclude it.")]
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli([], capsys, test_registry(), monkeypatch)
    assert code == 1
    assert out.startswith(f"{WFD}/logo.yml:1:1: PL001 [error] Cannot read this file: binary content")
    assert "Traceback" not in out + err


def test_invalid_utf8_is_pl001_with_its_position(tmp_path):
    _write_bytes(tmp_path, f"{WFD}/latin1.yml", "on: push\nname: caf\u00e9 \xff\n".encode("utf-8").replace(b"\xc3\xbf", b"\xff"))
    _write_bytes(tmp_path, f"{WFD}/bom-latin1.yml", b"\xef\xbb\xbfon: push\nname: caf\xc3\xa9 \xe9t\xe9\n")
    result = _lint(tmp_path)
    assert _messages(result) == [
        (f"{WFD}/bom-latin1.yml", 2, 12, "Cannot read this file: invalid UTF-8 byte 0xe9: the file is not UTF-8 text; fix the file or exclude it."),
        (f"{WFD}/latin1.yml", 2, 12, "Cannot read this file: invalid UTF-8 byte 0xff: the file is not UTF-8 text; fix the file or exclude it."),
    ]


def test_bom_file_lints_fine(tmp_path):
    _write_bytes(tmp_path, f"{WFD}/ci.yml", b"\xef\xbb\xbf" + WORKFLOW_WITH_FLAG.encode())
    result = _lint(tmp_path)
    assert findings(result) == [(f"{WFD}/ci.yml", 8, 19, "PL901")]
    [parsed] = result.project.files
    assert parsed.kind == "github-workflow" and parsed.pipeline is not None
    assert list(parsed.pipeline.jobs) == ["build"]


def test_alias_bomb_is_pl001_in_bounded_time(tmp_path):
    lines = ["on: push", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    lines.append("jobs: {x: *i}")
    write_tree(tmp_path, {f"{WFD}/bomb.yml": "\n".join(lines) + "\n"})
    start = time.perf_counter()
    result = _lint(tmp_path)
    assert time.perf_counter() - start < 5
    assert _messages(result) == [
        (f"{WFD}/bomb.yml", 8, 4, "Cannot read this file: aliases expand to more than 2,000,000 nodes (an alias bomb?); fix the file or exclude it.")
    ]


@pytest.mark.parametrize(
    "text, line, column",
    [
        ("on: push\njobs: " + "[" * 10_000 + "]" * 10_000 + "\n", 2, 6 + MAX_DEPTH),
        ("on: push\njobs:\n" + "".join(" " * (i + 1) + "k:\n" for i in range(2_000)), MAX_DEPTH + 2, MAX_DEPTH + 1),
        ("on: push\njobs:\n" + "- " * 10_000 + "x\n", 3, 2 * MAX_DEPTH - 1),
    ],
    ids=["flow", "block-mapping", "block-sequence"],
)
def test_deep_nesting_is_pl001(tmp_path, text, line, column):
    write_tree(tmp_path, {f"{WFD}/deep.yml": text})
    result = _lint(tmp_path)
    assert _messages(result) == [(f"{WFD}/deep.yml", line, column, f"Cannot read this file: nesting deeper than {MAX_DEPTH} levels; fix the file or exclude it.")]


def test_file_vanishing_between_discovery_and_reading(tmp_path, monkeypatch, capsys):
    write_tree(tmp_path, {f"{WFD}/a.yml": WORKFLOW_WITH_FLAG, f"{WFD}/b.yml": WORKFLOW_WITH_FLAG})
    real_collect = discovery.collect

    def collect_then_delete(*args, **kwargs):
        found = real_collect(*args, **kwargs)
        os.remove(tmp_path / WFD / "a.yml")
        return found

    monkeypatch.setattr(discovery, "collect", collect_then_delete)
    result = _lint(tmp_path)
    assert result.notices == [f"skipped {WFD}/a.yml: the file vanished while pipelint ran"]
    assert findings(result) == [(f"{WFD}/b.yml", 8, 19, "PL901")]
    (tmp_path / WFD / "a.yml").write_text(WORKFLOW_WITH_FLAG)
    monkeypatch.chdir(tmp_path)
    code, _out, err = run_cli([], capsys, test_registry(), monkeypatch)
    assert code == 1
    assert err == f"pipelint: skipped {WFD}/a.yml: the file vanished while pipelint ran\n"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_symlink_loops_and_links_outside_the_root_are_not_followed(tmp_path):
    root = tmp_path / "repo"
    outside = tmp_path / "outside"
    write_tree(outside, {"evil.yml": WORKFLOW_WITH_FLAG, "dir/x.yml": WORKFLOW_WITH_FLAG})
    write_tree(root, {f"{WFD}/ci.yml": "on: push\njobs: {}\n"})
    wf = root / WFD
    os.symlink(root, wf / "loop")  # a directory link back up: a loop
    os.symlink(wf / "self.yml", wf / "self.yml")  # a link to itself
    os.symlink(outside / "evil.yml", wf / "evil.yml")  # a file outside the root
    os.symlink(outside / "dir", root / ".github" / "external")  # a folder outside the root
    os.symlink(wf / "ci.yml", wf / "inside.yml")  # inside the root: fine
    result = _lint(root)
    assert sorted(f.file.path for f in result.project.files) == [f"{WFD}/ci.yml", f"{WFD}/inside.yml"]
    assert findings(result) == []


def test_directory_named_like_a_workflow(tmp_path):
    write_tree(tmp_path, {f"{WFD}/ci.yml/inner.yml": WORKFLOW_WITH_FLAG, f"{WFD}/real.yml": WORKFLOW_WITH_FLAG})
    result = _lint(tmp_path)
    assert findings(result) == [(f"{WFD}/real.yml", 8, 19, "PL901")]


def test_file_over_max_file_size_is_skipped_with_a_notice(tmp_path):
    write_tree(tmp_path, {f"{WFD}/big.yml": WORKFLOW_WITH_FLAG + "# padding\n" * 100, f"{WFD}/small.yml": WORKFLOW_WITH_FLAG})
    size = (tmp_path / WFD / "big.yml").stat().st_size
    result = _lint(tmp_path, Settings(max_file_size=500))
    assert result.notices == [f"skipped {WFD}/big.yml: {size:,} bytes is over the 500-byte limit (max-file-size)"]
    assert findings(result) == [(f"{WFD}/small.yml", 8, 19, "PL901")]


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "# only a comment\n", "---\n", "just a scalar\n", "- a\n- b\n", "42\n", "~\n"],
    ids=["empty", "blank", "comment", "empty-document", "scalar", "list", "number", "null"],
)
def test_files_that_are_not_mappings(tmp_path, text):
    write_tree(tmp_path, {f"{WFD}/odd.yml": text, "action.yml": text})
    result = _lint(tmp_path)
    assert findings(result) == []
    assert result.notices == []


def test_non_workflow_config_under_workflows_is_skipped_silently(tmp_path):
    write_tree(
        tmp_path,
        {
            f"{WFD}/probot.yml": "daysUntilStale: 60\nstaleLabel: FLAG\nexemptLabels:\n  - pinned\n",
            f"{WFD}/ci.yml": WORKFLOW_WITH_FLAG,
        },
    )
    result = _lint(tmp_path)
    assert [f.file.path for f in result.project.files] == [f"{WFD}/ci.yml"]
    assert findings(result) == [(f"{WFD}/ci.yml", 8, 19, "PL901")]
    assert result.notices == []


def test_action_metadata_under_workflows_is_linted_as_an_action(tmp_path):
    write_tree(
        tmp_path,
        {
            f"{WFD}/setup/action.yml": "name: setup\ndescription: d\nruns:\n  using: composite\n  steps:\n    - run: echo FLAG\n      shell: bash\n",
            f"{WFD}/helper.yml": "name: helper\ndescription: d\nruns:\n  using: composite\n  steps:\n    - run: echo FLAG\n      shell: bash\n",
        },
    )
    result = _lint(tmp_path)
    kinds = {f.file.path: (f.kind, f.action is not None, f.pipeline is None) for f in result.project.files}
    assert kinds == {
        f"{WFD}/helper.yml": ("github-action", True, True),
        f"{WFD}/setup/action.yml": ("github-action", True, True),
    }
    assert findings(result) == [(f"{WFD}/helper.yml", 6, 17, "PL901"), (f"{WFD}/setup/action.yml", 6, 17, "PL901")]
    helper = next(f for f in result.project.files if f.file.path.endswith("helper.yml"))
    assert [s.script.text for s in helper.action.steps] == ["echo FLAG"]


def test_crlf_positions(tmp_path):
    text = (
        "on: push\r\njobs:\r\n  a:\r\n    runs-on: x\r\n    runs-on: y\r\n    steps:\r\n      - run: |\r\n"
        "          echo one\r\n          echo FLAG\r\n"
    )
    _write_bytes(tmp_path, f"{WFD}/crlf.yml", text.encode())
    result = _lint(tmp_path)
    assert findings(result) == [(f"{WFD}/crlf.yml", 5, 5, "PL001"), (f"{WFD}/crlf.yml", 9, 16, "PL901")]
    flag = next(d for d in result.active if d.code == "PL901").span
    assert (flag.end.line, flag.end.column) == (9, 20)
    assert text[flag.start.offset : flag.end.offset] == "FLAG"


def test_lint_a_workflows_folder_or_a_single_file(tmp_path, capsys, monkeypatch):
    write_tree(tmp_path, {f"{WFD}/ci.yml": WORKFLOW_WITH_FLAG})
    monkeypatch.chdir(tmp_path)
    for argv in ([WFD], [f"{WFD}/ci.yml"], ["."], []):
        code, out, _err = run_cli(["--format", "json", *argv], capsys, test_registry(), monkeypatch)
        assert code == 1, argv
        assert [(d["path"], d["line"], d["column"]) for d in json.loads(out)["diagnostics"]] == [(f"{WFD}/ci.yml", 8, 19)]
    monkeypatch.chdir(tmp_path / ".github")
    code, out, _err = run_cli(["--format", "json"], capsys, test_registry(), monkeypatch)
    assert [(d["path"], d["line"]) for d in json.loads(out)["diagnostics"]] == [("workflows/ci.yml", 8)]


def test_gitignored_and_excluded_files_are_not_walked(tmp_path):
    write_tree(
        tmp_path,
        {
            ".gitignore": "generated/\n",
            f"{WFD}/ci.yml": WORKFLOW_WITH_FLAG,
            f"generated/{WFD}/ci.yml": WORKFLOW_WITH_FLAG,
            f"vendor/{WFD}/ci.yml": WORKFLOW_WITH_FLAG,
            f"node_modules/x/{WFD}/ci.yml": WORKFLOW_WITH_FLAG,
        },
    )
    result = _lint(tmp_path, Settings(exclude=["vendor/"]))
    assert findings(result) == [(f"{WFD}/ci.yml", 8, 19, "PL901")]


def test_named_file_of_no_known_kind_gets_a_notice_only_when_verbose(tmp_path, capsys, monkeypatch):
    write_tree(tmp_path, {"notes/deploy.yml": WORKFLOW_WITH_FLAG})
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["notes/deploy.yml"], capsys, test_registry(), monkeypatch)
    assert (code, out, err) == (0, "No problems found in 0 files.\n", "")
    code, out, err = run_cli(["--verbose", "notes/deploy.yml"], capsys, test_registry(), monkeypatch)
    assert (code, out) == (0, "No problems found in 0 files.\n")
    assert err == "pipelint: skipped notes/deploy.yml: not a kind of file pipelint reads\n"


def _lint_all(root):
    """Every real rule too: the Dockerfile and migration rules read these models."""
    result = run_lint(root)
    assert not result.internal_errors, result.internal_errors[0].traceback
    return result


@pytest.mark.parametrize(
    "rel",
    ["Dockerfile", "services/api/Dockerfile.prod", "db/migrations/V3__add_index.sql", "db/migrate/0004_drop.down.sql"],
)
def test_text_kinds_with_hostile_bytes_are_pl001_or_quiet_never_a_traceback(tmp_path, rel):
    # invalid UTF-8 after a valid start: PL001 at the offending byte
    _write_bytes(tmp_path, rel, b"FROM alpine:3.20\nRUN echo \xff\xfe\n" if "ocker" in rel else b"CREATE TABLE a (id int);\n-- \xff\n")
    result = _lint_all(tmp_path)
    assert [(p, line) for p, line, _c, _m in _messages(result)] == [(rel, 2)]
    # binary noise and an empty file: never an internal error
    for data in (bytes(range(256)) * 8, b"", b"\n\n# only a comment\n"):
        _write_bytes(tmp_path, rel, data)
        _lint_all(tmp_path)


def test_deeply_nested_sql_and_huge_continuations_stay_bounded(tmp_path):
    _write_bytes(tmp_path, "db/V1__deep.sql", ("SELECT " + "(" * 5000 + "1" + ")" * 5000 + ";\n").encode())
    _write_bytes(tmp_path, "Dockerfile", ("FROM alpine:3.20\nRUN true" + " \\\n  && true" * 5000 + "\n").encode())
    started = time.perf_counter()
    _lint_all(tmp_path)
    assert time.perf_counter() - started < 20
