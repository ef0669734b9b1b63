"""pipelint.workloads: production-likeness of Kubernetes objects, the rolling-update
arithmetic as the controllers resolve it, and image references (PL401, PL402, PL405)."""

from __future__ import annotations

import pytest

from conftest import run_lint, write_tree
from pipelint.config import Settings
from pipelint.environments import Targets
from pipelint.workloads import (
    is_placeholder,
    is_production_workload,
    kustomize_overrides_image,
    parse_image,
    path_is_production,
    replicas_managed_elsewhere,
    rolling_update,
)

TARGETS = Targets.from_settings(Settings())


def _deployment(strategy: str = "", replicas: str = "", namespace: str = "", kind: str = "Deployment", extra: str = "") -> str:
    lines = ["apiVersion: apps/v1", f"kind: {kind}", "metadata:", "  name: app"]
    if namespace:
        lines.append(f"  namespace: {namespace}")
    lines.append("spec:")
    if replicas:
        lines.append(f"  replicas: {replicas}")
    if strategy:
        lines.extend("  " + line for line in strategy.strip("\n").splitlines())
    lines += [
        "  selector:",
        "    matchLabels: {app: app}",
        "  template:",
        "    metadata:",
        "      labels: {app: app}",
        "    spec:",
        "      containers:",
        "        - name: app",
        "          image: registry.example.com/app:1.0.0",
    ]
    return "\n".join(lines) + "\n" + extra


def _manifests(tmp_path, files: dict[str, str]):
    root = write_tree(tmp_path, files)
    result = run_lint(root, select=["PL001"])
    return result.project, [m for m in result.project.manifests]


def _one(tmp_path, text: str, path: str = "k8s/app.yaml"):
    project, manifests = _manifests(tmp_path, {path: text})
    return manifests[0]


# ------------------------------------------------------------------ rolling updates
@pytest.mark.parametrize(
    "replicas, strategy, surge, unavailable",
    [
        # defaults 25%/25%: surge rounds up, unavailable rounds down
        ("", "", 1, 0),
        ("4", "", 1, 1),
        ("10", "", 3, 2),
        ("10", "strategy:\n  rollingUpdate: {maxSurge: 10%, maxUnavailable: 15%}", 1, 1),
        ("3", "strategy:\n  rollingUpdate: {maxSurge: 0, maxUnavailable: 50%}", 0, 1),
        # both resolve to 0 (not both written as 0): the controller allows one unavailable
        ("1", "strategy:\n  rollingUpdate: {maxSurge: 0, maxUnavailable: 25%}", 0, 1),
        ("5", 'strategy:\n  rollingUpdate: {maxSurge: "1", maxUnavailable: "100%"}', 1, 5),
    ],
)
def test_deployment_arithmetic(tmp_path, replicas, strategy, surge, unavailable):
    ru = rolling_update(_one(tmp_path, _deployment(strategy, replicas)))
    assert ru.kind == "deployment"
    assert (ru.max_surge.value, ru.max_unavailable.value) == (surge, unavailable)
    assert ru.replicas.value == (int(replicas) if replicas else 1)
    assert not ru.both_zero


@pytest.mark.parametrize("surge, unavailable", [("0", "0"), ("0%", "0"), ('"0%"', '"0%"')])
def test_both_zero_is_invalid(tmp_path, surge, unavailable):
    strategy = f"strategy:\n  rollingUpdate: {{maxSurge: {surge}, maxUnavailable: {unavailable}}}"
    assert rolling_update(_one(tmp_path, _deployment(strategy, "3"))).both_zero


def test_templated_values_are_unknown(tmp_path):
    strategy = 'strategy:\n  rollingUpdate: {maxSurge: 0, maxUnavailable: "${MAX_UNAVAILABLE}"}'
    ru = rolling_update(_one(tmp_path, _deployment(strategy, '"${REPLICAS}"')))
    assert ru.replicas.value is None and ru.max_unavailable.value is None and not ru.both_zero


def test_recreate_and_on_delete_do_not_roll(tmp_path):
    assert rolling_update(_one(tmp_path, _deployment("strategy: {type: Recreate}", "2"))) is None
    sts = _deployment("updateStrategy: {type: OnDelete}", "3", kind="StatefulSet")
    assert rolling_update(_one(tmp_path / "s", sts)) is None


def test_statefulset_and_daemonset(tmp_path):
    sts = rolling_update(_one(tmp_path, _deployment("", "3", kind="StatefulSet")))
    assert (sts.kind, sts.replicas.value, sts.max_unavailable.value, sts.max_unavailable.explicit) == ("statefulset", 3, 1, False)
    ds_text = _deployment("updateStrategy:\n  rollingUpdate: {maxUnavailable: 0}", kind="DaemonSet")
    ds = rolling_update(_one(tmp_path / "d", ds_text))
    assert ds.kind == "daemonset" and ds.replicas is None and ds.both_zero


def test_argo_canary_defaults_are_not_judged(tmp_path):
    text = """
        apiVersion: argoproj.io/v1alpha1
        kind: Rollout
        metadata: {name: web}
        spec:
          replicas: 1
          strategy:
            canary:
              steps: [{setWeight: 50}]
    """
    ru = rolling_update(_one(tmp_path, text))
    assert ru.kind == "canary" and ru.max_surge.value is None and ru.max_unavailable.value is None
    text2 = text.replace("steps:", "maxSurge: 0\n              maxUnavailable: 0\n              steps:")
    assert rolling_update(_one(tmp_path / "b", text2)).both_zero


# ------------------------------------------------------------------ production-likeness
@pytest.mark.parametrize(
    "path, expected",
    [
        ("overlays/production/deployment.yaml", True),
        ("k8s/prod-eu/app.yaml", True),
        ("clusters/live/app.yaml", True),
        ("overlays/pre-prod/app.yaml", False),
        ("overlays/non-prod/app.yaml", False),
        ("services/product-catalog/app.yaml", False),
        ("testdata/deploy-live.yaml", False),  # the file name is not judged
    ],
)
def test_path_segments(path, expected):
    assert path_is_production(path, TARGETS) is expected


def test_namespace_and_labels(tmp_path):
    assert is_production_workload(_one(tmp_path, _deployment(namespace="shop-prod")), TARGETS)
    assert not is_production_workload(_one(tmp_path / "a", _deployment(namespace="shop-preprod")), TARGETS)
    labelled = _deployment().replace("  name: app\n", "  name: app\n  labels:\n    app.kubernetes.io/environment: production\n")
    assert is_production_workload(_one(tmp_path / "b", labelled), TARGETS)
    tier = _deployment().replace("  name: app\n", "  name: app\n  labels:\n    tier: production\n")
    assert not is_production_workload(_one(tmp_path / "c", tier), TARGETS)
    assert not is_production_workload(_one(tmp_path / "d", _deployment()), None)


# ------------------------------------------------------------------ cross-file indexes
def test_autoscalers_and_kustomize_images(tmp_path):
    hpa = """
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: app-hpa}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: app}
          minReplicas: 2
          maxReplicas: 5
    """
    kustomization = """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources: [app.yaml]
        images:
          - {name: registry.example.com/app, newTag: 1.2.3}
          - {name: nginx, newTag: latest}
    """
    project, manifests = _manifests(tmp_path, {"k8s/app.yaml": _deployment(), "k8s/hpa.yaml": hpa, "k8s/kustomization.yaml": kustomization})
    app = next(m for m in manifests if m.kind == "Deployment")
    assert replicas_managed_elsewhere(app, project)
    assert kustomize_overrides_image(parse_image("registry.example.com/app"), project)
    assert not kustomize_overrides_image(parse_image("nginx"), project)  # newTag: latest pins nothing


# ------------------------------------------------------------------ images
@pytest.mark.parametrize(
    "text, name, tag, digest, mutable",
    [
        ("nginx", "nginx", None, None, True),
        ("nginx:latest", "nginx", "latest", None, True),
        ("nginx:1.27", "nginx", "1.27", None, False),
        ("registry:5000/team/app", "registry:5000/team/app", None, None, True),
        ("registry:5000/team/app:2.0", "registry:5000/team/app", "2.0", None, False),
        ("ghcr.io/a/b@sha256:abcd", "ghcr.io/a/b", None, "sha256:abcd", False),
        ("ghcr.io/a/b:latest@sha256:abcd", "ghcr.io/a/b", "latest", "sha256:abcd", False),
    ],
)
def test_parse_image(text, name, tag, digest, mutable):
    ref = parse_image(text)
    assert (ref.name, ref.tag, ref.digest, ref.mutable) == (name, tag, digest, mutable)


@pytest.mark.parametrize(
    "text",
    ["${IMAGE}", "{{ .Values.image }}", "$(IMAGE)", "<IMAGE>", "gcr.io/PROJECT_ID/app", "IMAGE", "ko://github.com/a/b", "auto", "", "/agentgateway:", "hub/:1.0"],
)
def test_unknown_images(text):
    assert parse_image(text) is None


def test_placeholders():
    assert is_placeholder("${REPLICAS}") and is_placeholder("__TAG__") and not is_placeholder("25%")
