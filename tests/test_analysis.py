"""Argo Rollouts analysis templates and references (pipelint.analysis) and PL303."""

from __future__ import annotations

from conftest import findings, run_lint, write_tree
from pipelint.analysis import analysis_index, missing_args, template_references

ROLLOUT = """
    apiVersion: argoproj.io/v1alpha1
    kind: Rollout
    metadata:
      name: web
      namespace: shop
    spec:
      strategy:
        canary:
          analysis:
            templates:
              - templateName: success-rate
            args:
              - name: service
                value: web
          steps:
            - setWeight: 20
            - analysis:
                templates:
                  - templateName: error-rate
                    clusterScope: true
            - experiment:
                analyses:
                  - name: bench
                    templateName: bench
                    args:
                      - name: host
                        value: web-canary
"""

TEMPLATES = """
    apiVersion: argoproj.io/v1alpha1
    kind: AnalysisTemplate
    metadata:
      name: success-rate
      namespace: shop
    spec:
      args:
        - name: service
        - name: quantile
          value: "0.95"
        - name: token
          valueFrom:
            secretKeyRef: {name: dd, key: token}
      metrics:
        - name: m
          provider: {web: {url: http://x}}
    ---
    apiVersion: argoproj.io/v1alpha1
    kind: ClusterAnalysisTemplate
    metadata:
      name: error-rate
    spec:
      args:
        - name: service
      metrics:
        - name: m
          provider: {web: {url: http://x}}
    ---
    apiVersion: argoproj.io/v1alpha1
    kind: AnalysisTemplate
    metadata:
      name: bench
    spec:
      templates:
        - templateName: success-rate
      args:
        - name: host
"""


def _project(tmp_path, files):
    result = run_lint(write_tree(tmp_path, files), select=["PL303"])
    return result


def test_references_of_every_shape(tmp_path):
    result = _project(tmp_path, {"deploy/rollout.yaml": ROLLOUT, "deploy/templates.yaml": TEMPLATES})
    rollout = next(m for m in result.project.manifests if m.kind == "Rollout")
    refs = template_references(rollout)
    assert [(r.name, r.cluster_scope, r.path) for r in refs] == [
        ("success-rate", False, "spec.strategy.canary.analysis.templates[0].templateName"),
        ("error-rate", True, "spec.strategy.canary.steps[1].analysis.templates[0].templateName"),
        ("bench", False, "spec.strategy.canary.steps[2].experiment.analyses[0].templateName"),
    ]
    assert refs[0].supplied == frozenset({"service"})
    assert refs[1].supplied == frozenset()
    composing = next(m for m in result.project.manifests if m.name == "bench")
    assert [r.check_args for r in template_references(composing)] == [False]


def test_resolution_and_required_args(tmp_path):
    result = _project(tmp_path, {"deploy/rollout.yaml": ROLLOUT, "deploy/templates.yaml": TEMPLATES})
    index = analysis_index(result.project)
    rollout = next(m for m in result.project.manifests if m.kind == "Rollout")
    refs = template_references(rollout)
    first = index.resolve(refs[0])
    assert first.template is not None and first.template.name == "success-rate"
    # quantile has a default, token a valueFrom: only service is required, and it is supplied
    assert [a.name for a in first.template.args.values() if a.required] == ["service"]
    assert missing_args(refs[0], first.template) == []
    second = index.resolve(refs[1])
    assert second.template is not None and second.template.cluster
    assert [a.name for a in missing_args(refs[1], second.template)] == ["service"]
    assert findings(result, "PL303") == [("deploy/rollout.yaml", 19, 31, "PL303")]


def test_wrong_namespace_and_did_you_mean(tmp_path):
    rollout = ROLLOUT.replace("templateName: success-rate", "templateName: sucess-rate")
    templates = TEMPLATES.replace("namespace: shop", "namespace: other")
    result = _project(tmp_path, {"deploy/rollout.yaml": rollout, "deploy/templates.yaml": TEMPLATES})
    got = [d for d in result.active if d.code == "PL303" and "sucess-rate" in d.message]
    assert len(got) == 1 and "did you mean 'success-rate'?" in got[0].message
    assert got[0].related and got[0].related[0].span.path == "deploy/templates.yaml"
    result = _project(tmp_path / "ns", {"deploy/rollout.yaml": ROLLOUT, "deploy/templates.yaml": templates})
    got = [d for d in result.active if d.code == "PL303" and "namespace 'other'" in d.message]
    assert len(got) == 1


def test_missing_namespace_matches(tmp_path):
    templates = TEMPLATES.replace("  namespace: shop\n", "")
    result = _project(tmp_path, {"deploy/rollout.yaml": ROLLOUT, "deploy/templates.yaml": templates})
    assert not [d for d in result.active if d.code == "PL303" and "success-rate" in d.message]


def test_no_template_in_repository_is_unknown(tmp_path):
    result = _project(tmp_path, {"deploy/rollout.yaml": ROLLOUT})
    assert findings(result, "PL303") == []


def test_templated_and_kustomize_renamed_names(tmp_path):
    rollout = ROLLOUT.replace("templateName: success-rate", "templateName: '{{ .Values.analysis }}'")
    result = _project(tmp_path, {"deploy/rollout.yaml": rollout, "deploy/templates.yaml": TEMPLATES})
    assert not [d for d in result.active if d.code == "PL303" and "analysis" in d.message and "Values" in d.message]
    renamed = TEMPLATES.replace("name: success-rate", "name: prod-success-rate")
    kustomization = """
        namePrefix: prod-
        resources: [rollout.yaml, templates.yaml]
    """
    result = _project(
        tmp_path / "k",
        {"deploy/rollout.yaml": ROLLOUT, "deploy/templates.yaml": renamed, "deploy/kustomization.yaml": kustomization},
    )
    assert not [d for d in result.active if d.code == "PL303" and "success-rate" in d.message]


def test_live_objects_are_skipped(tmp_path):
    rollout = ROLLOUT.replace("  namespace: shop\n", "  namespace: shop\n  uid: 1234\n  resourceVersion: '42'\n", 1)
    rollout = rollout.replace("templateName: success-rate", "templateName: gone")
    result = _project(tmp_path, {"deploy/rollout.yaml": rollout, "deploy/templates.yaml": TEMPLATES})
    assert findings(result, "PL303") == []
