"""Where reported files live and what they hold, for reporters that name findings across
runs (SARIF, GitLab Code Quality, the baseline): repository-relative URIs, file texts,
line hashes and the snippets fingerprints are made of. Files are read once each."""

from __future__ import annotations

import os
from pathlib import Path

from ..fingerprints import line_hashes, logical_fingerprint


def repository_root(start: str, default: str | None = None) -> str:
    """The nearest folder at or above ``start`` holding ``.git``, else ``default`` (the cwd)."""
    here = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return os.path.abspath(default or os.getcwd())
        here = parent


def artifact_root(cwd: str, files: list[str]) -> str:
    """The root that every reported file's URI is relative to.

    The repository that holds the reported files (not the one of the current directory:
    ``pipelint /checkout`` may run from anywhere); without a repository, the current
    directory when it holds every file, else the files' common folder.
    """
    if not files:
        return repository_root(cwd, cwd)
    try:
        common = os.path.commonpath(files)
    except ValueError:  # different drives
        return repository_root(cwd, cwd)
    if os.path.isfile(common):
        common = os.path.dirname(common)
    inside_cwd = all(_inside(f, cwd) for f in files)
    return repository_root(common, cwd if inside_cwd else common)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


class Sources:
    """Repository-relative URIs and file texts (for fingerprints), cached per file."""

    @classmethod
    def of(cls, result) -> Sources:
        """Rooted at the repository that holds the files ``result`` reports on."""
        cwd = os.path.abspath(result.root or os.getcwd())
        reported = {d.path for d in result.diagnostics} | {r.span.path for d in result.diagnostics for r in d.related}
        absolute = sorted({os.path.normpath(p if os.path.isabs(p) else os.path.join(cwd, p)) for p in reported})
        return cls(artifact_root(cwd, absolute), cwd)

    def __init__(self, root: str, cwd: str):
        self.root = root
        self.cwd = cwd
        self._hashes: dict[str, list[str] | None] = {}
        self._texts: dict[str, str | None] = {}

    def absolute(self, path: str) -> str:
        return os.path.normpath(path if os.path.isabs(path) else os.path.join(self.cwd, path))

    def uri(self, path: str) -> str:
        absolute = self.absolute(path)
        try:
            rel = os.path.relpath(absolute, self.root)
        except ValueError:  # another drive
            rel = ".."
        if rel == ".." or rel.startswith(".." + os.sep):
            return Path(absolute).as_uri()
        return rel.replace(os.sep, "/")

    def artifact(self, path: str) -> dict:
        """An artifactLocation: relative to %SRCROOT%, or an absolute URI without a base."""
        uri = self.uri(path)
        if uri.startswith("file:"):
            return {"uri": uri}
        return {"uri": uri, "uriBaseId": "%SRCROOT%"}

    def text(self, path: str) -> str | None:
        if path not in self._texts:
            absolute = path if os.path.isabs(path) else os.path.join(self.cwd, path)
            try:
                with open(absolute, encoding="utf-8", errors="replace", newline="") as fh:
                    self._texts[path] = fh.read()
            except OSError:
                self._texts[path] = None
        return self._texts[path]

    def line_hash(self, path: str, line: int) -> str | None:
        if path not in self._hashes:
            text = self.text(path)
            self._hashes[path] = line_hashes(text) if text is not None else None
        hashes = self._hashes[path]
        if hashes and 1 <= line <= len(hashes):
            return hashes[line - 1]
        return None

    def snippet(self, path: str, span) -> str:
        text = self.text(path)
        if text is None:
            return ""
        # the lines and columns of spans: '\n'-separated, after the byte-order mark
        lines = [line.rstrip("\r") for line in text.removeprefix("\ufeff").split("\n")]
        if not 1 <= span.start.line <= len(lines):
            return ""
        if span.start.line == span.end.line:
            return lines[span.start.line - 1][span.start.column - 1 : span.end.column - 1]
        return lines[span.start.line - 1][span.start.column - 1 :]

    def fingerprint(self, d) -> str:
        """The finding's line-independent fingerprint (:func:`logical_fingerprint`)."""
        return logical_fingerprint(d.code, self.uri(d.path), d.logical_path, self.snippet(d.path, d.span))

    def fingerprints(self, diagnostics) -> list[str]:
        """One fingerprint per diagnostic, unique within the list: the n-th repeat of a
        fingerprint (the same finding twice in one file) gets ``:n`` appended, n >= 2."""
        seen: dict[str, int] = {}
        out = []
        for d in diagnostics:
            fp = self.fingerprint(d)
            seen[fp] = n = seen.get(fp, 0) + 1
            out.append(fp if n == 1 else f"{fp}:{n}")
        return out
