"""Draw a :class:`~pipelint.promotion.build.PromotionGraph`: text, Mermaid, Graphviz, JSON.

Renderers read the graph's dataclasses only, never the model or the diagnostics, and
write their output in the graph's order, so the same project always gives the same text.

JSON (version 1)::

    {"version": 1,
     "pipelines": [
       {"path": ".github/workflows/deploy.yml", "name": "Deploy", "platform": "github",
        "jobs": [
          {"key": "j_deploy_production_1a2b3c4d",   # node id, unique in the output
           "id": "deploy-production", "name": null, "stage": null,
           "path": ".github/workflows/deploy.yml", "line": 42, "column": 3,
           "pipeline": ".github/workflows/deploy.yml",
           "deploy": true, "target": "production",   # production|staging|other|unknown|null
           "environment": ["production"],
           "gate": {"kind": "reviewers-in-environment",  # |manual|ManualValidation|delayed|none|unknown
                    "status": "unknown",                 # present|unknown|timer|missing
                    "blocking": true, "detail": "...",
                    "where": {"path": "...", "line": 46, "column": 18},  # or null
                    "job": null},                        # key of the holding job if another
           "gates": [<gate>, ...],                       # every gate, own first, then upstream
           "verification": [{"label": "kubectl rollout status", "where": {...}, "job": null}],
           "rollback": [{"label": "kubectl rollout undo", "where": {...}, "job": null}],
           "findings": [{"code": "PL202", "severity": "warning", "path": "...",
                         "line": 50, "column": 14, "message": "..."}]}],
        "edges": [{"from": "<key>", "to": "<key>", "kind": "needs", "findings": []}],
        "findings": []}]}                                # on the pipeline, on no job or edge

Edges run from the job that finishes first to the job that waits for it; ``kind`` is
``needs``, ``stage-order``, ``workflow_run``, ``reusable-workflow`` or ``child-pipeline``.
"""

from __future__ import annotations

import hashlib
import json

from .build import Check, Finding, GateView, JobView, PipelineView, Place, PromotionGraph

FORMATS = ("text", "mermaid", "dot", "json")


def render(fmt: str, graph: PromotionGraph, stream, color: bool | None = None) -> None:
    """Write ``graph`` to ``stream`` in ``fmt``; ``color`` (text only): None decides by
    whether the stream is a terminal."""
    if fmt == "text":
        render_text(graph, stream, color)
    elif fmt == "mermaid":
        stream.write(to_mermaid(graph))
    elif fmt == "dot":
        stream.write(to_dot(graph))
    elif fmt == "json":
        stream.write(to_json(graph))
    else:
        raise ValueError(f"unknown format {fmt!r}")


def empty_message(graph: PromotionGraph) -> str:
    n = graph.pipelines_read
    return f"No deploy jobs found in {n} pipeline file{'' if n == 1 else 's'}: nothing to draw."


def _summary(graph: PromotionGraph) -> str:
    p, d = len(graph.pipelines), graph.deploy_jobs
    return f"Promotion graph: {p} pipeline{'' if p == 1 else 's'}, {d} deploy job{'' if d == 1 else 's'}"


# ------------------------------------------------------------------ shared wording


def gate_short(gate: GateView) -> str:
    return f"{gate.kind} ({gate.status})"


def _where(place: Place | None, base: str) -> str:
    if place is None:
        return ""
    if place.path == base:
        return f"{place.line}:{place.column}"
    return str(place)


def _labels(checks: tuple[Check, ...], limit: int = 2) -> str:
    labels = list(dict.fromkeys(c.label for c in checks))
    if not labels:
        return "none"
    shown = ", ".join(labels[:limit])
    return shown + (f" +{len(labels) - limit} more" if len(labels) > limit else "")


def _codes(findings: list[Finding]) -> str:
    return ", ".join(dict.fromkeys(f.code for f in findings))


def _titles(view: PipelineView) -> dict[str, str]:
    return {j.key: j.title for j in view.jobs}


# ------------------------------------------------------------------ text

_STATUS_STYLE = {"present": "green", "unknown": "yellow", "timer": "yellow", "missing": "bold red"}
_SEVERITY_STYLE = {"error": "red", "warning": "yellow", "note": "blue"}


def render_text(graph: PromotionGraph, stream, color: bool | None = None) -> None:
    from rich.console import Console
    from rich.text import Text
    from rich.tree import Tree

    terminal = bool(getattr(stream, "isatty", lambda: False)())
    console = Console(
        file=stream,
        force_terminal=True if color else None,
        color_system=None if color is False else "auto",
        no_color=color is False,
        highlight=False,
        emoji=False,
        markup=False,
        # lines are never folded in a file or a pipe: grep finds a whole finding
        width=None if terminal else 10_000,
    )
    if not graph.pipelines:
        console.print(empty_message(graph), soft_wrap=True)
        return
    console.print(Text(_summary(graph), style="bold"), soft_wrap=True)
    for view in graph.pipelines:
        console.print()
        tree = Tree(Text.assemble((view.title, "bold"), f" [{view.platform}]"), guide_style="dim")
        titles = _titles(view)
        incoming: dict[str, list] = {}
        for edge in view.edges:
            incoming.setdefault(edge.target, []).append(edge)
        for job in view.jobs:
            _text_job(tree, job, incoming.get(job.key, []), titles, Text)
        if view.findings:
            branch = tree.add(Text("findings on the pipeline", style="bold"))
            for f in view.findings:
                branch.add(_text_finding(f, view.path, Text))
        console.print(tree, soft_wrap=not terminal)


def _text_job(tree, job: JobView, edges, titles, Text) -> None:
    head = Text()
    head.append(job.title, style="bold")
    if job.deploy:
        head.append(f"  deploy → {job.target}", style="magenta" if job.target == "production" else "cyan")
    if job.stage:
        head.append(f"  stage {job.stage}", style="dim")
    head.append(f"  {job.place}", style="dim")
    node = tree.add(head)
    if edges:
        after = ", ".join(f"{titles.get(e.source, e.source)} ({e.kind})" for e in edges)
        node.add(Text("after: ") + Text(after))
        for e in edges:
            for f in e.findings:
                label = Text(f"on the edge from {titles.get(e.source, e.source)}: ", style="dim")
                node.add(label + _text_finding(f, job.place.path, Text))
    base = job.place.path
    if job.deploy:
        node.add(Text("environment: ") + Text(", ".join(job.environment) or "none"))
    if job.gate is not None:
        node.add(_text_gate("gate: ", job.gate, titles, base, Text))
        for gate in job.gates:
            if gate != job.gate:
                node.add(_text_gate("also: ", gate, titles, base, Text))
    if job.deploy:
        for label, checks in (("verification", job.verification), ("rollback", job.rollback)):
            if not checks:
                node.add(Text(f"{label}: ") + Text("none found", style="yellow"))
                continue
            branch = node.add(Text(f"{label}:"))
            for c in checks:
                line = Text(c.label)
                where = _where(c.where, base)
                if c.job is not None and c.job in titles and f"'{titles[c.job]}'" not in c.label:
                    where = f"in job '{titles[c.job]}'" + (f", {where}" if where else "")
                if where:
                    line.append(f"  {where}", style="dim")
                branch.add(line)
    if job.findings:
        branch = node.add(Text("findings:"))
        for f in job.findings:
            branch.add(_text_finding(f, base, Text))


def _text_gate(prefix: str, gate: GateView, titles, base: str, Text):
    line = Text(prefix) + Text(gate.kind, style="bold") + Text(" ")
    line.append(f"[{gate.status}]", style=_STATUS_STYLE.get(gate.status, ""))
    line.append(f" {gate.detail}")
    where = _where(gate.where, base)
    if where:
        line.append(f"  {where}", style="dim")
    return line


def _text_finding(f: Finding, base: str, Text):
    line = Text(f.code, style=_SEVERITY_STYLE.get(f.severity, "") + " bold")
    line.append(f" {_where(f.place, base)} ", style="dim")
    line.append(f.message)
    return line


# ------------------------------------------------------------------ mermaid

#: Characters a quoted Mermaid label shows as written; every other one is written as an
#: entity code (``#34;``), so quotes, ``#``, brackets, ``<``/``>``, ``|``, ``;``,
#: backticks and line breaks can never end a label or start markup.
_MERMAID_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.,:/()'@+=*?!%~$^")

_STATUS_CLASS = {"present": "gatePresent", "unknown": "gateUnknown", "timer": "gateTimer", "missing": "gateMissing"}
_CLASS_DEFS = (
    ("gatePresent", "fill:#e3f4e1,stroke:#2e7d32,color:#1b1b1b"),
    ("gateUnknown", "fill:#fff4ce,stroke:#b7950b,color:#1b1b1b"),
    ("gateTimer", "fill:#fde9d4,stroke:#d35400,color:#1b1b1b"),
    ("gateMissing", "fill:#fde2e1,stroke:#c0392b,color:#1b1b1b"),
)
_GROUP_STYLE = "fill:#f6f8fa,stroke:#8c959f,color:#1b1b1b"
#: Edges that start another workflow or pipeline are dashed.
_CROSS = frozenset({"workflow_run", "reusable-workflow", "child-pipeline"})


def mermaid_text(text: str) -> str:
    """``text`` made safe inside a quoted Mermaid label (one line)."""
    text = " ".join(text.split())
    return "".join(c if c in _MERMAID_SAFE else f"#{ord(c)};" for c in text)


def _group_id(path: str) -> str:
    return "p_" + hashlib.sha1(path.encode("utf-8")).hexdigest()[:8]


def _colour_status(job: JobView) -> str | None:
    """The gate status a deploy job's node is coloured by; a missing gate only alarms on
    a production target (staging and review deploys usually have none)."""
    if not job.deploy or job.gate is None:
        return None
    if job.gate.status == "missing" and job.target != "production":
        return None
    return job.gate.status


def _node_lines(job: JobView, view: PipelineView) -> list[str]:
    lines = [job.title]
    if job.place.path != view.path:
        lines.append(f"in {job.place.path}")
    if job.stage:
        lines.append(f"stage: {job.stage}")
    if job.deploy:
        lines.append(f"deploy: {job.target}")
        lines.append(f"env: {', '.join(job.environment) or 'none'}")
    if job.gate is not None:
        lines.append(f"gate: {gate_short(job.gate)}")
    if job.deploy:
        lines.append(f"verify: {_labels(job.verification)}")
        lines.append(f"rollback: {_labels(job.rollback)}")
    if job.findings:
        lines.append(f"findings: {_codes(job.findings)}")
    return lines


def to_mermaid(graph: PromotionGraph) -> str:
    """A ``flowchart LR`` that GitHub Markdown renders: one subgraph per pipeline."""
    out = ["flowchart LR"]
    if not graph.pipelines:
        out.append(f"  %% {mermaid_text(empty_message(graph))}")
        return "\n".join(out) + "\n"
    classes: dict[str, list[str]] = {}
    for view in graph.pipelines:
        out.append(f'  subgraph {_group_id(view.path)}["{mermaid_text(view.title)}"]')
        out.append("    direction LR")
        for job in view.jobs:
            label = "<br/>".join(mermaid_text(line) for line in _node_lines(job, view))
            out.append(f'    {job.key}["{label}"]')
            status = _colour_status(job)
            if status:
                classes.setdefault(_STATUS_CLASS[status], []).append(job.key)
        out.append("  end")
    for view in graph.pipelines:
        for edge in view.edges:
            label = edge.kind + (f" {_codes(edge.findings)}" if edge.findings else "")
            arrow = "==>" if edge.findings else "-.->" if edge.kind in _CROSS else "-->"
            out.append(f'  {edge.source} {arrow}|"{mermaid_text(label)}"| {edge.target}')
    for name, style in _CLASS_DEFS:
        if name in classes:
            out.append(f"  classDef {name} {style}")
    for name, _style in _CLASS_DEFS:
        if name in classes:
            out.append(f"  class {','.join(classes[name])} {name}")
    for view in graph.pipelines:
        out.append(f"  style {_group_id(view.path)} {_GROUP_STYLE}")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ graphviz

_DOT_FILL = {"present": "#e3f4e1", "unknown": "#fff4ce", "timer": "#fde9d4", "missing": "#fde2e1"}


def dot_text(text: str) -> str:
    """``text`` made safe inside a double-quoted Graphviz string (one line)."""
    return " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"')


def to_dot(graph: PromotionGraph) -> str:
    out = [
        "digraph promotion {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fillcolor="white", fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    if not graph.pipelines:
        out.append(f'  label="{dot_text(empty_message(graph))}";')
    for view in graph.pipelines:
        out.append(f"  subgraph cluster_{_group_id(view.path)} {{")
        out.append(f'    label="{dot_text(view.title)}";')
        for job in view.jobs:
            label = "\\n".join(dot_text(line) for line in _node_lines(job, view))
            attrs = [f'label="{label}"']
            status = _colour_status(job)
            if status:
                attrs.append(f'fillcolor="{_DOT_FILL[status]}"')
            out.append(f'    "{job.key}" [{", ".join(attrs)}];')
        # a pipeline's edges inside its cluster: each pipeline's block stands alone
        for edge in view.edges:
            label = edge.kind + (f" {_codes(edge.findings)}" if edge.findings else "")
            attrs = [f'label="{dot_text(label)}"']
            if edge.findings:
                attrs.append('color="#c0392b", penwidth=2')
            elif edge.kind in _CROSS:
                attrs.append("style=dashed")
            out.append(f'    "{edge.source}" -> "{edge.target}" [{", ".join(attrs)}];')
        out.append("  }")
    out.append("}")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ json


def _place_json(place: Place | None):
    return None if place is None else {"path": place.path, "line": place.line, "column": place.column}


def _gate_json(gate: GateView | None):
    if gate is None:
        return None
    return {
        "kind": gate.kind,
        "status": gate.status,
        "blocking": gate.blocking,
        "detail": gate.detail,
        "where": _place_json(gate.where),
        "job": gate.job,
    }


def _check_json(check: Check) -> dict:
    return {"label": check.label, "where": _place_json(check.where), "job": check.job}


def _finding_json(f: Finding) -> dict:
    return {
        "code": f.code,
        "severity": f.severity,
        "path": f.place.path,
        "line": f.place.line,
        "column": f.place.column,
        "message": f.message,
    }


def to_data(graph: PromotionGraph) -> dict:
    """The JSON document as Python data (see the module docstring)."""
    return {
        "version": 1,
        "pipelines": [
            {
                "path": view.path,
                "name": view.name,
                "platform": view.platform,
                "jobs": [
                    {
                        "key": job.key,
                        "id": job.id,
                        "name": job.name,
                        "stage": job.stage,
                        "path": job.place.path,
                        "line": job.place.line,
                        "column": job.place.column,
                        "pipeline": job.pipeline,
                        "deploy": job.deploy,
                        "target": job.target,
                        "environment": list(job.environment),
                        "gate": _gate_json(job.gate),
                        "gates": [_gate_json(g) for g in job.gates],
                        "verification": [_check_json(c) for c in job.verification],
                        "rollback": [_check_json(c) for c in job.rollback],
                        "findings": [_finding_json(f) for f in job.findings],
                    }
                    for job in view.jobs
                ],
                "edges": [
                    {"from": e.source, "to": e.target, "kind": e.kind, "findings": [_finding_json(f) for f in e.findings]}
                    for e in view.edges
                ],
                "findings": [_finding_json(f) for f in view.findings],
            }
            for view in graph.pipelines
        ],
    }


def to_json(graph: PromotionGraph) -> str:
    return json.dumps(to_data(graph), indent=2, ensure_ascii=False) + "\n"


__all__ = [
    "FORMATS",
    "dot_text",
    "empty_message",
    "mermaid_text",
    "render",
    "render_text",
    "to_data",
    "to_dot",
    "to_json",
    "to_mermaid",
]
