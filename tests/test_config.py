"""Configuration: discovery, validation, selectors, overrides, environment patterns."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from conftest import WORKFLOW_WITH_FLAG, findings, marker_rule, run_cli, run_lint, test_registry, write_tree
from pipelint.config import DEFAULT_PRODUCTION, DEFAULT_STAGING, ConfigError, Settings, find_config, load_settings
from pipelint.diagnostics import Severity
from pipelint.engine import enabled_rules
from pipelint.environments import Targets
from pipelint.registry import Registry

WF = ".github/workflows/ci.yml"


def _repo(tmp_path: Path, config: dict[str, str] | None = None) -> Path:
    files = {WF: WORKFLOW_WITH_FLAG}
    files.update(config or {})
    return write_tree(tmp_path, files)


def _cli(tmp_path, monkeypatch, capsys, *argv, registry=None):
    monkeypatch.chdir(tmp_path)
    return run_cli(list(argv), capsys, registry or test_registry(), monkeypatch)


# ------------------------------------------------------------------ discovery


def test_config_found_by_walking_up(tmp_path):
    write_tree(tmp_path, {"pipelint.toml": 'select = ["PL001"]\n', "a/b/c/.keep": ""})
    settings = load_settings(str(tmp_path / "a" / "b" / "c"))
    assert settings.source == str(tmp_path / "pipelint.toml")
    assert settings.select == ["PL001"]
    assert settings.base_dir == str(tmp_path)


def test_start_may_be_a_file(tmp_path):
    write_tree(tmp_path, {".pipelint.toml": 'ignore = ["PL005"]\n', WF: WORKFLOW_WITH_FLAG})
    assert load_settings(str(tmp_path / WF)).ignore == ["PL005"]


def test_precedence_in_one_folder(tmp_path):
    write_tree(
        tmp_path,
        {
            ".pipelint.toml": 'select = ["PL001"]\n',
            "pipelint.toml": 'select = ["PL005"]\n',
            "pyproject.toml": '[tool.pipelint]\nselect = ["PL901"]\n',
        },
    )
    assert load_settings(str(tmp_path)).source.endswith("/.pipelint.toml")
    (tmp_path / ".pipelint.toml").unlink()
    assert load_settings(str(tmp_path)).source.endswith("/pipelint.toml")
    (tmp_path / "pipelint.toml").unlink()
    settings = load_settings(str(tmp_path))
    assert settings.source.endswith("/pyproject.toml")
    assert settings.select == ["PL901"]


def test_nearest_folder_wins_and_pyproject_without_table_is_skipped(tmp_path):
    write_tree(
        tmp_path,
        {
            "pipelint.toml": 'select = ["PL001"]\n',
            "sub/pyproject.toml": '[project]\nname = "sub"\n[tool.ruff]\nselect = ["E"]\n',
            "sub/deeper/pyproject.toml": '[tool.pipelint]\nselect = ["PL005"]\n',
        },
    )
    assert load_settings(str(tmp_path / "sub")).select == ["PL001"]  # walked past sub/pyproject.toml
    assert load_settings(str(tmp_path / "sub" / "deeper")).select == ["PL005"]


def test_pipelint_toml_may_use_a_tool_table(tmp_path):
    write_tree(tmp_path, {"pipelint.toml": '[tool.pipelint]\nfail-on = "error"\n'})
    assert load_settings(str(tmp_path)).fail_on == Severity.ERROR


def test_no_config_gives_defaults(tmp_path):
    found = find_config(str(tmp_path))
    # the test folder may sit below a folder with a config; defaults apply only when none exists
    if found is None:
        settings = load_settings(str(tmp_path))
        assert settings.source is None and settings.select == ["ALL"]
        assert settings.fail_on == Severity.WARNING and settings.max_file_size == 5 * 1024 * 1024


def test_explicit_config_flag(tmp_path, monkeypatch, capsys):
    _repo(tmp_path, {"pipelint.toml": 'select = ["PL001"]\n', "other/custom.toml": 'select = ["PL901"]\nfail-on = "error"\n'})
    code, out, _err = _cli(tmp_path, monkeypatch, capsys, "--config", "other/custom.toml", "--format", "json")
    assert code == 0  # PL901 is a warning and fail-on = error
    assert [d["code"] for d in json.loads(out)["diagnostics"]] == ["PL901"]
    code, _out, err = _cli(tmp_path, monkeypatch, capsys, "--config", "missing.toml")
    assert code == 2
    assert err == "pipelint: missing.toml: config file not found\n"


# ----------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "config, line, what",
    [
        (
            '[project]\nname = "x"\n\n[tool.ruff]\nselect = ["E"]\n\n[tool.pipelint]\nselect = "PL901"\n',
            8,
            "select: 'PL901' is not of type 'array'",
        ),
        ('[tool.pipelint]\nselec = ["PL1"]\n', 2, "unknown key 'selec'"),
        ('[tool.pipelint]\nfail-on = "fatal"\n', 2, "fail-on: 'fatal' is not one of ['error', 'warning', 'note']"),
        (
            '[tool.ruff.severity]\nPL901 = "x"\n[tool.pipelint.severity]\nPL901 = "fatal"\n',
            4,
            "severity.PL901: 'fatal' is not one of ['error', 'warning', 'note']",
        ),
        ('[tool.pipelint]\nseverity.PL901 = "loud"\n', 2, "severity.PL901: 'loud' is not one of ['error', 'warning', 'note']"),
        ('[tool.pipelint]\nrules = {PL901 = 3}\n', 2, "rules.PL901: 3 is not of type 'object'"),
        ('[tool.pipelint.unknown-table]\nx = 1\n', 1, "unknown key 'unknown-table'"),
        ('[tool.pipelint]\nselect = [\n  "PL001",\n  3,\n]\n', 2, "select.1: 3 is not of type 'string'"),
        ('[tool.pipelint]\nmax-file-size = 0\n', 2, "max-file-size: 0 is less than the minimum of 1"),
        (
            '[tool.pipelint]\n\nproduction-environments = ["(prod"]\n',
            3,
            "production-environments: invalid regex '(prod': missing ), unterminated subpattern at position 0",
        ),
    ],
)
def test_validation_error_names_file_key_and_line(tmp_path, monkeypatch, capsys, config, line, what):
    _repo(tmp_path, {"pyproject.toml": config})
    code, out, err = _cli(tmp_path, monkeypatch, capsys)
    assert code == 2
    assert out == ""
    assert err == f"pipelint: {tmp_path / 'pyproject.toml'}:{line}: invalid configuration: {what}\n"


def test_invalid_toml_is_a_usage_error(tmp_path, monkeypatch, capsys):
    _repo(tmp_path, {"pipelint.toml": 'select = [\n"PL001"\nfail-on = 1\n'})
    code, _out, err = _cli(tmp_path, monkeypatch, capsys)
    assert code == 2
    assert err.startswith(f"pipelint: {tmp_path / 'pipelint.toml'}: invalid TOML: ")
    assert "line 3" in err


def test_unknown_selector_exits_2(tmp_path, monkeypatch, capsys):
    _repo(tmp_path)
    for argv in (["--select", "PL901,XX999"], ["--ignore", "no-such-rule"], ["--extend-select", "PL8"]):
        code, out, err = _cli(tmp_path, monkeypatch, capsys, *argv)
        assert code == 2, argv
        assert out == ""
        assert err.startswith("pipelint: unknown rule selector "), err
    for config in ('select = ["PL9O1"]\n', 'severity = {PL902 = "error"}\n', '[per-file-ignores]\n"*.yml" = ["PL77"]\n'):
        (tmp_path / "pipelint.toml").write_text(config)
        code, _out, err = _cli(tmp_path, monkeypatch, capsys)
        assert code == 2, config
        assert "unknown rule selector" in err


# ------------------------------------------------------------------ selectors


@pytest.fixture
def selector_registry() -> Registry:
    return test_registry(
        marker_rule("PL501", "test-security-a", "AAA"),
        marker_rule("PL502", "test-security-b", "BBB"),
        marker_rule("PL101", "test-gate", "CCC"),
    )


@pytest.mark.parametrize(
    "select, extend, ignore, expected",
    [
        (["ALL"], [], [], ["PL001", "PL005", "PL101", "PL501", "PL502", "PL901"]),
        (["all"], [], ["PL5"], ["PL001", "PL005", "PL101", "PL901"]),
        (["PL5"], [], [], ["PL501", "PL502"]),
        (["pl5"], [], [], ["PL501", "PL502"]),
        (["test-gate"], ["PL001"], [], ["PL001", "PL101"]),
        (["PL"], [], ["test-security-b", "PL0"], ["PL101", "PL501", "PL901"]),
        (["PL501"], [], ["PL501"], []),
        ([], ["PL9"], [], ["PL901"]),
    ],
)
def test_selectors(selector_registry, select, extend, ignore, expected):
    settings = Settings(select=select, extend_select=extend, ignore=ignore)
    assert [r.code for r in enabled_rules(selector_registry, settings)] == expected


def test_select_by_name_and_prefix_through_lint(tmp_path, selector_registry):
    _repo(tmp_path)
    (tmp_path / WF).write_text(WORKFLOW_WITH_FLAG + "      - run: echo AAA BBB CCC\n")
    result = run_lint(tmp_path, select=["PL5", "test-marker"], registry=selector_registry)
    assert findings(result) == [(WF, 8, 19, "PL901"), (WF, 9, 19, "PL501"), (WF, 9, 23, "PL502")]


def test_severity_override_and_fail_on(tmp_path, monkeypatch, capsys):
    _repo(tmp_path, {"pipelint.toml": '[severity]\nPL901 = "error"\n'})
    code, out, _err = _cli(tmp_path, monkeypatch, capsys, "--format", "github")
    assert code == 1
    assert out.startswith(f"::error file={WF},line=8,col=19,")
    # a note does not fail at the default fail-on (warning)
    (tmp_path / "pipelint.toml").write_text('[severity]\ntest-marker = "note"\n')
    code, out, _err = _cli(tmp_path, monkeypatch, capsys, "--format", "github")
    assert code == 0
    assert out.startswith(f"::notice file={WF},line=8,col=19,")
    code, _out, _err = _cli(tmp_path, monkeypatch, capsys, "--fail-on", "note")
    assert code == 1


def test_fail_on_in_config_and_cli_flag_override(tmp_path, monkeypatch, capsys):
    _repo(tmp_path, {"pipelint.toml": 'fail-on = "error"\n'})
    code, _out, _err = _cli(tmp_path, monkeypatch, capsys)
    assert code == 0  # the warning does not reach error
    code, _out, _err = _cli(tmp_path, monkeypatch, capsys, "--fail-on", "warning")
    assert code == 1


def test_cli_flags_override_file(tmp_path, monkeypatch, capsys):
    _repo(tmp_path, {"pipelint.toml": 'select = ["PL001"]\nignore = ["PL005"]\n'})
    code, out, _err = _cli(tmp_path, monkeypatch, capsys, "--format", "json")
    assert code == 0 and json.loads(out)["diagnostics"] == []
    code, out, _err = _cli(tmp_path, monkeypatch, capsys, "--format", "json", "--select", "PL901")
    assert code == 1 and [d["code"] for d in json.loads(out)["diagnostics"]] == ["PL901"]
    code, out, _err = _cli(tmp_path, monkeypatch, capsys, "--format", "json", "--extend-select", "PL9")
    assert code == 1 and [d["code"] for d in json.loads(out)["diagnostics"]] == ["PL901"]
    (tmp_path / "pipelint.toml").write_text('select = ["PL901"]\n')
    code, out, _err = _cli(tmp_path, monkeypatch, capsys, "--format", "json", "--ignore", "test-marker")
    assert code == 0 and json.loads(out)["diagnostics"] == []


def test_per_file_ignores_globs(tmp_path, monkeypatch, capsys):
    write_tree(
        tmp_path,
        {
            ".github/workflows/ci.yml": WORKFLOW_WITH_FLAG,
            ".github/workflows/release.yml": WORKFLOW_WITH_FLAG,
            "sub/.github/workflows/ci.yml": WORKFLOW_WITH_FLAG,
            "pipelint.toml": textwrap.dedent(
                """
                [per-file-ignores]
                ".github/workflows/release.yml" = ["PL901"]
                "sub/**" = ["PL9"]
                """
            ),
        },
    )
    code, out, _err = _cli(tmp_path, monkeypatch, capsys, "--format", "json")
    assert code == 1
    assert [(d["path"], d["line"]) for d in json.loads(out)["diagnostics"]] == [(".github/workflows/ci.yml", 8)]
    # globs are relative to the config file's folder, not to the current directory
    code, out, _err = _cli(tmp_path / "sub", monkeypatch, capsys, "--format", "json", ".")
    assert code == 0
    assert json.loads(out)["diagnostics"] == []


def test_per_file_ignores_by_name(tmp_path):
    _repo(tmp_path)
    settings = Settings(per_file_ignores={"*.yml": ["test-marker"]}, base_dir=str(tmp_path))
    assert findings(run_lint(tmp_path, settings=settings, registry=test_registry())) == []
    settings = Settings(per_file_ignores={"*.yaml": ["test-marker"]}, base_dir=str(tmp_path))
    assert findings(run_lint(tmp_path, settings=settings, registry=test_registry())) == [(WF, 8, 19, "PL901")]


def test_rule_options_from_config(tmp_path):
    from pipelint.engine import rule_options

    rule = marker_rule()
    rule.options = {"limit": 3, "mode": "x"}
    settings = Settings(rules={"PL901": {"limit": 5}, "test-marker": {"mode": "y"}})
    assert rule_options(rule, settings) == {"limit": 5, "mode": "y"}


def test_load_settings_raises_config_error(tmp_path):
    write_tree(tmp_path, {"pipelint.toml": "exclude = 3\n"})
    with pytest.raises(ConfigError, match=r"pipelint.toml:1: invalid configuration: exclude: 3 is not of type 'array'"):
        load_settings(str(tmp_path))


# ------------------------------------------------------------- environments

PRODUCTION = ["prod", "production", "live", "prod-eu", "production/us-east", "orders-production.orders", "PROD", "Production",
              "eu-prod", "prod_eu", "k8s/production/", "live-eu", "prod.example.com", "production (EU)"]
NOT_PRODUCTION = ["preprod", "pre-prod", "pre_prod", "non-prod", "nonprod", "non_prod", "app_non_prod", "eu_pre-prod",
                  "preproduction", "pre-production", "staging", "uat", "qa", "stage", "dev", "development", "test",
                  "sandbox", "products", "product", "productive", "livestream", "olive", "delivery", "reproduce", ""]
STAGING = ["stag", "staging", "stage", "preprod", "pre-prod", "pre_prod", "preproduction", "pre-production", "uat", "qa",
           "staging-eu", "eu-staging", "staging/us-east", "orders-staging.orders", "QA", "Staging", "qa-1", "k8s/pre-prod/x"]
NOT_STAGING = ["prod", "production", "dev", "stagecoach", "quality", "squad", "usual", "backstage", "production-stage",
               "test", "non-prod", ""]


@pytest.fixture(scope="module")
def targets() -> Targets:
    return Targets(DEFAULT_PRODUCTION, DEFAULT_STAGING)


@pytest.mark.parametrize("name", PRODUCTION)
def test_production_like(targets, name):
    assert targets.is_production(name)
    assert not targets.is_staging(name)


@pytest.mark.parametrize("name", NOT_PRODUCTION)
def test_not_production_like(targets, name):
    assert not targets.is_production(name)


@pytest.mark.parametrize("name", STAGING)
def test_staging_like(targets, name):
    assert targets.is_staging(name)


@pytest.mark.parametrize("name", NOT_STAGING)
def test_not_staging_like(targets, name):
    assert not targets.is_staging(name)


def test_environment_patterns_are_configurable(tmp_path):
    write_tree(tmp_path, {"pipelint.toml": 'production-environments = ["^prd$"]\nstaging-environments = ["^acc"]\n'})
    settings = load_settings(str(tmp_path))
    t = Targets.from_settings(settings)
    assert t.is_production("PRD") and not t.is_production("prod")
    assert t.is_staging("acceptance") and not t.is_staging("staging")


def test_exclude_is_anchored_at_the_config_folder(tmp_path, monkeypatch, capsys):
    write_tree(
        tmp_path,
        {
            "pipelint.toml": 'exclude = ["/vendor/"]\n',
            f"vendor/{WF}": WORKFLOW_WITH_FLAG,
            f"app/vendor/{WF}": WORKFLOW_WITH_FLAG,
        },
    )
    for cwd, argv, expected in (
        (tmp_path, [], [f"app/vendor/{WF}"]),
        (tmp_path, ["vendor"], []),  # still excluded when its parent folder is named
        (tmp_path / "app", ["."], [f"vendor/{WF}"]),  # /vendor/ is the top one only
    ):
        code, out, _err = _cli(cwd, monkeypatch, capsys, "--format", "json", *argv)
        assert [d["path"] for d in json.loads(out)["diagnostics"]] == expected, (cwd, argv)
    # a file named on the command line is always linted
    code, out, _err = _cli(tmp_path, monkeypatch, capsys, "--format", "json", f"vendor/{WF}")
    assert [d["path"] for d in json.loads(out)["diagnostics"]] == [f"vendor/{WF}"]


def test_per_file_ignores_apply_to_unused_suppression_findings(tmp_path):
    write_tree(tmp_path, {WF: "on: push\njobs:\n  a:\n    runs-on: x  # pipelint: ignore[PL901]\n"})
    result = run_lint(tmp_path, registry=test_registry())
    assert findings(result) == [(WF, 4, 17, "PL005")]
    settings = Settings(per_file_ignores={".github/**": ["PL005"]}, base_dir=str(tmp_path))
    assert findings(run_lint(tmp_path, settings=settings, registry=test_registry())) == []


def test_tables_extended_from_config(tmp_path):
    """`[tool.pipelint.tables]` rows count like built-in ones, for that run only."""
    from conftest import run_lint, write_tree
    from pipelint.config import load_settings

    root = write_tree(
        tmp_path,
        {
            "pipelint.toml": '[tables]\ndeploy-commands = ["shipit release"]\ntest-commands = ["bin/check-all"]\n',
            ".gitlab-ci.yml": """
                stages: [test, deploy]
                checks:
                  stage: test
                  script: [bin/check-all --fast]
                release:
                  stage: deploy
                  script:
                    - shipit release --target production
            """,
        },
    )
    settings = load_settings(str(root))
    assert settings.tables == {"deploy-commands": ["shipit release"], "test-commands": ["bin/check-all"]}
    settings.select = ["PL101", "PL106"]
    found = [(d.code, d.line) for d in run_lint(root, settings=settings).active]
    assert found == [("PL101", 5)]  # a deploy now; the configured test runner counts for PL106
    # the next run without the configuration does not see those rows
    from pipelint.config import Settings

    bare = Settings()
    bare.select = ["PL101"]
    assert run_lint(root, settings=bare).active == []


def test_tables_unknown_key_is_a_config_error(tmp_path):
    import pytest
    from pipelint.config import ConfigError, load_settings

    (tmp_path / "pipelint.toml").write_text('[tables]\ndeploy-comands = ["x"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="deploy-comands"):
        load_settings(str(tmp_path))
