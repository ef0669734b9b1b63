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
