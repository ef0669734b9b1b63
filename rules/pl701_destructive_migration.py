"""PL701 destructive-migration."""

from __future__ import annotations

from pipelint.diagnostics import Severity
from pipelint.migrations import DESTRUCTIVE, FORWARD
from pipelint.rule import Rule


class DestructiveMigration(Rule):
    """## What it does
    Reports a statement of a forward migration that drops or rewrites what the running
    release still uses: `DROP TABLE`/`COLUMN`/`SCHEMA`, a table or column rename,
    `ALTER COLUMN ... TYPE`, `SET NOT NULL`, `ADD COLUMN ... NOT NULL` without a
    `DEFAULT`, `TRUNCATE`, and `DELETE`/`UPDATE` without `WHERE`. Undo/down scripts
    and objects created earlier in the same migration are exempt.

    ## Why is this bad?
    Migrations run before (or while) the new release rolls out: the old release keeps
    serving traffic and still reads the old column, table or type. The deploy breaks it,
    and the data is gone, so rolling the application back does not help.

    ## Example
    ```sql
    -- V7__rename_email.sql
    ALTER TABLE users RENAME COLUMN email TO email_address;
    ```

    ## Use instead
    ```sql
    -- expand: add the new column and backfill; the code writes both, then reads the new one
    ALTER TABLE users ADD COLUMN email_address text;
    UPDATE users SET email_address = email WHERE email_address IS NULL;
    -- contract, in a later release: ALTER TABLE users DROP COLUMN email;
    ```
    """

    code = "PL701"
    name = "destructive-migration"
    severity = Severity.WARNING
    platforms = ("sql",)
    tags = ("migrations", "rollback")
    precision = "high"

    def check(self, ctx):
        migration = ctx.file.migration
        if migration is None or not migration.has(FORWARD):
            return
        created_tables: set[str] = set()
        added_columns: set[tuple[str, str]] = set()
        created_schemas: set[str] = set()
        statements = migration.statements_of(FORWARD)
        # table rebuilds (SQLite's way to alter a table): `RENAME x TO x_old; CREATE x;
        # copy; DROP x_old` or `CREATE x_new; copy; DROP x; RENAME x_new TO x`
        later_created: dict[str, int] = {}
        rename_targets: dict[str, int] = {}
        for i, st in enumerate(statements):
            for c in st.changes:
                if c.kind == "create_table":
                    later_created[c.table] = i
                elif c.kind == "rename_table":
                    rename_targets[c.new_name] = i
        for i, st in enumerate(statements):
            reported = False
            for change in st.changes:
                if change.kind == "rename_table" and later_created.get(change.table, -1) > i:
                    continue  # x renamed away, then created anew: a rebuild
                if change.kind == "drop_table" and rename_targets.get(change.table, -1) >= 0:
                    continue  # the old copy of a rebuild, or the table a rename replaces
                if change.kind in DESTRUCTIVE and not reported and not _exempt(change, created_tables, added_columns, created_schemas):
                    reported = True
                    yield self.diagnostic(
                        migration.file.span(st.start, st.end),
                        _message(change),
                        logical_path=f"{change.kind}:{change.table or change.name}.{change.column}".rstrip("."),
                    )
            for change in st.changes:
                if change.kind == "create_table":
                    created_tables.add(change.table)
                elif change.kind == "add_column":
                    added_columns.add((change.table, change.column))
                elif change.kind == "create_schema":
                    created_schemas.add(change.name)
                elif change.kind == "rename_table" and change.table in created_tables:
                    created_tables.add(change.new_name)
                elif change.kind == "rename_column" and (change.table, change.column) in added_columns:
                    added_columns.add((change.table, change.new_name))


def _exempt(change, tables, columns, schemas) -> bool:
    """The change touches only what this migration itself created: nothing released uses it."""
    if change.kind == "drop_schema":
        return change.name in schemas
    if change.table in tables:
        return True
    if change.kind in ("drop_column", "rename_column", "alter_column_type", "set_not_null"):
        return (change.table, change.column) in columns
    if change.kind == "update_all":  # a backfill of columns this migration added
        return bool(change.columns) and all((change.table, c) in columns for c in change.columns)
    return False


def _message(c) -> str:
    text = _describe(c.kind, c.table, c.column, c.new_name, c.name)
    if len(text) > 199:  # long names are shortened, not the fix (the finding points at the statement)
        text = _describe(c.kind, *(_short(v) for v in (c.table, c.column, c.new_name, c.name)))
    return text


def _short(name, limit: int = 24):
    return name if not isinstance(name, str) or len(name) <= limit else name[: limit - 1] + "…"


def _describe(k, t, col, new, schema) -> str:
    if k == "drop_column":
        return f"Drops column {t}.{col} that the running release may still read; stop using it in one release, drop it in a later migration."
    if k == "drop_table":
        return f"Drops table {t} that the running release may still use; stop using it in one release, drop it in a later migration."
    if k == "drop_schema":
        return f"Drops schema {schema} and everything in it while the running release may use it; move off it first, drop it in a later migration."
    if k == "rename_column":
        return f"Renames column {t}.{col} to {new}, breaking the running release; add the new column, backfill, switch reads, drop the old one later."
    if k == "rename_table":
        return f"Renames table {t} to {new}, breaking the running release; create the new table (or a view), copy, switch reads, drop the old one later."
    if k == "alter_column_type":
        return f"Changes the type of {t}.{col} in place (table rewrite, old code may break); add a new column, backfill, switch reads, drop the old one later."
    if k == "set_not_null":
        return f"Sets {t}.{col} NOT NULL while the running release may still write NULLs; ship code that always writes it, backfill, then add the constraint."
    if k == "add_column_not_null":
        return f"Adds NOT NULL column {t}.{col} without a DEFAULT: inserts from the running release fail; add it with a DEFAULT (or nullable), backfill, then set NOT NULL."
    if k == "truncate":
        return f"Truncates table {t}, deleting every row the running release reads; stop using the data first, then remove it in a later, separate migration."
    if k == "delete_all":
        return f"Deletes every row of {t} (no WHERE) that the running release reads; add a WHERE clause, or stop using the data first and delete it later."
    return f"Updates every row of {t} (no WHERE), rewriting data the running release reads; write to a new column, backfill, switch reads, drop the old one later."
