"""PL403 missing-readiness-probe: a container that serves traffic has no readinessProbe.

What serves is read by :mod:`pipelint.probes`: a long-running workload's container with
ports (other than metrics-only ports), or the container a Service of the scan targets.
Project-scoped because the Service may live in another file than the workload.
"""

from __future__ import annotations

from pipelint.diagnostics import Related, Severity
from pipelint.probes import ServiceIndex, container_path, is_serving_workload, serving_containers
from pipelint.rule import Rule


class MissingReadinessProbe(Rule):
    """## What it does
    Reports a container of a Deployment, StatefulSet, DaemonSet or Argo Rollout that
    serves traffic (it declares ports, or a Service in the scanned files selects its pod
    and targets its port) but has no `readinessProbe`.

    Init containers, Jobs and CronJobs, containers that only expose metrics ports, and
    Rollouts that reference a Deployment through `workloadRef` are not judged.

    ## Why is this bad?
    Without a readiness probe a pod is added to its Service's endpoints as soon as its
    containers start, before the application listens or has warmed up, and a rolling
    update removes old pods as soon as new ones "start": every rollout sends requests to
    pods that cannot answer them yet. A pod that loses its database is never taken out
    of rotation either.

    ## Example
    ```yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: checkout
    spec:
      template:
        spec:
          containers:
            - name: app
              image: registry.example.com/checkout:1.4.2
              ports:
                - containerPort: 8080
    ```

    ## Use instead
    ```yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: checkout
    spec:
      template:
        spec:
          containers:
            - name: app
              image: registry.example.com/checkout:1.4.2
              ports:
                - containerPort: 8080
              readinessProbe:
                httpGet:
                  path: /ready
                  port: 8080
    ```
    """

    code = "PL403"
    name = "missing-readiness-probe"
    severity = Severity.WARNING
    platforms = ("kubernetes",)
    tags = ("kubernetes", "rollout")
    precision = "high"
    scope = "project"

    def check(self, ctx):
        manifests = list(ctx.project.manifests)
        workloads = [m for m in manifests if is_serving_workload(m)]
        if not workloads:
            return
        selecting = ServiceIndex(manifests).resolve(workloads)
        for workload in workloads:
            selected_by = selecting[id(workload)]
            for container in serving_containers(workload, selected_by):
                if container.readiness is not None:
                    continue
                file = workload.file
                name_node = container.node.get("name")
                anchor = name_node if name_node is not None and container.name else container.node
                who = f"Container '{container.name}'" if container.name else "A container"
                related = [Related(s.manifest.key_span(), f"Service '{s.manifest.name}' sends traffic to this pod")
                           for s in selected_by[:3]]
                message = (
                    f"{who} of {workload.label} serves traffic but has no readinessProbe, so it receives "
                    "requests before it can answer them; add a readinessProbe."
                )
                if len(message) > 199:  # long names: the finding points at the container
                    message = (
                        f"{who} serves traffic but has no readinessProbe, so it receives requests before it can "
                        "answer them; add a readinessProbe."
                    )
                yield self.diagnostic(
                    file.node_span(anchor),
                    message,
                    related=related,
                    logical_path=container_path(workload, container),
                )
