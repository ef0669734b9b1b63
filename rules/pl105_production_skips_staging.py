"""PL105 production-skips-staging: NOT IMPLEMENTED YET (placeholder so the registry loads)."""

from pipelint.diagnostics import Severity
from pipelint.rule import Rule


class ProductionSkipsStaging(Rule):
    """Placeholder: being written."""

    code = "PL105"
    name = "production-skips-staging"
    severity = Severity.ERROR
    platforms = ("github",)

    def check(self, ctx):
        return ()
