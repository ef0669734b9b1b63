"""PL503 secret-in-script: NOT IMPLEMENTED YET (placeholder so the registry loads)."""

from pipelint.diagnostics import Severity
from pipelint.rule import Rule


class SecretInScript(Rule):
    """Placeholder: being written."""

    code = "PL503"
    name = "secret-in-script"
    severity = Severity.WARNING
    platforms = ("github",)

    def check(self, ctx):
        return ()
