"""PL304 canary-without-analysis."""

from __future__ import annotations

from pipelint.diagnostics import Severity
from pipelint.rollouts import judged_rollouts, label, read_canary
from pipelint.rule import Rule


class CanaryWithoutAnalysis(Rule):
    """## What it does
    Reports an Argo Rollouts canary that shifts traffic with `setWeight` steps but never
    checks the new version: no background analysis (`strategy.canary.analysis`), no
    `analysis` step (or `experiment` step with analyses), and no indefinite `pause: {}`
    that waits for a person to promote it. Canaries without `steps` are not judged.

    ## Why is this bad?
    Timed pauses only wait; they do not look. A broken release walks through every
    weight to 100% on its own schedule, so the canary gives no protection at all.

    ## Example
    ```yaml
    apiVersion: argoproj.io/v1alpha1
    kind: Rollout
    metadata:
      name: checkout
    spec:
      strategy:
        canary:
          steps:
            - setWeight: 20
            - pause: {duration: 5m}
            - setWeight: 50
            - pause: {duration: 5m}
    ```

    ## Use instead
    ```yaml
    apiVersion: argoproj.io/v1alpha1
    kind: Rollout
    metadata:
      name: checkout
    spec:
      strategy:
        canary:
          steps:
            - setWeight: 20
            - analysis:
                templates:
                  - templateName: success-rate
            - setWeight: 50
            - pause: {duration: 5m}
    ```
    """

    code = "PL304"
    name = "canary-without-analysis"
    severity = Severity.WARNING
    platforms = ("argo",)
    tags = ("argo", "progressive-delivery")
    precision = "high"
    scope = "file"

    def check(self, ctx):
        for m in judged_rollouts(ctx):
            canary = read_canary(m.strategy)
            if canary is None or not canary.steps:
                continue
            raising = [s for s in canary.steps if s.weight is not None and s.weight > 0]
            if not raising or canary.has_analysis or any(s.indefinite_pause for s in canary.steps):
                continue
            first = raising[0]
            yield self.diagnostic(
                m.file.node_span(first.node),
                f"{label(m)} shifts canary traffic with no analysis and no pause: {{}} gate, so a bad release "
                "promotes itself; add an analysis step or background analysis.",
                logical_path=f"Rollout.{m.name}.spec.strategy.canary.steps[{first.index}].setWeight",
            )
