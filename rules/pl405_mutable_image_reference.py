"""PL405 mutable-image-reference."""

from __future__ import annotations

from pipelint.diagnostics import Severity
from pipelint.rule import Rule
from pipelint.workloads import kustomize_overrides_image, parse_image


class MutableImageReference(Rule):
    """## What it does
    Reports a container image of a workload's pod template (Deployment, StatefulSet,
    DaemonSet, ReplicaSet, Job, CronJob, Argo Rollout; `containers` and
    `initContainers`) that has no tag, or the tag `latest`, and no `@sha256:` digest.
    Registry ports (`registry:5000/app`) are not tags; templated references
    (`${IMAGE}`, `{{ .Values.image }}`) are unknown and skipped; an image whose tag or
    digest a Kustomization in the scan sets (`images: [{name, newTag}]`) is not reported.

    ## Why is this bad?
    A mutable reference deploys whatever the registry holds when a node pulls: two pods
    of one release can run different code, a rollback re-pulls the new image, and nothing
    records what actually ran.

    ## Example
    ```yaml
    containers:
      - name: api
        image: registry.example.com/api:latest
    ```

    ## Use instead
    ```yaml
    containers:
      - name: api
        image: registry.example.com/api:1.8.3@sha256:4f1c9a0d2b7e6c5a3f8e9d0b1c2a3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d
    ```
    """

    code = "PL405"
    name = "mutable-image-reference"
    severity = Severity.WARNING
    platforms = ("kubernetes",)
    tags = ("kubernetes", "rollout")
    precision = "high"
    scope = "file"

    def check(self, ctx):
        for m in ctx.file.manifests:
            for index, c in enumerate(m.containers):
                image = c.image
                if image is None or not isinstance(image.value, str):
                    continue
                ref = parse_image(image.value)
                if ref is None or not ref.mutable:
                    continue
                if kustomize_overrides_image(ref, ctx.project):
                    continue
                what = "tag latest" if ref.tag == "latest" else "no tag"
                who = f"{'Init container' if c.init else 'Container'} '{c.name}'" if c.name else "A container"
                shown = ref.text if len(ref.text) <= 40 else ref.text[:37] + "..."
                message = (
                    f"{who} of {m.label} uses '{shown}' ({what}, no digest): what runs can change on any pull; "
                    "pin a version tag or a digest."
                )
                if len(message) > 199:
                    message = f"{who} uses '{shown}' ({what}, no digest): what runs can change on any pull; pin a version tag."
                yield self.diagnostic(
                    m.file.node_span(image),
                    message[:199],
                    logical_path=f"{m.kind}.{m.name}.{'initContainers' if c.init else 'containers'}.{c.name or index}.image",
                )
