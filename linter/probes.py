"""What a Kubernetes pod serves, and what its probes read (PL403, PL404).

**Serving containers** (:func:`serving_containers`): a long-running workload's pod template
(Deployment, StatefulSet, DaemonSet, Argo Rollout with an inline template; Jobs and
CronJobs run to completion and serve nobody) serves traffic through

* a container that declares ``ports`` (other than only metrics/profiling ports: a
  Prometheus exporter sidecar is scraped, not load-balanced), or
* the containers a Service of the scan sends traffic to: a Service whose ``spec.selector``
  pairs all appear in the pod template's labels, in the same namespace (an object without
  ``metadata.namespace`` is in ``default``). Its ``targetPort`` (default: ``port``) names
  the container when it can be told: a named port, or a number some container declares.
  When it cannot be told, the single container of a pod serves; with several containers
  only those with ports are judged (precision first: a sidecar without ports is not
  blamed for a port nobody declares).

Init containers never serve; a container without ``image`` is a fragment (a kustomize
strategic-merge patch whose base holds the probe) and is not judged.

**Probe readings** (:func:`probe_handler`, :func:`same_probe`): a probe's handler
(``httpGet``/``tcpSocket``/``exec``/``grpc``) and its target, normalised (``httpGet``
path defaults to ``/``, scheme to ``HTTP``; named ports resolved against the
container's ports) so a readinessProbe and a livenessProbe can be compared; timing fields
(``periodSeconds``, ``failureThreshold``...) are not part of what a probe checks.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from .model import Container, Manifest
from .yamltree import Mapping, Scalar, Sequence, to_python

#: Kinds whose pods run for good and may serve traffic.
SERVING_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Rollout"})
#: A Service selecting workloads of more files than this is not trusted across files.
MAX_SELECTED_FILES = 2
#: Probe handlers Kubernetes knows.
HANDLERS = ("httpGet", "tcpSocket", "exec", "grpc")
#: Port names of metrics/profiling endpoints (scraped, not sent user traffic).
_METRICS_PORT = re.compile(r"(?:^|[-_])(?:metrics?|prom|prometheus|monitoring|stats|pprof|debug|profiler?)(?:$|[-_])",
                           re.IGNORECASE)


def is_metrics_port_name(name: str | None) -> bool:
    """``metrics``, ``http-metrics``, ``http-envoy-prom``, ``pprof``...: a port that is scraped."""
    return bool(name) and bool(_METRICS_PORT.search(name))


def _text(node) -> str | None:
    return node.value if isinstance(node, Scalar) else None


def _mapping(node) -> Mapping | None:
    return node if isinstance(node, Mapping) else None


def is_serving_workload(manifest: Manifest) -> bool:
    """A workload whose pods run for good (not a Job/CronJob) with an inline pod template
    (an Argo Rollout with ``workloadRef`` has none: its Deployment is judged instead)."""
    if manifest.kind not in SERVING_KINDS or manifest.pod_spec is None:
        return False
    if manifest.kind == "Rollout":
        return manifest.group == "argoproj.io"
    return True


def namespace_of(manifest: Manifest) -> str:
    return manifest.namespace or "default"


def template_labels(manifest: Manifest) -> dict[str, str]:
    """The pod template's ``metadata.labels`` (scalars only)."""
    spec = manifest.spec
    if spec is None:
        return {}
    template = _mapping(spec.get("template"))
    meta = _mapping(template.get("metadata")) if template is not None else None
    labels = _mapping(meta.get("labels")) if meta is not None else None
    if labels is None:
        return {}
    return {k: v.value for k, _, v in labels.items() if isinstance(v, Scalar)}


@dataclass
class Port:
    """One ``containerPort`` entry: its number as written and its name."""

    number: str | None
    name: str | None


def container_ports(container: Container) -> list[Port]:
    out = []
    if isinstance(container.ports, Sequence):
        for p in container.ports:
            if isinstance(p, Mapping):
                out.append(Port(_text(p.get("containerPort")), _text(p.get("name"))))
    return out


def declares_ports(container: Container) -> bool:
    """The container lists at least one port (a non-empty ``ports`` sequence)."""
    return isinstance(container.ports, Sequence) and len(container.ports) > 0


def metrics_only(container: Container) -> bool:
    """Every declared port is named like a metrics/profiling port (``metrics``, ``prometheus``...)."""
    ports = container_ports(container)
    return bool(ports) and all(is_metrics_port_name(p.name) for p in ports)


@dataclass
class Service:
    """A Service of the scan with a selector: what it selects and which ports it targets."""

    manifest: Manifest
    namespace: str
    selector: dict[str, str]
    #: ``targetPort`` of each port (``port`` when absent), as text; None when unreadable.
    targets: list[str | None] = field(default_factory=list)


def services(manifests) -> list[Service]:
    """Services (core ``v1``) that select pods: a non-empty ``spec.selector`` of scalars,
    not ``type: ExternalName``, not a metrics Service (every port named like ``metrics``)."""
    out = []
    for m in manifests:
        if m.kind != "Service" or m.group != "" or m.spec is None:
            continue
        if _text(m.spec.get("type")) == "ExternalName":
            continue
        selector = _mapping(m.spec.get("selector"))
        if selector is None or len(selector) == 0:
            continue
        pairs = {}
        for k, _, v in selector.items():
            if not isinstance(v, Scalar):
                pairs = {}
                break
            pairs[k] = v.value
        if not pairs:
            continue
        targets: list[str | None] = []
        names: list[str | None] = []
        ports = m.spec.get("ports")
        if isinstance(ports, Sequence):
            for p in ports:
                if isinstance(p, Mapping):
                    targets.append(_text(p.get("targetPort")) or _text(p.get("port")))
                    names.append(_text(p.get("name")))
        if names and all(is_metrics_port_name(n) for n in names):
            continue  # a metrics Service: scraped, it sends no user traffic
        out.append(Service(m, namespace_of(m), pairs, targets))
    return out


def _ancestors(directory: str) -> list[str]:
    """Strict ancestors of a relative folder, nearest first, without the scan root."""
    out = []
    while "/" in directory:
        directory = directory.rsplit("/", 1)[0]
        out.append(directory)
    return out


class ServiceIndex:
    """Services of the scan, to find those selecting a workload's pods: same namespace,
    and files that belong together: the same folder, or one folder inside the other (not
    the scan root: a scan of many repositories must not pair ``app: web`` of one with
    ``app: web`` of another)."""

    def __init__(self, manifests):
        self._own: dict[tuple[str, str], list[Service]] = {}
        self._below: dict[tuple[str, str], list[Service]] = {}
        for s in services(manifests):
            directory = posixpath.dirname(s.manifest.file.path.replace("\\", "/"))
            self._own.setdefault((s.namespace, directory), []).append(s)
            for up in _ancestors(directory):
                self._below.setdefault((s.namespace, up), []).append(s)

    def selecting(self, workload: Manifest) -> list[Service]:
        labels = template_labels(workload)
        if not labels:
            return []
        ns = namespace_of(workload)
        directory = posixpath.dirname(workload.file.path.replace("\\", "/"))
        candidates = list(self._own.get((ns, directory), ()))
        if directory:
            candidates += self._below.get((ns, directory), ())
        for up in _ancestors(directory):
            candidates += self._own.get((ns, up), ())
        return [s for s in candidates if all(labels.get(k) == v for k, v in s.selector.items())]

    def resolve(self, workloads) -> dict[int, list[Service]]:
        """``id(workload)`` -> the Services selecting it. A Service that selects workloads of
        more than :data:`MAX_SELECTED_FILES` other files (a folder of unrelated test
        manifests all labelled ``app: foo``) only counts for a workload of its own file."""
        found = {id(w): self.selecting(w) for w in workloads}
        files: dict[int, set] = {}
        for w in workloads:
            for s in found[id(w)]:
                if w.file.path != s.manifest.file.path:
                    files.setdefault(id(s), set()).add(w.file.path)
        for w in workloads:
            found[id(w)] = [
                s for s in found[id(w)]
                if w.file.path == s.manifest.file.path or len(files.get(id(s), ())) <= MAX_SELECTED_FILES
            ]
        return found


def serving_containers(workload: Manifest, selected_by: list[Service]) -> list[Container]:
    """The (non-init) containers of a serving workload that receive traffic (see the module
    docstring), in template order."""
    if not is_serving_workload(workload):
        return []
    # a container without an image is a fragment (a kustomize patch), not a container
    regular = [c for c in workload.containers if not c.init and c.image is not None]
    serving = {id(c) for c in regular if declares_ports(c) and not metrics_only(c)}
    if selected_by:
        for service in selected_by:
            for target in service.targets or [None]:
                hit = _target_container(regular, target)
                if hit is not None:
                    serving.add(id(hit))
                elif len(regular) == 1:
                    serving.add(id(regular[0]))
    return [c for c in regular if id(c) in serving]


def _target_container(containers: list[Container], target: str | None) -> Container | None:
    if target is None or "{{" in target or "$" in target:
        return None
    named = not target.isdigit()
    for c in containers:
        for p in container_ports(c):
            if (named and p.name == target) or (not named and p.number == target):
                return c
    return None


# ------------------------------------------------------------------ probe readings

#: Web servers whose ``/`` is the content they serve: a readiness check on ``/`` of such an
#: image is as deep as it gets (no application behind it to ask).
_STATIC_SERVER = re.compile(r"(?:^|[-_/])(?:nginx|nginx-unprivileged|httpd|apache2?|caddy|lighttpd|openresty)(?:[-_:@]|$)",
                            re.IGNORECASE)


def is_static_web_server(container: Container) -> bool:
    """The container runs a plain web server image (``nginx``, ``httpd``, ``caddy``...)."""
    if container.image is None or not isinstance(container.image.value, str):
        return False
    repository = container.image.value.split("@", 1)[0]
    last = repository.rsplit("/", 1)[-1]
    return bool(_STATIC_SERVER.search(last.split(":", 1)[0]))


def probe_handler(probe: Mapping | None) -> tuple[str, Mapping | Scalar | None] | None:
    """(handler key, its value node) of a probe, None without a known handler."""
    if probe is None:
        return None
    for key in HANDLERS:
        if key in probe:
            return key, probe.get(key)
    return None


def http_path(probe: Mapping | None) -> Scalar | None:
    """The ``httpGet.path`` scalar of a probe (None when not an httpGet probe or no path)."""
    handler = probe_handler(probe)
    if handler is None or handler[0] != "httpGet":
        return None
    value = _mapping(handler[1])
    path = value.get("path") if value is not None else None
    return path if isinstance(path, Scalar) else None


def _port_number(container: Container, port) -> object:
    if isinstance(port, str) and not port.isdigit():
        for p in container_ports(container):
            if p.name == port and p.number is not None:
                return p.number
        return port
    return str(port) if port is not None else None


def probe_target(container: Container, probe: Mapping | None):
    """A comparable reading of what a probe checks (handler and its target), or None."""
    handler = probe_handler(probe)
    if handler is None:
        return None
    key, node = handler
    value = to_python(node)
    if key in ("httpGet", "tcpSocket", "grpc") and isinstance(value, dict):
        value = dict(value)
        value["port"] = _port_number(container, value.get("port"))
        if key == "httpGet":
            value["path"] = value.get("path") or "/"
            value["scheme"] = str(value.get("scheme") or "HTTP").upper()
            value.setdefault("host", None)
            value.setdefault("httpHeaders", None)
        if key == "grpc":
            value["service"] = value.get("service") or ""
    elif key == "exec" and isinstance(value, dict):
        command = value.get("command")
        value = {"command": [str(x) for x in command] if isinstance(command, list) else command}
    return key, _freeze(value)


def same_probe(container: Container) -> bool:
    """The container's readinessProbe and livenessProbe (both present) check the same thing."""
    if container.readiness is None or container.liveness is None:
        return False
    a = probe_target(container, container.readiness)
    return a is not None and a == probe_target(container, container.liveness)


def _freeze(value):
    if isinstance(value, dict):
        return tuple(sorted((str(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value if value is None else str(value)


def container_path(workload: Manifest, container: Container) -> str:
    """A stable logical path of a container (``Deployment:checkout.spec.template.spec.containers[0]``)."""
    base = f"{workload.kind}:{workload.name or '?'}"
    if workload.item is not None:
        base = f"items[{workload.item}].{base}"
    key = "initContainers" if container.init else "containers"
    index = 0
    seq = workload.pod_spec.get(key) if workload.pod_spec is not None else None
    if isinstance(seq, Sequence):
        for i, node in enumerate(seq):
            if node is container.node:
                index = i
                break
    return f"{base}.spec.template.spec.{key}[{index}]"


__all__ = [
    "HANDLERS",
    "SERVING_KINDS",
    "Port",
    "Service",
    "ServiceIndex",
    "container_path",
    "container_ports",
    "declares_ports",
    "http_path",
    "is_metrics_port_name",
    "is_static_web_server",
    "is_serving_workload",
    "metrics_only",
    "namespace_of",
    "probe_handler",
    "probe_target",
    "same_probe",
    "serving_containers",
    "services",
    "template_labels",
]
