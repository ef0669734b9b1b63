"""PL505 untrusted-checkout."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from pipelint.diagnostics import Related, Severity
from pipelint.rule import Rule
from pipelint.expression_flow import context_path, env_lookup, flowing_paths, parse_embedded, step_label
from pipelint.yamltree import Mapping, Scalar

#: Triggers whose jobs hold the base repository's secrets and a write token while the
#: pull request that started them may come from a fork.
DANGEROUS_EVENTS = ("pull_request_target", "workflow_run")

#: A workflow_run is only as untrusted as the runs it follows: these upstream triggers
#: run on a pull request's head (a fork's code); push, schedule... run trusted commits.
_PR_EVENTS = frozenset({"pull_request", "pull_request_review", "pull_request_review_comment", "workflow_run"})

#: Contexts naming a pull request's commit: fetchable from the base repository
#: (GitHub serves fork commits through refs/pull/N/*), so a checkout of one is fork code.
_PR_COMMITS = (
    "github.event.pull_request.head.sha",
    "github.event.pull_request.merge_commit_sha",
    "github.event.workflow_run.head_sha",
    "github.event.workflow_run.head_commit.id",
    "github.event.workflow_run.pull_requests.*.head.sha",
)
#: Contexts naming the fork repository itself.
_FORK_REPOS = ("github.event.pull_request.head.repo", "github.event.workflow_run.head_repository")

_PULL_REF = re.compile(r"(?:^|[/:+\s\"'])(?:refs/)?pull/(?:\$\{\{.*?\}\}|[^/\s]+)/(?:head|merge)\b")

#: actions/checkout refuses fork pull request code under pull_request_target and
#: PR-triggered workflow_run unless ``allow-unsafe-pr-checkout`` is set (v7.0.0 and the
#: July 2026 backports v6.1.0, v5.1.0, v4.4.0; floating major tags v2 and later follow
#: them). Commit pins of those releases, as Dependabot records them in the wild:
_PROTECTED_CHECKOUT_SHAS = frozenset(
    {
        "9c091bb21b7c1c1d1991bb908d89e4e9dddfe3e0",  # v7.0.0
        "3d3c42e5aac5ba805825da76410c181273ba90b1",  # v7.0.1
        "d23441a48e516b6c34aea4fa41551a30e30af803",  # v6.1.0
        "11d5960a326750d5838078e36cf38b85af677262",  # v4.4.0
    }
)
_FIRST_PROTECTED = {7: (7, 0, 0), 6: (6, 1, 0), 5: (5, 1, 0), 4: (4, 4, 0)}
_VERSION = re.compile(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$")

_MAX_MESSAGE = 199


# --------------------------------------------------------------------------- expressions


def _expr_paths(text: str) -> list[tuple[str, str]]:
    """``(normalised path, as written)`` for each context flowing out of ``text``'s ``${{ }}``."""
    out = []
    for emb, expr in parse_embedded(text):
        for flow in flowing_paths(expr):
            out.append((flow.path, " ".join(emb.inner[flow.start : flow.end].split())))
    return out


def _segments_match(path: str, pattern: str) -> bool:
    p, q = path.split("."), pattern.split(".")
    return len(p) == len(q) and all(a == b or a == "*" or b == "*" for a, b in zip(p, q))


def _is_pr_commit(path: str) -> bool:
    return any(_segments_match(path, pattern) for pattern in _PR_COMMITS)


def _describe(path: str) -> str:
    if path.endswith("merge_commit_sha"):
        return "the pull request merge commit"
    if path.startswith("github.event.workflow_run."):
        return "the triggering run's head commit"
    return "the pull request head"


def _is_fork_repo(path: str) -> bool:
    return any(path.startswith(prefix + ".") for prefix in _FORK_REPOS)


def _with_env(step, text: str) -> list[tuple[str, str]]:
    """The contexts of ``text``, following ``${{ env.X }}`` to X's ``env:`` value."""
    found = []
    for path, written in _expr_paths(text):
        found.append((path, written))
        if path.startswith("env.") and path.count(".") == 1:
            entry = env_lookup(step, path[4:])
            if entry is not None:
                found.extend(_expr_paths(entry[1].value))
    return found


def _condition_expr(node: Scalar | None):
    """The parsed ``if:`` (bare or wrapped in one ``${{ }}``), or None."""
    from pipelint.expressions.github import ExpressionError, find_expressions, parse

    if node is None or not isinstance(node.value, str):
        return None
    text = node.value.strip()
    if not text:
        return None
    if "${{" in text:
        found = find_expressions(text)
        if len(found) != 1 or found[0].start != 0 or found[0].end != len(text):
            return None  # text around an expression: a non-empty string, always true
        text = found[0].inner
    try:
        return parse(text)
    except ExpressionError:
        return None


# --------------------------------------------------------------------------- guards

_TRUSTED_ASSOCIATIONS = frozenset({"owner", "member", "collaborator"})


def _path_of(node) -> str | None:
    from pipelint.expressions.github import Context, Group

    while isinstance(node, Group):
        node = node.expr
    if isinstance(node, Context):
        return context_path(node)
    return None


def _literal(node):
    from pipelint.expressions.github import Group, Literal

    while isinstance(node, Group):
        node = node.expr
    return node.value if isinstance(node, Literal) else None


def _string_values(node) -> list[str] | None:
    """A literal string, or ``fromJSON('[...]')`` of strings: the strings; else None."""
    import json

    from pipelint.expressions.github import Call

    value = _literal(node)
    if isinstance(value, str):
        if value.startswith("["):
            try:
                items = json.loads(value)
            except ValueError:
                return None
            return [str(i) for i in items] if isinstance(items, list) else None
        return [v.strip() for v in value.split(",")]
    if isinstance(node, Call) and node.name.lower() == "fromjson" and len(node.args) == 1:
        return _string_values(node.args[0])
    return None


_SAME_REPO = {
    "github.event.pull_request.head.repo.full_name": (
        "github.repository",
        "github.event.pull_request.base.repo.full_name",
        "github.event.repository.full_name",
    ),
    "github.event.pull_request.head.repo.id": (
        "github.repository_id",
        "github.event.pull_request.base.repo.id",
        "github.event.repository.id",
    ),
    "github.event.workflow_run.head_repository.full_name": ("github.repository", "github.event.repository.full_name"),
    "github.event.workflow_run.head_repository.id": ("github.repository_id", "github.event.repository.id"),
}
_FORK_FLAGS = ("github.event.pull_request.head.repo.fork", "github.event.workflow_run.head_repository.fork")
_ASSOCIATIONS = ("github.event.pull_request.author_association",)


def _owner(path: str) -> str | None:
    """The dangerous event whose payload holds ``path`` (it is null under the other)."""
    if path.startswith(("github.event.pull_request.", "github.event.label.")):
        return "pull_request_target"
    if path.startswith("github.event.workflow_run."):
        return "workflow_run"
    return None


def _restricts(node, event: str) -> bool:
    """``node`` (an ``if:``) is false, under ``event``, for any pull request a stranger
    can open from a fork.

    Recognised: the head repository is the base repository (``head.repo.full_name ==
    github.repository``, or a literal ``owner/name``), ``head.repo.fork`` is false, the
    author association is OWNER/MEMBER/COLLABORATOR, a named pull request author
    (``user.login == 'dependabot[bot]'``), a merged pull request, the label just added
    (``github.event.label.name == ...``: a maintainer's act), a workflow_run that followed
    a non-PR event, and event-name tests that exclude ``event``. ``&&`` needs one
    restricting side, ``||`` both. A test of a context the event does not have counts
    only when GitHub's loose comparison of null makes it false (``null == false`` is
    true). ``github.actor`` checks are not trusted: the actor is whoever caused the
    latest event, which an attacker can arrange.
    """
    from pipelint.expressions.github import Binary, Call, Context, Group, Literal, Unary

    while isinstance(node, Group):
        node = node.expr
    if isinstance(node, Literal):
        return node.value in (False, None, 0, "")  # if: false
    if isinstance(node, Binary):
        if node.op == "&&":
            return _restricts(node.left, event) or _restricts(node.right, event)
        if node.op == "||":
            return _restricts(node.left, event) and _restricts(node.right, event)
        if node.op in ("==", "!="):
            left, right = node.left, node.right
            return _comparison(node.op, left, right, event) or _comparison(node.op, right, left, event)
        return False
    if isinstance(node, Unary):
        path = _path_of(node.operand)
        return path in _FORK_FLAGS and _owner(path) == event
    if isinstance(node, Call):
        name = node.name.lower()
        if name == "contains" and len(node.args) == 2 and _path_of(node.args[1]) in _ASSOCIATIONS:
            values = _string_values(node.args[0])
            return bool(values) and all(v.lower() in _TRUSTED_ASSOCIATIONS for v in values)
        return False
    return isinstance(node, Context) and _path_of(node) == "github.event.pull_request.merged"


def _comparison(op: str, left, right, event: str) -> bool:
    path = _path_of(left)
    if path is None:
        return False
    own = _owner(path) in (None, event)
    other = _path_of(right)
    value = _literal(right)
    if op == "==":
        if path in _SAME_REPO:
            if other in _SAME_REPO[path]:
                return own or _owner(other) is None  # null == null is true
            return isinstance(value, str) and value.count("/") == 1
        if path in _FORK_FLAGS:
            return own and (value is False or value == "false")
        if path in _ASSOCIATIONS:
            return isinstance(value, str) and value.lower() in _TRUSTED_ASSOCIATIONS
        if path in ("github.event.pull_request.user.login", "github.event.label.name"):
            return isinstance(value, str) and bool(value)
        if path == "github.event.pull_request.merged":
            return value is True or value == "true"
        if path == "github.event.workflow_run.event":
            return isinstance(value, str) and bool(value) and not value.startswith("pull_request")
        if path == "github.event_name":
            return isinstance(value, str) and value != event
        return False
    # !=
    if path in _FORK_FLAGS:
        return own and (value is True or value == "true")
    if path == "github.event.workflow_run.event":
        return own and value == "pull_request"
    if path == "github.event_name":
        return value == event
    return False


def _guarded(node: Scalar | None, events: frozenset[str]) -> bool:
    expr = _condition_expr(node)
    return expr is not None and all(_restricts(expr, event) for event in events)



_RUNS_AFTER_SKIPS = re.compile(r"\b(?:always|failure|cancelled)\s*\(", re.IGNORECASE)


def _job_guarded(job, pipeline, events: frozenset[str], memo: dict[str, bool]) -> bool:
    """The job's ``if:`` restricts it to trusted pull requests, or it needs a job that
    does: a job whose needs were skipped is skipped too, unless its ``if:`` uses
    ``always()``, ``failure()`` or ``cancelled()``."""
    if job.id in memo:
        return memo[job.id]
    memo[job.id] = False  # cycles (PL003 reports them) are not guards
    result = _guarded(job.condition, events)
    if not result and job.needs:
        text = job.condition.value if job.condition is not None else ""
        if not _RUNS_AFTER_SKIPS.search(str(text)):
            for need in job.needs:
                upstream = pipeline.jobs.get(need.job_id)
                if upstream is not None and _job_guarded(upstream, pipeline, events, memo):
                    result = True
                    break
    memo[job.id] = result
    return result


def _workflow_run_is_trusted(project, pipeline) -> bool:
    """Every workflow this one follows is in the project and none runs on pull requests."""
    from pipelint.graph import workflow_run_sources

    if project is None:
        return False
    sources = workflow_run_sources(pipeline, project)
    if not sources:
        return False
    for _name, _node, matches in sources:
        if not matches:
            return False
        for workflow in matches:
            if workflow.events & _PR_EVENTS:
                return False
    return True


# --------------------------------------------------------------------------- shell commands

#: Words before the program: wrappers (the shell parser already leaves out keywords).
_PREFIXES = frozenset({"sudo", "env", "time", "exec", "nohup", "command", "xvfb-run", "stdbuf", "nice", "-"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass
class Command:
    words: list[str]
    start: int  # offset of the program word in the script
    end: int


def shell_commands(text: str) -> list[Command]:
    """The simple commands of a script, in order, from the shell parser
    (:mod:`pipelint.shell`), with wrappers (``sudo``, ``env``...) left out."""
    from pipelint.shell import parse

    commands: list[Command] = []
    for cmd in parse(text, "shell", "github").commands:
        words = list(cmd.words)
        while words and (_ASSIGNMENT.match(words[0].text) or words[0].text in _PREFIXES):
            prefix = words.pop(0).text
            if prefix == "sudo":
                while words and words[0].text.startswith("-"):
                    words.pop(0)
        if words:
            commands.append(Command([w.text for w in words], words[0].start, cmd.end))
    return commands


# --------------------------------------------------------------------------- what runs code


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


#: Programs that run code from the working tree whatever their arguments (build files,
#: test files, configuration files that are code).
_ALWAYS = _set(
    """
    make gmake cmake ctest ninja meson scons bazel bazelisk buck buck2 ant mvn gradle sbt lein
    mix rebar3 stack cabal dune xcodebuild msbuild tox nox pytest py.test pre-commit
    rake rspec phpunit jest vitest mocha ava karma playwright cypress webpack vite rollup parcel
    next nuxt astro gatsby babel eslint prettier stylelint commitlint lerna nx turbo rush
    sphinx-build mkdocs jekyll ansible-playbook semantic-release storybook
    hatch pdm tsx ts-node task just mage goreleaser gulp grunt invoke earthly gotestsum ginkgo
    """
)
#: Programs that run the tree's code only through some subcommands.
_SUBCOMMANDS = {
    "npm": _set(
        "install i ci add run run-script test t tst start restart stop exec x rebuild pack publish link"
        " install-test it install-ci-test cit prepare build"
    ),
    "dotnet": _set("build test run restore pack publish msbuild vstest"),
    "go": _set("test run generate"),
    "poetry": _set("install run build shell publish"),
    "pipenv": _set("install run sync shell"),
    "uv": _set("sync run build"),
    "bundle": _set("install exec update"),
    "bundler": _set("install exec update"),
    "gem": _set("build"),
    "composer": _set("install update run run-script test exec"),
    "terraform": _set("plan apply refresh test console import"),
    "tofu": _set("plan apply refresh test console import"),
    "terragrunt": _set("plan apply refresh run-all"),
    "docker": _set("build buildx compose bake"),
    "podman": _set("build"),
    "buildah": _set("bud build"),
    "docker-compose": _set("build up run"),
    "swift": _set("build test run"),
    "flutter": _set("build test run pub"),
    "dart": _set("run test compile"),
    "deno": _set("run test task compile bench"),
    "coverage": _set("run"),
    "skaffold": _set("run build dev debug deploy test"),
    "tilt": _set("up ci"),
    "dagger": _set("run call do"),
}
#: Package managers that run the project's scripts for almost anything but these.
_MOSTLY = {
    "yarn": _set("--version -v config info cache why list licenses owner login logout tag version versions npm")
    | {"global"},
    "pnpm": _set("--version -v config store why list ls licenses outdated audit root bin"),
    "bun": _set("--version -v pm upgrade outdated"),
    "cargo": _set(
        "fmt --version -V version search login logout owner yank metadata tree update fetch generate-lockfile"
        " locate-project pkgid verify-project deny audit install sort"
    ),
    "npx": frozenset(),
    "pnpx": frozenset(),
    "bunx": frozenset(),
}
_INTERPRETERS = _set("bash sh zsh dash ksh pwsh powershell node nodejs ruby perl php rscript julia lua source .")
_INLINE_FLAGS = _set("-e -p --eval --print -v --version")
_PYTHON = re.compile(r"^(?:python|python3|python3\.\d+|py|pypy3?)$")
_PIP = re.compile(r"^pip3?(?:\.\d+)?$")
#: ``python -m`` modules that do not run the tree's code.
_SAFE_MODULES = _set("venv json.tool http.server zipfile tarfile ensurepip site webbrowser uuid base64")
#: Options whose value names the folder or file a tool works on.
_DIR_OPTIONS = _set(
    "-C --directory --prefix --cwd --dir -f --file --manifest-path -p --project-dir --project"
    " -r --requirement -e --editable --rootdir -c --config"
)

#: Marketplace actions that build or test the workspace (run its code); the value names
#: an input that must be set for that to happen.
_BUILD_ACTIONS = {
    "docker/build-push-action": None,
    "docker/bake-action": None,
    "github/codeql-action/autobuild": None,
    "pre-commit/action": None,
    "cypress-io/github-action": None,
    "bahmutov/npm-install": None,
    "borales/actions-yarn": None,
    "actions-rs/cargo": None,
    "gradle/gradle-build-action": "arguments",
    "ruby/setup-ruby": "bundler-cache",
    "pnpm/action-setup": "run_install",
    "super-linter/super-linter": None,
    "github/super-linter": None,
    "oxsecurity/megalinter": None,
    "reviewdog/action-eslint": None,
    "chromaui/action": None,
    "changesets/action": None,
}
#: ``require()`` of a file of the workspace in an actions/github-script script.
_REQUIRES_WORKSPACE = re.compile(r"require\(\s*['\"`](?:\./|\$\{process\.env\.GITHUB_WORKSPACE\})")
_WORKSPACE_PREFIXES = ("${{ github.workspace }}", "${{github.workspace}}", "$GITHUB_WORKSPACE", "${GITHUB_WORKSPACE}")


def _normalise_dir(text: str) -> str:
    """A workspace-relative folder: "" for the workspace itself, "/" for anywhere outside
    it (absolute paths, ``$HOME``, ``$RUNNER_TEMP``, other variables)."""
    text = text.strip().strip("'\"")
    for prefix in _WORKSPACE_PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :].lstrip("/")
            break
    else:
        if text.startswith(("/", "~", "$")):
            return "/"
    norm = posixpath.normpath(text) if text else "."
    if norm == ".." or norm.startswith("../"):
        return "/"
    return "" if norm == "." else norm


def _under(path: str, root: str) -> bool:
    """``path`` (relative to the workspace) is ``root`` or inside it; root "" is the workspace."""
    if path == "/":
        return False
    if root == "":
        return True
    return path == root or path.startswith(root + "/")


def _program_is_local(word: str) -> bool:
    """A program run by path from the tree: ``./x``, ``scripts/x.sh``, ``$GITHUB_WORKSPACE/x``."""
    if word.startswith(("./", "../")):
        return True
    if word.startswith(("$GITHUB_WORKSPACE/", "${GITHUB_WORKSPACE}/", "${{ github.workspace }}/")):
        return True
    if any(c in word for c in "*?[=") or "://" in word or "${{" in word:
        return False  # a glob (a case pattern), a URL or an assignment: not a program
    return "/" in word and not word.startswith(("/", "~", "$"))


@dataclass
class CodeRun:
    """A command that runs code: why, and where that code comes from.

    ``locations`` are paths (relative to the command's directory) holding the code it
    runs; ``in_cwd`` says that the command also runs what is in its working directory
    (a build tool reading its Makefile or package.json there).
    """

    why: str
    locations: list[str]
    in_cwd: bool


def _tool_locations(args: list[str]) -> list[str]:
    """Positional arguments and directory/file options of a build or test tool."""
    out = []
    expect_value = False
    for word in args:
        if expect_value:
            out.append(word)
            expect_value = False
        elif word.startswith("-"):
            option, eq, value = word.partition("=")
            if option in _DIR_OPTIONS:
                if eq:
                    out.append(value)
                else:
                    expect_value = True
        elif not _ASSIGNMENT.match(word):
            out.append(word)
    return out


def _pip_targets(args: list[str]) -> list[str]:
    """What ``pip install`` installs from a path: ``.``, ``-e dir``, ``-r file``, ``./x.whl``."""
    targets = []
    expect = False
    for a in args:
        if expect:
            targets.append(a)
            expect = False
        elif a in ("-e", "--editable", "-r", "--requirement", "-c", "--constraint"):
            expect = True
        elif a.startswith(("--requirement=", "--editable=")):
            targets.append(a.split("=", 1)[1])
        elif a.startswith(("-r", "-e")) and len(a) > 2 and not a.startswith("--"):
            targets.append(a[2:])
        elif not a.startswith("-") and (a.startswith(".") or "/" in a or a.endswith((".whl", ".tar.gz", ".txt"))):
            targets.append(a)
    return targets


def _runs_code(words: list[str]) -> CodeRun | None:
    """Whether this command runs code from a working tree, and from where."""
    if not words:
        return None
    program = words[0]
    base = posixpath.basename(program)
    args = words[1:]
    if _program_is_local(program):
        return CodeRun(program, [program], False)
    if base in ("bash", "sh", "zsh", "dash", "ksh") and "-c" in args:
        i = args.index("-c")
        for command in shell_commands(args[i + 1]) if i + 1 < len(args) else []:
            run = _runs_code(command.words)
            if run:
                return run
        return None
    if base.lower() in ("import-module", "ipmo"):
        files = [a for a in args if not a.startswith("-")]
        if files and ("/" in files[0] or "\\" in files[0]):
            return CodeRun(f"Import-Module {files[0]}", [files[0]], False)
        return None
    if base in _INTERPRETERS:
        if base in ("node", "nodejs", "ruby", "perl", "php") and args[:1] and args[0] in _INLINE_FLAGS:
            return None
        if base in ("pwsh", "powershell") and any(a.lower() in ("-c", "-command") for a in args):
            return None
        files = [a for a in args if not a.startswith("-")]
        return CodeRun(f"{base} {files[0]}", [files[0]], False) if files else None
    if _PYTHON.match(base):
        if not args or args[0] in ("-c", "-V", "--version"):
            return None
        if args[0] == "-m" and len(args) > 1:
            module = args[1]
            if module in _SAFE_MODULES:
                return None
            inner = _runs_code([module, *args[2:]])
            if inner is not None or module in ("pip", "pip3"):
                return inner
            return CodeRun(f"python -m {module}", [], True)
        files = [a for a in args if not a.startswith("-")]
        return CodeRun(f"python {files[0]}", [files[0]], False) if files else None
    if _PIP.match(base) or (base == "uv" and args[:1] == ["pip"]):
        rest = args[1:] if base == "uv" else args
        if rest[:1] != ["install"]:
            return None
        targets = _pip_targets(rest[1:])
        return CodeRun(f"{base} install", targets, False) if targets else None
    if base in _ALWAYS or base.endswith(("gradlew", "mvnw")):
        return CodeRun(base, _tool_locations(args), True)
    sub = next((a for a in args if not a.startswith("-")), None)
    if base in _SUBCOMMANDS:
        if base == "npm" and "--ignore-scripts" in args and sub in ("install", "i", "ci", "add"):
            return None
        if base in ("docker", "docker-compose") and sub in ("buildx", "compose"):
            after = args[args.index(sub) + 1 :]
            sub2 = next((a for a in after if not a.startswith("-")), None)
            if sub2 in ("build", "bake", "up", "run"):
                return CodeRun(f"{base} {sub} {sub2}", _tool_locations(after[after.index(sub2) + 1 :]), True)
            return None
        if sub in _SUBCOMMANDS[base]:
            rest = args[args.index(sub) + 1 :]
            return CodeRun(f"{base} {sub}", _tool_locations(rest), True)
        return None
    if base in _MOSTLY:
        if base in ("yarn", "pnpm") and "--ignore-scripts" in args and sub in (None, "install", "i", "add"):
            return None
        first = args[0] if args else None
        if base in ("npx", "pnpx", "bunx"):
            return CodeRun(f"{base} {sub}", [], True) if sub else None
        if base == "cargo" and first == "install":
            paths = [a.split("=", 1)[1] for a in args if a.startswith("--path=")]
            if "--path" in args and args.index("--path") + 1 < len(args):
                paths.append(args[args.index("--path") + 1])
            return CodeRun("cargo install --path", paths, False) if paths else None
        if first in _MOSTLY[base] or (sub is not None and sub in _MOSTLY[base]):
            return None
        if base == "pnpm" and not args:
            return None
        rest = args[args.index(sub) + 1 :] if sub else args
        return CodeRun(f"{base} {sub}" if sub else base, _tool_locations(rest), True)
    return None


# --------------------------------------------------------------------------- the model walk


@dataclass
class PrCheckout:
    step: object
    node: Scalar  # where the finding points: ref:/repository: value, or the run script
    start: int | None  # for a script: the command's span inside the scalar
    end: int | None
    what: str  # what is checked out
    path: str  # workspace-relative folder holding the pull request's code
    #: For a checkout inside a run script: the commands after it in the same script.
    rest: list = field(default_factory=list)


def _is_action(step, name: str) -> bool:
    uses = step.uses
    if uses is None or uses.kind != "repository":
        return False
    return uses.name.lower() == name


def _input(step, name: str) -> Scalar | None:
    inputs = step.inputs
    if isinstance(inputs, Mapping):
        value = inputs.get(name)
        if isinstance(value, Scalar):
            return value
    return None


def _truthy(node: Scalar | None) -> bool:
    if node is None:
        return False
    value = str(node.value).strip().lower()
    return value not in ("", "false", "0", "no", "off", "null", "~") or "${{" in value


def _protected(step) -> bool:
    """actions/checkout at this ref refuses fork pull request code unless told otherwise."""
    if _truthy(_input(step, "allow-unsafe-pr-checkout")):
        return False
    ref = (step.uses.ref or "").strip()
    if ref.lower() in _PROTECTED_CHECKOUT_SHAS or ref == "main":
        return True
    m = _VERSION.match(ref)
    if not m:
        return False
    major = int(m.group(1))
    if m.group(2) is None:
        return major >= 2  # floating major tags received the backport
    version = (major, int(m.group(2)), int(m.group(3) or 0))
    if major > 7:
        return True
    first = _FIRST_PROTECTED.get(major)
    return first is not None and version >= first


def _is_trusted_checkout(step) -> bool:
    return _is_action(step, "actions/checkout") and _action_checkout(step) is None


def _checkout_path(step) -> str:
    node = _input(step, "path")
    if node is None or "${{" in node.value:
        return ""
    return _normalise_dir(node.value)


def _action_checkout(step) -> PrCheckout | None:
    ref = _input(step, "ref")
    repository = _input(step, "repository")
    if repository is not None:
        for path, written in _with_env(step, repository.value):
            if _is_fork_repo(path):
                target = ref if ref is not None else repository
                return PrCheckout(step, target, None, None, "the fork repository", _checkout_path(step))
    if ref is None:
        return None
    for path, _written in _with_env(step, ref.value):
        if _is_pr_commit(path):
            return PrCheckout(step, ref, None, None, _describe(path), _checkout_path(step))
    m = _PULL_REF.search(ref.value)
    if m:
        kind = "merge" if m.group().endswith("merge") else "head"
        return PrCheckout(step, ref, None, None, f"the pull request {kind} ref", _checkout_path(step))
    return None


_GIT_SWITCHING = frozenset({"checkout", "switch", "reset", "merge", "rebase", "pull", "worktree", "cherry-pick"})


def _word_is_pr(step, word: str) -> str | None:
    """What pull request code this shell word names: an expression or an ``env:``
    variable reading the pull request's commit or fork, or a ``pull/N/head`` ref."""
    m = _PULL_REF.search(" " + word)
    if m:
        return "the pull request merge ref" if m.group().endswith("merge") else "the pull request head ref"
    paths: list[str] = []
    if "${{" in word:
        paths += [path for path, _ in _with_env(step, word)]
    for name in re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", word):
        entry = env_lookup(step, name.lower())
        if entry is not None:
            paths += [path for path, _ in _expr_paths(entry[1].value)]
    for path in paths:
        if _is_pr_commit(path):
            return _describe(path)
        if _is_fork_repo(path):
            return "the fork repository"
    return None


def _script_checkouts(step, cwd: str) -> PrCheckout | None:
    """A run script that puts pull request code in the workspace: ``gh pr checkout``,
    ``git fetch`` of a pull ref or commit then a checkout of it, ``git clone`` of the fork."""
    script = step.script
    commands = shell_commands(script.text)
    fetched: set[str] = set()
    fetched_what = None
    for i, command in enumerate(commands):
        words = command.words
        if words[0] in ("cd", "pushd") and len(words) > 1:
            cwd = _join(cwd, words[1])
            continue
        hit = None
        where = cwd
        if words[:3] == ["gh", "pr", "checkout"]:
            hit = "the pull request (gh pr checkout)"
        elif words[0] == "git":
            args = words[1:]
            while args[:1] and args[0] in ("-C", "-c") and len(args) > 1:
                if args[0] == "-C":
                    where = _join(where, args[1])
                args = args[2:]
            sub = args[0] if args else None
            rest = args[1:]
            if sub == "fetch":
                for word in rest:
                    what = _word_is_pr(step, word)
                    if what:
                        fetched_what = fetched_what or what
                        fetched.add("FETCH_HEAD")
                        if ":" in word:
                            fetched.add(word.rsplit(":", 1)[1].removeprefix("refs/heads/"))
            elif sub == "clone":
                for word in rest:
                    what = _word_is_pr(step, word)
                    if what:
                        hit = f"{what} (git clone)"
                        positional = [w for w in rest if not w.startswith("-")]
                        if len(positional) > 1:
                            where = _join(where, positional[1])
                        break
            elif sub in _GIT_SWITCHING:
                for word in rest:
                    if word in fetched:
                        hit = f"{fetched_what} (git {sub})"
                        break
                    what = _word_is_pr(step, word)
                    if what:
                        hit = f"{what} (git {sub})"
                        break
        if hit:
            return PrCheckout(step, script.node, command.start, command.end, hit, where, rest=commands[i + 1 :])
    return None


def _join(cwd: str, target: str) -> str:
    """``target`` relative to ``cwd`` (both workspace-relative, see :func:`_normalise_dir`)."""
    target = target.strip().strip("'\"")
    if target.startswith(("/", "~", "$")) or cwd == "":
        return _normalise_dir(target)
    if cwd == "/":
        return "/"
    return _normalise_dir(posixpath.join(cwd, target))


def _step_directory(step) -> str:
    node = step.node.get("working-directory") if isinstance(step.node, Mapping) else None
    if isinstance(node, Scalar) and node.value and "${{" not in node.value:
        return _normalise_dir(node.value)
    job = step.job
    if job is not None and isinstance(job.node, Mapping):
        defaults = job.node.get("defaults")
        run = defaults.get("run") if isinstance(defaults, Mapping) else None
        node = run.get("working-directory") if isinstance(run, Mapping) else None
        if isinstance(node, Scalar) and node.value and "${{" not in node.value:
            return _normalise_dir(node.value)
    return ""


@dataclass
class Runner:
    step: object
    node: Scalar
    start: int | None
    end: int | None
    why: str


class Tree:
    """Where the pull request's code is in the workspace, and the trusted checkouts."""

    def __init__(self, root: str, trusted: list[str]):
        self.root = root
        #: Folders of other (trusted) checkouts inside the pull request's folder.
        self.trusted = [t for t in trusted if t and t != root and _under(t, root)]

    def holds(self, path: str) -> bool:
        if path == "/" or not _under(path, self.root):
            return False
        return not any(_under(path, t) for t in self.trusted)


def _commands_run_code(step, commands: list[Command], cwd: str, tree: Tree) -> Runner | None:
    for command in commands:
        words = command.words
        if words[0] in ("cd", "pushd") and len(words) > 1:
            cwd = _join(cwd, words[1])
            continue
        run = _runs_code(words)
        if run is None:
            continue
        places = [_join(cwd, loc) for loc in run.locations if "${{" not in loc]
        if run.in_cwd:
            places.append(cwd)
        if any(tree.holds(place) for place in places):
            return Runner(step, step.script.node, command.start, command.end, run.why)
    return None


def _step_runs_code(step, tree: Tree) -> Runner | None:
    """Whether ``step`` executes code from the pull request's tree."""
    uses = step.uses
    root = tree.root
    if step.script is not None and step.script.language in ("shell", "pwsh", "cmd"):
        return _commands_run_code(step, shell_commands(step.script.text), _step_directory(step), tree)
    if step.script is not None:
        return None
    if uses is None:
        return None
    if uses.kind == "local":
        local = _normalise_dir(uses.path)
        if tree.holds(local):
            return Runner(step, uses.node, None, None, "a local action")
        return None
    if uses.kind != "repository":
        return None
    name = uses.name.lower()
    if name in _BUILD_ACTIONS:
        gate = _BUILD_ACTIONS[name]
        if gate is not None and not _truthy(_input(step, gate)):
            return None
        if root and not _inputs_mention(step, root):
            return None
        return Runner(step, uses.node, None, None, uses.name)
    if name == "actions/github-script":
        script = _input(step, "script")
        if script is not None and _REQUIRES_WORKSPACE.search(script.value):
            return Runner(step, script, None, None, "a script that requires a workspace file")
    return None


def _inputs_mention(step, root: str) -> bool:
    inputs = step.inputs
    if not isinstance(inputs, Mapping):
        return False
    for _key, _key_node, value in inputs.items():
        if isinstance(value, Scalar) and isinstance(value.value, str):
            for word in value.value.split():
                if "${{" not in word and _normalise_dir(word) and _under(_normalise_dir(word), root):
                    return True
    return False


class UntrustedCheckout(Rule):
    """## What it does
    Reports a job of a `pull_request_target` or `workflow_run` workflow that checks out
    a pull request's code and then runs it. A checkout of pull request code is
    `actions/checkout` with `ref:` set to the pull request's commit
    (`github.event.pull_request.head.sha`, `.merge_commit_sha`,
    `github.event.workflow_run.head_sha`, `refs/pull/<n>/merge` or `/head`) or with
    `repository:` set to the fork (`github.event.pull_request.head.repo.full_name`), and,
    in a `run:` script, `gh pr checkout`, a `git fetch` of such a ref followed by
    `git checkout`/`switch`/`reset`/`merge` of it, or a `git clone` of the fork. Running
    it means a later step of the same job (or a later command of the same script) that
    executes something from that tree: a local action (`uses: ./...`), a script in the
    tree (`./build.sh`, `bash ci/test.sh`, `python tools/x.py`), a build or test tool that
    runs the project's own code or configuration (`npm install`/`ci`/`run`, `yarn`,
    `pnpm`, `make`, `pip install .`/`-r`, `pytest`, `tox`, `cargo`, `go test`, `mvn`,
    `./gradlew`, `dotnet build`, `docker build`, `terraform plan`, `pre-commit`...) or an
    action that builds the workspace (`docker/build-push-action`, CodeQL `autobuild`,
    `pre-commit/action`...). When the checkout goes to a sub-folder (`path: pr`), only
    steps that work in that folder count. Steps that merely read, upload or comment
    (`actions/upload-artifact`, `gh pr comment`, `git diff`) are not running code.

    Not reported: a job or checkout step whose `if:` lets only trusted pull requests
    through (`github.event.pull_request.head.repo.full_name == github.repository`,
    `head.repo.fork == false`, an OWNER/MEMBER/COLLABORATOR `author_association`, a
    named `user.login`, `merged == true`, the label a maintainer just added); a
    `workflow_run` workflow whose upstream workflows (all found in the project) never
    run on pull requests; a `ref:` of a branch name alone (`github.head_ref` without
    `repository:` names a branch of the base repository, not the fork's); and an
    `actions/checkout` release that refuses fork code in these workflows by itself
    (v7, v6.1.0, v5.1.0, v4.4.0 or later, or a floating major tag from v2 on) unless
    `allow-unsafe-pr-checkout` is set. The option `trust-checkout-protection = false`
    reports those too (older GitHub Enterprise Server mirrors).

    ## Why is this bad?
    These triggers run the workflow from the base branch with the repository's secrets
    and a token that can write to it, even when the pull request comes from a fork. Once
    the fork's code is checked out, anything that executes it (an install script in
    `package.json`, a `Makefile`, a `conftest.py`, a local action) runs the attacker's
    code with those secrets and that token: a "pwn request".

    ## Example
    ```yaml
    on: pull_request_target
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v3.6.0
            with:
              ref: ${{ github.event.pull_request.head.sha }}
          - run: npm ci && npm test
    ```

    ## Use instead
    ```yaml
    on: pull_request
    jobs:
      test:
        runs-on: ubuntu-latest
        permissions:
          contents: read
        steps:
          - uses: actions/checkout@v4
          - run: npm ci && npm test
    ```
    """

    code = "PL505"
    name = "untrusted-checkout"
    severity = Severity.ERROR
    platforms = ("github",)
    tags = ("security", "supply-chain")
    precision = "high"
    options = {"trust-checkout-protection": True}

    def check(self, ctx):
        pipeline = ctx.file.pipeline
        if pipeline is None or pipeline.platform != "github":
            return
        events = frozenset(e for e in DANGEROUS_EVENTS if e in pipeline.events)
        if not events:
            return
        if events == {"workflow_run"} and _workflow_run_is_trusted(ctx.project, pipeline):
            return
        trust_protection = bool(ctx.options.get("trust-checkout-protection", True))
        file = ctx.file.file
        guarded: dict[str, bool] = {}
        for job in pipeline.jobs.values():
            if not job.steps or _job_guarded(job, pipeline, events, guarded):
                continue
            for checkout, runner in self._findings(job, events, trust_protection):
                yield self._diagnostic(file, job, events, checkout, runner)

    def _findings(self, job, events, trust_protection):
        steps = job.steps
        trusted = [_checkout_path(st) for st in steps if _is_trusted_checkout(st)]
        for index, step in enumerate(steps):
            if _guarded(step.condition, events):
                continue
            checkout = None
            if _is_action(step, "actions/checkout"):
                if trust_protection and _protected(step):
                    continue
                checkout = _action_checkout(step)
            elif step.script is not None and step.script.language in ("shell", "pwsh", "cmd"):
                checkout = _script_checkouts(step, _step_directory(step))
            if checkout is None:
                continue
            tree = Tree(checkout.path, trusted)
            runner = None
            if checkout.rest:
                runner = _commands_run_code(step, checkout.rest, checkout.path, tree)
            if runner is None:
                for later in steps[index + 1 :]:
                    if _is_trusted_checkout(later) and _checkout_path(later) == checkout.path:
                        break  # a trusted checkout replaces the tree
                    if _guarded(later.condition, events):
                        continue
                    runner = _step_runs_code(later, tree)
                    if runner is not None:
                        break
            if runner is not None:
                yield checkout, runner

    def _diagnostic(self, file, job, events, checkout, runner):
        step = checkout.step
        if checkout.start is not None:
            span = file.scalar_span(checkout.node, checkout.start, checkout.end)
            logical = f"jobs.{job.id}.steps[{step.index}].run"
        else:
            span = file.node_span(checkout.node)
            key = "ref" if _input(step, "ref") is checkout.node else "repository"
            logical = f"jobs.{job.id}.steps[{step.index}].with.{key}"
        if runner.start is not None:
            runner_span = file.scalar_span(runner.node, runner.start, runner.end)
        else:
            runner_span = file.node_span(runner.node)
        event = " and ".join(sorted(events))
        runner_label = "the same script" if runner.step is step else step_label(runner.step)
        what = checkout.what if len(checkout.what) <= 50 else "the pull request code"
        fix = "forks get its secrets and token; run it on pull_request instead."
        candidates = (
            f"{job.label} checks out {what} under {event}, then {runner_label} runs it ({runner.why}): {fix}",
            f"{job.label} checks out {what} under {event}, then runs it ({runner.why}): {fix}",
            f"{job.label} checks out {what} under {event}, then runs it: {fix}",
            f"{job.label} checks out pull request code under {event}, then runs it: {fix}",
        )
        message = next((m for m in candidates if len(m) <= _MAX_MESSAGE), candidates[-1])
        message = message[:1].upper() + message[1:]  # it starts with a job label
        related = (Related(runner_span, f"runs the checked-out code: {runner.why}"),)
        return self.diagnostic(span, message, related=related, logical_path=logical)
