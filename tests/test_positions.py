"""pipelint.source.SourceFile: offsets inside scalar values map to file lines and columns."""

from __future__ import annotations

import pytest

from pipelint.source import SourceFile
from pipelint.yamltree import load_documents


def _file(text: str) -> tuple[SourceFile, object]:
    return SourceFile("ci.yml", "/repo/ci.yml", text), load_documents(text)[0].root


def _span_of(text: str, key: str, needle: str, occurrence: int = 0):
    """Span of the ``occurrence``-th ``needle`` inside the value of top-level ``key``."""
    sf, root = _file(text)
    node = root.get(key)
    at = -1
    for _ in range(occurrence + 1):
        at = node.value.index(needle, at + 1)
    span = sf.scalar_span(node, at, at + len(needle))
    return span, text[span.start.offset : span.end.offset]


def _loc(span) -> tuple[int, int, int, int]:
    return (span.start.line, span.start.column, span.end.line, span.end.column)


SCRIPT = (
    "jobs:\n"
    "  deploy:\n"
    "    steps:\n"
    "      - run: |\n"
    "          echo start\n"
    "          ./build.sh\n"
    '          echo "${{ github.event.issue.title }}"\n'
    "          echo done\n"
)


def test_finding_on_line_three_of_run_script_points_at_file_line_and_column():
    sf, root = _file(SCRIPT)
    run = root.get("jobs").get("deploy").get("steps").items[0].get("run")
    assert run.style == "|"
    script_line = run.value.splitlines()[2]
    assert script_line == 'echo "${{ github.event.issue.title }}"'
    start = run.value.index("${{")
    end = run.value.index("}}") + 2
    span = sf.scalar_span(run, start, end)
    assert _loc(span) == (7, 17, 7, 48)
    assert SCRIPT[span.start.offset : span.end.offset] == "${{ github.event.issue.title }}"
    assert span.path == "ci.yml"


@pytest.mark.parametrize(
    "needle, loc",
    [
        ("echo start", (5, 11, 5, 21)),
        ("./build.sh", (6, 11, 6, 21)),
        ("done", (8, 16, 8, 20)),
    ],
)
def test_literal_block_lines(needle, loc):
    sf, root = _file(SCRIPT)
    run = root.get("jobs").get("deploy").get("steps").items[0].get("run")
    i = run.value.index(needle)
    span = sf.scalar_span(run, i, i + len(needle))
    assert _loc(span) == loc
    assert SCRIPT[span.start.offset : span.end.offset] == needle


BLOCKS = (
    "strip: |-\n"  # 1
    "    first\n"  # 2
    "    second\n"  # 3
    "keep: |+\n"  # 4
    "  kept\n"  # 5
    "\n"  # 6
    "indicator: |2\n"  # 7
    "    indented more\n"  # 8
    "  base\n"  # 9
    "folded: >\n"  # 10
    "  folded one\n"  # 11
    "  folded two\n"  # 12
    "\n"  # 13
    "  para\n"  # 14
    "folded_more: >-\n"  # 15
    "  x\n"  # 16
    "    more indented\n"  # 17
    "  y\n"  # 18
    "plain: plain multi\n"  # 19
    "  line value\n"  # 20
    "  third\n"  # 21
    "single: 'it''s a ''quote'' here'\n"  # 22
    'double: "tab\\there\\nnew \\"q\\" end \\u00e9x"\n'  # 23
    'continued: "a\\\n'  # 24
    '  b c"\n'  # 25
    "single_multi: 'one\n"  # 26
    "\n"  # 27
    "  two'\n"  # 28
    'backslash: "x\\\\y z"\n'  # 29
    "header: | # a comment\n"  # 30
    "  after comment\n"  # 31
)


@pytest.mark.parametrize(
    "key, needle, loc, source",
    [
        ("strip", "second", (3, 5, 3, 11), None),
        ("keep", "kept", (5, 3, 5, 7), None),
        ("indicator", "indented more", (8, 5, 8, 18), None),
        ("indicator", "base", (9, 3, 9, 7), None),
        ("folded", "folded two", (12, 3, 12, 13), None),
        ("folded", "para", (14, 3, 14, 7), None),
        ("folded_more", "more indented", (17, 5, 17, 18), None),
        ("folded_more", "y", (18, 3, 18, 4), None),
        ("plain", "line value", (20, 3, 20, 13), None),
        ("plain", "third", (21, 3, 21, 8), None),
        ("single", "quote", (22, 20, 22, 25), None),
        ("single", "here", (22, 28, 22, 32), None),
        # an escaped quote maps to its two-character escape
        ("single", "'s", (22, 12, 22, 15), "''s"),
        ("double", "here", (23, 15, 23, 19), None),
        ("double", "new", (23, 21, 23, 24), None),
        ("double", "end", (23, 31, 23, 34), None),
        ("double", "x", (23, 41, 23, 42), None),
        ("double", "\t", (23, 13, 23, 15), "\\t"),
        ("double", "\u00e9x", (23, 35, 23, 42), "\\u00e9x"),
        ("double", "\"q\"", (23, 25, 23, 30), '\\"q\\"'),
        ("single", "a '", (22, 16, 22, 20), "a ''"),
        # an escaped line break stands for nothing: 'b' is on the next line
        ("continued", "b c", (25, 3, 25, 6), None),
        ("single_multi", "two", (28, 3, 28, 6), None),
        ("backslash", "y z", (29, 16, 29, 19), None),
        ("header", "after comment", (31, 3, 31, 16), None),
    ],
)
def test_scalar_styles(key, needle, loc, source):
    span, got = _span_of(BLOCKS, key, needle)
    assert _loc(span) == loc
    assert got == (source or needle)


@pytest.mark.parametrize(
    "key, needle, loc",
    [
        ("strip", "second", (3, 5, 3, 11)),
        ("indicator", "base", (9, 3, 9, 7)),
        ("folded", "folded two", (12, 3, 12, 13)),
        ("folded", "para", (14, 3, 14, 7)),
        ("plain", "third", (21, 3, 21, 8)),
        ("single_multi", "two", (28, 3, 28, 6)),
        ("continued", "b c", (25, 3, 25, 6)),
    ],
)
def test_crlf_file_gives_the_same_lines_and_columns(key, needle, loc):
    crlf = BLOCKS.replace("\n", "\r\n")
    span, got = _span_of(crlf, key, needle)
    assert _loc(span) == loc
    assert got == needle


def test_crlf_run_script():
    text = SCRIPT.replace("\n", "\r\n")
    sf, root = _file(text)
    run = root.get("jobs").get("deploy").get("steps").items[0].get("run")
    assert "\r" not in run.value
    i = run.value.index("${{")
    span = sf.scalar_span(run, i, i + 3)
    assert _loc(span) == (7, 17, 7, 20)


def test_scalar_span_edges():
    sf, root = _file("a: hello\n")
    node = root.get("a")
    empty = sf.scalar_span(node, 2, 2)
    assert _loc(empty) == (1, 6, 1, 6)
    whole = sf.scalar_span(node, 0, len(node.value))
    assert _loc(whole) == (1, 4, 1, 9)


def test_flow_scalars_positions():
    text = "on: [push, 'pull_request']\nenv: {A: \"x y\"}\n"
    sf, root = _file(text)
    on = root.get("on")
    pr = on.items[1]
    assert _loc(sf.node_span(pr)) == (1, 12, 1, 26)
    assert _loc(sf.scalar_span(pr, 5, 12)) == (1, 18, 1, 25)
    a = root.get("env").get("A")
    assert _loc(sf.scalar_span(a, 2, 3)) == (2, 13, 2, 14)


def test_node_span_drops_trailing_blank_lines_of_blocks():
    text = "jobs:\n  a:\n    runs-on: x\n\n\n  b:\n    runs-on: y\n"
    sf, root = _file(text)
    a = root.get("jobs").get("a")
    assert _loc(sf.node_span(a)) == (3, 5, 3, 15)
    key = root.get("jobs").key_node("b")
    assert _loc(sf.node_span(key)) == (6, 3, 6, 4)


def test_position_line_span_and_line_text():
    text = "a: 1\r\nbb: 2\r\n"
    sf = SourceFile("x.yml", "/x.yml", text)
    first = sf.position(0)
    assert (first.line, first.column, first.offset) == (1, 1, 0)
    p = sf.position(7)
    assert (p.line, p.column, p.offset) == (2, 2, 7)
    assert _loc(sf.line_span(2)) == (2, 1, 2, 6)
    assert sf.line_text(2) == "bb: 2"
    assert sf.line_text(9) == ""
    end = sf.position(10_000)
    assert (end.line, end.column, end.offset) == (3, 1, len(text))


def test_columns_count_code_points():
    text = "run: |\n  echo \U0001f680 \u00e9 $X\n"
    sf, root = _file(text)
    run = root.get("run")
    i = run.value.index("$X")
    assert _loc(sf.scalar_span(run, i, i + 2)) == (2, 12, 2, 14)


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_unicode_line_separators_do_not_shift_lines(separator):
    # YAML (1.1, libyaml) breaks lines at these characters, GitHub and editors do not
    text = f"name: 'x{separator}y'\non: push\njobs:\n  build:\n    runs-on: |\n      FLAG\n"
    sf, root = _file(text)
    key = root.get("jobs").key_node("build")
    assert _loc(sf.node_span(key)) == (4, 3, 4, 8)
    value = root.get("jobs").get("build").get("runs-on")
    assert _loc(sf.node_span(value)) == (5, 14, 6, 11)
    assert _loc(sf.scalar_span(value, 0, 4)) == (6, 7, 6, 11)
