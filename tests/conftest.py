"""Shared test helpers: run pipelint in-process on a folder or on text."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from pipelint.config import Settings
from pipelint.engine import lint
from pipelint.registry import Registry

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
CORPUS = REPO.parent / "shared" / "corpus"


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
