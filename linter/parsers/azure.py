"""Azure Pipelines YAML -> the common model.

One :class:`Pipeline` (``platform="azure"``) per file, whatever its shape:

* ``stages: -> jobs: -> steps:``, only ``jobs:``, only ``steps:`` (one implicit job named
  ``Job``), or ``extends: template:``;
* local templates (``template: path.yml`` relative to the including file, ``/path.yml``
  relative to the repository root, ``path.yml@self``) are read from disk (cached per
  absolute path and modification time) and expanded in place: their stages, jobs and steps
  join the including pipeline. A template in another repository (``x.yml@repo``) or one that
  cannot be read is appended to ``pipeline.external``;
* template expressions are not evaluated: every ``${{ if }}`` / ``${{ elseif }}`` /
  ``${{ else }}`` / ``${{ each }}`` branch is kept, and what comes from one is marked
  ``job.extra["conditional"] = True``; ``parameters`` are recorded, never substituted.

Conventions (Azure facts that have no neutral model field yet):

* ``pipeline.jobs`` keys are ``"<stage>.<job>"`` for jobs in a stage and ``"<job>"``
  otherwise (Azure job names are unique only inside a stage); ``Job.id`` is the job name,
  ``Job.stage`` the stage name, ``Job.needs`` the job's ``dependsOn`` (names of jobs of the
  same stage). Jobs without ``dependsOn`` run in parallel: no implicit need.
* ``pipeline.kind``: ``"pipeline"`` or ``"template"`` (a file meant to be included).
* ``pipeline.triggers``: events named after the Azure keys: ``trigger`` (CI; implicit,
  with ``node=None``, when a pipeline has no ``trigger:`` key), ``pr``, ``schedules``,
  ``pipeline`` (``resources.pipelines[].trigger``), ``repository``
  (``resources.repositories[].trigger``). ``trigger: none`` / ``pr: none`` give no trigger.
* Task steps: ``Step.uses = ActionRef(raw, node, kind="task", repo=<task name>,
  ref=<major version>)``; other step kinds: ``kind="checkout"`` (``repo`` = ``self``,
  ``none`` or the repository alias), ``"download"``, ``"publish"``, ``"getPackage"``,
  and ``"template"`` for a step template that was not expanded (external or unreadable).
  ``Step.id`` is the step's ``name:`` (its reference name), ``Step.name`` its ``displayName``.
* ``job.origins``: (template path, the ``template:`` scalar that included it: a node of
  the *including* file), nearest first; step templates add theirs too.
* ``Job.environment`` of a deployment job: ``name`` is the ``environment:`` string as
  written (``env`` or ``env.resource``) or, for the mapping form, its ``name`` (the
  ``resourceName``/``resourceType`` stay in ``environment.node``).
* Job keys written under ``${{ if }}:`` keys of a job (``dependsOn``, ``pool``, ``steps``...)
  are read too (the first found).
* ``job.extra`` keys: ``stage_depends_on`` (list of (name, node); ``[]`` when none),
  ``stage_depends_on_implicit`` (True: the previous stage, Azure's default),
  ``stage_condition`` (Scalar), ``stage_node``, ``agentless`` (``pool: server``),
  ``variables`` (list of (scope, node): every ``variables:`` in scope, pipeline first),
  ``variable_groups`` (list of group names), ``step_hooks`` (index-aligned with
  ``job.steps``: the deployment hook each step runs in, ``"deploy"``,
  ``"on.failure"``..., or None), ``strategy_kind`` (``runOnce``/``rolling``/``canary``),
  ``conditional`` (came from a ``${{ }}`` branch). A job from a template has
  ``job.source`` (the template's SourceFile, see ``Job.node_file``); stages hold their
  ``depends_on``/``depends_on_implicit``/``condition`` too, and deployment steps their
  hook in ``step.extra["hook"]``.
  ``template`` (its path), ``template_parameters`` (the ``parameters:`` mappings of the
  template references that led to the job, nearest first; recorded, never substituted),
  ``from_parameters`` (the job was written in the
  ``parameters`` of a template reference, e.g. the stages handed to an ``extends``
  template), ``inserted`` (``- ${{ parameters.x }}`` items: contents unknown).
* A ``"not found"`` template entry of ``pipeline.external`` also carries
  ``"folder_exists"`` (a folder the file would be in exists on disk).
"""

from __future__ import annotations

import functools
import os
import re

from .. import loaded
from ..model import ActionRef, Environment, Job, Needs, Pipeline, Script, Stage, Step, Trigger
from ..source import SourceFile
from ..yamltree import Document, Mapping, Scalar, Sequence, YNode

#: Nesting of template references followed (Azure's own limit is 100 files and 20 levels).
MAX_TEMPLATE_DEPTH = 20
#: Template references expanded per pipeline (bounds fan-out: a template included many times).
MAX_TEMPLATE_EXPANSIONS = 400
MAX_TEMPLATE_BYTES = 2_000_000

_STEP_SHORTCUTS = {"script": "shell", "bash": "shell", "pwsh": "pwsh", "powershell": "pwsh"}
_STEP_KEYS = ("task", "checkout", "download", "publish", "getPackage", "template", "reviewApp", *_STEP_SHORTCUTS)
_HOOKS = ("preDeploy", "deploy", "routeTraffic", "postRouteTraffic")
_PIPELINE_ONLY_KEYS = ("trigger", "pr", "schedules", "pool", "name", "resources", "lockBehavior", "appendCommitMessageToRunName")
_TASK = re.compile(r"^\s*(?P<name>[^@\s]+)(?:@(?P<ref>\S*))?\s*$")


def _scalar(node: YNode | None) -> Scalar | None:
    return node if isinstance(node, Scalar) else None


def _text(node: YNode | None) -> str | None:
    return node.value if isinstance(node, Scalar) else None


def _mapping(node: YNode | None) -> Mapping | None:
    return node if isinstance(node, Mapping) else None


def _is_expr_key(text: str) -> bool:
    return text.lstrip().startswith("${{")


def lookup(mapping: Mapping | None, key: str) -> tuple[YNode | None, bool]:
    """``mapping[key]``, else the first ``key`` found under ``${{ if }}:`` keys.

    Returns (value, conditional)."""
    if mapping is None:
        return None, False
    if key in mapping:
        return mapping.get(key), False
    for text, _k, value in mapping.items():
        if _is_expr_key(text) and isinstance(value, Mapping):
            found, _ = lookup(value, key)
            if found is not None:
                return found, True
    return None, False


def has_key(mapping: Mapping | None, key: str) -> bool:
    return lookup(mapping, key)[0] is not None or (mapping is not None and key in mapping)


def flatten(node: YNode | None, conditional: bool = False):
    """Items of a stages/jobs/steps list with ``${{ }}`` branches opened: (item, conditional).

    Scalars (``- ${{ parameters.steps }}``) are yielded as they are."""
    if not isinstance(node, Sequence):
        return
    for item in node:
        if isinstance(item, Mapping) and item.pairs and all(_is_expr_key(t) for t, _k, _v in item.items()):
            for _t, _k, value in item.items():
                if isinstance(value, Sequence):
                    yield from flatten(value, True)
                elif isinstance(value, Mapping):
                    yield value, True
            continue
        yield item, conditional


# ------------------------------------------------------------------ templates


def load_template(abspath: str):
    """(text, root) of a template file, or None when it cannot be read as YAML."""
    found = loaded.load(abspath, MAX_TEMPLATE_BYTES)
    if found is None:
        return None
    return found.text, next((d.root for d in found.documents if d.root is not None), None)


@functools.lru_cache(maxsize=4096)
def _repository_root(abspath: str) -> str:
    folder = os.path.dirname(abspath)
    parts = folder.replace(os.sep, "/").split("/")
    # the folder above a well-known pipeline folder
    for marker in ("eng", ".azure-pipelines", ".azuredevops", ".pipelines", ".vsts-ci", ".ado", "azure-pipelines"):
        if marker in parts:
            i = parts.index(marker)
            return "/".join(parts[:i]) or "/"
    probe = folder
    for _ in range(40):
        if os.path.exists(os.path.join(probe, ".git")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    return folder


class _Context:
    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline
        self.expansions = 0

    def resolve(self, ref: Scalar, including: SourceFile):
        """The (SourceFile, root) of a local template, or None after recording why not."""
        raw = ref.value.strip()
        path, _, repo = raw.partition("@")
        path = path.replace("\\", "/")  # backslash separators work on Azure too
        if repo and repo != "self":
            self.pipeline.external.append({"kind": "template", "ref": raw, "repository": repo, "node": ref, "file": including.path})
            return None
        if not path or "$(" in path or "${{" in path or "$[" in path:
            self.pipeline.external.append({"kind": "template", "ref": raw, "reason": "dynamic", "node": ref, "file": including.path})
            return None
        if self.expansions >= MAX_TEMPLATE_EXPANSIONS:
            self.pipeline.external.append({"kind": "template", "ref": raw, "reason": "too many templates", "node": ref, "file": including.path})
            return None
        here = os.path.dirname(including.abspath)
        key = (here, path, self.pipeline.repository_root)
        known = _LOCATED.get(key)
        if known is not None:
            loaded = load_template(known)
            if loaded is not None:
                return self._found(known, loaded, including)
        if path.startswith("/"):
            candidates = []
            root = self.pipeline.repository_root
            if root:
                candidates.append(os.path.join(root, path.lstrip("/")))
            probe = os.path.dirname(including.abspath)
            for _ in range(40):  # repositories linted without their .git: any ancestor
                candidates.append(os.path.join(probe, path.lstrip("/")))
                parent = os.path.dirname(probe)
                if parent == probe:
                    break
                probe = parent
        else:
            candidates = [os.path.join(os.path.dirname(including.abspath), path)]
        for candidate in candidates:
            candidate = os.path.normpath(candidate)
            loaded = load_template(candidate)
            if loaded is None:
                continue
            if len(_LOCATED) > 20_000:
                _LOCATED.clear()
            _LOCATED[key] = candidate
            return self._found(candidate, loaded, including)
        folder_exists = any(os.path.isdir(os.path.dirname(os.path.normpath(c))) for c in candidates)
        self.pipeline.external.append({"kind": "template", "ref": raw, "reason": "not found", "node": ref, "file": including.path, "folder_exists": folder_exists})
        return None


    def _found(self, candidate: str, loaded, including: SourceFile):
        text, root = loaded
        display = _display_path(candidate, os.path.dirname(including.abspath), os.path.dirname(including.path))
        self.expansions += 1
        file = self.pipeline.included_files.get(candidate)
        if file is None:
            file = self.pipeline.included_files[candidate] = SourceFile(display, candidate, text)
        return file, root


#: (including folder, template path as written, repository root) -> the file it named
#: last time. Only successes are kept, and each use is checked (``load_template``
#: stats the file), so a template that moved is searched for again.
_LOCATED: dict[tuple, str] = {}


@functools.lru_cache(maxsize=8192)
def _display_path(candidate: str, here_abs: str, here_display: str) -> str:
    """The template's path as reported: relative to the including file's reported folder."""
    rel = os.path.relpath(candidate, here_abs)
    return os.path.normpath(os.path.join(here_display, rel)).replace(os.sep, "/")


# ------------------------------------------------------------------ pieces


def _triggers(root: Mapping, is_template: bool) -> list[Trigger]:
    out: list[Trigger] = []
    for key in ("trigger", "pr"):
        node = root.get(key)
        if key in root:
            if isinstance(node, Scalar) and node.value.strip().lower() == "none":
                continue
            out.append(Trigger(key, root.key_node(key), node))
        elif key == "trigger" and not is_template:
            out.append(Trigger("trigger", None, None))
    schedules = root.get("schedules")
    if isinstance(schedules, Sequence) and len(schedules):
        out.append(Trigger("schedules", root.key_node("schedules"), schedules))
    resources = _mapping(root.get("resources"))
    if resources is not None:
        for group, event in (("pipelines", "pipeline"), ("repositories", "repository")):
            for item, _c in flatten(resources.get(group)):
                if isinstance(item, Mapping) and "trigger" in item:
                    trig = item.get("trigger")
                    if isinstance(trig, Scalar) and trig.value.strip().lower() in ("none", "false"):
                        continue
                    out.append(Trigger(event, item.key_node("trigger"), item))
    return out


def _environment(node: YNode | None) -> Environment | None:
    def dynamic(text: str) -> bool:
        return "$(" in text or "${{" in text or "$[" in text

    if isinstance(node, Scalar):
        if not node.value.strip():
            return None
        return Environment(node.value, node, node, dynamic=dynamic(node.value))
    if isinstance(node, Mapping):
        name = _scalar(node.get("name"))
        if name is None or not name.value.strip():
            return Environment("", node, None, dynamic=True)
        return Environment(name.value, node, name, dynamic=dynamic(name.value))
    return None


def _depends_on(node: YNode | None) -> list[Needs]:
    if isinstance(node, Scalar):
        return [Needs(node.value, node)] if node.value.strip() else []
    out = []
    for item, _c in flatten(node):
        if isinstance(item, Scalar) and item.value.strip():
            out.append(Needs(item.value, item))
    return out


def _variables(node: YNode | None) -> list[str]:
    groups = []
    for item, _c in flatten(node):
        if isinstance(item, Mapping):
            g = _text(item.get("group"))
            if g:
                groups.append(g)
    return groups


def _input(inputs: Mapping | None, name: str) -> YNode | None:
    if inputs is None:
        return None
    lname = name.lower()
    for text, _k, value in inputs.items():
        if text.lower() == lname:
            return value
    return None


#: task name (lower case) -> (input holding inline code, language, a test that it is inline)
def _inline_script(task: str, inputs: Mapping | None):
    t = task.lower()
    target = (_text(_input(inputs, "targetType")) or "").strip().lower()
    if t == "cmdline":
        return _scalar(_input(inputs, "script")), "shell"
    if t == "bash" and target == "inline":
        return _scalar(_input(inputs, "script")), "shell"
    if t == "powershell" and target == "inline":
        return _scalar(_input(inputs, "script")), "pwsh"
    if t == "azurecli":
        kind = (_text(_input(inputs, "scriptLocation")) or "").strip().lower()
        if kind == "inlinescript":
            st = (_text(_input(inputs, "scriptType")) or "").strip().lower()
            return _scalar(_input(inputs, "inlineScript")), "pwsh" if st in ("ps", "pscore") else "shell"
    if t == "azurepowershell":
        st = (_text(_input(inputs, "ScriptType")) or "").strip().lower()
        if st == "inlinescript":
            return _scalar(_input(inputs, "Inline")), "pwsh"
    return None, None


class _JobSink:
    """Where steps go while they are collected (a job being built)."""

    def __init__(self, job: Job):
        self.job = job
        self.hooks: list = []


def _add_steps(ctx: _Context, node: YNode | None, file: SourceFile, sink: _JobSink, hook: str | None, depth: int, conditional: bool = False) -> None:
    job = sink.job
    for item, cond in flatten(node, conditional):
        if isinstance(item, Scalar):
            if "${{" in item.value:
                job.extra.setdefault("inserted", []).append(item)
            continue
        if not isinstance(item, Mapping):
            continue
        if cond:
            job.extra["conditional"] = True
        template = _scalar(item.get("template"))
        if template is not None and depth < MAX_TEMPLATE_DEPTH:
            loaded = ctx.resolve(template, file)
            if loaded is not None:
                tfile, troot = loaded
                job.origins.append((tfile.path, template))
                if isinstance(troot, Mapping):
                    _add_steps(ctx, troot.get("steps"), tfile, sink, hook, depth + 1, cond)
                continue
        step = Step(len(job.steps), item, file, job)
        step.id = _text(item.get("name"))
        step.name = _text(item.get("displayName"))
        for key, language in _STEP_SHORTCUTS.items():
            code = item.get(key)
            if isinstance(code, Scalar):
                step.script = Script(code.value, code, file, key, language, "azure")
                break
        task = _scalar(item.get("task"))
        if task is not None:
            m = _TASK.match(task.value)
            name, ref = (m["name"], m["ref"]) if m else (task.value.strip(), None)
            step.uses = ActionRef(task.value.strip(), task, "task", repo=name, ref=ref)
            step.inputs = _mapping(item.get("inputs"))
            code, language = _inline_script(name.rsplit(".", 1)[-1], step.inputs)
            if code is not None:
                step.script = Script(code.value, code, file, name, language, "azure")
        else:
            for key in ("checkout", "download", "publish", "getPackage", "template", "reviewApp"):
                value = _scalar(item.get(key))
                if value is not None:
                    step.uses = ActionRef(value.value.strip(), value, key, repo=value.value.strip())
                    break
        step.env = _mapping(item.get("env"))
        step.condition = _scalar(item.get("condition"))
        step.continue_on_error = item.get("continueOnError")
        job.steps.append(step)
        sink.hooks.append(hook)


def _strategy_steps(ctx: _Context, strategy: Mapping, file: SourceFile, sink: _JobSink, depth: int) -> None:
    for kind_text, _k, body in strategy.items():
        if _is_expr_key(kind_text) and isinstance(body, Mapping):
            sink.job.extra["conditional"] = True
            _strategy_steps(ctx, body, file, sink, depth)
            continue
        if kind_text not in ("runOnce", "rolling", "canary") or not isinstance(body, Mapping):
            continue
        sink.job.extra["strategy_kind"] = kind_text
        for hook in _HOOKS:
            hook_body = _mapping(body.get(hook))
            if hook_body is not None:
                _add_steps(ctx, hook_body.get("steps"), file, sink, hook, depth)
        on = _mapping(body.get("on"))
        if on is not None:
            for outcome in ("failure", "success"):
                hook_body = _mapping(on.get(outcome))
                if hook_body is not None:
                    _add_steps(ctx, hook_body.get("steps"), file, sink, f"on.{outcome}", depth)


class _Scope:
    """What a job inherits: stage name, pool, variables, lock, template origin."""

    def __init__(self, stage: Stage | None = None, pool=None, lock=None, variables=(), groups=(), origins=(), extra=None):
        self.stage = stage
        self.pool = pool
        self.lock = lock
        self.variables = list(variables)
        self.groups = list(groups)
        self.origins = list(origins)
        self.extra = dict(extra or {})

    def child(self, **kw) -> _Scope:
        s = _Scope(self.stage, self.pool, self.lock, self.variables, self.groups, self.origins, self.extra)
        for k, v in kw.items():
            setattr(s, k, v)
        return s


def _unique_key(pipeline: Pipeline, key: str) -> str:
    if key not in pipeline.jobs:
        return key
    n = 2
    while f"{key}#{n}" in pipeline.jobs:
        n += 1
    return f"{key}#{n}"


def _build_job(ctx: _Context, item: Mapping, file: SourceFile, scope: _Scope, conditional: bool, depth: int, implicit_key: Scalar | None = None) -> Job:
    pipeline = ctx.pipeline
    deployment = "deployment" in item
    id_key = "deployment" if deployment else "phase" if "phase" in item and "job" not in item else "job"
    id_node = item.get(id_key)
    key_node = _scalar(id_node) or item.key_node(id_key) or implicit_key
    job_id = (_text(id_node) or "").strip() or "Job"
    stage = scope.stage
    in_template = file is not pipeline.file
    if in_template:  # Job.file is the pipeline's: point job-level findings at the reference
        key_node = scope.extra.get("reference") or key_node
    job = Job(job_id, key_node, item, pipeline)
    job.stage = stage.name if stage else None
    job.deployment_job = deployment
    job.name = _text(item.get("displayName"))

    def get(key: str):  # a job key, also when written under a `${{ if }}:` key
        return lookup(item, key)[0]

    job.origins = list(scope.origins)
    job.extra.update({k: v for k, v in scope.extra.items() if k != "reference"})
    if in_template:
        job.source = file
    if conditional:
        job.extra["conditional"] = True
    deps = get("dependsOn")
    job.needs = _depends_on(deps)
    job.needs_declared = deps is not None or "dependsOn" in item
    job.condition = _scalar(get("condition"))
    if job.condition is not None:
        c = job.condition.value.strip().replace(" ", "")
        job.when = {"always()": "always", "failed()": "on_failure", "succeeded()": "on_success"}.get(c)
        job.when_node = job.condition if job.when else None
    job.timeout = get("timeoutInMinutes")
    job.strategy = get("strategy")
    pool = get("pool")
    if pool is None:
        pool = get("queue")  # the pre-2019 name of pool
    job.runs_on = pool if pool is not None else scope.pool
    if isinstance(job.runs_on, Scalar) and job.runs_on.value.strip().lower() == "server":
        job.extra["agentless"] = True
    job.serialised_by = get("lockBehavior") or scope.lock
    variables = get("variables")
    job.env = _mapping(variables) or None
    job.extra["variables"] = scope.variables + ([("job", variables)] if variables is not None else [])
    job.extra["variable_groups"] = scope.groups + _variables(variables)
    if deployment:
        job.environment = _environment(get("environment"))
    sink = _JobSink(job)
    strategy = _mapping(job.strategy)
    if deployment and strategy is not None:
        _strategy_steps(ctx, strategy, file, sink, depth)
    steps, steps_conditional = lookup(item, "steps")
    _add_steps(ctx, steps, file, sink, None, depth, steps_conditional)
    if deployment:
        job.extra["step_hooks"] = sink.hooks
        for step, hook in zip(job.steps, sink.hooks):
            step.extra["hook"] = hook
    key = f"{job.stage}.{job_id}" if job.stage else job_id
    pipeline.jobs[_unique_key(pipeline, key)] = job
    if stage is not None:
        stage.jobs.append(job)
    return job


def _template_scope(scope: _Scope, ref: Scalar, tfile: SourceFile, item: Mapping, conditional: bool) -> _Scope:
    child = scope.child(origins=[(tfile.path, ref)] + scope.origins)
    if "reference" not in child.extra:
        child.extra["reference"] = ref
    child.extra["template"] = child.extra.get("template") or tfile.path
    params = _mapping(item.get("parameters"))
    if params is not None:  # nearest first; a new list: siblings must not share it
        child.extra["template_parameters"] = [params, *child.extra.get("template_parameters", [])]
    if conditional:
        child.extra["conditional"] = True
    return child


def _is_shaped(item: YNode, keys: tuple[str, ...]) -> bool:
    return isinstance(item, Mapping) and any(k in item for k in keys)


def _parameter_lists(ctx: _Context, item: Mapping, file: SourceFile, scope: _Scope, depth: int, level: str) -> None:
    """Stages/jobs written in a template reference's ``parameters`` (``extends`` mostly)."""
    params = _mapping(item.get("parameters"))
    if params is None:
        return
    for name, _k, value in params.items():
        if not isinstance(value, Sequence):
            continue
        items = [i for i, _c in flatten(value)]
        child = scope.child()
        child.extra = dict(scope.extra, from_parameters=name)
        lname = name.lower()
        stage_keys = ("stage", "template") if lname == "stages" else ("stage",)
        job_keys = ("job", "deployment", "template") if lname == "jobs" else ("job", "deployment")
        if level == "stages" and any(_is_shaped(i, stage_keys) for i in items):
            _add_stages(ctx, value, file, child, depth + 1)
        elif level in ("stages", "jobs") and any(_is_shaped(i, job_keys) for i in items):
            _add_jobs(ctx, value, file, child, depth + 1)


def _add_jobs(ctx: _Context, node: YNode | None, file: SourceFile, scope: _Scope, depth: int, conditional: bool = False) -> None:
    for item, cond in flatten(node, conditional):
        if isinstance(item, Scalar):
            if "${{" in item.value:  # `- ${{ parameters.jobs }}`: jobs pipelint cannot see
                ctx.pipeline.external.append({"kind": "parameter-insertion", "ref": item.value, "node": item, "file": file.path})
            continue
        if not isinstance(item, Mapping):
            continue
        template = _scalar(item.get("template"))
        if template is not None and not any(k in item for k in ("job", "deployment", "phase")):
            _parameter_lists(ctx, item, file, scope, depth, "jobs")
            if depth >= MAX_TEMPLATE_DEPTH:
                continue
            loaded = ctx.resolve(template, file)
            if loaded is None:
                continue
            tfile, troot = loaded
            if isinstance(troot, Mapping):
                _add_jobs(ctx, troot.get("jobs"), tfile, _template_scope(scope, template, tfile, item, cond), depth + 1, cond)
            continue
        if "job" in item or "deployment" in item or "phase" in item:
            _build_job(ctx, item, file, scope, cond, depth)


def _stage_variables(scope: _Scope, node: YNode | None, level: str) -> _Scope:
    if node is None:
        return scope
    return scope.child(variables=scope.variables + [(level, node)], groups=scope.groups + _variables(node))


def _add_stages(ctx: _Context, node: YNode | None, file: SourceFile, scope: _Scope, depth: int, conditional: bool = False) -> None:
    pipeline = ctx.pipeline
    for item, cond in flatten(node, conditional):
        if not isinstance(item, Mapping):
            continue
        template = _scalar(item.get("template"))
        if template is not None and "stage" not in item:
            _parameter_lists(ctx, item, file, scope, depth, "stages")
            if depth >= MAX_TEMPLATE_DEPTH:
                continue
            loaded = ctx.resolve(template, file)
            if loaded is None:
                continue
            tfile, troot = loaded
            if isinstance(troot, Mapping):
                _add_stages(ctx, troot.get("stages"), tfile, _template_scope(scope, template, tfile, item, cond), depth + 1, cond)
            continue
        if "stage" not in item:
            continue
        name_node = item.get("stage")
        name = (_text(name_node) or "").strip() or f"Stage{len(pipeline.stages) + 1}"
        previous = pipeline.stages[-1].name if pipeline.stages else None
        stage = Stage(name, item)
        pipeline.stages.append(stage)
        extra = dict(scope.extra)
        extra["stage_node"] = item
        if "dependsOn" in item:
            extra["stage_depends_on"] = [(n.job_id, n.node) for n in _depends_on(item.get("dependsOn"))]
            extra["stage_depends_on_implicit"] = False
        else:
            extra["stage_depends_on"] = [(previous, None)] if previous else []
            extra["stage_depends_on_implicit"] = bool(previous)
        condition = _scalar(item.get("condition"))
        if condition is not None:
            extra["stage_condition"] = condition
        if cond:
            extra["conditional"] = True
        stage.depends_on = list(extra["stage_depends_on"])
        stage.depends_on_implicit = extra["stage_depends_on_implicit"]
        stage.condition = condition
        if file is not pipeline.file:
            stage.extra["file"] = file
        child = _stage_variables(scope, item.get("variables"), "stage").child(
            stage=stage,
            pool=item.get("pool") if item.get("pool") is not None else scope.pool,
            lock=item.get("lockBehavior") or scope.lock,
            extra=extra,
        )
        _add_jobs(ctx, item.get("jobs"), file, child, depth)


def _add_body(ctx: _Context, root: Mapping, file: SourceFile, scope: _Scope, depth: int) -> None:
    """The stages, jobs or steps of a pipeline or ``extends`` template root."""
    stages, c1 = lookup(root, "stages")
    jobs, c2 = lookup(root, "jobs")
    if jobs is None:
        jobs, c2 = lookup(root, "phases")  # the pre-2019 name of jobs
    steps, c3 = lookup(root, "steps")
    if stages is not None:
        _add_stages(ctx, stages, file, scope, depth, c1)
    if jobs is not None:
        _add_jobs(ctx, jobs, file, scope, depth, c2)
    if steps is not None and (stages is None and jobs is None):
        item = root
        key = root.key_node("steps")
        job = _build_job(ctx, _ImplicitJob(root), file, scope, c3, depth, implicit_key=key)
        job.node = item
    extends, _c = lookup(root, "extends")
    for body, conditional in _branches(extends):
        scope_b = scope.child(extra=dict(scope.extra, conditional=True)) if conditional else scope
        _parameter_lists(ctx, body, file, scope_b, depth, "stages")
        template = _scalar(body.get("template"))
        if template is None or depth >= MAX_TEMPLATE_DEPTH:
            continue
        loaded = ctx.resolve(template, file)
        if loaded is None:
            continue
        tfile, troot = loaded
        if isinstance(troot, Mapping):
            child = _template_scope(scope_b, template, tfile, body, conditional)
            child = _stage_variables(child, troot.get("variables"), "template")
            _add_body(ctx, troot, tfile, child, depth + 1)


def _branches(node: YNode | None, conditional: bool = False):
    """A mapping and each mapping under its ``${{ if }}``/``${{ else }}`` keys: (mapping, conditional)."""
    if not isinstance(node, Mapping):
        return
    yield node, conditional
    for text, _k, value in node.items():
        if _is_expr_key(text):
            yield from _branches(value, True)


class _ImplicitJob(Mapping):
    """A pipeline root read as its own single job (a steps-only pipeline): ``job:``,
    ``deployment:`` and ``variables`` (already in scope) are hidden."""

    __slots__ = ()

    def __init__(self, root: Mapping):
        super().__init__(root.tag, [p for p in root.pairs if _key(p) not in ("job", "deployment", "variables", "pool", "lockBehavior")], root.start_mark, root.end_mark)
        self._index = {_key(p): i for i, p in enumerate(self.pairs)}


def _key(pair) -> str:
    return pair[0].value if isinstance(pair[0], Scalar) else ""


def is_template(root: Mapping, path: str) -> bool:
    if any(k in root for k in _PIPELINE_ONLY_KEYS):
        return False
    params = root.get("parameters")
    if isinstance(params, Mapping):  # the old parameter syntax exists only in templates
        return True
    if "extends" in root:
        return False
    if not any(k in root for k in ("stages", "jobs", "steps")):
        return True  # variables / parameters only
    lower = path.lower()
    return "template" in lower or "/common/" in lower or "/steps/" in lower or "/jobs/" in lower or "/stages/" in lower


def parse_pipeline(file: SourceFile, document: Document, included: bool = False) -> Pipeline | None:
    """The pipeline of ``document``; ``included``: the file was read because a pipeline
    uses it as a template (so it is one, whatever its path and shape say)."""
    root = document.root
    if not isinstance(root, Mapping):
        return None
    pipeline = Pipeline("azure", file, document, root)
    pipeline.repository_root = _repository_root(file.abspath)
    pipeline.kind = "template" if included or is_template(root, file.path.replace(os.sep, "/")) else "pipeline"
    pipeline.triggers_node = root.get("trigger")
    pipeline.triggers = _triggers(root, pipeline.kind == "template")
    variables = root.get("variables")
    pipeline.env = _mapping(variables)
    ctx = _Context(pipeline)
    scope = _Scope(pool=root.get("pool"), lock=root.get("lockBehavior"))
    scope = _stage_variables(scope, variables, "pipeline")
    _add_body(ctx, root, file, scope, 0)
    return pipeline


# ------------------------------------------------------------------ classification

_AZURE_ROOT_KEYS = ("trigger", "pr", "stages", "jobs", "phases", "steps", "extends", "pool", "resources", "variables", "parameters", "schedules")
_GITLAB_ROOT_KEYS = ("include", "workflow", "before_script", "after_script", "image", "services", "default", "cache")


def _shaped(node: YNode | None, keys: tuple[str, ...]) -> bool:
    """A sequence with at least one item of the Azure shape (or a ``${{ }}`` branch)."""
    if not isinstance(node, Sequence):
        return False
    for item in node:
        if isinstance(item, Mapping):
            if any(k in item for k in keys):
                return True
            if item.pairs and all(_is_expr_key(t) for t, _k, _v in item.items()):
                return True
        elif isinstance(item, Scalar) and "${{" in item.value:
            return True
    return False


_STAGE_KEYS = ("stage", "template")
_JOB_KEYS = ("job", "deployment", "phase", "template")


def confirm(root, strict: bool = False) -> str | None:
    """``"azure-pipelines"`` when the root is an Azure Pipelines file (or template).

    ``strict`` (weak paths like ``build/``): the file must show an Azure structure
    (stages/jobs/steps/extends of Azure shape, or ``trigger``/``pr``), not just
    ``variables:``."""
    if not isinstance(root, Mapping):
        return None
    if "on" in root and isinstance(root.get("jobs"), Mapping):
        return None  # GitHub workflow
    if any(k in root for k in _GITLAB_ROOT_KEYS):
        return None
    if not any(has_key(root, k) for k in _AZURE_ROOT_KEYS):
        return None
    stages, _ = lookup(root, "stages")
    jobs, _ = lookup(root, "jobs")
    if jobs is None:
        jobs, _ = lookup(root, "phases")
    steps, _ = lookup(root, "steps")
    extends, _ = lookup(root, "extends")
    if stages is not None and not _shaped(stages, _STAGE_KEYS):
        return None  # GitLab `stages: [build, test]`
    if jobs is not None and not _shaped(jobs, _JOB_KEYS):
        return None
    if steps is not None and not _shaped(steps, _STEP_KEYS):
        return None
    if extends is not None:
        return "azure-pipelines" if any("template" in b for b, _c in _branches(extends)) else None
    if stages is not None or jobs is not None or steps is not None:
        return "azure-pipelines"
    # no body: a pipeline header with triggers, or a variables/parameters template
    unknown = [k for k in root.keys() if k not in _AZURE_ROOT_KEYS and k not in _PIPELINE_ONLY_KEYS and not _is_expr_key(k)]
    if unknown:
        return None
    if "trigger" in root or "pr" in root:
        return "azure-pipelines"
    if strict and "variables" not in root:
        return None
    if "variables" in root or "parameters" in root:
        return "azure-pipelines"
    return None


def confirm_strict(root) -> str | None:
    return confirm(root, strict=True)


_SNIFF_ROOT = re.compile(r"^(trigger|pr|stages|jobs|steps|extends|variables|parameters|pool|resources)\s*:", re.M)
#: GitHub (``on:``), GitLab (root ``include``/``workflow``/``image``..., ``stage:`` as a job key)
_SNIFF_OTHER = re.compile(r"^(on|include|workflow|before_script|after_script|image|default|services)\s*:", re.M)
_SNIFF_GITLAB_JOB = (re.compile(r"^  stage\s*:", re.M), re.compile(r"^  script\s*:", re.M))
_SNIFF_ITEM = re.compile(r"^\s*-\s*(task|script|bash|pwsh|powershell|checkout|template|stage|job|deployment|download|publish|group)\s*:", re.M)


def sniff(path: str, head: str) -> bool:
    """Cheap text test for weak paths (``build/``, ``ci/``...): an Azure-looking file.

    ``head`` is the start of the file's text. Run before parsing so that other YAML there
    (and invalid YAML) is not read as Azure."""
    if _SNIFF_OTHER.search(head) or all(p.search(head) for p in _SNIFF_GITLAB_JOB):
        return False
    if not _SNIFF_ROOT.search(head):
        return False
    if _SNIFF_ITEM.search(head) or re.search(r"^(trigger|pr|extends)\s*:", head, re.M):
        return True
    # a variables template: `variables:` in list form (`- name:` + `value:`), or any
    # `variables:` root in a folder or file named for templates or variables
    if re.search(r"^variables\s*:", head, re.M):
        if re.search(r"^\s*- name\s*:", head, re.M) and re.search(r"^\s+value\s*:", head, re.M):
            return True
        lower = path.lower()
        return "templat" in lower or "variables" in lower
    return False
