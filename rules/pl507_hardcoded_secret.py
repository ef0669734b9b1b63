"""PL507 hardcoded-secret."""

from __future__ import annotations

import functools
import re

from pipelint.diagnostics import Severity
from pipelint.rule import Rule
from pipelint.yamltree import Mapping, Scalar

_MAX_MESSAGE = 199

# --------------------------------------------------------------- credential formats
#: (kind, pattern, group holding the random part). Every format is reported wherever it
#: appears in a value, whatever the key: it authenticates by itself.
_FORMATS = (
    ("AWS access key ID", re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)([A-Z0-9]{16})(?![A-Z0-9])"), 1),
    ("GitHub personal access token", re.compile(r"(?<![A-Za-z0-9_])ghp_([A-Za-z0-9]{36})(?![A-Za-z0-9])"), 1),
    ("GitHub OAuth token", re.compile(r"(?<![A-Za-z0-9_])gho_([A-Za-z0-9]{36})(?![A-Za-z0-9])"), 1),
    ("GitHub user-to-server token", re.compile(r"(?<![A-Za-z0-9_])ghu_([A-Za-z0-9]{36})(?![A-Za-z0-9])"), 1),
    ("GitHub app installation token", re.compile(r"(?<![A-Za-z0-9_])ghs_([A-Za-z0-9]{36})(?![A-Za-z0-9])"), 1),
    ("GitHub refresh token", re.compile(r"(?<![A-Za-z0-9_])ghr_([A-Za-z0-9]{36})(?![A-Za-z0-9])"), 1),
    ("GitHub fine-grained personal access token", re.compile(r"(?<![A-Za-z0-9_])github_pat_([A-Za-z0-9_]{50,})"), 1),
    ("GitLab personal access token", re.compile(r"(?<![A-Za-z0-9_])glpat-([A-Za-z0-9_-]{20,})"), 1),
    ("Slack token", re.compile(r"(?<![A-Za-z0-9_])xox[abprs]-([A-Za-z0-9-]{10,})"), 1),
    (
        "private key",
        re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----\s*([A-Za-z0-9+/=:,\-\s]{40,})"),
        1,
    ),
)
#: One cheap search that every value goes through; the formats above run only on a hit.
_ANY_FORMAT = re.compile(r"AKIA|ASIA|gh[pousr]_|github_pat_|glpat-|xox[abprs]-|PRIVATE KEY")
_HEADER_END = re.compile(r"PRIVATE KEY(?: BLOCK)?-----")

# --------------------------------------------------------------- credential key names
#: Last word of a key (split on -, _, . and camelCase) that names a credential.
_NOUNS = {
    "password": "password",
    "passwd": "password",
    "passphrase": "passphrase",
    "token": "token",
    "secret": "secret",
    "apikey": "API key",
    "accesskey": "access key",
    "secretkey": "secret key",
    "privatekey": "private key",
}
#: The last word ends with one of these (``dbpassword``, ``npmtoken``, ``clientsecret``).
_SUFFIXES = ("password", "passwd", "passphrase", "token", "secret", "apikey")
#: "<word> key" pairs that name a credential (``api_key``, ``AWS_SECRET_ACCESS_KEY``).
_KEY_PAIRS = {"api": "API key", "access": "access key", "secret": "secret key", "private": "private key"}

# --------------------------------------------------------------- values that are not secrets
#: Expressions, explicit variable syntax anywhere in the value (``${{ }}``, ``${VAR}``, ``$(...)``).
_EXPRESSION = re.compile(r"\$\{\{|\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$\(")
#: A value that is one variable reference (``$VAR``, ``%VAR%``, ``$env:VAR``). A ``$`` inside
#: a longer value (``kT9$eW2m``) is part of a password: GitHub does not expand it.
_VARIABLE = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*|%[A-Za-z_][A-Za-z0-9_]*%|\$env:[A-Za-z_][A-Za-z0-9_]*", re.IGNORECASE)
_CONTEXT_REF = re.compile(r"(secrets|env|vars|github|inputs|steps|needs|matrix|runner|job)\.[\w.\-\[\]'\"]+")
_VARIABLE_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
_PATH = re.compile(r"(?:\.{1,2}/|/|~/|[A-Za-z]:\\)\S*")
_FILE_NAME = re.compile(
    r"[\w.\-/\\]+\.(?:pem|key|p8|p12|pfx|json|txt|gpg|asc|crt|cer|der|jks|keystore|env|ya?ml|xml|properties|cfg|conf|ini|enc)",
    re.IGNORECASE,
)
_URL_WITHOUT_USERINFO = re.compile(r"[a-z][a-z0-9+.\-]*://[^@\s]*", re.IGNORECASE)
_SETTINGS = {
    "true", "false", "yes", "no", "on", "off", "auto", "none", "null", "nil", "required", "optional",
    "enabled", "disabled", "enable", "disable", "inherit", "default", "oidc", "bearer", "basic", "read",
    "write", "undefined",
}  # fmt: skip
#: Words that mark a value as a stand-in wherever they appear (``sk_test_placeholder``).
_PLACEHOLDER_WORDS = {
    "dummy", "fake", "mock", "mocked", "example", "sample", "placeholder", "redacted", "test", "testing",
    "todo", "tbd", "unused", "invalid", "notasecret", "notsecret", "nosecret", "replaceme", "xxx", "noop",
    "nop", "ignored",
}  # fmt: skip
#: A value made only of these words is a stand-in too (``foo``, ``my-secret``, ``token-here``);
#: mixed with anything else (``prod-api-token-7f3a9c``) it is not.
_FILLER_WORDS = {"foo", "bar", "baz", "qux", "foobar", "secret", "token", "key", "value", "my", "your", "here", "the"}
#: The value's first word starts with one of these (``testpass``, ``yourtoken``).
_PLACEHOLDER_PREFIXES = ("dummy", "fake", "mock", "example", "sample", "placeholder", "redacted", "test", "your")
#: Last words of keys under a call's ``secrets:`` that hold identifiers, not secrets
#: (reusable workflows often declare a registry user name as a secret).
_NOT_SECRET_LAST = {
    "user", "username", "login", "email", "id", "account", "name", "org", "organization", "owner",
    "url", "host", "endpoint", "region", "project", "tenant", "subscription", "registry",
}  # fmt: skip
_LOCAL_HOSTS = re.compile(r"(?<![\w.-])(localhost|127\.0\.0\.1|0\.0\.0\.0|\[?::1\]?|host\.docker\.internal)(?![\w-])", re.I)


class HardcodedSecret(Rule):
    """## What it does
    Reports a literal credential in a GitHub workflow or composite action: in workflow,
    job, step, job-container and service-container `env:`, in step `with:` inputs, in the
    `with:` and `secrets:` of a reusable-workflow call, and in `container.credentials` /
    `services.*.credentials`. Two kinds of evidence:

    - a known credential format anywhere in the value, whatever the key: AWS access key
      IDs (`AKIA`/`ASIA` + 16 characters), GitHub tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`,
      `ghr_`, `github_pat_`), GitLab `glpat-` tokens, Slack `xox[abprs]-` tokens and
      private keys (a `-----BEGIN ... PRIVATE KEY-----` header followed by key material).
      Documentation examples (`...EXAMPLE`) and filler (`ghp_xxxx...`) are not reported.
    - a key named like a credential (last word `password`, `passwd`, `passphrase`,
      `token`, `secret`, `api_key`/`apikey`, `access_key`, `secret_key`, `private_key`,
      any case or separator, e.g. `DB_PASSWORD`, `npmToken`, `client-secret`; every key
      under a reusable-workflow call's `secrets:` but identifiers such as
      `registry-username`) whose value is a literal. Not
      literals: expressions (`${{ }}`), shell or PowerShell variables (`$VAR`, `${VAR}`,
      `$(...)`, `%VAR%`, `$env:X`), context references (`secrets.X`), the name of a
      variable or secret (`MAVEN_PASSWORD`), paths and file names (`./deploy.pem`), URLs,
      booleans, numbers, settings words (`true`, `auto`, `none`...), empty values and
      stand-ins (`dummy`, `fake`, `example`, `test...`, `your-token`, `<token>`, `xxxx`,
      `foo`, `my-secret`). A `$` inside a longer value (`kT9$eW2m`) is part of a password:
      GitHub does not expand it.
      Keys whose last word is not a credential (`token-format`, `secret-name`,
      `password-stdin`, `persist-credentials`, `AWS_ACCESS_KEY_ID`) are not read this way.

    Weak passwords such as `changeme`, `admin` or `postgres` are real credentials and are
    reported, except where they can only reach a throwaway service of the job: the `env`
    of a service container (`services.postgres.env.POSTGRES_PASSWORD`), an `env`/`with`
    block that also points at `localhost`/`127.0.0.1` or at one of the job's service
    containers, and a value equal to one a service container of the workflow is given.
    Registry `credentials` are never treated as throwaway: they log in to a real registry.
    The message names the key and the kind of credential, never the value.

    ## Why is this bad?
    Everything in a workflow file is readable by anyone who can read the repository, its
    forks and its history, and it is printed unmasked in logs. A credential committed
    there must be considered leaked: it has to be revoked, and removing it from the file
    later does not remove it from the history.

    ## Example
    ```yaml
    jobs:
      deploy:
        runs-on: ubuntu-latest
        container:
          image: registry.example.com/deployer:1.4
          credentials:
            username: ci
            password: hunter2-prod
        env:
          SENTRY_AUTH_TOKEN: 4f9c2e7a1b8d3f6e0a5c9b2d7e1f4a8c
    ```

    ## Use instead
    ```yaml
    jobs:
      deploy:
        runs-on: ubuntu-latest
        container:
          image: registry.example.com/deployer:1.4
          credentials:
            username: ci
            password: ${{ secrets.REGISTRY_PASSWORD }}
        env:
          SENTRY_AUTH_TOKEN: ${{ secrets.SENTRY_AUTH_TOKEN }}
    ```
    """

    code = "PL507"
    name = "hardcoded-secret"
    severity = Severity.ERROR
    platforms = ("github",)
    tags = ("security", "secrets")
    precision = "high"

    def check(self, ctx):
        seen: set[int] = set()  # a value shared through a YAML alias is reported once
        for diagnostic in self._findings(ctx.file):
            if diagnostic.span.start.offset not in seen:
                seen.add(diagnostic.span.start.offset)
                yield diagnostic

    def _findings(self, parsed):
        pipeline = parsed.pipeline
        if pipeline is not None and pipeline.platform == "github":
            yield from self._pipeline(pipeline)
        if parsed.action is not None:
            for step in parsed.action.steps:
                where = _step_label(step)
                base = f"runs.steps[{step.index}]"
                yield from self._scan(step.file, step.env, f"the env of {where}", f"{base}.env", _Local.none())
                yield from self._scan(step.file, step.inputs, f"the inputs of {where}", f"{base}.with", _Local.none())

    def _pipeline(self, pipeline):
        file = pipeline.file
        services = {job.id: _services(job) for job in pipeline.jobs.values()}
        everywhere = _Local.merge(services.values())
        yield from self._scan(file, pipeline.env, "the workflow env", "env", everywhere)
        for job in pipeline.jobs.values():
            body = job.node
            if not isinstance(body, Mapping):
                continue
            local = services[job.id]
            prefix = f"jobs.{job.id}"
            yield from self._scan(file, job.env, f"the env of {job.label}", f"{prefix}.env", local)
            yield from self._scan(file, job.inputs, f"the inputs of {job.label}", f"{prefix}.with", local)
            secrets = body.get("secrets")
            if isinstance(secrets, Mapping):
                yield from self._scan(
                    file, secrets, f"the secrets {job.label} passes", f"{prefix}.secrets", _Local.none(), every_key=True
                )
            container = body.get("container")
            if isinstance(container, Mapping):
                yield from self._scan(
                    file, _mapping(container.get("env")), f"the container env of {job.label}", f"{prefix}.container.env", local
                )
                yield from self._scan(
                    file,
                    _mapping(container.get("credentials")),
                    f"the container credentials of {job.label}",
                    f"{prefix}.container.credentials",
                    _Local.none(),
                )
            service_map = body.get("services")
            if isinstance(service_map, Mapping):
                for name, _key, service in service_map.items():
                    if not isinstance(service, Mapping):
                        continue
                    spath = f"{prefix}.services.{name}"
                    yield from self._scan(
                        file,
                        _mapping(service.get("env")),
                        f"the env of service '{name}' of {job.label}",
                        f"{spath}.env",
                        local,
                        throwaway=True,
                    )
                    yield from self._scan(
                        file,
                        _mapping(service.get("credentials")),
                        f"the credentials of service '{name}' of {job.label}",
                        f"{spath}.credentials",
                        _Local.none(),
                    )
            for step in job.steps:
                where = f"{_step_label(step)} of {job.label}"
                base = f"{prefix}.steps[{step.index}]"
                yield from self._scan(file, step.env, f"the env of {where}", f"{base}.env", local)
                yield from self._scan(file, step.inputs, f"the inputs of {where}", f"{base}.with", local)

    def _scan(self, file, mapping, where: str, path: str, local: _Local, *, every_key=False, throwaway=False):
        if not isinstance(mapping, Mapping):
            return
        block_is_local = None  # computed on the first candidate only
        for key, _key_node, value in mapping.items():
            if not isinstance(value, Scalar):
                continue
            text = value.value
            found = _known_format(text)
            if found is not None:
                kind, start, end = found
                yield self.diagnostic(
                    file.scalar_span(value, start, end),
                    _message(where, key, f"a literal {kind}", leaked=True),
                    logical_path=f"{path}.{key}",
                )
                continue
            noun = _credential_noun(key)
            if noun is None and every_key and (_words(key) or [""])[-1] not in _NOT_SECRET_LAST:
                noun = "secret"
            if noun is None or not _is_literal_credential(value):
                continue
            if block_is_local is None:
                block_is_local = throwaway or any(
                    isinstance(v, Scalar) and local.points_here(v.value) for _t, _k, v in mapping.items()
                )
            if block_is_local or (text.strip() in local.values):
                continue  # a throwaway password of a service container of this job
            yield self.diagnostic(
                file.node_span(value),
                _message(where, key, f"a literal {noun}", leaked=False),
                logical_path=f"{path}.{key}",
            )


# ------------------------------------------------------------------------ local services


class _Local:
    """What a job's service containers make local: their names and the values they get."""

    __slots__ = ("names", "values")

    def __init__(self, names: set[str], values: set[str]):
        self.names = names
        self.values = values

    @classmethod
    def none(cls) -> _Local:
        return cls(set(), set())

    @classmethod
    def merge(cls, parts) -> _Local:
        names: set[str] = set()
        values: set[str] = set()
        for p in parts:
            names |= p.names
            values |= p.values
        return cls(names, values)

    def points_here(self, text: str) -> bool:
        """The value is a local endpoint: localhost, or a service container's host name."""
        if _LOCAL_HOSTS.search(text):
            return True
        if not self.names:
            return False
        host = text.strip().lower()
        if "://" in host:
            host = host.split("://", 1)[1].rsplit("@", 1)[-1]
        host = re.split(r"[:/?]", host, maxsplit=1)[0]
        return host in self.names


def _services(job) -> _Local:
    body = job.node
    services = body.get("services") if isinstance(body, Mapping) else None
    if not isinstance(services, Mapping):
        return _Local.none()
    names: set[str] = set()
    values: set[str] = set()
    for name, _key, service in services.items():
        names.add(name.lower())
        env = service.get("env") if isinstance(service, Mapping) else None
        if isinstance(env, Mapping):
            for _t, _k, v in env.items():
                if isinstance(v, Scalar) and v.value.strip() and "${{" not in v.value:
                    values.add(v.value.strip())
    return _Local(names, values)


# ------------------------------------------------------------------------ classification


def _known_format(text: str):
    """(kind, start, end) of the first real credential of a known format in ``text``."""
    if len(text) < 20 or not _ANY_FORMAT.search(text):
        return None
    for kind, pattern, group in _FORMATS:
        for m in pattern.finditer(text):
            body = m.group(group)
            if _filler(body):
                continue
            if kind == "private key":
                header = _HEADER_END.search(text, m.start())
                return kind, m.start(), header.end() if header else m.end()
            return kind, m.start(), m.end()
    return None


def _filler(body: str) -> bool:
    core = re.sub(r"[\s_\-=]", "", body)
    if "EXAMPLE" in core.upper() or "XXXX" in core.upper():
        return True
    return len(set(core.lower())) < 6


def _words(key: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


@functools.lru_cache(maxsize=4096)
def _credential_noun(key: str) -> str | None:
    words = _words(key)
    if not words:
        return None
    last = words[-1]
    if last == "key" and len(words) > 1:
        return _KEY_PAIRS.get(words[-2])
    if last in _NOUNS:
        return _NOUNS[last]
    if last == "pass" and len(words) > 1:
        return "password"
    for suffix in _SUFFIXES:
        if last.endswith(suffix):
            return _NOUNS[suffix]
    return None


def _is_literal_credential(node: Scalar) -> bool:
    if not isinstance(node.typed(), str):
        return False  # null, boolean, number
    text = node.value.strip()
    if len(text) < 3:
        return False
    lower = text.lower()
    if lower in _SETTINGS:
        return False
    if _EXPRESSION.search(text) or _VARIABLE.fullmatch(text):
        return False
    if _CONTEXT_REF.fullmatch(text) or _VARIABLE_NAME.fullmatch(text):
        return False
    if _is_path(text) or _URL_WITHOUT_USERINFO.fullmatch(text):
        return False
    if len(text.split()) >= 3:
        return False  # prose, or a list of names, not a credential
    return not _placeholder(text)


def _is_path(text: str) -> bool:
    if _FILE_NAME.fullmatch(text):
        return True
    if not _PATH.fullmatch(text):
        return False
    # ``/coUNEhEkk/iqq8vH2BzNZ...`` is a base64 key that happens to start with a slash.
    return not any(_random_looking(part) for part in re.split(r"[/\\]", text))


def _random_looking(part: str) -> bool:
    return (
        len(part) >= 12
        and any(c.isupper() for c in part)
        and any(c.islower() for c in part)
        and any(c.isdigit() for c in part)
    ) or "+" in part or part.endswith("=")


def _placeholder(text: str) -> bool:
    lower = text.lower()
    if lower[0] + lower[-1] in ("<>", "{}", "[]", "()"):
        return True
    if len(set(re.sub(r"[\W_]", "", lower))) <= 2:
        return True  # xxxx, ****, 0000
    words = [w for w in re.split(r"[^a-z0-9]+", lower) if w]
    if not words or any(w in _PLACEHOLDER_WORDS for w in words) or words[0].startswith(_PLACEHOLDER_PREFIXES):
        return True
    return all(w in _FILLER_WORDS or w.isdigit() for w in words)


# ------------------------------------------------------------------------ output


def _message(where: str, key: str, what: str, *, leaked: bool) -> str:
    advice = "revoke it and use a secret instead" if leaked else "move it to a secret"
    for message in (
        f"`{key}` in {where} is {what}, readable by anyone with access to the repository; "
        f"{advice} (${{{{ secrets.NAME }}}}).",
        f"`{key}` in {where} is {what}, readable by anyone who can read the repository; {advice}.",
        f"`{key}` is {what}, readable by anyone with access to the repository; {advice} (${{{{ secrets.NAME }}}}).",
    ):
        if len(message) <= _MAX_MESSAGE:
            return message
    return message[: _MAX_MESSAGE - 1].rstrip() + "…"


def _step_label(step) -> str:
    if step.name or step.id:
        return step.label
    return f"step {step.index + 1}"


def _mapping(node):
    return node if isinstance(node, Mapping) else None
