"""PL201 shallow-health-check: a post-deploy check hits an endpoint that answers while the
service's dependencies are down.

A *post-deploy check* is an HTTP request (``curl``, ``wget``, ``http``,
``Invoke-WebRequest``... read from the script by :mod:`pipelint.shell`) that runs after a
deploy: in a deploy job after its first deploy command or deploying step (anywhere in a
job that only its ``environment:`` marks as deploying), or in any job downstream of a
deploy job; or a wait-for-URL action (:data:`~pipelint.tables.HEALTH_CHECK_ACTIONS`) in
such a job, or one that checks a non-local URL. A request in a job that deploys nothing
and has no deploy job upstream (a CI smoke test of a docker-compose stack) is not judged.

Only checks are judged: GET/HEAD requests whose response is not saved (``-o file``,
``> file``), run or unpacked (``| sh``, ``| tar``), to URLs that do not notify, trigger or
purge something. The path must be known: ``$URL`` / ``${{ vars.URL }}`` with no static
path is not judged, nor is a bare ``/`` after a variable host (``$BASE/``: the variable
may hold a path). Paths are classified by :func:`pipelint.healthcheck.classify_path`
against the ``shallow-paths`` option (default :data:`~pipelint.tables.SHALLOW_PATHS`).

Fix (unsafe: only the team knows its readiness endpoint): with the ``deep-path`` option
set (no default: no fix), the URL's whole path (``/ping``, ``/api/v1/ping``, the ``/`` or
nothing after the host; the query is kept) becomes that path. Offered only where the
URL's path maps exactly into the file: in a ``run:`` written as a plain or literal-block
``|`` scalar, in a URL word whose path is not split by quotes or escapes; the path must be
plain URL characters (``/[A-Za-z0-9._~/-]*``) and not itself shallow.
"""

from __future__ import annotations

import re

from pipelint.activities import fit, judged_pipelines
from pipelint.diagnostics import Applicability, Edit, Fix, Severity
from pipelint.healthcheck import (
    after_deploy,
    classify_path,
    has_static_host,
    looks_like_check,
    may_follow_deploy,
    requests,
    step_label,
    step_path,
    url_path,
)
from pipelint.rule import Rule
from pipelint.shell import Word, mentions
from pipelint import tables
from pipelint.tables import HEALTH_CHECK_ACTIONS, SHALLOW_PATHS
from pipelint.yamltree import Scalar

def _client_words() -> tuple[str, ...]:
    return tuple(sorted({c.lower() for c in tables.HTTP_CLIENTS}))


_ACTION_INPUTS = ("url", "urls", "sites", "endpoint", "endpoints", "target", "host")
_URL_IN_TEXT = re.compile(r"(?:https?://|localhost[:/]|127\.0\.0\.1)[^\s\"'|,\]\[]*", re.IGNORECASE)
_SAFE_PATH = re.compile(r"/[A-Za-z0-9._~/-]*")
_URL_PATH_AFTER_HOST = re.compile(r"(?:\}\}|\}|[A-Za-z0-9_.:\-\]])(/[^\s]*)$")
_EXACT_SCRIPT_STYLES = ("", "|")
_LOCAL = re.compile(r"^(?:https?://)?(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?:[:/]|$)", re.IGNORECASE)


class ShallowHealthCheck(Rule):
    """## What it does
    Flags a post-deploy health check (`curl`, `wget`, `Invoke-WebRequest`, `http` in a
    script, or a wait-for-URL action) that hits a shallow endpoint such as `/ping`, `/`,
    `/live` or `/version`. A check counts as post-deploy when it runs after a deploy
    command in the same job, or in a job downstream of a deploy job.

    ## Why is this bad?
    A shallow endpoint answers as soon as the process is up, even when its database,
    cache or downstream services are unreachable. The pipeline reports the release healthy
    while every real request fails. A readiness endpoint (`/ready`, `/readyz`,
    `/actuator/health`) checks the dependencies the service needs to do its work.

    The list of shallow paths is configurable through the `shallow-paths` option;
    `/health`, `/healthz` and `/status` are not flagged by default.

    With the `deep-path` option set, `--fix --unsafe-fixes` replaces the URL's path with
    it (the query is kept); without it no fix is offered:

    ```toml
    [tool.pipelint.rules.shallow-health-check]
    deep-path = "/readyz"
    ```

    ## Example
    ```yaml
    jobs:
      deploy:
        runs-on: ubuntu-latest
        environment: production
        steps:
          - run: kubectl apply -f k8s/production/
          - run: curl --fail https://api.example.com/ping
    ```

    ## Use instead
    ```yaml
    jobs:
      deploy:
        runs-on: ubuntu-latest
        environment: production
        steps:
          - run: kubectl apply -f k8s/production/
          - run: curl --fail https://api.example.com/readyz
    ```
    """

    code = "PL201"
    name = "shallow-health-check"
    severity = Severity.WARNING
    platforms = ("github", "gitlab", "azure")
    tags = ("deployment",)
    precision = "medium"
    fixable = True
    scope = "project"
    options = {"shallow-paths": list(SHALLOW_PATHS), "deep-path": ""}

    def check(self, ctx):
        project = ctx.project
        clients = _client_words()
        shallow = tuple(str(p) for p in (ctx.options.get("shallow-paths") or ()))
        if not shallow:
            return
        deep = _deep_path(ctx.options.get("deep-path"), shallow)
        for pipeline in judged_pipelines(project):
            for job in pipeline.jobs.values():
                memo: dict = {}
                follows: bool | None = None
                for position, step in enumerate(job.steps):
                    if step.uses is not None and step.inputs is not None:
                        yield from self._action(job, step, position, project, shallow, memo, deep)
                    script = step.script
                    if script is None or script.language not in ("shell", "pwsh") or not mentions(script.text, clients):
                        continue
                    if follows is None:
                        follows = may_follow_deploy(job, project, memo)
                    if not follows:
                        continue  # no deploy in or before this job: its requests are no post-deploy checks
                    program = script.program
                    if program is None:
                        continue
                    for request in requests(program):
                        path = request.path
                        if not path or (path == "/" and not has_static_host(request.url)):
                            continue
                        if classify_path(path, shallow) != "shallow":
                            continue
                        if not looks_like_check(program, request):
                            continue
                        if not after_deploy(job, position, request.command.start, project, memo):
                            continue
                        span = script.span(request.url.start, request.url.end)
                        message = self._message(job, step_label(job, step, position), path, deep)
                        fix = _script_fix(script, request, path, deep) if deep else None
                        yield self.diagnostic(span, message, fix=fix, logical_path=step_path(job, step, position))

    def _action(self, job, step, position, project, shallow, memo, deep):
        ref = step.uses
        if ref.kind != "repository" or ref.name.lower() not in {a.lower() for a in HEALTH_CHECK_ACTIONS}:
            return
        for key, _k, value in step.inputs.items():
            if key.lower() not in _ACTION_INPUTS or not isinstance(value, Scalar):
                continue
            text = value.value
            for m in _URL_IN_TEXT.finditer(text):
                url = m.group(0).rstrip(".;)")
                path = url_path(url)
                if not path or (path == "/" and not has_static_host(Word(url, url, 0, 0))):
                    continue
                if classify_path(path, shallow) != "shallow":
                    continue
                if _LOCAL.match(url) and not after_deploy(job, position, 0, project, memo):
                    continue
                span = step.file.scalar_span(value, m.start(), m.start() + len(url))
                message = self._message(job, step_label(job, step, position), path, deep)
                fix = None
                where = _path_range(url, path) if deep else None
                if where is not None:
                    edit = _value_edit(step.file, value, m.start() + where[0], m.start() + where[1], deep)
                    fix = _fix(edit, path, deep)
                yield self.diagnostic(span, message, fix=fix, logical_path=step_path(job, step, position, f"with.{key}"))

    @staticmethod
    def _message(job, step: str, path: str, deep: str = "") -> str:
        if not step.startswith("step"):
            step = f"`{step}`"  # a GitLab script line: script[0]
        if deep:
            message = fit(
                f"{step} of {job.label} checks `{path}` after the deploy: a shallow endpoint answers while the "
                f"service's dependencies are down; check the readiness path `{deep}` instead.",
                f"{step} checks `{path}` after the deploy: it answers while dependencies are down; "
                f"check the readiness path `{deep}` instead.",
                f"`{path}` answers while dependencies are down; check the readiness path `{deep}` instead.",
            )
        else:
            message = fit(
                f"{step} of {job.label} checks `{path}` after the deploy: a shallow endpoint answers while the "
                f"service's dependencies are down; check the readiness path (e.g. /ready or /readyz).",
                f"{step} checks `{path}` after the deploy: it answers while dependencies are down; "
                f"check the readiness path (e.g. /ready or /readyz).",
                f"`{path}` answers while dependencies are down; check the readiness path (e.g. /ready or /readyz).",
            )
        return message[:1].upper() + message[1:]  # step 'x' starts it


def _deep_path(raw, shallow: tuple[str, ...]) -> str:
    """The ``deep-path`` option when a fix can write it: plain URL path characters (no
    quoting needed in a shell word or a YAML scalar) and not a shallow path itself."""
    text = str(raw).strip() if raw else ""
    if not _SAFE_PATH.fullmatch(text) or classify_path(text, shallow) == "shallow":
        return ""
    return text


def _path_range(text: str, path: str) -> tuple[int, int] | None:
    """Where the path :func:`~pipelint.healthcheck.url_path` reads in URL ``text`` is
    (``start == end``: a URL without a path, after its host); None when not exactly."""
    if "://" in text:
        host = text.index("://") + 3
        start = text.find("/", host)
        if start < 0:
            stop = min([k for k in (text.find("?", host), text.find("#", host)) if k >= 0] or [len(text)])
            return (stop, stop) if path == "/" else None
    else:
        m = _URL_PATH_AFTER_HOST.search(text)
        if m is None:
            return None
        start = m.start(1)
    end = min([k for k in (text.find("?", start), text.find("#", start)) if k >= 0] or [len(text)])
    found = text[start:end]
    if found != path or "$" in found or "{" in found:
        return None
    return start, end


def _script_fix(script, request, path: str, deep: str):
    """Replace the URL word's path in the script with ``deep``."""
    node = script.node
    if node is None or node.style not in _EXACT_SCRIPT_STYLES:
        return None
    url = request.url
    where = _path_range(url.text, path)
    if where is None:
        return None
    tail = url.text[where[0] :]
    if any(c in tail for c in "\"'\\`") or any(c.isspace() for c in tail):
        return None  # quotes or escapes inside: text offsets are not raw offsets
    code = script.text
    end = url.end
    if code[end - len(tail) : end] != tail:
        if not (code[end - 1 : end] in ("'", '"') and code[end - 1 - len(tail) : end - 1] == tail):
            return None
        end -= 1
    start = end - len(tail)
    return _fix(_value_edit(script.file, node, start, start + (where[1] - where[0]), deep), path, deep)


def _value_edit(file, node, i: int, j: int, text: str):
    """An edit replacing characters ``i..j`` of the scalar's value (inserting after
    character ``i - 1`` when ``i == j``), or None when they do not map exactly."""
    value = node.value
    source = file.text
    if i < j:
        start = file.scalar_offset(node, i)
        end = file.scalar_offset(node, j - 1) + 1
        if source[start:end] != value[i:j]:
            return None
        return Edit(file.path, start, end, text)
    if i <= 0 or i > len(value):
        return None
    at = file.scalar_offset(node, i - 1)
    if source[at : at + 1] != value[i - 1]:
        return None
    return Edit(file.path, at + 1, at + 1, text)


def _fix(edit, path: str, deep: str):
    if edit is None:
        return None
    return Fix(f"Check {deep} instead of {path}", (edit,), Applicability.UNSAFE)
