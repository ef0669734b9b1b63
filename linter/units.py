"""Units: the independent parts of a run, the grain of the process pool and the cache.

Every cross-file relation pipelint models stays inside one repository and one family of
files: workflows, includes, templates and the manifests they deploy (YAML), migrations
and their undo scripts (SQL). Dockerfiles relate to nothing. So a run splits, before any
file is read, into units that can be linted apart, in any order, in any process, with
the same findings:

- a Dockerfile is a unit of its own;
- migrations are paired within their folder, or (Flyway's V and U scripts in sibling
  locations) within its parent: the migrations under one grandparent folder of a
  repository are one unit;
- the YAML files (pipelines and manifests) of one repository are one unit.

A file's *repository* is the nearest folder above it holding ``.git``, ``.github`` or
``.gitlab-ci.yml`` (the places GitHub and GitLab read only at a repository's root);
files with none of these above them share one unnamed repository: the run's. A
project-scoped rule therefore runs once per unit; it sees every file it can relate.
The split is the same whatever ``--jobs`` says, so output never depends on it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from . import classify
from .discovery import Candidate

#: What marks a repository's root folder.
MARKERS = (".git", ".github", ".gitlab-ci.yml")


@dataclass
class Unit:
    family: str  # "yaml", "sql" or "docker"
    root: str | None  # the repository folder (None: the run's own)
    candidates: list[Candidate] = field(default_factory=list)
    #: YAML files no path test claimed, read if a pipeline of this unit includes them.
    others: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        where = self.root or "(no repository marker)"
        if self.family == "docker":
            return self.candidates[0].abspath
        return f"{self.family} files of {where}"


class _Roots:
    """Nearest marked folder of a path, memoised per folder. ``listed`` (every path the
    walk saw) and ``walked`` (the folders walked) answer "does F/.git exist" for folders
    inside the walk without a system call; folders above it are asked the file system."""

    def __init__(self, listed: set[str] | None = None, walked: frozenset[str] = frozenset()):
        self._memo: dict[str, str | None] = {}
        self._listed = listed
        self._walked = walked

    def _marked(self, folder: str) -> bool:
        prefix = folder if folder.endswith(os.sep) else folder + os.sep
        if self._listed is not None and (folder in self._walked or folder in self._listed):
            return any(prefix + m in self._listed for m in MARKERS)
        return any(os.path.lexists(prefix + m) for m in MARKERS)

    def of(self, abspath: str) -> str | None:
        folder = os.path.dirname(abspath)
        trail = []
        found = None
        while True:
            if folder in self._memo:
                found = self._memo[folder]
                break
            trail.append(folder)
            if self._marked(folder):
                found = folder
                break
            parent = os.path.dirname(folder)
            if parent == folder:
                break
            folder = parent
        for f in trail:
            self._memo[f] = found
        return found


def family_of(candidate: Candidate) -> str:
    """The family of every kind the candidate may turn out to be (a weak path match may
    fall through to later kinds: a YAML file under ``ci/`` is a pipeline or a manifest)."""
    if candidate.kind.name not in ("dockerfile", "migration"):
        return "yaml"  # YAML kinds fall through to YAML kinds only
    kinds = [candidate.kind] + classify.later_kinds(candidate.kind, candidate.abspath)
    names = {k.name for k in kinds}
    if names == {"dockerfile"}:
        return "docker"
    if names == {"migration"}:
        return "sql"
    return "yaml"


def split(candidates: list[Candidate], others: dict[str, str], listing: list[str] | None = None, walked=()) -> list[Unit]:
    """The units of a run, in the order of their first file in ``candidates``.
    ``listing``/``walked``: what the discovery walk saw, and the folders it walked."""
    roots = _Roots(set(listing), frozenset(os.path.abspath(w) for w in walked)) if listing is not None else _Roots()
    units: dict[tuple, Unit] = {}
    for c in candidates:
        family = family_of(c)
        root = roots.of(c.abspath)
        if family == "docker":
            key: tuple = ("docker", c.abspath)
        elif family == "sql":
            key = ("sql", root, os.path.dirname(os.path.dirname(c.abspath)))
        else:
            key = ("yaml", root)
        unit = units.get(key)
        if unit is None:
            unit = units[key] = Unit(family, root)
        unit.candidates.append(c)
    for abspath, rel in others.items():
        unit = units.get(("yaml", roots.of(abspath)))
        if unit is not None:
            unit.others[abspath] = rel
    return list(units.values())
