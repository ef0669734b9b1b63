"""Rule documentation generated from the rules' docstrings.

``python -m pipelint.docs [DIR]`` rewrites ``docs/rules/PLxxx.md``; a test fails when the
committed pages differ from what the docstrings say.
"""

from __future__ import annotations

import os
import sys


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


def write_all(directory: str, registry=None) -> list[str]:
    from .registry import Registry

    registry = registry or Registry.load()
    os.makedirs(directory, exist_ok=True)
    written = []
    for rule in registry.rules:
        if not rule.origin.startswith("pipelint.rules"):
            continue  # third-party rules document themselves
        path = os.path.join(directory, f"{rule.code}.md")
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(render_rule_markdown(rule))
        written.append(path)
    return written


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else os.path.join("docs", "rules")
    for p in write_all(target):
        print(p)
