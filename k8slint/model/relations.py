"""How objects of one run relate to each other: namespaces, which file or directory an object
plausibly ships with, and which HorizontalPodAutoscaler scales a workload. Every cross-object
rule uses these, so that "the HPA of this Deployment" means the same thing in all of them; and
the replica counts a workload's controller sees, given its HPA."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable

from k8slint.model.objects import HorizontalPodAutoscaler, K8sObject, Workload, dig


def same_namespace(a: str, b: str) -> bool:
    """Could two objects end up in the same namespace? An object without metadata.namespace goes
    wherever it is applied (``kubectl apply -n``, kustomize), so it may share one with anything."""
    return a == b or not a or not b


def related(obj: K8sObject, candidates: Iterable[K8sObject]) -> list:
    """The ``candidates`` (already matched by name or selector) that plausibly land next to ``obj``:
    those in its file; else in its directory; else in other directories but under the same explicit
    namespace. An empty list when none qualifies: one project's HPA called "web" must not be taken
    for another project's Deployment of the same name."""
    pool = [c for c in candidates if same_namespace(obj.namespace, c.namespace)]
    directory = os.path.dirname(obj.file)
    tiers = (lambda c: c.file == obj.file,
             lambda c: os.path.dirname(c.file) == directory,
             lambda c: bool(obj.namespace) and c.namespace == obj.namespace)
    for tier in tiers:
        chosen = [c for c in pool if tier(c)]
        if chosen:
            return chosen
    return []


def missing_reference_severity(referrer: K8sObject, candidates) -> str | None | bool:
    """How sure "X refers to nothing in the set" is. ``candidates`` are the objects of the kind
    that could have matched, in a namespace compatible with the referrer's.

    - the referrer's own file holds candidates: the file is a self-contained application and
      nothing in it matches, so the reference is broken -> None (the rule's default severity);
    - only its directory holds candidates -> "info" (the target may be defined elsewhere);
    - neither: the set says nothing about the target -> ``False`` (do not report).
    """
    candidates = list(candidates)
    if any(c.file == referrer.file for c in candidates):
        return None
    folder = os.path.dirname(referrer.file)
    if any(os.path.dirname(c.file) == folder for c in candidates):
        return "info"
    return False


def hpa_targets(hpa: HorizontalPodAutoscaler, workload: Workload) -> bool:
    """Does ``hpa``'s scaleTargetRef name ``workload`` (kind, name, and API group when given)?"""
    kind, name = hpa.target
    if not name or kind != workload.kind or name != workload.name:
        return False
    api_version = dig(hpa.root, ("spec", "scaleTargetRef", "apiVersion"))
    return not isinstance(api_version, str) or api_version.rpartition("/")[0] == workload.group


def hpas_for(workload: Workload, hpas: Iterable[HorizontalPodAutoscaler]) -> list[HorizontalPodAutoscaler]:
    """The HPAs that scale ``workload``, scoped as ``related`` scopes them."""
    return related(workload, [h for h in hpas if hpa_targets(h, workload)])


class ServicesByLabel:
    """Services indexed by one of their selector pairs, so that "which Services select these pod
    labels" looks at the few Services that can, not at every Service of the run."""

    def __init__(self, services) -> None:
        self.by_pair: dict[tuple, list] = {}
        for service in services:
            selector = service.selector
            if not selector:
                continue
            key = min(selector)  # any pair will do: every pair must match
            self.by_pair.setdefault((key, selector[key]), []).append(service)

    def selecting(self, labels: dict) -> list:
        """The Services whose selector every pair of which ``labels`` carries, in input order."""
        found = []
        for key, value in labels.items():
            for service in self.by_pair.get((key, value), ()):
                if all(labels.get(k) == v for k, v in service.selector.items()):
                    found.append(service)
        return found


@dataclass(frozen=True)
class ReplicaCount:
    n: int
    source: str  # where the number comes from: "spec.replicas", "HorizontalPodAutoscaler web minReplicas"
    defaulted: bool = False  # spec.replicas not set

    def text(self) -> str:
        """'2 replicas (spec.replicas)'."""
        return f"{self.n} replica{'' if self.n == 1 else 's'} ({self.source})"

    def short(self) -> str:
        """'spec.replicas 2' / 'spec.replicas not set, default 1'."""
        return f"{self.source}, default {self.n}" if self.defaulted else f"{self.source} {self.n}"


def replica_counts(workload: Workload, hpas: Iterable[HorizontalPodAutoscaler]) -> list[ReplicaCount]:
    """The replica counts the controller will see, ascending and distinct: ``spec.replicas`` (default
    1), or with an HPA its minReplicas and maxReplicas (and spec.replicas when it lies between).
    Empty when spec.replicas is not an integer (``invalid-field-type`` reports that)."""
    raw = workload.spec.get("replicas")
    replicas = workload.replicas
    if replicas is None:
        return []
    own = ReplicaCount(replicas, "spec.replicas") if raw is not None else \
        ReplicaCount(replicas, "spec.replicas not set", defaulted=True)
    targeting = hpas_for(workload, hpas)
    if not targeting:
        return [own]
    hpa = targeting[0]
    lo = ReplicaCount(hpa.min_replicas, f"HorizontalPodAutoscaler {hpa.name} minReplicas")
    counts = [lo]
    hi = hpa.max_replicas
    if raw is not None and lo.n < replicas < (hi if hi is not None else replicas + 1):
        counts.append(own)
    if hi is not None and hi > lo.n:
        counts.append(ReplicaCount(hi, f"HorizontalPodAutoscaler {hpa.name} maxReplicas"))
    return counts
