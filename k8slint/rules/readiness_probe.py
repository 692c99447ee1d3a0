"""Readiness probes: missing on long-running containers that serve, rejected by the API server,
or identical to the liveness probe."""

from __future__ import annotations

import functools
import re
from typing import Callable

from k8slint.model.apischema import misspelt_field
from k8slint.model.objects import (
    Container, DaemonSet, Deployment, Rollout, Service, StatefulSet, Workload, as_dict, as_int, as_list,
)
from k8slint.model.relations import ServicesByLabel, related
from k8slint.model.rollout import argo_gates, update_type
from k8slint.model.serving import (
    client_ports, describe_port, idle_reason, is_monitoring_port, serving_image, serving_ports,
)
from k8slint.rules import LIGHT, SET, rule

MISSING = "missing-readiness-probe"
INVALID = "readiness-probe-invalid"
SAME_AS_LIVENESS = "readiness-equals-liveness"

HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
NON_NEGATIVE = ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold",
                "failureThreshold")
# IANA_SVC_NAME as Kubernetes validates named ports: 1-15 chars of a-z0-9-, at least one letter,
# no leading, trailing or doubled hyphen.
_PORT_NAME = re.compile(r"(?!-)(?!.*--)[a-z0-9-]{1,15}(?<!-)\Z")


@rule(INVALID, kinds=["Workload"], also_reports=[SAME_AS_LIVENESS])
def check(obj: Workload, ctx):
    for container in obj.pod_template.containers():
        probe_value = container.data.get("readinessProbe")
        if probe_value is None:
            continue
        if not container.long_running:
            where = "init containers without restartPolicy: Always" if container.is_init \
                else "ephemeral containers"
            ctx.report(obj, container.path + ("readinessProbe",),
                       f"{_label(container)} has a readinessProbe, which the API server "
                       f"rejects for {where}",
                       hint="Remove the probe, or make the init container a sidecar "
                            "(restartPolicy: Always).")
            continue
        path = container.path + ("readinessProbe",)
        if not isinstance(probe_value, dict):
            ctx.report(obj, path, f"{_label(container)}: readinessProbe must be a mapping, "
                                  f"not {type(probe_value).__name__}")
            continue
        if ctx.enabled(INVALID):
            _invalid_probe(obj, ctx, container, probe_value, path)
        liveness = container.data.get("livenessProbe")
        if isinstance(liveness, dict) and ctx.enabled(SAME_AS_LIVENESS) \
                and _comparable(liveness, container) == _comparable(probe_value, container):
            ctx.report(
                obj, path,
                f"{_label(container)}: readinessProbe is identical to livenessProbe: a container that "
                f"is only busy is restarted instead of just taken out of rotation",
                rule=SAME_AS_LIVENESS)


# ---- missing-readiness-probe ---------------------------------------------------------------------
# Cross-object: whether a container needs a readiness probe depends on what sends it traffic (the
# Services of the run) and on how its workload rolls out. A readiness probe gates exactly two things:
# the endpoints of the Services that select the pod (K pkg/controller/endpointslice lists a pod as
# ready only when its Ready condition is true) and the availability that paces a rolling update
# (K pkg/controller/deployment/util ``IsPodAvailable``: Ready for minReadySeconds). Without a probe the
# container is Ready as soon as it has started (K pkg/kubelet/prober: no readiness probe -> ready).

@rule(MISSING, scope=SET, cost=LIGHT)
def check_missing(inventory, ctx):
    made: list[ServicesByLabel] = []

    def services() -> ServicesByLabel:  # made for the first container without a probe (most have one)
        if not made:
            # (ServicesByLabel leaves out Services without a selector of strings: they route to no pod)
            made.append(ServicesByLabel([s for s in inventory.of(Service) if not _external_name(s)]))
        return made[0]
    # Argo Rollouts with workloadRef run the pods of a Deployment's template (usually scaled to 0)
    referring: dict[str, list] = {}
    for rollout in inventory.of(Rollout):
        ref = as_dict(rollout.spec.get("workloadRef"))
        if ref.get("kind") == "Deployment" and isinstance(ref.get("name"), str):
            referring.setdefault(ref["name"], []).append(rollout)
    for obj in inventory.workloads:
        if obj.LONG_RUNNING:
            with ctx.guard(obj):
                named = referring.get(obj.name) if referring else None  # (no Rollout refers to most)
                owner = related(obj, named) if named and isinstance(obj, Deployment) else None
                _check_workload(obj, ctx, services, owner[0] if owner else obj)


def _check_workload(obj: Workload, ctx, services: Callable[[], ServicesByLabel], runs: Workload) -> None:
    """``runs`` is the workload whose strategy rolls these pods out: ``obj``, or the Rollout whose
    workloadRef names it; ``services()`` the run's Services by label."""
    template = obj.pod_template
    # (every container, read in place: ephemeral containers are not long-running)
    missing = [c for c in template.containers()
               if c.long_running and c.data.get("readinessProbe") is None and not _helper(c, template)]
    selecting = None  # computed for the first container that needs it
    for container in missing:
        misspelt = misspelt_field(container.data, "readinessProbe", ctx.kubernetes_version)
        if misspelt is not None:  # the probe is there, under a name the API server does not know
            ctx.report(obj, container.path + (misspelt,),
                       f'{_label(container)} has no readinessProbe: there is `{misspelt}`: did you mean '
                       f'`readinessProbe`? (the API server rejects or drops the misspelt field)',
                       hint=f"Rename {misspelt} to readinessProbe.")
            continue
        if idle_reason(container) is not None:
            continue  # it clearly serves nothing: a probe would gate nothing
        if selecting is None:
            selecting = related(obj, services().selecting(template.labels))
        reaching = [s for s in selecting if _reaches(s, container, template)]
        if selecting and not reaching:
            continue  # the Services send their traffic to another container of the pod
        _missing(obj, ctx, container, reaching, runs)


def _missing(obj: Workload, ctx, container: Container, services: list, runs: Workload):
    label = _label(container)
    rolls = _rollout_consequence(runs)
    if rolls and runs is not obj:
        rolls = f"{rolls} (Rollout {runs.name} runs these pods through its workloadRef)"
    if services:
        unique = list(dict.fromkeys(s.name for s in services))
        names = ", ".join(f'"{n}"' for n in unique[:2]) + (" and others" if len(unique) > 2 else "")
        noun = "Service" if len(unique) == 1 else "Services"
        ctx.report(
            obj, container.path + ("name",),
            f"{label} has no readinessProbe: {noun} {names} select{'s' if len(unique) == 1 else ''} its "
            f"pods, so it receives traffic as soon as it starts, before it can serve"
            + (f"; {rolls}" if rolls else ""))
        return
    clients, ports, image = client_ports(container), serving_ports(container), serving_image(container)
    if clients:
        shown = ", ".join(describe_port(p) for p in clients[:2]) + (", ..." if len(clients) > 2 else "")
        evidence = f"it declares {shown}, a port for HTTP or gRPC clients"
    elif image:
        evidence = f"it runs {image}, a server image"
    elif ports:
        shown = ", ".join(describe_port(p) for p in ports[:2]) + (", ..." if len(ports) > 2 else "")
        evidence = f"it declares {shown}"
    else:
        evidence = None
    if (clients or image) and rolls:
        ctx.report(
            obj, container.path + ("name",),
            f"{label} has no readinessProbe, and {evidence}: {rolls} (no Service in these files selects its "
            f"pods)")
        return
    if evidence:
        ctx.report(
            obj, container.path + ("name",),
            f"{label} has no readinessProbe, and {evidence}, but no Service in these files selects its pods: "
            f"if one elsewhere does, it may send it traffic before it is ready"
            + (", and rolling updates may count it available too early" if rolls else ""),
            severity="info")
        return
    ctx.report(
        obj, container.path + ("name",),
        f"{label} has no readinessProbe, but nothing in these files shows that it serves (no Service selects "
        f"its pods, it declares no port for clients): if it does serve, it may receive traffic before it is "
        f"ready" + (", and rolling updates may count it available too early" if rolls else ""),
        severity="info",
        hint="If the container serves clients, add a readinessProbe; if it serves nothing (a controller, an "
             "agent, a batch loop), ignore this finding.")


def _rollout_consequence(obj: Workload) -> str | None:
    """What a rolling update of ``obj`` does with pods that are Ready as soon as they start; None for
    kinds that do not roll (ReplicaSet, ReplicationController, bare Pods, OnDelete, Recreate)."""
    how = update_type(obj.kind, obj.api_version, obj.spec)
    if obj.replicas == 0 and not isinstance(obj, Rollout):
        return None  # no pod to roll (a Deployment scaled to 0, e.g. the template of a workloadRef)
    if how == "RollingUpdate":
        if isinstance(obj, DaemonSet):
            return ("a rolling update counts each new daemon pod available as soon as it starts and moves on to "
                    "the next node, whether the pod can serve yet or not")
        if isinstance(obj, StatefulSet):
            return ("a rolling update replaces the next pod as soon as the new one starts (it waits only for "
                    "Ready), whether the new one can serve yet or not")
        return ("a rolling update counts each new pod available as soon as it starts and removes old pods in its "
                "place, so a release that starts but cannot serve replaces the working pods")
    if how not in ("canary", "blueGreen"):
        return None
    gates = argo_gates(obj.spec)
    if gates is None:
        return None
    if gates.strategy == "canary":
        text = "Argo Rollouts counts each new canary pod available as soon as it starts"
        if gates.manual_pause_step is not None:
            first = gates.manual_pause_step
            before = [i for i in gates.analysis_steps if i < first]
            return (text + f", so the canary steps before step {first + 1} (a pause until someone promotes the "
                    f"Rollout) proceed whether the new pods can serve or not"
                    + (" unless an analysis fails" if before or gates.background_analysis else ""))
        if gates.can_abort:
            return (text + " and goes on through the canary steps; only its analysis stops a release whose pods "
                    "start but cannot serve")
        return text + " and goes on through the canary steps until the new release runs every pod"
    if gates.manual_promotion:
        return ("Argo Rollouts counts the preview pods available as soon as they start, so they look ready for "
                "the manual promotion before they can serve")
    return ("Argo Rollouts counts the new pods available as soon as they start and then switches the active "
            "Service to them" + (" once the pre-promotion analysis passes" if gates.background_analysis else
                                 ", before they can serve"))


def _external_name(service: Service) -> bool:
    """An ExternalName Service routes to a DNS name, never to pods."""
    spec = service.root.get("spec")
    return isinstance(spec, dict) and spec.get("type") == "ExternalName"


def _reaches(service: Service, container: Container, template) -> bool:
    """Whether ``service`` sends traffic to ``container``: some port of the Service that is not only for
    metrics resolves to it (a named targetPort names one of its ports; a number is one of its ports, or
    no container of the pod declares it and this container declares none)."""
    ports = as_list(as_dict(service.root.get("spec")).get("ports"))
    if not ports:
        return True  # a headless Service without ports: DNS hands out the ready pods' addresses
    own_ports = container.ports
    others = None  # the pod's other long-running containers, listed when a port needs them
    for port in ports:
        if not isinstance(port, dict) or is_monitoring_port(port):
            continue
        target = port.get("targetPort", port.get("port"))
        if isinstance(target, str) and not target.isdigit():
            mine = [p for p in own_ports if p.get("name") == target]
            if mine and not any(is_monitoring_port(p) for p in mine):
                return True
            if not mine:
                if others is None:
                    others = _others(container, template)
                if not others:
                    return True  # an unresolvable name: service-target-port reports it
            continue
        number = as_int(target) if not isinstance(target, str) else int(target)
        if any(as_int(p.get("containerPort")) == number and not is_monitoring_port(p) for p in own_ports):
            return True
        if others is None:
            others = _others(container, template)
        declared = any(as_int(p.get("containerPort")) == number for c in others for p in c.ports)
        if not declared and (not own_ports or not others):
            return True
    return False


def _others(container: Container, template) -> list[Container]:
    """The long-running containers of the pod but ``container``."""
    return [c for c in template.containers("containers", "initContainers")
            if c.long_running and c.path != container.path]


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


def _comparable(probe: dict, container: Container) -> dict:
    """A probe with Kubernetes' defaults filled in (pkg/apis/core/v1/defaults.go ``SetDefaults_Probe``:
    timeouts and thresholds; ``SetDefaults_HTTPGetAction``: path "/" and scheme HTTP), and a named
    port resolved to the container's port of that name (the kubelet probes that number), so that
    spelling out a default does not make two probes different."""
    defaults = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1,
                "failureThreshold": 3, "initialDelaySeconds": 0}
    merged = dict(defaults)
    merged.update({k: v for k, v in probe.items() if v not in (None, 0) or k not in defaults})
    merged.pop("successThreshold", None)  # must be 1 for liveness; not what makes them "the same"
    for handler in ("httpGet", "tcpSocket", "grpc"):
        action = merged.get(handler)
        if not isinstance(action, dict):
            continue
        action = dict(action)
        if handler == "httpGet":
            action["path"] = action.get("path") or "/"
            action["scheme"] = action.get("scheme") or "HTTP"
            if not action.get("httpHeaders"):
                action.pop("httpHeaders", None)
            if not action.get("host"):
                action.pop("host", None)
        if handler == "grpc" and not action.get("service"):
            action.pop("service", None)
        port = action.get("port")
        if isinstance(port, str):
            number = next((p.get("containerPort") for p in container.ports if p.get("name") == port), None)
            if as_int(number) is not None:
                action["port"] = as_int(number)
        merged[handler] = action
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
    def where() -> str:  # only for a finding: nearly every port is fine
        return f"{_label(container)}: readinessProbe.{handler}.port"

    if port is None:
        ctx.report(obj, path, f"{where()} is required", rule=INVALID)
        return
    number = as_int(port)
    if number is not None and not isinstance(port, bool):
        if not 1 <= number <= 65535:
            ctx.report(obj, path, f"{where()} {number} is outside 1-65535", rule=INVALID)
        return
    if handler == "grpc" or not isinstance(port, str):
        ctx.report(obj, path, f"{where()} must be a port number, not {port!r}", rule=INVALID)
        return
    if not _valid_port_name(port):
        ctx.report(obj, path, f"{where()} {port!r} is neither a number nor a valid port name "
                              f"(IANA_SVC_NAME: lowercase letters, digits, '-', 15 chars max)",
                   rule=INVALID)
        return
    ports = container.ports
    named = [p for p in ports if p.get("name") == port]
    if not named:
        names = {p.get("name") for p in ports if isinstance(p.get("name"), str)}
        known = ", ".join(sorted(names)) or "none"
        ctx.report(obj, path, f"{where()} names port {port!r}, which the container does not "
                              f"define (its named ports: {known}); the probe can never succeed",
                   rule=INVALID, hint=f"Add a port named {port!r} to the container's ports, or "
                                      f"use the port number.")
        return
    # kubelet resolves a named port by name only and then probes it over TCP (httpGet, tcpSocket and
    # grpc all connect over TCP): a port declared only as UDP or SCTP cannot answer.
    protocols = {_protocol(p) for p in named}
    if "TCP" in protocols:
        return
    number = named[0].get("containerPort")
    if not any(_protocol(p) == "TCP" and p.get("containerPort") == number for p in ports):
        ctx.report(obj, path, f"{where()} names port {port!r}, which the container declares as "
                              f"{'/'.join(sorted(protocols))} {number}: the {handler} probe connects "
                              f"over TCP and can never succeed", rule=INVALID,
                   hint="Probe a TCP port of the container (or an exec command for a UDP-only "
                        "server).")


@functools.lru_cache(maxsize=1024)  # a run repeats a few names (http, metrics) on every workload
def _valid_port_name(port: str) -> bool:
    return bool(_PORT_NAME.match(port)) and any(c.isalpha() for c in port)


def _protocol(port: dict) -> str:
    protocol = port.get("protocol")
    return protocol if isinstance(protocol, str) and protocol else "TCP"
