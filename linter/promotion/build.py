"""The promotion graph as plain data: model + diagnostics in, dataclasses out.

Everything here is *read* from the shared modules, never decided again: which jobs
deploy (:mod:`pipelint.deploy`, :mod:`pipelint.activities`), what runs before what
(:mod:`pipelint.graph`), which gate holds a job (:mod:`pipelint.gates`), what verifies
and what rolls back a deploy (:mod:`pipelint.verification`, :mod:`pipelint.rollback`).
The renderers only see the dataclasses below, so every format shows the same facts.

One :class:`PipelineView` per pipeline that has deploy jobs: its deploy jobs and every
job upstream of them (in other files too), upstream first. Edges run from the job that
finishes first to the job that waits for it. Structural links join every job to every
job before it (GitLab and Azure stage order, an Azure stage's ``dependsOn``, a
``workflow_run`` on a whole workflow, a reusable workflow's jobs); such an edge that a
longer path already implies is left out, so the drawing shows the order and not a
thicket. A ``needs``/``dependsOn`` written on the job itself is always kept.

Findings (PL1xx/PL2xx only: gates, promotion order, verification, rollback) are placed
where they point: on the job whose text holds them (its key, its body, a template body
or step it runs), else on the edge whose text holds them (a ``workflow_run`` trigger, an
Azure stage's ``dependsOn``/``condition`` for the edges into that stage), else on the
pipeline.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from ..activities import deploying, is_test_job, judged_pipelines
from ..deploy import called_workflow, is_deploy_job, targets_production, targets_staging
from ..environments import Targets
from ..gates import DELAYED, MANUAL, MANUAL_VALIDATION, NONE, REVIEWERS, Gate, gate_unknown, gates, own_gates, primary_gate
from ..model import Job, Pipeline, Project
from ..rollback import rollback_path
from ..verification import is_test_harness, step_verifications
from ..yamltree import Scalar

#: Rule families the graph shows: approval gates and promotion order, verification and rollback.
FINDING_PREFIXES = ("PL1", "PL2")

#: Gate kinds of :mod:`pipelint.gates` as the graph names them, plus ``unknown``: no gate
#: found, but one may sit in a part of the pipeline pipelint cannot read.
KIND_NAMES = {
    REVIEWERS: "reviewers-in-environment",
    MANUAL: "manual",
    MANUAL_VALIDATION: "ManualValidation",
    DELAYED: "delayed",
    NONE: "none",
}
UNKNOWN = "unknown"

#: What is known about a gate offline: ``present`` (written in the files and binding),
#: ``unknown`` (its strength lives outside the files: environment settings, unreadable
#: templates), ``timer`` (not an approval), ``missing`` (nothing holds the job).
STATUSES = ("present", "unknown", "timer", "missing")


@dataclass(frozen=True)
class Place:
    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    place: Place


@dataclass(frozen=True)
class GateView:
    kind: str  # a value of KIND_NAMES, or UNKNOWN
    status: str  # one of STATUSES
    blocking: bool
    detail: str
    where: Place | None = None
    #: The key of the job that holds the gate when it is not the job itself.
    job: str | None = None


@dataclass(frozen=True)
class Check:
    """A verification or a rollback: what it is, where, and which job runs it when that
    is not the job itself (a downstream smoke test, a failure-only rollback job)."""

    label: str
    where: Place | None = None
    job: str | None = None


@dataclass
class JobView:
    key: str  # unique in the whole graph, stable: a Mermaid/Graphviz-safe node id
    id: str
    name: str | None
    place: Place  # the job's key (where job-level findings point)
    stage: str | None
    #: The pipeline file the job belongs to (differs from the view's for upstream jobs of
    #: other workflows; for a job from an included file it is the including pipeline).
    pipeline: str
    deploy: bool = False
    #: "production", "staging", "other" or "unknown" (an environment named by an
    #: expression) for deploy jobs; None otherwise.
    target: str | None = None
    environment: tuple[str, ...] = ()
    gate: GateView | None = None
    gates: tuple[GateView, ...] = ()
    verification: tuple[Check, ...] = ()
    rollback: tuple[Check, ...] = ()
    findings: list[Finding] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.id} ({self.name})" if self.name and self.name != self.id else self.id


@dataclass
class EdgeView:
    source: str  # key of the job that finishes first
    target: str  # key of the job that waits for it
    kind: str  # "needs", "stage-order", "workflow_run", "reusable-workflow", "child-pipeline"
    findings: list[Finding] = field(default_factory=list)


@dataclass
class PipelineView:
    path: str
    name: str | None
    platform: str
    jobs: list[JobView] = field(default_factory=list)
    edges: list[EdgeView] = field(default_factory=list)
    #: Findings in the pipeline's file that sit on none of the drawn jobs or edges.
    findings: list[Finding] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.name} ({self.path})" if self.name else self.path


@dataclass
class PromotionGraph:
    pipelines: list[PipelineView] = field(default_factory=list)
    #: Pipeline files read (with or without deploy jobs, included parts too): for the
    #: "nothing to draw" message.
    pipelines_read: int = 0

    @property
    def deploy_jobs(self) -> int:
        """Distinct deploy jobs (a job drawn upstream in several pipelines counts once)."""
        return len({(j.pipeline, j.place) for p in self.pipelines for j in p.jobs if j.deploy})


# ------------------------------------------------------------------ entry point


def build(project: Project, diagnostics, targets: Targets) -> PromotionGraph:
    """The promotion graph of ``project``; ``diagnostics`` are the lint's active findings
    (any codes: those outside :data:`FINDING_PREFIXES` are ignored)."""
    keys = {job: key for p in project.pipelines for key, job in p.jobs.items()}
    findings = sorted((d for d in diagnostics if d.code.startswith(FINDING_PREFIXES)), key=lambda d: d.sort_key())
    out = PromotionGraph(pipelines_read=sum(1 for _ in project.pipelines))
    graph = project.graph
    used: set[str] = set()
    for pipeline in sorted(_shown_pipelines(project), key=lambda p: p.file.path):
        roots = [j for j in pipeline.jobs.values() if _is_deploy(j, project)]
        if not roots:
            continue
        view = _View(project, pipeline, keys, targets, used)
        view.collect(roots, graph)
        out.pipelines.append(view.finish(findings))
    return out


def _shown_pipelines(project: Project):
    """Pipelines the promotion rules judge (an included GitLab fragment or Azure template
    is drawn inside its including pipeline), without GitHub reusable workflows whose
    scanned callers already draw them upstream of the calling job."""
    callers = project.graph.callers
    for pipeline in judged_pipelines(project):
        if pipeline.platform == "github" and pipeline.kind == "reusable-workflow" and callers.get(pipeline):
            continue
        yield pipeline


def _is_deploy(job: Job, project: Project) -> bool:
    """A deploy job as the rules see it, not a GitLab stop/Pages job, not a test harness
    that deploys into a throwaway cluster."""
    return deploying(job) and is_deploy_job(job, project) and not is_test_harness(job)


# ------------------------------------------------------------------ one pipeline


class _View:
    def __init__(self, project: Project, pipeline: Pipeline, keys: dict, targets: Targets, used: set[str]):
        self.project = project
        self.used = used
        self.pipeline = pipeline
        self.keys = keys
        self.targets = targets
        self.jobs: list[Job] = []
        self.edges: list[tuple[Job, Job, str, object]] = []  # (upstream, downstream, kind, via)
        self.node_ids: dict[Job, str] = {}

    # ---------------------------------------------------------------- structure
    def collect(self, roots: list[Job], graph) -> None:
        members: set[Job] = set(roots)
        for root in roots:
            members.update(graph.upstream(root))
        seen: set = set()
        edges = []
        for job in members:
            for edge in graph.direct_upstream(job):
                if edge.upstream not in members:
                    continue
                ident = (edge.upstream, job, edge.kind)
                if ident in seen:
                    continue
                seen.add(ident)
                edges.append((edge.upstream, job, edge.kind, edge.via))
        self.jobs = _topological(members, edges)
        order = {job: i for i, job in enumerate(self.jobs)}
        edges = _reduce_implied(self.jobs, edges, order)
        edges.sort(key=lambda e: (order[e[1]], order[e[0]], e[2]))
        self.edges = edges
        self.node_ids = _node_ids(self.pipeline, self.jobs, self.keys, self.used)

    # ---------------------------------------------------------------- facts
    def finish(self, findings) -> PipelineView:
        view = PipelineView(self.pipeline.file.path, self.pipeline.name, self.pipeline.platform)
        for job in self.jobs:
            view.jobs.append(self._job_view(job))
        for up, down, kind, _via in self.edges:
            view.edges.append(EdgeView(self.node_ids[up], self.node_ids[down], kind))
        self._place_findings(view, findings)
        return view

    def _job_view(self, job: Job) -> JobView:
        project = self.project
        jv = JobView(
            key=self.node_ids[job],
            id=job.id,
            name=job.name,
            place=_place(job.key_span()),
            stage=job.stage,
            pipeline=job.pipeline.file.path,
        )
        if not _is_deploy(job, project):
            own = [g for g in own_gates(job) if g.kind != NONE]
            jv.gates = tuple(self._gate(g, job) for g in own)
            jv.gate = jv.gates[0] if jv.gates else None
            return jv
        jv.deploy = True
        jv.target = self._target(job)
        facts = self._fact_jobs(job)
        jv.environment = tuple(dict.fromkeys(j.environment.name for j in facts if j.environment is not None))
        jv.gate, jv.gates = self._gates(job, facts)
        jv.verification = tuple(self._verification(job, facts))
        jv.rollback = tuple(self._rollback(job, facts))
        return jv

    def _fact_jobs(self, job: Job) -> list[Job]:
        """The jobs whose environment, gates, checks describe ``job``: itself, or for a
        job calling a scanned reusable workflow, that workflow's deploy jobs."""
        if job.uses is not None:
            called = called_workflow(job, self.project)
            if called is not None:
                inner = [j for j in called.jobs.values() if j.uses is None and _is_deploy(j, self.project)]
                if inner:
                    return inner
        return [job]

    def _target(self, job: Job) -> str:
        if targets_production(job, self.targets, self.project):
            return "production"
        if targets_staging(job, self.targets, self.project):
            return "staging"
        env = job.environment
        if env is not None and (env.dynamic or not env.name):
            return "unknown"
        return "other"

    # ---------------------------------------------------------------- gates
    def _gates(self, job: Job, facts: list[Job]) -> tuple[GateView, tuple[GateView, ...]]:
        project = self.project
        if facts == [job]:
            primary = primary_gate(job, project)
            every = [g for g in gates(job, project) if g.kind != NONE]
        else:  # a reusable-workflow call: the called deploy jobs hold the gates
            primary = next((g for g in (primary_gate(j, project) for j in facts) if g.is_approval), None)
            primary = primary or primary_gate(facts[0], project)
            every = [g for j in facts for g in gates(j, project) if g.kind != NONE]
        views = tuple(self._gate(g, job) for g in every)
        if primary.kind == NONE:
            reason = gate_unknown(job)
            if reason:
                return GateView(UNKNOWN, "unknown", False, f"no gate found, but {reason}"), views
            return GateView(KIND_NAMES[NONE], "missing", False, "nothing holds the job for approval"), views
        return self._gate(primary, job), views

    def _gate(self, gate: Gate, job: Job) -> GateView:
        holder = gate.job
        where = self._gate_place(gate)
        held_by = self.node_ids.get(holder) if holder is not None and holder is not job else None
        owner = f"job '{holder.id}' upstream ({gate.via or 'needs'}): " if holder is not None and not gate.own else ""
        if holder is not None and holder is not job and gate.own:
            owner = f"job '{holder.id}': "  # the called deploy job of a reusable workflow
        kind = KIND_NAMES[gate.kind]
        if gate.kind == REVIEWERS:
            env = holder.environment if holder is not None else None
            name = env.name if env is not None and env.name else "?"
            if holder is not None and holder.pipeline.platform == "azure":
                where_set = "its approvals and checks are set in Azure DevOps, not in the files"
            else:
                where_set = "its required reviewers, wait timer and branch rules are repository settings, not in the files"
            return GateView(kind, "unknown", True, f"{owner}environment '{name}': {where_set}", where, held_by)
        if gate.kind == MANUAL:
            if gate.blocking:
                text = "when: manual, blocking (later jobs wait for it)"
            elif gate.own:
                text = "when: manual, not blocking (allow_failure: true): it waits to be played, later stages go on without it"
            else:
                text = "when: manual, not blocking, reached through needs"
            if gate.partial:
                text += "; only in some rules: items"
            return GateView(kind, "present", gate.blocking, owner + text, where, held_by)
        if gate.kind == MANUAL_VALIDATION:
            if gate.blocking:
                text = "ManualValidation task, rejects on timeout"
            else:
                text = "ManualValidation task, onTimeout: resume (approves itself when the timeout ends)"
            return GateView(kind, "present", gate.blocking, owner + text, where, held_by)
        if gate.kind == DELAYED:
            text = "when: delayed: a timer, not an approval (the job starts by itself)"
            if gate.partial:
                text += "; only in some rules: items"
            return GateView(kind, "timer", False, owner + text, where, held_by)
        return GateView(KIND_NAMES.get(gate.kind, gate.kind), "missing", False, "nothing holds the job for approval")

    def _gate_place(self, gate: Gate) -> Place | None:
        """Where the gate is written (``Job.file_of`` finds the file of a ``when:``
        that ``extends``/``!reference`` brought from another one)."""
        if gate.job is None:
            return None
        return _place(gate.span())

    # ---------------------------------------------------------------- checks
    def _verification(self, drawn: Job, facts: list[Job]):
        seen: set = set()
        for job in facts:
            for step in job.steps:
                for v in step_verifications(step):
                    yield Check(v.label, _place(v.span()), self._other(step.job, drawn))
            # a test or smoke job that runs after it; a later deploy that checks its own
            # rollout is no verification of this one
            for down in self.project.graph.downstream(job):
                if down in seen or down in facts or _is_deploy(down, self.project):
                    continue
                if is_test_job(down) or any(step_verifications(s) for s in down.steps):
                    seen.add(down)
                    yield Check(f"downstream {down.label}", _place(down.key_span()), self._other(down, drawn))

    def _rollback(self, drawn: Job, facts: list[Job]):
        for job in facts:
            found = rollback_path(job, self.project)
            if found is True:
                yield Check("a failure-only job whose name says rollback (its steps cannot be read)")
                continue
            for rb in found or ():
                yield Check(rb.label, _place(rb.span()), self._other(rb.step.job, drawn))

    def _other(self, holder: Job | None, job: Job) -> str | None:
        """The key of ``holder`` when it is another job than the drawn ``job``."""
        if holder is None or holder is job:
            return None
        return self.node_ids.get(holder, self.keys.get(holder, holder.id))

    # ---------------------------------------------------------------- findings
    def _place_findings(self, view: PipelineView, findings) -> None:
        jobs = {jv.key: jv for jv in view.jobs}
        job_regions = [(self.node_ids[job], region) for job in self.jobs for region in _job_regions(job)]
        edge_regions = []
        for (up, down, kind, via), ev in zip(self.edges, view.edges):
            for region in self._edge_regions(down, kind, via):
                edge_regions.append((ev, region))
        own = view.path
        for d in findings:
            at = (d.span.path, d.span.start.offset)
            finding = Finding(d.code, str(d.severity), d.message, Place(d.path, d.line, d.column))
            hits = _smallest(job_regions, at)
            if hits:
                for key in hits:
                    jobs[key].findings.append(finding)
                continue
            hits = _smallest(edge_regions, at)
            if hits:
                for ev in hits:
                    ev.findings.append(finding)
                continue
            if d.span.path == own:
                view.findings.append(finding)

    def _edge_regions(self, down: Job, kind: str, via):
        """Where the text that makes an edge is: the ``workflow_run`` item, an Azure
        stage (its ``dependsOn`` and ``condition`` decide whether the stage runs after
        the stages before it)."""
        if via is not None:
            region = _node_region(self._via_file(down, kind, via), via)
            if region is not None:
                yield region
        if kind in ("needs", "stage-order") and down.pipeline.platform == "azure" and down.stage:
            for stage in down.pipeline.stages:
                if stage.name == down.stage and stage.node is not None:
                    region = _node_region(stage.extra.get("file") or down.pipeline.file, stage.node)
                    if region is not None:
                        yield region
                    break

    def _via_file(self, down: Job, kind: str, via):
        if kind == "workflow_run":
            return down.pipeline.file
        if kind == "reusable-workflow":
            return down.file
        if kind == "needs" and any(n.node is via for n in down.needs):
            return down.file_of(via)
        if down.pipeline.platform == "azure":  # a stage's dependsOn entry
            for stage in down.pipeline.stages:
                if any(node is via for _name, node in stage.depends_on):
                    return stage.extra.get("file") or down.pipeline.file
        return None


# ------------------------------------------------------------------ helpers


def _place(span) -> Place:
    return Place(span.path, span.start.line, span.start.column)


def _node_region(file, node):
    """(path, start, end) of ``node`` in ``file``, or None when the node is not that
    file's (a guard: edges reuse nodes of other files)."""
    if file is None or node is None:
        return None
    start, end = getattr(node, "start_index", None), getattr(node, "end_index", None)
    if start is None or end is None or not 0 <= start <= end <= len(file.text):
        return None
    if isinstance(node, Scalar) and node.value:
        first = node.value.strip().split("\n", 1)[0]
        if first and first not in file.text[start:end]:
            return None
    return (file.path, start, end)


def _job_regions(job: Job):
    """The text a job is written in: its key through its body, a body or steps that live
    in another file (templates, includes)."""
    key = job.key_node
    key_file = job.file
    body_file = job.node_file
    node = job.node
    if body_file is key_file and node is not None and node.end_index >= key.start_index:
        yield (key_file.path, key.start_index, node.end_index)
    else:
        yield (key_file.path, key.start_index, key.end_index)
        if node is not None:
            yield (body_file.path, node.start_index, node.end_index)
    for step in job.steps:
        if step.file is not body_file and step.node is not None:
            yield (step.file.path, step.node.start_index, step.node.end_index)


def _smallest(regions, at) -> list:
    """The owners of the smallest regions holding ``at`` (path, offset), in order."""
    path, offset = at
    best = None
    owners: list = []
    for owner, (rpath, start, end) in regions:
        if rpath != path or not (start <= offset < end or offset == start == end):
            continue
        size = end - start
        if best is None or size < best:
            best, owners = size, [owner]
        elif size == best and owner not in owners:
            owners.append(owner)
    return owners


def _position(job: Job) -> tuple:
    return (job.file.path, job.key_node.start_index, job.id)


def _topological(members: set[Job], edges) -> list[Job]:
    """Upstream first; among jobs that are ready together, by file and place. Jobs on a
    cycle (an invalid ``needs`` loop) follow in file order."""
    import heapq

    rank = {job: i for i, job in enumerate(sorted(members, key=_position))}
    by_rank = sorted(members, key=rank.__getitem__)
    indegree = {job: 0 for job in members}
    downstream: dict[Job, list[Job]] = {}
    for up, down, _kind, _via in edges:
        indegree[down] += 1
        downstream.setdefault(up, []).append(down)
    ready = [rank[job] for job in by_rank if indegree[job] == 0]
    heapq.heapify(ready)
    out: list[Job] = []
    while ready:
        job = by_rank[heapq.heappop(ready)]
        out.append(job)
        for down in downstream.get(job, ()):
            indegree[down] -= 1
            if indegree[down] == 0:
                heapq.heappush(ready, rank[down])
    if len(out) < len(members):
        placed = set(out)
        out.extend(job for job in by_rank if job not in placed)
    return out


def _written_on_job(down: Job, kind: str, via) -> bool:
    """A ``needs``/``dependsOn`` entry of the job itself (not of its stage, not one a
    reusable workflow's jobs inherit from their caller)."""
    return kind == "needs" and via is not None and any(n.node is via for n in down.needs)


def _reduce_implied(jobs: list[Job], edges, order: dict) -> list:
    """Drop structural edges that a longer path already implies (only when the drawn
    graph has no cycle, where that reduction is exact); keep edges written on the job."""
    succ: dict[Job, list[Job]] = {}
    for up, down, _kind, _via in edges:
        succ.setdefault(up, []).append(down)
    if any(order[down] <= order[up] for up, down, _k, _v in edges):
        return list(edges)  # a cycle: keep everything
    bit = {job: 1 << i for i, job in enumerate(jobs)}
    reach: dict[Job, int] = {}  # nodes reachable in one step or more
    for job in reversed(jobs):
        mask = 0
        for nxt in succ.get(job, ()):
            mask |= bit[nxt] | reach[nxt]
        reach[job] = mask
    kept = []
    for up, down, kind, via in edges:
        if not _written_on_job(down, kind, via) and any(
            other is not down and reach[other] & bit[down] for other in succ.get(up, ())
        ):
            continue
        kept.append((up, down, kind, via))
    return kept


_UNSAFE = re.compile(r"[^A-Za-z0-9]+")


def _node_ids(pipeline: Pipeline, jobs: list[Job], keys: dict, used: set[str]) -> dict[Job, str]:
    """Node ids: the job id made safe for Mermaid and Graphviz, and a short hash of
    (drawn pipeline, job's pipeline, job key) by their paths as reported, so the same job
    drawn in two pipelines gets two nodes and jobs of different repositories scanned
    together (each with its own ``release.yml``) never share one. ``used`` holds the ids
    given so far in the run: a clash of short hashes gets a counter (in drawing order)."""
    out: dict[Job, str] = {}
    for job in jobs:
        ident = "\0".join((pipeline.file.path, job.pipeline.file.path, keys.get(job, job.id)))
        digest = hashlib.sha1(ident.encode("utf-8")).hexdigest()[:8]
        slug = _UNSAFE.sub("_", job.id).strip("_")[:40] or "job"
        node_id = base = f"j_{slug}_{digest}"
        n = 1
        while node_id in used:
            n += 1
            node_id = f"{base}_{n}"
        used.add(node_id)
        out[job] = node_id
    return out


__all__ = [
    "Check",
    "EdgeView",
    "FINDING_PREFIXES",
    "Finding",
    "GateView",
    "JobView",
    "KIND_NAMES",
    "PipelineView",
    "Place",
    "PromotionGraph",
    "STATUSES",
    "UNKNOWN",
    "build",
]
