"""The command line: exit codes, formats, outputs, colour, subcommands, internal errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import REPO, WORKFLOW_WITH_FLAG, crashing_rule, run_cli, test_registry, write_tree
from pipelint import __version__
from pipelint.config import Settings
from pipelint.docs import render_rule_markdown
from pipelint.engine import lint
from pipelint.registry import Registry

WF = ".github/workflows/ci.yml"
MESSAGE = "found FLAG; replace it so that the test has something to report"
CLEAN = "name: ci\non: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ok\n"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    write_tree(tmp_path, {WF: WORKFLOW_WITH_FLAG})
    monkeypatch.chdir(tmp_path)
    return tmp_path


def cli(argv, capsys, monkeypatch, registry=None):
    return run_cli(argv, capsys, registry or test_registry(), monkeypatch)


# ---------------------------------------------------------------- exit codes


def test_exit_1_on_findings_with_exact_text_output(repo, capsys, monkeypatch):
    code, out, err = cli([], capsys, monkeypatch)
    assert code == 1
    assert err == ""
    assert out == (
        f"{WF}:8:19: PL901 [warning] {MESSAGE}\n"
        "    8 |       - run: echo FLAG\n"
        "      |                   ^^^^\n"
        "\n"
        "Found 1 problem (1 warning) in 1 file.\n"
        "      1  PL901 test-marker\n"
    )
    assert "\x1b[" not in out  # captured output is not a terminal: no colour


def test_exit_0_without_findings(repo, capsys, monkeypatch):
    (repo / WF).write_text(CLEAN)
    code, out, err = cli([], capsys, monkeypatch)
    assert (code, out, err) == (0, "No problems found in 1 file.\n", "")


def test_exit_zero_and_fail_on(repo, capsys, monkeypatch):
    assert cli(["--exit-zero"], capsys, monkeypatch)[0] == 0
    assert cli(["--fail-on", "error"], capsys, monkeypatch)[0] == 0  # only a warning
    assert cli(["--fail-on", "warning"], capsys, monkeypatch)[0] == 1
    assert cli(["--fail-on", "note"], capsys, monkeypatch)[0] == 1


def test_exit_2_on_usage_errors(repo, capsys, monkeypatch):
    code, out, err = cli(["does-not-exist"], capsys, monkeypatch)
    assert (code, out, err) == (2, "", "pipelint: does-not-exist: no such file or directory\n")
    code, out, err = cli(["--select", "XX999"], capsys, monkeypatch)
    assert (code, out) == (2, "")
    assert err == "pipelint: unknown rule selector 'XX999' (see 'pipelint rules')\n"
    with pytest.raises(SystemExit) as info:
        cli(["--format", "xml"], capsys, monkeypatch)
    assert info.value.code == 2


def test_unwritable_output_is_a_usage_error(repo, capsys, monkeypatch):
    code, _out, err = cli(["-o", str(repo / "missing-dir" / "out.txt")], capsys, monkeypatch)
    assert code == 2
    assert err.startswith("pipelint: cannot write output: ")


# ------------------------------------------------------------------- formats


def test_json_format(repo, capsys, monkeypatch):
    code, out, _err = cli(["--format", "json"], capsys, monkeypatch)
    assert code == 1
    assert json.loads(out) == {
        "version": 1,
        "diagnostics": [
            {
                "code": "PL901",
                "name": "test-marker",
                "severity": "warning",
                "message": MESSAGE,
                "path": WF,
                "line": 8,
                "column": 19,
                "end_line": 8,
                "end_column": 23,
                "related": [],
                "fix": None,
                "help": "https://github.com/pipelint/pipelint/blob/main/docs/rules/PL901.md",
            }
        ],
        "suppressed": [],
        "files": 1,
        "internal_errors": [],
    }


def test_github_format(repo, capsys, monkeypatch):
    (repo / WF).write_text(WORKFLOW_WITH_FLAG + "      - run: 'a%b: FLAG'\n")
    code, out, _err = cli(["--format", "github"], capsys, monkeypatch)
    assert code == 1
    assert out.splitlines() == [
        f"::warning file={WF},line=8,col=19,endLine=8,endColumn=23,title=PL901 test-marker::{MESSAGE}",
        f"::warning file={WF},line=9,col=20,endLine=9,endColumn=24,title=PL901 test-marker::{MESSAGE}",
    ]


def test_github_format_escapes_properties_and_data(tmp_path, capsys, monkeypatch):
    from pipelint.reporters import github

    assert github._prop("a,b:c%\n") == "a%2Cb%3Ac%25%0A"
    assert github._data("50% done\r\nnext") == "50%25 done%0D%0Anext"


def test_output_file(repo, capsys, monkeypatch):
    code, out, err = cli(["--format", "json", "-o", "report.json"], capsys, monkeypatch)
    assert (code, out, err) == (1, "", "")
    payload = json.loads((repo / "report.json").read_text())
    assert [(d["code"], d["line"], d["column"]) for d in payload["diagnostics"]] == [("PL901", 8, 19)]
    code, out, _err = cli(["-o", "report.txt", "--color", "always"], capsys, monkeypatch)
    assert (code, out) == (1, "")
    text = (repo / "report.txt").read_text()
    assert text.startswith(f"{WF}:8:19: PL901 [warning] ")
    assert "\x1b[" not in text  # never colour in a file


def test_sarif_output_while_printing_text(repo, capsys, monkeypatch):
    code, out, _err = cli(["--sarif-output", "results.sarif"], capsys, monkeypatch)
    assert code == 1
    assert out.startswith(f"{WF}:8:19: PL901 [warning] {MESSAGE}\n")
    sarif = json.loads((repo / "results.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    [result] = sarif["runs"][0]["results"]
    assert result["ruleId"] == "PL901"
    assert result["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 8,
        "startColumn": 19,
        "endLine": 8,
        "endColumn": 23,
    }


def test_sarif_format_on_stdout(repo, capsys, monkeypatch):
    code, out, _err = cli(["--format", "sarif"], capsys, monkeypatch)
    assert code == 1
    assert json.loads(out)["runs"][0]["results"][0]["ruleId"] == "PL901"


# -------------------------------------------------------------------- colour


def test_color_always_and_never(repo, capsys, monkeypatch):
    _code, out, _err = cli(["--color", "always"], capsys, monkeypatch)
    assert "\x1b[33mPL901\x1b[0m" in out
    _code, out, _err = cli(["--color", "never"], capsys, monkeypatch)
    assert "\x1b[" not in out


_PTY_RUNNER = textwrap.dedent(
    """
    import os, pty, subprocess, sys
    master, slave = pty.openpty()
    proc = subprocess.Popen(sys.argv[1:], stdout=slave, stderr=subprocess.DEVNULL)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait()
    sys.stdout.write(out.decode())
    """
)

_CLI_WITH_TEST_REGISTRY = (
    "import sys; sys.path.insert(0, {tests!r}); import conftest; from pipelint import cli; "
    "cli._registry = conftest.test_registry; sys.exit(cli.main(sys.argv[1:]))"
)


def _on_a_terminal(repo, env_extra: dict, *args) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    env.update({"TERM": "xterm-256color", "COLUMNS": "200"}, **env_extra)
    code = _CLI_WITH_TEST_REGISTRY.format(tests=str(REPO / "tests"))
    proc = subprocess.run(
        [sys.executable, "-c", _PTY_RUNNER, sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=repo,
        env=env,
        timeout=60,
    )
    return proc.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_terminal_gets_colour_unless_no_color(repo):
    coloured = _on_a_terminal(repo, {})
    assert "\x1b[33mPL901\x1b[0m" in coloured
    plain = _on_a_terminal(repo, {"NO_COLOR": "1"})
    assert "PL901 [warning]" in plain
    assert "\x1b[" not in plain
    # an explicit flag wins over the environment (no-color.org)
    assert "\x1b[33mPL901" in _on_a_terminal(repo, {"NO_COLOR": "1"}, "--color", "always")


# ---------------------------------------------------------------- subcommands


def test_rules_lists_every_rule(capsys):
    registry = Registry.load()
    code, out, _err = run_cli(["rules"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["code", "name", "severity", "fix", "platforms"]
    listed = [line.split()[:3] for line in lines[1:]]
    assert listed == [[r.code, r.name, str(r.severity)] for r in registry.rules]
    code, out, _err = run_cli(["rules", "--format", "json"], capsys)
    rows = json.loads(out)
    assert [r["code"] for r in rows] == [r.code for r in registry.rules]
    assert set(rows[0]) == {"code", "name", "severity", "platforms", "fixable", "tags", "summary", "origin"}


def test_rule_prints_its_documentation(capsys):
    from pipelint.rules.pl001_invalid_file import InvalidFile

    code, out, _err = run_cli(["rule", "PL001"], capsys)
    assert code == 0
    assert out == render_rule_markdown(InvalidFile)
    assert out.startswith("# PL001 invalid-file\n\nSeverity: **error**")
    assert "## What it does\n" in out and "## Use instead\n" in out
    assert run_cli(["rule", "invalid-file"], capsys)[1] == out
    assert run_cli(["rule", "pl001"], capsys)[1] == out


def test_unknown_rule_exits_2(capsys):
    code, out, err = run_cli(["rule", "XX999"], capsys)
    assert (code, out, err) == (2, "", "pipelint: unknown rule 'XX999' (see 'pipelint rules')\n")
    code, _out, _err = run_cli(["rule", "PL"], capsys)  # a prefix is not one rule
    assert code == 2


def test_version():
    proc = subprocess.run([sys.executable, "-m", "pipelint", "--version"], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout) == (0, f"pipelint {__version__}\n")


def test_console_script_version():
    script = os.path.join(os.path.dirname(sys.executable), "pipelint")
    if not os.path.exists(script):
        pytest.skip("console script not installed next to the interpreter")
    proc = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout) == (0, f"pipelint {__version__}\n")


# ----------------------------------------------------------- internal errors


def _two_files(tmp_path):
    write_tree(tmp_path, {".github/workflows/boom.yml": WORKFLOW_WITH_FLAG, WF: WORKFLOW_WITH_FLAG})


def test_crashing_rule_through_the_engine(tmp_path):
    _two_files(tmp_path)
    registry = test_registry(crashing_rule(when="boom"))
    result = lint([str(tmp_path)], Settings(), registry, cwd=str(tmp_path))
    [error] = result.internal_errors
    assert (error.rule, error.path, error.message) == ("PL999", ".github/workflows/boom.yml", "RuntimeError: boom in .github/workflows/boom.yml")
    assert "Traceback (most recent call last)" in error.traceback
    # the other rules still ran on both files, the crashing rule's other files too
    assert sorted((d.path, d.line, d.code) for d in result.active) == [
        (".github/workflows/boom.yml", 8, "PL901"),
        (WF, 8, "PL901"),
    ]


def test_crashing_rule_through_the_cli(tmp_path, capsys, monkeypatch):
    _two_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    registry = test_registry(crashing_rule(when="boom"))
    code, out, err = cli([], capsys, monkeypatch, registry)
    assert code == 3
    assert out.splitlines()[0] == f".github/workflows/boom.yml:8:19: PL901 [warning] {MESSAGE}"
    assert f"{WF}:8:19: PL901 [warning] {MESSAGE}" in out.splitlines()
    assert "internal error in PL999 on .github/workflows/boom.yml: RuntimeError: boom in .github/workflows/boom.yml\n" in out
    assert "Traceback" not in out
    assert err == "pipelint: run with --verbose for the traceback, and please report it\n"
    code, out, err = cli(["--verbose"], capsys, monkeypatch, registry)
    assert code == 3
    assert "Traceback (most recent call last)" in out and "RuntimeError: boom in .github/workflows/boom.yml" in out
    # --exit-zero does not hide a crash
    assert cli(["--exit-zero"], capsys, monkeypatch, registry)[0] == 3


def test_crashing_rule_with_machine_output_reports_on_stderr(tmp_path, capsys, monkeypatch):
    _two_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    registry = test_registry(crashing_rule(when="boom"))
    for argv in (["--format", "json"], ["-o", "out.txt"]):
        code, out, err = cli(argv, capsys, monkeypatch, registry)
        assert code == 3
        assert err.startswith(
            "pipelint: internal error in PL999 on .github/workflows/boom.yml: RuntimeError: boom in .github/workflows/boom.yml\n"
        )
    payload = json.loads(run_cli(["--format", "json"], capsys, registry, monkeypatch)[1])
    assert payload["internal_errors"] == [
        {"rule": "PL999", "path": ".github/workflows/boom.yml", "message": "RuntimeError: boom in .github/workflows/boom.yml"}
    ]
    assert len(payload["diagnostics"]) == 2
    code, _out, err = cli(["--format", "json", "--verbose"], capsys, monkeypatch, registry)
    assert code == 3 and "Traceback (most recent call last)" in err


def test_crash_outside_the_rules_exits_3(repo, capsys, monkeypatch):
    import pipelint.engine

    def broken(*_args, **_kwargs):
        raise KeyError("bug")

    monkeypatch.setattr(pipelint.engine, "lint", broken)
    code, out, err = cli([], capsys, monkeypatch)
    assert (code, out) == (3, "")
    assert err == "pipelint: internal error: KeyError: 'bug'\npipelint: run with --verbose for the traceback, and please report it\n"
    code, _out, err = cli(["--verbose"], capsys, monkeypatch)
    assert code == 3 and "Traceback (most recent call last)" in err


def test_real_registry_crash_path_via_monkeypatched_registry(repo, capsys, monkeypatch):
    """The real rules plus one that crashes everywhere: still exit 3 and no traceback by default."""
    real = Registry.load()
    registry = Registry([*real.rules, crashing_rule()])
    code, _out, err = cli(["--format", "json"], capsys, monkeypatch, registry)
    assert code == 3
    assert "Traceback" not in err


# ------------------------------------------------------------------- notices


def test_notices_and_quiet(repo, capsys, monkeypatch):
    (repo / ".github" / "workflows" / "big.yml").write_text(WORKFLOW_WITH_FLAG + "#" * 200 + "\n")
    (repo / "pipelint.toml").write_text("max-file-size = 300\n")
    code, _out, err = cli([], capsys, monkeypatch)
    assert code == 1
    size = (repo / ".github" / "workflows" / "big.yml").stat().st_size
    assert err == f"pipelint: skipped .github/workflows/big.yml: {size:,} bytes is over the 300-byte limit (max-file-size)\n"
    code, _out, err = cli(["-q"], capsys, monkeypatch)
    assert (code, err) == (1, "")
