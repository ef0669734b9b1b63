"""PL502 script-injection: NOT IMPLEMENTED YET (placeholder so the registry loads)."""

from pipelint.diagnostics import Severity
from pipelint.rule import Rule


class ScriptInjection(Rule):
    """Placeholder: being written."""

    code = "PL502"
    name = "script-injection"
    severity = Severity.ERROR
    platforms = ("github",)

    def check(self, ctx):
        return ()
