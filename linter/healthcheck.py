"""HTTP requests in scripts, and whether the endpoint they hit says anything about health.

One classifier for every rule that judges an endpoint (PL201 in pipeline scripts, PL404
for Kubernetes probes): :func:`classify_path` -> ``"shallow"`` (answers while the
service's dependencies are down: ``/ping``, ``/``, ``/live``...), ``"deep"`` (a readiness
check: ``/ready``, ``/readyz``, ``/actuator/health``...) or ``"neutral"`` (``/health``,
``/healthz``, ``/status`` and everything else: not judged by default).

:func:`requests` finds the HTTP requests of a shell program (:mod:`pipelint.shell`):
``curl``/``wget``/``http``/``Invoke-WebRequest``... with the URL word and its parsed path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .shell import Command, Program, Word
from . import tables
from .tables import DEEP_PATH_MARKERS, SHALLOW_PATHS

_URL = re.compile(r"^(?:https?://|\$|\{\{|localhost[:/]|127\.0\.0\.1|\[?::1)", re.IGNORECASE)
#: Options of HTTP clients that take a value (so the value is not the URL).
_VALUE_OPTIONS = frozenset(
    {
        "-o", "--output", "-H", "--header", "-d", "--data", "--data-raw", "--data-binary", "--data-urlencode",
        "-X", "--request", "-u", "--user", "-w", "--write-out", "-m", "--max-time", "--connect-timeout",
        "--retry", "--retry-delay", "--retry-max-time", "-A", "--user-agent", "-e", "--referer", "-b", "--cookie",
        "-c", "--cookie-jar", "-T", "--upload-file", "-F", "--form", "--cacert", "--cert", "--key", "-x", "--proxy",
        "--resolve", "--connect-to", "-O", "--output-document", "-t", "--tries", "-T", "--timeout", "--header",
        "-Uri", "-Method", "-Headers", "-Body", "-OutFile", "-TimeoutSec", "-ContentType", "-MaximumRetryCount",
        "-RetryIntervalSec", "-Credential", "-UserAgent", "--url",
    }
)


@dataclass(frozen=True)
class Request:
    """One HTTP request a script makes."""

    command: Command
    #: The URL word as written (may hold ``$VAR`` / placeholders).
    url: Word
    #: The URL's path (``/ready``), ``""`` when it cannot be told (a variable holds it all).
    path: str


def _url_word(cmd: Command) -> Word | None:
    explicit = cmd.option("--url", "-Uri", "-uri")
    if explicit is not None:
        return explicit
    args = cmd.args
    i = 0
    while i < len(args):
        t = args[i].text
        if t in _VALUE_OPTIONS:
            i += 2
            continue
        if t.startswith("-") and len(t) > 1:
            i += 1
            continue
        if _URL.search(t) or "://" in t or "/" in t:
            return args[i]
        i += 1
    return None


def url_path(text: str) -> str:
    """The path of a URL as written (``https://api.example.com/ready?x=1`` -> ``/ready``;
    ``$BASE_URL/ping`` -> ``/ping``; ``${{ vars.URL }}`` -> ``""``)."""
    t = text.strip()
    if "://" in t:
        rest = t.split("://", 1)[1]
        if "/" not in rest:
            return "/"
        path = "/" + rest.split("/", 1)[1]
    else:
        # `$HOST/ping`, `localhost:8080/ping`, `${{ env.URL }}/healthz`
        m = re.search(r"(?:\}\}|\}|[A-Za-z0-9_.:\-\]])(/[^\s]*)$", t)
        if m is None:
            return ""
        path = m.group(1)
    path = path.split("?", 1)[0].split("#", 1)[0]
    if "$" in path or "{{" in path:
        # a variable inside the path: only the static part before it is known
        path = re.split(r"\$|\{\{", path, 1)[0]
        return path if path not in ("", "/") and not path.endswith("/") else ""
    return path or "/"


def requests(program: Program) -> list[Request]:
    """The HTTP requests of a program (commands of :data:`~pipelint.tables.HTTP_CLIENTS`)."""
    out = []
    for cmd in program.commands:
        if cmd.name not in tables.HTTP_CLIENTS:
            continue
        url = _url_word(cmd)
        if url is None:
            continue
        out.append(Request(cmd, url, url_path(url.text)))
    return out


def classify_path(path: str, shallow: tuple[str, ...] = SHALLOW_PATHS, deep_markers: tuple[str, ...] = DEEP_PATH_MARKERS) -> str:
    """``"shallow"``, ``"deep"`` or ``"neutral"`` for an endpoint path (see the module
    docstring). ``shallow``: exact paths (a trailing ``/`` ignored, case-insensitive)."""
    if not path:
        return "neutral"
    p = path.lower()
    if any(marker in p for marker in deep_markers):
        return "deep"
    norm = p.rstrip("/") or "/"
    for s in shallow:
        s_norm = s.lower().rstrip("/") or "/"
        if norm == s_norm or (s_norm != "/" and norm.endswith(s_norm) and _api_prefix(norm[: -len(s_norm)])):
            return "shallow"
    return "neutral"


def _api_prefix(prefix: str) -> bool:
    """``/api/ping``, ``/v1/ping``, ``/api/v1/ping``, ``/-/liveness``: API/version
    segments before a shallow endpoint."""
    return prefix == "" or bool(re.fullmatch(r"(?:/(?:api|v\d+(?:\.\d+)*|_|-|internal))+", prefix))


def is_deep_check(request: Request) -> bool:
    """A request that verifies a deploy: its path is a readiness check."""
    return classify_path(request.path) == "deep"


# ------------------------------------------------------------------ checks vs. data

#: curl/wget options that send data (the request is a write, not a check).
_SEND_OPTIONS = ("-d", "--data", "--data-raw", "--data-binary", "--data-urlencode", "--json", "-F", "--form",
                 "-T", "--upload-file", "--post-data", "--post-file", "--body-data", "--body-file", "-Body", "-InFile")
#: Programs a response piped into is run or unpacked by: a download, not a check.
_CONSUMERS = frozenset({"sh", "bash", "zsh", "dash", "sudo", "tar", "gunzip", "unzip", "python", "python3", "perl",
                        "ruby", "node", "php", "iex", "Invoke-Expression", "gpg", "apt-key", "tee", "dd", "install"})
#: A health-like path segment (``/health``, ``/api/ready``, ``/status``...).
_HEALTHISH = re.compile(
    r"(?:^|/_*|/-/)"
    r"(?:health\w*|ready\w*|readiness|live|livez|liveness|alive|ping|pong|status|heartbeat|hc|version|smoke)"
    r"(?:$|[/_.?\-])",
    re.IGNORECASE,
)
#: URLs that notify, trigger or purge rather than check a service.
_NOT_A_CHECK = re.compile(
    r"hook|notify|notification|slack|discord|telegram|teams|trigger|purge|dispatch|/deploy|api\.github\.com|"
    r"githubusercontent|coveralls|codecov|sentry|registry|upload|publish|release",
    re.IGNORECASE,
)


def method(cmd: Command) -> str:
    """The HTTP method a request uses (``GET`` unless ``-X``/``-Method`` or a body says otherwise)."""
    word = cmd.option("-X", "--request", "-Method", "-method", "--method")
    if word is not None and word.text and not word.dynamic:
        return word.text.upper()
    if any(cmd.option(o) is not None for o in _SEND_OPTIONS) or cmd.has_flag("--post-data", "--post-file"):
        return "POST"
    if cmd.name in ("http", "https"):  # httpie: `http POST url`, `http url key=value`
        for w in cmd.args:
            if w.text.upper() in ("POST", "PUT", "PATCH", "DELETE"):
                return w.text.upper()
            if re.match(r"^[A-Za-z_][\w-]*:?=", w.text):
                return "POST"
    return "HEAD" if cmd.has_flag("-I", "--head") else "GET"


def _piped_into(program: Program, cmd: Command) -> list[Command]:
    return [c for c in program.commands if c.pipeline == cmd.pipeline and c.pipe_index > cmd.pipe_index]


def is_download(program: Program, request: Request) -> bool:
    """The response is saved or run: ``-o file``/``-O``, ``> file``, ``| sh``, ``| tar``..."""
    cmd = request.command
    out = cmd.option("-o", "--output", "-OutFile", "--output-document")
    if out is not None and out.text not in ("/dev/null", "NUL", "nul", "-", "$null"):
        return True
    if cmd.name in ("curl",) and cmd.has_flag("-O", "--remote-name", "--remote-name-all", "-J"):
        return True
    if any(not r.startswith("&") and "/dev/null" not in r and r not in ("1", "2") for r in cmd.redirects):
        return True
    if _redirected_to_file(program, cmd):
        return True
    return any(c.name in _CONSUMERS for c in _piped_into(program, cmd))


_REDIRECT = re.compile(r"[^\n;|&]*?(?<![<&\d])(?:1?>>?|&>)\s*([^\s;|&]+)")


def _redirected_to_file(program: Program, cmd: Command) -> bool:
    """``curl ... > out.json``: the shell parser does not attach a redirect of a plain
    command to it (``Command.redirects`` is empty), so read the rest of its line."""
    m = _REDIRECT.match(program.text, cmd.end)
    if m is None:
        return False
    target = m.group(1)
    return not (target.startswith("&") or target in ("/dev/null", "/dev/stderr", "/dev/stdout", "$null", "NUL"))


def looks_like_check(program: Program, request: Request) -> bool:
    """A request that checks a service: a GET/HEAD whose response is not saved, run or
    unpacked, to a URL that does not notify, trigger or purge something."""
    if method(request.command) not in ("GET", "HEAD"):
        return False
    if is_download(program, request):
        return False
    return not _NOT_A_CHECK.search(request.url.text)


def is_healthish(path: str) -> bool:
    """The path names a health, readiness, liveness, status or version endpoint."""
    return bool(path) and bool(_HEALTHISH.search(path))


def has_static_host(url: Word) -> bool:
    """The URL's scheme and host are written out (not a ``$VAR``/placeholder holding them)."""
    t = url.text
    if "://" in t:
        host = t.split("://", 1)[1].split("/", 1)[0]
        return bool(host) and not host.startswith(("$", "{{", "_"))
    return bool(re.match(r"^(?:localhost|127\.0\.0\.1|[\w-]+(?:\.[\w-]+)+)(?::\d+)?(?:/|$)", t))


# ------------------------------------------------------------------ post-deploy context


def deploy_point(job) -> tuple[int, int] | None:
    """(step index, script offset) where the job's first deploy command ends, or None when
    the job runs no recognised deploy command (an action deploys: offset -1, the step's end)."""
    from .deploy import step_deploy_commands

    for i, step in enumerate(job.steps):
        for cmd in step_deploy_commands(step):
            return (i, cmd.end if cmd.end is not None else -1)
    return None


def after_deploy(job, step_index: int, offset: int, project, memo: dict | None = None) -> bool:
    """A point of ``job`` (step index, script offset) runs after a deploy: after the job's own
    deploy command/step, or anywhere in a job downstream of a deploy job. A deploy job whose
    deploy is not a recognised command (only its ``environment:`` says it deploys) counts as
    deploying before each of its checks."""
    from .deploy import is_deploy_job

    memo = memo if memo is not None else {}
    key = ("point", id(job))
    if key not in memo:
        memo[key] = deploy_point(job)
    point = memo[key]
    if point is not None:
        i, end = point
        if step_index > i or (step_index == i and end >= 0 and offset >= end):
            return True
    elif is_deploy_job(job, project):
        return True
    ukey = ("upstream", id(job))
    if ukey not in memo:
        ups = project.graph.upstream(job) if project is not None else []
        memo[ukey] = any(_deploys(u, project, memo) for u in ups)
    return memo[ukey]


def may_follow_deploy(job, project, memo: dict | None = None) -> bool:
    """Some point of ``job`` can run after a deploy (its own, or an upstream job's): the
    cheap question to ask before reading its scripts."""
    from .deploy import is_deploy_job

    memo = memo if memo is not None else {}
    if ("point", id(job)) not in memo:
        memo[("point", id(job))] = deploy_point(job)
    if memo[("point", id(job))] is not None or is_deploy_job(job, project):
        return True
    return after_deploy(job, len(job.steps), 0, project, memo)


def step_path(job, step, position: int, key: str = "") -> str:
    """A stable logical path of a step's script (``jobs.deploy.steps[3].run``; GitLab
    ``jobs.deploy.script[1]``; Azure ``stages.s.jobs.j.steps[2]``); ``key``: an input below it."""
    from .activities import job_path

    platform = job.pipeline.platform
    if platform == "gitlab":
        section = step.name or "script"
        k = sum(1 for s in job.steps[:position] if (s.name or "script") == section)
        return f"{job_path(job)}.{section}[{k}]"
    base = f"{job_path(job)}.steps[{position}]"
    if key:
        return f"{base}.{key}"
    return f"{base}.run" if platform == "github" else base


def step_label(job, step, position: int) -> str:
    """How messages name a step (GitLab: ``script[1]``, each script line is a step)."""
    if job.pipeline.platform == "gitlab":
        section = step.name or "script"
        k = sum(1 for s in job.steps[:position] if (s.name or "script") == section)
        return f"{section}[{k}]"
    return step.label


def _deploys(job, project, memo: dict) -> bool:
    from .deploy import is_deploy_job

    key = ("deploys", id(job))
    if key not in memo:
        memo[key] = is_deploy_job(job, project)
    return memo[key]


__all__ = [
    "Request",
    "after_deploy",
    "classify_path",
    "deploy_point",
    "has_static_host",
    "is_deep_check",
    "is_download",
    "is_healthish",
    "looks_like_check",
    "method",
    "requests",
    "step_label",
    "step_path",
    "url_path",
]
