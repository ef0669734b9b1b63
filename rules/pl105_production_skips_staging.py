"""PL105 production-skips-staging.

For every production deploy (:mod:`pipelint.deploy`), the jobs upstream of it in the
project graph — ``needs``, ``workflow_run`` chains across files, reusable-workflow calls —
must include a staging-like deploy. A staging deploy command earlier in the same job
(``kubectl apply -n staging`` before ``kubectl apply -n production``) counts too.

Where the production deploy lives in a reusable workflow, each call site is judged with
the called workflow's own ``needs`` plus what is upstream of the call site, and the call
site is reported (related: the called job). A reusable workflow with no scanned caller
and no trigger of its own is not judged (its callers are elsewhere). A call site that
deploys to production by its ``with:`` inputs or id/name is judged like a job. Remote
reusable workflows: an upstream call site whose id/name or inputs are staging-like counts
as a staging deploy; a production call site is not known to deploy (no finding).

GitLab and Azure: the upstream is the project graph's (GitLab stage order or ``needs``,
Azure stage ``dependsOn``/previous stage and job ``dependsOn``). GitLab fragments and
Azure templates that a scanned pipeline includes are judged in that pipeline, not again
on their own. A pipeline with parts pipelint cannot read (``include: project|remote|
template``, templates in other repositories) is not judged: the staging deploy may be
there. GitLab ``environment: action: stop|prepare|verify|access`` jobs do not deploy.

Unknown targets are never findings: an environment whose name is an expression
(``${{ inputs.environment }}``, ``${{ matrix.env }}``) is neither production nor staging.
"""

from __future__ import annotations

from collections import deque

from pipelint.deploy import (
    called_workflow,
    workflow_callers,
    command_targets_production,
    command_targets_staging,
    deploy_commands,
    describe_target,
    is_deploy_job,
    targets_production,
    targets_staging,
)
from pipelint.activities import (
    deploying,
    job_path,
    judged_pipelines,
    path_note,
    production_deploys,
    read_only_hint,
    upstream_elsewhere,
    upstream_known,
)
from pipelint.diagnostics import Related, Severity, fit as _fit
from pipelint.parsers.github import repository_root_for
from pipelint.rule import Rule


class ProductionSkipsStaging(Rule):
    """## What it does
    Reports a production deploy that has no staging-like deploy upstream of it: no job it
    `needs` (directly or transitively), no workflow it follows through `workflow_run`, no
    job of an earlier GitLab stage or of an Azure stage it depends on, and no earlier step
    of its own job deploys to staging.

    ## Why is this bad?
    A release that reaches production without first running in a staging environment is
    tested for the first time by real users. Configuration, migrations and
    infrastructure differences that a staging deploy would have caught become outages.

    ## Example
    ```yaml
    on:
      push:
        tags: ["v*"]
    jobs:
      deploy-production:
        runs-on: ubuntu-latest
        environment: production
        steps:
          - run: helm upgrade --install api ./chart -n production
    ```

    ## Use instead
    ```yaml
    on:
      push:
        tags: ["v*"]
    jobs:
      deploy-staging:
        runs-on: ubuntu-latest
        environment: staging
        steps:
          - run: helm upgrade --install api ./chart -n staging
      deploy-production:
        needs: deploy-staging
        runs-on: ubuntu-latest
        environment: production
        steps:
          - run: helm upgrade --install api ./chart -n production
    ```
    """

    code = "PL105"
    name = "production-skips-staging"
    severity = Severity.ERROR
    platforms = ("github", "gitlab", "azure")
    tags = ("promotion", "deployment")
    precision = "medium"
    scope = "project"

    def check(self, ctx):
        project = ctx.project
        targets = ctx.targets
        graph = project.graph
        reported: set[int] = set()
        for pipeline in project.pipelines_of("github"):
            for job in pipeline.jobs.values():
                for site, inner, upstream in self._units(job, project, targets, graph):
                    if id(site) in reported:
                        continue
                    if inner is not None and _stages_in_job(inner, targets):
                        continue
                    if inner is None and _stages_in_job(site, targets):
                        continue
                    staging, nearest = _staging_upstream(upstream, project, targets)
                    if staging is not None:
                        continue
                    reported.add(id(site))
                    yield self._finding(site, inner, nearest, project)
        yield from self._other_platforms(project, targets, graph)

    def _other_platforms(self, project, targets, graph):
        seen: set = set()
        for pipeline in judged_pipelines(project, ("gitlab", "azure")):
            if not upstream_known(pipeline):
                continue  # what is missing may be in a part pipelint cannot read
            for job in production_deploys(pipeline, targets):
                key = (job.file.path, job.key_node.start_index)
                if key in seen or _stages_in_job(job, targets):
                    continue
                upstream = [j for j in graph.upstream(job) if deploying(j)]
                staging, nearest = _staging_upstream(upstream, project, targets)
                if staging is not None:
                    continue
                seen.add(key)
                yield self._finding(job, None, nearest, project)

    # ------------------------------------------------------------------ units
    def _units(self, job, project, targets, graph):
        """(report site, called job or None, upstream jobs) for each production deploy."""
        if job.uses is not None:
            called = called_workflow(job, project)
            if called is None:
                return  # remote: not known to deploy
            if not is_deploy_job(job, project):
                return
            inner_prod = [j for j in called.jobs.values() if j.uses is None and is_deploy_job(j) and targets_production(j, targets)]
            if inner_prod:
                return  # judged through the called job, per call site (below)
            if not targets_production(job, targets):
                return
            upstream = _walk(job, graph, project, skip=called)
            upstream += [j for j in called.jobs.values() if j.uses is None and is_deploy_job(j) and targets_staging(j, targets)]
            deployers = [j for j in called.jobs.values() if j.uses is None and is_deploy_job(j)]
            yield job, (deployers[0] if deployers else None), upstream
            return
        if not is_deploy_job(job) or not targets_production(job, targets):
            return
        pipeline = job.pipeline
        callers = workflow_callers(pipeline, project) if pipeline.kind == "reusable-workflow" else []
        if callers:
            inside = _in_file_upstream(job)
            for caller in callers:
                yield caller, job, inside + _walk(caller, graph, project, skip=pipeline)
            return
        if pipeline.kind == "reusable-workflow" and not (pipeline.events - {"workflow_call"}):
            return  # only ever called, and no caller was scanned: upstream unknown
        yield job, None, _walk(job, graph, project, skip=None)

    def _finding(self, site, inner, nearest, project):
        related = []
        if inner is not None:
            related.append(Related(inner.key_span(), f"{inner.label} of the called workflow performs the deploy"))
        if nearest is not None:
            related.append(Related(nearest.key_span(), f"nearest upstream deploy: {describe_target(nearest)}, not staging-like"))
        related += upstream_elsewhere(site, project) + read_only_hint(site)
        what = site.label if inner is None else f"{site.label} (through {inner.label})"
        path = path_note(site, project)
        message = _fit(
            f"{what} deploys to production with no staging deploy before it{path}, so each release is first tested "
            "by users; make it need a staging deploy job.",
            f"{site.label} deploys to production with no staging deploy before it{path}; make it need a staging deploy job.",
            f"{what} deploys to production with no staging deploy before it, so each release is first tested by users; "
            "make it need a staging deploy job.",
            f"{site.label} deploys to production with no staging deploy before it; make it need a staging deploy job.",
        )
        return self.diagnostic(site.key_span(), message, related=related, logical_path=job_path(site))


# ---------------------------------------------------------------------- helpers


def _stages_in_job(job, targets) -> bool:
    """A staging deploy command runs in the job before its first production one."""
    if job.uses is not None:
        return False
    for cmd in deploy_commands(job):
        if command_targets_production(cmd, targets):
            return False
        if command_targets_staging(cmd, targets):
            return True
    return False


def _staging_upstream(upstream, project, targets):
    """(the first staging-like deploy upstream, the nearest upstream deploy) — either may be None."""
    nearest = None
    for job in upstream:
        if job.uses is not None and called_workflow(job, project) is None:
            # remote reusable workflow: trust a staging-like call site
            if targets_staging(job, targets):
                return job, nearest
            continue
        if not is_deploy_job(job, project):
            continue
        if targets_staging(job, targets, project):
            return job, nearest
        if nearest is None:
            nearest = job
    return None, nearest


def _in_file_upstream(job) -> list:
    """Jobs of the same file that ``job`` needs, transitively, nearest first."""
    jobs = job.pipeline.jobs
    seen = {id(job)}
    order = []
    queue = deque([job])
    while queue:
        current = queue.popleft()
        for need in current.needs:
            up = jobs.get(need.job_id)
            if up is not None and id(up) not in seen:
                seen.add(id(up))
                order.append(up)
                queue.append(up)
    return order


def _walk(start, graph, project, skip):
    """``graph.upstream(start)``, nearest first, without entering the jobs of pipeline
    ``skip`` (the called workflow being judged per call site), and keeping only edges
    inside one repository: a reusable-workflow edge must lead into the workflow the job
    really calls (several repositories scanned together share relative paths)."""
    seen = {id(start)}
    order = []
    queue = deque([start])
    while queue:
        current = queue.popleft()
        root = repository_root_for(current.file)
        for edge in graph.direct_upstream(current):
            up = edge.upstream
            if up.pipeline is skip or id(up) in seen:
                continue
            if edge.kind == "reusable-workflow":
                if called_workflow(current, project) is not up.pipeline:
                    continue
            elif repository_root_for(up.file) != root:
                continue
            seen.add(id(up))
            order.append(up)
            queue.append(up)
    return order
