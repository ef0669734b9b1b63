"""PL703 undo-does-not-reverse."""

from __future__ import annotations

from pipelint.diagnostics import Related, Severity
from pipelint.migrations import BOTH, FORWARD, UNDO, index
from pipelint.rule import Rule


class UndoDoesNotReverse(Rule):
    """## What it does
    Reports an undo/down script that is empty (comments only) or that does not reverse
    its forward script's schema changes: a table, column, index or constraint the forward
    script creates and the undo does not drop, a rename the undo does not rename back.
    With `[tool.pipelint.migrations] require-undo = false` (a team that rolls forward
    only) empty undo scripts and sections are their convention and are not reported.

    ## Why is this bad?
    A rollback that runs "successfully" but leaves the new column or index behind makes
    the next forward run fail (the object already exists) and leaves the schema in a
    state no release was tested against.

    ## Example
    ```sql
    -- 000031_add_invoices.up.sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, total numeric NOT NULL);
    CREATE INDEX invoices_total_idx ON invoices (total);
    -- 000031_add_invoices.down.sql
    DROP INDEX invoices_total_idx;
    ```

    ## Use instead
    ```sql
    -- 000031_add_invoices.down.sql
    DROP TABLE invoices;
    ```
    """

    code = "PL703"
    name = "undo-does-not-reverse"
    severity = Severity.WARNING
    platforms = ("sql",)
    tags = ("migrations", "rollback")
    precision = "medium"

    def check(self, ctx):
        undo = ctx.file.migration
        if undo is None or undo.direction not in (UNDO, BOTH) or not undo.has(UNDO):
            return
        forward = index(ctx.project).forward_of(undo)
        if forward is None:
            return
        statements = undo.statements_of(UNDO)
        if undo.direction == BOTH:
            section = undo.section(UNDO)
            where = undo.file.span(section.start, section.marker_end)
            while_text = undo.file.text[section.start : section.marker_end].strip()
            where_name = f"The '{while_text}' section"
        else:
            where = undo.file.line_span(1)
            where_name = "The undo script"
        fwd_span = forward.file.line_span(1)
        if not statements:
            # a team that rolls forward only (`require-undo = false`) leaves undo scripts
            # or sections empty on purpose (dbmate and goose want the section marker)
            if forward.statements_of(FORWARD) and getattr(ctx.settings, "migrations_require_undo", True):
                yield self.diagnostic(
                    where,
                    f"{where_name} is empty: rolling back leaves every change of the forward migration in place; write the statements that reverse it.",
                    related=[Related(fwd_span, "the forward migration")],
                    logical_path="undo.empty",
                )
            return
        if any(s.unreadable or s.procedural for s in statements):
            return  # what procedural code or unreadable statements drop is not known
        missing = unreversed(forward.statements_of(FORWARD), statements)
        if not missing:
            return
        for shown in (3, 2, 1):  # fewer names when they are long: the related locations list them
            names = ", ".join(c.describe() for c in missing[:shown]) + (
                f" and {len(missing) - shown} more" if len(missing) > shown else ""
            )
            message = f"{where_name} does not reverse the forward migration ({names}); drop what it creates and rename back what it renames."
            if len(message) <= 199:
                break
        yield self.diagnostic(
            where,
            message,
            related=[Related(forward.file.span(c.statement.start, c.statement.end), f"{c.describe()}: made here") for c in missing[:5]],
            logical_path="undo.reverse",
        )


class _Names:
    """Tables linked by renames (in either script) count as one."""

    def __init__(self):
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        while self.parent.get(x, x) != x:
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[ra] = rb


def unreversed(forward, undo) -> list:
    """The forward changes (creations, renames) that the undo statements leave in place."""
    names = _Names()
    for st in list(forward) + list(undo):
        for c in st.changes:
            if c.kind == "rename_table":
                names.union(c.table, c.new_name)
    t = names.find
    # net effect of the forward script
    made: list = []
    dropped_in_forward: set[str] = set()
    created_in_forward: set[str] = set()
    for st in forward:
        for c in st.changes:
            if c.kind == "create_table":
                created_in_forward.add(c.table)
            if c.kind == "rename_table" and c.table in created_in_forward:
                if c.new_name in dropped_in_forward:  # a rebuild: x_new replaces x
                    made = [m for m in made if not (m.kind == "create_table" and m.table == c.table)]
                continue  # renaming what this script created is part of creating it
            if c.kind in ("create_table", "add_column", "create_index", "add_constraint", "rename_table", "rename_column"):
                made.append(c)
            elif c.kind == "drop_table":
                dropped_in_forward.add(c.table)
                made = [m for m in made if not (m.kind != "rename_table" and t(m.table) == t(c.table))]
            elif c.kind == "drop_column":
                made = [m for m in made if not (m.kind == "add_column" and t(m.table) == t(c.table) and m.column == c.column)]
            elif c.kind in ("drop_index", "drop_constraint"):
                made = [m for m in made if not (m.kind in ("create_index", "add_constraint") and m.name == c.name)]
    dropped_tables, dropped_columns, dropped_names, dropped_schemas = set(), set(), set(), set()
    renamed_columns, renamed_tables = set(), set()
    touched_column_tables = set()
    added_columns, created_tables = set(), set()
    for st in undo:
        for c in st.changes:
            if c.kind in ("drop_table", "drop_view"):  # a view's indexes go with it
                dropped_tables.add(t(c.table))
            elif c.kind == "drop_column":
                dropped_columns.add((t(c.table), c.column))
                touched_column_tables.add(t(c.table))
            elif c.kind in ("drop_index", "drop_constraint"):
                dropped_names.add(c.name)
            elif c.kind == "drop_schema":
                dropped_schemas.add(c.name)
            elif c.kind == "rename_column":
                renamed_columns.add((t(c.table), c.column, c.new_name))
            elif c.kind == "rename_table":
                renamed_tables.add((c.table, c.new_name))
            elif c.kind == "add_column":
                added_columns.add((t(c.table), c.column))
            elif c.kind == "create_table":
                created_tables.add(c.table)
            elif c.kind == "create_index" and c.name:
                # the undo makes it again: it dropped the old one some way (CASCADE...)
                dropped_names.add(c.name)
    missing = []
    for m in made:
        table = t(m.table)
        if table in dropped_tables or (m.schema and m.schema in dropped_schemas):
            continue
        if m.kind == "create_table":
            ok = False
        elif m.kind == "add_column":
            ok = (table, m.column) in dropped_columns
        elif m.kind in ("create_index", "add_constraint"):
            # unnamed ones cannot be matched; dropping a column drops its indexes
            ok = not m.name or m.name in dropped_names or table in touched_column_tables
        elif m.kind == "rename_table":
            ok = (m.new_name, m.table) in renamed_tables or m.table in created_tables
        else:  # rename_column: renamed back, or the old column made again
            ok = (table, m.new_name, m.column) in renamed_columns or (table, m.column) in added_columns
        if not ok:
            missing.append(m)
    return missing
