"""Typed readings of Argo Rollouts strategies, shared by PL304, PL305 and PL307.

A ``Rollout`` (group ``argoproj.io``) has ``spec.strategy.canary`` or
``spec.strategy.blueGreen``. :func:`read_strategy` turns that Mapping into a
:class:`Canary` (its steps as :class:`CanaryStep` items, each keeping its nodes) or a
:class:`BlueGreen`; nothing else is resolved.

Facts encoded (Argo Rollouts ``pkg/apis/rollouts``, checked against its validation code):

- a canary step sets exactly one action: ``setWeight``, ``pause``, ``analysis``,
  ``experiment``, ``setCanaryScale``, ``setHeaderRoute``, ``setMirrorRoute``, ``plugin``;
- ``pause: {}`` (no ``duration``) waits until a person promotes the rollout;
- a pause ``duration`` is an integer number of seconds, or a string: an integer, or a Go
  duration (``30s``, ``10m``, ``1h30m``, ``1.5h``, ``500ms``); anything else makes the
  controller read it as -1, which its validation rejects ("Duration needs to be greater
  than 0"); a negative number is rejected too;
- ``setWeight`` must lie in 0..``trafficRouting.maxTrafficWeight`` (default 100);
- background analysis is ``strategy.canary.analysis``;
- blue-green ``autoPromotionEnabled`` defaults to true; ``prePromotionAnalysis`` runs
  before the active Service switches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .kustomize import kustomize_patches
from .workloads import is_placeholder
from .yamltree import Mapping, Scalar, Sequence

#: The actions a canary step may set (exactly one per step).
STEP_ACTIONS = ("setWeight", "pause", "analysis", "experiment", "setCanaryScale", "setHeaderRoute", "setMirrorRoute", "plugin")
#: The actions the controller rejects together in one step (``hasMultipleStepsType``);
#: Argo's own examples combine ``setCanaryScale`` with ``setHeaderRoute``.
EXCLUSIVE_ACTIONS = ("setWeight", "pause", "experiment", "analysis")

#: Go ``time.ParseDuration``: optional sign, then one or more <number><unit>.
_GO_DURATION = re.compile(r"[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+")
_GO_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_GO_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def _mapping(node) -> Mapping | None:
    return node if isinstance(node, Mapping) else None


def int_value(node) -> int | None:
    """An integer written as a plain (untagged, unquoted) YAML integer, else None."""
    if not isinstance(node, Scalar):
        return None
    value = node.typed()
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def bool_value(node) -> bool | None:
    """A YAML boolean (``true``/``false``), else None."""
    if not isinstance(node, Scalar):
        return None
    value = node.typed()
    return value if isinstance(value, bool) else None


def duration_seconds(node) -> float | None:
    """Seconds of a pause ``duration`` as the controller reads it; -1 when malformed,
    None when unknown (a template placeholder, a non-scalar)."""
    if not isinstance(node, Scalar):
        return None
    value = node.typed()
    if isinstance(value, bool) or value is None:
        return -1
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return -1  # not an int-or-string
    text = str(value).strip()
    if is_placeholder(text):
        return None
    if re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    if not _GO_DURATION.fullmatch(text):
        return -1
    total = sum(float(num) * _GO_UNIT_SECONDS[unit] for num, unit in _GO_PART.findall(text))
    return -total if text.startswith("-") else total


@dataclass(eq=False)
class CanaryStep:
    """One item of ``canary.steps``: its index, node and the action keys it sets."""

    index: int
    node: Mapping
    actions: list  # action names, in written order

    @property
    def action(self) -> str | None:
        return self.actions[0] if self.actions else None

    @property
    def weight_node(self):
        return self.node.get("setWeight")

    @property
    def weight(self) -> int | None:
        return int_value(self.node.get("setWeight"))

    @property
    def pause_node(self):
        return self.node.get("pause") if "pause" in self.node else None

    @property
    def indefinite_pause(self) -> bool:
        """``pause: {}`` (or ``pause:`` with no ``duration``): waits for manual promotion."""
        if "pause" not in self.node:
            return False
        pause = self.node.get("pause")
        if isinstance(pause, Mapping):
            return "duration" not in pause or (isinstance(pause.get("duration"), Scalar) and pause.get("duration").typed() is None)
        return isinstance(pause, Scalar) and pause.typed() is None

    @property
    def duration_node(self):
        pause = _mapping(self.node.get("pause"))
        return pause.get("duration") if pause is not None and "duration" in pause else None

    @property
    def runs_analysis(self) -> bool:
        """An ``analysis`` step, an ``experiment`` step that runs analyses, or a step
        ``plugin`` (runs until the plugin reports success or failure, e.g. a load test)."""
        if "analysis" in self.node or "plugin" in self.node:
            return True
        experiment = _mapping(self.node.get("experiment"))
        analyses = experiment.get("analyses") if experiment is not None else None
        return isinstance(analyses, Sequence) and len(analyses) > 0

    @property
    def waits(self) -> bool:
        """The step holds the rollout before the next one: a pause, an analysis, an
        experiment or a step plugin."""
        return any(a in ("pause", "analysis", "experiment", "plugin") for a in self.actions)

    @property
    def conflicting(self) -> list:
        """The actions of this step the controller refuses to combine."""
        return [a for a in self.actions if a in EXCLUSIVE_ACTIONS]


@dataclass(eq=False)
class Canary:
    """``spec.strategy.canary``."""

    key: object  # the ``canary`` key Scalar
    node: Mapping
    steps_node: Sequence | None
    steps: list = field(default_factory=list)
    #: ``canary.analysis`` (background analysis).
    analysis: Mapping | None = None
    max_weight: int = 100
    max_weight_node: object = None

    @property
    def has_analysis(self) -> bool:
        return self.analysis is not None or any(s.runs_analysis for s in self.steps)


@dataclass(eq=False)
class BlueGreen:
    """``spec.strategy.blueGreen``."""

    key: object
    node: Mapping
    #: ``autoPromotionEnabled``: its node (None when not written) and value (default True;
    #: None when not a boolean, e.g. a template placeholder).
    auto_promotion_node: object = None
    auto_promotion: bool | None = True
    pre_promotion_analysis: object = None
    auto_promotion_seconds: object = None


def _key(mapping: Mapping, name: str):
    return mapping.key_node(name) if hasattr(mapping, "key_node") else None


def is_rollout(manifest) -> bool:
    return manifest.kind == "Rollout" and manifest.group == "argoproj.io"


def read_canary(strategy: Mapping) -> Canary | None:
    node = _mapping(strategy.get("canary"))
    if node is None:
        return None
    steps_node = node.get("steps")
    canary = Canary(key=_key(strategy, "canary"), node=node, steps_node=steps_node if isinstance(steps_node, Sequence) else None)
    canary.analysis = _mapping(node.get("analysis"))
    routing = _mapping(node.get("trafficRouting"))
    if routing is not None:
        mtw = int_value(routing.get("maxTrafficWeight"))
        if mtw is not None and mtw > 0:
            canary.max_weight, canary.max_weight_node = mtw, routing.get("maxTrafficWeight")
    for i, item in enumerate(canary.steps_node or ()):
        if isinstance(item, Mapping):
            canary.steps.append(CanaryStep(i, item, [k for k in item.keys() if k in STEP_ACTIONS]))
    return canary


def read_blue_green(strategy: Mapping) -> BlueGreen | None:
    node = _mapping(strategy.get("blueGreen"))
    if node is None:
        return None
    bg = BlueGreen(key=_key(strategy, "blueGreen"), node=node)
    if "autoPromotionEnabled" in node:
        bg.auto_promotion_node = node.get("autoPromotionEnabled")
        bg.auto_promotion = bool_value(bg.auto_promotion_node)
    bg.pre_promotion_analysis = node.get("prePromotionAnalysis")
    bg.auto_promotion_seconds = node.get("autoPromotionSeconds")
    return bg


def judged_rollouts(ctx):
    """The Rollouts of ``ctx.file`` that are whole objects: group ``argoproj.io``, a
    ``spec.strategy`` Mapping, and a file no Kustomization of the scan applies as a patch."""
    manifests = [m for m in ctx.file.manifests if is_rollout(m) and m.strategy is not None]
    if not manifests:
        return []
    project = getattr(ctx, "project", None)
    if project is not None:
        if ctx.file.file.abspath in kustomize_patches(project):
            return []
    return manifests


def label(manifest, limit: int = 40) -> str:
    """``Rollout 'name'`` with a long name shortened, so messages stay under 200 characters."""
    name = manifest.name
    if len(name) > limit:
        name = name[: limit - 3] + "..."
    return f"{manifest.kind} '{name}'" if name else manifest.kind
