"""PL205 health-check-ignores-http-errors: a ``curl`` check whose exit status decides
something, written without ``--fail``, so an HTTP 500 passes.

Without ``-f``/``--fail``/``--fail-with-body`` curl exits 0 for any HTTP answer, 500
included; only connection errors fail it. Judged: ``curl`` commands of shell scripts
(bash/sh; not PowerShell, where ``curl`` may be ``Invoke-WebRequest``) that

- are a *gate*: their exit status is tested (``if``/``while``/``until`` condition, left of
  ``&&``/``||``), or fails the step: GitHub runs ``bash -e`` (``shell: bash``: ``bash -eo
  pipefail``; ``sh``: ``sh -e``; a Windows runner's default ``pwsh``: the last command
  only), GitLab's runner fails the job on any script command's
  exit status, Azure ``script``/``bash`` steps run without ``-e`` and fail on the last
  command's status only (or every command's after ``set -e``);
- are a *check*: a GET/HEAD whose response is not saved, run or unpacked (``-o file``,
  ``-O``, ``> file``, ``| sh``, ``| tar``), not piped into another command (``| jq``,
  ``| grep``: the body is read), not a value (``X=$(curl ...)``), not ignored
  (``|| true``), to a URL that does not notify, trigger or purge;
- look like health/verification checks: a health-like path (``health``, ``ready``,
  ``live``, ``ping``, ``status``, ``version``...), or, after a deploy (same job after the
  deploy command, or a job downstream of a deploy job), the app's root URL or a retry loop
  (``until curl ...``);
- check neither ``-w``/``--write-out`` (``%{http_code}``) nor have ``--fail``.

``wget`` fails on HTTP errors by default and ``Invoke-WebRequest`` throws on them (unless
``-SkipHttpErrorCheck``): neither is judged. Fix (safe): insert ``--fail`` after ``curl``,
offered only where script offsets map exactly to file offsets (a ``run:`` written as a
plain or literal-block ``|`` scalar; not folded ``>`` or quoted ones).
"""

from __future__ import annotations

import re

from pipelint.activities import fit, judged_pipelines
from pipelint.diagnostics import Applicability, Edit, Fix, Severity
from pipelint.healthcheck import (
    after_deploy,
    has_static_host,
    is_healthish,
    looks_like_check,
    requests,
    step_label,
    step_path,
)
from pipelint.rule import Rule
from pipelint.shell import mentions
from pipelint.yamltree import Scalar, Sequence

_CURL = re.compile(r"(?<![\w-])curl(?![\w-])")
_FIXABLE_STYLES = ("", "|")


def _pipelined(program, cmd) -> bool:
    return any(c is not cmd and c.pipeline == cmd.pipeline for c in program.commands)


def _last_command(program):
    top = [c for c in program.commands if not c.substitution]
    return top[-1] if top else None


def _windows_runner(job) -> bool:
    node = job.runs_on
    if node is None:
        return False
    if isinstance(node, Scalar):
        text = node.value
    elif isinstance(node, Sequence):
        text = " ".join(v.value for v in node if isinstance(v, Scalar))
    else:
        text = ""
    return "windows" in text.lower()


def _fails_step(job, step, program, cmd) -> bool:
    """A failing ``cmd`` fails the step by the platform's default shell behaviour."""
    if cmd.errexit:
        return True
    platform = job.pipeline.platform
    if platform == "gitlab":
        return True
    if platform == "github":
        shell = (step.script.shell or "").strip()
        if shell == "" and _windows_runner(job):
            # the default shell is pwsh there: a native command's exit status counts last only
            return _last_command(program) is cmd and not cmd.background
        if shell in ("", "bash", "sh"):
            return True
        if "{0}" in shell:
            return bool(re.search(r"(?:^|\s)-\w*e", shell))
        return False
    # Azure: the last command's exit status is the step's
    return _last_command(program) is cmd and not cmd.background


class HealthCheckIgnoresHttpErrors(Rule):
    """## What it does
    Flags a `curl` health check whose exit status decides the job (a step of the script,
    an `if`/`until` condition, the left side of `&&`/`||`) written without `--fail` and
    without reading `%{http_code}`.

    ## Why is this bad?
    Without `-f`/`--fail` curl exits 0 for every HTTP answer: a 500 or 503 from the new
    release passes the check, and the pipeline reports a broken deploy as healthy. Only a
    refused connection fails it. `wget` and `Invoke-WebRequest` fail on HTTP errors by
    default and are not flagged.

    ## Example
    ```yaml
    jobs:
      deploy:
        runs-on: ubuntu-latest
        environment: production
        steps:
          - run: ./scripts/deploy.sh production
          - run: curl -sS https://api.example.com/healthz
    ```

    ## Use instead
    ```yaml
    jobs:
      deploy:
        runs-on: ubuntu-latest
        environment: production
        steps:
          - run: ./scripts/deploy.sh production
          - run: curl --fail -sS https://api.example.com/healthz
    ```
    """

    code = "PL205"
    name = "health-check-ignores-http-errors"
    severity = Severity.WARNING
    platforms = ("github", "gitlab", "azure")
    tags = ("deployment",)
    precision = "medium"
    fixable = True
    scope = "project"

    def check(self, ctx):
        project = ctx.project
        for pipeline in judged_pipelines(project):
            for job in pipeline.jobs.values():
                memo: dict = {}
                for position, step in enumerate(job.steps):
                    script = step.script
                    if script is None or script.language != "shell" or not mentions(script.text, ("curl",)):
                        continue
                    program = script.program
                    if program is None:
                        continue
                    for request in requests(program):
                        cmd = request.command
                        if cmd.name != "curl":
                            continue
                        if cmd.has_flag("-f", "--fail", "--fail-with-body"):
                            continue
                        if cmd.option("-w", "--write-out") is not None:
                            continue
                        if cmd.guarded or cmd.substitution or cmd.background or _pipelined(program, cmd):
                            continue
                        if not (cmd.tested or _fails_step(job, step, program, cmd)):
                            continue
                        if not looks_like_check(program, request):
                            continue
                        path = request.path
                        if not is_healthish(path):
                            root = path == "/" and has_static_host(request.url)
                            retry = cmd.tested and cmd.loop is not None
                            if not (root or retry) or not after_deploy(job, position, cmd.start, project, memo):
                                continue
                        yield self._finding(job, step, position, cmd, path)

    def _finding(self, job, step, position, cmd, path):
        script = step.script
        span = script.span(cmd.words[0].start, cmd.words[0].end)
        where = f"`{path}`" if path else "its URL"
        label = step_label(job, step, position)
        message = fit(
            f"`curl` in {label} of {job.label} checks {where} without --fail: an HTTP 500 still exits 0 and the "
            f"check passes; add --fail (or compare -w '%{{http_code}}').",
            f"`curl` in {label} checks {where} without --fail: an HTTP 500 still exits 0 and passes; add --fail.",
            "`curl` checks without --fail: an HTTP 500 still exits 0 and the check passes; add --fail.",
        )
        fix = None
        if cmd.args:
            edit = _insert_before(script, cmd.args[0].start, "--fail ")
            if edit is not None:
                fix = Fix("Add --fail to curl", (edit,), Applicability.SAFE)
        return self.diagnostic(span, message, fix=fix, logical_path=step_path(job, step, position))


def _insert_before(script, index: int, text: str):
    """An edit inserting ``text`` before character ``index`` of the script, or None when
    the script is not a plain or literal-block scalar whose character there maps exactly."""
    node = script.node
    if node is None or node.style not in _FIXABLE_STYLES or not 0 <= index < len(script.text):
        return None
    file = script.file
    at = file.scalar_offset(node, index)
    if file.text[at : at + 1] != script.text[index]:
        return None
    return Edit(file.path, at, at, text)
