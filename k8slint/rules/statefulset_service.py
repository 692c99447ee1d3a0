"""A StatefulSet's governing Service (``spec.serviceName``) that is missing from the set, not
headless, or does not select the StatefulSet's pods.

The StatefulSet controller sets each pod's ``hostname`` (``web-0``) and ``subdomain``
(``serviceName``); the cluster DNS publishes ``web-0.<serviceName>.<namespace>.svc`` only for a
headless Service (``clusterIP: None``) of that name in the pod's namespace whose endpoints contain
the pod (Kubernetes DNS specification, "DNS for Services and Pods": hostname and subdomain
fields). Pods still run without it; their stable network identity does not resolve.
"""

from __future__ import annotations

import bisect
import os

from k8slint.model.objects import Service, StatefulSet, as_dict
from k8slint.model.index import PlaceIndex, SelectorMapIndex, file_directory
from k8slint.model.pods import map_selects, string_map
from k8slint.model.relations import same_namespace
from k8slint.model.wording import describe, describe_labels
from k8slint.rules import SET, rule

RULE = "statefulset-service"


@rule(RULE, scope=SET)
def check(inventory, ctx):
    statefulsets = inventory.of(StatefulSet)
    if not statefulsets:  # (no Service index to build for nothing)
        return
    services = inventory.of(Service)
    places = PlaceIndex(services)
    by_name: dict[str, list] = {}
    for service in services:
        by_name.setdefault(service.name, []).append(service)
    names_here: dict[tuple, list] = {}  # the sorted Service names of a file or directory, listed once
    selecting: list = []  # the Services by a pair of their selector, made for the first missing Service
    for sts in statefulsets:
        with ctx.guard(sts):
            name = sts.spec.get("serviceName")
            if not isinstance(name, str) or not name:
                continue  # no governing Service named: nothing to check
            path = ("spec", "serviceName")
            named = [s for s in by_name.get(name, ()) if same_namespace(s.namespace, sts.namespace)]
            if not named:
                # missing_reference_severity over the namespace-compatible Services, from the index
                buckets, severity = places.in_file(sts.file, sts.namespace), None
                if not buckets:
                    buckets, severity = places.in_directory(file_directory(sts.file), sts.namespace), "info"
                    if not buckets:
                        continue
                key = tuple(id(bucket) for bucket in buckets)
                if key not in names_here:
                    names_here[key] = sorted({s.name for bucket in buckets for s in bucket if isinstance(s.name, str)})
                if not selecting:
                    selecting.append(SelectorMapIndex(services, lambda s: s.selector))
                count = sum(len(bucket) for bucket in buckets)
                where = "its file" if severity is None else "its directory"
                namespace = " that may share its namespace" if sts.namespace else ""
                guess = _governing_guess(sts, severity, selecting[0]) or _name_guess(name, names_here[key])
                ctx.report(
                    sts, path,
                    f"serviceName {name!r} names none of the {count} Service{'' if count == 1 else 's'} in {where}"
                    f"{namespace}{guess}: the pods' DNS names ({sts.name}-0.{name}...) do not resolve until a "
                    f"headless Service {name!r} exists in the StatefulSet's namespace", severity=severity,
                    hint=f"Create a headless Service named {name!r} (clusterIP: None) selecting the "
                         f"StatefulSet's pods, or point serviceName at the existing one.")
                continue
            service = next((s for s in named if s.file == sts.file), named[0])
            spec = as_dict(service.root.get("spec"))
            if not _headless(spec):
                shown = spec.get("clusterIP")
                state = "type ExternalName" if spec.get("type") == "ExternalName" else (
                    f"clusterIP {shown!r}" if shown is not None else "no clusterIP: None")
                ctx.report(
                    sts, path,
                    f"serviceName {name!r} refers to {describe(service)}, which is not headless "
                    f"({state}): the cluster DNS publishes no per-pod records for it, so "
                    f"{sts.name}-0.{name} does not resolve",
                    hint=f"Make Service {name!r} headless (clusterIP: None; it cannot be changed in "
                         f"place, so recreate it) and keep a separate Service for client traffic.")
                continue
            selector = string_map(spec.get("selector"))
            if selector and map_selects(selector, sts) is False:
                ctx.report(
                    sts, path,
                    f"headless Service {name!r} selects {describe_labels(selector)}, which the "
                    f"StatefulSet's pods ({describe_labels(sts.pod_template.labels)}) do not carry: "
                    f"the pods get no endpoints there, so {sts.name}-0.{name} does not resolve",
                    hint="Make the Service selector a subset of the StatefulSet's template labels.")


def _headless(spec: dict) -> bool:
    return spec.get("type") != "ExternalName" and spec.get("clusterIP") == "None"


def _governing_guess(sts: StatefulSet, severity: str | None, services: SelectorMapIndex) -> str:
    """" (did you mean 'x', ...)" for the first headless Service of the StatefulSet's namespace and
    file (directory, when ``severity`` is "info") whose selector selects its pods: the Service the
    cluster DNS would serve the pods' names through, had serviceName named it. "" when none does."""
    for service in services.candidates(sts.pod_template.labels):
        if not same_namespace(service.namespace, sts.namespace):
            continue
        if service.file != sts.file and (severity is None or
                                         file_directory(service.file) != file_directory(sts.file)):
            continue
        spec = as_dict(service.root.get("spec"))
        selector = string_map(spec.get("selector"))
        if _headless(spec) and selector and map_selects(selector, sts) is True:
            return f" (did you mean {service.name!r}? that headless Service selects its pods)"
    return ""


def _name_guess(name: str, names: list[str]) -> str:
    """" (did you mean 'x'?)" for the Service name of ``names`` (sorted) that shares the longest
    beginning with ``name``, at least half of the longer of the two (a renamed or mistyped
    Service: "cache-hl" for "cache-headless"); "" when none does. The names sharing the longest
    beginning with ``name`` are its sorted neighbours: a lookup, not a comparison with every name."""
    at = bisect.bisect_left(names, name)
    best, shared = "", 0
    for other in names[max(0, at - 1):at + 1]:
        length = len(os.path.commonprefix([name, other]))
        if length > shared and length >= 3 and 2 * length >= max(len(name), len(other)):
            best, shared = other, length
    return f" (did you mean {best!r}?)" if best else ""
