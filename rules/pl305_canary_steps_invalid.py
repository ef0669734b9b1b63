"""PL305 canary-steps-invalid."""

from __future__ import annotations

from pipelint.diagnostics import Severity
from pipelint.rollouts import duration_seconds, judged_rollouts, label, read_canary
from pipelint.rule import Rule
from pipelint.yamltree import Scalar


class CanaryStepsInvalid(Rule):
    """## What it does
    Checks Argo Rollouts canary steps the way the controller validates them, before
    merge: `setWeight` outside 0..100 (or above `trafficRouting.maxTrafficWeight`), a step
    that sets more than one of `setWeight`, `pause`, `analysis`, `experiment` (the
    combinations the controller refuses), a negative or
    malformed pause `duration` (an integer of seconds, or a string like `30s`, `10m`,
    `1h`), `maxSurge` and `maxUnavailable` both 0; and step lists that cannot mean what
    they say: a weight lower than the one before, or two weight increases with no
    pause, analysis or experiment between them.

    ## Why is this bad?
    The controller rejects an invalid Rollout (`InvalidSpec`) and the release never
    starts. A weight raised twice in a row skips the first stage: the canary jumps
    straight to the higher weight, unobserved.

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
            - setWeight: 10
            - setWeight: 50
            - pause: {duration: 1d}
            - setWeight: 150
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
            - setWeight: 10
            - pause: {duration: 10m}
            - setWeight: 50
            - pause: {duration: 24h}
            - setWeight: 100
    ```
    """

    code = "PL305"
    name = "canary-steps-invalid"
    severity = Severity.ERROR
    platforms = ("argo",)
    tags = ("argo", "progressive-delivery")
    precision = "high"
    scope = "file"

    def check(self, ctx):
        for m in judged_rollouts(ctx):
            canary = read_canary(m.strategy)
            if canary is not None:
                yield from self._check(m, canary)

    def _check(self, m, canary):
        base = f"Rollout.{m.name}.spec.strategy.canary"
        span = m.file.node_span
        surge, unavail = canary.node.get("maxSurge"), canary.node.get("maxUnavailable")
        if _zero(surge) and _zero(unavail):
            yield self.diagnostic(
                span(surge),
                f"{label(m)} sets canary maxSurge and maxUnavailable both to 0, which the controller rejects, so "
                "the rollout never starts; allow a surge (maxSurge: 1).",
                logical_path=f"{base}.maxSurge",
            )
        # the current weight, and the last increase not yet followed by a pause/analysis
        last, pending = 0, None
        for step in canary.steps:
            path = f"{base}.steps[{step.index}]"
            conflicting = step.conflicting
            if len(conflicting) > 1:
                yield self.diagnostic(
                    span(step.node.key_node(conflicting[1])),
                    f"{label(m)} step {step.index + 1} sets {'+'.join(conflicting)}; a canary step takes one action, so the "
                    "controller rejects it: split it into separate steps.",
                    logical_path=path,
                )
            duration = step.duration_node
            if duration is not None:
                seconds = duration_seconds(duration)
                if seconds is not None and seconds < 0:
                    yield self.diagnostic(
                        span(duration),
                        f"{label(m)} step {step.index + 1} has pause duration {_show(duration)} that the controller "
                        "rejects (negative or malformed); use seconds or a string like 30s, 10m, 1h.",
                        logical_path=f"{path}.pause.duration",
                    )
            weight = step.weight
            if weight is not None:
                yield from self._weight(m, canary, step, weight, last, pending, path)
                if 0 <= weight <= canary.max_weight:
                    if weight > last:
                        pending = weight
                    last = weight
            if step.waits:
                pending = None

    def _weight(self, m, canary, step, weight, last, pending, path):
        span = m.file.node_span(step.weight_node)
        if weight < 0 or weight > canary.max_weight:
            yield self.diagnostic(
                span,
                f"{label(m)} step {step.index + 1} sets setWeight {weight}, outside 0..{canary.max_weight}, so the "
                "controller rejects the rollout; use a weight within range.",
                logical_path=f"{path}.setWeight",
            )
        elif weight < last:
            yield self.diagnostic(
                span,
                f"{label(m)} step {step.index + 1} lowers setWeight from {last} to {weight}; canary weights should "
                "only grow toward the full weight, so reorder the steps.",
                logical_path=f"{path}.setWeight",
            )
        elif weight > last and pending is not None:
            yield self.diagnostic(
                span,
                f"{label(m)} raises setWeight to {pending} then to {weight} with no pause or analysis between, so "
                f"the weight-{pending} stage is never observed; add a pause or analysis step.",
                logical_path=f"{path}.setWeight",
            )


def _zero(node) -> bool:
    if not isinstance(node, Scalar):
        return False
    value = node.typed()
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value == 0
    return isinstance(value, str) and value.strip() in ("0", "0%")


def _show(node) -> str:
    text = str(node.value)
    return repr(text[:20]) if len(text) <= 20 else repr(text[:17] + "...")


