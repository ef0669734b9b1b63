"""The whole shared corpus through the real CLI: no internal error, no traceback.

Run with ``-s`` to see the finding counts by rule and the time taken.
"""

from __future__ import annotations

import collections
import json
import subprocess
import sys
import time

import pytest

from conftest import CORPUS


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")
def test_corpus_sweep(tmp_path):
    out = tmp_path / "corpus.json"
    start = time.perf_counter()
    proc = subprocess.run(
        # every file really linted (no cache), in worker processes as a user's run is
        [sys.executable, "-m", "pipelint", "--no-cache", "--jobs", "2", "--format", "json", "-o", str(out), str(CORPUS)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    elapsed = time.perf_counter() - start
    assert "Traceback" not in proc.stderr, proc.stderr[-5000:]
    assert "internal error" not in proc.stderr, proc.stderr[-5000:]
    assert proc.returncode in (0, 1), (proc.returncode, proc.stderr[-5000:])
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert payload["internal_errors"] == []
    assert payload["files"] > 1000
    by_rule = collections.Counter(d["code"] for d in payload["diagnostics"])
    print(f"\ncorpus sweep: {payload['files']} files, {len(payload['diagnostics'])} findings in {elapsed:.1f} s")
    for code, count in sorted(by_rule.items()):
        print(f"  {code}  {count}")
    notices = [line for line in proc.stderr.splitlines() if line.startswith("pipelint: skipped ")]
    print(f"  skip notices: {len(notices)}")
    # every other stderr line would be an unexpected message
    unexpected = [line for line in proc.stderr.splitlines() if line and not line.startswith("pipelint: skipped ")]
    assert not unexpected, unexpected[:20]
