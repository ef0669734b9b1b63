"""The progress bar: only for a person at a terminal, only after about a second, and
gone when the run ends."""

from __future__ import annotations

import argparse
import io

import pytest

from pipelint import progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def args(**kw):
    base = dict(format="text", output=None, quiet=False)
    base.update(kw)
    return argparse.Namespace(**base)


@pytest.fixture(autouse=True)
def no_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")


def test_wanted_only_for_text_on_a_terminal_outside_ci(monkeypatch):
    assert progress.wanted(args(), Terminal())
    assert not progress.wanted(args(), io.StringIO())  # a pipe or a log file
    assert not progress.wanted(args(format="json"), Terminal())
    assert not progress.wanted(args(format="sarif"), Terminal())
    assert not progress.wanted(args(output="report.txt"), Terminal())
    assert not progress.wanted(args(quiet=True), Terminal())
    monkeypatch.setenv("CI", "true")
    assert not progress.wanted(args(), Terminal())


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_bar_appears_after_the_delay_and_vanishes_at_close():
    clock, screen = Clock(), Terminal()
    bar = progress.ProgressBar(stream=screen, clock=clock)
    bar(0, 500)
    clock.now += 0.5
    bar(100, 500)
    assert screen.getvalue() == "" and not bar.shown  # a short run shows nothing
    clock.now += 0.6
    bar(200, 500)
    assert bar.shown
    assert "200/500" in screen.getvalue()
    clock.now += 0.01
    bar(210, 500)  # within the redraw interval: not drawn
    assert "210/500" not in screen.getvalue()
    clock.now += 0.2
    bar(300, 500)
    assert "300/500" in screen.getvalue()
    bar.close()
    assert not bar.shown


def test_a_run_that_finishes_before_the_delay_never_draws():
    clock, screen = Clock(), Terminal()
    bar = progress.ProgressBar(stream=screen, clock=clock)
    clock.now += 5
    bar(500, 500)  # done: nothing left to show
    bar.close()
    assert screen.getvalue() == ""


def test_engine_reports_progress_per_unit(tmp_path):
    from conftest import write_tree
    from pipelint.config import Settings
    from pipelint.engine import lint
    from pipelint.registry import Registry

    write_tree(tmp_path, {"a/Dockerfile": "FROM python:3.12\n", "b/Dockerfile": "FROM python:3.12\n", "c/Dockerfile": "FROM x\n"})
    calls = []
    lint([str(tmp_path)], Settings(), Registry.load(), progress=lambda done, total: calls.append((done, total)))
    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]
