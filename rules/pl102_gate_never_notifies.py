"""PL102 gate-never-notifies: the gate exists but nobody is told, or it has no bound.

Azure Pipelines: every ``ManualValidation@*`` task (:func:`pipelint.gates.
manual_validation_steps`) is checked: its ``notifyUsers`` input is missing or empty (the
task pauses the run and nobody gets the e-mail), or the job around it has no
``timeoutInMinutes``, ``0`` (no limit) or one above 43200 (30 days, the longest a
validation can wait). A value that is an expression (``$(x)``, ``${{ parameters.x }}``)
is unknown: no finding. Templates included by a scanned pipeline are checked through it.

GitHub: environments live in the repository settings, not in YAML. Only when an export
is given (``--github-environments FILE`` / ``github-environments`` in the config, the
JSON of ``GET /repos/{owner}/{repo}/environments``, read by the config layer into
``settings.github_environments_data``) are production-like environments of deploy jobs
checked: one that does not exist (GitHub creates it on first use, without protection
rules) or has no ``required_reviewers`` rule with at least one reviewer. Without the
export GitHub environments are unknown and this rule says nothing about GitHub. The
export describes one repository: it is applied to every GitHub workflow scanned.
"""

from __future__ import annotations

from pipelint.deploy import is_deploy_job
from pipelint.diagnostics import Related, Severity, fit as _fit
from pipelint.gates import is_top_level_copy, manual_validation_steps
from pipelint.rule import Rule
from pipelint.yamltree import Scalar

#: The longest a ManualValidation can wait (30 days), in minutes.
MAX_VALIDATION_MINUTES = 43200


class GateNeverNotifies(Rule):
    """## What it does
    Reports an approval gate that can wait with nobody told, or for ever: an Azure
    `ManualValidation` task without `notifyUsers`, or whose job sets no
    `timeoutInMinutes` (or `0`, or more than 43200 minutes); and, when a GitHub
    environments export is given with `--github-environments`, a production-like
    environment that does not exist or has no required reviewers.

    ## Why is this bad?
    A gate nobody hears about stalls the release until someone notices the run is
    paused, and one without a deliberate timeout either waits for ever or ends at a
    default nobody chose. A GitHub environment that is not configured is created on first
    use with no protection at all, so the `environment:` gate approves nothing.

    ## Example
    ```yaml
    - stage: Approve
      jobs:
      - job: WaitForApproval
        pool: server
        steps:
        - task: ManualValidation@1
          inputs:
            instructions: Approve the production release
    ```

    ## Use instead
    ```yaml
    - stage: Approve
      jobs:
      - job: WaitForApproval
        pool: server
        timeoutInMinutes: 1440
        steps:
        - task: ManualValidation@1
          inputs:
            notifyUsers: release-managers@contoso.com
            instructions: Approve the production release
            onTimeout: reject
    ```
    """

    code = "PL102"
    name = "gate-never-notifies"
    severity = Severity.WARNING
    platforms = ("github", "azure")
    tags = ("gates", "deployment")
    precision = "high"

    def __init__(self):
        #: ManualValidation steps already reported: a template included several times is
        #: one finding, not one per inclusion.
        self._seen: set = set()

    def check(self, ctx):
        pipeline = ctx.file.pipeline
        if pipeline is None:
            return
        if pipeline.platform == "azure":
            if is_top_level_copy(pipeline, ctx.project):
                yield from self._azure(pipeline)
        elif pipeline.platform == "github":
            data = getattr(ctx.settings, "github_environments_data", None)
            if data is not None:
                yield from self._github(ctx, pipeline, data)

    # ------------------------------------------------------------------ azure
    def _azure(self, pipeline):
        for key, job in pipeline.jobs.items():
            for step in manual_validation_steps(job):
                notify = step.input("notifyUsers")
                silent = notify is None or (isinstance(notify, Scalar) and not notify.value.strip())
                timeout = _timeout_problem(job)
                if not silent and not timeout:
                    continue
                node = step.uses.node if step.uses is not None else step.node
                where = (step.file.abspath, node.start_index, timeout)
                if where in self._seen:
                    continue
                self._seen.add(where)
                span = step.file.node_span(node)
                label = f"the ManualValidation in {job.label}"
                if silent and timeout:
                    message = _fit(
                        f"{label} notifies nobody (no `notifyUsers`) and {timeout}; "
                        "set `notifyUsers` and a job `timeoutInMinutes` of at most 43200.",
                        f"{label} notifies nobody and {timeout}; set `notifyUsers` and `timeoutInMinutes`.",
                        f"{label} notifies nobody and has no usable job timeout; set both.",
                    )
                elif silent:
                    message = _fit(
                        f"{label} has no `notifyUsers`, so nobody is told the release is waiting; "
                        "list the approvers in `notifyUsers`.",
                        f"{label} has no `notifyUsers`, so nobody is told the release is waiting; set it.",
                    )
                else:
                    message = _fit(
                        f"{label} {timeout}, so the wait is not bounded as intended; "
                        "set the job's `timeoutInMinutes` to at most 43200.",
                        f"{label} {timeout}; set the job's `timeoutInMinutes` to at most 43200.",
                    )
                related = []
                if timeout and job.timeout is not None:
                    related.append(Related(job.file_of(job.timeout).node_span(job.timeout), "the job's timeoutInMinutes"))
                prefix = f"stages.{job.stage}.jobs.{job.id}" if job.stage else f"jobs.{job.id}"
                yield self.diagnostic(span, message, related=related, logical_path=f"{prefix}.steps[{step.index}]")

    # ----------------------------------------------------------------- github
    def _github(self, ctx, pipeline, data):
        targets = ctx.targets
        for job in pipeline.jobs.values():
            env = job.environment
            if env is None or env.dynamic or not env.name or not is_deploy_job(job):
                continue
            if not targets.is_production(env.name):
                continue
            found = data.get(env.name.strip().lower())
            node = env.name_node or env.node
            span = job.file.node_span(node)
            if found is None:
                message = _fit(
                    f"{job.label} deploys to environment '{env.name}', which does not exist in the repository: GitHub creates it "
                    "on first use with no reviewers; create it with required reviewers.",
                    f"{job.label} uses environment '{env.name}', which does not exist (created unprotected on first use); "
                    "add required reviewers.",
                )
            elif not found.has_required_reviewers_rule or found.reviewers < 1:
                message = _fit(
                    f"environment '{found.name}' of {job.label} has no required reviewers, so the production deploy runs "
                    "without approval; add a required-reviewers protection rule.",
                    f"environment '{found.name}' of {job.label} has no required reviewers; add some.",
                )
            else:
                continue
            yield self.diagnostic(span, message, logical_path=f"jobs.{job.id}.environment")


def _timeout_problem(job) -> str | None:
    node = job.timeout
    if node is None:
        return "has no job `timeoutInMinutes` (a default applies)"
    if not isinstance(node, Scalar):
        return None
    value = node.typed() if hasattr(node, "typed") else node.value
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text.isdigit():
            return None  # an expression or a variable: unknown
        value = int(text)
    if not isinstance(value, (int, float)):
        return None
    if value == 0:
        return "has a job `timeoutInMinutes` of 0 (no limit)"
    if value > MAX_VALIDATION_MINUTES:
        return f"has a job `timeoutInMinutes` of {value}, above the 43200 maximum"
    return None
