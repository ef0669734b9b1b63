"""What verifies a deploy, and which waits can hang (PL202, PL203).

A *verification* shows that a rollout took effect: a command that waits for it
(:data:`~pipelint.tables.VERIFY_COMMANDS`: ``kubectl rollout status``, ``kubectl wait
--for=...``, ``kubectl argo rollouts status``, ``aws ecs wait services-stable``...), a
deploy command that waits by itself (:data:`~pipelint.tables.WAITING_DEPLOY_OPTIONS`:
``helm upgrade --wait|--atomic``; :data:`~pipelint.tables.WAITING_DEPLOYS`: ``gcloud run
deploy`` unless ``--async``), a deploying action/task that checks the rollout
(:data:`~pipelint.tables.VERIFYING_ACTIONS`: ``azure/k8s-deploy``, the ECS action with
``wait-for-service-stability: true``, Azure ``KubernetesManifest``), a health check
(:mod:`pipelint.healthcheck`: a GET request to a deep readiness path, or to a
``/health``/``/healthz``/``/status`` path, which the catalogue does not call shallow), or
a smoke test (a test command after the deploy, or a downstream test job).

Which deploys are *judged* (:data:`ROLLOUT_DEPLOYS`): rollouts of a running service that
can fail after the deploy command returned — Kubernetes manifests and workloads, Helm,
Argo CD / Argo Rollouts, ECS, CodeDeploy, Cloud Run, App Service, fly.io, Kamal. Not
judged (precision first): infrastructure applies (``terraform apply``, ``pulumi up``,
CloudFormation / SAM / CDK, which wait for the stack themselves), static-site and edge
uploads (Pages, Firebase, Netlify, Vercel, Cloudflare, Static Web Apps), function
uploads, migrations, and opaque deploy scripts (``./deploy.sh``, ``make deploy``): what
they do, and whether they wait, cannot be told. ``kubectl create|apply`` of non-workload
objects (``kubectl create secret``, ``... | kubectl apply -f -`` fed by ``kubectl create
configmap --dry-run``, ``kubectl apply -f namespace.yaml``) is no rollout either.

Waits (PL203): :func:`unbounded_waits` finds ``kubectl rollout status`` / ``kubectl argo
rollouts status`` without ``--timeout`` (``kubectl wait`` has a 30 s default timeout,
so it is bounded) and retry loops (``until ...; do sleep; done``, ``while true``) that
neither count nor time out (:attr:`pipelint.shell.Loop.bounded`). A ``timeout`` wrapper,
a step timeout (GitHub step ``timeout-minutes``, Azure step ``timeoutInMinutes``) or an
explicit job timeout (GitHub ``timeout-minutes``, GitLab ``timeout``, Azure
``timeoutInMinutes``) bounds the wait: the job fails when it is over.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Iterator

from . import healthcheck, tables
from .deploy import DeployCommand, command_words, deploy_commands, step_deploy_commands
from .model import Job, Step
from .shell import Command, Loop, mentions
from .tables import (
    LOCAL_CLUSTER_ACTIONS,
    LOCAL_CLUSTER_COMMANDS,
    ROLLOUT_DEPLOYS,
    HEALTH_CHECK_ACTIONS,
    VERIFY_COMMANDS as _BUILTIN_VERIFY,
    VERIFYING_ACTIONS,
    WAITING_DEPLOY_OPTIONS,
    WAITING_DEPLOYS,
    VerifyCommand,
)
from .yamltree import Mapping, Scalar

#: Kubernetes kinds that roll out pods (``kubectl create deployment``, ``kubectl patch sts``).
_WORKLOAD_KINDS = frozenset(
    {
        "deployment", "deployments", "deploy", "statefulset", "statefulsets", "sts", "daemonset", "daemonsets", "ds",
        "rollout", "rollouts", "ro", "deploymentconfig", "deploymentconfigs", "dc",
    }
)
#: Manifest file names that hold no workload (``kubectl apply -f namespace.yaml``).
_NON_WORKLOAD_FILE = re.compile(
    r"(?:^|[/_.-])(?:namespaces?|ns|secrets?|configmaps?|cm|crds?|rbac|roles?|clusterroles?|rolebindings?|"
    r"serviceaccounts?|sa|ingress(?:es)?|services?|svc|pvcs?|volumes?|storage(?:class)?|certs?|certificates?|"
    r"issuers?|cluster-issuer|endpoints?|endpointslices?|accounts?|networkpolic(?:y|ies)|quotas?|limitrange|priorityclass|hpa|pdb)(?:[._-]|$)",
    re.IGNORECASE,
)
_LOCAL_CLUSTER_HINT = re.compile(r"\b(?:kind|minikube|k3d|ctlptl|microk8s|k3s)\b")
#: Path words of health endpoints the catalogue does not call shallow: a GET to them
#: after the deploy counts as a check (besides the deep readiness paths).
_HEALTH_WORDS = ("health", "status", "ready")


# ------------------------------------------------------------------ judged deploys


def _creates_local_cluster(step: Step) -> bool:
    identity = _action_identity(step)
    if identity and identity in LOCAL_CLUSTER_ACTIONS:
        return True
    ref = step.uses
    if ref is not None and ref.kind == "local" and _LOCAL_CLUSTER_HINT.search(ref.raw):
        return True  # ./.github/actions/setup-k3d
    if isinstance(step.inputs, Mapping) and any(_LOCAL_CLUSTER_HINT.search(k) for k, _k, _v in step.inputs.items()):
        return True  # a setup action with `create-kind-cluster: true`
    script = step.script
    if script is None or script.language != "shell" or not _LOCAL_CLUSTER_HINT.search(script.text):
        return False
    program = script.program
    if program is None:
        return False
    for command in program.commands:
        words = [w.text for w in command_words(list(command.words))]
        if not words:
            continue
        name = words[0].rsplit("/", 1)[-1]
        for program_name, sub in LOCAL_CLUSTER_COMMANDS:
            if name == program_name and tuple(w for w in words[1:] if not w.startswith("-"))[: len(sub)] == sub:
                return True
    return False


def is_test_harness(job: Job) -> bool:
    """A CI job that deploys only to test: it creates a throwaway cluster (kind, minikube,
    k3d...), or it is a test job (:func:`pipelint.activities.is_test_job`) with no
    environment. Its deploys are fixtures of the tests, not releases."""
    from .activities import is_test_job

    if any(_creates_local_cluster(step) for step in job.steps):
        return True
    return job.environment is None and is_test_job(job)


def _command_kind(cmd: DeployCommand) -> str | None:
    """The first positional word after ``kubectl create|patch|replace`` (the kind)."""
    for w in cmd.args:
        if w.startswith("-"):
            continue
        return w.split("/", 1)[0].split(".", 1)[0].lower()
    return None


def _manifest_files(words) -> list[str]:
    out = []
    ws = list(words)
    for i, w in enumerate(ws):
        if w in ("-f", "--filename", "-k", "--kustomize") and i + 1 < len(ws):
            out.append(ws[i + 1])
        elif w.startswith(("--filename=", "--kustomize=")):
            out.append(w.split("=", 1)[1])
        elif w.startswith("-f") and len(w) > 2 and not w.startswith("--"):
            out.append(w[2:])
    return out


def is_rollout(cmd: DeployCommand) -> bool:
    """A deploy whose rollout PL202 judges (:data:`ROLLOUT_DEPLOYS`, minus Kubernetes
    commands that create no workload)."""
    if cmd.label not in ROLLOUT_DEPLOYS:
        return False
    if cmd.label in ("kubectl create", "kubectl replace", "kubectl patch", "kubectl apply"):
        files = _manifest_files(cmd.words)
        if cmd.label != "kubectl apply" and not files:
            return _command_kind(cmd) in _WORKLOAD_KINDS
        if files:
            if all(f != "-" and _NON_WORKLOAD_FILE.search(f) for f in files):
                return False
            if files == ["-"] and cmd.piped:
                feed = list(cmd.piped)
                # ``kubectl create secret ... --dry-run=client -o yaml | kubectl apply -f -``
                if len(feed) > 1 and feed[0].rsplit("/", 1)[-1] in ("kubectl", "oc") and feed[1] == "create":
                    kind = next((w for w in feed[2:] if not w.startswith("-")), "")
                    return kind.lower() in _WORKLOAD_KINDS
    return True


def _option_on(words, options) -> bool:
    for w in words:
        for opt in options:
            if w == opt:
                return True
            if w.startswith(opt + "="):
                return w.split("=", 1)[1].strip().lower() not in ("false", "0", "no")
    return False


def waits_itself(cmd: DeployCommand) -> bool:
    """The deploy command/action waits for its rollout (``helm --wait``, ``gcloud run
    deploy``, ``azure/k8s-deploy``, the ECS action with ``wait-for-service-stability``)."""
    if cmd.kind == "action":
        return _action_verifies(cmd.step)
    options = WAITING_DEPLOY_OPTIONS.get(cmd.label)
    if options and _option_on(cmd.words[1:], options):
        return True
    if cmd.label in WAITING_DEPLOYS:
        off = WAITING_DEPLOYS[cmd.label]
        return not (off and _option_on(cmd.words[1:], off))
    return False


def _verify_hints() -> tuple[str, ...]:
    """Prefilter words: :data:`_VERIFY_HINT` and the programs of configured verification
    commands (``[tool.pipelint.tables]``)."""
    return tables.derived(
        "VERIFY_COMMANDS",
        lambda rows: _VERIFY_HINT + tuple(row.programs[0].lower() for row in rows[len(_BUILTIN_VERIFY):]),
    )


def _action_identity(step: Step) -> str:
    ref = step.uses
    if ref is None:
        return ""
    if ref.kind == "task":
        return (ref.repo or "").lower()
    if ref.kind == "repository":
        return ref.name.lower()
    return ""


def _action_verifies(step: Step) -> bool:
    identity = _action_identity(step)
    if not identity:
        return False
    for row in VERIFYING_ACTIONS:
        if not fnmatch.fnmatchcase(identity, row.name):
            continue
        if row.input is None:
            return row.default
        value = step.input_text(row.input)
        if value is None:
            return row.default
        if "${{" in value or "$(" in value:
            return True  # unknown: precision first
        words = value.lower().replace(",", " ").split()
        return any(fnmatch.fnmatchcase(w, v) for w in words for v in row.values)
    return False


# ------------------------------------------------------------------ verifications


def _match_verify(command: Command) -> VerifyCommand | None:
    words = command_words(list(command.words))
    if not words:
        return None
    program = words[0].text.rsplit("/", 1)[-1]
    positionals = [w.text for w in words[1:] if not w.text.startswith("-")]
    texts = [w.text for w in words[1:]]
    for row in tables.VERIFY_COMMANDS:
        if program not in row.programs:
            continue
        if row.words and not _has_sequence(positionals, row.words):
            continue
        if row.requires and not any(t == r or t.startswith(r + "=") for t in texts for r in row.requires):
            continue
        return row
    return None


def _has_sequence(positionals: list[str], words: tuple[str, ...]) -> bool:
    """``words`` are the leading positionals, or follow a global option's value
    (``kubectl -n prod rollout status``): the sequence appears in the first few words."""
    n = len(words)
    for i in range(0, min(3, len(positionals) - n + 1)):
        if tuple(positionals[i : i + n]) == words:
            return True
    return False



def _request_checks(program, request: healthcheck.Request) -> bool:
    if not healthcheck.looks_like_check(program, request):
        return False  # a notification, a download, a POST
    if healthcheck.is_deep_check(request):
        return True
    path = request.path.lower()
    return healthcheck.classify_path(request.path) == "neutral" and any(w in path for w in _HEALTH_WORDS)


#: Words one of which a script that verifies something holds (cheap prefilter).
_VERIFY_HINT = ("rollout", "wait", "status", "health", "ready", "curl", "wget", "invoke-", "iwr", "irm", "http", "smoke")


@dataclass(frozen=True)
class Verification:
    """Something that verifies a rollout: where it is and what it is."""

    step: Step
    label: str
    start: int | None = None  # offset in step.script.text (None: the step itself)

    def span(self):
        return self.step.span_at(self.start, self.start)


def _runs_on_failure_only(step: Step) -> bool:
    """A step that runs only when something failed (a rollback): GitHub ``if: failure()``,
    Azure ``condition: failed()`` or an ``on: failure:`` deployment hook, a GitLab
    ``when: on_failure`` job."""
    if step.extra.get("hook") == "on.failure":
        return True
    if step.job is not None and step.job.when == "on_failure":
        return True
    cond = step.condition
    if cond is None:
        return False
    text = cond.value.replace(" ", "").lower()
    return ("failure()" in text or "failed()" in text) and "success()" not in text and "always()" not in text


def step_verifications(step: Step) -> list[Verification]:
    """The verifications a step performs (script commands, a verifying action, a health
    check action, a smoke-test command, a deploy that waits by itself)."""
    if _runs_on_failure_only(step):
        return []
    out: list[Verification] = []
    for cmd in step_deploy_commands(step):
        if waits_itself(cmd):
            out.append(Verification(step, cmd.label, cmd.start))
    identity = _action_identity(step)
    if identity and any(fnmatch.fnmatchcase(identity, a) for a in HEALTH_CHECK_ACTIONS):
        out.append(Verification(step, step.uses.raw))
    script = step.script
    if script is not None and script.language in ("shell", "pwsh", "cmd") and mentions(script.text, _verify_hints()):
        program = script.program
        if program is not None:
            for command in program.commands:
                row = _match_verify(command)
                if row is not None:
                    out.append(Verification(step, row.label, command.start))
            for request in healthcheck.requests(program):
                if _request_checks(program, request):
                    out.append(Verification(step, f"health check {request.path}", request.command.start))
    from .activities import step_tests  # a smoke test after the deploy

    for test in step_tests(step):
        out.append(Verification(step, test.label, test.start))
    out.sort(key=lambda v: -1 if v.start is None else v.start)
    return out


def _job_verifies(job: Job) -> bool:
    from .activities import is_test_job

    if is_test_job(job):
        return True
    return any(step_verifications(step) for step in job.steps)


def verified_after(cmd: DeployCommand, job: Job) -> bool:
    """Something in ``job`` after ``cmd`` (later in its script, later steps) verifies."""
    if waits_itself(cmd):
        return True
    seen = False
    for step in job.steps:
        if step is cmd.step:
            seen = True
            for v in step_verifications(step):
                if v.start is not None and cmd.start is not None and v.start > cmd.start:
                    return True
                if cmd.kind == "action" and v.start is not None:
                    return True  # the step's own script runs after its action (not both in practice)
            continue
        if seen and step_verifications(step):
            return True
    return False


def unverified_deploys(job: Job, project) -> Iterator[DeployCommand]:
    """The judged deploys of ``job`` that nothing verifies, in the job or downstream."""
    commands = [c for c in deploy_commands(job) if is_rollout(c) and not _runs_on_failure_only(c.step)]
    if not commands or is_test_harness(job):
        return
    pending = [c for c in commands if not verified_after(c, job)]
    if not pending:
        return
    if any(_job_verifies(down) for down in project.graph.downstream(job)):
        return
    yield from pending


# ------------------------------------------------------------------ waits (PL203)


@dataclass(frozen=True)
class Wait:
    """A wait that can hang: ``kind`` is "command" or "loop"."""

    step: Step
    kind: str
    label: str
    start: int
    end: int

    def span(self):
        return self.step.script.span(self.start, self.end)


#: Wait commands whose default timeout is infinite, and the option that bounds them.
_ENDLESS_WAITS = ("kubectl rollout status", "kubectl argo rollouts status")
_LOOP_HINT = re.compile(r"\b(?:while|until)\b", re.IGNORECASE)
_ENDLESS_HEAD = re.compile(r"^\s*(?:true|:|\[\s*1\s*\]|\(\(\s*1\s*\)\)|\$true|\(\s*\$true\s*\)|1)\s*$", re.IGNORECASE)


def _has_timeout_node(node, key: str) -> bool:
    if not isinstance(node, Mapping):
        return False
    value = node.get(key)
    return value is not None and not (isinstance(value, Scalar) and value.value.strip() in ("", "0"))


def step_bounded(step: Step) -> bool:
    """The step itself has a timeout (GitHub ``timeout-minutes``, Azure ``timeoutInMinutes``)."""
    return _has_timeout_node(step.node, "timeout-minutes") or _has_timeout_node(step.node, "timeoutInMinutes")


def hangs_unbounded(job: Job) -> bool:
    """Some step of ``job`` rolls out a service or waits for one without a step timeout."""
    for step in job.steps:
        if step_bounded(step):
            continue
        if any(is_rollout(c) for c in step_deploy_commands(step)) or step_verifications(step) or unbounded_waits(step):
            return True
    return False


def job_bounded(job: Job) -> bool:
    """The job has an explicit timeout (0 on Azure means the maximum: not a bound)."""
    t = job.timeout
    if t is None:
        return False
    if isinstance(t, Scalar):
        return t.value.strip() not in ("", "0")
    return True


def _wrapped_in_timeout(command: Command) -> bool:
    for w in command.words:
        if w.text == "timeout" or w.text.endswith("/timeout"):
            return True
        if not (w.text.startswith("-") or "=" in w.text or w.text in ("sudo", "env", "time", "nohup")):
            return False
    return False


def _rollout_wait_unbounded(command: Command, row: VerifyCommand) -> bool:
    if row.label not in _ENDLESS_WAITS or command.substitution or command.background:
        return False
    if _wrapped_in_timeout(command):
        return False
    if command.option("--timeout") is not None:
        return False
    if row.label != "kubectl rollout status" and command.option("-t") is not None:
        return False
    watch = command.option("--watch", "-w")
    if watch is not None and watch.text.lstrip("=").lower() == "false":
        return False
    if command.loop is not None and command.loop.bounded:
        return False
    return True


#: A loop body that leaves (``break``/``exit``/``return``/``throw``) after comparing a
#: counter or the time: bounded (also PowerShell, whose loops the shell module does not
#: judge by their body).
_LEAVES = re.compile(r"(?:^|[\s;&|{(])(?:break|exit|return|throw)\b", re.IGNORECASE)
_COUNTS = re.compile(r"-(?:lt|le|gt|ge|eq)\b|\(\(|\bSECONDS\b|\$\(\s*date\b|\bdate\s+\+%s|Get-Date|Stopwatch|Elapsed", re.IGNORECASE)


def _is_retry_loop(loop: Loop, commands: list[Command], text: str) -> bool:
    """An ``until`` loop, or ``while true``/``while ! cmd``, whose body sleeps: a wait."""
    if loop.bounded or loop.kind not in ("while", "until"):
        return False
    head = loop.head.strip()
    if loop.kind == "while" and not (_ENDLESS_HEAD.match(head) or head.startswith("!") or head.lower().startswith("-not")):
        return False  # `while read line`, `while [ $# -gt 0 ]`: ends with its input
    inside = [c for c in commands if c.loop is loop]
    if not any(c.name in ("sleep", "Start-Sleep") for c in inside):
        return False
    body = text[loop.start : loop.end]
    return not (_LEAVES.search(body) and _COUNTS.search(body))


def unbounded_waits(step: Step) -> list[Wait]:
    """Waits in the step's script that can hang (see the module docstring)."""
    script = step.script
    if script is None or script.language not in ("shell", "pwsh", "cmd"):
        return []
    text = script.text
    rollout = "rollout" in text and "status" in text
    loops = ("sleep" in text or "Sleep" in text) and _LOOP_HINT.search(text) is not None
    if not (rollout or loops):
        return []
    program = script.program
    if program is None:
        return []
    out: list[Wait] = []
    if rollout:
        for command in program.commands:
            row = _match_verify(command)
            if row is not None and _rollout_wait_unbounded(command, row):
                out.append(Wait(step, "command", row.label, command.words[0].start, command.words[-1].end))
    if loops and program.loops:
        commands = program.commands
        for loop in program.loops:
            if _is_retry_loop(loop, commands, text):
                keyword = loop.kind
                out.append(Wait(step, "loop", keyword, loop.start, loop.start + len(keyword)))
    out.sort(key=lambda w: w.start)
    return out


__all__ = [
    "ROLLOUT_DEPLOYS",
    "Verification",
    "Wait",
    "is_rollout",
    "is_test_harness",
    "hangs_unbounded",
    "job_bounded",
    "step_bounded",
    "step_verifications",
    "unbounded_waits",
    "unverified_deploys",
    "verified_after",
    "waits_itself",
]
