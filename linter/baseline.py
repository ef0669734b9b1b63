"""Baselines: adopt pipelint on a legacy repository without fixing everything first.

``pipelint baseline [PATH ...] -o .pipelint-baseline.json`` records the findings a run
has today; ``pipelint --baseline .pipelint-baseline.json`` then reports only findings
that are not in it. A finding is recognised by its line-independent fingerprint (rule,
file, logical path such as ``jobs.deploy.steps[2].run``, whitespace-normalised snippet;
see :func:`pipelint.fingerprints.logical_fingerprint`), so inserted lines, moved blocks
and re-indentation keep it matched, while editing the offending text, moving it to
another job or renaming the file makes it new. Paths in a baseline are relative to the
baseline file's folder, so it matches from any working directory. Fingerprints are
counted: a baseline with one copy of a finding matches one copy, a second is new.

Findings matched by the baseline are suppressed (kind ``external``): they leave the
exit status and the text, JSON, GitHub and GitLab outputs; SARIF keeps them with
``baselineState: unchanged`` and an external suppression, and marks the rest ``new``.
Baseline entries no finding matched any more are counted as fixed in the summary.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass

from .diagnostics import Suppression

VERSION = 1
DEFAULT_FILE = ".pipelint-baseline.json"


class BaselineError(Exception):
    """A baseline file that cannot be read or is not one (a usage error: exit 2)."""


@dataclass
class Comparison:
    """What a run found against its baseline."""

    file: str
    new: int
    unchanged: int
    fixed: int


def _sources(result, baseline_file: str):
    from .reporters.sources import Sources

    return Sources(os.path.dirname(os.path.abspath(baseline_file)), os.path.abspath(result.root or os.getcwd()))


def build(result, baseline_file: str) -> dict:
    """The baseline document for ``result``'s unsuppressed findings."""
    sources = _sources(result, baseline_file)
    findings = [
        {"fingerprint": sources.fingerprint(d), "code": d.code, "path": sources.uri(d.path), "line": d.line, "message": d.message}
        for d in result.active
    ]
    return {"version": VERSION, "tool": "pipelint", "findings": findings}


def write(result, baseline_file: str) -> int:
    """Write the baseline of ``result`` to ``baseline_file``; the number of findings."""
    document = build(result, baseline_file)
    with open(baseline_file, "w", encoding="utf-8", newline="\n") as fh:
        json.dump(document, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    return len(document["findings"])


def load(baseline_file: str) -> Counter:
    """The fingerprints a baseline file records, counted."""
    try:
        with open(baseline_file, encoding="utf-8") as fh:
            document = json.load(fh)
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {baseline_file}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise BaselineError(f"{baseline_file} is not a pipelint baseline (invalid JSON: {exc})") from None
    findings = document.get("findings") if isinstance(document, dict) else None
    if not isinstance(findings, list) or document.get("version") != VERSION:
        raise BaselineError(f"{baseline_file} is not a pipelint baseline (version {VERSION} with a findings list)")
    counts: Counter = Counter()
    for entry in findings:
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str):
            raise BaselineError(f"{baseline_file}: every finding needs a fingerprint string")
        counts[entry["fingerprint"]] += 1
    return counts


def apply(result, baseline_file: str, recorded: Counter) -> Comparison:
    """Suppress the findings of ``result`` that ``recorded`` holds; the comparison is
    also kept on ``result.baseline`` for the reporters."""
    sources = _sources(result, baseline_file)
    left = Counter(recorded)
    new = unchanged = 0
    justification = f"recorded in baseline {os.path.basename(baseline_file)}"
    for d in result.diagnostics:  # sorted: repeated findings match in file order
        fingerprint = sources.fingerprint(d)
        if d.suppression is not None:  # silenced inline: only its state is told (SARIF)
            d.extra["baseline"] = "unchanged" if fingerprint in recorded else "new"
        elif left[fingerprint] > 0:
            left[fingerprint] -= 1
            d.suppression = Suppression(justification, d.span, kind="external")
            d.extra["baseline"] = "unchanged"
            unchanged += 1
        else:
            d.extra["baseline"] = "new"
            new += 1
    result.baseline = Comparison(baseline_file, new, unchanged, sum(left.values()))
    return result.baseline


def parser():
    """The lint command's options; ``-o`` names the baseline file."""
    from .cli import _lint_parser

    return _lint_parser(prog="pipelint baseline", description="Record the current findings in a baseline file.")


def main(argv: list[str]) -> int:
    """``pipelint baseline [PATH ...] [-o FILE] [lint options]``."""
    from . import cli

    args = parser().parse_args(argv)
    if args.fix or args.diff or args.baseline or args.changed_since:
        cli._err("pipelint baseline records every finding: --fix, --diff, --baseline and --changed-since do not apply")
        return cli.EXIT_USAGE
    target = args.output or DEFAULT_FILE
    args.output = None
    outcome = cli.lint_run(args)
    if isinstance(outcome, int):
        return outcome
    result, _settings, _registry = outcome
    cli.print_notices(result, args)
    if result.internal_errors:
        cli.report_internal_errors(result, args)
        return cli.EXIT_INTERNAL
    try:
        count = write(result, target)
    except OSError as exc:
        cli._err(f"cannot write baseline {target}: {exc.strerror or exc}")
        return cli.EXIT_USAGE
    cli._err(f"recorded {count} finding(s) of {result.files} file(s) in {target}")
    return cli.EXIT_CLEAN
