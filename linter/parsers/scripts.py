"""Repository scripts a pipeline step runs by path: ``./scripts/deploy.sh production``.

Most of a deployment often lives in such a file, not in the YAML. For every step whose
script runs a relative path ending in ``.sh`` / ``.bash`` (directly, or through
``bash``/``sh``/``source``), the file is read from the repository (relative to the step's
working directory, then to the repository root) and attached as
``step.called_scripts`` — :class:`~pipelint.model.Script` objects whose spans point into
that file. Rules read them like the step's own script (deploy commands, verification...).

Bounded: files up to :data:`MAX_BYTES`, at most :data:`MAX_PER_STEP` per step, no
recursion into scripts the called script calls. Paths with variables are not followed.
"""

from __future__ import annotations

import os
import re

from .. import loaded
from ..model import Pipeline, Script, Step
from ..source import SourceFile
from ..yamltree import Mapping, Scalar

MAX_BYTES = 512_000
MAX_PER_STEP = 4
_SHELL_SUFFIXES = (".sh", ".bash")
_INTERPRETERS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "source", "."})
#: A relative path to a script, or an interpreter given a script file: only then is the
#: step's script parsed to find what it runs (most scripts run none).
_RUNS_A_FILE = re.compile(r"(?:^|[\s;&|(])(?:\.{1,2}/|[\w.-]+/)[\w./-]*\.(?:sh|bash)\b|\b(?:bash|sh|source|zsh|dash|ksh|\.)\s+(?:-\w+\s+)*[\w./-]+\.(?:sh|bash)\b")


def attach(pipeline: Pipeline) -> None:
    """Fill ``called_scripts`` of the pipeline's steps (see the module docstring)."""
    root = pipeline.repository_root
    if not root:
        return
    cache: dict[str, Script | None] = {}
    for job in pipeline.jobs.values():
        for step in job.steps:
            script = step.script
            if script is None or script.language != "shell" or ".sh" not in script.text or not _RUNS_A_FILE.search(script.text):
                continue
            found = []
            for rel in _called_paths(script):
                for candidate in _candidates(rel, _working_directory(step, job), root):
                    if candidate not in cache:
                        cache[candidate] = _load(candidate, script, root)
                    called = cache[candidate]
                    if called is not None:
                        if called not in found:
                            found.append(called)
                        break
                if len(found) >= MAX_PER_STEP:
                    break
            if found:
                step.called_scripts = found


def _called_paths(script: Script) -> list[str]:
    program = script.program
    if program is None:
        return []
    out = []
    for cmd in program.commands:
        if cmd.substitution or not cmd.words:
            continue
        words = cmd.words
        target = words[0]
        if target.text.rsplit("/", 1)[-1] in _INTERPRETERS:
            options = [w for w in words[1:] if not w.text.startswith("-")]
            if not options:
                continue
            target = options[0]
        text = target.text
        if target.dynamic or not text.endswith(_SHELL_SUFFIXES) or text.startswith(("/", "~")):
            continue
        if "/" not in text and target is words[0]:
            continue  # `deploy.sh` alone is looked up on PATH, not in the repository
        out.append(text[2:] if text.startswith("./") else text)
    return out


def _working_directory(step: Step, job) -> str:
    for node in (step.node, job.node):
        if not isinstance(node, Mapping):
            continue
        for key in ("working-directory", "workingDirectory"):
            value = node.get(key)
            if isinstance(value, Scalar) and value.value and "$" not in value.value:
                return value.value
        defaults = node.get("defaults")
        run = defaults.get("run") if isinstance(defaults, Mapping) else None
        value = run.get("working-directory") if isinstance(run, Mapping) else None
        if isinstance(value, Scalar) and value.value and "$" not in value.value:
            return value.value
    return ""


def _candidates(rel: str, workdir: str, root: str) -> list[str]:
    out = []
    if workdir:
        out.append(os.path.normpath(os.path.join(root, workdir, rel)))
    out.append(os.path.normpath(os.path.join(root, rel)))
    return [c for c in out if c.startswith(root.rstrip(os.sep) + os.sep)]


def _load(abspath: str, including: Script, root: str) -> Script | None:
    found = loaded.load_text(abspath, MAX_BYTES)
    if found is None:
        return None
    if not os.path.realpath(abspath).startswith(os.path.realpath(root) + os.sep):
        return None  # a link that leads out of the repository
    display_dir = os.path.dirname(including.file.path)
    rel = os.path.relpath(abspath, os.path.dirname(including.file.abspath))
    display = os.path.normpath(os.path.join(display_dir, rel)).replace(os.sep, "/")
    return Script(found, None, SourceFile(display, abspath, found), None, "shell", "")
