"""PL003 unresolved-reference (GitHub Actions part).

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
import os
import re

from pipelint.diagnostics import Severity
from pipelint.graph import workflow_run_sources
from pipelint.parsers.github import repository_root_for
from pipelint.rule import Rule
from pipelint.yamltree import Mapping, Scalar, Sequence

_MAX = 199


class UnresolvedReference(Rule):
    """## What it does
    Reports a local reference that points at nothing: a `needs:` naming a job the
    workflow does not define, a `uses: ./path` whose action or reusable workflow does not
    exist in the repository, and an `on.workflow_run.workflows` entry naming no workflow
    of the repository. The message suggests the closest existing name.

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
    platforms = ("github",)
    tags = ("correctness",)
    precision = "high"

    def check(self, ctx):
        parsed = ctx.file
        if parsed.pipeline is not None and parsed.pipeline.platform == "github":
            yield from self._workflow(ctx, parsed.pipeline)
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
                f"workflow_run listens for workflow '{wanted}', but no workflow in this repository has that name, so this workflow never runs{hint}",
                f"workflow_run names workflow '{wanted}', which does not exist here, so this never runs{hint}",
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
    guess = _closest(wanted, candidates)
    if guess is None:
        return None
    a = wanted.rstrip("/").rsplit("/", 1)[-1].lower()
    b = guess.rstrip("/").rsplit("/", 1)[-1].lower()
    return guess if difflib.SequenceMatcher(None, a, b).ratio() >= 0.6 else None


def _fit(*messages: str) -> str:
    for m in messages:
        if len(m) <= _MAX:
            return m
    return messages[-1][: _MAX - 1].rstrip() + "…"


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
