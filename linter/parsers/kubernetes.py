"""Kubernetes and Argo manifests -> :class:`~pipelint.model.Manifest` objects.

A manifest file is YAML whose documents have ``apiVersion`` and ``kind`` (Deployments,
Services, Argo ``Rollout``/``AnalysisTemplate``/``ClusterAnalysisTemplate``/``AnalysisRun``/
``Experiment``, CRDs, Kustomize files...); a ``List`` (``kind: List``, ``DeploymentList``...)
contributes one object per item. Documents without both keys (an empty document, a
values snippet) are skipped. Nothing is resolved here: Kustomize overlays and bases are
plain files, each read as it is.

Typed readings for what the rollout rules judge: the pod template's containers (image,
ports, probes) of workloads and of Rollouts with an inline template, and ``strategy``.
"""

from __future__ import annotations

import os

from ..model import Container, Manifest
from ..source import SourceFile
from ..yamltree import Document, Mapping, Scalar, Sequence

#: Kinds whose ``spec.template`` is a pod template (``spec.jobTemplate.spec.template`` for
#: CronJob).
WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Rollout", "Job", "ReplicationController"})


def _text(node) -> str | None:
    return node.value if isinstance(node, Scalar) else None


def _mapping(node) -> Mapping | None:
    return node if isinstance(node, Mapping) else None


def is_manifest(root) -> bool:
    """A document root that is a Kubernetes object: ``apiVersion`` and ``kind`` scalars."""
    return isinstance(root, Mapping) and isinstance(root.get("apiVersion"), Scalar) and isinstance(root.get("kind"), Scalar)


#: Keys only a Kustomization has at its top (``kustomization.yaml`` may omit
#: ``apiVersion``/``kind``; kustomize then assumes them).
_KUSTOMIZE_KEYS = frozenset({"resources", "bases", "patches", "patchesStrategicMerge", "patchesJson6902", "images", "namePrefix", "nameSuffix", "configMapGenerator", "secretGenerator", "components"})


def is_kustomization(root) -> bool:
    """A Kustomization written without ``apiVersion``/``kind``."""
    return isinstance(root, Mapping) and "kind" not in root and any(k in root for k in _KUSTOMIZE_KEYS)


def parse_manifests(file: SourceFile, documents: list[Document]) -> list[Manifest]:
    out: list[Manifest] = []
    for index, document in enumerate(documents):
        root = document.root
        if not is_manifest(root):
            if index == 0 and is_kustomization(root) and os.path.basename(file.path).lower().startswith("kustomization"):
                out.append(Manifest("Kustomization", "kustomize.config.k8s.io/v1beta1", root, file, index))
            continue
        kind = _text(root.get("kind")) or ""
        items = root.get("items")
        if kind.endswith("List") and isinstance(items, Sequence):
            for i, item in enumerate(items):
                if is_manifest(item):
                    out.append(_manifest(item, file, index, i))
            continue
        out.append(_manifest(root, file, index, None))
    return out


def _manifest(node: Mapping, file: SourceFile, document: int, item: int | None) -> Manifest:
    kind_node = node.get("kind")
    metadata = _mapping(node.get("metadata"))
    name_node = metadata.get("name") if metadata is not None else None
    namespace = _text(metadata.get("namespace")) if metadata is not None else None
    m = Manifest(
        kind=kind_node.value,
        api_version=node.get("apiVersion").value,
        node=node,
        file=file,
        document=document,
        name=_text(name_node) or "",
        namespace=namespace,
        name_node=name_node if isinstance(name_node, Scalar) else None,
        kind_node=kind_node,
        spec=_mapping(node.get("spec")),
        metadata=metadata,
        item=item,
    )
    spec = m.spec
    if spec is not None:
        m.strategy = _mapping(spec.get("strategy"))
        template = None
        if m.kind in WORKLOAD_KINDS:
            template = _mapping(spec.get("template"))
        elif m.kind == "CronJob":
            job = _mapping(spec.get("jobTemplate"))
            job_spec = _mapping(job.get("spec")) if job is not None else None
            template = _mapping(job_spec.get("template")) if job_spec is not None else None
        if template is not None:
            m.pod_spec = _mapping(template.get("spec"))
    if m.pod_spec is not None:
        for key, init in (("initContainers", True), ("containers", False)):
            seq = m.pod_spec.get(key)
            if not isinstance(seq, Sequence):
                continue
            for c in seq:
                if isinstance(c, Mapping):
                    m.containers.append(
                        Container(
                            name=_text(c.get("name")) or "",
                            node=c,
                            image=c.get("image") if isinstance(c.get("image"), Scalar) else None,
                            ports=c.get("ports"),
                            readiness=_mapping(c.get("readinessProbe")),
                            liveness=_mapping(c.get("livenessProbe")),
                            init=init,
                        )
                    )
    return m
