"""PL003 unresolved-reference: NOT IMPLEMENTED YET (placeholder so the registry loads)."""

from pipelint.diagnostics import Severity
from pipelint.rule import Rule


class UnresolvedReference(Rule):
    """Placeholder: being written."""

    code = "PL003"
    name = "unresolved-reference"
    severity = Severity.ERROR
    platforms = ("github",)

    def check(self, ctx):
        return ()
