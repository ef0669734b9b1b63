"""``--format json``: a stable, documented shape (version 1; see README)."""

from __future__ import annotations

import json

#: One encoder for every row (``json.dumps`` builds one per call).
_encode = json.JSONEncoder(ensure_ascii=False).encode


def _fix(fix) -> dict | None:
    if fix is None:
        return None
    return {
        "description": fix.description,
        "applicability": str(fix.applicability),
        "edits": [{"path": e.path, "start": e.start, "end": e.end, "text": e.text} for e in fix.edits],
    }


def diagnostic_dict(d) -> dict:
    return {
        "code": d.code,
        "name": d.name,
        "severity": str(d.severity),
        "message": d.message,
        "path": d.path,
        "line": d.span.start.line,
        "column": d.span.start.column,
        "end_line": d.span.end.line,
        "end_column": d.span.end.column,
        "related": [
            {
                "path": r.span.path,
                "line": r.span.start.line,
                "column": r.span.start.column,
                "end_line": r.span.end.line,
                "end_column": r.span.end.column,
                "message": r.message,
            }
            for r in d.related
        ],
        "fix": _fix(d.fix),
        "help": d.help_uri,
    }


def render(result, stream) -> None:
    sections = {
        "version": 1,
        "diagnostics": (diagnostic_dict(d) for d in result.active),
        "suppressed": (
            dict(diagnostic_dict(d), justification=d.suppression.justification, kind=d.suppression.kind)
            for d in result.diagnostics
            if d.suppression is not None
        ),
        "files": result.files,
        "internal_errors": [
            {"rule": e.rule, "path": e.path, "message": e.message} for e in result.internal_errors
        ],
    }
    if result.baseline is not None:
        b = result.baseline
        sections["baseline"] = {"file": b.file, "new": b.new, "unchanged": b.unchanged, "fixed": b.fixed}
    if result.outside_changes:
        sections["outside_changes"] = result.outside_changes
    # One finding per line, written as it is made: json's C encoder (indenting every
    # field goes through its pure-Python encoder, 5x slower on thousands of findings),
    # and no copy of the whole output in memory (it was 46 MB on the corpus).
    stream.write("{\n")
    last = len(sections) - 1
    for n, (key, value) in enumerate(sections.items()):
        comma = "," if n < last else ""
        if isinstance(value, (list, dict, int)):
            stream.write(f'  "{key}": {_encode(value)}{comma}\n')
            continue
        opened = False
        for item in value:
            stream.write(f",\n    {_encode(item)}" if opened else f'  "{key}": [\n    {_encode(item)}')
            opened = True
        stream.write(f"\n  ]{comma}\n" if opened else f'  "{key}": []{comma}\n')
    stream.write("}\n")
