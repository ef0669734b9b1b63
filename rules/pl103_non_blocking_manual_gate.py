"""PL103 non-blocking-manual-gate (GitLab CI).

A GitLab ``when: manual`` job outside ``rules:`` has ``allow_failure: true`` by default:
the pipeline does not wait for it, and jobs of later stages start at once. Such a job
"used as the approval" of a later production deploy approves nothing. The finding is the
manual job (:mod:`pipelint.gates`: a ``manual`` gate that is not blocking — also a
``rules:`` item with an explicit ``allow_failure: true``) when a production deploy
downstream of it by stage order has no approval gate of its own: it is not manual itself,
does not ``needs:`` a manual job and has no blocking manual job upstream. Only manual
jobs that deploy nothing count as approvals: a manual deploy (staging, a canary) or an
``environment: action: stop`` job is not one (PL101 reports the ungated production
deploy). Pipelines with parts that
cannot be read (external includes, unknown ``extends`` parents) are not concluded on.
"""

from __future__ import annotations

from pipelint import yamledit
from pipelint.deploy import is_deploy_job, is_pages_job, targets_production
from pipelint.diagnostics import Applicability, Edit, Fix, Related, Severity, fit as _fit
from pipelint.gates import MANUAL, gate_unknown, is_gated, is_top_level_copy, own_gates
from pipelint.rule import Rule
from pipelint.yamltree import Mapping, Sequence


class NonBlockingManualGate(Rule):
    """## What it does
    Reports a GitLab `when: manual` job that does not block the pipeline (no
    `allow_failure: false`) but stands before a production deploy as its approval, while
    the deploy does not `needs:` it.

    ## Why is this bad?
    Outside `rules:`, a manual job is allowed to fail by default, so GitLab treats it as
    optional: later stages start without waiting for anyone to press play, and the
    production deploy ships while the "approval" job is still waiting.

    ## Example
    ```yaml
    stages: [build, approve, deploy]

    approve-release:
      stage: approve
      when: manual
      script: echo "approved"

    deploy-production:
      stage: deploy
      environment: production
      script: helm upgrade --install web ./chart -n production
    ```

    ## Use instead
    ```yaml
    stages: [build, approve, deploy]

    approve-release:
      stage: approve
      when: manual
      allow_failure: false
      script: echo "approved"

    deploy-production:
      stage: deploy
      environment: production
      script: helm upgrade --install web ./chart -n production
    ```
    """

    code = "PL103"
    name = "non-blocking-manual-gate"
    severity = Severity.ERROR
    platforms = ("gitlab",)
    tags = ("gates", "deployment")
    precision = "high"
    fixable = True

    def check(self, ctx):
        pipeline = ctx.file.pipeline
        if pipeline is None or pipeline.platform != "gitlab" or not is_top_level_copy(pipeline, ctx.project):
            return
        project = ctx.project
        targets = ctx.targets
        graph = project.graph
        for job in pipeline.jobs.values():
            manual = [g for g in own_gates(job) if g.kind == MANUAL and not g.blocking]
            if not manual:
                continue
            if is_deploy_job(job) or job.environment is not None:
                continue  # a manual deploy / stop job is not an approval job
            victim = None
            for later in graph.downstream(job):
                if later is job or later.pipeline is not pipeline:
                    continue
                if later.extra.get("trigger") is not None or later.when in ("never", "on_failure", "delayed"):
                    continue
                if not is_deploy_job(later) or is_pages_job(later) or not targets_production(later, targets):
                    continue
                if is_gated(later, project) or gate_unknown(later):
                    continue
                victim = later
                break
            if victim is None:
                continue
            gate = manual[0]
            message = _fit(
                f"{job.label} is `when: manual` without `allow_failure: false`, so later stages do not wait for it and "
                f"{victim.label} deploys to production unapproved; set `allow_failure: false`.",
                f"{job.label} is a non-blocking manual job: {victim.label} deploys to production without waiting for it; "
                "set `allow_failure: false`.",
                f"{job.label} is a non-blocking manual gate; set `allow_failure: false`.",
            )
            related = [Related(victim.key_span(), f"the production deploy that does not wait: {victim.label}")]
            yield self.diagnostic(
                gate.span(), message, related=related, logical_path=f"{job.id}.when", fix=_fix(job, gate, pipeline)
            )


# ------------------------------------------------------------------- fixes
# Adding `allow_failure: false` next to a job-level `when: manual` is safe: it is what
# the job is used as (an approval later stages wait for). Turning an explicit
# `allow_failure: true` into `false` reverses a written choice: unsafe.


def _fix(job, gate, pipeline) -> Fix | None:
    if job.key_source is not None:
        return None  # a job from an included file: its text is not in this document
    body = yamledit.value_at_key(pipeline.root, job.key_node.start_index)
    if not isinstance(body, Mapping) or body.flow_style:
        return None
    file = pipeline.file
    text = file.text
    when = gate.node
    rule_item = None
    if when is not None and body.get("when") is not when:
        rules = body.get("rules")
        items = list(rules.items) if isinstance(rules, Sequence) else []
        rule_item = next((i for i in items if isinstance(i, Mapping) and i.get("when") is when), None)
        if rule_item is None:
            return None  # the `when:` is inherited (extends, an anchor): edit it there
    holder = rule_item if rule_item is not None and "allow_failure" in rule_item else body
    explicit = holder.get("allow_failure") if "allow_failure" in holder else None
    if explicit is not None:
        if not (yamledit.scalar_is_editable(text, explicit) and explicit.value.strip() in ("true", "True", "TRUE")):
            return None
        if yamledit.value_at_key(holder, holder.key_node("allow_failure").start_index) is not explicit:
            return None  # merged in from an anchor
        edit = Edit(file.path, explicit.start_index, explicit.end_index, "false")
        where = " in its rules: item" if holder is rule_item else ""
        return Fix(
            f"change allow_failure: true to false{where} on {job.id}, so later stages wait for it",
            (edit,),
            Applicability.UNSAFE,
        )
    if rule_item is not None:
        return None  # a rules: manual job blocks unless allow_failure is set: handled above
    if "when" not in body:
        return None
    edit = yamledit.insert_at_key(text, file.path, body, ["allow_failure: false"], after="when")
    if edit is None:
        return None
    return Fix(f"add 'allow_failure: false' to {job.id}, so later stages wait for it", (edit,), Applicability.SAFE)
