"""Benchmark pipelint on the real-world corpus (not a test).

    python bench/bench.py [CORPUS]              # default: ../shared/corpus next to the repository
    python bench/bench.py --per-rule [CORPUS]   # also: seconds spent in each rule, per kind
    python bench/bench.py --repeat 5 [CORPUS]   # each kind 5 times; the fastest run is shown

Each kind folder of the corpus (github, gitlab, azure, argo, k8s, docker, migrations,
peers) is linted in a fresh process of its own through the engine API
(``pipelint.engine.lint`` with default ``Settings`` and ``Registry.load()``), so every
kind pays its own imports and has its own peak memory. Printed per kind: files on disk,
files pipelint recognised and read, findings, import and lint time, files/s (recognised
files per second of lint time) and peak RSS. Then the total, the start-up time of the
``pipelint --version`` console script (median of 5 runs), and a calibration: stock
ruamel.yaml composing the GitHub corpus, because this machine's speed drifts by 2x.

Compiled schema checkers are kept in pipelint's on-disk cache (see the README); the
first run on a machine builds them (about 0.1-0.3 s per schema) and is slower.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

KINDS = ("github", "gitlab", "azure", "argo", "k8s", "docker", "migrations", "peers")
REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"


def _rule_times(project, registry) -> dict[str, float]:
    """Seconds each enabled rule's ``check`` takes over the already-parsed project."""
    from pipelint.config import Settings
    from pipelint.engine import enabled_rules, rule_options
    from pipelint.environments import Targets
    from pipelint.rule import RuleContext

    settings = Settings()
    targets = Targets.from_settings(settings)
    times = {}
    for rule_cls in enabled_rules(registry, settings):
        rule, options = rule_cls(), rule_options(rule_cls, settings)
        contexts = (
            [RuleContext(project, options, settings, targets)]
            if rule_cls.scope == "project"
            else [RuleContext(project, options, settings, targets, f) for f in project.files]
        )
        t0 = time.perf_counter()
        for ctx in contexts:
            try:
                for _ in rule.check(ctx) or ():
                    pass
            except Exception:  # reported by the main run as internal errors
                pass
        times[rule_cls.code] = time.perf_counter() - t0
    return times


def _worker(folder: str, per_rule: bool) -> None:
    """Lint one folder in this process; print one JSON line with the measurements."""
    t0 = time.perf_counter()
    from pipelint.config import Settings
    from pipelint.engine import lint
    from pipelint.registry import Registry

    registry = Registry.load()
    t1 = time.perf_counter()
    result = lint([folder], Settings(), registry, cwd=folder)
    t2 = time.perf_counter()
    on_disk = sum(len(files) for _dir, _dirs, files in os.walk(folder))
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    out = {
        "files_on_disk": on_disk,
        "files": result.files,
        "findings": len(result.active),
        "internal_errors": len(result.internal_errors),
        "import_s": t1 - t0,
        "lint_s": t2 - t1,
        "maxrss_mib": rss_kib / 1024,
    }
    if per_rule:
        out["rules"] = _rule_times(result.project, registry)
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    os._exit(0)  # skip tearing down the model: not part of what is measured


def _calibrate(folder: str) -> None:
    """Time stock ruamel.yaml (safe, C parser) composing every YAML file under ``folder``:
    how fast this machine is right now. Its speed drifts (shared 2-core VM), and
    pipelint's rates move with it; the ratio of the two is what compares runs."""
    from ruamel.yaml import YAML

    texts = []
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            if name.endswith((".yml", ".yaml")):
                with open(os.path.join(dirpath, name), encoding="utf-8", errors="replace") as fh:
                    texts.append(fh.read())
    yaml = YAML(typ="safe", pure=False)
    t0 = time.perf_counter()
    for text in texts:
        try:
            for _ in yaml.compose_all(text):
                pass
        except Exception:  # invalid files are part of the corpus
            pass
    sys.stdout.write(json.dumps({"files": len(texts), "seconds": time.perf_counter() - t0}) + "\n")
    sys.stdout.flush()
    os._exit(0)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _console_script() -> str | None:
    here = Path(sys.executable).parent / ("pipelint.exe" if os.name == "nt" else "pipelint")
    return str(here) if here.exists() else shutil.which("pipelint")


def _version_times(script: str, runs: int = 5) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([script, "--version"], check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return times


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--worker":
        _worker(argv[-1], "--per-rule" in argv)
    if argv and argv[0] == "--calibrate":
        _calibrate(argv[-1])
    per_rule = "--per-rule" in argv
    argv = [a for a in argv if a != "--per-rule"]
    repeat = 1
    if "--repeat" in argv:
        i = argv.index("--repeat")
        try:
            repeat = max(1, int(argv[i + 1]))
        except (IndexError, ValueError):
            sys.stderr.write("bench: --repeat needs a number\n")
            return 2
        del argv[i : i + 2]
    corpus = Path(argv[0]) if argv else DEFAULT_CORPUS
    if not corpus.is_dir():
        sys.stderr.write(f"bench: corpus folder {corpus} not found\n")
        return 2
    import pipelint

    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"pipelint {pipelint.__version__}, Python {platform.python_version()} ({sys.executable})")
    print(f"machine: {affinity} usable CPUs (nproc), {os.cpu_count()} online, CPU: {_cpu_model()}")
    print(f"corpus: {corpus}")
    print()
    header = f"{'kind':<11} {'on disk':>8} {'read':>6} {'findings':>8} {'import s':>8} {'lint s':>7} {'files/s':>8} {'peak MiB':>8}"
    print(header)
    print("-" * len(header))
    totals = {"files_on_disk": 0, "files": 0, "findings": 0, "lint_s": 0.0}
    peak = 0.0
    wall0 = time.perf_counter()
    for kind in KINDS:
        folder = corpus / kind
        if not folder.is_dir():
            print(f"{kind:<11} (missing)")
            continue
        runs = []
        for _ in range(repeat):
            proc = subprocess.run(
                [sys.executable, os.path.abspath(__file__), "--worker", *(["--per-rule"] if per_rule else []), str(folder)],
                capture_output=True,
                text=True,
            )
            if proc.returncode != 0 or not proc.stdout.strip():
                break
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        if len(runs) < repeat:
            print(f"{kind:<11} FAILED (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
            continue
        # the fastest of the runs: what the code costs, with the least of the machine's noise
        m = min(runs, key=lambda r: r["lint_s"])
        rate = m["files"] / m["lint_s"] if m["lint_s"] > 0 else 0.0
        errors = f"  ({m['internal_errors']} internal errors)" if m["internal_errors"] else ""
        print(
            f"{kind:<11} {m['files_on_disk']:>8} {m['files']:>6} {m['findings']:>8} {m['import_s']:>8.2f} "
            f"{m['lint_s']:>7.2f} {rate:>8.0f} {m['maxrss_mib']:>8.0f}{errors}"
        )
        if repeat > 1:
            print("            lint s of each run: " + ", ".join(f"{r['lint_s']:.2f}" for r in runs))
        if per_rule and m.get("rules"):
            slow = [f"{code} {s:.2f}s" for code, s in sorted(m["rules"].items(), key=lambda kv: -kv[1]) if s >= 0.005]
            if slow:
                print("            rules: " + ", ".join(slow))
        for key in totals:
            totals[key] += m[key]
        peak = max(peak, m["maxrss_mib"])
    wall = time.perf_counter() - wall0
    print("-" * len(header))
    rate = totals["files"] / totals["lint_s"] if totals["lint_s"] > 0 else 0.0
    print(
        f"{'total':<11} {totals['files_on_disk']:>8} {totals['files']:>6} {totals['findings']:>8} {'':>8} "
        f"{totals['lint_s']:>7.2f} {rate:>8.0f} {peak:>8.0f}"
    )
    print(f"wall time of all {len(KINDS)} processes (start-up, imports, lint, counting): {wall:.2f} s")
    if (corpus / "github").is_dir():
        calibrations = []
        for _ in range(repeat):
            proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--calibrate", str(corpus / "github")], capture_output=True, text=True)
            if proc.returncode == 0 and proc.stdout.strip():
                calibrations.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        if calibrations:
            c = min(calibrations, key=lambda r: r["seconds"])
            print(
                f"calibration: stock ruamel.yaml C compose of the {c['files']} YAML files of {corpus / 'github'}: "
                f"{c['files'] / c['seconds']:.0f} files/s (this machine's speed now; compare rates at similar values)"
            )
    script = _console_script()
    if script:
        times = _version_times(script)
        print(
            f"pipelint --version: median {statistics.median(times) * 1000:.0f} ms of 5 runs "
            f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f})"
        )
    else:
        print("pipelint --version: console script not found (pip install the repository first)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
