"""Tests for pipelint.fingerprints.

The expected ``primaryLocationLineHash`` values below are taken verbatim from
github/codeql-action:

* ``src/fingerprints.test.ts`` (test "hash"): inputs and the hash the action's
  ``hash`` function emits for each line;
* ``src/testdata/fingerprinting.expected.sarif`` with ``src/testdata/testFile1.js``
  and ``src/testdata/testFile2.js`` (test "addFingerprints"): whole files and
  the fingerprint of a result on a given line.

Further cases are checked against a slow, literal simulation of the action's
character-by-character state machine (``_reference``) written for this test.
"""

from __future__ import annotations

import random
import time

import pytest

from pipelint.fingerprints import (
    line_hashes,
    logical_fingerprint,
    primary_location_line_hash,
)

# --------------------------------------------------------------- upstream data
# (input, expected hashes for lines 1..n) from codeql-action src/fingerprints.test.ts
_GREETINGS_WITH_FINAL_NEWLINE = [
    "e9496ae3ebfced30:1",
    "fb7c023a8b9ccb3f:1",
    "ce8ba1a563dcdaca:1",
    "e20e36e16fcb0cc8:1",
    "b3edc88f2938467e:1",
    "c8e28b0b4002a3a0:1",
    "c129715d7a2bc9a3:1",
]

UPSTREAM_VECTORS = [
    ("", ["c129715d7a2bc9a3:1"]),
    (
        " a\nb\n  \t\tc\n d",
        ["271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"],
    ),
    (
        " hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End",
        [
            "8b7cf3e952e7aeb2:1",
            "b1ae1287ec4718d9:1",
            "bff680108adb0fcc:1",
            "c6805c5e1288b612:1",
            "b86d3392aea1be30:1",
            "e6ceba753e1a442:1",
        ],
    ),
    # The same text with LF, CR, CRLF and mixed line endings: identical hashes.
    (" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n", _GREETINGS_WITH_FINAL_NEWLINE),
    (" hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r", _GREETINGS_WITH_FINAL_NEWLINE),
    (" hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n", _GREETINGS_WITH_FINAL_NEWLINE),
    (" hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n", _GREETINGS_WITH_FINAL_NEWLINE),
    (
        "Lorem ipsum dolor sit amet.\n" * 10,
        [
            "a7f2ff13bc495cf2:1",
            "a7f2ff13bc495cf2:2",
            "a7f2ff13bc495cf2:3",
            "a7f2ff13bc495cf2:4",
            "a7f2ff13bc495cf2:5",
            "a7f2ff13bc495cf2:6",
            "a7f2ff1481e87703:1",
            "a9cf91f7bbf1862b:1",
            "55ec222b86bcae53:1",
            "cc97dc7b1d7d8f7b:1",
            "c129715d7a2bc9a3:1",
        ],
    ),
    (
        "x = 2\nx = 1\nprint(x)\nx = 3\nprint(x)\nx = 4\nprint(x)\n",
        [
            "e54938cc54b302f1:1",
            "bb609acbe9138d60:1",
            "1131fd5871777f34:1",
            "5c482a0f8b35ea28:1",
            "54517377da7028d2:1",
            "2c644846cb18d53e:1",
            "f1b89f20de0d133:1",
            "c129715d7a2bc9a3:1",
        ],
    ),
]


@pytest.mark.parametrize("text,expected", UPSTREAM_VECTORS)
def test_upstream_hash_vectors(text, expected):
    assert line_hashes(text) == expected
    for line, value in enumerate(expected, start=1):
        assert primary_location_line_hash(text, line) == value


def test_upstream_sarif_end_to_end():
    # src/testdata/testFile1.js, result at startLine 1
    assert (
        primary_location_line_hash("var a = 0;\nvar b = 0;\nvar c = 0;\nvar d = 0;\n", 1)
        == "5e4d5a9cf1294ad9:1"
    )
    # src/testdata/testFile2.js, result at startLine 2
    assert (
        primary_location_line_hash("var foo = 0;\nvar bar = 0;\nvar baz = 0;\nvar qux = 0;\n", 2)
        == "f7592a95a9381ac0:1"
    )


# ------------------------------------------------------------ reference model
def _reference(text: str) -> list[str]:
    """Literal simulation of the action's state machine (slow; for checking only)."""
    block, mask = 100, (1 << 64) - 1
    first_mod = pow(37, block) & mask
    window = [0] * block
    line_at = [-1] * block
    state = {"h": 0, "i": 0}
    counts: dict[str, int] = {}
    out: dict[int, str] = {}

    def emit():
        value = format(state["h"], "x")
        counts[value] = counts.get(value, 0) + 1
        out[line_at[state["i"]]] = f"{value}:{counts[value]}"
        line_at[state["i"]] = -1

    def push(c):
        i = state["i"]
        old = window[i]
        window[i] = c
        state["h"] = (37 * state["h"] + c - first_mod * old) & mask
        state["i"] = (i + 1) % block

    utf16 = text.encode("utf-16-le", "surrogatepass")
    units = [int.from_bytes(utf16[k : k + 2], "little") for k in range(0, len(utf16), 2)]
    line, at_start, prev_cr = 0, True, False
    for c in units + [65535]:
        if c in (32, 9) or (prev_cr and c == 10):
            prev_cr = False
            continue
        prev_cr = c == 13
        if prev_cr:
            c = 10
        if line_at[state["i"]] != -1:
            emit()
        if at_start:
            at_start = False
            line += 1
            line_at[state["i"]] = line
        if c == 10:
            at_start = True
        push(c)
    for _ in range(block):
        if line_at[state["i"]] != -1:
            emit()
        push(0)
    assert sorted(out) == list(range(1, line + 1))
    return [out[k] for k in range(1, line + 1)]


@pytest.mark.parametrize("text,expected", UPSTREAM_VECTORS)
def test_reference_model_agrees_with_upstream(text, expected):
    assert _reference(text) == expected


def test_random_texts_match_reference():
    rng = random.Random(20240601)
    alphabet = ["a", "b", "x", "=", " ", "\t", "\n", "\r", "\r\n", "é", "\u2028", "\U0001f600", "\ufeff"]
    for _ in range(200):
        n = rng.randrange(0, 400)
        text = "".join(rng.choice(alphabet) for _ in range(n))
        assert line_hashes(text) == _reference(text), repr(text)


# ------------------------------------------------------------------ behaviours
def test_crlf_and_lf_give_identical_hashes():
    lf = "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n" * 5
    assert line_hashes(lf.replace("\n", "\r\n")) == line_hashes(lf)
    assert line_hashes(lf.replace("\n", "\r")) == line_hashes(lf)


def test_cr_space_lf_is_two_line_breaks():
    # The LF is folded into a preceding CR only when it follows it directly.
    assert len(line_hashes("a\r\nb")) == 2
    assert len(line_hashes("a\r \nb")) == 3
    assert line_hashes("a\r \nb") == line_hashes("a\n\nb") == _reference("a\r \nb")


def test_whitespace_is_ignored():
    assert line_hashes("a b\tc\nd") == line_hashes("abc\n  d")


def test_repeated_lines_count_up():
    text = "- run: echo hi\n" * 300
    hashes = line_hashes(text)
    assert len(hashes) == 301
    # Every line whose 100-unit window lies entirely within the repetition has the
    # same value (the pattern period, 13 units, and the window are independent
    # of position); the suffix is the occurrence number.
    value = hashes[0].split(":")[0]
    same = [h for h in hashes if h.split(":")[0] == value]
    assert same == [f"{value}:{k}" for k in range(1, len(same) + 1)]
    assert len(same) > 290
    assert hashes[-1] == "c129715d7a2bc9a3:1"  # the empty line after the final newline


def test_empty_file_and_lines_outside_the_file():
    assert line_hashes("") == ["c129715d7a2bc9a3:1"]
    assert primary_location_line_hash("", 1) == "c129715d7a2bc9a3:1"
    assert primary_location_line_hash("", 2) == ""
    assert primary_location_line_hash("a\nb", 3) == ""
    assert primary_location_line_hash("a\nb", 0) == ""
    assert primary_location_line_hash("a\nb", -1) == ""


def test_long_line_only_first_100_units_count():
    head = "x" * 100
    a = head + "AAAA\nnext"
    b = head + "BBBB\nnext"
    assert line_hashes(a)[0] == line_hashes(b)[0]
    assert line_hashes(a)[1] == line_hashes(b)[1]


def test_non_bmp_counts_as_two_units():
    # One astral character (a surrogate pair in UTF-16) shifts the window by two units.
    text = "\U0001f600" + "y" * 120 + "\nz"
    assert line_hashes(text) == _reference(text)
    assert line_hashes(text) != line_hashes("\u00e9" + "y" * 120 + "\nz")


def test_line_hashes_returns_fresh_list():
    h = line_hashes("a\nb")
    h.append("junk")
    assert line_hashes("a\nb") == _reference("a\nb")


def test_speed_50kb():
    rng = random.Random(7)
    words = ["steps:", "- uses: actions/checkout@v4", "run: |", "echo ${{ github.sha }}", "name: build"]
    lines = []
    size = 0
    while size < 50_000:
        line = "  " * rng.randrange(0, 5) + rng.choice(words)
        lines.append(line)
        size += len(line) + 1
    text = "\n".join(lines) + "\n"
    start = time.perf_counter()
    hashes = line_hashes(text)
    elapsed = time.perf_counter() - start
    assert len(hashes) == len(lines) + 1
    assert elapsed < 0.5, elapsed
    # cached: a second look-up of the same text does no hashing
    start = time.perf_counter()
    for line in range(1, len(lines) + 1):
        primary_location_line_hash(text, line)
    assert time.perf_counter() - start < 0.5


# --------------------------------------------------------- logical fingerprint
def test_logical_fingerprint_shape_and_stability():
    fp = logical_fingerprint("PL001", "wf/ci.yml", "jobs.deploy.steps[2].run", "curl x | sh")
    assert len(fp) == 32 and all(c in "0123456789abcdef" for c in fp)
    # whitespace differences (re-indentation, reflow) do not matter
    assert fp == logical_fingerprint("PL001", "wf/ci.yml", "jobs.deploy.steps[2].run", "  curl  x\n | sh\n")
    assert fp == logical_fingerprint("PL001", "./wf/ci.yml", "jobs.deploy.steps[2].run", "curl x | sh")
    assert fp == logical_fingerprint("PL001", "wf\\ci.yml", "jobs.deploy.steps[2].run", "curl x | sh")


def test_logical_fingerprint_changes_with_each_part():
    base = ("PL001", "wf/ci.yml", "jobs.deploy.steps[2].run", "curl x | sh")
    fp = logical_fingerprint(*base)
    for i, other in enumerate(["PL002", "wf/cd.yml", "jobs.deploy.steps[3].run", "curl y | sh"]):
        args = list(base)
        args[i] = other
        assert logical_fingerprint(*args) != fp
    # fields are separated, so shifting text between them changes the result
    assert logical_fingerprint("a", "bc", "d", "e") != logical_fingerprint("ab", "c", "d", "e")


def test_logical_fingerprint_ignores_surroundings_unlike_line_hash():
    # primaryLocationLineHash covers the 100 non-blank units from the start of the
    # line, so text added just *below* the finding changes it; the logical
    # fingerprint only sees the finding itself.
    step = "      - run: curl https://example.invalid/x | sh\n"
    before = "jobs:\n  deploy:\n    steps:\n" + step
    after = before + "      - run: echo done\n"
    moved = "# a comment added above\n" + before
    assert primary_location_line_hash(before, 4) != primary_location_line_hash(after, 4)
    # a pure shift down keeps the line hash too (it does not look backwards)
    assert primary_location_line_hash(before, 4) == primary_location_line_hash(moved, 5)
    snippet = step.strip()
    fp = logical_fingerprint("PL001", "ci.yml", "jobs.deploy.steps[0].run", snippet)
    assert fp == logical_fingerprint("PL001", "ci.yml", "jobs.deploy.steps[0].run", "- run:  curl https://example.invalid/x | sh")
    assert fp != logical_fingerprint("PL001", "ci.yml", "jobs.deploy.steps[0].run", "- run: curl https://example.invalid/y | sh")
