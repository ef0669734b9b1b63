"""PL108 concurrent-production-deploys.

A production deploy must be serialised so that two runs never deploy at once:

* GitHub: ``concurrency:`` on the job or the workflow (for a job of a reusable workflow,
  on the calling job or the caller's workflow too). A group that is unique per run
  (``${{ github.run_id }}``, ``github.run_number``, ``github.run_attempt``) serialises
  nothing: it counts as absent.
* GitLab: ``resource_group:`` on the job.
* Azure: a ``deployment:`` job (its environment's exclusive-lock check can serialise
  runs), or ``lockBehavior`` on the job, stage or pipeline (``sequential`` or
  ``runLatest``: both take the exclusive lock one run at a time).

Jobs calling a reusable workflow are not judged themselves (the called jobs are);
GitLab fragments/Azure templates included by a scanned pipeline are judged there.
"""

from __future__ import annotations

from pipelint.activities import fit, job_path, judged_deploys, read_only_hint
from pipelint.diagnostics import Related, Severity
from pipelint.rule import Rule
from pipelint.yamltree import Mapping, Scalar

_PER_RUN = ("github.run_id", "github.run_number", "github.run_attempt")


class ConcurrentProductionDeploys(Rule):
    """## What it does
    Reports a production deploy job that nothing serialises: no `concurrency:` on the
    GitHub job or workflow, no `resource_group:` on the GitLab job, neither an Azure
    deployment job nor `lockBehavior`.

    ## Why is this bad?
    Two pipelines started close together (two merges, a retry) deploy at the same time:
    the older release can finish last and overwrite the newer one, and concurrent
    migrations or `terraform apply` runs corrupt state.

    ## Example
    ```yaml
    deploy-production:
      stage: deploy
      environment: production
      script:
        - helm upgrade --install api ./chart -n production
    ```

    ## Use instead
    ```yaml
    deploy-production:
      stage: deploy
      environment: production
      resource_group: production
      script:
        - helm upgrade --install api ./chart -n production
    ```
    """

    code = "PL108"
    name = "concurrent-production-deploys"
    severity = Severity.WARNING
    platforms = ("github", "gitlab", "azure")
    tags = ("deployment",)
    precision = "high"
    scope = "project"

    def check(self, ctx):
        project = ctx.project
        targets = ctx.targets
        for job in judged_deploys(project, targets):
            if _serialised(job, project):
                continue
            yield self._finding(job)

    def _finding(self, job):
        platform = job.pipeline.platform
        fix = {
            "github": "add `concurrency:` with a fixed group to the job or workflow",
            "gitlab": "add `resource_group: production` to the job",
            "azure": "make it a `deployment:` job or set `lockBehavior: sequential`",
        }[platform]
        related = []
        if platform == "github" and job.concurrency is not None:
            related.append(Related(job.node_file.node_span(job.concurrency), "this concurrency group is unique per run"))
        elif platform == "github" and job.pipeline.concurrency is not None:
            related.append(Related(job.pipeline.file.node_span(job.pipeline.concurrency), "this concurrency group is unique per run"))
        related += read_only_hint(job)
        message = fit(
            f"{job.label} deploys to production with nothing serialising runs, so two pipelines can deploy at once and "
            f"the older release can win; {fix}.",
            f"{job.label} deploys to production with nothing serialising runs; {fix}.",
        )
        return self.diagnostic(job.key_span(), message, related=related, logical_path=job_path(job))


def _serialised(job, project) -> bool:
    platform = job.pipeline.platform
    if platform == "gitlab":
        return job.serialised_by is not None and _non_null(job.serialised_by)
    if platform == "azure":
        return job.deployment_job or (job.serialised_by is not None and _non_null(job.serialised_by))
    if _groups(job.concurrency) or _groups(job.pipeline.concurrency):
        return True
    if job.pipeline.kind == "reusable-workflow":
        callers = project.graph.callers.get(job.pipeline, ())
        if not callers:
            return True  # the callers (not scanned) may serialise it
        return all(_groups(c.concurrency) or _groups(c.pipeline.concurrency) for c in callers)
    return False


def _non_null(node) -> bool:
    return not (isinstance(node, Scalar) and node.value.strip() in ("", "~", "null"))


def _groups(node) -> bool:
    """A GitHub ``concurrency:`` that can hold two runs apart."""
    if node is None:
        return False
    group = node.get("group") if isinstance(node, Mapping) else node
    if not isinstance(group, Scalar) or not group.value.strip():
        return False
    from pipelint.expressions import github as gh

    for found in gh.find_expressions(group.value):
        try:
            expr = gh.parse(found.inner)
        except Exception:
            continue
        if any(p[0] in _PER_RUN for p in gh.context_paths(expr)):
            return False
    return True
