"""PL204 no-rollback-path.

A production deploy (:func:`pipelint.activities.production_deploys`) must have an
automated way back (:func:`pipelint.rollback.rollback_path`): a built-in rollback
(``helm upgrade --atomic``, Argo Rollouts, a rolling-back action/task), a failure-only
step of the job that rolls back, a conditional rollback in its script (``|| helm
rollback``), or a failure-only job (GitHub ``if: failure()``, GitLab ``when:
on_failure``, Azure ``condition: failed()``) that rolls back.

Not judged: jobs that call a reusable workflow (the called jobs are judged), pipelines
with parts pipelint cannot read, GitLab fragments/Azure templates that a scanned
pipeline includes (judged in that pipeline).
"""

from __future__ import annotations

from pipelint.activities import fit, job_path, judged_deploys
from pipelint.deploy import command_targets_production, deploy_commands
from pipelint.diagnostics import Related, Severity
from pipelint.rollback import rollback_path
from pipelint.rule import Rule


class NoRollbackPath(Rule):
    """## What it does
    Reports a production deploy job with no automated way back: no step or job that runs
    on failure and rolls back (`kubectl rollout undo`, `helm rollback`, `kubectl argo
    rollouts abort`...), and no deploy that rolls back by itself (`helm upgrade --atomic`,
    Argo Rollouts).

    ## Why is this bad?
    When the release breaks, production stays broken until someone notices, finds the
    previous version and redeploys it by hand, while users get errors. An automatic
    rollback on failure restores the last good version in minutes.

    ## Example
    ```yaml
    jobs:
      deploy:
        runs-on: ubuntu-latest
        environment: production
        steps:
          - uses: actions/checkout@v4
          - run: |
              kubectl -n production set image deployment/api api=ghcr.io/acme/api:${{ github.sha }}
              kubectl -n production rollout status deployment/api --timeout=5m
    ```

    ## Use instead
    ```yaml
    jobs:
      deploy:
        runs-on: ubuntu-latest
        environment: production
        steps:
          - uses: actions/checkout@v4
          - run: |
              kubectl -n production set image deployment/api api=ghcr.io/acme/api:${{ github.sha }}
              kubectl -n production rollout status deployment/api --timeout=5m
          - if: failure()
            run: kubectl -n production rollout undo deployment/api
    ```
    """

    code = "PL204"
    name = "no-rollback-path"
    severity = Severity.WARNING
    platforms = ("github", "gitlab", "azure")
    tags = ("deployment",)
    precision = "medium"
    scope = "project"

    def check(self, ctx):
        project = ctx.project
        targets = ctx.targets
        # the rollback job may be in a part pipelint cannot read
        for job in judged_deploys(project, targets, known_upstream=True):
            commands = deploy_commands(job)
            if not commands:
                continue  # an environment but no deploy pipelint knows: nothing to roll back
            if rollback_path(job, project):
                continue
            yield self._finding(job, commands, targets)

    def _finding(self, job, commands, targets):
        evidence = [c for c in commands if command_targets_production(c, targets)] or commands
        cmd = evidence[0]
        related = [Related(cmd.span(), f"the production deploy: {cmd.label}")]
        hint = _hint(job, cmd)
        message = fit(
            f"{job.label} deploys to production with no automated rollback, so a failed release stays live "
            f"until someone reverts it by hand; {hint}.",
            f"{job.label} deploys to production with no automated rollback, so a failed release stays live; {hint}.",
            f"{job.label} deploys to production with no automated rollback; {hint}.",
        )
        message = message[:1].upper() + message[1:]  # a label such as job 'x' starts it
        return self.diagnostic(job.key_span(), message, related=related, logical_path=job_path(job))


def _hint(job, cmd) -> str:
    platform = job.pipeline.platform
    if cmd.label in ("helm upgrade", "helm install"):
        return "add --atomic to the helm command or a failure-only step running helm rollback"
    undo = "kubectl rollout undo" if cmd.label.startswith(("kubectl", "oc")) else "a rollback command"
    if platform == "github":
        return f"add a step with `if: failure()` that runs {undo}"
    if platform == "gitlab":
        return f"add a `when: on_failure` job that runs {undo}"
    if job.deployment_job:
        return f"add an `on: failure:` hook that runs {undo}"
    return f"add a step or job with `condition: failed()` that runs {undo}"
