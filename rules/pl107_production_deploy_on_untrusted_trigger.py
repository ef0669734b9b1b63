"""PL107 production-deploy-on-untrusted-trigger.

A production deploy that can run for a change nobody has merged yet:

* GitHub: the workflow is triggered by ``pull_request``, ``pull_request_target`` or
  ``issue_comment`` and neither the job's ``if:`` nor an upstream job's ``if:`` (a skipped
  need skips the job) excludes that event. Conditions are parsed and evaluated with the
  event's known facts (``github.event_name``; on ``pull_request`` ``github.ref`` is
  ``refs/pull/N/merge``, so ``github.ref == 'refs/heads/main'`` is false;
  ``github.event.pull_request.merged`` is false for the untrusted case); anything else is
  unknown. A condition that checks who acted (``author_association``, ``github.actor``)
  is a deliberate trust check: not reported. When the job declares no environment, a
  production deploy step must also be able to run (its step ``if:``). Jobs of a reusable
  workflow are judged per scanned call site (the caller's events and ``if:``), reported
  at the call site.
* GitLab: the job is in merge-request pipelines: ``only: [merge_requests]``, or a rule
  whose ``if:`` is true for ``$CI_PIPELINE_SOURCE == "merge_request_event"`` pipelines
  is the first that can match (``$CI_COMMIT_BRANCH``/``$CI_COMMIT_TAG`` are unset there),
  or the job has no ``rules``/``only`` and ``workflow: rules`` create merge-request
  pipelines. A rule that may or may not match is not reported.
* Azure: the pipeline has an explicit ``pr:`` trigger and no stage/job ``condition:``
  excludes ``variables['Build.Reason'] == 'PullRequest'`` (an upstream stage whose
  condition excludes it skips the default-conditioned stages after it). Jobs from
  ``${{ if }}`` branches are not judged (the template condition is not evaluated).
"""

from __future__ import annotations

from pipelint.activities import fit, job_path, judged_deploys, path_note, upstream_elsewhere
from pipelint.deploy import called_workflow, command_targets_production, deploy_commands, step_deploy_commands
from pipelint.diagnostics import Related, Severity
from pipelint.rule import Rule
from pipelint.yamltree import Mapping, Scalar, Sequence

UNTRUSTED = ("pull_request", "pull_request_target", "issue_comment")


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


class _Set:
    """A variable/context known to hold a non-empty value whose text is unknown."""


SET = _Set()


class _Prefix:
    def __init__(self, prefix: str):
        self.prefix = prefix.lower()


def _truth(v):
    if v is UNKNOWN or isinstance(v, _Prefix):
        return UNKNOWN if v is UNKNOWN else True
    if v is SET:
        return True
    if v is None or v is False or v == "" or v == 0:
        return False
    return True


def _and(values):
    out = True
    for v in values:
        t = _truth(v)
        if t is False:
            return False
        if t is UNKNOWN:
            out = UNKNOWN
    return out


def _or(values):
    out = False
    for v in values:
        t = _truth(v)
        if t is True:
            return True
        if t is UNKNOWN:
            out = UNKNOWN
    return out


def _not(v):
    t = _truth(v)
    return UNKNOWN if t is UNKNOWN else (not t)


def _eq(a, b):
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    if isinstance(b, _Prefix):
        a, b = b, a
    if isinstance(a, _Prefix):
        if isinstance(b, str):
            return UNKNOWN if b.lower().startswith(a.prefix) else False
        return UNKNOWN
    if a is SET or b is SET:
        if a is None or b is None:
            return False
        return UNKNOWN
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    if isinstance(a, bool) or isinstance(b, bool):
        if isinstance(a, str) or isinstance(b, str):
            return UNKNOWN
    return a == b


def _starts(a, b):
    if isinstance(a, _Prefix) and isinstance(b, str):
        b = b.lower()
        if a.prefix.startswith(b):
            return True
        return UNKNOWN if b.startswith(a.prefix) else False
    if isinstance(a, str) and isinstance(b, str):
        return a.lower().startswith(b.lower())
    return UNKNOWN


def _ends(a, b):
    if isinstance(a, str) and isinstance(b, str):
        return a.lower().endswith(b.lower())
    return UNKNOWN


def _contains(a, b):
    if isinstance(a, str) and isinstance(b, str):
        return b.lower() in a.lower()
    return UNKNOWN


# ------------------------------------------------------------------ GitHub

_TRUST_CHECKS = (
    "github.event.comment.author_association",
    "github.event.pull_request.author_association",
    "github.event.review.author_association",
    "github.actor",
    "github.triggering_actor",
    "github.event.sender.login",
    "github.event.comment.user.login",
)


def _github_facts(event: str) -> dict:
    facts = {"github.event_name": event}
    if event == "pull_request":
        facts["github.ref"] = _Prefix("refs/pull/")
        facts["github.base_ref"] = SET
        facts["github.head_ref"] = SET
        facts["github.event.pull_request.merged"] = False
    elif event == "pull_request_target":
        facts["github.head_ref"] = SET
        facts["github.event.pull_request.merged"] = False
    else:
        facts["github.head_ref"] = ""
        facts["github.base_ref"] = ""
        facts["github.event.pull_request.merged"] = None  # the payload has issue.pull_request
    return facts


def _github_condition(scalar: Scalar | None):
    """(parsed expression or None for 'no condition', ok) — ok False when unreadable."""
    if scalar is None:
        return None, True
    from pipelint.expressions import github as gh

    text = scalar.value.strip()
    if not text:
        return None, True
    found = gh.find_expressions(text)
    if found:
        if len(found) != 1 or found[0].start != 0 or found[0].end != len(text):
            return None, False
        text = found[0].inner
    try:
        return gh.parse(text), True
    except Exception:
        return None, False


def _github_eval(expr, facts):
    from pipelint.expressions import github as gh

    if isinstance(expr, gh.Literal):
        return expr.value
    if isinstance(expr, gh.Group):
        return _github_eval(expr.expr, facts)
    if isinstance(expr, gh.Context):
        paths = gh.context_paths(expr)
        path = paths[0][0] if paths else ""
        if facts.get("inputs-null") and path.startswith(("inputs.", "github.event.inputs.")):
            return None  # no inputs on this event: every input is null
        return facts.get(path, UNKNOWN)
    if isinstance(expr, gh.Unary):
        return _not(_github_eval(expr.operand, facts))
    if isinstance(expr, gh.Binary):
        if expr.op == "&&":
            left = _github_eval(expr.left, facts)
            if _truth(left) is False:
                return left
            return _and([left, _github_eval(expr.right, facts)])
        if expr.op == "||":
            return _or([_github_eval(expr.left, facts), _github_eval(expr.right, facts)])
        a, b = _github_eval(expr.left, facts), _github_eval(expr.right, facts)
        if expr.op == "==":
            return _github_eq(a, b)
        if expr.op == "!=":
            return _not(_github_eq(a, b))
        return UNKNOWN
    if isinstance(expr, gh.Call):
        name = expr.name.lower()
        args = [_github_eval(a, facts) for a in expr.args]
        if name in ("success", "always"):
            return True
        if name in ("cancelled",):
            return False
        if name == "startswith" and len(args) == 2:
            return _starts(args[0], args[1])
        if name == "endswith" and len(args) == 2:
            return _ends(args[0], args[1])
        if name == "contains" and len(args) == 2:
            return _contains(args[0], args[1])
        return UNKNOWN
    return UNKNOWN


def _number(v):
    if v is None or v is False:
        return 0.0
    if v is True:
        return 1.0
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip()) if v.strip() else 0.0
        except ValueError:
            return float("nan")
    return None


def _github_eq(a, b):
    """GitHub's loose equality: values of different types compare as numbers
    (``null``, ``''``, ``false`` are all 0)."""
    plain = (type(None), bool, int, float, str)
    if isinstance(a, plain) and isinstance(b, plain) and type(a) is not type(b):
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
            return float(a) == float(b)
        x, y = _number(a), _number(b)
        return x == y  # NaN never equals
    return _eq(a, b)


def _github_allows(scalar: Scalar | None, event: str, direct: bool = True) -> bool:
    """The condition does not exclude ``event`` (True when it may be true)."""
    expr, ok = _github_condition(scalar)
    if not ok:
        return False  # unreadable: do not judge
    if expr is None:
        return True
    from pipelint.expressions import github as gh

    if any(p[0] in _TRUST_CHECKS or p[0].startswith(_TRUST_CHECKS) for p in gh.context_paths(expr)):
        return False  # a deliberate check of who acted
    facts = _github_facts(event)
    facts["inputs-null"] = direct
    return _truth(_github_eval(expr, facts)) is not False


def _github_ignores_needs(scalar: Scalar | None) -> bool:
    expr, ok = _github_condition(scalar)
    if expr is None:
        return False
    from pipelint.expressions import github as gh

    return any(isinstance(n, gh.Call) and n.name.lower() in ("always", "failure", "cancelled") for n in gh.walk(expr))


def _github_reachable(job, event: str, memo: dict, direct: bool = True) -> bool:
    """The job may run on ``event``: its ``if:`` and (unless it ignores needs) its needs'.
    ``direct``: the workflow itself is triggered by the event (so ``inputs`` are null);
    False for a reusable workflow's job judged through a caller."""
    key = (id(job), event)
    if key in memo:
        return memo[key]
    memo[key] = True  # cycles: assume reachable
    result = _github_allows(job.condition, event, direct)
    if result and not _github_ignores_needs(job.condition):
        for need in job.needs:
            up = job.pipeline.jobs.get(need.job_id)
            if up is not None and not _github_reachable(up, event, memo, direct):
                result = False
                break
    memo[key] = result
    return result


# ------------------------------------------------------------------ GitLab

_MR_FACTS = {
    "CI_PIPELINE_SOURCE": "merge_request_event",
    "CI_COMMIT_BRANCH": None,
    "CI_COMMIT_TAG": None,
    "CI_MERGE_REQUEST_ID": SET,
    "CI_MERGE_REQUEST_IID": SET,
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": SET,
    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": SET,
    "CI_MERGE_REQUEST_PROJECT_ID": SET,
    "CI_MERGE_REQUEST_REF_PATH": SET,
    "CI_OPEN_MERGE_REQUESTS": SET,
    "CI_DEFAULT_BRANCH": SET,
    "CI_COMMIT_REF_NAME": SET,
    "CI_COMMIT_SHA": SET,
    "CI_PROJECT_PATH": SET,
}


def _gitlab_eval(expr):
    from pipelint.expressions import gitlab as gl

    if isinstance(expr, gl.Literal):
        return expr.value
    if isinstance(expr, gl.Variable):
        return _MR_FACTS.get(expr.name, UNKNOWN)
    if isinstance(expr, gl.Binary):
        if expr.op == "&&":
            return _and([_gitlab_eval(expr.left), _gitlab_eval(expr.right)])
        if expr.op == "||":
            return _or([_gitlab_eval(expr.left), _gitlab_eval(expr.right)])
        a, b = _gitlab_eval(expr.left), _gitlab_eval(expr.right)
        if expr.op in ("==", "!="):
            r = _eq(a, b)
            return r if expr.op == "==" else _not(r)
        if expr.op in ("=~", "!~"):
            if a is None or b is None:
                r = False
            elif isinstance(a, str) and isinstance(b, gl.Pattern):
                import re

                try:
                    r = bool(re.search(b.source, a, re.IGNORECASE if "i" in b.flags else 0))
                except re.error:
                    r = UNKNOWN
            else:
                r = UNKNOWN
            return r if expr.op == "=~" else _not(r)
        return UNKNOWN
    if isinstance(expr, gl.Pattern):
        return expr
    return UNKNOWN


def _gitlab_rules(rules) -> object:
    """First-match ``rules`` for a merge-request pipeline: True (added), False, UNKNOWN."""
    from pipelint.expressions import gitlab as gl

    if not isinstance(rules, Sequence):
        return UNKNOWN
    for rule in rules:
        if not isinstance(rule, Mapping):
            return UNKNOWN
        when = rule.get("when")
        never = isinstance(when, Scalar) and when.value == "never"
        cond = rule.get("if")
        if cond is None:
            match = True
        elif isinstance(cond, Scalar):
            try:
                match = _truth(_gitlab_eval(gl.parse(cond.value)))
            except Exception:
                return UNKNOWN
        else:
            return UNKNOWN
        if match is True and any(k in rule for k in ("changes", "exists")):
            match = UNKNOWN
        if match is False:
            continue
        if match is True:
            return not never
        return UNKNOWN  # may or may not match
    return False


def _gitlab_mr_pipelines(pipeline) -> object:
    trigger = pipeline.trigger("workflow")
    config = trigger.config if trigger is not None else None
    if not isinstance(config, Mapping) or config.get("rules") is None:
        return None  # no workflow rules
    return _gitlab_rules(config.get("rules"))


def _names(node) -> list[str]:
    if isinstance(node, Scalar):
        return [node.value]
    if isinstance(node, Sequence):
        return [i.value for i in node if isinstance(i, Scalar)]
    if isinstance(node, Mapping):
        return _names(node.get("refs"))
    return []


def _gitlab_in_mr(job) -> bool:
    workflow = _gitlab_mr_pipelines(job.pipeline)
    if workflow is False:
        return False
    rules = job.extra.get("rules")
    if rules is not None:
        return _gitlab_rules(rules) is True
    only, except_ = job.extra.get("only"), job.extra.get("except")
    if "merge_requests" in _names(except_):
        return False
    if only is not None:
        return "merge_requests" in _names(only)
    return workflow is True


# ------------------------------------------------------------------ Azure

_PR_VARIABLES = {
    "variables.build.reason": "PullRequest",
    "variables.build.sourcebranch": _Prefix("refs/pull/"),
    "variables.build.sourcebranchname": "merge",
    "variables.system.pullrequest.pullrequestid": SET,
    "variables.system.pullrequest.pullrequestnumber": SET,
    "variables.system.pullrequest.sourcebranch": SET,
    "variables.system.pullrequest.targetbranch": SET,
}


def _azure_eval(expr):
    from pipelint.expressions import azure as az

    if isinstance(expr, az.Literal):
        return expr.value
    if isinstance(expr, az.NamedValue):
        paths = az.named_paths(expr)
        return _PR_VARIABLES.get(paths[0][0], UNKNOWN) if paths else UNKNOWN
    if isinstance(expr, az.Call):
        if expr.segments:
            return UNKNOWN
        name = expr.name.lower()
        args = [_azure_eval(a) for a in expr.args]
        if name == "and":
            return _and(args)
        if name == "or":
            return _or(args)
        if name == "not" and len(args) == 1:
            return _not(args[0])
        if name in ("eq", "ne") and len(args) == 2:
            r = _eq(args[0], args[1])
            return r if name == "eq" else _not(r)
        if name in ("in", "notin") and args:
            r = _or([_eq(args[0], a) for a in args[1:]])
            return r if name == "in" else _not(r)
        if name == "startswith" and len(args) == 2:
            return _starts(args[0], args[1])
        if name == "endswith" and len(args) == 2:
            return _ends(args[0], args[1])
        if name == "contains" and len(args) == 2:
            return _contains(args[0], args[1])
        if name in ("succeeded", "always", "succeededorfailed"):
            return True
        if name == "canceled":
            return False
        return UNKNOWN
    return UNKNOWN


def _azure_allows(scalar: Scalar | None) -> bool:
    if scalar is None:
        return True
    from pipelint.expressions import azure as az

    try:
        expr = az.parse(scalar.value)
    except Exception:
        return False
    return _truth(_azure_eval(expr)) is not False


def _azure_default(scalar: Scalar | None) -> bool:
    """The condition keeps the dependency check (none, or it calls succeeded())."""
    if scalar is None:
        return True
    from pipelint.expressions import azure as az

    try:
        expr = az.parse(scalar.value)
    except Exception:
        return True
    return any(isinstance(n, az.Call) and n.name.lower() == "succeeded" for n in az.walk(expr))


def _azure_stage_reachable(pipeline, name: str, memo: dict) -> bool:
    if name in memo:
        return memo[name]
    memo[name] = True
    stage = next((s for s in pipeline.stages if s.name == name), None)
    result = True
    if stage is not None:
        result = _azure_allows(stage.condition)
        if result and _azure_default(stage.condition):
            result = all(_azure_stage_reachable(pipeline, dep, memo) for dep, _n in stage.depends_on)
    memo[name] = result
    return result


def _azure_reachable(job, memo: dict) -> bool:
    if not _azure_allows(job.condition):
        return False
    if job.stage and _azure_default(job.condition):
        return _azure_stage_reachable(job.pipeline, job.stage, memo)
    return True


# ------------------------------------------------------------------ the rule


class ProductionDeployOnUntrustedTrigger(Rule):
    """## What it does
    Reports a production deploy that can run for an unmerged change: a GitHub workflow
    triggered by `pull_request`, `pull_request_target` or `issue_comment` whose deploy job
    has no `if:` excluding those events, a GitLab job that runs in merge-request
    pipelines, or an Azure pipeline with a `pr:` trigger and no condition excluding
    pull-request builds.

    ## Why is this bad?
    Anyone who can open a pull request (or comment on one) can then ship code that
    nobody has reviewed or merged to production, with the production credentials in reach.

    ## Example
    ```yaml
    on:
      push:
        branches: [main]
      pull_request:
    jobs:
      deploy-production:
        runs-on: ubuntu-latest
        environment: production
        steps:
          - uses: actions/checkout@v4
          - run: ./scripts/deploy.sh production
    ```

    ## Use instead
    ```yaml
    on:
      push:
        branches: [main]
      pull_request:
    jobs:
      deploy-production:
        if: github.event_name == 'push' && github.ref == 'refs/heads/main'
        runs-on: ubuntu-latest
        environment: production
        steps:
          - uses: actions/checkout@v4
          - run: ./scripts/deploy.sh production
    ```
    """

    code = "PL107"
    name = "production-deploy-on-untrusted-trigger"
    severity = Severity.ERROR
    platforms = ("github", "gitlab", "azure")
    tags = ("security", "promotion", "deployment")
    precision = "medium"
    scope = "project"

    def check(self, ctx):
        project = ctx.project
        targets = ctx.targets
        self._callers_reported: set = set()
        for job in judged_deploys(project, targets):
            pipeline = job.pipeline
            if pipeline.platform == "github":
                yield from self._github(job, project, targets)
            elif pipeline.platform == "gitlab":
                if _gitlab_in_mr(job):
                    yield self._finding(job, project, "merge-request pipelines", targets)
            elif pipeline.platform == "azure":
                trigger = pipeline.trigger("pr")
                if trigger is None or job.extra.get("conditional"):
                    continue
                if _azure_reachable(job, {}):
                    yield self._finding(job, project, "the `pr:` trigger", targets, trigger.node, pipeline.file)

    def _github(self, job, project, targets):
        pipeline = job.pipeline
        memo: dict = {}
        events = [e for e in UNTRUSTED if e in pipeline.events]
        for event in events:
            if _github_reachable(job, event, memo) and _deploy_step_runs(job, event, targets):
                trigger = pipeline.trigger(event)
                yield self._finding(job, project, f"`{event}`", targets, trigger.node if trigger else None, pipeline.file)
                return
        if pipeline.kind != "reusable-workflow":
            return
        for caller in project.graph.callers.get(pipeline, ()):
            if called_workflow(caller, project) is not pipeline or id(caller) in self._callers_reported:
                continue
            cmemo: dict = {}
            for event in (e for e in UNTRUSTED if e in caller.pipeline.events):
                if (
                    _github_reachable(caller, event, cmemo)
                    and _github_reachable(job, event, {}, direct=False)
                    and _deploy_step_runs(job, event, targets, direct=False)
                ):
                    trigger = caller.pipeline.trigger(event)
                    related = [Related(job.key_span(), f"{job.label} of the called workflow deploys to production")]
                    message = fit(
                        f"{caller.label} runs a production deploy ({job.label}) on `{event}`, so unmerged changes can ship; "
                        "add an `if:` that excludes the event.",
                    )
                    message = message[:1].upper() + message[1:]  # a label such as job 'x' starts it
                    if trigger is not None and trigger.node is not None:
                        related.append(Related(caller.pipeline.file.node_span(trigger.node), f"the `{event}` trigger"))
                    self._callers_reported.add(id(caller))
                    yield self.diagnostic(caller.key_span(), message, related=related, logical_path=job_path(caller))
                    break

    def _finding(self, job, project, what, targets, trigger_node=None, trigger_file=None):
        related = []
        if trigger_node is not None and trigger_file is not None:
            related.append(Related(trigger_file.node_span(trigger_node), f"the untrusted trigger: {what}"))
        commands = [c for c in deploy_commands(job) if command_targets_production(c, targets)]
        if commands:
            related.append(Related(commands[0].span(), f"the production deploy: {commands[0].label}"))
        if job.pipeline.platform == "github":
            fix = "add a job `if:` that excludes the event"
        elif job.pipeline.platform == "gitlab":
            fix = "add a first rule `if: $CI_PIPELINE_SOURCE == \"merge_request_event\"` with `when: never`"
        else:
            fix = "add `ne(variables['Build.Reason'], 'PullRequest')` to its condition"
        related += upstream_elsewhere(job, project)
        path = path_note(job, project)
        message = fit(
            f"{job.label} deploys to production and can run on {what}{path}, so unmerged changes can ship; {fix}.",
            f"{job.label} deploys to production and can run on {what}, so unmerged changes can ship; {fix}.",
            f"{job.label} deploys to production on {what}; {fix}.",
        )
        message = message[:1].upper() + message[1:]  # a label such as job 'x' starts it
        return self.diagnostic(job.key_span(), message, related=related, logical_path=job_path(job))


def _deploy_step_runs(job, event: str, targets, direct: bool = True) -> bool:
    """With a production environment the job itself is the deploy; otherwise some deploy
    step must be able to run on the event."""
    if job.environment is not None:
        return True
    deploying_steps = [s for s in job.steps if step_deploy_commands(s)]
    if not deploying_steps:
        return True
    return any(_github_allows(s.condition, event, direct) for s in deploying_steps)
