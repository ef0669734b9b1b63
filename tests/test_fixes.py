"""The fix engine (pipelint.fixes) and the CLI's --fix / --unsafe-fixes / --diff."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess

import pytest

from conftest import WORKFLOW_WITH_FLAG, _TEST_DOC, run_cli, run_lint, test_registry, write_tree
from pipelint import fixes
from pipelint.config import Settings
from pipelint.diagnostics import Applicability, Edit, Fix
from pipelint.fixes import OverlapError, apply_edits

WF = ".github/workflows/ci.yml"


def fixing_rule(code="PL902", replacement="OK", applicability=Applicability.SAFE, marker="FLAG"):
    """Flags ``marker`` in scalar values and offers to replace it with ``replacement``."""
    from pipelint.diagnostics import Severity
    from pipelint.rule import Rule
    from pipelint.yamltree import Scalar, walk

    def check(self, ctx):
        file = ctx.file.file
        for doc in ctx.file.documents:
            for path, node in walk(doc.root):
                if isinstance(node, Scalar) and node.style in ("", "|"):
                    at = node.value.find(marker)
                    while at >= 0:
                        span = file.scalar_span(node, at, at + len(marker))
                        edit = Edit(file.path, span.start.offset, span.end.offset, replacement)
                        yield self.diagnostic(
                            span,
                            f"found {marker}; replace it",
                            fix=Fix(f"replace {marker}", (edit,), applicability),
                            logical_path=".".join(str(p) for p in path) + f"@{at}",
                        )
                        at = node.value.find(marker, at + 1)

    attrs = {
        "__doc__": _TEST_DOC.format(marker=marker),
        "code": code,
        "name": f"test-fix-{code.lower()}",
        "severity": Severity.WARNING,
        "platforms": ("github",),
        "tags": ("test",),
        "fixable": True,
        "origin": "tests.test_fixes",
        "check": check,
    }
    return type(f"Fixing{code}", (Rule,), attrs)


def registry_with(*rules):
    from pipelint.registry import Registry
    from pipelint.rules.pl001_invalid_file import InvalidFile

    return Registry([InvalidFile, *rules])


def settings_for(*codes):
    s = Settings()
    s.select = list(codes)
    return s


# ------------------------------------------------------------------ apply_edits


def test_apply_edits_splices_and_keeps_every_other_byte():
    text = "a\r\nb FLAG c\r\n\u00e9\U0001f600 FLAG\r\n"
    edits = [Edit("f", 5, 9, "OK"), Edit("f", 16, 20, "OK"), Edit("f", 0, 0, "# top\r\n")]
    assert apply_edits(text, edits) == "# top\r\na\r\nb OK c\r\n\u00e9\U0001f600 OK\r\n"


def test_apply_edits_refuses_overlaps():
    with pytest.raises(OverlapError):
        apply_edits("abcdef", [Edit("f", 1, 4, "x"), Edit("f", 3, 5, "y")])


# ------------------------------------------------------------------ the engine


def test_fix_applies_safe_fixes_and_relints(tmp_path):
    write_tree(tmp_path, {WF: WORKFLOW_WITH_FLAG.replace("echo FLAG", "echo FLAG FLAG")})
    outcome = fixes.fix([str(tmp_path)], settings_for("PL902"), registry_with(fixing_rule()), cwd=str(tmp_path))
    assert len(outcome.fixed) == 2 and not outcome.refused
    (change,) = outcome.changes.values()
    assert change.after == WORKFLOW_WITH_FLAG.replace("echo FLAG", "echo OK OK")
    assert outcome.result.active == []
    assert (tmp_path / WF).read_text() != change.after  # nothing written yet
    assert fixes.write(outcome.changes) == []
    assert (tmp_path / WF).read_text() == change.after


def test_unsafe_fixes_need_the_flag(tmp_path):
    write_tree(tmp_path, {WF: WORKFLOW_WITH_FLAG})
    registry = registry_with(fixing_rule(applicability=Applicability.UNSAFE))
    assert fixes.fix([str(tmp_path)], settings_for("PL902"), registry, cwd=str(tmp_path)).changes == {}
    assert len(fixes.fix([str(tmp_path)], settings_for("PL902"), registry, unsafe=True, cwd=str(tmp_path)).changes) == 1


def test_a_fix_that_breaks_the_file_is_refused(tmp_path):
    write_tree(tmp_path, {WF: WORKFLOW_WITH_FLAG})
    registry = registry_with(fixing_rule(replacement="x: y"))
    outcome = fixes.fix([str(tmp_path)], settings_for("PL902", "PL001"), registry, cwd=str(tmp_path))
    assert outcome.changes == {}
    assert [reason for _d, reason in outcome.refused] == ["the fixed file does not parse (PL001)"]


def test_a_fix_that_does_not_remove_its_finding_is_refused(tmp_path):
    write_tree(tmp_path, {WF: WORKFLOW_WITH_FLAG})
    registry = registry_with(fixing_rule(replacement="FLAG"))
    outcome = fixes.fix([str(tmp_path)], settings_for("PL902"), registry, cwd=str(tmp_path))
    assert outcome.changes == {}
    assert [reason for _d, reason in outcome.refused] == ["the fix did not remove its finding"]


def test_a_fix_that_adds_another_finding_is_refused(tmp_path):
    write_tree(tmp_path, {WF: WORKFLOW_WITH_FLAG})
    registry = registry_with(fixing_rule(replacement="BAD"), fixing_rule("PL903", marker="BAD", replacement="x"))
    outcome = fixes.fix([str(tmp_path)], settings_for("PL902", "PL903"), registry, cwd=str(tmp_path))
    # PL902's edit would add a PL903 finding: refused; nothing else changes
    assert outcome.changes == {}
    assert [(d.code, reason) for d, reason in outcome.refused] == [("PL902", "the fix would add a PL903 finding")]


def test_overlapping_fixes_are_applied_over_passes(tmp_path):
    # two rules edit the same word: one per pass, the second is re-linted and dropped
    write_tree(tmp_path, {WF: WORKFLOW_WITH_FLAG})
    registry = registry_with(fixing_rule("PL902", "OK"), fixing_rule("PL903", "OK"))
    outcome = fixes.fix([str(tmp_path)], settings_for("PL902", "PL903"), registry, cwd=str(tmp_path))
    assert len(outcome.fixed) == 1 and outcome.result.active == []
    assert "echo OK" in next(iter(outcome.changes.values())).after


def test_write_keeps_crlf_bom_and_mode_and_reports_problems(tmp_path):
    path = tmp_path / WF
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xef\xbb\xbf" + WORKFLOW_WITH_FLAG.replace("\n", "\r\n").encode())
    os.chmod(path, 0o640)
    outcome = fixes.fix([str(tmp_path)], settings_for("PL902"), registry_with(fixing_rule()), cwd=str(tmp_path))
    assert fixes.write(outcome.changes) == []
    data = path.read_bytes()
    assert data == b"\xef\xbb\xbf" + WORKFLOW_WITH_FLAG.replace("\n", "\r\n").replace("echo FLAG", "echo OK").encode()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    # a file changed on disk after linting, and a vanished one, are left alone and reported
    write_tree(tmp_path, {WF: WORKFLOW_WITH_FLAG})
    outcome = fixes.fix([str(tmp_path)], settings_for("PL902"), registry_with(fixing_rule()), cwd=str(tmp_path))
    path.write_text(WORKFLOW_WITH_FLAG + "# edited meanwhile\n")
    assert fixes.write(outcome.changes) == [f"{WF}: the file changed while pipelint ran; not fixed"]
    path.unlink()
    assert fixes.write(outcome.changes) == [f"{WF}: the file vanished; not fixed"]


def test_a_file_that_cannot_be_replaced_is_reported_and_left_whole(tmp_path, monkeypatch):
    write_tree(tmp_path, {WF: WORKFLOW_WITH_FLAG})
    outcome = fixes.fix([str(tmp_path)], settings_for("PL902"), registry_with(fixing_rule()), cwd=str(tmp_path))

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(fixes.os, "replace", refuse)
    assert fixes.write(outcome.changes) == [f"{WF}: Permission denied; not fixed"]
    assert (tmp_path / WF).read_text() == WORKFLOW_WITH_FLAG
    assert [p.name for p in (tmp_path / WF).parent.iterdir()] == ["ci.yml"]  # no temporary file left


# ------------------------------------------------------------------ the CLI


def test_cli_fix_diff_and_patch(tmp_path, capsys, monkeypatch):
    registry = registry_with(fixing_rule(), fixing_rule("PL903", "SAFE", Applicability.UNSAFE, marker="UNSAFE"))
    text = WORKFLOW_WITH_FLAG.replace("echo FLAG", "echo FLAG UNSAFE")
    write_tree(tmp_path, {WF: text})
    monkeypatch.chdir(tmp_path)
    code, out, _err = run_cli(["--diff", "."], capsys, registry, monkeypatch)
    assert code == 1 and out.startswith(f"--- a/{WF}\n+++ b/{WF}\n")
    assert (tmp_path / WF).read_text() == text  # --diff changes nothing
    code, _out, err = run_cli(["--fix", "."], capsys, registry, monkeypatch)
    assert "fixed 1 finding(s) in 1 file(s); 1 remain (1 more with --unsafe-fixes)" in err and code == 1
    code, _out, err = run_cli(["--fix", "--unsafe-fixes", "."], capsys, registry, monkeypatch)
    assert "fixed 1 finding(s) in 1 file(s); 0 remain" in err and code == 0
    assert (tmp_path / WF).read_text() == text.replace("FLAG UNSAFE", "OK SAFE")
    code, out, _err = run_cli(["--diff", "."], capsys, registry, monkeypatch)
    assert (code, out) == (0, "")


@pytest.mark.skipif(shutil.which("patch") is None, reason="the patch program is not installed")
def test_diff_applies_with_patch_p1(tmp_path, capsys, monkeypatch):
    registry = registry_with(fixing_rule(), fixing_rule("PL903", "SAFE", Applicability.UNSAFE, marker="UNSAFE"))
    crlf = WORKFLOW_WITH_FLAG.replace("echo FLAG", "echo FLAG UNSAFE").replace("\n", "\r\n")
    write_tree(tmp_path, {WF: WORKFLOW_WITH_FLAG, "sub/action.yml": "runs:\n  using: composite\n  steps:\n    - run: echo FLAG\n      shell: bash"})
    (tmp_path / ".github/workflows/crlf.yml").write_bytes(crlf.encode())
    monkeypatch.chdir(tmp_path)
    code, out, _err = run_cli(["--diff", "."], capsys, registry, monkeypatch)
    assert code == 1
    copy = tmp_path.parent / (tmp_path.name + "-patched")
    shutil.copytree(tmp_path, copy)
    subprocess.run(["patch", "-p1", "--quiet", "--binary"], input=out.encode(), cwd=copy, check=True)
    code, _out, _err = run_cli(["--fix", "--unsafe-fixes", "."], capsys, registry, monkeypatch)
    for rel in (WF, ".github/workflows/crlf.yml", "sub/action.yml"):
        assert (copy / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel
    assert (tmp_path / "sub/action.yml").read_text().endswith("echo OK\n      shell: bash")  # no newline added


def test_cli_action_pins_file_errors_are_usage_errors(tmp_path, capsys, monkeypatch):
    write_tree(tmp_path, {WF: WORKFLOW_WITH_FLAG, "pins.json": '{"actions/checkout@v4": "nope"}'})
    monkeypatch.chdir(tmp_path)
    code, _out, err = run_cli(["--action-pins", "pins.json", "."], capsys, test_registry(), monkeypatch)
    assert code == 2 and "40-hex commit SHA" in err


def test_fixed_files_are_not_read_as_dockerfiles(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM alpine:3.20\n", "Dockerfile.fixed": "not a dockerfile at all\n"})
    result = run_lint(tmp_path, select=["PL001"])
    assert result.files == 1


def test_sarif_fixes_are_valid_and_reproduce_the_fixed_file(tmp_path):
    import json

    from conftest import FIXTURES
    from pipelint.reporters import sarif as sarif_reporter
    from pipelint.registry import Registry

    jsonschema = pytest.importorskip("jsonschema")
    case = FIXTURES / "PL601" / "bad" / "node-api"
    root = tmp_path / "repo"
    shutil.copytree(case, root)
    (root / "services/api/Dockerfile.fixed").unlink()
    registry = Registry.load()
    log = sarif_reporter.build(run_lint(root, select=["PL601"], registry=registry), registry)
    schema = json.loads((FIXTURES.parent / "schemas" / "sarif-2.1.0.json").read_text(encoding="utf-8"))
    assert not list(jsonschema.validators.validator_for(schema)(schema).iter_errors(log))
    [result] = log["runs"][0]["results"]
    [fix] = result["fixes"]
    assert fix["description"]["text"].endswith("(unsafe)")
    [change] = fix["artifactChanges"]
    text = (root / "services/api/Dockerfile").read_text(encoding="utf-8")
    for rep in sorted(change["replacements"], key=lambda r: r["deletedRegion"]["charOffset"], reverse=True):
        at, length = rep["deletedRegion"]["charOffset"], rep["deletedRegion"]["charLength"]
        text = text[:at] + rep["insertedContent"]["text"] + text[at + length :]
    assert text == (case / "services/api/Dockerfile.fixed").read_text(encoding="utf-8")


def test_fix_writes_the_remaining_findings_where_asked(tmp_path, capsys, monkeypatch):
    import json

    registry = registry_with(fixing_rule(), fixing_rule("PL903", "SAFE", Applicability.UNSAFE, marker="UNSAFE"))
    write_tree(tmp_path, {WF: WORKFLOW_WITH_FLAG.replace("echo FLAG", "echo FLAG UNSAFE")})
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["--fix", "--format", "json", "-o", "left.json", "--sarif-output", "left.sarif", "."], capsys, registry, monkeypatch)
    assert code == 1 and out == ""
    assert [d["code"] for d in json.loads((tmp_path / "left.json").read_text())["diagnostics"]] == ["PL903"]
    assert json.loads((tmp_path / "left.sarif").read_text())["runs"][0]["results"][0]["ruleId"] == "PL903"
