"""PL307 unverified-blue-green-switch."""

from __future__ import annotations

from pipelint.diagnostics import Severity
from pipelint.rollouts import judged_rollouts, label, read_blue_green
from pipelint.rule import Rule


class UnverifiedBlueGreenSwitch(Rule):
    """## What it does
    Reports an Argo Rollouts blue-green strategy that promotes automatically
    (`autoPromotionEnabled` is true, its default) and has no `prePromotionAnalysis`.
    An `autoPromotionSeconds` delay does not count as verification: it only waits.

    ## Why is this bad?
    As soon as the preview stack is ready, the active Service switches every user to it.
    Nothing checks the new version before the switch, so a broken release takes all
    traffic at once.

    ## Example
    ```yaml
    apiVersion: argoproj.io/v1alpha1
    kind: Rollout
    metadata:
      name: storefront
    spec:
      strategy:
        blueGreen:
          activeService: storefront-active
          previewService: storefront-preview
    ```

    ## Use instead
    ```yaml
    apiVersion: argoproj.io/v1alpha1
    kind: Rollout
    metadata:
      name: storefront
    spec:
      strategy:
        blueGreen:
          activeService: storefront-active
          previewService: storefront-preview
          prePromotionAnalysis:
            templates:
              - templateName: smoke-tests
    ```
    """

    code = "PL307"
    name = "unverified-blue-green-switch"
    severity = Severity.WARNING
    platforms = ("argo",)
    tags = ("argo", "progressive-delivery")
    precision = "high"
    scope = "file"

    def check(self, ctx):
        for m in judged_rollouts(ctx):
            bg = read_blue_green(m.strategy)
            if bg is None or bg.auto_promotion is not True or bg.pre_promotion_analysis is not None:
                continue
            node = bg.auto_promotion_node if bg.auto_promotion_node is not None else (bg.key or bg.node)
            how = "autoPromotionEnabled: true" if bg.auto_promotion_node is not None else "auto-promotion is the default"
            yield self.diagnostic(
                m.file.node_span(node),
                f"{label(m)} switches blue-green traffic to an unverified stack ({how}); add prePromotionAnalysis "
                "or set autoPromotionEnabled: false.",
                logical_path=f"Rollout.{m.name}.spec.strategy.blueGreen"
                + (".autoPromotionEnabled" if bg.auto_promotion_node is not None else ""),
            )
