"""Argo Rollouts metric conditions: ``successCondition`` / ``failureCondition``.

The controller compiles each condition with expr-lang (``expr.Compile(condition,
expr.Env(env))``) against an environment of seven names — ``result`` (the provider's
measurement), ``asInt``, ``asFloat``, ``isNaN``, ``isInf``, ``isNil``, ``default`` — and
runs it expecting a bool. ``expr.Env`` makes the compiler strict: a name that is neither
in that environment nor an expr-lang builtin is a compile error ("unknown name args"),
and so is a syntax error. Either way every measurement of the metric errors.

This module parses the language as users write it with a pyparsing grammar, explicit
precedence levels from loosest to tightest (expr-lang's table)::

    ternary  c ? a : b            pipe     x | f(y)
    or       || or                and      && and
    compare  == != < > <= >= in matches contains startsWith endsWith (and their `not` forms)
    range    a..b                 additive + -
    multiply * / %                power    ** ^ (right-associative)
    unary    ! not - +            coalesce ??
    postfix  .name ?.name [index] [a:b] (args)

Operands: numbers (``1_000``, ``0x1F``, ``1e-3``), strings (``'..'``, ``".."`` with escapes,
backquoted raw), ``true``/``false``/``nil``, names, ``#`` / ``#index`` / ``.Field`` inside
predicates, arrays, maps, predicates ``{# > 0.5}``, and Argo argument placeholders
(``{{args.threshold}}``, substituted as text before the condition is compiled: an
opaque operand here). The AST is plain tuples (see :func:`parse`); evaluation for the
interval analysis lives in :mod:`pipelint.conditions`.
"""

from __future__ import annotations

import functools
import re

from . import ExpressionError

#: Names the controller puts in the environment (``utils/evaluate``).
ENVIRONMENT = frozenset({"result", "asInt", "asFloat", "isNaN", "isInf", "isNil", "default"})

#: expr-lang builtins across its versions (a name valid in any version is never flagged).
BUILTINS = frozenset(
    """
    all none any one filter map count sum find findIndex findLast findLastIndex groupBy sortBy
    reduce len abs ceil floor round int float string trim trimPrefix trimSuffix upper lower
    split splitAfter replace repeat join indexOf lastIndexOf hasPrefix hasSuffix max min mean
    median toJSON fromJSON toBase64 fromBase64 now duration date timezone first last get take
    keys values toPairs fromPairs type bitand bitor bitxor bitnand bitnot bitshl bitshr bitushr
    sort flatten uniq concat $env
    """.split()
)

#: Longest accepted condition (the controller has no limit; a longer one is not hand-written).
MAX_LENGTH = 10_000
MAX_DEPTH = 100

_PLACEHOLDER = re.compile(r"\{\{.*?\}\}", re.S)
_COMPARE_WORDS = ("in", "matches", "contains", "startsWith", "endsWith")


@functools.lru_cache(maxsize=1024)
def parse(text: str):
    """The AST of one condition, or :class:`ExpressionError` (offset relative to ``text``).

    Nodes: ``("num", value)``, ``("str", text)``, ``("bool", b)``, ``("nil",)``,
    ``("name", n, offset)``, ``("placeholder", text)``, ``("pointer", n)``,
    ``("field", n)`` (``.Field`` in a predicate), ``("member", obj, n)``, ``("index", obj,
    i)``, ``("slice", obj, a, b)``, ``("call", callee, [args])``, ``("unary", op, x)``,
    ``("binary", op, left, right)``, ``("ternary", c, a, b)``, ``("array", [items])``,
    ``("map", [(key, value)])``, ``("predicate", body)``, ``("pipe", x, call)``.
    """
    if not text.strip():
        raise ExpressionError("empty condition", 0)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"condition is longer than {MAX_LENGTH:,} characters", 0)
    text = _blank_comments(text)
    _check_brackets(text)
    import pyparsing as pp

    try:
        tree = _grammar().parse_string(text, parse_all=True)[0]
    except pp.ParseBaseException as err:
        raise ExpressionError(_syntax_message(text, err.loc), err.loc) from None
    except RecursionError:
        raise ExpressionError(f"condition nested deeper than {MAX_DEPTH} levels", 0) from None
    _check_names(tree)
    return tree


_OPERATOR = re.compile(r"[<>=!&|*/%+\-^?.:]+")
_KNOWN_OPERATORS = frozenset({"==", "!=", "<", ">", "<=", ">=", "&&", "||", "+", "-", "*", "/", "%", "**", "^", "..", "??", "?", ":", "|", "!", "."})


def _syntax_message(text: str, at: int) -> str:
    rest = text[at:]
    if not rest.strip():
        return "the condition ends early: an operand is missing"
    op = _OPERATOR.match(rest)
    if op:
        shown = op.group(0)
        if shown == "=":
            return "unexpected '=' (compare with '==')"
        if shown == "&":
            return "unexpected '&' (the operator is '&&')"
        if shown not in _KNOWN_OPERATORS:
            return f"unknown operator '{shown}'"
        if not rest[op.end() :].strip():
            return f"'{shown}' has no right operand"
        return f"'{shown}' is not followed by a valid operand"
    found = re.match(r"\w+|\S", rest)
    if found is None:  # a space pyparsing does not skip (U+2028, a no-break space...)
        return f"unexpected character U+{ord(rest[0]):04X}"
    token = found.group(0)
    if token in ("and", "or", "in", "matches", "contains", "startsWith", "endsWith", "not") and not rest[len(token) :].strip():
        return f"'{token}' has no right operand"
    return f"unexpected '{token}'"


def _blank_comments(text: str) -> str:
    """``//`` and ``/* */`` comments (expr-lang has both) replaced by spaces, so that
    offsets stay exact and the grammar need not look for comments between tokens."""
    if "/" not in text:
        return text
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'`":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" and c != "`" else 1
            i = j + 1
            continue
        if text.startswith("//", i) or text.startswith("/*", i):
            end = text.find("\n", i) if text[i + 1] == "/" else text.find("*/", i + 2)
            end = n if end < 0 else (end if text[i + 1] == "/" else end + 2)
            for k in range(i, end):
                if out[k] != "\n":
                    out[k] = " "
            i = end
            continue
        i += 1
    return "".join(out)


def _check_brackets(text: str) -> None:
    """Unbalanced brackets and unterminated strings, with the offset of the opener."""
    stack: list[tuple[str, int]] = []
    pairs = {")": "(", "]": "[", "}": "{"}
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "{" and text.startswith("{{", i):
            end = text.find("}}", i + 2)
            if end >= 0:  # an Argo placeholder: opaque
                i = end + 2
                continue
        if c in "\"'`":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" and c != "`" else 1
            if j >= n:
                raise ExpressionError(f"unterminated string: the {c} here is never closed", i)
            i = j + 1
            continue
        if c in "([{":
            stack.append((c, i))
            if len(stack) > MAX_DEPTH:
                raise ExpressionError(f"condition nested deeper than {MAX_DEPTH} levels", i)
        elif c in ")]}":
            if not stack or stack[-1][0] != pairs[c]:
                raise ExpressionError(f"'{c}' closes nothing", i)
            stack.pop()
        i += 1
    if stack:
        opener, at = stack[-1]
        raise ExpressionError(f"unclosed '{opener}'", at)


def walk(tree):
    """Every node of a condition's AST (tuples whose first item is the tag), in no
    particular order; map pairs and argument lists are looked through."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, tuple) and node:
            if isinstance(node[0], str):
                yield node
                stack.extend(p for p in node[1:] if isinstance(p, (tuple, list)))
            else:  # a map pair whose key is an expression
                stack.extend(node)


def _check_names(tree) -> None:
    """expr's strict mode: every free name must be in the environment or a builtin
    (or bound by ``let``)."""
    nodes = list(walk(tree))
    bound = {n[1] for n in nodes if n[0] == "let"}
    unknown = [n for n in nodes if n[0] == "name" and n[1] not in ENVIRONMENT and n[1] not in BUILTINS]
    unknown = [n for n in unknown if n[1] not in bound]
    if unknown:
        name, at = min(unknown, key=lambda n: n[2])[1:]
        hint = ""
        if name == "args":
            hint = " (Argo substitutes args only as placeholders: {{args.NAME}})"
        raise ExpressionError(f"unknown name '{name}'{hint}", at)


# --------------------------------------------------------------------------- grammar

_grammar_cache = None

#: Binary operators and their precedence (expr-lang's table); ``**``/``^`` are
#: right-associative. ``|`` (pipe) is the loosest.
_BINARY = {
    "|": 1, "||": 10, "or": 10, "&&": 15, "and": 15,
    "==": 20, "!=": 20, "<": 20, ">": 20, "<=": 20, ">=": 20,
    "in": 20, "not in": 20, "matches": 20, "not matches": 20,
    "contains": 25, "not contains": 25, "startsWith": 25, "not startsWith": 25,
    "endsWith": 25, "not endsWith": 25, "..": 25,
    "+": 30, "-": 30, "*": 60, "/": 60, "%": 60, "**": 100, "^": 100, "??": 500,
}
_RIGHT = frozenset({"**", "^"})
#: Unary operators bind looser than ``**`` and ``??``: ``-a ** 2`` is ``-(a ** 2)``.
_UNARY = {"!": 50, "not": 50, "-": 90, "+": 90}
_CANONICAL = {"or": "||", "and": "&&"}


def _climb(toks):
    """Precedence climbing over the flat ``operand (op operand)*`` list the grammar
    reads; an operand is ``(prefix operators, postfix expression)``."""
    items = list(toks)
    pos = 0

    def operand(min_prec):
        nonlocal pos
        prefixes, node = items[pos]
        pos += 1
        for op in reversed(prefixes):
            node = ("unary", "!" if op in ("!", "not") else op, tail(node, _UNARY[op] + 1))
        return tail(node, min_prec)

    def tail(node, min_prec):
        nonlocal pos
        while pos < len(items):
            op = items[pos]
            prec = _BINARY[op]
            if prec < min_prec:
                break
            pos += 1
            right = operand(prec if op in _RIGHT else prec + 1)
            if op == "|":
                node = ("pipe", node, right)
            else:
                node = ("binary", _CANONICAL.get(op, op), node, right)
        return node

    tree = operand(0)
    del operand, tail  # recursive closures form a reference cycle: end it (see backref)
    return tree


def _on_postfix(toks):
    items = list(toks)
    node = items[0]
    for suffix in items[1:]:
        kind = suffix[0]
        if kind == ".":
            node = ("member", node, suffix[1])
        elif kind == "[":
            node = ("index", node, suffix[1])
        elif kind == "[:":
            node = ("slice", node, suffix[1], suffix[2])
        else:  # call
            node = ("call", node, suffix[1])
    return node


_KEYWORDS = frozenset({"not", "and", "or", "in", "matches", "contains", "startsWith", "endsWith", "let"})

#: One regular expression for every single-token operand (a pyparsing element tried per
#: alternative costs an exception each time it fails: one element instead of seven).
_ATOM = (
    r"(?P<ph>\{\{.*?\}\})"
    r"|(?P<num>(?=\.?\d)(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+"
    r"|(?:\d[\d_]*)?(?:\.(?!\.)\d[\d_]*)?(?:[eE][+-]?\d+)?(?<=\d)))"
    r'|(?P<dq>"(?:[^"\\\n]|\\.)*")'
    r"|(?P<sq>'(?:[^'\\\n]|\\.)*')"
    r"|(?P<bq>`[^`]*`)"
    r"|(?P<name>\$?[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<ptr>#[A-Za-z_]*)"
    r"|(?P<field>\.[A-Za-z_][A-Za-z0-9_]*)"
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0"}


def _unquote(body: str) -> str:
    if "\\" not in body:
        return body
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


def _grammar():
    """The pyparsing grammar, built once on first use (pyparsing is imported lazily).

    Flat on purpose, because each pyparsing element tried costs microseconds: every
    single-token operand is one regular expression, every binary operator one token,
    and precedence is resolved by :func:`_climb`."""
    global _grammar_cache
    if _grammar_cache is not None:
        return _grammar_cache
    import pyparsing as pp

    sup = pp.Suppress
    expr = pp.Forward()
    items = pp.Group(pp.Optional(pp.DelimitedList(expr, allow_trailing_delim=True)), aslist=True)

    atom_re = re.compile(_ATOM, re.S)

    def on_atom(s, loc, t):
        m = atom_re.match(t[0])
        kind, text = m.lastgroup, t[0]
        if kind == "ph":
            return ("placeholder", text)
        if kind == "num":
            return ("num", _number(text))
        if kind in ("dq", "sq"):
            return ("str", _unquote(text[1:-1]))
        if kind == "bq":
            return ("str", text[1:-1])
        if kind == "ptr":
            return ("pointer", text)
        if kind == "field":
            return ("field", text[1:])
        if text in ("true", "false"):
            return ("bool", text == "true")
        if text == "nil":
            return ("nil",)
        if text in _KEYWORDS:
            raise pp.ParseException(s, loc, "keyword")
        return ("name", text, loc)

    atom = pp.Regex(_ATOM, flags=re.S).set_name("operand").set_parse_action(on_atom)
    group = sup("(") + expr + sup(")")
    array = (sup("[") + items + sup("]")).set_parse_action(lambda t: ("array", t[0]))
    key = pp.Regex(r"[A-Za-z_]\w*|\d+") | pp.QuotedString('"', esc_char="\\") | pp.QuotedString("'", esc_char="\\") | group
    pair = pp.Group(key + sup(":") + expr, aslist=True)
    mapping = (sup("{") + pp.Group(pp.Optional(pp.DelimitedList(pair, allow_trailing_delim=True)), aslist=True) + sup("}"))
    mapping.set_parse_action(lambda t: ("map", [tuple(p) for p in t[0]]))
    predicate = (sup("{") + expr + sup("}")).set_parse_action(lambda t: ("predicate", t[0]))
    primary = atom | group | array | mapping | predicate

    member = pp.Regex(r"\??\.([A-Za-z_][A-Za-z0-9_]*)").set_parse_action(lambda t: (".", t[0].lstrip("?.")))
    opt = pp.Optional(expr, default=("none",))
    index = (sup("[") + opt + pp.Optional(pp.Literal(":") + opt) + sup("]")).set_parse_action(
        lambda t: ("[:", t[0], t[2]) if len(t) == 3 else ("[", t[0])
    )
    call = (sup("(") + items + sup(")")).set_parse_action(lambda t: ("(", t[0]))
    postfix = (primary + pp.ZeroOrMore(member | index | call)).set_parse_action(_on_postfix)

    unary_ops = pp.Group(pp.ZeroOrMore(pp.Regex(r"not\b|!(?!=)|[-+]")), aslist=True)
    operand = (unary_ops + postfix).set_parse_action(lambda t: (tuple(t[0]), t[1]))
    binop = pp.Regex(
        r"\|\||&&|==|!=|<=|>=|\*\*|\?\?|\.\.|[<>+\-*/%^]|\|(?!\|)"
        r"|(?:not\s+)?(?:in|matches|contains|startsWith|endsWith)\b|and\b|or\b"
    ).set_parse_action(lambda t: re.sub(r"\s+", " ", t[0]))
    binary = (operand + pp.ZeroOrMore(binop + operand)).set_parse_action(_climb)
    ternary = binary + pp.Optional(sup(pp.Regex(r"\?(?![?.])")) + expr + sup(":") + expr)
    ternary.set_parse_action(lambda t: ("ternary", t[0], t[1], t[2]) if len(t) == 3 else t[0])
    let = (sup(pp.Keyword("let")) + pp.Regex(r"[A-Za-z_]\w*") + sup("=") + expr + sup(";") + expr).set_parse_action(
        lambda t: ("let", t[0], t[1], t[2])
    )
    expr <<= let | ternary
    grammar = expr.copy()
    grammar.parse_with_tabs()
    _grammar_cache = grammar
    return grammar


def _number(text: str):
    clean = text.replace("_", "")
    low = clean.lower()
    if low.startswith("0x"):
        return int(clean, 16)
    if low.startswith("0o"):
        return int(clean[2:], 8)
    if low.startswith("0b"):
        return int(clean[2:], 2)
    if any(c in clean for c in ".eE"):
        return float(clean)
    return int(clean)


def placeholders(text: str) -> list[tuple[int, int]]:
    """Offsets of the Argo placeholders (``{{args.x}}``) in a condition."""
    # str.find, not _PLACEHOLDER.finditer: the regex rescans the rest of the text for
    # every '{{' never closed (quadratic); once one '{{' has no '}}' after it, none has
    spans = []
    pos = text.find("{{")
    while pos != -1:
        close = text.find("}}", pos + 2)
        if close == -1:
            break
        spans.append((pos, close + 2))
        pos = text.find("{{", close + 2)
    return spans
