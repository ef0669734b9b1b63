"""One job graph per project: what must finish before a job runs, across files.

Edges point from a job to a job that runs before it:
- ``needs`` inside one pipeline;
- GitHub ``workflow_run``: every job of the listening workflow comes after every job of
  the workflows it names;
- GitHub reusable workflows: a calling job (``uses: ./.github/workflows/x.yml``) comes
  after the called workflow's jobs, and those come after whatever the caller needs.
Platform adapters for GitLab stages and Azure ``dependsOn`` add their edges the same way.
"""

from __future__ import annotations

import functools
import os
import re
from collections import deque
from dataclasses import dataclass

from .model import Job, Pipeline, Project


@dataclass(frozen=True, eq=False)
class Edge:
    upstream: Job
    kind: str  # "needs", "workflow_run", "reusable-workflow"
    via: object = None  # the node that creates the edge (a needs entry, a trigger...)


class JobGraph:
    def __init__(self) -> None:
        self._up: dict[Job, list[Edge]] = {}
        self._down: dict[Job, list[Job]] = {}
        #: For each called workflow, the jobs that call it (``uses: ./...``).
        self.callers: dict[Pipeline, list[Job]] = {}
        #: For each calling job, the scanned workflow it calls.
        self.called: dict[Job, Pipeline] = {}
        self._depths: dict[Job, int] = {}

    def add(self, job: Job, upstream: Job, kind: str, via: object = None) -> None:
        if job is upstream:
            return
        self._depths.clear()
        self._up.setdefault(job, []).append(Edge(upstream, kind, via))
        self._down.setdefault(upstream, []).append(job)

    def direct_upstream(self, job: Job) -> list[Edge]:
        return self._up.get(job, [])

    def upstream(self, job: Job) -> list[Job]:
        """Every job that must finish before ``job`` (transitively), nearest first."""
        return _bfs(job, lambda j: (e.upstream for e in self._up.get(j, ())))

    def chain(self, job: Job, limit: int = 6) -> list[Job]:
        """The longest path of direct upstream jobs ending at ``job`` (at most ``limit``
        jobs, the ones nearest ``job``), for messages like ``build -> test -> deploy``:
        with GitLab stage order every earlier job is a direct upstream, and the longest
        path is the one that passes through each stage."""
        path = [job]
        seen = {job}
        while len(path) < limit:
            edges = [e for e in self._up.get(path[-1], ()) if e.upstream not in seen]
            if not edges:
                break
            best = max(edges, key=lambda e: self._depth(e.upstream))  # first of equals
            path.append(best.upstream)
            seen.add(best.upstream)
        return path[::-1]

    def _depth(self, job: Job) -> int:
        """Jobs on the longest upstream path of ``job`` (memoised; a cycle is cut where
        it closes). Iterative: ``needs`` chains may be longer than Python's stack."""
        memo = self._depths
        if job in memo:
            return memo[job]
        stack = [(job, False)]
        while stack:
            current, expanded = stack.pop()
            ups = [e.upstream for e in self._up.get(current, ())]
            if expanded:
                memo[current] = 1 + max((memo.get(u, 0) for u in ups), default=0)
                continue
            if current in memo:
                continue
            memo[current] = 0  # in progress: an edge back to it counts as nothing
            stack.append((current, True))
            stack.extend((u, False) for u in ups if u not in memo)
        return memo[job]

    def downstream(self, job: Job) -> list[Job]:
        """Every job that waits for ``job`` (transitively), nearest first."""
        return _bfs(job, lambda j: self._down.get(j, ()))

    # ------------------------------------------------------------------ build
    @classmethod
    def build(cls, project: Project) -> JobGraph:
        graph = cls()
        github = list(project.pipelines_of("github"))
        for pipeline in github:
            for job in pipeline.jobs.values():
                for need in job.needs:
                    target = pipeline.jobs.get(need.job_id)
                    if target is not None:
                        graph.add(job, target, "needs", need.node)
        _link_workflow_run(graph, github, project)
        _link_reusable(graph, github)
        for pipeline in project.pipelines_of("azure"):
            _link_azure(graph, pipeline)
        for pipeline in project.pipelines_of("gitlab"):
            _link_gitlab(graph, pipeline)
        _link_gitlab_children(graph, project)
        return graph


def _bfs(start: Job, neighbours) -> list[Job]:
    seen = {start}
    order: list[Job] = []
    queue = deque([start])
    while queue:
        for nxt in neighbours(queue.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                order.append(nxt)
                queue.append(nxt)
    return order


def workflow_run_sources(pipeline: Pipeline, project: Project) -> list[tuple[str, object, list[Pipeline]]]:
    """For each name in ``on.workflow_run.workflows``: (name, node, matching workflows).

    GitHub matches the workflow's ``name:``; a file name or path is accepted as well
    (a workflow without ``name:`` is named after its path), and ``*`` patterns match.
    """
    from .yamltree import Mapping, Scalar, Sequence

    trigger = pipeline.trigger("workflow_run")
    if trigger is None or not isinstance(trigger.config, Mapping):
        return []
    names = trigger.config.get("workflows")
    items = [names] if isinstance(names, Scalar) else list(names) if isinstance(names, Sequence) else []
    candidates = project.pipelines_in_repository(pipeline.repository_root)
    out = []
    for item in items:
        if not isinstance(item, Scalar):
            continue
        wanted = item.value.strip()
        matches = [w for w in candidates if workflow_matches(w, wanted)]
        out.append((wanted, item, matches))
    return out


def workflow_matches(workflow: Pipeline, wanted: str) -> bool:
    """``wanted`` (a GitHub filter pattern) matches the workflow's name or its path."""
    names = _workflow_names(workflow.file.abspath, workflow.file.path, workflow.name)
    if wanted in names:
        return True
    try:
        pattern = filter_pattern(wanted)
    except re.error:
        return False
    return any(pattern.match(n) for n in names)


@functools.lru_cache(maxsize=8192)
def _workflow_names(abspath: str, path: str, name: str | None) -> frozenset[str]:
    from .parsers.github import _repository_root

    rel = os.path.relpath(abspath, _repository_root(abspath)).replace(os.sep, "/")
    return frozenset({rel, os.path.basename(rel), name.strip() if name else path})


@functools.lru_cache(maxsize=1024)
def filter_pattern(text: str) -> re.Pattern:
    """A GitHub filter pattern (``*``, ``**``, ``?``, ``+``, ``[...]``, ``\\`` escapes) as a regex."""
    out: list[str] = []
    atom = False  # the last token can take a quantifier
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            out.append(re.escape(text[i + 1]))
            atom = True
            i += 2
            continue
        if text.startswith("**", i):
            out.append(".*")
            atom = False
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
            atom = False
        elif c in "?+" and atom:
            out.append(c)
            atom = False
        elif c == "[" and "]" in text[i + 1 :]:
            j = text.index("]", i + 1)
            out.append("[" + text[i + 1 : j].replace("\\", "\\\\") + "]")
            atom = True
            i = j + 1
            continue
        else:
            out.append(re.escape(c))
            atom = True
        i += 1
    return re.compile("".join(out) + r"\Z")


def _link_workflow_run(graph: JobGraph, github: list[Pipeline], project: Project) -> None:
    for pipeline in github:
        for _name, node, sources in workflow_run_sources(pipeline, project):
            for source in sources:
                if source is pipeline:
                    continue
                for job in pipeline.jobs.values():
                    for upstream in source.jobs.values():
                        graph.add(job, upstream, "workflow_run", node)


def _link_azure(graph: JobGraph, pipeline: Pipeline) -> None:
    """Azure: ``dependsOn`` between jobs of one stage, and stage order (explicit
    ``dependsOn`` or the implicit previous stage): every job of a stage comes after every
    job of the stages it depends on."""
    for job in pipeline.jobs.values():
        for need in job.needs:
            for other in pipeline.jobs.values():
                if other.id == need.job_id and other.stage == job.stage:
                    graph.add(job, other, "needs", need.node)
    stages = {stage.name: stage for stage in pipeline.stages}
    for stage in pipeline.stages:
        for name, node in stage.depends_on:
            upstream = stages.get(name)
            if upstream is None or upstream is stage:
                continue
            kind = "stage-order" if stage.depends_on_implicit else "needs"
            for job in stage.jobs:
                for before in upstream.jobs:
                    graph.add(job, before, kind, node)


def _link_gitlab(graph: JobGraph, pipeline: Pipeline) -> None:
    """GitLab: a job with ``needs`` waits for exactly those (``needs: []`` for nothing);
    without ``needs`` it waits for every job of the earlier stages."""
    order = {stage.name: i for i, stage in enumerate(pipeline.stages)}
    for job in pipeline.jobs.values():
        if job.needs_declared:
            for need in job.needs:
                target = pipeline.jobs.get(need.job_id)
                if target is not None:
                    graph.add(job, target, "needs", need.node)
            continue
        mine = order.get(job.stage or "test")
        if mine is None:
            continue
        for stage in pipeline.stages[:mine]:
            for before in stage.jobs:
                graph.add(job, before, "stage-order", None)


def _link_gitlab_children(graph: JobGraph, project: Project) -> None:
    """GitLab child pipelines (``trigger: include: local``): the child's jobs start when
    the trigger job runs, so they come after it (and, through it, after what it waits for)."""
    for pipeline in project.pipelines_of("gitlab"):
        for trigger in pipeline.jobs.values():
            children = trigger.extra.get("child_pipeline")
            if not children:
                continue
            for child in project.pipelines_in_repository(pipeline.repository_root, "gitlab"):
                rel = os.path.relpath(child.file.abspath, pipeline.repository_root).replace(os.sep, "/")
                if child is pipeline or rel not in children:
                    continue
                for job in child.jobs.values():
                    graph.add(job, trigger, "child-pipeline", trigger.key_node)


def _link_reusable(graph: JobGraph, github: list[Pipeline]) -> None:
    """Resolve local ``uses:`` calls by absolute path, so that several repositories scanned
    together (each with its own ``.github/workflows/build.yml``) never mix."""
    from .parsers.github import repository_root_for

    by_path = {os.path.normpath(p.file.abspath): p for p in github}
    for pipeline in github:
        for caller in pipeline.jobs.values():
            ref = caller.uses
            if ref is None or ref.kind != "local" or not ref.resolved:
                continue
            target = os.path.normpath(os.path.join(repository_root_for(caller.file), ref.resolved))
            called = by_path.get(target)
            if called is None or called is pipeline:
                continue
            graph.called[caller] = called
            graph.callers.setdefault(called, []).append(caller)
            for inner in called.jobs.values():
                graph.add(caller, inner, "reusable-workflow", ref.node)
                for edge in list(graph.direct_upstream(caller)):
                    if edge.kind == "needs":
                        graph.add(inner, edge.upstream, "needs", edge.via)
