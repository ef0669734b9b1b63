"""PL101 production-deploy-without-gate: NOT IMPLEMENTED YET (placeholder so the registry loads)."""

from pipelint.diagnostics import Severity
from pipelint.rule import Rule


class ProductionDeployWithoutGate(Rule):
    """Placeholder: being written."""

    code = "PL101"
    name = "production-deploy-without-gate"
    severity = Severity.ERROR
    platforms = ("github",)

    def check(self, ctx):
        return ()
