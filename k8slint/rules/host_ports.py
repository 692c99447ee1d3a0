"""``host-port-conflict``: pods that ask for the same host port cannot share a node.

The NodePorts filter of the scheduler (k8slint.model.host_ports cites it) keeps a pod off a node
where another pod holds its host port, protocol and host IP. For one workload that means one pod
per eligible node: more replicas than eligible nodes stay Pending, and a Deployment whose rolling
update only surges (maxUnavailable resolves to 0) hangs when every eligible node already runs an
old pod (the kind/ingress-nginx shape: hostPort 80/443, 1 replica, the default 25% surge, one
node). Across workloads, two that claim the same port share the eligible nodes. Pods with
``spec.nodeName`` skip the scheduler: the kubelet rejects the second one (it fails, it is not
Pending).
"""

from __future__ import annotations


from k8slint.model.host_ports import first_conflict, host_ports
from k8slint.model.index import file_directory
from k8slint.model.objects import (
    Deployment, HorizontalPodAutoscaler, Pod, ReplicaSet, ReplicationController, Rollout, StatefulSet, as_dict,
)
from k8slint.model.relations import hpas_for
from k8slint.rules import LIGHT, SET, rule

RULE = "host-port-conflict"
_ANALYSED = (Deployment, ReplicaSet, ReplicationController, StatefulSet, Rollout, Pod)
_CHECK = "lint with --nodes N or --cluster FILE to check the cluster has them"


class _Claim:
    __slots__ = ("obj", "ports", "pods", "pods_text", "eligible", "pinned")

    def __init__(self, obj, ports, pods, pods_text, eligible, pinned) -> None:
        self.obj, self.ports, self.pods, self.pods_text = obj, ports, pods, pods_text
        self.eligible, self.pinned = eligible, pinned

    @property
    def name(self) -> str:
        return f"{self.obj.kind} {self.obj.display_name}"


@rule(RULE, scope=SET, cost=LIGHT)
def check(inventory, ctx):
    cluster = ctx.cluster
    hpas = inventory.of(HorizontalPodAutoscaler)
    claims = []
    for obj in inventory.workloads:
        if not isinstance(obj, _ANALYSED):
            continue
        with ctx.guard(obj):
            claim = _claim(obj, hpas, cluster)
            if claim is None:
                continue
            claims.append(claim)
            if claim.pinned is None:
                _own_pods(claim, ctx, cluster)
    if len(claims) >= 2:
        _across(claims, ctx, cluster)


def _claim(obj, hpas, cluster) -> _Claim | None:
    ports = host_ports(obj.pod_template)
    if not ports:
        return None
    spec = obj.pod_template.spec
    pinned = spec.get("nodeName") if isinstance(spec.get("nodeName"), str) and spec.get("nodeName") else None
    hpa = next((h for h in hpas_for(obj, hpas) if h.max_replicas is not None), None)
    if isinstance(obj, Pod):
        pods, pods_text = 1, "a single Pod"
    elif hpa is not None:
        pods, pods_text = hpa.max_replicas, f"HPA maxReplicas {hpa.max_replicas}"
    else:
        pods, pods_text = obj.replicas, f"replicas {obj.replicas}"
    if pods is None or pods <= 0:
        return None
    eligible = None
    if cluster is not None and pinned is None:
        from k8slint.model.scheduling import node_verdicts

        eligible = node_verdicts(obj.kind, spec, cluster).eligible  # a NodeSet: counted per class of nodes
    return _Claim(obj, ports, pods, pods_text, eligible, pinned)


def _own_pods(claim: _Claim, ctx, cluster) -> None:
    port = claim.ports[0]
    n = claim.pods
    peak = _surge_only_peak(claim.obj, n)
    if cluster is None:
        if peak is not None:
            ctx.report(claim.obj, port.path,
                       f"{port.text()} allows one pod of {claim.name} per node, and its rolling update only surges "
                       f"({peak}): it needs {n + 1} nodes, one free of old pods, or it never finishes; {_CHECK}",
                       severity="info",
                       hint="Set maxSurge: 0 and maxUnavailable: 1 (the old pod frees the port first), or drop the "
                            "host port and expose the pods through a Service.")
        return
    eligible = claim.eligible.count if claim.eligible is not None else 0
    if eligible == 0:
        return  # no-eligible-nodes
    nodes = f"{eligible} node{'s' if eligible != 1 else ''} {'are' if eligible != 1 else 'is'} eligible"
    if n > eligible:
        pending = n - eligible
        ctx.report(claim.obj, port.path,
                   f"{port.text()} allows one pod of {claim.name} per node (the scheduler's NodePorts filter): "
                   f"{n} pods ({claim.pods_text}) need {n} nodes but {nodes} ({cluster.source}): "
                   f"{pending} pod{'s stay' if pending != 1 else ' stays'} Pending{_when(claim)}",
                   severity="error",
                   hint=f"Lower replicas to {eligible}, add nodes, run it as a DaemonSet, or drop the host port and "
                        f"expose the pods through a Service.")
        return
    if peak is not None and n == eligible:
        ctx.report(claim.obj, port.path,
                   f"{port.text()} allows one pod of {claim.name} per node, and {nodes} ({cluster.source}), "
                   f"running its {n} pod{'s' if n != 1 else ''} ({claim.pods_text}); its rolling update only "
                   f"surges ({peak}): the surge pod finds no node with the port free and stays Pending, and no old "
                   f"pod goes before a new one is available: the rollout never finishes (ProgressDeadlineExceeded)",
                   severity="error",
                   hint="Set maxSurge: 0 and maxUnavailable: 1 (the old pod frees the port first), or add a node.")


def _when(claim: _Claim) -> str:
    return " when the HPA scales to its maximum" if claim.pods_text.startswith("HPA") else " forever"


def _surge_only_peak(obj, n: int) -> str | None:
    """'maxSurge 1, maxUnavailable 0' when a Deployment's rolling update at ``n`` replicas adds pods
    before it removes any (maxUnavailable resolves to 0, maxSurge to at least 1); else None."""
    if not isinstance(obj, Deployment):
        return None
    from k8slint.model.rollout import IntOrPercentError, deployment_rollout_peak

    try:
        peak = deployment_rollout_peak(obj.strategy, n)
    except IntOrPercentError:
        return None  # rolling-update-invalid
    if peak.strategy != "RollingUpdate" or not peak.min_unavailable_zero or peak.surge < 1:
        return None
    ru = as_dict(as_dict(obj.strategy).get("rollingUpdate"))
    surge = ru.get("maxSurge", "25%")
    unavailable = ru.get("maxUnavailable", "25%")
    return (f"maxSurge {surge} resolves to {peak.surge} and maxUnavailable {unavailable} to 0 at {n} "
            f"replica{'s' if n != 1 else ''}")


def _across(claims: list, ctx, cluster) -> None:
    """Two workloads whose pods claim a conflicting host port share the nodes both may use."""
    candidates = _conflict_candidates(claims, cluster is not None)
    for index, b in enumerate(claims):
        for a in candidates.get(index, ()):
            conflict = first_conflict(b.ports, a.ports)
            if conflict is None:
                continue
            mine, theirs = conflict
            if a.pinned is not None and b.pinned is not None:
                if a.pinned == b.pinned:
                    ctx.report(b.obj, mine.path,
                               f"{mine.text()} is also {theirs.text()} of {a.name}, and both are bound to node "
                               f"{b.pinned} by spec.nodeName: the kubelet admits only one of them and the other "
                               f"fails (nodeName skips the scheduler, so it does not wait as Pending)",
                               severity="error", hint="Use another host port, or another node.")
                continue
            if cluster is None or a.pinned is not None or b.pinned is not None:
                continue
            nodes_a, nodes_b = a.eligible, b.eligible
            if not nodes_a or not nodes_b or not (nodes_a <= nodes_b or nodes_b <= nodes_a):
                continue
            shared = (nodes_a | nodes_b).count
            if a.pods > nodes_a.count or b.pods > nodes_b.count:
                continue  # one of them does not fit on its own: reported for that workload
            total = a.pods + b.pods
            if total < shared or (total == shared and nodes_a != nodes_b):
                continue
            if total == shared:
                _across_rollout(a, b, mine, theirs, total, ctx, cluster)
                continue
            ctx.report(b.obj, mine.path,
                       f"{mine.text()} is also {theirs.text()} of {a.name}: their pods cannot share a node, and "
                       f"{total} pods ({b.pods_text} + {a.pods_text} of {a.name}) need {total} nodes but "
                       f"{shared} {'are' if shared != 1 else 'is'} eligible ({cluster.source}): "
                       f"{total - shared} pod{'s stay' if total - shared != 1 else ' stays'} Pending"
                       f"{_when(a) if a.pods_text.startswith('HPA') else _when(b)}",
                       severity="error", hint="Give one of them another host port, or add nodes.")


def _conflict_candidates(claims: list, with_cluster: bool) -> dict[int, list]:
    """For each claim (by position), the earlier claims it may conflict with and be reported
    against, in input order: the same directory (host ports are node-wide, whatever the namespace:
    only what ships together), a shared port number and protocol (``HostPortInfo.CheckConflict``
    needs both), and either both bound to the same node by spec.nodeName or, with cluster
    information, neither bound. Looked up by (directory, port, protocol, node) instead of
    comparing every pair: a repository may hold thousands of workloads with host ports."""
    seen: dict[tuple, list[int]] = {}
    found: dict[int, list] = {}
    for index, claim in enumerate(claims):
        if claim.pinned is None and not with_cluster:
            continue
        directory = file_directory(claim.obj.file)
        keys = {(directory, port.port, port.protocol, claim.pinned) for port in claim.ports}
        earlier: set[int] = set()
        for key in keys:
            earlier.update(seen.get(key, ()))
        if earlier:
            found[index] = [claims[position] for position in sorted(earlier)]
        for key in keys:
            seen.setdefault(key, []).append(index)
    return found


def _across_rollout(a: _Claim, b: _Claim, mine, theirs, total: int, ctx, cluster) -> None:
    """Two workloads fill their nodes exactly: a surge-only rollout of either finds no node with the
    port free (its own old pods and the other's pods hold it everywhere)."""
    for claim, port, other, other_port in ((b, mine, a, theirs), (a, theirs, b, mine)):
        peak = _surge_only_peak(claim.obj, claim.pods)
        if peak is None:
            continue
        ctx.report(claim.obj, port.path,
                   f"{port.text()} is also {other_port.text()} of {other.name}: their {total} pods "
                   f"({claim.pods_text} + {other.pods_text} of {other.name}) take all {total} eligible nodes "
                   f"({cluster.source}), and the rolling update of {claim.name} only surges ({peak}): the surge pod "
                   f"finds no node with the port free and no old pod goes before a new one is available: the "
                   f"rollout never finishes (ProgressDeadlineExceeded)",
                   severity="error",
                   hint="Set maxSurge: 0 and maxUnavailable: 1, give one of them another host port, or add a node.")
