"""Argo Rollouts analysis templates and the references to them, across every scanned file.

- :class:`Template`: an ``AnalysisTemplate`` (namespaced) or ``ClusterAnalysisTemplate``
  with the args it declares; an arg with neither ``value`` nor ``valueFrom`` is required
  (the AnalysisRun cannot be created until the referrer supplies it).
- :func:`template_references`: the ``templates: [{templateName, clusterScope}]`` entries a
  Rollout names (canary background ``analysis``, ``- analysis`` steps, ``analyses`` of
  ``- experiment`` steps, blue-green ``prePromotionAnalysis``/``postPromotionAnalysis``),
  an Experiment names (``spec.analyses[]``) and a template composes
  (``spec.templates[]`` of an AnalysisTemplate / ClusterAnalysisTemplate). AnalysisRuns
  embed their metrics (the CRD has no ``templates``), so they reference nothing; objects
  exported from a cluster (``uid``/``resourceVersion``) are snapshots and are skipped.
- :class:`AnalysisIndex`: templates indexed by (namespace, name) and cluster templates by
  name, with what makes a "not found" conclusion unsafe in a repository (no template at
  all there, a templated template name, Kustomize ``namePrefix``/``nameSuffix`` and
  ``namespace`` rewriting). A repository is the nearest folder holding ``.git`` at or
  below the folder every scanned manifest shares, else that shared folder (the scan).

Lookups follow the controller: ``clusterScope: true`` looks for a
ClusterAnalysisTemplate, otherwise an AnalysisTemplate in the referrer's namespace. A
``metadata.namespace`` left out is whatever namespace the object is applied to (``kubectl
-n``, Argo CD's destination), so a missing namespace on either side is taken to match.
"""

from __future__ import annotations

import difflib
import functools
import os
import weakref
from dataclasses import dataclass, field

from .workloads import is_placeholder
from .yamltree import Mapping, Scalar, Sequence

TEMPLATE_KINDS = frozenset({"AnalysisTemplate", "ClusterAnalysisTemplate"})


def _mapping(node) -> Mapping | None:
    return node if isinstance(node, Mapping) else None


def _text(node) -> str | None:
    return node.value if isinstance(node, Scalar) else None


def _is_true(node) -> bool:
    return isinstance(node, Scalar) and str(node.value).strip().lower() == "true"


@dataclass(eq=False)
class TemplateArg:
    name: str
    node: Mapping
    required: bool


@dataclass(eq=False)
class Template:
    manifest: object  # pipelint.model.Manifest
    name: str
    namespace: str | None
    cluster: bool
    args: dict = field(default_factory=dict)  # name -> TemplateArg

    @property
    def kind(self) -> str:
        return "ClusterAnalysisTemplate" if self.cluster else "AnalysisTemplate"


@dataclass(eq=False)
class Reference:
    """One ``templateName`` a referrer names."""

    referrer: object  # pipelint.model.Manifest
    name_node: Scalar
    name: str
    cluster_scope: bool
    #: Arg names the reference supplies; None when they cannot be known (templated names,
    #: args that are not a list) or the reference supplies none by design (template
    #: composition: the AnalysisRun's creator passes them).
    supplied: frozenset | None
    #: A stable YAML path of the ``templateName``, relative to the object.
    path: str
    check_args: bool = True


def template_args(spec: Mapping | None) -> dict:
    out: dict = {}
    args = spec.get("args") if spec is not None else None
    if not isinstance(args, Sequence):
        return out
    for item in args:
        item = _mapping(item)
        name = _text(item.get("name")) if item is not None else None
        if not name:
            continue
        required = "value" not in item and "valueFrom" not in item
        out[name] = TemplateArg(name, item, required)
    return out


def _supplied(args) -> frozenset | None:
    if args is None:
        return frozenset()
    if not isinstance(args, Sequence):
        return None
    names = set()
    for item in args:
        item = _mapping(item)
        if item is None:
            return None
        name = _text(item.get("name"))
        if name is None or is_placeholder(name):
            return None
        names.add(name)
    return frozenset(names)


def _refs_of(owner: Mapping | None, path: str, referrer, supplied_from: Mapping | None = None, check_args: bool = True):
    """The ``templates[]`` entries of an analysis block (args are the block's)."""
    if owner is None:
        return
    templates = owner.get("templates")
    if not isinstance(templates, Sequence):
        return
    supplied = _supplied((supplied_from or owner).get("args"))
    for i, entry in enumerate(templates):
        entry = _mapping(entry)
        if entry is None:
            continue
        node = entry.get("templateName")
        if not isinstance(node, Scalar) or not isinstance(node.value, str) or not node.value:
            continue
        yield Reference(referrer, node, node.value, _is_true(entry.get("clusterScope")), supplied, f"{path}.templates[{i}].templateName", check_args)


def _experiment_refs(analyses, path: str, referrer):
    if not isinstance(analyses, Sequence):
        return
    for i, entry in enumerate(analyses):
        entry = _mapping(entry)
        if entry is None:
            continue
        node = entry.get("templateName")
        if not isinstance(node, Scalar) or not isinstance(node.value, str) or not node.value:
            continue
        yield Reference(referrer, node, node.value, _is_true(entry.get("clusterScope")), _supplied(entry.get("args")), f"{path}[{i}].templateName")


def is_live_object(manifest) -> bool:
    """An object exported from a cluster (``uid``, ``resourceVersion``, ``managedFields``):
    a snapshot whose templates were in the cluster, not a source to resolve."""
    meta = manifest.metadata
    return meta is not None and any(k in meta for k in ("uid", "resourceVersion", "managedFields"))


def template_references(manifest) -> list:
    """Every analysis-template reference of one object (see the module docstring)."""
    spec = manifest.spec
    if spec is None or manifest.group != "argoproj.io" or is_live_object(manifest):
        return []
    out: list = []
    kind = manifest.kind
    if kind == "Rollout":
        strategy = _mapping(spec.get("strategy"))
        if strategy is None:
            return out
        canary = _mapping(strategy.get("canary"))
        if canary is not None:
            base = "spec.strategy.canary"
            out.extend(_refs_of(_mapping(canary.get("analysis")), f"{base}.analysis", manifest))
            steps = canary.get("steps")
            if isinstance(steps, Sequence):
                for i, step in enumerate(steps):
                    step = _mapping(step)
                    if step is None:
                        continue
                    out.extend(_refs_of(_mapping(step.get("analysis")), f"{base}.steps[{i}].analysis", manifest))
                    experiment = _mapping(step.get("experiment"))
                    if experiment is not None:
                        out.extend(_experiment_refs(experiment.get("analyses"), f"{base}.steps[{i}].experiment.analyses", manifest))
        blue_green = _mapping(strategy.get("blueGreen"))
        if blue_green is not None:
            for key in ("prePromotionAnalysis", "postPromotionAnalysis"):
                out.extend(_refs_of(_mapping(blue_green.get(key)), f"spec.strategy.blueGreen.{key}", manifest))
    elif kind == "Experiment":
        out.extend(_experiment_refs(spec.get("analyses"), "spec.analyses", manifest))
    elif kind in TEMPLATE_KINDS:
        # composition: the nested template's args come from whoever runs this template
        out.extend(_refs_of(spec, "spec", manifest, check_args=False))
    return out


@functools.lru_cache(maxsize=4096)
def _repository_root(folder: str, stop: str) -> str:
    """The nearest folder from ``folder`` up to ``stop`` holding ``.git``; ``stop`` when none."""
    current = folder
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        if current == stop or len(current) <= len(stop):
            return stop
        parent = os.path.dirname(current)
        if parent == current:
            return stop
        current = parent


def repository_of(manifest, stop: str) -> str:
    """The referrer's repository folder: the nearest folder holding ``.git`` between the
    file and ``stop`` (the folder all scanned manifests share), else ``stop``."""
    folder = os.path.dirname(os.path.abspath(manifest.file.abspath))
    if folder != stop and not folder.startswith(stop.rstrip(os.sep) + os.sep):
        return folder
    return _repository_root(folder, stop)


@dataclass
class _Repository:
    templates: int = 0
    templated_names: bool = False
    prefixes: set = field(default_factory=lambda: {""})
    suffixes: set = field(default_factory=lambda: {""})
    #: A Kustomization sets ``namespace``: written namespaces may be rewritten.
    namespace_rewritten: bool = False


@dataclass
class Lookup:
    """What :meth:`AnalysisIndex.resolve` found for one reference."""

    template: Template | None = None
    #: No conclusion is safe (unknown names, no template in the repository...).
    unknown: bool = False
    #: Templates of that name in other namespaces (the reference names the wrong one).
    elsewhere: list = field(default_factory=list)
    #: The closest template name of the same kind, for "did you mean".
    similar: Template | None = None


class AnalysisIndex:
    """Templates of a project, indexed once (see :func:`analysis_index`)."""

    def __init__(self, project):
        folders = {os.path.dirname(os.path.abspath(f.file.abspath)) for f in project.files if f.manifests}
        try:
            self.stop = os.path.commonpath(sorted(folders)) if folders else os.path.abspath(project.root)
        except ValueError:  # different drives
            self.stop = os.path.abspath(project.root)
        self.namespaced: dict = {}  # name -> [Template]
        self.cluster: dict = {}  # name -> [Template]
        self.repositories: dict = {}  # root -> _Repository
        self.explicit = any(f.explicit for f in project.files)
        for m in project.manifests:
            if m.kind in TEMPLATE_KINDS and m.group == "argoproj.io":
                repo = self._repo(m)
                repo.templates += 1
                if is_placeholder(m.name):
                    repo.templated_names = True
                    continue
                if not m.name:  # generateName only: nothing can name it
                    continue
                cluster = m.kind == "ClusterAnalysisTemplate"
                t = Template(m, m.name, None if cluster else m.namespace, cluster, template_args(m.spec))
                (self.cluster if cluster else self.namespaced).setdefault(m.name, []).append(t)
            elif m.kind == "Kustomization":
                repo = self._repo(m)
                node = m.node
                for key, bucket in (("namePrefix", repo.prefixes), ("nameSuffix", repo.suffixes)):
                    value = _text(node.get(key))
                    if value:
                        bucket.add(value)
                if node.get("namespace") is not None:
                    repo.namespace_rewritten = True

    def _repo(self, manifest) -> _Repository:
        return self.repositories.setdefault(repository_of(manifest, self.stop), _Repository())

    def _variants(self, name: str, repo: _Repository) -> set:
        out = {name}
        for p in repo.prefixes:
            for s in repo.suffixes:
                core = name
                if p and core.startswith(p):
                    core = core[len(p) :]
                if s and core.endswith(s):
                    core = core[: len(core) - len(s)]
                if core:
                    out.add(core)
                    out.add(p + core + s)
        return out

    def resolve(self, ref: Reference) -> Lookup:
        repo = self._repo(ref.referrer)
        if is_placeholder(ref.name) or repo.templated_names or repo.templates == 0:
            return Lookup(unknown=True)
        table = self.cluster if ref.cluster_scope else self.namespaced
        names = self._variants(ref.name, repo)
        # the name as written first, then its Kustomize variants in a fixed order (a set's
        # order changes with the hash seed: the template found must not)
        found = [t for n in [ref.name, *sorted(names - {ref.name})] for t in table.get(n, ())]
        if len(repo.prefixes) > 1 or len(repo.suffixes) > 1:
            # a template renamed by Kustomize matches a reference written before the rename
            found += [t for n, ts in table.items() if n not in names and names & self._variants(n, repo) for t in ts]
        if ref.cluster_scope:
            if found:
                return Lookup(template=found[0])
        else:
            ns = ref.referrer.namespace
            same = [t for t in found if ns is None or t.namespace is None or t.namespace == ns]
            if same:
                return Lookup(template=same[0])
            if found:
                if repo.namespace_rewritten or any(self._repo(t.manifest).namespace_rewritten for t in found):
                    return Lookup(unknown=True)
                return Lookup(elsewhere=found)
        if self.explicit:
            # only some files were named (pre-commit): the template may be in another one
            return Lookup(unknown=True)
        close = difflib.get_close_matches(ref.name, list(table), n=1, cutoff=0.6)
        similar = None
        if close:
            candidates = table[close[0]]
            ns = ref.referrer.namespace
            similar = next((t for t in candidates if ref.cluster_scope or ns is None or t.namespace in (None, ns)), candidates[0])
        return Lookup(similar=similar)


_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def analysis_index(project) -> AnalysisIndex:
    """The project's index, built once per project."""
    index = _CACHE.get(project)
    if index is None:
        index = AnalysisIndex(project)
        _CACHE[project] = index
    return index


def missing_args(ref: Reference, template: Template) -> list:
    """The template's required args the reference does not supply (none when unknown)."""
    if not ref.check_args or ref.supplied is None:
        return []
    return [a for a in template.args.values() if a.required and a.name not in ref.supplied]
