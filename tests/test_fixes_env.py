"""PL502/PL503 fixes: moving ``${{ }}`` into ``env:`` (pipelint.expression_flow)."""

from __future__ import annotations

import pytest

from conftest import run_lint
from pipelint.expression_flow import script_reference, shell_context


def _ref(script: str, language: str = "shell", name: str = "TITLE"):
    start = script.index("${{")
    end = script.index("}}", start) + 2
    got = script_reference(script, start, end, name, language)
    if got is None:
        return None
    a, b, text = got
    return script[:a] + text + script[b:]


@pytest.mark.parametrize(
    "script, fixed",
    [
        ('echo ${{ x }}\n', 'echo "$TITLE"\n'),
        ('echo "Title: ${{ x }}"\n', 'echo "Title: $TITLE"\n'),
        ('echo "${{ x }}_suffix"\n', 'echo "${TITLE}_suffix"\n'),
        ("t=${{ x }}\n", 't="$TITLE"\n'),
        ("gh pr edit --title=${{ x }}\n", 'gh pr edit --title="$TITLE"\n'),
        ("cat <<EOF\n${{ x }}\nEOF\n", "cat <<EOF\n$TITLE\nEOF\n"),
        ("cat <<'EOF'\n${{ x }}\nEOF\n", None),
        ("echo '${{ x }}'\n", None),
        ("echo x-${{ x }}\n", None),
        ("# ${{ x }}\n", None),
        ("for m in ${{ x }}; do echo $m; done\n", None),
        ('echo "$(echo ${{ x }})"\n', 'echo "$(echo "$TITLE")"\n'),
        ("echo ${VAR:-${{ x }}}\n", None),
    ],
)
def test_shell_reference(script, fixed):
    assert _ref(script) == fixed


@pytest.mark.parametrize(
    "script, language, fixed",
    [
        ('Write-Output "Hi ${{ x }}"', "pwsh", 'Write-Output "Hi ${env:TITLE}"'),
        ("Write-Output ${{ x }}", "pwsh", "Write-Output $env:TITLE"),
        ("Write-Output '${{ x }}'", "pwsh", None),
        ('const t = "${{ x }}";', "javascript", "const t = process.env.TITLE;"),
        ("const t = `T: ${{ x }}`;", "javascript", "const t = `T: ${process.env.TITLE}`;"),
        ('const t = "T: ${{ x }}";', "javascript", None),
        ('print("${{ x }}")', "python", 'print(os.environ["TITLE"])'),
        ('print(f"${{ x }}")', "python", None),
    ],
)
def test_other_languages(script, language, fixed):
    assert _ref(script, language) == fixed


def test_shell_context_follows_nesting():
    script = "a='x' \"$(b \"${{ y }}\")\""
    assert shell_context(script, script.index("${{")) == "double"


WORKFLOW = """on: issues
jobs:
  triage:
    runs-on: ubuntu-latest
    steps:
      - name: Echo
        env:
          OTHER: keep
        run: |
          echo "${{ github.event.issue.title }}"
          echo ${{ github.event.issue.title }} '${{ github.event.issue.body }}'
"""


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_one_fix_per_script_merges_env(tmp_path, registry, newline):
    from pipelint import fixes
    from pipelint.config import Settings

    wf = tmp_path / ".github" / "workflows" / "t.yml"
    wf.parent.mkdir(parents=True)
    wf.write_bytes(WORKFLOW.replace("\n", newline).encode())
    settings = Settings()
    settings.select = ["PL502"]
    outcome = fixes.fix([str(tmp_path)], settings, registry, unsafe=False, cwd=str(tmp_path))
    assert not outcome.refused
    (change,) = outcome.changes.values()
    expected = WORKFLOW.replace("OTHER: keep\n", "OTHER: keep\n          ISSUE_TITLE: ${{ github.event.issue.title }}\n")
    expected = expected.replace('echo "${{ github.event.issue.title }}"', 'echo "$ISSUE_TITLE"')
    expected = expected.replace("echo ${{ github.event.issue.title }} '", "echo \"$ISSUE_TITLE\" '")
    assert change.after == expected.replace("\n", newline)
    remaining = [d for d in run_lint(tmp_path, ["PL502"]).active if d.code == "PL502"]
    assert len(remaining) == 3  # nothing written yet; the single-quoted body stays fixless
    assert [d.fix is None for d in remaining] == [False, False, True]


def test_windows_default_shell_gets_no_fix(tmp_path):
    wf = tmp_path / ".github" / "workflows" / "t.yml"
    wf.parent.mkdir(parents=True)
    wf.write_text(WORKFLOW.replace("ubuntu-latest", "windows-latest"))
    found = [d for d in run_lint(tmp_path, ["PL502"]).active if d.code == "PL502"]
    assert found and all(d.fix is None for d in found)
