"""Every rule's fixtures: ``fixtures/<CODE>/bad/<case>/`` and ``fixtures/<CODE>/good/<case>/``.

Each case folder is a small repository (with an optional ``pipelint.toml``: its
``extend-select`` adds rules a case needs beside the one under test, e.g. PL005 cases
need a rule whose finding a suppression covers; its rule options apply). A bad case has ``expected.txt`` listing the
findings of that rule exactly, one per line as ``path:line:column: CODE``; a good case
must produce no finding of that rule. Only the rule under test is enabled.
"""

from __future__ import annotations

import pytest

from conftest import FIXTURES, findings, run_lint
from pipelint.config import Settings, load_settings


def _cases():
    for rule_dir in sorted(p for p in FIXTURES.iterdir() if p.is_dir() and p.name.startswith("PL")):
        for verdict in ("bad", "good"):
            folder = rule_dir / verdict
            if folder.is_dir():
                for case in sorted(p for p in folder.iterdir() if p.is_dir()):
                    yield pytest.param(rule_dir.name, verdict, case, id=f"{rule_dir.name}-{verdict}-{case.name}")


def _expected(case) -> list[tuple[str, int, int, str]]:
    out = []
    for raw in (case / "expected.txt").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        location, code = line.rsplit(":", 1)
        path, row, col = location.rsplit(":", 2)
        out.append((path, int(row), int(col), code.strip()))
    return sorted(out)


@pytest.mark.parametrize("code, verdict, case", list(_cases()))
def test_fixture(code, verdict, case, registry):
    settings = load_settings(str(case)) if (case / "pipelint.toml").is_file() else Settings()
    settings.select = [code]
    result = run_lint(case, settings=settings, registry=registry)
    assert not result.internal_errors, result.internal_errors[0].traceback
    got = findings(result, code)
    if verdict == "good":
        assert got == [], f"{case} must stay quiet for {code}"
    else:
        expected = _expected(case)
        assert expected, f"{case}/expected.txt lists no finding"
        assert got == expected


def test_every_rule_has_bad_and_good_fixtures(registry):
    missing = []
    for rule in registry.rules:
        if not rule.origin.startswith("pipelint.rules"):
            continue
        for verdict in ("bad", "good"):
            folder = FIXTURES / rule.code / verdict
            if not folder.is_dir() or not any(p.is_dir() for p in folder.iterdir()):
                missing.append(f"{rule.code}/{verdict}")
    assert not missing, f"rules without fixtures: {missing}"


# ------------------------------------------------------------------ fixes
# A bad case may hold, beside a file the rule's fix edits, the expected result as
# `<file>.fixed` (byte for byte, after `--fix --unsafe-fixes` with only that rule
# selected). Files without a `.fixed` twin must come out unchanged, and a second fix run
# over the fixed texts must change nothing.


def _fixed_cases():
    for param in _cases():
        code, verdict, case = param.values
        if verdict == "bad" and any(p.suffix == ".fixed" for p in case.rglob("*.fixed")):
            yield param


@pytest.mark.parametrize("code, verdict, case", list(_fixed_cases()))
def test_fix_gives_the_fixed_file(code, verdict, case, registry, tmp_path):
    import shutil

    from pipelint import fixes

    root = tmp_path / case.name
    shutil.copytree(case, root)
    for twin in root.rglob("*.fixed"):
        twin.unlink()
    settings = load_settings(str(root)) if (root / "pipelint.toml").is_file() else Settings()
    settings.select = [code]
    outcome = fixes.fix([str(root)], settings, registry, unsafe=True, cwd=str(root))
    assert not outcome.result.internal_errors, outcome.result.internal_errors[0].traceback
    assert not outcome.refused, [(d.path, d.line, reason) for d, reason in outcome.refused]
    expected = {
        str(p.relative_to(case))[: -len(".fixed")]: p.read_bytes().decode("utf-8") for p in case.rglob("*.fixed")
    }
    got = {c.path: c.after for c in outcome.changes.values()}
    assert got == expected
    assert not fixes.write(outcome.changes)
    again = fixes.fix([str(root)], settings, registry, unsafe=True, cwd=str(root))
    assert again.changes == {}, "a second --fix must change nothing"
