"""Argo Rollouts analysis metrics: the ``spec.metrics[]`` of an ``AnalysisTemplate``,
``ClusterAnalysisTemplate`` or ``AnalysisRun``, read once for the analysis rules (PL004,
PL301, PL302, PL306, PL308).

A :class:`Metric` keeps the nodes the rules point at (name, conditions, limits, the
provider's mapping) and what the controller makes of them:

- ``provider``: the one key of ``provider`` (``prometheus``, ``web``, ``job``, ``kayenta``,
  ``datadog``, ``plugin``...); :data:`CONDITION_PROVIDERS` are the ones whose measurements
  the controller judges with ``successCondition``/``failureCondition``
  (``evaluate.EvaluateResult``); a Job, Kayenta or plugin metric decides its own outcome.
- ``indefinite``: ``interval`` set and ``count`` unset or 0 — the controller's
  ``EffectiveCount()`` is then nil and the metric measures until the run is terminated.
- ``failure_limit`` / ``inconclusive_limit``: default 0 (the first failed / inconclusive
  measurement decides the metric); ``failureLimit: -1`` disables the failure limit.

Values written as placeholders (``{{args.limit}}``) are unknown: the ``*_known`` readings
are None for them.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from .backref import Owner
from .workloads import is_placeholder
from .yamltree import Mapping, Scalar, Sequence

#: Kinds whose ``spec.metrics`` are analysis metrics.
METRIC_KINDS = frozenset({"AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun"})

#: Providers whose measurement the controller judges with the metric's conditions.
CONDITION_PROVIDERS = frozenset(
    {
        "prometheus",
        "web",
        "datadog",
        "newRelic",
        "wavefront",
        "cloudWatch",
        "graphite",
        "influxdb",
        "skywalking",
        "appInsights",
    }
)


def _text(node) -> str | None:
    return node.value if isinstance(node, Scalar) and isinstance(node.value, str) else None


def _int(node) -> int | None:
    """An integer field (``failureLimit: 3``, ``count: "5"``); None when absent, templated
    or not a whole number."""
    text = _text(node)
    if text is None or is_placeholder(text):
        return None
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        return None


@dataclass(eq=False)
class Metric:
    """One entry of ``spec.metrics``."""

    #: pipelint.model.Manifest; weak (see backref): :func:`metrics_of` caches the
    #: metrics with the manifest as a weak key, which a strong reference would pin.
    manifest: object = Owner()
    node: Mapping
    index: int
    name: str
    name_node: Scalar | None
    success: Scalar | None
    failure: Scalar | None
    provider: str | None
    #: The provider's own mapping (``provider.prometheus``), None when not a mapping.
    provider_node: Mapping | None

    @property
    def path(self) -> str:
        """A stable YAML path of the metric, relative to its object."""
        return f"spec.metrics[{self.index}]"

    @property
    def label(self) -> str:
        return f"metric '{self.name}'" if self.name else f"metric #{self.index + 1}"

    def field(self, key: str):
        return self.node.get(key)

    @property
    def interval(self) -> str | None:
        return _text(self.node.get("interval")) or None

    @property
    def count(self) -> int | None:
        return _int(self.node.get("count"))

    @property
    def indefinite(self) -> bool:
        """Measures until terminated: ``interval`` without a (non-zero) ``count``.

        A templated ``count`` is not indefinite (its value is unknown)."""
        if self.interval is None:
            return False
        count_node = self.node.get("count")
        if count_node is None:
            return True
        text = _text(count_node)
        if text is not None and is_placeholder(text):
            return False
        return self.count == 0

    @property
    def failure_limit(self) -> int | None:
        """``failureLimit`` (0 when absent); None when templated or unreadable."""
        node = self.node.get("failureLimit")
        return 0 if node is None else _int(node)

    @property
    def inconclusive_limit(self) -> int | None:
        node = self.node.get("inconclusiveLimit")
        return 0 if node is None else _int(node)

    @property
    def judged_by_conditions(self) -> bool:
        """Whether the controller applies ``successCondition``/``failureCondition``."""
        return self.provider in CONDITION_PROVIDERS

    @property
    def dry_run(self) -> bool:
        """Listed in the object's ``spec.dryRun`` (its result never decides the run)."""
        spec = self.manifest.spec
        entries = spec.get("dryRun") if spec is not None else None
        if not isinstance(entries, Sequence):
            return False
        for entry in entries:
            name = _text(entry.get("metricName")) if isinstance(entry, Mapping) else None
            if name is not None and (name == ".*" or name == self.name):
                return True
        return False


def _condition(node) -> Scalar | None:
    """A condition scalar; an empty string is no condition (the controller checks ``!= ""``)."""
    if isinstance(node, Scalar) and isinstance(node.value, str) and node.value.strip():
        return node
    return None


def _read(manifest) -> list[Metric]:
    spec = manifest.spec
    metrics = spec.get("metrics") if spec is not None else None
    if not isinstance(metrics, Sequence):
        return []
    out = []
    for index, node in enumerate(metrics):
        if not isinstance(node, Mapping):
            continue
        name_node = node.get("name") if isinstance(node.get("name"), Scalar) else None
        provider = node.get("provider")
        kind = provider_node = None
        if isinstance(provider, Mapping):
            keys = [k for k in provider.keys() if isinstance(k, str)]
            if len(keys) == 1:
                kind = keys[0]
                value = provider.get(kind)
                provider_node = value if isinstance(value, Mapping) else None
        out.append(
            Metric(
                manifest=manifest,
                node=node,
                index=index,
                name=_text(name_node) or "",
                name_node=name_node,
                success=_condition(node.get("successCondition")),
                failure=_condition(node.get("failureCondition")),
                provider=kind,
                provider_node=provider_node,
            )
        )
    return out


_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def metrics_of(manifest) -> list[Metric]:
    """The metrics of one Argo analysis object (empty for any other object), read once."""
    if manifest.kind not in METRIC_KINDS or manifest.group != "argoproj.io":
        return []
    found = _CACHE.get(manifest)
    if found is None:
        found = _read(manifest)
        _CACHE[manifest] = found
    return found


def file_metrics(parsed):
    """Every metric of a parsed file's analysis objects, in document order."""
    for manifest in parsed.manifests:
        yield from metrics_of(manifest)
