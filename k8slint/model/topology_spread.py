"""Pod topology spread constraints: how many pods of one workload the scheduler can place.

Upstream (kubernetes/kubernetes pkg/scheduler/framework/plugins/podtopologyspread):

* only ``whenUnsatisfiable: DoNotSchedule`` constraints filter (``filterConstraints``);
  ``ScheduleAnyway`` only scores and never keeps a pod Pending;
* PreFilter (``calPreFilterState``) counts, per domain of ``topologyKey``, the pods matching the
  constraint's selector on the nodes that carry *every* constraint's key and pass the node
  inclusion policies (``matchNodeInclusionPolicies``): ``nodeAffinityPolicy`` Honor (default) counts
  only nodes matching the pod's nodeSelector and required node affinity, ``nodeTaintsPolicy``
  Ignore (default) counts tainted nodes too, Honor only nodes whose NoSchedule/NoExecute taints
  the pod tolerates. Every counted domain starts at 0;
* Filter: a node without the constraint's ``topologyKey`` is rejected (``ErrReasonNodeLabelNotMatch``);
  a node is accepted when ``matchNum + selfMatch - minMatchNum <= maxSkew``, where
  ``minMatchNum`` is the smallest count over the counted domains, or 0 when fewer domains than
  ``minDomains`` are counted (``minMatchNum``);
* ``matchLabelKeys`` adds ``key In (the pod's value)`` to the selector (keys the pod lacks are
  ignored): with ``pod-template-hash`` the pods of each revision are spread on their own.

So for the pods of one workload (no other pod matching the selector): if some counted domain can
never receive one of its pods (a tainted control-plane node under the default nodeTaintsPolicy
Ignore, a zone its node affinity excludes under nodeAffinityPolicy Ignore), or fewer than
``minDomains`` domains are counted, the minimum stays 0 and each domain it can use holds at most
``maxSkew`` pods. Otherwise round-robin placement never violates the skew: no bound.
Standard library only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from k8slint.model.cluster import Cluster
from k8slint.model.objects import as_dict, as_int, as_list
from k8slint.model.pod_labels import PodLabels, selector_verdict
from k8slint.model.scheduling import (
    Domains, NodeSet, domains, effective_tolerations, required_node_affinity_matches, select_nodes, untolerated_taints,
)
from k8slint.model.versions import NEWEST, Version, on_by_default

INFINITE = math.inf
DO_NOT_SCHEDULE = "DoNotSchedule"


@dataclass(frozen=True)
class Constraint:
    """A topology spread constraint of a pod template, as the scheduler reads it."""

    index: int
    path: tuple  # field path of the constraint
    topology_key: str
    max_skew: int
    min_domains: int | None
    node_affinity_policy: str  # Honor | Ignore
    node_taints_policy: str  # Honor | Ignore
    selector: object = field(hash=False, compare=False)
    match_label_keys: tuple = ()


def hard_constraints(spec_path: tuple, pod_spec: Mapping, version: Version = NEWEST) -> list[Constraint]:
    """The DoNotSchedule constraints of a pod spec the API server accepts, as stored at ``version``
    (gated fields dropped while their gate is off by default)."""
    out = []
    min_domains_on = on_by_default("MinDomainsInPodTopologySpread", version)
    inclusion_on = on_by_default("NodeInclusionPolicyInPodTopologySpread", version)
    keys_on = on_by_default("MatchLabelKeysInPodTopologySpread", version)
    for index, item in enumerate(as_list(as_dict(pod_spec).get("topologySpreadConstraints"))):
        item = as_dict(item)
        if item.get("whenUnsatisfiable") != DO_NOT_SCHEDULE:
            continue
        key = item.get("topologyKey")
        skew = as_int(item.get("maxSkew"))
        if not isinstance(key, str) or not key or skew is None or skew < 1 or isinstance(item.get("maxSkew"), bool):
            continue  # the API server rejects it
        min_domains = as_int(item.get("minDomains")) if min_domains_on else None
        if min_domains is not None and min_domains < 1:
            continue
        affinity_policy = item.get("nodeAffinityPolicy") if inclusion_on else None
        taints_policy = item.get("nodeTaintsPolicy") if inclusion_on else None
        keys = tuple(k for k in as_list(item.get("matchLabelKeys")) if isinstance(k, str)) if keys_on else ()
        out.append(Constraint(index, spec_path + ("topologySpreadConstraints", index), key, skew, min_domains,
                              affinity_policy if affinity_policy in ("Honor", "Ignore") else "Honor",
                              taints_policy if taints_policy in ("Honor", "Ignore") else "Ignore",
                              item.get("labelSelector"), keys))
    return out


def counts_own_pods(constraint: Constraint, labels: PodLabels) -> bool:
    """Whether the constraint's selector surely matches the workload's own pods (selfMatchNum 1 and
    its pods counted). matchLabelKeys only narrows it to the pod's own values, which its
    siblings of the same revision share."""
    return selector_verdict(constraint.selector, labels) is True


def separates_revisions(constraint: Constraint, labels: PodLabels) -> bool:
    """matchLabelKeys names a label with one value per revision (pod-template-hash ...): old and
    new pods are spread apart from each other during a rollout."""
    return any(key in labels.revision for key in constraint.match_label_keys)


@dataclass(frozen=True)
class Capacity:
    """How many pods of a workload a constraint lets the scheduler place, and over which domains."""

    pods: float  # most pods of the workload the constraint lets the scheduler place
    usable: Domains  # domains its pods can go to
    counted: Domains  # domains the scheduler counts
    idle: Domains  # counted domains its pods can never go to (they keep the minimum at 0)
    why: str  # "minDomains" | "idle" | "" (unbounded) | "no-domain"


def capacity(constraint: Constraint, all_constraints: list[Constraint], kind: str, pod_spec: Mapping,
             cluster: Cluster, eligible: NodeSet) -> Capacity:
    """How many pods of the workload ``constraint`` lets the scheduler place on ``cluster``,
    where ``eligible`` are the nodes its other filters (nodeSelector, node affinity, taints) accept.
    Judged per class of nodes (k8slint.model.scheduling.select_nodes), never node by node."""
    key = constraint.topology_key
    keys = {c.topology_key for c in all_constraints}
    tolerations = effective_tolerations(kind, pod_spec)
    honor_affinity = constraint.node_affinity_policy == "Honor" and cluster.labels_known  # --nodes: placeholders
    honor_taints = constraint.node_taints_policy == "Honor"

    def is_counted(node) -> bool:
        if not keys <= node.labels.keys():
            return False
        if honor_affinity and not required_node_affinity_matches(pod_spec, node):
            return False
        return not (honor_taints and untolerated_taints(tolerations, node.taints))

    counted = domains(select_nodes(cluster, pod_spec, is_counted), key)
    # Filter rejects a node without any constraint's key
    usable = domains(eligible.where(lambda group: all(group.has_label(k) for k in keys)), key)
    idle = counted - usable
    if not usable:
        return Capacity(0, usable, counted, idle, "no-domain")
    if constraint.min_domains is not None and len(counted) < constraint.min_domains:
        return Capacity(len(usable) * constraint.max_skew, usable, counted, idle, "minDomains")
    if idle:
        return Capacity(len(usable) * constraint.max_skew, usable, counted, idle, "idle")
    return Capacity(INFINITE, usable, counted, idle, "")
