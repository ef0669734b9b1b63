"""``--format sarif``: SARIF 2.1.0 as GitHub code scanning ingests it.

Paths are relative to the repository root (the nearest ``.git`` above the lint root,
else the current directory) under ``uriBaseId: %SRCROOT%``; columns are Unicode code
points; every result carries GitHub's ``primaryLocationLineHash`` and a line-independent
fingerprint (rule, file, logical path, normalised snippet).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .. import __version__
from ..fingerprints import line_hashes, logical_fingerprint

INFORMATION_URI = "https://github.com/pipelint/pipelint"
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "note": "note"}
_SECURITY_SEVERITY = {"error": "8.0", "warning": "5.5", "note": "3.0"}


def repository_root(start: str, default: str | None = None) -> str:
    """The nearest folder at or above ``start`` holding ``.git``, else ``default`` (the cwd)."""
    here = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return os.path.abspath(default or os.getcwd())
        here = parent


def _artifact_root(cwd: str, files: list[str]) -> str:
    """The root that every reported file's URI is relative to.

    The repository that holds the reported files (not the one of the current directory:
    ``pipelint /checkout`` may run from anywhere); without a repository, the current
    directory when it holds every file, else the files' common folder.
    """
    if not files:
        return repository_root(cwd, cwd)
    try:
        common = os.path.commonpath(files)
    except ValueError:  # different drives
        return repository_root(cwd, cwd)
    if os.path.isfile(common):
        common = os.path.dirname(common)
    inside_cwd = all(_inside(f, cwd) for f in files)
    return repository_root(common, cwd if inside_cwd else common)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


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


class _Paths:
    """Repository-relative URIs and file texts (for fingerprints), cached per file."""

    def __init__(self, root: str, cwd: str):
        self.root = root
        self.cwd = cwd
        self._hashes: dict[str, list[str] | None] = {}
        self._texts: dict[str, str | None] = {}

    def absolute(self, path: str) -> str:
        return os.path.normpath(path if os.path.isabs(path) else os.path.join(self.cwd, path))

    def uri(self, path: str) -> str:
        absolute = self.absolute(path)
        try:
            rel = os.path.relpath(absolute, self.root)
        except ValueError:  # another drive
            rel = ".."
        if rel == ".." or rel.startswith(".." + os.sep):
            return Path(absolute).as_uri()
        return rel.replace(os.sep, "/")

    def artifact(self, path: str) -> dict:
        """An artifactLocation: relative to %SRCROOT%, or an absolute URI without a base."""
        uri = self.uri(path)
        if uri.startswith("file:"):
            return {"uri": uri}
        return {"uri": uri, "uriBaseId": "%SRCROOT%"}

    def text(self, path: str) -> str | None:
        if path not in self._texts:
            absolute = path if os.path.isabs(path) else os.path.join(self.cwd, path)
            try:
                with open(absolute, encoding="utf-8", errors="replace", newline="") as fh:
                    self._texts[path] = fh.read()
            except OSError:
                self._texts[path] = None
        return self._texts[path]

    def line_hash(self, path: str, line: int) -> str | None:
        if path not in self._hashes:
            text = self.text(path)
            self._hashes[path] = line_hashes(text) if text is not None else None
        hashes = self._hashes[path]
        if hashes and 1 <= line <= len(hashes):
            return hashes[line - 1]
        return None

    def snippet(self, path: str, span) -> str:
        text = self.text(path)
        if text is None:
            return ""
        # the lines and columns of spans: '\n'-separated, after the byte-order mark
        lines = [line.rstrip("\r") for line in text.removeprefix("\ufeff").split("\n")]
        if not 1 <= span.start.line <= len(lines):
            return ""
        if span.start.line == span.end.line:
            return lines[span.start.line - 1][span.start.column - 1 : span.end.column - 1]
        return lines[span.start.line - 1][span.start.column - 1 :]


def _region(span) -> dict:
    region = {"startLine": span.start.line, "startColumn": span.start.column}
    if span.end.line >= span.start.line:
        region["endLine"] = span.end.line
        end_col = span.end.column
        if span.end.line == span.start.line and end_col <= span.start.column:
            end_col = span.start.column + 1
        region["endColumn"] = end_col
    return region


def _location(paths: _Paths, span, message: str | None = None, index: int | None = None) -> dict:
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


def _fix(paths: _Paths, fix) -> dict:
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
    cwd = os.path.abspath(result.root or os.getcwd())
    reported = {d.path for d in result.diagnostics} | {r.span.path for d in result.diagnostics for r in d.related}
    absolute = sorted({os.path.normpath(p if os.path.isabs(p) else os.path.join(cwd, p)) for p in reported})
    root = _artifact_root(cwd, absolute)
    paths = _Paths(root, cwd)
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
        fingerprints = {
            "pipelint/v1": logical_fingerprint(d.code, paths.uri(d.path), d.logical_path, paths.snippet(d.path, d.span)),
        }
        res["fingerprints"] = fingerprints
        line_hash = paths.line_hash(d.path, d.span.start.line)
        if line_hash:
            res["partialFingerprints"] = {"primaryLocationLineHash": line_hash}
        if d.related:
            res["relatedLocations"] = [_location(paths, r.span, r.message, i) for i, r in enumerate(d.related)]
        if d.fix is not None:
            res["fixes"] = [_fix(paths, d.fix)]
        if d.suppression is not None:
            res["suppressions"] = [{"kind": "inSource", "justification": d.suppression.justification or "suppressed inline"}]
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
