"""PL003 unresolved-reference.

GitLab references (read from the model: ``pipeline.extra["definitions"]``,
``["resolve_reference"]``, ``pipeline.included_files`` and ``pipeline.external``):
- ``include: local`` (or the string form) naming a file that does not exist, when the
  folder it would be in exists (a partial checkout proves nothing) and it is no glob;
  reported in the file where the include is written;
- ``extends:`` naming no job or template, ``!reference`` whose job/template or key does
  not exist, ``needs:`` naming no job (``optional: true`` excepted). Checked only in the
  context of a whole pipeline — ``.gitlab-ci.yml`` or a child pipeline (``trigger:
  include:``) — after its local includes are merged, and withheld when any include cannot
  be read locally (project/remote/template/component, dynamic or missing files): the name
  may be defined there. A fragment nobody includes is not checked for these (the names
  it uses usually live in the pipeline that includes it). A reference written in an
  included file is reported once, in that file, by the first pipeline (by path) that
  includes it.

Azure references:
- ``template:`` naming a local file that does not exist (``x.yml@repo`` is another
  repository: unknown, not a finding), when its folder exists; reported in the file where
  the reference is written (templates are linted on their own);
- stage ``dependsOn:`` naming no stage, job ``dependsOn:`` naming no job of its stage,
  checked in pipelines (not templates: their neighbours are unknown) and withheld when a
  template could not be expanded or jobs/stages are inserted from parameters, or when
  names in scope contain expressions. Spots inside templates are reported once.

GitHub references checked here:
- ``needs:`` naming a job that the workflow does not define (job ids compare without
  regard to case, as on GitHub);
- a local ``uses: ./path`` — a step's action or a job's reusable workflow — whose target
  does not exist in the repository (the model's ``ActionRef.exists``). Not reported:
  paths with expressions, paths that leave the repository (``./../action``: another
  checkout), and paths an earlier step of the job may have filled at run time: the
  ``path:`` of any action (checkouts, downloads, custom checkout actions), the whole
  workspace after a checkout of another ``repository:`` or with ``submodules:``, and
  folders an earlier script mentions (``git clone ... tools``). Composite actions resolve
  ``./`` against the caller's workspace, so only actions kept under ``.github/`` (the
  repository's own helpers) referring to ``./.github/...`` are checked;
- ``on.workflow_run.workflows`` naming no workflow of the repository, by ``name:`` or
  path, with GitHub's filter-pattern syntax (``*``, ``**``, ``?``, ``+``, ``[...]``, ``\\``
  escapes such as ``C/C\\+\\+``) — reported only when other workflows of the same
  repository were read in this run (a partial scan, such as a pre-commit run on one file,
  proves nothing) and every workflow file of that repository could be parsed.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import weakref

from pipelint.diagnostics import Severity, fit as _fit
from pipelint.graph import workflow_run_sources
from pipelint.parsers.github import repository_root_for
from pipelint.rule import Rule
from pipelint.yamltree import Mapping, Scalar, Sequence


class UnresolvedReference(Rule):
    """## What it does
    Reports a local reference that points at nothing: a `needs:` naming a job the
    workflow does not define, a `uses: ./path` whose action or reusable workflow does not
    exist in the repository, and an `on.workflow_run.workflows` entry naming no workflow
    of the repository; on GitLab an `include: local` file that does not exist, an
    `extends:` or `!reference` naming no job/template/key and a `needs:` naming no job;
    on Azure a local `template:` file that does not exist and a `dependsOn:` naming no
    stage or job. Names that may come from an unreadable include or template are not
    reported. The message suggests the closest existing name.

    ## Why is this bad?
    GitHub rejects a workflow whose `needs:` or reusable-workflow path is wrong, and a
    step with a missing local action fails when the job reaches it — often only on the
    branch that deploys. A `workflow_run` trigger that names no workflow never fires, so
    whatever it was meant to run after a build (a deploy, a report) silently stops
    happening.

    ## Example
    ```yaml
    on:
      workflow_run:
        workflows: [Biuld]
        types: [completed]
    jobs:
      deploy:
        needs: biuld
        runs-on: ubuntu-latest
        steps:
          - uses: ./.github/actions/deploi
    ```

    ## Use instead
    ```yaml
    on:
      workflow_run:
        workflows: [Build]
        types: [completed]
    jobs:
      deploy:
        needs: build
        runs-on: ubuntu-latest
        steps:
          - uses: ./.github/actions/deploy
    ```
    """

    code = "PL003"
    name = "unresolved-reference"
    severity = Severity.ERROR
    platforms = ("github", "gitlab", "azure")
    tags = ("correctness",)
    precision = "high"

    def check(self, ctx):
        parsed = ctx.file
        if parsed.pipeline is not None and parsed.pipeline.platform == "github":
            yield from self._workflow(ctx, parsed.pipeline)
        elif parsed.pipeline is not None and parsed.pipeline.platform in ("gitlab", "azure"):
            for span, message, path in _spots_for(ctx.project, parsed.pipeline):
                yield self.diagnostic(span, message, logical_path=path)
        elif parsed.action is not None:
            yield from self._action(ctx, parsed.action)

    # ----------------------------------------------------------------- workflows
    def _workflow(self, ctx, pipeline):
        file = pipeline.file
        ids = {job_id.lower(): job_id for job_id in pipeline.jobs}
        for job in pipeline.jobs.values():
            scalar_needs = isinstance(job.node, Mapping) and isinstance(job.node.get("needs"), Scalar)
            for i, need in enumerate(job.needs):
                wanted = need.job_id.strip()
                if not wanted or "${{" in wanted or wanted.lower() in ids:
                    continue
                guess = _closest(wanted, list(pipeline.jobs))
                hint = f"; did you mean '{guess}'?" if guess else "; name the id of a job in this workflow."
                message = _fit(
                    f"{job.label} needs '{wanted}', but no job in this workflow has that id, so GitHub rejects the workflow{hint}",
                    f"{job.label} needs '{wanted}', which is not a job in this workflow{hint}",
                )
                path = f"jobs.{job.id}.needs" + ("" if scalar_needs else f"[{i}]")
                yield self.diagnostic(file.node_span(need.node), message, logical_path=path)

            ref = job.uses
            if ref is not None and _missing(ref):
                guess = _closest_path(ref.raw, _local_workflows(ctx.project, pipeline))
                hint = f"; did you mean '{guess}'?" if guess else "; fix the path, relative to the repository root."
                message = _fit(
                    f"{job.label} calls '{ref.raw}', which does not exist in this repository, so GitHub rejects the workflow{hint}",
                    f"{job.label} calls missing reusable workflow '{ref.raw}'{hint}",
                )
                yield self.diagnostic(file.node_span(ref.node), message, logical_path=f"jobs.{job.id}.uses")

            filled = _Filled()
            for step in job.steps:
                ref = step.uses
                if ref is not None and ref.kind == "local" and _missing(ref) and not filled.covers(ref):
                    yield self._missing_action(ctx, pipeline.file, step, ref, f"jobs.{job.id}.steps[{step.index}].uses")
                filled.note(step)

        yield from self._workflow_run(ctx, pipeline)

    def _workflow_run(self, ctx, pipeline):
        trigger = pipeline.trigger("workflow_run")
        if trigger is None:
            return
        if ctx.file.explicit:  # only some files were named (pre-commit): siblings unknown
            return
        root = pipeline.repository_root
        siblings = [p for p in ctx.project.pipelines_in_repository(root) if p is not pipeline]
        if not siblings or _unreadable_workflows(ctx.project, root):
            return
        names = trigger.config.get("workflows") if isinstance(trigger.config, Mapping) else None
        scalar = isinstance(names, Scalar)
        items = [names] if scalar else list(names) if isinstance(names, Sequence) else []
        index = {id(node): i for i, node in enumerate(items)}
        known = []
        by_stem: dict[str, str] = {}
        for p in siblings + [pipeline]:
            true_name = p.name.strip() if p.name else (_relative(p.file.abspath, root) or p.file.path)
            known.append(true_name)
            by_stem[os.path.splitext(os.path.basename(p.file.path))[0].lower()] = true_name
        lowered = {k.lower() for k in known}
        for wanted, node, matches in workflow_run_sources(pipeline, ctx.project):
            if matches or not wanted or wanted.lower() in lowered:
                continue
            guess = by_stem.get(wanted.lower()) or _closest(wanted, known)
            hint = f"; did you mean '{guess}'?" if guess else "; use the `name:` of a workflow in this repository."
            message = _fit(
                f"`workflow_run` listens for workflow '{wanted}', but no workflow in this repository has that name, so this workflow never runs{hint}",
                f"`workflow_run` names workflow '{wanted}', which does not exist here, so this never runs{hint}",
            )
            path = "on.workflow_run.workflows" + ("" if scalar else f"[{index.get(id(node), 0)}]")
            yield self.diagnostic(pipeline.file.node_span(node), message, logical_path=path)

    # ------------------------------------------------------------------- actions
    def _action(self, ctx, action):
        # ``./`` in a composite action is the caller's workspace: only the repository's
        # own helper actions (kept under .github/), referring to other helpers under
        # .github/, can be resolved against this repository.
        if "/.github/" not in "/" + action.file.path.replace(os.sep, "/"):
            return
        filled = _Filled()
        for step in action.steps:
            ref = step.uses
            if ref is None or ref.kind != "local" or not _missing(ref):
                pass
            elif not (ref.resolved or "").replace(os.sep, "/").startswith(".github/"):
                pass  # outside .github/: a folder the caller checked out, unknown here
            elif not filled.covers(ref):
                yield self._missing_action(ctx, action.file, step, ref, f"runs.steps[{step.index}].uses")
            filled.note(step)

    def _missing_action(self, ctx, file, step, ref, logical_path):
        label = step.label if (step.name or step.id) else f"step {step.index + 1}"
        if ref.raw.endswith((".yml", ".yaml")) and any(
            p.repository_root == repository_root_for(file) and p.file.abspath.endswith("/" + ref.raw[2:])
            for p in ctx.project.pipelines_of("github")
        ):
            message = _fit(
                f"{label} uses workflow '{ref.raw}' as if it were an action, so the job fails at this step; "
                "call a reusable workflow from a job (jobs.<id>.uses), not from a step.",
                f"{label} uses workflow '{ref.raw}' as an action; call it from a job (jobs.<id>.uses) instead.",
            )
            return self.diagnostic(file.node_span(ref.node), message, logical_path=logical_path)
        guess = _closest_path(ref.raw, _local_actions(ctx.project, file))
        hint = f"; did you mean '{guess}'?" if guess else "; fix the path, relative to the repository root."
        message = _fit(
            f"{label} uses '{ref.raw}', but no action.yml, action.yaml or Dockerfile exists there, "
            f"so the job fails at this step{hint}",
            f"{label} uses '{ref.raw}', which does not exist, so the job fails at this step{hint}",
            f"{label} uses missing local action '{ref.raw}'{hint}",
            f"this step uses missing local action '{ref.raw}'{hint}",
        )
        return self.diagnostic(file.node_span(ref.node), message, logical_path=logical_path)


# --------------------------------------------------------------------- helpers


def _missing(ref) -> bool:
    if ref.kind != "local" or ref.exists is not False or "${{" in ref.raw:
        return False
    resolved = (ref.resolved or "").replace(os.sep, "/")
    return not (resolved == ".." or resolved.startswith("../"))


class _Filled:
    """What earlier steps of a job may have put into the workspace at run time."""

    def __init__(self) -> None:
        self.anything = False  # another repository or submodules: any folder may exist
        self.paths: list[str] = []  # ``path:`` inputs of checkouts, downloads...
        self.scripts: list[str] = []  # scripts may create folders (``git clone ... tools``)

    def note(self, step) -> None:
        if step.script is not None:
            self.scripts.append(step.script.text)
            return
        inputs = step.inputs if isinstance(step.inputs, Mapping) else None
        if step.uses is None or inputs is None:
            return
        path = inputs.get("path")
        path_text = path.value.strip() if isinstance(path, Scalar) else ""
        repository = inputs.get("repository")
        foreign = isinstance(repository, Scalar) and repository.value.strip() not in ("", "${{ github.repository }}")
        submodules = inputs.get("submodules")
        if isinstance(submodules, Scalar) and submodules.value.strip().lower() not in ("", "false"):
            self.anything = True
        elif path_text:
            if "${{" in path_text:
                self.anything = True
            else:
                self.paths.append(os.path.normpath(path_text).replace(os.sep, "/"))
        elif foreign:
            self.anything = True  # another repository replaces the workspace

    def covers(self, ref) -> bool:
        if self.anything:
            return True
        resolved = (ref.resolved or "").replace(os.sep, "/")
        if any(resolved == p or resolved.startswith(p.rstrip("/") + "/") for p in self.paths):
            return True
        top = resolved.split("/", 1)[0]
        word = re.compile(rf"(?<![\w.-]){re.escape(top)}(?![\w.-])") if top not in (".github", "", ".") else None
        return any(resolved in text or (word is not None and word.search(text)) for text in self.scripts)


def _closest(wanted: str, candidates: list[str]) -> str | None:
    if not candidates:
        return None
    lowered = {c.lower(): c for c in candidates}
    hits = difflib.get_close_matches(wanted.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[hits[0]] if hits else None


def _closest_path(wanted: str, candidates: list[str]) -> str | None:
    """The closest path whose last component is close too (a shared prefix is no hint)."""
    return _closest_path_cached(wanted, tuple(candidates))


@functools.lru_cache(maxsize=256)
def _closest_path_cached(wanted: str, candidates: tuple) -> str | None:
    # the same missing template is often named by many pipelines of one repository
    guess = _closest(wanted, list(candidates))
    if guess is None:
        return None
    a = wanted.rstrip("/").rsplit("/", 1)[-1].lower()
    b = guess.rstrip("/").rsplit("/", 1)[-1].lower()
    return guess if difflib.SequenceMatcher(None, a, b).ratio() >= 0.6 else None


def _relative(abspath: str, root: str) -> str | None:
    rel = os.path.relpath(abspath, root).replace(os.sep, "/")
    return None if rel.startswith("..") else rel


def _local_actions(project, file) -> list[str]:
    root = repository_root_for(file)
    out = []
    for action in project.actions:
        rel = _relative(action.file.abspath, root)
        if rel is not None:
            folder = os.path.dirname(rel)
            out.append("./" + folder if folder else "./")
    return out


def _local_workflows(project, pipeline) -> list[str]:
    root = repository_root_for(pipeline.file)
    out = []
    for p in project.pipelines_of("github"):
        rel = _relative(p.file.abspath, root)
        if rel is not None and p.kind == "reusable-workflow":
            out.append("./" + rel)
    return out


def _unreadable_workflows(project, root: str) -> bool:
    """A workflow file of that repository could not be parsed: its name is unknown."""
    for parsed in project.files:
        if parsed.kind == "github-workflow" and parsed.pipeline is None:
            if repository_root_for(parsed.file) == root:
                return True
    return False


# ------------------------------------------------------------ GitLab and Azure
#
# Findings of both platforms are computed once per project: a reference written in an
# included file / template is seen by every pipeline that includes it, and must be
# reported once, by one owner (the file itself when it is linted as its own context,
# else the first pipeline by path that sees the reference unresolved).

_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _spots_for(project, pipeline):
    table = _CACHE.get(project)
    if table is None:
        table = _analyse(project)
        _CACHE[project] = table
    return table.get(id(pipeline), [])


def _analyse(project) -> dict:
    candidates: list = []  # (pipeline, SourceFile, node, message, logical_path)
    gitlab = sorted(project.pipelines_of("gitlab"), key=lambda p: p.file.path)
    azure = sorted(project.pipelines_of("azure"), key=lambda p: p.file.path)
    for p in gitlab:
        candidates.extend(_gitlab_includes(project, p))
    contexts = _gitlab_contexts(gitlab)
    for p in gitlab:
        if id(p) in contexts and not any(e.get("kind") == "include" for e in p.external):
            candidates.extend(_gitlab_names(p))
    for p in azure:
        candidates.extend(_azure_templates(project, p))
        if p.kind == "pipeline":
            candidates.extend(_azure_depends_on(p))
    owners: dict = {}
    for p, file, node, message, path in candidates:
        key = (file.abspath, node.start_index)
        known = owners.get(key)
        own = os.path.normpath(p.file.abspath) == os.path.normpath(file.abspath)
        if known is None or (own and not known[0]):
            owners[key] = (own, p, file.node_span(node), message, path)
    table: dict = {}
    for _own, p, span, message, path in owners.values():
        table.setdefault(id(p), []).append((span, message, path))
    for spots in table.values():
        spots.sort(key=lambda s: (s[0].start.line, s[0].start.column))
    return table


def _dynamic(text: str) -> bool:
    return "$" in text


def _root_relative(project, pipeline, platform: str) -> list[str]:
    root = pipeline.repository_root
    out = []
    for p in project.pipelines_in_repository(root, platform) if root else ():
        rel = _relative(p.file.abspath, root)
        if rel is not None:
            out.append(rel)
    return out


# ---------------------------------------------------------------------- GitLab


def _gitlab_contexts(pipelines) -> set:
    """Pipelines whose merged configuration is complete: ``.gitlab-ci.yml`` files and
    files that some job starts as a child pipeline (``trigger: include:``)."""
    children = {child for p in pipelines for child in p.child_files}
    return {id(p) for p in pipelines if p.kind == "pipeline" or os.path.normpath(p.file.abspath) in children}


def _gitlab_includes(project, p):
    included = p.included_files
    by_path = {sf.path: sf for sf in included.values()}
    for entry in p.external:
        if entry.get("kind") != "include" or entry.get("type") != "local" or entry.get("reason") != "not found":
            continue
        raw = entry.get("ref") or ""
        node = entry.get("node")
        if not entry.get("folder_exists") or any(c in raw for c in "*?[") or _dynamic(raw) or node is None:
            continue
        if entry.get("file") == p.file.path:
            file = p.file
        else:
            file = by_path.get(entry.get("file"))
            if file is None or project.file_by_path(file.path) is not None:
                continue  # linted on its own: reported there
        lead = "/" if raw.startswith("/") else ""
        guess = _closest_path(raw.lstrip("/"), _root_relative(project, p, "gitlab"))
        hint = f"; did you mean '{lead}{guess}'?" if guess else "; fix the path, relative to the repository root."
        message = _fit(
            f"include '{raw}' names a file that does not exist in this repository, so GitLab rejects the pipeline{hint}",
            f"include '{raw}' does not exist, so GitLab rejects the pipeline{hint}",
            f"included file '{raw}' does not exist{hint}",
        )
        yield p, file, node, message, f"include[{raw}]"


def _gitlab_names(p):
    definitions = p.extra.get("definitions") or {}
    node_files = p.extra.get("node_files") or {}
    resolve = p.extra.get("resolve_reference")
    templates = [name for name, entry in definitions.items() if isinstance(entry[1], Mapping)]
    for name, (_key, value, file) in definitions.items():
        if isinstance(value, Mapping):
            parents = value.get("extends")
            pfile = node_files.get(id(parents), file)
            scalar = isinstance(parents, Scalar)
            items = [parents] if scalar else list(parents) if isinstance(parents, Sequence) else []
            for i, item in enumerate(items):
                if not isinstance(item, Scalar) or not item.value or _dynamic(item.value):
                    continue
                entry = definitions.get(item.value)
                if entry is not None and isinstance(entry[1], Mapping):
                    continue
                guess = _closest(item.value, [t for t in templates if t != name])
                hint = f"; did you mean '{guess}'?" if guess else "; name a job or hidden template defined here or in an include."
                owner = "Template" if name.startswith(".") else "Job"
                message = _fit(
                    f"{owner} '{name}' extends '{item.value}', which no job or template of this pipeline defines, so GitLab rejects the pipeline{hint}",
                    f"{owner} '{name}' extends unknown '{item.value}', so GitLab rejects the pipeline{hint}",
                    f"{owner} '{name}' extends unknown '{item.value}'{hint}",
                )
                yield p, pfile, item, message, f"{name}.extends" + ("" if scalar else f"[{i}]")
        if resolve is not None:
            yield from _gitlab_references(p, value, node_files.get(id(value), file), name, definitions, node_files, resolve, templates)
    yield from _gitlab_needs(p, resolve)


def _gitlab_references(p, node, file, path, definitions, node_files, resolve, templates, depth=0):
    if depth > 40:
        return
    if isinstance(node, Sequence) and node.tag == "!reference":
        found = _bad_reference(node, file, definitions, resolve, templates)
        if found is not None:
            item, message = found
            yield p, file, item, message, path
        return
    if isinstance(node, Mapping):
        for text, _k, value in node.items():
            yield from _gitlab_references(
                p, value, node_files.get(id(value), file), f"{path}.{text}", definitions, node_files, resolve, templates, depth + 1
            )
    elif isinstance(node, Sequence):
        for i, item in enumerate(node):
            yield from _gitlab_references(
                p, item, node_files.get(id(item), file), f"{path}[{i}]", definitions, node_files, resolve, templates, depth + 1
            )


def _bad_reference(node, file, definitions, resolve, templates):
    """(item, message) for a ``!reference`` that points at nothing, else None."""
    items = list(node)
    if not items or not all(isinstance(i, Scalar) and i.value for i in items) or any(_dynamic(i.value) for i in items):
        return None
    shown = "[" + ", ".join(i.value for i in items) + "]"
    first = items[0].value
    if first not in definitions:
        guess = _closest(first, templates)
        hint = f"; did you mean '{guess}'?" if guess else "; name a job or template defined here or in an include."
        message = _fit(
            f"`!reference {shown}` names '{first}', which this pipeline does not define, so GitLab rejects the pipeline{hint}",
            f"`!reference {shown}` names unknown '{first}'{hint}",
            f"`!reference` names unknown '{first}'{hint}",
        )
        return items[0], message
    for k in range(2, len(items) + 1):
        if resolve(items[:k], file) is not None:
            continue
        above = resolve(items[: k - 1], file)
        target = above[0] if above is not None else None
        wanted = items[k - 1].value
        if not isinstance(target, Mapping) or wanted in target:
            return None  # a chained reference or a non-mapping: reported where it fails
        keys = list(target.keys())
        guess = _closest(wanted, keys)
        hint = f"; did you mean '{guess}'?" if guess else "; name a key it has."
        owner = ".".join(i.value for i in items[: k - 1])
        message = _fit(
            f"`!reference {shown}` points at nothing: '{owner}' has no key '{wanted}', so GitLab rejects the pipeline{hint}",
            f"`!reference {shown}`: '{owner}' has no key '{wanted}'{hint}",
            f"`!reference`: '{owner}' has no key '{wanted}'{hint}",
        )
        return items[k - 1], message
    return None


def _gitlab_needs(p, resolve):
    jobs = list(p.jobs)
    for job in p.jobs.values():
        view = job.node if isinstance(job.node, Mapping) else None
        needs = view.get("needs") if view is not None else None
        if needs is None:
            continue
        nfile = job.file_of(needs)
        if isinstance(needs, Sequence) and needs.tag == "!reference":
            continue  # the items live where the reference points: checked there via other jobs
        scalar = isinstance(needs, Scalar)
        items = [needs] if scalar else list(needs) if isinstance(needs, Sequence) else []
        for i, item in enumerate(items):
            if isinstance(item, Sequence) and item.tag == "!reference":
                continue  # resolved to the referenced list: its names are checked where written
            name_node = None
            if isinstance(item, Scalar):
                name_node = item
            elif isinstance(item, Mapping) and "project" not in item and "pipeline" not in item:
                optional = item.get("optional")
                if isinstance(optional, Scalar) and optional.typed() is True:
                    continue
                name_node = item.get("job") if isinstance(item.get("job"), Scalar) else None
            if name_node is None or not name_node.value or _dynamic(name_node.value) or name_node.value in p.jobs:
                continue
            wanted = name_node.value
            guess = _closest(wanted, jobs)
            hint = f"; did you mean '{guess}'?" if guess else "; name a job of this pipeline."
            message = _fit(
                f"{job.label} needs '{wanted}', but no job of this pipeline has that name, so GitLab rejects the pipeline{hint}",
                f"{job.label} needs unknown job '{wanted}'{hint}",
                f"`needs` names unknown job '{wanted}'{hint}",
            )
            yield p, nfile, name_node, message, f"{job.id}.needs" + ("" if scalar else f"[{i}]")


# ----------------------------------------------------------------------- Azure


def _azure_files(p) -> dict:
    """path -> SourceFile of the files a pipeline's jobs, stages and steps come from."""
    out = {p.file.path: p.file}
    for stage in p.stages:
        f = stage.extra.get("file")
        if f is not None:
            out.setdefault(f.path, f)
    for job in p.jobs.values():
        if job.source is not None:
            out.setdefault(job.source.path, job.source)
        for step in job.steps:
            if step.file is not None:
                out.setdefault(step.file.path, step.file)
    return out


def _azure_templates(project, p):
    files = None
    for entry in p.external:
        if entry.get("kind") != "template" or entry.get("reason") != "not found" or not entry.get("folder_exists"):
            continue
        node = entry.get("node")
        raw = (entry.get("ref") or "").strip()
        if node is None or not raw:
            continue
        if entry.get("file") == p.file.path:
            file = p.file
        else:
            if project.file_by_path(entry.get("file")) is not None:
                continue  # linted on its own: reported there
            files = files if files is not None else _azure_files(p)
            file = files.get(entry.get("file"))
            if file is None:
                continue
        path = raw.partition("@")[0]
        if path.startswith("/"):
            known = ["/" + r for r in _root_relative(project, p, "azure")]
        else:
            known = _relative_paths(project, p, os.path.dirname(file.abspath))
        guess = _closest_path(path, known)
        hint = f"; did you mean '{guess}'?" if guess else "; fix the path (relative to this file, or /-rooted)."
        message = _fit(
            f"template '{raw}' does not exist in this repository, so Azure Pipelines rejects the pipeline{hint}",
            f"template '{raw}' does not exist, so the pipeline is rejected{hint}",
            f"template '{raw}' does not exist{hint}",
        )
        yield p, file, node, message, f"template[{raw}]"


_RELATIVE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _relative_paths(project, p, here: str) -> list[str]:
    """Paths of the Azure files of ``p``'s repository relative to folder ``here``
    (remembered per project: many missing templates are named from the same folder)."""
    memo = _RELATIVE.setdefault(project, {})
    key = (p.repository_root, here)
    found = memo.get(key)
    if found is None:
        found = memo[key] = [
            os.path.relpath(q.file.abspath, here).replace(os.sep, "/")
            for q in project.pipelines_in_repository(p.repository_root, "azure")
        ]
    return found


def _azure_depends_on(p):
    if any(e.get("kind") in ("template", "parameter-insertion") for e in p.external):
        return  # stages or jobs pipelint could not see may carry the names
    stage_names = [s.name for s in p.stages]
    if not any(_dynamic(n) for n in stage_names):
        known = {n.lower() for n in stage_names}
        for stage in p.stages:
            if stage.depends_on_implicit:
                continue
            file = stage.extra.get("file") or p.file
            nodes = [n for _name, n in stage.depends_on]
            for i, (name, node) in enumerate(stage.depends_on):
                if node is None or not name.strip() or _dynamic(name) or name.strip().lower() in known:
                    continue
                guess = _closest(name.strip(), [n for n in stage_names if n != stage.name])
                hint = f"; did you mean '{guess}'?" if guess else "; name a stage of this pipeline."
                message = _fit(
                    f"stage '{stage.name}' depends on '{name}', but no stage of this pipeline has that name, so Azure Pipelines rejects it{hint}",
                    f"stage '{stage.name}' depends on unknown stage '{name}'{hint}",
                    f"`dependsOn` names unknown stage '{name}'{hint}",
                )
                suffix = "" if len(nodes) == 1 and isinstance(stage.node, Mapping) and isinstance(stage.node.get("dependsOn"), Scalar) else f"[{i}]"
                yield p, file, node, message, f"stages.{stage.name}.dependsOn{suffix}"
    by_stage: dict = {}
    for job in p.jobs.values():
        by_stage.setdefault(job.stage, []).append(job)
    for stage_name, jobs in by_stage.items():
        names = [j.id for j in jobs]
        if any(_dynamic(n) for n in names):
            continue
        known = {n.lower() for n in names}
        for job in jobs:
            deps = job.node.get("dependsOn") if isinstance(job.node, Mapping) else None
            scalar = isinstance(deps, Scalar)
            for i, need in enumerate(job.needs):
                wanted = need.job_id.strip()
                if not wanted or _dynamic(wanted) or wanted.lower() in known or need.node is None:
                    continue
                guess = _closest(wanted, [n for n in names if n != job.id])
                where = f"stage '{stage_name}'" if stage_name else "this pipeline"
                hint = f"; did you mean '{guess}'?" if guess else f"; name a job of {where}."
                message = _fit(
                    f"{job.label} depends on '{wanted}', but {where} has no job of that name, so Azure Pipelines rejects the pipeline{hint}",
                    f"{job.label} depends on unknown job '{wanted}'{hint}",
                    f"`dependsOn` names unknown job '{wanted}'{hint}",
                )
                prefix = f"stages.{stage_name}.jobs.{job.id}" if stage_name else f"jobs.{job.id}"
                yield p, job.node_file, need.node, message, f"{prefix}.dependsOn" + ("" if scalar else f"[{i}]")
