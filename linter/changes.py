"""``--changed-since REV``: report only findings in the files a pull request changes.

The whole project is still read (cross-file facts such as the job graph, templates and
migration pairs need every file; a warm run takes them from the cache); only the report
is narrowed. "Changed" is what ``git diff --merge-base REV`` lists, the files changed
since the branch left REV, committed or not, plus untracked files that are not ignored:
a pull request's view. git runs with ``core.fsmonitor`` off, so no hook a repository
configures is started.
"""

from __future__ import annotations

import os
import subprocess


class ChangesError(Exception):
    """git is missing, the path is not in a repository, or REV is unknown (exit 2)."""


def _git(args: list[str], cwd: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-c", "core.fsmonitor=false", "-c", "core.quotePath=false", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            timeout=60,
        )
    except FileNotFoundError:
        raise ChangesError("--changed-since needs git, which was not found on PATH") from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ChangesError(f"--changed-since: git failed: {exc}") from None
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["git failed"])[-1]
        raise ChangesError(f"--changed-since: {detail}")
    return done.stdout


def changed_files(rev: str, where: str) -> set[str]:
    """Absolute paths of the files changed since ``rev`` in the repository holding ``where``."""
    folder = os.path.abspath(where if os.path.isdir(where) else os.path.dirname(where) or ".")
    if rev.startswith("-"):
        raise ChangesError(f"--changed-since: {rev!r} is not a revision")
    top = _git(["rev-parse", "--show-toplevel"], folder).strip()
    try:
        _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], top)
    except ChangesError:
        raise ChangesError(f"--changed-since: unknown revision {rev!r} in {top}") from None
    names = _git(["diff", "--name-only", "-z", "--no-renames", "--merge-base", rev, "--"], top).split("\0")
    names += _git(["ls-files", "--others", "--exclude-standard", "-z"], top).split("\0")
    return {os.path.normpath(os.path.join(top, n)) for n in names if n}


def keep_changed(result, changed: set[str]) -> None:
    """Drop ``result``'s findings located outside ``changed``; count those that would
    have been reported (suppressed ones, inline or by a baseline, are not counted)."""
    root = os.path.abspath(result.root or os.getcwd())
    real = {os.path.realpath(p) for p in changed}
    kept = []
    for d in result.diagnostics:
        path = os.path.normpath(os.path.join(root, d.path))
        if path in changed or os.path.realpath(path) in real:
            kept.append(d)
        elif d.suppression is None:
            result.outside_changes += 1
    result.diagnostics[:] = kept
