"""Fingerprints that let code scanning recognise the same finding across runs.

Two kinds are computed here:

``primaryLocationLineHash``
    The value GitHub code scanning expects in a SARIF result's
    ``partialFingerprints.primaryLocationLineHash``.  It is reproduced exactly as
    github/codeql-action computes it (``src/fingerprints.ts``, function ``hash``),
    so that alerts uploaded from this linter are matched the same way as alerts
    whose fingerprints the action filled in itself.

    The algorithm, restated:

    * The file is read as UTF-16 code units (JavaScript ``charCodeAt``), so a
      character outside the Basic Multilingual Plane counts as two units.
    * Spaces (U+0020) and tabs (U+0009) are dropped everywhere.  ``\\r\\n`` and
      a lone ``\\r`` both become ``\\n``; the ``\\n`` of ``\\r\\n`` is dropped only
      when it *immediately* follows the ``\\r`` in the raw text (``"\\r \\n"`` is
      therefore two line breaks).  No other character is a line break.
    * One sentinel unit 65535 marks the end of the file, followed by 100 zeros.
    * Line ``k`` starts at the first unit after the ``k-1``-th ``\\n`` of this
      normalised stream (line 1 at the start).  A file ending in a newline thus
      has one more line, which starts at the sentinel; an empty file has one
      line.
    * The hash of a line is the polynomial hash of the 100 units starting at its
      first unit, ``sum(u[p+i] * 37**(99-i))`` modulo 2**64, written in lower-case
      hexadecimal without leading zeros.
    * Hashes are emitted in line order; the suffix ``:N`` says this is the N-th
      line of the file (counting from 1) with that hash value.

    Line numbers are codeql-action's: a lone ``\\r`` ends a line there.  The
    action looks a result up by ``region.startLine`` and, if there is no
    region, by line 1; a line past the end gets no fingerprint at all, which is
    what the empty string returned here stands for.

``logical_fingerprint``
    A line-independent fingerprint of our own (see its docstring).

Only the standard library is used.
"""

from __future__ import annotations

import hashlib
import sys
from array import array
from functools import lru_cache
from itertools import accumulate, chain, repeat

__all__ = [
    "BLOCK_SIZE",
    "line_hashes",
    "primary_location_line_hash",
    "logical_fingerprint",
]

BLOCK_SIZE = 100  # units hashed per line
_BASE = 37  # multiplier of the polynomial hash
_MASK = (1 << 64) - 1  # arithmetic is modulo 2**64 (JavaScript ``Long``)
_BASE_POW_BLOCK = pow(_BASE, BLOCK_SIZE, 1 << 64)
_END_OF_FILE = 0xFFFF  # sentinel unit after the last character
_LF = 10


def _units(text: str) -> tuple[bytes | array, list[int]]:
    """The normalised UTF-16 code units of ``text`` and the index where each line starts.

    The sentinel is not included in the units; the last line start may equal
    ``len(units)``, i.e. the line begins at the sentinel.
    """
    # Order matters: CRLF is merged before spaces and tabs disappear, since a
    # space between CR and LF keeps them two separate breaks.
    norm = text.replace("\r\n", "\n").replace("\r", "\n").replace(" ", "").replace("\t", "")
    if norm.isascii():
        units: bytes | array = norm.encode("ascii")
        starts = [0]
        find = norm.find
        i = find("\n")
        while i >= 0:
            starts.append(i + 1)
            i = find("\n", i + 1)
    else:
        units = array("H")
        units.frombytes(norm.encode("utf-16-le", "surrogatepass"))
        if sys.byteorder == "big":
            units.byteswap()
        starts = [0]
        starts.extend(i + 1 for i, u in enumerate(units) if u == _LF)
    return units, starts


def _step(acc: int, unit: int) -> int:
    return (acc * _BASE + unit) & _MASK


@lru_cache(maxsize=16)
def _line_hashes(text: str) -> tuple[str, ...]:
    units, starts = _units(text)
    # prefix[i] is the hash of the first i units of the padded stream, so the
    # hash of the block [p, p + BLOCK_SIZE) is
    # prefix[p + BLOCK_SIZE] - prefix[p] * BASE**BLOCK_SIZE  (mod 2**64).
    padded = chain(units, (_END_OF_FILE,), repeat(0, BLOCK_SIZE))
    prefix = list(accumulate(padded, _step, initial=0))
    counts: dict[str, int] = {}
    out = []
    for p in starts:
        value = format((prefix[p + BLOCK_SIZE] - prefix[p] * _BASE_POW_BLOCK) & _MASK, "x")
        n = counts.get(value, 0) + 1
        counts[value] = n
        out.append(f"{value}:{n}")
    return tuple(out)


def line_hashes(text: str) -> list[str]:
    """``primaryLocationLineHash`` for every line of ``text``; index 0 is line 1.

    Runs in time linear in the length of ``text``.  Lines are counted as
    codeql-action counts them (``\\r\\n``, ``\\r`` and ``\\n`` end a line; a
    trailing newline opens one more, empty, line).
    """
    return list(_line_hashes(text))


def primary_location_line_hash(text: str, line: int) -> str:
    """``partialFingerprints.primaryLocationLineHash`` of 1-based ``line`` in ``text``.

    ``text`` is the whole file as decoded from UTF-8 (keep a byte-order mark if
    the file has one: codeql-action hashes it as a character).  Returns ``""``
    when ``line`` is not a line of the file, the case in which codeql-action
    leaves the fingerprint unset.  The hashes of a text are computed once and
    cached, so asking for many lines of the same file is cheap.
    """
    hashes = _line_hashes(text)
    if 1 <= line <= len(hashes):
        return hashes[line - 1]
    return ""


def _normalise_snippet(snippet: str) -> str:
    return " ".join(snippet.split())


def logical_fingerprint(code: str, path: str, logical_path: str, snippet: str) -> str:
    """A fingerprint of a finding that does not depend on its line number.

    It is the first 32 hexadecimal digits of the SHA-256 of, separated by NUL:
    the rule ``code``; the repository-relative ``path`` (``\\`` turned into
    ``/``, a leading ``./`` dropped); the ``logical_path`` of the offending node
    in the document, e.g. ``jobs.deploy.steps[2].run``; and the offending
    ``snippet`` with every run of whitespace collapsed to one space and the ends
    stripped.

    Why these parts: a finding keeps its identity when lines are inserted or
    removed above it, when the file is re-indented or reflowed, or when a block
    is moved without changing its place in the document's structure - none of
    those touch the inputs, whereas ``primaryLocationLineHash`` can change
    because it hashes whatever the 100 following characters happen to be.
    Editing the offending text itself (the snippet), moving it to another
    logical location (another job or step), renaming the file, or a different
    rule firing gives a different fingerprint, which is what a changed finding
    should get.
    """
    rel = path.replace("\\", "/")
    while rel.startswith("./"):
        rel = rel[2:]
    payload = "\0".join((code, rel, logical_path, _normalise_snippet(snippet)))
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()[:32]
