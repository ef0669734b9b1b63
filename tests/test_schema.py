"""Schema validation of GitHub Actions files (pipelint.schema, behind PL002)."""

from __future__ import annotations

import importlib.resources
import os
import textwrap
from pathlib import Path

import pytest

from pipelint import schema
from pipelint.yamltree import Mapping, load_documents

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture(autouse=True, scope="module")
def schema_dir():
    """Read the schemas from the repository's schemas/ (pipelint.schemas before install);
    compiled once for the module."""
    saved = schema.SCHEMA_DIR_OVERRIDE
    schema.SCHEMA_DIR_OVERRIDE = REPO / "schemas"
    schema.clear_cache()
    yield
    schema.SCHEMA_DIR_OVERRIDE = saved
    schema.clear_cache()


def check(text: str, kind: str = "github-workflow"):
    root = load_documents(textwrap.dedent(text).lstrip("\n"))[0].root
    return schema.validate(kind, root)


def positions(violations):
    """(line, column) 1-based, as pipelint reports them."""
    return [(v.node.start_line + 1, v.node.start_col + 1) for v in violations]


# ------------------------------------------------------------------ the basic shapes


def test_unknown_job_key_points_at_the_key_and_suggests_the_close_one():
    found = check(
        """
        on: push
        jobs:
          build:
            runs-in: ubuntu-latest
            steps:
              - run: make
        """
    )
    # one problem (a typo), not an unknown key plus a missing runs-on plus a oneOf echo
    assert len(found) == 1
    assert positions(found) == [(4, 5)]
    v = found[0]
    assert v.path == ("jobs", "build", "runs-in")
    assert v.node.value == "runs-in"
    assert v.message.startswith("unknown key 'runs-in' in job 'build' (did you mean 'runs-on'?); expected one of: ")
    assert "timeout-minutes" in v.message


def test_wrong_type_points_at_the_value():
    found = check(
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            timeout-minutes: abc
            steps:
              - run: make
        """
    )
    assert positions(found) == [(5, 22)]
    assert found[0].path == ("jobs", "build", "timeout-minutes")
    assert found[0].message == (
        "'timeout-minutes' of job 'build' must be a number or an expression '${{ ... }}', not the string 'abc'"
    )


def test_bad_enum_points_at_the_value_and_lists_the_choices():
    found = check(
        """
        on: push
        permissions:
          contents: maybe
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: make
        """
    )
    assert positions(found) == [(3, 13)]
    assert found[0].path == ("permissions", "contents")
    assert found[0].message == (
        "the string 'maybe' is not a valid value for 'permissions.contents'; expected one of: read, write, none"
    )


def test_missing_runs_on_points_at_the_job_key():
    found = check(
        """
        on: push
        jobs:
          build:
            steps:
              - run: make
        """
    )
    assert positions(found) == [(3, 3)]
    assert found[0].node.value == "build"
    assert found[0].message == "job 'build' is missing the required key 'runs-on'"


def test_missing_root_key_points_at_the_root_mapping():
    found = check(
        """
        name: no trigger
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: make
        """
    )
    assert positions(found) == [(1, 1)]
    assert isinstance(found[0].node, Mapping)
    assert found[0].message == "the workflow is missing the required key 'on'"


def test_invalid_job_id_points_at_the_key():
    found = check(
        """
        on: push
        jobs:
          1build:
            runs-on: ubuntu-latest
            steps:
              - run: make
        """
    )
    assert positions(found) == [(3, 3)]
    assert found[0].message.startswith("invalid job id '1build' in 'jobs'")


def test_valid_workflow_has_no_findings_and_skips_the_detailed_pass():
    schema.validate("github-workflow", None)  # make sure the schema is loaded
    before = dict(schema.stats()["github-workflow"])
    found = check(
        """
        name: CI
        on:
          push:
            branches: [main]
          pull_request:
        permissions:
          contents: read
        jobs:
          test:
            runs-on: ${{ matrix.os }}
            strategy:
              matrix:
                os: [ubuntu-latest, windows-latest]
                python: ["3.10", "3.12"]
            steps:
              - uses: actions/checkout@v4
              - uses: actions/setup-python@v5
                with:
                  python-version: ${{ matrix.python }}
              - run: pytest
        """
    )
    assert found == []
    after = schema.stats()["github-workflow"]
    assert after["checked"] == before["checked"] + 1
    assert after["failed_precheck"] == before["failed_precheck"]


# ------------------------------------------------------------ one finding per problem


def test_an_error_inside_a_step_is_one_violation():
    found = check(
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - name: Tests
                run: make test
                continue-on-error: maybe
        """
    )
    # the step is inside a oneOf (normal job / reusable-workflow job) and the value in
    # another (boolean / expression): still exactly one finding, at the value
    assert len(found) == 1
    assert positions(found) == [(8, 28)]
    assert found[0].message == (
        "'continue-on-error' of step 1 ('Tests') of job 'build' must be a boolean or an expression '${{ ... }}', "
        "not the string 'maybe'"
    )


def test_a_typo_inside_a_step_is_one_violation():
    found = check(
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
                wiht:
                  fetch-depth: 0
        """
    )
    assert len(found) == 1
    assert positions(found) == [(7, 9)]
    assert "unknown key 'wiht' in step 1 of job 'build' (did you mean 'with'?)" in found[0].message


def test_step_with_uses_and_run_is_one_violation():
    found = check(
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
                run: make
        """
    )
    assert len(found) == 1
    assert positions(found) == [(6, 9)]
    assert found[0].message == "step 1 of job 'build' has 'uses' and 'run': only one of them is allowed"


def test_reusable_workflow_job_errors_are_judged_against_the_reusable_branch():
    found = check(
        """
        on: push
        jobs:
          call:
            uses: ./.github/workflows/build.yml
            wth:
              target: prod
        """
    )
    assert len(found) == 1
    assert positions(found) == [(5, 5)]
    assert found[0].message.startswith("unknown key 'wth' in job 'call' (did you mean 'with'?)")


def test_separate_problems_are_separate_findings_in_file_order():
    found = check(
        """
        on: push
        permissions: speak-all
        jobs:
          build:
            runs-on: ubuntu-latest
            timeout-minutes: soon
            steps:
              - run: make
                shell: bash
                foo: bar
        """
    )
    assert positions(found) == [(2, 14), (6, 22), (10, 9)]
    assert found[0].message == (
        "'permissions' must be one of 'read-all', 'write-all' or a mapping, not the string 'speak-all'"
    )


# ------------------------------------------------------- what GitHub accepts, we accept


def test_expressions_may_stand_for_mappings_lists_numbers_and_booleans():
    assert (
        check(
            """
            on:
              workflow_call:
                inputs:
                  timeout:
                    type: number
                    default: 10
            jobs:
              plan:
                runs-on: ubuntu-latest
                outputs:
                  strategy: ${{ steps.plan.outputs.strategy }}
                steps:
                  - id: plan
                    run: echo "strategy={}" >> "$GITHUB_OUTPUT"
              build:
                needs: plan
                strategy: ${{ fromJSON(needs.plan.outputs.strategy) }}
                runs-on: ${{ matrix.os }}
                timeout-minutes: ${{ inputs.timeout }}
                continue-on-error: ${{ matrix.experimental }}
                container: ${{ fromJSON(inputs.container) }}
                services: ${{ fromJSON(inputs.services) }}
                env: ${{ fromJSON(inputs.env) }}
                steps:
                  - uses: actions/setup-node@v4
                    with: ${{ fromJSON(inputs.node) }}
                    timeout-minutes: ${{ inputs.timeout }}
                    continue-on-error: ${{ inputs.lenient }}
              matrix:
                runs-on: ubuntu-latest
                strategy:
                  fail-fast: ${{ inputs.fail-fast }}
                  max-parallel: ${{ inputs.parallel }}
                  matrix:
                    include: ${{ fromJSON(inputs.include) }}
                steps:
                  - run: make
            """
        )
        == []
    )


def test_expressions_are_checked_where_github_does_not_evaluate_them():
    found = check(
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            permissions: ${{ inputs.permissions }}
            steps:
              - run: make
        """
    )
    assert positions(found) == [(5, 18)]
    assert "'permissions' of job 'build' must be" in found[0].message


def test_strategy_without_matrix_is_accepted():
    # GitHub's own CodeQL starter workflow does this
    assert (
        check(
            """
            on: push
            jobs:
              analyze:
                runs-on: ubuntu-latest
                strategy:
                  fail-fast: false
                steps:
                  - uses: github/codeql-action/init@v3
              call:
                uses: ./.github/workflows/reusable.yml
                strategy:
                  fail-fast: true
            """
        )
        == []
    )


def test_github_forms_that_schemastore_rejects_are_accepted():
    assert (
        check(
            """
            on:
              push:
                branches: main
                tags: v*
              pull_request_target:
                types: [opened, enqueued]
              issues:
                types: closed
              workflow_run:
                workflows: CI
                types: completed
              image_version:
                names: [my-image]
              workflow_dispatch:
                inputs:
                  reason:
                    description: untyped inputs are strings
                    default: manual
              workflow_call:
                secrets:
                  token:
            jobs:
              build:
                runs-on: ubuntu-latest
                container:
                snapshot:
                  image-name: my-image
                  version: 2.*
                  if: github.ref == 'refs/heads/main'
                strategy:
                  matrix:
                    include:
                      - os: linux
                        extra_args:
                env:
                  EMPTY:
                  COUNT: 3
                  DEBUG: false
                steps:
                  - run: make
                    if: true
            """
        )
        == []
    )


def test_empty_values_github_rejects_are_reported():
    found = check(
        """
        on:
          push:
            branches:
        jobs:
          build:
            runs-on:
            steps:
              - run: make
        """
    )
    assert positions(found) == [(3, 14), (6, 13)]
    assert found[0].message == "'on.push.branches' must be a non-empty string or a list of strings, not an empty value"
    assert found[1].message.startswith("'runs-on' of job 'build' must be a string")


def test_yaml_1_2_scalars_on_is_a_key_and_yes_is_a_string():
    # `on:` is the key "on" (not the boolean true of YAML 1.1)
    assert check("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: y\n") == []
    found = check(
        """
        on:
          workflow_dispatch:
            inputs:
              debug:
                type: boolean
                required: yes
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - run: make
        """
    )
    assert positions(found) == [(6, 19)]
    assert found[0].message == (
        "'on.workflow_dispatch.inputs.debug.required' must be a boolean, not the string 'yes' "
        "(YAML 1.2 reads 'yes' as a string; write true)"
    )


def test_workflow_dispatch_input_branch_follows_its_type():
    found = check(
        """
        on:
          workflow_dispatch:
            inputs:
              env:
                type: choice
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - run: make
        """
    )
    assert positions(found) == [(4, 7)]
    assert found[0].message == "'on.workflow_dispatch.inputs.env' is missing the required key 'options'"


# --------------------------------------------------------------------- action metadata


ACTION = """
name: Setup tool
description: Installs the tool
inputs:
  version:
    description: Version to install
    type: string
    default: 1.2
  cache:
    default: true
  token:
    required: false
    default:
outputs:
  path:
    value: ${{ steps.install.outputs.path }}
runs:
  using: composite
  steps:
    - id: install
      run: ./install.sh "${{ inputs.version }}"
      shell: bash
    - uses: actions/cache@v4
      if: ${{ inputs.cache == 'true' }}
      with:
        path: ~/.tool
        key: tool-${{ inputs.version }}
"""


def test_action_metadata_validates_with_the_action_schema():
    assert check(ACTION, "github-action") == []
    # the same file is nothing like a workflow
    assert check(ACTION, "github-workflow")


def test_action_metadata_errors():
    found = check(
        """
        name: Tool
        runs:
          using: node99
          main: dist/index.js
        """,
        "github-action",
    )
    assert positions(found) == [(3, 10)]
    assert found[0].message == (
        "the string 'node99' is not a valid value for 'runs.using' (did you mean 'node24'?); "
        "expected one of: node12, node16, node20, node24"
    )
    found = check(
        """
        name: Tool
        runs:
          using: composite
          steps:
            - run: make
        """,
        "github-action",
    )
    assert positions(found) == [(5, 7)]
    assert "missing the key 'shell'" in found[0].message


def test_action_with_extra_root_keys_and_no_name_is_accepted():
    # the runner ignores unknown root keys and needs only `runs`
    assert (
        check(
            """
            on:
              workflow_call:
            runs:
              using: docker
              image: Dockerfile
              args: [--verbose]
            """,
            "github-action",
        )
        == []
    )


def test_composite_runs_is_judged_by_its_using():
    found = check(
        """
        name: Tool
        runs:
          using: composite
          main: index.js
          steps:
            - run: make
              shell: bash
        """,
        "github-action",
    )
    assert len(found) == 1
    assert positions(found) == [(4, 3)]
    assert found[0].message == "unknown key 'main' in 'runs'; expected one of: using, steps"


# -------------------------------------------------------------------------- robustness


def test_recursive_alias_does_not_hang():
    found = check(
        """
        on: push
        jobs:
          test:
            runs-on: ubuntu-latest
            steps:
              - &step
                env: *step
                run: make
        """
    )
    assert len(found) == 1
    assert "a recursive alias" in found[0].message


def test_empty_document():
    found = schema.validate("github-workflow", None)
    assert len(found) == 1 and found[0].node is None
    assert found[0].message == "the workflow must be a mapping, not an empty value"


def test_every_patch_still_applies():
    assert schema.applied_patches("github-workflow") == [
        "strategy-matrix-optional",
        "event-filter-string",
        "workflow-call-secret-null",
        "matrix-null-values",
        "dispatch-input-type-optional",
        "activity-types-string",
        "workflow-run-workflows-string",
        "image-version-event",
        "snapshot-if-version",
    ]
    assert schema.applied_patches("github-action") == ["input-loose", "root-loose", "output-loose"]


def test_unknown_schema_name():
    with pytest.raises(schema.SchemaUnavailable):
        schema.validate("no-such-schema", None)
    with pytest.raises(ValueError):
        schema.validate("../etc/passwd", None)


def test_missing_schema_package_is_a_clear_error(monkeypatch):
    def missing(package):
        raise ModuleNotFoundError(f"No module named {package!r}")

    monkeypatch.setattr(importlib.resources, "files", missing)
    saved = schema.SCHEMA_DIR_OVERRIDE
    schema.SCHEMA_DIR_OVERRIDE = None
    schema.clear_cache()
    try:
        with pytest.raises(schema.SchemaUnavailable, match="pipelint.schemas"):
            schema.validate("github-workflow", None)
    finally:
        schema.SCHEMA_DIR_OVERRIDE = saved
        schema.clear_cache()


# ----------------------------------------------------------------- real-world corpora

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")


def _load(path: Path):
    docs = load_documents(path.read_text(encoding="utf-8"))
    return docs[0].root if docs else None


@needs_corpus
def test_schemastore_examples():
    base = CORPUS / "peers" / "schemastore" / "src"
    for folder, kind in (("github-workflow", "github-workflow"), ("github-action", "github-action")):
        positives = sorted((base / "test" / folder).iterdir())
        assert positives
        for path in positives:
            assert schema.validate(kind, _load(path)) == [], path.name
        negatives = sorted((base / "negative_test" / folder).iterdir())
        failing = [p.name for p in negatives if schema.validate(kind, _load(p))]
        # GitHub converts `default: true` to "true" for a string input: accepted
        accepted = {"workflow_dispatch-inputs-string-default-bool.yaml"}
        assert sorted(failing) == sorted(p.name for p in negatives if p.name not in accepted)


@needs_corpus
def test_github_corpus_is_accepted_except_real_problems():
    base = CORPUS / "github"
    failing = {}
    checked = 0
    for dirpath, _dirs, files in os.walk(base):
        in_workflows = dirpath.replace(os.sep, "/").endswith("/.github/workflows")
        for name in files:
            if not name.endswith((".yml", ".yaml")):
                continue
            path = Path(dirpath) / name
            try:
                root = _load(path)
            except Exception:
                continue
            if not isinstance(root, Mapping):
                continue
            if in_workflows and ("jobs" in root or "on" in root):
                kind = "github-workflow"
            elif "runs" in root:
                kind = "github-action"
            else:
                continue
            checked += 1
            found = schema.validate(kind, root)
            if found:
                failing[path.relative_to(base).as_posix()] = [v.message for v in found]
    assert checked > 2000
    assert failing == {
        # `on:` commented out: GitHub rejects a workflow without triggers
        "kubernetes__kube-state-metrics/.github/workflows/pre-release.yml": [
            "the workflow is missing the required key 'on'"
        ],
        # `branches:` with no value: GitHub wants a non-empty string or list
        "kubernetes-sigs__external-dns/.github/workflows/end-to-end-tests.yml": [
            "'on.push.branches' must be a non-empty string or a list of strings, not an empty value"
        ],
    }
