"""Rule documentation: docs/rules/PLxxx.md is generated from the docstrings and kept in sync."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import REPO
from pipelint.docs import render_rule_markdown, write_all
from pipelint.registry import Registry

DOCS = REPO / "docs" / "rules"
HEADINGS = ["## What it does", "## Why is this bad?", "## Example", "## Use instead"]


def _builtin():
    return [r for r in Registry.load().rules if r.origin.startswith("pipelint.rules")]


BUILTIN = _builtin()


def test_committed_pages_are_what_the_generator_writes(tmp_path):
    # a fresh interpreter (another hash seed), as the lead engineer runs it
    proc = subprocess.run(
        [sys.executable, "-m", "pipelint.docs", str(tmp_path)], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    generated = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.glob("*.md")}
    committed = {p.name: p.read_text(encoding="utf-8") for p in DOCS.glob("*.md")} if DOCS.is_dir() else {}
    hint = "regenerate with: python -m pipelint.docs docs/rules"
    assert sorted(committed) == sorted(generated), hint
    stale = [name for name in generated if committed[name] != generated[name]]
    assert not stale, f"{stale}: {hint}"
    assert proc.stdout.splitlines() == [str(tmp_path / name) for name in sorted(generated)]


@pytest.mark.parametrize("rule", BUILTIN, ids=[r.code for r in BUILTIN])
def test_every_builtin_rule_has_a_page(rule):
    page = DOCS / f"{rule.code}.md"
    assert page.is_file(), f"missing {page.relative_to(REPO)}"
    assert page.read_text(encoding="utf-8") == render_rule_markdown(rule)


@pytest.mark.parametrize("rule", BUILTIN, ids=[r.code for r in BUILTIN])
def test_docstring_has_the_four_headings(rule):
    doc = rule.documentation()
    headings = [line.rstrip() for line in doc.splitlines() if line.startswith("#")]
    assert headings == HEADINGS, f"{rule.code}: headings {headings}"
    sections = dict(zip(HEADINGS, re.split(r"^## .*$", doc, flags=re.M)[1:]))
    for heading, body in sections.items():
        assert body.strip(), f"{rule.code}: empty section {heading!r}"
    for heading in ("## Example", "## Use instead"):
        fenced = re.search(r"^```(?:yaml|dockerfile|sql)\n.+?^```$", sections[heading], flags=re.M | re.S)
        assert fenced, f"{rule.code}: {heading} needs a fenced yaml, dockerfile or sql block"
    assert rule.summary().endswith(".") and len(rule.summary()) > 20


def test_page_layout():
    from pipelint.rules.pl001_invalid_file import InvalidFile

    page = render_rule_markdown(InvalidFile)
    assert page.startswith(
        "# PL001 invalid-file\n\n"
        "Severity: **error** · Platforms: github, gitlab, azure, argo, kubernetes, docker, sql · "
        "Fixable: no · Tags: correctness\n\n## What it does\n"
    )
    assert page.endswith("```\n")
    assert not any(line != line.rstrip() for line in page.splitlines())


def test_options_table():
    from conftest import marker_rule

    rule = marker_rule()
    rule.options = {"allow": [], "max": 3}
    page = render_rule_markdown(rule)
    assert page.endswith("\n## Options\n\n| option | default |\n|---|---|\n| `allow` | `[]` |\n| `max` | `3` |\n")


def test_write_all_skips_third_party_rules(tmp_path):
    from conftest import marker_rule

    registry = Registry([*Registry.load().rules, marker_rule()])
    written = write_all(str(tmp_path), registry)
    assert sorted(p.rsplit("/", 1)[1] for p in written) == sorted(f"{r.code}.md" for r in BUILTIN)
