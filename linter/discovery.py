"""Finding the files to lint.

Directories are walked honouring ``.gitignore`` files (at every level, with negation) and
the config's ``exclude``; symlinks are followed only while they stay inside the walked
root and never twice (no loops). Files named on the command line are always linted:
pre-commit passes file names, and a user who names a file wants it read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .classify import FileKind, kind_for_path


class VerboseNotice(str):
    """A notice shown only with ``--verbose``: pre-commit names every staged YAML file, and
    a line for each one that is not a pipeline would bury the findings."""


@dataclass(frozen=True)
class Candidate:
    abspath: str
    #: Path relative to the lint root, '/'-separated (what the classifier sees).
    relpath: str
    kind: FileKind
    explicit: bool = False
    #: Read only because a pipeline includes it (see ``ParsedFile.included``).
    included: bool = False


def _spec(lines: list[str]):
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)


def _read_ignore(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read().splitlines()
    except OSError:
        return []


class _Ignores:
    """Stack of (folder, spec) pairs; a path is ignored when the last matching rule says so."""

    def __init__(self, root: str, exclude: list[str]):
        self.layers: list[tuple[str, object]] = []
        if exclude:
            self.layers.append((root, _spec(exclude)))

    def ignored(self, abspath: str, is_dir: bool) -> bool:
        result = False
        for base, spec in self.layers:
            rel = os.path.relpath(abspath, base).replace(os.sep, "/")
            if rel.startswith(".."):
                continue
            if is_dir:
                rel += "/"
            check = spec.check_file(rel)
            if check.include is not None:
                result = check.include
        return result


SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".pipelint_cache"}


def walk(
    root: str,
    exclude: list[str] | None = None,
    notices: list[str] | None = None,
    exclude_base: str | None = None,
    others: dict[str, str] | None = None,
    listing: list[str] | None = None,
) -> list[Candidate]:
    """Candidates below ``root`` in a stable (sorted) order.

    ``exclude`` patterns are anchored at ``exclude_base`` (the config file's folder), so
    that ``/vendor`` means the same folder whichever sub-folder is linted. ``others``,
    when given, receives the YAML files no path test claims (absolute path -> path
    relative to ``root``): they are read only if a pipeline includes them. ``listing``,
    when given, receives the absolute path of every file and folder seen (the result
    cache keys on it: a file appearing can change what a reference resolves to).
    """
    root = os.path.abspath(root)
    real_root = os.path.realpath(root)
    ignores = _Ignores(os.path.abspath(exclude_base or root), exclude or [])
    out: list[Candidate] = []
    visited: set[str] = set()

    def visit(folder: str, real: str, prefix: str) -> None:
        # ``real``: the folder's resolved path (links resolved only where there is one);
        # ``prefix``: its path relative to ``root``, '/'-separated, with a trailing '/'
        if real in visited:
            return
        visited.add(real)
        pushed = False
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            if notices is not None:
                notices.append(f"skipped {folder}: {exc.strerror or exc}")
            entries = []
        gitignore = next((e for e in entries if e.name == ".gitignore"), None)
        if gitignore is not None and gitignore.is_file():
            lines = _read_ignore(gitignore.path)
            if lines:
                ignores.layers.append((folder, _spec(lines)))
                pushed = True
        if listing is not None:
            listing.extend(e.path for e in entries)
        for entry in entries:
            path = entry.path
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir()  # follows links
                is_file = entry.is_file()
            except OSError:
                continue
            if is_link:
                target = os.path.realpath(path)
                if not (target == real_root or target.startswith(real_root + os.sep)):
                    continue  # never leave the walked tree
            else:
                target = None  # its real path, for folders only: below
            if is_dir:
                if entry.name in SKIP_DIRS or ignores.ignored(path, True):
                    continue
                visit(path, target or os.path.join(real, entry.name), prefix + entry.name + "/")
            elif is_file:
                rel = prefix + entry.name
                # classified by the full path, like named files: `pipelint .github/workflows`
                # walks a root below `.github`, whose files must still count as workflows
                kind = kind_for_path(path.replace(os.sep, "/"))
                if kind is None:
                    if others is not None and entry.name.endswith((".yml", ".yaml")) and not ignores.ignored(path, False):
                        others[path] = rel
                    continue
                if ignores.ignored(path, False):
                    continue
                out.append(Candidate(path, rel, kind))
        if pushed:
            ignores.layers.pop()

    visit(root, real_root, "")
    return out


def names_under(root: str) -> list[str]:
    """The path of every file and folder below ``root`` (skipped folders aside; links are
    listed, not followed). For files named on the command line, whose folders are not
    walked: the result cache keys their repository's units on these names, as a walk's
    ``listing`` would (a file appearing beside them can change a reference)."""
    out: list[str] = []
    stack = [root]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            out.append(entry.path)
            try:
                if entry.name not in SKIP_DIRS and entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
            except OSError:
                continue
    return out


def collect(
    paths: list[str],
    exclude: list[str] | None = None,
    notices: list[str] | None = None,
    exclude_base: str | None = None,
    others: dict[str, str] | None = None,
    listing: list[str] | None = None,
) -> list[Candidate]:
    """Candidates for every path argument; explicit files are kept even when ignored.
    ``others`` and ``listing``: as for :func:`walk`, for the folders among ``paths``."""
    seen: set[str] = set()
    out: list[Candidate] = []
    for p in paths:
        if os.path.isdir(p):
            found = walk(p, exclude, notices, exclude_base, others, listing)
        elif os.path.isfile(p):
            rel = p.replace(os.sep, "/")
            kind = kind_for_path(os.path.abspath(p).replace(os.sep, "/"))
            found = [Candidate(os.path.abspath(p), rel, kind, explicit=True)] if kind else []
            if not kind and notices is not None:
                notices.append(VerboseNotice(f"skipped {rel}: not a kind of file pipelint reads"))
        else:
            if notices is not None:
                what = "not a regular file" if os.path.lexists(p) else "no such file or directory"
                notices.append(f"skipped {p}: {what}")
            found = []
        for c in found:
            if c.abspath not in seen:
                seen.add(c.abspath)
                out.append(c)
    return out
