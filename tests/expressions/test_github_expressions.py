"""GitHub Actions ``${{ }}`` expressions: finding, parsing, errors, context paths.

The corpus sweeps parse every expression of real workflows (and of peer linters' test
suites) so that the parser never rejects what GitHub accepts.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelint.expressions.github import (
    Access,
    Binary,
    Call,
    Context,
    Embedded,
    ExpressionError,
    Group,
    Index,
    Literal,
    Property,
    Star,
    Unary,
    _parse,
    _parse_grammar,
    context_paths,
    find_expressions,
    parse,
    walk,
)
from pipelint.yamltree import Scalar, YamlError, decode, load_documents
from pipelint.yamltree import walk as walk_yaml

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def both(inner: str):
    """parse() result, checked against the pyparsing grammar alone (no fast path)."""
    result = _parse(inner)
    assert _parse_grammar(inner) == result
    return result


def error(inner: str) -> tuple[str, int]:
    with pytest.raises(ExpressionError) as info:
        _parse(inner)
    with pytest.raises(ExpressionError) as again:
        _parse_grammar(inner)
    assert (again.value.message, again.value.offset) == (info.value.message, info.value.offset)
    return info.value.message, info.value.offset


# --------------------------------------------------------------------------- literals


@pytest.mark.parametrize(
    "inner, value",
    [
        ("null", None),
        ("true", True),
        ("false", False),
        ("0", 0),
        ("42", 42),
        ("-1", -1),
        ("+7", 7),
        ("1.5", 1.5),
        ("-2.25", -2.25),
        (".5", 0.5),
        ("1.", 1.0),
        ("1e3", 1000.0),
        ("-1.5E-2", -0.015),
        ("0xff", 255),
        ("0xFF", 255),
        ("0o17", 15),
        ("Infinity", float("inf")),
        ("-Infinity", float("-inf")),
        ("''", ""),
        ("'it''s'", "it's"),
        ("'a ${{ b }} }}'", "a ${{ b }} }}"),
        ("'\"double\" inside'", '"double" inside'),
    ],
)
def test_literals(inner, value):
    node = both(f" {inner} ")
    assert isinstance(node, Literal)
    assert node.value == value and type(node.value) is type(value)
    assert (node.start, node.end) == (1, 1 + len(inner))


def test_nan_literal():
    for node in (_parse("NaN"), _parse_grammar("NaN")):
        assert isinstance(node, Literal) and node.value != node.value and node.end == 3


def test_keywords_are_case_sensitive_and_plain_names_after_a_dot():
    # GitHub's lexer only knows lower-case true/false/null; `True` is a (context) name.
    assert both("True") == Context("True", (), 0, 4)
    assert both("nullable") == Context("nullable", (), 0, 8)
    node = both("a.true.null")
    assert [s.name for s in node.segments] == ["true", "null"]


# --------------------------------------------------------------------------- structure


def test_property_path_with_dashes():
    node = both("steps.my-step.outputs.x")
    assert node == Context(
        "steps",
        (Property("my-step", 5, 13), Property("outputs", 13, 21), Property("x", 21, 23)),
        0,
        23,
    )


def test_index_and_star_segments():
    node = both("github.event['pull_request'].title")
    assert isinstance(node, Context)
    assert [type(s) for s in node.segments] == [Property, Index, Property]
    assert node.segments[1].index == Literal("pull_request", 13, 27)
    assert (node.segments[1].start, node.segments[1].end) == (12, 28)

    node = both("a.*.b")
    assert node.segments == (Star(1, 3), Property("b", 3, 5))
    node = both("needs.*.result[*]")
    assert [type(s) for s in node.segments] == [Star, Property, Star]
    assert node.segments[-1] == Star(14, 17)


def test_whitespace_around_dots_and_calls():
    assert context_paths(both(" github . event .ref ")) == [("github.event.ref", 1, 20)]
    node = both("contains (a, b)")
    assert isinstance(node, Call) and node.end == 15


def test_computed_values_can_be_dereferenced():
    node = both("fromJSON(steps.m.outputs.json).include[0].os")
    assert isinstance(node, Access)
    assert isinstance(node.target, Call) and node.target.name == "fromJSON"
    assert [type(s) for s in node.segments] == [Property, Index, Property]
    node = both("(a || b).c")
    assert isinstance(node, Access) and isinstance(node.target, Group)
    assert (node.target.start, node.target.end, node.end) == (0, 8, 10)


def test_precedence():
    # ! > comparison > equality > && > ||
    node = both("a || b && c == d < e")
    assert isinstance(node, Binary) and node.op == "||"
    right = node.right
    assert right.op == "&&" and right.right.op == "==" and right.right.right.op == "<"

    node = both("!a == b")
    assert node.op == "==" and isinstance(node.left, Unary)

    node = both("a == b != c")  # left-associative
    assert node.op == "!=" and node.left.op == "=="

    node = both("a < b <= c > d >= e")
    assert node.op == ">=" and node.left.op == ">" and node.left.left.op == "<="

    node = both("(a || b) && c")
    assert node.op == "&&" and isinstance(node.left, Group)


def test_unary_spans():
    node = both("! !a")
    assert node == Unary("!", Unary("!", Context("a", (), 3, 4), 2, 4), 0, 4)
    node = both("!contains(a, 'x')")
    assert isinstance(node, Unary) and isinstance(node.operand, Call) and node.end == 17


def test_binary_spans():
    node = both("  github.ref == 'refs/heads/main' ")
    assert (node.start, node.end) == (2, 33)
    assert (node.left.start, node.left.end, node.right.start, node.right.end) == (2, 12, 16, 33)


def test_walk_visits_in_text_order():
    node = both("format('{0}', a[b.c]) == d")
    names = [n.name for n in walk(node) if isinstance(n, (Context, Call))]
    assert names == ["format", "a", "b", "d"]


# --------------------------------------------------------------------------- functions


@pytest.mark.parametrize(
    "inner",
    [
        "contains(github.event.pull_request.labels.*.name, 'bug')",
        "startsWith(github.ref, 'refs/tags/')",
        "endsWith(github.ref, '-rc')",
        "format('{0}-{1}', a, b)",
        "format('plain')",
        "join(matrix.os)",
        "join(matrix.os, ', ')",
        "toJSON(github)",
        "fromJSON('[1, 2]')",
        "hashFiles('**/package-lock.json')",
        "hashFiles('a', 'b', 'c')",
        "success()",
        "always()",
        "cancelled()",
        "failure()",
        "case(a == 1, 'one', a == 2, 'two', 'many')",
        # function names are case-insensitive
        "CONTAINS(a, b)",
        "startswith(a, b)",
        "toJson(a)",
        "fromjson(a)",
        "HashFiles('x')",
        "Always()",
    ],
)
def test_known_functions(inner):
    assert isinstance(both(inner), Call)


@pytest.mark.parametrize(
    "inner, message, offset",
    [
        ("contain(a, b)", "unknown function 'contain' (did you mean 'contains'?)", 0),
        ("a && lower(b)", "unknown function 'lower'", 5),
        ("contains(a)", "contains() takes exactly 2 arguments, got 1", 0),
        ("startsWith(a, b, c)", "startsWith() takes exactly 2 arguments, got 3", 0),
        ("x == endsWith(a)", "endsWith() takes exactly 2 arguments, got 1", 5),
        ("format()", "format() takes at least 1 argument, got 0", 0),
        ("join()", "join() takes 1 or 2 arguments, got 0", 0),
        ("join(a, b, c)", "join() takes 1 or 2 arguments, got 3", 0),
        ("toJSON(a, b)", "toJSON() takes exactly 1 argument, got 2", 0),
        ("fromJSON()", "fromJSON() takes exactly 1 argument, got 0", 0),
        ("hashFiles()", "hashFiles() takes at least 1 argument, got 0", 0),
        ("success(1)", "success() takes no arguments, got 1", 0),
        ("  always(true)", "always() takes no arguments, got 1", 2),
        ("case(a, b)", "case() takes at least 3 arguments, got 2", 0),
        ("case(a, b, c, d)", "case() takes an odd number of arguments (condition/value pairs and a default), got 4", 0),
        ("github.ref(1)", "unexpected '(': only functions can be called", 10),
        ("toJSON(a)(b)", "unexpected '(': only functions can be called", 9),
        ("toJSON(*)", "unexpected '*'", 7),
        ("contains(a, *)", "expected an argument after ','", 12),
    ],
)
def test_function_errors(inner, message, offset):
    assert error(inner) == (message, offset)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "inner, message, offset",
    [
        ("", "empty expression", 0),
        ("   ", "empty expression", 0),
        ("a &&", "expected an operand after '&&'", 4),
        ("a ||  ", "expected an operand after '||'", 6),
        ("a == ", "expected an operand after '=='", 5),
        ("a && || b", "expected an operand after '&&'", 5),
        ("!", "expected an operand after '!'", 1),
        ("a == !", "expected an operand after '!'", 6),
        ("&& a", "expected an operand before '&&'", 0),
        ("(a", "unbalanced parenthesis", 0),
        ("a)", "unbalanced parenthesis", 1),
        ("contains(a, 'b'", "unbalanced parenthesis", 8),
        ("toJson(hashFiles('**/lock', '**/cache/') ", "unbalanced parenthesis", 6),
        ("(a]", "unbalanced parenthesis", 0),
        ("a[0", "unbalanced bracket", 1),
        ("a]", "unbalanced bracket", 1),
        ("()", "empty parentheses", 1),
        ("a[]", "expected an index inside '[ ]'", 2),
        ("a[1, 2]", "expected ']' (an index is a single expression)", 3),
        ("f(a,)", "expected an argument after ','", 4),
        ("format('x',, a)", "expected an argument after ','", 11),
        ("a.", "expected a property name or '*' after '.'", 2),
        ("github.event. ", "expected a property name or '*' after '.'", 14),
        ("a.1", "expected a property name or '*' after '.'", 2),
        ("a[0].", "expected a property name or '*' after '.'", 5),
        ("'abc", "unterminated string (strings are 'single-quoted')", 0),
        ("a == 'it''s", "unterminated string (strings are 'single-quoted')", 5),
        ('a == "b"', "strings must use single quotes, not double quotes", 5),
        (' "hello" ', "strings must use single quotes, not double quotes", 1),
        ("a b", "unexpected 'b'", 2),
        ("f(a b)", "unexpected 'b'", 4),
        ("a = 'b'", "unexpected '=' (use '==' to compare)", 2),
        ("a & b", "unexpected '&' (use '&&')", 2),
        ("a | b", "unexpected '|' (use '||')", 2),
        (" 1 + 1 ", "unexpected '+' (expressions have no arithmetic operators)", 3),
        ("a * b", "unexpected '*' (expressions have no arithmetic operators)", 2),
        ("1abc", "unexpected '1abc' (not a valid number)", 0),
        ("x == 1.5.3", "unexpected '1.5.3' (not a valid number)", 5),
        ("-0x10", "unexpected '-0x10' (not a valid number)", 0),
        ("0b101", "unexpected '0b101' (not a valid number)", 0),
        ("a $ b", "unexpected '$'", 2),
        ("'a'.b", "unexpected '.' after a literal", 3),
        ("true[0]", "unexpected '[' after a literal", 4),
        ("true.x", "unexpected '.' after a literal", 4),
        ("1 == 2.x", "unexpected '2.x' (not a valid number)", 5),
        ("a 1", "unexpected '1'", 2),
    ],
)
def test_syntax_errors(inner, message, offset):
    assert error(inner) == (message, offset)


def test_error_is_an_exception_with_offset():
    with pytest.raises(ExpressionError) as info:
        parse("github.ref ==")
    assert str(info.value) == info.value.message == "expected an operand after '=='"
    assert info.value.offset == 13


def test_limits():
    assert isinstance(both("(" * 50 + "a" + ")" * 50), Group)
    assert isinstance(both("toJSON(" * 50 + "a" + ")" * 50), Call)
    assert isinstance(both("a[" * 50 + "0" + "]" * 50), Context)
    assert error("(" * 51 + "a" + ")" * 51) == ("expression nested deeper than 50 levels", 50)
    # Deep trees: compare sizes, as == on them would recurse too deeply.
    for inner in ("!" * 500 + "a", " && ".join(["a"] * 2000)):
        fast, slow = _parse(inner), _parse_grammar(inner)
        assert len(list(walk(fast))) == len(list(walk(slow))) == inner.count("a") * 2 - 1 + inner.count("!")
    assert error("a" * 21_001)[0] == "expression is longer than 21,000 characters"


def test_tabs_keep_offsets():
    node = both("toJSON(a)\t==\tb")
    assert (node.right.start, node.right.end) == (13, 14)
    assert error("f(a,\t)") == ("expected an argument after ','", 5)


def test_unicode_whitespace_is_skipped():
    # A narrow no-break space after `${{` (copied from docs) is accepted by GitHub.
    assert both("\u202fsecrets.TOKEN ") == Context("secrets", (Property("TOKEN", 8, 14),), 1, 14)
    assert isinstance(both("a\u00a0==\u3000b"), Binary)


_PIECES = [
    "a", "b.c", "steps.my-x.outputs.y", "'s'", "'it''s'", "1", "-2.5", "0xff", "true", "null", "NaN",
    "(", ")", "[", "]", ".", "*", ",", "!", "==", "!=", "<", "<=", ">", ">=", "&&", "||",
    "contains(", "format(", "toJSON(", "success()", " ", "\n", "\t", "=", "&", "'", '"', "x-", ".5", "a.*", "[*]", "[0]",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=10).map("".join))
def test_token_soup_fast_path_agrees_and_offsets_stay_inside(inner):
    try:
        fast = _parse(inner)
    except ExpressionError as exc:
        assert 0 <= exc.offset <= len(inner)
        fast = (exc.message, exc.offset)
    try:
        slow = _parse_grammar(inner)
    except ExpressionError as exc:
        slow = (exc.message, exc.offset)
    assert repr(fast) == repr(slow)  # repr: NaN != NaN
    if not isinstance(fast, tuple):
        for node in walk(fast):
            assert 0 <= node.start < node.end <= len(inner)
            assert inner[node.start : node.end].strip() == inner[node.start : node.end]


# --------------------------------------------------------------------------- context paths


@pytest.mark.parametrize(
    "inner, paths",
    [
        ("github.event.issue.title", [("github.event.issue.title", 0, 24)]),
        ("GitHub.Event.Issue.TITLE", [("github.event.issue.title", 0, 24)]),
        ("github.event['pull_request'].title", [("github.event.pull_request.title", 0, 34)]),
        ("github.event['Pull_Request']['title']", [("github.event.pull_request.title", 0, 37)]),
        ("secrets.X", [("secrets.x", 0, 9)]),
        ("secrets", [("secrets", 0, 7)]),
        ("needs.*.result", [("needs.*.result", 0, 14)]),
        ("github.event.commits[*].message", [("github.event.commits.*.message", 0, 31)]),
        ("github.event.commits[0].message", [("github.event.commits.*.message", 0, 31)]),
        # a computed index is `*` in the path, and its own contexts are listed too
        ("matrix[inputs.key].x", [("matrix.*.x", 0, 20), ("inputs.key", 7, 17)]),
        (
            "contains(github.event.pull_request.labels.*.name, 'x') && secrets.T",
            [("github.event.pull_request.labels.*.name", 9, 48), ("secrets.t", 58, 67)],
        ),
        # values read from a function result are not contexts; its arguments are
        ("fromJSON(steps.s.outputs.m).include", [("steps.s.outputs.m", 9, 26)]),
        ("format('{0}', 'github.event.issue.title')", []),
        ("true && 1 == 'x'", []),
    ],
)
def test_context_paths(inner, paths):
    assert context_paths(both(inner)) == paths


# --------------------------------------------------------------------------- finding


def test_find_expressions_basic():
    text = "echo ${{ github.ref }} and ${{secrets.X}}!"
    found = find_expressions(text)
    assert found == [Embedded(5, 22, " github.ref ", 8), Embedded(27, 41, "secrets.X", 30)]
    for e in found:
        assert text[e.start : e.start + 3] == "${{" and text[e.end - 2 : e.end] == "}}"
        assert text[e.inner_start : e.inner_start + len(e.inner)] == e.inner


def test_find_expressions_braces_inside_strings():
    text = "${{ format('{{0}}', x) }} ${{ '}}' }}"
    found = find_expressions(text)
    assert [e.inner for e in found] == [" format('{{0}}', x) ", " '}}' "]
    assert found[0].end == 25
    both(found[0].inner)


def test_find_expressions_escaped_quotes_and_nested_markers():
    text = "${{ 'it''s }} here' }}x${{ format('${{ {0} }}', a) }}"
    found = find_expressions(text)
    assert [e.inner for e in found] == [" 'it''s }} here' ", " format('${{ {0} }}', a) "]
    assert text[found[0].end :].startswith("x")


def test_find_expressions_adjacent_and_empty():
    found = find_expressions("${{a}}${{ }}${{}}")
    assert [(e.start, e.end, e.inner) for e in found] == [(0, 6, "a"), (6, 12, " "), (12, 17, "")]
    assert error(found[1].inner) == ("empty expression", 0)


def test_find_expressions_unterminated():
    found = find_expressions("a ${{ x }} b ${{ github.ref\nnext: line")
    assert found[0].end == 10
    assert found[1] == Embedded(13, None, " github.ref\nnext: line", 16)


def test_find_expressions_unterminated_string_swallows_the_rest():
    # Like GitHub: the quote opens a string, so the `}}` does not close the expression.
    found = find_expressions("${{ github.ref == 'main }} and more")
    assert len(found) == 1 and found[0].end is None


def test_find_expressions_no_marker():
    assert find_expressions("no expressions: $ { { } } ${ {") == []
    assert find_expressions("") == []


def test_find_expressions_does_not_import_pyparsing():
    code = (
        "import sys; from pipelint.expressions.github import find_expressions;"
        "find_expressions('${{ a }}'); assert 'pyparsing' not in sys.modules"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


# --------------------------------------------------------------------------- corpus sweeps


@functools.lru_cache(maxsize=None)
def _corpus_expressions(root: Path) -> list[tuple[str, str, bool]]:
    """(file, inner, closed) for every ``${{`` in a scalar of every YAML file under ``root``.

    ``if:`` values without ``${{`` are expressions too (GitHub wraps them). Files that are
    not loadable YAML are scanned as raw text.
    """
    out = []
    for folder, _dirs, files in os.walk(root):  # includes hidden `.github` folders
        for name in sorted(files):
            if not name.endswith((".yml", ".yaml")):
                continue
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, CORPUS)
            try:
                text = decode(Path(path).read_bytes())
                with warnings.catch_warnings():  # ruamel's notes on reused anchors
                    warnings.simplefilter("ignore")
                    documents = load_documents(text)
            except YamlError:
                out.extend((rel, e.inner, e.end is not None) for e in find_expressions(text))
                continue
            for document in documents:
                for key_path, node in walk_yaml(document.root):
                    if not isinstance(node, Scalar):
                        continue
                    if "${{" in node.value:
                        out.extend((rel, e.inner, e.end is not None) for e in find_expressions(node.value))
                    elif key_path and key_path[-1] == "if" and isinstance(node.typed(), str):
                        out.append((rel, node.value, True))
    return out


@functools.lru_cache(maxsize=None)
def _sweep(kind: str) -> tuple[int, dict[tuple[str, str], str]]:
    root = CORPUS / kind
    if not root.is_dir():
        pytest.skip(f"corpus folder {root} is missing")
    expressions = _corpus_expressions(root)
    failures = {}
    for rel, inner, closed in expressions:
        if not closed:
            failures[(rel, inner)] = "unterminated expression"
            continue
        try:
            parse(inner)
        except ExpressionError as exc:
            failures[(rel, inner)] = exc.message
    return len(expressions), failures


#: Expressions of the corpus that GitHub itself rejects. None so far: the only
#: suspicious ones (`${{\u202fsecrets.X }}`, a narrow no-break space pasted from docs)
#: are fine, because GitHub's lexer skips any Unicode whitespace.
GITHUB_INVALID: dict[tuple[str, str], str] = {}

_AL = "peers/actionlint/testdata"
#: actionlint's negative tests; each is reported as an expression error in the matching
#: `.out` file (a lexing error, an unknown function, an argument count, end of input).
ACTIONLINT_INVALID = {
    (f"{_AL}/err/issue193.yaml", ' env.OS == "macos-latest" '): "strings must use single quotes, not double quotes",
    (f"{_AL}/examples/contexts_and_builtin_funcs.yaml", " startWith('hello, world', 'lo,') "): (
        "unknown function 'startWith' (did you mean 'startsWith'?)"
    ),
    (f"{_AL}/examples/contexts_and_builtin_funcs.yaml", " startsWith('hello, world') "): (
        "startsWith() takes exactly 2 arguments, got 1"
    ),
    (f"{_AL}/examples/expression_syntax_error.yaml", ' "hello" '): "strings must use single quotes, not double quotes",
    (f"{_AL}/examples/expression_syntax_error.yaml", " 1 + 1 "): (
        "unexpected '+' (expressions have no arithmetic operators)"
    ),
    (f"{_AL}/examples/expression_syntax_error.yaml", " toJson(hashFiles('**/lock', '**/cache/') "): (
        "unbalanced parenthesis"
    ),
    (f"{_AL}/examples/expression_syntax_error.yaml", " github.event. "): "expected a property name or '*' after '.'",
}


@pytest.mark.parametrize(
    "kind, invalid, at_least",
    [
        ("github", GITHUB_INVALID, 20_000),
        ("peers/actionlint", ACTIONLINT_INVALID, 500),
        ("peers/zizmor", {}, 800),
    ],
)
def test_corpus_expressions_parse(kind, invalid, at_least):
    count, failures = _sweep(kind)
    assert count >= at_least
    assert failures == invalid


def test_fast_path_agrees_with_grammar_on_corpus():
    seen = set()
    for kind in ("github", "peers/actionlint", "peers/zizmor"):
        root = CORPUS / kind
        if not root.is_dir():
            pytest.skip(f"corpus folder {root} is missing")
        for _rel, inner, closed in _corpus_expressions(root):
            if not closed or inner in seen:
                continue
            seen.add(inner)
            try:
                fast = _parse(inner)
            except ExpressionError as exc:
                fast = (exc.message, exc.offset)
            try:
                slow = _parse_grammar(inner)
            except ExpressionError as exc:
                slow = (exc.message, exc.offset)
            assert fast == slow, inner
    assert len(seen) > 5000
