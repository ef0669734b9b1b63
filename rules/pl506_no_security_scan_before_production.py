"""PL506 no-security-scan-before-production.

A production deploy (:func:`pipelint.activities.production_deploys`) should have a
security scan (:mod:`pipelint.scanning`) upstream of it in the project graph (``needs``,
GitLab stages, Azure ``dependsOn``/stages, GitHub ``workflow_run`` and reusable-workflow
callers, across files), or earlier in its own job, or — on GitLab — its pipeline includes
a scanning template (``include: template: Security/SAST.gitlab-ci.yml``).

A scan that does not block (``continue-on-error``, ``allow_failure``, ``|| true``) counts:
it still reports findings; the rule is about a scan being absent.

Not judged (unknown, no finding): pipelines with parts pipelint cannot read (remote,
project or component includes, Azure external templates: the scan may be there), jobs
downstream of a job that calls a reusable workflow pipelint did not scan, GitLab
fragments/Azure templates a scanned pipeline includes (judged there), jobs calling a
reusable workflow (their called jobs are judged).
"""

from __future__ import annotations

from pipelint.activities import (
    fit,
    job_path,
    judged_deploys,
    path_note,
    read_only_hint,
    upstream_elsewhere,
)
from pipelint.deploy import command_targets_production, deploy_commands
from pipelint.diagnostics import Related, Severity
from pipelint.rule import Rule
from pipelint.scanning import job_scans, scan_templates, scans_before_deploy, unreadable_parts


class NoSecurityScanBeforeProduction(Rule):
    """## What it does
    Reports a production deploy job with no security scan before it: no job it needs or
    follows runs a scanner (`trivy`, `grype`, `snyk test`, `semgrep`, `docker scout`,
    `npm audit`, CodeQL, `aquasecurity/trivy-action`, Azure `AdvancedSecurity-*` tasks...),
    its own steps scan nothing before deploying, and (GitLab) the pipeline includes no
    scanning template such as `Security/SAST.gitlab-ci.yml`.

    ## Why is this bad?
    A known-vulnerable dependency, a leaked credential or a vulnerable base image ships to
    production unnoticed: nothing looked at the release before users receive it. A scan
    that runs first (even one that only reports) makes the risk visible before the deploy.

    ## Example
    ```yaml
    jobs:
      build:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: docker build -t ghcr.io/acme/api:${{ github.sha }} .
      deploy:
        needs: build
        runs-on: ubuntu-latest
        environment: production
        steps:
          - run: kubectl set image deployment/api api=ghcr.io/acme/api:${{ github.sha }}
    ```

    ## Use instead
    ```yaml
    jobs:
      build:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: docker build -t ghcr.io/acme/api:${{ github.sha }} .
          - run: trivy image --exit-code 1 --severity HIGH,CRITICAL ghcr.io/acme/api:${{ github.sha }}
      deploy:
        needs: build
        runs-on: ubuntu-latest
        environment: production
        steps:
          - run: kubectl set image deployment/api api=ghcr.io/acme/api:${{ github.sha }}
    ```
    """

    code = "PL506"
    name = "no-security-scan-before-production"
    severity = Severity.WARNING
    platforms = ("github", "gitlab", "azure")
    tags = ("promotion", "deployment", "security")
    precision = "medium"
    scope = "project"

    def check(self, ctx):
        project = ctx.project
        targets = ctx.targets
        graph = project.graph
        for job in judged_deploys(project, targets, called=True):
            if _scanned(job, graph):
                continue
            yield self._finding(job, project, targets)

    def _finding(self, job, project, targets):
        related = []
        commands = deploy_commands(job)
        evidence = [c for c in commands if command_targets_production(c, targets)] or commands
        if evidence:
            related.append(Related(evidence[0].span(), f"the production deploy: {evidence[0].label}"))
        related += upstream_elsewhere(job, project)
        related += read_only_hint(job)
        path = path_note(job, project)
        suggestion = _suggestion(job)
        message = fit(
            f"{job.label} deploys to production with no security scan before it{path}, so vulnerable code or images ship "
            f"unnoticed; run a scan ({suggestion}) in a job it needs.",
            f"{job.label} deploys to production with no security scan before it{path}; run a scan ({suggestion}) in a job it needs.",
            f"{job.label} deploys to production with no security scan before it, so vulnerable code or images ship "
            f"unnoticed; run a scan ({suggestion}) in a job it needs.",
            f"{job.label} deploys to production with no security scan before it; run a scan ({suggestion}) in a job it needs.",
            f"{job.label} deploys to production with no security scan before it; run a scan in a job it needs.",
        )
        message = message[:1].upper() + message[1:]  # a label such as job 'x' starts it
        return self.diagnostic(job.key_span(), message, related=related, logical_path=job_path(job))


def _suggestion(job) -> str:
    platform = job.pipeline.platform
    if platform == "gitlab":
        return "include Security/SAST.gitlab-ci.yml or run trivy image"
    if platform == "azure":
        return "an AdvancedSecurity task or trivy image"
    return "CodeQL or trivy image"


def _scanned(job, graph) -> bool:
    """A scan runs before the deploy, or whether one does cannot be known (True: no
    finding)."""
    if scans_before_deploy(job):
        return True
    upstream = graph.upstream(job)
    pipelines = {job.pipeline}
    for up in upstream:
        pipelines.add(up.pipeline)
        if up.uses is not None and up not in graph.called:
            return True  # calls a reusable workflow pipelint did not read: unknown
        if job_scans(up):
            return True
    for pipeline in pipelines:
        if scan_templates(pipeline):
            return True
        if unreadable_parts(pipeline):
            return True  # the scan may be in a part pipelint cannot read
        if pipeline.platform == "gitlab" and pipeline.kind == "fragment":
            if any(j.extra.get("stage_undeclared") for j in pipeline.jobs.values()):
                return True  # the including pipeline orders its jobs
    return False
