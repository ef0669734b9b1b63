"""Interval analysis of Argo metric conditions (pipelint.conditions)."""

from __future__ import annotations

import math

import pytest

from pipelint.conditions import ERROR, FAILED, INCONCLUSIVE, SUCCESSFUL, Unknown, analyse, outcome, shape_mistake
from pipelint.expressions.argo import parse


def regions(success, failure, shape="vector", specials=("NaN", "empty")):
    a = analyse(parse(success) if success else None, parse(failure) if failure else None, shape, specials)
    return a


def test_outcome_follows_evaluate_result():
    s, f = parse("result[0] >= 0.95"), parse("result[0] < 0.9")
    assert outcome(s, f, [0.99]) == SUCCESSFUL
    assert outcome(s, f, [0.5]) == FAILED
    assert outcome(s, f, [0.92]) == INCONCLUSIVE
    assert outcome(s, f, [math.nan]) == INCONCLUSIVE  # NaN compares false both ways
    assert outcome(s, f, []) == ERROR  # index out of range
    assert outcome(s, None, [0.5]) == FAILED  # failure is the negation of success
    assert outcome(None, f, [0.92]) == SUCCESSFUL
    assert outcome(None, None, [0.0]) == SUCCESSFUL
    overlap_s, overlap_f = parse("result[0] < 0.05"), parse("result[0] > 0.01")
    assert outcome(overlap_s, overlap_f, [0.03]) == FAILED  # failure wins


def test_gap_is_rendered_as_an_interval():
    a = regions("result[0] >= 0.95", "result[0] < 0.9")
    gaps = a.where(lambda r: r.phase == INCONCLUSIVE)
    assert [g.describe() for g in gaps] == ["[0.9, 0.95)", "NaN"]


def test_affine_sides_are_solved():
    a = regions("result[0] * 100 >= 95", "result[0] < 0.95", specials=())
    assert a.where(lambda r: r.phase == INCONCLUSIVE) == []
    a = regions("asFloat(result) - 1 > 0", "asFloat(result) < 0.5", shape="scalar", specials=())
    assert [g.describe() for g in a.where(lambda r: r.phase == INCONCLUSIVE)] == ["[0.5, 1]"]


def test_guarded_empty_vector_is_inconclusive():
    a = regions("len(result) > 0 && result[0] >= 0.95", "len(result) > 0 && result[0] < 0.95")
    assert [g.describe() for g in a.where(lambda r: r.phase == INCONCLUSIVE)] == ["NaN", "an empty result"]


def test_overlap():
    a = regions("result[0] < 0.05", "result[0] > 0.01", specials=())
    both = a.where(lambda r: r.success is True and r.failure is True)
    assert [r.describe() for r in both] == ["(0.01, 0.05)"]


def test_placeholder_threshold_is_unknown():
    with pytest.raises(Unknown):
        regions("result[0] >= {{args.min}}", "result[0] < {{args.min}}")


def test_non_affine_side_is_unknown():
    with pytest.raises(Unknown):
        regions("abs(result[0] - 1) < 0.1", "result[0] > 2")


def test_shape_mistakes():
    assert shape_mistake(parse("result >= 0.95"), "vector")
    assert shape_mistake(parse("result[0] >= 0.95"), "scalar")
    assert not shape_mistake(parse("result[0] >= 0.95"), "vector")
    assert not shape_mistake(parse("len(result) > 0"), "vector")
    assert not shape_mistake(parse("result >= 0.95"), "scalar")
    assert not shape_mistake(parse("result[0] >= {{args.x}}"), "scalar")  # unknown, not a mistake
