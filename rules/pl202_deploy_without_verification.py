"""PL202 deploy-without-verification.

A rollout (:func:`pipelint.verification.is_rollout`: Kubernetes, Helm, Argo, ECS, Cloud
Run, App Service...) must be followed by something that verifies it
(:mod:`pipelint.verification`): later in its job, or in a downstream job (across files).
One finding per unverified deploy command, at the command inside the script or at the
deploying step's ``uses:``/``task:``. GitLab fragments and Azure templates that a scanned
pipeline includes are judged in the including pipeline only.
"""

from __future__ import annotations

from pipelint.activities import fit, job_path, judged_pipelines
from pipelint.deploy import step_deploy_commands
from pipelint.diagnostics import Severity
from pipelint.rule import Rule
from pipelint.verification import unverified_deploys

_HINTS = {
    "helm": "add `--wait --timeout 10m` (or `--atomic`)",
    "ecs": "add `aws ecs wait services-stable` (or the action's `wait-for-service-stability: true`)",
    "webapp": "add a step that polls the app's readiness endpoint with `curl --fail`",
}


def _hint(label: str) -> str:
    low = label.lower()
    if "helm" in low:
        return _HINTS["helm"]
    if "ecs" in low:
        return _HINTS["ecs"]
    if "webapp" in low or "azurermwebapp" in low or "codedeploy" in low or "deploy create-deployment" in low:
        return _HINTS["webapp"]
    if "argo rollouts" in low:
        return "add `kubectl argo rollouts status --timeout 10m`"
    if "argocd" in low:
        return "add `argocd app wait --health --timeout 600`"
    return "add `kubectl rollout status --timeout=5m` (or a readiness check)"


class DeployWithoutVerification(Rule):
    """## What it does
    Reports a deploy command (`kubectl apply`, `kubectl set image`, `helm upgrade`,
    `aws ecs update-service`, an App Service or ECS deploy action...) that nothing verifies
    afterwards: no `kubectl rollout status`, `kubectl wait --for=...`, `helm --wait`/
    `--atomic`, `kubectl argo rollouts status`, `aws ecs wait services-stable`, readiness
    check or smoke test later in the job or in a job that runs after it. Deploy actions
    and tasks that wait by themselves (`azure/k8s-deploy`, `KubernetesManifest`,
    `gcloud run deploy`) count as verified. Infrastructure applies, static-site uploads,
    package publishing and opaque deploy scripts are not judged.

    ## Why is this bad?
    The deploy command returns as soon as the API server accepted the change: pods that
    crash-loop, fail their readiness probe or cannot pull the image still leave the
    pipeline green, and the broken release is only noticed by its users.

    ## Example
    ```yaml
    jobs:
      deploy:
        runs-on: ubuntu-latest
        environment: production
        steps:
          - uses: actions/checkout@v4
          - run: kubectl set image deployment/api api=ghcr.io/acme/api:${{ github.sha }} -n production
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
              kubectl set image deployment/api api=ghcr.io/acme/api:${{ github.sha }} -n production
              kubectl rollout status deployment/api -n production --timeout=5m
    ```
    """

    code = "PL202"
    name = "deploy-without-verification"
    severity = Severity.WARNING
    platforms = ("github", "gitlab", "azure")
    tags = ("deployment",)
    precision = "medium"
    scope = "project"

    def check(self, ctx):
        project = ctx.project
        seen: set = set()
        for pipeline in judged_pipelines(project):
            for job in pipeline.jobs.values():
                if job.uses is not None:
                    continue
                for cmd in unverified_deploys(job, project):
                    span = cmd.span()
                    key = (span.path, span.start.offset)
                    if key in seen:
                        continue
                    seen.add(key)
                    yield self._finding(job, cmd)

    def _finding(self, job, cmd):
        step = cmd.step
        where = f"{step.label} of {job.label}"
        hint = _hint(cmd.label)
        message = fit(
            f"`{cmd.label}` in {where} is not followed by any rollout check, so a release that fails to start "
            f"still passes; {hint}.",
            f"`{cmd.label}` in {job.label} is not followed by any rollout check, so a failed release passes; {hint}.",
            f"`{cmd.label}` in {job.label} is not followed by any rollout check; {hint}.",
        )
        path = f"{job_path(job)}.steps[{step.index}]"
        if cmd.kind == "action":
            path += ".uses"
        else:
            same = [c for c in step_deploy_commands(step) if c.label == cmd.label and c.start is not None]
            nth = next((i for i, c in enumerate(same) if c.start == cmd.start), 0)
            path += f".run.{cmd.label.replace(' ', '-')}" + (f"[{nth}]" if nth else "")
        return self.diagnostic(cmd.span(), message, logical_path=path)
