"""Schema validation of GitLab CI and Azure Pipelines files (pipelint.schema, behind PL002)."""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import pytest

from pipelint import schema
from pipelint.yamltree import decode, load_documents

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
GITLAB_SPEC = CORPUS / "peers" / "gitlab-ci-schema" / "spec" / "frontend" / "editor" / "schema" / "ci" / "yaml_tests"

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not available")


@pytest.fixture(autouse=True, scope="module")
def schema_dir():
    saved = schema.SCHEMA_DIR_OVERRIDE
    schema.SCHEMA_DIR_OVERRIDE = REPO / "schemas"
    schema.clear_cache()
    yield
    schema.SCHEMA_DIR_OVERRIDE = saved
    schema.clear_cache()


def gitlab(text: str):
    return schema.validate("gitlab-ci", load_documents(textwrap.dedent(text).lstrip("\n"))[0].root)


def azure(text: str):
    return schema.validate("azure-pipelines", load_documents(textwrap.dedent(text).lstrip("\n"))[0].root)


def positions(violations):
    return [(v.node.start_line + 1, v.node.start_col + 1) for v in violations]


def _load(path: Path):
    return load_documents(decode(path.read_bytes()))[0].root


# ------------------------------------------------------------------------ loading


def test_patches_apply():
    assert schema.applied_patches("gitlab-ci") == [
        "include-wildcard", "artifacts-paths-empty", "reports-annotations-list",
    ]
    assert schema.applied_patches("azure-pipelines") == [
        "scalars-as-text", "ignore-case", "tasks-open", "template-files", "path-filters",
    ]


def test_azure_schema_compiles_quickly():
    schema.clear_cache()
    t0 = time.perf_counter()
    azure("steps:\n  - script: echo hi\n")
    elapsed = time.perf_counter() - t0
    stats = schema.stats()["azure-pipelines"]
    # the per-task input rules are compiled lazily, per task: the rest takes ~0.1 s
    assert stats["compile_seconds"] < 1.0, stats
    assert elapsed < 3.0


# ------------------------------------------------------------------------- GitLab


def test_gitlab_typo_points_at_the_key():
    found = gitlab(
        """
        build:
          stgae: build
          script: make
        """
    )
    assert positions(found) == [(2, 3)]
    assert "unknown key 'stgae' in job 'build' (did you mean 'stage'?)" in found[0].message


def test_gitlab_bad_value_points_at_the_value():
    found = gitlab(
        """
        deploy:
          script: ./deploy.sh
          when: on_succes
        """
    )
    assert positions(found) == [(3, 9)]
    assert "did you mean 'on_success'" in found[0].message


def test_gitlab_reference_tags_are_accepted_anywhere():
    assert gitlab(
        """
        .setup:
          script: [echo setup]
          rules:
            - if: $CI_COMMIT_TAG
          variables:
            A: "1"
        job:
          script:
            - !reference [.setup, script]
            - echo job
          rules: !reference [.setup, rules]
          variables: !reference [.setup, variables]
          cache: !reference [.cache, cache]
          image: !reference [.images, python]
        """
    ) == []


def test_gitlab_partial_jobs_and_templates_are_accepted():
    # an included file: jobs completed by `extends`, hidden templates, no `script`
    assert gitlab(
        """
        .base:
          image: alpine
        lint:
          extends: .base
          stage: test
        deploy:
          extends: [.base, .deploy]
          needs: null
          parallel: null
        """
    ) == []


def test_gitlab_nested_rules_and_needs_are_flattened():
    assert gitlab(
        """
        .rules: &rules
          - if: $CI_COMMIT_TAG
            when: never
        .needs: &needs [build, lint]
        test:
          script: make test
          rules:
            - *rules
            - when: on_success
          needs:
            - *needs
            - unit
        """
    ) == []


def test_gitlab_script_nesting_limit_is_ten_levels():
    ten = "x:\n  script:\n    - " + "- " * 9 + "echo 10\n"
    eleven = "x:\n  script:\n    - " + "- " * 10 + "echo 11\n"
    assert gitlab(ten) == []
    assert gitlab(eleven) != []


def test_gitlab_reads_yaml_1_1_booleans_and_does_not_coerce_numbers():
    assert gitlab("job:\n  script: make\n  allow_failure: yes\n  interruptible: off\n") == []
    # GitLab's stages are strings: numbers are rejected (GitLab's own negative test)
    assert gitlab("stages: [1, 2]\n") != []


def test_gitlab_variables_in_patterned_values_are_accepted():
    assert gitlab(
        """
        child:
          trigger:
            include:
              - artifact: $DYNAMIC_PIPELINE_YML
                job: generate
        """
    ) == []


@pytest.mark.skipif(not GITLAB_SPEC.is_dir(), reason="GitLab's schema tests are not available")
def test_gitlab_own_schema_tests():
    positives = sorted((GITLAB_SPEC / "positive_tests").rglob("*.yml"))
    failing = sorted(p.relative_to(GITLAB_SPEC).as_posix() for p in positives if schema.validate("gitlab-ci", _load(p)))
    assert failing == [
        # `run` steps with `action:`: the vendored schema predates them
        "positive_tests/run.yml",
        # test names at the top (`accepts ...: {workflow: ...}`): not whole pipelines
        "positive_tests/workflow/auto_cancel/on_job_failure.yml",
        "positive_tests/workflow/auto_cancel/on_new_commit.yml",
    ]
    negatives = sorted((GITLAB_SPEC / "negative_tests").rglob("*.yml"))
    missed = [p.name for p in negatives if not schema.validate("gitlab-ci", _load(p))]
    assert missed == []


# -------------------------------------------------------------------------- Azure


def test_azure_reads_every_scalar_as_text():
    assert azure(
        """
        jobs:
          - job: build
            timeoutInMinutes: 30
            cancelTimeoutInMinutes: '5'
            steps:
              - task: CopyFiles@2
                timeoutInMinutes: '10'
                retryCountOnTaskFailure: 3
                continueOnError: True
                inputs:
                  Contents: '**'
                  TargetFolder: out
                  CleanTargetFolder: yes
              - script: make
                timeoutInMinutes: 20
        """
    ) == []


def test_azure_bad_boolean_points_at_the_value():
    found = azure(
        """
        trigger:
          batch: maybe
        steps:
          - script: make
        """
    )
    assert positions(found) == [(2, 10)]
    assert found[0].message == "'trigger.batch' must be a boolean (true or false), not the string 'maybe'"


def test_azure_ignore_case_keys_values_and_aliases():
    assert azure(
        """
        steps:
          - task: powershell@2
            inputs:
              TargetType: INLINE
              Script: Write-Host hi
          - task: AzureCLI@2
            inputs:
              connectedServiceNameARM: prod
              scriptType: bash
              scriptLocation: inlineScript
              inlineScript: az account show
        """
    ) == []


def test_azure_custom_tasks_are_accepted_and_unknown_inputs_of_known_tasks_reported():
    found = azure(
        """
        steps:
          - task: MyOrg.Signing.SignFiles@3
            inputs:
              anything: goes
          - task: DownloadPipelineArtifact@2
            inputs:
              artifact: drop
              downloadType: specific
        """
    )
    assert positions(found) == [(8, 7)]
    assert "task DownloadPipelineArtifact@2 has no input 'downloadType'" in found[0].message


def test_azure_template_expressions_are_resolved_not_reported():
    assert azure(
        """
        parameters:
          - name: platforms
            type: object
            default: [linux]
        jobs:
          - ${{ each p in parameters.platforms }}:
              - job: build_${{ p }}
                ${{ if eq(p, 'linux') }}:
                  pool:
                    vmImage: ubuntu-latest
                strategy:
                  matrix:
                    ${{ each v in parameters.versions }}:
                      ${{ v }}:
                        version: ${{ v }}
                steps:
                  - ${{ parameters.preSteps }}
                  - ${{ if eq(p, 'linux') }}:
                      - 'Illegal entry point': error
                  - script: make
                    enabled: ${{ parameters.enabled }}
                    continueOnError: $(allowFailure)
        """
    ) == []


def test_azure_conditional_content_completes_its_parent():
    # `steps` only under a condition: the job is still complete
    assert azure(
        """
        jobs:
          - job: build
            ${{ if true }}:
              steps:
                - script: make
        """
    ) == []


def test_azure_template_files():
    assert azure("parameters:\n  config: Release\nsteps:\n  - script: make\n") == []
    assert azure("variables:\n  a: 1\n  b: two\n") == []


def test_azure_typo_in_a_step():
    found = azure(
        """
        steps:
          - script: make
            dispalyName: Build
        """
    )
    assert positions(found) == [(3, 5)]
    assert "did you mean 'displayName'" in found[0].message


# -------------------------------------------------------------------------- corpus


@needs_corpus
@pytest.mark.parametrize("platform, kind, limit", [("gitlab", "gitlab-ci", 16), ("azure", "azure-pipelines", 49)])
def test_corpus_is_nearly_quiet(platform, kind, limit):
    """Every finding left on the corpus was read (see the PL002 report): GitLab's are in
    files that are not GitLab CI files (benchmark configs, docker-compose) or use
    removed keywords; Azure's are starter templates with `{{ placeholders }}`, unknown
    task inputs and an undocumented parameter type."""
    found = 0
    for dirpath, _dirs, files in os.walk(CORPUS / platform):
        for name in files:
            if name.endswith((".yml", ".yaml")):
                try:
                    root = _load(Path(dirpath) / name)
                except Exception:
                    continue
                if root is not None:
                    found += len(schema.validate(kind, root))
    assert found <= limit


def test_gitlab_component_inputs_are_not_judged():
    text = textwrap.dedent(
        """
        spec:
          inputs:
            job_name:
              default: scan
            allow_failure:
              default: true
              type: boolean
        ---
        "$[[ inputs.job_name ]]":
          script: ./scan.sh
          allow_failure: $[[ inputs.allow_failure ]]
          retry: $[[ inputs.retries ]]
        """
    ).lstrip("\n")
    documents = load_documents(text)
    assert [schema.validate("gitlab-ci", d.root) for d in documents] == [[], []]


# ------------------------------------------------------------------- pre-check views


def _detail_runs(name: str) -> int:
    return schema._compiled(name).counters["failed_precheck"]


def test_gitlab_opaque_values_do_not_need_the_detailed_pass():
    # `!reference` to another repository's template and `key: null` are never reported:
    # the fast check on a view without them decides, the detailed pass is not run
    before = _detail_runs("gitlab-ci")
    assert gitlab(
        """
        include:
          - project: group/templates
            file: /security.yml
        sast:
          extends: .sast
          rules: !reference [.sast-rules, rules]
          needs: !reference [.sast-needs, needs]
          variables:
            CI_DEBUG: null
          script: [run-sast]
        """
    ) == []
    assert _detail_runs("gitlab-ci") == before


def test_gitlab_misspelt_key_holding_a_reference_is_still_reported():
    found = gitlab(
        """
        job:
          scirpt: !reference [.setup, script]
          script: [make]
        """
    )
    assert positions(found) == [(2, 3)]
    assert "did you mean 'script'" in found[0].message


def test_azure_expression_values_and_template_branches_do_not_need_the_detailed_pass():
    before = _detail_runs("azure-pipelines")
    assert azure(
        """
        parameters:
          - name: matrix
            type: object
        jobs:
          - job: build
            strategy:
              matrix: ${{ parameters.matrix }}
            steps:
              - script: make
                env: ${{ parameters.env }}
              - ${{ parameters.extraSteps }}
              - ${{ if eq(parameters.debug, true) }}:
                - script: env
        """
    ) == []
    assert _detail_runs("azure-pipelines") == before


def test_azure_step_kind_given_by_an_expression_is_still_checked():
    # the step-kind keys keep their place in the pre-check view: two kinds still fail
    found = azure(
        """
        steps:
          - task: ${{ parameters.task }}
            script: make
        """
    )
    assert positions(found) == [(3, 5)]


def test_gitlab_keys_a_job_can_get_from_extends_are_not_missing():
    # GitLab deep-merges `.qa`'s trigger into the job: `project` comes from there
    assert gitlab(
        """
        qa:
          extends: .qa
          trigger:
            inputs:
              variant: ce
        """
    ) == []
    found = gitlab(
        """
        qa:
          trigger:
            inputs:
              variant: ce
        """
    )
    assert positions(found) == [(2, 3)]
    assert "project" in found[0].message


# ------------------------------------------------------------------- Argo Rollouts


ARGO_CRDS = REPO.parent / "shared" / "schemas" / "argo-rollouts-crds"


@pytest.mark.skipif(not ARGO_CRDS.is_dir(), reason="the shared Argo Rollouts CRDs are not available")
def test_argo_schemas_match_their_derivation(tmp_path):
    """schemas/argo-*.json are what schemas/derive_argo_rollouts.py makes of the CRDs."""
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location("derive_argo_rollouts", REPO / "schemas" / "derive_argo_rollouts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for kind, name in module.FILES.items():
        derived = module.derive(ARGO_CRDS / name)
        shipped = json.loads((REPO / "schemas" / f"argo-{kind.lower()}.json").read_text(encoding="utf-8"))
        assert derived == shipped, kind
