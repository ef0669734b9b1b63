"""PL402 recreate-strategy-in-production."""

from __future__ import annotations

from pipelint.diagnostics import Severity
from pipelint.rule import Rule
from pipelint.workloads import is_production_workload
from pipelint.yamltree import Mapping, Scalar


class RecreateStrategyInProduction(Rule):
    """## What it does
    Reports a Deployment with `strategy.type: Recreate` in a production-like namespace,
    path (a folder such as `prod` or `overlays/production`) or environment label.

    ## Why is this bad?
    `Recreate` terminates every old pod before the first new one starts: each release is
    an outage lasting the whole image pull and startup, and a new version that fails to
    start leaves nothing serving at all.

    ## Example
    ```yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: api
      namespace: production
    spec:
      strategy:
        type: Recreate
    ```

    ## Use instead
    ```yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: api
      namespace: production
    spec:
      strategy:
        type: RollingUpdate
        rollingUpdate:
          maxSurge: 1
          maxUnavailable: 0
    ```
    """

    code = "PL402"
    name = "recreate-strategy-in-production"
    severity = Severity.WARNING
    platforms = ("kubernetes",)
    tags = ("kubernetes", "rollout")
    precision = "high"
    scope = "file"

    def check(self, ctx):
        for m in ctx.file.manifests:
            if m.kind != "Deployment" or not isinstance(m.strategy, Mapping):
                continue
            stype = m.strategy.get("type")
            if not isinstance(stype, Scalar) or str(stype.value) != "Recreate":
                continue
            if not is_production_workload(m, ctx.targets):
                continue
            yield self.diagnostic(
                m.file.node_span(stype),
                f"Production {m.label} uses the Recreate strategy, which stops every pod before starting the "
                "new ones: each release is an outage; use RollingUpdate with maxUnavailable: 0.",
                logical_path=f"{m.kind}.{m.name}.spec.strategy.type",
            )
