"""What rolls a failed deploy back (PL204): the way back from a broken production release.

"What counts" is DATA in :mod:`pipelint.tables`:

- :data:`ROLLBACK_COMMANDS` — script commands that roll back (``kubectl rollout undo``,
  ``helm rollback``, ``kubectl argo rollouts abort|undo``, ``argocd app rollback``...),
  matched by program and leading positional words after wrappers (``sudo``, ``env``...);
- :data:`ROLLBACK_DEPLOY_OPTIONS` — deploy options that roll back by themselves
  (``helm upgrade --atomic`` / ``--rollback-on-failure``);
- :data:`ROLLBACK_ACTIONS` — actions / Azure tasks whose inputs make them roll back on
  failure (``enable-ecs-managed-rollback: true``...).

A job *has a way back* (:func:`rollback_path`) when:

1. a deploy command rolls back by itself (a built-in rollback, above), or the job deploys
   with Argo Rollouts (``kubectl argo rollouts set image|promote``): a Rollout aborts and
   returns to the stable version by itself when its analysis fails. pipelint does not read
   the Rollout manifest, so *any* Argo Rollouts deploy counts (precision first: the
   analysis usually lives in the manifest);
2. one of its steps that runs only on failure performs a rollback: GitHub step ``if:``
   with ``failure()`` (not negated), Azure deployment ``on: failure:`` hook steps, Azure
   step ``condition: failed()``, GitLab ``after_script`` lines (they run after a failed
   script too; they usually test ``$CI_JOB_STATUS``);
3. a rollback command in its own scripts that runs conditionally (``helm upgrade ... ||
   helm rollback ...``, an ``if ! kubectl rollout status ...; then kubectl rollout undo``
   branch, a ``trap ... ERR`` handler);
4. a failure-only job performs a rollback: GitHub ``if: failure()`` job, GitLab ``when:
   on_failure`` job, Azure job or stage with ``condition: failed()`` (or one naming
   ``failed()``) — downstream of the deploy in the project graph, or, when the graph does
   not link them (GitLab ``when: on_failure`` jobs of later stages are linked; a job
   calling a template pipelint cannot read is not), in the same pipeline. A failure-only
   job whose steps cannot be read (a reusable workflow / template call) counts when its
   id or name says ``rollback``/``revert``/``undo``.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from .deploy import command_words, positionals, deploy_commands
from .model import Job, Step
from . import tables
from .shell import mentions
from .tables import ROLLBACK_ACTIONS, ROLLBACK_DEPLOY_OPTIONS
from .yamltree import Scalar

_SCRIPT_LANGUAGES = frozenset({"shell", "pwsh", "cmd"})


def _rollback_words() -> tuple[str, ...]:
    """Lower-cased rollback program names (of the current table: config may add rows)."""
    return tables.derived("ROLLBACK_COMMANDS", lambda rows: tuple(sorted({p.lower() for row in rows for p in row.programs})))

_ROLLBACK_NAME = re.compile(r"roll[-_ ]?back|revert|undo", re.IGNORECASE)
_FAILURE_GH = re.compile(r"(?<![!\w])failure\(\s*\)")
_FAILED_AZ = re.compile(r"(?<![!\w])failed\(\s*\)", re.IGNORECASE)
_NEGATED = re.compile(r"not\s*\(\s*failed\(\s*\)\s*\)|!\s*failure\(\s*\)", re.IGNORECASE)
_ARGO_DEPLOY = ("kubectl argo rollouts set image", "kubectl argo rollouts promote")


@dataclass(frozen=True)
class Rollback:
    """A rollback found in a step: the table row's label and where it is."""

    step: Step
    label: str
    start: int | None = None
    end: int | None = None

    def span(self):
        return self.step.span_at(self.start, self.end)


def _alt(word: str, pattern: str) -> bool:
    return any(fnmatch.fnmatchcase(word, p) for p in pattern.split("|"))


def _match(words):
    """The :data:`ROLLBACK_COMMANDS` row a command (its words from the program on) matches."""
    if not words:
        return None
    program = words[0].text.rsplit("/", 1)[-1]
    if not any(program in row.programs for row in tables.ROLLBACK_COMMANDS):
        return None
    rest = [w for _i, w in positionals(words, program)]
    for row in tables.ROLLBACK_COMMANDS:
        if program not in row.programs:
            continue
        if len(rest) >= len(row.words) and all(_alt(w, p) for w, p in zip(rest, row.words)):
            return row
    return None


def step_rollbacks(step: Step, conditional_only: bool = False) -> list[Rollback]:
    """The rollback commands (or rolling-back action/task) a step runs.

    With ``conditional_only``, only script commands that run conditionally (after ``||``,
    in an ``if`` branch, in a function such as a ``trap`` handler) count.
    """
    out: list[Rollback] = []
    if not conditional_only and _action_rolls_back(step):
        out.append(Rollback(step, step.uses.raw))
    script = step.script
    if script is None or script.language not in _SCRIPT_LANGUAGES or not mentions(script.text, _rollback_words()):
        return out
    program = script.program
    if program is None:
        return out
    trap = any(c.name == "trap" for c in program.commands)
    for command in program.commands:
        if conditional_only and not (command.conditional or trap):
            continue
        words = command_words(list(command.words))
        row = _match(words)
        if row is not None:
            out.append(Rollback(step, row.label, words[0].start, words[-1].end))
    return out


def _action_rolls_back(step: Step) -> bool:
    ref = step.uses
    if ref is None or ref.kind not in ("repository", "task"):
        return False
    identity = (ref.name if ref.kind == "repository" else (ref.repo or ref.raw.split("@", 1)[0])).lower()
    for row in ROLLBACK_ACTIONS:
        if not fnmatch.fnmatchcase(identity, row.name):
            continue
        if row.input is None:
            return True
        value = step.input_text(row.input)
        if value is None:
            if row.default:
                return True
            continue
        if any(fnmatch.fnmatchcase(value.strip().lower(), v) for v in row.values):
            return True
    return False


def builtin_rollbacks(job: Job) -> list[Rollback]:
    """Deploys that roll back by themselves: ``helm upgrade --atomic``, Argo Rollouts,
    a rolling-back action/task."""
    out: list[Rollback] = []
    for cmd in deploy_commands(job):
        if cmd.kind == "command":
            options = ROLLBACK_DEPLOY_OPTIONS.get(cmd.label, ())
            if options and any(w == o or w.startswith(o + "=") for w in cmd.words for o in options):
                out.append(Rollback(cmd.step, f"{cmd.label} --atomic", cmd.start, cmd.end))
            elif cmd.label in _ARGO_DEPLOY:
                out.append(Rollback(cmd.step, "Argo Rollouts", cmd.start, cmd.end))
    for step in job.steps:
        if _action_rolls_back(step):
            out.append(Rollback(step, step.uses.raw))
    return out


def runs_on_failure(step: Step) -> bool:
    """A step that runs only (or also) after a failure: GitHub ``if: failure()``, Azure
    ``on: failure:`` hook or ``condition: failed()``, GitLab ``after_script``."""
    if step.extra.get("hook") == "on.failure":
        return True
    job = step.job
    platform = job.pipeline.platform if job is not None else ""
    if platform == "gitlab" and step.name == "after_script":
        return True
    cond = step.condition
    if isinstance(cond, Scalar) and cond.value:
        return _failure_condition(cond.value, platform)
    return False


def _failure_condition(text: str, platform: str) -> bool:
    if _NEGATED.search(text):
        return False
    if platform == "github":
        return bool(_FAILURE_GH.search(text))
    if platform == "azure":
        return bool(_FAILED_AZ.search(text))
    return False


def failure_job(job: Job) -> bool:
    """A job that runs when something before it failed."""
    if job.when == "on_failure":
        return True
    platform = job.pipeline.platform
    if isinstance(job.condition, Scalar) and _failure_condition(job.condition.value or "", platform):
        return True
    if platform == "azure" and job.stage:
        for stage in job.pipeline.stages:
            if stage.name == job.stage and isinstance(stage.condition, Scalar):
                return _failure_condition(stage.condition.value or "", platform)
    return False


def job_rollbacks(job: Job) -> list[Rollback]:
    out: list[Rollback] = []
    for step in job.steps:
        out.extend(step_rollbacks(step))
    return out


def rollback_path(job: Job, project) -> list[Rollback] | bool:
    """The rollbacks that bring ``job``'s deploy back (empty when none); True for a
    failure-only job whose steps pipelint cannot read but whose name says rollback."""
    found = builtin_rollbacks(job)
    if found:
        return found
    for step in job.steps:
        if runs_on_failure(step):
            found = step_rollbacks(step)
        else:
            found = step_rollbacks(step, conditional_only=True)
        if found:
            return found
    candidates = list(project.graph.downstream(job))
    candidates += [j for j in job.pipeline.jobs.values() if j is not job and j not in candidates]
    for other in candidates:
        if not failure_job(other):
            continue
        found = job_rollbacks(other)
        if found:
            return found
        if other.uses is not None and (_ROLLBACK_NAME.search(other.id) or _ROLLBACK_NAME.search(other.name or "")):
            return True
    return []


__all__ = [
    "Rollback",
    "builtin_rollbacks",
    "failure_job",
    "job_rollbacks",
    "rollback_path",
    "runs_on_failure",
    "step_rollbacks",
]


# ======================================================================= metric gates
# PL206: a script gate that compares a value read by ``jq`` from a metrics query. When the
# query returns no data, ``jq`` prints ``null`` (or its ``//`` default) and the comparison
# decides the gate on that value. Which way it decides is computed, not guessed:
#
# - ``[ ]``/``test`` numeric operators (``-gt``...) on ``null``/empty fail with an error:
#   the comparison is *false*;
# - ``[[ ]]`` numeric operators and ``(( ))`` evaluate ``null`` (an unset variable) and
#   empty as 0; ``[[ $X > 0.05 ]]`` compares strings (``null`` sorts after digits);
# - ``bc`` reads ``null`` as a variable (0); an empty operand is a syntax error (no output);
# - the gate fails when the comparison is true if the ``then`` branch (or ``&& ...``)
#   exits non-zero, when it is false if the ``else`` branch (or ``|| ...``) does;
#   ``if !`` flips it.
#
# Everything is read from the parsed program (:mod:`pipelint.shell`): the comparisons
# are ``Program.tests`` (their words and single :class:`~pipelint.shell.Comparison`), the
# direction is ``Program.fails_when`` (``if``/``elif`` branches and ``&&``/``||`` lists,
# ``Program.decisions``), ``bc`` expressions are the word ``echo`` pipes into ``bc``.
# Regexes only split single words (a ``bc`` expression, a ``${X%.*}`` copy, a URL).
#
# The finding is made only when the missing-data value makes the gate *pass*; a default
# that fails closed (``// 1`` for an error rate tested with ``> 0.05``, ``// error(...)``,
# ``jq -e``) or an explicit check (``[ -z "$X" ]``, ``"$X" == "null"``, ``${X:?}``,
# ``=~``) is safe. When the direction cannot be computed (unknown thresholds in arithmetic,
# no exit in either branch) nothing is reported: precision first.

_METRIC_SOURCE = re.compile(
    r"/api/v1/query|/api/v1/series|/api/v2/query|prometheus|thanos|victoria|mimir|datadoghq|"
    r"api\.newrelic|insights-api\.newrelic|cloudwatch|get-metric-(?:statistics|data)|graphite|/render\?target|"
    r"/api/ds/query|signalfx|honeycomb|dynatrace|/metrics/",
    re.IGNORECASE,
)
_METRIC_FILTER = re.compile(r"\.data\.result|\.value\[1\]|pointlist|Datapoints|MetricDataResults|\.series\[|\.Values\[")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_INT = re.compile(r"^-?\d+$")


@dataclass(frozen=True)
class MetricValue:
    """A shell variable holding a value ``jq`` extracted from a metrics query."""

    name: str
    #: what the variable holds when the query returns no data ("null", "", "0"...); None
    #: when that is unknown or fails the script (``jq -e``, ``// error``)
    missing: str | None
    step: Step
    start: int  # the jq command, in step.script.text
    end: int
    #: the variable ``jq``'s output was first assigned to (``name`` may be a copy of it)
    origin: str = ""


@dataclass(frozen=True)
class MetricGate:
    """A comparison of a :class:`MetricValue` that passes when the query returns no data."""

    value: MetricValue
    step: Step
    start: int
    end: int
    text: str

    def span(self):
        return self.step.script.span(self.start, self.end)


def _jq_missing(jq_words: list[str]) -> str | None:
    """What ``jq`` prints for a query with no data: ``null``, its ``//`` default, or None
    (``-e`` / ``// error``: the command fails)."""
    if any(w in ("-e", "--exit-status") or (w.startswith("-") and not w.startswith("--") and "e" in w[1:] and len(w) <= 4) for w in jq_words[1:]):
        return None
    filters = [w for w in jq_words[1:] if not w.startswith("-")]
    if not filters:
        return "null"
    filt = filters[0]
    if "//" not in filt:
        return "null"
    default = filt.rsplit("//", 1)[1].strip().rstrip(")").strip()
    if default.startswith("error") or default.startswith("halt"):
        return None
    if default == "empty":
        return ""
    default = default.strip('"').strip("'")
    return default if _NUMBER.match(default) or default in ("null", "") else None


_NULLISH = frozenset({"null", "None", "NaN", "nan", ""})


def _ref(word, name: str) -> bool:
    """``word`` is exactly a reference to ``$name`` (``$X``, ``"${X}"``)."""
    return re.fullmatch(r"\$\{?" + re.escape(name) + r"\}?", word.text) is not None


def _checked(program, name: str) -> bool:
    """An explicit missing-data check of ``$name`` in ``program``: a test with ``-z``/``-n``
    of it, a comparison with ``null``/``""``, ``=~``, or ``${name:?}`` in any word."""
    for test in program.tests:
        words = test.words
        for i, w in enumerate(words):
            if not _ref(w, name):
                continue
            before = words[i - 1] if i else None
            after = words[i + 1] if i + 1 < len(words) else None
            if before is not None and before.raw in ("-z", "-n"):
                return True
            if after is not None and after.raw == "=~":
                return True
            if after is not None and after.raw in ("=", "==", "!=") and i + 2 < len(words) and words[i + 2].text in _NULLISH:
                return True
            if before is not None and before.raw in ("=", "==", "!=") and i >= 2 and words[i - 2].text in ("null", "NaN"):
                return True
    guard = re.compile(r"\$\{" + re.escape(name) + r":?\?")
    words = [w for c in program.commands for w in c.words]
    words += [a.value for a in program.assignments]
    words += [w for t in program.tests for w in t.words]
    return any("$" in w.text and guard.search(w.text) for w in words)


def may_read_metrics(text: str) -> bool:
    """Cheap test before parsing: the text can hold a metrics query read with ``jq`` (a
    metrics source or a metric-shaped ``jq`` filter); without one there is no metric value."""
    return "jq" in text and (_METRIC_SOURCE.search(text) is not None or _METRIC_FILTER.search(text) is not None)


def metric_values(step: Step, program, known: dict) -> dict:
    """Variables assigned from a ``jq`` read of a metrics query in ``program`` (added to
    ``known``, which may hold values from earlier GitLab script lines of the job)."""
    subs = [c for c in program.commands if c.substitution]
    out = dict(known)
    responses: set[str] = set()
    for a in program.assignments:
        v = a.value
        inner = [c for c in subs if v.start <= c.start < v.end]
        raw = v.raw
        if not inner:
            # copies: X=$ERR, X=${ERR%.*}, X=${ERR:-1}
            m = re.fullmatch(r"\"?\$\{?(\w+)(?:(%[^}]*)|:-([^}]*))?\}?\"?", raw)
            if m and m.group(1) in out:
                src = out[m.group(1)]
                missing = src.missing
                if m.group(3) is not None and missing in ("", None):
                    missing = m.group(3) if missing == "" else missing
                out[a.name] = MetricValue(a.name, missing, src.step, src.start, src.end, src.origin or src.name)
            else:
                out.pop(a.name, None)
            continue
        jq = [c for c in inner if c.name == "jq"]
        source = bool(_METRIC_SOURCE.search(raw)) or any(r in raw for r in responses if re.search(r"\$\{?" + re.escape(r) + r"\b", raw))
        if not jq:
            if any(c.name in ("curl", "wget", "http", "aws", "gcloud", "az") for c in inner) and _METRIC_SOURCE.search(raw):
                responses.add(a.name)
            else:
                # printf "%.0f" "$ERR" / echo "$ERR * 100" | bc: null -> 0
                ref = next((n for n in out if re.search(r"\$\{?" + re.escape(n) + r"\b", raw)), None)
                if ref is not None and any(c.name in ("printf", "bc", "awk", "cut", "tr", "sed", "xargs") for c in inner):
                    expr = _bc_expression(inner)
                    if expr is not None and _BC_CMP.match(expr):
                        src = out[ref]
                        out[a.name] = MetricValue(a.name, _bc_value(expr, ref, src.missing), src.step, src.start, src.end, src.origin or src.name)
                    elif any(c.name == "printf" for c in inner):
                        src = out[ref]
                        out[a.name] = MetricValue(a.name, "0" if src.missing is not None else None, src.step, src.start, src.end, src.origin or src.name)
                    else:
                        src = out[ref]
                        out[a.name] = MetricValue(a.name, src.missing, src.step, src.start, src.end, src.origin or src.name)
                else:
                    out.pop(a.name, None)
            continue
        last = jq[-1]
        words = [w.text for w in last.words]
        if not (source or _METRIC_FILTER.search(" ".join(words[1:]))):
            out.pop(a.name, None)
            continue
        if not source and not any(c.name in ("curl", "wget", "http", "aws", "echo", "printf", "cat", "gcloud", "az") for c in inner) and "<<<" not in raw:
            out.pop(a.name, None)  # jq over a file: not a live metrics query
            continue
        out[a.name] = MetricValue(a.name, _jq_missing(words), step, last.start, last.end, a.name)
    return out


# A ``bc`` expression is one shell word (the argument of the ``echo`` piped into ``bc``);
# the regexes below only split that word.
_BC_CMP = re.compile(r"^\s*(?P<a>\S+)\s*(?P<op>>=|<=|==|!=|>|<)\s*(?P<b>\S+)\s*$")
_BC_FEEDERS = frozenset({"echo"})


def _bc_expression(commands) -> str | None:
    """The expression ``bc`` reads in ``commands`` (``echo "$E > 0.05" | bc -l``), or None."""
    for c in commands:
        if c.name != "bc" or c.pipe_index == 0:
            continue
        feeder = next((f for f in commands if f.pipeline == c.pipeline and f.pipe_index == c.pipe_index - 1), None)
        if feeder is None or feeder.name not in _BC_FEEDERS:
            continue
        args = [w for w in feeder.args if not (w.raw.startswith("-") and w.raw in ("-n", "-e", "-ne", "-en"))]
        return " ".join(w.text for w in args)
    return None


def _bc_operand(text: str, name: str, missing: str) -> float | None | str:
    if re.fullmatch(r"\$\{?" + re.escape(name) + r"\}?", text):
        text = missing
    if text == "":
        return "error"
    if _NUMBER.match(text):
        return float(text)
    if re.fullmatch(r"[a-z][a-z0-9_]*", text):
        return 0.0  # bc reads it as a variable
    return None


def _bc_value(expr: str, name: str, missing: str | None) -> str | None:
    """The output of ``echo "A OP B" | bc`` (``expr``: the echoed word) when ``$name``
    holds ``missing``."""
    if missing is None:
        return None
    c = _BC_CMP.match(expr)
    if c is None:
        return None
    a = _bc_operand(c.group("a"), name, missing)
    b = _bc_operand(c.group("b"), name, missing)
    if a == "error" or b == "error":
        return ""
    if a is None or b is None:
        return None
    return "1" if _compare(a, c.group("op"), b) else "0"


def _compare(a, op: str, b) -> bool:
    return {
        ">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b, "==": a == b, "=": a == b, "!=": a != b,
        "-gt": a > b, "-lt": a < b, "-ge": a >= b, "-le": a <= b, "-eq": a == b, "-ne": a != b,
    }[op]


def _arith(text: str) -> float | None:
    """``[[ -gt ]]`` / ``(( ))`` operand: numbers; identifiers and empty are 0."""
    if text == "" or re.fullmatch(r"[A-Za-z_]\w*", text):
        return 0.0
    if _INT.match(text):
        return float(text)
    return None  # decimals: an arithmetic syntax error (not about missing data)


def _evaluate(kind: str, left: str, op: str, right: str) -> bool | None:
    """The outcome of one comparison with literal operands (None: unknown)."""
    if "$" in left or "$" in right or "`" in left or "`" in right:
        return None
    if kind == "[":
        if op in ("=", "==", "!="):
            return (left == right) if op != "!=" else (left != right)
        if op in (">", "<", ">=", "<=", "=~"):
            return None  # a redirect inside [ ]
        if _INT.match(left) and _INT.match(right):
            return _compare(int(left), op, int(right))
        return False  # "integer expression expected": status 2
    if kind == "[[":
        if op in ("=", "==", "!=", "=~"):
            return None  # patterns
        if op in (">", "<"):
            return _compare(left, op, right)
        if op in (">=", "<="):
            return None
    if op in ("=", "=~"):
        return None
    a, b = _arith(left), _arith(right)
    if a is None or b is None:
        return None
    return _compare(a, op, b)


def _inside(program, word) -> list:
    """The commands of a ``$( )`` word, from the parsed program."""
    return [c for c in program.commands if word.start <= c.start < word.end]


def _bc_word(program, word) -> str | None:
    """The ``bc`` expression when ``word`` is exactly ``$(echo "..." | bc)``."""
    if not (word.text.startswith("$(") and word.text.endswith(")")):
        return None
    return _bc_expression(_inside(program, word))


def _substitute(program, word, value: MetricValue) -> str:
    """Operand with the metric variable (or a bc over it) replaced by its missing value."""
    expr = _bc_word(program, word)
    if expr is not None:
        bc = _bc_value(expr, value.name, value.missing)
        return bc if bc is not None else "$?"
    return re.sub(r"\$\{?" + re.escape(value.name) + r"\}?(?![\w])", lambda _m: value.missing, word.text)


def _mentions(test, name: str) -> bool:
    """One of ``test``'s words reads ``$name`` (or names it, inside ``(( ))``)."""
    ref = re.compile(r"\$\{?" + re.escape(name) + r"\b")
    return any(ref.search(w.text) or (test.kind == "((" and w.text == name) for w in test.words)


def metric_gates(step: Step, program, values: dict, others=()) -> list[MetricGate]:
    """Comparisons in ``program`` of tracked metric values that pass on missing data.
    ``others``: programs of the same shell (earlier/later GitLab script lines of the job),
    searched for explicit missing-data checks (iterated only when a gate is found)."""
    out: list[MetricGate] = []
    if not values or not program.tests:
        return out
    text = program.text
    for test in program.tests:
        for value in values.values():
            if value.step is step and test.start < value.end:
                continue  # compared before it is read
            if value.missing is None or not _mentions(test, value.name):
                continue
            gate = _gate(program, test, value)
            if gate is None:
                continue
            fails_when = program.fails_when(test.start, test.end)
            if fails_when is None or gate == fails_when:
                continue  # not a gate, or on missing data the gate fails
            if _checked(program, value.name) or any(_checked(p, value.name) for p in others if p is not None):
                continue
            out.append(MetricGate(value, step, test.start, test.end, text[test.start : test.end]))
            break
    return out


def _gate(program, test, value: MetricValue) -> bool | None:
    """The test's outcome when the metric is missing (None: not a comparison of it)."""
    if test.kind == "((":
        if len(test.words) == 1:
            expr = _bc_word(program, test.words[0])
            if expr is None:
                return None
            out = _bc_value(expr, value.name, value.missing)
            if out is None:
                return None
            return out not in ("", "0")
        cmp = test.comparison
        if cmp is None or cmp.negated or cmp.op == "=~":
            return None
        names = []
        for w in (cmp.left, cmp.right):
            m = re.fullmatch(r"\$?\{?(\w+)\}?", w.text)
            names.append(value.missing if m and m.group(1) == value.name else w.text)
        if re.fullmatch(r"\$?\{?\w+\}?", cmp.left.text) is None:
            return None
        return _evaluate("((", names[0], cmp.op, names[1])
    cmp = test.comparison
    if cmp is None:
        return None
    left = _substitute(program, cmp.left, value)
    right = _substitute(program, cmp.right, value)
    kind = "[[" if test.kind == "[[" else "["
    result = _evaluate(kind, left, cmp.op, right)
    if result is None:
        return None
    if kind == "[" and cmp.op.startswith("-") and not (_INT.match(left) and _INT.match(right)):
        return False  # "integer expression expected" (status 2), also under `[ ! ... ]`
    return not result if cmp.negated else result


__all__ += ["MetricGate", "MetricValue", "metric_gates", "metric_values"]
