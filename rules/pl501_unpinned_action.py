"""PL501 unpinned-action.

Fix (unsafe: the SHA comes from the user's map, not from GitHub): with ``--action-pins
FILE`` / ``action-pins`` (a JSON map of ``owner/repo@ref``, or ``owner/repo/path@ref``, to
a 40-hex SHA, in ``ctx.settings.action_pins`` with lowercase keys) the ref becomes the
SHA and ``# <ref>`` is written after the value (before an existing comment, which is
kept; not added when the comment already starts with the ref, nor for a short-SHA ref). No fix
for Docker images, a ``uses:`` in a flow mapping, a value spanning lines or followed by
anything but a comment, or a ref missing from the map; the message then says how to
fill the map (``gh api repos/OWNER/REPO/commits/REF --jq .sha``).
"""

from __future__ import annotations

import fnmatch
import re

from pipelint.diagnostics import Applicability, Edit, Fix, Severity
from pipelint.rule import Rule

_FULL_SHA = re.compile(r"[0-9a-fA-F]{40}")
_SHORT_SHA = re.compile(r"[0-9a-fA-F]{7,39}")
_DIGEST = re.compile(r"sha256:[0-9a-fA-F]{64}")
_MAX_MESSAGE = 199


class UnpinnedAction(Rule):
    """## What it does
    Reports a GitHub `uses:` that names an action or a reusable workflow of another
    repository by a tag, a branch or a short SHA instead of a full 40-character commit
    SHA: steps of workflow jobs, jobs that call a reusable workflow and the steps of
    composite actions (`action.yml`). A `docker://` image is reported unless it carries
    an `@sha256:` digest. Local actions and workflows (`./...`) are never reported, and
    a `uses:` without any `@ref` is left to the schema and reference checks.

    Every non-SHA ref is reported, including `actions/*` and your own organisation's
    actions. Teams that decide to trust some owners can list glob patterns in the
    `allow` option; they are matched, case-insensitively, against the action's name
    without its ref (`owner/repo` and `owner/repo/path`, so `actions/*` covers
    `actions/cache/restore`) and, for Docker actions, against `docker://<image>`
    without tag or digest:

    ```toml
    [tool.pipelint.rules.unpinned-action]
    allow = ["actions/*", "my-org/*"]
    ```

    With `--action-pins pins.json` (or `action-pins = "pins.json"` in the configuration),
    a JSON map of `"owner/repo@ref": "<40-hex SHA>"`, `--fix --unsafe-fixes` rewrites
    `owner/repo@v4` to `owner/repo@<sha> # v4`. `gh api repos/OWNER/REPO/commits/REF --jq
    .sha` prints the SHA of a ref.

    ## Why is this bad?
    Tags and branches are mutable: whoever controls the action's repository (its
    maintainer, or an attacker who took over an account or a release process) can point
    `v4` at new code, and every workflow using it runs that code on the next run, with
    the workflow's secrets and token. This is how the `tj-actions/changed-files`
    compromise reached thousands of repositories. A full commit SHA cannot be moved.
    GitHub stopped accepting short SHAs in 2021, so they also break the workflow.

    ## Example
    ```yaml
    steps:
      - uses: actions/checkout@v4
      - uses: docker://ghcr.io/org/tool:1.2
    ```

    ## Use instead
    ```yaml
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - uses: docker://ghcr.io/org/tool@sha256:4f3e0c1ab2d35e8f6a9b0c7d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f
    ```
    """

    code = "PL501"
    name = "unpinned-action"
    severity = Severity.WARNING
    platforms = ("github",)
    tags = ("security", "supply-chain")
    precision = "very-high"
    fixable = True
    options = {"allow": []}

    def check(self, ctx):
        parsed = ctx.file
        allow = _patterns(ctx.options.get("allow"))
        pins = getattr(ctx.settings, "action_pins", None) or {}
        if parsed.pipeline is not None and parsed.pipeline.platform == "github":
            for job in parsed.pipeline.jobs.values():
                if job.uses is not None:
                    subjects = (f"{job.label} calls", f"job '{job.id}' calls")
                    yield from self._check(parsed.file, job.uses, subjects, f"jobs.{job.id}.uses", allow, pins, job.node)
                for step in job.steps:
                    if step.uses is not None:
                        subjects = (
                            f"{_step_label(step)} of {job.label} uses",
                            f"{_step_label(step)} of job '{job.id}' uses",
                            f"{_step_label(step)} uses",
                            f"step {step.index + 1} uses",
                        )
                        path = f"jobs.{job.id}.steps[{step.index}].uses"
                        yield from self._check(parsed.file, step.uses, subjects, path, allow, pins, step.node)
        if parsed.action is not None:
            for step in parsed.action.steps:
                if step.uses is not None:
                    subjects = (f"{_step_label(step)} uses", f"step {step.index + 1} uses")
                    yield from self._check(
                        parsed.file, step.uses, subjects, f"runs.steps[{step.index}].uses", allow, pins, step.node
                    )

    def _check(self, file, ref, subjects: tuple[str, ...], path: str, allow: list[str], pins=None, owner=None):
        node = ref.node
        value = node.value
        if ref.kind == "repository":
            if not (ref.ref or "").strip() or "${{" in value:
                return  # no ref at all (PL002/PL003), or an expression GitHub rejects anyway
            if _FULL_SHA.fullmatch(ref.ref):
                return
            if _allowed(allow, ref.name, f"{ref.owner}/{ref.repo}"):
                return
            at = value.find("@")
            start, end = at + 1, len(value.rstrip())
            span = file.scalar_span(node, start, end) if 0 <= at < end - 1 else file.node_span(node)
            sha = _pin(pins, ref)
            fix = _pin_fix(file, node, owner, ref, sha) if sha else None
            message = _repository_message(subjects, ref, hint=fix is None)
            yield self.diagnostic(span, message, fix=fix, logical_path=path)
        elif ref.kind == "docker":
            if ref.ref is not None and _DIGEST.fullmatch(ref.ref.strip()):
                return
            if "${{" in value:
                return
            name = ref.path.split("@", 1)[0]
            last = name.rsplit("/", 1)[-1]
            if ":" in last:
                name = name[: len(name) - len(last)] + last.split(":", 1)[0]
            if _allowed(allow, f"docker://{name}"):
                return
            if "@" in value:
                i = value.find("@") + 1
            else:
                colon = value.rfind(":")
                i = colon + 1 if colon > value.rfind("/") else -1
            end = len(value.rstrip())
            span = file.scalar_span(node, i, end) if 0 < i < end else file.node_span(node)
            how = f"by tag '{ref.ref}', not by digest" if ref.ref else "without a tag or digest"
            templates = (
                "{s} Docker image " + f"{name} {how}, so the image can change under it; pin it as {name}@sha256:<digest>.",
                "{s} Docker image " + f"{name} {how}; pin it as {name}@sha256:<digest>.",
                "{s} a Docker image without a digest, so it can change under it; pin it with @sha256:<digest>.",
            )
            yield self.diagnostic(span, _first_fit(templates, subjects), logical_path=path)


def _repository_message(subjects: tuple[str, ...], ref, hint: bool = False) -> str:
    tag = ref.ref
    target = f"{ref.name}@{tag}"
    gh = f"gh api repos/{ref.owner}/{ref.repo}/commits/{tag} --jq .sha"
    if hint and _SHORT_SHA.fullmatch(tag):
        templates = (
            "{s} " + f"{target}, a short SHA that GitHub no longer resolves; pin the full commit SHA ({gh}; "
            "--action-pins lets --fix do it).",
            "{s} " + f"{target}, a short SHA that GitHub no longer resolves; pin the full commit SHA ({gh}).",
            "{s} an action by a short SHA, which GitHub no longer resolves; pin the full commit SHA ({gh}).",
            "{s} an action by a short SHA, which GitHub no longer resolves; pin the full 40-character commit SHA.",
        )
    elif hint:
        templates = (
            "{s} " + f"{target}, a movable ref whose code can change under you; pin its commit SHA with a "
            f"'# {tag}' comment ({gh}; --action-pins lets --fix do it).",
            "{s} " + f"{target}, a movable ref; pin its commit SHA with a '# {tag}' comment "
            f"({gh}; --action-pins lets --fix do it).",
            "{s} " + f"{target}, a movable ref; pin its commit SHA with a '# {tag}' comment ({gh}).",
            "{s} " + f"{target}, a movable ref; pin its commit SHA with a '# {tag}' comment (`gh api` gives it; "
            "--action-pins lets --fix pin).",
            "{s} " + f"{target}, a movable ref; pin the full commit SHA with a '# {tag}' comment.",
            "{s} an action by a movable ref; pin the full 40-character commit SHA with a version comment.",
        )
    elif _SHORT_SHA.fullmatch(tag):
        templates = (
            "{s} " + f"{target}, a short SHA that GitHub no longer resolves; pin the full 40-character commit SHA.",
            "{s} an action by a short SHA, which GitHub no longer resolves; pin the full 40-character commit SHA.",
        )
    else:
        templates = (
            "{s} " + f"{target}, a movable ref whose code can change under you; "
            f"pin the full 40-character commit SHA with a '# {tag}' comment.",
            "{s} " + f"{target}, a movable ref; pin the full commit SHA with a '# {tag}' comment.",
            "{s} an action by a movable ref; pin the full 40-character commit SHA with a version comment.",
        )
    return _first_fit(templates, subjects)


def _first_fit(templates: tuple[str, ...], subjects: tuple[str, ...]) -> str:
    """The most informative message that fits: shorter subjects before shorter texts."""
    for template in templates:
        for subject in subjects:
            message = template.replace("{s}", subject, 1)
            message = message[:1].upper() + message[1:]  # subjects start with step or job
            if len(message) <= _MAX_MESSAGE:
                return message
    message = templates[-1].replace("{s}", subjects[-1], 1)
    return _fit(message[:1].upper() + message[1:])


def _step_label(step) -> str:
    # Step.label falls back to the `uses:` text, which the message already quotes.
    if step.name or step.id:
        return step.label
    return f"step {step.index + 1}"


def _patterns(raw) -> list[str]:
    if not raw:
        return []
    if isinstance(raw, str):
        raw = [raw]
    return [str(p).lower() for p in raw if str(p).strip()]


def _allowed(patterns: list[str], *names: str) -> bool:
    for name in names:
        lowered = name.lower()
        if any(fnmatch.fnmatchcase(lowered, p) for p in patterns):
            return True
    return False


def _fit(message: str) -> str:
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1].rstrip() + "…"


_COMMENT = re.compile(r"[ \t]+#")


def _pin(pins, ref) -> str | None:
    """The SHA the pins map gives the ref (with the action's path first, then the repository's)."""
    if not pins:
        return None
    tag = (ref.ref or "").strip()
    for name in (ref.name, f"{ref.owner}/{ref.repo}"):
        sha = pins.get(f"{name}@{tag}".lower())
        if sha and _FULL_SHA.fullmatch(sha):
            return sha.lower()
    return None


def _pin_fix(file, node, owner, ref, sha: str):
    """``owner/repo@<sha> # <ref>``: the ref replaced in place, the comment added after the
    value (before an existing comment); None where the text does not allow it exactly."""
    if owner is None or getattr(owner, "flow_style", False):
        return None  # a flow mapping: no comment can follow the value
    text = file.text
    value = node.value
    tag = value[value.find("@") + 1 :].rstrip()
    if not tag or tag != (ref.ref or "").strip() or node.style not in ("", "'", '"'):
        return None
    start = file.scalar_offset(node, len(value.rstrip()) - len(tag))
    end = start + len(tag)
    if text[start:end] != tag:
        return None
    close = node.end_index  # after the value (and its closing quote)
    line_end = text.find("\n", close)
    line_end = len(text) if line_end < 0 else line_end
    if "\n" in text[node.start_index : close]:
        return None
    rest = text[close:line_end].rstrip("\r")
    edits = [Edit(file.path, start, end, sha)]
    if _SHORT_SHA.fullmatch(tag):
        pass  # a short SHA says nothing a reader can use: no version comment
    elif not rest.strip():
        edits.append(Edit(file.path, close, close, f" # {tag}"))
    elif _COMMENT.match(rest):
        words = rest.lstrip()[1:].split()
        # a version comment already leads (`# v4`, `# v4.2.1`, `# tag=v4`): keep it as it is
        if not (words and re.match(r"(?:tag=)?" + re.escape(tag) + r"(?![\w-])", words[0])):
            at = close + len(rest) - len(rest.lstrip())
            edits.append(Edit(file.path, at, at, f"# {tag} "))
    else:
        return None  # something else follows on the line (a flow collection's ',' or '}')
    return Fix(f"Pin {ref.name}@{tag} to {sha[:12]}", tuple(edits), Applicability.UNSAFE)
