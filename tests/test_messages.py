"""Every finding's message reads as one sentence: what is wrong (naming the job, step or
object), why it matters and what to do, on one line of under 200 characters.

The rule, checked on every finding of every fixture under ``fixtures/PL*/`` (``bad`` and
``good`` cases, run as tests/test_fixtures.py runs them):

- one line: no newline, carriage return or tab; no whitespace at either end;
- shorter than 200 characters, and never cut short by ``diagnostics.clip()`` (a message
  ending in ``...``): a message must fit by itself, since ``clip`` drops the fix at its
  end;
- it starts with a capital letter, or with a code span in backticks naming a command or
  identifier (```kubectl apply` in job 'deploy' ...``);
- it ends with a full stop, or with a question mark when its last clause is a
  ``did you mean '...'?`` suggestion;
- it is one sentence: outside quoted names and code spans, no ``.``, ``!`` or ``?``
  followed by a space and a capital letter.
"""

from __future__ import annotations

import re

import pytest

from conftest import FIXTURES, run_lint
from pipelint.config import Settings, load_settings

LIMIT = 200
_QUOTED = re.compile(r"`[^`]*`|'[^'\s][^']*'|\"[^\"]*\"")
_START = re.compile(r"^(?:[A-Z]|`[^`\s][^`]*`)")
_END = re.compile(r"(?:[^.]\.|\bdid you mean [^;]*\?)$")
_SENTENCE_BREAK = re.compile(r"(?<!\be\.g)(?<!\bi\.e)[.!?] +[A-Z]")


def problems(message: str) -> list[str]:
    """What is wrong with ``message`` as a finding's message (empty: nothing)."""
    out = []
    if any(c in message for c in "\n\r\t"):
        out.append("not one line")
    if message != message.strip():
        out.append("whitespace at an end")
    if len(message) >= LIMIT:
        out.append(f"{len(message)} characters (limit {LIMIT - 1})")
    if message.endswith(("...", "…")):
        out.append("clipped (ends with '...')")
    elif not _END.search(message):
        out.append("does not end with '.' (or a 'did you mean ...?' question)")
    if not _START.match(message):
        out.append("does not start with a capital letter or a `code span`")
    if _SENTENCE_BREAK.search(_QUOTED.sub("_", message)):
        out.append("more than one sentence")
    return out


# ------------------------------------------------------------------ the checker itself


@pytest.mark.parametrize(
    "message",
    [
        "Job 'deploy' deploys to production without an approval gate; add `environment: production`.",
        "`kubectl apply` in job 'web' is not followed by a rollout check; add `kubectl rollout status`.",
        "Job 'build' needs 'tests', which is not a job of this workflow; did you mean 'test'?",
        "Step 'Build. Test' (e.g. Deploy) runs `make. Now`; quote 'A. B' as it is.",
    ],
)
def test_good_messages_pass(message):
    assert problems(message) == []


@pytest.mark.parametrize(
    "message, problem",
    [
        ("job 'deploy' has no gate; add one.", "does not start with a capital letter or a `code span`"),
        ("Job 'deploy' has no gate; add one", "does not end with '.' (or a 'did you mean ...?' question)"),
        ("Job 'deploy' has no gate; add one. ", "whitespace at an end"),
        ("Job 'deploy' has no gate;\nadd one.", "not one line"),
        ("Job 'deploy' has no gate. Add one.", "more than one sentence"),
        ("Job 'deploy' has no gate; add " + "x" * 169 + ".", "200 characters (limit 199)"),
        ("Job 'deploy' has no gate; add o...", "clipped (ends with '...')"),
        ("Is it 'x'?", "does not end with '.' (or a 'did you mean ...?' question)"),
    ],
)
def test_bad_messages_fail(message, problem):
    assert problem in problems(message)


def test_clip_output_always_fails():
    from pipelint.diagnostics import clip

    assert "clipped (ends with '...')" in problems(clip("Job 'x' " + "y" * 300 + "."))


# ------------------------------------------------------------------ every fixture's findings


def _rule_dirs():
    return sorted(p for p in FIXTURES.iterdir() if p.is_dir() and p.name.startswith("PL"))


def _messages(rule_dir, registry):
    for verdict in ("bad", "good"):
        folder = rule_dir / verdict
        if not folder.is_dir():
            continue
        for case in sorted(p for p in folder.iterdir() if p.is_dir()):
            settings = load_settings(str(case)) if (case / "pipelint.toml").is_file() else Settings()
            settings.select = [rule_dir.name]
            result = run_lint(case, settings=settings, registry=registry)
            assert not result.internal_errors, result.internal_errors[0].traceback
            for d in result.diagnostics:  # suppressed ones too: their message is shown in SARIF
                yield f"{verdict}/{case.name}/{d.path}:{d.line}:{d.column}: {d.code}", d.message


@pytest.mark.parametrize("rule_dir", _rule_dirs(), ids=lambda p: p.name)
def test_fixture_messages_follow_the_rule(rule_dir, registry):
    checked = 0
    bad = []
    for where, message in _messages(rule_dir, registry):
        checked += 1
        found = problems(message)
        if found:
            bad.append(f"{where}: {'; '.join(found)}\n    {message}")
    assert not bad, "\n".join(bad)
    if (rule_dir / "bad").is_dir():
        assert checked, f"{rule_dir.name}: the bad fixtures produced no finding to check"
