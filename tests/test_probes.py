"""pipelint.probes: which containers serve traffic (PL403) and what probes check (PL404)."""

from __future__ import annotations

import textwrap

from conftest import findings, run_lint, write_tree
from pipelint.probes import (
    ServiceIndex,
    is_metrics_port_name,
    is_serving_workload,
    probe_target,
    same_probe,
    serving_containers,
)

POD = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      namespace: {ns}
    spec:
      selector:
        matchLabels: {{app: web}}
      template:
        metadata:
          labels: {{app: web, tier: front}}
        spec:
          initContainers:
            - name: init
              image: busybox:1.36
          containers:
            - name: app
              image: ghcr.io/acme/web:1.0.0
            - name: sidecar
              image: ghcr.io/acme/sidecar:1.0.0
              ports:
                - {{name: admin, containerPort: 9000}}
"""

SERVICE = """
    apiVersion: v1
    kind: Service
    metadata:
      name: web
      namespace: {ns}
    spec:
      selector: {{app: web}}
      ports:
        - port: 80
          targetPort: {target}
"""


def _join(*docs: str) -> str:
    return "---\n".join(textwrap.dedent(d).lstrip("\n") for d in docs)


def _manifests(tmp_path, files):
    result = run_lint(write_tree(tmp_path, files), select=["PL001"])
    return list(result.project.manifests)


def _workload(manifests, name="web"):
    return next(m for m in manifests if m.name == name and m.kind != "Service")


def test_ports_make_a_container_serving_without_a_service(tmp_path):
    ms = _manifests(tmp_path, {"k8s/web.yaml": POD.format(ns="shop")})
    w = _workload(ms)
    assert is_serving_workload(w)
    assert [c.name for c in serving_containers(w, [])] == ["sidecar"]


def test_service_target_port_names_the_serving_container(tmp_path):
    # targetPort 8080 is declared by nobody: with two containers only the one with ports
    ms = _manifests(tmp_path, {"k8s/web.yaml": _join(POD.format(ns="shop"), SERVICE.format(ns="shop", target=8080))})
    w = _workload(ms)
    selected = ServiceIndex(ms).resolve([w])[id(w)]
    assert [s.manifest.name for s in selected] == ["web"]
    assert [c.name for c in serving_containers(w, selected)] == ["sidecar"]


def test_named_target_port_picks_its_container(tmp_path):
    # the Service targets the sidecar's `admin` port: `app` (no ports) is not blamed
    ms = _manifests(tmp_path, {"k8s/web.yaml": _join(POD.format(ns="shop"), SERVICE.format(ns="shop", target="admin"))})
    w = _workload(ms)
    selected = ServiceIndex(ms).resolve([w])[id(w)]
    assert [c.name for c in serving_containers(w, selected)] == ["sidecar"]


def test_single_container_pod_selected_by_a_service_serves(tmp_path):
    pod = POD.format(ns="shop").split("            - name: sidecar")[0]
    ms = _manifests(tmp_path, {"k8s/web.yaml": pod, "k8s/svc.yaml": SERVICE.format(ns="shop", target=3000)})
    w = _workload(ms)
    selected = ServiceIndex(ms).resolve([w])[id(w)]
    assert [c.name for c in serving_containers(w, selected)] == ["app"]


def test_namespace_and_folder_limit_service_matching(tmp_path):
    pod = POD.format(ns="shop").split("            - name: sidecar")[0]
    ms = _manifests(
        tmp_path,
        {
            "a/web.yaml": pod,
            "a/svc-other-ns.yaml": SERVICE.format(ns="billing", target=80),
            "b/svc-other-repo.yaml": SERVICE.format(ns="shop", target=80),
        },
    )
    w = _workload(ms)
    assert ServiceIndex(ms).resolve([w])[id(w)] == []
    assert serving_containers(w, []) == []


def test_missing_namespace_is_default(tmp_path):
    pod = POD.format(ns="default").split("            - name: sidecar")[0]
    svc = "\n".join(line for line in SERVICE.format(ns="default", target=80).splitlines() if "namespace" not in line)
    ms = _manifests(tmp_path, {"k8s/all.yaml": _join(pod, svc)})
    w = _workload(ms)
    assert len(ServiceIndex(ms).resolve([w])[id(w)]) == 1


def test_metrics_port_names():
    for name in ("metrics", "http-metrics", "http-envoy-prom", "pprof"):
        assert is_metrics_port_name(name)
    for name in ("http", "grpc", "web", None, "promo"):
        assert not is_metrics_port_name(name)


PROBES = """
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: api}
    spec:
      template:
        spec:
          containers:
            - name: api
              image: ghcr.io/acme/api:1.0.0
              ports: [{name: http, containerPort: 8080}]
              readinessProbe:
                httpGet: {path: /healthz, port: http}
                periodSeconds: 5
              livenessProbe:
                httpGet: {path: /healthz, port: 8080, scheme: HTTP}
                periodSeconds: 30
            - name: db
              image: postgres:16
              readinessProbe:
                exec: {command: [pg_isready, -U, app]}
              livenessProbe:
                exec: {command: [pg_isready, -U, postgres]}
"""


def test_probe_readings_normalise_ports_and_defaults(tmp_path):
    w = _workload(_manifests(tmp_path, {"k8s/api.yaml": PROBES}), "api")
    api, db = w.containers
    assert probe_target(api, api.readiness) == probe_target(api, api.liveness)
    assert same_probe(api)
    assert not same_probe(db)


def test_rules_end_to_end(tmp_path):
    root = write_tree(tmp_path, {"k8s/api.yaml": PROBES, "k8s/web.yaml": POD.format(ns="shop")})
    result = run_lint(root, select=["PL403", "PL404"])
    assert not result.internal_errors
    assert findings(result) == [
        ("k8s/api.yaml", 11, 11, "PL404"),
        ("k8s/web.yaml", 19, 17, "PL403"),
    ]
