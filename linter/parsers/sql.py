"""SQL migrations -> :class:`pipelint.migrations.Migration`.

PostgreSQL (the default dialect) is read by pglast, PostgreSQL's own parser; other
dialects (``sql-dialect``, or a folder / file name that names one: ``mysql/``,
``.sqlite3.up.sql``...) by sqlglot. Both are imported lazily. A region (a file, or one
``Up``/``Down`` section) is parsed whole first; when that fails it is split into
statements (strings, quoted identifiers, comments, ``$tag$`` bodies and goose
``StatementBegin``/``End`` blocks respected) and each is parsed on its own, so one
statement the parser cannot read is skipped with a notice, never the whole file.
"""

from __future__ import annotations

import re

from ..migrations import (
    BOTH,
    FORWARD,
    SECTIONS,
    UNDO,
    Change,
    Migration,
    Section,
    Statement,
    bare,
    folder_of,
    identify,
)
from ..model import LoadProblem

_MARKER = re.compile(
    r"^[ \t]*--[ \t]*(?:\+migrate[ \t]+(?P<a>up|down)|\+goose[ \t]+(?P<b>up|down)|migrate:(?P<c>up|down))\b[^\n]*",
    re.IGNORECASE | re.MULTILINE,
)
_GOOSE_BEGIN = re.compile(r"--[ \t]*\+goose[ \t]+StatementBegin\b[^\n]*", re.IGNORECASE)
_GOOSE_END = re.compile(r"--[ \t]*\+goose[ \t]+StatementEnd\b[^\n]*", re.IGNORECASE)
_DOLLAR = re.compile(r"\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$")

#: Path segments / file-name parts that name a dialect other than PostgreSQL.
_PATH_DIALECTS = {
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
    "sqlite3": "sqlite",
    "clickhouse": "clickhouse",
    "mssql": "tsql",
    "sqlserver": "tsql",
    "tsql": "tsql",
    "oracle": "oracle",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "redshift": "redshift",
    "duckdb": "duckdb",
    "spanner": "bigquery",
    "cassandra": "",  # CQL: not SQL any parser here reads
    "cql": "",
}
_PG_NAMES = {"postgres", "postgresql", "pg", "cockroach", "cockroachdb", "crdb", "yugabyte", "timescale", "timescaledb"}
_PATH_WORD = re.compile(r"[A-Za-z0-9]+")

#: A statement that fails the PostgreSQL parser but that the database (or its client)
#: accepts: psql meta-commands, migration-tool placeholders, procedural code.
_SKIPPABLE = re.compile(
    r"""^(?:\\|\$\{|\{\{|@|:|
        (?:create\s+(?:or\s+replace\s+)?(?:function|procedure|trigger|rule|aggregate|operator|event|definer)|
           do|begin|declare|delimiter|if|end|else|elsif|elseif|loop|for|while|return|exception|perform|raise|
           go|use|set\s+session|pragma|exec|execute|call|lock|select|with|insert|copy|grant|revoke|comment|
           security|alter\s+(?:function|procedure|default\s+privileges|extension|role|user)|reset)\b)""",
    re.IGNORECASE | re.VERBOSE,
)
#: Text that shows the file is not PostgreSQL at all (another database's syntax).
_FOREIGN = re.compile(
    r"`|\bauto_increment\b|\bengine\s*=|\bunsigned\b|\bidentity\s*\(|\bnvarchar\b|\bautoincrement\b|"
    r"\bcharset\b|\bcollate\s*=|\b(?:tiny|medium|long)(?:int|text|blob)\b|\bmodify\s+column\b|\bon\s+update\s+current_timestamp|"
    r"\bdatetime\b|\bpragma\b|\bwithout\s+rowid\b|\{\{|\$\{|^\s*go\s*$|\bmerge\s+tree\b|\bmergetree\b|"
    r"\bif\s+not\s+exists\s+\w+\s+\(|\bdrop\s+index\s+\S+\s+on\b|\bcomment\s+'",
    re.IGNORECASE | re.MULTILINE,
)


def parse_migration(parsed, settings=None) -> Migration | None:
    """The migration of a file the classifier called one, or None when it is not one
    after all (neither its name nor a section marker says so)."""
    file = parsed.file
    text = file.text
    path = file.path.replace("\\", "/")
    named = identify(path)
    markers = list(_MARKER.finditer(text))
    if markers:
        stem = path.rsplit("/", 1)[-1][:-4]
        migration = Migration(file, SECTIONS, stem, stem, BOTH)
        for i, m in enumerate(markers):
            word = (m["a"] or m["b"] or m["c"]).lower()
            end = markers[i + 1].start() if i + 1 < len(markers) else len(text)
            migration.sections.append(Section(FORWARD if word == "up" else UNDO, m.start(), end, m.end()))
    elif named is not None:
        layout, version, name, direction = named
        migration = Migration(file, layout, version, name, direction)
    else:
        return None
    migration.folder = folder_of(path)
    configured = (getattr(settings, "sql_dialect", None) or "postgres").lower()
    dialect = configured if configured not in _PG_NAMES else _dialect_from_path(path)
    migration.dialect = dialect
    if dialect is None:  # a folder that names a non-SQL store (CQL): structure only
        migration.dialect = "unknown"
        return migration
    skipped: list[Statement] = []
    errors: list[tuple[int, str]] = []
    if migration.sections:
        if markers[0].start() > 0 and text[: markers[0].start()].strip():
            _read_region(migration, text, 0, markers[0].start(), FORWARD, skipped, errors)
        for section in migration.sections:
            _read_region(migration, text, section.marker_end, section.end, section.direction, skipped, errors)
    else:
        direction = FORWARD if migration.direction == FORWARD else UNDO
        _read_region(migration, text, 0, len(text), direction, skipped, errors)
    if errors and migration.dialect == "postgres" and not _FOREIGN.search(text) and not _TEMPLATE.search(text):
        offset, message = errors[0]
        pos = file.position(offset)
        parsed.problems.append(
            LoadProblem(file, f"SQL does not parse ({_pg_grammar()}): {message}", pos.line - 1, pos.column - 1, offset)
        )
    elif errors:
        skipped.append(None)
    if skipped:
        n = len(skipped)
        parsed.notices.append(
            f"skipped {n} statement{'s' if n != 1 else ''} of {file.path}: the {migration.dialect} parser cannot read "
            "them (procedural code, client commands or other syntax)"
        )
    return migration


def _dialect_from_path(path: str) -> str | None:
    """The dialect a path names (``migrations/mysql/``, ``x.sqlite3.up.sql``), else postgres;
    None for a store that is not SQL."""
    parts = path.lower().split("/")
    words = []
    for part in parts[:-1]:
        words.extend(_PATH_WORD.findall(part))
    words.extend(_PATH_WORD.findall(parts[-1])[1:])  # file name, beyond its first word
    for w in reversed(words):
        if w in _PG_NAMES:
            return "postgres"
        if w in _PATH_DIALECTS:
            return _PATH_DIALECTS[w] or None
    return "postgres"


# ------------------------------------------------------------------ regions


#: Template and placeholder syntax of migration tools (Go templates, Flyway / Liquibase
#: ``${name}``): replaced by an identifier of the same length before parsing, so offsets
#: stay exact and ``ALTER TABLE {{ .Schema }}.users ...`` is still read.
_TEMPLATE = re.compile(r"\{\{.*?\}\}|\$\{[^}\n]*\}")


def _untemplate(region: str) -> str:
    if "{{" not in region and "${" not in region:
        return region
    return _TEMPLATE.sub(lambda m: "tpl" + "_" * (len(m.group()) - 3), region)


def _read_region(migration: Migration, text: str, start: int, end: int, direction: str, skipped, errors) -> None:
    original = text[start:end]
    region = _untemplate(original)
    if not region.strip():
        return
    if migration.dialect == "postgres":
        if _GOOSE_BEGIN.search(region) is None:
            nodes = _pg_parse_whole(region)
            if nodes is not None:
                for loc, length, node in nodes:
                    s, e = _trim(region, loc, loc + length if length else len(region))
                    if s < e:
                        _add(migration, text, start + s, start + e, node, direction)
                return
        for s, e in split_statements(region):
            piece = region[s:e]
            node, error = _pg_parse_one(piece)
            if error is None:
                _add(migration, text, start + s, start + e, node, direction)
                continue
            st = Statement(start + s, start + e, None, direction, unreadable=True)
            migration.statements.append(st)
            if _SKIPPABLE.match(piece.lstrip()) or original[s:e] != piece:
                skipped.append(st)
            else:
                errors.append((start + s + min(error[0], len(piece)), error[1]))
        return
    for s, e in split_statements(region):
        piece = region[s:e]
        node = _glot_parse_one(piece, migration.dialect)
        if node is None:
            st = Statement(start + s, start + e, None, direction, unreadable=True)
            migration.statements.append(st)
            skipped.append(st)
        else:
            _add(migration, text, start + s, start + e, node, direction)


def _add(migration: Migration, text: str, start: int, end: int, node, direction: str) -> None:
    st = Statement(start, end, node, direction)
    if migration.dialect == "postgres":
        _pg_changes(node, st)
    else:
        _glot_changes(node, st, text[start:end])
    for c in st.changes:
        c.statement = st
    migration.statements.append(st)


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    """Narrow [s, e) to the statement: no leading/trailing blanks, comments or ``;``."""
    n = min(e, len(text))
    while s < n:
        c = text[s]
        if c in " \t\r\n;":
            s += 1
        elif text.startswith("--", s):
            nl = text.find("\n", s)
            s = n if nl < 0 else nl + 1
        elif text.startswith("/*", s):
            s = _comment_end(text, s, n)
        else:
            break
    while n > s and text[n - 1] in " \t\r\n;":
        n -= 1
    return s, n


def _comment_end(text: str, i: int, n: int) -> int:
    """End of the (nestable) block comment that starts at ``i``."""
    depth, i = 1, i + 2
    while i < n and depth:
        if text.startswith("/*", i):
            depth, i = depth + 1, i + 2
        elif text.startswith("*/", i):
            depth, i = depth - 1, i + 2
        else:
            i += 1
    return i


def split_statements(text: str) -> list[tuple[int, int]]:
    """[start, end) of each statement of ``text`` (without the ``;``, blanks or comments
    around it). ``;`` inside strings, quoted identifiers, comments, ``$tag$`` bodies and
    goose ``StatementBegin``/``StatementEnd`` blocks does not end a statement."""
    out: list[tuple[int, int]] = []
    n = len(text)
    i = 0
    begin = 0
    block = False  # inside goose StatementBegin ... StatementEnd

    def flush(stop: int) -> None:
        s, e = _trim(text, begin, stop)
        if s < e:
            out.append((s, e))

    while i < n:
        c = text[i]
        if c == "-" and text.startswith("--", i):
            nl = text.find("\n", i)
            stop = n if nl < 0 else nl
            if "goose" in text[i:stop].lower():
                if _GOOSE_BEGIN.match(text, i):
                    flush(i)
                    begin = stop
                    block = True
                elif _GOOSE_END.match(text, i):
                    flush(i)
                    begin = stop
                    block = False
            i = stop
        elif c == "/" and text.startswith("/*", i):
            i = _comment_end(text, i, n)
        elif c == "\\" and (i == 0 or text[i - 1] == "\n") and _trim(text, begin, i)[0] >= i:
            nl = text.find("\n", i)  # a psql meta-command: ends at its line end
            i = n if nl < 0 else nl
            flush(i)
            begin = i
        elif c in "'\"`":
            backslash = c == "'" and i > 0 and text[i - 1] in "eE"
            i += 1
            while i < n:
                if backslash and text[i] == "\\":
                    i += 2
                    continue
                if text[i] == c:
                    if text.startswith(c, i + 1):
                        i += 2
                        continue
                    break
                i += 1
            i += 1
        elif c == "$":
            m = _DOLLAR.match(text, i)
            if m and not (i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")):
                close = text.find(m.group(), m.end())
                i = n if close < 0 else close + len(m.group())
            else:
                i += 1
        elif c == ";" and not block:
            flush(i)
            i += 1
            begin = i
        else:
            i += 1
    flush(n)
    return out


# ------------------------------------------------------------------ pglast


def _pg_parse_whole(region: str):
    from pglast import parser

    try:
        stmts = parser.parse_sql(region)
    except Exception:  # pglast.parser.ParseError: fall back to statement by statement
        return None
    data = region.encode("utf-8")
    ascii_only = len(data) == len(region) or _pg_offsets_in_characters()
    out = []
    for raw in stmts:
        loc, length = raw.stmt_location or 0, raw.stmt_len or 0
        if ascii_only:
            out.append((loc, length, raw.stmt))
        else:
            s = len(data[:loc].decode("utf-8", "ignore"))
            e = len(data[: loc + length].decode("utf-8", "ignore")) if length else len(region)
            out.append((s, e - s if length else 0, raw.stmt))
    return out


_CHAR_OFFSETS: list[bool] = []


def _pg_grammar() -> str:
    from pglast import parser

    try:
        return f"PostgreSQL {parser.get_postgresql_version()[0]} grammar"
    except Exception:  # an older pglast without the call
        return "PostgreSQL grammar"



def _pg_offsets_in_characters() -> bool:
    """pglast reports statement locations in UTF-8 bytes (libpg_query) or, in recent
    versions, already in characters: asked once."""
    if not _CHAR_OFFSETS:
        from pglast import parser

        _CHAR_OFFSETS.append(parser.parse_sql("SELECT 'é'; SELECT 1")[1].stmt_location == 12)
    return _CHAR_OFFSETS[0]


def _pg_parse_one(piece: str):
    from pglast import parser

    try:
        stmts = parser.parse_sql(piece)
    except Exception as exc:
        args = getattr(exc, "args", ())
        message = str(args[0]) if args else str(exc)
        location = args[1] if len(args) > 1 and isinstance(args[1], int) else 0
        if not _pg_offsets_in_characters():
            location = len(piece.encode("utf-8")[:location].decode("utf-8", "ignore"))
        return None, (location, message)
    return (stmts[0].stmt if stmts else None), None


def _ename(value) -> str:
    return getattr(value, "name", "") or str(value)


def _rv(rel) -> tuple[str, str]:
    """(table, schema) of a RangeVar."""
    if rel is None:
        return "", ""
    return bare(getattr(rel, "relname", "") or ""), (getattr(rel, "schemaname", "") or "").lower()


def _strings(obj) -> list[str]:
    if obj is None:
        return []
    if isinstance(obj, (list, tuple)):
        out = []
        for o in obj:
            out.extend(_strings(o))
        return out
    sval = getattr(obj, "sval", None)
    if sval is not None:
        return [sval]
    return []


def _object_names(objects) -> list[tuple[str, str]]:
    """(name, schema) of each object of a DropStmt."""
    out = []
    for obj in objects or ():
        parts = _strings(obj)
        if parts:
            out.append((bare(parts[-1]), parts[-2].lower() if len(parts) > 1 else ""))
    return out


def _pg_changes(node, st: Statement) -> None:
    kind = type(node).__name__
    add = st.changes.append
    if kind == "CreateStmt":
        table, schema = _rv(node.relation)
        add(Change("create_table", table=table, schema=schema))
    elif kind == "CreateTableAsStmt":
        into = getattr(node, "into", None)
        objtype = _ename(getattr(node, "objtype", ""))
        if objtype in ("OBJECT_TABLE", "OBJECT_MATVIEW") and into is not None:
            table, schema = _rv(into.rel)
            add(Change("create_table" if objtype == "OBJECT_TABLE" else "create_matview", table=table, schema=schema))
    elif kind == "CreateSchemaStmt":
        add(Change("create_schema", name=bare(node.schemaname)))
        for elt in node.schemaElts or ():
            _pg_changes(elt, st)
    elif kind == "DropStmt":
        what = _ename(node.removeType)
        cascade = _ename(node.behavior) == "DROP_CASCADE"
        if what == "OBJECT_SCHEMA":
            for name in _strings(node.objects):
                add(Change("drop_schema", name=bare(name), cascade=cascade))
        elif what in ("OBJECT_VIEW", "OBJECT_MATVIEW"):
            for name, schema in _object_names(node.objects):
                add(Change("drop_view", table=name, schema=schema, cascade=cascade))
        elif what in ("OBJECT_TABLE", "OBJECT_INDEX"):
            for name, schema in _object_names(node.objects):
                if what == "OBJECT_TABLE":
                    add(Change("drop_table", table=name, schema=schema, cascade=cascade))
                else:
                    add(Change("drop_index", name=name, schema=schema, concurrently=bool(node.concurrent)))
    elif kind == "RenameStmt":
        what = _ename(node.renameType)
        table, schema = _rv(node.relation)
        new = bare(node.newname)
        if what == "OBJECT_TABLE":
            add(Change("rename_table", table=table, schema=schema, new_name=new))
        elif what == "OBJECT_COLUMN" and _ename(node.relationType) == "OBJECT_TABLE":
            add(Change("rename_column", table=table, schema=schema, column=bare(node.subname), new_name=new))
        elif what == "OBJECT_INDEX":
            add(Change("rename_index", name=table, new_name=new))
        elif what == "OBJECT_TABCONSTRAINT":
            add(Change("rename_constraint", table=table, name=bare(node.subname), new_name=new))
    elif kind == "AlterTableStmt":
        if _ename(node.objtype) != "OBJECT_TABLE":
            return
        table, schema = _rv(node.relation)
        for cmd in node.cmds or ():
            sub = _ename(cmd.subtype)
            if sub == "AT_AddColumn":
                col = cmd.def_
                name = bare(getattr(col, "colname", ""))
                add(Change("add_column", table=table, schema=schema, column=name))
                if _pg_not_null_without_default(col):
                    add(Change("add_column_not_null", table=table, schema=schema, column=name))
            elif sub == "AT_DropColumn":
                add(Change("drop_column", table=table, schema=schema, column=bare(cmd.name), cascade=_ename(cmd.behavior) == "DROP_CASCADE"))
            elif sub == "AT_AlterColumnType":
                # to text or unbounded varchar without USING: no rewrite, old code reads it alike
                col = cmd.def_
                names = _strings(getattr(getattr(col, "typeName", None), "names", None))
                widen = (
                    bool(names)
                    and names[-1].lower() in ("text", "varchar")
                    and not getattr(col.typeName, "typmods", None)
                    and getattr(col, "raw_default", None) is None
                )
                add(Change("widen_column_type" if widen else "alter_column_type", table=table, schema=schema, column=bare(cmd.name)))
            elif sub == "AT_SetNotNull":
                add(Change("set_not_null", table=table, schema=schema, column=bare(cmd.name)))
            elif sub == "AT_AddConstraint":
                name = bare(getattr(cmd.def_, "conname", "") or "")
                add(Change("add_constraint", table=table, schema=schema, name=name))
            elif sub == "AT_DropConstraint":
                add(Change("drop_constraint", table=table, schema=schema, name=bare(cmd.name)))
    elif kind == "IndexStmt":
        table, schema = _rv(node.relation)
        add(
            Change(
                "create_index",
                table=table,
                schema=schema,
                name=bare(node.idxname or ""),
                concurrently=bool(node.concurrent),
                only=not getattr(node.relation, "inh", True),
            )
        )
    elif kind == "TruncateStmt":
        for rel in node.relations or ():
            table, schema = _rv(rel)
            add(Change("truncate", table=table, schema=schema))
    elif kind in ("DeleteStmt", "UpdateStmt"):
        table, schema = _rv(node.relation)
        cols = tuple(bare(t.name) for t in (getattr(node, "targetList", None) or ()) if getattr(t, "name", None))
        if node.whereClause is None:
            add(Change("delete_all" if kind == "DeleteStmt" else "update_all", table=table, schema=schema, columns=cols))
        elif kind == "UpdateStmt":
            add(Change("update", table=table, schema=schema, columns=cols))
    elif kind in ("DoStmt", "CallStmt", "ExecuteStmt"):
        st.procedural = True  # what it changes is not known


_SERIAL = {"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"}


def _pg_not_null_without_default(col) -> bool:
    not_null = bool(getattr(col, "is_not_null", False))
    default = False
    for con in getattr(col, "constraints", None) or ():
        ct = _ename(con.contype)
        if ct in ("CONSTR_NOTNULL", "CONSTR_PRIMARY"):
            not_null = True
        elif ct in ("CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED"):
            default = True
    type_names = _strings(getattr(getattr(col, "typeName", None), "names", None))
    if type_names and type_names[-1].lower() in _SERIAL:
        default = True
    return not_null and not default


# ------------------------------------------------------------------ sqlglot


def _glot_parse_one(piece: str, dialect: str):
    import logging

    import sqlglot

    logging.getLogger("sqlglot").setLevel(logging.CRITICAL)
    try:
        return sqlglot.parse_one(piece, read=dialect)
    except Exception:  # sqlglot.errors.ParseError, TokenError, unknown dialect
        return None


_RENAME_TABLE = re.compile(r"^\s*rename\s+table\s+(\S+)\s+to\s+(\S+)", re.IGNORECASE)


def _ident(e) -> str:
    if e is None:
        return ""
    name = getattr(e, "name", None)
    if name:
        return bare(name)
    return bare(str(getattr(e, "this", "") or ""))


def _glot_changes(node, st: Statement, source: str) -> None:
    from sqlglot import exp

    add = st.changes.append
    if isinstance(node, exp.Command):
        m = _RENAME_TABLE.match(source)
        if m:
            add(Change("rename_table", table=bare(m[1]), new_name=bare(m[2])))
        elif str(node.this).upper() in ("CREATE", "DO", "BEGIN", "DECLARE", "CALL", "EXEC", "EXECUTE"):
            st.procedural = True
        return
    if isinstance(node, exp.Create):
        kind = (node.args.get("kind") or "").upper()
        target = node.this
        if kind == "TABLE":
            table = target.this if isinstance(target, exp.Schema) else target
            add(Change("create_table", table=_ident(table)))
        elif kind == "INDEX":
            idx = target
            tbl = idx.args.get("table") if isinstance(idx, exp.Index) else None
            add(Change("create_index", name=_ident(idx), table=_ident(tbl), concurrently=bool(node.args.get("concurrently"))))
        elif kind == "SCHEMA" or kind == "DATABASE":
            add(Change("create_schema", name=_ident(target)))
        elif kind in ("FUNCTION", "PROCEDURE", "TRIGGER"):
            pass
        return
    if isinstance(node, exp.Drop):
        kind = (node.args.get("kind") or "").upper()
        cascade = bool(node.args.get("cascade"))
        targets = node.args.get("tables") or ([node.this] if node.this is not None else [])
        for t in targets:
            if kind == "TABLE":
                add(Change("drop_table", table=_ident(t), cascade=cascade))
            elif kind == "INDEX":
                add(Change("drop_index", name=_ident(t), concurrently=bool(node.args.get("concurrently"))))
            elif kind in ("SCHEMA", "DATABASE"):
                add(Change("drop_schema", name=_ident(t), cascade=cascade))
            elif kind in ("VIEW", "MATERIALIZED VIEW"):
                add(Change("drop_view", table=_ident(t), cascade=cascade))
        return
    alter = getattr(exp, "Alter", None) or getattr(exp, "AlterTable", None)
    if alter is not None and isinstance(node, alter):
        if (node.args.get("kind") or "TABLE").upper() != "TABLE":
            return
        table = _ident(node.this)
        for action in node.args.get("actions") or ():
            _glot_action(action, table, add, exp)
        return
    if isinstance(node, exp.TruncateTable):
        for t in node.expressions:
            add(Change("truncate", table=_ident(t)))
        return
    if isinstance(node, (exp.Delete, exp.Update)):
        cols = ()
        if isinstance(node, exp.Update):
            cols = tuple(_ident(e.this) for e in node.expressions if isinstance(e, exp.EQ))
        if node.args.get("where") is None:
            add(Change("delete_all" if isinstance(node, exp.Delete) else "update_all", table=_ident(node.this), columns=cols))
        elif isinstance(node, exp.Update):
            add(Change("update", table=_ident(node.this), columns=cols))


def _glot_action(action, table: str, add, exp) -> None:
    if isinstance(action, exp.ColumnDef):
        col = _ident(action.this)
        add(Change("add_column", table=table, column=col))
        cons = [c.args.get("kind") for c in action.args.get("constraints") or ()]
        not_null = any(isinstance(k, (exp.NotNullColumnConstraint, exp.PrimaryKeyColumnConstraint)) and not k.args.get("allow_null") for k in cons)
        default = any(
            isinstance(k, (exp.DefaultColumnConstraint, exp.AutoIncrementColumnConstraint, exp.GeneratedAsIdentityColumnConstraint, exp.ComputedColumnConstraint))
            for k in cons
        )
        if not_null and not default:
            add(Change("add_column_not_null", table=table, column=col))
    elif isinstance(action, exp.Drop):
        kind = (action.args.get("kind") or "").upper()
        for t in action.args.get("tables") or ([action.this] if action.this is not None else []):
            if kind == "COLUMN":
                add(Change("drop_column", table=table, column=_ident(t)))
            elif kind == "INDEX":
                add(Change("drop_index", table=table, name=_ident(t)))
            elif kind in ("CONSTRAINT", "FOREIGN KEY", "CHECK", "PRIMARY KEY", "KEY"):
                add(Change("drop_constraint", table=table, name=_ident(t)))
    elif isinstance(action, exp.AlterColumn):
        col = _ident(action.this)
        if action.args.get("dtype") is not None:
            add(Change("alter_column_type", table=table, column=col))
        if action.args.get("allow_null") is False:
            add(Change("set_not_null", table=table, column=col))
    elif type(action).__name__ == "ModifyColumn" or type(action).__name__ == "ChangeColumn":
        cdef = action.this
        add(Change("alter_column_type", table=table, column=_ident(getattr(cdef, "this", cdef))))
    elif isinstance(action, exp.RenameColumn):
        add(Change("rename_column", table=table, column=_ident(action.this), new_name=_ident(action.args.get("to"))))
    elif type(action).__name__ in ("AlterRename", "RenameTable"):
        add(Change("rename_table", table=table, new_name=_ident(action.this)))
    elif type(action).__name__ == "AddConstraint":
        for c in action.expressions:
            name = _ident(c.this) if c.this is not None else ""
            if isinstance(c, exp.IndexColumnConstraint):
                add(Change("create_index", table=table, name=name))
            else:
                add(Change("add_constraint", table=table, name=name))
