"""Packaging: what a user gets from ``pip install``, and the plugin entry-point contract.

The slow tests build one fresh virtual environment per module (a copy of the working
tree is installed, not the tree itself, so the build writes nothing into the repository
and no stale ``build/`` folder leaks into the wheel) with pipelint and the example
plugin of ``tests/plugin_example`` installed as a user would install them. Commands run
in a temporary folder so the source tree (``linter/``, ``rules/``) is not importable by
accident.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PLUGIN = REPO / "tests" / "plugin_example"
EXAMPLE = REPO / "fixtures" / "example-repo"

_IGNORE = shutil.ignore_patterns(
    ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis",
    ".venv", "venv", ".pipelint_cache", "*.pyc",
)

#: Runs by default; ``-m "not slow"`` skips the tests that build virtual environments.
slow = pytest.mark.slow

#: The findings planted in the bundled example (the README's quickstart promises them).
EXAMPLE_FINDINGS = {
    (".github/workflows/ci.yml", 54, 3, "PL504"),
    (".github/workflows/ci.yml", 61, 18, "PL502"),
    (".github/workflows/release.yml", 48, 43, "PL501"),
}


def _version() -> str:
    text = (REPO / "linter" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'__version__\s*=\s*"([^"]+)"', text)[1]


def _declared_entry_points() -> dict[str, str]:
    import tomllib

    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return dict(data["project"]["entry-points"]["pipelint.rules"])


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that would leak the test's own interpreter."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PYTHONDONTWRITEBYTECODE="1")
    env.update(extra)
    return env


# ------------------------------------------------------------------ in-process


def test_yaml_parser_is_the_c_one():
    from pipelint import yamltree

    assert yamltree.parser_in_use() == "clib"
    base = yamltree._c_parser().__mro__[1]
    assert base.__module__.startswith(("ruamel.yaml.clib", "_ruamel_yaml")), base.__module__


def test_example_repo_has_exactly_its_planted_findings(registry):
    """The quickstart's example (README): the planted problems and nothing else.

    A new finding here is either a false positive of a rule or a real problem in the
    example; either way fix it, or update the example, its README and EXAMPLE_FINDINGS.
    """
    from conftest import run_lint

    result = run_lint(EXAMPLE, registry=registry)
    assert not result.internal_errors, result.internal_errors[0].traceback
    assert result.files == 7  # 4 GitHub Actions files, 2 Kubernetes manifests, 1 Dockerfile
    got = {(d.path, d.line, d.column, d.code) for d in result.active}
    assert EXAMPLE_FINDINGS <= got, f"planted findings missing: {sorted(EXAMPLE_FINDINGS - got)}"
    unexpected = [f"{d.path}:{d.line}:{d.column}: {d.code} {d.message}" for d in result.active
                  if (d.path, d.line, d.column, d.code) not in EXAMPLE_FINDINGS]
    assert not unexpected, "unexpected findings in fixtures/example-repo:\n" + "\n".join(unexpected)


def test_hook_manifest():
    import yaml  # PyYAML comes with pre-commit

    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["pipelint"]
    hook = hooks[0]
    assert hook["entry"] == "pipelint"
    assert hook["language"] == "python"
    assert hook["types_or"] == ["yaml", "dockerfile", "sql"]
    assert hook["require_serial"] is True


# ------------------------------------------------------------ a fresh install


class Venv:
    def __init__(self, root: Path):
        self.root = root
        self.bin = root / ("Scripts" if os.name == "nt" else "bin")
        self.python = self.bin / ("python.exe" if os.name == "nt" else "python")
        self.pipelint = self.bin / ("pipelint.exe" if os.name == "nt" else "pipelint")
        self.work = root.parent / "work"  # cwd of every command: not the source tree
        self.work.mkdir(exist_ok=True)

    def run(self, *args, cwd: Path | None = None, env: dict | None = None, timeout: int = 600):
        return subprocess.run(
            [str(a) for a in args],
            cwd=cwd or self.work,
            env=env or clean_env(),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
        )

    def py(self, code: str, **kw):
        return self.run(self.python, "-c", textwrap.dedent(code), **kw)

    def pip_install(self, *args):
        proc = self.run(self.python, "-m", "pip", "install", "--quiet", *args)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Venv:
    """A fresh venv with the working tree and the example plugin installed (not editable)."""
    base = tmp_path_factory.mktemp("fresh-install")
    src = base / "src"
    shutil.copytree(REPO, src / "pipelint", ignore=_IGNORE)
    shutil.copytree(PLUGIN, src / "plugin", ignore=_IGNORE)
    subprocess.run([sys.executable, "-m", "venv", str(base / "venv")], check=True, stdin=subprocess.DEVNULL)
    env = Venv(base / "venv")
    # One resolver run: the plugin's "pipelint" requirement is met by the local tree.
    env.pip_install(src / "pipelint", src / "plugin")
    env.src = src / "pipelint"
    return env


@slow
def test_installed_packages_import(venv):
    proc = venv.py(
        """
        import json, pipelint, pipelint.rules, pipelint.schemas, pipelint.cli
        from importlib import resources
        from pipelint.yamltree import parser_in_use
        schemas = resources.files("pipelint.schemas")
        print(json.dumps({
            "file": pipelint.__file__,
            "version": pipelint.__version__,
            "parser": parser_in_use(),
            "schemas": sorted(p.name for p in schemas.iterdir() if p.name.endswith(".json")),
        }))
        """
    )
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert Path(info["file"]).resolve().is_relative_to(venv.root.resolve()), info["file"]
    assert info["version"] == _version()
    assert info["parser"] == "clib"
    assert {"config.schema.json", "github-workflow.json", "github-action.json"} <= set(info["schemas"])


@slow
@pytest.mark.parametrize("name", ["linter", "rules", "schemas"])
def test_source_folder_names_are_not_installed(venv, name):
    proc = venv.py(f"import {name}")
    assert proc.returncode != 0
    assert "ModuleNotFoundError" in proc.stderr, proc.stderr


@slow
def test_console_script_version(venv):
    proc = venv.run(venv.pipelint, "--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"pipelint {_version()}"


@slow
def test_entry_points_of_the_builtin_rules(venv):
    proc = venv.py(
        """
        import json
        from importlib.metadata import entry_points
        from pipelint.rule import Rule
        out = {}
        for ep in entry_points(group="pipelint.rules"):
            cls = ep.load()
            out[ep.name] = [ep.value, ep.dist.name, issubclass(cls, Rule) and cls.code == ep.name]
        print(json.dumps(out))
        """
    )
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    declared = _declared_entry_points()
    builtin = {name: value for name, (value, dist, _ok) in found.items() if dist == "pipelint"}
    assert builtin == declared
    assert all(ok for _value, _dist, ok in found.values()), found


@slow
def test_installed_pipelint_lints_the_example(venv):
    """The README quickstart, with the installed console script."""
    proc = venv.run(venv.pipelint, "--format", "json", "fixtures/example-repo", cwd=venv.src)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    got = {(d["path"].removeprefix("fixtures/example-repo/"), d["line"], d["column"], d["code"]) for d in data["diagnostics"]}
    assert EXAMPLE_FINDINGS <= got
    assert data["files"] == 7 and data["internal_errors"] == []


# ------------------------------------------------------------------- plugins

FORBIDDEN_WORKFLOW = """\
name: forbidden
on: push
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: make test
"""


@slow
def test_plugin_rule_is_listed_documented_and_reports(venv, tmp_path):
    rules = venv.run(venv.pipelint, "rules", "--format", "json")
    assert rules.returncode == 0, rules.stderr
    xmp = [r for r in json.loads(rules.stdout) if r["code"] == "XMP001"]
    assert xmp and xmp[0]["name"] == "forbidden-workflow-name"
    assert "pipelint-example-plugin" in xmp[0]["origin"]

    doc = venv.run(venv.pipelint, "rule", "forbidden-workflow-name")
    assert doc.returncode == 0, doc.stderr
    assert doc.stdout.startswith("# XMP001 forbidden-workflow-name")
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert heading in doc.stdout

    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "old.yml").write_text(FORBIDDEN_WORKFLOW, encoding="utf-8")
    proc = venv.run(venv.pipelint, "--format", "json", ".", cwd=repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    found = [(d["path"], d["line"], d["column"], d["code"]) for d in json.loads(proc.stdout)["diagnostics"]]
    assert (".github/workflows/old.yml", 1, 7, "XMP001") in found

    quiet = venv.run(venv.pipelint, "--ignore", "forbidden-workflow-name", ".", cwd=repo)
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr


DUPLICATE_MODULE = '''\
from pipelint.rule import Rule


class AnotherGate(Rule):
    """## What it does
    Claims a code that pipelint already uses.

    ## Why is this bad?
    Two rules with one code make every selector and suppression ambiguous.

    ## Example
    ```yaml
    on: push
    ```

    ## Use instead
    ```yaml
    on: push
    ```
    """

    code = "PL101"
    name = "another-gate"
    platforms = ("github",)

    def check(self, ctx):
        return ()
'''


@slow
def test_duplicate_rule_code_is_a_usage_error_naming_both_origins(venv, tmp_path):
    # A second distribution, laid out as pip installs one (module + dist-info with an
    # entry_points.txt), beside the venv and on PYTHONPATH for these commands only, so
    # that it does not break the other tests sharing the venv.
    target = tmp_path / "site"
    info = target / "pipelint_duplicate_plugin-0.1.0.dist-info"
    info.mkdir(parents=True)
    (target / "pipelint_duplicate_plugin.py").write_text(DUPLICATE_MODULE, encoding="utf-8")
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: pipelint-duplicate-plugin\nVersion: 0.1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[pipelint.rules]\nPL101 = pipelint_duplicate_plugin:AnotherGate\n", encoding="utf-8"
    )
    env = clean_env(PYTHONPATH=str(target))
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(FORBIDDEN_WORKFLOW, encoding="utf-8")
    for argv in ([venv.pipelint, "."], [venv.pipelint, "rules"]):
        proc = venv.run(*argv, cwd=repo, env=env)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
        message = proc.stderr.lower().replace("_", "-")
        assert "duplicate rule code pl101" in message, proc.stderr
        assert "pipelint.rules.pl101-production-deploy-without-gate:productiondeploywithoutgate (pipelint)" in message
        assert "pipelint-duplicate-plugin:anothergate (pipelint-duplicate-plugin)" in message
