"""PL002 schema-violation: NOT IMPLEMENTED YET (placeholder so the registry loads)."""

from pipelint.diagnostics import Severity
from pipelint.rule import Rule


class SchemaViolation(Rule):
    """Placeholder: being written."""

    code = "PL002"
    name = "schema-violation"
    severity = Severity.ERROR
    platforms = ("github",)

    def check(self, ctx):
        return ()
