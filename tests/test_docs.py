"""Generated documentation: docs/rules/PLxxx.md from the rules' docstrings, the rule index,
docs/configuration.md from the config schema and docs/README.md, kept in sync."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from conftest import REPO
from pipelint import docs as docs_module
from pipelint.docs import render_rule_markdown, write_all
from pipelint.registry import Registry

DOCS_ROOT = REPO / "docs"
DOCS = DOCS_ROOT / "rules"
HEADINGS = ["## What it does", "## Why is this bad?", "## Example", "## Use instead"]
#: Hand-written files under docs/ (the generator never writes them).
HAND_WRITTEN = {"architecture.md"}
HINT = "regenerate with: python -m pipelint.docs"


def _builtin():
    return [r for r in Registry.load().rules if r.origin.startswith("pipelint.rules")]


BUILTIN = _builtin()


def _tree(root) -> dict[str, str]:
    """Relative path -> text of the Markdown files under ``root`` that the generator owns."""
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in root.rglob("*.md")
        if p.relative_to(root).as_posix() not in HAND_WRITTEN and p.relative_to(root).parts[0] != "images"
    }


def _stale(committed: dict[str, str], generated: dict[str, str]) -> list[str]:
    """Pages that are missing, different, or no longer generated (a removed rule's page)."""
    return sorted(name for name in committed.keys() | generated.keys() if committed.get(name) != generated.get(name))


def test_committed_pages_are_what_the_generator_writes(tmp_path):
    # a fresh interpreter (another hash seed), as the lead engineer runs it
    proc = subprocess.run(
        [sys.executable, "-m", "pipelint.docs", str(tmp_path)], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    generated = _tree(tmp_path)
    assert {"README.md", "configuration.md", "rules/index.md"} <= generated.keys()
    stale = _stale(_tree(DOCS_ROOT), generated)
    assert not stale, f"{stale}: {HINT}"
    assert proc.stdout.splitlines() == [str(tmp_path.joinpath(*name.split("/"))) for name in sorted(generated)]


def test_a_stale_or_leftover_page_is_caught(tmp_path):
    write_all(str(tmp_path))
    generated = _tree(tmp_path)
    (tmp_path / "configuration.md").write_text(generated["configuration.md"] + "\n", encoding="utf-8")
    (tmp_path / "rules" / "index.md").unlink()
    (tmp_path / "rules" / "PL999.md").write_text("# PL999 gone\n", encoding="utf-8")
    (tmp_path / "architecture.md").write_text("# hand-written\n", encoding="utf-8")
    assert _stale(_tree(tmp_path), generated) == ["configuration.md", "rules/PL999.md", "rules/index.md"]


def test_the_default_target_is_the_docs_folder(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pipelint.docs"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert _tree(tmp_path / "docs") == _tree(DOCS_ROOT)


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
    names = sorted(p[len(str(tmp_path)) + 1 :] for p in written)
    assert names == sorted(["README.md", "configuration.md", "rules/index.md", *(f"rules/{r.code}.md" for r in BUILTIN)])
    assert "PL901" not in (tmp_path / "rules" / "index.md").read_text(encoding="utf-8")


# ------------------------------------------------------------------ generated Markdown


def _generated() -> dict[str, str]:
    return docs_module.pages()


def _cells(line: str) -> list[str]:
    """The cells of a table row, split at pipes that are not escaped."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


@pytest.mark.parametrize("name", ["README.md", "configuration.md", "rules/index.md"])
def test_tables_render_and_lines_are_clean(name):
    text = _generated()[name]
    lines = text.splitlines()
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert not [line for line in lines if line != line.rstrip()], "trailing whitespace"
    width = None
    for i, line in enumerate(lines):
        if not line.startswith("|"):
            width = None
            continue
        if width is None:  # a header: the separator row follows
            width = len(_cells(line))
            assert re.fullmatch(r"\|(?:---\|)+", lines[i + 1]) and lines[i + 1].count("---") == width, line
        else:
            assert len(_cells(line)) == width, f"{name}: a cell holds an unescaped '|': {line}"


def test_cell_escapes_pipes_and_joins_lines():
    assert docs_module.cell("a | b\n  `x || y`") == "a \\| b `x \\|\\| y`"


def test_rule_index_lists_every_rule_once_under_its_family():
    index = _generated()["rules/index.md"]
    family = None
    seen: dict[str, str] = {}
    for line in index.splitlines():
        if line.startswith("## "):
            family = line[3:]
        elif line.startswith("| [PL"):
            code, name, severity, platforms, fixable, summary = _cells(line)
            m = re.fullmatch(r"\[(PL\d{3})\]\((PL\d{3})\.md\)", code)
            assert m and m[1] == m[2], code
            assert m[1] not in seen
            seen[m[1]] = family
            rule = Registry.load().get(m[1])
            assert (name, severity, fixable) == (rule.name, str(rule.severity), "yes" if rule.fixable else "no")
            assert platforms == ", ".join(rule.platforms)
            assert summary.endswith(".") and 20 < len(summary) < 300
    assert sorted(seen) == sorted(r.code for r in BUILTIN)
    for code, fam in seen.items():
        assert fam.startswith(f"PL{code[2]}xx — "), (code, fam)


def test_family_names_and_anchors():
    assert docs_module.anchor("PL1xx — approval gates and promotion order") == "pl1xx--approval-gates-and-promotion-order"
    assert docs_module.anchor("PL3xx — progressive delivery (Argo Rollouts)") == "pl3xx--progressive-delivery-argo-rollouts"
    assert docs_module.anchor("`[tool.pipelint.tables]`") == "toolpipelinttables"


def _schema_keys(schema: dict, node: dict, prefix: str = "") -> list[str]:
    keys = []
    for key, sub in node.get("properties", {}).items():
        keys.append(prefix + key)
        keys += _schema_keys(schema, sub, f"{prefix}{key}.")
    return keys


def test_configuration_page_documents_every_key_of_the_schema():
    schema = json.loads((REPO / "schemas" / "config.schema.json").read_text(encoding="utf-8"))
    page = _generated()["configuration.md"]
    documented = [_cells(line)[0] for line in page.splitlines() if line.startswith("| `")]
    keys = _schema_keys(schema, schema)
    assert len(keys) > 20
    assert sorted(documented) == sorted(f"`{k}`" for k in keys)
    for key, node in schema["properties"].items():
        if node.get("type") == "object" and node.get("properties"):
            assert f"\n## `[tool.pipelint.{key}]`\n" in page
    for rule in BUILTIN:
        for option in rule.options:
            assert f"| `{option}` |" in page, (rule.code, option)


def test_configuration_defaults_are_the_settings_defaults():
    page = _generated()["configuration.md"]
    rows = {_cells(line)[0]: _cells(line) for line in page.splitlines() if line.startswith("| `")}
    assert rows["`select`"][1:4] == ["list of strings", '`["ALL"]`', "not empty"]
    assert rows["`fail-on`"][1:4] == ["string", '`"warning"`', '`"error"`, `"warning"`, `"note"`']
    assert rows["`severity`"][1:4] == ["table of strings", "`{}`", '`"error"`, `"warning"`, `"note"`']
    assert rows["`per-file-ignores`"][1] == "table of lists of strings"
    assert rows["`max-file-size`"][1:4] == ["integer", "`5242880`", "≥ 1"]
    assert rows["`jobs`"][2] == "not set"
    assert rows["`migrations.require-undo`"][1:4] == ["boolean", "`true`", "`true`, `false`"]
    assert rows["`tables.deploy-commands`"][2] == "`[]`"
    assert "\n## Long defaults\n" in page and "production-environments = [" in page


def test_configuration_example_is_a_valid_config(tmp_path):
    from pipelint.config import load_settings

    page = _generated()["configuration.md"]
    (block,) = re.findall(r"^```toml\n(.*?)^```$", page, flags=re.M | re.S)[:1]
    assert block == docs_module.EXAMPLE_CONFIG and block.startswith("[tool.pipelint]\n")
    (tmp_path / "pyproject.toml").write_text(block, encoding="utf-8")
    settings = load_settings(str(tmp_path))  # validated against the schema: raises on a bad key
    assert settings.source and settings.ignore and settings.tables
    registry = Registry.load()
    selectors = settings.select + settings.extend_select + settings.ignore + list(settings.severity)
    selectors += [s for group in settings.per_file_ignores.values() for s in group]
    assert all(registry.is_known(s) for s in selectors)
    assert all(registry.get(name) is not None for name in settings.rules)


def test_readme_links_resolve():
    pages = _generated()
    readme = pages["README.md"]
    links = re.findall(r"\]\(([^)]+)\)", readme)
    assert {"rules/index.md", "configuration.md", "architecture.md"} <= {link.split("#")[0] for link in links}
    for link in links:
        target, _, fragment = link.partition("#")
        assert target in pages or (DOCS_ROOT / target).is_file(), link
        if fragment:
            headings = [line.lstrip("#").strip() for line in pages[target].splitlines() if line.startswith("#")]
            assert fragment in {docs_module.anchor(h) for h in headings}, link
