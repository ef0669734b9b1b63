"""Command line: ``pipelint [PATH ...]``, ``pipelint rules``, ``pipelint rule CODE``.

Exit codes: 0 nothing at or above ``--fail-on``; 1 findings; 2 usage or configuration
error; 3 internal error (a bug in pipelint or a plugin rule).
"""

from __future__ import annotations

import argparse
import os
import sys

from . import __version__
from .reporters import FORMATS

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


_DESCRIPTION = (
    "Lint delivery pipelines: GitHub Actions, GitLab CI, Azure Pipelines, Kubernetes and Argo "
    "Rollouts manifests, Dockerfiles and SQL migrations."
)


def _lint_parser(prog: str = "pipelint", description: str = _DESCRIPTION) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog="Subcommands: 'pipelint rules' lists the rules, 'pipelint rule PL502' explains one, "
        "'pipelint graph' draws the promotion paths, 'pipelint baseline' records today's findings, "
        "'pipelint completion bash|zsh|fish' prints a completion script. "
        "To lint a folder named like a subcommand, write ./rules.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to lint (default: .)")
    p.add_argument("--version", action="version", version=f"pipelint {__version__}")
    p.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text; gitlab: Code Quality JSON)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the output to FILE instead of standard output")
    p.add_argument("--sarif-output", metavar="FILE", help="also write SARIF to FILE (one run prints and uploads)")
    p.add_argument("--config", metavar="FILE", help="use this config file instead of searching for one")
    p.add_argument("--select", metavar="RULES", help="comma-separated codes, names or prefixes to run (replaces config)")
    p.add_argument("--extend-select", metavar="RULES", help="comma-separated rules to run in addition")
    p.add_argument("--ignore", metavar="RULES", help="comma-separated rules not to run (added to config)")
    p.add_argument(
        "--github-environments",
        metavar="FILE",
        help="JSON of GET /repos/{owner}/{repo}/environments: lets PL102 check environment protection rules",
    )
    p.add_argument("--fix", action="store_true", help="apply safe fixes (each re-linted before it is written)")
    p.add_argument("--unsafe-fixes", action="store_true", help="with --fix or --diff: unsafe fixes too")
    p.add_argument("--diff", action="store_true", help="print the fixes as a unified diff, change nothing (exit 1 if any)")
    p.add_argument("--action-pins", metavar="FILE", help='JSON of "owner/repo@ref": "<sha>": lets PL501 pin actions')
    p.add_argument("--fail-on", choices=("error", "warning", "note"), help="lowest severity that fails the run (default: warning)")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    p.add_argument("--baseline", metavar="FILE", help="report only findings not recorded in FILE (see 'pipelint baseline')")
    p.add_argument("--changed-since", metavar="REV", help="report only findings in files changed since the git revision REV")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour in text output")
    p.add_argument("--jobs", "-j", type=_positive, metavar="N", help="worker processes (default: one per core)")
    p.add_argument("--cache-dir", metavar="DIR", help="keep the result cache in DIR (default: .pipelint_cache in the project root)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the result cache")
    p.add_argument("-q", "--quiet", action="store_true", help="do not print skip notices")
    p.add_argument("-v", "--verbose", action="store_true", help="show tracebacks of internal errors")
    return p


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def _err(message: str) -> None:
    sys.stderr.write(f"pipelint: {message}\n")


def run() -> None:
    """Console-script entry point: ``main`` plus a fast exit.

    A lint run builds a large object graph; letting the interpreter collect and free it
    at exit took as long as the lint itself (measured on the corpus), so the cyclic
    collector stays off and the process ends without tearing the graph down.
    """
    import gc

    gc.disable()
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in SUBCOMMANDS:
            return SUBCOMMANDS[argv[0]](argv[1:])
        return _lint_command(argv)
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_CLEAN


def _graph_command(argv: list[str]) -> int:
    from .promotion.command import main as graph

    return graph(argv)


def _baseline_command(argv: list[str]) -> int:
    from .baseline import main as baseline

    return baseline(argv)


def _completion_command(argv: list[str]) -> int:
    from .completion import main as completion

    return completion(argv)


def _registry():
    from .registry import Registry

    return Registry.load()


def _lint_command(argv: list[str]) -> int:
    args = _lint_parser().parse_args(argv)
    if args.fix or args.diff:
        if args.baseline or args.changed_since:
            _err("--baseline and --changed-since select what is reported; they do not combine with --fix or --diff")
            return EXIT_USAGE
    outcome = lint_run(args)
    if isinstance(outcome, int):
        return outcome
    result, settings, registry = outcome
    return _report(args, result, settings, registry)


def lint_run(args, keep_model: bool = False):
    """Set up and run the lint ``args`` ask for: ``(result, settings, registry)``, or the
    exit status when it cannot run (usage error, internal error) or ran ``--fix``.
    ``keep_model``: in this process and without the cache, so ``result.project`` holds
    the model (``pipelint graph``)."""
    from .config import ConfigError, Severity, load_settings
    from .registry import RegistryError

    paths = args.paths or ["."]
    try:
        settings = load_settings(paths[0], args.config)
        if args.select is not None:
            settings.select = _split(args.select)
        settings.extend_select += _split(args.extend_select)
        settings.ignore += _split(args.ignore)
        if args.fail_on:
            settings.fail_on = Severity.parse(args.fail_on)
        if args.action_pins is not None:
            from .config import load_action_pins

            settings.action_pins = load_action_pins(args.action_pins)
        if args.github_environments is not None:
            from .config import use_github_environments

            use_github_environments(settings, args.github_environments)
        registry = _registry()
        per_file = [sel for selectors in settings.per_file_ignores.values() for sel in selectors]
        for selector in settings.select + settings.extend_select + settings.ignore + list(settings.severity) + per_file:
            if not registry.is_known(selector):
                raise ConfigError(f"unknown rule selector {selector!r} (see 'pipelint rules')")
    except (ConfigError, RegistryError) as exc:
        _err(str(exc))
        return EXIT_USAGE
    for p in paths:
        if not os.path.exists(p):
            _err(f"{p}: no such file or directory")
            return EXIT_USAGE

    recorded = None
    if args.baseline:
        from .baseline import BaselineError, load

        try:
            recorded = load(args.baseline)
        except BaselineError as exc:
            _err(str(exc))
            return EXIT_USAGE
    changed = None
    if args.changed_since:
        from .changes import ChangesError, changed_files

        try:
            changed = changed_files(args.changed_since, paths[0])
        except ChangesError as exc:
            _err(str(exc))
            return EXIT_USAGE

    if args.fix or args.diff:
        return _fix_command(args, paths, settings, registry)

    from .engine import lint

    notices: list[str] = []
    cache = None
    if settings.cache and not args.no_cache and not keep_model:
        from .runcache import ResultCache

        cache = ResultCache.open(args.cache_dir or settings.cache_dir, settings.base_dir or os.getcwd(), notices)
    jobs = 1 if keep_model else args.jobs or settings.jobs or _cpus()
    from . import progress

    bar = progress.ProgressBar() if progress.wanted(args) else None
    try:
        try:
            result = lint(paths, settings, registry, jobs=jobs, cache=cache, keep_model=keep_model, progress=bar)
        finally:
            if bar is not None:
                bar.close()
        result.notices[:0] = notices
        if recorded is not None:  # first: what is fixed is a fact about the whole project
            from .baseline import apply

            apply(result, args.baseline, recorded)
        if changed is not None:
            from .changes import keep_changed

            keep_changed(result, changed)
    except RegistryError as exc:  # a plugin rule that cannot be imported (on first use)
        _err(str(exc))
        return EXIT_USAGE
    except Exception as exc:  # a bug in pipelint itself
        import traceback

        _err(f"internal error: {type(exc).__name__}: {exc}")
        if args.verbose:
            traceback.print_exc()
        else:
            _err("run with --verbose for the traceback, and please report it")
        return EXIT_INTERNAL

    return result, settings, registry


def print_notices(result, args) -> None:
    """Skip notices on stderr (verbose ones with ``-v``; none with ``-q``)."""
    if not args.quiet:
        from .discovery import VerboseNotice

        for notice in result.notices:
            if args.verbose or not isinstance(notice, VerboseNotice):
                _err(notice)


def _report(args, result, settings, registry) -> int:
    """Print ``result`` as ``args`` ask; the exit status."""
    print_notices(result, args)

    from .reporters import render

    color = {"auto": None, "always": True, "never": False}[args.color]
    if color is None and os.environ.get("NO_COLOR"):  # https://no-color.org: no styling at all
        color = False
    try:
        if args.output:
            with open(args.output, "w", encoding="utf-8", newline="\n") as fh:
                render(args.format, result, fh, color=False, verbose=args.verbose, registry=registry)
        else:
            render(args.format, result, sys.stdout, color=color, verbose=args.verbose, registry=registry)
        if args.sarif_output:
            with open(args.sarif_output, "w", encoding="utf-8", newline="\n") as fh:
                render("sarif", result, fh, registry=registry)
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`): nothing left to say
        return EXIT_CLEAN
    except OSError as exc:
        _err(f"cannot write output: {exc}")
        return EXIT_USAGE

    if result.internal_errors:
        report_internal_errors(result, args, shown=args.format == "text" and not args.output)
        return EXIT_INTERNAL
    if args.exit_zero:
        return EXIT_CLEAN
    failing = any(d.severity >= settings.fail_on for d in result.active)
    return EXIT_FINDINGS if failing else EXIT_CLEAN


def report_internal_errors(result, args, shown: bool = False) -> None:
    """Internal errors on stderr (``shown``: the text report already listed them)."""
    if not shown:
        for e in result.internal_errors:
            _err(f"internal error in {e.rule} on {e.path or 'the project'}: {e.message}")
            if args.verbose:
                sys.stderr.write(e.traceback)
    if not args.verbose:
        _err("run with --verbose for the traceback, and please report it")


def _fix_command(args, paths, settings, registry) -> int:
    """``--fix`` / ``--diff``: fixes applied in memory and verified (pipelint.fixes), then
    written (``--fix``) or printed as a unified diff (``--diff``)."""
    from . import fixes
    from .registry import RegistryError

    try:
        outcome = fixes.fix(paths, settings, registry, unsafe=args.unsafe_fixes or args.diff)
    except RegistryError as exc:  # a plugin rule that cannot be imported (on first use)
        _err(str(exc))
        return EXIT_USAGE
    except Exception as exc:  # a bug in pipelint itself
        import traceback

        _err(f"internal error: {type(exc).__name__}: {exc}")
        if args.verbose:
            traceback.print_exc()
        return EXIT_INTERNAL
    result = outcome.result
    if result.internal_errors:
        for e in result.internal_errors:
            _err(f"internal error in {e.rule} on {e.path or 'the project'}: {e.message}")
        return EXIT_INTERNAL
    for d, reason in outcome.refused:
        _err(f"not fixed: {d.path}:{d.line}:{d.column}: {d.code}: {reason}")
    if args.diff:
        text = fixes.unified_diff(outcome.changes)
        try:
            sys.stdout.write(text)
        except BrokenPipeError:
            return EXIT_CLEAN
        return EXIT_FINDINGS if text else EXIT_CLEAN
    problems = fixes.write(outcome.changes)
    for problem in problems:
        _err(problem)
    written = len(outcome.changes) - len(problems)
    if problems:  # what was not written is not fixed: report the files as they are
        from .engine import lint

        result = lint(paths, settings, registry)
    removed = max(len(outcome.initial.active) - len(result.active), 0)
    remaining = len(result.active)
    unsafe_left = sum(1 for d in result.active if d.fix is not None and not fixes.wanted(d, False))
    hint = f" ({unsafe_left} more with --unsafe-fixes)" if unsafe_left and not args.unsafe_fixes else ""
    _err(f"fixed {removed} finding(s) in {written} file(s); {remaining} remain{hint}")
    from .reporters import render

    try:
        if args.output:
            with open(args.output, "w", encoding="utf-8", newline="\n") as fh:
                render(args.format, result, fh, color=False, verbose=args.verbose, registry=registry)
        elif remaining or args.format != "text":
            color = {"auto": None, "always": True, "never": False}[args.color]
            render(args.format, result, sys.stdout, color=color, verbose=args.verbose, registry=registry)
        if args.sarif_output:
            with open(args.sarif_output, "w", encoding="utf-8", newline="\n") as fh:
                render("sarif", result, fh, registry=registry)
    except BrokenPipeError:
        return EXIT_CLEAN
    except OSError as exc:
        _err(f"cannot write output: {exc}")
        return EXIT_USAGE
    if args.exit_zero:
        return EXIT_CLEAN
    failing = any(d.severity >= settings.fail_on for d in result.active) or bool(problems)
    return EXIT_FINDINGS if failing else EXIT_CLEAN


def _rules_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pipelint rules", description="List every registered rule.")
    p.add_argument("--format", choices=("text", "json"), default="text")
    return p


def _rule_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pipelint rule", description="Show a rule's documentation.")
    p.add_argument("rule", help="code (PL502) or name (script-injection)")
    return p


def _rules_command(argv: list[str]) -> int:
    return _show(_rules_parser().parse_args(argv), "rules")


def _rule_command(argv: list[str]) -> int:
    return _show(_rule_parser().parse_args(argv), "rule")


def subcommand_parser(name: str) -> argparse.ArgumentParser:
    """The argument parser of subcommand ``name`` (shell completion reads it)."""
    if name == "rules":
        return _rules_parser()
    if name == "rule":
        return _rule_parser()
    if name == "graph":
        from .promotion.command import parser
    elif name == "baseline":
        from .baseline import parser
    elif name == "completion":
        from .completion import parser
    else:
        raise KeyError(name)
    return parser()


def _show(args, command: str) -> int:
    from .registry import RegistryError

    try:
        return _show_rules(command, args, _registry())
    except RegistryError as exc:  # raised where a rule is first imported
        _err(str(exc))
        return EXIT_USAGE


def _show_rules(command: str, args, registry) -> int:
    if command == "rule":
        rule = registry.get(args.rule)
        if rule is None:
            _err(f"unknown rule {args.rule!r} (see 'pipelint rules')")
            return EXIT_USAGE
        from .docs import render_rule_markdown

        sys.stdout.write(render_rule_markdown(rule))
        return EXIT_CLEAN
    if args.format == "json":
        import json

        json.dump([_rule_row(r) for r in registry.rules], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_CLEAN
    rows = [_rule_row(r) for r in registry.rules]
    width = max((len(r["name"]) for r in rows), default=10)
    sys.stdout.write(f"{'code':<7} {'name':<{width}} {'severity':<8} {'fix':<4} platforms\n")
    for r in rows:
        fix = "yes" if r["fixable"] else "-"
        sys.stdout.write(f"{r['code']:<7} {r['name']:<{width}} {r['severity']:<8} {fix:<4} {', '.join(r['platforms'])}\n")
    return EXIT_CLEAN


def _rule_row(rule) -> dict:
    return {
        "code": rule.code,
        "name": rule.name,
        "severity": str(rule.severity),
        "platforms": list(rule.platforms),
        "fixable": rule.fixable,
        "tags": list(rule.tags),
        "summary": rule.summary(),
        "origin": rule.origin,
    }


#: Subcommands other than linting: name -> function of the arguments after the name
#: (each imports its module only when it runs).
SUBCOMMANDS = {
    "rules": _rules_command,
    "rule": _rule_command,
    "graph": _graph_command,
    "baseline": _baseline_command,
    "completion": _completion_command,
}
