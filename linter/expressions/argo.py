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
    token = re.match(r"\w+|\S", rest).group(0)
    if token in ("and", "or", "in", "matches", "contains", "startsWith", "endsWith", "not") and not rest[len(token) :].strip():
        return f"'{token}' has no right operand"
    return f"unexpected '{token}'"


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


def _check_names(tree) -> None:
    """expr's strict mode: every free name must be in the environment or a builtin
    (or bound by ``let``)."""
    bound = set()
    unknown: list = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if not isinstance(node, tuple) or not node:
            continue
        tag = node[0]
        if tag == "name":
            name = node[1]
            if name not in ENVIRONMENT and name not in BUILTINS:
                unknown.append(node)
            continue
        if tag == "let":
            bound.add(node[1])
            stack.extend((node[3], node[2]))
            continue
        if tag in ("member",):
            stack.append(node[1])
            continue
        for part in node[1:]:
            if isinstance(part, tuple):
                stack.append(part)
            elif isinstance(part, list):
                for item in part:
                    if isinstance(item, tuple) and item and isinstance(item[0], str):
                        stack.append(item)
                    elif isinstance(item, tuple):  # map pair
                        stack.extend(x for x in item if isinstance(x, tuple))
    unknown = [n for n in unknown if n[1] not in bound]
    if unknown:
        name, at = min(unknown, key=lambda n: n[2])[1:]
        hint = ""
        if name == "args":
            hint = " (Argo substitutes args only as placeholders: {{args.NAME}})"
        raise ExpressionError(f"unknown name '{name}'{hint}", at)


# --------------------------------------------------------------------------- grammar

_grammar_cache = None


def _fold_left(toks):
    items = list(toks)
    node = items[0]
    for i in range(1, len(items), 2):
        node = ("binary", items[i], node, items[i + 1])
    return node


def _fold_right(toks):
    items = list(toks)
    node = items[-1]
    for i in range(len(items) - 2, 0, -2):
        node = ("binary", items[i], items[i - 1], node)
    return node


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


def _on_unary(toks):
    items = list(toks)
    node = items[-1]
    for op in reversed(items[:-1]):
        node = ("unary", "!" if op in ("!", "not") else op, node)
    return node


def _grammar():
    """The pyparsing grammar, built once on first use (pyparsing is imported lazily)."""
    global _grammar_cache
    if _grammar_cache is not None:
        return _grammar_cache
    import pyparsing as pp

    sup = pp.Suppress
    expr = pp.Forward()

    number = pp.Regex(r"(?=\.?\d)(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?(?:\.(?!\.)\d[\d_]*)?(?:[eE][+-]?\d+)?(?<=\d))")
    number.set_name("number").set_parse_action(lambda t: ("num", _number(t[0])))
    string = (
        pp.QuotedString('"', esc_char="\\", unquote_results=True)
        | pp.QuotedString("'", esc_char="\\", unquote_results=True)
        | pp.QuotedString("`", multiline=True, unquote_results=True)
    ).set_name("string")
    string.set_parse_action(lambda t: ("str", t[0]))
    placeholder = pp.Regex(r"\{\{.*?\}\}", flags=re.S).set_name("placeholder").set_parse_action(lambda t: ("placeholder", t[0]))
    keywords = {"true", "false", "nil", "not", "and", "or", "in", "matches", "contains", "startsWith", "endsWith", "let"}
    ident_text = pp.Regex(r"\$?[A-Za-z_][A-Za-z0-9_]*")
    literal = pp.Keyword("true") | pp.Keyword("false") | pp.Keyword("nil")
    literal.set_parse_action(lambda t: ("nil",) if t[0] == "nil" else ("bool", t[0] == "true"))

    def on_name(s, loc, t):
        if t[0] in keywords:
            raise pp.ParseException(s, loc, "keyword")
        return ("name", t[0], loc)

    name = pp.Regex(r"\$?[A-Za-z_][A-Za-z0-9_]*").set_name("name").set_parse_action(on_name)
    pointer = pp.Regex(r"#[A-Za-z_]*").set_parse_action(lambda t: ("pointer", t[0]))
    field = (sup(".") + ident_text).set_parse_action(lambda t: ("field", t[0]))
    group = sup("(") + expr + sup(")")
    array = (sup("[") + pp.Group(pp.Optional(pp.DelimitedList(expr, allow_trailing_delim=True)), aslist=True) + sup("]"))
    array.set_parse_action(lambda t: ("array", t[0]))
    key = ident_text | pp.QuotedString('"', esc_char="\\") | pp.QuotedString("'", esc_char="\\") | number | (sup("(") + expr + sup(")"))
    pair = pp.Group(key + sup(":") + expr, aslist=True)
    mapping = (sup("{") + pp.Group(pp.Optional(pp.DelimitedList(pair, allow_trailing_delim=True)), aslist=True) + sup("}"))
    mapping.set_parse_action(lambda t: ("map", [tuple(p) for p in t[0]]))
    predicate = (sup("{") + expr + sup("}")).set_parse_action(lambda t: ("predicate", t[0]))
    primary = placeholder | number | string | literal | name | pointer | field | group | array | mapping | predicate

    member = (pp.Literal("?.") | pp.Literal(".")) + ident_text
    member.set_parse_action(lambda t: (".", t[1]))
    opt = pp.Optional(expr, default=("none",))
    index = (sup("[") + opt + sup(":") + opt + sup("]")).set_parse_action(lambda t: ("[:", t[0], t[1]))
    index |= (sup("[") + expr + sup("]")).set_parse_action(lambda t: ("[", t[0]))
    call = (sup("(") + pp.Group(pp.Optional(pp.DelimitedList(expr, allow_trailing_delim=True)), aslist=True) + sup(")"))
    call.set_parse_action(lambda t: ("(", t[0]))
    postfix = (primary + pp.ZeroOrMore(member | index | call)).set_parse_action(_on_postfix)

    coalesce = (postfix + pp.ZeroOrMore(pp.Literal("??") + postfix)).set_parse_action(_fold_left)
    unary_op = pp.Keyword("not") | pp.Regex(r"!(?!=)") | pp.Literal("-") | pp.Literal("+")
    # expr-lang: '**' binds tighter than a unary operator (-a ** 2 is -(a ** 2))
    unary = pp.Forward()
    power = (coalesce + pp.ZeroOrMore((pp.Literal("**") | pp.Literal("^")) + unary)).set_parse_action(_fold_right)
    unary <<= (pp.ZeroOrMore(unary_op) + power).set_parse_action(_on_unary)
    multiply = (unary + pp.ZeroOrMore(pp.Regex(r"\*(?!\*)|/|%") + unary)).set_parse_action(_fold_left)
    additive = (multiply + pp.ZeroOrMore(pp.Regex(r"[+-]") + multiply)).set_parse_action(_fold_left)
    ranged = (additive + pp.ZeroOrMore(pp.Literal("..") + additive)).set_parse_action(_fold_left)
    word_ops = [pp.Keyword(w) for w in _COMPARE_WORDS]
    negated = (pp.Keyword("not") + pp.MatchFirst(word_ops)).set_parse_action(lambda t: "not " + t[1])
    compare_op = pp.Regex(r"==|!=|<=|>=|<|>") | negated | pp.MatchFirst(word_ops)
    compare = (ranged + pp.ZeroOrMore(compare_op + ranged)).set_parse_action(_fold_left)
    conj = (compare + pp.ZeroOrMore((pp.Literal("&&") | pp.Keyword("and")).set_parse_action(lambda: "&&") + compare))
    conj.set_parse_action(_fold_left)
    disj = (conj + pp.ZeroOrMore((pp.Literal("||") | pp.Keyword("or")).set_parse_action(lambda: "||") + conj))
    disj.set_parse_action(_fold_left)
    ternary = disj + pp.Optional(sup("?") + expr + sup(":") + expr)
    ternary.set_parse_action(lambda t: ("ternary", t[0], t[1], t[2]) if len(t) == 3 else t[0])
    piped = (ternary + pp.ZeroOrMore(sup(pp.Regex(r"\|(?!\|)")) + postfix)).set_parse_action(
        lambda t: functools.reduce(lambda x, f: ("pipe", x, f), list(t)[1:], t[0])
    )
    let = (sup(pp.Keyword("let")) + ident_text + sup("=") + expr + sup(";") + expr).set_parse_action(lambda t: ("let", t[0], t[1], t[2]))
    expr <<= let | piped
    grammar = expr.copy()
    grammar.parse_with_tabs()
    grammar.ignore(pp.c_style_comment | pp.dbl_slash_comment)
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
    return [(m.start(), m.end()) for m in _PLACEHOLDER.finditer(text)]
