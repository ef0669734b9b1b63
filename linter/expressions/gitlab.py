"""GitLab CI/CD variable expressions: ``rules: if:``, ``workflow: rules: if:`` and
``only:``/``except: variables:``.

The language is small and GitLab's implementation (``Gitlab::Ci::Pipeline::Expression``:
a first-match lexer, then a shunting-yard parser) is mirrored here step by step, so that
what GitLab accepts is accepted and what it rejects is rejected:

* Tokens, tried in this order at each position after skipping whitespace: ``(``, ``)``,
  ``$[[ inputs.name ]]``, ``$VAR``, ``"string"`` / ``'string'`` (no escapes: the first
  matching quote ends it), ``/regex/flags`` (flags from ``ismU``), ``null``,
  ``true``/``false``, ``==``, ``=~``, ``!=``, ``!~``, ``&&``, ``||``. Anything else is
  "unknown lexeme". At most 99 tokens (GitLab stops after 100 scans).
* Precedence: the four comparisons bind tighter than ``&&``, which binds tighter than
  ``||``; parentheses group. Every operator needs two operands.
* A regex literal must compile in RE2 (see :func:`regex_error`).

Deliberate leniencies (never flag what GitLab might accept): ``${VAR}`` is read as a
variable (GitLab's lexer only knows ``$VAR``, but some versions and docs show braces); any
other ``$[[ ... ]]`` interpolation (``| expand_vars``...) makes the expression opaque,
because it is replaced by text before GitLab parses it.

Like GitLab's shunting-yard, operands are not checked to be *between* operators: GitLab
accepts ``$A $B ==`` and so do we (it only fails when an operator lacks an operand or
values are left over). A hand-written lexer is used instead of pyparsing: it is the
exact algorithm GitLab runs, and ~20x faster.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Union

from . import ExpressionError  # noqa: F401  (re-exported: callers catch it from here)

#: GitLab's lexer scans at most 100 times; the 100th token makes the expression invalid.
MAX_TOKENS = 99



# --------------------------------------------------------------------------- AST


@dataclass(frozen=True, slots=True)
class Variable:
    """``$NAME`` (or ``${NAME}``); ``name`` without the ``$``."""

    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Input:
    """``$[[ inputs.name ]]``."""

    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Literal:
    """A string (its text), ``null`` (None) or ``true``/``false``."""

    value: None | bool | str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Pattern:
    """``/source/flags``; ``source`` has ``\\/`` already turned into ``/``."""

    source: str
    flags: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Binary:
    """``left op right``: ``==``, ``!=``, ``=~``, ``!~``, ``&&`` or ``||``."""

    op: str
    left: Expr
    right: Expr
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Opaque:
    """An expression with ``$[[ ]]`` interpolation GitLab replaces first: not judged."""

    text: str
    start: int
    end: int


Expr = Union[Variable, Input, Literal, Pattern, Binary, Opaque]


def variables(expr: Expr) -> list[Variable]:
    """Every variable read by ``expr``, in text order."""
    out: list[Variable] = []
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Variable):
            out.append(node)
        elif isinstance(node, Binary):
            stack.append(node.right)
            stack.append(node.left)
    return sorted(out, key=lambda v: v.start)


# --------------------------------------------------------------------------- lexer

_WS = re.compile(r"[ \t\r\n\f\v]+")
# One alternation in GitLab's order; each group name is the token kind.
_TOKEN = re.compile(
    r"(?P<lpar>\()"
    r"|(?P<rpar>\))"
    r"|(?P<input>\$\[\[[ \t\r\n\f\v]*inputs\.(?P<input_name>[A-Za-z0-9_]+)[ \t\r\n\f\v]*\]\])"
    r"|(?P<var>\$(?P<var_name>[A-Za-z0-9_]+)|\$\{(?P<brace_name>[A-Za-z0-9_]+)\})"
    r"|(?P<string>\"(?P<dq>.*?)\"|'(?P<sq>.*?)')"
    r"|(?P<pattern>/(?:[^/]|\\/)+[^\\]/[ismU]*)"
    r"|(?P<null>null)"
    r"|(?P<bool>\b(?:true|false)\b)"
    r"|(?P<op>==|=~|!=|!~|&&|\|\|)",
    re.S,
)
_PRECEDENCE = {"==": 10, "=~": 10, "!=": 10, "!~": 10, "&&": 11, "||": 12}
_HINTS = {
    "=": " (use '==' to compare or '=~' to match a regex)",
    "&": " (use '&&')",
    "|": " (use '||')",
    "!": " (GitLab has no '!' negation: use '!=' or '!~', or `when: never` in an earlier rule)",
    "<": " (GitLab compares only with '==', '!=', '=~' and '!~')",
    ">": " (GitLab compares only with '==', '!=', '=~' and '!~')",
}


class _Tok:
    __slots__ = ("kind", "text", "start", "end", "node")

    def __init__(self, kind: str, text: str, start: int, end: int, node=None):
        self.kind = kind
        self.text = text
        self.start = start
        self.end = end
        self.node = node


def _lex(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos, n = 0, len(text)
    while True:
        m = _WS.match(text, pos)
        if m:
            pos = m.end()
        if pos >= n:
            return tokens
        if len(tokens) >= MAX_TOKENS:
            raise ExpressionError(f"too many tokens (GitLab accepts at most {MAX_TOKENS})", pos)
        m = _TOKEN.match(text, pos)
        if m is None:
            raise _unknown(text, pos)
        kind = m.lastgroup
        if kind in ("input_name", "var_name", "brace_name", "dq", "sq"):  # inner group won
            kind = {"input_name": "input", "var_name": "var", "brace_name": "var", "dq": "string", "sq": "string"}[kind]
        start, end = m.start(), m.end()
        node = None
        if kind == "var":
            node = Variable(m.group("var_name") or m.group("brace_name"), start, end)
        elif kind == "input":
            node = Input(m.group("input_name"), start, end)
        elif kind == "string":
            value = m.group("dq") if m.group("dq") is not None else m.group("sq")
            node = Literal(value, start, end)
        elif kind == "null":
            node = Literal(None, start, end)
        elif kind == "bool":
            node = Literal(m.group() == "true", start, end)
        elif kind == "pattern":
            node = _pattern(m.group(), start, end)
        tokens.append(_Tok(kind, m.group(), start, end, node))
        pos = end


def _unknown(text: str, pos: int) -> ExpressionError:
    c = text[pos]
    if c in "\"'":
        return ExpressionError("unterminated string", pos)
    if c == "/" and re.match(r"/[^/]/", text[pos:]):
        return ExpressionError("GitLab does not recognise a one-character regex such as /x/: write /[x]/ or /x+/", pos)
    if c == "/":
        return ExpressionError("invalid regex literal: write it as /pattern/ with optional flags i, s, m or U", pos)
    if c == "$":
        return ExpressionError("'$' must be followed by a variable name", pos)
    word = re.match(r"[A-Za-z_][A-Za-z0-9_]*", text[pos:])
    if word:
        w = word.group()
        if w in ("True", "False", "TRUE", "FALSE", "Null", "NULL", "nil", "none", "None"):
            return ExpressionError(f"unexpected '{w}' (literals are lower-case: null, true, false)", pos)
        return ExpressionError(f"unexpected '{w}' (variables start with '$'; strings need quotes)", pos)
    return ExpressionError(f"unexpected '{c}'{_HINTS.get(c, '')}", pos)


def _pattern(text: str, start: int, end: int) -> Pattern:
    close = text.rindex("/")
    source = text[1:close].replace("\\/", "/")
    flags = text[close + 1 :]
    problem = regex_error(source)
    if problem is not None:
        raise ExpressionError(f"invalid regular expression: {problem}", start)
    return Pattern(source, flags, start, end)


# --------------------------------------------------------------------------- regex

# RE2 syntax Python's ``re`` rejects; rewritten to something equivalent enough for a
# syntax check before compiling with Python.
_RE2_ONLY = re.compile(
    r"\\[pP]\{\^?[A-Za-z_]+\}"  # \p{Greek}, \P{^L}
    r"|\\[pP][A-Za-z]"  # \pL
    r"|\\[zC]"  # end of text, any byte
    r"|\\Q.*?(?:\\E|$)"  # quoted literal text
    r"|\(\?P?<(?=[A-Za-z_])"  # (?<name> (RE2 2023+) and (?P<name>
    r"|\(\?[imsU-]+[):]"  # flag groups, RE2 has U (ungreedy)
    r"|\[\[:\^?[a-z]+:\]\]"  # a whole POSIX class [[:alpha:]]
    r"|\[:\^?[a-z]+:\]",  # a POSIX class inside a bracket [[:alpha:]_]
    re.S,
)
def _re2_rewrite(m: re.Match) -> str:
    t = m.group()
    if t.startswith("\\Q"):
        body = t[2:]
        if body.endswith("\\E"):
            body = body[:-2]
        return re.escape(body)
    if t.startswith(("\\p", "\\P")):
        return "\\w"
    if t in ("\\z", "\\C"):
        return "\\Z" if t == "\\z" else "."
    if t.startswith("(?") and t.endswith("<"):
        return "(?P<"
    if t.startswith("(?"):
        # Python only allows global flags at the start; RE2 anywhere: drop them.
        return "" if t.endswith(")") else "(?:"
    if t.startswith("[[:"):
        return "[a-z]"
    return "a-z"  # a POSIX class inside a bracket expression


_REPEAT = re.compile(r"\{(\d+)(?:,(\d*))?\}")


@functools.lru_cache(maxsize=1024)
def regex_error(source: str) -> str | None:
    """Why RE2 would refuse ``source`` (a regex literal's inside), or None.

    An approximation: RE2 constructs Python lacks are rewritten first (``\\pL``,
    ``\\z``, ``\\Q..\\E``, ``(?<name>``, ``(?U)``, POSIX classes) so they are never
    flagged; then constructs RE2 lacks and Python has are flagged (look-around, atomic
    groups, back-references, possessive quantifiers, repeat counts over 1000); then the
    rest is compiled with Python. What remains different (e.g. flag placement details)
    errs on the side of accepting.
    """
    py = _RE2_ONLY.sub(_re2_rewrite, source)
    # Constructs RE2 lacks: scan outside [...] classes, skipping escapes.
    i, n, in_class = 0, len(py), False
    while i < n:
        c = py[i]
        if c == "\\":
            if not in_class and i + 1 < n and py[i + 1] in "123456789":
                return "back-references like '\\1' are not supported by RE2"
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
            i += 1
            continue
        if c == "[":
            in_class = True
            i += 1
            if i < n and py[i] == "^":
                i += 1
            if i < n and py[i] == "]":
                i += 1  # a leading ']' is literal
            continue
        if py.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            return "look-ahead and look-behind are not supported by RE2"
        if py.startswith(("(?>", "(?(", "(?P=", "(?P>"), i):
            return f"'{py[i:i + 3]}' is not supported by RE2"
        if c in "*+?}" and i + 1 < n and py[i + 1] == "+" and (c != "}" or _closes_repeat(py, i)):
            return "possessive quantifiers are not supported by RE2"
        if c == "{":
            m = _REPEAT.match(py, i)
            if m and max(int(m.group(1)), int(m.group(2) or 0)) > 1000:
                return "repeat counts above 1000 are not supported by RE2"
        i += 1
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            re.compile(py)
    except re.error as exc:
        return exc.msg
    except (OverflowError, RecursionError):
        return None
    return None


def _closes_repeat(py: str, i: int) -> bool:
    j = py.rfind("{", 0, i)
    return j != -1 and _REPEAT.fullmatch(py, j, i + 1) is not None


# --------------------------------------------------------------------------- parser


def parse(text: str) -> Expr:
    """The AST of a GitLab expression; :class:`ExpressionError` when GitLab rejects it.

    Offsets are relative to ``text``.
    """
    return _parse_cached(text)


@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Expr:
    if "$[[" in text and not _only_simple_inputs(text):
        return Opaque(text, 0, len(text))
    tokens = _lex(text)
    if not tokens:
        raise ExpressionError("empty expression", 0)
    return _build(_rpn(tokens), tokens)


_INPUT = re.compile(r"\$\[\[\s*inputs\.\w+\s*\]\]")


def _only_simple_inputs(text: str) -> bool:
    return "$[[" not in _INPUT.sub("", text)


def _rpn(tokens: list[_Tok]) -> list[_Tok]:
    """GitLab's shunting-yard, including its error for a ')' without '('."""
    output: list[_Tok] = []
    operators: list[_Tok] = []
    for tok in tokens:
        if tok.kind == "op":
            prec = _PRECEDENCE[tok.text]
            while operators and operators[-1].kind == "op" and prec >= _PRECEDENCE[operators[-1].text]:
                output.append(operators.pop())
            operators.append(tok)
        elif tok.kind == "lpar":
            operators.append(tok)
        elif tok.kind == "rpar":
            while operators and operators[-1].kind != "lpar":
                output.append(operators.pop())
            if not operators:
                raise ExpressionError("unbalanced parenthesis: ')' without '('", tok.start)
            operators.pop()
        else:
            output.append(tok)
    output.extend(reversed(operators))
    return output


def _build(rpn: list[_Tok], tokens: list[_Tok]) -> Expr:
    results: list = []
    for tok in rpn:
        if tok.kind == "lpar":
            raise ExpressionError("unbalanced parenthesis: '(' is never closed", tok.start)
        if tok.kind == "op":
            if len(results) < 2:
                side = "right" if results and results[-1].start < tok.start else "left"
                if not results:
                    side = "left" if tok is tokens[0] or tokens[tokens.index(tok) - 1].kind in ("op", "lpar") else "right"
                raise ExpressionError(f"'{tok.text}' has no {side} operand", tok.start)
            right, left = results.pop(), results.pop()
            results.append(Binary(tok.text, left, right, min(left.start, tok.start), max(right.end, tok.end)))
        else:
            results.append(tok.node)
    if len(results) > 1:
        extra = sorted(results, key=lambda r: r.start)[1]
        raise ExpressionError("missing operator between two values ('==', '!=', '=~', '!~', '&&' or '||')", extra.start)
    if not results:
        raise ExpressionError("empty expression", 0)
    return results[0]
