"""PL104 timer-is-not-approval (GitLab CI).

A GitLab production deploy with ``when: delayed`` (``start_in``) — at job level or in a
``rules:`` item — and no approval gate (:func:`pipelint.gates.is_gated`: not manual, no
``needs:`` of a manual job, no blocking manual job upstream) starts by itself when the
timer ends. The finding points at the ``when: delayed``. PL101 leaves such jobs to this
rule. Pipelines with parts that cannot be read (external includes, unknown ``extends``
parents) are not concluded on.
"""

from __future__ import annotations

from pipelint.deploy import is_deploy_job, is_pages_job, targets_production
from pipelint.diagnostics import Related, Severity, fit as _fit
from pipelint.gates import DELAYED, gate_unknown, is_gated, is_top_level_copy, own_gates
from pipelint.rule import Rule
from pipelint.yamltree import Scalar


class TimerIsNotApproval(Rule):
    """## What it does
    Reports a GitLab production deploy that waits on a timer (`when: delayed` with
    `start_in`) and has no other gate.

    ## Why is this bad?
    A delay is not an approval: unless someone happens to cancel the job in time, it
    ships to production by itself when the timer ends, and nobody is asked or told.

    ## Example
    ```yaml
    deploy-production:
      stage: deploy
      when: delayed
      start_in: 30 minutes
      environment: production
      script: kubectl apply -n production -f k8s/
    ```

    ## Use instead
    ```yaml
    deploy-production:
      stage: deploy
      when: manual
      allow_failure: false
      environment: production
      script: kubectl apply -n production -f k8s/
    ```
    """

    code = "PL104"
    name = "timer-is-not-approval"
    severity = Severity.WARNING
    platforms = ("gitlab",)
    tags = ("gates", "deployment")
    precision = "high"

    def check(self, ctx):
        pipeline = ctx.file.pipeline
        if pipeline is None or pipeline.platform != "gitlab" or not is_top_level_copy(pipeline, ctx.project):
            return
        project = ctx.project
        targets = ctx.targets
        for job in pipeline.jobs.values():
            timers = [g for g in own_gates(job) if g.kind == DELAYED]
            if not timers:
                continue
            if job.extra.get("trigger") is not None or is_pages_job(job):
                continue
            if not is_deploy_job(job) or not targets_production(job, targets):
                continue
            if is_gated(job, project) or gate_unknown(job):
                continue
            gate = timers[0]
            start = job.extra.get("start_in")
            when = f" ({start.value})" if isinstance(start, Scalar) and start.value else ""
            message = _fit(
                f"{job.label} deploys to production on a timer{when} with no approval gate, so it ships by itself when "
                "the timer ends; use `when: manual` with `allow_failure: false`.",
                f"{job.label} deploys to production on a timer with no approval; use `when: manual` with `allow_failure: false`.",
            )
            related = []
            if isinstance(start, Scalar):
                related.append(Related(job.file_of(start).node_span(start), "the timer"))
            yield self.diagnostic(gate.span(), message, related=related, logical_path=f"{job.id}.when")
