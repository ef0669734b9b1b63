"""PL101 production-deploy-without-gate (GitHub Actions part).

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
"""

from __future__ import annotations

from pipelint.deploy import (
    called_workflow,
    command_targets_production,
    deploy_commands,
    is_deploy_job,
    targets_production,
)
from pipelint.diagnostics import Related, Severity
from pipelint.rule import Rule

_MAX = 199


class ProductionDeployWithoutGate(Rule):
    """## What it does
    Reports a GitHub Actions job that deploys to production (by its name, or by its
    deploy command's target such as `kubectl apply -n production`) but declares no
    `environment:`, the only place GitHub can hold a job for approval.

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
    platforms = ("github",)
    tags = ("gates", "deployment")
    precision = "high"

    def check(self, ctx):
        pipeline = ctx.file.pipeline
        if pipeline is None or pipeline.platform != "github":
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


def _fit(*messages: str) -> str:
    for m in messages:
        if len(m) <= _MAX:
            return m
    return messages[-1][: _MAX - 1].rstrip() + "…"
