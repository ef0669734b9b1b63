"""Units, the process pool, the result cache and the per-file time budget (issue 8).

The fixtures folder is a tree of hundreds of small repositories of every kind: linted
whole, it is the reference for "the same findings whatever --jobs and the cache say"."""

from __future__ import annotations

import hmac
import json
import os
import time

import pytest

from conftest import FIXTURES, run_cli, test_registry, write_tree
from pipelint import engine, loaded, parsers, runcache, units
from pipelint.config import Settings
from pipelint.discovery import collect
from pipelint.registry import Registry
from pipelint.reporters.json import diagnostic_dict

WORKFLOW = """\
name: deploy
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: actions/checkout@v4
      - run: ./deploy.sh
"""


def _shape(result) -> dict:
    return {
        "diagnostics": [diagnostic_dict(d) for d in result.diagnostics],
        "notices": [str(n) for n in result.notices],
        "files": result.files,
        "errors": [(e.rule, e.path, e.message) for e in result.internal_errors],
    }


def _lint(root, cwd=None, **kwargs):
    return engine.lint([str(root)], Settings(), Registry.load(), cwd=str(cwd or root), **kwargs)


# ------------------------------------------------------------------- units


def test_units_split_by_repository_and_family(tmp_path):
    write_tree(
        tmp_path,
        {
            "a/.github/workflows/ci.yml": WORKFLOW,
            "a/deploy/rollout.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n",
            "a/Dockerfile": "FROM python:3.12\n",
            "a/docker/api.Dockerfile": "FROM python:3.12\n",
            "a/db/migrations/0001_init.up.sql": "create table t (id int);\n",
            "b/.gitlab-ci.yml": "build:\n  script: make\n",
            "b/ci/extra.yml": "test:\n  script: make test\n",
            "loose/Dockerfile": "FROM alpine\n",
        },
    )
    (tmp_path / "b" / ".git").mkdir()
    others: dict = {}
    parts = units.split(collect([str(tmp_path)], others=others), others)
    shape = [(u.family, os.path.relpath(u.root, tmp_path) if u.root else None, sorted(c.relpath for c in u.candidates)) for u in parts]
    assert shape == [  # in the order of their first file (sorted walk: ".github" < "Dockerfile" < "db")
        ("yaml", "a", ["a/.github/workflows/ci.yml", "a/deploy/rollout.yaml"]),
        ("docker", "a", ["a/Dockerfile"]),
        ("sql", "a", ["a/db/migrations/0001_init.up.sql"]),
        ("docker", "a", ["a/docker/api.Dockerfile"]),
        ("yaml", "b", ["b/.gitlab-ci.yml", "b/ci/extra.yml"]),
        ("docker", None, ["loose/Dockerfile"]),
    ]


# -------------------------------------------------------------------- pool


@pytest.fixture(scope="module")
def reference():
    """The fixtures tree linted in this process, no cache: what every other way must give."""
    return _shape(_lint(FIXTURES))


def test_fixtures_give_the_same_findings_with_two_workers(reference, monkeypatch):
    monkeypatch.setattr(engine, "POOL_MIN_FILES", 0)
    calls = []
    real = engine._pooled

    def spy(*args):
        calls.append(len(args[1]))
        return (yield from real(*args))

    monkeypatch.setattr(engine, "_pooled", spy)
    result = _lint(FIXTURES, jobs=2, keep_model=False)
    assert calls and calls[0] > 100  # the pool ran, over hundreds of units
    assert result.project is None  # models stayed in the workers
    assert _shape(result) == reference
    assert reference["files"] > 500 and not reference["errors"]


def test_small_units_go_to_workers_in_chunks_big_ones_alone():
    sizes = [1] * 100 + [engine.CHUNK_FILES * 3, 5, engine.CHUNK_FILES]
    parts = [units.Unit("docker", None, [object()] * n) for n in sizes]
    chunks = engine._chunks(parts, list(range(len(parts))))
    assert sorted(i for chunk in chunks for i in chunk) == list(range(len(parts)))  # each once
    assert chunks[0] == [100] and chunks[1] == [102]  # the longest tasks first, alone
    assert all(sum(sizes[i] for i in chunk) <= engine.CHUNK_FILES + 5 for chunk in chunks[2:])
    assert len(chunks) == 2 + -(-(100 + 5) // engine.CHUNK_FILES)


def _die(i):
    os._exit(9)  # a worker killed (out of memory, a signal)


def test_a_worker_that_dies_leaves_its_units_to_the_main_process(tmp_path, monkeypatch):
    for n in range(6):
        write_tree(tmp_path, {f"r{n}/.github/workflows/ci.yml": WORKFLOW, f"r{n}/Dockerfile": "FROM python\nCOPY . .\nRUN pip install -r requirements.txt\n"})
    expected = _shape(_lint(tmp_path))
    monkeypatch.setattr(engine, "POOL_MIN_FILES", 0)
    monkeypatch.setattr(engine, "_work_on", _die)
    assert _shape(_lint(tmp_path, jobs=2)) == expected
    assert expected["diagnostics"]


# ------------------------------------------------------------------- cache


def test_warm_run_parses_nothing_and_gives_the_same_findings(reference, tmp_path, monkeypatch):
    cache = runcache.ResultCache.open(str(tmp_path / "cache"), str(tmp_path), [])
    cold = _lint(FIXTURES, cache=cache, keep_model=False)
    assert _shape(cold) == reference

    def no_parsing(*args, **kwargs):
        raise AssertionError("a warm run parsed a file")

    monkeypatch.setattr(engine, "load_documents", no_parsing)
    monkeypatch.setattr(loaded, "load_documents", no_parsing)
    monkeypatch.setattr(engine, "build_model", no_parsing)
    warm = _lint(FIXTURES, cache=cache, keep_model=False)
    assert _shape(warm) == reference


def _linted_units(monkeypatch) -> list:
    """Spy on the units linted (not taken from the cache): a list of their files' relpaths."""
    linted = []
    real = engine._lint_unit

    def spy(unit, *args, **kwargs):
        linted.append(sorted(c.relpath for c in unit.candidates))
        return real(unit, *args, **kwargs)

    monkeypatch.setattr(engine, "_lint_unit", spy)
    return linted


def _cached_units(tmp_path, monkeypatch, cache):
    """Lint ``tmp_path/repo``; return (result, labels of the units linted, not cached)."""
    linted = _linted_units(monkeypatch)
    result = _lint(tmp_path / "repo", cwd=tmp_path, cache=cache)
    return result, linted


def test_cache_relints_only_what_changed(tmp_path, monkeypatch):
    repo = write_tree(
        tmp_path / "repo",
        {
            ".github/workflows/deploy.yml": WORKFLOW,
            "deploy.sh": "#!/bin/sh\nkubectl apply -f k8s/\n",
            ".gitlab-ci.yml": "include:\n  - local: ci/deploy.yml\nbuild:\n  script: make\n",
            "ci/deploy.yml": "deploy:\n  stage: deploy\n  environment: production\n  script: ./deploy.sh\n",
            "Dockerfile": "FROM python:3.12\nCOPY . .\nRUN pip install -r requirements.txt\n",
            "api.Dockerfile": "FROM python:3.12\n",
        },
    )
    yaml_unit = [".github/workflows/deploy.yml", ".gitlab-ci.yml", "ci/deploy.yml"]
    cache = runcache.ResultCache.open(None, str(tmp_path), [])
    first, linted = _cached_units(tmp_path, monkeypatch, cache)
    assert sorted(linted) == [yaml_unit, ["Dockerfile"], ["api.Dockerfile"]]
    again, linted = _cached_units(tmp_path, monkeypatch, cache)
    assert linted == [] and _shape(again) == _shape(first)
    # a Dockerfile edited: that Dockerfile only
    (repo / "api.Dockerfile").write_text("FROM python:3.13\n")
    _, linted = _cached_units(tmp_path, monkeypatch, cache)
    assert linted == [["api.Dockerfile"]]
    # the script a step runs edited (not a file pipelint lints, but one the model read)
    (repo / "deploy.sh").write_text("#!/bin/sh\nkubectl apply -f k8s/ && kubectl rollout status deploy/api\n")
    _, linted = _cached_units(tmp_path, monkeypatch, cache)
    assert linted == [yaml_unit]
    # a file appears that a reference may now resolve to: the repository's units
    (repo / "k8s").mkdir()
    _, linted = _cached_units(tmp_path, monkeypatch, cache)
    assert linted == [yaml_unit]  # Dockerfiles never look at their neighbours' names
    # other settings: other keys
    settings = Settings(select=["PL6"])
    result = engine.lint([str(repo)], settings, Registry.load(), cwd=str(tmp_path), cache=cache)
    assert {d.code for d in result.diagnostics} == {"PL601"}


def test_forged_corrupt_and_foreign_entries_are_ignored_and_rewritten(tmp_path):
    repo = write_tree(tmp_path / "repo", {"Dockerfile": "FROM python:3.12\nCOPY . .\nRUN pip install -r requirements.txt\n"})
    cache = runcache.ResultCache.open(None, str(tmp_path), [])
    expected = _shape(_lint(repo, cwd=tmp_path, cache=cache))
    assert expected["diagnostics"]
    [entry] = [os.path.join(b, f) for b, _, fs in os.walk(tmp_path / ".pipelint_cache" / "v1") for f in fs]
    signature, _, body = open(entry, "rb").read().partition(b"\n")
    data = json.loads(body)
    data["outcome"]["diagnostics"] = []  # "nothing to see here"
    forged = json.dumps(data).encode()
    for content in (
        b"not json at all",
        b"\x80\x81\x82",
        signature + b"\n" + forged,  # a crafted entry with a stolen signature
        hmac.new(b"someone else's key" * 2, forged, "sha256").hexdigest().encode() + b"\n" + forged,
        b"",
    ):
        with open(entry, "wb") as fh:
            fh.write(content)
        assert _shape(_lint(repo, cwd=tmp_path, cache=cache)) == expected
        assert open(entry, "rb").read().partition(b"\n")[0] == signature  # rewritten


def test_cache_is_refused_where_it_leads_outside_the_root(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = write_tree(tmp_path / "root", {"Dockerfile": "FROM python:3.12\n"})
    os.symlink(outside, root / ".pipelint_cache")
    notices: list = []
    assert runcache.ResultCache.open(None, str(root), notices) is None
    assert notices == [f"not using the cache: {root / '.pipelint_cache'} leads outside the project root"]
    assert list(outside.iterdir()) == []


def test_cli_cache_flags(tmp_path, capsys, monkeypatch):
    write_tree(tmp_path, {"Dockerfile": "FROM python:3.12\nCOPY . .\nRUN pip install -r requirements.txt\n"})
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(["--no-cache"], capsys)
    assert code == 1 and "PL601" in out
    assert not (tmp_path / ".pipelint_cache").exists()
    code, out2, _ = run_cli([], capsys)
    assert (code, out2) == (1, out)
    assert (tmp_path / ".pipelint_cache" / ".gitignore").read_text().splitlines()[-1] == "*"
    code, out3, _ = run_cli(["--cache-dir", str(tmp_path / "elsewhere"), "--jobs", "2"], capsys)
    assert (code, out3) == (1, out) and (tmp_path / "elsewhere" / "v1").is_dir()
    with pytest.raises(SystemExit) as exc:
        run_cli(["--jobs", "0"], capsys)
    assert exc.value.code == 2
    assert "--jobs/-j: expected a whole number of at least 1, got '0'" in capsys.readouterr().err


# ------------------------------------------------------------------ budget


def test_a_file_that_takes_too_long_to_read_becomes_pl001(tmp_path, monkeypatch):
    write_tree(tmp_path, {".github/workflows/slow.yml": WORKFLOW, ".github/workflows/ok.yml": WORKFLOW})
    real = parsers.build_model

    def slow(parsed, *args):
        if parsed.file.path.endswith("slow.yml"):
            while True:  # a parser stuck on a pathological file
                time.sleep(0.01)
        return real(parsed, *args)

    monkeypatch.setattr(engine, "build_model", slow)
    settings = Settings(max_file_seconds=0.3)
    t0 = time.monotonic()
    result = engine.lint([str(tmp_path)], settings, test_registry(), cwd=str(tmp_path))
    assert time.monotonic() - t0 < 5
    pl001 = [(d.path, d.line, d.column, d.message) for d in result.diagnostics if d.code == "PL001"]
    assert pl001 == [
        (".github/workflows/slow.yml", 1, 1, "Cannot read this file: too complex: reading it took over the 0.3-second budget (max-file-seconds); it was not checked; fix the file or exclude it.")
    ]
    assert not result.internal_errors


def test_a_rule_that_takes_too_long_on_a_file_becomes_pl001(tmp_path):
    from conftest import marker_rule

    hang = marker_rule("PL998", "test-hang")

    def check(self, ctx):
        if ctx.file.file.path.endswith("slow.yml"):
            try:
                while True:
                    time.sleep(0.01)
            except Exception:  # a rule's own handler cannot swallow the budget
                pass
        return iter(())

    hang.check = check
    write_tree(tmp_path, {".github/workflows/slow.yml": WORKFLOW, ".github/workflows/ok.yml": WORKFLOW})
    settings = Settings(max_file_seconds=0.3)
    result = engine.lint([str(tmp_path)], settings, test_registry(hang), cwd=str(tmp_path))
    pl001 = [(d.path, d.line, d.column, d.message) for d in result.diagnostics if d.code == "PL001"]
    assert pl001 == [
        (".github/workflows/slow.yml", 1, 1, "Cannot read this file: too complex: checking it took over the 0.3-second budget (max-file-seconds; stopped in PL998); fix the file or exclude it.")
    ]


def test_output_does_not_depend_on_the_hash_seed_or_the_workers(tmp_path):
    """Sets of strings iterate in an order that changes with PYTHONHASHSEED: no finding
    may depend on it (PL308 once named another Rollout from run to run)."""
    import subprocess
    import sys

    outputs = set()
    for seed, jobs in (("1", "1"), ("2", "2"), ("3", "1")):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [sys.executable, "-m", "pipelint", "--no-cache", "--jobs", jobs, "--format", "json", "--exit-zero", "-q", str(FIXTURES)],
            capture_output=True,
            env=env,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        outputs.add(proc.stdout)
    assert len(outputs) == 1


def test_digests_are_reused_only_for_files_that_did_not_change(tmp_path, monkeypatch):
    repo = write_tree(tmp_path / "repo", {"Dockerfile": "FROM python:3.12\nCOPY . .\nRUN pip install -r requirements.txt\n"})
    monkeypatch.setattr(runcache.ResultCache, "RACY_NS", -(10**18))  # files here are seconds old
    cache = runcache.ResultCache.open(None, str(tmp_path), [])
    first = _shape(_lint(repo, cwd=tmp_path, cache=cache))
    reads = []
    real = loaded.read_bytes
    monkeypatch.setattr(loaded, "read_bytes", lambda path, *a: reads.append(path) or real(path, *a))
    cache = runcache.ResultCache.open(None, str(tmp_path), [])  # a new run: the index from disk
    assert _shape(_lint(repo, cwd=tmp_path, cache=cache)) == first
    assert reads == []  # nothing read: digest and result both reused
    # same size, same modification time put back: the change time still tells
    dockerfile = repo / "Dockerfile"
    st = dockerfile.stat()
    dockerfile.write_text("FROM python:3.13\nCOPY . .\nRUN pip install -r requirements.txt\n")
    os.utime(dockerfile, ns=(st.st_atime_ns, st.st_mtime_ns))
    cache = runcache.ResultCache.open(None, str(tmp_path), [])
    changed = _shape(_lint(repo, cwd=tmp_path, cache=cache))
    assert str(dockerfile) in reads
    assert changed == _shape(_lint(repo, cwd=tmp_path))


def test_files_named_on_the_command_line_are_cached_and_see_files_appear(tmp_path, capsys, monkeypatch):
    """pre-commit names files: their folders are not walked, so the names their references
    may resolve to are listed under their repository; a file appearing there (the local
    action a workflow names) re-lints the unit instead of keeping a stale PL003."""
    write_tree(
        tmp_path,
        {
            ".github/workflows/ci.yml": "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./.github/actions/setup\n",
            "Dockerfile": "FROM python:3.12\nCOPY . .\nRUN pip install -r requirements.txt\n",
            "db/migrations/V1__add.sql": "ALTER TABLE users ADD COLUMN age int NOT NULL;\n",
        },
    )
    monkeypatch.chdir(tmp_path)
    named = [".github/workflows/ci.yml", "Dockerfile", "db/migrations/V1__add.sql"]
    linted = _linted_units(monkeypatch)
    code, first, _ = run_cli(["--format", "json", *named], capsys)
    assert code == 1 and len(linted) == 3
    assert {d["code"] for d in json.loads(first)["diagnostics"]} >= {"PL003", "PL601"}
    linted.clear()
    code, again, _ = run_cli(["--format", "json", *named], capsys)
    assert (code, again, linted) == (1, first, [])  # all three from the cache
    write_tree(tmp_path, {".github/actions/setup/action.yml": "name: setup\nruns:\n  using: composite\n  steps: []\n"})
    code, out, _ = run_cli(["--format", "json", *named], capsys)
    assert linted == [[".github/workflows/ci.yml"]]  # the Dockerfile and the migration never look around
    assert "PL003" not in {d["code"] for d in json.loads(out)["diagnostics"]}


def test_named_yaml_files_outside_any_repository_are_not_cached(tmp_path, capsys, monkeypatch):
    """No ``.git``/``.github``/``.gitlab-ci.yml`` above them: nothing bounds the folders a
    reference may resolve into, so there is no listing to key on."""
    write_tree(tmp_path, {"ci/azure-pipelines.yml": "trigger: none\nsteps:\n  - template: templates/build.yml\n"})
    monkeypatch.chdir(tmp_path)
    linted = _linted_units(monkeypatch)
    run_cli(["ci/azure-pipelines.yml"], capsys)
    run_cli(["ci/azure-pipelines.yml"], capsys)
    assert linted == [["ci/azure-pipelines.yml"], ["ci/azure-pipelines.yml"]]
