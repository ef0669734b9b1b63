"""What else a job does besides deploying: tests (PL106), and which jobs a promotion rule judges.

The test tables are DATA (:data:`TEST_COMMANDS`, :data:`TEST_JOB_NAMES`,
:data:`TEST_ACTIONS`, :data:`TEST_TASKS`), read by :func:`test_steps` /
:func:`is_test_job`:

- a script command (``run:``, GitLab ``script:`` lines, Azure ``script``/``bash``/``pwsh``)
  whose program and leading words match a row of :data:`TEST_COMMANDS` (``pytest``,
  ``npm test``, ``npm run test:unit``, ``./gradlew check``, ``go test ./...``...), after
  wrappers such as ``python -m``, ``poetry run``, ``bundle exec``, ``npx``, ``sudo``;
- a GitHub action that runs or reports tests (:data:`TEST_ACTIONS`);
- an Azure task that runs tests (:data:`TEST_TASKS`: ``VSTest@*``, ``DotNetCoreCLI@*``
  with ``command: test``, ``Maven@*`` with ``goals: test|verify``...);
- a GitLab job that publishes a JUnit report (``artifacts: reports: junit``);
- a job whose id/name has a test word (:data:`TEST_JOB_NAMES`: ``test``, ``unit-tests``,
  ``e2e``, ``integration``...).

:func:`judged_jobs` gives the jobs promotion rules report, once each: GitLab fragments
and Azure templates that a scanned top-level pipeline includes are judged in that
pipeline's context, not again on their own.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from .deploy import is_deploy_job, is_pages_job, targets_production
from . import tables
from .diagnostics import fit  # noqa: F401  (re-exported: the rules fit their messages with it)
from .model import Job, Step
from .tables import TEST_ACTIONS, TEST_COMMANDS, TEST_JOB_NAMES, TEST_TASKS, TestCommand  # noqa: F401
from .yamltree import Mapping

# ------------------------------------------------------------------ commands

_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=")
_KEYWORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "time", "{", "}", "exec", "command", "nohup", "builtin"})
#: Wrappers whose next words (after options) are the real command.
_RUNNERS = {
    "sudo": 1, "env": 1, "npx": 1, "bunx": 1, "pnpx": 1, "xvfb-run": 1, "nice": 1,
}
_TWO_WORD_RUNNERS = {
    ("poetry", "run"), ("pipenv", "run"), ("uv", "run"), ("pdm", "run"), ("hatch", "run"),
    ("bundle", "exec"), ("conda", "run"), ("pixi", "run"), ("rye", "run"), ("yarn", "exec"),
    ("pnpm", "exec"), ("npm", "exec"), ("dotnet", "tool"), ("mamba", "run"),
}
_SCRIPT_LANGUAGES = frozenset({"shell", "pwsh", "cmd"})
_ANY_TEST = re.compile(
    r"test|check|verify|spec|pytest|tox|nox|jest|vitest|mocha|karma|cypress|phpunit|pest|ctest|rspec|"
    r"rake|bats|ginkgo|nextest|Pester|codecept|install|build|-m|xcodebuild|fastlane",
    re.IGNORECASE,
)


def _strip(words: list[str]) -> list[str]:
    k = 0
    n = len(words)
    while k < n:
        w = words[k]
        if w in _KEYWORDS or _ASSIGNMENT.match(w):
            k += 1
        elif w in _RUNNERS:
            k += 1
            while k < n and words[k].startswith("-"):
                k += 1
            while w == "env" and k < n and _ASSIGNMENT.match(words[k]):
                k += 1
        elif k + 1 < n and (w.rsplit("/", 1)[-1], words[k + 1]) in _TWO_WORD_RUNNERS:
            k += 2
            while k < n and words[k].startswith("-"):
                k += 1
        elif w == "timeout":
            k += 1
            while k < n and words[k].startswith("-"):
                k += 1
            k += 1
        else:
            break
    return words[k:]


def _positionals(words: list[str]) -> list[str]:
    return [w for w in words[1:] if not w.startswith("-") or w == "-m"]


def _alt(word: str, pattern: str) -> bool:
    return any(fnmatch.fnmatchcase(word, p) for p in pattern.split("|"))


_SKIP_TESTS = frozenset(("-DskipTests", "-DskipTests=true", "-Dmaven.test.skip", "-Dmaven.test.skip=true", "--exclude-task=test"))


def _skips_tests(words: list[str]) -> bool:
    """``mvn install -DskipTests``, ``gradle build -x test``: the build runs no tests."""
    for i, w in enumerate(words):
        if w in _SKIP_TESTS:
            return True
        if w in ("-x", "--exclude-task") and i + 1 < len(words) and words[i + 1] in ("test", "check"):
            return True
    return False


def match_test_command(words: list[str]) -> TestCommand | None:
    """The :data:`TEST_COMMANDS` row the command (its words, quotes removed) matches."""
    words = _strip(words)
    if not words:
        return None
    program = words[0].rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    if program.lower().endswith(".exe"):
        program = program[:-4]
    for row in tables.TEST_COMMANDS:
        if not any(fnmatch.fnmatchcase(program, p) for p in row.programs):
            continue
        if not row.words:
            return row
        if row.words[0] == "-m":  # python -m pytest
            if len(words) > 2 and words[1] == "-m" and _alt(words[2], row.words[1]):
                return row
            continue
        if _skips_tests(words):
            return None
        rest = _positionals(words)
        if row.anywhere:
            if any(_alt(w, row.words[0]) for w in rest):
                return row
            continue
        if len(rest) >= len(row.words) and all(_alt(w, p) for w, p in zip(rest, row.words)):
            return row
    return None


@dataclass(frozen=True)
class TestActivity:
    """A test found in a step: the table row's label and where it is."""

    step: Step
    label: str
    start: int | None = None  # offsets in step.script.text for script commands
    end: int | None = None

    def span(self):
        return self.step.span_at(self.start, self.end)


def _task_tests(step: Step) -> bool:
    ref = step.uses
    if ref is None or ref.kind != "task":
        return False
    name = (ref.repo or "").lower()
    for task in TEST_TASKS:
        if not fnmatch.fnmatchcase(name, task.name):
            continue
        if task.input is None:
            return True
        value = step.input_text(task.input)
        if value is None:
            value = task.default
        if value is None:
            continue
        if any(any(fnmatch.fnmatchcase(w, v) for v in task.values) for w in value.lower().replace(",", " ").split()):
            return True
    return False


def _action_tests(step: Step) -> bool:
    ref = step.uses
    if ref is None or ref.kind != "repository":
        return False
    name = ref.name.lower()
    return any(fnmatch.fnmatchcase(name, p) for p in TEST_ACTIONS)


def step_tests(step: Step) -> list[TestActivity]:
    """The tests a step runs (script commands, a testing action or task)."""
    out: list[TestActivity] = []
    if _task_tests(step) or _action_tests(step):
        out.append(TestActivity(step, step.uses.raw))
    script = step.script
    if script is None or script.language not in _SCRIPT_LANGUAGES or not (_ANY_TEST.search(script.text) or tables.CONFIGURED.get("test-commands")):
        return out
    program = script.program
    if program is None:
        return out
    for command in program.commands:
        texts = [w.text for w in command.words]
        row = match_test_command(texts)
        if row is not None:
            out.append(TestActivity(step, row.label, command.words[0].start, command.words[-1].end))
    return out


def test_steps(job: Job) -> list[TestActivity]:
    """Every test a job's steps run, in order."""
    out: list[TestActivity] = []
    for step in job.steps:
        out.extend(step_tests(step))
    return out


_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])")


def name_is_test(text: str | None) -> bool:
    if not text:
        return False
    return any(w.lower().rstrip("0123456789") in TEST_JOB_NAMES for w in _WORD_SPLIT.split(text) if w)


def _junit_report(job: Job) -> bool:
    if job.pipeline.platform != "gitlab" or not isinstance(job.node, Mapping):
        return False
    artifacts = job.node.get("artifacts")
    reports = artifacts.get("reports") if isinstance(artifacts, Mapping) else None
    return isinstance(reports, Mapping) and any(k in reports for k in ("junit", "coverage_report"))


def is_test_job(job: Job) -> bool:
    """The job tests: a test word in its id/name, a test command/action/task, a JUnit report."""
    if name_is_test(job.id) or name_is_test(job.name):
        return True
    if _junit_report(job):
        return True
    return bool(test_steps(job))


# ------------------------------------------------------------- judged jobs


_NOT_DEPLOYING = frozenset(("stop", "access", "prepare", "verify"))


def judged_pipelines(project, platforms=("github", "gitlab", "azure")):
    """Pipelines whose jobs promotion rules judge: top-level ones, and fragments/templates
    that no scanned pipeline includes."""
    for pipeline in project.pipelines:
        if pipeline.platform not in platforms:
            continue
        if pipeline.kind in ("fragment", "template") and project.included_elsewhere(pipeline):
            continue
        yield pipeline


def judged_deploys(project, targets, platforms=("github", "gitlab", "azure"), known_upstream=False, called=False):
    """Each production deploy the promotion rules judge, once (a job that several
    pipelines reach, e.g. through a shared template, at its first). ``known_upstream``:
    skip pipelines with parts pipelint cannot read (:func:`upstream_known`); ``called``:
    skip GitHub reusable workflows that only ever run when called and whose callers were
    not scanned."""
    graph = project.graph if called else None
    seen: set = set()
    for pipeline in judged_pipelines(project, platforms):
        if known_upstream and not upstream_known(pipeline):
            continue
        if called and pipeline.platform == "github" and pipeline.kind == "reusable-workflow":
            if not graph.callers.get(pipeline) and not (pipeline.events - {"workflow_call"}):
                continue
        for job in production_deploys(pipeline, targets):
            key = (job.file.path, job.key_node.start_index)
            if key not in seen:
                seen.add(key)
                yield job


def production_deploys(pipeline, targets):
    """The jobs of ``pipeline`` that deploy to production themselves (not by calling a
    reusable workflow): what the promotion rules judge."""
    for job in pipeline.jobs.values():
        if job.uses is None and deploying(job) and is_deploy_job(job) and targets_production(job, targets):
            yield job


def upstream_known(pipeline) -> bool:
    """Whether "nothing upstream does X" can be concluded for the pipeline's jobs: not
    when parts cannot be read (``pipeline.external``), nor for a GitLab fragment whose
    jobs use stages it does not declare (the including pipeline orders them)."""
    if pipeline.external:
        return False
    if pipeline.platform == "gitlab" and pipeline.kind == "fragment":
        return not any(j.extra.get("stage_undeclared") for j in pipeline.jobs.values())
    return True


def deploying(job: Job) -> bool:
    """Not a GitLab ``environment: action: stop|access|prepare|verify`` job, nor GitLab
    Pages publishing (which gate rules do not treat as a release either)."""
    return job.extra.get("environment_action") not in _NOT_DEPLOYING and not is_pages_job(job)


def job_path(job: Job) -> str:
    """A stable logical path for a job."""
    if job.pipeline.platform == "azure" and job.stage:
        return f"stages.{job.stage}.jobs.{job.id}"
    return f"jobs.{job.id}"


def _short_name(job: Job) -> str:
    return f"{job.stage}.{job.id}" if job.pipeline.platform == "azure" and job.stage else job.id


def path_note(job: Job, project) -> str:
    """``" (path: build -> test -> deploy)"``: one chain of upstream jobs ending at
    ``job`` (across files: includes, templates, child pipelines, workflow_run), or ``""``
    when nothing runs before it."""
    chain = project.graph.chain(job)
    return f" (path: {' -> '.join(_short_name(j) for j in chain)})" if len(chain) > 1 else ""


def upstream_elsewhere(job: Job, project) -> list:
    """Related locations for the jobs on that chain written in another file than
    ``job``: a finding about what runs before ``job`` depends on them."""
    from .diagnostics import Related

    out = []
    here = job.file.path
    for up in project.graph.chain(job)[:-1]:
        if up.file.path != here:
            out.append(Related(up.key_span(), f"upstream on the path: {up.label} ({up.file.path})"))
    return out


def read_only_hint(job: Job) -> list:
    """For a GitLab job that declares an environment but runs no deploy command pipelint
    knows: a related location on the environment saying how to mark a job that only
    reads it (GitLab counts every job with an environment as a deployment unless its
    ``action`` is ``access``, ``verify`` or ``prepare``)."""
    from .deploy import deploy_commands
    from .diagnostics import Related

    env = job.environment
    if job.pipeline.platform != "gitlab" or env is None or env.node is None or deploy_commands(job):
        return []
    return [
        Related(
            job.file_of(env.node).node_span(env.node),
            "if this job only reads the environment (a diff, a snapshot), give it `action: access`: then it is no deployment",
        )
    ]


__all__ = [
    "TEST_ACTIONS",
    "TEST_COMMANDS",
    "TEST_JOB_NAMES",
    "TEST_TASKS",
    "TestActivity",
    "deploying",
    "fit",
    "is_test_job",
    "job_path",
    "judged_deploys",
    "judged_pipelines",
    "match_test_command",
    "path_note",
    "production_deploys",
    "read_only_hint",
    "step_tests",
    "test_steps",
    "upstream_elsewhere",
    "upstream_known",
]
