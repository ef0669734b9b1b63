"""Every fix pipelint offers on the real corpus, applied to a copy of its repository.

For each repository folder of ``shared/corpus`` with a finding that carries a fix: the
fixes are applied (``--fix --unsafe-fixes`` semantics, only the fixable rules selected);
every one must be accepted by the engine's checks (its finding gone, no new finding, no
PL001), each changed file must differ from the original only on the lines the edits
touch (single-pass runs; later passes edit already-edited text), and a second run must
change nothing. Run with ``-s`` for the numbers.
"""

from __future__ import annotations

import collections
import difflib
import shutil
import time

import pytest

from conftest import CORPUS
from pipelint import fixes
from pipelint.config import Settings
from pipelint.registry import Registry

KINDS = ("github", "gitlab", "azure", "argo", "k8s", "docker", "migrations")


def _touched_lines(text: str, edits) -> set[int]:
    """0-based line numbers of ``text`` that the edits replace or insert at."""
    lines: set[int] = set()
    for e in edits:
        first = text.count("\n", 0, e.start)
        last = text.count("\n", 0, max(e.end - 1, e.start))
        lines.update(range(first, last + 1))
    return lines


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")
def test_every_corpus_fix_applies_cleanly(tmp_path):
    from pipelint.engine import lint

    registry = Registry.load()
    fixable = [r.code for r in registry.rules if getattr(r, "fixable", False)]
    assert fixable, "no rule offers fixes"
    settings = Settings()
    settings.select = fixable
    started = time.perf_counter()
    repos: dict = collections.defaultdict(set)
    for kind in KINDS:
        folder = CORPUS / kind
        if not folder.is_dir():
            continue
        result = lint([str(folder)], settings, registry, cwd=str(CORPUS))
        for d in result.active:
            if d.fix is not None:
                repo = d.span.path.split("/")[:2]
                repos["/".join(repo)].add(d.code)
    checked = files = 0
    problems: list[str] = []
    for repo, codes in sorted(repos.items()):
        copy = tmp_path / repo.replace("/", "__")
        shutil.copytree(CORPUS / repo, copy, symlinks=True)
        s = Settings()
        s.select = sorted(codes)
        outcome = fixes.fix([str(copy)], s, registry, unsafe=True, cwd=str(copy))
        assert not outcome.result.internal_errors, (repo, outcome.result.internal_errors[0].traceback)
        for d, reason in outcome.refused:
            problems.append(f"{repo}/{d.path}:{d.line}: {d.code}: refused: {reason}")
        checked += len(outcome.fixed)
        files += len(outcome.changes)
        if outcome.passes == 1:
            edits_by_path = collections.defaultdict(list)
            for d in outcome.fixed:
                for e in d.fix.edits:
                    edits_by_path[e.path].append(e)
            for change in outcome.changes.values():
                allowed = _touched_lines(change.before, edits_by_path[change.path])
                matcher = difflib.SequenceMatcher(None, change.before.splitlines(True), change.after.splitlines(True), autojunk=False)
                for op, i1, i2, _j1, _j2 in matcher.get_opcodes():
                    if op in ("replace", "delete") and not set(range(i1, i2)) <= allowed:
                        problems.append(f"{repo}/{change.path}: lines {i1 + 1}-{i2} changed outside the edits")
        assert not fixes.write(outcome.changes)
        again = fixes.fix([str(copy)], s, registry, unsafe=True, cwd=str(copy))
        if again.changes:
            problems.append(f"{repo}: a second --fix changed {sorted(c.path for c in again.changes.values())}")
        shutil.rmtree(copy)
    print(f"\ncorpus fixes: {checked} fixes in {files} files of {len(repos)} repositories, {time.perf_counter() - started:.1f} s")
    assert not problems, problems[:30]
    assert checked > 0
