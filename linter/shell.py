"""Pipeline scripts read as programs: a real shell parser, not regexes over text.

Parser: tree-sitter with the tree-sitter-bash grammar (POSIX sh and bash) and the
tree-sitter-powershell grammar (``pwsh``/``powershell``), both from the package registry.
tree-sitter is incremental and error-tolerant: a script that does not parse is still
read as far as it parses (its ``ERROR`` nodes are skipped, never reported as PL001 —
a script is not a file), and it needs no subprocess.

What :func:`parse` gives (:class:`Program`): every simple command in source order with its
words (quotes removed, exact offsets into the script text), its pipeline, and the control
context it runs in — tested as a condition, run only under a condition, failure ignored
(``|| true``), inside which loop (and whether that loop is bounded), inside ``$( )`` —
plus variable assignments (``IMAGE=...``; ``export``), and the ``set -e`` /
``set -o pipefail`` in force at each command.

CI placeholders are opaque words, not syntax: before parsing, GitHub/Azure ``${{ }}``,
Azure ``$(name)`` macros and ``$[ ]``, and GitLab ``$[[ ]]`` are replaced by a word of
the same length (offsets stay exact); words keep their original text.

Results are cached by (text, language, platforms' placeholders): a template's script that
reaches many pipelines is parsed once.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import NamedTuple

# --------------------------------------------------------------------------- model


class Word(NamedTuple):
    """One shell word: ``text`` with quotes removed, ``raw`` as written, offsets into the
    script text. ``dynamic``: holds an expansion (``$VAR``, ``$(...)``, a placeholder)."""

    text: str
    raw: str
    start: int
    end: int
    dynamic: bool = False


@dataclass(eq=False)
class Loop:
    kind: str  # "while", "until", "for", "c-for"
    start: int
    end: int
    #: The loop ends by itself: ``for x in list``, a counter tested in the condition,
    #: ``timeout`` around it, or a counter checked with ``break``/``exit`` in the body.
    bounded: bool
    #: The condition/list text (``true``, ``[ $i -lt 10 ]``), for messages.
    head: str = ""


@dataclass
class Command:
    """A simple command and where it runs."""

    words: tuple[Word, ...]
    start: int
    end: int
    #: Commands joined by ``|`` share a pipeline number; ``pipe_index`` is the place in it.
    pipeline: int = 0
    pipe_index: int = 0
    #: Its exit status is tested: an ``if``/``while``/``until`` condition, or the left
    #: side of ``&&``/``||``, or negated with ``!``.
    tested: bool = False
    #: A failure is ignored: ``cmd || true``, ``cmd || :``, ``cmd || echo ...``, ``! cmd``.
    guarded: bool = False
    #: Runs only under a condition: an ``if``/``case`` branch, the right side of
    #: ``&&``/``||``, a loop body.
    conditional: bool = False
    loop: Loop | None = None
    #: Inside ``$( )`` or backticks: its output is a value, not a step.
    substitution: bool = False
    background: bool = False
    #: ``set -e`` / ``set -o pipefail`` in force (set earlier in the script).
    errexit: bool = False
    pipefail: bool = False
    #: Redirections' targets (``> out.json``), kept apart from the words.
    redirects: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The program's base name (``/usr/bin/curl`` -> ``curl``), or ``""``."""
        if not self.words:
            return ""
        return self.words[0].text.rsplit("/", 1)[-1]

    @property
    def args(self) -> tuple[Word, ...]:
        return self.words[1:]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    def option(self, *names: str) -> Word | None:
        """The value of an option, however it is written: ``-n prod``, ``-nprod``,
        ``--namespace prod``, ``--namespace=prod``. ``names``: ``"-n"``, ``"--namespace"``."""
        args = self.args
        for i, w in enumerate(args):
            t = w.text
            for n in names:
                if t == n:
                    if i + 1 < len(args):
                        return args[i + 1]
                    return None
                if n.startswith("--") and t.startswith(n + "="):
                    return Word(t[len(n) + 1 :], w.raw, w.start + len(n) + 1, w.end, w.dynamic)
                if len(n) == 2 and not n.startswith("--") and t.startswith(n) and len(t) > 2 and not t.startswith("--"):
                    return Word(t[2:], w.raw, w.start + 2, w.end, w.dynamic)
        return None

    def has_flag(self, *names: str) -> bool:
        """A flag is present: ``--fail``, ``-f``; short flags also inside a bundle
        (``-sSfL`` has ``-f``). Long flags also as ``--flag=value``."""
        for w in self.args:
            t = w.text
            if t == "--":
                break
            for n in names:
                if t == n or (n.startswith("--") and t.startswith(n + "=")):
                    return True
                if len(n) == 2 and n[0] == "-" and n[1] != "-" and t.startswith("-") and not t.startswith("--") and n[1] in t[1:]:
                    return True
        return False


@dataclass(frozen=True)
class Assignment:
    name: str
    value: Word
    start: int
    end: int
    exported: bool = False


#: Operators that compare two operands inside a test (``[ ]``, ``[[ ]]``, ``test``, ``(( ))``).
COMPARISON_OPERATORS = frozenset(
    {"-eq", "-ne", "-gt", "-ge", "-lt", "-le", "=", "==", "!=", "<", ">", "<=", ">=", "=~"}
)


class Comparison(NamedTuple):
    """A test that is one comparison: ``left op right`` (``negated``: ``[ ! a -gt b ]``)."""

    left: Word
    op: str
    right: Word
    negated: bool = False


@dataclass
class Test:
    """A test construct: ``[ ... ]``, ``[[ ... ]]``, ``test ...`` or ``(( ... ))``.

    ``words``: its operands and operators in source order, flattened (quotes removed,
    offsets into the script text; the brackets themselves are not words): ``[ "$E" -gt 5 ]``
    -> ``$E``, ``-gt``, ``5``; ``[[ -z $X || $X == null ]]`` -> ``-z``, ``$X``, ``||``,
    ``$X``, ``==``, ``null``; ``(( $(echo "$E > 1" | bc) ))`` -> the one word
    ``$(echo "$E > 1" | bc)`` (the commands inside are in :attr:`Program.commands`).
    The context flags mean what they mean on :class:`Command`."""

    kind: str  # "[", "[[", "test", "(("
    words: tuple[Word, ...]
    start: int
    end: int
    tested: bool = False
    guarded: bool = False
    conditional: bool = False
    loop: Loop | None = None
    substitution: bool = False

    @property
    def comparison(self) -> Comparison | None:
        """The comparison when the whole test is one (``a op b`` or ``! a op b``)."""
        words = self.words
        negated = bool(words) and words[0].text == "!" and words[0].raw == "!"
        if negated:
            words = words[1:]
        if len(words) == 3 and words[1].text in COMPARISON_OPERATORS and not words[1].dynamic:
            return Comparison(words[0], words[1].text, words[2], negated)
        return None

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass(frozen=True)
class Branch:
    """What runs after a decision (an ``if`` body, the right side of ``&&``/``||``).
    ``fails``: it always ends the step with a failure (``exit 1``, ``exit $rc``, ``false``,
    ``return 1``, ``echo "##vso[task.complete result=Failed]"``, also inside ``{ }`` or
    after ``echo ... &&``)."""

    start: int
    end: int
    fails: bool = False
    #: it always succeeds (``echo``/``printf`` messages, ``true``, ``:``): in
    #: ``T && echo bad && exit 1`` the ``exit`` runs whenever ``T`` is true.
    succeeds: bool = False


@dataclass(frozen=True)
class Decision:
    """A statement whose exit status decides what runs next: the condition of an
    ``if``/``elif`` (``kind`` "if"/"elif") or the left side of ``&&``/``||``.

    ``start``/``end``: the deciding statement (for ``if a; b; then`` the last one; a
    leading ``!`` is stripped and sets ``negated``; a redirected statement is its body).
    ``when_true``/``when_false``: the branch that runs when the status is true
    (zero)/false, None when nothing runs. ``outer``: the whole ``if`` statement or
    ``a && b`` list (a list's status decides in turn when it is itself a condition)."""

    kind: str  # "if", "elif", "&&", "||"
    start: int
    end: int
    negated: bool
    when_true: Branch | None
    when_false: Branch | None
    outer: tuple[int, int]


@dataclass
class Program:
    text: str
    language: str  # "shell" or "pwsh"
    commands: list[Command] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    loops: list[Loop] = field(default_factory=list)
    #: Parts of the script the parser could not read (skipped).
    errors: int = 0
    #: Test constructs (``[ ]``, ``[[ ]]``, ``test``, ``(( ))``) in source order (bash only).
    tests: list[Test] = field(default_factory=list)
    #: ``if``/``elif`` conditions and ``&&``/``||`` lists (bash only).
    decisions: list[Decision] = field(default_factory=list)
    _decision_maps: tuple | None = field(default=None, repr=False, compare=False)

    def fails_when(self, start: int, end: int) -> bool | None:
        """Which exit status of the statement at ``start..end`` (a test, a command) makes
        the step fail through the decisions around it: True when the step fails if it
        is true (``if T; then exit 1``, ``T && exit 1``), False when it fails if it is
        false (``T || exit 1``, ``if T; then ...; else exit 1``, ``if ! T; then exit 1``),
        None when neither is certain. Follows ``a && b || exit 1`` chains."""
        if self._failing(start, end, True):
            return True
        if self._failing(start, end, False):
            return False
        return None

    def _failing(self, start: int, end: int, status: bool) -> bool:
        if self._decision_maps is None:
            by_cond: dict = {}
            by_branch: dict = {}
            for d in self.decisions:
                by_cond.setdefault((d.start, d.end), d)
                if d.kind in ("&&", "||"):
                    b = d.when_true or d.when_false
                    if b is not None:
                        by_branch.setdefault((b.start, b.end), d)
            self._decision_maps = (by_cond, by_branch)
        by_cond, by_branch = self._decision_maps
        span = (start, end)
        for _ in range(64):
            d = by_cond.get(span)
            if d is not None:
                status = (not status) if d.negated else status
                branch = d.when_true if status else d.when_false
                if branch is not None:
                    if branch.fails:
                        return True
                    if d.kind in ("&&", "||") and branch.succeeds:
                        status = True  # the list's status is the message's: true
                        span = d.outer
                        continue
                    return False
                if d.kind in ("if", "elif"):
                    return False
                span = d.outer  # `a && b` with a false: the list is false
                continue
            d = by_branch.get(span)
            if d is not None:
                span = d.outer  # the right side's status is the list's status
                continue
            return False
        return False

    def value_of(self, name: str, before: int) -> Word | None:
        """The last value assigned to ``name`` before offset ``before`` (``IMAGE=x``)."""
        found = None
        for a in self.assignments:
            if a.name == name and a.start < before:
                found = a.value
        return found

    def commands_after(self, offset: int) -> list[Command]:
        return [c for c in self.commands if c.start >= offset]


# --------------------------------------------------------------------------- placeholders

_GITHUB_EXPR = r"\$\{\{.*?\}\}"
_AZURE_MACRO = r"\$\([A-Za-z_][A-Za-z0-9_.\-]*\)|\$\[.*?\]"
_GITLAB_INPUT = r"\$\[\[.*?\]\]"
_PLACEHOLDERS = {
    "github": re.compile(_GITHUB_EXPR, re.S),
    "azure": re.compile(f"{_GITHUB_EXPR}|{_AZURE_MACRO}", re.S),
    "gitlab": re.compile(_GITLAB_INPUT, re.S),
}


def _mask(text: str, platform: str) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with each placeholder replaced by a same-length word; their spans."""
    pattern = _PLACEHOLDERS.get(platform)
    if pattern is None or ("$" not in text):
        return text, []
    spans = [(m.start(), m.end()) for m in pattern.finditer(text)]
    if not spans:
        return text, []
    out = []
    last = 0
    for s, e in spans:
        out.append(text[last:s])
        piece = text[s:e]
        # keep line breaks (positions of later lines), the rest becomes a plain word
        out.append("".join("\n" if ch == "\n" else "_" for ch in piece))
        last = e
    out.append(text[last:])
    return "".join(out), spans


# --------------------------------------------------------------------------- prefilter


@functools.lru_cache(maxsize=65536)
def mentions(text: str, words: tuple[str, ...]) -> bool:
    """Cheap prefilter before :func:`parse`: one of ``words`` (lower case) occurs in
    ``text``, ignoring case (PowerShell is case-insensitive). Plain substring tests in C,
    remembered per (text, words): GitLab scripts repeat across jobs and pipelines."""
    low = text.lower()
    return any(w in low for w in words)


# --------------------------------------------------------------------------- parsers


@functools.lru_cache(maxsize=None)
def _parser(language: str):
    from tree_sitter import Language, Parser

    if language == "pwsh":
        import tree_sitter_powershell as grammar
    else:
        import tree_sitter_bash as grammar
    return Parser(Language(grammar.language()))


def available() -> bool:
    """The shell parser can be loaded (the grammars are installed dependencies)."""
    try:
        _parser("shell")
        return True
    except Exception:  # pragma: no cover - a broken install
        return False


#: Scripts longer than this are parsed each time they are asked for, not kept: a cache of
#: 8,192 entries keyed by whole texts must not grow with the largest inputs.
CACHED_MAX_CHARS = 65536


def parse(text: str, language: str = "shell", platform: str = "") -> Program:
    """The program of one script. ``language``: ``"shell"`` (bash/sh) or ``"pwsh"``;
    ``platform``: ``"github"``, ``"gitlab"``, ``"azure"`` (whose placeholders to mask).
    Never raises on bad input: what does not parse is skipped and counted. Results are
    cached by text (templates repeat the same scripts)."""
    if len(text) > CACHED_MAX_CHARS:
        return _parse(text, language, platform)
    return _parse_cached(text, language, platform)


def _parse(text: str, language: str, platform: str) -> Program:
    program = Program(text, language)
    masked, spans = _mask(text, platform)
    data = masked.encode("utf-8", "surrogatepass")
    try:
        tree = _parser(language).parse(data)
    except Exception:  # pragma: no cover - tree-sitter does not raise on text input
        program.errors += 1
        return program
    # tree-sitter reports byte offsets; scripts are mostly ASCII, map only when needed
    if len(data) == len(masked):
        to_char = None
    else:
        to_char = _byte_to_char(masked)
    reader = (_PwshReader if language == "pwsh" else _BashReader)(program, data, text, spans, to_char)
    try:
        reader.run(tree.root_node)
    except RecursionError:  # MAX_DEPTH levels of the costliest shape, from deep in a stack
        program = Program(text, language)
        program.errors += 1
        return program
    program.commands.sort(key=lambda c: c.start)
    return program


_parse_cached = functools.lru_cache(maxsize=8192)(_parse)
parse.cache_clear = _parse_cached.cache_clear  # type: ignore[attr-defined]


def _byte_to_char(text: str):
    """Byte offset -> character offset for a script with non-ASCII text (decoding the
    prefix in C is cheaper than a table for the few dozen offsets a script needs)."""
    data = text.encode("utf-8", "surrogatepass")
    memo: dict[int, int] = {}

    def convert(b: int) -> int:
        found = memo.get(b)
        if found is None:
            found = memo[b] = len(data[:b].decode("utf-8", "surrogatepass"))
        return found

    return convert


# --------------------------------------------------------------------------- bash


_GUARD_PROGRAMS = frozenset({"true", ":", "echo", "printf", "exit 0"})
_LOOP_EXITS = frozenset({"break", "exit", "return"})
#: Deepest nesting of syntax nodes the readers descend into (each level costs a few
#: Python frames). Deeper parts of a script (thousands of nested subshells or a chain of
#: thousands of ``&&``) are skipped and counted in ``Program.errors``.
MAX_DEPTH = 200

_COUNTER_TEST = re.compile(r"-(lt|le|gt|ge|eq|ne)\b|[<>]=?|\(\(")


class _Context(NamedTuple):
    """Where the commands being read run (see :class:`Command`)."""

    tested: bool = False
    guarded: bool = False
    conditional: bool = False
    loop: Loop | None = None
    substitution: bool = False
    background: bool = False

    def but(self, **changes) -> _Context:
        return self._replace(**changes)


class _BashReader:
    def __init__(self, program: Program, data: bytes, text: str, spans, to_char):
        self.program = program
        self.data = data
        self.text = text
        self.spans = spans
        self.to_char = to_char
        self.pipeline = 0
        self.errexit = False
        self.pipefail = False
        self.depth = 0

    # ---------------------------------------------------------------- helpers
    def _pos(self, byte: int) -> int:
        return byte if self.to_char is None else self.to_char(byte)

    def _span(self, node) -> tuple[int, int]:
        return self._pos(node.start_byte), self._pos(node.end_byte)

    def _raw(self, node) -> str:
        return self.text[self._pos(node.start_byte) : self._pos(node.end_byte)]

    def _dynamic(self, start: int, end: int, node) -> bool:
        if self.spans and any(s < end and start < e for s, e in self.spans):
            return True
        return node.named_child_count > 0 and _has_expansion(node)

    def word(self, node) -> Word:
        start, end = self._pos(node.start_byte), self._pos(node.end_byte)
        raw = self.text[start:end]
        return Word(_unquote(raw), raw, start, end, self._dynamic(start, end, node))

    # ---------------------------------------------------------------- walk
    def run(self, root) -> None:
        self.loop_parts: dict[int, tuple[tuple[int, int], tuple[int, int]]] = {}
        self.visit(root, _Context())
        for loop in self.program.loops:
            parts = self.loop_parts.get(id(loop))
            if parts is not None and not loop.bounded:
                loop.bounded = _bounded(self.program, *parts)

    def visit(self, node, ctx: _Context) -> None:
        if self.depth >= MAX_DEPTH:
            self.program.errors += 1  # too deep to read: skipped, counted
            return
        self.depth += 1
        try:
            kind = node.type
            handler = getattr(self, "_" + kind, None)
            if handler is not None:
                handler(node, ctx)
                return
            if kind == "ERROR":
                self.program.errors += 1
            self._children(node, ctx)
        finally:
            self.depth -= 1

    def _children(self, node, ctx: _Context) -> None:
        children = node.children
        for i, child in enumerate(children):
            if not child.is_named:
                continue
            if i + 1 < len(children) and children[i + 1].type == "&" and not ctx.background:
                # `long-running-thing &`: runs in the background
                self.visit(child, ctx.but(background=True))
            else:
                self.visit(child, ctx)

    def _command(self, node, ctx: _Context, pipe_index: int = 0, pipeline: int | None = None) -> None:
        words: list[Word] = []
        redirects: list[str] = []
        inner = []
        for child in node.named_children:
            t = child.type
            if t == "command_name":
                words.append(self.word(child))
            elif t in ("variable_assignment",):
                self._variable_assignment(child, ctx)
            elif t in ("file_redirect", "herestring_redirect"):
                dest = child.child_by_field_name("destination")
                if dest is not None:
                    redirects.append(self._raw(dest))
            elif t == "subshell":
                inner.append(child)
            else:
                words.append(self.word(child))
            if child.named_child_count:
                inner.extend(_substitutions(child))
        if words:
            number = self._new_pipeline() if pipeline is None else pipeline
            cmd = self._add(node, words, ctx, number, pipe_index, redirects)
            self._note_set(cmd)
            if cmd.name in ("test", "[") and not words[0].dynamic:
                operands = words[1:]
                if cmd.name == "[" and operands and operands[-1].text == "]":
                    operands = operands[:-1]
                self._add_test(cmd.name, node, operands, ctx)
        sub_ctx = ctx.but(substitution=True)
        for sub in inner:
            for child in sub.named_children:
                self.visit(child, sub_ctx)

    def _add(self, node, words: list[Word], ctx: _Context, pipeline: int, pipe_index: int, redirects=()) -> Command:
        cmd = Command(
            tuple(words),
            self._pos(node.start_byte),
            self._pos(node.end_byte),
            pipeline=pipeline,
            pipe_index=pipe_index,
            tested=ctx.tested,
            guarded=ctx.guarded,
            conditional=ctx.conditional,
            loop=ctx.loop,
            substitution=ctx.substitution,
            background=ctx.background,
            errexit=self.errexit,
            pipefail=self.pipefail,
            redirects=tuple(redirects),
        )
        self.program.commands.append(cmd)
        return cmd

    def _new_pipeline(self) -> int:
        self.pipeline += 1
        return self.pipeline

    def _note_set(self, cmd: Command) -> None:
        if cmd.name != "set" or cmd.substitution:
            return
        args = [w.text for w in cmd.args]
        for i, a in enumerate(args):
            if a.startswith("-") and not a.startswith("--") and len(a) > 1:
                if "e" in a[1:]:
                    self.errexit = True
                if a == "-o" and i + 1 < len(args) and args[i + 1] == "pipefail":
                    self.pipefail = True
                elif "o" in a[1:] and i + 1 < len(args) and args[i + 1] == "pipefail":
                    self.pipefail = True
            elif a.startswith("+") and "e" in a[1:]:
                self.errexit = False

    def _pipeline(self, node, ctx: _Context) -> None:
        number = self._new_pipeline()
        index = 0
        for child in node.named_children:
            index = self._pipe_member(child, ctx, number, index)

    def _pipe_member(self, child, ctx: _Context, number: int, index: int) -> int:
        if child.type == "command":
            self._command(child, ctx, index, number)
            return index + 1
        if child.type == "redirected_statement":
            body = child.child_by_field_name("body")
            if body is not None and body.type == "command":
                self._command(body, ctx, index, number)
                index += 1
            for r in child.children_by_field_name("redirect"):
                index = self._heredoc_pipe(r, ctx, number, index)
            return index
        self.visit(child, ctx)
        return index + 1

    def _heredoc_pipe(self, redirect, ctx: _Context, number: int, index: int) -> int:
        # `cat <<EOF | kubectl apply -f -`: the grammar hangs the rest of the pipeline
        # on the here-document
        for sub in redirect.named_children:
            if sub.type == "pipeline":
                for member in sub.named_children:
                    index = self._pipe_member(member, ctx, number, index)
            elif sub.type in ("command", "list"):
                self.visit(sub, ctx)
        return index

    def _redirected_statement(self, node, ctx: _Context) -> None:
        body = node.child_by_field_name("body")
        number = None
        if body is not None:
            if body.type == "command":
                number = self._new_pipeline()
                before = len(self.program.commands)
                self._command(body, ctx, 0, number)
                targets = tuple(
                    self._raw(dest)
                    for r in node.children_by_field_name("redirect")
                    if r.type in ("file_redirect", "herestring_redirect")
                    for dest in [r.child_by_field_name("destination")]
                    if dest is not None
                )
                if targets and len(self.program.commands) > before:
                    # `curl url > out.json`: the grammar hangs the redirect on the statement
                    cmd = self.program.commands[before]
                    cmd.redirects = cmd.redirects + targets
            else:
                self.visit(body, ctx)
        for r in node.children_by_field_name("redirect"):
            if number is not None:
                self._heredoc_pipe(r, ctx, number, 1)
            else:
                for sub in r.named_children:
                    if sub.type in ("pipeline", "command", "list"):
                        self.visit(sub, ctx)

    def _list(self, node, ctx: _Context) -> None:
        # a && b || c: the left side is tested; what follows an operator is conditional;
        # `x || true` (and `|| :`, `|| echo`) ignores x's failure
        parts = []
        ops = []
        for child in node.children:
            if child.type in ("&&", "||"):
                ops.append(child.type)
            elif child.is_named:
                parts.append(child)
        for i, op in enumerate(ops[: len(parts) - 1]):
            first = parts[0]
            cond, negated = (first, False) if i > 0 else self._core(first)
            cstart = self._pos(cond.start_byte) if i == 0 else self._pos(first.start_byte)
            cend = self._pos(cond.end_byte) if i == 0 else self._pos(parts[i].end_byte)
            right = parts[i + 1]
            branch = Branch(self._pos(right.start_byte), self._pos(right.end_byte), self._fails([right]), self._is_message(right))
            self.program.decisions.append(
                Decision(
                    op,
                    cstart,
                    cend,
                    negated,
                    branch if op == "&&" else None,
                    branch if op == "||" else None,
                    (self._pos(first.start_byte), self._pos(right.end_byte)),
                )
            )
        # parts and operators need not alternate: a syntax error inside the list leaves an
        # ERROR node as one more part (`[!-z "$X" ] || [ ... ]; then`), or swallows one
        for i, part in enumerate(parts):
            after = ops[i] if i < len(ops) else None
            before = ops[i - 1] if 0 < i <= len(ops) else None
            guarded = ctx.guarded or (after == "||" and i + 1 < len(parts) and _is_guard(parts[i + 1], self))
            sub = ctx.but(tested=ctx.tested or after is not None, guarded=guarded, conditional=ctx.conditional or before is not None)
            self.visit(part, sub)

    def _negated_command(self, node, ctx: _Context) -> None:
        sub = ctx.but(tested=True, guarded=True)
        for child in node.named_children:
            self.visit(child, sub)

    def _if_statement(self, node, ctx: _Context) -> None:
        self._record_if(node)
        for child in node.named_children:
            field_name = None
            for i in range(node.child_count):
                if node.children[i].id == child.id:
                    field_name = node.field_name_for_child(i)
                    break
            if field_name == "condition":
                self.visit(child, ctx.but(tested=True))
            elif child.type in ("elif_clause", "else_clause"):
                self._clause(child, ctx)
            else:
                self.visit(child, ctx.but(conditional=True))

    def _clause(self, node, ctx: _Context) -> None:
        # elif: its first statements (before `then`) are the condition
        seen_then = node.type == "else_clause"
        for child in node.children:
            if child.type == "then":
                seen_then = True
                continue
            if not child.is_named:
                continue
            tested = ctx.tested or not seen_then
            self.visit(child, ctx.but(tested=tested, conditional=True))

    # ---------------------------------------------------------------- tests, decisions
    def _test_command(self, node, ctx: _Context) -> None:
        opening = node.children[0].type if node.child_count else "["
        words: list[Word] = []
        for child in node.children:
            if child.type in ("[", "]", "[[", "]]"):
                continue
            self._flatten(child, words)
        self._add_test("[[" if opening == "[[" else "[", node, words, ctx)
        self._children(node, ctx)

    def _compound_statement(self, node, ctx: _Context) -> None:
        if node.child_count and node.children[0].type == "((":
            words: list[Word] = []
            for child in node.children[1:]:
                if child.type != "))":
                    self._flatten(child, words)
            self._add_test("((", node, words, ctx)
        self._children(node, ctx)

    def _flatten(self, node, out: list[Word]) -> None:
        """Operands and operators of a test expression, in source order (a stack, not a
        recursion: ``[[ ((((...)))) ]]`` may nest as deep as the text allows)."""
        stack = [node]
        while stack:
            node = stack.pop()
            if node.type in ("binary_expression", "unary_expression", "parenthesized_expression", "ternary_expression") or (
                not node.is_named and node.child_count == 0 and node.type not in ('"', "'")
            ):
                if node.child_count == 0:
                    out.append(self.word(node))
                else:
                    stack.extend(reversed(node.children))
                continue
            if node.type == "comment":
                continue
            out.append(self.word(node))

    def _add_test(self, kind: str, node, words, ctx: _Context) -> None:
        self.program.tests.append(
            Test(
                kind,
                tuple(words),
                self._pos(node.start_byte),
                self._pos(node.end_byte),
                tested=ctx.tested,
                guarded=ctx.guarded,
                conditional=ctx.conditional,
                loop=ctx.loop,
                substitution=ctx.substitution,
            )
        )

    def _core(self, node):
        """The statement whose status decides: ``! x`` -> (x, negated), a redirected
        statement -> its body."""
        negated = False
        for _ in range(8):
            if node.type == "negated_command" and node.named_child_count:
                negated = not negated
                node = node.named_children[0]
            elif node.type == "redirected_statement" and node.child_by_field_name("body") is not None:
                node = node.child_by_field_name("body")
            else:
                break
        return node, negated

    def _record_if(self, node) -> None:
        conditions = []
        body = []
        clauses = []
        for i, child in enumerate(node.children):
            if not child.is_named or child.type == "comment":
                continue
            if node.field_name_for_child(i) == "condition":
                conditions.append(child)
            elif child.type in ("elif_clause", "else_clause"):
                clauses.append(child)
            else:
                body.append(child)
        parts = [("if", conditions, body)]
        for clause in clauses:
            if clause.type == "elif_clause":
                cond, then, seen = [], [], False
                for child in clause.children:
                    if child.type == "then":
                        seen = True
                    elif child.is_named and child.type != "comment":
                        (then if seen else cond).append(child)
                parts.append(("elif", cond, then))
        for index, (kind, cond, then) in enumerate(parts):
            if not cond:
                continue
            core, negated = self._core(cond[-1])
            when_true = self._branch(then) if then else None
            when_false = None
            nxt = clauses[index] if index < len(clauses) else None
            if nxt is not None:
                if nxt.type == "else_clause":
                    stmts = [c for c in nxt.named_children if c.type != "comment"]
                    when_false = self._branch(stmts) if stmts else None
                else:
                    when_false = Branch(self._pos(nxt.start_byte), self._pos(nxt.end_byte), False)
            self.program.decisions.append(
                Decision(
                    kind,
                    self._pos(core.start_byte),
                    self._pos(core.end_byte),
                    negated,
                    when_true,
                    when_false,
                    (self._pos(node.start_byte), self._pos(node.end_byte)),
                )
            )

    def _branch(self, statements) -> Branch:
        return Branch(self._pos(statements[0].start_byte), self._pos(statements[-1].end_byte), self._fails(statements))

    def _fails(self, statements) -> bool:
        """One of ``statements`` (run in sequence) always ends the step with a failure."""
        for node in statements:
            if self._statement_fails(node):
                return True
        return False

    def _statement_fails(self, node) -> bool:
        t = node.type
        if t == "command":
            words = [_unquote(self._raw(c)) for c in node.named_children if c.type not in ("file_redirect", "herestring_redirect", "variable_assignment")]
            if not words:
                return False
            name = words[0].rsplit("/", 1)[-1]
            if name in ("exit", "return"):
                return len(words) > 1 and words[1] not in ("0", "") and (name == "exit" or not words[1].startswith("$"))
            if name == "false":
                return True
            if name in ("echo", "printf"):
                return any("##vso[task.complete result=Failed" in w for w in words[1:])
            return False
        if t == "redirected_statement":
            body = node.child_by_field_name("body")
            return body is not None and self._statement_fails(body)
        if t == "compound_statement":
            if node.child_count and node.children[0].type == "((":
                return False
            return self._fails([c for c in node.named_children if c.type != "comment"])
        if t == "list":
            # `echo "too high" && exit 1`: the right side runs after a message
            ops = [c.type for c in node.children if c.type in ("&&", "||")]
            parts = [c for c in node.named_children if c.type != "comment"]
            if ops and all(o == "&&" for o in ops) and parts:
                left = parts[:-1]
                return self._statement_fails(parts[-1]) and all(self._is_message(p) for p in left)
            return False
        return False

    def _is_message(self, node) -> bool:
        node, _ = self._core(node)
        if node.type != "command":
            return False
        name = node.child_by_field_name("name")
        return name is not None and _unquote(self._raw(name)) in ("echo", "printf", "true", ":")

    def _case_statement(self, node, ctx: _Context) -> None:
        for child in node.named_children:
            self.visit(child, ctx.but(conditional=True))

    def _while_statement(self, node, ctx: _Context) -> None:
        keyword = node.children[0].type if node.child_count else "while"
        conditions = node.children_by_field_name("condition")
        body = node.child_by_field_name("body")
        named = [c for c in conditions if c.is_named]
        head = " ".join(self._raw(c) for c in named)
        loop = Loop("until" if keyword == "until" else "while", self._pos(node.start_byte), self._pos(node.end_byte), False, head)
        self.program.loops.append(loop)
        # bounded or not is decided once the whole script is read (run)
        condition = (self._pos(named[0].start_byte), self._pos(named[-1].end_byte)) if named else (loop.start, loop.start)
        self.loop_parts[id(loop)] = (condition, self._span(body) if body is not None else (loop.end, loop.end))
        for c in conditions:
            if c.is_named:
                self.visit(c, ctx.but(tested=True, conditional=True, loop=loop))
        if body is not None:
            self.visit(body, ctx.but(conditional=True, loop=loop))

    def _for_statement(self, node, ctx: _Context) -> None:
        loop = Loop("for", self._pos(node.start_byte), self._pos(node.end_byte), True, "")
        self.program.loops.append(loop)
        for child in node.named_children:
            self.visit(child, ctx.but(conditional=True, loop=loop))

    def _c_style_for_statement(self, node, ctx: _Context) -> None:
        cond = node.child_by_field_name("condition")
        head = self._raw(cond) if cond is not None else ""
        body = node.child_by_field_name("body")
        loop = Loop("c-for", self._pos(node.start_byte), self._pos(node.end_byte), bool(head.strip()), head)
        self.program.loops.append(loop)
        if body is not None:
            self.loop_parts[id(loop)] = ((loop.start, loop.start), self._span(body))
        if body is not None:
            self.visit(body, ctx.but(conditional=True, loop=loop))

    def _variable_assignment(self, node, ctx: _Context, exported: bool = False) -> None:
        name = node.child_by_field_name("name")
        value = node.child_by_field_name("value")
        if name is None:
            return
        if value is not None:
            w = self.word(value)
        else:
            end = self._pos(node.end_byte)
            w = Word("", "", end, end)
        self.program.assignments.append(
            Assignment(self._raw(name), w, self._pos(node.start_byte), self._pos(node.end_byte), exported)
        )
        if value is not None:
            sub = ctx.but(substitution=True)
            for s in _substitutions(value):
                for child in s.named_children:
                    self.visit(child, sub)

    def _declaration_command(self, node, ctx: _Context) -> None:
        exported = node.child_count > 0 and node.children[0].type in ("export", "declare", "typeset", "local", "readonly")
        for child in node.named_children:
            if child.type == "variable_assignment":
                self._variable_assignment(child, ctx, exported)

    def _function_definition(self, node, ctx: _Context) -> None:
        body = node.child_by_field_name("body")
        if body is not None:
            self.visit(body, ctx.but(conditional=True))

    def _heredoc_body(self, node, ctx: _Context) -> None:
        return  # data, not commands

    def _comment(self, node, ctx: _Context) -> None:
        return


def _has_expansion(node) -> bool:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in ("simple_expansion", "expansion", "command_substitution", "arithmetic_expansion", "process_substitution"):
            return True
        stack.extend(n.named_children)
    return False


def _substitutions(node):
    """``$( )`` / backtick nodes inside a word (not inside nested substitutions)."""
    out = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in ("command_substitution", "process_substitution"):
            out.append(n)
            continue
        stack.extend(n.named_children)
    return out


def _is_guard(node, reader: _BashReader) -> bool:
    """``true``, ``:``, ``echo ...``, ``exit 0``: what makes ``x || <this>`` ignore x."""
    if node.type != "command":
        return False
    name_node = node.child_by_field_name("name")
    if name_node is None:
        return False
    name = _unquote(reader._raw(name_node))
    if name in ("true", ":", "echo", "printf"):
        return True
    if name == "exit":
        args = [reader._raw(c) for c in node.children_by_field_name("argument")]
        return args == ["0"]
    return False


#: Comparisons that count (a counter, a time); string equality tests a state instead.
_ORDERING = frozenset({"-lt", "-le", "-gt", "-ge", "-eq", "-ne", "<", ">", "<=", ">="})
_LEAVE = frozenset({"break", "exit", "return"})


def _counts(test: Test) -> bool:
    """An ordering comparison with a variable operand (``[ $i -lt 10 ]``, ``(( n < 30 ))``)."""
    if test.kind == "((":
        return any(w.text in _ORDERING or any(op in w.text for op in ("<", ">")) for w in test.words)
    return any(w.text in _ORDERING for w in test.words) and any(w.dynamic for w in test.words)


def _bounded(program: Program, condition: tuple[int, int], body: tuple[int, int]) -> bool:
    """A ``while``/``until`` loop ends by itself, read from the model: its condition runs
    under ``timeout`` or compares a counter, or its body leaves it (``break``/``exit``/
    ``return``) and tests a counter or the clock (``SECONDS``, ``date``)."""
    c0, c1 = condition
    b0, b1 = body
    if any(c.name == "timeout" for c in program.commands if c0 <= c.start < c1):
        return True
    if any(_counts(t) for t in program.tests if c0 <= t.start < c1):
        return True
    inside = [c for c in program.commands if b0 <= c.start < b1]
    if not any(c.name in _LEAVE for c in inside):
        return False
    if any(_counts(t) for t in program.tests if b0 <= t.start < b1):
        return True
    clock = any(c.name == "date" for c in inside) or any("SECONDS" in w.text for c in inside for w in c.words)
    return clock or any("SECONDS" in w.text for t in program.tests if b0 <= t.start < b1 for w in t.words)


def _body_exits(body, reader: _BashReader) -> bool:
    """The body tests a counter or an elapsed time and leaves the loop when it is over."""
    if body is None:
        return False
    text = reader._raw(body)
    has_exit = re.search(r"(^|[\s;&|])(break|exit|return)\b", text) is not None
    counted = re.search(r"(-(lt|le|gt|ge|eq)\b|\(\(|\bSECONDS\b|\$\(\s*date\b|\bdate\s+\+%s)", text) is not None
    return has_exit and counted


def _unquote(raw: str) -> str:
    """Quote removal for one word the parser delimited (``"a b"`` -> ``a b``,
    ``'x'`` -> ``x``, ``\\$`` -> ``$``); expansions stay as written."""
    if not raw or ("'" not in raw and '"' not in raw and "\\" not in raw):
        return raw
    first = raw[0]
    if first in "'\"" and raw[-1] == first and len(raw) > 1 and raw.count(first) == 2 and (first == "'" or "\\" not in raw):
        return raw[1:-1]  # one quoted string, the usual case
    out = []
    i, n = 0, len(raw)
    quote = None
    while i < n:
        c = raw[i]
        if quote == "'":
            if c == "'":
                quote = None
            else:
                out.append(c)
        elif quote == '"':
            if c == '"':
                quote = None
            elif c == "\\" and i + 1 < n and raw[i + 1] in '"\\$`':
                out.append(raw[i + 1])
                i += 1
            else:
                out.append(c)
        else:
            if c in ("'", '"'):
                quote = c
            elif c == "\\" and i + 1 < n:
                if raw[i + 1] != "\n":
                    out.append(raw[i + 1])
                i += 1
            else:
                out.append(c)
        i += 1
    return "".join(out)


# --------------------------------------------------------------------------- PowerShell


class _PwshReader(_BashReader):
    """PowerShell: commands (``Invoke-WebRequest -Uri ...``, ``kubectl apply``) with
    their elements, pipelines, ``if``/loops as conditions. Enough for health-check
    clients and remote execution (``iex (iwr ...)``)."""

    def run(self, root) -> None:
        self.visit(root, _Context())

    def visit(self, node, ctx: _Context) -> None:
        if self.depth >= MAX_DEPTH:
            self.program.errors += 1  # too deep to read: skipped, counted
            return
        self.depth += 1
        try:
            self._visit(node, ctx)
        finally:
            self.depth -= 1

    def _visit(self, node, ctx: _Context) -> None:
        kind = node.type
        if kind == "ERROR":
            self.program.errors += 1
        if kind == "pipeline":
            number = self._new_pipeline()
            index = 0
            for chain in node.named_children:
                members = chain.named_children if chain.type == "pipeline_chain" else [chain]
                for m in members:
                    if m.type == "command":
                        self._pwsh_command(m, ctx, number, index)
                        index += 1
                    else:
                        self.visit(m, ctx)
            return
        if kind == "command":
            self._pwsh_command(node, ctx, self._new_pipeline(), 0)
            return
        if kind in ("if_statement", "elseif_clause"):
            for i, child in enumerate(node.children):
                if not child.is_named:
                    continue
                tested = node.field_name_for_child(i) == "condition"
                self.visit(child, ctx.but(tested=tested or ctx.tested, conditional=True))
            return
        if kind in ("while_statement", "do_statement", "for_statement", "foreach_statement"):
            head = ""
            cond = node.child_by_field_name("condition")
            if cond is not None:
                head = self._raw(cond)
            bounded = kind in ("foreach_statement",) or (kind == "for_statement" and bool(head.strip()))
            if not bounded:
                bounded = (bool(_COUNTER_TEST.search(head)) or "-lt" in head.lower() or "-le" in head.lower()) and "$" in head
            if not bounded:  # a counter or the clock checked in the body, then `break`/`exit`
                body = node.child_by_field_name("body") or next((c for c in node.named_children if c.type == "statement_block"), None)
                bounded = _body_exits(body, self)
            loop = Loop(kind.replace("_statement", ""), self._pos(node.start_byte), self._pos(node.end_byte), bounded, head)
            self.program.loops.append(loop)
            for child in node.named_children:
                self.visit(child, ctx.but(conditional=True, loop=loop))
            return
        for child in node.named_children:
            self.visit(child, ctx)

    def _pwsh_command(self, node, ctx: _Context, number: int, index: int) -> None:
        words: list[Word] = []
        name = node.child_by_field_name("command_name")
        if name is not None:
            words.append(self.word(name))
        elements = node.child_by_field_name("command_elements")
        inner = []
        if elements is not None:
            for el in elements.named_children:
                if el.type == "command_argument_sep":
                    continue
                words.append(self.word(el))
                stack = [el]
                while stack:
                    n = stack.pop()
                    if n.type == "command":
                        inner.append(n)
                        continue
                    stack.extend(n.named_children)
        if words:
            self._add(node, words, ctx, number, index)
        sub = ctx.but(substitution=True)
        for n in inner:
            self._pwsh_command(n, sub, self._new_pipeline(), 0)


__all__ = [
    "COMPARISON_OPERATORS",
    "Assignment",
    "Branch",
    "Command",
    "Comparison",
    "Decision",
    "Loop",
    "Program",
    "Test",
    "Word",
    "available",
    "mentions",
    "parse",
]
