"""``--format gitlab``: GitLab's Code Quality report (a JSON array of issues), for
``artifacts: reports: codequality:`` in a merge request's widget.

Each issue has ``description``, ``check_name`` (the rule code), ``severity`` (GitLab's
scale: error -> major, warning -> minor, note -> info), ``location.path`` relative to the
repository root with ``lines.begin``, and a ``fingerprint`` GitLab uses to tell new issues
from fixed ones between the source and target branches: the same line-independent
fingerprint as SARIF's ``pipelint/v1``, made unique within the report (GitLab shows only
one issue per fingerprint). Suppressed findings are left out.
"""

from __future__ import annotations

import json

from .sources import Sources

_SEVERITY = {"error": "major", "warning": "minor", "note": "info"}


def build(result) -> list[dict]:
    sources = Sources.of(result)
    active = result.active
    issues = []
    for d, fingerprint in zip(active, sources.fingerprints(active)):
        issues.append(
            {
                "type": "issue",
                "check_name": d.code,
                "description": f"{d.code} {d.name}: {d.message}",
                "categories": ["Security"] if d.code.startswith("PL5") else ["Bug Risk"],
                "severity": _SEVERITY[str(d.severity)],
                "fingerprint": fingerprint,
                "location": {"path": sources.uri(d.path), "lines": {"begin": d.line, "end": max(d.span.end.line, d.line)}},
            }
        )
    return issues


def render(result, stream) -> None:
    json.dump(build(result), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
