"""The common model every rule reads: Project -> Pipeline -> Job -> Step.

Platform parsers (``pipelint.parsers.*``) build it; rules only read it. Names are
platform-neutral so that GitHub Actions, GitLab CI and Azure Pipelines fit the same
shapes: a GitLab stage or an Azure stage is a :class:`Stage`, a GitHub job, a GitLab job
and an Azure job or deployment job are each a :class:`Job`, and so on. Every object keeps
the YAML nodes it came from, so a rule can point at the exact key or value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from .backref import Owner
from .source import SourceFile
from .yamltree import Document, Mapping, Scalar, Sequence, YNode


@dataclass(eq=False)
class LoadProblem:
    """Why a file could not be read into the model (becomes PL001)."""

    file: SourceFile
    message: str
    line: int = 0  # 0-based, like YAML marks
    column: int = 0
    offset: int = 0
    #: For duplicate keys: the first occurrence (a related location).
    related_node: YNode | None = None
    node: YNode | None = None


@dataclass(eq=False)
class Trigger:
    """An event that starts a pipeline (``push``, ``pull_request``, ``workflow_run``...)."""

    event: str
    node: YNode | None  # the key node naming the event
    config: YNode | None = None  # its filters (branches, types, workflows...)


@dataclass(eq=False)
class Environment:
    """A deployment target a job declares (GitHub/GitLab ``environment:``, Azure)."""

    name: str
    node: YNode  # the value node (string or mapping) of ``environment:``
    name_node: YNode | None = None
    url: str | None = None
    #: The name contains an expression (``${{ inputs.env }}``): not known statically.
    dynamic: bool = False


@dataclass(eq=False)
class Script:
    """Shell (or other) code a step runs, with its place in the file."""

    text: str
    node: Scalar | None  # None: a repository script file a step runs
    file: SourceFile
    shell: str | None = None
    #: The language the platform runs it with: "shell", "pwsh", "javascript", ...
    language: str = "shell"
    #: Whose placeholders the text holds (``"github"``, ``"gitlab"``, ``"azure"``): they
    #: are opaque words to the shell parser.
    platform: str = ""

    def span(self, start: int, end: int):
        """Span of ``text[start:end]`` in the file (the scalar's, or the whole file's for
        a repository script a step runs)."""
        if self.node is None:
            return self.file.span(start, end)
        return self.file.scalar_span(self.node, start, end)

    @property
    def program(self):
        """The script read by the shell parser (:mod:`pipelint.shell`), or None for
        languages it does not read (JavaScript of ``actions/github-script``, Python...).
        Parsed on first use and cached by text: call it after a cheap text prefilter."""
        if self.language not in ("shell", "pwsh"):
            return None
        from .shell import parse

        return parse(self.text, self.language, self.platform)


@dataclass(eq=False)
class ActionRef:
    """``uses:`` of a step or a job: an action, a reusable workflow or a docker image."""

    raw: str
    node: Scalar
    kind: str  # "repository", "local", "docker"
    owner: str = ""
    repo: str = ""
    path: str = ""  # sub-path inside the repository, or the local path
    ref: str | None = None
    #: For local references: the resolved path relative to the repository root and whether it exists.
    resolved: str | None = None
    exists: bool | None = None

    @property
    def name(self) -> str:
        """``owner/repo[/path]`` without the ref."""
        base = f"{self.owner}/{self.repo}"
        return f"{base}/{self.path}" if self.path else base


@dataclass(eq=False)
class Step:
    index: int
    node: Mapping
    file: SourceFile
    #: The job that runs it; None for the steps of a composite action. Weak (see backref).
    job: Job | None = Owner(optional=True)
    id: str | None = None
    name: str | None = None
    uses: ActionRef | None = None
    script: Script | None = None
    #: ``with:`` inputs (GitHub), ``inputs:`` (Azure tasks)
    inputs: Mapping | None = None
    env: Mapping | None = None
    condition: Scalar | None = None
    continue_on_error: YNode | None = None
    #: Platform facts without a neutral name (Azure: the deployment ``hook`` it runs in).
    extra: dict = field(default_factory=dict)
    #: Repository scripts the step's script runs by path (``./scripts/deploy.sh``):
    #: Scripts whose spans point into those files (see pipelint.parsers.scripts).
    called_scripts: list = field(default_factory=list)

    def span_at(self, start: int | None = None, end: int | None = None, script: Script | None = None):
        """Where a finding about this step points: ``start``..``end`` of ``script`` (the
        step's own by default), else its ``uses:``/``task:``, else the step."""
        script = script or self.script
        if start is not None and script is not None:
            return script.span(start, start if end is None else end)
        if self.uses is not None:
            return self.file.node_span(self.uses.node)
        return self.file.node_span(self.node)

    def input(self, name: str) -> YNode | None:
        """The value node of input ``name`` (GitHub ``with:``, Azure task ``inputs:``),
        its name matched case-insensitively as Azure does."""
        inputs = self.inputs
        if not isinstance(inputs, Mapping):
            return None
        lname = name.lower()
        for key, _k, value in inputs.items():
            if key.lower() == lname:
                return value
        return None

    def input_text(self, name: str) -> str | None:
        """The text of input ``name`` when it is a scalar."""
        value = self.input(name)
        return value.value if isinstance(value, Scalar) else None

    @property
    def scripts(self) -> list:
        """The step's own script, then the repository scripts it runs."""
        own = [self.script] if self.script is not None else []
        return own + self.called_scripts

    @property
    def label(self) -> str:
        if self.name:
            return f"step '{self.name}'"
        if self.id:
            return f"step '{self.id}'"
        if self.uses:
            return f"step {self.index + 1} ({self.uses.raw})"
        return f"step {self.index + 1}"


@dataclass(eq=False)
class Needs:
    """One upstream dependency a job names explicitly."""

    job_id: str
    node: Scalar
    optional: bool = False


def _file_below(root, target, node_files: dict, file):
    """The file of ``target``, a node somewhere below ``root`` (a job's merged body):
    that of its nearest ancestor ``node_files`` knows (an ``extends`` parent's ``rules:``
    item brings its nested ``when:`` from another file). None if it is not below."""
    stack = [(root, node_files.get(id(root), file))]
    seen: set[int] = set()
    while stack:
        node, inherited = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node is target:
            return inherited
        if isinstance(node, Mapping):
            children = [v for _, _, v in node.items()] + [k for _, k, _ in node.items()]
        elif isinstance(node, Sequence):
            children = node.items
        else:
            continue
        for child in children:
            stack.append((child, node_files.get(id(child), inherited)))
    return None


@dataclass(eq=False)
class Job:
    id: str
    key_node: Scalar  # the job's key (where job-level findings point)
    node: YNode  # its body
    pipeline: Pipeline = Owner()  # weak (see backref)
    name: str | None = None
    stage: str | None = None
    environment: Environment | None = None
    needs: list[Needs] = field(default_factory=list)
    #: ``needs`` given explicitly (GitLab ``needs: []`` differs from no ``needs``)
    needs_declared: bool = False
    condition: Scalar | None = None
    concurrency: YNode | None = None
    timeout: YNode | None = None
    permissions: YNode | None = None
    runs_on: YNode | None = None
    steps: list[Step] = field(default_factory=list)
    #: A reusable workflow / template this job calls instead of having steps.
    uses: ActionRef | None = None
    inputs: Mapping | None = None
    env: Mapping | None = None
    strategy: YNode | None = None
    #: When the job runs relative to its upstream: "on_success" (default), "manual",
    #: "delayed", "always", "on_failure", "never" (GitLab ``when``; GitHub/Azure map here too).
    when: str | None = None
    when_node: YNode | None = None
    #: GitLab ``allow_failure`` (a manual job outside ``rules`` defaults to True); None if unset.
    allow_failure: bool | None = None
    #: Serialises runs of the job: GitLab ``resource_group``, Azure ``lockBehavior``.
    serialised_by: YNode | None = None
    #: An Azure ``deployment:`` job (its environment's checks gate it).
    deployment_job: bool = False
    #: Where the job's definition came from when it is not this file (a template, an
    #: ``extends`` parent, an included file): (file path, node) pairs, nearest first.
    origins: list = field(default_factory=list)
    #: Platform facts that have no neutral name yet (documented where they are set).
    extra: dict = field(default_factory=dict)
    #: The file ``node`` (the job's body) lives in, when it is not the pipeline's own file
    #: (an Azure job template, a GitLab job from an included file). ``key_node`` stays in
    #: the pipeline's file: it is the call site findings point at.
    source: SourceFile | None = None
    #: The file ``key_node`` is written in when it is not the pipeline's (a GitLab job
    #: defined in an included file).
    key_source: SourceFile | None = None
    #: For bodies merged from several files (GitLab ``extends`` across includes):
    #: ``id(value node) -> SourceFile`` of the values of ``node``; see :meth:`file_of`.
    node_files: dict | None = None

    @property
    def node_file(self) -> SourceFile:
        """The file of ``node`` and its children (for spans inside the job's body)."""
        return self.source or self.pipeline.file

    def file_of(self, node) -> SourceFile:
        """The file a value of ``node`` (or a node below one) is written in."""
        if self.node_files:
            found = self.node_files.get(id(node))
            if found is not None:
                return found
            found = _file_below(self.node, node, self.node_files, self.node_file)
            if found is not None:
                return found
        return self.node_file

    @property
    def label(self) -> str:
        if self.name and self.name != self.id:
            return f"job '{self.id}' ({self.name})"
        return f"job '{self.id}'"

    @property
    def file(self) -> SourceFile:
        """The file of ``key_node`` (where job-level findings point)."""
        return self.key_source or self.pipeline.file

    def key_span(self):
        return self.file.node_span(self.key_node)


@dataclass(eq=False)
class Stage:
    """An ordered group of jobs (GitLab stages, Azure stages)."""

    name: str
    node: YNode | None
    jobs: list[Job] = field(default_factory=list)
    #: Stages that must finish first: (stage name, node naming it or None when implicit).
    depends_on: list = field(default_factory=list)
    #: True when ``depends_on`` is the platform's default (Azure: the previous stage).
    depends_on_implicit: bool = False
    condition: Scalar | None = None
    extra: dict = field(default_factory=dict)


@dataclass(eq=False)
class Pipeline:
    """One pipeline definition file (a workflow, a ``.gitlab-ci.yml``, an Azure pipeline)."""

    platform: str  # "github", "gitlab", "azure"
    file: SourceFile
    document: Document
    root: Mapping
    name: str | None = None
    name_node: Scalar | None = None
    triggers: list[Trigger] = field(default_factory=list)
    triggers_node: YNode | None = None
    jobs: dict[str, Job] = field(default_factory=dict)
    stages: list[Stage] = field(default_factory=list)
    permissions: YNode | None = None
    permissions_key: Scalar | None = None
    concurrency: YNode | None = None
    env: Mapping | None = None
    #: "workflow" or "reusable-workflow" (has ``workflow_call``) for GitHub.
    kind: str = "workflow"
    #: Platform facts without a neutral name (Azure: list-form variables, parameters).
    extra: dict = field(default_factory=dict)
    #: Parts of the pipeline pipelint cannot read offline (GitLab ``include: project|remote|
    #: template|component``, Azure templates ``@other-repo``): the pipeline is partly
    #: unknown, so "does not exist" conclusions must be withheld.
    external: list = field(default_factory=list)
    #: The repository folder the file belongs to (GitHub: the folder holding ``.github``);
    #: local references resolve against it and cross-file links stay inside it.
    repository_root: str = ""
    #: Local files this pipeline reads besides its own (GitLab ``include: local``, Azure
    #: ``template:``): absolute path -> SourceFile. The engine lints those too, even
    #: where their path alone would not make pipelint read them.
    included_files: dict = field(default_factory=dict)
    #: Local pipeline files this pipeline starts as child pipelines (GitLab
    #: ``trigger: include: local``), absolute paths; the engine lints them too.
    child_files: list = field(default_factory=list)

    @property
    def display_name(self) -> str:
        return self.name or self.file.path

    def trigger(self, event: str) -> Trigger | None:
        for t in self.triggers:
            if t.event == event:
                return t
        return None

    @property
    def events(self) -> set[str]:
        return {t.event for t in self.triggers}


@dataclass(eq=False)
class Action:
    """A GitHub action metadata file (``action.yml``): composite, docker or JavaScript."""

    file: SourceFile
    document: Document
    root: Mapping
    name: str | None = None
    using: str | None = None
    using_node: Scalar | None = None
    #: The steps of a composite action (``runs.steps``).
    steps: list[Step] = field(default_factory=list)


@dataclass(eq=False)
class Container:
    """A container of a workload's pod template (``containers``/``initContainers``)."""

    name: str
    node: Mapping
    image: Scalar | None = None
    #: ``ports`` list (None when absent), ``readinessProbe``/``livenessProbe`` mappings.
    ports: YNode | None = None
    readiness: Mapping | None = None
    liveness: Mapping | None = None
    init: bool = False


@dataclass(eq=False)
class Manifest:
    """One Kubernetes / Argo object of a manifest file (one YAML document, or one item
    of a ``List``): its identity and nodes. Typed readings for the kinds rules judge:
    ``containers`` (Deployment, StatefulSet, DaemonSet, ReplicaSet, Rollout, Job, CronJob
    pod templates), ``strategy`` (workloads, Rollouts)."""

    kind: str
    api_version: str
    node: Mapping
    file: SourceFile
    document: int
    name: str = ""
    namespace: str | None = None
    name_node: Scalar | None = None
    kind_node: Scalar | None = None
    spec: Mapping | None = None
    metadata: Mapping | None = None
    #: The pod template's ``spec`` (workloads, Rollouts with an inline template).
    pod_spec: Mapping | None = None
    containers: list = field(default_factory=list)
    strategy: Mapping | None = None
    #: ``List`` item: its index in ``items`` (None for a document of its own).
    item: int | None = None

    @property
    def group(self) -> str:
        """The API group (``argoproj.io``, ``apps``, ``""`` for the core group)."""
        return self.api_version.rsplit("/", 1)[0] if "/" in self.api_version else ""

    @property
    def label(self) -> str:
        return f"{self.kind} '{self.name}'" if self.name else self.kind

    def key_span(self):
        """Where a finding about the whole object points: its ``metadata.name``, else
        its ``kind``, else the document."""
        node = self.name_node or self.kind_node or self.node
        return self.file.node_span(node)


@dataclass(eq=False)
class ParsedFile:
    """A file the classifier recognised, with what its parser made of it."""

    file: SourceFile
    kind: str  # classifier kind: "github-workflow", "github-action", ...
    platform: str
    documents: list[Document] = field(default_factory=list)
    pipeline: Pipeline | None = None
    action: Action | None = None
    #: Kubernetes / Argo objects of a manifest file, in document order.
    manifests: list[Manifest] = field(default_factory=list)
    #: A Dockerfile's build (:class:`pipelint.dockerfile.Dockerfile`), or None.
    dockerfile: object = None
    #: A SQL migration (:class:`pipelint.migrations.Migration`), or None.
    migration: object = None
    #: One-line notices the parser had for the run (statements it could not read...).
    notices: list = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)
    #: Inline suppressions found in the file; filled by the engine.
    comments: list = field(default_factory=list)
    #: Named on the command line (pre-commit passes only some files): the project may be
    #: missing the file's siblings, so "does not exist" conclusions are unsafe.
    explicit: bool = False
    #: Read because a pipeline includes it (GitLab include, Azure template) although its
    #: path is not one pipelint reads on its own: it is an included part, not a pipeline.
    included: bool = False


@dataclass(eq=False)
class Project:
    """Every parsed file and the indexes that cross files."""

    root: str
    files: list[ParsedFile] = field(default_factory=list)
    _graph: object = None
    _by_repository: dict | None = None
    _included: frozenset | None = None
    _by_path: tuple | None = None

    @property
    def pipelines(self) -> Iterator[Pipeline]:
        for f in self.files:
            if f.pipeline is not None:
                yield f.pipeline

    @property
    def actions(self) -> Iterator[Action]:
        for f in self.files:
            if f.action is not None:
                yield f.action

    @property
    def manifests(self) -> Iterator[Manifest]:
        """Every Kubernetes / Argo object of every manifest file."""
        for f in self.files:
            yield from f.manifests

    @property
    def dockerfiles(self) -> Iterator:
        for f in self.files:
            if f.dockerfile is not None:
                yield f.dockerfile

    @property
    def migrations(self) -> Iterator:
        for f in self.files:
            if f.migration is not None:
                yield f.migration

    def pipelines_of(self, platform: str) -> Iterator[Pipeline]:
        return (p for p in self.pipelines if p.platform == platform)

    def jobs(self) -> Iterator[Job]:
        for p in self.pipelines:
            yield from p.jobs.values()

    def steps(self) -> Iterator[Step]:
        """Every step: those of jobs and those of composite actions."""
        for job in self.jobs():
            yield from job.steps
        for action in self.actions:
            yield from action.steps

    def pipelines_in_repository(self, root: str, platform: str = "github") -> list[Pipeline]:
        """The pipelines of one repository folder (indexed once)."""
        if self._by_repository is None:
            index: dict = {}
            for p in self.pipelines:
                index.setdefault((p.platform, p.repository_root), []).append(p)
            self._by_repository = index
        return self._by_repository.get((platform, root), [])

    def file_by_path(self, path: str) -> ParsedFile | None:
        index = self._by_path
        if index is None or index[0] != len(self.files):  # (re)built when files were added
            table: dict = {}
            for f in self.files:
                table.setdefault(f.file.path, f)
            index = self._by_path = (len(self.files), table)
        return index[1].get(path)

    def included_elsewhere(self, pipeline: Pipeline) -> bool:
        """Another pipeline reads this pipeline's file as an include or a template
        (``Pipeline.included_files``): its jobs are judged in that pipeline's context,
        where what runs before them is known, and not again on their own."""
        if self._included is None:
            self._included = frozenset(
                path for p in self.pipelines for path in p.included_files if path != p.file.abspath
            )
        return pipeline.file.abspath in self._included

    @property
    def graph(self):
        """The cross-file job graph, built once on first use."""
        if self._graph is None:
            from .graph import JobGraph

            self._graph = JobGraph.build(self)
        return self._graph
