"""The model of a SQL migration: its layout, direction, statements and schema changes.

A :class:`Migration` is one migration file as its tool sees it: a Flyway ``V``/``U``
script, a ``.undo.sql`` sibling, a golang-migrate / dbmate ``.up.sql`` / ``.down.sql``
half, a Diesel ``up.sql`` / ``down.sql``, or a single file with ``Up``/``Down`` sections
(sql-migrate, goose, dbmate). Each :class:`Statement` keeps its exact offsets in the file
and the :class:`Change` records the parser extracted from it, which do not depend on the
SQL dialect. :func:`pairs` pairs every forward script with its undo across the project.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Iterator

from .backref import Owner

# layouts
FLYWAY = "flyway"  # V<ver>__<desc>.sql / U<ver>__<desc>.sql
UNDO_SIBLING = "undo-sibling"  # <name>.sql + <name>.undo.sql
UP_DOWN = "up-down"  # <n>_<name>.up.sql / .down.sql
DIESEL = "diesel"  # <version>_<name>/up.sql + down.sql
SECTIONS = "sections"  # -- +migrate Up/Down, -- +goose Up/Down, -- migrate:up/down

FORWARD, UNDO, BOTH = "forward", "undo", "both"

#: Change kinds that PL701 reports in a forward script.
DESTRUCTIVE = frozenset(
    {
        "drop_table",
        "drop_column",
        "drop_schema",
        "rename_table",
        "rename_column",
        "alter_column_type",
        "set_not_null",
        "add_column_not_null",
        "truncate",
        "delete_all",
        "update_all",
    }
)


def bare(name: str | None) -> str:
    """An identifier without schema or quotes, lower-cased: how forward and undo scripts
    name the same object (one may qualify it with its schema, the other not)."""
    if not name:
        return ""
    return name.rsplit(".", 1)[-1].strip('"`[]').lower()


@dataclass(eq=False)
class Change:
    """One schema or data change of a statement, independent of the dialect.

    ``kind``: create_table, drop_table, rename_table, add_column, add_column_not_null
    (a NOT NULL column without DEFAULT; also counted as add_column), drop_column,
    rename_column, alter_column_type, set_not_null, create_index, drop_index,
    rename_index, add_constraint, drop_constraint, rename_constraint, create_schema,
    drop_schema, truncate, delete_all, update_all (no WHERE), update (with WHERE).
    Names are :func:`bare`; ``schema`` keeps the qualifier where one was written.
    """

    kind: str
    table: str = ""
    column: str = ""
    name: str = ""  # index / constraint / schema name
    new_name: str = ""  # renames
    schema: str = ""
    concurrently: bool = False
    cascade: bool = False
    only: bool = False  # CREATE INDEX ON ONLY parent (partitioned)
    columns: tuple[str, ...] = ()  # UPDATE: the columns it sets
    statement: "Statement | None" = Owner(optional=True)  # weak (see backref)

    def describe(self) -> str:
        what = {
            "create_table": f"table {self.table}",
            "add_column": f"column {self.table}.{self.column}",
            "create_index": f"index {self.name}",
            "add_constraint": f"constraint {self.name}",
            "rename_table": f"rename of table {self.table} to {self.new_name}",
            "rename_column": f"rename of column {self.table}.{self.column} to {self.new_name}",
        }
        return what.get(self.kind, self.kind)


@dataclass(eq=False)
class Statement:
    """One SQL statement: exact ``start``/``end`` offsets in the file's text, the parsed
    node (pglast or sqlglot; None when the parser could not read it) and its changes."""

    start: int
    end: int
    node: object = None
    section: str = FORWARD  # FORWARD or UNDO: which half of the migration it belongs to
    changes: list[Change] = field(default_factory=list)
    #: The parser could not read it (procedural body, meta-command, other syntax).
    unreadable: bool = False
    #: Procedural code (DO block, function body) whose effects are not known.
    procedural: bool = False


@dataclass(eq=False)
class Section:
    """A half of a single-file migration: from its marker to the next marker."""

    direction: str  # FORWARD or UNDO
    start: int  # offset of the marker comment
    end: int
    marker_end: int  # end of the marker line: where its statements begin


@dataclass(eq=False)
class Migration:
    file: object  # SourceFile
    layout: str
    version: str  # the key that pairs forward and undo (Flyway version, file stem, folder)
    name: str
    direction: str  # FORWARD, UNDO or BOTH (single file with sections)
    dialect: str = "postgres"
    sections: list[Section] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    #: Folder of the file (relative path), for pairing.
    folder: str = ""

    @property
    def path(self) -> str:
        return self.file.path

    def statements_of(self, direction: str) -> list[Statement]:
        return [s for s in self.statements if s.section == direction]

    def has(self, direction: str) -> bool:
        """The migration has this half (a file of that direction, or a section)."""
        if self.direction == BOTH:
            return any(s.direction == direction for s in self.sections)
        return self.direction == direction

    def section(self, direction: str) -> Section | None:
        for s in self.sections:
            if s.direction == direction:
                return s
        return None

    def changes(self, direction: str) -> Iterator[Change]:
        for st in self.statements:
            if st.section == direction:
                yield from st.changes


# ------------------------------------------------------------------ naming

_FLYWAY = re.compile(r"^(?P<kind>[VU])(?P<ver>\d[\w.]*?)__(?P<desc>.+)\.sql$", re.IGNORECASE)
_UP_DOWN = re.compile(r"^(?P<stem>.+)\.(?P<dir>up|down)\.sql$", re.IGNORECASE)
_UNDO = re.compile(r"^(?P<stem>.+)\.undo\.sql$", re.IGNORECASE)
_DIESEL = re.compile(r"^(?P<dir>up|down)\.sql$", re.IGNORECASE)


def identify(path: str) -> tuple[str, str, str, str] | None:
    """(layout, version key, name, direction) from a file's path, or None when only its
    section markers can make it a migration."""
    path = path.replace("\\", "/")
    base = path.rsplit("/", 1)[-1]
    folder = path.rsplit("/", 1)[0] if "/" in path else ""
    m = _UNDO.match(base)
    if m:
        return UNDO_SIBLING, m["stem"], m["stem"], UNDO
    m = _UP_DOWN.match(base)
    if m:
        return UP_DOWN, m["stem"], m["stem"], FORWARD if m["dir"].lower() == "up" else UNDO
    m = _FLYWAY.match(base)
    if m:
        ver = m["ver"].replace("_", ".").lstrip("0") or "0"
        return FLYWAY, ver, m["desc"], FORWARD if m["kind"].upper() == "V" else UNDO
    m = _DIESEL.match(base)
    if m and folder and folder.rsplit("/", 1)[-1][:1].isdigit():
        return DIESEL, folder, folder.rsplit("/", 1)[-1], FORWARD if m["dir"].lower() == "up" else UNDO
    return None


# ------------------------------------------------------------------ pairing


class MigrationIndex:
    """Every migration of a project, and each forward script's undo per its layout."""

    def __init__(self, migrations):
        self.migrations = list(migrations)
        self._by_key: dict[tuple, list[Migration]] = {}
        self._flyway_undo_versions: set[str] = set()
        for m in self.migrations:
            self._by_key.setdefault(self._key(m, m.direction), []).append(m)

    @staticmethod
    def _key(m: Migration, direction: str) -> tuple:
        if m.layout == FLYWAY:
            # Flyway reads every configured location as one set: V and U of one version
            # may sit in sibling folders; pair within the parent of the folder.
            return (FLYWAY, _flyway_root(m.folder), m.version, direction)
        if m.layout == UNDO_SIBLING:
            return (UNDO_SIBLING, m.folder, m.version.lower(), direction)
        return (m.layout, m.folder, m.version, direction)

    def undo_of(self, forward: Migration) -> Migration | None:
        """The undo counterpart of a forward script (itself for a single file that has
        a Down section); None when it has none."""
        if forward.direction == BOTH:
            return forward if forward.has(UNDO) else None
        if forward.direction != FORWARD:
            return None
        for key in self._undo_keys(forward):
            found = self._by_key.get(key)
            if found:
                return found[0]
        return None

    def _undo_keys(self, m: Migration) -> list[tuple]:
        keys = [self._key(m, UNDO)]
        stem = m.file.path.replace("\\", "/").rsplit("/", 1)[-1]
        stem = stem[:-4] if stem.lower().endswith(".sql") else stem
        if m.layout in (FLYWAY, UP_DOWN):  # the `.undo.sql` sibling also undoes them
            keys.append((UNDO_SIBLING, m.folder, stem.lower(), UNDO))
        return keys

    def forward_of(self, undo: Migration) -> Migration | None:
        if undo.direction == BOTH:
            return undo if undo.has(FORWARD) else None
        if undo.direction != UNDO:
            return None
        for m in self._by_key.get(self._key(undo, FORWARD), ()):
            return m
        if undo.layout == UNDO_SIBLING:
            for m in self.migrations:
                if m.direction == FORWARD and m.folder == undo.folder:
                    stem = m.file.path.replace("\\", "/").rsplit("/", 1)[-1][:-4]
                    if stem.lower() == undo.version.lower():
                        return m
        return None


def _flyway_root(folder: str) -> str:
    return folder.rsplit("/", 1)[0] if "/" in folder else ""


def index(project) -> MigrationIndex:
    """The project's migration index, built once per project."""
    cached = getattr(project, "_pipelint_migration_index", None)
    if cached is None:
        cached = MigrationIndex(project.migrations)
        try:
            project._pipelint_migration_index = cached
        except AttributeError:  # a slotted project: build each time
            pass
    return cached


def folder_of(path: str) -> str:
    return os.path.dirname(path.replace("\\", "/"))
