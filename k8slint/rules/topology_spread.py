"""``topology-spread-infeasible``: DoNotSchedule topology spread constraints that keep pods Pending,
at steady state and at the rollout peak, on the cluster described (k8slint.model.topology_spread
has the scheduler's rules and cites them). ScheduleAnyway never blocks; without cluster
information nothing is reported. Pods of other workloads that the selector may match change the
counts: such constraints are not judged.
"""

from __future__ import annotations

from k8slint.model.affinity import domain_noun
from k8slint.model.cluster import HOSTNAME_LABEL, ZONE_LABEL
from k8slint.model.objects import (
    Deployment, HorizontalPodAutoscaler, ReplicaSet, ReplicationController, Rollout, StatefulSet,
)
from k8slint.model.pod_labels import PodLabels, pod_labels, selector_verdict
from k8slint.model.index import pod_label_index
from k8slint.model.relations import hpas_for, related
from k8slint.model.scheduling import placement_key
from k8slint.model.topology_spread import INFINITE, capacity, counts_own_pods, hard_constraints, separates_revisions
from k8slint.rules import LIGHT, SET, rule

RULE = "topology-spread-infeasible"
_ANALYSED = (Deployment, ReplicaSet, ReplicationController, StatefulSet, Rollout)
# Labels the synthetic nodes of --nodes/--zones really have; any other key is unknown there.
_SYNTHETIC_KEYS = (HOSTNAME_LABEL, ZONE_LABEL)


@rule(RULE, scope=SET, cost=LIGHT)
def check(inventory, ctx):
    cluster = ctx.cluster
    if cluster is None:
        return
    version = ctx.kubernetes_version
    hpas = inventory.of(HorizontalPodAutoscaler)
    workloads = inventory.workloads
    capacities: dict = {}  # see _capacity: thousands of workloads share a few placements
    for obj in workloads:
        if not isinstance(obj, _ANALYSED):
            continue
        template = obj.pod_template
        constraints = hard_constraints(template.spec_path, template.spec, version)
        if not constraints:
            continue
        with ctx.guard(obj):
            _check(obj, constraints, workloads, hpas, ctx, cluster, version, capacities)


def _check(obj, constraints, workloads, hpas, ctx, cluster, version, capacities: dict) -> None:
    labels = pod_labels(obj, version) or PodLabels(obj.pod_template.labels)
    if not cluster.labels_known and any(c.topology_key not in _SYNTHETIC_KEYS for c in constraints):
        return  # the placeholder nodes of --nodes carry no other label
    spec = obj.pod_template.spec
    hpa = next((h for h in hpas_for(obj, hpas) if h.max_replicas is not None), None)
    n = hpa.max_replicas if hpa is not None else obj.replicas
    pods_text = f"HPA maxReplicas {n}" if hpa is not None else f"replicas {n}"
    if not n or n <= 0:
        return
    from k8slint.model.scheduling import node_verdicts

    eligible = node_verdicts(obj.kind, spec, cluster).eligible  # a NodeSet: judged per class of nodes
    if not eligible:
        return  # no-eligible-nodes
    worst = None
    for constraint in constraints:
        if not counts_own_pods(constraint, labels) or _others_match(obj, constraint, workloads, version):
            continue
        cap = _capacity(constraint, constraints, obj.kind, spec, cluster, eligible, capacities)
        if worst is None or cap.pods < worst[1].pods:
            worst = (constraint, cap)
    if worst is None:
        return
    constraint, cap = worst
    key = constraint.topology_key
    where = f"topologySpreadConstraints[{constraint.index}] (DoNotSchedule, maxSkew {constraint.max_skew}) on {key}"
    path = constraint.path + ("topologyKey",)
    if cap.why == "no-domain":
        missing = sorted({c.topology_key for c in constraints})
        what = f"the label {key}" if len(missing) == 1 else f"all of the labels {', '.join(missing)}"
        ctx.report(obj, path,
                   f"{where}: none of the {eligible.count} eligible nodes ({cluster.source}) carries {what}, and "
                   f"the scheduler rejects a node without a constraint's topologyKey: all {n} pods ({pods_text}) "
                   f"stay Pending",
                   severity="error",
                   hint="Use a topologyKey the nodes carry (kubernetes.io/hostname, topology.kubernetes.io/zone), "
                        "label the nodes, or use whenUnsatisfiable: ScheduleAnyway.")
        return
    if cap.pods == INFINITE:
        _rollout(obj, constraint, cap, labels, n, pods_text, ctx, cluster, where, path)
        return
    cap_pods = int(cap.pods)
    usable = f"{len(cap.usable)} {domain_noun(key, len(cap.usable))}"
    if cap.why == "minDomains":
        reason = (f"minDomains {constraint.min_domains} but only {len(cap.counted)} "
                  f"{domain_noun(key, len(cap.counted))} counted, so the scheduler takes the minimum count as 0")
        fix = "lower minDomains to the domains the cluster has, add domains, or raise maxSkew"
    else:
        idle = ", ".join(cap.idle.first(3)) + (", ..." if len(cap.idle) > 3 else "")
        reason = (f"the scheduler also counts {len(cap.idle)} {domain_noun(key, len(cap.idle))} where none of its pods "
                  f"can run ({idle}: nodeAffinityPolicy {constraint.node_affinity_policy}, nodeTaintsPolicy "
                  f"{constraint.node_taints_policy}), so the minimum count stays 0")
        fix = ("set nodeTaintsPolicy: Honor and nodeAffinityPolicy: Honor so that only nodes the pods can use "
               "are counted, or raise maxSkew")
    if n > cap_pods:
        ctx.report(obj, path,
                   f"{where}: {reason}, and each of the {usable} its pods can use ({cluster.source}) takes at most "
                   f"{constraint.max_skew}: {cap_pods} of {n} pods ({pods_text}) fit, {n - cap_pods} "
                   f"{'stay' if n - cap_pods != 1 else 'stays'} Pending"
                   f"{' when the HPA scales to its maximum' if hpa is not None else ' forever'}; {fix}",
                   severity="error", hint=f"{fix[0].upper()}{fix[1:]}, or use whenUnsatisfiable: ScheduleAnyway.")
        return
    _rollout(obj, constraint, cap, labels, n, pods_text, ctx, cluster, where, path, reason, usable)


def _rollout(obj, constraint, cap, labels, n, pods_text, ctx, cluster, where, path, reason="", usable="") -> None:
    """A Deployment that only surges needs room for one pod more than it runs: old and new pods
    both match the selector unless matchLabelKeys separates the revisions."""
    if cap.pods == INFINITE or not isinstance(obj, Deployment) or separates_revisions(constraint, labels):
        return
    from k8slint.model.rollout import IntOrPercentError, deployment_rollout_peak

    try:
        peak = deployment_rollout_peak(obj.strategy, n)
    except IntOrPercentError:
        return
    if peak.strategy != "RollingUpdate" or not peak.min_unavailable_zero or peak.surge < 1 or n < cap.pods:
        return
    ctx.report(obj, path,
               f"{where}: {reason}, and each of the {usable} its pods can use ({cluster.source}) takes at most "
               f"{constraint.max_skew}: {int(cap.pods)} pods fit, all taken by its {n} pods ({pods_text}); its "
               f"rolling update only surges ({peak.explanation}): the surge pod stays Pending and no old pod goes "
               f"before a new one is available, so the rollout never finishes",
               severity="error",
               hint="Set maxSurge: 0 and maxUnavailable: 1, add matchLabelKeys: [pod-template-hash] to the "
                    "constraint, or set nodeTaintsPolicy/nodeAffinityPolicy: Honor.")


def _capacity(constraint, constraints, kind, spec, cluster, eligible, capacities: dict):
    """``capacity`` once per distinct question: it reads the constraint's topology key, skew,
    minDomains and node inclusion policies, the keys of all the workload's constraints, and the
    pod's placement (kind, nodeName, nodeSelector, required node affinity, tolerations: what
    ``placement_key`` holds, which also decides ``eligible``), never its labels or name."""
    try:
        key = (constraint.topology_key, constraint.max_skew, constraint.min_domains, constraint.node_affinity_policy,
               constraint.node_taints_policy, frozenset(c.topology_key for c in constraints), kind,
               placement_key(kind, spec))
        found = capacities.get(key)
    except TypeError:  # an unhashable value where a scalar belongs: asked every time
        return capacity(constraint, constraints, kind, spec, cluster, eligible)
    if found is None:
        found = capacities[key] = capacity(constraint, constraints, kind, spec, cluster, eligible)
    return found


def _others_match(obj, constraint, workloads, version) -> bool:
    """Pods of another workload of the namespace that the selector may match change the counts."""
    namespace = obj.namespace or "default"
    matching = []
    index = pod_label_index(workloads, version)  # made once per run: only the workloads that may match
    for other in index.selector_candidates(constraint.selector):
        if other is obj or (other.namespace or "default") != namespace:
            continue
        labels = index.known_labels(other)
        if labels is None or selector_verdict(constraint.selector, labels) is not False:
            matching.append(other)
    return bool(related(obj, matching))  # only objects deployed together (same file, directory, namespace)
