"""Where the text of a GitHub ``${{ }}`` expression comes from, and where it goes.

Shared by the injection and secret rules (PL502 script-injection, PL503 secret-in-script,
PL505 untrusted-checkout): which contexts of an expression can end up in its value
(:func:`flowing_paths`), which of them an outsider chooses (:data:`UNTRUSTED`), the
scripts of GitHub steps an expression can reach (:func:`script_sinks`), and the step's
``env:`` entries a script may read instead (:func:`env_source`).
"""

from __future__ import annotations

from typing import Iterator, NamedTuple

from .yamltree import Mapping, Scalar

#: Contexts whose text whoever opens an issue, pull request, comment, review, discussion
#: or commit chooses freely (GitHub Security Lab's "untrusted input" list, GitHub's
#: script-injection docs, plus the same fields of workflow_run and discussion events).
#: Lower-case dotted paths; ``*`` is any array element. Identifiers that GitHub restricts
#: to a safe alphabet (logins, repository names, SHAs, numbers) are not listed.
UNTRUSTED = (
    "github.head_ref",
    "github.event.issue.title",
    "github.event.issue.body",
    "github.event.pull_request.title",
    "github.event.pull_request.body",
    "github.event.pull_request.head.ref",
    "github.event.pull_request.head.label",
    "github.event.pull_request.head.repo.default_branch",
    "github.event.pull_request.head.repo.description",
    "github.event.pull_request.head.repo.homepage",
    "github.event.comment.body",
    "github.event.review.body",
    "github.event.review_comment.body",
    "github.event.discussion.title",
    "github.event.discussion.body",
    "github.event.changes.title.from",
    "github.event.changes.body.from",
    "github.event.pages.*.page_name",
    "github.event.pages.*.title",
    "github.event.pages.*.summary",
    "github.event.commits.*.message",
    "github.event.commits.*.author.name",
    "github.event.commits.*.author.email",
    "github.event.commits.*.committer.name",
    "github.event.commits.*.committer.email",
    "github.event.head_commit.message",
    "github.event.head_commit.author.name",
    "github.event.head_commit.author.email",
    "github.event.head_commit.committer.name",
    "github.event.head_commit.committer.email",
    "github.event.workflow_run.head_branch",
    "github.event.workflow_run.display_title",
    "github.event.workflow_run.head_commit.message",
    "github.event.workflow_run.head_commit.author.name",
    "github.event.workflow_run.head_commit.author.email",
    "github.event.workflow_run.head_commit.committer.name",
    "github.event.workflow_run.head_commit.committer.email",
    "github.event.workflow_run.head_repository.description",
    "github.event.workflow_run.pull_requests.*.head.ref",
)

_UNTRUSTED_SEGMENTS = tuple(tuple(p.split(".")) for p in UNTRUSTED)

#: Functions whose result is a boolean or a hash: their arguments never reach the text.
_OPAQUE_FUNCTIONS = frozenset(
    {"contains", "startswith", "endswith", "hashfiles", "success", "always", "cancelled", "failure"}
)


# --------------------------------------------------------------------------- data flow

#: Path segment markers: a star filter (``.*``, ``[*]``: every element, an array), a
#: literal number index (one element), an index computed from trusted values (one
#: unknown key) and one computed from attacker-controlled text (any key the attacker
#: picks). Named segments are lower-case names.
STAR, NUMBER, COMPUTED, CHOSEN = "*", "#", "?", "!"


class Flow(NamedTuple):
    """A context whose value can reach the text of an expression, and how.

    ``via`` is "" when the value itself is substituted (an object then becomes the word
    ``Object`` and an array ``Array``), "join" inside ``join()`` (array elements are
    joined) and "json" inside ``toJSON()`` (everything is serialised).
    """

    path: str
    start: int
    end: int
    via: str


def _segment_name(seg) -> str:
    from pipelint.expressions.github import Index, Literal, Property

    if isinstance(seg, Property):
        return seg.name.lower()
    if isinstance(seg, Index):
        if isinstance(seg.index, Literal):
            value = seg.index.value
            return value.lower() if isinstance(value, str) else NUMBER
        if any(value_kind(flow.path) for flow in flowing_paths(seg.index)):
            return CHOSEN
        return COMPUTED
    return STAR


def context_path(node) -> str:
    """The normalised path of one Context node: lower-case names joined by dots, with
    the markers :data:`STAR`, :data:`NUMBER`, :data:`COMPUTED` and :data:`CHOSEN`."""
    return ".".join([node.name.lower(), *(_segment_name(s) for s in node.segments)])


def flowing_paths(expr) -> list[Flow]:
    """The contexts whose value can become (part of) the value of ``expr``, in text order.

    Offsets are relative to the parsed text. Comparisons, ``!`` and boolean functions
    (``contains``...) yield true/false, so what they read does not flow; ``a && b``
    yields ``a`` only when ``a`` is falsy (an empty string at most), so only ``b``
    flows; ``a || b`` may yield either; ``case()`` yields its values, not its
    conditions; other functions pass their arguments through. Segments read from a
    computed value (``fromJSON(x).y``) extend the paths of ``x``.
    """
    from pipelint.expressions.github import Access, Binary, Call, Context, Group

    out: list[Flow] = []

    def visit(node, suffix: tuple[str, ...], span: tuple[int, int] | None, via: str) -> None:
        if isinstance(node, Context):
            path = context_path(node)
            if suffix:
                path = ".".join((path, *suffix))
            start, end = span if span else (node.start, node.end)
            out.append(Flow(path, start, end, via))
        elif isinstance(node, Group):
            visit(node.expr, suffix, span or (node.start, node.end), via)
        elif isinstance(node, Access):
            names = tuple(_segment_name(s) for s in node.segments)
            visit(node.target, names + suffix, span or (node.start, node.end), via)
        elif isinstance(node, Binary):
            if node.op == "||":
                visit(node.left, suffix, span, via)
                visit(node.right, suffix, span, via)
            elif node.op == "&&":
                visit(node.right, suffix, span, via)
        elif isinstance(node, Call):
            name = node.name.lower()
            if name in _OPAQUE_FUNCTIONS:
                return
            args = node.args
            if name == "case":
                args = tuple(args[i] for i in range(1, len(args) - 1, 2)) + args[-1:]
            for i, arg in enumerate(args):
                inner = via
                if name == "tojson":
                    inner = "json"
                elif name == "join" and i == 0 and via != "json":
                    inner = "join"
                visit(arg, suffix, span, inner)
        # Literal and Unary ('!' gives a boolean) carry no text.

    visit(expr, (), None, "")
    del visit  # a recursive closure is a reference cycle: end it (see backref)
    out.sort(key=lambda flow: flow.start)
    return out


def _segment_matches(p: str, q: str) -> bool:
    # A pattern's "*" is any element or key; a star filter or an attacker-chosen key in
    # the path may select any named field.
    return p == q or q == "*" or p in (STAR, CHOSEN)


def _match(parts: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    """``parts`` and ``pattern`` agree on their common length. A star filter next to a
    trusted computed index (``github.event.*[inputs.x]``) says too little to report."""
    guessed = False
    for p, q in zip(parts, pattern):
        if not _segment_matches(p, q):
            return False
        guessed = guessed or (p == STAR and q != "*")
    return not (guessed and COMPUTED in parts)


def value_kind(path: str, patterns: tuple[tuple[str, ...], ...] | None = None) -> str | None:
    """What ``path`` holds of the text ``patterns`` (default: :data:`UNTRUSTED`) describe:
    "string" (the text itself, or below it), "array" (several, through a star filter),
    "object" (an object that contains it: ``github.event``) or None (none of it)."""
    parts = tuple(path.split("."))
    kind = None
    for pattern in patterns or _UNTRUSTED_SEGMENTS:
        if not _match(parts, pattern):
            continue
        if len(parts) >= len(pattern):
            return "array" if STAR in parts else "string"
        kind = "object"
    return kind


def display_path(path: str) -> str:
    """``path`` as a user reads it: every index marker shown as ``*``."""
    return ".".join("*" if part in (STAR, NUMBER, COMPUTED, CHOSEN) else part for part in path.split("."))


def reaches_text(kind: str | None, via: str) -> bool:
    """A value of ``kind`` substituted ``via`` (see :class:`Flow`) puts its text in the result."""
    if kind is None:
        return False
    if via == "json":
        return True
    if via == "join":
        return kind in ("string", "array")
    return kind == "string"


def untrusted_flow(flow: Flow) -> bool:
    """The flow puts attacker-controlled text into the expression's result."""
    return reaches_text(value_kind(flow.path), flow.via)


def reads_value(path: str) -> bool:
    """``path`` is attacker-controlled text itself (or below it), not an object holding it."""
    return value_kind(path) in ("string", "array")


def parse_embedded(text: str):
    """``(Embedded, parsed expression)`` for each well-formed ``${{ }}`` in ``text``."""
    from pipelint.expressions.github import ExpressionError, find_expressions, parse

    if "${{" not in text:
        return
    for emb in find_expressions(text):
        if emb.end is None:
            continue
        try:
            expr = parse(emb.inner)
        except ExpressionError:
            continue  # PL004 reports it
        yield emb, expr


# --------------------------------------------------------------------------- sinks


class Sink:
    """Code that GitHub runs after substituting its ``${{ }}``: a ``run:`` or a script input."""

    __slots__ = ("step", "node", "language", "logical_path", "where")

    def __init__(self, step, node: Scalar, language: str, logical_path: str, where: str):
        self.step = step
        self.node = node
        self.language = language
        self.logical_path = logical_path
        self.where = where


def step_prefix(step) -> str:
    if step.job is not None:
        return f"jobs.{step.job.id}.steps[{step.index}]"
    return f"runs.steps[{step.index}]"


def step_label(step) -> str:
    """``step.label`` without the ref of ``uses:`` (a 40-hex SHA says nothing here)."""
    if step.name or step.id or step.uses is None:
        label = step.label
    else:
        label = f"step {step.index + 1} ({step.uses.name if step.uses.kind == 'repository' else step.uses.raw})"
    if len(label) > 70:
        label = f"step {step.index + 1}"
    return label


def step_where(step) -> str:
    if step.job is not None:
        return f"{step_label(step)} of {step.job.label}"
    return f"{step_label(step)} of this action"


def all_steps(parsed) -> Iterator:
    if parsed.pipeline is not None and parsed.pipeline.platform == "github":
        for job in parsed.pipeline.jobs.values():
            yield from job.steps
    if parsed.action is not None and parsed.platform == "github":
        yield from parsed.action.steps


def is_github_script(step) -> bool:
    uses = step.uses
    return (
        uses is not None
        and uses.kind == "repository"
        and uses.owner.lower() == "actions"
        and uses.repo.lower() == "github-script"
        and not uses.path
    )


def script_sinks(parsed, *, github_script: bool = True) -> Iterator[Sink]:
    for step in all_steps(parsed):
        if step.script is not None:
            yield Sink(step, step.script.node, step.script.language, f"{step_prefix(step)}.run", step_where(step))
        elif github_script and is_github_script(step) and isinstance(step.inputs, Mapping):
            script = step.inputs.get("script")
            if isinstance(script, Scalar):
                yield Sink(step, script, "javascript", f"{step_prefix(step)}.with.script", step_where(step))


def env_lookup(step, name: str) -> tuple[str, Scalar] | None:
    """The ``env:`` entry that ``${{ env.NAME }}`` reads in ``step`` (step, job, then
    workflow level): its key as written and its value. Context names ignore case."""
    scopes = [step.env]
    if step.job is not None:
        scopes += [step.job.env, step.job.pipeline.env]
    for scope in scopes:
        if isinstance(scope, Mapping):
            for key, _key_node, value in scope.items():
                if key.lower() == name:
                    return (key, value) if isinstance(value, Scalar) else None
    return None


class EnvSource:
    """``${{ env.NAME }}`` whose ``env:`` value expands contexts a rule looks for."""

    __slots__ = ("name", "value", "paths", "written")

    def __init__(self, name: str, value: Scalar, paths: list[str], written: list[str]):
        self.name = name
        self.value = value
        #: Normalised paths, and the same expressions as written in the value.
        self.paths = paths
        self.written = written


def env_source(step, path: str, predicate) -> EnvSource | None:
    """For ``env.NAME``: the flows of its ``env:`` value that ``predicate`` accepts.

    The env value is a string, so what reaches it reaches ``${{ env.NAME }}`` too."""
    if not path.startswith("env.") or path.count(".") != 1:
        return None
    entry = env_lookup(step, path[4:])
    if entry is None:
        return None
    key, value = entry
    found: list[str] = []
    written: list[str] = []
    for emb, expr in parse_embedded(value.value):
        for flow in flowing_paths(expr):
            if predicate(flow) and flow.path not in found:
                found.append(flow.path)
                written.append(" ".join(emb.inner[flow.start : flow.end].split()))
    return EnvSource(key, value, found, written) if found else None


def variable_reference(name: str, language: str) -> str:
    """How a script reads the environment variable ``name``."""
    return {
        "pwsh": f"$env:{name}",
        "cmd": f"%{name}%",
        "python": f"os.environ['{name}']",
        "javascript": f"process.env.{name}",
    }.get(language, f'"${name}"')


# --------------------------------------------------------------------------- fixes
#
# PL502 and PL503 fix a finding by moving its ``${{ }}`` out of the script into the
# step's ``env:`` and reading the variable instead. Where the expression sits in the
# script decides how (and whether) it can be read: a scanner per language tells the
# quoting context at the expression's offset.

import re as _re

_IDENT = _re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_WORD_CHAR = _re.compile(r"[A-Za-z0-9_]")
#: Names a step's ``env:`` must not set: the shell's and the runner's own.
_RESERVED = frozenset(
    {"PATH", "HOME", "PWD", "OLDPWD", "SHELL", "IFS", "USER", "TMPDIR", "TEMP", "TMP", "LANG", "CI", "PS1", "PS4",
     "ENV", "BASH_ENV", "SHELLOPTS", "BASHOPTS", "CDPATH", "HOSTNAME", "TERM", "NODE_OPTIONS", "PYTHONPATH"}
)
#: The unquoted text of a word before a whole-word value: ``NAME=`` or ``--option=``.
_WORD_PREFIX = _re.compile(r"(?:[A-Za-z_][A-Za-z0-9_]*\+?=|--?[A-Za-z0-9][A-Za-z0-9_-]*=)\Z")
_SHELL_BEFORE = " \t\n;&|(<>"
#: ``for x in`` (and ``select``/``case``) words before a position on its line.
_FOR_LIST = _re.compile(r"\b(?:for|select)\s+[A-Za-z_][A-Za-z0-9_]*\s+in\b[^;\n]*\Z")
_SHELL_AFTER = " \t\n;&|)<>"


class EnvMove(NamedTuple):
    """One ``${{ }}`` (value offsets ``start``..``end`` of the sink's text) to move into
    ``env:``: ``name`` is the name a new variable gets; ``env_name`` is set when the
    expression is ``${{ env.NAME }}`` and the script can read ``NAME`` itself."""

    start: int
    end: int
    name: str
    env_name: str | None = None


def _masked(text: str) -> str:
    """``text`` with every ``${{ }}`` replaced by ``x`` characters (line breaks kept), so
    quotes inside expressions do not mislead the scanners."""
    from pipelint.expressions.github import find_expressions

    if "${{" not in text:
        return text
    out = []
    pos = 0
    for emb in find_expressions(text):
        end = len(text) if emb.end is None else emb.end
        out.append(text[pos : emb.start])
        out.append("".join(c if c == "\n" else "x" for c in text[emb.start : end]))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _heredoc_operator(text: str, i: int) -> tuple[int, tuple[str, bool, bool]] | None:
    """At ``<<`` (not ``<<<``): the end of the operator and (delimiter, strip tabs, quoted)."""
    j = i + 2
    strip = text.startswith("-", j)
    if strip:
        j += 1
    while j < len(text) and text[j] in " \t":
        j += 1
    start = j
    quoted = False
    word = []
    while j < len(text) and text[j] not in " \t\n;&|<>()":
        c = text[j]
        if c in "'\"":
            quoted = True
            close = text.find(c, j + 1)
            if close < 0:
                return None
            word.append(text[j + 1 : close])
            j = close + 1
            continue
        if c == "\\":
            quoted = True
            word.append(text[j + 1 : j + 2])
            j += 2
            continue
        word.append(c)
        j += 1
    if j == start or not "".join(word):
        return None
    return j, ("".join(word), strip, quoted)


def shell_context(text: str, target: int) -> str | None:
    """The quoting context of offset ``target`` of a bash/sh script: "code" (unquoted),
    "double" (inside ``"..."``), "heredoc" (an unquoted here-document body) or None
    (single quotes, ``$'...'``, a quoted here-document, a comment, ``${...}``, or
    something the scanner does not follow)."""
    text = _masked(text)
    n = len(text)
    stack = ["code"]
    pending: list[tuple[str, bool, bool]] = []
    i = 0
    while i < target:
        c = text[i]
        top = stack[-1]
        if top in ("code", "sub", "paren", "backtick"):
            if c == "\\":
                i += 2
                continue
            if c == "\n" and pending:
                i += 1
                for delim, strip, quoted in pending:
                    while True:
                        if i >= n:
                            return None
                        j = text.find("\n", i)
                        j = n if j < 0 else j
                        line = text[i:j]
                        if strip:
                            line = line.lstrip("\t")
                        done = line == delim
                        if i <= target <= j and not done:
                            return None if quoted else "heredoc"
                        i = j + 1
                        if done:
                            break
                    if i > target:
                        return None  # the target is on a delimiter line
                pending = []
                continue
            if c == "'":
                stack.append("single")
            elif c == '"':
                stack.append("double")
            elif c == "$" and text.startswith("$'", i):
                stack.append("ansi")
                i += 2
                continue
            elif c == "$" and text.startswith("$(", i):
                stack.append("sub")
                i += 2
                continue
            elif c == "$" and text.startswith("${", i):
                stack.append("param")
                i += 2
                continue
            elif c == "`":
                if top == "backtick":
                    stack.pop()
                else:
                    stack.append("backtick")
            elif c == "(":
                stack.append("paren")
            elif c == ")" and top in ("sub", "paren"):
                stack.pop()
            elif c == "#" and (i == 0 or text[i - 1] in " \t\n;&|()"):
                j = text.find("\n", i)
                if j < 0 or target <= j:
                    return None
                i = j
                continue
            elif c == "<" and text.startswith("<<", i) and not text.startswith("<<<", i):
                op = _heredoc_operator(text, i)
                if op is None:
                    return None
                i, doc = op
                pending.append(doc)
                continue
        elif top == "double":
            if c == "\\":
                i += 2
                continue
            if c == '"':
                stack.pop()
            elif c == "$" and text.startswith("$(", i):
                stack.append("sub")
                i += 2
                continue
            elif c == "$" and text.startswith("${", i):
                stack.append("param")
                i += 2
                continue
            elif c == "`":
                stack.append("backtick")
        elif top == "single":
            if c == "'":
                stack.pop()
        elif top == "ansi":
            if c == "\\":
                i += 2
                continue
            if c == "'":
                stack.pop()
        elif top == "param":
            if c == "\\":
                i += 2
                continue
            if c == "}":
                stack.pop()
            elif c in "'\"":
                stack.append("single" if c == "'" else "double")
            elif c == "$" and text.startswith("$(", i):
                stack.append("sub")
                i += 2
                continue
            elif c == "$" and text.startswith("${", i):
                stack.append("param")
                i += 2
                continue
        i += 1
    if i != target:
        return None  # the target is inside an escape
    top = stack[-1]
    if top in ("code", "sub", "paren", "backtick"):
        return "code"
    return top if top == "double" else None


def _c_like_context(text: str, target: int, language: str) -> tuple[str, int] | None:
    """JavaScript / Python / PowerShell: ("code", -1), (quote, start of the string
    literal) for a string holding ``target``, or None (comments, here-strings...)."""
    text = _masked(text)
    stack: list[tuple[str, int]] = [("code", -1)]
    i = 0
    while i < target:
        c = text[i]
        top, _start = stack[-1]
        if top in ("code", "brace"):
            if language == "javascript" and text.startswith("//", i) or language != "javascript" and c == "#":
                if language == "pwsh" and text.startswith("#>", i):
                    return None
                j = text.find("\n", i)
                if j < 0 or target <= j:
                    return None
                i = j
                continue
            if language == "javascript" and text.startswith("/*", i) or language == "pwsh" and text.startswith("<#", i):
                j = text.find("*/" if language == "javascript" else "#>", i + 2)
                if j < 0 or target < j + 2:
                    return None
                i = j + 2
                continue
            if language == "pwsh" and text.startswith(('@"', "@'"), i):
                return None  # here-strings: not followed
            if language == "python" and c in "'\"" and text.startswith(c * 3, i):
                j = text.find(c * 3, i + 3)
                if j < 0 or target < j + 3:
                    return None
                i = j + 3
                continue
            if c in "'\"" or c == "`" and language == "javascript":
                if language == "python" and i > 0 and _WORD_CHAR.match(text[i - 1]):
                    return None  # a prefixed literal (f"", r"", b"")
                stack.append((c, i))
            elif language == "javascript" and c == "{" and top == "brace":
                stack.append(("brace", i))
            elif language == "javascript" and c == "}" and top == "brace":
                stack.pop()
            elif language == "pwsh" and c == "`":
                i += 2
                continue
        else:
            escape = "`" if language == "pwsh" else "\\"
            if c == escape and not (language == "pwsh" and top == "'"):
                i += 2
                continue
            if c == top:
                if language == "pwsh" and text.startswith(c * 2, i):
                    i += 2  # a doubled quote stands for one
                    continue
                stack.pop()
            elif top == "`" and text.startswith("${", i):
                stack.append(("brace", i))
                i += 2
                continue
            elif c == "\n" and top in "'\"" and language != "pwsh":
                return None
        i += 1
    if i != target:
        return None
    top, start = stack[-1]
    return ("code", -1) if top == "brace" else (top, start)


def _boundary(text: str, start: int, end: int, before: str, after: str) -> bool:
    return (start == 0 or text[start - 1] in before) and (end >= len(text) or text[end] in after)


def script_reference(text: str, start: int, end: int, name: str, language: str) -> tuple[int, int, str] | None:
    """How to replace ``text[start:end]`` (a ``${{ }}``) by a read of variable ``name``:
    (replace start, replace end, new text), or None where the scanner cannot tell that
    the read keeps the script's meaning (single quotes, comments, part of a word...)."""
    if start > 0 and text[start - 1] in "\\$":
        return None
    nxt = text[end : end + 1]
    if language == "shell":
        where = shell_context(text, start)
        if where == "code":
            if _boundary(text, start, end, _SHELL_BEFORE, _SHELL_AFTER):
                if _FOR_LIST.search(text, 0, start):
                    return None  # the loop splits the value into words: quoting changes that
                return start, end, f'"${name}"'
            k = start
            while k > 0 and text[k - 1] not in _SHELL_BEFORE:
                k -= 1
            if _WORD_PREFIX.match(text[k:start]) and (end >= len(text) or text[end] in _SHELL_AFTER):
                return start, end, f'"${name}"'
            return None
        if where in ("double", "heredoc"):
            return start, end, f"${{{name}}}" if _WORD_CHAR.match(nxt) else f"${name}"
        return None
    if language == "cmd":
        if _boundary(text, start, end, " \t\n=(", " \t\n)"):
            return start, end, f"%{name}%"
        return None
    if language not in ("pwsh", "javascript", "python"):
        return None
    where = _c_like_context(text, start, language)
    if where is None:
        return None
    kind, lit = where
    if language == "pwsh":
        if kind == "code":
            if _boundary(text, start, end, " \t\n(,;=|{", " \t\n),;|}"):
                return start, end, f"$env:{name}"
            return None
        return (start, end, f"${{env:{name}}}") if kind == '"' else None
    ref = f"process.env.{name}" if language == "javascript" else f'os.environ["{name}"]'
    if kind == "code":
        if _boundary(text, start, end, " \t\n(,;=[{:+?!&|", " \t\n),;]}:+?&|."):
            return start, end, ref
        return None
    if kind == "`":
        return start, end, f"${{{ref}}}"
    if lit == start - 1 and nxt == kind:
        return start - 1, end + 1, ref  # the whole string literal
    return None


def _yaml_value(expression: str) -> str | None:
    """``expression`` as the value of a block mapping entry: plain when it can be,
    else single-quoted; None when it spans lines."""
    if any(c in expression for c in "\n\r\t"):
        return None
    if ": " in expression or " #" in expression or expression.endswith(":") or expression != expression.strip():
        return "'" + expression.replace("'", "''") + "'"
    return expression


def _normal(expression: str) -> str:
    return " ".join(expression.split())


def _env_scopes(step) -> list:
    scopes = [step.env]
    if step.job is not None:
        scopes += [step.job.env, step.job.pipeline.env]
    return [s for s in scopes if isinstance(s, Mapping)]


def _reused_variable(step, expression: str, script: str) -> str | None:
    """An ``env:`` entry the step sees whose value is exactly ``expression``."""
    want = _normal(expression)
    for scope in _env_scopes(step):
        for key, _key_node, value in scope.items():
            if not isinstance(value, Scalar) or not isinstance(value.value, str):
                continue
            if _normal(value.value) != want or not _IDENT.match(key):
                continue
            if env_lookup(step, key.lower()) != (key, value) or _assigned(script, key):
                continue
            return key
    return None


def _assigned(script: str, name: str) -> bool:
    """Whether the script may set variable ``name`` itself."""
    n = _re.escape(name)
    return bool(
        _re.search(rf"(?<![\w$.{{:]){n}\+?=|\b(?:read|export|local|declare|typeset|unset|readonly|mapfile)\b[^\n;|&]*\b{n}\b"
                   rf"|\$env:{n}\s*=|\benviron\[['\"]{n}['\"]\]\s*=|process\.env\.{n}\s*=|\bset\s+\"?{n}=", script)
    )


def _mentions(script: str, name: str) -> bool:
    return bool(_re.search(rf"(?<![A-Za-z0-9_]){_re.escape(name)}(?![A-Za-z0-9_])", script, _re.IGNORECASE))


def _clean_name(name: str) -> str:
    name = _re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_").upper()
    if not name:
        name = "VALUE"
    if name[0].isdigit():
        name = "V_" + name
    if name in _RESERVED or (name.startswith(("GITHUB_", "RUNNER_", "ACTIONS_")) and name != "GITHUB_TOKEN"):
        name += "_VALUE"
    return name


def _windows_default_shell(step) -> bool:
    """A ``run:`` without ``shell:`` in a job that may run on Windows (pwsh by default):
    its ``runs-on`` mentions Windows, or is an expression and the job's matrix does."""
    job = step.job
    if job is None:
        return False
    text = step.file.text
    runs_on = job.runs_on
    if runs_on is None:
        return False
    where = text[runs_on.start_index : runs_on.end_index]
    if "${{" in where and job.strategy is not None:
        where += text[job.strategy.start_index : job.strategy.end_index]
    return "windows" in where.lower() or "${{" in where and "matrix" not in where


def env_fix(sink, moves: list[EnvMove], *, languages=("shell", "pwsh", "javascript", "python")):
    """The one fix for the findings ``moves`` of one script: every move that can be made
    reads a variable, and the expressions that need one get a new entry in the step's
    ``env:`` (created if missing). Returns (Fix or None, the moves it covers)."""
    from pipelint import yamledit
    from pipelint.diagnostics import Applicability, Edit, Fix

    step = sink.step
    node = sink.node
    file = step.file
    text = file.text
    path = file.path
    script = node.value
    language = sink.language
    if not isinstance(script, str) or language not in languages or node.style not in ("", "|"):
        return None, []
    if language == "shell":
        shell = (step.script.shell if step.script is not None else None) or ""
        first = shell.split()[0].rsplit("/", 1)[-1].lower() if shell.split() else ""
        if first not in ("", "bash", "sh") or (not first and _windows_default_shell(step)):
            return None, []
    applicability = Applicability.SAFE if language == "shell" else Applicability.UNSAFE

    taken = {key.lower() for scope in _env_scopes(step) for key, _k, _v in scope.items()}
    env_key = step.node.get("env") if isinstance(step.node, Mapping) else None
    has_env_key = isinstance(step.node, Mapping) and step.node.key_node("env") is not None
    can_insert = isinstance(step.node, Mapping) and (
        (isinstance(env_key, Mapping) and yamledit.is_block(text, env_key)) or not has_env_key
    )
    masked = _masked(script)
    names: dict[str, str] = {}  # normalised expression -> variable
    new: list[tuple[str, str]] = []  # (name, yaml value)
    edits: list[Edit] = []
    covered: list[EnvMove] = []
    for move in moves:
        expression = script[move.start : move.end]
        if "\n" in expression:
            continue
        if move.env_name is not None:
            name = move.env_name
            if not _IDENT.match(name) or _assigned(script, name):
                continue
        else:
            key = _normal(expression)
            name = names.get(key)
            if name is None:
                name = _reused_variable(step, expression, script)
            if name is None:
                value = _yaml_value(expression)
                if value is None or not can_insert:
                    continue
                base = _clean_name(move.name)
                name, k = base, 1
                while name.lower() in taken or _mentions(masked, name):
                    k += 1
                    name = f"{base}_{k}"
                candidate = (name, value)
            else:
                candidate = None
        where = script_reference(script, move.start, move.end, name, language)
        if where is None:
            continue
        a, b, new_text = where
        if node.style == "" and a == 0 and new_text[:1] in "\"'%@`!&*|>{[#?:-,":
            continue  # a plain scalar cannot start so
        span = file.scalar_span(node, a, b)
        if text[span.start.offset : span.end.offset] != script[a:b]:
            continue  # the value and the source differ here
        if move.env_name is None:
            key = _normal(expression)
            if key not in names:
                names[key] = name
                if candidate is not None:
                    taken.add(name.lower())
                    new.append(candidate)
        edits.append(Edit(path, span.start.offset, span.end.offset, new_text))
        covered.append(move)
    if not covered:
        return None, []
    if new:
        entries = [f"{name}: {value}" for name, value in new]
        if isinstance(env_key, Mapping):
            edit = yamledit.insert_entry(text, path, env_key, entries)
        else:
            indent = yamledit.child_indent(text, step.node)[len(yamledit.key_indent(text, step.node)) :]
            lines = ["env:", *(indent + e for e in entries)]
            before = "run" if step.node.key_node("run") is not None else "with"
            edit = yamledit.insert_entry(text, path, step.node, lines, before=before)
            if edit is None:
                edit = yamledit.insert_entry(text, path, step.node, lines)
        if edit is None:
            return None, []
        edits.append(edit)
    shown = ", ".join(n for n, _v in new) or ", ".join(sorted({m.env_name or "" for m in covered} - {""}))
    if new:
        description = f"Move the expression{'s' if len(new) > 1 else ''} into env: ({shown}) and read the variable in the script"
    else:
        description = "Read the env: variable in the script instead of expanding the expression"
    return Fix(description, tuple(edits), applicability), covered
