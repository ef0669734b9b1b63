"""What gate and promotion findings tell the user beyond code and place: the path, the
related locations, the escape hatch for jobs that only read an environment."""

from __future__ import annotations

from conftest import run_lint, write_tree

PIPELINE = """
    stages: [build, deploy, compare]
    build:
      stage: build
      script: [make]
    deploy-prod:
      stage: deploy
      environment: {name: PROD}
      script:
        - liquibase update
    diff-prod:
      stage: compare
      environment:
        name: PROD
      script:
        - liquibase diff
"""


def test_job_that_may_only_read_the_environment_gets_the_action_access_hint(tmp_path):
    result = run_lint(write_tree(tmp_path, {".gitlab-ci.yml": PIPELINE}), select=["PL101"])
    by_job = {d.line: d for d in result.active}
    assert sorted(by_job) == [5, 10]
    # the real deploy (liquibase update) gets no hint; the diff job does, on its environment
    assert not any("action: access" in r.message for r in by_job[5].related)
    (hint,) = [r for r in by_job[10].related if "action: access" in r.message]
    assert (hint.span.path, hint.span.start.line, hint.span.start.column) == (".gitlab-ci.yml", 13, 5)
    assert "(path: build -> deploy-prod -> diff-prod)" in by_job[10].message


def test_marking_it_access_makes_it_no_deployment(tmp_path):
    text = PIPELINE.replace("        name: PROD\n      script:\n        - liquibase diff", "        name: PROD\n        action: access\n      script:\n        - liquibase diff")
    assert "action: access" in text
    result = run_lint(write_tree(tmp_path, {".gitlab-ci.yml": text}), select=["PL101"])
    assert [d.line for d in result.active] == [5]
