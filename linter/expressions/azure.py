"""Azure Pipelines expressions: ``condition:``, compile-time ``${{ }}``, runtime ``$[ ]``.

The language has no operators: everything is a function call (``and(succeeded(),
eq(variables['Build.Reason'], 'Manual'))``, names case-insensitive), a literal
(``True``/``False``/``Null`` in any case, numbers, versions ``1.2.3``, ``'strings'`` with
``''`` for a quote) or a named value with property (``.name``, ``.*``) and index
(``['x']``, ``[0]``, ``[*]``) dereferences: ``variables``, ``parameters``,
``dependencies``, ``stageDependencies``, ``pipeline``, ``resources``, an ``each`` loop
variable...

Which named values exist depends on where the expression is (``parameters`` only at
compile time, loop variables only inside their ``each``), so any name is accepted;
unknown functions, wrong argument counts, C-style operators, double quotes, unbalanced
brackets and the status functions written without ``()`` are errors.

``${{ }}`` inside a ``condition:`` (or any value) is expanded as text before the runtime
expression is read: :func:`parse` therefore accepts a *splice*, the text of an embedded
``${{ }}`` or ``$(macro)`` replaced by :data:`SPLICE` characters of the same length
(:func:`mask_splices`); a call with a splice among its arguments is not counted, since
one splice may expand to several arguments.

A small hand-written recursive-descent parser (the language is LL(1)) is used rather
than pyparsing: it gives exact error offsets and runs in a few microseconds.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Iterator, Union

from . import ExpressionError  # noqa: F401  (re-exported: callers catch it from here)

#: Azure's own limits (``ExpressionConstants`` in the agent): depth 50, length 21,000.
MAX_DEPTH = 50
MAX_LENGTH = 21_000
#: What :func:`mask_splices` writes over an embedded ``${{ }}`` / ``$( )``.
SPLICE = "\ue000"



# --------------------------------------------------------------------------- AST


@dataclass(frozen=True, slots=True)
class Literal:
    """``True``/``False`` (bool), ``Null`` (None), a number, a version (str) or a string."""

    value: None | bool | int | float | str
    kind: str  # "bool", "null", "number", "version", "string"
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Property:
    """``.name`` or ``.*`` (``name == '*'``)."""

    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Index:
    """``[expr]`` or ``[*]`` (``index`` is None)."""

    index: "Expr | None"
    start: int
    end: int


Segment = Union[Property, Index]


@dataclass(frozen=True, slots=True)
class NamedValue:
    """``variables['Build.Reason']``, ``parameters.x``, ``dependencies.A.result``."""

    name: str
    segments: tuple[Segment, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Call:
    """A function call (``name`` as written), maybe dereferenced: ``split(a, ',')[0]``."""

    name: str
    args: tuple["Expr", ...]
    segments: tuple[Segment, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Splice:
    """Text inserted before evaluation (an embedded ``${{ }}`` or ``$(macro)``)."""

    start: int
    end: int


Expr = Union[Literal, NamedValue, Call, Splice]


def walk(expr: Expr) -> Iterator[Expr]:
    """Every expression node of ``expr`` (itself included), parents first."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        children: list = []
        if isinstance(node, Call):
            children.extend(node.args)
        if isinstance(node, (Call, NamedValue)):
            children.extend(s.index for s in node.segments if isinstance(s, Index) and s.index is not None)
        stack.extend(reversed(children))


def named_paths(expr: Expr) -> list[tuple[str, int, int]]:
    """Each named value read as ``(dotted lower-case path, start, end)``.

    ``variables['Build.Reason']`` gives ``variables.build.reason``; computed indexes and
    ``*`` become ``*``.
    """
    out = []
    for node in walk(expr):
        if isinstance(node, NamedValue):
            parts = [node.name.lower()]
            for s in node.segments:
                if isinstance(s, Property):
                    parts.append(s.name.lower())
                elif isinstance(s.index, Literal) and s.index.kind == "string":
                    parts.append(str(s.index.value).lower())
                else:
                    parts.append("*")
            out.append((".".join(parts), node.start, node.end))
    return sorted(out, key=lambda p: p[1])


# --------------------------------------------------------------------------- finding


@dataclass(frozen=True, slots=True)
class Embedded:
    """One ``${{ }}`` (kind "compile") or ``$[ ]`` (kind "runtime") in a text.

    ``end`` is None when the closing ``}}`` is missing.
    """

    kind: str
    start: int
    end: int | None
    inner: str
    inner_start: int


_CLOSE_OR_QUOTE = re.compile(r"'|}}")
_RUNTIME = re.compile(r"\s*\$\[(.*)\]\s*\Z", re.S)


def find_expressions(text: str) -> list[Embedded]:
    """Every ``${{ }}`` in ``text`` and a ``$[ ]`` that is the whole value, in order.

    A ``}}`` inside a single-quoted string does not close a ``${{``. Azure only reads
    ``$[ ]`` as a runtime expression when it is the entire value, so ``$[`` elsewhere (a
    shell's ``$[1+2]``) is left alone. An unclosed ``${{`` comes last with ``end=None``.
    """
    found: list[Embedded] = []
    m = _RUNTIME.match(text) if "$[" in text else None
    if m is not None and not text.lstrip().startswith("$[["):
        return [Embedded("runtime", m.start() + text[m.start():].index("$["), m.end(1) + 1, m.group(1), m.start(1))]
    pos = text.find("${{")
    while pos != -1:
        inner_start = pos + 3
        in_string = False
        close = -1
        for q in _CLOSE_OR_QUOTE.finditer(text, inner_start):
            if q.group() == "'":
                in_string = not in_string
            elif not in_string:
                close = q.start()
                break
        if close == -1:
            found.append(Embedded("compile", pos, None, text[inner_start:], inner_start))
            break
        found.append(Embedded("compile", pos, close + 2, text[inner_start:close], inner_start))
        pos = text.find("${{", close + 2)
    return found


_MACRO = re.compile(r"\$\([^()\s]*\)")


def mask_splices(text: str) -> str:
    """``text`` with each ``${{ }}`` and ``$(macro)`` overwritten by :data:`SPLICE`.

    Offsets are kept; use it before :func:`parse` on a whole ``condition:`` value.
    """
    if "$" not in text:
        return text
    out = text
    for e in reversed(find_expressions(text)):
        if e.kind == "compile":
            end = len(text) if e.end is None else e.end
            out = out[: e.start] + SPLICE * (end - e.start) + out[end:]
    return _MACRO.sub(lambda m: SPLICE * len(m.group()), out)


# --------------------------------------------------------------------------- directives


@dataclass(frozen=True, slots=True)
class Directive:
    """A ``${{ }}`` mapping key or sequence item that is template syntax.

    ``keyword`` is ``if``, ``elseif``, ``else``, ``each`` or ``insert``; ``condition``
    (for if/elseif) or ``collection`` (for each) is the parsed expression and
    ``expr_start`` its offset in the inner text; ``variable`` is the ``each`` loop name.
    """

    keyword: str
    condition: Expr | None = None
    variable: str | None = None
    collection: Expr | None = None
    expr_start: int = 0


_DIRECTIVE = re.compile(r"\s*(?:(if|elseif)(?=[\s(])|(else|each|insert)(?=\s|\Z))", re.I)
_EACH = re.compile(r"\s+([A-Za-z_][A-Za-z0-9_]*)\s+in(?=\s)", re.I)


def parse_directive(inner: str) -> Directive | None:
    """The directive in ``inner`` (the text between ``${{`` and ``}}``), or None if it
    is a plain expression. Raises :class:`ExpressionError` for a malformed directive."""
    m = _DIRECTIVE.match(inner)
    if m is None:
        return None
    keyword = (m.group(1) or m.group(2)).lower()
    rest_start = m.end()
    rest = inner[rest_start:]
    if keyword in ("else", "insert"):
        if rest.strip():
            at = rest_start + len(rest) - len(rest.lstrip())
            raise ExpressionError(f"unexpected text after '{keyword}'", at)
        return Directive(keyword)
    if keyword in ("if", "elseif"):
        if not rest.strip():
            raise ExpressionError(f"'{keyword}' needs a condition", m.end())
        return Directive(keyword, condition=_offset_parse(inner, rest_start), expr_start=rest_start)
    e = _EACH.match(inner, rest_start)
    if e is None:
        raise ExpressionError("expected 'each <name> in <collection>'", rest_start)
    if not inner[e.end():].strip():
        raise ExpressionError("'each' needs a collection after 'in'", e.end())
    return Directive("each", variable=e.group(1), collection=_offset_parse(inner, e.end()), expr_start=e.end())


def _offset_parse(inner: str, start: int) -> Expr:
    # Parse the tail but keep offsets relative to ``inner``.
    return parse(" " * start + inner[start:])


# --------------------------------------------------------------------------- functions

#: lower-case name -> (documented name, min args, max args or None)
FUNCTIONS = {
    "and": ("and", 2, None),
    "or": ("or", 2, None),
    "not": ("not", 1, 1),
    "xor": ("xor", 2, 2),
    "eq": ("eq", 2, 2),
    "ne": ("ne", 2, 2),
    "gt": ("gt", 2, 2),
    "ge": ("ge", 2, 2),
    "lt": ("lt", 2, 2),
    "le": ("le", 2, 2),
    "in": ("in", 1, None),
    "notin": ("notIn", 1, None),
    "contains": ("contains", 2, 2),
    "containsvalue": ("containsValue", 2, 2),
    "startswith": ("startsWith", 2, 2),
    "endswith": ("endsWith", 2, 2),
    "format": ("format", 1, None),
    "join": ("join", 2, 2),
    "coalesce": ("coalesce", 1, None),
    "lower": ("lower", 1, 1),
    "upper": ("upper", 1, 1),
    "replace": ("replace", 3, 3),
    "split": ("split", 2, 2),
    "length": ("length", 1, 1),
    "counter": ("counter", 0, 2),
    "converttojson": ("convertToJson", 1, 1),
    "iif": ("iif", 3, 3),
    "trim": ("trim", 1, 1),
    "indexof": ("indexOf", 2, 3),
    # job status
    "always": ("always", 0, 0),
    "canceled": ("canceled", 0, 0),
    "failed": ("failed", 0, None),
    "succeeded": ("succeeded", 0, None),
    "succeededorfailed": ("succeededOrFailed", 0, None),
}
_STATUS = frozenset(("always", "canceled", "failed", "succeeded", "succeededorfailed"))


def _check_call(name: str, nargs: int, offset: int) -> None:
    known = FUNCTIONS.get(name.lower())
    if known is None:
        import difflib

        close = difflib.get_close_matches(name.lower(), FUNCTIONS, n=1, cutoff=0.75)
        if name.lower() == "cancelled":
            close = ["canceled"]
        hint = f" (did you mean '{FUNCTIONS[close[0]][0]}'?)" if close else ""
        raise ExpressionError(f"unknown function '{name}'{hint}", offset)
    canonical, low, high = known
    if low <= nargs and (high is None or nargs <= high):
        return
    if low == high:
        wanted = "no arguments" if low == 0 else f"exactly {low} argument{'s' if low != 1 else ''}"
    elif high is None:
        wanted = f"at least {low} argument{'s' if low != 1 else ''}"
    else:
        wanted = f"{low} to {high} arguments"
    raise ExpressionError(f"{canonical}() takes {wanted}, got {nargs}", offset)


# --------------------------------------------------------------------------- lexer

_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<string>'(?:[^']|'')*')"
    r"|(?P<version>\d+\.\d+\.\d+(?:\.\d+)?(?![\w.]))"
    r"|(?P<number>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?(?![\w.]))"
    r"|(?P<splice>" + SPLICE + r"+(?![A-Za-z0-9_-]))"
    r"|(?P<word>[A-Za-z_" + SPLICE + r"][A-Za-z0-9_" + SPLICE + r"-]*)"
    r"|(?P<punct>[()\[\],.*])",
)
_OPERATOR = re.compile(r"==|!=|&&|\|\||<=|>=|[<>!=&|+]")
_OPERATOR_HINTS = {
    "==": "eq()", "!=": "ne()", "&&": "and()", "||": "or()", "!": "not()",
    "<": "lt()", ">": "gt()", "<=": "le()", ">=": "ge()", "=": "eq()", "&": "and()", "|": "or()",
}
_KEYWORDS = {"true": True, "false": False, "null": None}


class _Tok:
    __slots__ = ("kind", "text", "start", "end")

    def __init__(self, kind, text, start, end):
        self.kind = kind
        self.text = text
        self.start = start
        self.end = end


def _lex(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos, n = 0, len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        if m is None:
            raise _bad_char(text, pos)
        kind = m.lastgroup
        if kind != "ws":
            toks.append(_Tok(kind, m.group(), pos, m.end()))
        pos = m.end()
    return toks


def _bad_char(text: str, pos: int) -> ExpressionError:
    c = text[pos]
    if c == "'":
        return ExpressionError("unterminated string (strings are 'single-quoted', '' for a quote)", pos)
    if c == '"':
        return ExpressionError("strings must use single quotes, not double quotes", pos)
    op = _OPERATOR.match(text, pos)
    if op is not None:
        return ExpressionError(
            f"unexpected '{op.group()}': Azure expressions have no operators, use {_OPERATOR_HINTS.get(op.group(), 'a function')}",
            pos,
        )
    if c == "$":
        return ExpressionError("unexpected '$' (macro and expression syntax cannot be nested here)", pos)
    return ExpressionError(f"unexpected '{c}'", pos)


# --------------------------------------------------------------------------- parser


class _Parser:
    __slots__ = ("text", "toks", "i", "depth")

    def __init__(self, text: str, toks: list[_Tok]):
        self.text = text
        self.toks = toks
        self.i = 0
        self.depth = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def at(self) -> int:
        tok = self.peek()
        return tok.start if tok is not None else len(self.text.rstrip())

    def expect(self, text: str, message: str) -> _Tok:
        tok = self.peek()
        if tok is None or tok.text != text:
            raise self.unexpected(message)
        self.i += 1
        return tok

    def unexpected(self, message: str) -> ExpressionError:
        tok = self.peek()
        if tok is None:
            return ExpressionError(f"unexpected end of expression: {message}", self.at())
        return ExpressionError(f"unexpected '{tok.text}': {message}", tok.start)

    def expr(self) -> Expr:
        tok = self.peek()
        if tok is None:
            raise ExpressionError("expected a value", self.at())
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"expression nested deeper than {MAX_DEPTH} levels", tok.start)
        self.i += 1
        kind = tok.kind
        if kind == "string":
            node: Expr = Literal(tok.text[1:-1].replace("''", "'"), "string", tok.start, tok.end)
        elif kind == "number":
            t = tok.text
            value = int(t) if re.fullmatch(r"[-+]?\d+", t) else float(t)
            node = Literal(value, "number", tok.start, tok.end)
        elif kind == "version":
            node = Literal(tok.text, "version", tok.start, tok.end)
        elif kind == "splice":
            node = Splice(tok.start, tok.end)
            node = self.after_splice(node)
        elif kind == "word":
            node = self.word(tok)
        else:
            self.i -= 1
            raise self.unexpected("expected a value")
        if isinstance(node, Literal):
            nxt = self.peek()
            if nxt is not None and nxt.text in (".", "[", "("):
                raise ExpressionError(f"unexpected '{nxt.text}' after a literal", nxt.start)
        self.depth -= 1
        return node

    def after_splice(self, node: Splice) -> Expr:
        # A splice may be followed by a dereference or more name characters.
        while True:
            nxt = self.peek()
            if nxt is None or nxt.text not in (".", "["):
                return node
            self.segments()
            node = Splice(node.start, self.toks[self.i - 1].end)

    def word(self, tok: _Tok) -> Expr:
        nxt = self.peek()
        lower = tok.text.lower()
        if nxt is not None and nxt.text == "(":
            self.i += 1
            args: list[Expr] = []
            if self.peek() is not None and self.peek().text == ")":
                self.i += 1
            else:
                while True:
                    args.append(self.expr())
                    sep = self.peek()
                    if sep is not None and sep.text == ",":
                        self.i += 1
                        continue
                    if sep is not None and sep.text == ")":
                        self.i += 1
                        break
                    raise self.unexpected("expected ',' or ')' in the argument list")
            end = self.toks[self.i - 1].end
            if SPLICE in tok.text:
                pass  # the name itself is spliced in
            elif not any(isinstance(a, Splice) for a in args):
                _check_call(tok.text, len(args), tok.start)
            elif lower not in FUNCTIONS:
                _check_call(tok.text, 0, tok.start)
            segments = self.segments()
            return Call(tok.text, tuple(args), segments, tok.start, segments[-1].end if segments else end)
        if lower in _KEYWORDS:
            kind = "null" if lower == "null" else "bool"
            return Literal(_KEYWORDS[lower], kind, tok.start, tok.end)
        segments = self.segments()
        if SPLICE in tok.text:
            return Splice(tok.start, segments[-1].end if segments else tok.end)
        if not segments and lower in _STATUS:
            raise ExpressionError(f"'{tok.text}' is a function: write {FUNCTIONS[lower][0]}()", tok.start)
        return NamedValue(tok.text, segments, tok.start, segments[-1].end if segments else tok.end)

    def segments(self) -> tuple[Segment, ...]:
        out: list[Segment] = []
        while True:
            tok = self.peek()
            if tok is None:
                break
            if tok.text == ".":
                self.i += 1
                name = self.peek()
                if name is None or not (name.kind in ("word", "splice") or name.text == "*" or name.kind == "number" and name.text.isdigit()):
                    raise self.unexpected("expected a property name or '*' after '.'")
                self.i += 1
                out.append(Property(name.text, tok.start, name.end))
            elif tok.text == "[":
                self.i += 1
                inner = self.peek()
                if inner is not None and inner.text == "*":
                    self.i += 1
                    close = self.expect("]", "expected ']' after '[*'")
                    out.append(Index(None, tok.start, close.end))
                    continue
                if inner is not None and inner.text == "]":
                    raise ExpressionError("expected an index inside '[ ]'", inner.start)
                index = self.expr()
                close = self.expect("]", "expected ']'")
                out.append(Index(index, tok.start, close.end))
            else:
                break
        return tuple(out)


def parse(inner: str) -> Expr:
    """The AST of ``inner`` (between ``${{``/``}}``, inside ``$[ ]`` or a ``condition:``).

    Offsets in the result and in :class:`ExpressionError` are relative to ``inner``. Run
    Embedded ``${{ }}`` and ``$(macro)`` are masked with :func:`mask_splices` first.
    """
    return _parse_cached(inner)


@functools.lru_cache(maxsize=4096)
def _parse_cached(inner: str) -> Expr:
    if not inner.strip():
        raise ExpressionError("empty expression", 0)
    if len(inner) > MAX_LENGTH:
        raise ExpressionError(f"expression is longer than {MAX_LENGTH:,} characters", 0)
    if "$" in inner:
        inner = mask_splices(inner)
    toks = _lex(inner)
    p = _Parser(inner, toks)
    node = p.expr()
    if p.peek() is not None:
        tok = p.peek()
        if tok.text == ")":
            raise ExpressionError("unbalanced parenthesis: ')' without '('", tok.start)
        if tok.text == ",":
            raise ExpressionError("unexpected ',' outside a function call", tok.start)
        raise ExpressionError(f"unexpected '{tok.text}' after a complete expression", tok.start)
    return node
