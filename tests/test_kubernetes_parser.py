"""Kubernetes and Argo manifests are read into the model (pipelint.parsers.kubernetes),
wherever they live; other YAML and Helm chart templates are not."""

from __future__ import annotations

from conftest import run_lint, write_tree

APP = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: checkout
      namespace: shop-prod
    spec:
      replicas: 3
      strategy:
        type: RollingUpdate
        rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}
      selector:
        matchLabels: {app: checkout}
      template:
        metadata:
          labels: {app: checkout}
        spec:
          initContainers:
            - name: migrate
              image: registry.example.com/checkout-migrate:1.4.2
          containers:
            - name: app
              image: registry.example.com/checkout:1.4.2
              ports:
                - containerPort: 8080
              readinessProbe:
                httpGet: {path: /ready, port: 8080}
              livenessProbe:
                httpGet: {path: /live, port: 8080}
    ---
    apiVersion: v1
    kind: Service
    metadata:
      name: checkout
      namespace: shop-prod
    spec:
      selector: {app: checkout}
      ports:
        - port: 80
          targetPort: 8080
"""

ROLLOUT = """
    apiVersion: argoproj.io/v1alpha1
    kind: Rollout
    metadata:
      name: payments
    spec:
      strategy:
        canary:
          steps:
            - setWeight: 20
            - analysis:
                templates:
                  - templateName: success-rate
      template:
        spec:
          containers:
            - name: payments
              image: registry.example.com/payments@sha256:0d4b1c3e6f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c
    ---
    apiVersion: argoproj.io/v1alpha1
    kind: AnalysisTemplate
    metadata:
      name: success-rate
    spec:
      metrics:
        - name: success-rate
          successCondition: result[0] >= 0.95
          provider:
            prometheus:
              query: sum(rate(http_requests_total{code!~"5.."}[5m])) / sum(rate(http_requests_total[5m]))
"""


def _manifests(result):
    return [(m.file.path, m.kind, m.name, m.namespace) for m in result.project.manifests]


def test_manifests_in_any_folder_with_their_pod_templates(tmp_path):
    root = write_tree(tmp_path, {"deploy/k8s/app.yaml": APP, "build/rollout.yml": ROLLOUT})
    result = run_lint(root, select=["PL001"])
    assert result.active == []
    assert _manifests(result) == [
        ("build/rollout.yml", "Rollout", "payments", None),
        ("build/rollout.yml", "AnalysisTemplate", "success-rate", None),
        ("deploy/k8s/app.yaml", "Deployment", "checkout", "shop-prod"),
        ("deploy/k8s/app.yaml", "Service", "checkout", "shop-prod"),
    ]
    deployment = next(m for m in result.project.manifests if m.kind == "Deployment")
    assert deployment.group == "apps" and deployment.document == 0
    assert [(c.name, c.init, c.image.value) for c in deployment.containers] == [
        ("migrate", True, "registry.example.com/checkout-migrate:1.4.2"),
        ("app", False, "registry.example.com/checkout:1.4.2"),
    ]
    app = deployment.containers[1]
    assert app.readiness.get("httpGet").get("path").value == "/ready"
    assert deployment.strategy.get("type").value == "RollingUpdate"
    span = deployment.key_span()
    assert (span.path, span.start.line, span.start.column) == ("deploy/k8s/app.yaml", 4, 9)
    rollout = next(m for m in result.project.manifests if m.kind == "Rollout")
    assert rollout.strategy.get("canary") is not None and rollout.containers[0].name == "payments"


def test_lists_and_kustomize_files(tmp_path):
    root = write_tree(
        tmp_path,
        {
            "overlays/prod/kustomization.yaml": """
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                namespace: shop-prod
                resources: [../../base]
            """,
            "export.yaml": """
                apiVersion: v1
                kind: List
                items:
                  - apiVersion: v1
                    kind: ConfigMap
                    metadata: {name: settings}
                  - apiVersion: apps/v1
                    kind: StatefulSet
                    metadata: {name: db}
                    spec:
                      template:
                        spec:
                          containers: [{name: postgres, image: postgres}]
            """,
        },
    )
    result = run_lint(root, select=["PL001"])
    assert [(m.kind, m.name, m.item) for m in result.project.manifests] == [
        ("ConfigMap", "settings", 0),
        ("StatefulSet", "db", 1),
        ("Kustomization", "", None),
    ]


def test_other_yaml_and_helm_templates_are_not_manifests(tmp_path, capsys):
    root = write_tree(
        tmp_path,
        {
            "docker-compose.yml": "services:\n  web:\n    image: nginx\n",
            "mkdocs.yml": "site_name: Docs\nnav: [index.md]\n",
            "charts/shop/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 1.0.0\n",
            "charts/shop/templates/deployment.yaml": """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: {{ include "shop.fullname" . }}
                spec:
                  replicas: {{ .Values.replicas }}
                  {{- with .Values.strategy }}
                  strategy: {{ toYaml . | nindent 4 }}
                  {{- end }}
            """,
            "charts/shop/templates/service.yaml": "{{- if .Values.service.enabled }}\napiVersion: v1\nkind: Service\n{{- end }}\n",
        },
    )
    result = run_lint(root, select=["PL001"])
    assert result.active == []  # a chart template is not YAML until Helm renders it: never PL001
    assert list(result.project.manifests) == [] and result.files == 0  # Chart.yaml has no `kind`
    assert result.notices == [
        "skipped 2 Helm chart template file(s) (charts/shop/templates/deployment.yaml and 1 more): not YAML until Helm renders them"
    ]


def test_invalid_manifest_is_pl001(tmp_path):
    root = write_tree(tmp_path, {"k8s/app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n"})
    result = run_lint(root, select=["PL001"])
    assert [(d.code, d.path, d.line, d.column) for d in result.active] == [("PL001", "k8s/app.yaml", 5, 3)]


def test_kustomization_without_apiversion_and_kind(tmp_path):
    root = write_tree(
        tmp_path,
        {
            "overlays/prod/kustomization.yaml": "resources: [../../base]\nimages:\n  - name: shop\n    newTag: 1.2.3\n",
            "notes/settings.yaml": "resources: [a, b]\n",  # not named like a Kustomization: not read
        },
    )
    result = run_lint(root, select=["PL001"])
    assert [(m.file.path, m.kind) for m in result.project.manifests] == [("overlays/prod/kustomization.yaml", "Kustomization")]
