"""Shared readings of Kubernetes / Argo workloads for the rollout-safety rules (PL4xx).

- :func:`is_production_workload`: whether an object is production-like, from its
  namespace, the folders of its file's path (``overlays/production/...``) or its
  environment labels (``env``, ``environment``, ``app.kubernetes.io/environment``...), all
  judged by the configured production patterns (:class:`~pipelint.environments.Targets`).
- :func:`rolling_update`: the rolling-update arithmetic resolved as the controllers do
  (Deployment: defaults 25%/25%, ``maxSurge`` percentages round up, ``maxUnavailable``
  percentages round down, of ``replicas``; StatefulSet / DaemonSet ``updateStrategy``;
  Argo Rollout canary ``maxSurge``/``maxUnavailable`` as written; their defaults are
  not judged).
- :func:`parse_image`: a container image reference split into registry/name, tag and
  digest; :func:`is_placeholder` for templated values that are unknown, not findings.
"""

from __future__ import annotations

import math
import re
import weakref
from dataclasses import dataclass

from .yamltree import Mapping, Scalar

#: Label keys that name a deployment environment.
ENVIRONMENT_LABELS = (
    "env",
    "environment",
    "app.kubernetes.io/environment",
    "deployment-environment",
    "stage",
    "tier.environment",
)

#: Template syntax of Helm, Kustomize replacements, envsubst, ytt, Argo parameters...
_PLACEHOLDER = re.compile(r"\$\{|\$\(|\{\{|\}\}|<%|<[A-Za-z_][\w.-]*>|^\$[A-Za-z_]|#@|%\{|__[A-Z][A-Z0-9_]*__")

#: Kinds whose pods the rolling-update arithmetic applies to.
REPLICATED_KINDS = frozenset({"Deployment", "StatefulSet", "Rollout"})


def is_placeholder(text: str | None) -> bool:
    """A templated value (``${REPLICAS}``, ``{{ .Values.image }}``, ``$(IMAGE)``,
    ``<IMAGE>``, ``<%= erb %>``, ``__TAG__``): unknown until rendered."""
    return bool(text) and _PLACEHOLDER.search(text) is not None


def _mapping(node) -> Mapping | None:
    return node if isinstance(node, Mapping) else None


def _labels(manifest) -> list[tuple[str, str]]:
    out = []
    sources = [manifest.metadata]
    spec = manifest.spec
    template = _mapping(spec.get("template")) if spec is not None else None
    if template is not None:
        sources.append(_mapping(template.get("metadata")))
    for meta in sources:
        labels = _mapping(meta.get("labels")) if meta is not None else None
        if labels is None:
            continue
        for key, value in labels.pairs:
            if isinstance(key, Scalar) and isinstance(value, Scalar):
                out.append((key.value, str(value.value)))
    return out


def path_is_production(path: str, targets) -> bool:
    """A folder segment of ``path`` is production-like (``prod/``, ``production/``,
    ``overlays/prod-eu/``). The file name itself is not judged: stems such as
    ``deploy-live.yaml`` (a live-state dump) or ``prod-readiness.yaml`` say too little."""
    parts = path.replace("\\", "/").split("/")
    return any(seg and seg not in (".", "..") and targets.is_production(seg) for seg in parts[:-1])


def is_production_workload(manifest, targets) -> bool:
    """The object is production-like: its namespace, a folder of its path, or one of its
    environment labels (object or pod template) matches the production patterns."""
    if targets is None:
        return False
    if manifest.namespace and not is_placeholder(manifest.namespace) and targets.is_production(manifest.namespace):
        return True
    if path_is_production(manifest.file.path, targets):
        return True
    for key, value in _labels(manifest):
        name = key.rsplit("/", 1)[-1].lower() if key.startswith("app.kubernetes.io/") else key.lower()
        if (key.lower() in ENVIRONMENT_LABELS or name == "environment") and targets.is_production(value):
            return True
    return False


# ------------------------------------------------------------------ rolling updates
@dataclass
class Quantity:
    """One ``replicas`` / ``maxSurge`` / ``maxUnavailable`` value: its node (None when
    defaulted), the text as written, and the resolved count (None when unknown:
    templated, unparseable, or a percentage of an unknown replica count)."""

    node: Scalar | None
    text: str
    value: int | None
    percent: bool = False

    @property
    def explicit(self) -> bool:
        return self.node is not None


@dataclass
class RollingUpdate:
    """The resolved rolling-update arithmetic of a workload.

    ``kind`` is ``deployment``, ``statefulset``, ``daemonset``, ``canary`` (Argo Rollout)
    or ``bluegreen``; ``replicas`` is None for DaemonSets (one pod per node). ``literal_zero``
    tells whether ``maxSurge``/``maxUnavailable`` are both written or defaulted as 0 (or
    ``0%``): the API server rejects that. ``managed`` means something else may own the
    surge arithmetic (Argo canary with traffic routing keeps the stable set scaled).
    """

    kind: str
    replicas: Quantity | None
    max_surge: Quantity | None
    max_unavailable: Quantity | None
    both_zero: bool = False
    managed: bool = False
    #: Where the strategy is written (to point at when no single field is to blame).
    strategy_node: Mapping | None = None


def _int_or_percent(node, total: int | None, round_up: bool) -> tuple[int | None, bool, int | None]:
    """(resolved count, is-percentage, raw number as written) of an IntOrString node."""
    if not isinstance(node, Scalar):
        return None, False, None
    text = str(node.value).strip()
    if is_placeholder(text):
        return None, text.endswith("%"), None
    if text.endswith("%"):
        try:
            pct = int(text[:-1])
        except ValueError:
            return None, True, None
        if total is None:
            return None, True, pct
        scaled = pct * total / 100
        return (math.ceil(scaled) if round_up else math.floor(scaled)), True, pct
    if node.style:  # a quoted number: the API server rejects a non-percent string
        try:
            return int(text), False, int(text)
        except ValueError:
            return None, False, None
    try:
        number = int(text)
    except ValueError:
        return None, False, None
    return number, False, number


def _quantity(node, default: str, total: int | None, round_up: bool) -> tuple[Quantity, int | None]:
    if isinstance(node, Scalar):
        value, pct, raw = _int_or_percent(node, total, round_up)
        return Quantity(node, str(node.value), value, pct), raw
    fake = Scalar(None, default)
    value, pct, raw = _int_or_percent(fake, total, round_up)
    return Quantity(None, default, value, pct), raw


def _replicas(spec: Mapping) -> Quantity:
    node = spec.get("replicas")
    if node is None:
        return Quantity(None, "1", 1)
    if isinstance(node, Scalar):
        text = str(node.value).strip()
        if node.style or is_placeholder(text):
            return Quantity(node, text, None)
        try:
            return Quantity(node, text, int(text))
        except ValueError:
            return Quantity(node, text, None)
    return Quantity(None, "", None)


def rolling_update(manifest) -> RollingUpdate | None:
    """The rolling-update arithmetic of a Deployment, StatefulSet, DaemonSet or Argo
    Rollout, or None when the object does not roll pods (a ``Recreate`` / ``OnDelete``
    strategy, another kind, no spec, a ``strategy`` that is not a mapping)."""
    spec = manifest.spec
    if spec is None:
        return None
    kind = manifest.kind
    group = manifest.group
    if kind == "Deployment":
        strategy = spec.get("strategy")
        if strategy is not None and not isinstance(strategy, Mapping):
            return None
        strategy = _mapping(strategy)
        stype = strategy.get("type") if strategy is not None else None
        if isinstance(stype, Scalar) and str(stype.value) != "RollingUpdate":
            return None
        if stype is not None and not isinstance(stype, Scalar):
            return None
        ru = _mapping(strategy.get("rollingUpdate")) if strategy is not None else None
        replicas = _replicas(spec)
        total = replicas.value
        surge, raw_surge = _quantity(ru.get("maxSurge") if ru else None, "25%", total, True)
        unavail, raw_unavail = _quantity(ru.get("maxUnavailable") if ru else None, "25%", total, False)
        both_zero = raw_surge == 0 and raw_unavail == 0
        # the controller's fencepost: when both resolve to 0, one pod may be unavailable
        if not both_zero and surge.value == 0 and unavail.value == 0:
            unavail.value = 1
        return RollingUpdate("deployment", replicas, surge, unavail, both_zero, strategy_node=strategy)
    if kind == "StatefulSet":
        found = _update_strategy(spec)
        if found is None:
            return None
        strategy, ru = found
        replicas = _replicas(spec)
        total = replicas.value
        # StatefulSet maxUnavailable (default 1) rounds up, and is at least 1
        unavail, _ = _quantity(ru.get("maxUnavailable") if ru else None, "1", total, True)
        if unavail.value is not None and unavail.value < 1:
            unavail.value = 1
        return RollingUpdate("statefulset", replicas, None, unavail, strategy_node=strategy)
    if kind == "DaemonSet":
        found = _update_strategy(spec)
        if found is None:
            return None
        strategy, ru = found
        surge, raw_surge = _quantity(ru.get("maxSurge") if ru else None, "0", None, True)
        unavail, raw_unavail = _quantity(ru.get("maxUnavailable") if ru else None, "1", None, True)
        return RollingUpdate("daemonset", None, surge, unavail, raw_surge == 0 and raw_unavail == 0, strategy_node=strategy)
    if kind == "Rollout" and group.endswith("argoproj.io"):
        strategy = _mapping(spec.get("strategy"))
        if strategy is None:
            return None
        replicas = _replicas(spec)
        if _mapping(strategy.get("blueGreen")) is not None:
            return RollingUpdate("bluegreen", replicas, None, None, strategy_node=strategy)
        canary = _mapping(strategy.get("canary"))
        if canary is None:
            return None
        total = replicas.value
        surge, raw_surge = _quantity(canary.get("maxSurge"), "25%", total, True)
        unavail, raw_unavail = _quantity(canary.get("maxUnavailable"), "25%", total, False)
        # Argo's defaults are ambiguous (the spec documents 1, the controller's defaults
        # package holds the string "25"): a defaulted value is unknown, not judged.
        if not surge.explicit:
            surge.value, raw_surge = None, None
        if not unavail.explicit:
            unavail.value, raw_unavail = None, None
        both_zero = raw_surge == 0 and raw_unavail == 0
        if not both_zero and surge.value == 0 and unavail.value == 0:
            unavail.value = 1
        managed = canary.get("trafficRouting") is not None
        return RollingUpdate("canary", replicas, surge, unavail, both_zero, managed, strategy_node=canary)
    return None


# ------------------------------------------------------------------ images
@dataclass
class ImageRef:
    """A container image reference: ``[registry[:port]/]path[:tag][@digest]``."""

    text: str
    #: Registry and repository path without tag or digest (``registry:5000/team/app``).
    name: str
    tag: str | None
    digest: str | None
    #: Offsets in ``text`` of the tag (after ``:``), or None.
    tag_start: int | None = None

    @property
    def repository(self) -> str:
        """The repository without a registry host (``team/app``; Docker Hub ``library/``
        is kept as written)."""
        first, _, rest = self.name.partition("/")
        if rest and ("." in first or ":" in first or first == "localhost"):
            return rest
        return self.name

    @property
    def mutable(self) -> bool:
        return self.digest is None and (self.tag is None or self.tag == "latest")


def parse_image(text: str) -> ImageRef | None:
    """Split an image reference; None when it is empty or templated."""
    text = text.strip()
    if not text or is_placeholder(text) or any(c.isspace() for c in text):
        return None
    # ``image: auto`` is Istio's gateway-injection placeholder; ``ko://`` references are
    # built and pinned by ko at apply time
    if text == "auto" or "://" in text:
        return None
    # a reference rendered from empty template values (``/name:``, ``hub/:tag``) is no
    # reference at all: the template is what needs reading
    if text.startswith(("/", ":", "@")) or text.endswith((":", "/", "@")) or "//" in text or "/:" in text:
        return None
    digest = None
    rest = text
    if "@" in rest:
        rest, _, digest = rest.partition("@")
        digest = digest or None
    tag = None
    tag_start = None
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:  # a colon after the last slash is a tag; before it, a registry port
        tag = rest[colon + 1 :] or None
        tag_start = colon + 1
        rest = rest[:colon]
    # a repository path with capitals is no valid reference: a sed/envsubst placeholder
    # such as ``gcr.io/PROJECT_ID/app`` or ``IMAGE``
    first, _, path = rest.partition("/")
    if any(c.isupper() for c in (path if path and ("." in first or ":" in first) else rest)):
        return None
    return ImageRef(text, rest, tag, digest, tag_start)


def image_names(ref: ImageRef) -> set[str]:
    """The names a Kustomize ``images[].name`` may use for this reference."""
    names = {ref.name, ref.repository}
    if ref.name.startswith(("docker.io/", "index.docker.io/")):
        bare = ref.name.split("/", 1)[1]
        names.add(bare)
        if bare.startswith("library/"):
            names.add(bare[len("library/") :])
    elif "/" not in ref.name:
        names.update({f"docker.io/{ref.name}", f"library/{ref.name}", f"docker.io/library/{ref.name}"})
    return names


# ------------------------------------------------------------------ cross-file indexes
_INDEX_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_TARGET_KINDS = {
    "deployment": ("Deployment",),
    "deployments": ("Deployment",),
    "statefulset": ("StatefulSet",),
    "statefulsets": ("StatefulSet",),
    "replicaset": ("ReplicaSet",),
}


def _project_index(project) -> dict:
    """Per-project indexes, built once per run (the engine keeps one Project per run)."""
    cached = _INDEX_CACHE.get(project) if project is not None else None
    if cached is not None:
        return cached
    index = {"scaled": set(), "scaled_any_ns": set(), "images": set(), "replicas": set()}
    for m in project.manifests if project is not None else ():
        spec = m.spec
        for c in m.containers:
            # cluster-proportional-autoscaler: ``--target=Deployment/coredns``
            words = [w for key in ("command", "args") if _is_seq(c.node.get(key)) for w in c.node.get(key)]
            for arg in words:
                text = str(arg.value) if isinstance(arg, Scalar) else ""
                if text.lower().startswith("--target="):
                    kind, _, name = text.split("=", 1)[1].partition("/")
                    for k in _TARGET_KINDS.get(kind.lower(), ()):
                        index["scaled_any_ns"].add((k, name))
        if m.kind in ("HorizontalPodAutoscaler", "ScaledObject"):
            ref = _mapping(spec.get("scaleTargetRef")) if spec is not None else None
            if ref is None:
                continue
            name = ref.get("name")
            kind = ref.get("kind")
            if not isinstance(name, Scalar):
                continue
            kind_text = str(kind.value) if isinstance(kind, Scalar) else "Deployment"
            index["scaled"].add((m.namespace or "", kind_text, str(name.value)))
            index["scaled_any_ns"].add((kind_text, str(name.value)))
        elif m.kind == "Kustomization":
            images = m.node.get("images")
            for item in images if _is_seq(images) else ():
                if not isinstance(item, Mapping):
                    continue
                name = item.get("name")
                tag = item.get("newTag")
                pinned = item.get("digest") is not None or (
                    isinstance(tag, Scalar) and str(tag.value).strip() not in ("", "latest")
                )
                if isinstance(name, Scalar) and pinned:
                    index["images"].add(str(name.value))
            replicas = m.node.get("replicas")
            for item in replicas if _is_seq(replicas) else ():
                name = item.get("name") if isinstance(item, Mapping) else None
                if isinstance(name, Scalar):
                    index["replicas"].add(str(name.value))
        elif m.kind == "Config" and m.api_version.startswith("skaffold/"):
            # Skaffold builds these artifacts and rewrites the manifests' references to
            # the built tag/digest when it deploys
            build = _mapping(m.node.get("build"))
            artifacts = build.get("artifacts") if build is not None else None
            for item in artifacts if _is_seq(artifacts) else ():
                name = item.get("image") if isinstance(item, Mapping) else None
                if isinstance(name, Scalar):
                    index["images"].add(str(name.value))
    if project is not None:
        _INDEX_CACHE[project] = index
    return index


def _update_strategy(spec: Mapping):
    """``(updateStrategy, rollingUpdate)`` of a StatefulSet or DaemonSet that rolls
    (``RollingUpdate``, the default), or None (``OnDelete``, or not a mapping)."""
    strategy = spec.get("updateStrategy")
    if strategy is not None and not isinstance(strategy, Mapping):
        return None
    stype = strategy.get("type") if strategy is not None else None
    if stype is not None and not (isinstance(stype, Scalar) and str(stype.value) == "RollingUpdate"):
        return None
    return strategy, (_mapping(strategy.get("rollingUpdate")) if strategy is not None else None)


def _is_seq(node) -> bool:
    from .yamltree import Sequence

    return isinstance(node, Sequence)


def replicas_managed_elsewhere(manifest, project) -> bool:
    """An autoscaler in the scan (HorizontalPodAutoscaler, KEDA ScaledObject, a
    cluster-proportional-autoscaler's ``--target=``) targets the workload, or a Kustomization's ``replicas:`` sets its count: ``spec.replicas`` is not
    what runs."""
    index = _project_index(project)
    if (manifest.namespace or "", manifest.kind, manifest.name) in index["scaled"]:
        return True
    # an autoscaler without a namespace is applied into the workload's namespace (and the
    # other way round): match on kind and name alone when either side has none
    if (manifest.kind, manifest.name) in index["scaled_any_ns"]:
        return True
    return manifest.name in index["replicas"]


def kustomize_overrides_image(ref: ImageRef, project) -> bool:
    """A Kustomization in the scan sets ``newTag`` (not ``latest``) or ``digest`` for this
    image name, or a Skaffold config builds it (and deploys it by its built tag)."""
    names = _project_index(project)["images"]
    return bool(names) and any(n in names for n in image_names(ref))
