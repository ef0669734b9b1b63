"""PL503 secret-in-script."""

from __future__ import annotations

import re

from pipelint.diagnostics import Related, Severity
from pipelint.rule import Rule
from pipelint.expression_flow import (
    COMPUTED,
    CHOSEN,
    NUMBER,
    STAR,
    EnvMove,
    Flow,
    display_path,
    env_fix,
    env_source,
    flowing_paths,
    reaches_text,
    value_kind,
    parse_embedded,
    script_sinks,
    step_label,
    variable_reference,
)

_MAX_MESSAGE = 199
_NOT_NAME = re.compile(r"[^A-Za-z0-9_]+")


#: ``secrets.X`` (any key) and ``github.token``; ``secrets`` and ``github`` as wholes
#: hold them.
_SECRETS = (("secrets", "*"), ("github", "token"))


def secret_flow(flow: Flow) -> bool:
    """The flow puts a secret's value into the expression's result (``toJSON(secrets)``
    does; ``${{ secrets }}`` alone only yields the word ``Object``)."""
    return reaches_text(value_kind(flow.path, _SECRETS), flow.via)


def _variable_name(path: str) -> str:
    if path == "github.token" or path == "secrets.github_token":
        return "GITHUB_TOKEN"
    if path.startswith("secrets.") and not any(m in path for m in (STAR, NUMBER, COMPUTED, CHOSEN)):
        name = _NOT_NAME.sub("_", path[len("secrets.") :]).strip("_").upper()
        if name and not name[0].isdigit():
            return name
    return "SECRET"


def _display(path: str, inner: str, start: int, end: int) -> str:
    """The secret as the user wrote it when short (``secrets['npm-token']``), else the path."""
    written = inner[start:end].strip()
    if path == "secrets":
        return "the whole secrets context"
    if path == "github":
        return "the whole github context (with github.token)"
    if len(written) <= 60 and "\n" not in written:
        return written
    return display_path(path)


class SecretInScript(Rule):
    """## What it does
    Reports a secret expanded with `${{ }}` directly into the text of a `run:` script:
    `${{ secrets.NAME }}`, `${{ secrets['NAME'] }}`, `${{ secrets.GITHUB_TOKEN }}`,
    `${{ github.token }}`, `toJSON(secrets)`, and `${{ env.NAME }}` where `NAME` is set
    from a secret in an `env:` block. Expressions that only test a secret
    (`secrets.X != ''`, `secrets.X && 'yes' || 'no'`) do not put it in the script and
    are not reported.

    ## Why is this bad?
    GitHub writes the expanded script to a file on the runner before running it, so the
    secret sits in plain text on disk, appears in the process arguments of every command
    that receives it (visible to other processes on a shared or self-hosted runner) and
    in `set -x` traces; log masking only catches the exact value, not a transformed one.
    A secret containing a quote or `$(...)` also changes the script itself. Passed
    through `env:`, the value stays out of the script text and out of argument lists
    (`--password-stdin` and tools that read the variable themselves).

    ## Example
    ```yaml
    steps:
      - name: Publish
        run: |
          npm config set //registry.npmjs.org/:_authToken ${{ secrets.NPM_TOKEN }}
          npm publish
    ```

    ## Use instead
    ```yaml
    steps:
      - name: Publish
        env:
          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}
        run: |
          npm config set //registry.npmjs.org/:_authToken '${NODE_AUTH_TOKEN}'
          npm publish
    ```
    """

    code = "PL503"
    name = "secret-in-script"
    severity = Severity.WARNING
    platforms = ("github",)
    tags = ("security", "secrets")
    precision = "very-high"
    fixable = True

    def check(self, ctx):
        parsed = ctx.file
        file = parsed.file
        seen: set[tuple[int, int]] = set()  # YAML aliases share one node between steps
        for sink in script_sinks(parsed, github_script=False):
            text = sink.node.value
            if not isinstance(text, str):
                continue
            found: list[tuple[EnvMove | None, tuple]] = []
            for emb, expr in parse_embedded(text):
                if (sink.node.start_index, emb.start) in seen:
                    continue
                shown = secret = None
                source = None
                for flow in flowing_paths(expr):
                    if secret_flow(flow):
                        secret, shown = flow.path, _display(flow.path, emb.inner, flow.start, flow.end)
                        break
                    source = env_source(sink.step, flow.path, secret_flow)
                    if source is not None:
                        secret, shown = source.paths[0], f"${{{{ env.{source.name} }}}}"
                        break
                if secret is None:
                    continue
                seen.add((sink.node.start_index, emb.start))
                if secret in ("secrets", "github"):
                    fix = "pass only the values it needs via env:"
                    related = ()
                elif source is None:
                    fix = f"pass it via env: and use {variable_reference(_variable_name(secret), sink.language)}"
                    related = ()
                else:
                    fix = f"use {variable_reference(source.name, sink.language)} instead"
                    written = source.written[0] if len(source.written[0]) <= 60 else display_path(secret)
                    where = f"env.{source.name} is set from {written} here"
                    related = (Related(file.node_span(source.value), where),)
                    shown = f"{shown} (set from {written})"
                tail = f"into its script, writing it to disk and process arguments; {fix}."
                message = f"{sink.where} expands {shown} {tail}"
                if len(message) > _MAX_MESSAGE:
                    message = f"{step_label(sink.step)} expands {shown} {tail}"
                if len(message) > _MAX_MESSAGE:
                    short = f"${{{{ env.{source.name} }}}}" if source is not None else shown
                    message = f"{step_label(sink.step)} expands {short} into its script text; {fix}."
                if len(message) > _MAX_MESSAGE:
                    message = f"{step_label(sink.step)} expands a secret into its script text; {fix}."
                message = message[:1].upper() + message[1:]  # it starts with a step label
                span = file.scalar_span(sink.node, emb.start, emb.end)
                if secret in ("secrets", "github"):
                    move = None
                elif source is None:
                    move = EnvMove(emb.start, emb.end, _variable_name(secret))
                elif " ".join(emb.inner.split()).lower() == f"env.{source.name.lower()}":
                    move = EnvMove(emb.start, emb.end, source.name, source.name)
                else:
                    move = EnvMove(emb.start, emb.end, _variable_name(secret))
                found.append((move, (span, message, related)))
            if not found:
                continue
            # One fix for all the findings of a script (they share an env: insertion point).
            moves = [move for move, _d in found if move is not None]
            fix, covered = env_fix(sink, moves, languages=("shell", "pwsh", "python", "cmd")) if moves else (None, [])
            for move, (span, message, related) in found:
                yield self.diagnostic(
                    span,
                    message,
                    related=related,
                    logical_path=sink.logical_path,
                    fix=fix if move is not None and move in covered else None,
                )
