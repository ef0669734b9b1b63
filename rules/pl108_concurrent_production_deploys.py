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

import re

from pipelint import yamledit
from pipelint.activities import fit, job_path, judged_deploys, read_only_hint
from pipelint.diagnostics import Applicability, Fix, Related, Severity
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
    fixable = True

    def check(self, ctx):
        project = ctx.project
        targets = ctx.targets
        for job in judged_deploys(project, targets):
            if _serialised(job, project):
                continue
            yield self._finding(job, project)

    def _finding(self, job, project):
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
        message = message[:1].upper() + message[1:]  # a label such as job 'x' starts it
        return self.diagnostic(
            job.key_span(), message, related=related, logical_path=job_path(job), fix=_fix(job, project)
        )


# ------------------------------------------------------------------- fixes
# Unsafe: serialising changes when a deploy runs. GitHub keeps at most one running and
# one pending job per concurrency group and cancels an older pending one, so the group
# is per job (workflow name + job id, + the environment when it varies): two deploy jobs
# of one run never cancel each other. GitLab queues every job of a resource group, so
# the environment's name serialises all deploys to it. Azure has no one-key fix.

_SAFE_NAME = re.compile(r"[A-Za-z0-9_.\-/]+")
_SAFE_EXPR = re.compile(r"(?:[A-Za-z0-9_.\-/]*\$\{\{[A-Za-z0-9_.\-\[\]' ]+\}\})+[A-Za-z0-9_.\-/]*")


def _fix(job, project) -> Fix | None:
    platform = job.pipeline.platform
    if platform == "github":
        return _github_fix(job)
    if platform == "gitlab":
        return _gitlab_fix(job, project)
    return None


def _github_fix(job) -> Fix | None:
    node = job.node
    if job.concurrency is not None or not isinstance(node, Mapping) or "concurrency" in node:
        return None  # a per-run group is there: changing it is the author's call
    if job.strategy is not None:
        return None  # matrix legs sharing a group would cancel each other's pending runs
    parts = ["${{ github.workflow }}", job.id]
    env = job.environment
    if env is not None and env.name:
        name = env.name.strip()
        if env.dynamic and _SAFE_EXPR.fullmatch(name):
            parts.append(name)
        elif not env.dynamic and _SAFE_NAME.fullmatch(name) and name.lower() not in job.id.lower():
            parts.append(name)
    group = "-".join(parts)
    file = job.node_file
    text = file.text
    step = yamledit.nesting_step(text, node, default=0) or yamledit.nesting_step(text, job.pipeline.root)
    entry = ["concurrency:", f"{step}group: {group}", f"{step}cancel-in-progress: false"]
    for after in ("environment", "runs-on"):
        if after in node:
            edit = yamledit.insert_at_key(text, file.path, node, entry, after=after)
            if edit is not None:
                return Fix(
                    f"add 'concurrency: group: {group}' (cancel-in-progress: false) to {job.id}, so its runs wait for "
                    "each other (a newer run replaces a still-pending older one)",
                    (edit,),
                    Applicability.UNSAFE,
                )
            return None
    return None


def _gitlab_fix(job, project) -> Fix | None:
    file = job.file
    if job.key_source is not None:
        # a job from an included file: its text is in that file, which this fix does not
        # locate yet (the fix engine itself re-lints edited includes)
        return None
    body = _raw_body(job, project)
    if not isinstance(body, Mapping) or body.flow_style or "resource_group" in body:
        return None
    env = job.environment
    name = env.name.strip() if env is not None and env.name else ""
    value = name if name and not env.dynamic and _SAFE_NAME.fullmatch(name) else "production"
    written = [k.value for k, _v in yamledit.raw_pairs(body) if isinstance(k, Scalar)]
    for after in ("environment", "stage", "<<", "extends", written[-1] if written else None):
        if after in written:
            edit = yamledit.insert_at_key(file.text, file.path, body, [f"resource_group: {value}"], after=after)
            if edit is None:
                return None
            return Fix(
                f"add 'resource_group: {value}' to {job.id}, so GitLab runs one {value} deploy at a time",
                (edit,),
                Applicability.UNSAFE,
            )
    return None


def _roots_by_file(project) -> dict:
    """Document roots of every file of the project, by absolute path (built once)."""
    index = getattr(project, "_pipelint_roots_by_file", None)
    if index is None:
        index = {}
        for parsed in project.files:
            index.setdefault(parsed.file.abspath, []).extend(doc.root for doc in parsed.documents)
        project._pipelint_roots_by_file = index
    return index


def _raw_body(job, project):
    """The job's mapping as written in its file (not the view merged with ``extends``)."""
    key = job.key_node
    file = job.file
    roots = []
    if file is job.pipeline.file:
        roots.append(job.pipeline.root)
    roots.extend(_roots_by_file(project).get(file.abspath, ()))
    for root in roots:
        if isinstance(root, Mapping):
            value = yamledit.value_at_key(root, key.start_index)
            if value is not None:
                return value
    return None


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
