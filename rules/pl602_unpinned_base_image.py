"""PL602: a base image with no tag or ``:latest`` and no digest."""

from __future__ import annotations

from pipelint.diagnostics import Related, Severity, clip
from pipelint.dockerfile import parse_image
from pipelint.rule import Rule


class UnpinnedBaseImage(Rule):
    """## What it does
    Flags a `FROM` whose base image has no tag, or the tag `latest`, and no digest.
    Stage aliases (`FROM builder`), `scratch`, and `FROM ${BASE}` whose `ARG` default is
    pinned (or has no default) are fine.

    ## Why is this bad?
    An unpinned base image follows whatever the registry calls `latest` today: the
    same commit builds a different image tomorrow, a new major version of the base can
    break the build or the running service, and a rollback rebuild does not give back
    the image that ran before.

    ## Example
    ```yaml
    FROM node
    WORKDIR /app
    COPY . .
    ```

    ## Use instead
    ```yaml
    FROM node:20.11-bookworm-slim@sha256:<digest>
    WORKDIR /app
    COPY . .
    ```
    """

    code = "PL602"
    name = "unpinned-base-image"
    severity = Severity.WARNING
    platforms = ("docker",)
    tags = ("docker", "reproducibility")
    precision = "very-high"

    def check(self, ctx):
        model = ctx.file.dockerfile
        if model is None:
            return
        file = model.file
        aliases: set[str] = set()
        for stage in model.stages:
            word = stage.image
            alias = stage.alias.value.lower() if stage.alias else None
            if word is not None:
                yield from self._check_stage(model, file, stage, word, aliases)
            if alias:
                aliases.add(alias)

    def _check_stage(self, model, file, stage, word, aliases):
        raw = word.value
        related = []
        via = ""
        if "$" in raw:
            value, used = model.resolve(raw)
            if value is None:
                return  # an ARG without a default: the value comes from the build command
            for inst in used[:1]:
                related.append(Related(file.span(inst.start, inst.end), "the ARG default that picks the image"))
                via = " (the ARG default)"
        else:
            value = raw
        value = value.strip()
        if not value or value.lower() == "scratch" or value.lower() in aliases:
            return
        ref = parse_image(value)
        if ref.digest:
            return
        if ref.tag is not None and ref.tag != "latest":
            return
        what = "has no tag" if ref.tag is None else "uses the tag `latest`"
        message = clip(
            f"Base image `{value}`{via} of stage {stage.name} {what}: each build may pull a different image; "
            "pin a version tag, ideally with a digest."
        )
        if message.endswith("..."):  # a long image name: the finding points at it
            message = (
                f"Base image `{value}` {what}: each build may pull a different image; "
                "pin a version tag, ideally with a digest."
            )
        yield self.diagnostic(
            file.span(word.start, word.end),
            message,
            related=related,
            logical_path=f"stages[{stage.index}].from",
        )
