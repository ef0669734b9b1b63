"""``--format sarif``: SARIF 2.1.0 as GitHub code scanning ingests it.

Paths are relative to the repository root (the nearest ``.git`` above the lint root,
else the current directory) under ``uriBaseId: %SRCROOT%``; columns are Unicode code
points; every result carries GitHub's ``primaryLocationLineHash`` and a line-independent
fingerprint (rule, file, logical path, normalised snippet).
"""

from __future__ import annotations

import json
from pathlib import Path

from .. import __version__
from .sources import Sources

INFORMATION_URI = "https://github.com/pipelint/pipelint"
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "note": "note"}
_SECURITY_SEVERITY = {"error": "8.0", "warning": "5.5", "note": "3.0"}


def _markdown_to_text(doc: str) -> str:
    return "\n".join(line.lstrip("#").strip() if line.startswith("#") else line for line in doc.splitlines())


def rule_descriptor(rule) -> dict:
    doc = rule.documentation()
    level = _LEVEL[str(rule.severity)]
    properties = {"tags": list(rule.tags), "precision": rule.precision}
    if rule.code.startswith("PL5") or "security" in rule.tags:
        properties["security-severity"] = getattr(rule, "security_severity", None) or _SECURITY_SEVERITY[level]
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary()},
        "fullDescription": {"text": _markdown_to_text(doc.split("## Example")[0]).strip() or rule.summary()},
        "help": {"text": _markdown_to_text(doc) or rule.summary(), "markdown": doc or rule.summary()},
        "helpUri": f"https://github.com/pipelint/pipelint/blob/main/docs/rules/{rule.code}.md",
        "defaultConfiguration": {"level": level},
        "properties": properties,
    }


def _region(span) -> dict:
    region = {"startLine": span.start.line, "startColumn": span.start.column}
    if span.end.line >= span.start.line:
        region["endLine"] = span.end.line
        end_col = span.end.column
        if span.end.line == span.start.line and end_col <= span.start.column:
            end_col = span.start.column + 1
        region["endColumn"] = end_col
    return region


def _location(paths: Sources, span, message: str | None = None, index: int | None = None) -> dict:
    loc: dict = {
        "physicalLocation": {
            "artifactLocation": paths.artifact(span.path),
            "region": _region(span),
        }
    }
    if index is not None:
        loc["id"] = index
    if message:
        loc["message"] = {"text": message}
    return loc


def _fix(paths: Sources, fix) -> dict:
    changes: dict[str, list] = {}
    for edit in fix.edits:
        changes.setdefault(edit.path, []).append(
            {
                "deletedRegion": {"charOffset": edit.start, "charLength": edit.end - edit.start},
                "insertedContent": {"text": edit.text},
            }
        )
    return {
        "description": {"text": f"{fix.description} ({fix.applicability})"},
        "artifactChanges": [
            {"artifactLocation": paths.artifact(path), "replacements": reps}
            for path, reps in changes.items()
        ],
    }


def build(result, registry=None) -> dict:
    paths = Sources.of(result)
    root = paths.root
    rules = list(result.rules)
    known = {r.code for r in rules}
    if registry is not None:  # findings of rules outside the enabled set (PL005 etc.)
        for d in result.diagnostics:
            if d.code not in known and d.code in registry.by_code:
                rules.append(registry.by_code[d.code])
                known.add(d.code)
    rules.sort(key=lambda r: r.code)
    index = {r.code: i for i, r in enumerate(rules)}
    results = []
    for d in result.diagnostics:
        res: dict = {
            "ruleId": d.code,
            "level": _LEVEL[str(d.severity)],
            "message": {"text": d.message},
            "locations": [_location(paths, d.span)],
        }
        if d.code in index:
            res["ruleIndex"] = index[d.code]
        res["fingerprints"] = {"pipelint/v1": paths.fingerprint(d)}
        line_hash = paths.line_hash(d.path, d.span.start.line)
        if line_hash:
            res["partialFingerprints"] = {"primaryLocationLineHash": line_hash}
        if d.related:
            res["relatedLocations"] = [_location(paths, r.span, r.message, i) for i, r in enumerate(d.related)]
        if d.fix is not None:
            res["fixes"] = [_fix(paths, d.fix)]
        if d.suppression is not None:
            res["suppressions"] = [{"kind": d.suppression.kind, "justification": d.suppression.justification or "suppressed inline"}]
        if "baseline" in d.extra:  # with --baseline: "new", or "unchanged" (suppressed by it)
            res["baselineState"] = d.extra["baseline"]
        results.append(res)
    run = {
        "tool": {
            "driver": {
                "name": "pipelint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [rule_descriptor(r) for r in rules],
            }
        },
        "automationDetails": {"id": "pipelint/"},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(root).as_uri() + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if result.internal_errors:
        run["invocations"] = [
            {
                "executionSuccessful": False,
                "toolExecutionNotifications": [
                    {"level": "error", "message": {"text": f"internal error in {e.rule} on {e.path or 'the project'}: {e.message}"}}
                    for e in result.internal_errors
                ],
            }
        ]
    else:
        run["invocations"] = [{"executionSuccessful": True}]
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(result, stream, registry=None) -> None:
    json.dump(build(result, registry), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
