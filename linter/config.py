"""Configuration: ``[tool.pipelint]`` in pyproject.toml, or pipelint.toml / .pipelint.toml.

The file is found by walking up from the linted path, validated against
``schemas/config.schema.json`` (a bad key or value is a usage error naming file, key and
line), and merged with command-line flags, which win.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from .diagnostics import Severity

CONFIG_FILES = (".pipelint.toml", "pipelint.toml", "pyproject.toml")

#: A word (prod, production, live) standing alone or between separators, unless a
#: segment says pre-prod / non-prod (``app_non_prod`` included: ``_`` is a separator).
DEFAULT_PRODUCTION = [
    r"^(?!(?:.*[-_/.: ])?(?:pre|non)[-_ ]?prod)(?:.*[-_/.: ])?(?:prod|production|live)(?:[-_/.: ].*)?$"
]
DEFAULT_STAGING = [
    r"^(?:.*[-_/.: ])?(?:stag|staging|stage|preprod|pre-prod|pre_prod|pre[-_]?production|uat|qa)(?:[-_/.: ].*)?$"
]


class ConfigError(Exception):
    """Invalid configuration or usage: the CLI exits 2 with this message."""


@dataclass
class Settings:
    select: list[str] = field(default_factory=lambda: ["ALL"])
    ignore: list[str] = field(default_factory=list)
    extend_select: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    production_environments: list[str] = field(default_factory=lambda: list(DEFAULT_PRODUCTION))
    staging_environments: list[str] = field(default_factory=lambda: list(DEFAULT_STAGING))
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_on: Severity = Severity.WARNING
    max_file_size: int = 5 * 1024 * 1024
    #: ``max-file-seconds``: the time budget of reading one file, and of checking it;
    #: over it the file gets PL001 "too complex" instead of a hang (0: no budget).
    max_file_seconds: float = 10.0
    #: ``jobs``: worker processes (``--jobs``); None: one per core.
    jobs: int | None = None
    #: ``cache``/``cache-dir``: the result cache (``--no-cache``, ``--cache-dir``);
    #: ``cache_dir`` None is ``.pipelint_cache`` in the project root.
    cache: bool = True
    cache_dir: str | None = None
    #: ``--github-environments FILE`` / ``github-environments``: the JSON of
    #: ``GET /repos/{owner}/{repo}/environments`` (path as given), and what it says:
    #: lower-cased environment name -> :class:`GithubEnvironment` (None: not given, so
    #: GitHub environment settings are unknown).
    github_environments: str | None = None
    github_environments_data: dict | None = None
    #: ``[tool.pipelint.tables]``: rows added to pipelint's command tables
    #: (``deploy-commands``, ``test-commands``...; see :mod:`pipelint.tables`).
    tables: dict[str, list[str]] = field(default_factory=dict)
    #: ``sql-dialect``: how migrations are parsed (``postgres``, the default, by PostgreSQL's
    #: own parser; any other sqlglot dialect name: ``mysql``, ``sqlite``, ``tsql``...).
    sql_dialect: str = "postgres"
    #: ``[tool.pipelint.migrations] require-undo``: every forward migration needs an
    #: undo/down counterpart (PL702); false for teams that only roll forward.
    migrations_require_undo: bool = True
    #: ``--action-pins FILE`` / ``action-pins``: a JSON map of ``owner/repo@ref`` to the
    #: commit SHA it points at (what ``gh api repos/OWNER/REPO/commits/REF`` returns), for
    #: PL501's fix; None when not given (no pinning fix is offered).
    action_pins: dict | None = None
    #: Where the settings came from (for messages), or None for defaults.
    source: str | None = None
    #: The folder the config file lives in: relative globs are anchored there.
    base_dir: str | None = None


@dataclass(frozen=True)
class GithubEnvironment:
    """What an environments export says about one GitHub environment."""

    name: str
    #: Reviewers of its ``required_reviewers`` protection rule (0: no such rule).
    reviewers: int = 0
    has_required_reviewers_rule: bool = False
    wait_timer: int | None = None


def load_action_pins(path: str) -> dict[str, str]:
    """Read a JSON object mapping ``owner/repo@ref`` (or ``owner/repo/path@ref``) to a
    40-hex commit SHA; keys are matched case-insensitively."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object of \"owner/repo@ref\": \"<sha>\"")
    pins = {}
    for ref, sha in data.items():
        if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-fA-F]{40}", sha) or "@" not in str(ref):
            raise ConfigError(f"{path}: {ref!r}: expected \"owner/repo@ref\": \"<40-hex commit SHA>\"")
        pins[str(ref).lower()] = sha.lower()
    return pins


def load_github_environments(path: str) -> dict[str, GithubEnvironment]:
    """Read an export of ``GET /repos/{owner}/{repo}/environments``.

    Accepted shapes: the API answer (``{"total_count": n, "environments": [...]}``), a
    bare list of environment objects, or several pages of answers in a list. A missing
    file or one that is not such JSON is a :class:`ConfigError` (exit 2).
    """
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: GitHub environments file not found (--github-environments)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the GitHub environments file: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}:{exc.colno}: the GitHub environments file is not valid JSON: {exc.msg}") from None

    def bad(what: str) -> ConfigError:
        return ConfigError(
            f"{path}: not a GitHub environments export ({what}); expected the JSON of "
            "GET /repos/{owner}/{repo}/environments"
        )

    pages = data if isinstance(data, list) and all(isinstance(d, dict) and "environments" in d for d in data) and data else [data]
    items: list = []
    for page in pages:
        if isinstance(page, dict):
            if "environments" not in page:
                raise bad("no 'environments' key")
            envs = page["environments"]
        else:
            envs = page
        if not isinstance(envs, list):
            raise bad("'environments' is not a list")
        items.extend(envs)
    out: dict[str, GithubEnvironment] = {}
    for i, env in enumerate(items):
        if not isinstance(env, dict) or not isinstance(env.get("name"), str):
            raise bad(f"environment {i + 1} has no name")
        rules = env.get("protection_rules") or []
        if not isinstance(rules, list):
            raise bad(f"'protection_rules' of {env['name']!r} is not a list")
        reviewers = 0
        has_rule = False
        wait = None
        for rule in rules:
            if not isinstance(rule, dict):
                raise bad(f"a protection rule of {env['name']!r} is not an object")
            if rule.get("type") == "required_reviewers":
                has_rule = True
                listed = rule.get("reviewers") or []
                reviewers += len(listed) if isinstance(listed, list) else 0
            elif rule.get("type") == "wait_timer" and isinstance(rule.get("wait_timer"), int):
                wait = rule["wait_timer"]
        out[env["name"].strip().lower()] = GithubEnvironment(env["name"], reviewers, has_rule, wait)
    return out


def use_github_environments(settings: "Settings", path: str | None) -> None:
    """Set and read the environments export (``path`` relative to the working folder)."""
    settings.github_environments = path
    settings.github_environments_data = load_github_environments(path) if path else None


def _load_toml(path: str) -> dict:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    with open(path, "rb") as fh:
        try:
            return tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def find_config(start: str) -> tuple[str, dict] | None:
    """The nearest config file at or above ``start`` that configures pipelint."""
    here = os.path.abspath(start)
    if os.path.isfile(here):
        here = os.path.dirname(here)
    while True:
        for name in CONFIG_FILES:
            candidate = os.path.join(here, name)
            if os.path.isfile(candidate):
                data = _load_toml(candidate)
                if name == "pyproject.toml":
                    tool = data.get("tool", {})
                    if isinstance(tool, dict) and "pipelint" in tool:
                        return candidate, tool["pipelint"]
                    continue
                # a pipelint.toml may use a [tool.pipelint] table too
                if isinstance(data.get("tool"), dict) and "pipelint" in data["tool"]:
                    return candidate, data["tool"]["pipelint"]
                return candidate, data
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _schema() -> dict:
    from importlib import resources  # (22 ms of imports: only runs with a config file need it)

    text = resources.files("pipelint.schemas").joinpath("config.schema.json").read_text("utf-8")
    return json.loads(text)


_TABLE = re.compile(r"^\s*\[(?!\[)\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$")


def _dotted(text: str) -> list[str]:
    """``tool.pipelint."per-file-ignores"`` -> its key parts."""
    return [a or b or c for a, b, c in re.findall(r'"([^"]*)"|\'([^\']*)\'|([^.\s"\']+)', text)]


def _key_at(name: str) -> re.Pattern:
    name = re.escape(name)
    return re.compile(rf'^\s*(?:"{name}"|\'{name}\'|{name})\s*[.=]')


def _line_of(path: str, key_path: list) -> int | None:
    """Best-effort line of a key in a TOML file (tomllib keeps no positions).

    Only lines of pipelint's own table count (``[tool.pipelint]`` and its sub-tables in a
    pyproject.toml): other tools' tables often use the same key names (``select``).
    """
    keys = [str(k) for k in key_path if not isinstance(k, int)]
    if not keys:
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    headers = {i: _dotted(m[1]) for i, line in enumerate(lines) if (m := _TABLE.match(line))}
    base = ["tool", "pipelint"] if any(h[:2] == ["tool", "pipelint"] for h in headers.values()) else []
    table: list[str] = []
    in_array_table = False
    for i, line in enumerate(lines):
        if i in headers:
            table, in_array_table = headers[i], False
            if table == base + keys:  # the key is a table of its own: [tool.pipelint.rules.PL101]
                return i + 1
            continue
        if line.lstrip().startswith("[["):
            in_array_table = True
            continue
        if in_array_table or table[: len(base)] != base:
            continue
        rel = table[len(base) :]
        if keys[: len(rel)] != rel or len(rel) >= len(keys):
            continue
        # `key = ...`, a dotted `severity.PL101 = ...` or an inline `severity = { PL101 = ... }`
        if _key_at(keys[len(rel)]).match(line) and (len(rel) + 1 == len(keys) or keys[-1] in line):
            return i + 1
    return None


def validate(path: str, data: dict) -> None:
    import jsonschema

    validator = jsonschema.Draft7Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    err = errors[0]
    key_path = list(err.absolute_path)
    if err.validator == "additionalProperties":
        extra = [k for k in (err.instance or {}) if k not in err.schema.get("properties", {})]
        key_path = key_path + extra[:1]
        what = f"unknown key {'.'.join(map(str, key_path))!r}"
    else:
        what = f"{'.'.join(map(str, key_path)) or 'tool.pipelint'}: {err.message}"
    line = _line_of(path, key_path)
    where = f"{path}:{line}" if line else path
    raise ConfigError(f"{where}: invalid configuration: {what}")


def settings_from(data: dict, source: str | None = None) -> Settings:
    s = Settings(source=source, base_dir=os.path.dirname(source) if source else None)
    if "select" in data:
        s.select = list(data["select"])
    s.extend_select = list(data.get("extend-select", []))
    s.ignore = list(data.get("ignore", []))
    s.severity = dict(data.get("severity", {}))
    s.per_file_ignores = {k: list(v) for k, v in data.get("per-file-ignores", {}).items()}
    s.exclude = list(data.get("exclude", []))
    if "production-environments" in data:
        s.production_environments = list(data["production-environments"])
    if "staging-environments" in data:
        s.staging_environments = list(data["staging-environments"])
    s.rules = {k: dict(v) for k, v in data.get("rules", {}).items()}
    if "fail-on" in data:
        s.fail_on = Severity.parse(data["fail-on"])
    if "max-file-size" in data:
        s.max_file_size = int(data["max-file-size"])
    if "max-file-seconds" in data:
        s.max_file_seconds = float(data["max-file-seconds"])
    if "jobs" in data:
        s.jobs = int(data["jobs"])
    if "cache" in data:
        s.cache = bool(data["cache"])
    if "cache-dir" in data:
        path = str(data["cache-dir"])
        s.cache_dir = os.path.join(s.base_dir, path) if s.base_dir and not os.path.isabs(path) else path
    s.tables = {k: [str(e) for e in v] for k, v in data.get("tables", {}).items()}
    if "sql-dialect" in data:
        s.sql_dialect = str(data["sql-dialect"]).lower()
    s.migrations_require_undo = bool(data.get("migrations", {}).get("require-undo", True))
    if "action-pins" in data:
        path = str(data["action-pins"])
        if s.base_dir and not os.path.isabs(path):
            path = os.path.join(s.base_dir, path)
        try:
            s.action_pins = load_action_pins(path)
        except ConfigError as exc:
            raise ConfigError(f"{source or 'configuration'}: action-pins: {exc}") from None
    if "github-environments" in data:
        path = str(data["github-environments"])
        if s.base_dir and not os.path.isabs(path):
            path = os.path.join(s.base_dir, path)
        try:
            use_github_environments(s, path)
        except ConfigError as exc:
            raise ConfigError(f"{source or 'configuration'}: github-environments: {exc}") from None
    for key in ("production-environments", "staging-environments"):
        for pattern in data.get(key, ()):
            try:
                re.compile(pattern)
            except re.error as exc:
                line = _line_of(source, [key]) if source else None
                where = f"{source}:{line}" if line else source or "configuration"
                raise ConfigError(f"{where}: invalid configuration: {key}: invalid regex {pattern!r}: {exc}") from None
    return s


def load_settings(start: str, explicit: str | None = None) -> Settings:
    """Settings from ``explicit`` (``--config``) or the nearest config file, else defaults."""
    if explicit:
        if not os.path.isfile(explicit):
            raise ConfigError(f"{explicit}: config file not found")
        data = _load_toml(explicit)
        if os.path.basename(explicit) == "pyproject.toml" or "tool" in data:
            data = data.get("tool", {}).get("pipelint", {})
        validate(explicit, data)
        return settings_from(data, os.path.abspath(explicit))
    found = find_config(start)
    if found is None:
        return Settings()
    path, data = found
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: [tool.pipelint] must be a table")
    validate(path, data)
    return settings_from(data, path)
