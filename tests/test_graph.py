"""The project job graph: upstream/downstream across jobs, stages and files."""

from __future__ import annotations

from conftest import run_lint, write_tree


def _upstream(result, pipeline_path: str, job_id: str) -> list[str]:
    for pipeline in result.project.pipelines:
        if pipeline.file.path == pipeline_path:
            job = next(j for j in pipeline.jobs.values() if j.id == job_id)
            return sorted(u.id for u in result.project.graph.upstream(job))
    raise AssertionError(f"no pipeline {pipeline_path}")


def test_azure_stage_order_and_depends_on(tmp_path):
    write_tree(
        tmp_path,
        {
            "azure-pipelines.yml": """
                trigger: [main]
                stages:
                  - stage: Build
                    jobs:
                      - job: Compile
                        steps: [{script: make}]
                      - job: Package
                        dependsOn: Compile
                        steps: [{script: make dist}]
                  - stage: Staging
                    jobs:
                      - deployment: DeployStaging
                        environment: orders-staging
                        strategy: {runOnce: {deploy: {steps: [{script: ./deploy.sh staging}]}}}
                  - stage: Lint
                    dependsOn: []
                    jobs:
                      - job: Lint
                        steps: [{script: make lint}]
                  - stage: Production
                    dependsOn: [Staging, Lint]
                    jobs:
                      - deployment: DeployProduction
                        environment: orders-production
                        strategy: {runOnce: {deploy: {steps: [{script: ./deploy.sh production}]}}}
            """,
        },
    )
    result = run_lint(tmp_path, select=["PL001"])
    assert _upstream(result, "azure-pipelines.yml", "Compile") == []
    assert _upstream(result, "azure-pipelines.yml", "Package") == ["Compile"]
    assert _upstream(result, "azure-pipelines.yml", "DeployStaging") == ["Compile", "Package"]
    assert _upstream(result, "azure-pipelines.yml", "Lint") == []
    assert _upstream(result, "azure-pipelines.yml", "DeployProduction") == ["Compile", "DeployStaging", "Lint", "Package"]


def test_github_needs_workflow_run_and_reusable_workflow(tmp_path):
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
                  build:
                    needs: test
                    uses: ./.github/workflows/build.yml
            """,
            ".github/workflows/build.yml": """
                name: Build
                on: workflow_call
                jobs:
                  image:
                    runs-on: ubuntu-latest
                    steps: [{run: make image}]
            """,
            ".github/workflows/deploy.yml": """
                name: Deploy
                on:
                  workflow_run:
                    workflows: [CI]
                    types: [completed]
                jobs:
                  production:
                    runs-on: ubuntu-latest
                    steps: [{run: ./deploy.sh production}]
            """,
        },
    )
    result = run_lint(tmp_path, select=["PL001"])
    assert _upstream(result, ".github/workflows/build.yml", "image") == ["test"]
    assert _upstream(result, ".github/workflows/ci.yml", "build") == ["image", "test"]
    assert _upstream(result, ".github/workflows/deploy.yml", "production") == ["build", "image", "test"]


def test_gitlab_stages_and_needs(tmp_path):
    write_tree(
        tmp_path,
        {
            ".gitlab-ci.yml": """
                stages: [build, test, staging, production]
                compile:
                  stage: build
                  script: [make]
                unit:
                  stage: test
                  script: [make test]
                lint:
                  stage: test
                  needs: []
                  script: [make lint]
                deploy-staging:
                  stage: staging
                  needs: [unit]
                  environment: staging
                  script: [./deploy.sh staging]
                deploy-production:
                  stage: production
                  environment: production
                  when: manual
                  allow_failure: false
                  script: [./deploy.sh production]
            """,
        },
    )
    result = run_lint(tmp_path, select=["PL001"])
    assert _upstream(result, ".gitlab-ci.yml", "unit") == ["compile"]
    assert _upstream(result, ".gitlab-ci.yml", "lint") == []
    assert _upstream(result, ".gitlab-ci.yml", "deploy-staging") == ["compile", "unit"]
    assert _upstream(result, ".gitlab-ci.yml", "deploy-production") == ["compile", "deploy-staging", "lint", "unit"]


def test_chain_names_one_upstream_path(tmp_path):
    write_tree(
        tmp_path,
        {
            ".gitlab-ci.yml": """
                stages: [build, test, deploy]
                compile:
                  stage: build
                  script: [make]
                unit:
                  stage: test
                  needs: [compile]
                  script: [make test]
                release:
                  stage: deploy
                  needs: [unit]
                  script: [./release.sh]
            """,
            # stage order only: every earlier job is upstream; the path named is the
            # longest, through each stage
            "ordered.gitlab-ci.yml": """
                stages: [build, test, deploy]
                compile: {stage: build, script: [make]}
                lint: {stage: build, script: [make lint]}
                unit: {stage: test, script: [make test]}
                release: {stage: deploy, script: [./release.sh]}
            """,
        },
    )
    result = run_lint(tmp_path, select=["PL001"])
    graph = result.project.graph
    pipeline = result.project.file_by_path(".gitlab-ci.yml").pipeline
    assert [j.id for j in graph.chain(pipeline.jobs["release"])] == ["compile", "unit", "release"]
    assert [j.id for j in graph.chain(pipeline.jobs["compile"])] == ["compile"]
    ordered = result.project.file_by_path("ordered.gitlab-ci.yml").pipeline
    assert [j.id for j in graph.chain(ordered.jobs["release"])] == ["compile", "unit", "release"]


def test_gitlab_child_pipeline_jobs_come_after_the_trigger(tmp_path):
    write_tree(
        tmp_path,
        {
            ".gitlab-ci.yml": """
                stages: [test, deploy]
                unit:
                  stage: test
                  script: [make test]
                deploy-services:
                  stage: deploy
                  trigger:
                    include: ci/deploy.gitlab-ci.yml
                    strategy: depend
            """,
            "ci/deploy.gitlab-ci.yml": """
                stages: [deploy]
                deploy-production:
                  stage: deploy
                  environment: production
                  script: [./deploy.sh production]
            """,
        },
    )
    result = run_lint(tmp_path, select=["PL001"])
    assert _upstream(result, "ci/deploy.gitlab-ci.yml", "deploy-production") == ["deploy-services", "unit"]


def test_chain_survives_needs_chains_longer_than_the_stack(tmp_path):
    stages = "".join(f"job{i}:\n  stage: s{i % 3}\n  needs: [job{i - 1}]\n  script: [make step{i}]\n" for i in range(1, 1500))
    write_tree(tmp_path, {"long.gitlab-ci.yml": "stages: [s0, s1, s2]\njob0:\n  stage: s0\n  script: [make]\n" + stages})
    result = run_lint(tmp_path, select=["PL001"])
    long = result.project.file_by_path("long.gitlab-ci.yml").pipeline
    chain = result.project.graph.chain(long.jobs["job1499"])
    assert [j.id for j in chain] == [f"job{i}" for i in range(1494, 1500)]


def test_child_pipeline_finding_names_the_path_and_the_parent_jobs(registry):
    from conftest import FIXTURES

    result = run_lint(FIXTURES / "PL105" / "bad" / "gitlab-child-pipeline-production", select=["PL105"], registry=registry)
    (finding,) = result.active
    assert (finding.path, finding.line, finding.column) == ("ci/release-production.yml", 3, 1)
    assert "(path: build -> unit-tests -> release-production -> rollout)" in finding.message
    assert [(r.span.path, r.span.start.line) for r in finding.related] == [
        (".gitlab-ci.yml", 4),
        (".gitlab-ci.yml", 12),
        (".gitlab-ci.yml", 18),
    ]
