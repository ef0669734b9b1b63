"""Inline suppressions: ``# pipelint: ignore[...]`` and ``ignore-file``; PL005 for the stale ones.

A test-only rule (PL901, ``test-marker``) reports every ``FLAG`` in a YAML value, so the
findings to suppress sit at known places whatever the state of the real rules.
"""

from __future__ import annotations

import io
import json

from conftest import marker_rule, run_lint, test_registry, write_tree
from pipelint.reporters import json as json_reporter
from pipelint.reporters import sarif as sarif_reporter

WF = ".github/workflows/ci.yml"


def _lint(tmp_path, text: str, *extra_rules):
    write_tree(tmp_path, {WF: text})
    registry = test_registry(*extra_rules)
    return run_lint(tmp_path, registry=registry), registry


def _active(result) -> list[tuple[int, int, str]]:
    return [(d.line, d.column, d.code) for d in result.active]


def _suppressed(result) -> list[tuple[int, int, str, str]]:
    return [(d.line, d.column, d.code, d.suppression.justification) for d in result.diagnostics if d.suppression]


def _pl005(result) -> list[tuple[int, int, str]]:
    return [(d.line, d.column, d.message) for d in result.active if d.code == "PL005"]


def test_ignore_on_the_line(tmp_path):
    result, _ = _lint(
        tmp_path,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: echo FLAG  # pipelint: ignore[PL901] reviewed, harmless
              - run: echo FLAG
        """,
    )
    assert _suppressed(result) == [(6, 19, "PL901", "reviewed, harmless")]
    assert _active(result) == [(7, 19, "PL901")]


def test_ignore_on_the_line_above_skips_blank_and_comment_lines(tmp_path):
    result, _ = _lint(
        tmp_path,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            env:
              # pipelint: ignore[PL901] the next value

              # an ordinary comment
              A: FLAG
              B: FLAG
        """,
    )
    assert _suppressed(result) == [(9, 10, "PL901", "the next value")]
    assert _active(result) == [(10, 10, "PL901")]


def test_ignore_on_a_job_key_covers_the_job_block_only(tmp_path):
    result, _ = _lint(
        tmp_path,
        """
        on: push
        jobs:
          build:  # pipelint: ignore[PL901] generated job
            runs-on: ubuntu-latest
            steps:
              - run: echo FLAG
              - run: |
                  echo FLAG

          # a comment between jobs
          test: {runs-on: FLAG}
          lint:
            runs-on: ubuntu-latest
            env: {A: FLAG}
        """,
    )
    assert _suppressed(result) == [(6, 19, "PL901", "generated job"), (8, 16, "PL901", "generated job")]
    # the next job (even its key line, where the block's end mark sits) is not covered
    assert _active(result) == [(11, 19, "PL901"), (14, 14, "PL901")]


def test_ignore_above_a_job_key(tmp_path):
    result, _ = _lint(
        tmp_path,
        """
        on: push
        jobs:
          # pipelint: ignore[PL901] whole job
          build:
            runs-on: ubuntu-latest
            steps:
              - run: echo FLAG
          test:
            runs-on: FLAG
        """,
    )
    assert _suppressed(result) == [(7, 19, "PL901", "whole job")]
    assert _active(result) == [(9, 14, "PL901")]


def test_ignore_on_a_step_item_covers_the_step(tmp_path):
    result, _ = _lint(
        tmp_path,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              # pipelint: ignore[test-marker] this step only
              - name: FLAG
                run: |
                  echo FLAG
                  echo FLAG
              - run: echo FLAG
              - name: other  # pipelint: ignore[PL901] same-line on the item
                env:
                  X: FLAG
              - run: echo FLAG
        """,
    )
    assert _suppressed(result) == [
        (7, 15, "PL901", "this step only"),
        (9, 16, "PL901", "this step only"),
        (10, 16, "PL901", "this step only"),
        (14, 14, "PL901", "same-line on the item"),
    ]
    assert _active(result) == [(11, 19, "PL901"), (15, 19, "PL901")]


def test_ignore_inside_a_run_block(tmp_path):
    result, _ = _lint(
        tmp_path,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  echo one
                  echo FLAG  # pipelint: ignore[PL901] inside the script
                  # pipelint: ignore[PL901] the shell line below
                  echo FLAG
                  echo FLAG
        """,
    )
    assert _suppressed(result) == [
        (8, 16, "PL901", "inside the script"),
        (10, 16, "PL901", "the shell line below"),
    ]
    assert _active(result) == [(11, 16, "PL901")]


def test_ignore_file(tmp_path):
    result, _ = _lint(
        tmp_path,
        """
        # pipelint: ignore-file[PL9] vendored workflow
        on: push
        jobs:
          build:
            runs-on: FLAG
            steps:
              - run: echo FLAG
        """,
    )
    assert _suppressed(result) == [(5, 14, "PL901", "vendored workflow"), (7, 19, "PL901", "vendored workflow")]
    assert _active(result) == []


def test_name_and_prefix_selectors(tmp_path):
    result, _ = _lint(
        tmp_path,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            env:
              A: FLAG  # pipelint: ignore[test-marker]
              B: AAA  # pipelint: ignore[PL5] security rules reviewed
              C: AAA FLAG  # pipelint: ignore[PL5]
        """,
        marker_rule("PL590", "test-security", "AAA"),
    )
    assert _suppressed(result) == [
        (6, 10, "PL901", ""),
        (7, 10, "PL590", "security rules reviewed"),
        (8, 10, "PL590", ""),
    ]
    assert _active(result) == [(8, 14, "PL901")]


def test_one_comment_with_several_codes(tmp_path):
    result, _ = _lint(
        tmp_path,
        """
        on: push
        jobs:
          build:
            runs-on: AAA FLAG  # pipelint: ignore[PL901, test-security] both
        """,
        marker_rule("PL590", "test-security", "AAA"),
    )
    assert _suppressed(result) == [(4, 14, "PL590", "both"), (4, 18, "PL901", "both")]
    assert _active(result) == []


def test_unused_and_unknown_suppressions_are_pl005_at_the_comment(tmp_path):
    result, _ = _lint(
        tmp_path,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest  # pipelint: ignore[PL901] nothing here any more
            steps:
              - run: echo ok  # pipelint: ignore[PL123, bogus-name]
              - run: echo ok  # pipelint: ignore[]
              - run: echo FLAG  # pipelint: ignore[PL901, PL001] partly used
        """,
    )
    assert _pl005(result) == [
        (4, 29, "Suppression of PL901 matches no finding on the lines it covers; remove it so it cannot hide a future one."),
        (6, 23, "Suppression names unknown rule 'PL123'; check the code or name with 'pipelint rules'."),
        (6, 23, "Suppression names unknown rule 'bogus-name'; check the code or name with 'pipelint rules'."),
        (7, 23, "Suppression names no rule; write the codes inside the brackets, e.g. ignore[PL101]."),
        (8, 25, "Suppression of PL001 matches no finding on the lines it covers; remove it so it cannot hide a future one."),
    ]
    span = next(d for d in result.active if d.code == "PL005").span
    assert (span.start.line, span.start.column, span.end.line, span.end.column) == (4, 29, 4, 76)


def test_unused_ignore_file_is_reported(tmp_path):
    result, _ = _lint(tmp_path, "# pipelint: ignore-file[PL901]\non: push\njobs: {}\n")
    assert _pl005(result) == [
        (1, 1, "Suppression of PL901 matches no finding on this file; remove it so it cannot hide a future one.")
    ]


def test_suppression_of_a_disabled_rule_is_not_reported(tmp_path):
    write_tree(tmp_path, {WF: "on: push\njobs:\n  a:\n    runs-on: x  # pipelint: ignore[PL901]\n"})
    result = run_lint(tmp_path, select=["PL001", "PL005"], registry=test_registry())
    assert _pl005(result) == []


def test_nested_suppressions_are_all_used(tmp_path):
    result, _ = _lint(
        tmp_path,
        """
        on: push
        jobs:
          build:  # pipelint: ignore[PL901] whole job
            runs-on: ubuntu-latest
            steps:
              - run: echo FLAG  # pipelint: ignore[PL901] this line
        """,
    )
    assert _pl005(result) == []
    assert _suppressed(result) == [(6, 19, "PL901", "this line")]  # the most specific justification


def test_duplicate_key_pl001_can_be_suppressed(tmp_path):
    result, _ = _lint(
        tmp_path,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            runs-on: ubuntu-latest  # pipelint: ignore[invalid-file] known duplicate
        """,
    )
    assert _suppressed(result) == [(5, 5, "PL001", "known duplicate")]
    assert _active(result) == []


def test_crlf_file(tmp_path):
    text = "on: push\r\njobs:\r\n  a:\r\n    runs-on: FLAG  # pipelint: ignore[PL901] crlf reason\r\n    env: {A: FLAG}\r\n"
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / WF).write_bytes(text.encode())
    result = run_lint(tmp_path, registry=test_registry())
    assert _suppressed(result) == [(4, 14, "PL901", "crlf reason")]
    assert _active(result) == [(5, 14, "PL901")]
    comment = next(d for d in result.diagnostics if d.suppression).suppression.span
    assert (comment.start.line, comment.start.column, comment.end.column) == (4, 20, 57)


def test_suppressed_findings_in_sarif_and_json(tmp_path):
    result, registry = _lint(
        tmp_path,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: echo FLAG  # pipelint: ignore[PL901] false positive: FLAG is a fixture
              - run: echo FLAG  # pipelint: ignore[PL901]
        """,
    )
    sarif = sarif_reporter.build(result, registry)
    results = sarif["runs"][0]["results"]
    suppressed = [(r["locations"][0]["physicalLocation"]["region"]["startLine"], r.get("suppressions")) for r in results]
    assert suppressed == [
        (6, [{"kind": "inSource", "justification": "false positive: FLAG is a fixture"}]),
        (7, [{"kind": "inSource", "justification": "suppressed inline"}]),
    ]
    out = io.StringIO()
    json_reporter.render(result, out)
    payload = json.loads(out.getvalue())
    assert payload["diagnostics"] == []
    assert [(d["code"], d["line"], d["column"], d["justification"]) for d in payload["suppressed"]] == [
        ("PL901", 6, 19, "false positive: FLAG is a fixture"),
        ("PL901", 7, 19, ""),
    ]


def test_unicode_line_separator_before_a_block(tmp_path):
    result, _ = _lint(
        tmp_path,
        """
        name: "odd\u2028name"
        on: push
        jobs:
          # pipelint: ignore[PL901] whole job
          build:
            runs-on: FLAG
          test:
            runs-on: FLAG
        """,
    )
    assert _suppressed(result) == [(6, 14, "PL901", "whole job")]
    assert _active(result) == [(8, 14, "PL901")]


def test_malformed_suppression_is_reported(tmp_path):
    result, _ = _lint(
        tmp_path,
        """
        on: push
        jobs:
          build:
            runs-on: FLAG  # pipelint: ignore PL901
            env:
              A: FLAG  # pipelint: ignore(PL901)
        """,
    )
    assert _active(result) == [(4, 14, "PL901"), (4, 20, "PL005"), (6, 10, "PL901"), (6, 16, "PL005")]
    assert _pl005(result)[0][2] == "Suppression names no rule; write the codes inside the brackets, e.g. ignore[PL101]."
