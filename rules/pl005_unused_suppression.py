"""PL005 unused-suppression."""

from __future__ import annotations

from pipelint.diagnostics import Severity
from pipelint.rule import Rule


class UnusedSuppression(Rule):
    """## What it does
    Reports a `# pipelint: ignore[...]` comment (`-- pipelint: ignore[...]` in SQL) that
    suppresses nothing, or that names a rule pipelint does not know.

    ## Why is this bad?
    A stale suppression hides the next real finding on that line, and a misspelt rule
    code suppresses nothing while looking as if it did.

    ## Example
    ```yaml
    steps:
      - run: make deploy  # pipelint: ignore[PL502] no expression here any more
    ```

    ## Use instead
    ```yaml
    steps:
      - run: make deploy
    ```
    """

    code = "PL005"
    name = "unused-suppression"
    severity = Severity.WARNING
    platforms = ("github", "gitlab", "azure", "argo", "kubernetes", "docker", "sql")
    tags = ("suppressions",)
    precision = "very-high"

    def check(self, ctx):
        # Whether a suppression was used is only known after every other rule ran: the
        # engine calls ``report`` with the file's suppressions at the end of the run.
        return ()

    def report(self, suppressions, registry, enabled: set[str]):
        for s in suppressions:
            unknown = [sel for sel in s.selectors if not registry.is_known(sel)]
            for sel in unknown:
                yield self.diagnostic(s.span, f"Suppression names unknown rule {sel!r}; check the code or name with 'pipelint rules'.")
            known = [sel for sel in s.selectors if sel not in unknown]
            unused = [
                sel
                for sel in known
                if sel not in s.used and any(e.code in enabled for e in registry.resolve_entries(sel))
            ]
            if not s.selectors:
                yield self.diagnostic(s.span, "Suppression names no rule; write the codes inside the brackets, e.g. ignore[PL101].")
            elif unused:
                what = ", ".join(unused)
                scope = "this file" if s.whole_file else "the lines it covers"
                yield self.diagnostic(s.span, f"Suppression of {what} matches no finding on {scope}; remove it so it cannot hide a future one.")
