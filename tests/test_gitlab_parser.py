"""The GitLab CI parser: files -> Pipeline / Stage / Job / Step (no rules)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, run_lint, write_tree
from pipelint.classify import kind_for_path
from pipelint.parsers import gitlab
from pipelint.source import SourceFile
from pipelint.yamltree import load_documents

MODEL = FIXTURES / "gitlab-model"


def _pipeline(root: Path, path: str = ".gitlab-ci.yml"):
    result = run_lint(root, select=["PL001"])
    assert result.internal_errors == []
    parsed = result.project.file_by_path(path)
    assert parsed is not None, [f.file.path for f in result.project.files]
    assert parsed.kind == "gitlab-ci" and parsed.platform == "gitlab"
    assert parsed.problems == []
    return parsed.pipeline


def _line(node) -> int:
    return node.start_line + 1


def _steps(job):
    return [(s.name, s.script.text, s.file.path, _line(s.node)) for s in job.steps]


@pytest.fixture(scope="module")
def webapp():
    return _pipeline(MODEL / "webapp")


@pytest.fixture(scope="module")
def minimal():
    return _pipeline(MODEL / "minimal")


# ------------------------------------------------------------------ classification


@pytest.mark.parametrize(
    "path",
    [".gitlab-ci.yml", "sub/.gitlab-ci.yml", "ci/deploy.gitlab-ci.yml", ".gitlab/ci/rules.yml", ".gitlab/ci/a/b.yaml", ".gitlab-ci/x.yml", ".gitlab-ci.d/y.yml"],
)
def test_gitlab_paths(path):
    kind = kind_for_path(path)
    assert kind is not None and kind.name == "gitlab-ci", path


@pytest.mark.parametrize("path", [".gitlab/issue_templates/bug.yml", "gitlab-ci.yml", ".gitlab/benchmarks.yml"])
def test_not_gitlab_paths(path):
    kind = kind_for_path(path)
    assert kind is None or kind.name != "gitlab-ci"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("stages: [build, test]\n", "gitlab-ci"),
        ("include:\n  - local: a.yml\n", "gitlab-ci"),
        ("build:\n  script: make\n", "gitlab-ci"),
        ("job:\n  trigger: group/project\n", "gitlab-ci"),
        (".rules:\n  - if: $CI\n.cache:\n  key: x\n", "gitlab-ci"),
        ("spec:\n  inputs:\n    a: {}\n---\njob:\n  script: x\n", "gitlab-ci"),
        ("on: push\njobs:\n  a:\n    runs-on: x\n", None),  # GitHub
        ("trigger: [main]\npool: {vmImage: ubuntu-latest}\nsteps:\n  - script: make\n", None),  # Azure
        ("stages:\n  - stage: Build\n    jobs: []\n", None),  # Azure stages
        ("version: '3'\nservices:\n  web:\n    image: nginx\n", None),  # docker compose
        ("- a\n- b\n", None),
    ],
)
def test_confirm(text, expected):
    root = load_documents(text)[0].root
    assert gitlab.confirm(root) == expected


# ------------------------------------------------------------------ webapp: the whole model


def test_stages_and_jobs(webapp):
    assert webapp.platform == "gitlab" and webapp.kind == "pipeline"
    assert [(s.name, [j.id for j in s.jobs]) for s in webapp.stages] == [
        (".pre", []),
        ("build", ["build"]),
        ("test", ["lint", "unit-tests", "integration"]),
        ("review", ["review", "stop-review"]),
        ("deploy", ["deploy-production", "pages", "downstream"]),
        (".post", []),
    ]
    assert [_line(s.node) for s in webapp.stages[1:-1]] == [23, 24, 25, 26]
    # templates and reserved keys are not jobs; `pages` is
    assert not any(j.startswith(".") for j in webapp.jobs)
    assert "pages" in webapp.jobs and "default" not in webapp.jobs and "variables" not in webapp.jobs
    assert webapp.repository_root == str(MODEL / "webapp")


def test_workflow_and_variables(webapp):
    assert [(t.event, _line(t.node)) for t in webapp.triggers] == [("workflow", 2)]
    assert _line(webapp.triggers[0].config.get("rules")) == 5
    assert webapp.name == "webapp $CI_COMMIT_REF_NAME"
    assert webapp.env.keys() == ["NODE_VERSION", "DOCKER_DRIVER"]


def test_includes_external(webapp):
    got = [(e["kind"], e["type"], e["ref"], e["reason"], e["file"], _line(e["node"])) for e in webapp.external]
    assert got == [
        ("include", "project", "platform/ci-templates:/security/sast.yml", "offline", ".gitlab-ci.yml", 11),
        ("include", "project", "platform/ci-templates:/security/secrets.yml", "offline", ".gitlab-ci.yml", 11),
        ("include", "remote", "https://example.com/ci/lint.yml", "offline", ".gitlab-ci.yml", 16),
        ("include", "template", "Jobs/Code-Quality.gitlab-ci.yml", "offline", ".gitlab-ci.yml", 17),
        ("include", "component", "$CI_SERVER_FQDN/components/trivy/scan@1.4.0", "offline", ".gitlab-ci.yml", 18),
        ("include", "local", "templates/broken.yml", "unreadable", ".gitlab-ci.yml", 19),
        ("include", "local", "templates/missing.yml", "not found", ".gitlab-ci.yml", 20),
        ("needs", "needs-project", "platform/assets", "offline", ".gitlab-ci.yml", 63),
        ("trigger", "project", "platform/infra", "offline", ".gitlab-ci.yml", 116),
    ]


def test_resolved_includes_listed():
    path = MODEL / "webapp" / ".gitlab-ci.yml"
    text = path.read_text(encoding="utf-8")
    docs = load_documents(text)
    pipeline, ctx = gitlab.parse_with_context(SourceFile(".gitlab-ci.yml", str(path), text), docs[0], docs)
    assert ctx.resolved == [".gitlab/ci/templates.yml", ".gitlab/ci/jobs/lint.yml"]


def test_job_from_included_file(webapp):
    lint = webapp.jobs["lint"]
    assert lint.file.path == ".gitlab/ci/jobs/lint.yml" and lint.node_file is lint.file
    assert lint.extra["included_from"] == ".gitlab/ci/jobs/lint.yml"
    assert lint.pipeline is webapp and _line(lint.key_node) == 1
    assert [(p, _line(n)) for p, n in lint.origins] == [(".gitlab/ci/jobs/lint.yml", 1)]
    # default before_script comes from the including file, the script from the included one
    assert _steps(lint) == [
        ("before_script", "npm ci --cache .npm", ".gitlab-ci.yml", 35),
        ("script", "npm run lint", ".gitlab/ci/jobs/lint.yml", 4),
    ]
    assert lint.allow_failure is False and _line(lint.extra["allow_failure_exit_codes"]) == 6


def test_extends_across_files(webapp):
    build = webapp.jobs["build"]
    assert build.stage == "build"  # from .build-template
    assert [(p, _line(n)) for p, n in build.origins] == [(".gitlab/ci/templates.yml", 9), (".gitlab/ci/templates.yml", 1)]
    assert build.extra["extends"] == [".build-template"]
    view = build.node
    assert [(k, _line(v), gitlab.file_of(build, v).path) for k, _key, v in view.items()] == [
        ("image", 2, ".gitlab/ci/templates.yml"),
        ("interruptible", 3, ".gitlab/ci/templates.yml"),
        ("variables", 42, ".gitlab-ci.yml"),
        ("retry", 7, ".gitlab/ci/templates.yml"),
        ("extends", 40, ".gitlab-ci.yml"),
        ("stage", 11, ".gitlab/ci/templates.yml"),
        ("artifacts", 15, ".gitlab/ci/templates.yml"),
        ("script", 44, ".gitlab-ci.yml"),
    ]
    # variables deep-merged: the nearer template wins over .base, the job's own are added
    assert [(k, v.value, _line(v), gitlab.file_of(build, v).path) for k, _key, v in build.env.items()] == [
        ("NODE_ENV", "production", 5, ".gitlab/ci/templates.yml"),
        ("CACHE_DIR", ".build-cache", 13, ".gitlab/ci/templates.yml"),
        ("BUILD_MODE", "production", 42, ".gitlab-ci.yml"),
    ]
    # the template's image beats default:image
    assert build.extra["image"].value == "node:20-alpine"
    # nested arrays in script are flattened, one step per line scalar
    assert _steps(build) == [
        ("before_script", "npm ci --cache .npm", ".gitlab-ci.yml", 35),
        ("script", "npm run build", ".gitlab-ci.yml", 44),
        ("script", "npm run size", ".gitlab-ci.yml", 45),
        ("script", "npm run audit", ".gitlab-ci.yml", 45),
    ]
    assert [s.index for s in build.steps] == [0, 1, 2, 3]
    assert build.steps[0].file.node_span(build.steps[0].node).start.line == 35


def test_reference_resolution(webapp):
    job = webapp.jobs["unit-tests"]
    assert _steps(job)[1:] == [
        ("script", 'export PATH="$PWD/node_modules/.bin:$PATH"', ".gitlab/ci/templates.yml", 20),
        ("script", "npm config set fund false", ".gitlab/ci/templates.yml", 21),
        ("script", "npm test -- --coverage", ".gitlab-ci.yml", 52),
    ]
    # after_script points at a key that does not exist: kept unresolved and marked
    assert job.extra["unresolved_reference"] is True
    rules = webapp.jobs["deploy-production"].extra["rules"]
    assert [_line(r) for r in rules] == [92, 25]  # the second rule comes from templates.yml
    assert gitlab.file_of(webapp.jobs["deploy-production"], rules.items[1]).path == ".gitlab/ci/templates.yml"
    assert "unresolved_reference" not in webapp.jobs["deploy-production"].extra


def test_needs(webapp):
    assert [(n.job_id, n.optional, _line(n.node)) for n in webapp.jobs["unit-tests"].needs] == [("build", False, 49)]
    review = webapp.jobs["review"]
    assert [(n.job_id, n.optional, _line(n.node)) for n in review.needs] == [("build", False, 59), ("lint", True, 61)]
    assert [_line(n) for n in review.extra["needs_external"]] == [63]
    deploy = webapp.jobs["deploy-production"]
    assert deploy.needs == [] and deploy.needs_declared is True
    assert webapp.jobs["pages"].needs_declared is False


def test_manual_and_allow_failure(webapp):
    review = webapp.jobs["review"]
    assert (review.when, _line(review.when_node), review.allow_failure) == ("manual", 72, True)
    stop = webapp.jobs["stop-review"]
    assert (stop.when, stop.allow_failure, _line(stop.extra["allow_failure_node"])) == ("manual", False, 83)
    deploy = webapp.jobs["deploy-production"]  # manual inside rules: allow_failure defaults to false
    assert deploy.when is None and deploy.extra["rules_when"] == {"manual", "never"} and deploy.allow_failure is False
    downstream = webapp.jobs["downstream"]
    assert downstream.when == "delayed" and downstream.extra["start_in"].value == "10 minutes"
    assert webapp.jobs["pages"].allow_failure is False and webapp.jobs["pages"].when is None


def test_environment(webapp):
    env = webapp.jobs["review"].environment
    assert (env.name, env.url, env.dynamic, _line(env.node), _line(env.name_node)) == (
        "review/$CI_COMMIT_REF_SLUG",
        "https://$CI_COMMIT_REF_SLUG.review.example.com",
        True,
        67,
        67,
    )
    stop = webapp.jobs["stop-review"]
    assert stop.environment.name == "review/$CI_COMMIT_REF_SLUG" and stop.extra["environment_action"] == "stop"
    prod = webapp.jobs["deploy-production"].environment
    assert (prod.name, prod.dynamic, _line(prod.node)) == ("production", False, 90)
    assert "environment_action" not in webapp.jobs["review"].extra


def test_job_settings(webapp):
    deploy = webapp.jobs["deploy-production"]
    assert deploy.serialised_by.value == "production" and _line(deploy.serialised_by) == 88
    assert deploy.timeout.value == "30m"
    assert _line(deploy.runs_on) == 37  # default tags
    assert webapp.jobs["pages"].extra["only"].items[0].value == "main"
    assert webapp.jobs["integration"].extra["child_pipeline"] == ["child/pipeline.yml"]
    assert webapp.jobs["integration"].steps[0].name == "before_script" and len(webapp.jobs["integration"].steps) == 1


def test_inherit_default_false(webapp):
    stop = webapp.jobs["stop-review"]
    assert stop.extra["inherit_default"] is False
    assert _steps(stop) == [("script", "./teardown.sh review", ".gitlab-ci.yml", 81)]
    assert stop.runs_on is None and "image" not in stop.extra


def test_included_fragments_are_linted_as_fragments():
    result = run_lint(MODEL / "webapp", select=["PL001"])
    kinds = {f.file.path: (f.kind, f.pipeline.kind) for f in result.project.files}
    assert kinds == {
        ".gitlab-ci.yml": ("gitlab-ci", "pipeline"),
        ".gitlab/ci/templates.yml": ("gitlab-ci", "fragment"),
        ".gitlab/ci/jobs/lint.yml": ("gitlab-ci", "fragment"),
        # started by `trigger: include:` of .gitlab-ci.yml: linted although its path is not a GitLab one
        "child/pipeline.yml": ("gitlab-ci", "fragment"),
    }
    templates = result.project.file_by_path(".gitlab/ci/templates.yml").pipeline
    assert templates.jobs == {}
    assert result.active == []  # the broken included file is not linted nor a crash


# ------------------------------------------------------------------ minimal: defaults, spec, cycles


def test_spec_header_and_default_stages(minimal):
    assert [(s.name, [j.id for j in s.jobs]) for s in minimal.stages] == [
        (".pre", []),
        ("build", []),
        ("test", ["compile", "check"]),
        ("deploy", []),
        ("ship", ["release"]),
        (".post", []),
    ]
    assert minimal.stages[4].node is None and minimal.jobs["release"].extra["stage_undeclared"] is True
    assert minimal.env.keys() == ["APP"]
    assert minimal.triggers == []


def test_extends_cycle_and_missing_parent(minimal):
    check = minimal.jobs["check"]
    assert check.extra["unresolved_extends"] == [".retry-template", ".not-defined"]
    assert [(p, _line(n)) for p, n in check.origins] == [(".gitlab-ci.yml", 9), (".gitlab-ci.yml", 13)]
    assert _line(check.node.get("retry")) == 10
    assert _steps(check) == [("script", "make check", ".gitlab-ci.yml", 24)]
    assert check.needs == [] and check.needs_declared is True


def test_manual_release(minimal):
    release = minimal.jobs["release"]
    assert (release.when, release.allow_failure) == ("manual", True)
    assert _steps(release) == [("script", "make release", ".gitlab-ci.yml", 29)]


# ------------------------------------------------------------------ edge cases


def test_include_cycle_and_merge(tmp_path):
    root = write_tree(
        tmp_path,
        {
            ".git/HEAD": "ref: refs/heads/main\n",
            ".gitlab-ci.yml": """
                include:
                  - .gitlab/ci/a.yml
                deploy:
                  variables:
                    TARGET: prod
            """,
            ".gitlab/ci/a.yml": """
                include:
                  - local: .gitlab/ci/b.yml
                deploy:
                  stage: deploy
                  script: ./deploy.sh
                  variables:
                    TARGET: staging
                    REGION: eu
            """,
            ".gitlab/ci/b.yml": """
                include: .gitlab/ci/a.yml
                .hidden:
                  script: echo
            """,
        },
    )
    pipeline = _pipeline(root)
    deploy = pipeline.jobs["deploy"]
    assert deploy.stage == "deploy" and deploy.file.path == ".gitlab-ci.yml"
    assert [(k, v.value, gitlab.file_of(deploy, v).path) for k, _key, v in deploy.env.items()] == [
        ("TARGET", "prod", ".gitlab-ci.yml"),
        ("REGION", "eu", ".gitlab/ci/a.yml"),
    ]
    assert _steps(deploy) == [("script", "./deploy.sh", ".gitlab/ci/a.yml", 5)]
    assert pipeline.external == []


def test_sub_project_include_from_ancestor(tmp_path):
    root = write_tree(
        tmp_path,
        {
            ".git/HEAD": "ref: refs/heads/main\n",
            ".gitlab-ci.yml": "gems:\n  trigger:\n    include: gems/foo/.gitlab-ci.yml\n",
            "gems/gem.gitlab-ci.yml": ".gem:\n  script: bundle exec rspec\n",
            "gems/foo/.gitlab-ci.yml": "include: gems/gem.gitlab-ci.yml\nrspec:\n  extends: .gem\n",
        },
    )
    pipeline = _pipeline(root, "gems/foo/.gitlab-ci.yml")
    assert pipeline.repository_root == str(root / "gems" / "foo")
    assert _steps(pipeline.jobs["rspec"]) == [("script", "bundle exec rspec", "gems/gem.gitlab-ci.yml", 2)]


def test_invalid_yaml_is_pl001(tmp_path):
    root = write_tree(tmp_path, {".gitlab-ci.yml": "build:\n  script: [make\n"})
    result = run_lint(root, select=["PL001"])
    assert result.internal_errors == []
    assert [(d.path, d.code) for d in result.active] == [(".gitlab-ci.yml", "PL001")]


def test_odd_shapes_do_not_crash(tmp_path):
    root = write_tree(
        tmp_path,
        {
            ".gitlab-ci.yml": """
                stages: [build, [test, !reference [.more, stages]]]
                variables: !reference [.vars, variables]
                include: [~, 42, {file: x.yml}, "$CI_DIR/x.yml", "https://e.com/a.yml"]
                .vars:
                  variables: {A: "1"}
                a:
                  script: !reference [.nothing, script]
                  needs: [{pipeline: $PARENT_PIPELINE_ID, job: gen}, ~, {job: ~}]
                  environment: {url: https://x}
                  allow_failure: maybe
                  rules: !reference [.none, rules]
                b: ~
                c: [not, a, job]
                d:
                  extends: [d]
                  script: [[[deep]]]
                  variables: {X: !reference [.vars, variables, A]}
                  inherit: {default: [before_script], variables: false}
            """,
        },
    )
    pipeline = _pipeline(root)
    assert [s.name for s in pipeline.stages] == [".pre", "build", "test", ".post"]
    assert pipeline.env.keys() == ["A"]
    assert [(e["type"], e["ref"], e["reason"]) for e in pipeline.external] == [
        ("unknown", "42", "unrecognised include"),
        ("unknown", "", "unrecognised include"),
        ("local", "$CI_DIR/x.yml", "dynamic"),
        ("remote", "https://e.com/a.yml", "offline"),
    ]
    a = pipeline.jobs["a"]
    assert a.steps == [] and a.extra["unresolved_reference"] is True
    assert a.needs == [] and a.needs_declared and len(a.extra["needs_external"]) == 1
    assert a.environment.dynamic and a.allow_failure is False
    assert set(pipeline.jobs) == {"a", "d"}
    d = pipeline.jobs["d"]
    assert d.extra["unresolved_extends"] == ["d"]
    assert [s.script.text for s in d.steps] == ["deep"]
    assert d.env.get("X").value == "1"
    assert d.extra["inherit_default"] == ["before_script"] and d.extra["inherit_variables"] is False
