"""PL303 analysis-template-not-found: a Rollout or Experiment names an analysis template
that no scanned file defines, or leaves out an arg the template requires.

Project-scoped: templates usually live in another file than the Rollout. Resolution and
the cases where no conclusion is safe are in :mod:`pipelint.analysis`.
"""

from __future__ import annotations

from pipelint.analysis import analysis_index, missing_args, template_references
from pipelint.diagnostics import Related, Severity
from pipelint.rule import Rule


class AnalysisTemplateNotFound(Rule):
    """## What it does
    Reports an analysis-template reference (`templateName`) of an Argo Rollout (canary
    background `analysis`, `- analysis` and `- experiment` steps, blue-green
    `prePromotionAnalysis`/`postPromotionAnalysis`), an Experiment, or an
    AnalysisTemplate composing other templates, when no scanned file defines that
    template: an `AnalysisTemplate` in the referrer's namespace, or a
    `ClusterAnalysisTemplate` when the reference sets `clusterScope: true`. Also reports
    a reference that does not supply an arg the template declares without `value` or
    `valueFrom`.

    A missing `metadata.namespace` matches any namespace (it is set when the object is
    applied). No finding is made when the referrer's repository defines no analysis
    template at all (they may come from another repository or a Helm chart), when
    names are templated (`{{ }}`, `${}`), when only some files were named on the
    command line, when the referrer was exported from a cluster (`uid`,
    `resourceVersion`), or when a Kustomization rewrites the names (`namePrefix`,
    `nameSuffix`: names are compared without them) or the namespaces (`namespace`).

    ## Why is this bad?
    The controller resolves templates only when the update starts: a misspelled name, a
    template in another namespace, a `ClusterAnalysisTemplate` referenced without
    `clusterScope: true`, or a missing required arg makes it fail to create the
    AnalysisRun, and the rollout stops progressing (or aborts) in the middle of a
    release instead of at review time.

    ## Example
    ```yaml
    apiVersion: argoproj.io/v1alpha1
    kind: Rollout
    metadata:
      name: checkout
    spec:
      strategy:
        canary:
          steps:
            - setWeight: 20
            - analysis:
                templates:
                  - templateName: sucess-rate  # typo: the template is success-rate
    ```

    ## Use instead
    ```yaml
    apiVersion: argoproj.io/v1alpha1
    kind: Rollout
    metadata:
      name: checkout
    spec:
      strategy:
        canary:
          steps:
            - setWeight: 20
            - analysis:
                templates:
                  - templateName: success-rate
                args:
                  - name: service-name
                    value: checkout
    ```
    """

    code = "PL303"
    name = "analysis-template-not-found"
    severity = Severity.ERROR
    platforms = ("argo",)
    tags = ("argo", "progressive-delivery")
    precision = "high"
    scope = "project"

    def check(self, ctx):
        index = None
        for manifest in ctx.project.manifests:
            refs = template_references(manifest)
            if not refs:
                continue
            if index is None:
                index = analysis_index(ctx.project)
            for ref in refs:
                yield from self._check_ref(index, ref)

    def _check_ref(self, index, ref):
        m = ref.referrer
        file = m.file
        span = file.node_span(ref.name_node)
        path = f"{m.kind}.{m.name}.{ref.path}"
        found = index.resolve(ref)
        if found.unknown:
            return
        kind = "ClusterAnalysisTemplate" if ref.cluster_scope else "AnalysisTemplate"
        if found.template is not None:
            t = found.template
            for arg in missing_args(ref, t):
                yield self.diagnostic(
                    span,
                    f"{m.label} runs {t.kind} '{t.name}' without its required arg '{arg.name}': the AnalysisRun cannot be "
                    "created; supply it under args.",
                    related=[Related(t.manifest.file.node_span(arg.node), f"'{arg.name}' is declared here without a value")],
                    logical_path=f"{path}.args.{arg.name}",
                )
            return
        if found.elsewhere:
            t = found.elsewhere[0]
            where = m.namespace or "default"
            yield self.diagnostic(
                span,
                f"{m.label} (namespace '{where}') names AnalysisTemplate '{ref.name}', found only in namespace "
                f"'{t.namespace}': the controller will not find it; move it or use a ClusterAnalysisTemplate.",
                related=[Related(t.manifest.key_span(), f"AnalysisTemplate '{t.name}' in namespace '{t.namespace}'")],
                logical_path=path,
            )
            return
        related = []
        hint = "fix the name or add the template."
        if not ref.cluster_scope and ref.name in index.cluster:
            c = index.cluster[ref.name][0]
            related.append(Related(c.manifest.key_span(), "a ClusterAnalysisTemplate of that name: set clusterScope: true"))
            hint = "set clusterScope: true for the ClusterAnalysisTemplate."
        elif ref.cluster_scope and ref.name in index.namespaced:
            t = index.namespaced[ref.name][0]
            related.append(Related(t.manifest.key_span(), "an AnalysisTemplate of that name: drop clusterScope"))
            hint = "drop clusterScope for the AnalysisTemplate."
        elif found.similar is not None:
            s = found.similar
            related.append(Related(s.manifest.key_span(), f"did you mean {s.name}?"))
            hint = f"did you mean '{s.name}'?"
        yield self.diagnostic(
            span,
            f"{m.label} names {kind} '{ref.name}', which no scanned file defines: its analysis cannot start; {hint}",
            related=related,
            logical_path=path,
        )
