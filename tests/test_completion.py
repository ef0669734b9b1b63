"""``pipelint completion bash|zsh|fish``: scripts generated from the real parsers."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from conftest import REPO
from pipelint import cli
from pipelint.completion import SHELLS, script
from pipelint.registry import Registry

SCRIPTS = {shell: script(shell) for shell in SHELLS}
LINT = cli._lint_parser()
LONG_OPTIONS = sorted({s for a in LINT._actions for s in a.option_strings if s.startswith("--")})
CODES = [e.code for e in Registry.load().entries]


def _spelling(shell: str, option: str) -> str:
    """How ``option`` (``--format``) appears in the script of ``shell``."""
    return f"-l {option[2:]}" if shell == "fish" else option


@pytest.mark.parametrize("shell", SHELLS)
def test_every_long_option_of_the_lint_parser_is_completed(shell):
    text = SCRIPTS[shell]
    missing = [o for o in LONG_OPTIONS if _spelling(shell, o) not in text]
    assert not missing, f"{shell}: {missing}"


@pytest.mark.parametrize("shell", SHELLS)
def test_subcommands_choices_and_rule_codes_are_in_the_script(shell):
    text = SCRIPTS[shell]
    for name in cli.SUBCOMMANDS:
        assert name in text
    for action in LINT._actions:
        for choice in action.choices or ():
            assert choice in text, f"{shell}: choice {choice!r} of {action.option_strings}"
    assert all(code in text for code in CODES)


def test_command_prints_the_script_and_exits_0():
    proc = subprocess.run(
        [sys.executable, "-m", "pipelint", "completion", "bash"], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == SCRIPTS["bash"]


@pytest.mark.parametrize("argv", [["tcsh"], [], ["bash", "zsh"]], ids=["unknown-shell", "no-shell", "two-shells"])
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["completion", *argv])
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and "usage: pipelint completion" in err


@pytest.mark.parametrize("shell", SHELLS)
def test_shell_accepts_the_syntax(shell, tmp_path):
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed: its syntax check needs it")
    path = tmp_path / f"pipelint.{shell}"
    path.write_text(SCRIPTS[shell], encoding="utf-8")
    proc = subprocess.run([shell, "-n", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


# ------------------------------------------------------------- bash, exercised


def _bash_complete(words: list[str], tmp_path) -> list[str]:
    """COMPREPLY after the completion function ran on ``words`` (the last one is the
    word under the cursor)."""
    path = tmp_path / "pipelint.bash"
    path.write_text(SCRIPTS["bash"], encoding="utf-8")
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    program = (
        f"source '{path}'\n"
        f"COMP_WORDS=({quoted})\n"
        "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
        'COMP_LINE="${COMP_WORDS[*]}"\n'
        "COMP_POINT=${#COMP_LINE}\n"
        "_pipelint\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    proc = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return [line for line in proc.stdout.splitlines() if line]


def test_bash_completes_a_long_option(tmp_path):
    assert _bash_complete(["pipelint", "--for"], tmp_path) == ["--format"]


def test_bash_completes_the_format_choices_from_the_parser(tmp_path):
    (action,) = [a for a in LINT._actions if "--format" in a.option_strings]
    assert _bash_complete(["pipelint", "--format", ""], tmp_path) == list(action.choices)
    assert _bash_complete(["pipelint", "--format", "j"], tmp_path) == ["json"]
    assert _bash_complete(["pipelint", "--format", "=", "sa"], tmp_path) == ["sarif"]  # --format=sa


def test_bash_completes_rule_codes(tmp_path):
    expected = [c for c in CODES if c.startswith("PL50")]
    assert expected
    assert _bash_complete(["pipelint", "rule", "PL50"], tmp_path) == expected
    assert _bash_complete(["pipelint", "rule", "PL501", ""], tmp_path) == []  # one rule only


def test_bash_completes_the_last_item_of_a_selector_list(tmp_path):
    expected = [f"PL501,{c}" for c in CODES if c.startswith("PL70")]
    assert _bash_complete(["pipelint", "--select", "PL501,PL70"], tmp_path) == expected
    assert _bash_complete(["pipelint", "--ignore", "=", "PL10"], tmp_path) == [c for c in CODES if c.startswith("PL10")]


def test_bash_completes_the_options_of_subcommands(tmp_path):
    # read from the subcommands' own parsers: `pipelint rules --format` has its own choices
    assert _bash_complete(["pipelint", "rules", "--format", ""], tmp_path) == ["text", "json"]
    assert _bash_complete(["pipelint", "rules", "--"], tmp_path) == ["--help", "--format"]


def test_bash_completes_subcommands_and_paths(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "repo").mkdir()
    got = _bash_complete(["pipelint", "r"], tmp_path)
    assert got == ["rules", "rule", "repo"]  # the folder named rules is ./rules
    assert _bash_complete(["pipelint", "completion", ""], tmp_path) == list(SHELLS)
    assert _bash_complete(["pipelint", "--cache-dir", "re"], tmp_path) == ["repo"]
    assert _bash_complete(["pipelint", "-q", "--select", "PL1", "re"], tmp_path) == ["repo"]


# ------------------------------------------------------------- fish, exercised


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completes_options_choices_and_rules(tmp_path):
    path = tmp_path / "pipelint.fish"
    path.write_text(SCRIPTS["fish"], encoding="utf-8")

    def complete(line: str) -> list[str]:
        proc = subprocess.run(
            ["fish", "--no-config", "-c", f"source {path}; complete -C '{line}'"],
            capture_output=True, text=True, cwd=tmp_path, timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        return [row.split("\t")[0] for row in proc.stdout.splitlines()]

    assert complete("pipelint --for") == ["--format"]
    (action,) = [a for a in LINT._actions if "--format" in a.option_strings]
    assert sorted(complete("pipelint --format ")) == sorted(action.choices)
    assert complete("pipelint rule PL50") == [c for c in CODES if c.startswith("PL50")]
    assert complete("pipelint --select PL501,PL70") == [f"PL501,{c}" for c in CODES if c.startswith("PL70")]
