"""PL203 unbounded-wait.

Three findings (:mod:`pipelint.verification` decides what is bounded):

- a ``kubectl rollout status`` / ``kubectl argo rollouts status`` without ``--timeout``
  (their default is to wait forever), at the command;
- a retry loop (``until curl ...; do sleep 5; done``, ``while true; do ... sleep; done``)
  that neither counts attempts nor checks the elapsed time, at the loop keyword;
- on GitHub, a job that rolls out a service (:func:`pipelint.verification.is_rollout`)
  without ``timeout-minutes`` (GitHub's default is 360 minutes), at the job key — unless
  every step that deploys or waits has its own ``timeout-minutes``; CI jobs that deploy
  into a throwaway cluster to test (kind, minikube, k3d) are not deploy jobs here. GitLab and
  Azure jobs always have a finite default timeout (60 minutes by default), so the
  catalogue names GitHub only.

A ``timeout`` wrapper, a step timeout or an explicit job timeout bounds the first two:
the job then fails when the time is over.

Fix (safe), for the first finding only: append ``--timeout=<timeout option>`` (default
``10m``) to the command, offered where the script maps exactly to the file (a plain or
literal-block ``|`` scalar) and the option is a positive Go duration (``90s``, ``10m``,
``1h30m``). Loops and job timeouts have no one-token fix.
"""

from __future__ import annotations

import re

from pipelint.activities import fit, job_path, judged_pipelines
from pipelint.deploy import deploy_commands
from pipelint.diagnostics import Applicability, Edit, Fix, Severity
from pipelint.rule import Rule
from pipelint.verification import hangs_unbounded, is_rollout, is_test_harness, job_bounded, step_bounded, unbounded_waits

#: A Go duration kubectl accepts (``0`` would mean "wait forever" again).
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?(?:h|m|s|ms))+")
_EXACT_STYLES = ("", "|")


class UnboundedWait(Rule):
    """## What it does
    Reports waits that can hang a deploy job: `kubectl rollout status` (or `kubectl argo
    rollouts status`) without `--timeout`, retry loops such as `until curl ...; do sleep 5;
    done` or `while true` that never give up, and on GitHub a job that rolls out a service
    without `timeout-minutes`. A `timeout` wrapper, a step timeout or an explicit job
    timeout counts as a bound.

    `--fix` appends `--timeout=10m` to a `rollout status` command without one; the
    `timeout` option sets another value:

    ```toml
    [tool.pipelint.rules.unbounded-wait]
    timeout = "5m"
    ```

    ## Why is this bad?
    A rollout that never becomes ready keeps the job waiting until the platform kills it
    (six hours on GitHub): the failure is reported hours late, the runner is blocked, and
    a concurrency group holds back every later deploy in the meantime.

    ## Example
    ```yaml
    jobs:
      deploy:
        runs-on: ubuntu-latest
        steps:
          - run: |
              kubectl apply -f k8s/
              kubectl rollout status deployment/api
              until curl -sf https://api.example.com/ready; do sleep 5; done
    ```

    ## Use instead
    ```yaml
    jobs:
      deploy:
        runs-on: ubuntu-latest
        timeout-minutes: 30
        steps:
          - run: |
              kubectl apply -f k8s/
              kubectl rollout status deployment/api --timeout=5m
              timeout 300 bash -c 'until curl -sf https://api.example.com/ready; do sleep 5; done'
    ```
    """

    code = "PL203"
    name = "unbounded-wait"
    severity = Severity.WARNING
    platforms = ("github", "gitlab", "azure")
    tags = ("deployment",)
    precision = "medium"
    fixable = True
    scope = "project"
    options = {"timeout": "10m"}

    def check(self, ctx):
        project = ctx.project
        timeout = _timeout(ctx.options.get("timeout"))
        seen: set = set()
        for pipeline in judged_pipelines(project):
            for job in pipeline.jobs.values():
                if job.uses is not None:
                    continue
                bounded = job_bounded(job)
                if not bounded:
                    for step in job.steps:
                        if step_bounded(step):
                            continue
                        for index, wait in enumerate(unbounded_waits(step)):
                            span = wait.span()
                            key = (span.path, span.start.offset)
                            if key in seen:
                                continue
                            seen.add(key)
                            yield self._wait_finding(job, step, wait, index, timeout)
                if pipeline.platform == "github" and not bounded:
                    if any(is_rollout(c) for c in deploy_commands(job)) and not is_test_harness(job) and hangs_unbounded(job):
                        key = (job.file.path, job.key_node.start_index)
                        if key not in seen:
                            seen.add(key)
                            yield self._job_finding(job)

    def _wait_finding(self, job, step, wait, index, timeout):
        where = f"{step.label} of {job.label}"
        fix = None
        if wait.kind == "command":
            shown = timeout or "10m"
            message = fit(
                f"`{wait.label}` in {where} has no `--timeout`, so a rollout that never becomes ready hangs the job; "
                f"add `--timeout={shown}`.",
                f"`{wait.label}` in {job.label} has no `--timeout`, so a stuck rollout hangs the job; add `--timeout={shown}`.",
            )
            suffix = "timeout"
            if timeout:
                edit = _insert_after(step.script, wait.end, f" --timeout={timeout}")
                if edit is not None:
                    fix = Fix(f"Add --timeout={timeout} to {wait.label}", (edit,), Applicability.SAFE)
        else:
            message = fit(
                f"The `{wait.label}` retry loop in {where} never gives up, so an endpoint that stays down hangs the job; "
                "count attempts and exit, or wrap it in `timeout`.",
                f"The `{wait.label}` loop in {job.label} never gives up, so it can hang the job; count attempts or use `timeout`.",
            )
            suffix = "loop"
        path = f"{job_path(job)}.steps[{step.index}].run.{suffix}" + (f"[{index}]" if index else "")
        return self.diagnostic(wait.span(), message, fix=fix, logical_path=path)

    def _job_finding(self, job):
        message = fit(
            f"{job.label} rolls out a service without `timeout-minutes`, so a stuck deploy holds the runner for "
            "GitHub's default of 6 hours; set `timeout-minutes` on the job.",
            f"{job.label} deploys without `timeout-minutes`, so a stuck deploy can run for 6 hours; set `timeout-minutes`.",
        )
        message = message[:1].upper() + message[1:]  # a label such as job 'x' starts it
        return self.diagnostic(job.key_span(), message, logical_path=f"{job_path(job)}.timeout-minutes")


def _timeout(raw) -> str:
    """The ``timeout`` option as a positive Go duration, or "" (no fix) when it is not one."""
    text = str(raw).strip() if raw is not None else ""
    if text.isdigit():
        text += "s"  # kubectl reads a bare number as seconds; say so
    if not _DURATION.fullmatch(text) or not re.search(r"[1-9]", text):
        return ""
    return text


def _insert_after(script, index: int, text: str):
    """An edit inserting ``text`` right after character ``index - 1`` of the script, or
    None when the script is not a plain or literal-block scalar that maps exactly there."""
    node = script.node if script is not None else None
    if node is None or node.style not in _EXACT_STYLES or not 0 < index <= len(script.text):
        return None
    file = script.file
    at = file.scalar_offset(node, index - 1)
    if file.text[at : at + 1] != script.text[index - 1]:
        return None
    return Edit(file.path, at + 1, at + 1, text)
