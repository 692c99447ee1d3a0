"""HorizontalPodAutoscalers that the API server rejects, that target nothing, that cannot compute
utilisation, or that fight another controller over the replica count.

Sources (kubernetes/kubernetes): ``pkg/apis/autoscaling/validation`` (minReplicas >= 1 unless the
alpha HPAScaleToZero gate is on and an Object or External metric exists, maxReplicas >= 1 and >=
minReplicas, scaleTargetRef kind and name required, utilisation targets > 0); the defaulting of
every HPA version (no metrics, or autoscaling/v1 without targetCPUUtilizationPercentage, means
80 % CPU utilisation: ``autoscaling.DefaultCPUUtilization``); ``pkg/controller/podautoscaler``
(the scale target is looked up by the API group of ``scaleTargetRef.apiVersion`` and kind, so a
missing apiVersion means the core group; ``calculatePodRequests`` needs a request for the resource
on every regular and sidecar container, or on the named container for ContainerResource metrics,
and fails with "missing request for cpu in container X", unless pod-level requests are set);
Kubernetes docs (HPA walkthrough: remove ``spec.replicas`` from a workload an HPA manages, or each
apply resets the replica count).
"""

from __future__ import annotations


from k8slint.model.objects import (
    Deployment, HorizontalPodAutoscaler, ReplicaSet, ReplicationController, Rollout, StatefulSet,
    Workload, as_dict, as_int, as_list,
)
from k8slint.model import memo
from k8slint.model.pods import is_partial, references_template
from k8slint.model.index import PlaceIndex, file_directory
from k8slint.model.relations import same_namespace
from k8slint.model.wording import describe
from k8slint.rules import SET, rule

CONFLICT = "hpa-conflict"
TARGET_MISSING = "hpa-target-missing"
REQUESTS = "hpa-missing-requests"
FIXED_REPLICAS = "hpa-fixed-replicas"

# kind -> (model class, API groups under which the HPA controller finds it)
_SCALABLE = {
    "Deployment": (Deployment, ("apps", "extensions")),
    "StatefulSet": (StatefulSet, ("apps",)),
    "ReplicaSet": (ReplicaSet, ("apps", "extensions")),
    "ReplicationController": (ReplicationController, ("",)),
    "Rollout": (Rollout, ("argoproj.io",)),
}
# Built-in kinds without a scale subresource.
_NOT_SCALABLE = {"DaemonSet": "apps", "Job": "batch", "CronJob": "batch", "Pod": "", "Service": ""}
_V1_METRICS_ANNOTATION = "autoscaling.alpha.kubernetes.io/metrics"


@rule(CONFLICT, scope=SET, also_reports=[TARGET_MISSING, REQUESTS, FIXED_REPLICAS])
def check(inventory, ctx):
    workloads = inventory.workloads
    scalable_classes = tuple(c for c, _ in _SCALABLE.values())
    scalable = [w for w in workloads if isinstance(w, scalable_classes)]
    by_name: dict[str, list] = {}  # each HPA looks its target up by name, not by a scan
    for w in scalable:
        by_name.setdefault(w.name, []).append(w)
    places = PlaceIndex(scalable)  # where an HPA without target looks for the workloads "here"
    targeted: dict[int, list] = {}
    reported_requests: set = set()
    for hpa in inventory.of(HorizontalPodAutoscaler):
        with ctx.guard(hpa):
            spec = hpa.root.get("spec")
            if not isinstance(spec, dict):
                continue
            metrics = _metrics(hpa, spec)
            if ctx.enabled(CONFLICT):
                _replica_bounds(hpa, spec, ctx)
                _metric_targets(hpa, metrics, ctx)
            target = _resolve_target(hpa, spec, places, by_name, ctx)
            if target is None:
                continue
            targeted.setdefault(id(target), [target]).append(hpa)
            if ctx.enabled(REQUESTS) or ctx.enabled(CONFLICT):  # an unknown container is a conflict
                _requests(hpa, target, metrics, ctx, reported_requests)
    for target, *hpas in targeted.values():
        with ctx.guard(target):
            replicas = target.spec.get("replicas")
            if replicas is not None and not isinstance(replicas, bool) and ctx.enabled(FIXED_REPLICAS):
                severity = _link_severity(target, hpas)
                names = ", ".join(f'"{h.name}"' for h in hpas)
                who = f"HorizontalPodAutoscaler {names} manages" if len(hpas) == 1 \
                    else f"HorizontalPodAutoscalers {names} manage"
                ctx.report(
                    target, ("spec", "replicas"),
                    f"{describe(target)} sets spec.replicas: {replicas} but {who} its replica count: "
                    f"every apply of this manifest resets the replicas to {replicas} until the HPA "
                    f"scales again", rule=FIXED_REPLICAS, severity=severity)
            if len(hpas) < 2:
                continue  # (the usual case: one HPA, nothing to fight with)
            by_file: dict[str, list] = {}
            for hpa in hpas:
                by_file.setdefault(hpa.file, []).append(hpa)
            for group in by_file.values():  # alternatives kept in separate files are not a conflict
                if len(group) < 2:
                    continue
                for hpa in group:
                    others = ", ".join(f'"{h.name}"' for h in group if h is not hpa)
                    ctx.report(
                        hpa, ("spec", "scaleTargetRef", "name"),
                        f"HorizontalPodAutoscaler {others} also scales {describe(target)}: each HPA "
                        f"computes its own replica count and they keep overwriting each other",
                        rule=CONFLICT, severity="warning",
                        hint="Keep one HPA per workload and put all metrics into it.")


def _link_severity(target: Workload, hpas: list) -> str | None:
    """The rule's default severity when an HPA sits in the target's file or directory (they are
    surely one application), "info" when the match is by namespace and name only."""
    file = target.file
    if any(h.file == file for h in hpas):  # (the usual case, without working out directories)
        return None
    folder = file_directory(file)
    if any(file_directory(h.file) == folder for h in hpas):
        return None
    return "info"


def _replica_bounds(hpa: HorizontalPodAutoscaler, spec: dict, ctx):
    raw_min, raw_max = spec.get("minReplicas"), spec.get("maxReplicas")
    low = as_int(raw_min) if not isinstance(raw_min, bool) else None
    high = as_int(raw_max) if not isinstance(raw_max, bool) else None
    if raw_max is None:
        ctx.report(hpa, ("spec", "maxReplicas"),
                   "spec.maxReplicas is required; the API server rejects the HPA",
                   rule=CONFLICT, hint="Set maxReplicas to the most replicas you allow.")
    elif high is not None and high < 1:
        ctx.report(hpa, ("spec", "maxReplicas"),
                   f"maxReplicas is {high}; it must be at least 1 and the API server rejects "
                   f"the HPA", rule=CONFLICT)
    if low is not None and low < 1:
        scale_to_zero = low == 0 and any(
            isinstance(m, dict) and m.get("type") in ("Object", "External")
            for m in as_list(spec.get("metrics")))
        if not scale_to_zero:
            ctx.report(
                hpa, ("spec", "minReplicas"),
                f"minReplicas is {low}; it must be at least 1 (0 only with the alpha HPAScaleToZero "
                f"feature gate and an Object or External metric), so the API server rejects the HPA",
                rule=CONFLICT, hint="Set minReplicas: 1 or more.")
    if low is not None and high is not None and high >= 1 and low > high:
        ctx.report(hpa, ("spec", "maxReplicas"),
                   f"minReplicas {low} is greater than maxReplicas {high}; the API server "
                   f"rejects the HPA (\"maxReplicas must be greater than or equal to "
                   f"`minReplicas`\")", rule=CONFLICT,
                   hint="Swap the values or raise maxReplicas.")


def _metrics(hpa: HorizontalPodAutoscaler, spec: dict) -> list[tuple] | tuple:
    """The utilisation targets as (resource, container or None, path, percent, why) where ``why``
    explains a defaulted CPU target ("" when the manifest spells the target out)."""
    if hpa.api_version == "autoscaling/v1":
        value = spec.get("targetCPUUtilizationPercentage")
        if value is not None:
            return [("cpu", None, ("spec", "targetCPUUtilizationPercentage"), as_int(value), "")]
        if hpa.annotations.get(_V1_METRICS_ANNOTATION):
            return []  # other metrics carried in the annotation
        return [("cpu", None, ("spec", "scaleTargetRef"), 80,
                 " (autoscaling/v1 without targetCPUUtilizationPercentage targets 80% CPU)")]
    metrics = spec.get("metrics")
    if metrics is None or metrics == []:
        return [("cpu", None, ("spec", "scaleTargetRef"), 80,
                 " (an HPA without metrics targets 80% CPU utilisation)")]
    return _listed_targets(metrics)


# By identity: the inventory keeps one copy of equal metrics lists, and HPAs made from one
# template (a Helm chart's) repeat theirs.
@memo.by_identity(size=memo.RECENT)
def _listed_targets(metrics) -> tuple:
    """The utilisation targets of a ``spec.metrics`` list (autoscaling/v2 and v2beta*)."""
    out = []
    for index, metric in enumerate(as_list(metrics)):
        if not isinstance(metric, dict):
            continue
        kind = metric.get("type")
        section = {"Resource": "resource", "ContainerResource": "containerResource"}.get(kind) \
            if isinstance(kind, str) else None
        if section is None:
            continue
        source = as_dict(metric.get(section))
        name = source.get("name")
        if not isinstance(name, str):
            continue
        container = source.get("container") if section == "containerResource" else None
        if section == "containerResource" and not isinstance(container, str):
            continue
        target = as_dict(source.get("target"))
        path = ("spec", "metrics", index, section)
        if target.get("type") == "Utilization" or (
                target.get("type") is None and target.get("averageUtilization") is not None):
            percent = target.get("averageUtilization")
            out.append((name, container, path + ("target", "averageUtilization"), percent, ""))
        elif source.get("targetAverageUtilization") is not None:  # autoscaling/v2beta1
            out.append((name, container, path + ("targetAverageUtilization",),
                        source.get("targetAverageUtilization"), ""))
    return tuple(out)


def _metric_targets(hpa: HorizontalPodAutoscaler, metrics: list, ctx):
    for resource, _, path, percent, why in metrics:
        if why or percent is None or isinstance(percent, bool):
            continue
        number = as_int(percent)
        if number is not None and number < 1:
            ctx.report(hpa, path, f"the {resource} utilisation target is {number}%; it must be "
                                  f"greater than 0 and the API server rejects the HPA",
                       rule=CONFLICT)


def _resolve_target(hpa: HorizontalPodAutoscaler, spec: dict, places: PlaceIndex, by_name: dict, ctx):
    ref = spec.get("scaleTargetRef")
    path = ("spec", "scaleTargetRef")
    if not isinstance(ref, dict):
        ctx.report(hpa, path, "spec.scaleTargetRef is required; the API server rejects the HPA",
                   rule=CONFLICT)
        return None
    kind, name, api_version = ref.get("kind"), ref.get("name"), ref.get("apiVersion")
    for field, value in (("kind", kind), ("name", name)):
        if value is None or value == "":
            ctx.report(hpa, path + (field,), f"scaleTargetRef.{field} is required; the API "
                                             f"server rejects the HPA", rule=CONFLICT)
            return None
    if not isinstance(kind, str) or not isinstance(name, str):
        return None
    group = api_version.rpartition("/")[0] if isinstance(api_version, str) else ""
    if kind in _NOT_SCALABLE and group == _NOT_SCALABLE[kind]:
        ctx.report(hpa, path + ("kind",),
                   f"a {kind} has no scale subresource: the HPA controller cannot read or set "
                   f"its replica count (FailedGetScale) and never scales it", rule=CONFLICT)
        return None
    if kind not in _SCALABLE:
        return None  # a custom resource: cannot be checked from the set
    cls, groups = _SCALABLE[kind]
    if group not in groups:
        expected = {"Deployment": "apps/v1", "StatefulSet": "apps/v1", "ReplicaSet": "apps/v1",
                    "ReplicationController": "v1", "Rollout": "argoproj.io/v1alpha1"}[kind]
        shown = f"apiVersion {api_version!r}" if api_version else "no apiVersion"
        ctx.report(
            hpa, path + ("apiVersion",) if api_version else path + ("kind",),
            f"scaleTargetRef has {shown}: the HPA controller looks the {kind} up in the "
            f"{repr(group) + ' API group' if group else 'core API group'}, finds no such resource "
            f"and never scales (FailedGetScale)",
            rule=CONFLICT, hint=f"Set scaleTargetRef.apiVersion: {expected}.")
        return None
    matches = [w for w in by_name.get(name, ()) if isinstance(w, cls) and same_namespace(w.namespace, hpa.namespace)]
    if len(matches) > 1:
        matches = [w for w in matches if not is_partial(w)] or matches
    if matches:
        found = next((w for w in matches if w.file == hpa.file), None)
        if found is None:
            folder = file_directory(hpa.file)
            found = next((w for w in matches if file_directory(w.file) == folder), matches[0])
        return found
    # missing_reference_severity over the namespace-compatible scalable workloads, from the index
    buckets, severity = places.in_file(hpa.file, hpa.namespace), None
    if not buckets:
        buckets, severity = places.in_directory(file_directory(hpa.file), hpa.namespace), "info"
    if buckets:
        here = _names_here(places, buckets)
        ctx.report(
            hpa, path + ("name",),
            f"scaleTargetRef {kind} {name!r} does not exist in the set (workloads here: "
            f"{', '.join(here[:5])}): "
            + ("the HPA reports FailedGetScale and scales nothing" if severity is None else
               "unless it is defined elsewhere, the HPA reports FailedGetScale and may scale nothing"),
            rule=TARGET_MISSING, severity=severity,
            hint="Point scaleTargetRef at the workload's kind and name (same namespace).")
    return None


def _names_here(places: PlaceIndex, buckets: list) -> list[str]:
    """The first five "kind name" of the workloads of ``buckets``, sorted (listed once per place)."""
    cache = places.__dict__.setdefault("_names_here", {})
    key = tuple(id(bucket) for bucket in buckets)
    if key not in cache:
        cache[key] = sorted({f"{w.kind} {w.name}" for bucket in buckets for w in bucket})[:5]
    return cache[key]


def _has_request(resources: dict, resource: str) -> bool:
    """A request for ``resource``, or a limit that defaulting copies into the request."""
    for section in ("requests", "limits"):
        if as_dict(resources.get(section)).get(resource) is not None:
            return True
    return False


def _requests(hpa: HorizontalPodAutoscaler, target: Workload, metrics: list, ctx, reported: set):
    if not metrics or references_template(target) or is_partial(target):
        return  # no utilisation target, or the pods are defined elsewhere (workloadRef, patch)
    template = target.pod_template
    containers = [c for c in template.containers("containers", "initContainers")
                  if not c.is_init or c.is_sidecar]
    severity = False  # worked out for the first container lacking a request (most have one)
    pod_level = as_dict(template.spec.get("resources"))
    for resource, container_name, path, _, why in metrics:
        if container_name is None:
            if _has_request(pod_level, resource):
                continue
            lacking = [c for c in containers if not _has_request(c.resources, resource)]
        else:
            named = [c for c in containers if c.name == container_name]
            if not named:
                ctx.report(
                    hpa, path[:-2] + ("container",) if path[-1] == "averageUtilization" else path,
                    f"the ContainerResource metric names container {container_name!r}, which "
                    f"{describe(target)} does not have: the HPA cannot compute the metric and "
                    f"does not scale", rule=CONFLICT)
                continue
            lacking = [c for c in named if not _has_request(c.resources, resource)]
        for container in lacking:
            key = (id(target), container.path, resource)
            if key in reported:
                continue
            reported.add(key)
            if severity is False:
                severity = _link_severity(target, [hpa])
            ctx.report(
                target, container.path + ("resources",),
                f"container \"{container.name}\" has no {resource} request, but "
                f"HorizontalPodAutoscaler \"{hpa.name}\" scales {describe(target)} on {resource} "
                f"utilisation{why}: the HPA cannot compute utilisation (\"missing request for "
                f"{resource} in container {container.name}\") and never scales, unless a LimitRange "
                f"gives the namespace a default {resource} request", rule=REQUESTS, severity=severity,
                hint=f"Set resources.requests.{resource} on every container (sidecars included), "
                     f"or scale on AverageValue instead of Utilization.")
