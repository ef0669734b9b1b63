"""GitHub Actions ``${{ }}`` expressions: finding them in text and parsing them.

Rules need to know *what* an expression reads (``github.event.issue.title``,
``secrets.X``) and whether GitHub would reject it, without evaluating anything. The
syntax follows GitHub's documented expression language and its reference parsers
(``actions/runner`` and ``actions/languageservices``): literals, contexts with property,
index and ``*`` filter access, function calls and the operators
``! < <= > >= == != && ||`` from tightest to loosest.

:func:`find_expressions` is plain string scanning; pyparsing (slow to import) is only
loaded by the first :func:`parse`, and the grammar is built once.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Iterator, Union

# --------------------------------------------------------------------------- AST

#: GitHub rejects longer expressions (``ExpressionConstants.MaxLength`` in the runner).
MAX_LENGTH = 21_000
#: Deeper nesting of ``(`` and ``[`` is refused: GitHub's own limit is 50 levels.
MAX_DEPTH = 50


class ExpressionError(Exception):
    """GitHub would reject the expression; ``offset`` is relative to the parsed text."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True, slots=True)
class Literal:
    """``null``, ``true``/``false``, a number (int or float) or a string (unescaped)."""

    value: None | bool | int | float | str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Property:
    """Path segment ``.name``; the span covers the dot, the name ends at ``end``."""

    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Index:
    """Path segment ``[expr]``; the span covers the brackets."""

    index: Expr
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Star:
    """Path segment ``.*`` or ``[*]``: the object filter, every element at once."""

    start: int
    end: int


Segment = Union[Property, Index, Star]


@dataclass(frozen=True, slots=True)
class Context:
    """A named value and what is read from it: ``github.event['issue'].title``."""

    name: str
    segments: tuple[Segment, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Access:
    """Segments read from a computed value: ``fromJSON(x).include``, ``(a || b).c``."""

    target: Expr
    segments: tuple[Segment, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Call:
    """A function call; ``name`` as written (function names are case-insensitive)."""

    name: str
    args: tuple[Expr, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Unary:
    """``!operand``."""

    op: str
    operand: Expr
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Binary:
    """``left op right``; chains are left-associative."""

    op: str
    left: Expr
    right: Expr
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Group:
    """``(expr)``: kept so that spans include the parentheses."""

    expr: Expr
    start: int
    end: int


Expr = Union[Literal, Context, Access, Call, Unary, Binary, Group]


def walk(expr: Expr) -> Iterator[Expr | Segment]:
    """Every node of ``expr`` (itself included), parents before children, in text order."""
    stack: list = [expr]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (Context, Access)):
            children = list(node.segments)
            if isinstance(node, Access):
                children.insert(0, node.target)
        elif isinstance(node, Call):
            children = list(node.args)
        elif isinstance(node, Binary):
            children = [node.left, node.right]
        elif isinstance(node, Unary):
            children = [node.operand]
        elif isinstance(node, (Group, Index)):
            children = [node.expr if isinstance(node, Group) else node.index]
        else:
            continue
        stack.extend(reversed(children))


def context_paths(expr: Expr) -> list[tuple[str, int, int]]:
    """Each context read as ``(dotted lower-case path, start, end)``, in text order.

    ``github.event['Pull_Request'].title`` gives ``github.event.pull_request.title``;
    star filters, numeric and computed indexes become ``*`` so rules can match paths
    without caring how they were spelled.
    """
    paths = []
    for node in walk(expr):
        if isinstance(node, Context):
            parts = [node.name.lower()]
            for seg in node.segments:
                if isinstance(seg, Property):
                    parts.append(seg.name.lower())
                elif isinstance(seg, Index) and isinstance(seg.index, Literal) and isinstance(seg.index.value, str):
                    parts.append(seg.index.value.lower())
                else:
                    parts.append("*")
            paths.append((".".join(parts), node.start, node.end))
    return paths


# --------------------------------------------------------------------------- finding


@dataclass(frozen=True, slots=True)
class Embedded:
    """One ``${{ ... }}`` in a text; ``end`` is None when the closing ``}}`` is missing."""

    start: int
    end: int | None
    inner: str
    inner_start: int


_CLOSE_OR_QUOTE = re.compile(r"'|}}")


def find_expressions(text: str) -> list[Embedded]:
    """Every ``${{ }}`` in ``text``, in order.

    Like GitHub, a ``}}`` inside a single-quoted string does not close the expression.
    An unclosed ``${{`` is returned last, with ``end=None`` and the rest of the text as
    ``inner``.
    """
    found = []
    pos = text.find("${{")
    while pos != -1:
        inner_start = pos + 3
        in_string = False
        close = -1
        for m in _CLOSE_OR_QUOTE.finditer(text, inner_start):
            if m.group() == "'":
                in_string = not in_string  # '' (an escaped quote) toggles twice
            elif not in_string:
                close = m.start()
                break
        if close == -1:
            found.append(Embedded(pos, None, text[inner_start:], inner_start))
            break
        found.append(Embedded(pos, close + 2, text[inner_start:close], inner_start))
        pos = text.find("${{", close + 2)
    return found


# --------------------------------------------------------------------------- functions

#: Lower-case name -> (name as documented, min args, max args or None for no limit).
_FUNCTIONS = {
    "contains": ("contains", 2, 2),
    "startswith": ("startsWith", 2, 2),
    "endswith": ("endsWith", 2, 2),
    "format": ("format", 1, None),
    "join": ("join", 1, 2),
    "tojson": ("toJSON", 1, 1),
    "fromjson": ("fromJSON", 1, 1),
    "hashfiles": ("hashFiles", 1, None),
    "case": ("case", 3, None),  # case(pred1, val1, ..., default): an odd count
    "success": ("success", 0, 0),
    "always": ("always", 0, 0),
    "cancelled": ("cancelled", 0, 0),
    "failure": ("failure", 0, 0),
}


def _plural(n: int) -> str:
    return f"{n} argument" if n == 1 else f"{n} arguments"


def _check_call(name: str, nargs: int, offset: int) -> None:
    known = _FUNCTIONS.get(name.lower())
    if known is None:
        import difflib

        close = difflib.get_close_matches(name.lower(), _FUNCTIONS, n=1, cutoff=0.75)
        hint = f" (did you mean '{_FUNCTIONS[close[0]][0]}'?)" if close else ""
        raise ExpressionError(f"unknown function '{name}'{hint}", offset)
    canonical, low, high = known
    if low == high and nargs != low:
        wanted = "no arguments" if low == 0 else f"exactly {_plural(low)}"
    elif nargs < low:
        wanted = f"at least {_plural(low)}"
    elif high is not None and nargs > high:
        wanted = f"{low} or {high} arguments" if high == low + 1 else f"{low} to {high} arguments"
    elif canonical == "case" and nargs % 2 == 0:
        wanted = "an odd number of arguments (condition/value pairs and a default)"
    else:
        return
    raise ExpressionError(f"{canonical}() takes {wanted}, got {nargs}", offset)


# --------------------------------------------------------------------------- grammar


class _Tok:
    """A matched operator or punctuation token and where it starts."""

    __slots__ = ("text", "start")

    def __init__(self, text: str, start: int):
        self.text = text
        self.start = start

    @property
    def end(self) -> int:
        return self.start + len(self.text)


_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


def _literal_value(text: str):
    first = text[0]
    if first == "'":
        return text[1:-1].replace("''", "'")
    if text == "true":
        return True
    if text == "false":
        return False
    if text == "null":
        return None
    if text.startswith("0x"):
        return int(text, 16)
    if text.startswith("0o"):
        return int(text, 8)
    if text.lstrip("+-") in ("Infinity", "NaN"):
        return float(text.replace("Infinity", "inf"))
    if _NUMBER.match(text) and not any(c in text for c in ".eE"):
        return int(text)
    return float(text)


def _on_literal(s, loc, toks):
    text = toks[0]
    return Literal(_literal_value(text), loc, loc + len(text))


def _on_reference(s, loc, toks):
    # IDENT alone, or IDENT '(' args... ')'
    ident = toks[0]
    if len(toks) == 1:
        return Context(ident.text, (), ident.start, ident.end)
    args = tuple(toks[2:-1])
    _check_call(ident.text, len(args), ident.start)
    return Call(ident.text, args, ident.start, toks[-1].end)


def _on_group(s, loc, toks):
    return Group(toks[1], toks[0].start, toks[2].end)


def _on_dot(s, loc, toks):
    dot, what = toks[0], toks[1]
    if what.text == "*":
        return Star(dot.start, what.end)
    return Property(what.text, dot.start, what.end)


def _on_bracket(s, loc, toks):
    open_, inside, close = toks[0], toks[1], toks[2]
    if isinstance(inside, _Tok):  # '*'
        return Star(open_.start, close.end)
    return Index(inside, open_.start, close.end)


def _on_postfix(s, loc, toks):
    base = toks[0]
    if len(toks) == 1:
        return base
    segments = tuple(toks[1:])
    if isinstance(base, Context):
        return Context(base.name, segments, base.start, segments[-1].end)
    return Access(base, segments, base.start, segments[-1].end)


def _on_unary(s, loc, toks):
    op, operand = toks[0], toks[1]
    return Unary(op.text, operand, op.start, operand.end)


def _on_binary(s, loc, toks):
    node = toks[0]
    for i in range(1, len(toks), 2):
        right = toks[i + 1]
        node = Binary(toks[i].text, node, right, node.start, right.end)
    return node


#: Characters that end a word in GitHub's lexer (besides whitespace).
_BOUNDARY = r"()\[\],.!<>=&|"
_WHITESPACE = " \t\r\n\f\v\u00a0\u2028\u2029\ufeff"

_grammar = None


def _grammar_element():
    """The pyparsing grammar, built on first use (importing pyparsing costs ~70 ms)."""
    global _grammar
    if _grammar is not None:
        return _grammar
    import pyparsing as pp

    def token(pattern: str, name: str, action=None):
        element = pp.Regex(pattern).set_name(name).set_whitespace_chars(_WHITESPACE)
        return element.set_parse_action(action or (lambda s, loc, toks: _Tok(toks[0], loc)))

    literal = token(
        r"'(?:[^']|'')*'"
        r"|(?:true|false|null)(?![A-Za-z0-9_-])"
        r"|(?:0x[0-9a-fA-F]+|0o[0-7]+|[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|Infinity)|NaN)"
        rf"(?=[\s{_BOUNDARY.replace('.', '')}]|$)",
        "literal",
        _on_literal,
    )
    ident = token(r"[A-Za-z_][A-Za-z0-9_-]*", "name")
    lpar, rpar = token(r"\(", "'('"), token(r"\)", "')'")
    lbrack, rbrack = token(r"\[", "'['"), token(r"\]", "']'")
    dot, star = token(r"\.", "'.'"), token(r"\*", "'*'")
    comma = pp.Suppress(token(",", "','"))
    bang = token(r"!(?!=)", "'!'")
    cmp_op = token(r"<=|>=|<|>", "comparison")
    eq_op = token(r"==|!=", "equality")
    and_op = token(r"&&", "'&&'")
    or_op = token(r"\|\|", "'||'")

    expr = pp.Forward()
    args = pp.Optional(expr + pp.ZeroOrMore(comma - expr))
    reference = (ident + pp.Optional(lpar - args - rpar)).set_parse_action(_on_reference)
    group = (lpar - expr - rpar).set_parse_action(_on_group)
    segment = (dot - (ident | star)).set_parse_action(_on_dot) | (lbrack - (star | expr) - rbrack).set_parse_action(
        _on_bracket
    )
    postfix = ((reference | group) + pp.ZeroOrMore(segment)).set_parse_action(_on_postfix)
    unary = pp.Forward()
    unary <<= (bang - unary).set_parse_action(_on_unary) | literal | postfix
    level = unary
    for op in (cmp_op, eq_op, and_op, or_op):
        level = (level + pp.ZeroOrMore(op - level)).set_parse_action(_on_binary)
    expr <<= level
    _grammar = expr + pp.StringEnd().set_whitespace_chars(_WHITESPACE)
    _grammar.streamline()
    return _grammar


# --------------------------------------------------------------------------- parsing


def parse(inner: str) -> Expr:
    """The AST of ``inner`` (the text between ``${{`` and ``}}``, or a bare ``if:``).

    Offsets in the result and in :class:`ExpressionError` are relative to ``inner``.
    Unknown context names are accepted (the valid set depends on where the expression
    is); unknown functions and wrong argument counts are errors.
    """
    return _parse_cached(inner)


@functools.lru_cache(maxsize=4096)
def _parse_cached(inner: str) -> Expr:
    # Workflows repeat the same expressions; the AST is immutable, so sharing is safe.
    return _parse(inner)


def _parse(inner: str) -> Expr:
    if not inner.strip(_WHITESPACE):
        raise ExpressionError("empty expression", 0)
    if len(inner) > MAX_LENGTH:
        raise ExpressionError(f"expression is longer than {MAX_LENGTH:,} characters", 0)
    depth_error = _scan_depth(inner)
    if depth_error is not None:
        raise depth_error
    grammar = _grammar_element()
    import pyparsing as pp

    try:
        return grammar.parse_string(inner)[0]
    except pp.ParseBaseException as exc:
        raise _explain(inner, exc.loc) from None


# --------------------------------------------------------------------------- errors

_SCAN = re.compile(r"'(?:[^']|'')*('?)|[\"()\[\]]")
_OPERATORS = ("&&", "||", "==", "!=", "<=", ">=", "<", ">", "!")
_TOKEN = re.compile(
    r"'(?:[^']|'')*'?|==|!=|<=|>=|&&|\|\||[()\[\],.!<>=&|*\"]|[^\s()\[\],.!<>=&|*'\"]+",
)


def _scan_depth(inner: str) -> ExpressionError | None:
    depth = 0
    for m in _SCAN.finditer(inner):
        c = m.group()[0]
        if c in "([":
            depth += 1
            if depth > MAX_DEPTH:
                return ExpressionError(f"expression nested deeper than {MAX_DEPTH} levels", m.start())
        elif c in ")]":
            depth -= 1
    return None


def _structure_error(inner: str) -> ExpressionError | None:
    """The first quoting or bracketing mistake, which explains a failure best."""
    stack: list[tuple[str, int]] = []
    for m in _SCAN.finditer(inner):
        text, at = m.group(), m.start()
        c = text[0]
        if c == "'":
            if not m.group(1):
                return ExpressionError("unterminated string (strings are 'single-quoted')", at)
        elif c == '"':
            return ExpressionError("strings must use single quotes, not double quotes", at)
        elif c in "([":
            stack.append((c, at))
        else:
            want = "(" if c == ")" else "["
            if not stack or stack[-1][0] != want:
                if stack:
                    return _unbalanced(*stack[-1])
                return _unbalanced(c, at)
            stack.pop()
    if stack:
        return _unbalanced(*stack[-1])
    return None


def _unbalanced(c: str, at: int) -> ExpressionError:
    what = "parenthesis" if c in "()" else "bracket"
    return ExpressionError(f"unbalanced {what}", at)


def _explain(inner: str, loc: int) -> ExpressionError:
    """A readable message for a pyparsing failure at ``loc``."""
    while loc < len(inner) and inner[loc] in _WHITESPACE:
        loc += 1
    structure = _structure_error(inner)
    if structure is not None and structure.offset <= loc:
        return structure
    tokens = [m.group() for m in _TOKEN.finditer(inner, 0, loc)]
    prev = tokens[-1] if tokens else None
    m = _TOKEN.match(inner, loc)
    here = m.group() if m else None
    if here is None and structure is not None:
        return structure
    if prev in _OPERATORS:
        return ExpressionError(f"expected an operand after '{prev}'", loc)
    if prev == ",":
        return ExpressionError("expected an argument after ','", loc)
    if prev == ".":
        return ExpressionError("expected a property name or '*' after '.'", loc)
    if prev == "[" and here == "]":
        return ExpressionError("expected an index inside '[ ]'", loc)
    if prev == "(" and here == ")":
        return ExpressionError("empty parentheses", loc)
    if here is None:
        return ExpressionError("unexpected end of expression", loc)
    if here in _OPERATORS and here != "!" and (prev is None or prev in "([,"):
        return ExpressionError(f"expected an operand before '{here}'", loc)
    hint = {"=": " (use '==' to compare)", "&": " (use '&&')", "|": " (use '||')"}.get(here, "")
    if not hint and here[0] in "+-.0123456789":
        hint = " (not a valid number)"
    return ExpressionError(f"unexpected '{here}'{hint}", loc)
