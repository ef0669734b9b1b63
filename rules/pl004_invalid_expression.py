"""PL004 invalid-expression: NOT IMPLEMENTED YET (placeholder so the registry loads)."""

from pipelint.diagnostics import Severity
from pipelint.rule import Rule


class InvalidExpression(Rule):
    """Placeholder: being written."""

    code = "PL004"
    name = "invalid-expression"
    severity = Severity.ERROR
    platforms = ("github",)

    def check(self, ctx):
        return ()
