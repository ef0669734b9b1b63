"""PL501 unpinned-action: NOT IMPLEMENTED YET (placeholder so the registry loads)."""

from pipelint.diagnostics import Severity
from pipelint.rule import Rule


class UnpinnedAction(Rule):
    """Placeholder: being written."""

    code = "PL501"
    name = "unpinned-action"
    severity = Severity.WARNING
    platforms = ("github",)

    def check(self, ctx):
        return ()
