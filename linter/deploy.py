"""Platform-neutral facts about deploy jobs, shared by the gate and promotion rules.

What makes a job a *deploy job* and which target it deploys to is defined once here (the
catalogue's "deploy job" and "targets production" conventions), so PL101, PL105-PL108,
PL204 and PL506 agree, and GitLab and Azure jobs plug into the same functions:

- :func:`is_deploy_job` — the job declares an environment, or a step runs a deploy
  command (:data:`DEPLOY_COMMANDS`), or a step uses a deploying action or task
  (:data:`DEPLOY_ACTIONS`), or (with a project) it calls a local reusable workflow that
  contains a deploy job;
- :func:`targets_production` / :func:`targets_staging` — by the environment name when
  the job declares one; otherwise by the job id/name, the target arguments of its deploy
  commands (``-n production``, ``--namespace=prod``, ``k8s/production/``,
  ``deploy.sh production``), the target inputs of its deploying actions, and, for a job
  calling a reusable workflow, its environment-like ``with:`` inputs;
- :func:`deploy_commands` — every deploy command with its position (step, command words,
  start and end offsets inside the step's script text) so rules can point into scripts.

An environment whose name is an expression (``environment: ${{ inputs.env }}``,
``${{ matrix.env }}``) is *unknown*: neither production nor staging. Its job is still a
deploy job, and on GitHub its ``environment:`` still counts as a gate. GitLab: an
``environment:`` with ``action: stop|access|prepare|verify`` does not make a deploy job
(the job's scripts still can), and ``deployment_tier: production|staging`` classifies
the target when the name does not (``review/$CI_COMMIT_REF_SLUG``). Which *gates* protect
a job is :mod:`pipelint.gates`.

Scripts are read as programs by the shell parser (:mod:`pipelint.shell`: tree-sitter
bash / PowerShell): here-document bodies and comments are not commands, quotes are
removed, commands joined by ``|`` stay one pipeline (so ``kustomize build k8s/production |
kubectl apply -f -`` targets production), and commands inside ``$(...)`` and backticks
are read too. A command is matched by its words after variable assignments and wrappers
(``sudo``, ``env``, ``timeout``, ``npx``, ``bash script.sh``...). Arguments of other
commands — ``echo "kubectl apply"`` — and comments never match; nor do rehearsals
(``--dry-run``, ``kubectl diff``, ``helm template``/``lint``, ``terraform plan``).
``$VAR``/``${{ env.VAR }}`` in arguments are replaced by static ``env:`` values of the
step, job or workflow. Not read yet: ``bash -c "..."`` strings.
"""

from __future__ import annotations

import fnmatch
import functools
import re
import weakref
from dataclasses import dataclass
from typing import Iterator

from . import tables
from .backref import Owner
from .model import Job, Script, Step
from .shell import Word
from .tables import (  # noqa: F401 - the tables live in one module; re-exported here
    BOOLEAN_FLAGS,
    DEPLOY_ACTIONS,
    DEPLOY_COMMANDS,
    GLOBAL_VALUE_OPTIONS,
    PATH_OPTIONS,
    PRODUCTION_FLAGS,
    SELECTOR_OPTIONS,
    SKIPPED_WORDS,
    TARGET_OPTIONS,
    ActionPattern,
    CommandPattern,
)
from .yamltree import Mapping, Scalar, Sequence

#: ``KEY=value`` words and option values whose key says "this is the target environment".
_ENV_KEY = re.compile(r"(?:^|[-_.])(?:env|environment|stage|stg|target|namespace|ns|cluster|slot|tier|deploy[-_]?env)$", re.IGNORECASE)
#: ``with:`` input names of deploying actions (and of reusable-workflow calls) that name a target.
_TARGET_INPUT = re.compile(
    r"^(?:.*[-_])?(?:env|environment|environment[-_]name|stage|target|namespace|cluster|cluster[-_]name|service|"
    r"app[-_]?name|slot[-_]?name|slot|release|release[-_]name|manifests?|resource[-_]group|project|project[-_]id|"
    r"function[-_]name|deploy[-_]?env|workspace|values|value[-_]files|stack|stack[-_]name|tier)$",
    re.IGNORECASE,
)

# ------------------------------------------------------------------- command words

_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=")
_KEYWORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "time", "{", "}", "fi", "done", "exec", "command", "nohup", "builtin"})
_INTERPRETERS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "source", "."})
_RUNNERS = frozenset({"npx", "bunx", "pnpx"})


def command_words(words: list[Word]) -> list[Word]:
    """Strip keywords, assignments and wrappers: the words from the program on."""
    k = 0
    n = len(words)
    while k < n:
        w = words[k].text
        if w in _KEYWORDS:
            k += 1
        elif _ASSIGNMENT.match(w):
            k += 1
        elif w == "sudo":
            k += 1
            while k < n and words[k].text.startswith("-"):
                k += 2 if words[k].text in ("-u", "-g", "-C", "-D", "-h", "-p", "-U") else 1
        elif w == "env":
            k += 1
            while k < n and (words[k].text.startswith("-") or _ASSIGNMENT.match(words[k].text)):
                k += 2 if words[k].text in ("-u", "-C", "-S") else 1
        elif w == "timeout":
            k += 1
            while k < n and words[k].text.startswith("-"):
                k += 2 if words[k].text in ("-s", "-k", "--signal", "--kill-after") else 1
            k += 1  # the duration
        elif w in _RUNNERS:
            k += 1
            while k < n and words[k].text.startswith("-"):
                k += 2 if words[k].text in ("-p", "--package") else 1
        elif w in _INTERPRETERS and k + 1 < n:
            j = k + 1
            while j < n and words[j].text.startswith("-") and words[j].text not in ("-c",):
                j += 1
            if j < n and words[j].text != "-c" and not words[j].text.startswith("-"):
                k = j  # the script is the program
                break
            return []
        else:
            break
    return words[k:]


def _basename(word: str) -> str:
    return word.rsplit("/", 1)[-1]


def positionals(words: list[Word], program: str) -> list[tuple[int, str]]:
    """(index, text) of the words after the program that are not options or option values."""
    value_options = GLOBAL_VALUE_OPTIONS.get(program, frozenset())
    skipped = SKIPPED_WORDS.get(program, frozenset())
    out = []
    k = 1
    n = len(words)
    while k < n:
        w = words[k].text
        if w.startswith("-") and len(w) > 1:
            k += 2 if w in value_options and "=" not in w else 1
            continue
        if not (skipped and not out and w in skipped):
            out.append((k, w))
        k += 1
    return out


def _index_patterns():
    by_program: dict[str, list[CommandPattern]] = {}
    globbed: list[CommandPattern] = []
    for pattern in tables.DEPLOY_COMMANDS:
        if any(ch in p for p in pattern.programs for ch in "*?["):
            globbed.append(pattern)
        else:
            for program in pattern.programs:
                by_program.setdefault(program, []).append(pattern)
    glob_re = re.compile("|".join(fnmatch.translate(p) for pat in globbed for p in pat.programs)) if globbed else None
    return by_program, globbed, glob_re




def _literal(pattern: str) -> str:
    """The longest plain prefix of a glob (of its first ``a|b`` alternative)."""
    first = pattern.split("|")[0]
    for i, ch in enumerate(first):
        if ch in "*?[":
            return first[:i]
    return first


#: Per table row: (program prefixes, words that must all occur). A script containing no
#: row's program and words cannot match the table, so it is not tokenised at all (most
#: scripts build and test; tokenising every one cost more than parsing the YAML).
def _needles():
    return [
        (tuple(filter(None, (_literal(p) for p in row.programs))), tuple(filter(None, (_literal(w) for w in row.words))))
        for row in tables.DEPLOY_COMMANDS
    ]


def _program_regex() -> re.Pattern:
    """Any table program as a word (``k`` must not match inside ``make``); glob programs
    (``deploy*.sh``) by their plain prefix."""
    rows = tables.DEPLOY_COMMANDS
    exact = {p for row in rows for p in row.programs if not any(c in p for c in "*?[")}
    prefixes = {_literal(p) for row in rows for p in row.programs if any(c in p for c in "*?[")}
    alternatives = [rf"{re.escape(p)}(?![\w-])" for p in sorted(exact, key=len, reverse=True)]
    alternatives += [re.escape(p) for p in sorted(filter(None, prefixes), key=len, reverse=True)]
    return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + ")")


@tables.on_change
def _reindex() -> None:
    """Derived indexes of :data:`~pipelint.tables.DEPLOY_COMMANDS` (built again when
    the configuration adds rows)."""
    global _BY_PROGRAM, _GLOBBED, _GLOB_RE, _NEEDLES, _ANY_PROGRAM
    _BY_PROGRAM, _GLOBBED, _GLOB_RE = _index_patterns()
    _NEEDLES = _needles()
    _ANY_PROGRAM = _program_regex()
    _may_deploy.cache_clear()


@functools.lru_cache(maxsize=8192)
def _may_deploy(text: str) -> bool:
    if not _ANY_PROGRAM.search(text):  # one C-level scan rules out most scripts
        return False
    for programs, words in _NEEDLES:
        if (not programs or any(p in text for p in programs)) and all(w in text for w in words):
            return True
    return False


_reindex()


def _match(words: list[Word]) -> tuple[CommandPattern, int] | None:
    """The table row a simple command matches, and how many words the command name spans."""
    if not words:
        return None
    program_word = words[0].text
    program = _basename(program_word)
    if not program or "$" in program:
        return None
    candidates = _BY_PROGRAM.get(program)
    if candidates is None:
        if _GLOB_RE is None or not _GLOB_RE.match(program):
            return None
        candidates = [p for p in _GLOBBED if any(fnmatch.fnmatchcase(program, g) for g in p.programs)]
    found = None
    for pattern in candidates:
        if pattern.needs_path and "/" not in program_word:
            continue
        if pattern.words:
            if found is None:
                found = positionals(words, program)
            if len(found) < len(pattern.words):
                continue
            if not all(_word_matches(found[i][1], p) for i, p in enumerate(pattern.words)):
                continue
            name_end = found[len(pattern.words) - 1][0] + 1
        else:
            name_end = 1
        if pattern.unless and _has_option(words, pattern.unless):
            continue
        return pattern, name_end
    return None


def _word_matches(word: str, pattern: str) -> bool:
    return any(fnmatch.fnmatchcase(word, alt) for alt in pattern.split("|"))


def _has_option(words: list[Word], options: tuple[str, ...]) -> bool:
    for w in words[1:]:
        text = w.text
        for opt in options:
            if text == opt:
                return True
            if text.startswith(opt + "="):
                return text[len(opt) + 1 :].lower() not in ("none", "false")
    return False


# ------------------------------------------------------------------ deploy facts


@dataclass(frozen=True, eq=False)
class DeployCommand:
    """A deploy command (or deploying action) found in a job.

    ``start``/``end`` are offsets into ``script.text`` for script commands — the step's
    own script, or a repository script it runs (``./scripts/deploy.sh``) — and None for
    actions (their place is the step's ``uses:``).
    """

    #: Weak (see backref): :func:`step_deploy_commands` caches the commands with the
    #: step as a weak key, which a strong reference back would keep alive for ever.
    step: Step = Owner()
    words: tuple[str, ...]
    start: int | None
    end: int | None
    #: The table row's label: "kubectl apply", "azure/k8s-deploy"...
    label: str
    #: The words that are arguments (after the command name) — or, for an action, the
    #: target-like ``with:`` values.
    args: tuple[str, ...] = ()
    kind: str = "command"  # "command" or "action"
    #: Words of the commands piping into this one (``kustomize build k8s/prod | ...``).
    piped: tuple[str, ...] = ()
    #: The script the command is in (None for actions).
    script: Script | None = None

    def span(self):
        """Where a rule points: the command inside the script, or the step's ``uses:``."""
        start = self.start if self.kind == "command" else None
        return self.step.span_at(start, self.end, self.script)

    @property
    def text(self) -> str:
        return " ".join(self.words)


_SCRIPT_LANGUAGES = frozenset({"shell", "pwsh", "cmd"})


def script_commands(step: Step) -> Iterator[tuple[Script, list[Word], CommandPattern, int, list[str]]]:
    """(script, words from the program on, table row, words in the command name, words
    piped in) for the step's script and the repository scripts it runs."""
    for script in step.scripts:
        yield from _script_commands(script)


def _script_commands(script: Script):
    if script.language not in _SCRIPT_LANGUAGES or not _may_deploy(script.text):
        return
    program = script.program
    if program is None:
        return
    commands = program.commands
    for index, command in enumerate(commands):
        words = command_words(list(command.words))
        hit = _match(words)
        if hit is None:
            continue
        # ``kustomize build k8s/production | kubectl apply -f -``: what feeds the deploy
        feed: list[str] = []
        j = index - 1
        while j >= 0 and commands[j].pipeline == command.pipeline:
            feed = [w.text for w in command_words(list(commands[j].words))] + feed
            j -= 1
        yield script, words, hit[0], hit[1], feed


def _action_identity(step: Step) -> str | None:
    ref = step.uses
    if ref is None:
        return None
    if ref.kind == "repository":
        return ref.name.lower()
    if ref.kind in ("local", "docker", "invalid"):
        return None
    return ref.raw.split("@", 1)[0].strip().lower()


def _input_text(inputs: Mapping | None, name: str) -> str | None:
    if inputs is None:
        return None
    for key, _k, value in inputs.items():
        if key.lower() == name.lower() and isinstance(value, Scalar):
            return value.value
    return None


_ANY_ACTION = re.compile("|".join(f"(?:{fnmatch.translate(p.name)})" for p in DEPLOY_ACTIONS))


def _action_pattern(step: Step) -> ActionPattern | None:
    identity = _action_identity(step)
    if not identity or not _ANY_ACTION.match(identity):  # most steps use no deploying action
        return None
    for pattern in DEPLOY_ACTIONS:
        if not fnmatch.fnmatchcase(identity, pattern.name):
            continue
        if pattern.input:
            value = _input_text(step.inputs, pattern.input)
            if value is None:
                value = pattern.default
            if value is None:
                continue
            value = value.strip().lower()
            if "${{" not in value and not any(fnmatch.fnmatchcase(value, v) for v in pattern.values):
                continue
        return pattern
    return None


def _target_input_values(inputs: Mapping | None) -> tuple[str, ...]:
    """Values of ``with:`` inputs that name a target (namespace, app, slot, manifests...)."""
    if inputs is None:
        return ()
    out: list[str] = []
    for key, _k, value in inputs.items():
        if not _TARGET_INPUT.match(key):
            continue
        for text in _scalar_texts(value):
            for part in re.split(r"[\n,]", text):
                part = part.strip()
                if part:
                    out.append(part)
    return tuple(out)


def _scalar_texts(node) -> list[str]:
    if isinstance(node, Scalar):
        return [node.value]
    if isinstance(node, Sequence):
        return [item.value for item in node if isinstance(item, Scalar)]
    return []


_STEP_COMMANDS: "weakref.WeakKeyDictionary[Step, tuple[DeployCommand, ...]]" = weakref.WeakKeyDictionary()


def step_deploy_commands(step: Step) -> list[DeployCommand]:
    """The deploy commands a step runs: script commands, or its deploying action."""
    cached = _STEP_COMMANDS.get(step)
    if cached is None:
        cached = _STEP_COMMANDS[step] = tuple(_step_deploy_commands(step))
    return list(cached)


def _step_deploy_commands(step: Step) -> list[DeployCommand]:
    out: list[DeployCommand] = []
    pattern = _action_pattern(step)
    if pattern is not None:
        out.append(
            DeployCommand(step, (step.uses.raw,), None, None, pattern.label, _target_input_values(step.inputs), "action")
        )
    for script, words, cmd, name_end, feed in script_commands(step):
        out.append(
            DeployCommand(
                step,
                tuple(w.text for w in words),
                words[0].start,
                words[-1].end,
                cmd.label,
                tuple(w.text for w in words[name_end:]),
                piped=tuple(feed),
                script=script,
            )
        )
    return out


def deploy_commands(job: Job) -> list[DeployCommand]:
    """Every deploy command of the job's steps, in step and script order."""
    out: list[DeployCommand] = []
    for step in job.steps:
        out.extend(step_deploy_commands(step))
    return out


def is_deploy_job(job: Job, project=None) -> bool:
    """The job declares an environment, runs a deploy command or a deploying action.

    With ``project``, a job that calls a local reusable workflow (scanned) containing a
    deploy job is one too; a job calling a remote reusable workflow is not known to be.
    """
    if job.environment is not None and not _environment_not_deploying(job):
        return True
    if any(step_deploy_commands(step) for step in job.steps):
        return True
    if project is not None and job.uses is not None:
        called = called_workflow(job, project)
        if called is not None:
            return any(inner.uses is None and is_deploy_job(inner) for inner in called.jobs.values())
    return False


# ------------------------------------------------------------------ targets

_EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
_ENV_EXPRESSION = re.compile(r"\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def _label_text(text: str | None) -> str:
    """A job id/name as a target label: expressions removed, brackets as separators."""
    if not text:
        return ""
    text = _EXPRESSION.sub(" ", text)
    return re.sub(r"[()\[\]{},|]", " ", text).strip()


def _env_value(name: str, step: Step) -> str | None:
    for mapping in (step.env, step.job.env if step.job else None, step.job.pipeline.env if step.job else None):
        if isinstance(mapping, Mapping):
            value = mapping.get(name)
            if isinstance(value, Scalar) and "${{" not in value.value:
                return value.value
    return None


def _expand(text: str, step: Step) -> str:
    """Replace ``$VAR``, ``${VAR}`` and ``${{ env.VAR }}`` by static ``env:`` values."""
    if "$" not in text:
        return text

    def env_expr(m: re.Match) -> str:
        value = _env_value(m.group(1), step)
        return value if value is not None else m.group(0)

    text = _ENV_EXPRESSION.sub(env_expr, text)

    def var(m: re.Match) -> str:
        value = _env_value(m.group(1), step)
        return value if value is not None else m.group(0)

    return _VARIABLE.sub(var, text)


def _is_path_like(text: str) -> bool:
    return "/" in text or bool(re.search(r"\.(?:ya?ml|json|tfvars|toml|env|sh|conf)$", text, re.IGNORECASE))


def _usable(text: str) -> bool:
    return bool(text) and text != "-" and "://" not in text and "${{" not in text


def command_target_words(cmd: DeployCommand) -> list[str]:
    """The words of a deploy command that can name its target.

    Program name (``deploy-prod.sh``), values of environment selectors (``-n``,
    ``--namespace``, ``--context``, ``--stage``, ``--slot``... and ``--prod``), values of
    other target options (``--cluster``, ``--project``, ``--name``...), paths (``-f
    k8s/production/``, ``--values values-prod.yaml``), ``KEY=value`` pairs whose key is
    environment-like (``ENV=production``), and positional arguments (``deploy.sh
    production``, ``make deploy-prod``, a helm release name) — the last only when no
    environment selector is given (``helm upgrade live-reload ./chart -n dev`` targets
    ``dev``). Piped-in commands (``kustomize build k8s/production | kubectl apply -f -``)
    count too. For actions: the target-like ``with:`` inputs. Image references, URLs and
    values of other options are not targets.
    """
    step = cmd.step
    if cmd.kind == "action":
        return [t for t in (_expand(a, step) for a in cmd.args) if _usable(t)]
    tiers = _argument_targets(list(cmd.words), step)
    if cmd.piped:
        tiers += _argument_targets(list(cmd.piped), step)
    has_selector = any(tier == _SELECTOR and _usable(w) for w, tier in tiers)
    return [w for w, tier in tiers if _usable(w) and not (has_selector and tier == _POSITIONAL)]


_PROGRAM, _SELECTOR, _STRONG, _POSITIONAL = "program", "selector", "strong", "positional"


def _option_tier(name: str) -> str | None:
    if name in SELECTOR_OPTIONS:
        return _SELECTOR
    if name in TARGET_OPTIONS or name in PATH_OPTIONS or _ENV_KEY.search(name.lstrip("-")):
        return _STRONG
    return None


def _argument_targets(words: list[str], step: Step) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if words:
        out.append((words[0], _PROGRAM))
    k = 1
    n = len(words)
    while k < n:
        w = _expand(words[k], step)
        if w.startswith("-") and len(w) > 1:
            name, eq, value = w.partition("=")
            if not eq and name in PRODUCTION_FLAGS:
                out.append((PRODUCTION_FLAGS[name], _SELECTOR))
            if eq:
                tier = _option_tier(name)
                if tier:
                    out.append((value, tier))
                elif "=" in value:  # --set=environment=production
                    key, _, v = value.partition("=")
                    if _ENV_KEY.search(key):
                        out.append((v, _STRONG))
                k += 1
                continue
            if name in BOOLEAN_FLAGS or k + 1 >= n:
                k += 1
                continue
            value = _expand(words[k + 1], step)
            tier = _option_tier(name)
            if tier:
                out.append((value, tier))
            elif "=" in value and not value.startswith("-"):  # --set env=prod, -var stage=prod
                key, _, v = value.partition("=")
                if _ENV_KEY.search(key):
                    out.append((v, _STRONG))
            k += 1 if value.startswith("-") else 2
            continue
        if "=" in w:
            key, _, value = w.partition("=")
            if _ENV_KEY.search(key):
                out.append((value, _STRONG))
        elif _is_path_like(w):
            out.append((w, _STRONG if ":" not in w else _POSITIONAL))
        elif ":" not in w:  # not an image reference or host:port
            out.append((w, _POSITIONAL))
        k += 1
    return out


def command_targets_production(cmd: DeployCommand, targets) -> bool:
    return any(targets.is_production(t) for t in command_target_words(cmd))


def command_targets_staging(cmd: DeployCommand, targets) -> bool:
    return any(targets.is_staging(t) for t in command_target_words(cmd))


def _caller_input_values(job: Job) -> list[str]:
    """Environment-like ``with:`` values of a job that calls a reusable workflow."""
    return [v for v in _target_input_values(job.inputs) if _usable(v)]


def _labels(job: Job) -> list[str]:
    return [label for label in (_label_text(job.id), _label_text(job.name)) if label]


#: GitLab ``environment: action:`` values that do not deploy (stop, access, prepare, verify).
NOT_DEPLOYING_ACTIONS = frozenset({"stop", "access", "prepare", "verify"})


def _environment_not_deploying(job: Job) -> bool:
    """GitLab: the job's ``environment:`` has an ``action`` that does not deploy."""
    return job.extra.get("environment_action") in NOT_DEPLOYING_ACTIONS


def _targets(job: Job, classify, targets, project) -> bool:
    env = job.environment
    if env is not None and not _environment_not_deploying(job):
        tier = job.extra.get("environment_tier")  # GitLab ``deployment_tier``
        if isinstance(tier, str) and tier.strip() and (env.dynamic or not env.name or not classify(env.name)):
            if classify(tier.strip()):
                return True
        if env.dynamic or not env.name:
            return False
        return classify(env.name)
    if env is not None:  # stop/prepare/...: judged by what its scripts deploy
        commands = deploy_commands(job)
        return any(any(classify(t) for t in command_target_words(cmd)) for cmd in commands)
    if job.uses is not None:
        if not any(classify(v) for v in _labels(job) + _caller_input_values(job)):
            called = called_workflow(job, project) if project is not None else None
            if called is None:
                return False
            return any(
                inner.uses is None and is_deploy_job(inner) and _targets(inner, classify, targets, None)
                for inner in called.jobs.values()
            )
        return True
    commands = deploy_commands(job)
    if not commands and job.environment is None:
        return False
    if any(classify(label) for label in _labels(job)):
        return True
    return any(any(classify(t) for t in command_target_words(cmd)) for cmd in commands)


def targets_production(job: Job, targets, project=None) -> bool:
    """The deploy job deploys to a production-like target (see the module docstring).

    A job with an environment is judged by the environment's name alone; a dynamic
    environment name is unknown (False). A job calling a reusable workflow is judged by
    its id/name and environment-like ``with:`` inputs, or (with ``project``) by the
    called workflow's own deploy jobs.
    """
    return _targets(job, targets.is_production, targets, project)


def targets_staging(job: Job, targets, project=None) -> bool:
    """The deploy job deploys to a staging-like target (same evidence as production)."""
    return _targets(job, targets.is_staging, targets, project)


def production_commands(job: Job, targets) -> list[DeployCommand]:
    """The job's deploy commands whose own arguments name a production-like target."""
    return [c for c in deploy_commands(job) if command_targets_production(c, targets)]


def called_workflow(job: Job, project):
    """The scanned pipeline a job calls with a local ``uses:`` (reusable workflow), or None.

    Resolved by absolute path, so that several repositories scanned together (each with
    its own ``.github/workflows/build.yml``) never resolve into each other.
    """
    if job.uses is None or job.uses.kind != "local":
        return None
    return project.graph.called.get(job)


def workflow_callers(pipeline, project) -> list[Job]:
    """The scanned jobs that call ``pipeline`` with a local ``uses:``."""
    return list(project.graph.callers.get(pipeline, ()))


def is_pages_job(job: Job) -> bool:
    """GitLab Pages publishing: the job named ``pages`` or one with a ``pages:`` keyword.

    It publishes a static site (GitLab's own templates give it ``environment:
    production``); gate and promotion rules do not treat it as a production release.
    """
    if job.pipeline.platform != "gitlab":
        return False
    if job.id == "pages":
        return True
    node = job.node
    if isinstance(node, Mapping):
        value = node.get("pages")
        if value is not None and not (isinstance(value, Scalar) and value.value.strip().lower() in ("false", "")):
            return True
    return False


def describe_target(job: Job) -> str:
    """A short phrase for messages: "environment 'production'" or "job 'deploy-prod'"."""
    if job.environment is not None and job.environment.name and not job.environment.dynamic:
        return f"environment '{job.environment.name}'"
    return job.label


__all__ = [
    "ActionPattern",
    "CommandPattern",
    "NOT_DEPLOYING_ACTIONS",
    "DEPLOY_ACTIONS",
    "DEPLOY_COMMANDS",
    "DeployCommand",
    "called_workflow",
    "workflow_callers",
    "command_target_words",
    "command_targets_production",
    "command_targets_staging",
    "deploy_commands",
    "describe_target",
    "is_deploy_job",
    "is_pages_job",
    "production_commands",
    "step_deploy_commands",
    "targets_production",
    "targets_staging",
]
