"""PL404 shallow-readiness-probe: a readinessProbe that cannot tell "ready" from "alive".

Two findings: an ``httpGet`` path the shared classifier
(:func:`pipelint.healthcheck.classify_path`, the one PL201 uses) calls shallow with the
``shallow-paths`` option, or a readinessProbe that checks exactly what the container's
livenessProbe checks (same handler and target, :func:`pipelint.probes.same_probe`). A
probe with a shallow path is reported once, at its path, even when it also equals the
livenessProbe. ``/`` of a plain web server image (nginx, httpd...) is what it serves: not
judged.

Fix (unsafe: only the team knows its readiness endpoint), for a shallow path only: with
the ``deep-path`` option set (no default: no fix) the ``path:`` value becomes that path,
unless the container's livenessProbe already checks it (the probes would then be
identical). The path must be plain URL characters (``/[A-Za-z0-9._~/-]*``) and not
itself shallow; the value must map exactly into the file (no escapes, one line).
"""

from __future__ import annotations

import re

from pipelint.diagnostics import Applicability, Edit, Fix, Related, Severity
from pipelint.healthcheck import classify_path
from pipelint.probes import container_path, http_path, is_serving_workload, is_static_web_server, same_probe
from pipelint.rule import Rule
from pipelint.tables import SHALLOW_PATHS


class ShallowReadinessProbe(Rule):
    """## What it does
    Reports a `readinessProbe` of a Deployment, StatefulSet, DaemonSet or Argo Rollout
    container whose `httpGet` path is a shallow endpoint (`/ping`, `/`, `/live`,
    `/version`...) or that is identical to the container's `livenessProbe` (same handler,
    path, port or command).

    Probes using `exec`, `tcpSocket` or `grpc` are not judged for shallowness, nor is
    `/` on a plain web server image (`nginx`, `httpd`, `caddy`...), whose content is `/`. The list
    of shallow paths is configurable through the `shallow-paths` option (the same
    default as PL201's).

    With the `deep-path` option set, `--fix --unsafe-fixes` writes it as the
    readinessProbe's `path:` of a shallow probe; without it no fix is offered:

    ```toml
    [tool.pipelint.rules.shallow-readiness-probe]
    deep-path = "/ready"
    ```

    ## Why is this bad?
    A readiness probe decides whether a pod receives traffic and whether a rolling update
    may continue. A shallow endpoint answers as soon as the process runs, even when its
    database or downstream services are unreachable, so broken pods stay in rotation and
    a bad rollout proceeds. A readiness probe identical to the liveness probe adds no
    information: a pod that cannot serve is restarted instead of briefly taken out of
    rotation, or stays in rotation while it cannot serve.

    ## Example
    ```yaml
    containers:
      - name: app
        image: registry.example.com/checkout:1.4.2
        readinessProbe:
          httpGet:
            path: /ping
            port: 8080
        livenessProbe:
          httpGet:
            path: /ping
            port: 8080
    ```

    ## Use instead
    ```yaml
    containers:
      - name: app
        image: registry.example.com/checkout:1.4.2
        readinessProbe:
          httpGet:
            path: /ready
            port: 8080
        livenessProbe:
          httpGet:
            path: /live
            port: 8080
    ```
    """

    code = "PL404"
    name = "shallow-readiness-probe"
    severity = Severity.WARNING
    platforms = ("kubernetes",)
    tags = ("kubernetes", "rollout")
    precision = "high"
    fixable = True
    scope = "file"
    options = {"shallow-paths": list(SHALLOW_PATHS), "deep-path": ""}

    def check(self, ctx):
        shallow = tuple(str(p) for p in (ctx.options.get("shallow-paths") or ()))
        deep = _deep_path(ctx.options.get("deep-path"), shallow)
        for workload in ctx.file.manifests:
            if not is_serving_workload(workload):
                continue
            file = workload.file
            for container in workload.containers:
                if container.init or container.readiness is None:
                    continue
                who = f"container '{container.name}'" if container.name else "a container"
                base = container_path(workload, container)
                path = http_path(container.readiness)
                if (
                    shallow
                    and path is not None
                    and classify_path(path.value, shallow) == "shallow"
                    and not (path.value.strip().rstrip("/") == "" and is_static_web_server(container))
                ):
                    target = f"the readiness endpoint {deep}" if deep else "a readiness endpoint such as /ready"
                    message = (
                        f"The readinessProbe of {who} in {workload.label} checks '{path.value}', which answers while "
                        f"its dependencies are down; probe {target}."
                    )
                    if len(message) > 199:  # long names: the workload is the finding's place anyway
                        message = f"The readinessProbe of {who} checks '{path.value}', which answers while its dependencies are down; probe {target}."
                    yield self.diagnostic(
                        file.node_span(path),
                        message,
                        fix=_fix(file, container, path, deep) if deep else None,
                        logical_path=f"{base}.readinessProbe.httpGet.path",
                    )
                    continue
                if same_probe(container):
                    key = container.node.key_node("readinessProbe")
                    live = container.node.key_node("livenessProbe")
                    message = (
                        f"The readinessProbe of {who} in {workload.label} is identical to its livenessProbe, so it "
                        "cannot take a pod out of rotation without a restart; probe readiness separately."
                    )
                    if len(message) > 199:  # long names: the workload is the finding's place anyway
                        message = (
                            f"The readinessProbe of {who} is identical to its livenessProbe, so it cannot take a pod "
                            "out of rotation without a restart; probe readiness separately."
                        )
                    yield self.diagnostic(
                        file.node_span(key if key is not None else container.readiness),
                        message,
                        related=[Related(file.node_span(live if live is not None else container.liveness),
                                         "the identical livenessProbe")],
                        logical_path=f"{base}.readinessProbe",
                    )


_SAFE_PATH = re.compile(r"/[A-Za-z0-9._~/-]*")


def _deep_path(raw, shallow: tuple[str, ...]) -> str:
    """The ``deep-path`` option when a fix can write it: plain URL path characters (no
    quoting needed in any YAML scalar style) and not a shallow path itself."""
    text = str(raw).strip() if raw else ""
    if not _SAFE_PATH.fullmatch(text) or classify_path(text, shallow) == "shallow":
        return ""
    return text


def _fix(file, container, path, deep: str):
    """Replace the probe's path value with ``deep`` (same quotes, same place)."""
    live = http_path(container.liveness)
    if live is not None and live.value.strip() == deep:
        return None
    value = path.value
    if not value or path.style in ("|", ">"):
        return None
    start = file.scalar_offset(path, 0)
    end = file.scalar_offset(path, len(value) - 1) + 1
    if file.text[start:end] != value:
        return None  # escapes or line breaks inside: offsets are not exact
    edit = Edit(file.path, start, end, deep)
    return Fix(f"Probe {deep} instead of {value}", (edit,), Applicability.UNSAFE)
