"""PL704 blocking-index-change."""

from __future__ import annotations

from pipelint.diagnostics import Severity
from pipelint.migrations import FORWARD, UNDO, index
from pipelint.rule import Rule


class BlockingIndexChange(Rule):
    """## What it does
    Reports PostgreSQL `CREATE INDEX` and `DROP INDEX` without `CONCURRENTLY` on a table
    that already exists (not one created earlier in the same migration).

    ## Why is this bad?
    A plain `CREATE INDEX` holds a lock that blocks every `INSERT`, `UPDATE` and `DELETE`
    on the table until the index is built, minutes on a large table; `DROP INDEX` takes
    an exclusive lock that also blocks reads. The running release stalls meanwhile.

    ## Example
    ```sql
    CREATE INDEX orders_customer_id_idx ON orders (customer_id);
    ```

    ## Use instead
    ```sql
    -- run outside a transaction (goose: -- +goose NO TRANSACTION)
    CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);
    ```
    """

    code = "PL704"
    name = "blocking-index-change"
    severity = Severity.WARNING
    platforms = ("sql",)
    tags = ("migrations", "locking")
    precision = "high"

    def check(self, ctx):
        migration = ctx.file.migration
        if migration is None or migration.dialect != "postgres":
            return
        for direction in (FORWARD, UNDO):
            statements = migration.statements_of(direction)
            if not statements:
                continue
            dropped_later = {c.table for st in statements for c in st.changes if c.kind == "drop_table"}
            index_tables = {}
            if direction == UNDO:
                forward = index(ctx.project).forward_of(migration)
                for st in forward.statements_of(FORWARD) if forward is not None else ():
                    for c in st.changes:
                        if c.kind == "create_index" and c.name:
                            index_tables[c.name] = c.table
            created_tables: set[str] = set()
            created_indexes: set[str] = set()
            for st in statements:
                for c in st.changes:
                    if c.kind == "create_index" and not c.concurrently and not c.only and c.table not in created_tables:
                        name = f"index {c.name} on" if c.name else "an index on"
                        message = (
                            f"CREATE INDEX without CONCURRENTLY blocks writes to existing table {c.table} while it builds; "
                            f"create {name} it CONCURRENTLY, outside a transaction."
                        )
                        if len(message) > 199:  # long names: the finding points at the statement
                            message = (
                                f"CREATE INDEX without CONCURRENTLY blocks writes to existing table {c.table} while it "
                                "builds; create the index CONCURRENTLY, outside a transaction."
                            )
                        yield self.diagnostic(
                            migration.file.span(st.start, st.end),
                            message,
                            logical_path=f"{direction}.create_index:{c.name or c.table}",
                        )
                    elif (
                        c.kind == "drop_index"
                        and not c.concurrently
                        and c.name not in created_indexes
                        and index_tables.get(c.name, "\0") not in dropped_later
                    ):
                        yield self.diagnostic(
                            migration.file.span(st.start, st.end),
                            f"DROP INDEX {c.name} without CONCURRENTLY locks its table against reads and writes; "
                            "use DROP INDEX CONCURRENTLY, outside a transaction.",
                            logical_path=f"{direction}.drop_index:{c.name}",
                        )
                for c in st.changes:
                    if c.kind in ("create_table", "create_matview"):
                        created_tables.add(c.table)
                    elif c.kind == "create_index" and c.name:
                        created_indexes.add(c.name)
