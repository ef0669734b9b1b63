"""``pipelint graph [PATH ...]``: lint the paths, then draw their promotion graph.

The lint runs as ``pipelint [PATH ...]`` would (same config, same rules), in this
process and without the result cache: the graph needs the model, which workers and the
cache do not keep. Exit codes follow the lint command: 0 the graph was printed, 2 usage
or configuration error, 3 internal error (a bug in pipelint or a plugin rule; the graph
is still printed when the lint itself finished).
"""

from __future__ import annotations

import argparse
import os
import sys

from .render import FORMATS

EXIT_OK, EXIT_USAGE, EXIT_INTERNAL = 0, 2, 3


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pipelint graph",
        description="Draw the promotion graph: the jobs that lead to each deploy job, with its environment, "
        "gate, verification, rollback and the PL1xx/PL2xx findings on it.",
        epilog="Gates whose strength lives outside the files (a GitHub environment's reviewers, an Azure "
        "environment's approvals) are shown as 'unknown'.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: .)")
    p.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the output to FILE instead of standard output")
    p.add_argument("--config", metavar="FILE", help="use this config file instead of searching for one")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour in text output")
    p.add_argument("-q", "--quiet", action="store_true", help="do not print skip notices")
    p.add_argument("-v", "--verbose", action="store_true", help="show tracebacks of internal errors")
    p.add_argument("--select", metavar="RULES", help="comma-separated rules whose findings to show (replaces config)")
    p.add_argument("--ignore", metavar="RULES", help="comma-separated rules whose findings not to show")
    # what the lint command's other options would say: the graph's lint is a plain one
    p.set_defaults(
        extend_select=None, fail_on=None, action_pins=None, github_environments=None, fix=False, diff=False,
        baseline=None, changed_since=None, no_cache=True, cache_dir=None, jobs=1,
    )
    return p


def _err(message: str) -> None:
    sys.stderr.write(f"pipelint: {message}\n")


def _internal(exc: BaseException, verbose: bool) -> int:
    import traceback

    _err(f"internal error: {type(exc).__name__}: {exc}")
    if verbose:
        traceback.print_exc()
    else:
        _err("run with --verbose for the traceback, and please report it")
    return EXIT_INTERNAL


def main(argv: list[str]) -> int:
    from .. import cli

    args = parser().parse_args(argv)
    outcome = cli.lint_run(args, keep_model=True)  # the lint command's setup and checks
    if isinstance(outcome, int):
        return outcome
    result, settings, _registry = outcome
    cli.print_notices(result, args)
    try:
        from ..environments import Targets
        from .build import build

        if result.project is None:
            raise RuntimeError("the lint kept no model of the project")
        graph = build(result.project, result.active, Targets.from_settings(settings))
    except Exception as exc:  # a bug in the graph builder
        return _internal(exc, args.verbose)

    code = _write(args, graph)
    if code != EXIT_OK:
        return code
    if result.internal_errors:  # a rule failed: its findings are missing from the graph
        cli.report_internal_errors(result, args)
        return EXIT_INTERNAL
    return EXIT_OK


def _write(args, graph) -> int:
    from .render import render

    color = {"auto": None, "always": True, "never": False}[args.color]
    if color is None and os.environ.get("NO_COLOR"):  # https://no-color.org
        color = False
    try:
        if args.output:
            with open(args.output, "w", encoding="utf-8", newline="\n") as fh:
                render(args.format, graph, fh, color=False)
        else:
            render(args.format, graph, sys.stdout, color=color)
            sys.stdout.flush()
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`)
        return EXIT_OK
    except OSError as exc:
        _err(f"cannot write output: {exc}")
        return EXIT_USAGE
    except Exception as exc:  # a bug in a renderer
        return _internal(exc, args.verbose)
    return EXIT_OK
