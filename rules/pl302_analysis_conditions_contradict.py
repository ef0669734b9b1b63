"""PL302 analysis-conditions-contradict: success and failure overlap, a condition is
constant, or it reads ``result`` in the wrong shape for the query."""

from __future__ import annotations

from pipelint.analysis import is_live_object
from pipelint.conditions import ERROR, EvalError, Unknown, evaluate, first_result_offset, mentions_result, read_metric, shape_mistake, has_placeholder
from pipelint.diagnostics import Related, Severity, clip
from pipelint.metrics import file_metrics
from pipelint.rule import Rule


class AnalysisConditionsContradict(Rule):
    """## What it does
    Reads an analysis metric's `successCondition` and `failureCondition` by interval
    analysis (each comparison of `result` with a constant is solved for the measured
    value, and the number line is cut where any comparison changes) and reports:

    - **overlap**: results that satisfy both conditions — the failure condition wins,
      so the success threshold you wrote never decides those values;
    - **a constant condition**: one that is true (or false) whatever the provider
      returns, such as `len(result) >= 0` or a condition that never mentions `result`;
    - **the wrong shape**: a Prometheus query that returns an instant vector gives
      `result` as a list of numbers, so `result >= 0.95` compares a list with a number
      (use `result[0]`); a query that returns a scalar (`scalar(...)`) gives a number, so
      `result[0]` fails.

    Conditions with `{{args}}` placeholders as thresholds, providers that judge their own
    measurements (Job, Kayenta, plugins) and comparisons that are not linear in the
    result are not judged.

    ## Why is this bad?
    The controller does not check conditions before it runs them. A condition in the
    wrong shape errors on every measurement: after `consecutiveErrorLimit` (4) errors the
    analysis ends in Error and the rollout aborts — every release, whatever the canary
    does. An overlap or a constant condition means the analysis does not measure what it
    says: a canary can pass (or fail) regardless of its error rate.

    ## Example
    ```yaml
    apiVersion: argoproj.io/v1alpha1
    kind: AnalysisTemplate
    metadata:
      name: latency
    spec:
      metrics:
        - name: p99-latency
          interval: 1m
          successCondition: result <= 0.3
          failureCondition: result[0] > 0.25
          provider:
            prometheus:
              address: http://prometheus.monitoring:9090
              query: histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))
    ```

    ## Use instead
    ```yaml
    apiVersion: argoproj.io/v1alpha1
    kind: AnalysisTemplate
    metadata:
      name: latency
    spec:
      metrics:
        - name: p99-latency
          interval: 1m
          successCondition: result[0] <= 0.3
          failureCondition: result[0] > 0.3
          provider:
            prometheus:
              address: http://prometheus.monitoring:9090
              query: histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))
    ```
    """

    code = "PL302"
    name = "analysis-conditions-contradict"
    severity = Severity.ERROR
    platforms = ("argo",)
    tags = ("progressive-delivery", "analysis", "correctness")
    precision = "high"

    def check(self, ctx):
        for metric in file_metrics(ctx.file):
            if is_live_object(metric.manifest):
                continue
            read = read_metric(metric)
            if read is None:
                continue
            m = metric.manifest
            file = m.file
            base = f"{m.kind}.{m.name}.{metric.path}"
            conditions = [("successCondition", metric.success, read.success), ("failureCondition", metric.failure, read.failure)]
            wrong_shape = False
            for key, node, tree in conditions:
                if tree is None:
                    continue
                if read.shape_known and shape_mistake(tree, read.shape):
                    wrong_shape = True
                    at = first_result_offset(tree) or 0
                    if read.shape == "vector":
                        what = "compares result as a number, but the Prometheus query returns a vector (a list)"
                        fix = "use result[0]"
                    else:
                        what, fix = "indexes result as a list, but the Prometheus query returns a scalar", "use result"
                    yield self.diagnostic(
                        file.scalar_span(node, at, at + len("result")),
                        clip(f"`{key}` of {metric.label} {what}, so every measurement errors and the rollout aborts; {fix}."),
                        logical_path=f"{base}.{key}",
                    )
                    continue
                constant = _constant(tree, read)
                if constant is not None:
                    yield self.diagnostic(
                        file.node_span(node),
                        clip(
                            f"`{key}` of {metric.label} is always {str(constant).lower()} whatever the provider returns, "
                            "so it does not measure the canary; compare result with a threshold."
                        ),
                        logical_path=f"{base}.{key}",
                    )
            if wrong_shape or read.success is None or read.failure is None or read.analysis is None:
                continue
            overlap = read.analysis.where(lambda r: r.success is True and r.failure is True)
            if overlap:
                shown = ", ".join(r.describe() for r in overlap[:3])
                yield self.diagnostic(
                    file.node_span(metric.failure),
                    clip(
                        f"{metric.label[:1].upper()}{metric.label[1:]}: results {shown} satisfy both conditions and count "
                        "as failures, so the successCondition never decides them; make the conditions disjoint."
                    ),
                    related=[Related(file.node_span(metric.success), "the successCondition it overlaps")],
                    logical_path=f"{base}.failureCondition",
                )


def _constant(tree, read):
    """True/False when the condition has one value for every result; None otherwise."""
    if has_placeholder(tree):
        return None
    if not mentions_result(tree):
        try:
            return evaluate(tree, None)
        except (EvalError, Unknown):
            return None
    analysis = read.analysis
    if analysis is None:
        return None
    values = set()
    for region in analysis.regions:
        which = region.success if tree is read.success else region.failure
        if which == "error" or region.phase == ERROR and which is None:
            return None
        values.add(which)
    return values.pop() if len(values) == 1 and None not in values else None
