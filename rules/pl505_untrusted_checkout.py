"""PL505 untrusted-checkout: NOT IMPLEMENTED YET (placeholder so the registry loads)."""

from pipelint.diagnostics import Severity
from pipelint.rule import Rule


class UntrustedCheckout(Rule):
    """Placeholder: being written."""

    code = "PL505"
    name = "untrusted-checkout"
    severity = Severity.ERROR
    platforms = ("github",)

    def check(self, ctx):
        return ()
