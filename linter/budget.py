"""A time budget per file, so that no input can make a run hang.

Reading one file (decoding, composing, building its model) gets ``max-file-seconds`` of
wall time, and all the file-scoped rules' checks of it share another such budget. Over
budget, the work is interrupted and the file gets a PL001 "too complex" finding instead
of a hang: a pathological file (a regex that backtracks for ever, a structure that
explodes) costs seconds, never the run.

The clock is ``SIGALRM`` (POSIX, main thread only; every worker process of the pool is a
main thread). Where it is not available the work simply runs unbounded. The exception
derives from ``BaseException`` so that a rule's own ``except Exception`` cannot swallow it.
Code in C that never returns to the interpreter (one huge regular-expression match) is
interrupted only when it does; the parsers bound their inputs for that reason.
"""

from __future__ import annotations

import contextlib
import signal
import threading


class TooComplex(BaseException):
    """The budgeted work ran over its time."""

    def __init__(self, seconds: float):
        super().__init__(f"over the {seconds:g}-second budget")
        self.seconds = seconds


def available() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


_ARMED: list[float] = []  # the running budget's seconds (empty: none running)
#: The thread whose :func:`clock` installed the handler (None: not installed). Checked by
#: :func:`start` for every file, so it is a plain value, not ``signal.getsignal`` (which
#: converts to enums: ~25 us a call).
_CLOCK_THREAD: list = [None]


def _expired(_signum, _frame):
    if _ARMED:
        raise TooComplex(_ARMED[0])


@contextlib.contextmanager
def clock():
    """Install the alarm handler for a run (once: per-file arming is two system calls).
    Outside it, or where alarms are unavailable, :func:`start` does nothing."""
    if not available():
        yield False
        return
    previous = signal.signal(signal.SIGALRM, _expired)
    outer = _CLOCK_THREAD[0]
    _CLOCK_THREAD[0] = threading.get_ident()
    try:
        yield True
    finally:
        stop()
        _CLOCK_THREAD[0] = outer
        signal.signal(signal.SIGALRM, previous)


def start(seconds: float | None) -> None:
    """Start one file's budget (``None`` or 0: no limit); :func:`stop` ends it."""
    if not seconds or seconds <= 0 or _CLOCK_THREAD[0] != threading.get_ident():
        return
    _ARMED[:] = [seconds]
    signal.setitimer(signal.ITIMER_REAL, seconds)


def stop() -> None:
    if _ARMED:
        _ARMED.clear()  # first: an alarm that fires from here on is ignored
        signal.setitimer(signal.ITIMER_REAL, 0)
