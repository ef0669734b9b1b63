"""Every fix pipelint offers on the real corpus, applied to a copy of its repository.

For each repository folder of ``shared/corpus`` with a finding that carries a fix: the
fixes are applied (``--fix --unsafe-fixes`` semantics, only the fixable rules selected);
every one must be accepted by the engine's checks (its finding gone, no new finding, no
PL001), each changed file must be the original with exactly those edits spliced in
(single-pass runs; later passes edit already-edited text), and a second run must change
nothing. PL501 gets a pin for every ref and PL201/PL404 a configured deep path, so that
every fix pipelint can offer is exercised. Run with ``-s`` for the numbers.
"""

from __future__ import annotations

import collections
import shutil
import time

import pytest

from conftest import CORPUS
from pipelint import fixes
from pipelint.config import Settings
from pipelint.registry import Registry

KINDS = ("github", "gitlab", "azure", "argo", "k8s", "docker", "migrations", "peers")


class _AnyPin(dict):
    """An ``--action-pins`` map that knows every ref (a made-up SHA derived from it), so
    that PL501's pinning fix is exercised on every unpinned action of the corpus."""

    def __bool__(self):
        return True

    def get(self, key, default=None):
        import hashlib

        return hashlib.sha1(key.encode()).hexdigest()


def _settings(codes) -> Settings:
    s = Settings()
    s.select = list(codes)
    s.action_pins = _AnyPin()
    # PL201 / PL404 fix only towards a configured deep health path
    s.rules = {"PL201": {"deep-path": "/readyz"}, "PL404": {"deep-path": "/ready"}}
    return s


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")
def test_every_corpus_fix_applies_cleanly(tmp_path):
    from pipelint.engine import lint

    registry = Registry.load()
    fixable = [r.code for r in registry.rules if getattr(r, "fixable", False)]
    assert fixable, "no rule offers fixes"
    settings = _settings(fixable)
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
        s = _settings(sorted(codes))
        outcome = fixes.fix([str(copy)], s, registry, unsafe=True, cwd=str(copy))
        assert not outcome.result.internal_errors, (repo, outcome.result.internal_errors[0].traceback)
        for d, reason in outcome.refused:
            problems.append(f"{repo}/{d.path}:{d.line}: {d.code}: refused: {reason}")
        checked += outcome.removed
        files += len(outcome.changes)
        if outcome.passes == 1:
            edits_by_path = collections.defaultdict(list)
            for d in outcome.fixed:
                for e in d.fix.edits:
                    edits_by_path[e.path].append(e)
            for change in outcome.changes.values():
                # the new text is the old one with exactly the findings' edits spliced in:
                # every byte outside them is the original's
                if fixes.apply_edits(change.before, edits_by_path[change.path]) != change.after:
                    problems.append(f"{repo}/{change.path}: the file changed outside the fixes' edits")
        assert not fixes.write(outcome.changes)
        again = fixes.fix([str(copy)], s, registry, unsafe=True, cwd=str(copy))
        if again.changes:
            problems.append(f"{repo}: a second --fix changed {sorted(c.path for c in again.changes.values())}")
        shutil.rmtree(copy)
    by_rule = collections.Counter(code for codes in repos.values() for code in codes)
    print(f"\ncorpus fixes: {checked} fixes in {files} files of {len(repos)} repositories, {time.perf_counter() - started:.1f} s")
    print(f"  repositories with fixes, by rule: {dict(sorted(by_rule.items()))}")
    assert not problems, problems[:30]
    assert checked > 0
