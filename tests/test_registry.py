"""The rule registry imports rule modules on first use (see ``pipelint.registry``).

Plugins here are real distributions laid out as pip installs them (a module and a
dist-info folder with ``entry_points.txt``) in a temporary folder put on ``sys.path``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import FIXTURES, run_cli
from pipelint.registry import Registry, RegistryError

RULE_MODULE = '''
from pipelint.rule import Rule


class Misnamed(Rule):
    """## What it does
    Nothing.
    """

    code = "XMP001"
    name = "misnamed-plugin-rule"
    platforms = ("github",)

    def check(self, ctx):
        return ()
'''


def _install(tmp_path, monkeypatch, module: str, entry_points: str, source: str = RULE_MODULE):
    site = tmp_path / "site"
    info = site / f"{module}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (site / f"{module}.py").write_text(source, encoding="utf-8")
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[pipelint.rules]\n{entry_points}\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, module, raising=False)


def test_code_selectors_import_nothing_a_name_imports_every_rule():
    registry = Registry.load()
    assert len(registry.entries) > 40 and not any(e.loaded for e in registry.entries)
    assert [e.code for e in registry.resolve_entries("PL70")] == ["PL701", "PL702", "PL703", "PL704"]
    assert registry.is_known("PL502") and registry.is_known("all") and not registry.is_known("PL999")
    assert not any(e.loaded for e in registry.entries)
    assert [e.code for e in registry.resolve_entries("script-injection")] == ["PL502"]
    assert all(e.loaded for e in registry.entries)  # names are read from the classes
    # an entry reads like its class
    entry = registry.entry("PL502")
    assert entry.name == "script-injection" and entry.load().documentation() == entry.documentation()


def test_a_run_taken_whole_from_the_cache_imports_no_rule(tmp_path):
    """A subprocess: the test process has imported every rule already."""
    script = (
        "import sys, json\n"
        "from pipelint.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "print(json.dumps([code, sorted(m for m in sys.modules if m.startswith('pipelint.rules.'))]))\n"
    )
    argv = [sys.executable, "-c", script, "-q", "--format", "json", "-o", str(tmp_path / "out.json"), "--cache-dir", str(tmp_path / "cache"), str(FIXTURES / "PL601")]
    runs = []
    for _ in range(2):
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        runs.append(json.loads(proc.stdout.splitlines()[-1]))
    (cold_code, cold_modules), (warm_code, warm_modules) = runs
    assert cold_code == warm_code == 1
    assert "pipelint.rules.pl601_copy_before_dependency_install" in cold_modules
    assert warm_modules == []


def test_an_entry_point_must_be_named_after_its_rule_code(tmp_path, monkeypatch, capsys):
    _install(tmp_path, monkeypatch, "pipelint_misnamed_plugin", "XMP002 = pipelint_misnamed_plugin:Misnamed")
    registry = Registry.load()
    assert registry.is_known("XMP002")  # known by its entry point, not imported yet
    with pytest.raises(RegistryError, match=r"entry point 'XMP002' .*names a rule with code XMP001"):
        registry.resolve("XMP002")
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n")
    code, _, err = run_cli(["--no-cache", str(repo)], capsys)
    assert code == 2 and "must be its rule's code" in err and "Traceback" not in err


def test_an_entry_point_name_that_is_not_a_code_is_refused_at_start(tmp_path, monkeypatch, capsys):
    _install(tmp_path, monkeypatch, "pipelint_badname_plugin", "my-rule = pipelint_badname_plugin:Misnamed")
    with pytest.raises(RegistryError, match=r"'my-rule' .*is not a rule code"):
        Registry.load()
    code, _, err = run_cli(["rules"], capsys)
    assert code == 2 and "is not a rule code" in err


def test_a_plugin_that_fails_to_import_is_a_usage_error_when_its_rule_runs(tmp_path, monkeypatch, capsys):
    """Imported in the main process before any worker forks: exit 2 with the entry point
    named, never an internal error (3) from a worker."""
    _install(tmp_path, monkeypatch, "pipelint_broken_plugin", "XMP001 = pipelint_broken_plugin:Misnamed", "raise ImportError('no such thing')\n")
    repo = tmp_path / "repo"
    (repo / "Dockerfile").parent.mkdir(parents=True, exist_ok=True)
    (repo / "Dockerfile").write_text("FROM python:3.12\n")
    code, _, err = run_cli(["--no-cache", str(repo)], capsys)
    assert code == 2, err
    assert "cannot load rule plugin 'XMP001'" in err and "no such thing" in err
    # not selected: never imported, no error
    code, _, err = run_cli(["--no-cache", "--ignore", "XMP", str(repo)], capsys)
    assert code in (0, 1) and "XMP001" not in err


CLASHING_MODULE = RULE_MODULE.replace('"misnamed-plugin-rule"', '"script-injection"')


def test_two_rules_with_one_name_stop_a_lint_run_that_selects_by_code(tmp_path, monkeypatch, capsys):
    """Names are not read to select by code, but a run that imports both rules refuses them."""
    _install(tmp_path, monkeypatch, "pipelint_clashing_plugin", "XMP001 = pipelint_clashing_plugin:Misnamed", CLASHING_MODULE)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "Dockerfile").write_text("FROM python:3.12\n")
    code, _, err = run_cli(["--no-cache", str(repo)], capsys)
    assert code == 2 and "duplicate rule name 'script-injection'" in err, err
