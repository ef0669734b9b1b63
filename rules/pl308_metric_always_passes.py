"""PL308 metric-always-passes: an analysis metric that cannot fail, or a step analysis
that cannot finish."""

from __future__ import annotations

from pipelint.analysis import analysis_index, is_live_object, template_references
from pipelint.diagnostics import Related, Severity, clip
from pipelint.metrics import metrics_of
from pipelint.rule import Rule

#: Providers whose measurement without conditions is Successful whatever it returns
#: (a web metric without conditions still errors on a non-2xx response: a health gate).
_NO_CONDITION_PASSES = frozenset({"prometheus", "datadog", "newRelic", "wavefront", "cloudWatch", "graphite", "influxdb", "skywalking", "appInsights"})


def _blocking(ref) -> str | None:
    """What a reference blocks until its AnalysisRun completes, or None (background)."""
    path = ref.path
    if ".steps[" in path and ".analysis." in path:
        return "a canary step"
    if "prePromotionAnalysis" in path:
        return "its promotion"
    if "postPromotionAnalysis" in path:
        return "its post-promotion"
    return None


class MetricAlwaysPasses(Rule):
    """## What it does
    Reports an Argo analysis metric that gives no protection or never ends:

    - a metric with neither `successCondition` nor `failureCondition` whose provider
      the controller judges by them (Prometheus, Datadog, New Relic, Wavefront,
      CloudWatch, Graphite, InfluxDB, SkyWalking): every measurement is Successful,
      whatever the query returns (a `web` metric without conditions still errors on a
      non-2xx response, so it is left alone);
    - `failureLimit: -1` (no failure limit) with no `successCondition`: failed
      measurements never fail the metric;
    - a metric with `interval` and no `count` (or `count: 0`) in a template that a
      blocking analysis runs — a canary `- analysis` step, `prePromotionAnalysis` or
      `postPromotionAnalysis`: it measures until the run is terminated, so the step
      could never complete, and the controller marks the Rollout InvalidSpec ("metric
      runs indefinitely") instead of updating it. In background analysis an
      indefinite metric is the norm. A templated `count` is not judged.

    Metrics listed in `dryRun` are exempt from the first two (they are meant not to
    decide).

    ## Why is this bad?
    An analysis that always passes promotes a broken canary as confidently as a good
    one, while the rollout looks guarded. An indefinite metric in a blocking analysis
    makes the controller refuse the Rollout: the release is found broken when it is
    applied, not at review.

    ## Example
    ```yaml
    apiVersion: argoproj.io/v1alpha1
    kind: AnalysisTemplate
    metadata:
      name: error-rate
    spec:
      metrics:
        - name: error-rate
          interval: 1m
          provider:
            prometheus:
              address: http://prometheus.monitoring:9090
              query: sum(rate(http_requests_total{code=~"5.."}[2m])) / sum(rate(http_requests_total[2m]))
    ```

    ## Use instead
    ```yaml
    apiVersion: argoproj.io/v1alpha1
    kind: AnalysisTemplate
    metadata:
      name: error-rate
    spec:
      metrics:
        - name: error-rate
          interval: 1m
          count: 5
          failureLimit: 1
          successCondition: len(result) > 0 && result[0] <= 0.01
          provider:
            prometheus:
              address: http://prometheus.monitoring:9090
              query: sum(rate(http_requests_total{code=~"5.."}[2m])) / sum(rate(http_requests_total[2m]))
    ```
    """

    code = "PL308"
    name = "metric-always-passes"
    severity = Severity.WARNING
    platforms = ("argo",)
    tags = ("progressive-delivery", "analysis")
    precision = "high"
    scope = "project"

    def check(self, ctx):
        project = ctx.project
        for manifest in project.manifests:
            if is_live_object(manifest):
                continue
            for metric in metrics_of(manifest):
                yield from self._passes(metric)
        yield from self._never_ends(project)

    def _passes(self, metric):
        if metric.dry_run or metric.provider is None:
            return
        m = metric.manifest
        file = m.file
        anchor = metric.name_node or metric.node
        base = f"{m.kind}.{m.name}.{metric.path}"
        if metric.success is None and metric.failure is None:
            if metric.provider in _NO_CONDITION_PASSES and "successCondition" not in metric.node and "failureCondition" not in metric.node:
                yield self.diagnostic(
                    file.node_span(anchor),
                    f"{_upper_first(metric.label)} has no successCondition or failureCondition: every {metric.provider} "
                    "measurement is Successful whatever it returns; add a condition on result.",
                    logical_path=base,
                )
            return
        if metric.success is None and metric.failure_limit == -1 and metric.judged_by_conditions:
            node = metric.node.get("failureLimit")
            yield self.diagnostic(
                file.node_span(node),
                f"{_upper_first(metric.label)} sets failureLimit: -1 and has no successCondition: failed measurements "
                "never fail it, so it always passes; set a failureLimit or add a successCondition.",
                related=[Related(file.node_span(metric.failure), "the failureCondition that is never enforced")],
                logical_path=f"{base}.failureLimit",
            )

    def _never_ends(self, project):
        index = None
        blocked: dict = {}  # id(template manifest) -> (template, [(ref, what)])
        for manifest in project.manifests:
            if manifest.kind != "Rollout":
                continue
            for ref in template_references(manifest):
                what = _blocking(ref)
                if what is None:
                    continue
                if index is None:
                    index = analysis_index(project)
                found = index.resolve(ref)
                if found.template is None:
                    continue
                entry = blocked.setdefault(id(found.template.manifest), (found.template, []))
                entry[1].append((ref, what))
        for template, refs in blocked.values():
            t = template.manifest
            if is_live_object(t):
                continue
            for metric in metrics_of(t):
                if not metric.indefinite:
                    continue
                ref, what = refs[0]
                interval = metric.node.get("interval")
                related = [
                    Related(r.referrer.file.node_span(r.name_node), f"{r.referrer.label} waits here for it to complete")
                    for r, _ in refs[:3]
                ]
                yield self.diagnostic(
                    t.file.node_span(interval if interval is not None else (metric.name_node or metric.node)),
                    clip(
                        f"{_upper_first(metric.label)} measures every {metric.interval} with no count and never completes: "
                        f"the controller rejects {ref.referrer.label} (InvalidSpec) as it gates {what}; set count."
                    ),
                    related=related,
                    logical_path=f"{t.kind}.{t.name}.{metric.path}.interval",
                )


def _upper_first(text: str) -> str:
    """``text`` with a capital first letter (a message starts with it)."""
    return text[:1].upper() + text[1:]
