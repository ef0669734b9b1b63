"""Adversarial files and trees not covered by test_robustness.py: huge files, unreadable
files, directories and special files named like pipeline files, device symlinks.

Allowed outcomes: findings, PL001, a skip notice. Never a hang, never a traceback.
"""

from __future__ import annotations

import json
import os
import stat
import threading
import time

import pytest

from conftest import WORKFLOW_WITH_FLAG, findings, run_cli, run_lint, test_registry, write_tree
from pipelint import discovery, loaded
from pipelint.config import Settings

WFD = ".github/workflows"
MB = 1024 * 1024
DEFAULT_LIMIT = Settings().max_file_size

DOCKERFILE = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\n"
MIGRATION = "CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);\n"


def _lint(root, settings=None, registry=None):
    result = run_lint(root, settings=settings, registry=registry or test_registry())
    assert not result.internal_errors, result.internal_errors[0].traceback
    return result


def _sparse(path, size: int, head: bytes = b"") -> None:
    """A file of ``size`` bytes written instantly: ``head``, then a hole (zero bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(head)
        fh.truncate(size)


def _in_thread(fn, timeout: float, unblock=None):
    """Run ``fn`` in a daemon thread; fail (after calling ``unblock``) if it hangs."""
    box: dict = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:  # re-raised in the test's thread
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        if unblock is not None:
            unblock()
        thread.join(5)
        pytest.fail(f"pipelint hung for more than {timeout} s")
    if "error" in box:
        raise box["error"]
    return box.get("value")


# ------------------------------------------------------------------ huge files


def test_a_50_mb_workflow_is_skipped_with_a_notice_by_default(tmp_path, capsys, monkeypatch):
    size = 50 * MB
    _sparse(tmp_path / WFD / "huge.yml", size, WORKFLOW_WITH_FLAG.encode())
    write_tree(tmp_path, {f"{WFD}/ci.yml": WORKFLOW_WITH_FLAG})
    started = time.perf_counter()
    result = _lint(tmp_path)
    assert time.perf_counter() - started < 5
    assert result.notices == [f"skipped {WFD}/huge.yml: {size:,} bytes is over the {DEFAULT_LIMIT:,}-byte limit (max-file-size)"]
    assert findings(result) == [(f"{WFD}/ci.yml", 8, 19, "PL901")]
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["--format", "json"], capsys, test_registry(), monkeypatch)
    assert code == 1
    assert [d["path"] for d in json.loads(out)["diagnostics"]] == [f"{WFD}/ci.yml"]
    assert err == f"pipelint: skipped {WFD}/huge.yml: {size:,} bytes is over the {DEFAULT_LIMIT:,}-byte limit (max-file-size)\n"


def test_a_50_mb_file_under_a_configured_larger_limit_is_read(tmp_path, capsys, monkeypatch):
    # the hole is NUL bytes: read in full, reported as binary content (PL001), in bounded time
    size = 50 * MB
    _sparse(tmp_path / WFD / "huge.yml", size, WORKFLOW_WITH_FLAG.encode())
    started = time.perf_counter()
    result = _lint(tmp_path, Settings(max_file_size=64 * MB))
    assert time.perf_counter() - started < 10
    assert result.notices == []
    assert [(d.path, d.line, d.column, d.code) for d in result.active] == [(f"{WFD}/huge.yml", 1, 1, "PL001")]
    assert "binary content" in result.active[0].message
    # the same limit from the configuration file, through the CLI
    write_tree(tmp_path, {"pipelint.toml": f"max-file-size = {64 * MB}\n"})
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["--format", "json"], capsys, test_registry(), monkeypatch)
    assert code == 1 and err == ""
    assert [(d["path"], d["code"]) for d in json.loads(out)["diagnostics"]] == [(f"{WFD}/huge.yml", "PL001")]


def test_a_large_text_workflow_under_a_configured_limit_lints_in_bounded_time(tmp_path):
    # 20 MB of real text (a comment block after the workflow): parsed, not skipped
    path = tmp_path / WFD / "big.yml"
    path.parent.mkdir(parents=True)
    line = b"# " + b"x" * 1022 + b"\n"
    with open(path, "wb") as fh:
        fh.write(WORKFLOW_WITH_FLAG.encode())
        fh.write(line * (20 * 1024))
    started = time.perf_counter()
    result = _lint(tmp_path, Settings(max_file_size=64 * MB))
    assert time.perf_counter() - started < 30
    assert result.notices == []
    assert findings(result) == [(f"{WFD}/big.yml", 8, 19, "PL901")]


@pytest.mark.parametrize("rel", ["Dockerfile", "db/migrations/V1__init.sql"])
def test_huge_text_kinds_are_skipped_like_yaml(tmp_path, rel):
    size = 50 * MB
    _sparse(tmp_path / rel, size, (DOCKERFILE if rel == "Dockerfile" else MIGRATION).encode())
    result = _lint(tmp_path)
    assert result.notices == [f"skipped {rel}: {size:,} bytes is over the {DEFAULT_LIMIT:,}-byte limit (max-file-size)"]
    assert result.diagnostics == []


# ------------------------------------------------------------- unreadable files


def _deny(monkeypatch, denied: str) -> None:
    """Make the reader every file goes through (``loaded.read_bytes``) refuse ``denied``
    (running as root, chmod 000 does not stop reads)."""
    real_read = loaded.read_bytes

    def fake_read(abspath, *args, **kwargs):
        if os.fspath(abspath) == denied:
            raise PermissionError(13, "Permission denied", os.fspath(abspath))
        return real_read(abspath, *args, **kwargs)

    monkeypatch.setattr(loaded, "read_bytes", fake_read)


@pytest.mark.parametrize("rel", [f"{WFD}/secret.yml", "Dockerfile", "db/migrations/V2__secret.sql", ".gitlab-ci.yml"])
def test_unreadable_file_is_a_notice(tmp_path, monkeypatch, capsys, rel):
    write_tree(
        tmp_path,
        {
            f"{WFD}/ci.yml": WORKFLOW_WITH_FLAG,
            rel: {"Dockerfile": DOCKERFILE, ".gitlab-ci.yml": "build:\n  script: [make]\n"}.get(rel, WORKFLOW_WITH_FLAG if rel.endswith(".yml") else MIGRATION),
        },
    )
    _deny(monkeypatch, str(tmp_path / rel))
    result = _lint(tmp_path)
    assert result.notices == [f"skipped {rel}: Permission denied"]
    assert findings(result) == [(f"{WFD}/ci.yml", 8, 19, "PL901")]
    monkeypatch.chdir(tmp_path)
    code, _out, err = run_cli([], capsys, test_registry(), monkeypatch)
    assert code == 1
    assert err == f"pipelint: skipped {rel}: Permission denied\n"


def test_unreadable_file_named_on_the_command_line(tmp_path, monkeypatch, capsys):
    write_tree(tmp_path, {f"{WFD}/secret.yml": WORKFLOW_WITH_FLAG})
    _deny(monkeypatch, str(tmp_path / WFD / "secret.yml"))
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli([f"{WFD}/secret.yml"], capsys, test_registry(), monkeypatch)
    assert (code, out) == (0, "No problems found in 0 files.\n")
    assert err == f"pipelint: skipped {WFD}/secret.yml: Permission denied\n"


def test_unreadable_folder_is_a_notice(tmp_path, monkeypatch):
    write_tree(tmp_path, {f"{WFD}/ci.yml": WORKFLOW_WITH_FLAG, "locked/.github/workflows/x.yml": WORKFLOW_WITH_FLAG})
    real_scandir = os.scandir
    locked = str(tmp_path / "locked")

    def fake_scandir(path="."):
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real_scandir(path)

    monkeypatch.setattr(discovery.os, "scandir", fake_scandir)
    result = _lint(tmp_path)
    assert result.notices == [f"skipped {locked}: Permission denied"]
    assert findings(result) == [(f"{WFD}/ci.yml", 8, 19, "PL901")]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads chmod-000 files")
def test_chmod_000_file_is_a_notice(tmp_path):
    write_tree(tmp_path, {f"{WFD}/ci.yml": WORKFLOW_WITH_FLAG, f"{WFD}/secret.yml": WORKFLOW_WITH_FLAG})
    secret = tmp_path / WFD / "secret.yml"
    secret.chmod(0)
    try:
        result = _lint(tmp_path)
    finally:
        secret.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert result.notices == [f"skipped {WFD}/secret.yml: Permission denied"]
    assert findings(result) == [(f"{WFD}/ci.yml", 8, 19, "PL901")]


def test_file_replaced_by_a_folder_during_the_run(tmp_path, monkeypatch):
    write_tree(tmp_path, {f"{WFD}/a.yml": WORKFLOW_WITH_FLAG, f"{WFD}/b.yml": WORKFLOW_WITH_FLAG})
    real_collect = discovery.collect

    def collect_then_swap(*args, **kwargs):
        found = real_collect(*args, **kwargs)
        os.remove(tmp_path / WFD / "a.yml")
        os.mkdir(tmp_path / WFD / "a.yml")
        return found

    monkeypatch.setattr(discovery, "collect", collect_then_swap)
    result = _lint(tmp_path)
    assert result.notices == [f"skipped {WFD}/a.yml: Is a directory"]
    assert findings(result) == [(f"{WFD}/b.yml", 8, 19, "PL901")]


# ------------------------------------------- folders and special files with our names


def test_a_folder_named_dockerfile(tmp_path):
    write_tree(
        tmp_path,
        {
            "Dockerfile/README.md": "not a Dockerfile\n",
            "Dockerfile/Dockerfile": DOCKERFILE,
            "services/api/Dockerfile.prod/notes.txt": "x\n",
        },
    )
    result = run_lint(tmp_path)
    assert not result.internal_errors
    assert [(f.file.path, f.kind) for f in result.project.files] == [("Dockerfile/Dockerfile", "dockerfile")]
    assert result.notices == []


def test_a_folder_named_like_a_migration(tmp_path):
    write_tree(
        tmp_path,
        {
            "db/migrations/V1__init.sql/README.md": "a folder, not a migration\n",
            "db/migrations/V2__add_email.sql": MIGRATION,
            "migrations/2024-01-10-101010_add_tags/up.sql/keep": "",
        },
    )
    result = run_lint(tmp_path)
    assert not result.internal_errors
    assert [(f.file.path, f.kind) for f in result.project.files] == [("db/migrations/V2__add_email.sql", "migration")]
    assert result.notices == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_a_fifo_named_like_a_workflow_does_not_hang(tmp_path, capsys, monkeypatch):
    write_tree(tmp_path, {f"{WFD}/ci.yml": WORKFLOW_WITH_FLAG})
    fifo = tmp_path / WFD / "x.yml"
    os.mkfifo(fifo)
    os.symlink(fifo, tmp_path / WFD / "link-to-fifo.yml")
    os.mkfifo(tmp_path / "Dockerfile")

    def unblock():  # a reader blocked in open() is released by a writer
        for path in (fifo, tmp_path / "Dockerfile"):
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass

    result = _in_thread(lambda: _lint(tmp_path), 20, unblock)
    assert [f.file.path for f in result.project.files] == [f"{WFD}/ci.yml"]
    assert findings(result) == [(f"{WFD}/ci.yml", 8, 19, "PL901")]
    # named on the command line: still never opened
    monkeypatch.chdir(tmp_path)
    code, out, err = _in_thread(
        lambda: run_cli([f"{WFD}/x.yml", f"{WFD}/link-to-fifo.yml", f"{WFD}/ci.yml"], capsys, test_registry(), monkeypatch), 20, unblock
    )
    assert code == 1
    assert out.startswith(f"{WFD}/ci.yml:8:19: PL901")
    assert "Traceback" not in out + err
    assert f"pipelint: skipped {WFD}/x.yml: not a regular file\n" in err


@pytest.mark.skipif(not os.path.exists("/dev/zero") or not hasattr(os, "symlink"), reason="no /dev/zero")
def test_dev_zero_linked_as_a_workflow_is_not_followed(tmp_path, capsys, monkeypatch):
    write_tree(tmp_path, {f"{WFD}/ci.yml": WORKFLOW_WITH_FLAG})
    os.symlink("/dev/zero", tmp_path / WFD / "zero.yml")
    os.symlink("/dev/zero", tmp_path / "Dockerfile")
    os.symlink("/dev/urandom", tmp_path / WFD / "random.yml")
    result = _in_thread(lambda: _lint(tmp_path), 20)
    assert [f.file.path for f in result.project.files] == [f"{WFD}/ci.yml"]
    assert findings(result) == [(f"{WFD}/ci.yml", 8, 19, "PL901")]
    monkeypatch.chdir(tmp_path)
    code, out, err = _in_thread(lambda: run_cli([f"{WFD}/zero.yml", "Dockerfile"], capsys, test_registry(), monkeypatch), 20)
    assert code == 0
    assert "Traceback" not in out + err
    assert err == f"pipelint: skipped {WFD}/zero.yml: not a regular file\npipelint: skipped Dockerfile: not a regular file\n"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_dangling_symlinks_are_skipped(tmp_path):
    write_tree(tmp_path, {f"{WFD}/ci.yml": WORKFLOW_WITH_FLAG})
    os.symlink(tmp_path / "nowhere.yml", tmp_path / WFD / "dangling.yml")
    os.symlink(tmp_path / "nowhere", tmp_path / "Dockerfile")
    result = _lint(tmp_path)
    assert [f.file.path for f in result.project.files] == [f"{WFD}/ci.yml"]
    assert result.notices == []


def test_empty_and_whitespace_only_files_of_every_kind(tmp_path):
    names = [f"{WFD}/ci.yml", "action.yml", ".gitlab-ci.yml", "azure-pipelines.yml", "k8s/deploy.yaml", "Dockerfile", "db/migrations/V1__x.sql"]
    for text in ("", "\n", "   \n\t\n", "\r\n\r\n", "\ufeff"):
        write_tree(tmp_path, {n: text for n in names})
        result = run_lint(tmp_path)
        assert not result.internal_errors, (repr(text), result.internal_errors[0].traceback)
        # PL001 (an empty Dockerfile), or a project-level finding about the file's mere presence
        assert {d.code for d in result.active} <= {"PL001", "PL702"}, [(d.path, d.code) for d in result.active]
        assert all(d.line >= 1 and d.column >= 1 for d in result.diagnostics)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_a_file_swapped_for_a_fifo_during_the_run_does_not_hang(tmp_path, monkeypatch):
    write_tree(tmp_path, {f"{WFD}/a.yml": WORKFLOW_WITH_FLAG, f"{WFD}/b.yml": WORKFLOW_WITH_FLAG})
    fifo = tmp_path / WFD / "a.yml"
    real_collect = discovery.collect

    def collect_then_swap(*args, **kwargs):
        found = real_collect(*args, **kwargs)
        os.remove(fifo)
        os.mkfifo(fifo)
        return found

    def unblock():
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass

    monkeypatch.setattr(discovery, "collect", collect_then_swap)
    result = _in_thread(lambda: _lint(tmp_path), 3, unblock)
    assert findings(result) == [(f"{WFD}/b.yml", 8, 19, "PL901")]
    assert len(result.notices) == 1 and result.notices[0].startswith(f"skipped {WFD}/a.yml: ")


def test_a_flood_of_duplicate_keys_is_reported_up_to_a_cap(tmp_path):
    # thousands of repeats of one key (a generated file): one finding each would bury the rest
    text = "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    env:\n" + "      A: 1\n" * 5_000
    write_tree(tmp_path, {f"{WFD}/flood.yml": text})
    started = time.monotonic()
    result = run_lint(tmp_path, select=["PL001"])
    assert time.monotonic() - started < 20
    found = [(d.line, d.column, d.message) for d in result.active]
    assert len(found) == 101
    assert found[0] == (7, 7, "Cannot read this file: duplicate key 'A' (first defined on line 6); YAML loaders disagree on which one wins; fix the file or exclude it.")
    assert found[-1] == (107, 7, "Cannot read this file: 4,899 more duplicate keys from here on are not listed one by one; fix the file or exclude it.")
