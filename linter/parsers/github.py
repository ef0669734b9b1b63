"""GitHub Actions workflows and action metadata -> the common model."""

from __future__ import annotations

import functools
import os
import re

from ..model import Action, ActionRef, Environment, Job, Needs, Pipeline, Script, Step, Trigger
from ..source import SourceFile
from ..yamltree import Document, Mapping, Scalar, Sequence, YNode

_USES = re.compile(r"^(?P<owner>[^/@\s]+)/(?P<repo>[^/@\s]+)(?:/(?P<path>[^@\s]*))?(?:@(?P<ref>.*))?$")

#: ``shell:`` values -> the language the step's ``run:`` is written in.
_SHELL_LANGUAGE = {"pwsh": "pwsh", "powershell": "pwsh", "python": "python", "cmd": "cmd"}


def _scalar(node: YNode | None) -> Scalar | None:
    return node if isinstance(node, Scalar) else None


def _text(node: YNode | None) -> str | None:
    return node.value if isinstance(node, Scalar) else None


def _mapping(node: YNode | None) -> Mapping | None:
    return node if isinstance(node, Mapping) else None


def repository_root_for(file: SourceFile) -> str:
    """The folder a workflow's ``./`` paths are relative to: the one holding ``.github``."""
    return _repository_root(file.abspath)


@functools.lru_cache(maxsize=4096)
def _repository_root(abspath: str) -> str:
    parts = abspath.replace(os.sep, "/").split("/")
    if ".github" in parts:
        i = len(parts) - 1 - parts[::-1].index(".github")
        return "/".join(parts[:i]) or "/"
    return os.path.dirname(abspath)


#: What the runner accepts as a local action: a folder holding one of these.
ACTION_FILES = ("action.yml", "action.yaml", "Dockerfile")


def _local_target_exists(path: str, context: str) -> bool:
    if context == "workflow":  # a reusable workflow is a file
        return os.path.isfile(path)
    return os.path.isdir(path) and any(os.path.isfile(os.path.join(path, name)) for name in ACTION_FILES)


def parse_uses(node: Scalar, file: SourceFile, context: str = "step") -> ActionRef:
    """``uses:`` of a step (``context="step"``: an action) or of a job (``"workflow"``)."""
    raw = node.value.strip()
    if raw.startswith("./") or raw == ".":
        root = repository_root_for(file)
        local = os.path.normpath(os.path.join(root, raw))
        exists = _local_target_exists(local, context) if "${{" not in raw else None
        rel = os.path.relpath(local, root).replace(os.sep, "/")
        return ActionRef(raw, node, "local", path=raw[2:], resolved=rel, exists=exists)
    if raw.startswith("docker://"):
        image = raw[len("docker://") :]
        ref = None
        if "@" in image:
            ref = image.split("@", 1)[1]
        elif ":" in image.rsplit("/", 1)[-1]:
            ref = image.rsplit(":", 1)[1]
        return ActionRef(raw, node, "docker", path=image, ref=ref)
    m = _USES.match(raw)
    if not m:
        return ActionRef(raw, node, "invalid")
    return ActionRef(raw, node, "repository", owner=m["owner"], repo=m["repo"], path=(m["path"] or "").strip("/"), ref=m["ref"])


def _triggers(on: YNode | None) -> list[Trigger]:
    if isinstance(on, Scalar):
        return [Trigger(on.value, on)]
    if isinstance(on, Sequence):
        return [Trigger(item.value, item) for item in on if isinstance(item, Scalar)]
    if isinstance(on, Mapping):
        return [Trigger(text, key, value) for text, key, value in on.items()]
    return []


def _environment(node: YNode | None) -> Environment | None:
    if node is None:
        return None
    if isinstance(node, Scalar):
        if node.value == "":
            return None
        return Environment(node.value, node, node, dynamic="${{" in node.value)
    if isinstance(node, Mapping):
        name = _scalar(node.get("name"))
        if name is None:
            return Environment("", node, None, url=_text(node.get("url")), dynamic=True)
        return Environment(name.value, node, name, url=_text(node.get("url")), dynamic="${{" in name.value)
    return None


def _needs(node: YNode | None) -> list[Needs]:
    if isinstance(node, Scalar):
        return [Needs(node.value, node)] if node.value else []
    if isinstance(node, Sequence):
        return [Needs(item.value, item) for item in node if isinstance(item, Scalar)]
    return []


def _steps(node: YNode | None, file: SourceFile, job: Job | None, default_shell: str | None) -> list[Step]:
    steps: list[Step] = []
    if not isinstance(node, Sequence):
        return steps
    for index, item in enumerate(node):
        if not isinstance(item, Mapping):
            continue
        step = Step(index, item, file, job)
        step.id = _text(item.get("id"))
        step.name = _text(item.get("name"))
        uses = _scalar(item.get("uses"))
        if uses is not None and uses.value:
            step.uses = parse_uses(uses, file)
        run = _scalar(item.get("run"))
        if run is not None:
            shell = _text(item.get("shell")) or default_shell
            language = "shell"
            if shell:
                language = _SHELL_LANGUAGE.get(shell.split()[0].lower(), "shell")
            step.script = Script(run.value, run, file, shell, language, "github")
        step.inputs = _mapping(item.get("with"))
        step.env = _mapping(item.get("env"))
        step.condition = _scalar(item.get("if"))
        step.continue_on_error = item.get("continue-on-error")
        steps.append(step)
    return steps


def _default_shell(node: YNode | None) -> str | None:
    defaults = _mapping(node)
    run = _mapping(defaults.get("run")) if defaults else None
    return _text(run.get("shell")) if run else None


def parse_workflow(file: SourceFile, document: Document) -> Pipeline | None:
    root = document.root
    if not isinstance(root, Mapping):
        return None
    pipeline = Pipeline("github", file, document, root)
    pipeline.repository_root = repository_root_for(file)
    pipeline.name_node = _scalar(root.get("name"))
    pipeline.name = pipeline.name_node.value if pipeline.name_node else None
    pipeline.triggers_node = root.get("on")
    pipeline.triggers = _triggers(pipeline.triggers_node)
    if pipeline.trigger("workflow_call"):
        pipeline.kind = "reusable-workflow"
    pipeline.permissions = root.get("permissions")
    pipeline.permissions_key = root.key_node("permissions")
    pipeline.concurrency = root.get("concurrency")
    pipeline.env = _mapping(root.get("env"))
    workflow_shell = _default_shell(root.get("defaults"))
    jobs = _mapping(root.get("jobs"))
    if jobs is None:
        return pipeline
    for job_id, key, body in jobs.items():
        if not isinstance(key, Scalar):
            continue
        job = Job(job_id, key, body, pipeline)
        pipeline.jobs[job_id] = job
        if not isinstance(body, Mapping):
            continue
        job.name = _text(body.get("name"))
        job.environment = _environment(body.get("environment"))
        job.needs = _needs(body.get("needs"))
        job.needs_declared = "needs" in body
        job.condition = _scalar(body.get("if"))
        job.concurrency = body.get("concurrency")
        job.timeout = body.get("timeout-minutes")
        job.permissions = body.get("permissions")
        job.runs_on = body.get("runs-on")
        job.env = _mapping(body.get("env"))
        job.strategy = body.get("strategy")
        uses = _scalar(body.get("uses"))
        if uses is not None and uses.value:
            job.uses = parse_uses(uses, file, "workflow")
            job.inputs = _mapping(body.get("with"))
        shell = _default_shell(body.get("defaults")) or workflow_shell
        job.steps = _steps(body.get("steps"), file, job, shell)
    return pipeline


def parse_action(file: SourceFile, document: Document) -> Action | None:
    root = document.root
    if not isinstance(root, Mapping):
        return None
    action = Action(file, document, root, name=_text(root.get("name")))
    runs = _mapping(root.get("runs"))
    if runs is None:
        return action
    action.using_node = _scalar(runs.get("using"))
    action.using = action.using_node.value if action.using_node else None
    if action.using == "composite":
        action.steps = _steps(runs.get("steps"), file, None, None)
    return action
