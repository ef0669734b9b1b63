"""PL306 invalid-metric-query: an Argo analysis metric whose Prometheus query does not
parse, or whose fields use an ``{{args.NAME}}`` the object does not declare.

The parser is :mod:`pipelint.promql`; queries made undecidable by templating are skipped.
"""

from __future__ import annotations

import difflib

from pipelint.analysis import TEMPLATE_KINDS, template_args
from pipelint.diagnostics import Severity
from pipelint.expressions import ExpressionError
from pipelint.metrics import metrics_of
from pipelint.promql import arg_placeholders, parse
from pipelint.rule import Rule
from pipelint.yamltree import Scalar, Sequence, walk


class InvalidMetricQuery(Rule):
    """## What it does
    Reports an Argo Rollouts analysis metric (`AnalysisTemplate`,
    `ClusterAnalysisTemplate`, `AnalysisRun`) whose `provider.prometheus.query` is not
    valid PromQL — unbalanced parentheses or braces, an unknown function, an instant
    vector where `rate()` needs a range (`[5m]`), `by` outside an aggregation, a
    comparison of two scalars without `bool`, a bad escape in a string — pointing at the
    offending character. Also reports an `{{args.NAME}}` placeholder, anywhere in the
    metric (query, address, conditions, headers), whose `NAME` is not declared in the
    object's `spec.args`.

    `{{args.NAME}}` placeholders may stand anywhere in a query (label values,
    durations, names, whole sub-expressions); queries whose templating makes them
    undecidable (Helm, `${VAR}`, a placeholder in place of an operator) are skipped.

    ## Why is this bad?
    Argo sends the query to Prometheus only when the analysis runs, in the middle of a
    release. A query Prometheus rejects, or a placeholder the controller cannot resolve
    ("failed to resolve {{args.NAME}}"), makes every measurement error: the
    AnalysisRun ends in `Error` and the rollout aborts — a healthy release rolled back
    by a typo.

    ## Example
    ```yaml
    apiVersion: argoproj.io/v1alpha1
    kind: AnalysisTemplate
    metadata:
      name: success-rate
    spec:
      args:
        - name: service-name
      metrics:
        - name: success-rate
          interval: 1m
          successCondition: result[0] >= 0.95
          provider:
            prometheus:
              address: http://prometheus.monitoring:9090
              query: |
                sum(rate(http_requests_total{service="{{args.service}}",code!~"5.."}[5m]))
                /
                sum(rate(http_requests_total{service="{{args.service}}"}[5m])
    ```

    ## Use instead
    ```yaml
    apiVersion: argoproj.io/v1alpha1
    kind: AnalysisTemplate
    metadata:
      name: success-rate
    spec:
      args:
        - name: service-name
      metrics:
        - name: success-rate
          interval: 1m
          successCondition: result[0] >= 0.95
          provider:
            prometheus:
              address: http://prometheus.monitoring:9090
              query: |
                sum(rate(http_requests_total{service="{{args.service-name}}",code!~"5.."}[5m]))
                /
                sum(rate(http_requests_total{service="{{args.service-name}}"}[5m]))
    ```
    """

    code = "PL306"
    name = "invalid-metric-query"
    severity = Severity.ERROR
    platforms = ("argo",)
    tags = ("argo", "progressive-delivery", "correctness")
    precision = "high"
    scope = "file"

    def check(self, ctx):
        manifests = list(ctx.file.manifests)
        # Args a sibling template in the same file declares: a Rollout running several
        # templates in one analysis merges their args into one AnalysisRun.
        sibling_args: set = set()
        for manifest in manifests:
            if manifest.kind in TEMPLATE_KINDS and manifest.group == "argoproj.io":
                sibling_args.update(template_args(manifest.spec))
        for manifest in manifests:
            metrics = metrics_of(manifest)
            if not metrics:
                continue
            declared = template_args(manifest.spec)
            spec = manifest.spec
            composed = spec is not None and isinstance(spec.get("templates"), Sequence) and len(spec.get("templates")) > 0
            for metric in metrics:
                yield from self._query(manifest, metric)
                if not composed:
                    yield from self._args(manifest, metric, declared, sibling_args)

    def _query(self, manifest, metric):
        if metric.provider != "prometheus" or metric.provider_node is None:
            return
        node = metric.provider_node.get("query")
        if not isinstance(node, Scalar) or not isinstance(node.value, str) or not node.value.strip():
            return
        text = node.value
        try:
            parse(text)
        except ExpressionError as error:
            offset = min(max(error.offset, 0), len(text) - 1)
            while offset > 0 and text[offset] in " \t\r\n":
                offset -= 1
            head = f"{metric.label[:1].upper()}{metric.label[1:]}: invalid PromQL ("
            tail = "); each measurement errors and the rollout aborts; fix the query."
            detail = error.message
            room = 198 - len(head) - len(tail)
            if len(detail) > room:
                detail = detail[: max(room - 3, 20)].rstrip() + "..."
            yield self.diagnostic(
                manifest.file.scalar_span(node, offset, offset + 1),
                head + detail + tail,
                logical_path=f"{manifest.kind}.{manifest.name}.{metric.path}.provider.prometheus.query",
            )

    def _args(self, manifest, metric, declared, sibling_args):
        for path, node in walk(metric.node):
            if not isinstance(node, Scalar) or not isinstance(node.value, str) or "{{" not in node.value:
                continue
            for start, end, name in arg_placeholders(node.value):
                if name in declared or name in sibling_args:
                    continue
                close = difflib.get_close_matches(name, list(declared), n=1, cutoff=0.6)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                where = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")
                yield self.diagnostic(
                    manifest.file.scalar_span(node, start, end),
                    f"`{{{{args.{name}}}}}` is not in spec.args of {manifest.label}{hint}: Argo cannot resolve it, "
                    "the analysis errors and the rollout aborts; declare the arg.",
                    logical_path=f"{manifest.kind}.{manifest.name}.{metric.path}.{where}.args.{name}",
                )

