"""PL507 hardcoded-secret: NOT IMPLEMENTED YET (placeholder so the registry loads)."""

from pipelint.diagnostics import Severity
from pipelint.rule import Rule


class HardcodedSecret(Rule):
    """Placeholder: being written."""

    code = "PL507"
    name = "hardcoded-secret"
    severity = Severity.ERROR
    platforms = ("github",)

    def check(self, ctx):
        return ()
