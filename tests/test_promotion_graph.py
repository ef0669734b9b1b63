"""``pipelint graph``: the promotion graph of the fixtures under fixtures/promotion/, its
four formats, the command's exit codes, real Mermaid and Graphviz renders, the corpus."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import CORPUS, FIXTURES, REPO, crashing_rule, write_tree
from pipelint.config import Settings
from pipelint.engine import lint
from pipelint.environments import Targets
from pipelint.promotion import command
from pipelint.promotion.build import build
from pipelint.promotion.render import dot_text, mermaid_text, render, to_data, to_dot, to_json, to_mermaid
from pipelint.registry import Registry

PROMOTION = FIXTURES / "promotion"
GITHUB, GITLAB, AZURE = PROMOTION / "github", PROMOTION / "gitlab", PROMOTION / "azure"
DEPLOY_WF, EDGE_WF = ".github/workflows/deploy.yml", ".github/workflows/edge.yml"


def graph_of(root: Path, settings: Settings | None = None):
    """The promotion graph of ``root`` linted as if pipelint were started in it."""
    settings = settings or Settings()
    result = lint([str(root)], settings, Registry.load(), cwd=str(root), jobs=1, cache=None, keep_model=True)
    assert not result.internal_errors
    return build(result.project, result.active, Targets.from_settings(settings))


@pytest.fixture(scope="module")
def github():
    return graph_of(GITHUB)


@pytest.fixture(scope="module")
def gitlab():
    return graph_of(GITLAB)


@pytest.fixture(scope="module")
def azure():
    return graph_of(AZURE)


def view(graph, path):
    (found,) = [v for v in graph.pipelines if v.path == path]
    return found


def jobs(v) -> dict:
    return {j.id: j for j in v.jobs}


def edges(v) -> list[tuple[str, str, str]]:
    ids = {j.key: j.id for j in v.jobs}
    return [(ids[e.source], ids[e.target], e.kind) for e in v.edges]


def findings(job) -> list[tuple[str, str, int, int]]:
    return [(f.code, f.place.path, f.place.line, f.place.column) for f in job.findings]


def where(gate) -> tuple | None:
    return None if gate.where is None else (gate.where.path, gate.where.line, gate.where.column)


# ------------------------------------------------------------------ GitHub


def test_github_build_staging_production_and_a_workflow_run_deploy(github):
    assert [v.path for v in github.pipelines] == [DEPLOY_WF, EDGE_WF]
    assert github.deploy_jobs == 3  # deploy-staging, deploy-production, deploy-edge (each once)

    deploy = view(github, DEPLOY_WF)
    assert (deploy.name, deploy.platform) == ("Deploy", "github")
    assert [j.id for j in deploy.jobs] == ["build", "deploy-staging", "deploy-production"]
    assert edges(deploy) == [("build", "deploy-staging", "needs"), ("deploy-staging", "deploy-production", "needs")]
    by_id = jobs(deploy)

    build_job = by_id["build"]
    assert (build_job.deploy, build_job.target, build_job.gate, build_job.findings) == (False, None, None, [])
    assert (build_job.place.path, build_job.place.line, build_job.place.column) == (DEPLOY_WF, 13, 3)

    staging = by_id["deploy-staging"]
    assert (staging.deploy, staging.target, staging.environment) == (True, "staging", ("staging",))
    assert (staging.gate.kind, staging.gate.status, staging.gate.blocking) == ("reviewers-in-environment", "unknown", True)
    assert where(staging.gate) == (DEPLOY_WF, 28, 7)  # the environment mapping
    assert "repository settings" in staging.gate.detail
    assert [(c.label, c.where.line, c.where.column) for c in staging.verification] == [
        ("kubectl rollout status", 35, 11),
        ("health check /readyz", 37, 14),
    ]
    assert [(c.label, c.where.line) for c in staging.rollback] == [("kubectl rollout undo", 40)]
    assert staging.findings == []

    production = by_id["deploy-production"]
    assert (production.target, production.environment) == ("production", ("production",))
    assert (production.gate.kind, production.gate.status) == ("reviewers-in-environment", "unknown")
    assert where(production.gate) == (DEPLOY_WF, 46, 18)
    assert production.gates == (production.gate,)
    assert (production.verification, production.rollback) == ((), ())
    # PL506 (a PL5xx rule) also fires on this job: only gates/promotion/verification show
    assert findings(production) == [("PL204", DEPLOY_WF, 42, 3), ("PL202", DEPLOY_WF, 50, 14)]
    assert deploy.findings == []


def test_github_workflow_run_chain_crosses_files(github):
    edge = view(github, EDGE_WF)
    assert [(j.id, j.place.path) for j in edge.jobs] == [
        ("build", DEPLOY_WF),
        ("deploy-staging", DEPLOY_WF),
        ("deploy-production", DEPLOY_WF),
        ("deploy-edge", EDGE_WF),
    ]
    # workflow_run makes deploy-edge wait for every job of Deploy; the edges from build
    # and deploy-staging are implied by the needs chain and left out
    assert edges(edge) == [
        ("build", "deploy-staging", "needs"),
        ("deploy-staging", "deploy-production", "needs"),
        ("deploy-production", "deploy-edge", "workflow_run"),
    ]
    deploy_edge = jobs(edge)["deploy-edge"]
    assert (deploy_edge.target, deploy_edge.environment) == ("production", ())
    assert (deploy_edge.gate.kind, deploy_edge.gate.status, deploy_edge.gate.where) == ("none", "missing", None)
    assert findings(deploy_edge) == [("PL101", EDGE_WF, 13, 3), ("PL204", EDGE_WF, 13, 3), ("PL202", EDGE_WF, 21, 14)]
    # the upstream jobs carry their own findings in this drawing too, under other node ids
    assert findings(jobs(edge)["deploy-production"]) == findings(jobs(view(github, DEPLOY_WF))["deploy-production"])
    keys = [j.key for v in github.pipelines for j in v.jobs]
    assert len(keys) == len(set(keys))


def test_github_reusable_workflow_call_shows_the_called_deploy_job(tmp_path):
    write_tree(
        tmp_path,
        {
            ".github/workflows/release.yml": """
                name: Release
                on: {push: {tags: ["v*"]}}
                jobs:
                  test:
                    runs-on: ubuntu-latest
                    steps: [{run: make test}]
                  ship:
                    needs: test
                    uses: ./.github/workflows/deploy.yml
                    with: {environment: production}
            """,
            ".github/workflows/deploy.yml": """
                name: Deploy
                on:
                  workflow_call:
                    inputs: {environment: {type: string, required: true}}
                jobs:
                  rollout:
                    runs-on: ubuntu-latest
                    environment: production
                    concurrency: production
                    timeout-minutes: 10
                    steps:
                      - run: helm upgrade --install api ./chart -n production --atomic --timeout 5m
            """,
        },
    )
    graph = graph_of(tmp_path)
    # the called workflow is drawn upstream of its caller, not again on its own
    assert [v.path for v in graph.pipelines] == [".github/workflows/release.yml"]
    (v,) = graph.pipelines
    assert [(j.id, j.place.path) for j in v.jobs] == [
        ("test", ".github/workflows/release.yml"),
        ("rollout", ".github/workflows/deploy.yml"),
        ("ship", ".github/workflows/release.yml"),
    ]
    # rollout inherits the caller's needs; ship's own `needs: test` is written on it: kept
    assert edges(v) == [("test", "rollout", "needs"), ("test", "ship", "needs"), ("rollout", "ship", "reusable-workflow")]
    by_id = jobs(v)
    ship, rollout = by_id["ship"], by_id["rollout"]
    assert (ship.deploy, ship.target, ship.environment) == (True, "production", ("production",))
    assert (ship.gate.kind, ship.gate.status, ship.gate.job) == ("reviewers-in-environment", "unknown", rollout.key)
    assert where(ship.gate) == (".github/workflows/deploy.yml", 8, 18)
    assert [(c.label, c.job) for c in ship.rollback] == [("helm upgrade --atomic", rollout.key)]
    assert (rollout.gate.kind, rollout.gate.job) == ("reviewers-in-environment", None)


# ------------------------------------------------------------------ GitLab


def test_gitlab_manual_production_job_from_an_included_file(gitlab):
    # the included .gitlab/ci/deploy.yml is drawn inside the pipeline that includes it
    assert [v.path for v in gitlab.pipelines] == [".gitlab-ci.yml"]
    (v,) = gitlab.pipelines
    assert [(j.id, j.stage, j.place.path) for j in v.jobs] == [
        ("build", "build", ".gitlab-ci.yml"),
        ("unit-tests", "test", ".gitlab-ci.yml"),
        ("deploy-staging", "staging", ".gitlab/ci/deploy.yml"),
        ("deploy-production", "production", ".gitlab/ci/deploy.yml"),
    ]
    # stage order joins every job to every earlier one: only the chain is drawn
    assert edges(v) == [
        ("build", "unit-tests", "stage-order"),
        ("unit-tests", "deploy-staging", "stage-order"),
        ("deploy-staging", "deploy-production", "stage-order"),
    ]
    by_id = jobs(v)
    staging, production = by_id["deploy-staging"], by_id["deploy-production"]
    assert (staging.gate.kind, staging.gate.status) == ("none", "missing")
    assert [c.label for c in staging.verification] == ["helm upgrade"]  # --atomic waits
    assert [c.label for c in staging.rollback] == ["helm upgrade --atomic"]
    assert (production.target, production.environment) == ("production", ("production",))
    gate = production.gate
    assert (gate.kind, gate.status, gate.blocking, gate.job) == ("manual", "present", False, None)
    assert where(gate) == (".gitlab/ci/deploy.yml", 20, 9)
    assert "not blocking" in gate.detail
    assert findings(production) == [("PL204", ".gitlab/ci/deploy.yml", 14, 1), ("PL202", ".gitlab/ci/deploy.yml", 22, 7)]
    assert all(not j.findings for j in (by_id["build"], by_id["unit-tests"], staging))


def test_gitlab_delayed_upstream_manual_and_unknown_gates(tmp_path):
    write_tree(
        tmp_path,
        {
            ".gitlab-ci.yml": """
                include:
                  - project: platform/ci-templates
                    file: /deploy.yml
                stages: [build, approve, deploy]
                build:
                  stage: build
                  script: [make]
                approve:
                  stage: approve
                  when: manual
                  allow_failure: false
                  script: [echo approved]
                deploy-eu:
                  stage: deploy
                  environment: production-eu
                  resource_group: production-eu
                  script: [kubectl apply -n production -f k8s/]
                deploy-us:
                  stage: deploy
                  needs: [build]
                  environment: production-us
                  resource_group: production-us
                  when: delayed
                  start_in: 30 minutes
                  script: [kubectl apply -n production -f k8s/]
                deploy-ap:
                  stage: deploy
                  needs: [build]
                  environment: production-ap
                  resource_group: production-ap
                  script: [kubectl apply -n production -f k8s/]
            """,
        },
    )
    (v,) = graph_of(tmp_path).pipelines
    by_id = jobs(v)
    approve = by_id["approve"]
    assert (approve.deploy, approve.gate.kind, approve.gate.blocking) == (False, "manual", True)
    eu = by_id["deploy-eu"].gate  # held by the blocking manual job of an earlier stage
    assert (eu.kind, eu.status, eu.job, where(eu)) == ("manual", "present", approve.key, (".gitlab-ci.yml", 10, 9))
    us = by_id["deploy-us"].gate
    assert (us.kind, us.status, us.blocking, where(us)) == ("delayed", "timer", False, (".gitlab-ci.yml", 23, 9))
    # no gate found, but the pipeline includes a project file pipelint cannot read
    ap = by_id["deploy-ap"].gate
    assert (ap.kind, ap.status) == ("unknown", "unknown")
    assert "cannot read" in ap.detail
    assert ("approve", "deploy-eu", "stage-order") in edges(v)
    assert ("build", "deploy-ap", "needs") in edges(v)


def test_gitlab_manual_rule_inherited_from_an_included_file_points_into_that_file(tmp_path):
    # Job.file_of once knew only the files of the body's own values, so Gate.span()
    # measured this `when:` in .gitlab-ci.yml and raised IndexError
    write_tree(
        tmp_path,
        {
            ".gitlab-ci.yml": """
                include:
                  - local: .gitlab/ci/rules.yml
                stages: [deploy]
                deploy-production:
                  stage: deploy
                  extends: .manual-rules
                  environment: production
                  resource_group: production
                  script: [kubectl apply -n production -f k8s/]
            """,
            ".gitlab/ci/rules.yml": """
                # Rules shared by the deploy jobs. Production deploys run on the default branch only,
                # and only when someone plays them: the manual gate lives here, not in the jobs.
                # (This comment makes the file longer than .gitlab-ci.yml, so an offset measured in
                # the wrong file falls outside it.)
                .manual-rules:
                  rules:
                    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
                      when: manual
                      allow_failure: false
            """,
        },
    )
    (v,) = graph_of(tmp_path).pipelines
    gate = jobs(v)["deploy-production"].gate
    assert (gate.kind, gate.status, gate.blocking) == ("manual", "present", True)
    assert where(gate) == (".gitlab/ci/rules.yml", 8, 13)


# ------------------------------------------------------------------ Azure


def test_azure_stages_deployment_jobs_and_manual_validation(azure):
    (v,) = azure.pipelines
    assert (v.path, v.platform) == ("azure-pipelines.yml", "azure")
    assert [(j.id, j.stage, j.deploy) for j in v.jobs] == [
        ("Test", "Build", False),
        ("DeployStaging", "Staging", True),
        ("WaitForApproval", "Approve", False),
        ("DeployProduction", "Production", True),
    ]
    assert edges(v) == [
        ("Test", "DeployStaging", "needs"),
        ("DeployStaging", "WaitForApproval", "needs"),
        ("WaitForApproval", "DeployProduction", "needs"),
    ]
    by_id = jobs(v)
    wait = by_id["WaitForApproval"]
    assert (wait.gate.kind, wait.gate.status, wait.gate.blocking) == ("ManualValidation", "present", True)
    assert where(wait.gate) == ("azure-pipelines.yml", 43, 13)
    # PL102 (the validation notifies nobody) sits on the validation job, not the deploy
    assert findings(wait) == [("PL102", "azure-pipelines.yml", 43, 13)]

    production = by_id["DeployProduction"]
    assert (production.target, production.environment) == ("production", ("orders-production",))
    assert (production.gate.kind, production.gate.status) == ("reviewers-in-environment", "unknown")
    assert where(production.gate) == ("azure-pipelines.yml", 52, 18)
    assert "Azure DevOps" in production.gate.detail
    assert [(g.kind, g.status, g.job) for g in production.gates] == [
        ("reviewers-in-environment", "unknown", None),
        ("ManualValidation", "present", wait.key),
    ]
    assert [(c.label, c.where.line) for c in production.verification] == [("kubectl rollout status", 60)]
    assert [(c.label, c.where.line) for c in production.rollback] == [("kubectl rollout undo", 65)]
    assert production.findings == []
    staging = by_id["DeployStaging"]
    assert [c.label for c in staging.verification] == ["KubernetesManifest deploy"]
    assert staging.rollback == ()


def test_azure_stage_condition_finding_sits_on_the_edge_into_the_stage(tmp_path):
    text = (AZURE / "azure-pipelines.yml").read_text()
    text = text.replace(
        "- stage: Production\n  dependsOn: Approve\n",
        "- stage: Production\n  dependsOn: Approve\n  condition: eq(variables['Build.SourceBranch'], 'refs/heads/main')\n",
    )
    (tmp_path / "azure-pipelines.yml").write_text(text)
    shutil.copytree(AZURE / "k8s", tmp_path / "k8s")
    (v,) = graph_of(tmp_path).pipelines
    ids = {j.key: j.id for j in v.jobs}
    on_edges = [(ids[e.source], ids[e.target], [(f.code, f.place.line, f.place.column) for f in e.findings]) for e in v.edges]
    assert on_edges[-1] == ("WaitForApproval", "DeployProduction", [("PL109", 50, 14)])
    assert all(not found for _s, _t, found in on_edges[:-1])
    assert jobs(v)["DeployProduction"].findings == []


def test_azure_validation_that_resumes_on_timeout_does_not_block(tmp_path):
    text = (AZURE / "azure-pipelines.yml").read_text().replace("onTimeout: reject", "onTimeout: resume")
    (tmp_path / "azure-pipelines.yml").write_text(text)
    shutil.copytree(AZURE / "k8s", tmp_path / "k8s")
    (v,) = graph_of(tmp_path).pipelines
    wait, production = jobs(v)["WaitForApproval"], jobs(v)["DeployProduction"]
    assert (wait.gate.kind, wait.gate.status, wait.gate.blocking) == ("ManualValidation", "present", False)
    assert "approves itself" in wait.gate.detail
    assert [(g.kind, g.blocking, g.job) for g in production.gates] == [
        ("reviewers-in-environment", True, None),
        ("ManualValidation", False, wait.key),
    ]


# ------------------------------------------------------------------ formats


GITHUB_MERMAID = """\
flowchart LR
  subgraph p_f130ad0d["Deploy (.github/workflows/deploy.yml)"]
    direction LR
    j_build_234049eb["build"]
    j_deploy_staging_a50091a6["deploy-staging<br/>deploy: staging<br/>env: staging<br/>gate: reviewers-in-environment (unknown)<br/>verify: kubectl rollout status, health check /readyz<br/>rollback: kubectl rollout undo"]
    j_deploy_production_bb939a35["deploy-production<br/>deploy: production<br/>env: production<br/>gate: reviewers-in-environment (unknown)<br/>verify: none<br/>rollback: none<br/>findings: PL204, PL202"]
  end
  subgraph p_d57ff8e6["Edge (.github/workflows/edge.yml)"]
    direction LR
    j_build_9c2dc471["build<br/>in .github/workflows/deploy.yml"]
    j_deploy_staging_1dd6c669["deploy-staging<br/>in .github/workflows/deploy.yml<br/>deploy: staging<br/>env: staging<br/>gate: reviewers-in-environment (unknown)<br/>verify: kubectl rollout status, health check /readyz<br/>rollback: kubectl rollout undo"]
    j_deploy_production_689927d0["deploy-production<br/>in .github/workflows/deploy.yml<br/>deploy: production<br/>env: production<br/>gate: reviewers-in-environment (unknown)<br/>verify: none<br/>rollback: none<br/>findings: PL204, PL202"]
    j_deploy_edge_12a3bb6a["deploy-edge<br/>deploy: production<br/>env: none<br/>gate: none (missing)<br/>verify: none<br/>rollback: none<br/>findings: PL101, PL204, PL202"]
  end
  j_build_234049eb -->|"needs"| j_deploy_staging_a50091a6
  j_deploy_staging_a50091a6 -->|"needs"| j_deploy_production_bb939a35
  j_build_9c2dc471 -->|"needs"| j_deploy_staging_1dd6c669
  j_deploy_staging_1dd6c669 -->|"needs"| j_deploy_production_689927d0
  j_deploy_production_689927d0 -.->|"workflow_run"| j_deploy_edge_12a3bb6a
  classDef gateUnknown fill:#fff4ce,stroke:#b7950b,color:#1b1b1b
  classDef gateMissing fill:#fde2e1,stroke:#c0392b,color:#1b1b1b
  class j_deploy_staging_a50091a6,j_deploy_production_bb939a35,j_deploy_staging_1dd6c669,j_deploy_production_689927d0 gateUnknown
  class j_deploy_edge_12a3bb6a gateMissing
  style p_f130ad0d fill:#f6f8fa,stroke:#8c959f,color:#1b1b1b
  style p_d57ff8e6 fill:#f6f8fa,stroke:#8c959f,color:#1b1b1b
"""

GITLAB_DOT = """\
digraph promotion {
  rankdir=LR;
  node [shape=box, style="rounded,filled", fillcolor="white", fontname="Helvetica"];
  edge [fontname="Helvetica", fontsize=10];
  subgraph cluster_p_587d266b {
    label=".gitlab-ci.yml";
    "j_build_10fe67be" [label="build\\nstage: build"];
    "j_unit_tests_7efd600d" [label="unit-tests\\nstage: test"];
    "j_deploy_staging_52b09ab0" [label="deploy-staging\\nin .gitlab/ci/deploy.yml\\nstage: staging\\ndeploy: staging\\nenv: staging\\ngate: none (missing)\\nverify: helm upgrade\\nrollback: helm upgrade --atomic"];
    "j_deploy_production_4c3da732" [label="deploy-production\\nin .gitlab/ci/deploy.yml\\nstage: production\\ndeploy: production\\nenv: production\\ngate: manual (present)\\nverify: none\\nrollback: none\\nfindings: PL204, PL202", fillcolor="#e3f4e1"];
    "j_build_10fe67be" -> "j_unit_tests_7efd600d" [label="stage-order"];
    "j_unit_tests_7efd600d" -> "j_deploy_staging_52b09ab0" [label="stage-order"];
    "j_deploy_staging_52b09ab0" -> "j_deploy_production_4c3da732" [label="stage-order"];
  }
}
"""


def test_mermaid_of_the_github_fixture(github):
    assert to_mermaid(github) == GITHUB_MERMAID


def test_dot_of_the_gitlab_fixture(gitlab):
    assert to_dot(gitlab) == GITLAB_DOT


def test_mermaid_and_dot_escape_what_they_cannot_take():
    assert mermaid_text('say "hi" #1 <b>&</b> | a;b `x` [y] {z}\nnext') == (
        "say #34;hi#34; #35;1 #60;b#62;#38;#60;/b#62; #124; a#59;b #96;x#96; #91;y#93; #123;z#125; next"
    )
    assert mermaid_text("${{ matrix.env }} prod-eu (ü)") == "$#123;#123; matrix.env #125;#125; prod-eu (#252;)"
    assert dot_text('a "quoted" back\\slash\nline') == 'a \\"quoted\\" back\\\\slash line'


def test_hostile_names_stay_inside_their_labels(tmp_path):
    write_tree(
        tmp_path,
        {
            ".github/workflows/deploy.yml": """
                name: 'Ship "it" #1 <now> | end; `x`'
                on: push
                jobs:
                  end:
                    name: 'Deploy "prod" [eu] {1}; a|b <br> #x'
                    runs-on: ubuntu-latest
                    environment: 'production"<x>'
                    steps: [{run: kubectl apply -n production -f k8s/}]
            """,
        },
    )
    graph = graph_of(tmp_path)
    text = to_mermaid(graph)
    (node,) = [line.strip() for line in text.splitlines() if line.strip().startswith("j_end_")]
    label = node[node.index('["') + 2 : -2]
    assert node.endswith('"]') and not re.search(r'["<>|;`\[\]{}]', re.sub(r"#\d+;", "", label.replace("<br/>", "")))
    assert "#34;prod#34;" in label and "#35;x" in label
    dot = to_dot(graph)
    assert 'label="end (Deploy \\"prod\\" [eu] {1}; a|b <br> #x)\\n' in dot
    if shutil.which("dot"):
        subprocess.run(["dot", "-Tsvg", "-o", os.devnull], input=dot.encode(), check=True, timeout=60)


def test_json_shape(github):
    data = json.loads(to_json(github))
    assert set(data) == {"version", "pipelines"} and data["version"] == 1
    pipeline = data["pipelines"][0]
    assert set(pipeline) == {"path", "name", "platform", "jobs", "edges", "findings"}
    job = next(j for j in pipeline["jobs"] if j["id"] == "deploy-production")
    assert set(job) == {
        "key", "id", "name", "stage", "path", "line", "column", "pipeline", "deploy", "target",
        "environment", "gate", "gates", "verification", "rollback", "findings",
    }
    assert job["gate"] == {
        "kind": "reviewers-in-environment",
        "status": "unknown",
        "blocking": True,
        "detail": job["gate"]["detail"],
        "where": {"path": DEPLOY_WF, "line": 46, "column": 18},
        "job": None,
    }
    assert job["findings"][1] == {
        "code": "PL202",
        "severity": "warning",
        "path": DEPLOY_WF,
        "line": 50,
        "column": 14,
        "message": job["findings"][1]["message"],
    }
    staging = next(j for j in pipeline["jobs"] if j["id"] == "deploy-staging")
    assert staging["verification"][0] == {"label": "kubectl rollout status", "where": {"path": DEPLOY_WF, "line": 35, "column": 11}, "job": None}
    keys = {j["key"]: j["id"] for j in pipeline["jobs"]}
    assert [(keys[e["from"]], keys[e["to"]], e["kind"], e["findings"]) for e in pipeline["edges"]] == [
        ("build", "deploy-staging", "needs", []),
        ("deploy-staging", "deploy-production", "needs", []),
    ]
    assert data == to_data(github)


def test_output_is_deterministic():
    first, second = graph_of(GITLAB), graph_of(GITLAB)
    assert to_json(first) == to_json(second) and to_mermaid(first) == to_mermaid(second)


# ------------------------------------------------------------------ the command


def run(argv, capsys, monkeypatch, cwd: Path | None = None) -> tuple[int, str, str]:
    from pipelint import cli

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    if cwd is not None:
        monkeypatch.chdir(cwd)
    capsys.readouterr()
    code = cli.main(["graph", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_text_tree(capsys, monkeypatch):
    code, out, err = run([], capsys, monkeypatch, cwd=GITHUB)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[:3] == ["Promotion graph: 2 pipelines, 3 deploy jobs", "", "Deploy (.github/workflows/deploy.yml) [github]"]
    assert "├── deploy-staging  deploy → staging  .github/workflows/deploy.yml:23:3" in lines
    assert (
        "│   ├── gate: reviewers-in-environment [unknown] environment 'production': its required reviewers, "
        "wait timer and branch rules are repository settings, not in the files  46:18"
    ) in lines
    assert "    ├── after: deploy-production (workflow_run)" in lines
    assert "    ├── gate: none [missing] nothing holds the job for approval" in lines
    assert [line[:23] for line in lines[-3:]] == ["        ├── PL101 13:3 ", "        ├── PL204 13:3 ", "        └── PL202 21:14"]
    assert "\x1b[" not in out  # not a terminal: plain


def test_cli_formats_output_file_and_colour(tmp_path, capsys, monkeypatch):
    out_file = tmp_path / "graph.mmd"
    assert run(["--format", "mermaid", "-o", str(out_file)], capsys, monkeypatch, cwd=GITHUB) == (0, "", "")
    assert out_file.read_text() == GITHUB_MERMAID
    code, out, _err = run(["--format", "dot", "."], capsys, monkeypatch, cwd=GITLAB)
    assert (code, out) == (0, GITLAB_DOT)
    code, out, _err = run(["--format", "json", str(AZURE)], capsys, monkeypatch, cwd=REPO)
    assert code == 0 and json.loads(out)["pipelines"][0]["path"] == "fixtures/promotion/azure/azure-pipelines.yml"
    code, out, _err = run(["--color", "always"], capsys, monkeypatch, cwd=GITHUB)
    assert code == 0 and "\x1b[" in out
    code, out, _err = run(["--color", "never"], capsys, monkeypatch, cwd=GITHUB)
    assert code == 0 and "\x1b[" not in out


def test_cli_empty_project(tmp_path, capsys, monkeypatch):
    write_tree(
        tmp_path,
        {
            ".github/workflows/ci.yml": """
                name: CI
                on: push
                jobs:
                  test:
                    runs-on: ubuntu-latest
                    steps: [{run: make test}]
            """,
        },
    )
    message = "No deploy jobs found in 1 pipeline file: nothing to draw."
    assert run([], capsys, monkeypatch, cwd=tmp_path) == (0, message + "\n", "")
    code, out, _err = run(["--format", "json"], capsys, monkeypatch)
    assert (code, json.loads(out)) == (0, {"version": 1, "pipelines": []})
    code, out, _err = run(["--format", "mermaid"], capsys, monkeypatch)
    assert (code, out) == (0, f"flowchart LR\n  %% {mermaid_text(message)}\n")
    code, out, _err = run(["--format", "dot"], capsys, monkeypatch)
    assert (code, out.splitlines()[0], out.splitlines()[-1]) == (0, "digraph promotion {", "}")
    if shutil.which("dot"):
        subprocess.run(["dot", "-Tsvg", "-o", os.devnull], input=out.encode(), check=True, timeout=60)
    (tmp_path / ".github").rename(tmp_path / "not-github")
    assert run([], capsys, monkeypatch) == (0, "No deploy jobs found in 0 pipeline files: nothing to draw.\n", "")


def test_cli_usage_and_config_errors_exit_2(tmp_path, capsys, monkeypatch):
    code, out, err = run(["no/such/path"], capsys, monkeypatch, cwd=tmp_path)
    assert (code, out, err) == (2, "", "pipelint: no/such/path: no such file or directory\n")
    (tmp_path / "bad.toml").write_text("[tool.pipelint]\nselect = 3\n")
    code, out, err = run(["--config", "bad.toml", "."], capsys, monkeypatch)
    assert code == 2 and out == "" and err.startswith("pipelint: ")
    (tmp_path / "unknown.toml").write_text('[tool.pipelint]\nselect = ["PL999999"]\n')
    code, _out, err = run(["--config", "unknown.toml", "."], capsys, monkeypatch)
    assert code == 2 and "unknown rule selector 'PL999999'" in err
    with pytest.raises(SystemExit) as exc:  # argparse: like the lint command
        run(["--format", "png"], capsys, monkeypatch)
    assert exc.value.code == 2
    code, _out, err = run(["-o", str(tmp_path / "missing" / "out.txt"), str(GITHUB)], capsys, monkeypatch)
    assert code == 2 and err.startswith("pipelint: cannot write output: ")


def test_cli_internal_errors_exit_3(tmp_path, capsys, monkeypatch):
    from conftest import test_registry
    from pipelint.promotion import build as build_module

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(build_module, "build", broken)
    code, out, err = run([], capsys, monkeypatch, cwd=GITHUB)
    assert (code, out) == (3, "")
    assert err == "pipelint: internal error: RuntimeError: boom\npipelint: run with --verbose for the traceback, and please report it\n"
    monkeypatch.undo()

    # a rule that crashes: the graph is printed, the run still fails
    write_tree(tmp_path, {".github/workflows/deploy.yml": (GITHUB / DEPLOY_WF).read_text()})
    from pipelint import cli

    monkeypatch.setattr(cli, "_registry", lambda: test_registry(crashing_rule(when="deploy")))
    code, out, err = run([], capsys, monkeypatch, cwd=tmp_path)
    assert code == 3
    assert out.startswith("Promotion graph: 1 pipeline, 2 deploy jobs\n")
    assert "internal error in PL999 on .github/workflows/deploy.yml: RuntimeError: boom in .github/workflows/deploy.yml" in err


def test_example_repo(capsys, monkeypatch):
    code, out, err = run(["--format", "json"], capsys, monkeypatch, cwd=FIXTURES / "example-repo")
    assert (code, err) == (0, "")
    (pipeline,) = json.loads(out)["pipelines"]
    assert pipeline["path"] == ".github/workflows/deploy.yml"
    summary = [(j["id"], j["deploy"], j["gate"] and (j["gate"]["kind"], j["gate"]["status"])) for j in pipeline["jobs"]]
    assert summary == [
        ("test", False, None),
        ("build", False, None),
        ("deploy-staging", True, ("reviewers-in-environment", "unknown")),
        ("deploy-production", True, ("reviewers-in-environment", "unknown")),
    ]
    keys = {j["key"]: j["id"] for j in pipeline["jobs"]}
    assert [(keys[e["from"]], keys[e["to"]]) for e in pipeline["edges"]] == [
        ("test", "build"),
        ("build", "deploy-staging"),
        ("build", "deploy-production"),  # written in deploy-production's needs: kept
        ("deploy-staging", "deploy-production"),
    ]


# ------------------------------------------------------------------ real renderers


def _mmdc() -> str | None:
    """mermaid-cli: $PIPELINT_MMDC, else ``mmdc`` on PATH, else the tools folder next to
    the repository (``../tools/mermaid/node_modules/.bin/mmdc``)."""
    candidates = [os.environ.get("PIPELINT_MMDC"), shutil.which("mmdc"), str(REPO.parent / "tools" / "mermaid" / "node_modules" / ".bin" / "mmdc")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def _group(path: str) -> str:
    from pipelint.promotion.render import _group_id

    return _group_id(path)


def _chromium() -> str | None:
    candidates = [os.environ.get("PIPELINT_CHROMIUM")] + [shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def test_mermaid_renders_with_mermaid_cli(github, tmp_path):
    mmdc, chromium = _mmdc(), _chromium()
    if mmdc is None:
        pytest.skip("mermaid-cli (mmdc) not found: set PIPELINT_MMDC, put mmdc on PATH or install it in ../tools/mermaid")
    if chromium is None:
        pytest.skip("no Chromium for mermaid-cli: set PIPELINT_CHROMIUM or install chromium")
    config = tmp_path / "puppeteer.json"
    args = ["--no-sandbox", "--disable-gpu", "--headless", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
    config.write_text(json.dumps({"executablePath": chromium, "args": args}))
    source, svg = tmp_path / "graph.mmd", tmp_path / "graph.svg"
    source.write_text(to_mermaid(github))
    subprocess.run([mmdc, "-q", "-p", str(config), "-i", str(source), "-o", str(svg)], check=True, timeout=180, capture_output=True)
    picture = svg.read_text()
    assert "Syntax error" not in picture
    for v in github.pipelines:  # every job is a node of the picture, every edge an edge
        assert re.search(rf'<g class="cluster[^"]*" id="[^"]*{_group(v.path)}"', picture)
        for job in v.jobs:
            assert re.search(rf'<g class="node default[^"]*" id="[^"]*-flowchart-{job.key}-\d+"', picture)
        for e in v.edges:
            assert re.search(rf'id="[^"]*L_{e.source}_{e.target}_\d+"', picture)
    edge_job = jobs(view(github, EDGE_WF))["deploy-edge"]
    assert re.search(rf'<g class="node default gateMissing" id="[^"]*-flowchart-{edge_job.key}-', picture)
    for label in ("deploy-production", "deploy-edge", "gate: reviewers-in-environment (unknown)", "gate: none (missing)",
                  "findings: PL101, PL204, PL202", "verify: kubectl rollout status, health check /readyz",
                  "workflow_run", "Edge (.github/workflows/edge.yml)"):
        assert label in picture


def test_dot_renders_with_graphviz(azure, gitlab):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz (dot) not installed")
    for graph in (azure, gitlab):
        done = subprocess.run(["dot", "-Tsvg"], input=to_dot(graph).encode(), check=True, timeout=60, capture_output=True)
        picture = html.unescape(done.stdout.decode())
        for v in graph.pipelines:
            for job in v.jobs:
                assert f"<title>{job.key}</title>" in picture and f">{job.title}</text>" in picture
            for e in v.edges:
                assert f"<title>{e.source}&#45;&gt;{e.target}</title>" in done.stdout.decode()


# ------------------------------------------------------------------ the corpus


def _sample(platform: str, count: int = 50) -> list[str]:
    """``count`` pipeline files spread over the platform's corpus, among those that
    mention deploying (most files have no deploy job and would draw nothing)."""
    files = sorted(p for p in (CORPUS / platform).rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    deploying = [str(p) for p in files if re.search(r"deploy|environment", p.read_text(errors="replace"), re.IGNORECASE)]
    step = max(1, len(deploying) // count)
    return deploying[::step][:count]


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")
@pytest.mark.parametrize("platform", ["github", "gitlab", "azure"])
def test_corpus_sample_builds_and_renders(platform):
    files = _sample(platform)
    assert len(files) >= 40
    settings = Settings()
    start = time.perf_counter()
    result = lint(files, settings, Registry.load(), jobs=1, cache=None, keep_model=True)
    graph = build(result.project, result.active, Targets.from_settings(settings))
    for fmt in ("json", "mermaid", "dot"):
        render(fmt, graph, _Sink())
    render("text", graph, _Sink(), color=False)
    keys = [j.key for v in graph.pipelines for j in v.jobs]
    assert len(keys) == len(set(keys))
    for v in graph.pipelines:
        known = {j.key for j in v.jobs}
        assert all(e.source in known and e.target in known for e in v.edges)
    print(f"\n{platform}: {len(files)} files, {len(graph.pipelines)} pipelines drawn, {graph.deploy_jobs} deploy jobs, {time.perf_counter() - start:.1f} s")


class _Sink:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def test_cli_select_and_ignore_choose_the_findings_shown(capsys, monkeypatch):
    def codes(*argv):
        code, out, _ = run(["--format", "json", *argv], capsys, monkeypatch, cwd=GITHUB)
        assert code == 0
        jobs = {j["id"]: j for p in json.loads(out)["pipelines"] if p["path"] == DEPLOY_WF for j in p["jobs"]}
        return [f["code"] for f in jobs["deploy-production"]["findings"]]

    assert codes() == ["PL204", "PL202"]
    assert codes("--ignore", "PL204") == ["PL202"]
    assert codes("--select", "PL204") == ["PL204"]
    code, _, err = run(["--select", "PL999"], capsys, monkeypatch, cwd=GITHUB)
    assert code == 2 and "unknown rule selector 'PL999'" in err
