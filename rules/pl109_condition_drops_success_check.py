"""PL109 condition-drops-success-check.

* Azure: a stage or job ``condition:`` on a production deploy that calls no status
  function at all (``succeeded()``, ``failed()``, ``always()``, ``succeededOrFailed()``,
  ``canceled()``: an explicit one is deliberate) and checks no dependency result
  (``dependencies.X.result``, ``stageDependencies...``). A custom condition replaces the
  implicit ``succeeded()``, so the deploy runs although what it depends on failed. Only
  reported where there is something to fail: a stage with dependencies (explicit or the
  implicit previous stage), a job with ``dependsOn``.
* GitHub: a production deploy job with ``needs`` whose ``if:`` calls ``always()`` or
  ``cancelled()`` (``!cancelled()``) without ``success()`` and without reading
  ``needs.<job>.result``: it runs although a needed job (tests, staging) failed.

The finding points at the condition (one finding per stage condition, however many
production jobs the stage holds).
"""

from __future__ import annotations

from pipelint.activities import fit, job_path, judged_pipelines, path_note, production_deploys, upstream_elsewhere
from pipelint.diagnostics import Related, Severity
from pipelint.rule import Rule

_STATUS = frozenset(("succeeded", "failed", "always", "succeededorfailed", "canceled"))


class ConditionDropsSuccessCheck(Rule):
    """## What it does
    Reports a production deploy whose custom condition no longer requires the jobs before
    it to have succeeded: an Azure stage/job `condition:` without `succeeded()`, or a
    GitHub `if: always()` / `if: ${{ !cancelled() }}` on a job with `needs`.

    ## Why is this bad?
    A custom condition replaces the implicit success check. Production is deployed even
    when the tests or the staging deploy it depends on failed.

    ## Example
    ```yaml
    stages:
      - stage: Staging
        jobs:
          - deployment: DeployStaging
            environment: staging
            strategy:
              runOnce:
                deploy:
                  steps:
                    - script: ./deploy.sh staging
      - stage: Production
        dependsOn: Staging
        condition: eq(variables['Build.SourceBranch'], 'refs/heads/main')
        jobs:
          - deployment: DeployProduction
            environment: production
            strategy:
              runOnce:
                deploy:
                  steps:
                    - script: ./deploy.sh production
    ```

    ## Use instead
    ```yaml
    stages:
      - stage: Production
        dependsOn: Staging
        condition: and(succeeded(), eq(variables['Build.SourceBranch'], 'refs/heads/main'))
        jobs:
          - deployment: DeployProduction
            environment: production
            strategy:
              runOnce:
                deploy:
                  steps:
                    - script: ./deploy.sh production
    ```
    """

    code = "PL109"
    name = "condition-drops-success-check"
    severity = Severity.ERROR
    platforms = ("github", "azure")
    tags = ("promotion", "deployment")
    precision = "high"
    scope = "project"

    def check(self, ctx):
        targets = ctx.targets
        seen: set = set()
        for pipeline in judged_pipelines(ctx.project, ("github", "azure")):
            for job in production_deploys(pipeline, targets):
                if pipeline.platform == "github":
                    if job.needs and job.condition is not None and _github_drops(job.condition.value):
                        key = (job.file.path, job.condition.start_index)
                        if key not in seen:
                            seen.add(key)
                            yield self._github(job, ctx.project)
                    continue
                stage = next((s for s in pipeline.stages if s.name == job.stage), None) if job.stage else None
                if stage is not None and stage.condition is not None and stage.depends_on and _azure_drops(stage.condition.value):
                    file = stage.extra.get("file") or pipeline.file
                    key = (file.path, stage.condition.start_index)
                    if key not in seen:
                        seen.add(key)
                        yield self._azure(job, stage.condition, file, f"stage '{stage.name}'", f"stages.{stage.name}.condition", ctx.project)
                if job.condition is not None and job.needs and _azure_drops(job.condition.value):
                    file = job.file_of(job.condition)
                    key = (file.path, job.condition.start_index)
                    if key not in seen:
                        seen.add(key)
                        yield self._azure(job, job.condition, file, job.label, f"{job_path(job)}.condition", ctx.project)

    def _azure(self, job, condition, file, owner, path, project):
        related = [Related(job.key_span(), f"{job.label} deploys to production")] + upstream_elsewhere(job, project)
        who = "it" if owner == job.label else job.label
        chain = path_note(job, project)
        message = fit(
            f"The condition of {owner} has no succeeded(), so {who} deploys to production even when what it depends "
            f"on failed{chain}; wrap it in and(succeeded(), ...).",
            f"The condition of {owner} has no succeeded(), so {who} deploys to production even when what it depends "
            "on failed; wrap it in and(succeeded(), ...).",
            f"The condition of {owner} drops the success check of a production deploy; wrap it in and(succeeded(), ...).",
        )
        return self.diagnostic(file.node_span(condition), message, related=related, logical_path=path)

    def _github(self, job, project):
        related = [Related(job.key_span(), f"{job.label} deploys to production")] + upstream_elsewhere(job, project)
        chain = path_note(job, project)
        message = fit(
            f"The `if:` of {job.label} runs the production deploy even when a needed job failed{chain}; "
            "use success() or check `needs.<job>.result == 'success'`.",
            f"The `if:` of {job.label} runs the production deploy even when a needed job failed; "
            "use success() or check `needs.<job>.result == 'success'`.",
        )
        span = job.file_of(job.condition).node_span(job.condition)
        return self.diagnostic(span, message, related=related, logical_path=f"{job_path(job)}.if")


def _github_drops(text: str) -> bool:
    from pipelint.expressions import github as gh

    text = text.strip()
    found = gh.find_expressions(text)
    if found:
        if len(found) != 1 or found[0].start != 0 or found[0].end != len(text):
            return False
        text = found[0].inner
    try:
        expr = gh.parse(text)
    except Exception:
        return False
    calls = {n.name.lower() for n in gh.walk(expr) if isinstance(n, gh.Call)}
    if "success" in calls or "failure" in calls:
        return False
    if not calls & {"always", "cancelled"}:
        return False
    if any(p[0].startswith("needs.") for p in gh.context_paths(expr)):
        return False  # checks the needed jobs' results itself
    return True


def _azure_drops(text: str) -> bool:
    from pipelint.expressions import azure as az

    try:
        expr = az.parse(text)
    except Exception:
        return False
    for node in az.walk(expr):
        if isinstance(node, az.Call) and node.name.lower() in _STATUS:
            return False
        if isinstance(node, az.Splice):
            return False  # a template or macro may insert the status check
    for path, _s, _e in az.named_paths(expr):
        if path.startswith(("dependencies.", "stagedependencies.")) and path.endswith(".result"):
            return False
    return True
