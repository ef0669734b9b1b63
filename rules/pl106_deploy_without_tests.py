"""PL106 deploy-without-tests.

A production deploy (:mod:`pipelint.deploy`) must have a test upstream of it
(:mod:`pipelint.activities`): a job upstream in the project graph (``needs``,
``workflow_run`` chains, reusable-workflow callers' ``needs``, GitLab earlier stages,
Azure ``dependsOn``/previous stages) that is a test job — by its id/name, a test command,
a testing action/task or a JUnit report — or a test step earlier in the deploy job itself.

Not judged: jobs calling a reusable workflow (their called jobs are judged), jobs of a
reusable workflow that no scanned workflow calls and that has no trigger of its own,
GitLab/Azure pipelines with parts pipelint cannot read (the tests may be there: the rule
withholds its conclusion), GitLab fragments/Azure templates that a scanned pipeline
includes (judged in that pipeline).
"""

from __future__ import annotations

from pipelint.activities import (
    fit,
    is_test_job,
    job_path,
    judged_deploys,
    path_note,
    test_steps,
    upstream_elsewhere,
)
from pipelint.deploy import command_targets_production, deploy_commands
from pipelint.diagnostics import Related, Severity
from pipelint.rule import Rule


class DeployWithoutTests(Rule):
    """## What it does
    Reports a production deploy job with no test job upstream of it (no job it needs or
    follows runs `pytest`, `npm test`, `go test`, `mvn verify`, `dotnet test`... nor is
    named like a test job) and no test step before the deploy in its own job.

    ## Why is this bad?
    Nothing checks the release before users receive it: a commit that breaks the build's
    behaviour ships as soon as the pipeline runs, and the first test is production traffic.

    ## Example
    ```yaml
    stages: [build, deploy]
    build:
      stage: build
      script: docker build -t registry.example.com/api:$CI_COMMIT_SHA .
    deploy-production:
      stage: deploy
      environment: production
      script: helm upgrade --install api ./chart -n production
    ```

    ## Use instead
    ```yaml
    stages: [build, test, deploy]
    build:
      stage: build
      script: docker build -t registry.example.com/api:$CI_COMMIT_SHA .
    unit-tests:
      stage: test
      script: pytest -q
    deploy-production:
      stage: deploy
      environment: production
      script: helm upgrade --install api ./chart -n production
    ```
    """

    code = "PL106"
    name = "deploy-without-tests"
    severity = Severity.WARNING
    platforms = ("github", "gitlab", "azure")
    tags = ("promotion", "deployment", "testing")
    precision = "medium"
    scope = "project"

    def check(self, ctx):
        project = ctx.project
        targets = ctx.targets
        graph = project.graph
        # what is missing may be in a part pipelint cannot read, or in an unscanned caller
        for job in judged_deploys(project, targets, known_upstream=True, called=True):
            if _tests_before_deploy(job, targets):
                continue
            upstream = graph.upstream(job)
            if any(is_test_job(j) for j in upstream):
                continue
            yield self._finding(job, project, targets)

    def _finding(self, job, project, targets):
        related = []
        commands = deploy_commands(job)
        evidence = [c for c in commands if command_targets_production(c, targets)] or commands
        if evidence:
            related.append(Related(evidence[0].span(), f"the production deploy: {evidence[0].label}"))
        related += upstream_elsewhere(job, project)
        path = path_note(job, project)
        message = fit(
            f"{job.label} deploys to production with no test job or step before it{path}, so untested changes reach users; "
            "make it depend on a job that runs the tests.",
            f"{job.label} deploys to production with no test job before it{path}; make it depend on a job that runs the tests.",
            f"{job.label} deploys to production with no test job before it{path}; make it depend on a test job.",
            f"{job.label} deploys to production with no test job or step before it, so untested changes reach users; "
            "make it depend on a job that runs the tests.",
            f"{job.label} deploys to production with no test job before it; make it depend on a job that runs the tests.",
        )
        message = message[:1].upper() + message[1:]  # a label such as job 'x' starts it
        return self.diagnostic(job.key_span(), message, related=related, logical_path=job_path(job))


def _tests_before_deploy(job, targets) -> bool:
    """A test step runs in the job before its first deploy command (or the job has no
    deploy command of its own: any test step counts)."""
    tests = test_steps(job)
    if not tests:
        return False
    commands = deploy_commands(job)
    if not commands:
        return True
    first = commands[0]
    order = {id(s): i for i, s in enumerate(job.steps)}
    deploy_at = (order.get(id(first.step), 0), first.start or 0)
    return any((order.get(id(t.step), 0), t.start or 0) < deploy_at for t in tests)
