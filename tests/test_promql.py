"""The PromQL parser behind PL306 (and PL302's result_type)."""

from __future__ import annotations

import pytest

from pipelint.expressions import ExpressionError
from pipelint.promql import arg_placeholders, parse, result_type

VALID = [
    # Istio / Linkerd / nginx-ingress / Envoy
    'sum(irate(istio_requests_total{reporter="source",destination_service=~"{{args.service}}",response_code!~"5.*"}[5m]))'
    ' / sum(irate(istio_requests_total{reporter="source",destination_service=~"{{args.service}}"}[5m]))',
    'sum(rate(response_total{deployment="{{args.deploy}}", classification!="failure", direction="inbound"}[1m]))',
    'sum(rate(nginx_ingress_controller_requests{ingress="web",status!~"[4-5].*"}[2m])) / sum(rate(nginx_ingress_controller_requests{ingress="web"}[2m]))',
    'sum(rate(envoy_cluster_upstream_rq_xx{envoy_response_code_class="5"}[1m])) by (envoy_cluster_name)',
    # histograms
    "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
    "histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket[5m])) by (le, service))",
    "histogram_fraction(0, 0.2, rate(http_request_duration_seconds[1h]))",
    # RED / USE
    'sum(rate(http_requests_total{code=~"5.."}[5m])) or vector(0)',
    'clamp_min(sum(rate(x_total[5m])), 0)',
    'label_replace(up{job="api"}, "host", "$1", "instance", "(.*):.*")',
    'absent(up{job="api"}) or absent_over_time(up{job="api"}[10m])',
    "max_over_time(rate(http_requests_total[5m])[30m:1m])",
    "min_over_time(deriv(queue_depth[5m])[1h:])",
    "1 - avg(rate(node_cpu_seconds_total{mode=\"idle\"}[5m])) by (instance)",
    "sum without (instance, pod) (rate(x[5m]))",
    "sum(x) by (job) / on(job) group_left(instance) y",
    "a / ignoring(code) group_right b",
    "a > bool 0.5",
    "a and on() b unless c or d",
    "topk(5, sum by (route) (rate(x[5m])))",
    'count_values("version", build_info)',
    "quantile(0.9, x)",
    "limitk(2, x)",
    "limit_ratio(0.5, x)",
    "x offset 5m",
    "x offset -1h",
    "x[5m] offset 1w",
    "rate(x[5m] @ end())",
    "x @ 1609746000",
    "x @ start()",
    # literals, names, strings, comments
    '{"my.metric", job="x"}',
    '{__name__=~"http_.*", job="api"}',
    "job:http_requests:rate5m",
    "0x1F + 1e3 - .5 * Inf / NaN",
    "-x ^ 2",
    "2 ^ 3 ^ 2",
    "x[1h30m]",
    "x[90s]",
    "x[300]",
    "time() - process_start_time_seconds",
    "scalar(sum(up))",
    "SUM(up) BY (job)",
    '`raw \\d string`',
    '"a\\n\\"b\\x41\\u00e9"',
    "# leading comment\nsum(up)  # trailing comment\n",
    "sum(\n  rate(x[5m])\n)\n",
    "sort_by_label(up, \"instance\")",
    "double_exponential_smoothing(x[1h], 0.5, 0.5)",
    "holt_winters(x[1h], 0.5, 0.5)",
    "round(x, 0.1) + round(x) + hour() + day_of_week(x)",
    "x[5m * 2]",
    # placeholders in every position
    "histogram_quantile({{args.quantile}}, sum(rate(x_bucket[{{args.window}}])) by (le))",
    "rate(x[{{ args.window }}])",
    "rate(x[{{args.n}}m])",
    "{{args.metric}}{job=\"api\"}",
    "http_{{args.kind}}_total",
    'x{ {{args.label}}="v"}',
    "x{job={{args.job}}}",
    "x{ {{args.selector}} }",
    "sum({{args.query}})",
    "{{args.query}}",
    "x > {{args.threshold}}",
    "sum by ({{args.group}}) (x)",
    "x offset {{args.offset}}",
]

INVALID = [
    ("sum(rate(x[5m])", 3, "unclosed '('"),
    ("rat(x[5m])", 0, "unknown function 'rat'"),
    ("rate(x)", 5, "expected a range vector in rate(), got an instant vector"),
    ("rate(x[5m]) by (job)", 12, "'by' must follow an aggregation"),
    ("sum(x) by job", 10, "expected '('"),
    ("1 > 2", 2, "bool"),
    ("up + bool 1", 5, "'bool' can only follow a comparison"),
    ("up and 1", 3, "set operator 'and'"),
    ("1 + on(a) up", 4, "vector matching"),
    ("{}", 0, "at least one matcher"),
    ('{job=~".*"}', 0, "at least one matcher"),
    ('x{__name__="y"}', 0, "metric name set twice"),
    ("x[5m] + 1", 0, "range vector"),
    ('x{a="\\d+"}', 5, "unknown escape sequence"),
    ('x{a="b}', 4, "unterminated string"),
    ("x{a==\"b\"}", 3, "use '='"),
    ("x{a=b}", 4, "quoted string"),
    ("x{a=\"b\"", 1, "unclosed '{'"),
    ("x[5m", 1, "unclosed '['"),
    ("x[1.5h]", 2, "bad number or duration"),
    ("x[30m1h]", 2, "invalid duration"),
    ("sum(rate(x[5m]))[5m]", 16, "range"),
    ("x[5m] offset 1h [5m]", 16, "range"),
    ("sum(x) offset 5m", 7, "offset must follow a selector"),
    ("histogram_quantile(x, y)", 19, "expected a scalar"),
    ("clamp_min(x)", 0, "takes 2 arguments"),
    ("vector(x)", 7, "expected a scalar"),
    ("quantile(x)", 0, "takes 2 arguments"),
    ("rate(x[5m],)", 10, "trailing commas"),
    ("x )", 2, "no matching '('"),
    ("sum(x) = 1", 7, "'=='"),
    ("", 0, "empty"),
    ("RATE(x[5m])", 0, "unknown function"),
    ('label_replace(up, "a", "$1", "b")', 0, "takes 5 arguments"),
    ("-x[5m]", 1, "unary"),
    ("x{{{args.a}}", 3, None),
]


@pytest.mark.parametrize("query", VALID)
def test_valid_queries_parse(query):
    parse(query)


@pytest.mark.parametrize("query, offset, fragment", INVALID)
def test_invalid_queries(query, offset, fragment):
    if fragment is None:  # undecidable templating: unknown, never an error
        assert parse(query).unknown or parse(query)
        return
    with pytest.raises(ExpressionError) as info:
        parse(query)
    assert info.value.offset == offset, info.value.message
    assert fragment in info.value.message


@pytest.mark.parametrize(
    "query, expected",
    [
        ("scalar(sum(up))", "scalar"),
        ("time()", "scalar"),
        ("1 + 2 * 3", "scalar"),
        ("-1", "scalar"),
        ("1 > bool 0", "scalar"),
        ("sum(rate(x[5m]))", "vector"),
        ("sum(rate(x[5m])) / scalar(y)", "vector"),
        ("up == 1", "vector"),
        ("x[5m]", "matrix"),
        ("rate(x[5m])[30m:1m]", "matrix"),
        ('"text"', "string"),
        ("{{args.query}}", None),
        ("{{args.a}} + 1", None),
        ("sum({{args.a}})", "vector"),
        ("sum(x) {{args.op}} 1", None),
        ("rate(x)", None),
        ("sum({{ .Values.metric }})", None),
        ("x[${WINDOW}]", None),
    ],
)
def test_result_type(query, expected):
    assert result_type(query) == expected


def test_other_templating_is_unknown():
    for query in ("sum(rate(x[$__rate_interval]))", "sum({{ .Values.q }})", "x{job=\"$(JOB)\"} + $(X)"):
        assert parse(query).unknown


def test_arg_placeholders():
    text = 'x{a="{{args.one}}", b="{{ args.two }}"} + {{ .Values.x }}'
    assert [name for _, _, name in arg_placeholders(text)] == ["one", "two"]
    start, end, _ = next(arg_placeholders(text))
    assert text[start:end] == "{{args.one}}"


def test_linear_time_on_long_queries():
    import time

    query = " + ".join(f'sum(rate(metric_{i}{{job="a",code=~"5.."}}[5m]))' for i in range(300))
    started = time.perf_counter()
    parse(query)
    assert time.perf_counter() - started < 2.0
    deep = "(" * 200 + "x" + ")" * 200
    parse(deep)
