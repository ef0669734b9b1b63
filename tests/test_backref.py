"""A finished model is freed by reference counting alone (see pipelint.backref).

The engine lints unit after unit with the cycle collector paused; a model that formed a
reference cycle (part -> owner -> part) stayed in memory until a full collection, and
those collections were about a quarter of a cold run. These tests build real models of
each kind, drop them with the collector off, and check that every object is gone.
"""

from __future__ import annotations

import gc
import weakref

import pytest

from pipelint.backref import Owner
from pipelint.model import Job, Pipeline, Step

from conftest import run_lint, write_tree

TREE = {
    ".github/workflows/deploy.yml": """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: make test
          deploy:
            needs: build
            environment: production
            runs-on: ubuntu-latest
            steps:
              - run: ./deploy.sh ${{ github.sha }}
    """,
    ".gitlab-ci.yml": """
        include:
          - local: ci/common.yml
        stages: [build, deploy]
        build:
          extends: .base
          stage: build
          script: [make]
        deploy:
          stage: deploy
          script:
            - !reference [.base, script]
            - ./deploy.sh
          environment: production
    """,
    "ci/common.yml": """
        .base:
          image: alpine:3.19
          script: [echo base]
    """,
    "azure-pipelines.yml": """
        trigger: [main]
        stages:
          - stage: Deploy
            jobs:
              - deployment: web
                environment: production
                strategy:
                  runOnce:
                    deploy:
                      steps:
                        - script: ./deploy.sh
    """,
    "Dockerfile": """
        FROM python:3.12 AS build
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        FROM python:3.12-slim
        COPY --from=build /usr/local /usr/local
    """,
    "db/migrations/V2__drop.sql": "ALTER TABLE users DROP COLUMN legacy;\n",
    "db/migrations/U2__drop.sql": "ALTER TABLE users ADD COLUMN legacy text;\n",
}


ARGO = {
    "deploy/analysis.yaml": """
        apiVersion: argoproj.io/v1alpha1
        kind: AnalysisTemplate
        metadata:
          name: success-rate
        spec:
          metrics:
            - name: success-rate
              interval: 1m
              successCondition: len(result) > 0 && result[0] >= 0.99
              failureCondition: len(result) > 0 && result[0] < 0.95
              provider:
                prometheus:
                  address: http://prometheus.monitoring:9090
                  query: sum(rate(http_requests_total{code!~"5.."}[1m])) / sum(rate(http_requests_total[1m]))
    """,
}


def _model_objects(project) -> list:
    """Every pipeline, job, step, document, manifest, Dockerfile stage/instruction and
    migration statement/change of ``project``."""
    found: list = []
    for parsed in project.files:
        found.extend(parsed.documents)
        pipeline = parsed.pipeline
        if pipeline is not None:
            found.append(pipeline)
            for job in pipeline.jobs.values():
                found.append(job)
                found.extend(job.steps)
        found.extend(parsed.manifests)
        dockerfile = getattr(parsed, "dockerfile", None)
        if dockerfile is not None:
            for stage in dockerfile.stages:
                found.append(stage)
                found.extend(stage.instructions)
        migration = getattr(parsed, "migration", None)
        if migration is not None:
            for statement in migration.statements:
                found.append(statement)
                found.extend(statement.changes)
    return found


def _dropped_model_survivors(root, collect: bool) -> list[str]:
    """Lint ``root`` with the collector paused, drop the result (after a collection when
    ``collect``) and return the kinds of model objects still alive."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        result = run_lint(root)
        objects = _model_objects(result.project)
        refs = [weakref.ref(o) for o in objects]
        assert all(r() is not None for r in refs)
        kinds = {type(o).__name__ for o in objects}
        del objects, result
        if collect:
            gc.collect()
        return kinds, sorted({type(r()).__name__ for r in refs if r() is not None})
    finally:
        if was_enabled:
            gc.enable()


def test_a_dropped_model_is_freed_without_the_cycle_collector(tmp_path):
    kinds, alive = _dropped_model_survivors(write_tree(tmp_path, TREE), collect=False)
    # the tree exercises every back reference
    assert {"Pipeline", "Job", "Step", "Document", "Stage", "Instruction", "Statement", "Change"} <= kinds
    assert alive == []


def test_caches_never_keep_a_dropped_model(tmp_path):
    """Argo conditions are parsed with pyparsing, whose alternatives (``MatchFirst``) keep
    a failed attempt's exception in a frame its own traceback holds: a cycle that pins
    the calling frames until the collector runs. So here the check is after a collection:
    what survives it is held by a cache (a weak-key cache whose value refers to its key)."""
    kinds, alive = _dropped_model_survivors(write_tree(tmp_path, {**TREE, **ARGO}), collect=True)
    assert {"Manifest", "Pipeline", "Step"} <= kinds
    assert alive == []


def test_owner_reads_back_the_object_and_raises_once_it_is_freed():
    from pipelint.yamltree import load_documents

    document = load_documents("on: push\njobs: {}\n")[0]
    pipeline = Pipeline("github", None, document, document.root)
    job = Job("build", None, None, pipeline)
    step = Step(0, None, None, job)
    assert job.pipeline is pipeline and step.job is job
    assert Step(1, None, None).job is None  # optional owner defaults to None
    with pytest.raises(TypeError):
        Job("build", None, None)  # required owner
    del pipeline
    with pytest.raises(ReferenceError, match="Job.pipeline: its owner was freed"):
        job.pipeline


def test_owner_is_a_weak_reference_in_every_model_class():
    from pipelint import dockerfile, migrations
    from pipelint.parsers import gitlab

    for cls, name in [
        (Job, "pipeline"),
        (Step, "job"),
        (dockerfile.Instruction, "stage"),
        (migrations.Change, "statement"),
        (gitlab._Context, "pipeline"),
    ]:
        assert isinstance(cls.__dict__[name], Owner), f"{cls.__name__}.{name}"
