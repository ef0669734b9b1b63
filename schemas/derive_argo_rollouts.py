"""Derive compact JSON schemas (draft-07) for PL002 from the Argo Rollouts CRDs.

    python schemas/derive_argo_rollouts.py [CRD_FOLDER]

CRD_FOLDER defaults to ../shared/schemas/argo-rollouts-crds (argoproj/argo-rollouts
``manifests/crds/``, Apache-2.0). Writes ``schemas/argo-<kind>.json`` for Rollout,
AnalysisTemplate, ClusterAnalysisTemplate, AnalysisRun and Experiment, and records the
source in ``schemas/README.md`` by hand (see there).

From each CRD's stored version, ``schema.openAPIV3Schema`` without descriptions and with
``status`` accepted as anything (the controller writes it), translated from the Kubernetes structural-schema dialect:

* a schema with ``properties`` gets ``additionalProperties: false`` (the API server prunes
  or, with strict field validation, rejects unknown fields: a misspelt key is lost),
  unless it says ``x-kubernetes-preserve-unknown-fields: true`` (then anything goes) or
  it is an embedded ``metadata`` (exports carry all of ObjectMeta there);
* ``x-kubernetes-int-or-string: true`` -> integer or string;
* ``nullable: true`` -> null is accepted too;
* other ``x-kubernetes-*`` markers are dropped.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ruamel.yaml import YAML

HERE = Path(__file__).resolve().parent
DEFAULT_CRDS = HERE.parent.parent / "shared" / "schemas" / "argo-rollouts-crds"
FILES = {
    "Rollout": "rollout-crd.yaml",
    "AnalysisTemplate": "analysis-template-crd.yaml",
    "ClusterAnalysisTemplate": "cluster-analysis-template-crd.yaml",
    "AnalysisRun": "analysis-run-crd.yaml",
    "Experiment": "experiment-crd.yaml",
}


def translate(node, open_object: bool = False):
    if isinstance(node, list):
        return [translate(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "description" or key.startswith("x-kubernetes-") or key == "nullable":
            continue
        if key == "properties":
            # embedded object metadata lists only labels/annotations; exported objects
            # carry the rest of ObjectMeta (creationTimestamp...): not judged
            out[key] = {k: translate(v, open_object=(k == "metadata")) for k, v in value.items()}
        else:
            out[key] = translate(value)
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["type"] = ["integer", "string"]
    if node.get("nullable") and "type" in out:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = types + ["null"]
    if "properties" in node and not open_object and not node.get("x-kubernetes-preserve-unknown-fields") and "additionalProperties" not in node:
        out["additionalProperties"] = False
    return out


def derive(crd_path: Path) -> dict:
    crd = YAML(typ="safe").load(crd_path.read_text(encoding="utf-8"))
    versions = crd["spec"]["versions"]
    version = next((v for v in versions if v.get("storage")), versions[0])
    schema = dict(version["schema"]["openAPIV3Schema"])
    props = dict(schema.get("properties", {}))
    props.pop("status", None)  # written by the controller; exports of live objects carry it
    schema["properties"] = props
    out = translate(schema)
    out["properties"]["status"] = {}
    out["$schema"] = "http://json-schema.org/draft-07/schema#"
    out["title"] = f"{crd['spec']['names']['kind']} ({crd['spec']['group']}/{version['name']})"
    return out


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else DEFAULT_CRDS
    for kind, name in FILES.items():
        schema = derive(folder / name)
        target = HERE / f"argo-{kind.lower()}.json"
        target.write_text(json.dumps(schema, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
        print(f"{target.name}: {target.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
