"""Interval analysis of an Argo metric's ``successCondition`` / ``failureCondition``.

The controller judges one measurement like this (``evaluate.EvaluateResult``): a condition
that errors makes the measurement Error; with both conditions set, failure wins, success
is next, and a result that satisfies neither is Inconclusive; with one condition, the
other is its negation. This module finds, for the result values a provider can return,
which outcome each value gets — without running anything:

1. Every comparison in the conditions whose one side depends on ``result`` and whose
   other side is a constant is an *atom*. Its result-dependent side, as a function of the
   measured number ``x``, is sampled at three points; when it is affine
   (``result[0] * 100``, ``asFloat(result) - 1``) its boundary ``x0`` is solved exactly.
   A side that is not affine, or a threshold that is an Argo placeholder, makes the
   analysis unknown: no conclusion is drawn.
2. The boundaries cut the number line into regions on which every atom — and so each
   condition — is constant: each boundary point, the open interval between two, and the
   two unbounded ends. One representative per region is evaluated (by :func:`evaluate`,
   which follows expr-lang's and Go's semantics: NaN compares false, indexing out of
   range errors, ``&&``/``||`` short-circuit).
3. Special results are added where the provider returns them: for a Prometheus
   instant-vector query an empty vector (no series matched) and NaN (``0/0`` when a ratio
   has no traffic); NaN for a Prometheus scalar query.

The result shape (``scalar``: a float; ``vector``: a list of floats, judged here as one
element) comes from the query's PromQL type, or, when unknown, from how the conditions
use ``result`` (``result[0]``, ``len(result)`` mean a list).
"""

from __future__ import annotations

import math
import re
import weakref
from dataclasses import dataclass, field

from .expressions.argo import walk

SUCCESSFUL, FAILED, INCONCLUSIVE, ERROR = "Successful", "Failed", "Inconclusive", "Error"


class EvalError(Exception):
    """The condition errors at run time for this result (a measurement in Error)."""

    def __init__(self, message: str, type_mismatch: bool = False):
        super().__init__(message)
        self.type_mismatch = type_mismatch


class Unknown(Exception):
    """Something this analysis does not model: no conclusion is drawn."""


# --------------------------------------------------------------------------- evaluation

_MISSING = object()


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _truth(v) -> bool:
    if isinstance(v, bool):
        return v
    raise EvalError(f"expected bool, got {type(v).__name__}", type_mismatch=True)


def _number(v, op: str):
    if _is_number(v):
        return v
    if isinstance(v, list):
        raise EvalError(f"'{op}' on a list", type_mismatch=True)
    if v is None:
        raise EvalError(f"'{op}' on nil")
    raise EvalError(f"'{op}' on {type(v).__name__}", type_mismatch=True)


def _compare(op: str, a, b):
    if op in ("==", "!="):
        if isinstance(a, list) != isinstance(b, list) and a is not None and b is not None:
            raise EvalError("comparison of a list with a single value", type_mismatch=True)
        equal = a == b and not (_is_number(a) and _is_number(b) and (math.isnan(a) or math.isnan(b)))
        if _is_number(a) != _is_number(b) and a is not None and b is not None:
            raise Unknown()  # mixed-type equality: depends on expr's static types
        return equal if op == "==" else not equal
    if isinstance(a, str) and isinstance(b, str):
        return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
    a, b = _number(a, op), _number(b, op)
    return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]


def _arith(op: str, a, b):
    if op == "+" and isinstance(a, str) and isinstance(b, str):
        return a + b
    if op == "+" and isinstance(a, list) and isinstance(b, list):
        return a + b
    a, b = _number(a, op), _number(b, op)
    try:
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            if b != 0:
                return a / b
            return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a) * math.copysign(1.0, b)
        if op == "%":
            if not (isinstance(a, int) and isinstance(b, int)):
                raise EvalError("'%' needs integers", type_mismatch=True)
            if b == 0:
                raise EvalError("integer divide by zero")
            return int(math.fmod(a, b))
        if op in ("**", "^"):
            return float(a) ** float(b)
    except (OverflowError, ZeroDivisionError, ValueError):
        raise Unknown() from None
    raise Unknown()


def _as_float(v):
    if _is_number(v):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            raise EvalError("asFloat: not a number") from None
    raise EvalError(f"asFloat() not supported on {type(v).__name__}", type_mismatch=isinstance(v, list))


def _call(name: str, args: list, env: dict, raw: list):
    result = env.get("result")
    if name == "len":
        (v,) = args
        if isinstance(v, (list, str, dict)):
            return len(v)
        raise EvalError(f"len() of {type(v).__name__}", type_mismatch=True)
    if name in ("isNaN", "isInf"):
        (v,) = args
        if isinstance(v, float):
            return math.isnan(v) if name == "isNaN" else math.isinf(v)
        if isinstance(v, int) and not isinstance(v, bool):
            raise Unknown()  # expr may convert an int constant
        raise EvalError(f"{name}() of {type(v).__name__}", type_mismatch=isinstance(v, list))
    if name == "asFloat":
        return _as_float(args[0])
    if name == "asInt":
        v = args[0]
        if _is_number(v):
            if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
                raise Unknown()
            return int(v)
        if isinstance(v, str):
            try:
                return int(v)
            except ValueError:
                raise EvalError("asInt: not an integer") from None
        raise EvalError(f"asInt() not supported on {type(v).__name__}", type_mismatch=isinstance(v, list))
    if name == "default":
        # Argo's default() ignores its first argument: the measured result, unless nil
        return args[1] if result is None else result
    if name == "isNil":
        return result is None
    if name == "abs":
        return abs(_number(args[0], "abs"))
    if name in ("int", "float"):
        v = _number(args[0], name)
        if name == "int":
            if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
                raise Unknown()
            return int(v)
        return float(v)
    if name in ("min", "max", "sum", "mean", "first", "last"):
        values = args[0] if len(args) == 1 and isinstance(args[0], list) else args
        if name in ("first", "last"):
            if not isinstance(args[0], list):
                raise EvalError(f"{name}() of {type(args[0]).__name__}", type_mismatch=True)
            return (values[0] if name == "first" else values[-1]) if values else None
        numbers = [_number(v, name) for v in values]
        if name == "sum":
            return sum(numbers)
        if not numbers:
            raise EvalError(f"{name}() of an empty list")
        if name == "mean":
            return sum(numbers) / len(numbers)
        return min(numbers) if name == "min" else max(numbers)
    if name in ("all", "any", "none", "one", "filter", "map", "count", "find"):
        items = args[0]
        if not isinstance(items, list):
            raise EvalError(f"{name}() of {type(items).__name__}", type_mismatch=True)
        predicate = raw[1] if len(raw) > 1 else None
        if predicate is None:
            if name == "count":
                return sum(1 for v in items if v is True)
            raise Unknown()
        body = predicate[1] if predicate[0] == "predicate" else predicate
        values = []
        for v in items:
            values.append(_eval(body, {**env, "#": v}))
        if name == "map":
            return values
        flags = [_truth(v) for v in values]
        if name == "all":
            return all(flags)
        if name == "any":
            return any(flags)
        if name == "none":
            return not any(flags)
        if name == "one":
            return sum(flags) == 1
        if name == "count":
            return sum(flags)
        if name == "filter":
            return [v for v, f in zip(items, flags) if f]
        return next((v for v, f in zip(items, flags) if f), None)
    raise Unknown()


_LAZY_CALLS = frozenset({"all", "any", "none", "one", "filter", "map", "count", "find"})


def _eval(node, env: dict):
    tag = node[0]
    if tag == "num" or tag == "str" or tag == "bool":
        return node[1]
    if tag == "nil":
        return None
    if tag == "name":
        if node[1] in env:
            return env[node[1]]
        raise Unknown()
    if tag == "pointer":
        if node[1] == "#" and "#" in env:
            return env["#"]
        raise Unknown()
    if tag == "binary":
        op = node[1]
        if op == "&&":
            return _truth(_eval(node[2], env)) and _truth(_eval(node[3], env))
        if op == "||":
            return _truth(_eval(node[2], env)) or _truth(_eval(node[3], env))
        if op == "??":
            left = _eval(node[2], env)
            return _eval(node[3], env) if left is None else left
        a, b = _eval(node[2], env), _eval(node[3], env)
        if op in ("==", "!=", "<", ">", "<=", ">="):
            return _compare(op, a, b)
        if op in ("+", "-", "*", "/", "%", "**", "^"):
            return _arith(op, a, b)
        if op in ("in", "not in"):
            if isinstance(b, list):
                found = any(a == v for v in b)
            elif isinstance(b, dict):
                found = a in b
            else:
                raise EvalError("'in' needs a list or map", type_mismatch=True)
            return found if op == "in" else not found
        raise Unknown()
    if tag == "unary":
        v = _eval(node[2], env)
        if node[1] == "!":
            return not _truth(v)
        v = _number(v, node[1])
        return -v if node[1] == "-" else v
    if tag == "index":
        obj, key = _eval(node[1], env), _eval(node[2], env)
        if isinstance(obj, list):
            if not isinstance(key, int) or isinstance(key, bool):
                raise EvalError("list index is not an integer", type_mismatch=True)
            if key < 0:
                key += len(obj)
            if not 0 <= key < len(obj):
                raise EvalError("index out of range")
            return obj[key]
        if isinstance(obj, dict):
            return obj.get(key)
        if obj is None:
            raise EvalError("index of nil")
        raise EvalError(f"cannot index {type(obj).__name__}", type_mismatch=True)
    if tag == "call":
        callee = node[1]
        if callee[0] != "name" or callee[1] in env:
            raise Unknown()
        raw = node[2]
        if callee[1] in _LAZY_CALLS:
            args = [_eval(raw[0], env)] if raw else []
        else:
            args = [_eval(a, env) for a in raw]
        try:
            return _call(callee[1], args, env, raw)
        except (IndexError, TypeError, ValueError):
            raise Unknown() from None
    if tag == "ternary":
        return _eval(node[2], env) if _truth(_eval(node[1], env)) else _eval(node[3], env)
    if tag == "array":
        return [_eval(v, env) for v in node[1]]
    if tag == "group":
        return _eval(node[1], env)
    raise Unknown()  # placeholders, members, slices, maps, let, pipes...


def evaluate(tree, result) -> bool:
    """The condition's value for one measured ``result``; :class:`EvalError` when the
    controller would get an error, :class:`Unknown` when not modelled."""
    value = _eval(tree, {"result": result})
    if not isinstance(value, bool):
        raise EvalError(f"expected bool, but got {type(value).__name__}", type_mismatch=True)
    return value


def outcome(success, failure, result) -> str:
    """The measurement's phase for ``result`` (trees or None), as ``EvaluateResult`` decides."""
    try:
        s = evaluate(success, result) if success is not None else None
        f = evaluate(failure, result) if failure is not None else None
    except EvalError:
        return ERROR
    if s is None and f is None:
        return SUCCESSFUL
    if f is None:
        f = not s
    elif s is None:
        s = not f
    if f:
        return FAILED
    return SUCCESSFUL if s else INCONCLUSIVE


# --------------------------------------------------------------------------- regions


def mentions_result(node) -> bool:
    return any(n[0] == "name" and n[1] == "result" for n in walk(node))


def has_placeholder(node) -> bool:
    return any(n[0] == "placeholder" for n in walk(node))


def _reads_list(n) -> bool:
    if n[0] in ("index", "slice"):
        return n[1][:2] == ("name", "result")
    if n[0] == "call" and n[1][0] == "name" and (n[1][1] == "len" or n[1][1] in _LAZY_CALLS):
        return bool(n[2]) and n[2][0][:2] == ("name", "result")
    return False


def uses_list(node) -> bool:
    """Whether a condition reads ``result`` as a list (``result[0]``, ``len(result)``,
    ``all(result, ...)``)."""
    return any(_reads_list(n) for n in walk(node))


def _atoms(node):
    """Comparisons with exactly one side that depends on ``result`` (a comparison nested
    in such a side is an atom too: an extra boundary only refines the regions)."""
    for n in walk(node):
        if n[0] == "binary" and n[1] in ("==", "!=", "<", ">", "<=", ">="):
            left, right = mentions_result(n[2]), mentions_result(n[3])
            if left != right:
                yield (n[2], n[3]) if left else (n[3], n[2])


def _boundaries(trees, make) -> list[float]:
    """The values of ``x`` where some atom of the trees changes truth (see module doc)."""
    points: set[float] = set()
    for tree in trees:
        for side, const in _atoms(tree):
            if has_placeholder(const):
                raise Unknown()
            try:
                c = _eval(const, {})
            except EvalError:
                raise Unknown() from None
            if not _is_number(c):
                raise Unknown()  # strings, bools, nil: not a number line
            try:
                g = [_eval(side, {"result": make(float(x))}) for x in (0, 1, 2)]
            except EvalError:
                continue  # errors for every x (a type mistake): no boundary to find
            if not all(_is_number(v) for v in g):
                if all(isinstance(v, bool) for v in g):
                    continue
                raise Unknown()
            slope = g[1] - g[0]
            if not math.isclose(g[2] - g[1], slope, rel_tol=1e-9, abs_tol=1e-12):
                raise Unknown()  # not affine in x
            if slope == 0:
                continue  # does not depend on the value (len(result) of one element)
            points.add(round((c - g[0]) / slope, 12))
    return sorted(points)


@dataclass
class Region:
    """Results from ``low`` to ``high`` (points when equal), or a special result."""

    low: float
    high: float
    low_closed: bool
    high_closed: bool
    sample: object
    phase: str
    success: object  # True / False / "error" / None (no condition)
    failure: object
    special: str = ""  # "NaN", "empty": not on the number line

    def describe(self) -> str:
        if self.special == "NaN":
            return "NaN"
        if self.special == "empty":
            return "an empty result"
        if self.low == self.high:
            return f"= {_fmt(self.low)}"
        if self.low == -math.inf:
            return ("<= " if self.high_closed else "< ") + _fmt(self.high)
        if self.high == math.inf:
            return (">= " if self.low_closed else "> ") + _fmt(self.low)
        return ("[" if self.low_closed else "(") + f"{_fmt(self.low)}, {_fmt(self.high)}" + ("]" if self.high_closed else ")")


    def phrase(self) -> str:
        """The region in a sentence: "results in [0.9, 0.95)", "a result of 3", "NaN"."""
        if self.special:
            return self.describe()
        if self.low == self.high:
            return f"a result of {_fmt(self.low)}"
        text = self.describe()
        return f"results {text}" if text[0] in "<>" else f"results in {text}"


def _fmt(x: float) -> str:
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return format(x, ".6g")


@dataclass
class Analysis:
    """Every region of the result space with its phase (see :func:`analyse`)."""

    shape: str
    regions: list = field(default_factory=list)

    def where(self, test) -> list:
        return merge([r for r in self.regions if test(r)])


def merge(regions: list) -> list:
    """Adjacent number-line regions joined into intervals; special ones kept apart."""
    out: list = []
    for r in regions:
        if r.special:
            out.append(r)
            continue
        last = out[-1] if out and not out[-1].special else None
        if last is not None and last.high == r.low and (last.high_closed or r.low_closed):
            out[-1] = Region(last.low, r.high, last.low_closed, r.high_closed, last.sample, last.phase, last.success, last.failure)
        else:
            out.append(r)
    return out


def _truth_of(tree, result):
    if tree is None:
        return None
    try:
        return evaluate(tree, result)
    except EvalError:
        return "error"


def analyse(success, failure, shape: str, specials: tuple = ()) -> Analysis:
    """Regions of the result space for parsed conditions (either may be None).

    ``shape``: ``"scalar"`` (result is a number) or ``"vector"`` (a list of numbers,
    judged as one element). ``specials``: ``"NaN"`` and/or ``"empty"`` (vector only).
    Raises :class:`Unknown` when the conditions are beyond this analysis.
    """
    trees = [t for t in (success, failure) if t is not None]

    def make(x):
        return [x] if shape == "vector" else x

    points = _boundaries(trees, make)
    samples: list = []
    if not points:
        samples.append((-math.inf, math.inf, False, False, 0.0))
    else:
        samples.append((-math.inf, points[0], False, False, points[0] - max(1.0, abs(points[0]))))
        for i, p in enumerate(points):
            samples.append((p, p, True, True, p))
            if i + 1 < len(points):
                samples.append((p, points[i + 1], False, False, (p + points[i + 1]) / 2))
        samples.append((points[-1], math.inf, False, False, points[-1] + max(1.0, abs(points[-1]))))
    analysis = Analysis(shape)
    for low, high, lc, hc, x in samples:
        value = make(float(x))
        analysis.regions.append(Region(low, high, lc, hc, value, outcome(success, failure, value), _truth_of(success, value), _truth_of(failure, value)))
    for special in specials:
        if special == "NaN":
            value = make(math.nan)
        elif special == "empty" and shape == "vector":
            value = []
        else:
            continue
        analysis.regions.append(
            Region(0, 0, True, True, value, outcome(success, failure, value), _truth_of(success, value), _truth_of(failure, value), special=special)
        )
    return analysis


def shape_mistake(tree, shape: str) -> bool:
    """The condition reads ``result`` as the other shape: it errors with a type mismatch
    for every number in ``shape`` and evaluates cleanly in the other shape."""
    other = "scalar" if shape == "vector" else "vector"

    def make(s, x):
        return [x] if s == "vector" else x

    try:
        for x in (0.0, 0.5, 1.0, 100.0):
            try:
                evaluate(tree, make(shape, x))
                return False
            except EvalError as err:
                if not err.type_mismatch:
                    return False
        for x in (0.0, 0.5, 1.0, 100.0):
            try:
                evaluate(tree, make(other, x))
            except EvalError:
                return False
    except (Unknown, RecursionError):
        return False
    return True


# --------------------------------------------------------------------------- metrics


@dataclass(eq=False)
class MetricConditions:
    """A metric's parsed conditions and what the analysis made of them."""

    success: object  # AST or None
    failure: object
    #: ``"scalar"`` or ``"vector"``; ``shape_known``: read from the PromQL query's type
    #: (not guessed from how the conditions use ``result``).
    shape: str
    shape_known: bool
    #: None when the conditions are beyond the analysis (:class:`Unknown`).
    analysis: Analysis | None


_READ: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def read_metric(metric) -> MetricConditions | None:
    """The conditions of a metric whose provider applies them, parsed and analysed; None
    when it has none, when one does not parse (PL004 reports it) or for a provider that
    decides its own outcome (Job, Kayenta, plugins)."""
    if not metric.judged_by_conditions or (metric.success is None and metric.failure is None):
        return None
    if metric in _READ:
        return _READ[metric]
    value = _READ[metric] = _read_metric(metric)
    return value


def _read_metric(metric) -> MetricConditions | None:
    from .expressions import ExpressionError
    from .expressions.argo import parse

    trees = []
    for node in (metric.success, metric.failure):
        if node is None:
            trees.append(None)
            continue
        try:
            trees.append(parse(node.value))
        except ExpressionError:
            return None
    success, failure = trees
    shape, known, specials = None, False, ()
    if metric.provider == "prometheus":
        shape = _query_type(metric)
        known = shape is not None
        specials = ("NaN", "empty") if _query_can_be_nan(metric) else ("empty",)
    if shape is None:
        shape = "vector" if any(t is not None and uses_list(t) for t in trees) else "scalar"
    try:
        analysis = analyse(success, failure, shape, specials)
    except (Unknown, RecursionError):
        analysis = None
    return MetricConditions(success, failure, shape, known, analysis)


def _query_type(metric) -> str | None:
    """``scalar``/``vector`` from the PromQL type of a Prometheus metric's query."""
    node = metric.provider_node.get("query") if metric.provider_node is not None else None
    text = getattr(node, "value", None)
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        from .promql import result_type
    except ImportError:  # pragma: no cover - the PromQL module ships with pipelint
        return None
    kind = result_type(text)
    return kind if kind in ("scalar", "vector") else None


_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_NAN_SOURCES = re.compile(r"/|\b(?:histogram_quantile|quantile|quantile_over_time|histogram_fraction)\b")


def _query_can_be_nan(metric) -> bool:
    """Whether a Prometheus query can return NaN: a division (``0/0`` when a ratio has no
    traffic) or a quantile over no observations. Counts, sums and rates cannot."""
    node = metric.provider_node.get("query") if metric.provider_node is not None else None
    text = getattr(node, "value", None)
    if not isinstance(text, str):
        return True
    return _NAN_SOURCES.search(_STRINGS.sub('""', text)) is not None


def first_result_offset(tree) -> int | None:
    """Offset of the first ``result`` name in a condition."""
    return min((n[2] for n in walk(tree) if n[0] == "name" and n[1] == "result"), default=None)
