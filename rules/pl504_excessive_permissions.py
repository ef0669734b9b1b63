"""PL504 excessive-permissions."""

from __future__ import annotations


from pipelint import yamledit
from pipelint.diagnostics import Applicability, Fix, Related, Severity
from pipelint.rule import Rule
from pipelint.yamltree import Mapping, Scalar

_MAX_MESSAGE = 199


class ExcessivePermissions(Rule):
    """## What it does
    Reports a GitHub workflow whose `GITHUB_TOKEN` permissions are left to the
    repository default, and any `permissions: write-all`:

    - no top-level `permissions:` and at least one job without its own. When most jobs
      lack one, a single finding points at the `jobs:` key (related: those jobs): the fix
      is one top-level block, conventionally written just above it, which jobs with
      their own block still override. When most jobs already set their own, each job
      without one is reported at its key, since following the workflow's per-job style
      is the fix there.
    - `permissions: write-all`, at the top level or in a job, at the value.

    A reusable workflow triggered only by `workflow_call` is not reported for missing
    permissions: its jobs receive the caller's token, which they can only narrow. The
    caller is reported instead: a job that calls a reusable workflow without its own
    `permissions:` (and no top-level block) hands the called jobs the default token,
    unless the called workflow is local and declares restrictive permissions itself.
    A reusable workflow that also has other triggers (`workflow_dispatch`, `push`...)
    is reported, since it then runs standalone with the default token.
    `permissions: {}`, `read-all` and explicit scope maps are fine.

    ## Why is this bad?
    Without a `permissions:` block the token gets the repository's or organisation's
    default scopes, which for older repositories and many organisations is read-write
    on contents, packages, pull requests, actions and more. Any step that is
    compromised (a hijacked action, a script injection, a poisoned dependency) can
    then push code, publish releases or tamper with other workflows. `write-all`
    grants that explicitly. Declaring the least privilege keeps a compromise small.

    ## Example
    ```yaml
    on: push
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
          - run: make test
    ```

    ## Use instead
    ```yaml
    on: push
    permissions:
      contents: read
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
          - run: make test
    ```
    """

    code = "PL504"
    name = "excessive-permissions"
    severity = Severity.WARNING
    platforms = ("github",)
    tags = ("security", "least-privilege")
    precision = "high"
    fixable = True

    def check(self, ctx):
        pipeline = ctx.file.pipeline
        if pipeline is None or pipeline.platform != "github":
            return
        file = pipeline.file

        if _is_write_all(pipeline.permissions):
            yield self.diagnostic(
                file.node_span(pipeline.permissions),
                "Top-level permissions: write-all gives every job a token that can write to the whole repository; "
                "list only the scopes the jobs need.",
                logical_path="permissions",
            )
        for job in pipeline.jobs.values():
            if isinstance(job.node, Mapping) and _is_write_all(job.permissions):
                yield self.diagnostic(
                    file.node_span(job.permissions),
                    _fit(
                        f"{_label(job)} sets permissions: write-all, a token that can write to the whole repository; "
                        "list only the scopes this job needs."
                    ),
                    logical_path=f"jobs.{job.id}.permissions",
                )

        if pipeline.permissions_key is not None:
            return
        events = pipeline.events
        if not events or events == {"workflow_call"}:
            return  # not runnable, or a reusable workflow: it gets the caller's token
        jobs = [job for job in pipeline.jobs.values() if isinstance(job.node, Mapping)]
        if not jobs:
            return
        lacking = [job for job in jobs if "permissions" not in job.node and not self._called_restricts(ctx, job)]
        if not lacking:
            return
        with_own = [job for job in jobs if "permissions" in job.node]
        if len(lacking) > len(with_own):
            # One top-level block is the fix (jobs that set their own keep it).
            jobs_key = pipeline.root.key_node("jobs")
            span = file.node_span(jobs_key) if jobs_key is not None else file.node_span(pipeline.root)
            related = [Related(job.key_span(), f"{job.label} runs with the default token") for job in lacking[:10]]
            yield self.diagnostic(
                span,
                "No top-level permissions: block, so jobs without their own get the repository's default "
                "GITHUB_TOKEN scopes (possibly write); add 'permissions: contents: read' at the top.",
                related=related,
                logical_path="permissions",
                fix=_top_level_fix(pipeline, lacking),
            )
            return
        for job in lacking:
            label = _label(job)
            if job.uses is not None:
                message = (
                    f"{label} calls a reusable workflow with no permissions: here or at the top, so the called "
                    "jobs get the default token scopes; add permissions: to this job."
                )
            else:
                message = (
                    f"{label} has no permissions: and the workflow sets none at the top, so its GITHUB_TOKEN gets "
                    "the default scopes (possibly write); add permissions: to it."
                )
            yield self.diagnostic(
                job.key_span(), _fit(message), logical_path=f"jobs.{job.id}.permissions", fix=_job_fix(pipeline, job)
            )

    # ----------------------------------------------------------------- helpers
    def _called_restricts(self, ctx, job) -> bool:
        """A job calling a local reusable workflow that narrows the token itself."""
        called = ctx.project.graph.called.get(job)
        if called is None:
            return False
        if called.permissions_key is not None:
            return not _is_write_all(called.permissions)
        called_jobs = [j for j in called.jobs.values() if isinstance(j.node, Mapping)]
        return bool(called_jobs) and all(
            "permissions" in j.node and not _is_write_all(j.permissions) for j in called_jobs
        )


# ------------------------------------------------------------------- fixes
# The fix adds the least privilege that lets a job check out its repository. It is
# unsafe: a job that pushes, publishes a release, comments or uploads packages with the
# token loses that right and must declare its own permissions.

_NEEDS_MORE = "jobs that push, release, comment or publish with the token must then declare their own permissions:"


def _top_level_fix(pipeline, lacking) -> Fix | None:
    """``permissions: contents: read`` at the top, just above ``jobs:``."""
    file = pipeline.file
    text = file.text
    root = pipeline.root
    step = yamledit.nesting_step(text, root)
    edit = yamledit.insert_at_key(
        text, file.path, root, ["permissions:", f"{step}contents: read"], before="jobs", blank_after=True
    )
    if edit is None:
        return None
    names = ", ".join(job.id for job in lacking[:3]) + (" ..." if len(lacking) > 3 else "")
    return Fix(
        f"add a top-level 'permissions: contents: read' (for {names}); {_NEEDS_MORE}",
        (edit,),
        Applicability.UNSAFE,
    )


def _job_fix(pipeline, job) -> Fix | None:
    """``permissions: contents: read`` in the job, after ``runs-on:`` / ``uses:``."""
    file = job.node_file
    text = file.text
    node = job.node
    if not isinstance(node, Mapping):
        return None
    after = "uses" if job.uses is not None else "runs-on"
    if after not in node:
        return None
    step = yamledit.nesting_step(text, node, default=0) or yamledit.nesting_step(text, pipeline.root)
    edit = yamledit.insert_at_key(text, file.path, node, ["permissions:", f"{step}contents: read"], after=after)
    if edit is None:
        return None
    if job.uses is not None:
        what = f"add 'permissions: contents: read' to {job.id}, the token its called workflow gets; called jobs that need more fail until you widen it"
    else:
        what = f"add 'permissions: contents: read' to {job.id}; if it pushes, releases, comments or publishes with the token, widen it"
    return Fix(what, (edit,), Applicability.UNSAFE)


def _label(job) -> str:
    return job.label if len(job.label) <= 50 else f"job '{job.id}'"


def _is_write_all(node) -> bool:
    return isinstance(node, Scalar) and node.value.strip() == "write-all"


def _fit(message: str) -> str:
    message = message[:1].upper() + message[1:]  # it starts with a job label
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1].rstrip() + "…"
