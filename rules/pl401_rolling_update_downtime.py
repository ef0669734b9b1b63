"""PL401 rolling-update-downtime."""

from __future__ import annotations

from pipelint.diagnostics import Severity
from pipelint.rule import Rule
from pipelint.workloads import is_production_workload, replicas_managed_elsewhere, rolling_update


class RollingUpdateDowntime(Rule):
    """## What it does
    Resolves the rolling-update arithmetic of Deployments, StatefulSets, DaemonSets and
    Argo Rollout canaries the way the controllers do (percentages of `replicas`:
    `maxSurge` rounds up, `maxUnavailable` rounds down; Deployment defaults 25%/25%;
    `replicas` defaults to 1) and reports a strategy that leaves no pod serving during an
    update (`replicas - maxUnavailable <= 0`), one the API server rejects (`maxSurge` and
    `maxUnavailable` both 0), or a single replica in a production-like namespace or path.

    ## Why is this bad?
    When every old pod may be taken down before a new one is ready, each rollout is an
    outage. A single replica in production goes dark on every update, node drain or
    eviction. Both values at 0 make the apply fail, so the release never ships.

    ## Example
    ```yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: checkout
      namespace: shop-prod
    spec:
      replicas: 2
      strategy:
        rollingUpdate:
          maxUnavailable: 100%
    ```

    ## Use instead
    ```yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: checkout
      namespace: shop-prod
    spec:
      replicas: 3
      strategy:
        rollingUpdate:
          maxSurge: 1
          maxUnavailable: 0
    ```
    """

    code = "PL401"
    name = "rolling-update-downtime"
    severity = Severity.ERROR
    platforms = ("kubernetes",)
    tags = ("kubernetes", "rollout")
    precision = "high"
    scope = "file"

    def check(self, ctx):
        for m in ctx.file.manifests:
            ru = rolling_update(m)
            if ru is None:
                continue
            yield from self._check(ctx, m, ru)

    def _check(self, ctx, m, ru):
        base = f"{m.kind}.{m.name}"
        path = "spec.updateStrategy.rollingUpdate" if ru.kind in ("statefulset", "daemonset") else (
            "spec.strategy.canary" if ru.kind == "canary" else "spec.strategy.rollingUpdate"
        )
        surge, unavail, replicas = ru.max_surge, ru.max_unavailable, ru.replicas
        if ru.both_zero:
            node = unavail.node if unavail is not None and unavail.explicit else surge.node
            field = "maxUnavailable" if node is unavail.node else "maxSurge"
            yield self.diagnostic(
                m.file.node_span(node),
                _fit(
                    f"{m.label} sets maxSurge and maxUnavailable both to 0, which Kubernetes rejects, so the "
                    "apply fails; allow a surge (maxSurge: 1)."
                ),
                logical_path=f"{base}.{path}.{field}",
            )
            return
        managed = ru.kind != "daemonset" and replicas_managed_elsewhere(m, ctx.project)
        fired = False
        if (
            not ru.managed
            and replicas is not None
            and unavail is not None
            and replicas.value is not None
            and unavail.value is not None
            and replicas.value > 0
            and replicas.value - unavail.value <= 0
            and (unavail.explicit or (surge is not None and surge.explicit))
            and not (managed and not (unavail.percent and unavail.value >= replicas.value and _pct(unavail) >= 100))
            and not (ru.kind == "statefulset" and replicas.value < 2)
        ):
            if unavail.explicit:
                node, field = unavail.node, "maxUnavailable"
            else:
                node, field = surge.node, "maxSurge"
            yield self.diagnostic(
                m.file.node_span(node),
                _fit(
                    f"{m.label} may stop {_all(replicas.value)} at once in a rolling update (maxUnavailable "
                    f"resolves to {unavail.value}): an outage on every release; set maxUnavailable: 0 and maxSurge: 1."
                ),
                logical_path=f"{base}.{path}.{field}",
            )
            fired = True
        if (
            not fired
            and ru.kind in ("deployment", "statefulset", "canary", "bluegreen")
            and replicas is not None
            and replicas.value is not None
            and 0 < replicas.value < 2
            and not managed
            and _complete(m, replicas)
            and is_production_workload(m, ctx.targets)
        ):
            span = m.file.node_span(replicas.node) if replicas.explicit else m.key_span()
            count = "sets replicas: 1" if replicas.explicit else "has no replicas (default 1)"
            yield self.diagnostic(
                span,
                _fit(
                    f"Production {m.label} {count}: every update, node drain or eviction takes it offline; run "
                    "at least 2 replicas or an autoscaler."
                ),
                logical_path=f"{base}.spec.replicas",
            )


def _all(count: int) -> str:
    return "its only pod" if count == 1 else f"all {count} pods"


def _fit(message: str) -> str:
    """Keep a message under 200 characters (very long object names)."""
    return message if len(message) < 200 else message[:196] + "..."


def _pct(q) -> int:
    try:
        return int(q.text.strip()[:-1])
    except ValueError:
        return 0


def _complete(m, replicas) -> bool:
    """A defaulted replica count is only judged on a complete object (a selector and a pod
    template with containers), not on a Kustomize/Helm patch that leaves it to its base."""
    if replicas.explicit:
        return True
    spec = m.spec
    return spec is not None and spec.get("selector") is not None and bool(m.containers)
