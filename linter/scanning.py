"""Security reading of pipelines: what counts as a security scan (PL506) and where a
script runs code it downloads (PL508).

What counts is DATA in :mod:`pipelint.tables`:

- a script command whose program and leading words match a row of
  :data:`~pipelint.tables.SCAN_COMMANDS` (``trivy image``, ``grype``, ``snyk test``,
  ``semgrep``, ``docker scout cves``, ``npm audit``...), after wrappers such as ``sudo``,
  ``npx``, ``uvx``, ``pipx run``, ``python -m``; ``trivy --version`` is no scan;
- a GitHub action of :data:`~pipelint.tables.SCAN_ACTIONS` (``github/codeql-action/*``,
  ``aquasecurity/trivy-action``...);
- an Azure task of :data:`~pipelint.tables.SCAN_TASKS` (``AdvancedSecurity-*``...);
- a GitLab pipeline that includes a scanning template of
  :data:`~pipelint.tables.SCAN_TEMPLATES` (``include: template: Security/SAST.gitlab-ci.yml``):
  the jobs such a template adds are not in the model, so the whole pipeline counts as
  scanned.

A scan that does not block (``continue-on-error: true``, ``allow_failure: true``,
``|| true``) still counts: it still reports what it finds (SARIF upload, a failed job
in the pipeline view), and PL506 is about a scan being absent, not about gating.

Remote execution (:func:`remote_executions`): a :data:`~pipelint.tables.DOWNLOADERS`
command writing to standard output piped into an
:data:`~pipelint.tables.INTERPRETERS` command that runs standard input (``curl -fsSL
URL | sudo bash -s --``, ``irm URL | iex``), or a downloader inside a process or command
substitution that is the interpreter's script (``bash <(curl URL)``, ``sh -c "$(curl
URL)"``, ``iex (iwr URL)``, ``Invoke-Expression (Invoke-WebRequest URL).Content``).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from .deploy import deploy_commands
from .model import Job, Pipeline, Step
from . import tables
from .shell import mentions
from .tables import DOWNLOADERS, INTERPRETERS, SCAN_TASKS, SCAN_TEMPLATES, ScanCommand

_SCRIPT_LANGUAGES = frozenset({"shell", "pwsh"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
#: Wrappers whose next word (after options) is the real command.
_RUNNERS = frozenset({"sudo", "env", "npx", "uvx", "bunx", "pnpx", "time", "exec", "command", "nice", "nohup", "doas"})
_TWO_WORD_RUNNERS = frozenset({("pipx", "run"), ("poetry", "run"), ("uv", "run"), ("pipenv", "run"), ("npm", "exec"), ("pnpm", "exec"), ("yarn", "dlx"), ("pnpm", "dlx")})
#: ``sudo -u user``: options of wrappers that take a value.
_RUNNER_VALUE_OPTIONS = frozenset({"-u", "-g", "-C", "-p", "--user", "--group", "-n"})
_NOT_A_SCAN = frozenset({"--version", "version", "-v", "-V", "--help", "-h", "help", "auth", "login", "config"})


def _base(word: str) -> str:
    name = word.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return name[:-4] if name.lower().endswith(".exe") else name


def strip_wrappers(words: list[str]) -> list[str]:
    """The command's words without leading wrappers (``sudo -E``, ``env A=1``, ``npx``,
    ``pipx run``, ``python -m``), assignments and ``time``."""
    k, n = 0, len(words)
    while k < n:
        w = words[k]
        base = _base(w)
        if _ASSIGNMENT.match(w):
            k += 1
        elif base in _RUNNERS:
            k += 1
            while k < n and (words[k].startswith("-") or _ASSIGNMENT.match(words[k])):
                k += 2 if words[k] in _RUNNER_VALUE_OPTIONS else 1
        elif k + 1 < n and (base, words[k + 1]) in _TWO_WORD_RUNNERS:
            k += 2
            while k < n and words[k].startswith("-"):
                k += 1
        elif base.startswith("python") and k + 2 < n and words[k + 1] == "-m":
            return [words[k + 2].replace("_", "-")] + words[k + 3 :]
        else:
            break
    return words[k:]


# --------------------------------------------------------------------- scans


@dataclass(frozen=True)
class Scan:
    """A scan found in a step: what (the table row's label or the action/task) and where."""

    step: Step
    label: str
    start: int | None = None  # offsets in step.script.text for script commands
    end: int | None = None

    def span(self):
        return self.step.span_at(self.start, self.end)


def _alt(word: str, pattern: str) -> bool:
    return any(fnmatch.fnmatchcase(word, p) for p in pattern.split("|"))


def match_scan_command(words: list[str]) -> ScanCommand | None:
    """The :data:`SCAN_COMMANDS` row a command (its words, quotes removed) matches."""
    words = strip_wrappers(words)
    if not words:
        return None
    program = _base(words[0]).lower()
    rest = [w for w in words[1:] if not w.startswith("-")]
    if any(w in _NOT_A_SCAN for w in words[1:2]) or (len(words) == 2 and words[1] in _NOT_A_SCAN):
        return None
    for row in tables.SCAN_COMMANDS:
        if program not in row.programs:
            continue
        if not row.words:
            return row
        if len(rest) >= len(row.words) and all(_alt(w, p) for w, p in zip(rest, row.words)):
            return row
    return None


def _scan_words() -> tuple[str, ...]:
    """Lower-cased scanner program names (of the current table: config may add rows)."""
    return tables.derived("SCAN_COMMANDS", _program_words)


def _program_words(rows) -> tuple[str, ...]:
    return tuple(sorted({p.lower().rstrip("*") for row in rows for p in row.programs}))


def _matches(name: str, patterns) -> bool:
    name = name.lower()
    return any(fnmatch.fnmatchcase(name, p.lower()) for p in patterns)


def step_scans(step: Step) -> list[Scan]:
    """The scans a step runs: a scanning action or task, or scan commands in its script."""
    out: list[Scan] = []
    ref = step.uses
    if ref is not None:
        if ref.kind == "repository" and _matches(ref.name, tables.SCAN_ACTIONS):
            out.append(Scan(step, ref.raw))
        elif ref.kind == "task" and _matches(ref.repo or "", SCAN_TASKS):
            out.append(Scan(step, ref.raw))
    script = step.script
    if script is None or script.language not in _SCRIPT_LANGUAGES or not mentions(script.text, _scan_words()):
        return out
    program = script.program
    if program is None:
        return out
    for command in program.commands:
        if not command.words:
            continue
        row = match_scan_command([w.text for w in command.words])
        if row is not None:
            out.append(Scan(step, row.label, command.words[0].start, command.words[-1].end))
    return out


def job_scans(job: Job) -> list[Scan]:
    """Every scan a job's steps run, in order."""
    out: list[Scan] = []
    for step in job.steps:
        out.extend(step_scans(step))
    return out


def scan_templates(pipeline: Pipeline) -> list[dict]:
    """The GitLab scanning templates (``include: template:``) the pipeline includes."""
    out = []
    for entry in pipeline.external:
        if entry.get("kind") == "include" and entry.get("type") == "template":
            ref = str(entry.get("ref") or "")
            if _matches(ref.rsplit("/", 1)[-1], SCAN_TEMPLATES) or _matches(ref, SCAN_TEMPLATES):
                out.append(entry)
    return out


def unreadable_parts(pipeline: Pipeline) -> list[dict]:
    """Parts of the pipeline pipelint cannot read, where a scan may hide: every external
    entry except GitLab's own templates (``include: template:``), which are known."""
    return [e for e in pipeline.external if not (e.get("kind") == "include" and e.get("type") == "template")]


def scans_before_deploy(job: Job) -> list[Scan]:
    """Scans in the job before its first deploy command (every scan when the job has no
    deploy command of its own)."""
    scans = job_scans(job)
    if not scans:
        return scans
    commands = deploy_commands(job)
    if not commands:
        return scans
    first = commands[0]
    order = {id(s): i for i, s in enumerate(job.steps)}
    deploy_at = (order.get(id(first.step), 0), first.start or 0)
    return [s for s in scans if (order.get(id(s.step), 0), s.start or 0) < deploy_at]


# ------------------------------------------------------------ remote scripts

_DOWNLOADERS = frozenset(d.lower() for d in DOWNLOADERS)
_INTERPRETERS = frozenset(i.lower() for i in INTERPRETERS)
_REMOTE_WORDS = tuple(sorted(_DOWNLOADERS))
#: How downloaded code reaches an interpreter: a pipe, a substitution, ``iex``.
_HANDOVER = ("|", "$(", "<(", "`", "iex", "invoke-expression")
_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "fish"})
_PWSH = frozenset({"pwsh", "powershell", "iex", "invoke-expression"})
#: Interpreter options whose value is the program text (then standard input is data).
_INLINE = frozenset({"-c", "-e", "-m", "-command", "-file", "-f", "-encodedcommand", "-ec", "--eval", "--print", "-p"})
#: Shell options that take a value (``bash -o pipefail``).
_SHELL_VALUE_OPTIONS = frozenset({"-o", "+o", "-O", "+O"})


@dataclass(frozen=True)
class RemoteExecution:
    """Downloaded code run by an interpreter: the downloader command, the interpreter
    command, how (``"pipe"`` or ``"substitution"``)."""

    downloader: object  # pipelint.shell.Command
    interpreter: object
    how: str

    @property
    def url(self) -> str | None:
        """The downloaded address as written (``https://...``, ``$URL/install.sh``)."""
        args = self.downloader.args
        for w in args:
            if "://" in w.text:
                return w.text
        for w in args:
            if w.dynamic and not w.text.startswith("-") and "/" in w.text:
                return w.raw.strip("'\"")
        return None

    @property
    def pinned(self) -> bool:
        """The address names an immutable commit (``.../<40-hex sha>/install.sh``): what
        runs is fixed, as with a verified checksum."""
        return bool(self.url and _COMMIT.search(self.url))


def _name(command) -> str:
    return _base(command.words[0].text).lower() if command.words else ""


def _writes_stdout(command) -> bool:
    """The downloader prints what it downloads (``curl URL``, ``wget -qO- URL``, ``irm``)."""
    name = _name(command)
    args = [w.text for w in command.args]
    if name == "curl":
        return not command.has_flag("-o", "--output", "-O", "--remote-name", "--remote-name-all")
    if name == "wget":
        for i, t in enumerate(args):
            value = None
            if t.startswith("--output-document"):
                value = t.split("=", 1)[1] if "=" in t else (args[i + 1] if i + 1 < len(args) else None)
            elif t.startswith("-") and not t.startswith("--") and "O" in t:
                value = t[t.index("O") + 1 :] or (args[i + 1] if i + 1 < len(args) else None)
            if value is not None:
                return value in ("-", "/dev/stdout")
        return False
    lowered = [a.lower() for a in args]
    if "-outfile" in lowered:
        return "-passthru" in lowered
    return True


def _runs_stdin(words: list[str]) -> bool:
    """The interpreter runs what it reads on standard input: no inline program (``-c``,
    ``-e``, ``-m``) and no script file (``bash -s -- args``, ``sh``, ``python3 -``, ``iex``)."""
    if not words:
        return False
    name = _base(words[0]).lower()
    if name not in _INTERPRETERS:
        return False
    args = words[1:]
    i = 0
    while i < len(args):
        a = args[i]
        low = a.lower()
        bundle = name in _SHELLS and a.startswith("-") and not a.startswith("--")
        if bundle and "c" in a[1:]:
            return False
        if a in ("-", "-s", "/dev/stdin") or (bundle and "s" in a[1:]):
            return True
        if a == "--":
            return False
        if name not in _SHELLS and low in _INLINE:
            return False
        if name in _SHELLS and a in _SHELL_VALUE_OPTIONS:
            i += 2
            continue
        if not a.startswith("-"):
            return False  # a script file: standard input is data
        i += 1
    return True


def _script_argument(command) -> list:
    """The words of an interpreter command that hold the program it runs: the value of
    ``-c``/``-e``/``-Command``, the script file (``bash <(...)``), every argument of
    ``iex``/``Invoke-Expression``."""
    words = list(command.words)
    texts = strip_wrappers([w.text for w in words])
    if not texts:
        return []
    offset = len(words) - len(texts)
    name = _base(texts[0]).lower()
    if name not in _INTERPRETERS:
        return []
    args = words[offset + 1 :]
    if name in ("iex", "invoke-expression"):
        return list(args)
    i = 0
    while i < len(args):
        t = args[i].text
        low = t.lower()
        if low in ("-c", "-e", "-command", "--eval") or (name in _SHELLS and t.startswith("-") and not t.startswith("--") and t.endswith("c")):
            return [args[i + 1]] if i + 1 < len(args) else []
        if name in _SHELLS and t in _SHELL_VALUE_OPTIONS:
            i += 2
            continue
        if t.startswith("-") and t != "-":
            i += 1
            continue
        return [args[i]]
    return []


_COMMIT = re.compile(r"/[0-9a-f]{40}(?:/|$)")
_WHOLE_SUBSTITUTION = re.compile(r"""^\s*["']?\s*(?:[<$]\(|`|\(|&\s*\{\s*\$\()""", re.S)


def remote_executions(program) -> list[RemoteExecution]:
    """Where a program runs code it downloads (see the module docstring)."""
    out: list[RemoteExecution] = []
    if program is None or not mentions(program.text, _REMOTE_WORDS):
        return out
    commands = program.commands
    downloaders = [c for c in commands if _name(c) in _DOWNLOADERS]
    by_pipeline: dict[int, list] = {}
    for c in commands:
        by_pipeline.setdefault(c.pipeline, []).append(c)
    done: set[int] = set()
    for d in downloaders:
        if not _writes_stdout(d):
            continue
        # piped: ... | interpreter
        for later in by_pipeline.get(d.pipeline, ()):
            if later.pipe_index > d.pipe_index and later is not d and _runs_stdin(strip_wrappers([w.text for w in later.words])):
                out.append(RemoteExecution(d, later, "pipe"))
                done.add(id(d))
                break
        if id(d) in done or not d.substitution:
            continue
        # substitution: the downloader's output is the interpreter's program
        for c in commands:
            if c is d or c.start > d.start or c.end < d.end:
                continue
            for w in _script_argument(c):
                if w.start <= d.start and d.end <= w.end and _WHOLE_SUBSTITUTION.match(w.raw):
                    out.append(RemoteExecution(d, c, "substitution"))
                    done.add(id(d))
                    break
            if id(d) in done:
                break
        # PowerShell: iex ((New-Object Net.WebClient).DownloadString(URL))
    if program.language == "pwsh":
        for c in commands:
            if _name(c) in ("iex", "invoke-expression") and not any(r.interpreter is c for r in out):
                if any(_METHOD.search(w.raw) for w in c.args):
                    out.append(RemoteExecution(c, c, "method"))
    return out


_METHOD = re.compile(r"\.(?:%s)\s*\(" % "|".join(re.escape(d) for d in sorted(DOWNLOADERS)), re.IGNORECASE)


def remote_scripts(step: Step) -> list[RemoteExecution]:
    """Remote executions in a step's own script (after a cheap text prefilter)."""
    return remote_scripts_in(step.script)


def remote_scripts_in(script) -> list[RemoteExecution]:
    """Remote executions in one script: a step's own, or a repository script it runs."""
    if script is None or script.language not in _SCRIPT_LANGUAGES or not mentions(script.text, _REMOTE_WORDS):
        return []
    if not mentions(script.text, _HANDOVER):
        return []  # downloads that nothing runs: no pipe, substitution or Invoke-Expression
    return [r for r in remote_executions(script.program) if not r.pinned]


__all__ = [
    "RemoteExecution",
    "Scan",
    "job_scans",
    "match_scan_command",
    "remote_executions",
    "remote_scripts",
    "remote_scripts_in",
    "scan_templates",
    "scans_before_deploy",
    "step_scans",
    "strip_wrappers",
    "unreadable_parts",
]
