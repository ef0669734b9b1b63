"""GitLab ``rules: if:`` expression grammar (pipelint.expressions.gitlab)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelint.expressions.gitlab import (
    Binary,
    ExpressionError,
    Input,
    Literal,
    Opaque,
    Pattern,
    Variable,
    parse,
    regex_error,
    variables,
)

VALID = [
    '$CI_PIPELINE_SOURCE == "merge_request_event"',
    "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH",
    "$CI_COMMIT_TAG",
    '$CI_COMMIT_BRANCH != "main" && $CI_PIPELINE_SOURCE != "schedule"',
    "$CI_COMMIT_TAG =~ /^v\\d+\\.\\d+\\.\\d+$/",
    "$CI_COMMIT_MESSAGE !~ /\\[skip e2e\\]/i",
    "($A || $B) && $C == null",
    "$CI_COMMIT_REF_NAME =~ /^release\\/.*/",
    "$X == 'single'",
    "$X == true || $Y == false",
    "$[[ inputs.stage ]] == 'deploy'",
    "${CI_COMMIT_BRANCH} == 'main'",  # braces: accepted leniently
    "$A =~ /\\pL+\\z/",  # RE2-only syntax Python rejects
    "$A =~ /(?<name>x)/",
    "$A =~ /(?i)abc(?U)d+/",
    "$A =~ /[[:alpha:]]+/",
    "$A =~ /\\Q1.2\\E/",
    "$A $B ==",  # GitLab's shunting-yard accepts postfix order
    "$A\n  && $B",
    "$CI_COMMIT_REF_NAME =~ /($JAVA_PROJECTS)@(.+)/",
]

INVALID = [
    ("", "empty expression", 0),
    ('$A = "x"', "unexpected '='", 3),
    ("$A == ", "no right operand", 3),
    ("== $A", "no left operand", 0),
    ("($A == 'x'", "never closed", 0),
    ("$A == 'x')", "without '('", 9),
    ("$A $B", "missing operator", 3),
    ("!$A", "no '!' negation", 0),
    ("$A == main", "strings need quotes", 6),
    ("$A == 'x", "unterminated string", 6),
    ("$A =~ /^(?!main$)/", "look-ahead", 6),
    ("$A =~ /(a)\\1/", "back-references", 6),
    ("$A =~ /a++/", "possessive", 6),
    ("$A =~ /a{1001}/", "above 1000", 6),
    ("$A =~ /(abc/", "invalid regular expression", 6),
    ("$A =~ /xy/g", "unexpected 'g'", 10),
    ("$A =~ /x/", "one-character regex", 6),
    ("$A == NULL", "lower-case", 6),
    ("$A < 3", "unexpected '<'", 3),
    ("$A & $B", "use '&&'", 3),
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


def test_ast_precedence():
    tree = parse('$A == "1" || $B && $C =~ /x.y/s')
    assert isinstance(tree, Binary) and tree.op == "||"
    assert isinstance(tree.left, Binary) and tree.left.op == "=="
    assert tree.right.op == "&&"
    assert tree.right.right.op == "=~"
    pattern = tree.right.right.right
    assert isinstance(pattern, Pattern) and pattern.source == "x.y" and pattern.flags == "s"
    assert [v.name for v in variables(tree)] == ["A", "B", "C"]


def test_nodes_and_offsets():
    tree = parse("  $[[ inputs.env ]] != 'prod'")
    assert isinstance(tree.left, Input) and tree.left.name == "env" and tree.left.start == 2
    assert tree.right == Literal("prod", 23, 29)
    assert parse("$X") == Variable("X", 0, 2)
    assert parse("null") == Literal(None, 0, 4)
    assert parse("$A =~ /a\\/b/").right.source == "a/b"


def test_opaque_interpolation():
    assert isinstance(parse("$[[ inputs.x | expand_vars ]] =~ /y/"), Opaque)


def test_too_many_tokens():
    parse(" && ".join(["$A"] * 50))  # 99 tokens
    with pytest.raises(ExpressionError, match="too many tokens"):
        parse(" && ".join(["$A"] * 51))


def test_regex_error_is_lenient_on_re2_syntax():
    for ok in ("\\pN", "\\p{Greek}", "\\PL", "\\z", "(?P<x>a)", "[^[:space:]]", "a{,3}", "(?s:.)"):
        assert regex_error(ok) is None, ok
    assert regex_error("(?<=a)b") is not None
    assert regex_error("[(?=a)]") is None  # inside a class it is just characters


CORPUS = Path(os.environ.get("PIPELINT_CORPUS", "/work/shared/corpus"))


@pytest.mark.skipif(not (CORPUS / "gitlab").is_dir(), reason="corpus not available")
def test_corpus_rules_if_all_parse():
    """Every `if:` under `rules:` and `only/except: variables:` in the GitLab corpus."""
    from pipelint.yamltree import Mapping, Scalar, Sequence, load_documents

    found: list[tuple[str, str]] = []

    def visit(node, path):
        if isinstance(node, Mapping):
            for key, _, value in node.items():
                if key == "rules" and isinstance(value, Sequence):
                    for rule in value:
                        cond = rule.get("if") if isinstance(rule, Mapping) else None
                        if isinstance(cond, Scalar) and cond.value:
                            found.append((path, cond.value))
                if key in ("only", "except") and isinstance(value, Mapping):
                    seq = value.get("variables")
                    if isinstance(seq, Sequence):
                        found.extend((path, s.value) for s in seq if isinstance(s, Scalar) and s.value)
                visit(value, path)
        elif isinstance(node, Sequence):
            for item in node:
                visit(item, path)

    roots = [CORPUS / "gitlab", *sorted((CORPUS / "peers").glob("gitlab-ci-*"))]
    for root in roots:
        for path in sorted(root.rglob("*.y*ml")):
            try:
                docs = load_documents(path.read_text(encoding="utf-8", errors="replace"))
            except Exception:
                continue
            for doc in docs:
                visit(doc.root, str(path))
    assert len(found) > 2000
    failures = []
    for path, text in found:
        try:
            parse(text)
        except ExpressionError as err:
            failures.append((path, text, err.message))
    assert failures == []
