"""Readiness probes: missing on long-running containers, rejected by the API server, or
identical to the liveness probe."""

from __future__ import annotations

import re

from k8slint.model.objects import Container, Workload, as_int
from k8slint.rules import rule

MISSING = "missing-readiness-probe"
INVALID = "readiness-probe-invalid"
SAME_AS_LIVENESS = "readiness-equals-liveness"

HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
NON_NEGATIVE = ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold",
                "failureThreshold")
# IANA_SVC_NAME as Kubernetes validates named ports: 1-15 chars of a-z0-9-, at least one letter,
# no leading, trailing or doubled hyphen.
_PORT_NAME = re.compile(r"(?!-)(?!.*--)[a-z0-9-]{1,15}(?<!-)\Z")


@rule(MISSING, kinds=["Workload"], also_reports=[INVALID, SAME_AS_LIVENESS])
def check(obj: Workload, ctx):
    template = obj.pod_template
    for container in template.containers():
        probe_value = container.data.get("readinessProbe")
        if not container.long_running:
            if probe_value is not None:
                where = "init containers without restartPolicy: Always" if container.is_init \
                    else "ephemeral containers"
                ctx.report(obj, container.path + ("readinessProbe",),
                           f"{_label(container)} has a readinessProbe, which the API server "
                           f"rejects for {where}", rule=INVALID,
                           hint="Remove the probe, or make the init container a sidecar "
                                "(restartPolicy: Always).")
            continue
        if probe_value is None:
            if obj.LONG_RUNNING and not _helper(container, template):
                ctx.report(
                    obj, container.path + ("name",),
                    f"{_label(container)} has no readinessProbe: it receives Service traffic as soon "
                    f"as it starts, and rolling updates count it available before it can serve")
            continue
        path = container.path + ("readinessProbe",)
        if not isinstance(probe_value, dict):
            ctx.report(obj, path, f"{_label(container)}: readinessProbe must be a mapping, "
                                  f"not {type(probe_value).__name__}", rule=INVALID)
            continue
        if ctx.enabled(INVALID):
            _invalid_probe(obj, ctx, container, probe_value, path)
        liveness = container.data.get("livenessProbe")
        if isinstance(liveness, dict) and ctx.enabled(SAME_AS_LIVENESS) \
                and _comparable(liveness) == _comparable(probe_value):
            ctx.report(
                obj, path,
                f"{_label(container)}: readinessProbe is identical to livenessProbe: a container that "
                f"is only busy is restarted instead of just taken out of rotation",
                rule=SAME_AS_LIVENESS)


def _helper(container: Container, template) -> bool:
    """A container that declares no port beside one that does (a config reloader, a log shipper, an
    app bound to 127.0.0.1 behind a proxy): Service traffic goes to its sibling's ports, and the
    pod's readiness is the serving container's to decide. A lone container without ports is not
    exempt: containerPort is informational and such containers often serve anyway."""
    if container.ports:
        return False
    return any(other.ports for other in template.containers("containers", "initContainers")
               if other.long_running and other.path != container.path)


def _label(container: Container) -> str:
    kind = "sidecar container" if container.is_sidecar else (
        "init container" if container.is_init else "container")
    return f'{kind} "{container.name}"'


def _comparable(probe: dict) -> dict:
    """A probe with Kubernetes' defaults filled in, so `periodSeconds: 10` equals its absence."""
    defaults = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1,
                "failureThreshold": 3, "initialDelaySeconds": 0}
    merged = dict(defaults)
    merged.update({k: v for k, v in probe.items() if v not in (None, 0) or k not in defaults})
    merged.pop("successThreshold", None)  # must be 1 for liveness; not what makes them "the same"
    return merged


def _invalid_probe(obj, ctx, container: Container, probe: dict, path: tuple):
    handlers = [h for h in HANDLERS if probe.get(h) is not None]
    if not handlers:
        ctx.report(obj, path, f"{_label(container)}: readinessProbe has no handler; the API "
                              f"server requires exactly one of {', '.join(HANDLERS)}",
                   rule=INVALID)
    elif len(handlers) > 1:
        ctx.report(obj, path + (handlers[1],),
                   f"{_label(container)}: readinessProbe sets {' and '.join(handlers)}; the API "
                   f"server accepts exactly one handler", rule=INVALID)
    for field in NON_NEGATIVE:
        value = probe.get(field)
        if value is None:
            continue
        number = as_int(value)
        if number is None or isinstance(value, bool):
            ctx.report(obj, path + (field,), f"{_label(container)}: readinessProbe.{field} must be "
                                             f"an integer, not {value!r}", rule=INVALID)
        elif number < 0:
            ctx.report(obj, path + (field,), f"{_label(container)}: readinessProbe.{field} is "
                                             f"{number}; it must be >= 0", rule=INVALID)
    if probe.get("terminationGracePeriodSeconds") is not None:
        ctx.report(obj, path + ("terminationGracePeriodSeconds",),
                   f"{_label(container)}: terminationGracePeriodSeconds must not be set for "
                   f"readiness probes", rule=INVALID)
    for handler in ("httpGet", "tcpSocket", "grpc"):
        spec = probe.get(handler)
        if isinstance(spec, dict):
            _invalid_port(obj, ctx, container, handler, spec.get("port"),
                                     path + (handler, "port"))
        elif spec is not None:
            ctx.report(obj, path + (handler,), f"{_label(container)}: readinessProbe.{handler} "
                                               f"must be a mapping", rule=INVALID)


def _invalid_port(obj, ctx, container: Container, handler: str, port, path: tuple):
    where = f"{_label(container)}: readinessProbe.{handler}.port"
    if port is None:
        ctx.report(obj, path, f"{where} is required", rule=INVALID)
        return
    number = as_int(port)
    if number is not None and not isinstance(port, bool):
        if not 1 <= number <= 65535:
            ctx.report(obj, path, f"{where} {number} is outside 1-65535", rule=INVALID)
        return
    if handler == "grpc" or not isinstance(port, str):
        ctx.report(obj, path, f"{where} must be a port number, not {port!r}", rule=INVALID)
        return
    if not _PORT_NAME.match(port) or not any(c.isalpha() for c in port):
        ctx.report(obj, path, f"{where} {port!r} is neither a number nor a valid port name "
                              f"(IANA_SVC_NAME: lowercase letters, digits, '-', 15 chars max)",
                   rule=INVALID)
        return
    names = {p.get("name") for p in container.ports}
    if port not in names:
        known = ", ".join(sorted(n for n in names if isinstance(n, str))) or "none"
        ctx.report(obj, path, f"{where} names port {port!r}, which the container does not "
                              f"define (its named ports: {known}); the probe can never succeed",
                   rule=INVALID, hint=f"Add a port named {port!r} to the container's ports, or "
                                      f"use the port number.")
        return
    # kubelet resolves a named port by name only and then probes it over TCP (httpGet, tcpSocket and
    # grpc all connect over TCP): a port declared only as UDP or SCTP cannot answer.
    named = [p for p in container.ports if p.get("name") == port]
    protocols = {_protocol(p) for p in named}
    number = named[0].get("containerPort") if named else None
    if named and "TCP" not in protocols and not any(
            _protocol(p) == "TCP" and p.get("containerPort") == number for p in container.ports):
        ctx.report(obj, path, f"{where} names port {port!r}, which the container declares as "
                              f"{'/'.join(sorted(protocols))} {number}: the {handler} probe connects "
                              f"over TCP and can never succeed", rule=INVALID,
                   hint="Probe a TCP port of the container (or an exec command for a UDP-only "
                        "server).")


def _protocol(port: dict) -> str:
    protocol = port.get("protocol")
    return protocol if isinstance(protocol, str) and protocol else "TCP"
