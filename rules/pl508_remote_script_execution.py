"""PL508 remote-script-execution.

A pipeline script (GitHub ``run:``, GitLab ``script``/``before_script``/``after_script``
lines, Azure ``script``/``bash``/``pwsh``/``powershell`` steps and inline script tasks,
composite actions' ``run:`` steps) runs code it downloads in one go:
:func:`pipelint.scanning.remote_executions` reads the shell model — a downloader
(:data:`~pipelint.tables.DOWNLOADERS`) writing to standard output piped into an
interpreter (:data:`~pipelint.tables.INTERPRETERS`) that runs standard input, or a
downloader in a process/command substitution that is the interpreter's program.

Not findings: a download to a file (``curl -o x.sh``, ``wget URL``, ``-OutFile``) run
later — verified or not, that is no pipe; data piped into a tool (``| jq``, ``| tar``,
``| gpg --dearmor``, ``| python3 -c '...json...'``, ``| python -m json.tool``); a
downloaded value used inside a command (``bash -c "echo $(curl URL)"``).
The finding points at the downloader command (related: the interpreter).
"""

from __future__ import annotations

from pipelint.activities import job_path
from pipelint.diagnostics import Related, Severity
from pipelint.rule import Rule
from pipelint.scanning import remote_scripts_in, strip_wrappers

_MAX_URL = 60


class RemoteScriptExecution(Rule):
    """## What it does
    Reports a pipeline script that downloads code and runs it in one go: `curl ... | sh`,
    `wget -qO- ... | bash`, `bash <(curl ...)`, `sh -c "$(curl ...)"`, PowerShell
    `irm ... | iex` or `iex (iwr ...)`.

    ## Why is this bad?
    Whatever the server returns at that moment runs with the job's secrets and deploy
    credentials: a compromised or hijacked download site, a changed script or a
    truncated transfer runs unreviewed code in your pipeline.

    ## Example
    ```yaml
    jobs:
      deploy:
        runs-on: ubuntu-latest
        steps:
          - run: curl -fsSL https://get.helm.sh/install.sh | bash
          - run: helm upgrade --install api ./chart
    ```

    ## Use instead
    ```yaml
    jobs:
      deploy:
        runs-on: ubuntu-latest
        steps:
          - run: |
              curl -fsSLo helm.tar.gz https://get.helm.sh/helm-v3.15.2-linux-amd64.tar.gz
              echo "$HELM_SHA256  helm.tar.gz" | sha256sum -c -
              tar -xzf helm.tar.gz linux-amd64/helm
          - run: ./linux-amd64/helm upgrade --install api ./chart
    ```
    """

    code = "PL508"
    name = "remote-script-execution"
    severity = Severity.WARNING
    platforms = ("github", "gitlab", "azure")
    tags = ("security", "supply-chain")
    precision = "high"
    scope = "project"

    def check(self, ctx):
        project = ctx.project
        seen: set = set()
        for step, path, script in _scripts(project):
            for found in remote_scripts_in(script):
                d, i = found.downloader, found.interpreter
                span = script.span(d.words[0].start, d.words[-1].end)
                key = (span.path, span.start.offset)
                if key in seen:
                    continue
                seen.add(key)
                related = []
                if i is not d:
                    related.append(Related(script.span(i.words[0].start, i.words[-1].end), "the interpreter that runs the download"))
                yield self.diagnostic(span, _message(step, found), related=related, logical_path=path)


def _scripts(project):
    """(step, logical path, script) for each step's script and the repository scripts it
    runs (``./scripts/install.sh``): a download piped into bash there runs all the same."""
    for step, path in _steps(project):
        for script in step.scripts:
            yield step, path, script


def _steps(project):
    """Every step with its logical path: pipelines' job steps, composite actions' steps."""
    for pipeline in project.pipelines:
        for job in pipeline.jobs.values():
            base = job_path(job)
            for step in job.steps:
                section = step.name if pipeline.platform == "gitlab" and step.name else "steps"
                yield step, f"{base}.{section}[{step.index}]"
    for action in project.actions:
        for step in action.steps:
            yield step, f"runs.steps[{step.index}]"


def _interpreter_name(command) -> str:
    words = strip_wrappers([w.text for w in command.words])
    return words[0].rsplit("/", 1)[-1] if words else command.name


def _message(step, found) -> str:
    d, i = found.downloader, found.interpreter
    url = found.url
    if found.how == "method":
        what = f"{_interpreter_name(i)} runs a downloaded string"
    elif url:
        source = f"{url[:_MAX_URL]}…" if len(url) > _MAX_URL else url
        what = f"{_interpreter_name(i)} runs what {d.name} downloads from {source}"
    else:
        what = f"{_interpreter_name(i)} runs what {d.name} downloads"
    job = step.job
    if job is not None and job.pipeline.platform == "gitlab":
        where = f"{job.label} ({step.name})" if step.name else job.label
    elif job is not None:
        where = f"{step.label} of {job.label}"
    else:
        where = step.label
    fix = "download to a file, verify its checksum or pin a version, then run it"
    why = "whatever the server returns runs with the job's secrets"
    short = f"{_interpreter_name(i)} runs what {d.name} downloads" if found.how != "method" else what
    for text in (
        f"{where}: {what}; {why}; {fix}.",
        f"{where}: {short}; {why}; {fix}.",
        f"{step.label}: {short}; {why}; {fix}.",
        f"{short}; {why}; {fix}.",
    ):
        if len(text) < 200:
            return text[:1].upper() + text[1:]  # it starts with a step or job label
    return text[:198] + "…"
