"""Schema validation of CI files (the machinery behind PL002 schema-violation).

``validate(schema_name, root)`` checks a yamltree node against a vendored schema
(SchemaStore's ``github-workflow`` or ``github-action``, GitLab's ``gitlab-ci``,
Microsoft's ``azure-pipelines``; shipped in the ``pipelint.schemas`` package; GitLab
and Azure specifics are described in the section "GitLab CI / Azure Pipelines" below) and returns one :class:`Violation` per real problem, pointing at the node to
blame: the key for an unknown key, the value for a wrong type or value, the mapping's key
(or the mapping) for a missing required key.

How it stays fast: each schema is loaded, normalised and patched once per process
(lazily, on first use). A compiled fastjsonschema function answers pass/fail for a
file; only files that fail are validated again with jsonschema's Draft 7 validator
(format checking off) to get detailed errors. Nothing is cached on disk.

How it stays quiet where GitHub accepts a file (see ``_PATCHES`` for the list):

* **GitHub's semantics where the schema is stricter.** A small patch layer, applied to
  the loaded schema, relaxes the SchemaStore schema where GitHub's own workflow/action
  parser (``workflow-v1.0.json`` / ``action-v1.0.json`` of actions/languageservices,
  the template schemas the service and runner use) accepts what SchemaStore rejects.
* **Expressions.** Where GitHub evaluates expressions (a key with contexts in GitHub's
  template schema: most of a job, ``env``, ``concurrency``...), a string containing
  ``${{ ... }}`` may stand for any type - ``strategy: ${{ fromJSON(...) }}``,
  ``continue-on-error: ${{ matrix.experimental }}``. Such values are never reported
  there; where GitHub does not evaluate expressions (``on``, ``permissions``, ``needs``,
  a step's ``uses``...) they are checked as the plain strings they are.
* **Scalar coercion.** GitHub's template reader turns a boolean, number or null literal
  into a string where a string is expected (``default: true`` in an action input is the
  string "true"); a type error that this conversion fixes is not reported.

Typed scalars follow YAML 1.2's core schema, like GitHub's YAML reader: ``yes``, ``on``
and ``off`` are strings, only ``true``/``false`` (any case variant of the core schema)
are booleans.

How it avoids cascades: for ``anyOf``/``oneOf`` failures the branch the user can act on
is chosen (the branch whose type matches the value and that got furthest, with the
fewest problems at the value itself); when no branch fits the value's shape, one error
names every accepted alternative ("must be a number or an expression"). An unknown key
that is a near miss of a missing required key is one problem (the typo), not two.
Findings are deduplicated and at most one is kept per value.
"""

from __future__ import annotations

import copy
import difflib
import importlib.resources
import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from .yamltree import Mapping, Scalar, Sequence, resolve_plain

__all__ = [
    "SCHEMA_DIR_OVERRIDE",
    "SchemaUnavailable",
    "Violation",
    "applied_patches",
    "clear_cache",
    "instance",
    "load_schema",
    "stats",
    "validate",
]

#: Tests (and tools running from a source checkout) may point this at a folder holding
#: the schema files; normally they are read from the installed ``pipelint.schemas``.
SCHEMA_DIR_OVERRIDE: Path | None = None

SCHEMA_PACKAGE = "pipelint.schemas"


class SchemaUnavailable(RuntimeError):
    """The schema files cannot be found (pipelint was installed without its data)."""


@dataclass(frozen=True, slots=True)
class Violation:
    """One schema problem.

    ``node`` is the yamltree node to point at (``None`` only for an empty document);
    ``path`` is the JSON path of the offending value or key (``("jobs", "build",
    "runs-in")`` for an unknown key ``runs-in``).
    """

    node: Any
    message: str
    path: tuple


# --------------------------------------------------------------------------- loading


def _schema_dir():
    """A Traversable (or Path) holding ``<name>.json`` files."""
    if SCHEMA_DIR_OVERRIDE is not None:
        return Path(SCHEMA_DIR_OVERRIDE)
    try:
        return importlib.resources.files(SCHEMA_PACKAGE)
    except ModuleNotFoundError:
        raise SchemaUnavailable(
            f"the schema package {SCHEMA_PACKAGE!r} is not installed: reinstall pipelint "
            "(its schema data files are missing)"
        ) from None


def _read_schema_file(name: str) -> dict:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise ValueError(f"invalid schema name {name!r}")
    resource = _schema_dir() / f"{name}.json"
    try:
        text = resource.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SchemaUnavailable(f"schema {name!r} not found in {SCHEMA_PACKAGE}") from None
    return json.loads(text)


def _normalise(node):
    """Give ``$ref`` with sibling keywords one meaning for both validators.

    Draft 7 says siblings of ``$ref`` are ignored, and jsonschema and fastjsonschema
    do so; SchemaStore writes and tests its schemas with ajv, which applies them (e.g.
    the activity ``types`` enums and the ``workflow_dispatch`` input rules sit beside a
    ``$ref``). We follow the authors' intent: ``{"$ref": r, k: v}`` becomes
    ``{"allOf": [{"$ref": r}, {k: v}]}``. Annotations are dropped to keep errors small.
    """
    if isinstance(node, list):
        return [_normalise(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k in ("description", "markdownDescription", "examples", "$comment", "default"):
            continue
        if k in ("properties", "patternProperties", "definitions", "dependencies"):
            # maps of names -> schemas: the names are not keywords
            out[k] = {name: _normalise(sub) if not isinstance(sub, list) else sub for name, sub in v.items()}
        else:
            out[k] = _normalise(v)
    if "$ref" in out and len(out) > 1:
        ref = out.pop("$ref")
        out = {"allOf": [{"$ref": ref}, out]}
    return out


# ----------------------------------------------------------------- the patch layer
#
# Each patch makes pipelint accept what GitHub accepts; each cites why. A patch whose
# target is gone (a newer vendored schema) is skipped and missing from
# ``applied_patches()``, which the tests check.

def _at(schema: dict, pointer: str):
    node = schema
    for part in pointer.strip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(part)]
        else:
            node = node[part]
    return node


def _find_property(node, name: str, found: list | None = None) -> list:
    """Every schema in ``node`` that declares property ``name`` (its ``properties`` map)."""
    found = [] if found is None else found
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict) and name in props:
            found.append(props)
        for v in node.values():
            _find_property(v, name, found)
    elif isinstance(node, list):
        for v in node:
            _find_property(v, name, found)
    return found


def _wf_strategy_matrix_optional(schema: dict) -> bool:
    # GitHub: `strategy` has no required property (workflow-v1.0.json "strategy"
    # mapping: fail-fast, max-parallel, matrix, none required). `strategy: {fail-fast:
    # false}` without a matrix runs - GitHub's own CodeQL starter workflow has it
    # (actions/runner, actions/toolkit codeql.yml). SchemaStore requires `matrix`.
    done = False
    for job in ("normalJob", "reusableWorkflowCallJob"):
        strategy = _at(schema, f"/definitions/{job}/properties/strategy")
        if "matrix" in strategy.get("required", []):
            strategy["required"] = [r for r in strategy["required"] if r != "matrix"]
            if not strategy["required"]:
                del strategy["required"]
            done = True
    return done


def _wf_event_filter_string(schema: dict) -> bool:
    # GitHub: branch/tag/path filters (`branches`, `branches-ignore`, `tags`,
    # `tags-ignore`, `paths`, `paths-ignore`) are "one-of non-empty-string,
    # sequence-of-non-empty-string" (workflow-v1.0.json "event-branches" etc.), so
    # `branches: main` is a valid filter (actions/checkout's licensed.yml uses it).
    globs = schema["definitions"]["globs"]
    if "anyOf" in globs:
        return False
    schema["definitions"]["globs"] = {"anyOf": [{"type": "string", "minLength": 1}, globs]}
    return True


def _wf_call_secret_null(schema: dict) -> bool:
    # GitHub: a `workflow_call` secret definition is "one-of null, mapping"
    # (workflow-v1.0.json "workflow-call-secret-definition"): `secrets: {token:}`
    # declares an optional secret (slsa-github-generator's delegator workflows do).
    done = False
    for props in _find_property(schema["properties"]["on"], "workflow_call"):
        for branch in _iter_subschemas(props["workflow_call"]):
            secrets = branch.get("properties", {}).get("secrets") if isinstance(branch, dict) else None
            if not isinstance(secrets, dict):
                continue
            for pattern, definition in secrets.get("patternProperties", {}).items():
                if definition.get("type") == "object":
                    secrets["patternProperties"][pattern] = {"anyOf": [{"type": "null"}, definition]}
                    done = True
    return done


def _wf_matrix_null_values(schema: dict) -> bool:
    # GitHub: matrix values and `include`/`exclude` entries are "any" (workflow-v1.0.json
    # "matrix-filter-item": loose-value-type any), null included - conda-forge's
    # generated workflows have `docker_run_args:` with no value.
    configuration = schema["definitions"]["configuration"]
    branches = configuration.get("oneOf", [])
    if any(b.get("type") == "null" for b in branches):
        return False
    branches.append({"type": "null"})
    return True


def _wf_dispatch_input_type_optional(schema: dict) -> bool:
    # GitHub: a `workflow_dispatch` input's `type` is optional and defaults to string
    # (workflow-v1.0.json "workflow-dispatch-input": no required property). SchemaStore's
    # branches each require `type`; add the untyped string input as an alternative.
    definition = schema["definitions"]["workflowDispatchInput"]
    branches = definition.get("oneOf")
    if not branches or any("type" not in b.get("required", ["type"]) for b in branches):
        return False
    branches.append(
        {
            "type": "object",
            "not": {"required": ["type"]},
            "properties": {"default": {"type": ["string", "number", "boolean"]}},
        }
    )
    return True


#: Activity types GitHub accepts that the vendored schema lacks (workflow-v1.0.json
#: "pull-request-target-activity-type" lists them).
_EXTRA_ACTIVITY_TYPES = {"pull_request_target": ["enqueued", "dequeued", "milestoned", "demilestoned"]}


def _wf_activity_types_string(schema: dict) -> bool:
    # GitHub: an event's `types` is "one-of <event>-activity-type, sequence of them"
    # (workflow-v1.0.json "issues-activity" etc.), so `types: closed` is as valid as
    # `types: [closed]` (GoogleCloudPlatform/microservices-demo cleanup.yaml, dapr
    # quickstarts). The schema's sibling `type: array` (applied since _normalise) says
    # list only. Also adds activity types GitHub accepts that the schema lacks.
    done = False
    events = _at(schema, "/properties/on/oneOf/2/properties")
    for event, event_schema in events.items():
        for props in _find_property(event_schema, "types"):
            types = props["types"]
            parts = types.get("allOf") if isinstance(types, dict) else None
            if not parts or parts[0] != {"$ref": "#/definitions/types"}:
                continue
            items = parts[1].get("items", {}) if len(parts) > 1 else {}
            values = list(items.get("enum", []))
            if not values:
                continue
            values += [v for v in _EXTRA_ACTIVITY_TYPES.get(event, []) if v not in values]
            one = {"type": "string", "enum": values}
            props["types"] = {"anyOf": [one, {"type": "array", "items": one, "minItems": 1}]}
            done = True
    return done


def _wf_run_workflows_string(schema: dict) -> bool:
    # GitHub: `workflow_run.workflows` is "one-of non-empty-string,
    # sequence-of-non-empty-string" (workflow-v1.0.json "workflow-run-workflows").
    done = False
    for props in _find_property(_at(schema, "/properties/on/oneOf/2/properties/workflow_run"), "workflows"):
        workflows = props["workflows"]
        if workflows.get("type") == "array":
            props["workflows"] = {"anyOf": [{"type": "string", "minLength": 1}, workflows]}
            done = True
    return done


def _wf_image_version_event(schema: dict) -> bool:
    # GitHub: `image_version` (custom runner images) is an event (workflow-v1.0.json
    # "image-version": one-of null, mapping of types [created, ready, deleted], names,
    # versions); the vendored schema does not know it yet.
    enum = schema["definitions"]["event"]["enum"]
    events = _at(schema, "/properties/on/oneOf/2/properties")
    if "image_version" in enum or "image_version" in events:
        return False
    enum.append("image_version")
    activity = {"type": "string", "enum": ["created", "ready", "deleted"]}
    events["image_version"] = {
        "oneOf": [
            {"type": "null"},
            {
                "type": "object",
                "properties": {
                    "types": {"anyOf": [activity, {"type": "array", "items": activity, "minItems": 1}]},
                    "names": {"$ref": "#/definitions/globs"},
                    "versions": {"$ref": "#/definitions/globs"},
                },
                "additionalProperties": False,
            },
        ]
    }
    return True


def _wf_snapshot(schema: dict) -> bool:
    # GitHub: a `snapshot` mapping has `image-name`, `version` (any non-empty string:
    # the documented form is `version: 2.*`) and `if` (workflow-v1.0.json
    # "snapshot-mapping"); the vendored pattern rejects `2.*` and `if` is missing.
    done = False
    for branch in schema["definitions"]["snapshot"].get("oneOf", []):
        props = branch.get("properties") if isinstance(branch, dict) else None
        if not isinstance(props, dict) or "image-name" not in props:
            continue
        if "pattern" in props.get("version", {}):
            props["version"] = {"type": "string", "minLength": 1}
            done = True
        if "if" not in props:
            props["if"] = {"type": ["boolean", "number", "string"]}
            done = True
    return done


def _action_input_loose(schema: dict) -> bool:
    # GitHub: an action input is a loose mapping (action-v1.0.json "input" and even
    # "input-strict": loose-key-type non-empty-string, loose-value-type any): extra keys
    # such as the widespread `type: string` are accepted; `description` is optional
    # (github/codeql-action's own init/action.yml has an input without one); `default`
    # is read as a string and the template reader converts boolean/number/null literals
    # to strings ("Not a string, convert"), so `default: true` / `default: 0` are fine.
    inputs = schema["properties"]["inputs"]
    done = False
    for pattern, definition in inputs.get("patternProperties", {}).items():
        if definition.get("additionalProperties") is False:
            definition.pop("additionalProperties")
            done = True
        if "description" in definition.get("required", []):
            definition["required"] = [r for r in definition["required"] if r != "description"]
            if not definition["required"]:
                del definition["required"]
            done = True
        props = definition.setdefault("properties", {})
        props["default"] = {"type": ["string", "number", "boolean", "null"]}
    return done


def _action_root_loose(schema: dict) -> bool:
    # GitHub: the runner reads action.yml with "action-root" (action-v1.0.json; the
    # runner's action_yaml.json): a loose mapping (loose-key-type non-empty-string,
    # loose-value-type any) whose only required key is `runs` - ActionManifestManager
    # ignores other keys ("Ignore action property") and needs no `name` or
    # `description` (only Marketplace publication does). Real actions that run have
    # `on: workflow_call` at the root (slsa-github-generator's gradle/maven builders)
    # or no `name` (slsa's maven/publish). `runs` itself stays strict: its mappings
    # have no loose keys in GitHub's schema either.
    required = schema.get("required", [])
    done = False
    if "description" in required or "name" in required:
        schema["required"] = [r for r in required if r not in ("description", "name")]
        done = True
    if schema.get("additionalProperties") is False:
        del schema["additionalProperties"]
        done = True
    return done


def _action_output_loose(schema: dict) -> bool:
    # GitHub: an output definition has optional `description` and `value` for every
    # kind of action (action-v1.0.json "output-definition"); the runner ignores `value`
    # outside composite actions. SchemaStore requires `description` and forbids `value`
    # for JavaScript/Docker actions. (A composite output still needs its `value`: without
    # it the output can never be set, which is a real mistake.)
    done = False
    for name in ("outputs", "outputs-composite"):
        definition = schema["definitions"].get(name)
        if not definition:
            continue
        for pattern, output in definition.get("patternProperties", {}).items():
            required = output.get("required", [])
            if "description" in required:
                output["required"] = [r for r in required if r != "description"]
                if not output["required"]:
                    del output["required"]
                done = True
            props = output.setdefault("properties", {})
            props.setdefault("description", {"type": "string"})
            if "value" not in props:
                props["value"] = {"type": "string"}
                done = True
    return done


def _iter_subschemas(node):
    """``node`` and the branches of its combinators (one level of oneOf/anyOf/allOf)."""
    yield node
    if isinstance(node, dict):
        for key in ("oneOf", "anyOf", "allOf"):
            for branch in node.get(key, []):
                yield from _iter_subschemas(branch)


_PATCHES: dict[str, list[tuple[str, Callable[[dict], bool]]]] = {
    "github-workflow": [
        ("strategy-matrix-optional", _wf_strategy_matrix_optional),
        ("event-filter-string", _wf_event_filter_string),
        ("workflow-call-secret-null", _wf_call_secret_null),
        ("matrix-null-values", _wf_matrix_null_values),
        ("dispatch-input-type-optional", _wf_dispatch_input_type_optional),
        ("activity-types-string", _wf_activity_types_string),
        ("workflow-run-workflows-string", _wf_run_workflows_string),
        ("image-version-event", _wf_image_version_event),
        ("snapshot-if-version", _wf_snapshot),
    ],
    "github-action": [
        ("input-loose", _action_input_loose),
        ("root-loose", _action_root_loose),
        ("output-loose", _action_output_loose),
    ],
}

_applied: dict[str, list[str]] = {}


def applied_patches(schema_name: str) -> list[str]:
    """Names of the patches applied to ``schema_name`` (after it has been loaded)."""
    _compiled(schema_name)
    return list(_applied.get(schema_name, []))


def load_schema(schema_name: str) -> dict:
    """The normalised, patched schema (a fresh copy; validation uses its own)."""
    return copy.deepcopy(_compiled(schema_name).schema)


def _prepare(schema_name: str) -> dict:
    schema = _normalise(_read_schema_file(schema_name))
    applied = []
    for patch_name, patch in _PATCHES.get(schema_name, []):
        try:
            if patch(schema):
                applied.append(patch_name)
        except (KeyError, IndexError, TypeError, AttributeError):
            pass  # the vendored schema changed shape: the tests will notice
    _applied[schema_name] = applied
    return _simplify(schema)


def _simplify(node, parent_is_object: bool = False):
    """Rewrites that keep the meaning and make validation cheaper (and errors simpler).

    * ``oneOf``/``anyOf`` whose branches are each just ``{"type": T}`` with distinct
      types becomes ``{"type": [T, ...]}`` (env values: string, number or boolean).
    * In ``allOf: [A, {anyOf: [..., A, ...]}]`` the ``anyOf`` adds nothing
      (A and (A or X) is A): a step's ``with``.
    * Inside a schema that already requires an object, a branch's own
      ``"type": "object"`` and its ``properties`` that are just ``true`` are no-ops
      (the step's ``oneOf`` of ``required: [uses]``, ``required: [run]``...), as long as
      the branch has no ``additionalProperties``/``patternProperties`` of its own.
    """
    if isinstance(node, list):
        return [_simplify(x, parent_is_object) for x in node]
    if not isinstance(node, dict):
        return node
    is_object = node.get("type") == "object"
    out = {}
    for k, v in node.items():
        if k in ("properties", "patternProperties", "definitions"):
            out[k] = {name: _simplify(sub) for name, sub in v.items()}
        elif k in ("oneOf", "anyOf"):
            out[k] = [_simplify(b, is_object or parent_is_object) for b in v]
        elif k == "allOf":
            out[k] = [_simplify(b, is_object or parent_is_object) for b in v]
        else:
            out[k] = _simplify(v)
    for key in ("oneOf", "anyOf"):
        branches = out.get(key)
        if branches and all(isinstance(b, dict) and set(b) == {"type"} and isinstance(b["type"], str) for b in branches):
            types = [b["type"] for b in branches]
            if len(set(types)) == len(types) and not {"number", "integer"} <= set(types) and "type" not in out:
                del out[key]
                out["type"] = types
    if "allOf" in out:
        members = out["allOf"]
        kept = [
            m for m in members
            if not (isinstance(m, dict) and set(m) == {"anyOf"} and any(other in m["anyOf"] for other in members if other is not m))
        ]
        if len(kept) == 1 and len(out) == 1:
            return kept[0]
        out["allOf"] = kept
    if parent_is_object and out.get("type") == "object":
        del out["type"]
        props = out.get("properties")
        # `true` properties are no-ops only while they do not count as declared keys
        if isinstance(props, dict) and "additionalProperties" not in out and "patternProperties" not in out:
            trimmed = {k: v for k, v in props.items() if v is not True}
            if trimmed:
                out["properties"] = trimmed
            else:
                del out["properties"]
    return out


# --------------------------------------------------------------------------- compiling


class _Fail(Exception):
    """Raised by the compiled pre-check; a plain exception is cheap to create."""


def _compile_fast(schema: dict) -> Callable[[Any], Any]:
    """A pass/fail function generated by fastjsonschema, built in memory.

    The generated code formats a data path for every nested call (``.format(**locals())``)
    and builds rich exceptions; a pass/fail check needs neither, and dropping both makes
    it about four times faster. Falls back to ``fastjsonschema.compile`` if the code
    cannot be adapted.
    """
    import fastjsonschema

    options = dict(use_default=False, use_formats=False, detailed_exceptions=False)
    try:
        code_object, entry = _generated_checker(schema, options)
        namespace: dict = {}
        exec(code_object, namespace)
        namespace["JsonSchemaValueException"] = _Fail
        namespace["JsonSchemaValuesException"] = _Fail
        return namespace[entry]
    except Exception:  # pragma: no cover - depends on fastjsonschema internals
        return fastjsonschema.compile(schema, use_default=False, use_formats=False)


_GENERATOR_STAMP: str | None = None


def _generated_checker(schema: dict, options: dict):
    """``(code object, entry function name)`` of the adapted fastjsonschema module.

    Kept in the on-disk cache (:mod:`pipelint.cache`) under a digest of the schema, this
    module's source, fastjsonschema's version and Python's bytecode magic, because
    generating and compiling it costs more than linting a hundred files.
    """
    import importlib.util
    import marshal

    import fastjsonschema

    from . import cache

    global _GENERATOR_STAMP
    if _GENERATOR_STAMP is None:
        _GENERATOR_STAMP = cache.digest(
            Path(__file__).read_bytes(),
            getattr(fastjsonschema, "VERSION", "?"),
            importlib.util.MAGIC_NUMBER,
        )
    key = cache.digest(json.dumps(schema, sort_keys=True, default=str), _GENERATOR_STAMP, repr(sorted(options.items())))
    stored = cache.load("schema-checkers", key)
    if stored is not None:
        try:
            entry, _, payload = stored.partition(b"\0")
            return marshal.loads(payload), entry.decode("ascii")
        except (ValueError, EOFError, TypeError, UnicodeDecodeError):
            pass  # a damaged entry: generate again
    # fastjsonschema cannot generate `const` without detailed exceptions;
    # `{"enum": [x]}` means the same.
    code = fastjsonschema.compile_to_code(_const_as_enum(schema), **options)
    entry = re.search(r"^def (\w+)\(", code, re.M).group(1)
    code = code.replace(".format(**locals())", "")
    code_object = compile(code, "<pipelint-schema>", "exec")
    cache.store("schema-checkers", key, entry.encode("ascii") + b"\0" + marshal.dumps(code_object))
    return code_object, entry


def _const_as_enum(node):
    if isinstance(node, list):
        return [_const_as_enum(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k in ("properties", "patternProperties", "definitions"):
            out[k] = {name: _const_as_enum(sub) for name, sub in v.items()}
        elif k == "const" and "enum" not in node:
            out["enum"] = [v]
        else:
            out[k] = _const_as_enum(v)
    return out


@dataclass
class _Compiled:
    name: str
    schema: dict
    fast: Callable[[Any], Any] | None
    load_seconds: float
    compile_seconds: float
    _detail: Any = None
    detail_build_seconds: float = 0.0
    counters: dict = field(default_factory=lambda: {"checked": 0, "failed_precheck": 0, "with_violations": 0})

    @property
    def detail(self):
        if self._detail is None:
            from jsonschema import Draft7Validator

            t0 = time.perf_counter()
            if self.name == "azure-pipelines":
                self._detail = _azure_detail_validator(self.schema)
            else:
                self._detail = Draft7Validator(self.schema, format_checker=None)
            self.detail_build_seconds = time.perf_counter() - t0
        return self._detail


_cache: dict[str, _Compiled] = {}
_lock = threading.Lock()


def _compiled(schema_name: str) -> _Compiled:
    found = _cache.get(schema_name)
    if found is not None:
        return found
    with _lock:
        found = _cache.get(schema_name)
        if found is None:
            t0 = time.perf_counter()
            schema = _prepare(schema_name)
            t1 = time.perf_counter()
            try:
                fast = _azure_fast(schema) if schema_name == "azure-pipelines" else _compile_fast(schema)
            except ImportError:  # pragma: no cover - fastjsonschema is a dependency
                fast = None
            t2 = time.perf_counter()
            found = _Compiled(schema_name, schema, fast, t1 - t0, t2 - t1)
            _cache[schema_name] = found
    return found


def clear_cache() -> None:
    """Forget loaded schemas (tests that change :data:`SCHEMA_DIR_OVERRIDE`)."""
    with _lock:
        _cache.clear()
        _applied.clear()


def stats() -> dict:
    """Per-schema load/compile times (seconds) and counters, for benchmarks and reports."""
    return {
        name: {
            "load_seconds": c.load_seconds,
            "compile_seconds": c.compile_seconds,
            "detail_build_seconds": c.detail_build_seconds,
            "patches": list(_applied.get(name, [])),
            **c.counters,
        }
        for name, c in _cache.items()
    }


# --------------------------------------------------------------------------- instances

_MAYBE_TYPED = frozenset("0123456789+-.~nNtTfF")

#: Stands for an alias that refers to a node it is part of (``&a [*a]``): GitHub's YAML
#: reader rejects those, and validators would recurse forever on the cyclic data.
RECURSIVE_ALIAS = "<recursive alias>"


def instance(node):
    """Plain data for validation: like ``yamltree.to_python`` (YAML 1.2 core types,
    aliases shared), with a fast path for plain scalars that cannot be anything but
    strings, and :data:`RECURSIVE_ALIAS` in place of a recursive alias."""
    return _instance(node, {}, set())


def _instance(node, memo: dict, active: set):
    cls = node.__class__
    if cls is Scalar:
        value = node.value
        if node.style or node.tag is not None:
            return value
        if not value:
            return None
        return resolve_plain(value) if value[0] in _MAYBE_TYPED else value
    if node is None:
        return None
    key = id(node)
    found = memo.get(key)
    if found is not None:
        return found
    if key in active:
        return RECURSIVE_ALIAS
    active.add(key)
    # scalar children are converted inline: most nodes are scalars, and a call each
    # would double the cost of the conversion
    try:
        if cls is Sequence:
            result = []
            append = result.append
            for item in node.items:
                if item.__class__ is Scalar:
                    value = item.value
                    if item.style or item.tag is not None:
                        append(value)
                    elif not value:
                        append(None)
                    else:
                        append(resolve_plain(value) if value[0] in _MAYBE_TYPED else value)
                else:
                    append(_instance(item, memo, active))
        elif cls is Mapping:
            result = {}
            for k, item in node.pairs:
                text = k.value if k.__class__ is Scalar else f"<{type(k).__name__.lower()} key at line {k.start_line + 1}>"
                if item.__class__ is Scalar:
                    value = item.value
                    if item.style or item.tag is not None:
                        result[text] = value
                    elif not value:
                        result[text] = None
                    else:
                        result[text] = resolve_plain(value) if value[0] in _MAYBE_TYPED else value
                else:
                    result[text] = _instance(item, memo, active)
        else:
            return None
    finally:
        active.discard(key)
    memo[key] = result
    return result


# ------------------------------------------------------- GitLab CI / Azure Pipelines
#
# GitLab (``gitlab-ci``, GitLab's own ``ci.json`` as vendored by check-jsonschema):
# the file is read as GitLab's Ruby YAML reader does (YAML 1.1 booleans ``yes``/``no``/
# ``on``/``off``), and a ``!reference [job, key]`` node, which GitLab replaces by the
# referenced value before validating, becomes the opaque string :data:`REFERENCE`: no
# finding is ever reported for it (whatever the schema expects there). Hidden keys
# (``.template``) are templates: the schema allows anything under them that a job
# allows. Jobs have no required keys in GitLab's schema (``script`` may come through
# ``extends``), so partial jobs of included files are not reported.
#
# Azure Pipelines (``azure-pipelines``, Microsoft's published schema as vendored by
# check-jsonschema): Azure reads every scalar as text, so the instance holds every
# scalar's source text and the schema's few ``integer``/``number``/``boolean`` types
# are patched to accept the text of such a value; ``ignoreCase`` is honoured (values:
# case-insensitive enums/patterns; keys: any case variant of a known key, and its
# ``aliases``, is accepted); task inputs are checked for unknown keys only (required
# inputs depend on other inputs' values and aliases); tasks the schema does not know
# (Marketplace and in-house extensions) are accepted. Template expressions are
# resolved structurally before validation: the content of ``${{ if/elseif/else/each
# }}:`` keys is merged into the enclosing mapping (or spliced into the enclosing list),
# other ``${{ }}`` keys (generated names, ``${{ insert }}``) are dropped, and a value
# holding ``${{ }}``, ``$[ ]`` or ``$( )`` is never reported.

#: A GitLab ``!reference [...]`` node in a validation instance.
REFERENCE = "!reference"

_GENERATED = "<generated>"  # locator entry: paths of mappings with keys made by expressions
_CONDITIONAL = "<conditional>"  # locator entry: instance paths that come from `${{ if }}` bodies
_AZURE_DIRECTIVE = re.compile(r"^\$\{\{\s*(if|elseif|else|each)\b")
_CI_ENUMS: dict[str, list] = {}


def _ci_pattern(values: list) -> str:
    return "(?i)^(?:" + "|".join(re.escape(str(v)) for v in values) + ")$"


def _walk_schemas(node, visit):
    if isinstance(node, dict):
        visit(node)
        for k, v in node.items():
            if k in ("properties", "patternProperties", "definitions", "dependencies") and isinstance(v, dict):
                for sub in v.values():
                    _walk_schemas(sub, visit)
            else:
                _walk_schemas(v, visit)
    elif isinstance(node, list):
        for x in node:
            _walk_schemas(x, visit)


_MACRO_ALT = "|\\$\\{\\{|\\$\\[|\\$\\("  # or a value Azure computes (see _azure_opaque)
_INT_TEXT = {"type": "string", "pattern": "^[-+]?[0-9]+$" + _MACRO_ALT}
_NUMBER_TEXT = {"type": "string", "pattern": "^[-+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+)?$" + _MACRO_ALT}
_BOOL_TEXT = {"type": "string", "pattern": "(?i)^(true|false|y|yes|on|n|no|off)$" + _MACRO_ALT}


def _az_scalars_as_text(schema: dict) -> bool:
    # Azure: the YAML reader keeps every scalar as text and converts it where a number or
    # boolean is needed (`timeoutInMinutes: 30` and `timeoutInMinutes: '30'` are the
    # same); the instance holds text, so typed scalars of the schema accept their text.
    done = []

    def visit(node):
        t = node.get("type")
        if t in ("integer", "number", "boolean"):
            text = {"integer": _INT_TEXT, "number": _NUMBER_TEXT, "boolean": _BOOL_TEXT}[t]
            node["type"] = "string"
            if "pattern" not in node and "enum" not in node:
                node["pattern"] = text["pattern"]
            node.pop("minimum", None)
            node.pop("maximum", None)
            done.append(1)
        elif isinstance(t, list) and set(t) & {"integer", "number", "boolean"}:
            node["type"] = ["string"] + [x for x in t if x not in ("integer", "number", "boolean", "string")]
            done.append(1)

    _walk_schemas(schema, visit)
    # the schema's `boolean`: eight case-insensitive literal branches; one pattern says
    # the same (and reads "a boolean" in messages)
    if isinstance(schema["definitions"].get("boolean"), dict) and "anyOf" in schema["definitions"]["boolean"]:
        schema["definitions"]["boolean"] = dict(_BOOL_TEXT)
        done.append(1)
    return bool(done)


def _az_ignore_case(schema: dict) -> bool:
    # Azure: keys/values marked `ignoreCase` (key, value, all) are case-insensitive, and
    # a key may be written as one of its `aliases`.
    done = []

    def visit(node):
        mode = node.get("ignoreCase")
        if mode in ("value", "all"):
            if isinstance(node.get("enum"), list) and all(isinstance(v, str) for v in node["enum"]):
                values = node.pop("enum")
                pattern = _ci_pattern(values)
                _CI_ENUMS[pattern] = values
                node["pattern"] = pattern
                node.setdefault("type", "string")
                done.append(1)
            elif isinstance(node.get("pattern"), str) and not node["pattern"].startswith("(?i)"):
                node["pattern"] = "(?i)" + node["pattern"]
                done.append(1)
        props = node.get("properties")
        if isinstance(props, dict) and props:
            names = []
            for name, sub in list(props.items()):
                if not isinstance(sub, dict):
                    continue
                aliases = sub.get("aliases") or []
                for alias in aliases:
                    props.setdefault(alias, sub)
                if sub.get("ignoreCase") in ("key", "all"):
                    names += [name] + list(aliases)
            if names and node.get("additionalProperties") is False:
                node.setdefault("patternProperties", {})[_ci_pattern(names)] = True
                done.append(1)

    _walk_schemas(schema, visit)
    return bool(done)


def _az_tasks_open(schema: dict) -> bool:
    # Azure: `task:` may name any installed task (Marketplace and in-house extensions),
    # not only the built-in ones the schema lists; required inputs depend on other inputs
    # and aliases (checked by Azure when the run starts): only unknown inputs of a known
    # task are reported. The schema's anyOf of one branch per task becomes one if/then
    # per known task name (the same meaning for known tasks, one error instead of a
    # cascade of 260, and far cheaper to validate).
    task = schema["definitions"]["task"]
    branches = task.get("anyOf")
    if not branches:
        return False
    rules = []
    seen = set()
    for branch in branches:
        props = branch.get("properties", {})
        name = props.get("task", {})
        pattern = name.get("pattern")
        if not pattern or pattern.lower() in seen:
            continue
        seen.add(pattern.lower())
        inputs = props.get("inputs")
        if isinstance(inputs, dict):
            inputs = dict(inputs)
            inputs.pop("required", None)
            # pick-list inputs: tasks read their values themselves (Docker@1 takes
            # `command: build` for "Build an image"); Azure does not check them
            inputs["properties"] = {
                k: ({x: y for x, y in v.items() if not (x == "pattern" and y in _CI_ENUMS)} if isinstance(v, dict) else v)
                for k, v in inputs.get("properties", {}).items()
            }
            rules.append({"if": {"properties": {"task": {"pattern": pattern}}}, "then": {"properties": {"inputs": inputs}}})
    del task["anyOf"]
    task["properties"]["task"] = {"type": "string"}
    task["required"] = ["task"]
    task["allOf"] = rules
    return True


def _az_template_files(schema: dict) -> bool:
    # Azure: a template file may declare `parameters:` as a mapping of names to defaults
    # (the older template syntax, still accepted), and a variables template holds only
    # `parameters` and `variables`; the schema only knows whole pipelines.
    d = schema["definitions"]
    params = d["pipelineTemplateParameters"]
    if "anyOf" in params:
        return False
    d["pipelineTemplateParameters"] = {"anyOf": [params, {"type": "object"}]}
    d["pipeline"]["anyOf"].append({
        "type": "object",
        "properties": {"parameters": {"$ref": "#/definitions/pipelineTemplateParameters"},
                       "variables": {"$ref": "#/definitions/variables"}},
        "required": ["variables"],
        "additionalProperties": False,
    })
    return True


def _az_path_filters(schema: dict) -> bool:
    # Azure: branch and path filters are prefixes or wildcards; a path with a trailing
    # `/` (`tools/service/`) is a valid path filter that the schema's pattern rejects.
    d = schema["definitions"]
    if "pattern" not in d["branchFilter"]:
        return False
    d["branchFilter"].pop("pattern")
    return True


_PATCHES["azure-pipelines"] = [
    ("scalars-as-text", _az_scalars_as_text),
    ("ignore-case", _az_ignore_case),
    ("tasks-open", _az_tasks_open),
    ("template-files", _az_template_files),
    ("path-filters", _az_path_filters),
]


def _azure_split_tasks(schema: dict) -> tuple[dict, dict]:
    """The Azure schema without its per-task rules, and those rules as a table
    (lower-cased task name -> inputs schema)."""
    task = dict(schema["definitions"]["task"])
    table = {}
    for rule in task.pop("allOf", []):
        try:
            pattern = rule["if"]["properties"]["task"]["pattern"]
            name = re.fullmatch(r"(?:\(\?i\))?\^(.*)\$", pattern).group(1).replace("\\", "")
        except (KeyError, AttributeError):
            continue
        table.setdefault(name.lower(), rule["then"]["properties"]["inputs"])
    split = dict(schema)
    split["definitions"] = dict(schema["definitions"], task=task)
    return split, table


def _azure_fast(schema: dict) -> Callable[[Any], Any]:
    """Azure's pass/fail pre-check: the schema without the ~260 per-task input rules
    (compiling those takes seconds, the rest ~0.1 s), then each task step's inputs
    against its task's rules, compiled on first use of that task."""
    base_schema, table = _azure_split_tasks(schema)
    base = _compile_fast(base_schema)
    checkers: dict = {}

    def inputs_ok(value) -> None:
        if isinstance(value, dict):
            task = value.get("task")
            if isinstance(task, str) and isinstance(value.get("inputs"), dict):
                key = task.lower()
                check = checkers.get(key)
                if check is None and key in table:
                    check = checkers[key] = _compile_fast(table[key])
                if check is not None:
                    check(value["inputs"])
            for item in value.values():
                if isinstance(item, (dict, list)):
                    inputs_ok(item)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, (dict, list)):
                    inputs_ok(item)

    def fast(data):
        base(data)
        inputs_ok(data)

    return fast


def _azure_detail_validator(schema: dict):
    """jsonschema for Azure's detailed pass, with the per-task ``if``/``then`` list
    replaced by a lookup keyword (``x-task-inputs``: lower-cased task name -> inputs
    schema): the same errors, without evaluating ~260 ``if`` schemas per task step."""
    from jsonschema import Draft7Validator, validators

    detail_schema, table = _azure_split_tasks(schema)
    detail_schema["definitions"]["task"]["x-task-inputs"] = table

    def task_inputs(validator, table, instance, _schema):
        if not isinstance(instance, dict) or not isinstance(instance.get("task"), str):
            return
        sub = table.get(instance["task"].lower())
        if sub is not None and "inputs" in instance:
            yield from validator.descend(instance["inputs"], sub, path="inputs", schema_path="inputs")

    cls = validators.extend(Draft7Validator, {"x-task-inputs": task_inputs})
    return cls(detail_schema, format_checker=None)


def _azure_scalar(node):
    if node.tag is not None and node.tag not in ("!", "tag:yaml.org,2002:str"):
        return node.value
    return node.value if node.value is not None else ""


def _azure_instance(root):
    """Azure's view of a document: scalars as text, template directives resolved.

    Returns ``(data, locator)``: ``locator`` maps an instance path to ``(value node,
    key node)`` since merged/spliced content no longer sits at its tree path.
    """
    locator: dict = {}
    active: set = set()
    conditional: list = []
    generated: list = []

    def build(node, path, key_node):
        locator[path] = (node, key_node)
        cls = node.__class__
        if cls is Scalar:
            return _azure_scalar(node)
        if id(node) in active:
            return RECURSIVE_ALIAS
        active.add(id(node))
        try:
            if cls is Sequence:
                out = []
                for item in node.items:
                    spliced = _directive_body(item)
                    if spliced is None:
                        out.append(build(item, path + (len(out),), None))
                        continue
                    for body in spliced:
                        if isinstance(body, Sequence):
                            for sub in body.items:
                                if _directive_body(sub) is None:
                                    conditional.append(path + (len(out),))
                                    out.append(build(sub, path + (len(out),), None))
                        elif body is not None:
                            conditional.append(path + (len(out),))
                            out.append(build(body, path + (len(out),), None))
                return out
            if cls is Mapping:
                out = {}
                fill(node, path, out)
                return out
            return None
        finally:
            active.discard(id(node))

    def fill(node, path, out, depth=0):
        for k, v in node.pairs:
            text = k.value if k.__class__ is Scalar else None
            if text is None:
                continue
            if "${{" in text:
                if _AZURE_DIRECTIVE.match(text) and isinstance(v, Mapping) and depth < 20:
                    fill(v, path, out, depth + 1)  # keys set outside the condition win
                else:
                    generated.append(path)  # `${{ name }}: value`, `${{ insert }}`: not known
                continue
            if text in out and depth:
                continue
            if depth:
                conditional.append(path + (text,))
            out[text] = None if v is None else build(v, path + (text,), k)

    data = None if root is None else build(root, (), None)
    del build, fill  # recursive closures form a reference cycle: end it (see backref)
    locator[_CONDITIONAL] = conditional
    locator[_GENERATED] = generated
    return data, locator


def _directive_body(item):
    """For a list item ``- ${{ if ... }}: body`` (only directive keys), their bodies."""
    if item.__class__ is not Mapping or not item.pairs:
        return None
    bodies = []
    for k, v in item.pairs:
        if k.__class__ is not Scalar or not _AZURE_DIRECTIVE.match(k.value or ""):
            if k.__class__ is Scalar and "${{" in (k.value or "") and len(item.pairs) == 1:
                return []  # `- ${{ insert }}: ...` / generated: unknown shape, skipped
            return None
        bodies.append(v)
    return bodies


_YAML11_BOOL = {"yes": True, "Yes": True, "YES": True, "on": True, "On": True, "ON": True,
                "no": False, "No": False, "NO": False, "off": False, "Off": False, "OFF": False}


#: GitLab flattens nested lists in these keys (anchors and ``!reference`` that expand
#: to lists of rules / needs: gitlab-org/gitlab MR 67922 "Flatten CI config rules").
#: GitLab also flattens script lines (``Entry::Commands``: nested arrays up to 10 levels).
_GITLAB_FLATTEN = frozenset({"rules", "needs", "script", "before_script", "after_script"})


def _gitlab_instance(root):
    """GitLab's view: YAML 1.1 booleans, ``!reference`` nodes as :data:`REFERENCE`,
    nested lists of ``rules``/``needs`` flattened. Returns ``(data, locator)``."""
    locator: dict = {}
    active: set = set()

    def scalar(node):
        value = node.value
        if node.style or node.tag is not None:
            return value
        if not value:
            return None
        if value in _YAML11_BOOL:
            return _YAML11_BOOL[value]
        return resolve_plain(value) if value[0] in _MAYBE_TYPED else value

    def build(node, path, key_node, flatten=False):
        locator[path] = (node, key_node)
        cls = node.__class__
        if cls is Scalar:
            return scalar(node)
        if node.tag == "!reference":
            return REFERENCE
        key = id(node)
        if key in active or len(path) > 200:
            return RECURSIVE_ALIAS
        active.add(key)
        try:
            if cls is Sequence:
                result = []
                if flatten:
                    def add(items, depth):
                        for item in items:
                            if item.__class__ is Sequence and item.tag is None and depth < 8:  # the schema allows one more level: 10 in all
                                add(item.items, depth + 1)
                            else:
                                result.append(build(item, path + (len(result),), None))
                    add(node.items, 0)
                    del add  # a recursive closure is a reference cycle: end it (see backref)
                else:
                    for item in node.items:
                        result.append(build(item, path + (len(result),), None))
                return result
            if cls is Mapping:
                result = {}
                for k, v in node.pairs:
                    text = k.value if k.__class__ is Scalar else f"<{type(k).__name__.lower()} key at line {k.start_line + 1}>"
                    result[text] = None if v is None else build(v, path + (text,), k, text in _GITLAB_FLATTEN)
                return result
            return None
        finally:
            active.discard(key)

    data = None if root is None else build(root, (), None)
    del build  # a recursive closure is a reference cycle: end it (see backref)
    return data, locator


def _gl_artifacts_paths_empty(schema: dict) -> bool:
    # GitLab: `artifacts:paths` is validated as an array of strings; `paths: []` (to
    # drop inherited paths) is accepted (OpenMW's CI has it). The schema has minItems 1.
    paths = schema["definitions"]["artifacts"]["properties"]["paths"]
    return paths.pop("minItems", None) is not None


def _gl_reports_annotations_list(schema: dict) -> bool:
    # GitLab: report paths, `annotations` included, are "a string or an array of
    # strings" (DataDog dd-trace-java's CI uses `annotations: [links.json]`).
    reports = schema["definitions"]["artifacts"]["properties"]["reports"]["properties"]
    if reports["annotations"].get("type") != "string":
        return False
    reports["annotations"] = {"$ref": "#/definitions/string_file_list"}
    return True


def _gl_include_wildcard(schema: dict) -> bool:
    # GitLab: a local include may be a wildcard path (`include: 'configs/*.yml'`,
    # documented "include:local with wildcard file paths"); the schema's short form
    # wants a word character before `.yml`.
    done = []

    def visit(node):
        if node.get("pattern") == "\\w\\.ya?ml$":
            node["pattern"] = "\\.ya?ml$"
            done.append(1)

    _walk_schemas(schema, visit)
    return bool(done)


_PATCHES["gitlab-ci"] = [
    ("include-wildcard", _gl_include_wildcard),
    ("artifacts-paths-empty", _gl_artifacts_paths_empty),
    ("reports-annotations-list", _gl_reports_annotations_list),
]


_INSTANCES = {"azure-pipelines": _azure_instance, "gitlab-ci": _gitlab_instance}


# --------------------------------------------------------------------------- validation


def validate(schema_name: str, root) -> list[Violation]:
    """Violations of ``root`` (a yamltree node) against schema ``schema_name``.

    ``schema_name`` is a vendored schema's file stem: ``"github-workflow"`` or
    ``"github-action"``. The list is in file order; empty when the file is valid.
    """
    compiled = _compiled(schema_name)
    compiled.counters["checked"] += 1
    builder = _INSTANCES.get(schema_name)
    locator = None
    if builder is None:
        data = instance(root)
    else:
        data, locator = builder(root)
    if compiled.fast is not None:
        try:
            compiled.fast(data)
            return []
        except Exception:  # _Fail, or RecursionError on absurdly deep data
            pass
    if schema_name == "gitlab-ci" and compiled.fast is not None:
        # Same idea for GitLab: a `!reference` to a job in another repository's include,
        # `key: null` (clears an inherited value) and `$[[ inputs ]]` interpolation are
        # never reported; check a view without them before the detailed pass.
        try:
            compiled.fast(_gitlab_without_opaque(data, _property_names(compiled.schema)))
            return []
        except Exception:
            pass
    if schema_name == "azure-pipelines" and compiled.fast is not None:
        # The detailed pass never reports a value holding a template or runtime
        # expression, nor a `- ${{ parameters.steps }}` splice; those alone fail the fast
        # check of most Azure templates. Check a view with them neutralised first: if it
        # passes, the detailed pass (about 20 ms a file) would find nothing to report.
        try:
            compiled.fast(_without_expressions(data))
            return []
        except Exception:
            pass
        try:  # the same, also without what the detailed pass would not report either
            unknown = frozenset(locator.get(_CONDITIONAL, ())), frozenset(locator.get(_GENERATED, ()))
            compiled.fast(_azure_without_opaque(data, *unknown, _property_names(compiled.schema)))
            return []
        except Exception:
            pass
    compiled.counters["failed_precheck"] += 1
    try:
        violations = _Detail(compiled, root, data, locator).run()
    except RecursionError:
        compiled.counters["too_deep"] = compiled.counters.get("too_deep", 0) + 1
        return []
    except BaseException as exc:  # rpds (under jsonschema) turns a RecursionError into a panic
        if type(exc).__name__ != "PanicException":
            raise
        compiled.counters["too_deep"] = compiled.counters.get("too_deep", 0) + 1
        return []
    if violations:
        compiled.counters["with_violations"] += 1
    return violations


_EXPRESSION_MARKERS = ("${{", "$[", "$(")


def _without_expressions(data):
    """A copy of ``data`` where expression strings become ``"x"`` (a plain name every
    string pattern of the Azure schema accepts) and whole-expression list items (splices
    that insert a list of steps or jobs) are left out."""
    if isinstance(data, dict):
        return {k: _without_expressions(v) for k, v in data.items()}
    if isinstance(data, list):
        out = []
        for item in data:
            if isinstance(item, str) and item.strip().startswith("${{") and item.strip().endswith("}}"):
                continue
            out.append(_without_expressions(item))
        return out
    if isinstance(data, str) and any(m in data for m in _EXPRESSION_MARKERS):
        return "x"
    return data


#: Keys that tell which kind of step, job or stage a mapping is: an expression there
#: stays (as a plain name), so a step keeps its kind and an ambiguous one still fails.
_AZURE_KIND_KEYS = frozenset({
    "task", "script", "bash", "pwsh", "powershell", "checkout", "download", "downloadBuild",
    "getPackage", "publish", "reviewApp", "template", "job", "deployment", "stage",
})


def _azure_without_opaque(data, conditional: frozenset, generated: frozenset, known: frozenset, path: tuple = ()):
    """A copy of Azure ``data`` without what the detailed pass never reports: content
    that only an `${{ if }}`/`${{ each }}` inserts, mappings left empty because every
    key is made by an expression, and values holding an expression (known keys are
    left out with their value; other expressions become ``"x"``)."""
    if isinstance(data, dict):
        out = {}
        for k, v in data.items():
            at = path + (k,)
            if at in conditional:
                continue
            if k in known and k not in _AZURE_KIND_KEYS and (_azure_opaque(v) or (v == {} and at in generated)):
                continue
            out[k] = _azure_without_opaque(v, conditional, generated, known, at)
        return out
    if isinstance(data, list):
        out_list = []
        for i, v in enumerate(data):
            if path + (i,) in conditional or _azure_opaque(v):
                continue
            out_list.append(_azure_without_opaque(v, conditional, generated, known, path + (i,)))
        return out_list
    return "x" if _azure_opaque(data) else data


_PROPERTY_NAMES: dict[int, frozenset] = {}


def _property_names(schema: dict) -> frozenset:
    """Every key some ``properties`` of ``schema`` names (cached per schema)."""
    found = _PROPERTY_NAMES.get(id(schema))
    if found is None:
        names: set = set()
        _walk_schemas(schema, lambda node: names.update(node.get("properties") or ()))
        found = _PROPERTY_NAMES[id(schema)] = frozenset(names)
    return found


def _gitlab_extends(job) -> bool:
    return isinstance(job, dict) and job.get("extends") not in (None, "", [])


def _gitlab_opaque(value, depth: int) -> bool:
    """Values the detailed GitLab pass never reports (see ``_Detail._suppressed``)."""
    if value is None:
        return depth >= 2
    return value == REFERENCE or (isinstance(value, str) and "$[[" in value)


def _gitlab_without_opaque(data, known: frozenset, depth: int = 0):
    """A copy of GitLab ``data`` without the values :func:`_gitlab_opaque` names.

    A key the schema knows somewhere is left out with its value; under any other key
    (a variable's name, or a misspelt key that must still fail) the value becomes
    ``""``. A list item is left out with its place. None of this can make an invalid
    file pass except through a `required` or `minItems` the detailed pass then reports.
    """
    if isinstance(data, dict):
        out = {}
        for k, v in data.items():
            if not _gitlab_opaque(v, depth + 1):
                out[k] = _gitlab_without_opaque(v, known, depth + 1)
            elif k not in known:
                out[k] = ""
        return out
    if isinstance(data, list):
        return [_gitlab_without_opaque(v, known, depth + 1) for v in data if not _gitlab_opaque(v, depth + 1)]
    return data


# ------------------------------------------------------------------ error resolution

_VALUE_KINDS = ("type", "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum",
                "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "format", "combined", "false")
#: When several value-level findings hit the same value, the most informative wins.
_VALUE_RANK = {"enum": 0, "const": 1, "combined": 2, "type": 3, "pattern": 4, "minLength": 5}

#: Findings that say "this value belongs to another branch" when they hit the value's
#: own keys: a mismatching constant, a forbidden key.
_BRANCH_EXCLUDERS = frozenset({"const", "enum", "conflict", "not", "false"})

_EXPR_PATTERN = "^\\$\\{\\{(.|[\r\n])*\\}\\}$"
_CONTAINS_EXPR_PATTERN = "^.*\\$\\{\\{(.|[\r\n])*\\}\\}.*$"
_NAME_PATTERN = "^[_a-zA-Z][a-zA-Z0-9_-]*$"
_FRIENDLY_PATTERNS = {
    _EXPR_PATTERN: "an expression '${{ ... }}'",
    _CONTAINS_EXPR_PATTERN: "a string containing an expression '${{ ... }}'",
    _NAME_PATTERN: "a name that starts with a letter or '_' and has only letters, digits, '-' and '_'",
    "^(.+\\/)+(.+)\\.(ya?ml)(@.+)?$": "a reusable workflow path like 'owner/repo/.github/workflows/build.yml@v1' "
    "or './.github/workflows/build.yml'",
}
_FRIENDLY_PATTERNS.update({
    "^[^/]*[^./][^/]*$": "a name without '/' that is not only dots",
    _INT_TEXT["pattern"]: "an integer",
    _NUMBER_TEXT["pattern"]: "a number",
    _BOOL_TEXT["pattern"]: "a boolean (true or false)",
    "(?i)^true$": "'true'", "(?i)^false$": "'false'",
})
_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
    "null": "empty",
}
_ID_WORDS = {"jobs": "job id", "inputs": "input id", "outputs": "output id", "secrets": "secret id"}


_GITLAB_GLOBAL_KEYS = frozenset({"default", "include", "stages", "variables", "workflow", "spec", "image", "services",
                                  "cache", "before_script", "after_script", "pages"})
_AZURE_MACRO = re.compile(r"\$\{\{|\$\[|\$\(")


def _azure_opaque(value) -> bool:
    """A value Azure computes at compile or run time: template expression, runtime
    expression or macro (``${{ }}``, ``$[ ]``, ``$( )``)."""
    return isinstance(value, str) and _AZURE_MACRO.search(value) is not None


def _has_expression(value) -> bool:
    return isinstance(value, str) and "${{" in value and "}}" in value


#: Keys whose value GitHub requires to be a non-empty string (workflow-v1.0.json and
#: action-v1.0.json "non-empty-string" and friends): there an empty value is reported.
_NON_EMPTY_KEYS = frozenset({
    "runs-on", "labels", "group", "needs", "uses", "id", "shell", "image", "image-name", "version",
    "workflows", "branches", "branches-ignore", "tags", "tags-ignore", "paths", "paths-ignore",
    "names", "versions", "types", "cron", "using", "main", "pre", "post", "entrypoint",
    "pre-entrypoint", "post-entrypoint", "username", "password", "ports", "volumes", "concurrency",
    "wait", "cancel",
})


def _null_is_empty_string(path: tuple) -> bool:
    """Whether an empty (null) value reads as "" at ``path``.

    GitHub's template reader turns a null literal into "" wherever a plain string is
    allowed (``container:``, an ``env`` value, an input ``default:``), but an empty
    ``runs-on:`` or ``uses:`` is rejected: those are non-empty strings.
    """
    names = [p for p in path if isinstance(p, str)]
    return bool(names) and names[-1] not in _NON_EMPTY_KEYS and path[-1] == names[-1]


@dataclass
class _Finding:
    path: tuple  # instance path of the value (or of the mapping, for key findings)
    kind: str  # a keyword, or "unknown-key", "missing-key", "combined", "multiple"
    message: str = ""
    key: str | None = None  # unknown-key: the key
    alternatives: tuple = ()  # missing-key: any of these would do
    known: tuple = ()  # unknown-key: the keys the mapping accepts
    expects: str = ""  # value findings: what would have been accepted
    weight: int = 1
    long_enum: bool = False  # an enum error with many options


class _Detail:
    """Turns jsonschema's errors for one document into violations."""

    def __init__(self, compiled: _Compiled, root, data, locator=None):
        self.locator = locator
        self.compiled = compiled
        self.name = compiled.name
        self.schema = compiled.schema
        self.validator = compiled.detail
        self.root = root
        self.data = data

    # ------------------------------------------------------------------ entry
    def run(self) -> list[Violation]:
        findings: list[_Finding] = []
        for error in self.validator.iter_errors(self.data):
            findings.extend(self._effective(error))
        findings = self._tidy(findings)
        if self.locator is not None and self.locator.get(_CONDITIONAL):
            # content under `${{ if/each }}` is judged only where it completes its parent
            # (required keys); what it holds is not reported (it may be deliberately
            # invalid, e.g. an "error" step that only a wrong parameter reaches)
            cond = self.locator[_CONDITIONAL]
            findings = [f for f in findings if not any(f.path[: len(c)] == c for c in cond)
                        and not (f.kind == "unknown-key" and f.path + (f.key,) in cond)]
        if self.locator is not None and self.locator.get(_GENERATED):
            # a mapping with keys an expression makes: its size and required keys are unknown
            generated = set(self.locator[_GENERATED])
            findings = [f for f in findings if not (f.path in generated and f.kind in ("empty", "missing-key", "minProperties"))]
        if self.name == "gitlab-ci" and isinstance(self.data, dict):
            # `extends` deep-merges the parents' hashes into the job: a key a nested
            # mapping lacks (`trigger: {inputs: ...}` without `project`) may come from there
            findings = [f for f in findings if not (f.kind == "missing-key" and len(f.path) >= 2 and _gitlab_extends(self.data.get(f.path[0])))]
        violations = [self._violation(f) for f in findings]
        seen = set()
        unique = []
        for v in violations:
            key = (v.path, v.message)
            if key not in seen:
                seen.add(key)
                unique.append(v)
        unique.sort(key=lambda v: (v.node.start_index if v.node is not None else -1, v.path.__repr__()))
        return unique

    # -------------------------------------------------------------- resolution
    def _effective(self, error) -> list[_Finding]:
        validator = error.validator
        if validator in ("anyOf", "oneOf"):
            return self._combinator(error)
        if self._suppressed(error):
            return []
        return self._leaf(error)

    def _combinator(self, error) -> list[_Finding]:
        path = tuple(error.absolute_path)
        if not error.context:
            # oneOf matched more than one branch
            return [self._multiple(error, path)]
        branches: dict[int, list] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        resolved: dict[int, list[_Finding]] = {}
        for index, subs in branches.items():
            found: list[_Finding] = []
            for sub in subs:
                found.extend(self._effective(sub))
            if not found:
                return []  # this branch accepts the value once GitHub's rules are applied
            resolved[index] = found
        return self._choose(error, path, resolved)

    def _choose(self, error, path: tuple, resolved: dict[int, list[_Finding]]) -> list[_Finding]:
        shallow: list[int] = []
        deep: list[int] = []
        for index, found in resolved.items():
            if all(f.path == path and f.kind in _VALUE_KINDS for f in found):
                shallow.append(index)
            else:
                deep.append(index)
        if deep:
            only_missing = all(
                all(f.path == path and f.kind == "missing-key" for f in resolved[i]) for i in deep
            )
            if only_missing and len(deep) > 1:
                # e.g. a step needs one of uses/run/...; `runs` needs `using` and one of
                # main/steps/image: keys every branch misses are required outright
                per_branch = [[a for f in resolved[i] for a in f.alternatives] for i in deep]
                common = [a for a in per_branch[0] if all(a in names for names in per_branch[1:])]
                alternatives: list[str] = []
                for names in per_branch:
                    for a in names:
                        if a not in common and a not in alternatives:
                            alternatives.append(a)
                found = [_Finding(path, "missing-key", alternatives=(a,)) for a in common]
                if alternatives and all(any(a not in common for a in names) for names in per_branch):
                    found.append(_Finding(path, "missing-key", alternatives=tuple(alternatives)))
                return found

            def score(i):
                found = resolved[i]
                # a key whose value contradicts a branch's constant (`using: composite`
                # against the docker branch, `type: choice` against the string input
                # branch) says the user meant another branch, whatever else is wrong
                excluded = sum(1 for f in found if f.kind in _BRANCH_EXCLUDERS and len(f.path) <= len(path) + 1)
                at_root = sum(f.weight for f in found if len(f.path) <= len(path) + 1)
                total = sum(f.weight for f in found)
                depth = max(len(f.path) for f in found)
                return (excluded, at_root, total, -depth, i)

            best = min(deep, key=score)
            return resolved[best]
        # no branch fits the value. If the one branch of the value's own type is a long
        # list of names (`on: pushh`), its own error (with a did-you-mean) says most.
        typed = [i for i in shallow if not any(f.kind == "type" for f in resolved[i])]
        if len(typed) == 1:
            found = resolved[typed[0]]
            if all(f.kind == "enum" and f.long_enum for f in found):
                return found
            if not self.name.startswith("github-") and all(f.kind not in ("type", "combined") for f in found):
                return found  # `parallel: 1000`: the integer branch's own limit says it
        expects: list[str] = []
        branch_key = "oneOf" if error.validator == "oneOf" else "anyOf"
        for index in sorted(resolved):
            try:
                branch = error.schema[branch_key][index]
            except (KeyError, IndexError, TypeError):
                branch = {}
            for part in self._alternatives(branch):
                if part not in expects:
                    expects.append(part)
        if "a string" in expects:
            expects = [e for e in expects if e not in ("a string containing an expression '${{ ... }}'", "a non-empty string")]
        if len(expects) > 1:
            expects = [e for e in expects if e != "a valid value"]
        return [_Finding(path, "combined", expects=_or(expects))]

    def _multiple(self, error, path: tuple) -> _Finding:
        keys = []
        value = error.instance
        if self.name == "github-action" and path[:2] == ("runs", "steps") and isinstance(value, dict):
            # the composite step schema: run steps need `shell`; `run` and `uses` exclude each other
            if "run" in value and "uses" in value:
                return _Finding(path, "multiple", message=f"{self._where(path)} has 'run' and 'uses': only one of them is allowed")
            if "run" in value and "shell" not in value:
                return _Finding(path, "multiple", message=f"{self._where(path)} is missing the key 'shell', which composite action steps with 'run' require")
        for branch in error.schema.get("oneOf", []):
            branch = self._deref(branch)
            for name in branch.get("required", []) if isinstance(branch, dict) else []:
                if isinstance(value, dict) and name in value and name not in keys:
                    keys.append(name)
        if len(keys) > 1:
            return _Finding(path, "multiple", message=f"{self._where(path)} has {_and_quoted(keys)}: only one of them is allowed")
        return _Finding(path, "multiple", message=f"{self._where(path)} matches more than one of the accepted forms; it is ambiguous")

    # -------------------------------------------------------------- suppression
    def _suppressed(self, error) -> bool:
        value = error.instance
        path = tuple(error.absolute_path)
        if self.name == "azure-pipelines" and _azure_opaque(value):
            return True
        if self.name == "gitlab-ci":
            if value == REFERENCE or isinstance(value, str) and "$[[" in value:
                return True  # `!reference`, or `$[[ inputs.x ]]` interpolated from the spec header
            if value is None and len(path) >= 2:
                return True  # `key: null` removes what `extends`/`default` would set
            if error.validator == "pattern" and isinstance(value, str) and "$" in value:
                return True  # CI/CD variables are expanded before GitLab uses the value
        if _has_expression(value) and self._expression_allowed(path):
            return True
        if error.validator == "type" and self.name.startswith("github-") and (value is None or isinstance(value, (bool, int, float))):
            types = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
            if value is None and not _null_is_empty_string(path):
                return False
            if "string" in types:
                text = _coerce(value)
                rest = {k: v for k, v in error.schema.items() if k != "type"}
                rest["type"] = "string"
                try:
                    return self.validator.evolve(schema=rest).is_valid(text)
                except Exception:
                    return False
        return False

    def _expression_allowed(self, path: tuple) -> bool:
        """Whether GitHub evaluates expressions at ``path`` (its schema has contexts)."""
        if self.name == "azure-pipelines":
            return True  # template expressions may stand anywhere
        if not path:
            return False
        head = path[0]
        if self.name == "github-workflow":
            if head in ("env", "concurrency", "run-name"):
                return True
            if head == "on":
                return (
                    len(path) >= 5
                    and path[1] == "workflow_call"
                    and ((path[2] == "inputs" and path[4] == "default") or (path[2] == "outputs" and path[4] == "value"))
                )
            if head == "jobs" and len(path) >= 3:
                key = path[2]
                if key in ("permissions", "needs", "uses"):
                    return False
                if key == "steps":
                    return len(path) >= 5 and path[4] not in ("uses", "id", "shell", "background", "wait", "wait-all", "cancel", "parallel")
                if key in ("secrets", "defaults", "outputs"):
                    return len(path) >= 4
                return True
            return False
        if self.name == "github-action":
            if head in ("inputs", "outputs") and len(path) >= 3:
                return path[2] in ("default", "value")
            if head == "runs" and len(path) >= 2:
                if path[1] == "steps":
                    return len(path) >= 4 and path[3] not in ("uses", "id")
                return path[1] in ("env", "args", "pre-if", "post-if")
            return False
        return False

    # -------------------------------------------------------------- leaf errors
    def _leaf(self, error) -> list[_Finding]:
        path = tuple(error.absolute_path)
        validator = error.validator
        value = error.instance
        schema = error.schema if isinstance(error.schema, dict) else {}
        if validator == "additionalProperties" and isinstance(value, dict):
            props = schema.get("properties", {})
            patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
            out = []
            known = tuple(props)
            for key in value:
                if key in props or any(p.search(key) for p in patterns):
                    continue
                if _has_expression(key) and self._expression_allowed(path + (key,)):
                    continue
                if not props and patterns:
                    out.append(_Finding(path, "bad-key", key=key, expects=self._describe_pattern(next(iter(schema["patternProperties"])))))
                else:
                    out.append(_Finding(path, "unknown-key", key=key, known=known))
            return out
        if validator == "required" and isinstance(value, dict):
            return [
                _Finding(path, "missing-key", alternatives=(name,))
                for name in error.validator_value
                if name not in value
            ]
        if validator == "dependencies" and isinstance(value, dict):
            out = []
            for prop, needs in error.validator_value.items():
                if prop in value and isinstance(needs, list):
                    missing = [n for n in needs if n not in value]
                    if missing:
                        out.append(_Finding(path + (prop,), "dependency", key=prop,
                                            message=f"'{prop}' is only allowed together with {_and_quoted(missing)} in {self._where(path)}"))
            return out
        if validator == "not":
            banned = error.validator_value
            if isinstance(banned, dict) and set(banned) <= {"type", "required"} and banned.get("required") and isinstance(value, dict):
                keys = banned["required"]
                present = [k for k in value if k in keys]
                if len(present) == len(keys):
                    return [_Finding(path + (present[-1],), "conflict", key=present[-1],
                                     message=f"{self._where(path)} cannot have both {_and_quoted(keys)}")]
            return [_Finding(path, "not", message=f"{self._where(path)} has a form that is not allowed here")]
        if validator in ("minItems", "minProperties", "minLength") and error.validator_value == 1:
            return [_Finding(path, "empty", message=f"{self._where(path)} must not be empty")]
        if validator in _VALUE_KINDS:
            long_enum = validator == "enum" and len(error.validator_value) > 8
            return [_Finding(path, validator, message=self._value_message(error, path, schema), long_enum=long_enum)]
        return [_Finding(path, validator or "other", message=f"{self._where(path)}: {error.message}")]

    def _value_message(self, error, path, schema) -> str:
        where = self._where(path)
        value = error.instance
        validator = error.validator
        if validator == "enum":
            options = [o for o in error.validator_value]
            hint = ""
            if isinstance(value, str):
                close = difflib.get_close_matches(value, [o for o in options if isinstance(o, str)], n=1, cutoff=0.6)
                if close:
                    hint = f" (did you mean '{close[0]}'?)"
            shown = [_plain(o) for o in options[:_MAX_LISTED]]
            if len(options) > _MAX_LISTED:
                shown.append(f"... ({len(options) - _MAX_LISTED} more)")
            return f"{_show(value)} is not a valid value for {where}{hint}; expected one of: {', '.join(shown)}"
        if validator == "const":
            return f"{where} must be {_plain_quoted(error.validator_value)}, not {_show(value)}"
        if validator in ("maximum", "minimum"):
            word = "at most" if validator == "maximum" else "at least"
            return f"{where} must be {word} {error.validator_value}, not {_show(value)}"
        if validator == "pattern":
            return f"{where} must be {self._describe_pattern(error.validator_value)}, not {_show(value)}"
        if validator == "type":
            types = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
            expected = self._describe({k: v for k, v in schema.items() if k in ("minLength", "items")} | {"type": types})
            return f"{where} must be {expected}, not {_show(value)}{_yaml11_hint(value, types)}"
        return f"{where}: {error.message}"

    # -------------------------------------------------------------- tidying
    def _tidy(self, findings: list[_Finding]) -> list[_Finding]:
        # dedupe
        unique: dict = {}
        for f in findings:
            key = (f.path, f.kind, f.key, f.alternatives, f.message)
            unique.setdefault(key, f)
        findings = list(unique.values())
        # one value finding per value: keep the most informative
        best_value: dict[tuple, _Finding] = {}
        others = []
        for f in findings:
            if f.kind in _VALUE_KINDS:
                current = best_value.get(f.path)
                if current is None or _VALUE_RANK.get(f.kind, 9) < _VALUE_RANK.get(current.kind, 9):
                    best_value[f.path] = f
            else:
                others.append(f)
        findings = others + list(best_value.values())
        # a value error above a deeper error is the deeper error's echo
        paths = [f.path for f in findings]
        findings = [
            f for f in findings
            if not (f.kind in _VALUE_KINDS and any(len(p) > len(f.path) and p[: len(f.path)] == f.path for p in paths))
        ]
        # a value of the wrong type: its missing keys or ambiguities are echoes
        wrong_type = {f.path for f in findings if f.kind in ("type", "combined")}
        findings = [f for f in findings if f.kind in _VALUE_KINDS or f.path not in wrong_type]
        # missing keys of one mapping: one finding; a near-miss unknown key is the typo
        missing: dict[tuple, list[str]] = {}
        missing_any: dict[tuple, list[tuple]] = {}
        rest = []
        for f in findings:
            if f.kind == "missing-key":
                if len(f.alternatives) == 1:
                    missing.setdefault(f.path, [])
                    if f.alternatives[0] not in missing[f.path]:
                        missing[f.path].append(f.alternatives[0])
                else:
                    missing_any.setdefault(f.path, []).append(f.alternatives)
            else:
                rest.append(f)
        unknown_by_path: dict[tuple, list[_Finding]] = {}
        for f in rest:
            if f.kind == "unknown-key":
                unknown_by_path.setdefault(f.path, []).append(f)
        out = list(rest)
        for path in dict.fromkeys(list(missing) + list(missing_any)):
            names = [n for n in missing.get(path, []) if not self._typo_for(unknown_by_path.get(path, []), (n,))]
            groups = [g for g in missing_any.get(path, []) if not self._typo_for(unknown_by_path.get(path, []), g)]
            if names or groups:
                out.append(_Finding(path, "missing-key", alternatives=tuple(names),
                                    message=self._missing_message(path, names, groups)))
        return out

    @staticmethod
    def _typo_for(unknown: list[_Finding], names: tuple) -> bool:
        """Whether an unknown key of the same mapping is a near miss of one of ``names``
        (then the missing key is the same problem as the unknown one)."""
        for f in unknown:
            close = difflib.get_close_matches(f.key, list(names), n=1, cutoff=0.6)
            if close:
                if not f.alternatives:
                    f.alternatives = tuple(close)
                return True
        return False

    def _missing_message(self, path: tuple, names: list[str], groups: list[tuple] = ()) -> str:
        where = self._where(path)
        parts = []
        if names:
            parts.append(f"the required key {_and_quoted(names)}" if len(names) == 1 else f"the required keys {_and_quoted(names)}")
        for group in groups:
            parts.append(f"one of the keys {_and_quoted(list(group), 'or')}")
        if len(parts) == 1 and not names:
            return f"{where} needs {parts[0]}"
        return f"{where} is missing " + " and ".join(parts)

    # -------------------------------------------------------------- violations
    def _violation(self, f: _Finding) -> Violation:
        if f.kind == "unknown-key":
            node = self._key_node(f.path, f.key)
            suggestion = list(f.alternatives) or difflib.get_close_matches(f.key, list(f.known), n=1, cutoff=0.6)
            hint = f" (did you mean '{suggestion[0]}'?)" if suggestion else ""
            expected = f"; expected one of: {', '.join(f.known)}" if f.known else ""
            message = f"unknown key '{f.key}' in {self._where(f.path)}{hint}{expected}"
            step = self._value(f.path[:-1]) if f.path and f.path[-1] == "inputs" else None
            if self.name == "azure-pipelines" and isinstance(step, dict) and isinstance(step.get("task"), str):
                message = (f"task {step['task']} has no input '{f.key}'{hint} ({self._where(f.path[:-1])}), "
                           f"so the value is ignored{expected}")
            return Violation(node, message, f.path + (f.key,))
        if f.kind == "bad-key":
            node = self._key_node(f.path, f.key)
            word = _ID_WORDS.get(f.path[-1] if f.path else "", "key")
            where = self._where(f.path)
            return Violation(node, f"invalid {word} '{f.key}' in {where}: it must be {f.expects}", f.path + (f.key,))
        if f.kind in ("dependency", "conflict"):
            node = self._key_node(f.path[:-1], f.key)
            return Violation(node, f.message, f.path)
        if f.kind == "missing-key":
            node = self._container_anchor(f.path)
            message = f.message or self._missing_message(f.path, list(f.alternatives))
            return Violation(node, message, f.path)
        if f.kind == "multiple":
            return Violation(self._container_anchor(f.path), f.message, f.path)
        if f.kind == "combined":
            node = self._node(f.path)
            value = self._value(f.path)
            hint = _yaml11_hint(value, ["boolean"]) if "a boolean" in f.expects else ""
            message = f"{self._where(f.path)} must be {f.expects}, not {_show(value)}{hint}"
            return Violation(node, message, f.path)
        node = self._node(f.path)
        return Violation(node, f.message or f"{self._where(f.path)} is not valid", f.path)

    # -------------------------------------------------------------- nodes
    def _node(self, path: tuple):
        if self.locator is not None:
            while path not in self.locator and path:
                path = path[:-1]
            return self.locator.get(path, (self.root, None))[0]
        node = self.root
        for part in path:
            if isinstance(node, Mapping):
                node = node.get(part)
            elif isinstance(node, Sequence) and isinstance(part, int) and 0 <= part < len(node.items):
                node = node.items[part]
            else:
                return node
            if node is None:
                return None
        return node

    def _key_node(self, path: tuple, key: str):
        if self.locator is not None and path + (key,) in self.locator:
            found = self.locator[path + (key,)][1]
            if found is not None:
                return found
        mapping = self._node(path)
        if isinstance(mapping, Mapping):
            found = mapping.key_node(key)
            if found is not None:
                return found
        return mapping

    def _container_anchor(self, path: tuple):
        """For a problem with a whole mapping: its key in the parent mapping, else itself."""
        if self.locator is not None:
            found = self.locator.get(path)
            if found is not None:
                return found[1] if found[1] is not None else found[0]
            return self._node(path)
        if path:
            parent = self._node(path[:-1])
            if isinstance(parent, Mapping) and isinstance(path[-1], str):
                key = parent.key_node(path[-1])
                if key is not None:
                    return key
        return self._node(path)

    def _value(self, path: tuple):
        value = self.data
        for part in path:
            try:
                value = value[part]
            except (KeyError, IndexError, TypeError):
                return None
        return value

    # -------------------------------------------------------------- words
    def _where(self, path: tuple) -> str:
        if not path:
            return {"github-workflow": "the workflow", "github-action": "the action", "gitlab-ci": "the pipeline", "azure-pipelines": "the pipeline"}.get(self.name, "the document")
        if self.name == "gitlab-ci" and isinstance(path[0], str) and path[0] not in _GITLAB_GLOBAL_KEYS:
            job = f"job '{path[0]}'"
            return job if len(path) == 1 else f"'{_dotted(path[1:])}' of {job}"
        if self.name == "github-workflow" and path[0] == "jobs" and len(path) >= 2:
            job = f"job '{path[1]}'"
            rest = path[2:]
            if not rest:
                return job
            if rest[0] == "steps" and len(rest) >= 2 and isinstance(rest[1], int):
                step = self._step_words(path[:4], job)
                if len(rest) == 2:
                    return step
                return f"'{_dotted(rest[2:])}' of {step}"
            return f"'{_dotted(rest)}' of {job}"
        if self.name == "github-action" and path[:2] == ("runs", "steps") and len(path) >= 3 and isinstance(path[2], int):
            step = self._step_words(path[:3], "'runs.steps'")
            if len(path) == 3:
                return step
            return f"'{_dotted(path[3:])}' of {step}"
        if self.name == "github-action" and path[0] in ("inputs", "outputs") and len(path) >= 2:
            thing = f"{path[0][:-1]} '{path[1]}'"
            return thing if len(path) == 2 else f"'{_dotted(path[2:])}' of {thing}"
        return f"'{_dotted(path)}'"

    def _step_words(self, step_path: tuple, owner: str) -> str:
        index = step_path[-1]
        step = self._value(step_path)
        label = ""
        if isinstance(step, dict):
            for key in ("name", "id"):
                if isinstance(step.get(key), str) and step[key]:
                    text = step[key]
                    if len(text) > 40:
                        text = text[:37] + "..."
                    label = f" ('{text}')"
                    break
        return f"step {index + 1}{label} of {owner}"

    def _deref(self, schema):
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < 20:
            ref = schema["$ref"]
            if not ref.startswith("#/"):
                return schema
            try:
                schema = _at(self.schema, ref[1:])
            except (KeyError, IndexError, ValueError):
                return {}
            seen += 1
        return schema

    def _describe(self, schema) -> str:
        """What a (sub)schema accepts, in words ("a number or an expression ...")."""
        return _or(self._alternatives(schema))

    def _alternatives(self, schema, depth: int = 0) -> list[str]:
        schema = self._deref(schema)
        if depth > 6 or not isinstance(schema, dict):
            return ["a valid value"]
        if "enum" in schema:
            values = schema["enum"]
            if len(values) == 1:
                return [_plain_quoted(values[0])]
            if len(values) <= 8:
                return ["one of " + ", ".join(_plain_quoted(v) for v in values)]
            if "push" in values and "workflow_dispatch" in values:
                return ["an event name"]
            return [f"one of {len(values)} allowed values"]
        if "const" in schema:
            return [_plain_quoted(schema["const"])]
        if "pattern" in schema and schema.get("type", "string") == "string":
            return [self._describe_pattern(schema["pattern"])]
        if "type" not in schema and ("anyOf" in schema or "oneOf" in schema) and depth > 0 and all(
            isinstance(b, dict) and not ({"type", "$ref", "enum", "const", "pattern"} & set(b)) for b in schema.get("anyOf", schema.get("oneOf", []))
        ):
            return ["a valid value"]
        for key in ("oneOf", "anyOf"):
            if key in schema:
                parts: list[str] = []
                for branch in schema[key]:
                    for part in self._alternatives(branch, depth + 1):
                        if part not in parts:
                            parts.append(part)
                return parts
        if "allOf" in schema:
            for branch in schema["allOf"]:
                found = self._alternatives(branch, depth + 1)
                if found != ["a valid value"]:
                    return found
        types = schema.get("type")
        if isinstance(types, str):
            types = [types]
        if types:
            words = []
            for t in types:
                word = _TYPE_WORDS.get(t, t)
                if t == "string" and schema.get("minLength") == 1:
                    word = "a non-empty string"
                if t == "array":
                    items = self._deref(schema.get("items"))
                    if isinstance(items, dict) and "enum" in items:
                        word = "a list of them" if len(items["enum"]) > 8 else "a list of " + _or([_plain_quoted(v) for v in items["enum"]])
                    elif isinstance(items, dict) and items.get("type") == "string":
                        word = "a list of strings"
                words.append(word)
            return words
        return ["a valid value"]

    @staticmethod
    def _describe_pattern(pattern: str) -> str:
        if pattern in _CI_ENUMS:
            values = _CI_ENUMS[pattern]
            return _plain_quoted(values[0]) if len(values) == 1 else f"one of {', '.join(values[:_MAX_LISTED])}" + (" ..." if len(values) > _MAX_LISTED else "")
        literal = re.fullmatch(r"(?:\(\?i\))?\^([\w@.-]+)\$", pattern)
        if literal:
            return f"'{literal.group(1)}'"
        return _FRIENDLY_PATTERNS.get(pattern, f"a string matching {pattern}")


# --------------------------------------------------------------------------- words


_MAX_LISTED = 40
_YAML11_BOOLEANS = {"yes": "true", "no": "false", "on": "true", "off": "false", "y": "true", "n": "false"}


def _yaml11_hint(value, types) -> str:
    """GitHub reads YAML 1.2: `yes`/`on`/`off`... are strings, not booleans."""
    if "boolean" in types and isinstance(value, str) and value.lower() in _YAML11_BOOLEANS:
        return f" (YAML 1.2 reads '{value}' as a string; write {_YAML11_BOOLEANS[value.lower()]})"
    return ""


def _dotted(path: Iterable) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _coerce(value) -> str:
    """A literal as GitHub's template reader turns it into a string."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _plain(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _plain_quoted(value) -> str:
    return f"'{value}'" if isinstance(value, str) else json.dumps(value)


def _show(value) -> str:
    """A value as the user wrote it, with its kind."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if value == RECURSIVE_ALIAS:
        return "a recursive alias"
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        text = text.replace("\n", "\\n")
        return f"the string '{text}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _or(parts: list[str]) -> str:
    parts = [p for p in parts if p]
    if not parts:
        return "a valid value"
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def _and_quoted(names: list[str], word: str = "and") -> str:
    quoted = [f"'{n}'" for n in names]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + f" {word} " + quoted[-1]
