"""Argo Rollouts strategy readings (pipelint.rollouts) and the rules built on them:
PL304 canary-without-analysis, PL305 canary-steps-invalid, PL307 unverified-blue-green-switch."""

from __future__ import annotations

import pytest
from conftest import findings, run_lint, write_tree

from pipelint.rollouts import duration_seconds, read_blue_green, read_canary
from pipelint.yamltree import Scalar


def _scalar(text: str, style: str = "") -> Scalar:
    return Scalar(None, text, style=style)


@pytest.mark.parametrize(
    ("text", "style", "seconds"),
    [
        ("30", "", 30),
        ("45", '"', 45),
        ("10s", "", 10),
        ("5m", "", 300),
        ("1h30m", "", 5400),
        ("1.5h", "", 5400),
        ("500ms", "", 0.5),
        ("-30", "", -30),
        ("1d", "", -1),
        ("5 minutes", '"', -1),
        ("", '"', -1),
        ("true", "", -1),
        ("${PAUSE}", '"', None),
        ("{{ .Values.pause }}", '"', None),
    ],
)
def test_duration_seconds(text, style, seconds):
    assert duration_seconds(_scalar(text, style)) == seconds


ROLLOUT = """
    apiVersion: argoproj.io/v1alpha1
    kind: Rollout
    metadata:
      name: web
    spec:
      selector:
        matchLabels: {app: web}
      strategy:
        canary:
          analysis:
            templates:
              - templateName: success-rate
          trafficRouting:
            maxTrafficWeight: 1000
            nginx: {stableIngress: web}
          steps:
            - setWeight: 100
            - pause: {}
            - pause: {duration: 10m}
            - setCanaryScale: {replicas: 1}
              setHeaderRoute: {name: beta}
            - setWeight: 500
              pause: {duration: 1m}
            - "not a step"
      template:
        spec:
          containers:
            - name: web
              image: registry.example.com/web:1.0.0
"""


def test_read_canary(tmp_path):
    result = run_lint(write_tree(tmp_path, {"rollout.yaml": ROLLOUT}), select=["PL304", "PL305"])
    # background analysis, weights within maxTrafficWeight, setCanaryScale+setHeaderRoute allowed;
    # setWeight with pause in one step is refused by the controller
    assert findings(result) == [("rollout.yaml", 23, 11, "PL305")]
    rollout = next(m for m in result.project.manifests if m.kind == "Rollout")
    canary = read_canary(rollout.strategy)
    assert canary.max_weight == 1000 and canary.has_analysis
    assert [s.actions for s in canary.steps] == [
        ["setWeight"],
        ["pause"],
        ["pause"],
        ["setCanaryScale", "setHeaderRoute"],
        ["setWeight", "pause"],
    ]
    assert [s.indefinite_pause for s in canary.steps] == [False, True, False, False, False]
    assert [s.conflicting for s in canary.steps][3:] == [[], ["setWeight", "pause"]]
    assert canary.steps[0].weight == 100 and canary.steps[2].waits and not canary.steps[3].waits


def test_rules_on_an_inline_tree(tmp_path):
    root = write_tree(
        tmp_path,
        {
            "bad.yaml": """
                apiVersion: argoproj.io/v1alpha1
                kind: Rollout
                metadata:
                  name: api
                spec:
                  strategy:
                    canary:
                      steps:
                        - setWeight: 20
                        - setWeight: 40
                        - pause: {duration: 1w}
                        - setWeight: 30
                    """,
            "bg.yaml": """
                apiVersion: argoproj.io/v1alpha1
                kind: Rollout
                metadata:
                  name: bg
                spec:
                  strategy:
                    blueGreen:
                      activeService: bg
                      autoPromotionEnabled: true
                    """,
        },
    )
    result = run_lint(root, select=["PL304", "PL305", "PL307"])
    assert findings(result) == [
        ("bad.yaml", 9, 11, "PL304"),
        ("bad.yaml", 10, 22, "PL305"),
        ("bad.yaml", 11, 29, "PL305"),
        ("bad.yaml", 12, 22, "PL305"),
        ("bg.yaml", 9, 29, "PL307"),
    ]
    for d in result.active:
        assert len(d.message) < 200 and d.message == d.message.strip()


def test_partial_and_odd_rollouts_are_skipped_without_crashing(tmp_path):
    root = write_tree(
        tmp_path,
        {
            # no spec.strategy: a status fragment
            "status.yaml": """
                apiVersion: argoproj.io/v1alpha1
                kind: Rollout
                metadata: {name: web}
                status: {phase: Healthy}
                """,
            # odd shapes: steps not a list, weights as strings, strategy as a scalar
            "odd.yaml": """
                apiVersion: argoproj.io/v1alpha1
                kind: Rollout
                metadata: {name: odd}
                spec:
                  strategy:
                    canary:
                      steps: "{{ .Values.steps }}"
                ---
                apiVersion: argoproj.io/v1alpha1
                kind: Rollout
                metadata: {name: odd2}
                spec:
                  strategy:
                    canary:
                      steps:
                        - setWeight: "{{ .Values.weight }}"
                        - pause: []
                        - ~
                        - pause: {duration: {nested: 1}}
                ---
                apiVersion: argoproj.io/v1alpha1
                kind: Rollout
                metadata: {name: odd3}
                spec:
                  strategy: canary
                ---
                apiVersion: example.com/v1
                kind: Rollout
                metadata: {name: not-argo}
                spec:
                  strategy:
                    blueGreen: {activeService: x}
                """,
            # a Kustomize patch: partial, not judged
            "overlay/kustomization.yaml": """
                resources: [../base]
                patchesStrategicMerge:
                  - rollout-patch.yaml
                """,
            "overlay/rollout-patch.yaml": """
                apiVersion: argoproj.io/v1alpha1
                kind: Rollout
                metadata: {name: web}
                spec:
                  strategy:
                    blueGreen:
                      autoPromotionEnabled: true
                    """,
        },
    )
    result = run_lint(root, select=["PL304", "PL305", "PL307"])
    assert findings(result) == []
    assert not getattr(result, "internal_errors", None)


def test_read_blue_green_defaults():
    from pipelint.yamltree import Mapping

    assert read_canary(Mapping(None, [])) is None
    assert read_blue_green(Mapping(None, [])) is None
