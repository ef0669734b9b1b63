"""Platform-neutral facts about approval gates: what holds a job back until a person acts.

One place answers "what gates this job?" for every platform, so PL101-PL104, PL105-PL109
and ``pipelint graph`` agree. A :class:`Gate` says which *kind* of gate it is, which job
holds it (the job itself or one upstream), the node it is written at and whether it is
*blocking* (later work really waits for it):

- ``"reviewers-in-environment"`` — GitHub: the job declares ``environment:`` (reviewers,
  wait timers and branch rules live in the environment's settings, unknown offline);
  Azure: a ``deployment:`` job with ``environment:`` (the environment's approvals and
  checks). Blocking.
- ``"manual"`` — GitLab ``when: manual`` (job level, or in a ``rules:`` item). A manual
  job never runs before someone plays it, so it always gates *itself*; it holds back
  *later* jobs only when blocking: ``allow_failure: false`` (the default inside
  ``rules:``; outside ``rules:`` the default is ``true``: the pipeline goes on without it).
  A job that ``needs:`` a manual job waits for it whether or not it is blocking.
- ``"manual-validation"`` — Azure ``ManualValidation@*`` task (in an agentless job) in
  the job itself or upstream (earlier stage / ``dependsOn`` job). Blocking unless
  ``onTimeout: resume`` (then it goes on by itself when the timeout ends).
- ``"delayed"`` — GitLab ``when: delayed`` (``start_in``): a timer, not an approval;
  never blocking and never an approval.
- ``"none"`` — nothing holds the job.

:func:`gates` lists every gate that protects a job (its own first, then upstream ones,
nearest first); :func:`approval` returns the approval gate that protects it (or a
``"none"`` gate); :func:`gate_unknown` says when an approval may exist where pipelint
cannot look (GitLab includes / Azure templates from other repositories, ``extends`` of
unknown parents): rules then withhold "no gate" conclusions.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from .model import Job, Step
from .source import SourceFile
from .yamltree import Mapping, Scalar, Sequence, YNode

REVIEWERS = "reviewers-in-environment"
MANUAL = "manual"
MANUAL_VALIDATION = "manual-validation"
DELAYED = "delayed"
NONE = "none"
#: Kinds that are approvals (a person decides); ``delayed`` is a timer.
APPROVAL_KINDS = frozenset({REVIEWERS, MANUAL, MANUAL_VALIDATION})


@dataclass(frozen=True, eq=False)
class Gate:
    """One gate protecting a job."""

    kind: str
    #: The job that holds the gate: the protected job itself, or one upstream.
    job: Job | None
    #: Where it is written: the ``environment:`` value, the ``when:`` value (job level or
    #: inside a ``rules:`` item), the ``task:`` of a ManualValidation step.
    node: YNode | None = None
    #: Later work waits for it (see the module docstring).
    blocking: bool = False
    #: The ManualValidation step (Azure), else None.
    step: Step | None = None
    #: The gate is the protected job's own (not an upstream job's).
    own: bool = True
    #: How an upstream gate is reached: "needs" or "stage-order" (None for own gates).
    via: str | None = None
    #: GitLab: the gate is in some ``rules:`` items only (other pipelines run without it).
    partial: bool = False

    @property
    def is_approval(self) -> bool:
        return self.kind in APPROVAL_KINDS

    @property
    def file(self) -> SourceFile | None:
        if self.step is not None:
            return self.step.file
        if self.job is None:
            return None
        return self.job.file_of(self.node) if self.node is not None else self.job.file

    def span(self):
        """Where a finding about the gate points."""
        if self.job is None:
            return None
        if self.node is None:
            return self.job.key_span()
        return self.file.node_span(self.node)


NO_GATE = Gate(NONE, None)


# ------------------------------------------------------------------ own gates


def _task_name(step: Step) -> str:
    ref = step.uses
    if ref is None or ref.kind != "task":
        return ""
    return (ref.repo or ref.raw.split("@", 1)[0]).strip().lower()


def manual_validation_steps(job: Job) -> list[Step]:
    """The job's ``ManualValidation@*`` steps (Azure)."""
    if job.pipeline.platform != "azure":
        return []
    return [s for s in job.steps if _task_name(s) == "manualvalidation"]


def validation_resumes(step: Step) -> bool:
    """``onTimeout: resume``: the validation approves itself when it times out."""
    value = step.input("onTimeout")
    return isinstance(value, Scalar) and value.value.strip().lower() == "resume"


def _gitlab_rules_gates(job: Job) -> list[Gate]:
    """``when: manual`` / ``when: delayed`` inside ``rules:`` items."""
    rules = job.extra.get("rules")
    if not isinstance(rules, Sequence):
        return []
    items = [item for item in rules if isinstance(item, Mapping)]
    whens = []
    for item in items:
        when = item.get("when")
        text = when.value.strip() if isinstance(when, Scalar) else "on_success"
        whens.append((item, when, text))
    running = [w for w in whens if w[2] != "never"]
    out: list[Gate] = []
    for item, when, text in running:
        if text not in ("manual", "delayed"):
            continue
        partial = any(t != text for _i, _w, t in running)
        if text == "delayed":
            out.append(Gate(DELAYED, job, when, False, partial=partial))
            continue
        allow = item.get("allow_failure")
        if isinstance(allow, Scalar) and isinstance(allow.typed(), bool):
            blocking = not allow.typed()
        else:  # inside rules a manual job blocks unless told otherwise
            allow_job = job.allow_failure
            blocking = allow_job is not True
        out.append(Gate(MANUAL, job, when, blocking, partial=partial))
    return out


def own_gates(job: Job) -> list[Gate]:
    """The gates written on the job itself."""
    platform = job.pipeline.platform
    out: list[Gate] = []
    if platform == "github":
        if job.environment is not None:
            out.append(Gate(REVIEWERS, job, job.environment.node, True))
    elif platform == "gitlab":
        if job.when == "manual":
            out.append(Gate(MANUAL, job, job.when_node, job.allow_failure is False))
        elif job.when == "delayed":
            out.append(Gate(DELAYED, job, job.when_node, False))
        elif job.when is None or job.when == "on_success":
            out.extend(_gitlab_rules_gates(job))
    elif platform == "azure":
        if job.deployment_job and job.environment is not None:
            out.append(Gate(REVIEWERS, job, job.environment.node, True))
        for step in manual_validation_steps(job):
            node = step.uses.node if step.uses is not None else step.node
            out.append(Gate(MANUAL_VALIDATION, job, node, not validation_resumes(step), step=step))
    return out


# ------------------------------------------------------------------ upstream


def _holds_back(gate: Gate, via: str) -> bool:
    """An upstream job's gate holds back a later job reached through ``via``."""
    if gate.kind == DELAYED:
        return False
    if gate.kind == MANUAL:
        # a job waits for a manual job it needs; stage order waits only for blocking ones
        return gate.blocking or via == "needs"
    if gate.kind == MANUAL_VALIDATION:
        return True
    # an upstream environment approves that job's own target, not later jobs
    return False


def upstream_gates(job: Job, project) -> list[Gate]:
    """Gates of upstream jobs that hold ``job`` back, nearest first.

    GitHub environments of upstream jobs do not hold a later job for approval (each job
    is approved on its own): only GitLab manual jobs and Azure validations/environments
    count. A GitLab path counts as ``needs`` when every edge on it is an explicit need.
    """
    if job.pipeline.platform == "github":
        return []
    graph = project.graph
    out: list[Gate] = []
    seen = {job}
    frontier = [(job, "needs")]
    while frontier:
        nxt = []
        for current, via in frontier:
            for edge in graph.direct_upstream(current):
                up = edge.upstream
                if up in seen:
                    continue
                seen.add(up)
                path_via = "needs" if via == "needs" and edge.kind == "needs" else "stage-order"
                for gate in own_gates(up):
                    if _holds_back(gate, path_via):
                        out.append(
                            Gate(gate.kind, gate.job, gate.node, gate.blocking, gate.step, own=False, via=path_via,
                                 partial=gate.partial)
                        )
                nxt.append((up, path_via))
        frontier = nxt
    return out


#: project -> {job: its gates}. Keyed by the project, which owns the jobs: a value that
#: referred to its own weak key (job -> (project, ...)) would keep it, and with it the
#: whole model, alive for ever.
_CACHE: "weakref.WeakKeyDictionary[object, dict[Job, tuple]]" = weakref.WeakKeyDictionary()


def gates(job: Job, project) -> list[Gate]:
    """Every gate that protects ``job``: its own first, then upstream ones, nearest first."""
    memo = _CACHE.get(project)
    if memo is None:
        memo = _CACHE[project] = {}
    cached = memo.get(job)
    if cached is not None:
        return list(cached)
    found = own_gates(job) + upstream_gates(job, project)
    memo[job] = tuple(found)
    return found


def approval(job: Job, project) -> Gate:
    """The approval gate protecting ``job`` (its own first), or :data:`NO_GATE`.

    A job's own manual gate counts whether or not it is blocking (the job itself waits
    for someone to play it); delayed jobs have no approval.
    """
    for gate in gates(job, project):
        if gate.is_approval:
            return gate
    return NO_GATE


def is_gated(job: Job, project) -> bool:
    return approval(job, project).kind != NONE


def primary_gate(job: Job, project) -> Gate:
    """The approval gate, else a timer (``delayed``), else :data:`NO_GATE`."""
    gate = approval(job, project)
    if gate.kind != NONE:
        return gate
    for g in gates(job, project):
        if g.kind == DELAYED:
            return g
    return NO_GATE


def gate_unknown(job: Job) -> str | None:
    """Why an approval may exist where pipelint cannot look, or None.

    GitLab: the pipeline includes files that cannot be read (``project:``/``remote:``/
    ``template:``/``component:`` includes) or the job ``extends`` an unknown parent;
    Azure: a template from another repository (or an unreadable one) is part of the
    pipeline, or the job was handed in as a template parameter (``extends`` templates
    often wrap them in approvals)."""
    pipeline = job.pipeline
    if pipeline.platform == "gitlab":
        if job.extra.get("unresolved_extends"):
            return "the job extends a template pipelint cannot read"
        if job.extra.get("unresolved_reference"):
            return "the job uses a !reference pipelint cannot resolve"
        if any(e.get("kind") == "include" for e in pipeline.external if isinstance(e, dict)):
            return "the pipeline includes files pipelint cannot read"
    elif pipeline.platform == "azure":
        if pipeline.external:
            return "the pipeline uses templates pipelint cannot read"
        if job.extra.get("from_parameters") or job.extra.get("inserted"):
            return "the job is handed to a template that may wrap it in approvals"
    return None


def is_top_level_copy(pipeline, project) -> bool:
    """False for a GitLab fragment / Azure template that a scanned pipeline includes.

    Its jobs are linted in the context of the including pipeline (where upstream jobs and
    stages are known), so rules skip the fragment's own copy to report each job once.
    """
    return pipeline.kind not in ("fragment", "template") or not project.included_elsewhere(pipeline)


__all__ = [
    "APPROVAL_KINDS",
    "DELAYED",
    "Gate",
    "MANUAL",
    "MANUAL_VALIDATION",
    "NONE",
    "NO_GATE",
    "REVIEWERS",
    "approval",
    "gate_unknown",
    "gates",
    "is_gated",
    "is_top_level_copy",
    "manual_validation_steps",
    "own_gates",
    "primary_gate",
    "upstream_gates",
    "validation_resumes",
]
