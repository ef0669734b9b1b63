"""Azure Pipelines expression grammar (pipelint.expressions.azure)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelint.expressions.azure import (
    SPLICE,
    Call,
    ExpressionError,
    Index,
    Literal,
    NamedValue,
    Property,
    Splice,
    find_expressions,
    mask_splices,
    named_paths,
    parse,
    parse_directive,
)

VALID = [
    "succeeded()",
    "and(succeeded(), eq(variables['Build.Reason'], 'Manual'))",
    "and(succeeded(), ne(variables['Build.SourceBranch'], 'refs/heads/main'))",
    "or(failed(), canceled())",
    "succeededOrFailed()",
    "Always()",  # function names are case-insensitive
    "eq(dependencies.Build.result, 'Succeeded')",
    "eq(stageDependencies.S.J.outputs['step.var'], 'true')",
    "in(dependencies.A.result, 'Succeeded', 'SucceededWithIssues')",
    "notIn(variables['Build.Reason'], 'PullRequest')",
    "eq(parameters.x, True)",
    "eq(variables.flag, false)",
    "ne(variables.x, null)",
    "ge(variables.version, 1.2.3)",
    "gt(length(parameters.list), 0)",
    "eq(format('{0}-{1}', 'a', 'it''s'), 'x')",
    "coalesce(variables.a, variables.b, 'default')",
    "iif(eq(parameters.env, 'prod'), 'Release', 'Debug')",
    "split(variables['Build.SourceBranch'], '/')[2]",
    "counter(format('{0:yyyyMMdd}', pipeline.startTime), 0)",
    "containsValue(parameters.targets, 'linux')",
    "convertToJson(parameters.config)",
    "join(';', parameters.items)",
    "replace(lower(variables['Build.SourceBranchName']), '_', '-')",
    "dependencies.*.result",
    "parameters.matrix[*].name",
    "succeeded('Build', 'Test')",
    "-1.5",
    "xor(true, false)",
]

INVALID = [
    ("", "empty expression", 0),
    ("succeeded", "write succeeded()", 0),
    ("eq(variables.x == 1)", "no operators", 15),
    ("and(succeeded() && failed())", "no operators", 16),
    ("eq(\"a\", 'b')", "single quotes", 3),
    ("startWith(variables.a, 'x')", "did you mean 'startsWith'", 0),
    ("eq(variables.a)", "exactly 2 arguments", 0),
    ("and(succeeded())", "at least 2 arguments", 0),
    ("always(1)", "no arguments", 0),
    ("and(a, b", "expected ',' or ')'", 8),
    ("not(a))", "')' without '('", 6),
    ("eq(a, 'x)", "unterminated string", 6),
    ("eq(a,)", "expected a value", 5),
    ("variables[]", "index inside", 10),
    ("'x'.length", "after a literal", 3),
    ("eq(a, b) eq(c, d)", "after a complete expression", 9),
    ("cancelled()", "did you mean 'canceled'", 0),
    ("variables.", "after '.'", 10),
]


@pytest.mark.parametrize("text", VALID)
def test_valid(text):
    parse(text)


@pytest.mark.parametrize("text,message,offset", INVALID)
def test_invalid(text, message, offset):
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert message in info.value.message
    assert info.value.offset == offset


def test_ast():
    tree = parse("eq(variables['Build.Reason'], 'Manual')")
    assert isinstance(tree, Call) and tree.name == "eq"
    named, lit = tree.args
    assert isinstance(named, NamedValue) and named.name == "variables"
    assert isinstance(named.segments[0], Index) and named.segments[0].index.value == "Build.Reason"
    assert lit == Literal("Manual", "string", 30, 38)
    assert parse("True") == Literal(True, "bool", 0, 4)
    assert parse("1.2.3").kind == "version"
    assert named_paths(parse("and(eq(variables['Build.Reason'], 'x'), parameters.Deploy.Env)")) == [
        ("variables.build.reason", 7, 32),
        ("parameters.deploy.env", 40, 61),
    ]
    assert parse("a.b").segments == (Property("b", 1, 3),)


def test_find_expressions():
    text = "echo ${{ parameters.a }} and ${{ format('}}', 1) }} tail ${{ open"
    found = find_expressions(text)
    assert [(e.kind, e.inner) for e in found] == [
        ("compile", " parameters.a "),
        ("compile", " format('}}', 1) "),
        ("compile", " open"),
    ]
    assert found[0].start == 5 and found[0].end == 24 and text[found[0].inner_start] == " "
    assert found[-1].end is None
    runtime = find_expressions("  $[ eq(variables.a, 'b') ]")
    assert [(e.kind, e.inner, e.start, e.end) for e in runtime] == [("runtime", " eq(variables.a, 'b') ", 2, 27)]
    # $[ ] that is not the whole value is not an Azure runtime expression (bash arithmetic)
    assert find_expressions("echo $[1+2]") == []


def test_splices():
    text = "and(succeeded(), eq('${{ parameters.x }}', 'true'), ne($(var), ''))"
    masked = mask_splices(text)
    assert "${{" not in masked and "$(" not in masked and len(masked) == len(text)
    parse(masked)
    # one splice may expand to several arguments: no argument count then
    assert isinstance(parse("and(${{ parameters.conditions }})").args[0], Splice)
    # a splice inside a name
    parse("eq(dependencies.Prepare${{ parameters.suffix }}.outputs['a.b'], 'true')")
    parse(" ${{ parameters.matrix }} ")
    assert SPLICE not in "${{"


def test_directives():
    d = parse_directive(" if eq(parameters.x, true) ")
    assert d.keyword == "if" and isinstance(d.condition, Call) and d.condition.start == 4
    assert parse_directive(" elseif ne(a, b)").keyword == "elseif"
    assert parse_directive(" else ").keyword == "else"
    assert parse_directive(" insert ").keyword == "insert"
    each = parse_directive(" each stage in parameters.stages ")
    assert each.variable == "stage" and each.collection.name == "parameters"
    assert parse_directive(" parameters.x ") is None
    assert parse_directive(" iif(a, b, c) ") is None
    for bad, message in ((" if ", "needs a condition"), (" each s parameters.x", "each <name> in"), (" else x", "after 'else'"), (" if eq(a) ", "exactly 2")):
        with pytest.raises(ExpressionError, match=message):
            parse_directive(bad)


CORPUS = Path(os.environ.get("PIPELINT_CORPUS", "/work/shared/corpus")) / "azure"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not available")
def test_corpus_all_parse():
    """Every condition:, ${{ }} (values and keys) and $[ ] in the Azure corpus."""
    from pipelint.yamltree import Mapping, Scalar, Sequence, load_documents

    failures: list = []
    count = 0

    def check(text, path, kind):
        nonlocal count
        count += 1
        try:
            if kind == "condition":
                parse(text)
                return
            for e in find_expressions(text):
                assert e.end is not None, (path, text)
                if e.kind == "runtime" or parse_directive(e.inner) is None:
                    parse(e.inner)
        except ExpressionError as err:
            failures.append((path, text, err.message))

    def visit(node, path):
        if isinstance(node, Mapping):
            for key, knode, value in node.items():
                if isinstance(knode, Scalar) and isinstance(knode.value, str) and "${{" in knode.value:
                    check(knode.value, path, "key")
                if key == "condition" and isinstance(value, Scalar) and isinstance(value.value, str) and value.value.strip():
                    check(value.value, path, "condition")
                visit(value, path)
        elif isinstance(node, Sequence):
            for item in node:
                visit(item, path)
        elif isinstance(node, Scalar) and isinstance(node.value, str) and ("${{" in node.value or "$[" in node.value):
            check(node.value, path, "value")

    for path in sorted(CORPUS.rglob("*.y*ml")):
        try:
            docs = load_documents(path.read_text(encoding="utf-8", errors="replace"))
        except Exception:
            continue
        for doc in docs:
            visit(doc.root, str(path))
    assert count > 5000
    assert failures == []
