"""PL101 production-deploy-without-gate (GitHub Actions, GitLab CI, Azure Pipelines).

On GitHub the approval gate is the job's ``environment:``: required reviewers, wait
timers and branch rules live in the environment's settings, which pipelint cannot see
offline, so a declared environment counts as "gate present, configuration unknown"
(PL102 checks the settings when an environments export is given). The finding is a
deploy job (:mod:`pipelint.deploy`) that targets production and declares no
environment — production-like by its id/name or by the arguments of its deploy commands.

A job that calls a reusable workflow cannot declare an environment itself; the gate may
be inside the called workflow. A local, scanned workflow is checked: when the call site
targets production (id/name or environment-like ``with:`` input) and a deploy job of the
called workflow declares no environment, the call site is reported. A remote reusable
workflow is unknown: no finding. A called job that is production-like by itself is
reported where it is defined.

GitLab and Azure read the platform-neutral gate facts of :mod:`pipelint.gates`: a GitLab
production deploy is gated when it is ``when: manual`` itself (also inside ``rules:``: the
job never starts before someone plays it), ``needs:`` a manual job, or a blocking manual
job (``allow_failure: false``) sits in an earlier stage; a ``when: delayed`` job is left to
PL104; a GitLab Pages job (``pages``) publishes a static site (GitLab's own templates
give it ``environment: production``) and is not reported. An Azure production deploy is gated when it is a ``deployment:`` job with an
``environment:`` or a ``ManualValidation`` task runs upstream. When part of the pipeline
cannot be read (external includes/templates, unknown ``extends`` parents) no finding is
made. GitLab fragments and Azure templates that a scanned pipeline includes are checked
in that pipeline's context, not on their own.
"""

from __future__ import annotations

from pipelint.activities import path_note, read_only_hint, upstream_elsewhere
from pipelint.deploy import (
    called_workflow,
    command_targets_production,
    deploy_commands,
    is_deploy_job,
    is_pages_job,
    targets_production,
)
from pipelint.diagnostics import Related, Severity, fit as _fit
from pipelint.gates import DELAYED, gate_unknown, gates, is_gated, is_top_level_copy
from pipelint.rule import Rule


class ProductionDeployWithoutGate(Rule):
    """## What it does
    Reports a job that deploys to production (by its environment, its name, or its
    deploy command's target such as `kubectl apply -n production`) with no approval gate:
    on GitHub no `environment:` (the only place GitHub can hold a job for approval); on
    GitLab no `when: manual` on the job, no `needs:` of a manual job and no blocking
    manual job (`allow_failure: false`) in an earlier stage; on Azure Pipelines neither a
    `deployment:` job with an `environment:` nor a `ManualValidation` task upstream.

    ## Why is this bad?
    Without an environment nothing stops the job: every push or tag that triggers the
    workflow ships straight to production, with no reviewer, no wait timer and no
    branch restriction, and the deployment is not recorded in the environment's history.

    ## Example
    ```yaml
    jobs:
      deploy-production:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: kubectl apply -n production -f k8s/
    ```

    ## Use instead
    ```yaml
    jobs:
      deploy-production:
        runs-on: ubuntu-latest
        environment: production  # required reviewers set in the environment's settings
        steps:
          - uses: actions/checkout@v4
          - run: kubectl apply -n production -f k8s/
    ```
    """

    code = "PL101"
    name = "production-deploy-without-gate"
    severity = Severity.ERROR
    platforms = ("github", "gitlab", "azure")
    tags = ("gates", "deployment")
    precision = "high"

    def check(self, ctx):
        pipeline = ctx.file.pipeline
        if pipeline is None:
            return
        if pipeline.platform in ("gitlab", "azure"):
            yield from self._other(ctx, pipeline)
            return
        if pipeline.platform != "github":
            return
        targets = ctx.targets
        for job in pipeline.jobs.values():
            if job.uses is not None:
                yield from self._call_site(ctx, job)
                continue
            if job.environment is not None or not is_deploy_job(job):
                continue
            if not targets_production(job, targets):
                continue
            commands = deploy_commands(job)
            evidence = [c for c in commands if command_targets_production(c, targets)] or commands
            related = []
            if evidence:
                related.append(Related(evidence[0].span(), f"the production deploy: {evidence[0].label}"))
            message = _fit(
                f"{job.label} deploys to production without an approval gate, so every run ships unreviewed; "
                "add `environment: production` with required reviewers.",
                f"{job.label} deploys to production without an approval gate; add `environment:` with required reviewers.",
            )
            yield self.diagnostic(job.key_span(), message, related=related, logical_path=f"jobs.{job.id}")

    def _call_site(self, ctx, job):
        called = called_workflow(job, ctx.project)
        if called is None:
            return  # remote or not scanned: the gate may be inside, unknown
        targets = ctx.targets
        # production by the call site itself (id/name, environment-like ``with:`` input)
        if not targets_production(job, targets):
            return
        ungated = [
            inner
            for inner in called.jobs.values()
            if inner.uses is None
            and inner.environment is None
            and is_deploy_job(inner)
            and not targets_production(inner, targets)  # those are reported where defined
        ]
        if not ungated:
            return
        inner = ungated[0]
        commands = deploy_commands(inner)
        span = commands[0].span() if commands else inner.key_span()
        related = [Related(span, f"{inner.label} of the called workflow deploys without `environment:`")]
        message = _fit(
            f"{job.label} deploys to production through '{job.uses.raw}', whose {inner.label} has no approval gate; "
            "give that job an `environment:` with required reviewers.",
            f"{job.label} deploys to production through a reusable workflow whose deploy job has no `environment:` gate; add one.",
        )
        yield self.diagnostic(job.key_span(), message, related=related, logical_path=f"jobs.{job.id}")


    def _other(self, ctx, pipeline):
        if not is_top_level_copy(pipeline, ctx.project):
            return
        project = ctx.project
        targets = ctx.targets
        gitlab = pipeline.platform == "gitlab"
        for key, job in pipeline.jobs.items():
            if gitlab and (job.extra.get("trigger") is not None or job.when in ("never", "on_failure")):
                continue  # a downstream pipeline (its own gates), or not a normal run
            if not is_deploy_job(job) or is_pages_job(job) or not targets_production(job, targets):
                continue
            if is_gated(job, project) or any(g.kind == DELAYED for g in gates(job, project)):
                continue  # gated, or a timer (PL104)
            if gate_unknown(job):
                continue
            commands = deploy_commands(job)
            evidence = [c for c in commands if command_targets_production(c, targets)] or commands
            related = []
            if evidence:
                related.append(Related(evidence[0].span(), f"the production deploy: {evidence[0].label}"))
            short_advice = "add a blocking manual job before it" if gitlab else "add environment approvals or a ManualValidation before it"
            if gitlab:
                advice = "make it `when: manual` with `allow_failure: false`, or `needs:` a blocking manual approval job"
            elif job.deployment_job:
                advice = "give it an `environment:` with approvals, or a ManualValidation upstream"
            else:
                advice = "use a `deployment:` job whose environment has approvals, or a ManualValidation upstream"
            related += upstream_elsewhere(job, project) + read_only_hint(job)
            path = path_note(job, project)
            message = _fit(
                f"{job.label} deploys to production without an approval gate{path}, so every run ships unreviewed; {advice}.",
                f"{job.label} deploys to production without an approval gate{path}; {advice}.",
                f"{job.label} deploys to production without an approval gate{path}; {short_advice}.",
                f"{job.label} deploys to production without an approval gate, so every run ships unreviewed; {advice}.",
                f"{job.label} deploys to production without an approval gate; {advice}.",
                f"{job.label} deploys to production without an approval gate; add one.",
            )
            yield self.diagnostic(job.key_span(), message, related=related, logical_path=_path(pipeline, key, job))


def _path(pipeline, key, job) -> str:
    if pipeline.platform == "azure":
        if job.stage:
            return f"stages.{job.stage}.jobs.{job.id}"
        return f"jobs.{job.id}"
    return job.id
