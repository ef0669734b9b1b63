"""PL702 missing-undo-migration."""

from __future__ import annotations

from pipelint.diagnostics import Severity
from pipelint.migrations import BOTH, DIESEL, FLYWAY, FORWARD, SECTIONS, UNDO_SIBLING, UP_DOWN, index
from pipelint.rule import Rule

_WANTED = {
    FLYWAY: "a U{version}__ undo script beside it",
    UP_DOWN: "a {stem}.down.sql beside it",
    DIESEL: "a down.sql in its folder",
    UNDO_SIBLING: "a .undo.sql sibling",
}


class MissingUndoMigration(Rule):
    """## What it does
    Reports a forward migration that has no undo/down counterpart in its convention:
    Flyway `V<ver>__x.sql` without `U<ver>__x.sql` (or a `.undo.sql` sibling),
    `<n>_x.up.sql` without `<n>_x.down.sql`, a Diesel folder without `down.sql`, a
    single file without its `Down` section. Teams that roll forward only turn it off
    with `[tool.pipelint.migrations] require-undo = false`.

    ## Why is this bad?
    When a release goes wrong after its migration ran, the way back is the undo
    script. Without one the rollback is a hand-written statement at the worst moment.

    ## Example
    ```sql
    -- db/migrations/000012_add_orders_status.up.sql, and no .down.sql beside it
    ALTER TABLE orders ADD COLUMN status text;
    ```

    ## Use instead
    ```sql
    -- db/migrations/000012_add_orders_status.down.sql
    ALTER TABLE orders DROP COLUMN status;
    ```
    """

    code = "PL702"
    name = "missing-undo-migration"
    severity = Severity.WARNING
    platforms = ("sql",)
    tags = ("migrations", "rollback")
    precision = "high"

    def check(self, ctx):
        migration = ctx.file.migration
        if migration is None or not getattr(ctx.settings, "migrations_require_undo", True):
            return
        if migration.direction not in (FORWARD, BOTH) or not migration.has(FORWARD):
            return
        if migration.direction == FORWARD and not migration.statements:
            return  # an empty (or comment-only) script changes nothing: nothing to undo
        if index(ctx.project).undo_of(migration) is not None:
            return
        if migration.direction == FORWARD and getattr(ctx.file, "explicit", False):
            return  # named alone on the command line (pre-commit): its siblings were not read
        if migration.layout == SECTIONS:
            message = "Migration has no Down section, so a failed release cannot roll its schema back; add one that reverses the Up statements."
        else:
            stem = migration.path.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".sql").removesuffix(".up")
            wanted = _WANTED.get(migration.layout, "an undo script").format(version=migration.version, stem=stem)
            message = f"Forward migration has no undo script, so a failed release cannot roll its schema back; add {wanted}."
        yield self.diagnostic(migration.file.line_span(1), message, logical_path="undo")
