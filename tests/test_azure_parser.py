"""The Azure Pipelines parser: files -> Pipeline / Stage / Job / Step (no rules)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, run_lint, write_tree
from pipelint.classify import kind_for_path
from pipelint.parsers import azure
from pipelint.yamltree import load_documents

MODEL = FIXTURES / "azure-model"


def _project(root: Path):
    result = run_lint(root, select=["PL001"])
    assert result.internal_errors == []
    return result


def _pipeline(root: Path, path: str):
    result = _project(root)
    parsed = result.project.file_by_path(path)
    assert parsed is not None, [f.file.path for f in result.project.files]
    assert parsed.kind == "azure-pipelines" and parsed.platform == "azure"
    assert parsed.problems == []
    return parsed.pipeline


def _pos(node):
    return node.start_line + 1, node.start_col + 1


# ------------------------------------------------------------------ stages -> jobs -> steps


@pytest.fixture(scope="module")
def webapp():
    return _pipeline(MODEL / "webapp", "azure-pipelines.yml")


def test_stages_in_order_with_templates_expanded(webapp):
    assert webapp.platform == "azure"
    assert webapp.kind == "pipeline"
    assert [s.name for s in webapp.stages] == ["Build", "Staging", "Production", "Smoke", "Cleanup"]
    assert [[j.id for j in s.jobs] for s in webapp.stages] == [
        ["Compile", "Lint", "Report"],
        ["DeployStaging"],
        ["DeployProduction"],
        ["SmokeTest", "SmokeTestEU"],
        ["Approve"],
    ]
    assert list(webapp.jobs) == [
        "Build.Compile",
        "Build.Lint",
        "Build.Report",
        "Staging.DeployStaging",
        "Production.DeployProduction",
        "Smoke.SmokeTest",
        "Smoke.SmokeTestEU",
        "Cleanup.Approve",
    ]
    assert webapp.jobs["Build.Compile"].stage == "Build"


def test_triggers_and_pipeline_variables(webapp):
    assert [t.event for t in webapp.triggers] == ["trigger", "pr"]
    assert webapp.env is not None and webapp.env.keys() == ["buildConfiguration", "dotnetVersion"]


def test_stage_dependencies_implicit_explicit_and_empty(webapp):
    deps = {s.name: s.jobs[0].extra["stage_depends_on"] for s in webapp.stages}
    implicit = {s.name: s.jobs[0].extra["stage_depends_on_implicit"] for s in webapp.stages}
    assert [d[0] for d in deps["Build"]] == []
    assert [d[0] for d in deps["Staging"]] == ["Build"]  # no dependsOn: the previous stage
    assert implicit["Staging"] is True
    assert [d[0] for d in deps["Production"]] == ["Staging"]
    assert implicit["Production"] is False
    assert [d[0] for d in deps["Smoke"]] == ["Production"]
    assert deps["Cleanup"] == []  # dependsOn: []
    assert implicit["Cleanup"] is False
    prod = webapp.jobs["Production.DeployProduction"]
    assert prod.extra["stage_condition"].value.startswith("and(succeeded()")
    assert prod.serialised_by is not None and prod.serialised_by.value == "sequential"


def test_job_dependencies_and_conditions(webapp):
    compile_, lint, report = (webapp.jobs[k] for k in ("Build.Compile", "Build.Lint", "Build.Report"))
    assert compile_.needs == [] and compile_.needs_declared is False  # jobs run in parallel
    assert [n.job_id for n in report.needs] == ["Compile", "Lint"]
    assert report.needs_declared is True
    assert _pos(report.needs[0].node) == (50, 7)
    assert report.condition.value == "always()"
    assert report.when == "always"
    assert compile_.timeout.value == "30"


def test_pools(webapp):
    compile_ = webapp.jobs["Build.Compile"]
    lint = webapp.jobs["Build.Lint"]
    assert compile_.runs_on.get("vmImage").value == "ubuntu-latest"  # the pipeline's pool
    assert lint.runs_on.get("vmImage").value == "windows-latest"
    approve = webapp.jobs["Cleanup.Approve"]
    assert approve.runs_on.value == "server"
    assert approve.extra["agentless"] is True
    assert "agentless" not in compile_.extra


def test_steps_scripts_tasks_and_positions(webapp):
    steps = webapp.jobs["Build.Compile"].steps
    assert [s.index for s in steps] == [0, 1, 2, 3, 4]
    checkout, use_dotnet, build, test, publish = steps
    assert checkout.uses.kind == "checkout" and checkout.uses.repo == "self"
    assert use_dotnet.uses.kind == "task"
    assert (use_dotnet.uses.repo, use_dotnet.uses.ref, use_dotnet.uses.raw) == ("UseDotNet", "2", "UseDotNet@2")
    assert use_dotnet.inputs.get("version").value == "$(dotnetVersion)"
    assert use_dotnet.script is None
    assert build.name == "Build"
    assert build.script.text == "dotnet build --configuration $(buildConfiguration)"
    assert build.script.shell == "script" and build.script.language == "shell"
    assert _pos(build.script.node) == (29, 15)
    assert test.script.text == "set -euo pipefail\ndotnet test --no-build --logger trx\n"
    assert test.env.keys() == ["DOTNET_CLI_TELEMETRY_OPTOUT"]
    span = test.script.span(0, 3)  # "set" inside the block scalar
    assert (span.path, span.start.line, span.start.column, span.end.column) == ("azure-pipelines.yml", 32, 9, 12)
    assert publish.uses.kind == "publish"
    lint_steps = webapp.jobs["Build.Lint"].steps
    assert lint_steps[0].script.language == "pwsh" and lint_steps[0].script.shell == "pwsh"


def test_inline_script_of_a_task(webapp):
    step = webapp.jobs["Build.Report"].steps[0]
    assert step.uses.repo == "PowerShell" and step.uses.ref == "2"
    assert step.script.language == "pwsh"
    assert step.script.text == 'Write-Host "Build finished"\nGet-ChildItem $(Pipeline.Workspace)\n'
    assert _pos(step.script.node) == (58, 17)  # the `|` indicator
    assert step.script.file.path == "azure-pipelines.yml"


def test_deployment_jobs_environments_and_hooks(webapp):
    staging = webapp.jobs["Staging.DeployStaging"]
    assert staging.deployment_job is True
    assert staging.environment.name == "staging.webapp-vm"
    assert staging.environment.dynamic is False
    assert _pos(staging.environment.node) == (69, 18)
    assert staging.extra["strategy_kind"] == "runOnce"
    assert [s.uses.kind if s.uses else "script" for s in staging.steps] == ["download", "task", "script"]
    assert staging.extra["step_hooks"] == ["deploy", "deploy", "on.failure"]
    assert staging.extra["variable_groups"] == ["staging-secrets"]
    scopes = [scope for scope, _node in staging.extra["variables"]]
    assert scopes == ["pipeline", "stage"]

    prod = webapp.jobs["Production.DeployProduction"]
    assert prod.deployment_job is True
    assert prod.environment.name == "production"
    assert prod.environment.name_node.value == "production"
    assert prod.extra["strategy_kind"] == "rolling"
    assert prod.extra["step_hooks"] == ["preDeploy", "deploy", "routeTraffic", "on.success"]
    bash = prod.steps[1]
    assert bash.uses.repo == "Bash" and bash.script.text == "./deploy.sh --env production"
    assert _pos(bash.script.node) == (105, 23)
    assert webapp.jobs["Build.Compile"].deployment_job is False
    assert "step_hooks" not in webapp.jobs["Build.Compile"].extra


def test_step_template_expanded_with_its_own_file(webapp):
    lint = webapp.jobs["Build.Lint"]
    assert len(lint.steps) == 4  # pwsh + the template's three steps (one under ${{ if }})
    keyvault, sign, verify = lint.steps[1:]
    assert keyvault.uses.repo == "AzureKeyVault"
    assert keyvault.file.path == "eng/pipelines/templates/steps/sign.yml"
    assert sign.script.file.path == "eng/pipelines/templates/steps/sign.yml"
    assert _pos(sign.script.node) == (10, 9)
    assert verify.script.text == "./eng/verify-signature.sh"
    assert lint.extra["conditional"] is True
    assert [o[0] for o in lint.origins] == ["eng/pipelines/templates/steps/sign.yml"]


def test_stage_and_job_templates_expanded(webapp):
    smoke = webapp.jobs["Smoke.SmokeTest"]
    eu = webapp.jobs["Smoke.SmokeTestEU"]
    assert [o[0] for o in smoke.origins] == [
        "eng/pipelines/templates/jobs/smoke-job.yml",
        "eng/pipelines/templates/stages/smoke.yml",
    ]
    # job-level findings point at the reference in the pipeline file (Job.file is the pipeline's)
    assert smoke.key_node.value == "eng/pipelines/templates/stages/smoke.yml"
    assert smoke.source.path == "eng/pipelines/templates/jobs/smoke-job.yml"
    assert smoke.node_file is smoke.source
    assert smoke.steps[0].file.path == "eng/pipelines/templates/jobs/smoke-job.yml"
    assert smoke.steps[0].script.text == "./eng/smoke.sh ${{ parameters.region }}"
    assert "conditional" not in smoke.extra
    assert eu.extra["conditional"] is True
    params = smoke.extra["template_parameters"]
    assert [m.get("region").value for m in params] == ["${{ parameters.region }}", "westeurope"]  # nearest first
    assert "template_parameters" not in webapp.jobs["Build.Compile"].extra


def test_external_templates_recorded(webapp):
    refs = [(e["kind"], e["ref"], e.get("repository")) for e in webapp.external]
    assert refs == [("template", "jobs/library.yml@templates", "templates")]
    assert webapp.external[0]["file"] == "eng/pipelines/templates/stages/smoke.yml"


def test_templates_are_files_too(webapp):
    result = _project(MODEL / "webapp")
    paths = sorted(f.file.path for f in result.project.files)
    assert paths == [
        "azure-pipelines.yml",
        "eng/pipelines/templates/jobs/smoke-job.yml",
        "eng/pipelines/templates/stages/smoke.yml",
        "eng/pipelines/templates/steps/sign.yml",
    ]
    sign = result.project.file_by_path("eng/pipelines/templates/steps/sign.yml").pipeline
    assert sign.kind == "template"
    assert sign.triggers == []  # a template has no implicit CI trigger
    assert [j.id for j in sign.jobs.values()] == ["Job"]  # its steps as one implicit job


# ------------------------------------------------------------------ the other shapes


def test_steps_only_pipeline_is_one_implicit_job():
    p = _pipeline(MODEL / "steps-only", "azure-pipelines.yml")
    assert [t.event for t in p.triggers] == ["pr"]  # trigger: none
    assert p.stages == []
    assert list(p.jobs) == ["Job"]
    job = p.jobs["Job"]
    assert job.key_node.value == "steps"
    assert job.runs_on.get("vmImage").value == "ubuntu-22.04"
    assert p.env is None  # list-form variables are not a mapping
    assert job.extra["variable_groups"] == ["npm-credentials"]
    assert [s.uses.repo if s.uses else None for s in job.steps] == ["NodeTool", None, "CmdLine"]
    assert job.steps[1].script.text == "npm ci\nnpm test\n"
    cmd = job.steps[2]
    assert cmd.script.text == "echo $(Build.BuildId)"
    assert _pos(cmd.script.node) == (25, 13)


def test_jobs_only_pipeline():
    p = _pipeline(MODEL / "jobs-only", "azure-pipelines.yml")
    assert [t.event for t in p.triggers] == ["trigger"]
    assert list(p.jobs) == ["Linux", "Windows", "Publish"]
    assert all(j.stage is None for j in p.jobs.values())
    assert [n.job_id for n in p.jobs["Publish"].needs] == ["Linux", "Windows"]
    assert p.jobs["Windows"].steps[0].script.language == "pwsh"
    cli = p.jobs["Publish"].steps[0]
    assert cli.uses.repo == "AzureCLI"
    assert cli.script.text == "az storage blob upload-batch -d '$web' -s ./site"
    assert cli.script.language == "shell"


def test_extends_local_template():
    p = _pipeline(MODEL / "extends-local", ".azure-pipelines/ci.yml")
    assert [s.name for s in p.stages] == ["Build", "Release"]
    assert list(p.jobs) == ["Build.Build"]
    build = p.jobs["Build.Build"]
    assert [o[0] for o in build.origins] == [".azure-pipelines/base.yml"]
    assert build.steps[0].uses.kind == "checkout"
    assert [i.value for i in build.extra["inserted"]] == ["${{ step }}"]
    assert [(e["kind"], e["ref"]) for e in p.external] == [("template", "release-job.yml@templates")]
    assert [t.event for t in p.triggers] == ["trigger"]


def test_extends_external_template_reads_stages_from_parameters(tmp_path):
    write_tree(
        tmp_path,
        {
            "azure-pipelines.yml": """
                resources:
                  repositories:
                  - repository: 1ESPipelineTemplates
                    type: git
                    name: 1ESPipelineTemplates/1ESPipelineTemplates
                extends:
                  ${{ if eq(variables['System.TeamProject'], 'internal') }}:
                    template: v1/1ES.Official.PipelineTemplate.yml@1ESPipelineTemplates
                  ${{ else }}:
                    template: v1/1ES.Unofficial.PipelineTemplate.yml@1ESPipelineTemplates
                  parameters:
                    stages:
                    - stage: Build
                      jobs:
                      - job: Windows
                        steps:
                        - script: build.cmd
            """
        },
    )
    p = _pipeline(tmp_path, "azure-pipelines.yml")
    assert [e["repository"] for e in p.external] == ["1ESPipelineTemplates", "1ESPipelineTemplates"]
    assert list(p.jobs) == ["Build.Windows"]
    job = p.jobs["Build.Windows"]
    assert job.extra["from_parameters"] == "stages"
    assert job.steps[0].script.text == "build.cmd"


def test_conditional_jobs_and_missing_templates(tmp_path):
    write_tree(
        tmp_path,
        {
            "eng/pipelines/ci.yml": """
                parameters:
                - name: runTests
                  type: boolean
                  default: true
                jobs:
                - job: Build
                  steps:
                  - script: make
                - ${{ if parameters.runTests }}:
                  - job: Test
                    dependsOn: Build
                    steps:
                    - script: make test
                - job: Pack
                  ${{ if parameters.runTests }}:
                    dependsOn: Test
                  steps:
                  - script: make pack
                - template: /eng/pipelines/missing.yml
                - template: ${{ parameters.jobTemplate }}
                - ${{ parameters.extraJobs }}
            """
        },
    )
    p = _pipeline(tmp_path, "eng/pipelines/ci.yml")
    assert list(p.jobs) == ["Build", "Test", "Pack"]
    assert [n.job_id for n in p.jobs["Pack"].needs] == ["Test"]  # under a `${{ if }}:` key
    assert p.jobs["Pack"].needs_declared is True
    assert "conditional" not in p.jobs["Build"].extra
    assert p.jobs["Test"].extra["conditional"] is True
    assert [(e["kind"], e.get("reason")) for e in p.external] == [
        ("template", "not found"),
        ("template", "dynamic"),
        ("parameter-insertion", None),
    ]


def test_recursive_template_does_not_loop(tmp_path):
    write_tree(
        tmp_path,
        {
            "azure-pipelines.yml": """
                steps:
                - template: loop.yml
            """,
            "loop.yml": """
                steps:
                - script: echo once
                - template: loop.yml
            """,
        },
    )
    result = run_lint(tmp_path, select=["PL001"])
    assert result.internal_errors == []
    job = result.project.file_by_path("azure-pipelines.yml").pipeline.jobs["Job"]
    assert len(job.steps) == azure.MAX_TEMPLATE_DEPTH + 1  # bounded, the last one unexpanded
    assert job.steps[-1].uses.kind == "template"


def test_legacy_phases(tmp_path):
    write_tree(
        tmp_path,
        {
            ".vsts-ci.yml": """
                phases:
                - phase: Linux
                  queue: Hosted Ubuntu 1604
                  steps:
                  - script: ./build.sh
            """
        },
    )
    p = _pipeline(tmp_path, ".vsts-ci.yml")
    assert list(p.jobs) == ["Linux"]
    assert p.jobs["Linux"].runs_on.value == "Hosted Ubuntu 1604"


# ------------------------------------------------------------------ classification


@pytest.mark.parametrize(
    "path, kind",
    [
        ("repo/azure-pipelines.yml", "azure-pipelines"),
        ("repo/azure-pipelines-release.yaml", "azure-pipelines"),
        ("repo/.azure-pipelines/ci.yml", "azure-pipelines"),
        ("repo/.azuredevops/pr.yml", "azure-pipelines"),
        ("repo/.pipelines/templates/build.yml", "azure-pipelines"),
        ("repo/eng/pipelines/templates/jobs/x.yml", "azure-pipelines"),
        ("repo/.vsts-ci/windows.yml", "azure-pipelines"),
        ("repo/.azure-pipelines.yml", "azure-pipelines"),
        ("repo/.vsts-ci.yml", "azure-pipelines"),
        ("repo/.github/workflows/azure-pipelines.yml", "github-workflow"),
        ("repo/src/app.yml", "kubernetes"),  # any other YAML: read if its text looks like a manifest
        ("repo/src/app.txt", None),
    ],
)
def test_paths(path, kind):
    found = kind_for_path(path)
    assert (found.name if found else None) == kind


def _root(text: str):
    import textwrap

    return load_documents(textwrap.dedent(text))[0].root


@pytest.mark.parametrize(
    "text, expected",
    [
        ("trigger: none\nsteps:\n- script: echo hi\n", "azure-pipelines"),
        ("stages:\n- stage: A\n  jobs: []\n", "azure-pipelines"),
        ("variables:\n- name: a\n  value: b\n", "azure-pipelines"),
        ("on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n", None),  # GitHub
        ("stages: [build, test]\nbuild:\n  stage: build\n  script: make\n", None),  # GitLab
        ("include:\n- template: Auto-DevOps.gitlab-ci.yml\n", None),  # GitLab
        ("apiVersion: v1\nkind: ConfigMap\n", None),
        ("- a\n- b\n", None),
    ],
)
def test_confirm(text, expected):
    assert azure.confirm(_root(text)) == expected


def test_weak_paths_need_azure_content(tmp_path):
    write_tree(
        tmp_path,
        {
            "build/pipeline.yml": "trigger:\n- main\nsteps:\n- script: make\n",
            "build/values.yml": "replicas: 2\nimage: nginx\n",
            "build/helm.yml": "{{ .Values.name }}: [\n",  # not YAML, not ours: no PL001
            "ci/gitlab-jobs.yml": "test:\n  stage: test\n  script:\n  - make test\n",
            "ci/vars.yml": "variables:\n- group: shared\n",
            ".gitlab/ci/variables.gitlab-ci.yml": "variables:\n  RAILS_ENV: test\n",
        },
    )
    (tmp_path / "build/blob.yml").write_bytes(b"\xff\xfe\x00binary\x00")  # not text, not ours: no PL001
    result = _project(tmp_path)
    azure = [f.file.path for f in result.project.files if f.platform == "azure"]
    assert sorted(azure) == ["build/pipeline.yml", "ci/vars.yml"]
    assert [d.code for d in result.diagnostics] == []


def test_invalid_yaml_on_a_pipeline_path_is_pl001(tmp_path):
    write_tree(tmp_path, {"azure-pipelines.yml": "trigger: [main\nsteps:\n- script: make\n"})
    result = run_lint(tmp_path, select=["PL001"])
    assert [d.code for d in result.diagnostics] == ["PL001"]
