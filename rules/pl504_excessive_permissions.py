"""PL504 excessive-permissions: NOT IMPLEMENTED YET (placeholder so the registry loads)."""

from pipelint.diagnostics import Severity
from pipelint.rule import Rule


class ExcessivePermissions(Rule):
    """Placeholder: being written."""

    code = "PL504"
    name = "excessive-permissions"
    severity = Severity.WARNING
    platforms = ("github",)

    def check(self, ctx):
        return ()
