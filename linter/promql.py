"""A PromQL parser for Argo Rollouts ``prometheus`` metrics (PL306; PL302 reads
:func:`result_type`).

:func:`parse` returns a :class:`Query` (a small AST, the query's value type and the Argo
placeholders it holds) or raises :class:`~pipelint.expressions.ExpressionError` with the
offset (in the query text) of the offending character. It follows the Prometheus parser
(``promql/parser``): the lexical grammar (numbers, hex, ``Inf``/``NaN``, durations
``1h30m``, the three string forms with Go escapes, ``# comments``), precedence and
associativity (``or`` < ``and``/``unless`` < comparisons < ``+ -`` < ``* / % atan2`` <
``^``, ``^`` right-associative, unary minus binding like ``*``), selectors (``=``, ``!=``,
``=~``, ``!~``, quoted UTF-8 names), ranges, subqueries, ``offset`` and ``@``,
aggregations with ``by``/``without`` before or after the arguments, ``bool`` and vector
matching, and the checks the Prometheus parser makes before running a query (function
arity and argument types, range vectors where required, operand types, ``bool`` only on
comparisons, set operators only between vectors, a selector matching something).
Experimental functions are known, so a real query is never reported.

Argo substitutes ``{{args.NAME}}`` (spaces allowed inside the braces) textually before
the query runs. A placeholder is accepted wherever a value of one piece (a label value,
a duration, a number, a metric or label name, a whole sub-expression, a matcher list)
can stand; its type is unknown. A placeholder where an operator or modifier would have to
come, or other template syntax (``{{ .Values.x }}``, ``${VAR}``, ``$(VAR)``, ``$var``),
makes the whole query unknown (``Query.unknown``): nothing is reported about it.

The lexer is one compiled regular expression (token patterns tried in order, offsets
exact); a hand-written precedence climber over its tokens builds the tree, so a query is
read once, in linear time. Nesting is bounded by :data:`MAX_DEPTH`.
"""

from __future__ import annotations

import difflib
import functools
import re
import warnings
from dataclasses import dataclass, field

from .expressions import ExpressionError

SCALAR, VECTOR, MATRIX, STRING, ANY = "scalar", "vector", "matrix", "string", None

_TYPE_NAMES = {SCALAR: "a scalar", VECTOR: "an instant vector", MATRIX: "a range vector", STRING: "a string"}

# name -> (argument types, variadic, return type); variadic as in Prometheus: 0 = exactly
# the listed arguments, n > 0 = the last one optional and repeatable up to n times,
# -1 = the last one optional and repeatable without limit.
_V, _M, _S, _T = VECTOR, MATRIX, SCALAR, STRING
FUNCTIONS: dict[str, tuple[tuple, int, str]] = {
    "abs": ((_V,), 0, _V),
    "absent": ((_V,), 0, _V),
    "absent_over_time": ((_M,), 0, _V),
    "acos": ((_V,), 0, _V),
    "acosh": ((_V,), 0, _V),
    "asin": ((_V,), 0, _V),
    "asinh": ((_V,), 0, _V),
    "atan": ((_V,), 0, _V),
    "atanh": ((_V,), 0, _V),
    "avg_over_time": ((_M,), 0, _V),
    "ceil": ((_V,), 0, _V),
    "changes": ((_M,), 0, _V),
    "clamp": ((_V, _S, _S), 0, _V),
    "clamp_max": ((_V, _S), 0, _V),
    "clamp_min": ((_V, _S), 0, _V),
    "cos": ((_V,), 0, _V),
    "cosh": ((_V,), 0, _V),
    "count_over_time": ((_M,), 0, _V),
    "days_in_month": ((_V,), 1, _V),
    "day_of_month": ((_V,), 1, _V),
    "day_of_week": ((_V,), 1, _V),
    "day_of_year": ((_V,), 1, _V),
    "deg": ((_V,), 0, _V),
    "delta": ((_M,), 0, _V),
    "deriv": ((_M,), 0, _V),
    "double_exponential_smoothing": ((_M, _S, _S), 0, _V),
    "end": ((), 0, _S),
    "exp": ((_V,), 0, _V),
    "first_over_time": ((_M,), 0, _V),
    "floor": ((_V,), 0, _V),
    "histogram_avg": ((_V,), 0, _V),
    "histogram_count": ((_V,), 0, _V),
    "histogram_fraction": ((_S, _S, _V), 0, _V),
    "histogram_quantile": ((_S, _V), 0, _V),
    "histogram_quantiles": ((_V, _T, _S, _S), 9, _V),
    "histogram_stddev": ((_V,), 0, _V),
    "histogram_stdvar": ((_V,), 0, _V),
    "histogram_sum": ((_V,), 0, _V),
    # Renamed double_exponential_smoothing in Prometheus 3; older servers still run it.
    "holt_winters": ((_M, _S, _S), 0, _V),
    "hour": ((_V,), 1, _V),
    "idelta": ((_M,), 0, _V),
    "increase": ((_M,), 0, _V),
    "info": ((_V, _V), 1, _V),
    "integral": ((_M, _S), 1, _V),
    "irate": ((_M,), 0, _V),
    "label_join": ((_V, _T, _T, _T), -1, _V),
    "label_replace": ((_V, _T, _T, _T, _T), 0, _V),
    "last_over_time": ((_M,), 0, _V),
    "ln": ((_V,), 0, _V),
    "log10": ((_V,), 0, _V),
    "log2": ((_V,), 0, _V),
    "mad_over_time": ((_M,), 0, _V),
    "max_over_time": ((_M,), 0, _V),
    "min_over_time": ((_M,), 0, _V),
    "minute": ((_V,), 1, _V),
    "month": ((_V,), 1, _V),
    "pi": ((), 0, _S),
    "predict_linear": ((_M, _S), 0, _V),
    "present_over_time": ((_M,), 0, _V),
    "quantile_over_time": ((_S, _M), 0, _V),
    "rad": ((_V,), 0, _V),
    "range": ((), 0, _S),
    "rate": ((_M,), 0, _V),
    "resets": ((_M,), 0, _V),
    "round": ((_V, _S), 1, _V),
    "scalar": ((_V,), 0, _S),
    "sgn": ((_V,), 0, _V),
    "sin": ((_V,), 0, _V),
    "sinh": ((_V,), 0, _V),
    "sort": ((_V,), 0, _V),
    "sort_by_label": ((_V, _T), -1, _V),
    "sort_by_label_desc": ((_V, _T), -1, _V),
    "sort_desc": ((_V,), 0, _V),
    "sqrt": ((_V,), 0, _V),
    "start": ((), 0, _S),
    "stddev_over_time": ((_M,), 0, _V),
    "stdvar_over_time": ((_M,), 0, _V),
    "step": ((), 0, _S),
    "sum_over_time": ((_M,), 0, _V),
    "tan": ((_V,), 0, _V),
    "tanh": ((_V,), 0, _V),
    "time": ((), 0, _S),
    "timestamp": ((_V,), 0, _V),
    "ts_of_first_over_time": ((_M,), 0, _V),
    "ts_of_last_over_time": ((_M,), 0, _V),
    "ts_of_max_over_time": ((_M,), 0, _V),
    "ts_of_min_over_time": ((_M,), 0, _V),
    "vector": ((_S,), 0, _V),
    "year": ((_V,), 1, _V),
}

#: Aggregation operators -> type of their first parameter (None: no parameter).
AGGREGATIONS = {
    "sum": None,
    "avg": None,
    "min": None,
    "max": None,
    "count": None,
    "stddev": None,
    "stdvar": None,
    "group": None,
    "topk": SCALAR,
    "bottomk": SCALAR,
    "quantile": SCALAR,
    "limitk": SCALAR,
    "limit_ratio": SCALAR,
    "count_values": STRING,
}

_PREC = {
    "or": 1,
    "and": 2,
    "unless": 2,
    "==": 3,
    "!=": 3,
    "<=": 3,
    "<": 3,
    ">=": 3,
    ">": 3,
    "+": 4,
    "-": 4,
    "*": 5,
    "/": 5,
    "%": 5,
    "atan2": 5,
    "^": 6,
}
_COMPARISONS = frozenset({"==", "!=", "<=", "<", ">=", ">"})
_SET_OPS = frozenset({"and", "or", "unless"})
_WORD_OPS = frozenset({"and", "or", "unless", "atan2"})
_MATCH_OPS = frozenset({"=", "!=", "=~", "!~"})

#: ``{{ ... }}`` as Argo's template engine (fasttemplate) finds it: the first ``}}`` after
#: a ``{{`` closes it.
PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.S)
_ARG = re.compile(r"args\.(.+)", re.S)
_DURATION = re.compile(r"(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?")
_DURATION_SHAPE = re.compile(r"(?:\d+(?:ms|[smhdwy]))+")
_NUMBER = re.compile(r"0[xX][0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ESCAPE = re.compile(r"\\(?:[abfnrtv\\'\"]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3})")


def arg_placeholders(text: str):
    """``(start, end, name)`` of every ``{{args.NAME}}`` in ``text`` (spaces allowed
    inside the braces, as the controller trims them)."""
    for start, end, inner in _placeholders(text):
        arg = _ARG.fullmatch(inner.strip())
        if arg:
            yield start, end, arg.group(1)


def _placeholders(text: str):
    """``(start, end, inner text)`` of every match of :data:`PLACEHOLDER`, found with
    ``str.find``: the regex rescans the rest of the text for every ``{{`` never closed
    (quadratic time on hostile text); once one ``{{`` has no ``}}`` after it, none has."""
    pos = text.find("{{")
    while pos != -1:
        close = text.find("}}", pos + 2)
        if close == -1:
            return
        yield pos, close + 2, text[pos + 2 : close]
        pos = text.find("{{", close + 2)


# ------------------------------------------------------------------------ the AST
@dataclass(eq=False)
class Node:
    kind: str  # number, string, selector, matrix, subquery, call, aggregation, binary, unary, paren, hole
    type: str | None
    start: int
    end: int
    value: object = None  # operator, function name, metric name...
    args: list = field(default_factory=list)
    offset: bool = False
    at: bool = False


@dataclass(eq=False)
class Query:
    text: str
    root: Node | None
    #: Other template syntax or a placeholder where an operator must be: nothing is known.
    unknown: bool = False
    #: ``(start, end, inner text)`` of every ``{{ }}`` in the query.
    placeholders: list = field(default_factory=list)

    @property
    def type(self) -> str | None:
        if self.unknown or self.root is None:
            return None
        return self.root.type


#: Deepest nesting of sub-expressions accepted (Prometheus has no limit; no hand-written
#: query comes near it, and each level costs a few Python frames).
MAX_DEPTH = 200


class _Unknown(Exception):
    pass


# ---------------------------------------------------------------------- the lexer
@dataclass(eq=False)
class _Tok:
    kind: str  # ident, number, duration, string, op, hole, comment, bad-number, bad-string, foreign, open-hole
    text: str
    start: int
    end: int


#: The token patterns, tried in this order at each position (the first that matches
#: wins, as in the Prometheus lexer's switch); whitespace between tokens is skipped.
_TOKEN_PATTERNS = (
    ("comment", r"#[^\n]*"),
    # ("hole", "{{ ... }}" up to the first "}}") and ("open-hole", "{{" never closed) are
    # read by _tokens itself: a regex would rescan the rest for every unclosed "{{"
    ("foreign", r"\$\{[^}\n]*\}?|\$\([^)\n]*\)?|\$[A-Za-z_][A-Za-z0-9_]*"),
    ("string", r'"(?:[^"\\\n]|\\.)*"' + r"|'(?:[^'\\\n]|\\.)*'|`[^`]*`"),
    ("bad-string", r'"(?:[^"\\\n]|\\.)*' + r"|'(?:[^'\\\n]|\\.)*|`[^`]*"),
    ("number", r"(?:0[xX][0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)[A-Za-z0-9_.]*"),
    ("ident", r"[A-Za-z_][A-Za-z0-9_:]*"),
    ("op", r"==|!=|=~|!~|<=|>=|[<>=+\-*/%^@(){}\[\],:]"),
)
#: One compiled alternation: a single regex pass over the query, linear in its length
#: (a pyparsing MatchFirst took ~100 us a token: seconds for a long hostile query).
_TOKEN = re.compile("|".join(f"(?P<{kind.replace('-', '_')}>{pattern})" for kind, pattern in _TOKEN_PATTERNS))
_SPACE = re.compile(r"[ \t\r\n]*")


def _tokens(text: str) -> list[_Tok]:
    out = []
    pos, n = 0, len(text)
    match, space = _TOKEN.match, _SPACE.match
    unclosed_from = n  # no "}}" after this offset
    while True:
        pos = space(text, pos).end()
        if pos >= n:
            break
        if text.startswith("{{", pos):
            close = text.find("}}", pos + 2) if unclosed_from > pos else -1
            if close == -1:
                unclosed_from = min(unclosed_from, pos)
                out.append(_Tok("open-hole", "{{", pos, pos + 2))
                pos += 2
            else:
                out.append(_Tok("hole", text[pos : close + 2], pos, close + 2))
                pos = close + 2
            continue
        m = match(text, pos)
        if m is None:
            raise ExpressionError(f"unexpected character '{text[pos]}'", pos)
        kind = m.lastgroup.replace("_", "-")
        end = m.end()
        pos = end
        if kind == "comment":
            continue
        t = _Tok(kind, m.group(), m.start(), end)
        if kind == "number":
            t = _classify_number(t)
        out.append(t)
    return _merge_holes(out)


def _classify_number(t: _Tok) -> _Tok:
    text = t.text
    if _NUMBER.fullmatch(text):
        return t
    if _DURATION_SHAPE.fullmatch(text):
        return _Tok("duration", text, t.start, t.end)
    if _NUMBER.fullmatch(text.replace("_", "")) and "_" in text and not text.startswith("_"):
        return t
    return _Tok("bad-number", text, t.start, t.end)


_WORDLIKE = frozenset({"ident", "number", "duration", "hole", "bad-number"})


def _merge_holes(tokens: list[_Tok]) -> list[_Tok]:
    """``http_{{args.x}}_total``, ``{{args.n}}m``: adjacent word pieces with a placeholder
    are one templated word."""
    out: list[_Tok] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.kind in _WORDLIKE:
            j = i
            while j + 1 < len(tokens) and tokens[j + 1].kind in _WORDLIKE and tokens[j + 1].start == tokens[j].end:
                j += 1
            if j > i and any(tokens[k].kind == "hole" for k in range(i, j + 1)):
                out.append(_Tok("hole", "".join(x.text for x in tokens[i : j + 1]), t.start, tokens[j].end))
                i = j + 1
                continue
        out.append(t)
        i += 1
    return out


# --------------------------------------------------------------------- the parser
def _describe(t: _Tok) -> str:
    if t.kind == "eof":
        return "end of query"
    if t.kind == "string":
        return "string " + (t.text if len(t.text) <= 20 else t.text[:17] + "...")
    if t.kind in ("number", "duration"):
        return f"number '{t.text}'"
    if t.kind == "ident":
        return f"'{t.text}'"
    return f"'{t.text}'"


class _Parser:
    def __init__(self, text: str, tokens: list[_Tok]):
        self.text = text
        self.toks = tokens
        self.i = 0
        self.depth = -1  # the query itself is level 0
        self.eof = _Tok("eof", "", len(text), len(text))

    # -- token helpers
    def peek(self, k: int = 0) -> _Tok:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else self.eof

    def next(self) -> _Tok:
        t = self.peek()
        self.i += 1
        return t

    def is_op(self, text: str, k: int = 0) -> bool:
        t = self.peek(k)
        return t.kind == "op" and t.text == text

    def is_word(self, word: str, k: int = 0) -> bool:
        t = self.peek(k)
        return t.kind == "ident" and t.text.lower() == word

    def where(self, offset: int) -> str:
        line = self.text.count("\n", 0, offset) + 1
        col = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        return f"line {line}, column {col}" if "\n" in self.text.strip() else f"column {col}"

    def fail(self, message: str, offset: int):
        raise ExpressionError(message, offset)

    def unexpected(self, t: _Tok, expected: str):
        if t.kind == "hole":
            raise _Unknown()
        if t.kind == "bad-string":
            self.fail("unterminated string: add the closing quote", t.start)
        if t.kind == "bad-number":
            self.fail(f"bad number or duration '{t.text}'", t.start)
        if t.kind == "open-hole":
            self.fail("'{{' is never closed with '}}': Argo cannot substitute it", t.start)
        self.fail(f"unexpected {_describe(t)}: expected {expected}", t.start)

    def close(self, opener: _Tok, closer: str, context: str = ""):
        t = self.peek()
        if t.kind == "op" and t.text == closer:
            self.i += 1
            return t
        if t.kind == "eof":
            self.fail(f"unclosed '{opener.text}' opened at {self.where(opener.start)}: add '{closer}'", opener.start)
        self.unexpected(t, f"'{closer}'{context}")

    # -- expressions
    def parse(self) -> Node:
        if self.peek().kind == "eof":
            self.fail("the query is empty", 0)
        node = self.expr(0)
        t = self.peek()
        if t.kind != "eof":
            self.trailing(t)
        return node

    def trailing(self, t: _Tok):
        if t.kind == "ident" and t.text.lower() in ("by", "without"):
            self.fail(f"'{t.text}' must follow an aggregation such as sum: sum {t.text.lower()} (label) (...)", t.start)
        if t.kind == "ident" and t.text.lower() == "bool":
            self.fail("'bool' must follow a comparison operator: a > bool b", t.start)
        if t.kind == "ident" and t.text.lower() in ("on", "ignoring", "group_left", "group_right"):
            self.fail(f"'{t.text}' must follow a binary operator: a / {t.text.lower()} (label) b", t.start)
        if t.kind == "op" and t.text in (")", "]", "}"):
            opener = {")": "(", "]": "[", "}": "{"}[t.text]
            self.fail(f"unexpected '{t.text}': no matching '{opener}'", t.start)
        if t.kind == "op" and t.text == "=":
            self.fail("unexpected '=': compare with '=='", t.start)
        self.unexpected(t, "an operator or the end of the query")

    def binop(self) -> str | None:
        t = self.peek()
        if t.kind == "op" and t.text in _PREC:
            return t.text
        if t.kind == "ident" and t.text.lower() in _WORD_OPS:
            return t.text.lower()
        return None

    def expr(self, min_prec: int) -> Node:
        # bounded, so that a hostile query cannot exhaust Python's stack (a few frames a level)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(f"the query nests deeper than {MAX_DEPTH} levels", self.peek().start)
        try:
            lhs = self.unary()
            while True:
                op = self.binop()
                if op is None:
                    t = self.peek()
                    if t.kind == "hole":
                        raise _Unknown()
                    return lhs
                prec = _PREC[op]
                if prec < min_prec:
                    return lhs
                op_tok = self.next()
                mods = self.bin_modifiers(op, op_tok)
                rhs = self.expr(prec if op == "^" else prec + 1)
                lhs = self.binary(op, op_tok, lhs, rhs, mods)
        finally:
            self.depth -= 1

    def unary(self) -> Node:
        t = self.peek()
        if t.kind == "op" and t.text in ("+", "-"):
            self.i += 1
            operand = self.expr(_PREC["^"])
            if operand.type in (MATRIX, STRING):
                self.fail(
                    f"unary '{t.text}' needs a scalar or an instant vector, got {_TYPE_NAMES[operand.type]}",
                    operand.start,
                )
            return Node("unary", operand.type, t.start, operand.end, t.text, [operand])
        return self.postfix(self.primary())

    def bin_modifiers(self, op: str, op_tok: _Tok) -> dict:
        mods: dict = {}
        if self.is_word("bool"):
            t = self.next()
            if op not in _COMPARISONS:
                self.fail(f"'bool' can only follow a comparison operator, not '{op}'", t.start)
            mods["bool"] = True
        if self.is_word("on") or self.is_word("ignoring"):
            t = self.next()
            mods["matching"] = t
            labels = self.grouping_labels(t)
            mods["on"] = labels if t.text.lower() == "on" else []
            if self.is_word("group_left") or self.is_word("group_right"):
                g = self.next()
                if op in _SET_OPS:
                    self.fail(f"'{g.text}' is not allowed with '{op}' (set operators match many-to-many)", g.start)
                labels = self.grouping_labels(g) if self.is_op("(") else []
                for name in labels:
                    if name in mods["on"]:
                        self.fail(f"label '{name}' must not be in both on() and {g.text.lower()}()", g.start)
        elif self.is_word("group_left") or self.is_word("group_right"):
            g = self.peek()
            self.fail(f"'{g.text}' must follow on(...) or ignoring(...)", g.start)
        return mods

    def binary(self, op, op_tok, lhs, rhs, mods) -> Node:
        for side in (lhs, rhs):
            if side.type in (MATRIX, STRING):
                hint = ": wrap it in a function such as rate() or avg_over_time()" if side.type == MATRIX else ""
                self.fail(
                    f"'{op}' needs scalar or instant-vector operands, got {_TYPE_NAMES[side.type]}{hint}", side.start
                )
        lt, rt = lhs.type, rhs.type
        if op in _SET_OPS and SCALAR in (lt, rt):
            self.fail(f"set operator '{op}' works only between instant vectors, not scalars", op_tok.start)
        if "matching" in mods and SCALAR in (lt, rt):
            m = mods["matching"]
            self.fail(f"'{m.text}' (vector matching) works only between instant vectors", m.start)
        if op in _COMPARISONS and lt == SCALAR and rt == SCALAR and not mods.get("bool"):
            self.fail(f"comparisons between scalars must use bool: a {op} bool b", op_tok.start)
        if lt is ANY or rt is ANY:
            rtype = ANY if not (lt == VECTOR or rt == VECTOR) else VECTOR
        elif lt == SCALAR and rt == SCALAR:
            rtype = SCALAR
        else:
            rtype = VECTOR
        return Node("binary", rtype, lhs.start, rhs.end, op, [lhs, rhs])

    def grouping_labels(self, keyword: _Tok) -> list:
        if not self.is_op("("):
            t = self.peek()
            if t.kind == "hole":
                self.i += 1
                return []
            self.unexpected(t, f"'(' and a label list after '{keyword.text}'")
        opener = self.next()
        labels = []
        while True:
            t = self.peek()
            if t.kind == "op" and t.text == ")":
                self.i += 1
                return labels
            if t.kind == "ident":
                if not _LABEL.fullmatch(t.text):
                    self.fail(f"'{t.text}' is not a valid label name", t.start)
                labels.append(t.text)
            elif t.kind == "string":
                labels.append(t.text[1:-1])
            elif t.kind == "hole":
                pass
            elif t.kind == "eof":
                self.close(opener, ")")
            else:
                self.unexpected(t, "a label name")
            self.i += 1
            t = self.peek()
            if t.kind == "op" and t.text == ",":
                self.i += 1
                continue
            if t.kind == "op" and t.text == ")":
                continue
            if t.kind == "eof":
                self.close(opener, ")")
            self.unexpected(t, "',' or ')' in the label list")

    # -- postfix: ranges, subqueries, offset, @
    def postfix(self, node: Node) -> Node:
        while True:
            t = self.peek()
            if t.kind == "op" and t.text == "[":
                node = self.bracket(node)
            elif t.kind == "ident" and t.text.lower() == "offset":
                self.i += 1
                self.modifier_target(node, t, "offset")
                if node.offset:
                    self.fail("offset may not be set twice", t.start)
                if self.is_op("-"):
                    self.i += 1
                end = self.duration_expr(t, "offset")
                node.offset = True
                node.end = end
            elif t.kind == "op" and t.text == "@":
                self.i += 1
                self.modifier_target(node, t, "@")
                if node.at:
                    self.fail("@ may not be set twice", t.start)
                v = self.peek()
                if v.kind == "op" and v.text in ("+", "-"):
                    self.i += 1
                    v = self.peek()
                if v.kind == "number" or v.kind == "hole":
                    self.i += 1
                    end = v.end
                elif v.kind == "ident" and v.text.lower() in ("start", "end") and self.is_op("(", 1):
                    self.i += 2
                    end = self.close(self.toks[self.i - 1], ")").end
                elif v.kind == "ident" and v.text.lower() in ("inf", "nan"):
                    self.i += 1
                    end = v.end
                else:
                    self.unexpected(v, "a timestamp, start() or end() after '@'")
                node.at = True
                node.end = end
            else:
                return node

    def modifier_target(self, node: Node, t: _Tok, what: str):
        if node.kind not in ("selector", "matrix", "subquery", "hole"):
            self.fail(f"{what} must follow a selector, a range selector or a subquery, not an expression", t.start)

    def bracket(self, node: Node) -> Node:
        opener = self.next()
        if self.is_op("]"):
            self.fail("expected a duration inside '[]', e.g. [5m]", self.peek().start)
        self.duration_expr(opener, "range")
        t = self.peek()
        if t.kind == "op" and t.text == "]":
            self.i += 1
            if node.kind not in ("selector", "hole"):
                self.fail(
                    "a range [..] can only follow a metric selector; use a subquery [range:step] for an expression",
                    opener.start,
                )
            if node.offset:
                self.fail("offset must come after the range: x[5m] offset 1h", opener.start)
            if node.at:
                self.fail("@ must come after the range: x[5m] @ 1700000000", opener.start)
            return Node("matrix", MATRIX, node.start, t.end, None, [node])
        if t.kind == "op" and t.text == ":":
            self.i += 1
            if not self.is_op("]"):
                self.duration_expr(opener, "subquery step")
            end = self.close(opener, "]", " to close the subquery").end
            if node.type not in (VECTOR, ANY):
                self.fail(f"a subquery needs an instant vector, got {_TYPE_NAMES[node.type]}", opener.start)
            return Node("subquery", MATRIX, node.start, end, None, [node])
        if t.kind == "eof":
            self.close(opener, "]")
        self.unexpected(t, "':' or ']' after the duration")

    def duration_expr(self, context: _Tok, what: str) -> int:
        """A duration, number or placeholder (or, as Prometheus 3 allows with a feature
        flag, arithmetic on them: ``[5m * 2]``, ``offset (1h + step())``)."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(f"the query nests deeper than {MAX_DEPTH} levels", self.peek().start)
        try:
            end = self.duration_term(context, what)
            while True:
                t = self.peek()
                if t.kind == "op" and t.text in ("+", "-", "*", "/", "%", "^"):
                    self.i += 1
                    end = self.duration_term(context, what)
                else:
                    return end
        finally:
            self.depth -= 1

    def duration_term(self, context: _Tok, what: str) -> int:
        t = self.peek()
        while t.kind == "op" and t.text in ("+", "-"):  # signs: a loop, not a recursion
            self.i += 1
            t = self.peek()
        if t.kind == "duration":
            self.i += 1
            self.check_duration(t)
            return t.end
        if t.kind in ("number", "hole"):
            self.i += 1
            return t.end
        if t.kind == "ident" and t.text in ("step", "range", "min", "max") and self.is_op("(", 1):
            self.i += 1
            opener = self.next()
            while not self.is_op(")"):
                if self.peek().kind == "eof":
                    self.close(opener, ")")
                self.duration_expr(context, what)
                if self.is_op(","):
                    self.i += 1
            return self.next().end
        if t.kind == "op" and t.text == "(":
            opener = self.next()
            self.duration_expr(context, what)
            return self.close(opener, ")").end
        if t.kind == "eof" and what in ("range", "subquery step"):
            self.close(context, "]")
        self.unexpected(t, f"a duration for the {what}, e.g. 5m")

    def check_duration(self, t: _Tok):
        m = _DURATION.fullmatch(t.text)
        if m is None:
            self.fail(f"invalid duration '{t.text}': units must go from largest to smallest, each once (1h30m)", t.start)

    # -- primaries
    def primary(self) -> Node:
        t = self.next()
        kind = t.kind
        if kind == "op":
            if t.text == "(":
                inner = self.expr(0)
                end = self.close(t, ")").end
                return Node("paren", inner.type, t.start, end, None, [inner])
            if t.text == "{":
                return self.matchers(t, None, t.start)
            self.i -= 1
            if t.text in (")", "]", "}"):
                self.unexpected(t, "an expression")
            self.unexpected(t, "an expression")
        if kind == "number":
            return Node("number", SCALAR, t.start, t.end, t.text)
        if kind == "duration":
            self.check_duration(t)
            return Node("number", SCALAR, t.start, t.end, t.text)
        if kind == "string":
            self.check_string(t)
            return Node("string", STRING, t.start, t.end, t.text)
        if kind == "hole":
            if self.is_op("{"):
                return self.matchers(self.next(), t.text, t.start)
            if self.is_op("("):
                opener = self.next()
                args, end = self.call_args(opener)
                return Node("hole", ANY, t.start, end, t.text, args)
            return Node("hole", ANY, t.start, t.end, t.text)
        if kind == "foreign":
            raise _Unknown()
        if kind == "ident":
            return self.word(t)
        self.i -= 1
        if kind == "eof":
            self.fail("the query ends where an expression is expected", t.start)
        self.unexpected(t, "an expression")

    def word(self, t: _Tok) -> Node:
        low = t.text.lower()
        if low in AGGREGATIONS and (self.is_op("(") or self.is_word("by") or self.is_word("without")):
            return self.aggregation(t, low)
        if self.is_op("("):
            if t.text in FUNCTIONS:
                return self.call(t)
            if low in ("by", "without"):
                self.fail(f"'{t.text}' must follow an aggregation such as sum: sum {low} (label) (...)", t.start)
            if low in ("on", "ignoring", "group_left", "group_right", "bool"):
                self.trailing(t)
            hint = ""
            close = difflib.get_close_matches(t.text, list(FUNCTIONS) + list(AGGREGATIONS), n=1, cutoff=0.7)
            if close:
                hint = f" (did you mean '{close[0]}'?)"
            elif t.text.lower() in FUNCTIONS:
                hint = f" (function names are case-sensitive: '{t.text.lower()}')"
            self.fail(f"unknown function '{t.text}'{hint}", t.start)
        if low in ("inf", "nan"):
            return Node("number", SCALAR, t.start, t.end, t.text)
        if low in ("by", "without", "bool", "on", "ignoring", "group_left", "group_right"):
            self.trailing(t)
        if self.is_op("{"):
            return self.matchers(self.next(), t.text, t.start)
        return Node("selector", VECTOR, t.start, t.end, t.text)

    def check_string(self, t: _Tok):
        if t.text[0] == "`":
            return
        body = t.text[1:-1]
        pos = body.find("\\")
        while pos != -1:
            m = _ESCAPE.match(body, pos)
            if m is None:
                esc = body[pos : pos + 2]
                hint = " (in a regex write '\\\\' for a backslash)" if esc[1:] in "dswDSW.()[]{}+*?|^$-" else ""
                self.fail(f"unknown escape sequence '{esc}' in a string{hint}", t.start + 1 + pos)
            pos = body.find("\\", m.end())

    def call_args(self, opener: _Tok) -> tuple[list, int]:
        args: list = []
        if self.is_op(")"):
            return args, self.next().end
        while True:
            if self.peek().kind == "eof":
                self.close(opener, ")")
            args.append(self.expr(0))
            t = self.peek()
            if t.kind == "op" and t.text == ",":
                self.i += 1
                if self.is_op(")"):
                    self.fail("trailing commas are not allowed in function arguments", t.start)
                continue
            if t.kind == "op" and t.text == ")":
                self.i += 1
                return args, t.end
            if t.kind == "eof":
                self.close(opener, ")")
            if t.kind == "hole":
                raise _Unknown()
            if t.kind == "ident" and t.text.lower() in ("by", "without", "bool", "on", "ignoring"):
                self.trailing(t)
            self.unexpected(t, "',' or ')'")

    def call(self, name: _Tok) -> Node:
        opener = self.next()
        args, end = self.call_args(opener)
        types, variadic, rtype = FUNCTIONS[name.text]
        n = len(args)
        fname = name.text
        if variadic == 0:
            if n != len(types):
                self.fail(f"{fname}() takes {_count(len(types))}, got {n}", name.start)
        else:
            least = len(types) - 1
            if n < least:
                self.fail(f"{fname}() takes at least {_count(least)}, got {n}", name.start)
            if variadic > 0 and n > least + variadic:
                self.fail(f"{fname}() takes at most {_count(least + variadic)}, got {n}", name.start)
        for index, arg in enumerate(args):
            want = types[min(index, len(types) - 1)]
            self.expect(arg, want, f"{fname}()")
        return Node("call", rtype, name.start, end, fname, args)

    def expect(self, arg: Node, want: str, where: str):
        got = arg.type
        if got is ANY or got == want:
            return
        if want == MATRIX and got == VECTOR:
            if arg.kind == "selector":
                hint = ": add a range such as [5m]"
            else:
                hint = ": add a subquery range such as [5m:1m]"
            self.fail(f"expected a range vector in {where}, got an instant vector{hint}", arg.start)
        hint = ""
        if want == SCALAR and got == VECTOR:
            hint = ": wrap it in scalar()"
        elif want == VECTOR and got == SCALAR:
            hint = ": wrap it in vector()"
        elif want == VECTOR and got == MATRIX:
            hint = ": wrap it in a function such as rate()"
        self.fail(f"expected {_TYPE_NAMES[want]} in {where}, got {_TYPE_NAMES[got]}{hint}", arg.start)

    def aggregation(self, name: _Tok, op: str) -> Node:
        grouped = False
        if self.is_word("by") or self.is_word("without"):
            self.grouping_labels(self.next())
            grouped = True
        if not self.is_op("("):
            self.unexpected(self.peek(), f"'(' after '{name.text}'")
        opener = self.next()
        args, end = self.call_args(opener)
        if self.is_word("by") or self.is_word("without"):
            t = self.next()
            if grouped:
                self.fail(f"'{t.text}' given twice for {name.text}", t.start)
            self.grouping_labels(t)
            end = self.toks[self.i - 1].end
        param = AGGREGATIONS[op]
        want = 1 if param is None else 2
        if len(args) != want:
            self.fail(f"{name.text}() takes {_count(want)}, got {len(args)}", name.start)
        if param is not None:
            self.expect(args[0], param, f"{name.text}()")
        self.expect(args[-1], VECTOR, f"{name.text}()")
        return Node("aggregation", VECTOR, name.start, end, op, args)

    def matchers(self, opener: _Tok, name: str | None, start: int) -> Node:
        names = [name] if name is not None and "{{" not in name else []
        templated = name is not None and "{{" in name
        non_empty = name is not None
        while True:
            t = self.peek()
            if t.kind == "op" and t.text == "}":
                self.i += 1
                break
            if t.kind == "eof":
                self.close(opener, "}")
            label = self.next()
            if label.kind == "hole":
                templated = True
                if self.peek().kind == "op" and self.peek().text in (",", "}"):
                    pass
                else:
                    self.match_op_and_value()
            elif label.kind == "string":
                self.check_string(label)
                if self.peek().kind == "op" and self.peek().text in (",", "}"):
                    names.append(label.text[1:-1])
                    non_empty = True
                else:
                    non_empty |= self.matcher_rest(label.text[1:-1], names)
            elif label.kind == "ident":
                if not _LABEL.fullmatch(label.text):
                    self.fail(f"'{label.text}' is not a valid label name", label.start)
                non_empty |= self.matcher_rest(label.text, names)
            else:
                self.i -= 1
                self.unexpected(label, "a label name or '}'")
            t = self.peek()
            if t.kind == "op" and t.text == ",":
                self.i += 1
                continue
            if t.kind == "op" and t.text == "}":
                continue
            if t.kind == "eof":
                self.close(opener, "}")
            self.unexpected(t, "',' or '}' in the label matchers")
        end = self.toks[self.i - 1].end
        if len(names) > 1:
            self.fail(f"metric name set twice: '{names[0]}' and '{names[1]}'", start)
        if not non_empty and not templated:
            self.fail("a selector must have at least one matcher that does not match empty", start)
        return Node("selector", VECTOR, start, end, names[0] if names else None)

    def match_op_and_value(self) -> tuple:
        op = self.peek()
        if op.kind == "hole":
            raise _Unknown()
        if op.kind != "op" or op.text not in _MATCH_OPS:
            if op.kind == "op" and op.text == "==":
                self.fail("use '=' in a label matcher, not '=='", op.start)
            self.unexpected(op, "a matcher operator: =, !=, =~ or !~")
        self.i += 1
        value = self.peek()
        if value.kind == "string":
            self.i += 1
            self.check_string(value)
            return op.text, value
        if value.kind == "hole":
            self.i += 1
            return op.text, value
        if value.kind in ("ident", "number", "duration"):
            self.fail(f"a label value must be a quoted string: \"{value.text}\"", value.start)
        self.unexpected(value, "a quoted label value")

    def matcher_rest(self, label: str, names: list) -> bool:
        op, value = self.match_op_and_value()
        if value.kind == "hole" or "{{" in value.text:
            return True
        raw = _unquote(value.text)
        if label == "__name__" and op == "=":
            names.append(raw)
        if op == "=":
            return raw != ""
        if op == "!=":
            return raw == ""
        try:
            with warnings.catch_warnings():  # Python's notes on RE2 syntax ("nested set")
                warnings.simplefilter("ignore")
                matches_empty = re.fullmatch(raw, "") is not None
        except (re.error, RecursionError, OverflowError):
            return True
        return matches_empty if op == "!~" else not matches_empty


def _count(n: int) -> str:
    return f"{n} argument" if n == 1 else f"{n} arguments"


def _unquote(text: str) -> str:
    body = text[1:-1]
    if text[0] == "`" or "\\" not in body:
        return body
    try:
        return body.encode("latin-1", "backslashreplace").decode("unicode_escape")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return body


# ---------------------------------------------------------------------- the API
@functools.lru_cache(maxsize=1024)
def parse(text: str) -> Query:
    """Parse a PromQL query. Raises :class:`ExpressionError` when Prometheus would reject
    it; returns a :class:`Query` with ``unknown`` set when templating makes it undecidable.

    Cached: PL306 and PL302 (through :func:`result_type`) read the same queries, and
    templates repeat them; a :class:`Query` is never modified after parsing."""
    holes = [(start, end, inner.strip()) for start, end, inner in _placeholders(text)]
    if any(not _ARG.fullmatch(inner) for _, _, inner in holes):
        return Query(text, None, unknown=True, placeholders=holes)
    tokens = _tokens(text)
    if any(t.kind == "foreign" for t in tokens):
        return Query(text, None, unknown=True, placeholders=holes)
    try:
        root = _Parser(text, tokens).parse()
    except _Unknown:
        return Query(text, None, unknown=True, placeholders=holes)
    except RecursionError:  # MAX_DEPTH levels of the costliest shape, called from deep in a stack
        raise ExpressionError(f"the query nests deeper than {MAX_DEPTH} levels", 0) from None
    return Query(text, root, placeholders=holes)


def result_type(text: str) -> str | None:
    """``"scalar"``, ``"vector"``, ``"matrix"`` or ``"string"``: what the query returns;
    None when it does not parse or placeholders make the type unknown."""
    try:
        return parse(text).type
    except ExpressionError:
        return None
