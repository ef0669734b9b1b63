"""GitHub Actions ``${{ }}`` expressions: finding them in text and parsing them.

Rules need to know *what* an expression reads (``github.event.issue.title``,
``secrets.X``) and whether GitHub would reject it, without evaluating anything. The
syntax follows GitHub's documented expression language and its reference parsers
(``actions/runner`` and ``actions/languageservices``): literals, contexts with property,
index and ``*`` filter access, function calls and the operators
``! < <= > >= == != && ||`` from tightest to loosest.

:func:`find_expressions` is plain string scanning. :func:`parse` reads the common
shapes (operator chains over paths, literals and simple calls) with regexes and hands
anything else, and every error, to a pyparsing grammar; pyparsing (~70 ms to import) is
only loaded when first needed, and the grammar is built once.
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass
from typing import Iterator, Union

from . import ExpressionError  # noqa: F401  (re-exported: callers catch it from here)

# --------------------------------------------------------------------------- AST

#: GitHub rejects longer expressions (``ExpressionConstants.MaxLength`` in the runner).
MAX_LENGTH = 21_000
#: Deeper nesting of ``(`` and ``[`` is refused: GitHub's own limit is 50 levels.
MAX_DEPTH = 50



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
    elif high is not None and not low <= nargs <= high:
        wanted = f"{low} or {high} arguments" if high == low + 1 else f"{low} to {high} arguments"
    elif nargs < low:
        wanted = f"at least {_plural(low)}"
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


#: What GitHub's lexer skips between tokens: Unicode whitespace (``str.isspace``; .NET's
#: ``Char.IsWhiteSpace`` only differs on \x1c-\x1f). A no-break space pasted after ``${{``
#: is common in copied samples and GitHub accepts it.
_WHITESPACE = (
    "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_WS = r"\s*"  # the same set: what str.isspace() accepts
_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
_LITERAL = (
    r"'(?:[^']|'')*'"
    r"|(?:true|false|null)(?![A-Za-z0-9_-])"
    r"|(?:0x[0-9a-fA-F]+|0o[0-7]+|[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|Infinity)|NaN)"
    r"(?=[\s()\[\],!<>=&|]|$)"  # a number runs up to one of these in GitHub's lexer
)
_DOTTED = rf"(?:{_WS}\.{_WS}(?:{_NAME}|\*))"
#: A context or function name: a keyword there is a literal, never a name (``true.x``
#: is an error, ``a.true`` is fine).
_HEAD = rf"(?!(?:true|false|null|Infinity|NaN)(?![A-Za-z0-9_-])){_NAME}"
#: A literal, or a name with its ``.name``/``.*`` segments. One regex match per operand
#: is far cheaper than a pyparsing element per segment.
_ATOM = rf"{_LITERAL}|{_HEAD}{_DOTTED}*"
#: An atom that is a whole operand (not followed by ``(``, ``[`` or more ``.name``).
#: The lookaheads also keep regex backtracking from settling on a shorter atom.
_PLAIN = rf"(?:{_ATOM})(?![A-Za-z0-9_-])(?!{_WS}[.(\[])"
#: An operand of a "flat" expression, read by :func:`_parse_flat` without pyparsing:
#: ``!``s, then a plain atom or a call whose arguments are plain atoms.
_FLAT_OPERAND = re.compile(
    rf"{_WS}(?P<bangs>(?:!(?!=){_WS})*)(?P<atom>{_ATOM})"
    rf"(?:{_WS}(?P<args>\({_WS}(?:{_PLAIN}(?:{_WS},{_WS}{_PLAIN})*)?{_WS}\))(?P<after>{_DOTTED}*))?"
    rf"(?![A-Za-z0-9_-])(?!{_WS}[.(\[])"
)
_FLAT_ARGUMENT = re.compile(rf"[{re.escape(_WHITESPACE)},]*({_PLAIN})")
_FLAT_OPERATOR = re.compile(rf"{_WS}(&&|\|\||==|!=|<=|>=|<|>)")
_DOT_SEGMENT = re.compile(rf"\.{_WS}({_NAME}|\*)")
_INTEGER = re.compile(r"[+-]?[0-9]+$")
#: How a literal atom starts (names start with a letter or '_'), besides the keywords.
_LITERAL_START = frozenset("'+-.0123456789")
_KEYWORDS = frozenset(("true", "false", "null", "Infinity", "NaN"))
_PRECEDENCE = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4}


def _literal_value(text: str):
    if text[0] == "'":
        return text[1:-1].replace("''", "'")
    if text == "true" or text == "false":
        return text == "true"
    if text == "null":
        return None
    if text.startswith(("0x", "0o")):
        return int(text, 0)
    if text.lstrip("+-") in ("Infinity", "NaN"):
        return float(text.replace("Infinity", "inf"))
    return int(text) if _INTEGER.match(text) else float(text)


def _dot_segments(text: str, offset: int) -> list[Segment]:
    segments: list[Segment] = []
    for m in _DOT_SEGMENT.finditer(text):
        name, start, end = m.group(1), offset + m.start(), offset + m.end()
        segments.append(Star(start, end) if name == "*" else Property(name, start, end))
    return segments


def _atom(text: str, loc: int) -> Literal | Context:
    end = loc + len(text)
    if text[0] in _LITERAL_START or text in _KEYWORDS:
        return Literal(_literal_value(text), loc, end)
    dot = text.find(".")
    if dot == -1:
        return Context(text, (), loc, end)
    segments = _dot_segments(text[dot:], loc + dot)
    return Context(text[:dot].rstrip(_WHITESPACE), tuple(segments), loc, end)


def _on_atom(s, loc, toks):
    return _atom(toks[0], loc)


class _Args:
    """Call parentheses after a name, until the postfix action turns them into a Call."""

    __slots__ = ("args", "start", "end")

    def __init__(self, args: tuple, start: int, end: int):
        self.args = args
        self.start = start
        self.end = end


def _on_closer(s, loc, toks):
    # ')' or ']' and the '.name' segments right after it
    text = toks[0]
    return [_Tok(text[0], loc), *_dot_segments(text[1:], loc + 1)]


def _on_suffix(s, loc, toks):
    # '(' or '[', items separated by ',' tokens, ')' or ']', then maybe '.name' segments
    opener, closer = toks[0], None
    items: list = []
    i = 1
    while True:
        item = toks[i]
        if isinstance(item, _Tok) and item.text in ")]":
            closer = item
            break
        items.append(item)
        i += 1
    dotted = list(toks[i + 1 :])
    if opener.text + closer.text not in ("()", "[]"):
        raise _unbalanced(opener.text, opener.start)
    star = next((x for x in items if isinstance(x, _Tok) and x.text == "*"), None)
    commas = [x for x in items if isinstance(x, _Tok) and x.text == ","]
    if opener.text == "(":
        if star is not None:
            raise ExpressionError("unexpected '*'", star.start)
        return [_Args(tuple(items[::2]), opener.start, closer.end), *dotted]
    if not items:
        raise ExpressionError("expected an index inside '[ ]'", closer.start)
    if commas:
        raise ExpressionError("expected ']' (an index is a single expression)", commas[0].start)
    if star is not None:
        return [Star(opener.start, closer.end), *dotted]
    return [Index(items[0], opener.start, closer.end), *dotted]


def _on_group(s, loc, toks):
    return [Group(toks[1], toks[0].start, toks[2].end), *toks[3:]]


def _on_postfix(s, loc, toks):
    base = toks[0]
    if len(toks) == 1:
        return base
    rest = list(toks[1:])
    if isinstance(rest[0], _Args):
        if not isinstance(base, Context) or base.segments:
            raise ExpressionError("unexpected '(': only functions can be called", rest[0].start)
        args = rest.pop(0)
        _check_call(base.name, len(args.args), base.start)
        base = Call(base.name, args.args, base.start, args.end)
        if not rest:
            return base
    bad = next((x for x in rest if isinstance(x, _Args)), None)
    if bad is not None:
        raise ExpressionError("unexpected '(': only functions can be called", bad.start)
    if isinstance(base, Literal):
        raise ExpressionError(f"unexpected '{s[rest[0].start]}' after a literal", rest[0].start)
    segments = tuple(rest)
    if isinstance(base, Context):
        return Context(base.name, base.segments + segments, base.start, segments[-1].end)
    return Access(base, segments, base.start, segments[-1].end)


def _on_negated(s, loc, toks):
    bangs, node = toks[0], toks[1]
    for i in range(len(bangs.text) - 1, -1, -1):
        if bangs.text[i] == "!":
            node = Unary("!", node, bangs.start + i, node.end)
    return node


def _on_binary(s, loc, toks):
    # operand (op operand)*: precedence climbing over the flat list, left-associative
    if len(toks) == 1:
        return toks[0]
    operands = [toks[0]]
    ops: list[_Tok] = []

    def reduce() -> None:
        right, left = operands.pop(), operands.pop()
        operands.append(Binary(ops.pop().text, left, right, left.start, right.end))

    for i in range(1, len(toks), 2):
        op = toks[i]
        precedence = _PRECEDENCE[op.text]
        while ops and _PRECEDENCE[ops[-1].text] >= precedence:
            reduce()
        ops.append(op)
        operands.append(toks[i + 1])
    while ops:
        reduce()
    return operands[0]


_grammar = None


def _grammar_element():
    """The pyparsing grammar, built on first use (importing pyparsing costs ~70 ms).

    It is deliberately flat, because each pyparsing element tried costs microseconds:
    operators are one token and precedence is resolved in :func:`_on_binary`; call
    arguments and indexes share one suffix rule checked in :func:`_on_suffix`.
    """
    global _grammar
    if _grammar is not None:
        return _grammar
    import pyparsing as pp

    def token(pattern: str, name: str, action=None):
        element = pp.Regex(pattern).set_name(name).set_whitespace_chars(_WHITESPACE)
        return element.set_parse_action(action or (lambda s, loc, toks: _Tok(toks[0], loc)))

    atom = token(_ATOM, "operand", _on_atom)
    # The common case, an atom not followed by '(' or '[', in a single element.
    plain = token(_PLAIN, "operand", _on_atom)
    # Closing tokens take the '.name' segments after them: one element instead of three.
    lpar, rpar = token(r"\(", "'('"), token(rf"\){_DOTTED}*", "')'", _on_closer)
    opener, closer = token(r"[(\[]", "'(' or '['"), token(rf"[)\]]{_DOTTED}*", "')' or ']'", _on_closer)
    comma, star = token(",", "','"), token(r"\*", "'*'")
    bangs = token(rf"!(?!=)(?:{_WS}!(?!=))*", "'!'")
    binop = token(r"&&|\|\||==|!=|<=|>=|<|>", "operator")

    expr, negated = pp.Forward(), pp.Forward()
    items = pp.Optional(expr + pp.ZeroOrMore(comma - expr) | star)
    suffix = (opener - items - closer).set_parse_action(_on_suffix)
    group = (lpar - expr - rpar).set_parse_action(_on_group)
    postfix = ((atom | group) + pp.ZeroOrMore(suffix)).set_parse_action(_on_postfix)
    operand = plain | postfix | negated
    negated <<= (bangs - operand).set_parse_action(_on_negated)
    body = (operand + pp.ZeroOrMore(binop - operand)).set_parse_action(_on_binary)
    expr <<= body
    _grammar = body + pp.StringEnd().set_whitespace_chars(_WHITESPACE)
    _grammar.parse_with_tabs()  # pyparsing would expand tabs, shifting every offset
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
    _check_size(inner)
    flat = _parse_flat(inner)
    if flat is not None:
        return flat
    return _parse_grammar(inner)


def _check_size(inner: str) -> None:
    if not inner.strip(_WHITESPACE):
        raise ExpressionError("empty expression", 0)
    if len(inner) > MAX_LENGTH:
        raise ExpressionError(f"expression is longer than {MAX_LENGTH:,} characters", 0)


def _parse_grammar(inner: str) -> Expr:
    """:func:`parse` by the pyparsing grammar alone (the tests compare it with the fast path)."""
    _check_size(inner)
    grammar = _grammar_element()
    import pyparsing as pp

    depth = 0
    if inner.count("(") + inner.count("[") > _SHALLOW:
        depth, too_deep = _nesting(inner)
        if too_deep is not None:
            raise ExpressionError(f"expression nested deeper than {MAX_DEPTH} levels", too_deep)
    limit = sys.getrecursionlimit()
    try:
        if depth > _SHALLOW:
            # Each nesting level costs pyparsing ~20 Python frames.
            sys.setrecursionlimit(limit + 40 * depth)
        return grammar.parse_string(inner)[0]
    except pp.ParseBaseException as exc:
        raise _explain(inner, exc.loc) from None
    except RecursionError:
        raise ExpressionError("expression nested too deeply", 0) from None
    finally:
        if depth > _SHALLOW:
            sys.setrecursionlimit(limit)


def _parse_flat(inner: str) -> Expr | None:
    """The AST of an operator chain over simple operands, else None.

    Operands are literals, context paths and calls with such arguments, maybe negated:
    ``github.event_name == 'push' && !startsWith(github.ref, 'refs/tags/')``. That is
    ~98% of real expressions, and reading them with regexes is 10-50x faster than
    pyparsing (several microseconds per grammar element tried). It only ever accepts:
    anything else, errors included, is left to the grammar, and the tests check that
    both give the same result on every expression of the corpus.
    """
    toks: list = []
    pos, end = 0, len(inner)
    while True:
        m = _FLAT_OPERAND.match(inner, pos)
        if m is None:
            return None
        node: Expr = _atom(m.group("atom"), m.start("atom"))
        if m.group("args") is not None:
            node = _flat_call(inner, node, m)
            if node is None:
                return None
        bangs, bangs_start = m.group("bangs"), m.start("bangs")
        for i in range(len(bangs) - 1, -1, -1):
            if bangs[i] == "!":
                node = Unary("!", node, bangs_start + i, node.end)
        toks.append(node)
        pos = m.end()
        m = _FLAT_OPERATOR.match(inner, pos)
        if m is None:
            break
        toks.append(_Tok(m.group(1), m.start(1)))
        pos = m.end()
    if pos != end and inner[pos:].strip(_WHITESPACE):
        return None
    return _on_binary(inner, 0, toks)


def _flat_call(inner: str, name: Literal | Context, m: re.Match) -> Expr | None:
    """The Call (or Access on it) of a flat operand; None when the grammar must judge."""
    if not isinstance(name, Context) or name.segments:
        return None
    args = []
    pos, close = m.start("args") + 1, m.end("args") - 1
    while True:
        arg = _FLAT_ARGUMENT.match(inner, pos, close)
        if arg is None:
            break
        args.append(_atom(arg.group(1), arg.start(1)))
        pos = arg.end()
    try:
        _check_call(name.name, len(args), name.start)
    except ExpressionError:
        return None
    call = Call(name.name, tuple(args), name.start, close + 1)
    if not m.group("after"):
        return call
    segments = tuple(_dot_segments(m.group("after"), m.start("after")))
    return Access(call, segments, call.start, segments[-1].end)


# --------------------------------------------------------------------------- errors

_SCAN = re.compile(r"'(?:[^']|'')*('?)|[\"()\[\]]")
_OPERATORS = ("&&", "||", "==", "!=", "<=", ">=", "<", ">", "!")
_TOKEN = re.compile(r"'(?:[^']|'')*'?|==|!=|<=|>=|&&|\|\||[()\[\],.!<>=&|*\"]|[^\s()\[\],.!<>=&|*'\"]+|.", re.S)
#: A word that GitHub's lexer would read as a number (it starts like one) but is not.
_BAD_NUMBER = re.compile(r"[+-]?\.?[0-9][^\s()\[\],!<>=&|]*")
_VALID_NUMBER = re.compile(_LITERAL)
_HINTS = {
    "=": " (use '==' to compare)",
    "&": " (use '&&')",
    "|": " (use '||')",
    **dict.fromkeys(("+", "-", "*", "/", "%"), " (expressions have no arithmetic operators)"),
}


#: Nesting that the default recursion limit surely handles.
_SHALLOW = 15


def _nesting(inner: str) -> tuple[int, int | None]:
    """The deepest nesting of ``(`` and ``[`` outside strings, and where it passes MAX_DEPTH."""
    depth = deepest = 0
    for m in _SCAN.finditer(inner):
        c = m.group()[0]
        if c in "([":
            depth += 1
            if depth > MAX_DEPTH:
                return depth, m.start()
            deepest = max(deepest, depth)
        elif c in ")]":
            depth -= 1
    return deepest, None


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
    tokens = [m.group() for m in _TOKEN.finditer(inner, 0, loc) if not m.group().isspace()]
    prev = tokens[-1] if tokens else None
    m = _TOKEN.match(inner, loc)
    here = m.group() if m else None
    if here is None and structure is not None:
        return structure
    number = _BAD_NUMBER.match(inner, loc)
    if number is not None and not _VALID_NUMBER.fullmatch(number.group()):
        return ExpressionError(f"unexpected '{number.group()}' (not a valid number)", loc)
    if prev in _OPERATORS:
        return ExpressionError(f"expected an operand after '{prev}'", loc)
    if prev == ",":
        return ExpressionError("expected an argument after ','", loc)
    if prev == "[" and here == "]":
        return ExpressionError("expected an index inside '[ ]'", loc)
    if prev == "(" and here == ")":
        return ExpressionError("empty parentheses", loc)
    if here is None:
        return ExpressionError("unexpected end of expression", loc)
    if here in _OPERATORS and here != "!" and (prev is None or prev in "([,"):
        return ExpressionError(f"expected an operand before '{here}'", loc)
    if here == "." and prev is not None and (prev[0] == "'" or prev in _KEYWORDS or _VALID_NUMBER.fullmatch(prev)):
        return ExpressionError("unexpected '.' after a literal", loc)
    if here == ".":
        after = loc + 1
        while after < len(inner) and inner[after] in _WHITESPACE:
            after += 1
        return ExpressionError("expected a property name or '*' after '.'", after)
    hint = _HINTS.get(here, "")
    return ExpressionError(f"unexpected '{here}'{hint}", loc)
