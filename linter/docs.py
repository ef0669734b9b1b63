"""Documentation generated from the code: the rules' docstrings and the config schema.

``python -m pipelint.docs [DIR]`` rewrites the generated pages under ``DIR`` (default
``docs``): ``README.md`` (the entry page), ``configuration.md`` (from
``schemas/config.schema.json``), ``rules/index.md`` (every rule by family) and
``rules/PLxxx.md`` (each rule's docstring). A test fails when the committed pages differ
from what the generator writes.
"""

from __future__ import annotations

import json
import os
import re
import sys

#: Rule families by the code's first digit (headings of the rule catalogue).
FAMILIES = {
    "0": "PL0xx — reading the project",
    "1": "PL1xx — approval gates and promotion order",
    "2": "PL2xx — verification, health checks, rollback",
    "3": "PL3xx — progressive delivery (Argo Rollouts)",
    "4": "PL4xx — Kubernetes rollout safety (Deployment, StatefulSet, Rollout pod templates)",
    "5": "PL5xx — pipeline security",
    "6": "PL6xx — container builds (Dockerfile, Containerfile)",
    "7": "PL7xx — database migrations",
}
OTHER_FAMILY = "Other rules"

#: The example of configuration.md (checked against the schema by the tests).
EXAMPLE_CONFIG = """\
[tool.pipelint]
ignore = ["PL504"]
fail-on = "error"
exclude = ["examples/", "vendor/**"]

[tool.pipelint.severity]
deploy-without-tests = "note"

[tool.pipelint.per-file-ignores]
".github/workflows/experiments/*.yml" = ["PL1"]

[tool.pipelint.tables]
deploy-commands = ["ship release"]

[tool.pipelint.rules.PL201]
deep-path = "/health/ready"
"""

#: Defaults longer than this are listed under the table, not in it.
_LONG_DEFAULT = 40
#: A summary longer than this loses its parenthesised asides.
_LONG_SUMMARY = 160


# ------------------------------------------------------------------ rule pages


def render_rule_markdown(rule) -> str:
    options = ""
    if rule.options:
        rows = "\n".join(f"| `{k}` | `{v!r}` |" for k, v in rule.options.items())
        options = f"\n## Options\n\n| option | default |\n|---|---|\n{rows}\n"
    fix = "yes" if rule.fixable else "no"
    return (
        f"# {rule.code} {rule.name}\n\n"
        f"Severity: **{rule.severity}** · Platforms: {', '.join(rule.platforms) or 'all'} · "
        f"Fixable: {fix} · Tags: {', '.join(rule.tags) or '-'}\n\n"
        f"{rule.documentation().strip()}\n"
        f"{options}"
    )


# ------------------------------------------------------------------ helpers


def cell(text: str) -> str:
    """``text`` as one Markdown table cell: one line, ``|`` escaped (also in code spans,
    as GitHub's tables require)."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _row(cells) -> str:
    return "| " + " | ".join(cell(c) for c in cells) + " |"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = [_row(header), "|" + "|".join("---" for _ in header) + "|"]
    lines += [_row(r) for r in rows]
    return "\n".join(lines) + "\n"


def anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to ``-``."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _top_level(text: str):
    """(index, character) of ``text`` outside code spans and brackets."""
    depth = 0
    code = False
    for i, ch in enumerate(text):
        if ch == "`":
            code = not code
        elif code:
            continue
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(depth - 1, 0)
        elif depth == 0:
            yield i, ch


def _what_it_does(rule) -> str:
    lines = rule.documentation().splitlines()
    out: list[str] = []
    inside = False
    for line in lines:
        if line.strip().lower().startswith("## what it does"):
            inside = True
        elif inside and line.startswith("#"):
            break
        elif inside and line.strip():
            out.append(line.strip())
    return " ".join(out)


def one_line_summary(rule) -> str:
    """The gist of 'What it does': its first sentence, up to a colon that starts a list
    of cases (outside code and brackets), without its asides between dashes, and
    without those in brackets when it stays long."""
    text = _what_it_does(rule) or rule.summary()
    for i, ch in _top_level(text):
        after = text[i + 1 : i + 2]
        if ch == ":" and after in (" ", ""):
            # a list of cases named in bold ("- **overlap**: ...") is summed up by the names
            terms = re.findall(r"(?:^|\s)- \*\*(.+?)\*\*", text[i + 1 :])
            text = text[:i] + (" " + ", ".join(terms[:-1]) + " or " + terms[-1] if len(terms) > 1 else "")
            break
        if ch == "." and after in (" ", "") and not re.search(r"(?:\be\.g|\bi\.e|\betc|\.\.)$", text[:i]):
            text = text[:i]
            break
    text = re.sub(r" — [^—]*? —(?= )", ",", text)  # an aside between dashes
    if len(text) > _LONG_SUMMARY:  # drop the "(...)" asides outside code spans
        out, depth, code = [], 0, False
        for ch in text:
            if ch == "`" and depth == 0:
                code = not code
            if not code and ch == "(":
                depth += 1
                continue
            if not code and ch == ")" and depth:
                depth -= 1
                continue
            if depth == 0:
                out.append(ch)
        text = re.sub(r"\s+([,.;])", r"\1", re.sub(r"\s{2,}", " ", "".join(out)))
    return text.strip().rstrip(".") + "."


def _builtin(registry) -> list:
    return [r for r in registry.rules if r.origin.startswith("pipelint.rules")]


def _family(code: str) -> str:
    m = re.match(r"^PL(\d)\d\d$", code)
    return FAMILIES.get(m[1], OTHER_FAMILY) if m else OTHER_FAMILY


def _families(rules) -> list[tuple[str, list]]:
    order = list(FAMILIES.values()) + [OTHER_FAMILY]
    grouped: dict[str, list] = {}
    for rule in sorted(rules, key=lambda r: r.code):
        grouped.setdefault(_family(rule.code), []).append(rule)
    return [(f, grouped[f]) for f in order if f in grouped]


# ------------------------------------------------------------------ rules/index.md


def render_rules_index(rules) -> str:
    families = _families(rules)
    parts = [
        "# Rules\n\n",
        f"pipelint has {len(rules)} built-in rules in {len(families)} families. Each code links to the rule's page "
        "(what it does, why it matters, an example and the fix). A rule is selected by its code, its name or a code "
        "prefix such as `PL5` (see [configuration](../configuration.md)); the severity is its default; "
        "fixable rules have a fix that `pipelint --fix` (or `--unsafe-fixes`) applies.\n\n",
    ]
    parts += [f"- [{title}](#{anchor(title)}) ({len(group)})\n" for title, group in families]
    for title, group in families:
        rows = [
            [
                f"[{r.code}]({r.code}.md)",
                r.name,
                str(r.severity),
                ", ".join(r.platforms) or "all",
                "yes" if r.fixable else "no",
                one_line_summary(r),
            ]
            for r in group
        ]
        parts.append(f"\n## {title}\n\n")
        parts.append(_table(["code", "name", "severity", "platforms", "fixable", "summary"], rows))
    return "".join(parts)


# ------------------------------------------------------------------ configuration.md


def _load_schema() -> dict:
    from importlib import resources

    return json.loads(resources.files("pipelint.schemas").joinpath("config.schema.json").read_text("utf-8"))


def _resolve(schema: dict, node: dict) -> tuple[dict, str]:
    """``node`` with its ``$ref`` merged in, and the description of the definition."""
    ref = node.get("$ref")
    if not ref:
        return node, ""
    target = schema
    for part in ref.lstrip("#/").split("/"):
        target = target[part]
    merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return merged, target.get("description", "")


def _type(schema: dict, node: dict) -> str:
    node, _ = _resolve(schema, node)
    kind = node.get("type")
    if kind == "array":
        return f"list of {_type(schema, node.get('items', {}))}s"
    if kind == "object":
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and not node.get("properties"):
            inner = _type(schema, extra)
            if inner.startswith("list of "):
                return f"table of lists of {inner[len('list of '):]}"
            return f"table of {inner}s"
        return "table"
    return {"integer": "integer", "number": "number", "boolean": "boolean", "string": "string"}.get(kind, kind or "any")


def _allowed(schema: dict, node: dict) -> str:
    node, _ = _resolve(schema, node)
    kind = node.get("type")
    if "enum" in node:
        return ", ".join(f"`{json.dumps(v)}`" for v in node["enum"])
    if kind == "array":
        return _allowed(schema, node.get("items", {}))
    if kind == "object":
        extra = node.get("additionalProperties")
        return _allowed(schema, extra) if isinstance(extra, dict) and not node.get("properties") else ""
    if kind == "boolean":
        return "`true`, `false`"
    bounds = []
    if "minimum" in node:
        bounds.append(f"≥ {node['minimum']}")
    if "maximum" in node:
        bounds.append(f"≤ {node['maximum']}")
    if node.get("pattern") == "\\S" or (kind == "string" and node.get("minLength", 0) >= 1):
        bounds.append("not empty")
    return ", ".join(bounds)


def toml_value(value) -> str:
    """A default as TOML."""
    from .diagnostics import Severity

    if isinstance(value, Severity):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items()) + "}"
    return str(value)


_MISSING = object()


def _default(settings, dotted: str):
    """The default of ``dotted`` (a key of ``[tool.pipelint]``, ``tables.x`` for a
    nested one) as the settings hold it, or _MISSING."""
    attribute = dotted.replace(".", "_").replace("-", "_")
    if hasattr(settings, attribute):
        return getattr(settings, attribute)
    head, _, tail = dotted.partition(".")
    container = getattr(settings, head.replace("-", "_"), None)
    if tail and isinstance(container, dict):
        return container.get(tail, [])  # rows added to a table: none by default
    return _MISSING


def _description(node: dict, definition: str) -> str:
    return " ".join(part.strip() for part in (node.get("description", ""), definition) if part.strip())


def render_configuration(schema: dict | None = None, rules=()) -> str:
    from .config import CONFIG_FILES, Settings

    schema = schema or _load_schema()
    names = [f"`{n}`" + (" with a `[tool.pipelint]` table" if n == "pyproject.toml" else "") for n in CONFIG_FILES]
    files = ", ".join(names[:-1]) + " or " + names[-1]
    settings = Settings()
    long_defaults: list[tuple[str, str]] = []

    def rows_of(properties: dict, prefix: str) -> list[list[str]]:
        rows = []
        for key, node in properties.items():
            dotted = f"{prefix}{key}"
            merged, definition = _resolve(schema, node)
            value = _default(settings, dotted)
            if value is _MISSING and merged.get("type") == "object":
                shown = "`{}`"
            elif value is _MISSING or value is None:
                shown = "not set"
            else:
                shown = toml_value(value)
                if len(shown) > _LONG_DEFAULT:
                    long_defaults.append((dotted, shown))
                    shown = f"see [below](#{anchor('Long defaults')})"
                else:
                    shown = f"`{shown}`"
            described = _description(node, definition)
            if merged.get("type") == "object" and merged.get("properties"):
                described += f" Keys: see [`[tool.pipelint.{dotted}]`](#{anchor(f'[tool.pipelint.{dotted}]')})."
            rows.append([f"`{dotted}`", _type(schema, node), shown, _allowed(schema, node) or "—", described])
        return rows

    header = ["key", "type", "default", "allowed values", "description"]
    top = schema.get("properties", {})
    parts = [
        "# Configuration\n\n",
        f"pipelint reads its settings from the first of {files} found in the folder of the first linted path "
        "or above it (`--config FILE` names one instead). In `pyproject.toml` the keys below go in a "
        "`[tool.pipelint]` table; the other files may also hold them at the top level. The file is validated "
        "against [`schemas/config.schema.json`](../schemas/config.schema.json), which this page is generated "
        "from: an unknown key or a bad value stops the run (exit 2). Command-line options win over the file. "
        "Rule selectors are codes (`PL101`), names (`production-deploy-without-gate`), code prefixes (`PL1`) "
        "or `ALL`.\n\n",
        "## Example\n\n```toml\n",
        EXAMPLE_CONFIG,
        "```\n\n## `[tool.pipelint]`\n\n",
        _table(header, rows_of(top, "")),
    ]
    for key, node in top.items():
        merged, _ = _resolve(schema, node)
        if merged.get("type") == "object" and merged.get("properties"):
            parts.append(f"\n## `[tool.pipelint.{key}]`\n\n")
            if merged.get("description"):
                parts.append(f"{merged['description']}\n\n")
            parts.append(_table(header, rows_of(merged["properties"], f"{key}.")))
    with_options = [r for r in rules if r.options]
    if with_options:
        parts.append("\n## Rule options\n\n")
        parts.append(
            "Set under `[tool.pipelint.rules.<code or name>]`, e.g. `[tool.pipelint.rules.PL201]`; "
            "each rule's page says what its options do.\n\n"
        )
        option_rows = []
        for rule in with_options:
            for option, value in rule.options.items():
                shown = toml_value(value)
                if len(shown) > _LONG_DEFAULT:
                    long_defaults.append((f"rules.{rule.code}.{option}", shown))
                    shown = f"see [below](#{anchor('Long defaults')})"
                else:
                    shown = f"`{shown}`"
                option_rows.append([f"[{rule.code}](rules/{rule.code}.md) {rule.name}", f"`{option}`", shown])
        parts.append(_table(["rule", "option", "default"], option_rows))
    if long_defaults:
        parts.append("\n## Long defaults\n")
        for dotted, shown in long_defaults:
            parts.append(f"\n`{dotted}`:\n\n```toml\n{dotted.rsplit('.', 1)[-1]} = {shown}\n```\n")
    return "".join(parts)


# ------------------------------------------------------------------ README.md


def render_readme(rules) -> str:
    families = _families(rules)
    lines = [
        "# pipelint documentation\n\n",
        "pipelint lints delivery pipelines: GitHub Actions, GitLab CI and Azure Pipelines files, Kubernetes and "
        "Argo Rollouts manifests, Dockerfiles and SQL migrations.\n\n",
        f"- [Rules](rules/index.md): the {len(rules)} rules by family, each with its own page.\n",
    ]
    lines += [f"  - [{title}](rules/index.md#{anchor(title)})\n" for title, _ in families]
    lines += [
        "- [Configuration](configuration.md): every key of `[tool.pipelint]`, its type, default and allowed "
        "values, with an example.\n",
        "- [Architecture](architecture.md): how a run goes from paths to findings, module by module.\n\n",
        "The rule pages, the rule index, the configuration reference and this page are generated "
        "(`python -m pipelint.docs`): edit the rules' docstrings or `schemas/config.schema.json`, "
        "not these files.\n",
    ]
    return "".join(lines)


# ------------------------------------------------------------------ the whole tree


def pages(registry=None) -> dict[str, str]:
    """Relative path (``/``-separated) -> content of every generated page."""
    from .registry import Registry

    registry = registry or Registry.load()
    rules = _builtin(registry)  # third-party rules document themselves
    out = {f"rules/{rule.code}.md": render_rule_markdown(rule) for rule in rules}
    out["rules/index.md"] = render_rules_index(rules)
    out["configuration.md"] = render_configuration(rules=rules)
    out["README.md"] = render_readme(rules)
    return dict(sorted(out.items()))


def write_all(directory: str, registry=None) -> list[str]:
    """Write every generated page under ``directory`` (the docs folder); their paths."""
    written = []
    for rel, text in pages(registry).items():
        path = os.path.join(directory, *rel.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        written.append(path)
    return written


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "docs"
    for p in write_all(target):
        print(p)
