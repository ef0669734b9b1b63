"""PL301 analysis-can-stall: a metric's conditions leave results that are neither
success nor failure, and no inconclusive measurement is tolerated."""

from __future__ import annotations

from pipelint import yamledit
from pipelint.analysis import is_live_object
from pipelint.conditions import INCONCLUSIVE, read_metric
from pipelint.diagnostics import Applicability, Fix, Related, Severity, clip
from pipelint.metrics import file_metrics
from pipelint.rule import Rule


class AnalysisCanStall(Rule):
    """## What it does
    Reports an analysis metric that sets both `successCondition` and
    `failureCondition` when some result satisfies neither — a gap between the
    thresholds, NaN (what Prometheus returns for a ratio with no traffic: `0/0`), or an
    empty vector behind a `len(result) > 0` guard — and `inconclusiveLimit` is not set.
    The gap is found by interval analysis of the parsed conditions (see PL302); the
    message names the results that fall into it. Metrics in `dryRun`, metrics whose
    thresholds are `{{args}}` placeholders and providers that judge their own
    measurements (Job, Kayenta, plugins) are not judged.

    ## Why is this bad?
    A result that satisfies neither condition is Inconclusive. With `inconclusiveLimit`
    at its default of 0 the first such measurement ends the metric Inconclusive, and an
    Inconclusive analysis *pauses* the rollout: the canary keeps serving its share of
    traffic, neither promoted nor rolled back, until a person notices and acts — often
    at night, when the traffic that would have filled the ratio is gone.

    ## Example
    ```yaml
    apiVersion: argoproj.io/v1alpha1
    kind: AnalysisTemplate
    metadata:
      name: success-rate
    spec:
      metrics:
        - name: success-rate
          interval: 1m
          successCondition: result[0] >= 0.99
          failureCondition: result[0] < 0.95
          provider:
            prometheus:
              address: http://prometheus.monitoring:9090
              query: sum(rate(http_requests_total{code!~"5.."}[2m])) / sum(rate(http_requests_total[2m]))
    ```

    ## Use instead
    ```yaml
    apiVersion: argoproj.io/v1alpha1
    kind: AnalysisTemplate
    metadata:
      name: success-rate
    spec:
      metrics:
        - name: success-rate
          interval: 1m
          successCondition: result[0] >= 0.99
          failureCondition: result[0] < 0.95 || isNaN(result[0])
          inconclusiveLimit: 3  # tolerate a few results between 0.95 and 0.99
          provider:
            prometheus:
              address: http://prometheus.monitoring:9090
              query: sum(rate(http_requests_total{code!~"5.."}[2m])) / sum(rate(http_requests_total[2m]))
    ```
    """

    code = "PL301"
    name = "analysis-can-stall"
    severity = Severity.WARNING
    platforms = ("argo",)
    tags = ("progressive-delivery", "analysis")
    precision = "high"
    fixable = True

    def check(self, ctx):
        for metric in file_metrics(ctx.file):
            if metric.success is None or metric.failure is None or "inconclusiveLimit" in metric.node:
                continue
            if metric.dry_run or is_live_object(metric.manifest):
                continue
            read = read_metric(metric)
            if read is None or read.analysis is None:
                continue
            gaps = read.analysis.where(lambda r: r.phase == INCONCLUSIVE)
            if not gaps:
                continue
            described = [g.phrase() for g in gaps]
            if metric.provider == "prometheus":
                described = [d if d != "NaN" else "NaN (no traffic)" for d in described]
            which = _join(described)
            file = metric.manifest.file
            m = metric.manifest
            message = _message(metric, which)
            if len(message) >= 200:  # name the regions tersely: "[0.95, 0.99), NaN (no traffic)"
                message = _message(metric, _join([d if d.startswith(("NaN", "an empty")) else d.split(" ", 2)[-1] for d in described]))
            yield self.diagnostic(
                file.node_span(metric.success),
                clip(message),
                related=[Related(file.node_span(metric.failure), "the failureCondition that leaves the gap")],
                logical_path=f"{m.kind}.{m.name}.{metric.path}.successCondition",
                fix=_fix(metric, file),
            )


# ------------------------------------------------------------------- fixes
# Unsafe: tolerating inconclusive measurements lets the metric pass with fewer real
# ones. The limit is half the metric's literal ``count`` (rounded down): a gap between
# the thresholds or a quiet minute no longer pauses the rollout, at least half the
# measurements must still be conclusive, and a run with no conclusive result still
# pauses. No fix without a literal count of 2 or more: with one measurement (no
# ``count``, or ``count: 1``) any limit lets a single empty result pass, and an
# indefinite metric has no count to take half of.


def _fix(metric, file) -> Fix | None:
    count = metric.count
    node = metric.node
    if count is None or count < 2 or metric.indefinite:
        return None
    limit = count // 2
    for after in ("failureLimit", "failureCondition"):
        if after in node:
            edit = yamledit.insert_at_key(file.text, file.path, node, [f"inconclusiveLimit: {limit}"], after=after)
            if edit is None:
                return None
            return Fix(
                f"add 'inconclusiveLimit: {limit}' to {metric.label}: up to half of its {count} measurements may be "
                "inconclusive; more still pause the rollout",
                (edit,),
                Applicability.UNSAFE,
            )
    return None


def _message(metric, which: str) -> str:
    label = metric.label[:1].upper() + metric.label[1:]
    return (
        f"{label}: neither condition holds for {which}; with inconclusiveLimit 0 that pauses the "
        "rollout, so close the gap or set inconclusiveLimit."
    )


def _join(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " or " + items[-1]
