"""GitLab CI YAML -> the common model.

One :class:`Pipeline` (``platform="gitlab"``) per file:

* ``include:`` — ``local:`` files (also the string form and globs) are read from disk
  relative to the repository root (the nearest ancestor folder holding ``.gitlab-ci.yml``
  or ``.git``), cached per absolute path, and merged like GitLab does: their top-level
  keys first, in order, then the including file's keys on top (mappings deep-merged,
  everything else replaced). Nested local includes are followed (cycle-safe, bounded).
  ``project:``/``remote:``/``template:``/``component:`` includes, dynamic paths
  (``$VAR``) and local files that cannot be found or parsed go to ``pipeline.external``
  as dicts ``{"kind": "include", "type": ..., "ref": ..., "node": ..., "file": ...,
  "reason": ...}`` (the pipeline is then partly unknown);
* ``extends:`` (string or list, multi-level, cycle-safe) is merged into an *effective
  view*: a new :class:`Mapping` whose pairs are the original nodes (positions stay exact);
  parents are merged in order (later parents win), the job's own keys win; mappings are
  deep-merged, sequences and scalars replaced;
* ``!reference [name, key, ...]`` in ``script``/``before_script``/``after_script``/
  ``rules``/``needs`` items and in ``variables`` (whole or per value) is replaced by what it
  points at (the referenced job's effective view); what cannot be resolved stays as is and
  ``job.extra["unresolved_reference"] = True``;
* hidden keys (``.name``) are templates, not jobs; reserved top-level keys are not jobs.

Model conventions (GitLab facts without a neutral field yet):

* ``pipeline.kind``: ``"pipeline"`` for ``.gitlab-ci.yml``, ``"fragment"`` for other files
  (usually included by one).
* ``pipeline.stages``: ``.pre``, the declared stages (default ``build``, ``test``,
  ``deploy``), ``.post``; a job whose stage is not declared gets a stage appended
  (``node=None``) and ``job.extra["stage_undeclared"] = True``.
* ``pipeline.triggers``: ``Trigger("workflow", key node of workflow:, config=workflow
  mapping)`` when the file has ``workflow:`` (its ``rules`` decide whether a pipeline runs).
  ``pipeline.name`` is ``workflow: name:``. ``pipeline.env`` the global ``variables``.
* Steps: one :class:`Step` per script *line* (each line is its own YAML scalar, so
  positions are exact): ``Step.name`` is the section (``before_script``, ``script``,
  ``after_script``), ``Step.node`` and ``Step.script.node`` the line's scalar, ``Step.file``
  the file the line is written in. ``before_script``/``after_script`` come from ``default:``
  (or the deprecated top-level keys) unless the job sets its own or ``inherit: default:``
  excludes them.
* ``job.when``/``when_node``: the job-level ``when`` (None when absent: on_success).
  ``job.allow_failure``: the effective GitLab value (explicit, else True for a job-level
  ``when: manual`` without ``rules``, else False); ``extra["allow_failure_node"]`` when
  written, ``extra["allow_failure_exit_codes"]`` for the ``exit_codes`` form.
* ``job.runs_on``: ``tags``; ``job.timeout``: ``timeout`` (job or default);
  ``job.serialised_by``: ``resource_group``; ``job.env``: effective ``variables``.
* ``job.needs``: explicit ``needs`` (same-project jobs); ``needs: [{project: ...}]`` goes
  to ``pipeline.external`` (``type: "needs-project"``) and ``extra["needs_external"]``;
  ``needs: {pipeline: ...}`` items to ``extra["needs_external"]`` too.
* ``job.origins``: ``(path, node)`` of each ``extends`` parent (nearest first) and of the
  included file's definition when the job comes from one.
* A job from an included file has ``job.key_source``/``job.source`` set to that file
  (``Job.file`` is then the included file); ``job.node_files`` maps ``id(node) ->
  SourceFile`` for the values of effective views: use ``job.file_of(value)``.
* ``job.extra`` keys: ``rules`` (node), ``rules_when`` (set of ``when`` values in rules),
  ``only``/``except`` (nodes), ``start_in`` (node), ``image`` (node, job or default),
  ``services``, ``environment_action`` (``stop``/``access``/``prepare``/``verify``: not a
  deployment), ``environment_tier``, ``trigger`` (node), ``child_pipeline`` (list of local
  file paths a ``trigger: include:`` starts), ``extends`` (names), ``unresolved_extends``
  (names not found: maybe in an external include), ``unresolved_reference``,
  ``stage_undeclared``, ``inherit_default``/``inherit_variables`` (False or list of names),
  ``included_from`` (path of the included file the job was defined in).
* ``pipeline.extra`` (for rules that check references, e.g. PL003):
  ``definitions`` — every top-level key after include merging (hidden templates too):
  ``name -> [key node, value node, SourceFile]``; ``node_files`` — ``id(value) ->
  SourceFile`` as for ``job.node_files``; ``resolve_reference`` — ``f(items, file)``
  giving the ``(node, file)`` a ``!reference`` (or a prefix of its items) points at, or
  None. (Every local file read is in ``pipeline.included_files``.)
  A ``"not found"`` local include entry of ``pipeline.external`` also carries
  ``"folder_exists"`` (the folder the file would be in exists on disk).
"""

from __future__ import annotations

import functools
import glob
import os
import re

from .. import loaded
from ..backref import Owner
from ..model import Environment, Job, Needs, Pipeline, Script, Stage, Step, Trigger
from ..source import SourceFile
from ..yamltree import Document, Mapping, Scalar, Sequence, YNode

MAX_INCLUDES = 150  # GitLab's own limit per pipeline
MAX_INCLUDE_BYTES = 2_000_000
MAX_EXTENDS_DEPTH = 11
MAX_REFERENCE_DEPTH = 10
MAX_GLOB_MATCHES = 200

DEFAULT_STAGES = ("build", "test", "deploy")
RESERVED = frozenset(
    ("default", "include", "stages", "variables", "workflow", "image", "services", "cache", "before_script", "after_script", "types", "spec")
)
_DEFAULT_KEYS = frozenset(
    ("after_script", "artifacts", "before_script", "cache", "hooks", "id_tokens", "image", "interruptible", "retry", "services", "tags", "timeout")
)
_JOB_HINT_KEYS = ("script", "trigger", "extends", "stage", "run")
_NOT_DEPLOYING = frozenset(("stop", "access", "prepare", "verify"))
_DYNAMIC = re.compile(r"\$")


def _scalar(node) -> Scalar | None:
    return node if isinstance(node, Scalar) else None


def _text(node) -> str | None:
    """The text of a non-null scalar (``~``/``null`` give None)."""
    if isinstance(node, Scalar) and (node.style or node.value not in _NULLS):
        return node.value
    return None


_NULLS = frozenset(("", "~", "null", "Null", "NULL"))


def _named(node) -> Scalar | None:
    """A non-null, non-empty scalar."""
    return node if _text(node) else None


def _mapping(node) -> Mapping | None:
    return node if isinstance(node, Mapping) else None


def _is_reference(node) -> bool:
    return isinstance(node, Sequence) and node.tag == "!reference"


def _new_mapping(pairs: list, like: YNode) -> Mapping:
    """A mapping made by pipelint (an effective view) with ``like``'s position."""
    m = Mapping(None, None, like.start_mark, like.end_mark)
    m.pairs = pairs
    m._index = {(k.value if isinstance(k, Scalar) else repr(k)): i for i, (k, _v) in enumerate(pairs)}
    m.value = pairs
    return m


# ------------------------------------------------------------------ files


def load_included(abspath: str):
    """(text, config root) of an included file, or None when it cannot be read as YAML."""
    found = loaded.load(abspath, MAX_INCLUDE_BYTES)
    return None if found is None else (found.text, config_root(found.documents))


def config_root(documents: list[Document]) -> Mapping | None:
    """The configuration document: the one after a ``spec:`` header, if there is one."""
    roots = [d.root for d in documents if d.root is not None]
    if not roots:
        return None
    first = roots[0]
    if isinstance(first, Mapping) and list(first.keys()) == ["spec"] and len(roots) > 1:
        return _mapping(roots[1])
    return _mapping(first)


@functools.lru_cache(maxsize=4096)
def repository_root(abspath: str) -> str:
    """The nearest ancestor folder holding ``.gitlab-ci.yml`` or ``.git`` (else the file's)."""
    folder = os.path.dirname(abspath)
    probe = folder
    for _ in range(60):
        if os.path.exists(os.path.join(probe, ".gitlab-ci.yml")) or os.path.exists(os.path.join(probe, ".git")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    return folder


# ------------------------------------------------------------------ context


class _Context:
    """Per pipeline: the merged top level of the file and its local includes.

    The pipeline keeps the context (``extra["resolve_reference"]`` is its ``deref``), so
    the context refers back to the pipeline weakly (see backref)."""

    pipeline = Owner()

    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline
        self.file = pipeline.file
        self.root_dir = pipeline.repository_root
        #: top-level key -> [key node, value node, file] after include merging
        self.top: dict[str, list] = {}
        #: id(node) -> SourceFile of every top-level value and of the values of every
        #: effective view (deeper nodes belong to the file of the value holding them)
        self.node_files: dict[int, SourceFile] = {}
        self.files: dict[str, SourceFile] = {}
        self.resolved: list[str] = []  # display paths of included files read
        self.seen: set[str] = {os.path.normpath(pipeline.file.abspath)}
        self.includes = 0
        self._effective: dict[str, tuple] = {}
        self._keep: list = []

    # ---------------------------------------------------------- include merging
    def file_of(self, node, default: SourceFile) -> SourceFile:
        return self.node_files.get(id(node), default)

    def _note(self, node, file: SourceFile) -> None:
        self.node_files[id(node)] = file

    def add_file(self, root: Mapping, file: SourceFile, depth: int) -> None:
        """Merge ``root`` (its includes first) into :attr:`top`."""
        include = root.get("include")
        if include is not None and depth < 20:
            self._includes(include, file, depth)
        for text, key, value in root.items():
            if text == "include" or not isinstance(key, Scalar):
                continue
            self._note(value, file)
            known = self.top.get(text)
            if known is not None and isinstance(known[1], Mapping) and isinstance(value, Mapping):
                value = self.merge(known[1], value, known[2], file)
            self.top[text] = [key, value, file]

    def merge(self, base: Mapping, over: Mapping, base_file: SourceFile, over_file: SourceFile) -> Mapping:
        """Deep merge: ``over`` wins; mappings merged, anything else replaced."""
        pairs: dict[str, tuple] = {}
        for text, key, value in base.items():
            pairs[text] = (key, value)
            self._note(value, self.file_of(value, base_file))
        for text, key, value in over.items():
            prev = pairs.get(text)
            if text == "extends":  # never merged: the job's own wins
                prev = None
            if prev is not None and isinstance(prev[1], Mapping) and isinstance(value, Mapping) and not _is_reference(value):
                value = self.merge(prev[1], value, self.file_of(prev[1], base_file), self.file_of(value, over_file))
            self._note(value, self.file_of(value, over_file))
            pairs[text] = (key, value)
        merged = _new_mapping(list(pairs.values()), over)
        self._keep.append(merged)  # node_files is keyed by id(): views must outlive it
        return merged

    def _external(self, kind: str, raw: str, node, file: SourceFile, reason: str = "offline", **facts) -> None:
        self.pipeline.external.append({"kind": "include", "type": kind, "ref": raw, "node": node, "file": file.path, "reason": reason, **facts})

    def _includes(self, node, file: SourceFile, depth: int) -> None:
        items = list(node) if isinstance(node, Sequence) and not _is_reference(node) else [node]
        for item in items:
            if isinstance(item, Scalar):
                raw = item.value.strip()
                typed = item.typed()
                if typed is None:
                    continue
                if not isinstance(typed, str):
                    self._external("unknown", raw, item, file, "unrecognised include")
                elif raw.startswith(("http://", "https://")):
                    self._external("remote", raw, item, file)
                elif raw:
                    self._local(raw, item, file, depth)
            elif isinstance(item, Mapping):
                if "local" in item:
                    local = _scalar(item.get("local"))
                    if local is not None and local.value.strip():
                        self._local(local.value.strip(), local, file, depth)
                elif "project" in item:
                    files = item.get("file")
                    names = [f.value for f in files if isinstance(f, Scalar)] if isinstance(files, Sequence) else [_text(files) or ""]
                    for name in names:
                        self._external("project", f"{_text(item.get('project')) or ''}:{name}", item, file)
                elif "remote" in item:
                    self._external("remote", _text(item.get("remote")) or "", item, file)
                elif "template" in item:
                    self._external("template", _text(item.get("template")) or "", item, file)
                elif "component" in item:
                    self._external("component", _text(item.get("component")) or "", item, file)
                elif "file" in item:  # `- file: x.yml` without project: GitLab rejects; ignore
                    self._external("unknown", "", item, file, "unrecognised include")
            elif item is not None:
                self._external("unknown", "", item, file, "unrecognised include")

    def _local(self, raw: str, node, file: SourceFile, depth: int) -> None:
        if "$" in raw:
            self._external("local", raw, node, file, "dynamic")
            return
        rel = raw.lstrip("/")
        if any(c in rel for c in "*?["):
            pattern = os.path.join(self.root_dir, rel)
            matches = sorted(glob.glob(pattern, recursive=True))[:MAX_GLOB_MATCHES]
            matches = [m for m in matches if m.endswith((".yml", ".yaml")) and os.path.isfile(m)]
            if not matches:
                self._external("local", raw, node, file, "not found")
            for m in matches:
                self._read_local(m, raw, node, file, depth)
            return
        self._read_local(self._locate(rel), raw, node, file, depth)

    def _locate(self, rel: str) -> str:
        """``rel`` under the repository root; for a sub-project's pipeline in a monorepo
        (``gems/x/.gitlab-ci.yml`` run as a child pipeline of the root project) under the
        first ancestor where it exists, up to the folder holding ``.git``."""
        first = os.path.join(self.root_dir, rel)
        if os.path.isfile(first) or os.path.exists(os.path.join(self.root_dir, ".git")):
            return first
        probe = os.path.dirname(self.root_dir)
        for _ in range(30):
            candidate = os.path.join(probe, rel)
            if os.path.isfile(candidate):
                return candidate
            if os.path.exists(os.path.join(probe, ".git")):
                break
            parent = os.path.dirname(probe)
            if parent == probe:
                break
            probe = parent
        return first

    def _read_local(self, abspath: str, raw: str, node, file: SourceFile, depth: int) -> None:
        abspath = os.path.normpath(abspath)
        if abspath in self.seen:  # included twice or a cycle: GitLab reads it once
            return
        if self.includes >= MAX_INCLUDES:
            self._external("local", raw, node, file, "too many includes")
            return
        loaded = load_included(abspath)
        if loaded is None:
            if os.path.isfile(abspath):
                self._external("local", raw, node, file, "unreadable")
            else:
                self._external("local", raw, node, file, "not found", folder_exists=os.path.isdir(os.path.dirname(abspath)))
            return
        text, root = loaded
        self.seen.add(abspath)
        self.includes += 1
        main = self.file
        relpath = os.path.relpath(abspath, os.path.dirname(main.abspath))
        display = os.path.normpath(os.path.join(os.path.dirname(main.path), relpath)).replace(os.sep, "/")
        sf = SourceFile(display, abspath, text, main.kind)
        self.files[abspath] = sf
        self.resolved.append(display)
        if root is not None:
            self.add_file(root, sf, depth + 1)

    # ---------------------------------------------------------- extends
    def definition(self, name: str):
        entry = self.top.get(name)
        if entry is None or not isinstance(entry[1], Mapping):
            return None
        return entry

    def effective(self, name: str, stack: tuple = ()):
        """(view, origins, unresolved names) of a job or template with its ``extends``."""
        done = self._effective.get(name)
        if done is not None:
            return done
        entry = self.definition(name)
        if entry is None:
            return None
        key, body, file = entry
        parents = body.get("extends")
        names: list[str] = []
        if isinstance(parents, Scalar) and parents.value:
            names = [parents.value]
        elif isinstance(parents, Sequence):
            names = [p.value for p in parents if isinstance(p, Scalar) and p.value]
        if not names or len(stack) >= MAX_EXTENDS_DEPTH:
            result = (body, [], [])
            self._effective[name] = result
            return result
        merged = None
        merged_file = file
        origins: list = []
        unresolved: list[str] = []
        for parent in names:
            if parent == name or parent in stack:
                unresolved.append(parent)
                continue
            sub = self.effective(parent, stack + (name,))
            if sub is None:
                unresolved.append(parent)
                continue
            view, sub_origins, sub_unresolved = sub
            pfile = self.top[parent][2]
            merged = view if merged is None else self.merge(merged, view, merged_file, pfile)
            merged_file = pfile
            origins = [(pfile.path, self.top[parent][0])] + sub_origins + [o for o in origins if o not in sub_origins]
            unresolved += sub_unresolved
        view = body if merged is None else self.merge(merged, body, merged_file, file)
        result = (view, origins, unresolved)
        self._effective[name] = result
        return result

    # ---------------------------------------------------------- !reference
    def deref(self, node, file: SourceFile, depth: int = 0):
        """(node, file) that a ``!reference`` points at, or None."""
        if depth > MAX_REFERENCE_DEPTH:
            return None
        path = [item.value for item in node if isinstance(item, Scalar)]
        if len(path) != len(node) or not path:
            return None
        if path[0] in self.top and not isinstance(self.top[path[0]][1], Mapping):
            target, tfile = self.top[path[0]][1], self.top[path[0]][2]
        else:
            eff = self.effective(path[0])
            if eff is None:
                return None
            target, tfile = eff[0], self.top[path[0]][2]
        for key in path[1:]:
            if not isinstance(target, Mapping) or key not in target:
                return None
            target = target.get(key)
            tfile = self.file_of(target, tfile)
        if _is_reference(target):
            return self.deref(target, tfile, depth + 1)
        return target, tfile


# ------------------------------------------------------------------ pieces


def file_of(job: Job, node) -> SourceFile:
    """The file ``node`` (a value of ``job.node`` or below one) is written in."""
    return job.file_of(node)


def _lines(ctx: _Context, node, file: SourceFile, job: Job, out: list, depth: int = 0) -> None:
    """Script lines (scalar, file) of a section, nested arrays and references flattened."""
    if node is None or depth > MAX_REFERENCE_DEPTH:
        return
    file = ctx.file_of(node, file)
    if isinstance(node, Scalar):
        if node.value != "" or node.style:
            out.append((node, file))
        return
    if _is_reference(node):
        found = ctx.deref(node, file)
        if found is None:
            job.extra["unresolved_reference"] = True
            return
        _lines(ctx, found[0], found[1], job, out, depth + 1)
        return
    if isinstance(node, Sequence):
        for item in node:
            _lines(ctx, item, file, job, out, depth + 1)


def _expand_items(ctx: _Context, node, file: SourceFile, job: Job) -> list:
    """Items of a sequence (rules, needs) with ``!reference`` items spliced in: (item, file)."""
    out: list = []
    if _is_reference(node):
        found = ctx.deref(node, file)
        if found is None:
            job.extra["unresolved_reference"] = True
            return out
        node, file = found
    if not isinstance(node, Sequence):
        return out
    for item in node:
        if _is_reference(item):
            found = ctx.deref(item, file)
            if found is None:
                job.extra["unresolved_reference"] = True
                continue
            target, tfile = found
            if isinstance(target, Sequence):
                out.extend((t, tfile) for t in target)
            else:
                out.append((target, tfile))
        else:
            out.append((item, file))
    return out


def _resolve_sequence(ctx: _Context, node, file: SourceFile, job: Job):
    """A sequence with references spliced in (a new Sequence when anything changed)."""
    if node is None or (not _is_reference(node) and not (isinstance(node, Sequence) and any(_is_reference(i) for i in node))):
        return node
    items = _expand_items(ctx, node, file, job)
    for item, ifile in items:
        ctx.node_files[id(item)] = ifile
    return Sequence(None, [i for i, _f in items], node.start_mark, node.end_mark)


def _variables(ctx: _Context, node, file: SourceFile, job: Job | None) -> Mapping | None:
    if _is_reference(node):
        found = ctx.deref(node, file)
        if found is None:
            if job is not None:
                job.extra["unresolved_reference"] = True
            return None
        node, file = found
        if isinstance(node, Mapping):
            ctx._note(node, file)
    if not isinstance(node, Mapping):
        return None
    if not any(_is_reference(v) for _t, _k, v in node.items()):
        return node
    pairs = []
    for _text_, key, value in node.items():
        if _is_reference(value):
            found = ctx.deref(value, ctx.file_of(value, file))
            if found is None:
                if job is not None:
                    job.extra["unresolved_reference"] = True
            else:
                value = found[0]
                ctx._note(value, found[1])
        pairs.append((key, value))
    return _new_mapping(pairs, node)


def _environment(node, job: Job) -> Environment | None:
    if isinstance(node, Scalar):
        if _named(node) is None:
            return None
        return Environment(node.value, node, node, dynamic=bool(_DYNAMIC.search(node.value)))
    if isinstance(node, Mapping):
        action = _text(node.get("action"))
        if action in _NOT_DEPLOYING:
            job.extra["environment_action"] = action
        tier = _text(node.get("deployment_tier"))
        if tier:
            job.extra["environment_tier"] = tier
        name = _named(node.get("name"))
        url = _text(node.get("url"))
        if name is None:
            return Environment("", node, None, url=url, dynamic=True)
        return Environment(name.value, node, name, url=url, dynamic=bool(_DYNAMIC.search(name.value)))
    return None


def _needs(ctx: _Context, node, file: SourceFile, job: Job) -> None:
    if node is None:
        return
    job.needs_declared = True
    external = []
    for item, ifile in _expand_items(ctx, node, file, job):
        if isinstance(item, Scalar):
            if _named(item) is not None:
                job.needs.append(Needs(item.value, item))
        elif isinstance(item, Mapping):
            if "project" in item:
                external.append(item)
                ctx.pipeline.external.append(
                    {"kind": "needs", "type": "needs-project", "ref": _text(item.get("project")) or "", "node": item, "file": ifile.path, "reason": "offline"}
                )
                continue
            if "pipeline" in item:
                external.append(item)
                continue
            name = _named(item.get("job"))
            if name is not None:
                optional = item.get("optional")
                job.needs.append(Needs(name.value, name, optional=isinstance(optional, Scalar) and optional.typed() is True))
    if external:
        job.extra["needs_external"] = external


def _trigger(ctx: _Context, node, job: Job) -> None:
    job.extra["trigger"] = node
    if isinstance(node, Scalar):
        ctx.pipeline.external.append({"kind": "trigger", "type": "project", "ref": node.value, "node": node, "file": file_of(job, node).path, "reason": "offline"})
        return
    if not isinstance(node, Mapping):
        return
    if "project" in node:
        ctx.pipeline.external.append(
            {"kind": "trigger", "type": "project", "ref": _text(node.get("project")) or "", "node": node, "file": file_of(job, node).path, "reason": "offline"}
        )
    include = node.get("include")
    if include is None:
        return
    children = []
    items = list(include) if isinstance(include, Sequence) else [include]
    for item in items:
        if isinstance(item, Scalar) and item.value:
            children.append(item.value.lstrip("/"))
        elif isinstance(item, Mapping):
            local = _text(item.get("local"))
            if local:
                children.append(local.lstrip("/"))
    if children:
        job.extra["child_pipeline"] = children


def _inherit(body: Mapping, key: str):
    """``inherit: <key>:`` -> True (all), False, or a list of names."""
    inherit = _mapping(body.get("inherit"))
    if inherit is None or key not in inherit:
        return True
    value = inherit.get(key)
    if isinstance(value, Scalar):
        typed = value.typed()
        return typed if isinstance(typed, bool) else True
    if isinstance(value, Sequence):
        return [v.value for v in value if isinstance(v, Scalar)]
    return True


def _inherits(setting, name: str) -> bool:
    return setting is True or (isinstance(setting, list) and name in setting)


# ------------------------------------------------------------------ pipeline


def _stage_names(ctx: _Context) -> list[tuple[str, YNode | None]]:
    entry = ctx.top.get("stages") or ctx.top.get("types")
    if entry is None:
        return [(s, None) for s in DEFAULT_STAGES]
    out: list = []
    seen: set = set()

    def add(node, depth=0):
        if depth > 5:
            return
        if isinstance(node, Scalar):
            if node.value and node.value not in seen:
                seen.add(node.value)
                out.append((node.value, node))
        elif _is_reference(node):
            found = ctx.deref(node, entry[2])
            if found is not None:
                add(found[0], depth + 1)
        elif isinstance(node, Sequence):
            for item in node:
                add(item, depth + 1)

    add(entry[1])
    del add  # a recursive closure is a reference cycle: end it (see backref)
    return [(n, node) for n, node in out if n not in (".pre", ".post")]


def _build_job(ctx: _Context, name: str, pipeline: Pipeline, defaults: dict) -> Job | None:
    key, body, file = ctx.top[name]
    if not isinstance(body, Mapping):
        return None
    view, origins, unresolved = ctx.effective(name)
    job = Job(name, key, view, pipeline)
    job.key_source = file if file is not ctx.file else None
    job.source = file if file is not ctx.file else None
    job.node_files = ctx.node_files
    job.origins = list(origins)
    if file is not ctx.file:
        job.extra["included_from"] = file.path
        job.origins.append((file.path, key))
    extends = body.get("extends")
    if extends is not None:
        job.extra["extends"] = [p.value for p in (extends if isinstance(extends, Sequence) else [extends]) if isinstance(p, Scalar)]
    if unresolved:
        job.extra["unresolved_extends"] = unresolved

    def get(k):
        return view.get(k)

    def vfile(node):
        return ctx.file_of(node, file)

    inherit_default = _inherit(view, "default")
    inherit_variables = _inherit(view, "variables")
    if inherit_default is not True:
        job.extra["inherit_default"] = inherit_default
    if inherit_variables is not True:
        job.extra["inherit_variables"] = inherit_variables

    def with_default(k):
        node = get(k)
        if node is None and k in defaults and _inherits(inherit_default, k):
            return defaults[k]
        return node

    stage = _named(get("stage"))
    job.stage = stage.value if stage is not None else "test"
    job.name = name
    job.environment = _environment(get("environment"), job)
    when = _named(get("when"))
    if when is not None:
        job.when = when.value
        job.when_node = when
    start_in = get("start_in")
    if start_in is not None:
        job.extra["start_in"] = start_in
    rules = _resolve_sequence(ctx, get("rules"), vfile(get("rules")), job)
    if rules is not None:
        job.extra["rules"] = rules
        whens = set()
        for item in rules if isinstance(rules, Sequence) else []:
            if isinstance(item, Mapping):
                w = _text(item.get("when"))
                if w:
                    whens.add(w)
        job.extra["rules_when"] = whens
    for k in ("only", "except"):
        if get(k) is not None:
            job.extra[k] = get(k)
    allow = get("allow_failure")
    if allow is not None:
        job.extra["allow_failure_node"] = allow
    if isinstance(allow, Scalar) and isinstance(allow.typed(), bool):
        job.allow_failure = allow.typed()
    elif isinstance(allow, Mapping):
        job.extra["allow_failure_exit_codes"] = allow.get("exit_codes")
        job.allow_failure = False
    else:
        job.allow_failure = job.when == "manual" and rules is None
    _needs(ctx, get("needs"), vfile(get("needs")), job)
    job.serialised_by = get("resource_group")
    if get("trigger") is not None:
        _trigger(ctx, get("trigger"), job)
    job.timeout = with_default("timeout")
    job.runs_on = with_default("tags")
    image = with_default("image")
    if image is not None:
        job.extra["image"] = image
    services = with_default("services")
    if services is not None:
        job.extra["services"] = services
    job.env = _variables(ctx, get("variables"), vfile(get("variables")), job)
    steps: list[Step] = []
    for section in ("before_script", "script", "after_script"):
        node = with_default(section) if section != "script" else get(section)
        lines: list = []
        _lines(ctx, node, ctx.file_of(node, file), job, lines)
        for scalar, lfile in lines:
            step = Step(len(steps), scalar, lfile, job, name=section)
            step.script = Script(scalar.value, scalar, lfile, platform="gitlab")
            steps.append(step)
    job.steps = steps
    return job


def parse_with_context(file: SourceFile, document: Document, documents: list[Document] | None = None):
    """(pipeline, context) — the context holds what was read (``resolved`` includes)."""
    root = config_root(documents) if documents else _mapping(document.root)
    if root is None:
        return None, None
    pipeline = Pipeline("gitlab", file, document, root)
    pipeline.kind = "pipeline" if os.path.basename(file.path) in (".gitlab-ci.yml", ".gitlab-ci.yaml") else "fragment"
    pipeline.repository_root = repository_root(file.abspath)
    ctx = _Context(pipeline)
    ctx.add_file(root, file, 0)

    workflow = ctx.top.get("workflow")
    if workflow is not None:
        pipeline.triggers.append(Trigger("workflow", workflow[0], workflow[1]))
        pipeline.triggers_node = workflow[0]
        name = _scalar(workflow[1].get("name")) if isinstance(workflow[1], Mapping) else None
        if name is not None:
            pipeline.name, pipeline.name_node = name.value, name
    if "variables" in ctx.top:
        pipeline.env = _variables(ctx, ctx.top["variables"][1], ctx.top["variables"][2], None)

    defaults: dict = {}
    for k in ("image", "services", "cache", "before_script", "after_script"):  # deprecated globals
        if k in ctx.top:
            defaults[k] = ctx.top[k][1]
    default = ctx.top.get("default")
    if default is not None and isinstance(default[1], Mapping):
        for k, _key, v in default[1].items():
            if k in _DEFAULT_KEYS:
                defaults[k] = v
                ctx._note(v, ctx.file_of(v, default[2]))

    stages = [Stage(".pre", None)] + [Stage(n, node) for n, node in _stage_names(ctx)] + [Stage(".post", None)]
    by_name = {s.name: s for s in stages}
    extra_stages: list[Stage] = []
    for name, entry in ctx.top.items():
        if name in RESERVED or name.startswith("."):
            continue
        job = _build_job(ctx, name, pipeline, defaults)
        if job is None:
            continue
        pipeline.jobs[name] = job
        stage = by_name.get(job.stage)
        if stage is None:
            stage = Stage(job.stage, None)
            by_name[job.stage] = stage
            extra_stages.append(stage)
            job.extra["stage_undeclared"] = True
        stage.jobs.append(job)
    pipeline.stages = stages[:-1] + extra_stages + stages[-1:]
    pipeline.extra["definitions"] = ctx.top
    pipeline.extra["node_files"] = ctx.node_files
    pipeline.extra["resolve_reference"] = ctx.deref
    pipeline.included_files = ctx.files
    for job in pipeline.jobs.values():
        for rel in job.extra.get("child_pipeline") or ():
            if not any(c in rel for c in "*?[$"):
                child = os.path.normpath(os.path.join(pipeline.repository_root, rel))
                if child not in pipeline.child_files:
                    pipeline.child_files.append(child)
    return pipeline, ctx


def parse_pipeline(file: SourceFile, document: Document, documents: list[Document] | None = None) -> Pipeline | None:
    return parse_with_context(file, document, documents)[0]


# ------------------------------------------------------------------ classification

_GITLAB_TOP = ("stages", "include", "variables", "default", "workflow", "spec")


def confirm(root) -> str | None:
    """``"gitlab-ci"`` when the (first document's) root is a GitLab CI configuration."""
    if not isinstance(root, Mapping):
        return None
    if "on" in root and "jobs" in root:
        return None  # GitHub workflow
    if any(k in root for k in ("jobs", "steps", "trigger", "pr", "extends", "pool", "resources", "parameters")):
        # Azure shapes (GitLab's `trigger`/`extends` are job keys, never top-level)
        if not any(isinstance(v, Mapping) and any(h in v for h in _JOB_HINT_KEYS) for _t, _k, v in root.items()):
            return None
    stages = root.get("stages")
    if isinstance(stages, Sequence) and any(isinstance(i, Mapping) for i in stages):
        return None  # Azure `stages: - stage:`
    if any(k in root for k in _GITLAB_TOP):
        return "gitlab-ci"
    for _text_, _key, value in root.items():
        if isinstance(value, Mapping) and any(h in value for h in _JOB_HINT_KEYS):
            return "gitlab-ci"
    # a fragment of templates only (`.rules:`, `.cache:`...): hidden keys and nothing else
    if root.pairs and all(t.startswith(".") for t in root.keys()):
        return "gitlab-ci"
    return None
