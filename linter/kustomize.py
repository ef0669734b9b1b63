"""What Kustomizations of the scan say about other files.

A file a Kustomization applies as a patch (``patches``, ``patchesStrategicMerge``,
``patchesJson6902``) holds a partial object: rules that judge whole objects (schema
validation, rollout strategies) leave it alone.
"""

from __future__ import annotations

import os
import weakref

from .yamltree import Mapping, Scalar, Sequence

_PATCHES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def kustomize_patches(project) -> frozenset:
    """Absolute paths of the files Kustomizations of the scan apply as patches
    (``patches``, ``patchesStrategicMerge``, ``patchesJson6902``): partial objects."""
    found = _PATCHES.get(project)
    if found is None:
        paths = set()
        for m in project.manifests:
            if m.kind != "Kustomization":
                continue
            folder = os.path.dirname(m.file.abspath)
            for key in ("patches", "patchesStrategicMerge", "patchesJson6902"):
                items = m.node.get(key)
                for item in items if isinstance(items, Sequence) else ():
                    path = item.get("path") if isinstance(item, Mapping) else item
                    if isinstance(path, Scalar) and path.value and "\n" not in path.value:
                        paths.add(os.path.normpath(os.path.join(folder, path.value)))
        found = _PATCHES[project] = frozenset(paths)
    return found
