"""Argo Rollouts metric conditions (expr-lang as the controller compiles them)."""

from __future__ import annotations

import pytest

from pipelint.expressions import ExpressionError
from pipelint.expressions.argo import parse

VALID = [
    "result[0] >= 0.95",
    "result > 95",
    "len(result) > 0 && result[0] < 0.05",
    "len(result) == 0 || isNaN(result[0]) || result[0] < 0.95",
    "isNaN(result) or isInf(result)",
    "all(result, {# < 0.5})",
    "all(result, # < 0.5)",
    "any(result, {# > 1}) and not (len(result) == 0)",
    "filter(result, {.status == 'ok'}) != []",
    "default(result, 0) >= 1",
    "isNil(result) || result < 3",
    "asFloat(result) <= 0.3",
    "asInt(result) == 1",
    "result.major == '1'",
    "result.completed == true",
    "result?.data?.value > 2",
    'result == "{{args.success-condition}}"',
    "result[0] >= {{args.required-pod-count}}",
    "result[0] >= {{ args.threshold }}",
    "result in ['ok', \"ready\"]",
    "result not in [1, 2]",
    'result matches "^2.."',
    "result[0:2] == [1, 2]",
    "result[-1] > 0",
    "result ?? 0 > 1",
    "result[0] > 1 ? true : false",
    "-result[0] ** 2 < 0",
    "1_000 < result && result < 0x10_00",
    "result > .5 && result < 1e3",
    "let x = result[0]; x > 1 && x < 2",
    "result[0] >= 0.95\n  && result[0] <= 1",
    "`raw` == result",
    "sum(result) / len(result) > 0.9",
]


@pytest.mark.parametrize("text", VALID)
def test_valid_conditions_parse(text):
    assert parse(text)


INVALID = [
    ("result[0] >= ", 10, "'>=' has no right operand"),
    ("result[0] = 1", 10, "compare with '=='"),
    ("result[0] => 1", 10, "unknown operator '=>'"),
    ("result >> 1", 7, "unknown operator '>>'"),
    ("result[0] >= 0.95 &", 18, "the operator is '&&'"),
    ("(result[0] > 1", 0, "unclosed '('"),
    ("result[0] > 1)", 13, "')' closes nothing"),
    ("result == 'ok", 10, "unterminated string"),
    ("asFloat(result) <= asFloat(args.max-p95-ms)", 27, "unknown name 'args'"),
    ("foo(result)", 0, "unknown name 'foo'"),
    ("result > limit", 9, "unknown name 'limit'"),
    ("result[0] > 0.3 and", 16, "'and' has no right operand"),
    ("", 0, "empty condition"),
]


@pytest.mark.parametrize("text,offset,message", INVALID)
def test_invalid_conditions_report_offset(text, offset, message):
    with pytest.raises(ExpressionError) as err:
        parse(text)
    assert err.value.offset == offset
    assert message in err.value.message


def test_precedence_follows_expr_lang():
    # && binds tighter than ||; '**' tighter than unary minus; comparisons over arithmetic
    assert parse("a || b && c".replace("a", "isNil(result)").replace("b", "true").replace("c", "false"))[1] == "||"
    tree = parse("-result[0] ** 2 < 0")
    assert tree[1] == "<" and tree[2][0] == "unary" and tree[2][2][1] == "**"
    assert parse("result[0] * 100 >= 95")[2][1] == "*"


def test_deep_nesting_is_an_error_not_a_crash():
    with pytest.raises(ExpressionError):
        parse("(" * 5000 + "result" + ")" * 5000)


def test_comments_are_blank_and_keep_offsets():
    assert parse("result[0] > 1 // why (not 2\n && /* ( */ true")[1] == "&&"
    with pytest.raises(ExpressionError) as err:
        parse("/* note */ result[0] >")
    assert err.value.offset == 21


def test_unusual_spaces_are_errors_not_crashes():
    # U+2028 (LINE SEPARATOR) and NBSP are not spaces to expr-lang's lexer
    for text, offset in (("is\u2028NaN(result)", 2), ("result\u00a0> 1", 6)):
        with pytest.raises(ExpressionError) as err:
            parse(text)
        assert err.value.offset == offset and "unexpected character U+" in err.value.message
