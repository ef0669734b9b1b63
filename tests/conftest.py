"""Shared test helpers: run pipelint in-process on a folder or on text."""

from __future__ import annotations

import os
import shutil
import tempfile
import textwrap
from pathlib import Path

import pytest

from pipelint.config import Settings
from pipelint.engine import lint
from pipelint.registry import Registry

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
CORPUS = REPO.parent / "shared" / "corpus"

# The test run keeps pipelint's on-disk cache (compiled schema checkers) to itself,
# subprocesses included, and removes it at the end.
_TEST_CACHE = tempfile.mkdtemp(prefix="pipelint-test-cache-")
os.environ["PIPELINT_CACHE_DIR"] = _TEST_CACHE
os.environ["XDG_CONFIG_HOME"] = os.path.join(_TEST_CACHE, "config")  # the cache signing key
os.environ.pop("PIPELINT_NO_CACHE", None)


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_TEST_CACHE, ignore_errors=True)


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry.load()


def run_lint(root: Path, select: list[str] | None = None, settings: Settings | None = None, registry: Registry | None = None):
    """Lint ``root`` as if pipelint were started in it; paths in results are relative to it."""
    settings = settings or Settings()
    if select is not None:
        settings.select = select
    return lint([str(root)], settings, registry or Registry.load(), cwd=str(root))


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Create files (dedented) under ``root``; returns root."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def findings(result, code: str | None = None) -> list[tuple[str, int, int, str]]:
    """(path, line, column, code) of active findings, sorted."""
    return sorted(
        (d.path, d.line, d.column, d.code) for d in result.active if code is None or d.code == code
    )


# ------------------------------------------------------------- test-only rules
# Core tests use tiny rules of their own (codes in the unused PL9xx range) so that they do
# not depend on the state of the real rules; PL001 and PL005 are the real ones.

_TEST_DOC = """## What it does
Flags the word {marker} wherever it appears in a YAML value (a test-only rule).

## Why is this bad?
It is not: the rule exists so that core tests have a finding at a known place.

## Example
```yaml
steps:
  - run: echo {marker}
```

## Use instead
```yaml
steps:
  - run: echo ok
```
"""


def marker_rule(code: str = "PL901", name: str = "test-marker", marker: str = "FLAG", severity=None, tags=("test",)):
    """A rule class reporting every occurrence of ``marker`` in any scalar value."""
    from pipelint.diagnostics import Severity
    from pipelint.rule import Rule
    from pipelint.yamltree import Scalar, walk

    def check(self, ctx):
        file = ctx.file.file
        for doc in ctx.file.documents:
            for path, node in walk(doc.root):
                if not isinstance(node, Scalar):
                    continue
                at = node.value.find(marker)
                while at >= 0:
                    yield self.diagnostic(
                        file.scalar_span(node, at, at + len(marker)),
                        f"found {marker}; replace it so that the test has something to report",
                        logical_path=".".join(str(p) for p in path),
                    )
                    at = node.value.find(marker, at + 1)

    attrs = {
        "__doc__": _TEST_DOC.format(marker=marker),
        "code": code,
        "name": name,
        "severity": severity or Severity.WARNING,
        "platforms": ("github",),
        "tags": tuple(tags),
        "precision": "high",
        "origin": "tests.conftest",
        "check": check,
    }
    return type(f"Marker{code}", (Rule,), attrs)


def crashing_rule(code: str = "PL999", name: str = "test-crash", when: str = ""):
    """A rule that raises on every file whose path contains ``when``."""
    from pipelint.rule import Rule

    def check(self, ctx):
        if when in ctx.file.file.path:
            raise RuntimeError(f"boom in {ctx.file.file.path}")
        return ()

    attrs = {
        "__doc__": _TEST_DOC.format(marker="nothing"),
        "code": code,
        "name": name,
        "platforms": ("github",),
        "tags": ("test",),
        "origin": "tests.conftest",
        "check": check,
    }
    return type(f"Crash{code}", (Rule,), attrs)


def test_registry(*extra) -> Registry:
    """PL001 and PL005 (real), the PL901 marker rule (FLAG) and ``extra`` rule classes."""
    from pipelint.rules.pl001_invalid_file import InvalidFile
    from pipelint.rules.pl005_unused_suppression import UnusedSuppression

    return Registry([InvalidFile, UnusedSuppression, marker_rule(), *extra])


test_registry.__test__ = False  # not a test function for pytest


def run_cli(argv: list[str], capsys, registry: Registry | None = None, monkeypatch=None) -> tuple[int, str, str]:
    """Run ``pipelint`` in-process; with ``registry`` (needs ``monkeypatch``) instead of the real one."""
    from pipelint import cli

    if registry is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(cli, "_registry", lambda: registry)
    capsys.readouterr()
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


WORKFLOW_WITH_FLAG = """\
name: ci
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo FLAG
"""
