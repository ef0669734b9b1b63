"""Applying fixes: text edits at source offsets, verified before anything is written.

A rule attaches a :class:`~pipelint.diagnostics.Fix` to a finding: text edits (file,
start/end offset into the decoded text, new text), a one-line description and an
applicability (``safe``: ``--fix`` applies it; ``unsafe``: only with ``--unsafe-fixes``;
``--diff`` and SARIF show both). Nothing here re-serialises a file: the new text is the
old text with the edits spliced in, so every byte outside them is kept.

:func:`fix` runs in passes, in memory: lint, take the fixes that do not overlap (a later
pass picks up the rest), apply them, re-lint the project with the changed texts and keep
a file's changes only if each of its fixes removed its finding and nothing new appeared
there (no PL001, no other finding). Passes end when nothing is left to try (at most
``max_passes``). :func:`write` then replaces each file atomically (temporary file in the
same folder, then rename), keeping its mode and byte-order mark, and only if the file on
disk is still what was linted. :func:`unified_diff` renders the changes for ``--diff``
(``a/``/``b/`` paths relative to the working folder: ``patch -p1`` applies them).
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field

from .diagnostics import Applicability, Diagnostic, Edit
from .loaded import read_bytes

MAX_PASSES = 10
_BOM = b"\xef\xbb\xbf"


class OverlapError(ValueError):
    """Two edits of one file touch the same text."""


def apply_edits(text: str, edits) -> str:
    """``text`` with ``edits`` (of one file) spliced in; overlapping edits are an error.

    Two insertions at the same offset are applied in the order given."""
    ordered = sorted(enumerate(edits), key=lambda p: (p[1].start, p[1].end, p[0]))
    out: list[str] = []
    pos = 0
    for _i, e in ordered:
        if e.start < pos or e.end < e.start or e.end > len(text):
            raise OverlapError(f"edit {e.start}-{e.end} overlaps an earlier edit or leaves the text")
        out.append(text[pos : e.start])
        out.append(e.text)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


def _touches(a: Edit, b: Edit) -> bool:
    """Whether two edits of one file conflict (insertions at one point conflict too:
    their order would be arbitrary)."""
    if a.start == a.end and b.start == b.end:
        return a.start == b.start
    return a.start < b.end and b.start < a.end or a.start == b.start


def wanted(d: Diagnostic, unsafe: bool) -> bool:
    return d.fix is not None and bool(d.fix.edits) and (unsafe or d.fix.applicability == Applicability.SAFE)


def key(d: Diagnostic) -> tuple:
    """A finding's identity across edits (positions move; its logical path does not)."""
    return (d.span.path, d.code, d.logical_path or d.message)


@dataclass
class Change:
    """One file's text before and after its accepted fixes."""

    abspath: str
    path: str  # as displayed (relative to the working folder)
    before: str
    after: str


@dataclass
class Outcome:
    """What :func:`fix` did: accepted fixes, refused ones (with why), the changes per
    file, and the lint result of the changed texts (what remains)."""

    fixed: list = field(default_factory=list)
    refused: list = field(default_factory=list)  # (Diagnostic, reason)
    changes: dict = field(default_factory=dict)  # abspath -> Change
    result: object = None
    passes: int = 0
    #: The lint before any fix: ``removed`` counts what the fixes took away (one fix may
    #: resolve several findings, e.g. every expression of one script).
    initial: object = None

    @property
    def removed(self) -> int:
        if self.initial is None or self.result is None:
            return len(self.fixed)
        return max(len(self.initial.active) - len(self.result.active), 0)


def _path_index(result) -> dict:
    """Displayed path -> absolute path of every linted file."""
    project = result.project
    return {f.file.path: f.file.abspath for f in project.files} if project is not None else {}


def fix(paths, settings, registry, *, unsafe: bool = False, cwd: str | None = None, max_passes: int = MAX_PASSES) -> Outcome:
    """Apply fixes in memory (see the module docstring); nothing is written."""
    from .engine import lint

    outcome = Outcome()
    texts: dict[str, str] = {}  # abspath -> current text (the overlay)
    originals: dict[str, str] = {}
    displayed: dict[str, str] = {}
    result = outcome.initial = lint(paths, settings, registry, cwd=cwd)
    tried: set = set()
    for _ in range(max_passes):
        by_path = _path_index(result)
        chosen: list[Diagnostic] = []
        taken: dict[str, list[Edit]] = {}
        for d in result.active:
            k = key(d)
            if not wanted(d, unsafe) or k in tried:
                continue
            if any(e.path not in by_path for e in d.fix.edits):
                tried.add(k)
                outcome.refused.append((d, "its fix edits a file that was not linted"))
                continue
            if any(_touches(e, other) for e in d.fix.edits for other in taken.get(e.path, ())):
                continue  # overlaps a fix chosen in this pass: the next pass re-lints and retries
            chosen.append(d)
            for e in d.fix.edits:
                taken.setdefault(e.path, []).append(e)
        if not chosen:
            break
        outcome.passes += 1
        tried.update(key(d) for d in chosen)
        candidate = dict(texts)
        per_file: dict[str, list[Diagnostic]] = {}
        broken: set[str] = set()
        for path, edits in taken.items():
            abspath = by_path[path]
            current = texts.get(abspath)
            if current is None:
                current = next(f.file.text for f in result.project.files if f.file.abspath == abspath)
                originals.setdefault(abspath, current)
            displayed[abspath] = path
            try:
                candidate[abspath] = apply_edits(current, edits)
            except OverlapError:
                broken.add(path)
        for d in chosen:
            for path in {e.path for e in d.fix.edits}:
                per_file.setdefault(path, []).append(d)
        after = lint(paths, settings, registry, cwd=cwd, overlay=candidate)
        failed = set(broken)
        reasons: dict[str, str] = {p: "its edits overlap" for p in broken}
        before_counts = Counter((d.span.path, d.code) for d in result.active)
        after_counts = Counter((d.span.path, d.code) for d in after.active)
        after_keys = {key(d) for d in after.active}
        for path, fixes in per_file.items():
            if path in failed:
                continue
            # Findings are counted per file and rule (their messages and logical paths may
            # mention positions, which the edits move): each rule must have lost at least
            # as many findings as it had fixes, and no other rule may have gained one.
            fixed_counts = Counter(d.code for d in fixes)
            codes = {c for (p, c) in set(before_counts) | set(after_counts) if p == path}
            for code in sorted(codes, key=lambda c: (c != "PL001", c)):
                if after_counts[(path, code)] <= before_counts[(path, code)] - fixed_counts[code]:
                    continue
                failed.add(path)
                if code == "PL001":
                    reasons[path] = "the fixed file does not parse (PL001)"
                elif fixed_counts[code] and any(key(d) in after_keys for d in fixes if d.code == code):
                    reasons[path] = "the fix did not remove its finding"
                else:
                    reasons[path] = f"the fix would add a {code} finding"
                break
        if failed:
            for path in failed:
                abspath = by_path[path]
                if abspath in texts:
                    candidate[abspath] = texts[abspath]
                else:
                    candidate.pop(abspath, None)
            for path in failed:
                for d in per_file.get(path, ()):
                    outcome.refused.append((d, reasons[path]))
            chosen = [d for d in chosen if not any(e.path in failed for e in d.fix.edits)]
            if not chosen:
                continue
            after = lint(paths, settings, registry, cwd=cwd, overlay=candidate)
        outcome.fixed.extend(chosen)
        texts = candidate
        result = after
    outcome.result = result
    for abspath, text in texts.items():
        if text != originals.get(abspath):
            outcome.changes[abspath] = Change(abspath, displayed.get(abspath, abspath), originals[abspath], text)
    return outcome


def unified_diff(changes) -> str:
    """The changes as one unified diff with ``a/`` and ``b/`` paths (``patch -p1``)."""
    out: list[str] = []
    for change in sorted(changes.values(), key=lambda c: c.path):
        path = change.path.replace(os.sep, "/")
        out.extend(
            difflib.unified_diff(
                change.before.splitlines(keepends=True),
                change.after.splitlines(keepends=True),
                fromfile=f"a/{path}",
                tofile=f"b/{path}",
            )
        )
    return "".join(_no_newline_markers(out))


def _no_newline_markers(lines: list[str]):
    """difflib leaves a last line without newline unmarked; patch needs the marker."""
    for line in lines:
        if line.endswith("\n") or line.startswith(("---", "+++", "@@")):
            yield line
        else:
            yield line + "\n\\ No newline at end of file\n"


def write(changes) -> list[str]:
    """Write each change atomically; the problems (one line each) of files left alone."""
    problems: list[str] = []
    for change in changes.values():
        if os.path.islink(change.abspath):
            # replacing it would turn the link into a copy; writing through it could reach
            # outside the project: the target is fixed when it is linted itself
            problems.append(f"{change.path}: is a symbolic link; not fixed (fix the file it points to)")
            continue
        try:
            data = read_bytes(change.abspath)
            st = os.stat(change.abspath)
        except FileNotFoundError:
            problems.append(f"{change.path}: the file vanished; not fixed")
            continue
        except OSError as exc:
            problems.append(f"{change.path}: {exc.strerror or exc}; not fixed")
            continue
        bom = data.startswith(_BOM)
        if data[len(_BOM) if bom else 0 :].decode("utf-8", "replace") != change.before:
            problems.append(f"{change.path}: the file changed while pipelint ran; not fixed")
            continue
        payload = (_BOM if bom else b"") + change.after.encode("utf-8")
        folder = os.path.dirname(change.abspath) or "."
        try:
            fd, tmp = tempfile.mkstemp(prefix=".pipelint-", dir=folder)
        except OSError as exc:
            problems.append(f"{change.path}: cannot write in its folder ({exc.strerror or exc}); not fixed")
            continue
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
            os.chmod(tmp, st.st_mode & 0o7777)
            os.replace(tmp, change.abspath)
        except OSError as exc:
            problems.append(f"{change.path}: {exc.strerror or exc}; not fixed")
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return problems
