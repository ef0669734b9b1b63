"""A progress bar for long runs on a terminal: files linted of files found, on stderr.

It appears only when a person is watching (stderr is a terminal, not in CI, text
output, not ``--quiet``) and only once a run has taken about a second: short runs and
logs stay clean. It draws when the engine reports progress (no refresh thread, so
nothing runs beside the forked workers) and vanishes when the run ends.
"""

from __future__ import annotations

import os
import sys
import time

#: Seconds a run goes on before the bar shows.
DELAY = 1.0
#: Seconds between two redraws.
REDRAW = 0.1


def wanted(args, stream=None) -> bool:
    """Whether a run with ``args`` should show a bar on ``stream`` (stderr)."""
    stream = stream or sys.stderr
    if args.format != "text" or args.output or args.quiet or os.environ.get("CI") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class ProgressBar:
    """Callable as the engine's ``progress(done, total)``; ``close()`` removes the bar."""

    def __init__(self, stream=None, delay: float = DELAY, clock=time.monotonic):
        self._stream = stream or sys.stderr
        self._clock = clock
        self._start = clock()
        self._delay = delay
        self._bar = None
        self._task = None
        self._drawn = float("-inf")

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            if self._clock() - self._start < self._delay or done >= total:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            console = Console(file=self._stream, stderr=self._stream is sys.stderr)
            self._bar = Progress(
                TextColumn("linting"), BarColumn(), MofNCompleteColumn(), TextColumn("files"), TimeElapsedColumn(),
                console=console, transient=True, auto_refresh=False, redirect_stdout=False, redirect_stderr=False,
            )
            self._bar.start()
            self._task = self._bar.add_task("lint", total=total)
        now = self._clock()
        if now - self._drawn >= REDRAW or done >= total:  # a long run has thousands of units
            self._drawn = now
            self._bar.update(self._task, completed=done, total=total)
            self._bar.refresh()

    @property
    def shown(self) -> bool:
        return self._bar is not None

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
