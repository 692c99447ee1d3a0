"""A small reference scheduler, and property tests that hold anti-affinity-infeasible to it.

The reference knows nothing of the rule's arithmetic: it places pods one by one on concrete nodes
under the same constraints (node eligibility from `k8slint.model.scheduling`, the one eligibility
function; required anti-affinity checked pod against pod, both ways, nodes without the topology
key taking anything), searching every placement; and it steps a Deployment rolling update the way
the controller does (new pods up to replicas + maxSurge, an old pod removed only while available
pods stay >= replicas - maxUnavailable, Pending pods unavailable), exploring every order.

Properties, on random small clusters and workloads:
* the rule never claims a steady state infeasible where the reference finds a placement, and never
  stays silent on a steady state the reference cannot place;
* the rule never claims a rollout stuck where the reference finds a way to finish it, and when the
  rule is silent the reference finishes the rollout.
"""

from __future__ import annotations

import os
import tempfile
from collections import deque
from functools import lru_cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import engine_run
from k8slint.model.cluster import HOSTNAME_LABEL, ZONE_LABEL, Cluster, Node, Taint
from k8slint.model.rollout import deployment_fenceposts
from k8slint.model.scheduling import eligible_nodes

RULE = "anti-affinity-infeasible"
EXAMPLES = 250


# --- the reference scheduler -----------------------------------------------------------------------


def _conflict(a: Node, b: Node, keys: tuple) -> bool:
    """Do pods on a and b repel each other under terms on ``keys``? (Same node: they share every
    key the node has.)"""
    return any(k in a.labels and k in b.labels and a.labels[k] == b.labels[k] for k in keys)


def can_host(node: Node, occupied: list[Node], keys: tuple) -> bool:
    return not any(_conflict(node, other, keys) for other in occupied)


def steady_placements(nodes: list[Node], pods: int, keys: tuple, limit: int = 10_000) -> list[tuple[int, ...]]:
    """Every placement of ``pods`` identical pods (as sorted node indexes), by backtracking."""
    found = []

    def place(start: int, chosen: list[int]) -> None:
        if len(found) >= limit:
            return
        if len(chosen) == pods:
            found.append(tuple(chosen))
            return
        for index in range(start, len(nodes)):
            if can_host(nodes[index], [nodes[i] for i in chosen], keys):
                place(index, chosen + [index])

    place(0, [])
    return found


def rollout_completes(nodes: list[Node], initial: tuple[int, ...], replicas: int, surge: int, unavailable: int,
                      keys: tuple) -> bool:
    """Can a Deployment rolling update starting from ``initial`` finish? Old and new pods repel
    each other (the term sees every revision). State: old pods per node, new pods per node, new
    pods created but Pending."""
    count = len(nodes)
    start = (tuple(initial.count(i) for i in range(count)), (0,) * count, 0)
    seen = {start}
    queue = deque([start])
    while queue:
        old, new, pending = queue.popleft()
        if sum(old) == 0 and sum(new) == replicas and pending == 0:
            return True
        successors = []
        total = sum(old) + sum(new) + pending
        if total < replicas + surge and sum(new) + pending < replicas:
            successors.append((old, new, pending + 1))
        if pending:
            occupied = [nodes[i] for i in range(count) for _ in range(old[i] + new[i])]
            for index in range(count):
                if can_host(nodes[index], occupied, keys):
                    placed = list(new)
                    placed[index] += 1
                    successors.append((old, tuple(placed), pending - 1))
        if sum(old) + sum(new) - 1 >= replicas - unavailable:
            for index in range(count):
                if old[index]:
                    removed = list(old)
                    removed[index] -= 1
                    successors.append((tuple(removed), new, pending))
        for state in successors:
            if state not in seen:
                seen.add(state)
                queue.append(state)
    return False


# --- the reference agrees with hand-worked cases ---------------------------------------------------------


def _nodes(count: int, zones: int = 0) -> list[Node]:
    out = []
    for i in range(count):
        labels = {HOSTNAME_LABEL: f"n{i}"}
        if zones:
            labels[ZONE_LABEL] = f"z{i % zones}"
        out.append(Node(f"n{i}", labels, ()))
    return out


def test_reference_seed_000():
    keys = (HOSTNAME_LABEL,)
    assert steady_placements(_nodes(1), 2, keys) == []
    two = _nodes(2)
    [placement] = steady_placements(two, 2, keys)
    assert not rollout_completes(two, placement, 2, 1, 0, keys)  # maxSurge 1, maxUnavailable 0
    assert rollout_completes(two, placement, 2, 1, 1, keys)
    three = _nodes(3)
    assert all(rollout_completes(three, p, 2, 1, 0, keys) for p in steady_placements(three, 2, keys))


def test_reference_nodes_without_the_key_take_anything():
    nodes = [Node("bare", {HOSTNAME_LABEL: "bare"}, ())]
    assert steady_placements(nodes, 4, (ZONE_LABEL,)) == [(0, 0, 0, 0)]
    assert steady_placements(nodes, 2, (HOSTNAME_LABEL,)) == []


# --- random clusters and workloads ----------------------------------------------------------------------


@st.composite
def clusters(draw):
    count = draw(st.integers(1, 5))
    nodes = []
    for i in range(count):
        labels = {HOSTNAME_LABEL: f"node-{i}", "disk": draw(st.sampled_from(["ssd", "hdd"]))}
        zone = draw(st.sampled_from([None, "a", "b", "c"]))
        if zone:
            labels[ZONE_LABEL] = zone
        taints = (Taint("dedicated", "db", "NoSchedule"),) if draw(st.booleans()) and i else ()
        nodes.append(Node(f"node-{i}", labels, taints))
    return Cluster(tuple(nodes), "hypothesis")


@st.composite
def workloads(draw, keys=st.sampled_from([(HOSTNAME_LABEL,), (ZONE_LABEL,), (HOSTNAME_LABEL, ZONE_LABEL)])):
    surge = draw(st.integers(0, 2))
    unavailable = draw(st.integers(0 if surge else 1, 2))
    return {
        "replicas": draw(st.integers(1, 4)),
        "keys": draw(keys),
        "surge": surge,
        "unavailable": unavailable,
        "ssd": draw(st.booleans()),
        "tolerate": draw(st.booleans()),
    }


def manifest(w: dict) -> str:
    terms = "".join(
        f"          - labelSelector: {{matchLabels: {{app: web}}}}\n            topologyKey: {key}\n"
        for key in w["keys"])
    spec_extra = ""
    if w["ssd"]:
        spec_extra += "      nodeSelector: {disk: ssd}\n"
    if w["tolerate"]:
        spec_extra += "      tolerations: [{key: dedicated, operator: Equal, value: db, effect: NoSchedule}]\n"
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
        f"  replicas: {w['replicas']}\n"
        f"  strategy: {{rollingUpdate: {{maxSurge: {w['surge']}, maxUnavailable: {w['unavailable']}}}}}\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n"
        f"{spec_extra}"
        "      affinity:\n        podAntiAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n"
        f"{terms}"
        "      containers: [{name: web, image: nginx}]\n")


_DIR = tempfile.mkdtemp(prefix="k8slint-reference-")


def rule_verdict(w: dict, cluster: Cluster) -> tuple[bool, bool]:
    """(steady state claimed infeasible, rollout claimed stuck) by the rule, as errors."""
    path = os.path.join(_DIR, "web.yaml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(manifest(w))
    result = engine_run([path], cluster=cluster, enabled={RULE})
    assert not result.errors, result.errors
    errors = [f for f in result.findings if f.rule == RULE and f.severity == "error"]
    steady = any("Pending forever" in f.message for f in errors)
    stuck = any("rolling update" in f.message for f in errors)
    assert len(errors) == steady + stuck, [f.message for f in errors]
    return steady, stuck


def _pod_spec(w: dict) -> dict:
    spec: dict = {}
    if w["ssd"]:
        spec["nodeSelector"] = {"disk": "ssd"}
    if w["tolerate"]:
        spec["tolerations"] = [{"key": "dedicated", "operator": "Equal", "value": "db", "effect": "NoSchedule"}]
    return spec


@lru_cache(maxsize=None)
def _reference(w_key: tuple, cluster: Cluster) -> tuple[bool, list, bool, bool]:
    w = dict(w_key)
    nodes = eligible_nodes("Deployment", _pod_spec(w), cluster)
    placements = steady_placements(nodes, w["replicas"], w["keys"])
    fenceposts = deployment_fenceposts(w["surge"], w["unavailable"], w["replicas"])
    outcomes = [rollout_completes(nodes, p, w["replicas"], fenceposts.surge, fenceposts.unavailable, w["keys"])
                for p in placements[:20]]
    return bool(nodes), placements, any(outcomes), all(outcomes)


def reference(w: dict, cluster: Cluster):
    return _reference(tuple(sorted(w.items())), cluster)


_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(clusters(), workloads())
def test_steady_state_verdict_matches_the_reference(cluster, w):
    any_node, placements, _, _ = reference(w, cluster)
    steady, _ = rule_verdict(w, cluster)
    if not any_node:
        return  # no eligible node at all is the eligibility rules' business
    if steady:
        assert placements == [], f"rule says Pending, reference placed {placements[0]}"
    else:
        assert placements, "reference cannot place the pods, rule stayed silent"


@_SETTINGS
@given(clusters(), workloads(keys=st.sampled_from([(HOSTNAME_LABEL,), (ZONE_LABEL,)])))
def test_rollout_verdict_matches_the_reference(cluster, w):
    any_node, placements, some_complete, all_complete = reference(w, cluster)
    steady, stuck = rule_verdict(w, cluster)
    if not any_node or not placements:
        return
    assert not steady
    if stuck:
        assert not some_complete, "rule says the rollout hangs, reference finished it"
    else:
        assert all_complete, "reference cannot finish the rollout, rule stayed silent"


# --- host ports, topology spread, and symmetric anti-affinity at the rollout peak -------------------
# The same reference, with the placement predicate of each scheduler plugin written out literally:
# NodePorts (a host port held by a pod on the node), PodTopologySpread (count + 1 - min <= maxSkew
# over the counted domains, min 0 below minDomains, nodes without the key rejected) and
# InterPodAffinity both ways (the incoming pod's terms and the running pods' terms).

MORE_EXAMPLES = 150


def placements_exist(count: int, pods: int, allowed) -> bool:
    """Can the scheduler place ``pods`` pods one by one, each on a node ``allowed(index, occupied)``
    accepts given the node indexes already taken? (Every order: pods are identical.)"""
    seen = set()
    queue = deque([()])
    while queue:
        occupied = queue.popleft()
        if len(occupied) == pods:
            return True
        for index in range(count):
            if allowed(index, list(occupied)):
                state = tuple(sorted(occupied + (index,)))
                if state not in seen:
                    seen.add(state)
                    queue.append(state)
    return False


def all_placements(count: int, pods: int, allowed, limit: int = 30) -> list[tuple[int, ...]]:
    found, seen, queue = [], set(), deque([()])
    while queue and len(found) < limit:
        occupied = queue.popleft()
        if len(occupied) == pods:
            found.append(occupied)
            continue
        for index in range(count):
            if allowed(index, list(occupied)):
                state = tuple(sorted(occupied + (index,)))
                if state not in seen:
                    seen.add(state)
                    queue.append(state)
    return found


def rollout_finishes(count: int, initial: tuple[int, ...], replicas: int, surge: int, unavailable: int,
                     allowed, fixed: tuple[int, ...] = ()) -> bool:
    """The Deployment rolling update of ``rollout_completes`` with a placement predicate over every
    pod present (old, new, and the pods of other workloads in ``fixed``)."""
    start = (tuple(initial.count(i) for i in range(count)), (0,) * count, 0)
    seen = {start}
    queue = deque([start])
    while queue:
        old, new, pending = queue.popleft()
        if sum(old) == 0 and sum(new) == replicas and pending == 0:
            return True
        successors = []
        if sum(old) + sum(new) + pending < replicas + surge and sum(new) + pending < replicas:
            successors.append((old, new, pending + 1))
        if pending:
            occupied = [i for i in range(count) for _ in range(old[i] + new[i])]
            for index in range(count):
                if allowed(index, occupied, fixed):
                    placed = list(new)
                    placed[index] += 1
                    successors.append((old, tuple(placed), pending - 1))
        if sum(old) + sum(new) - 1 >= replicas - unavailable:
            for index in range(count):
                if old[index]:
                    removed = list(old)
                    removed[index] -= 1
                    successors.append((tuple(removed), new, pending))
        for state in successors:
            if state not in seen:
                seen.add(state)
                queue.append(state)
    return False


def _findings(text: str, cluster: Cluster, rule: str) -> list:
    path = os.path.join(_DIR, "more.yaml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    result = engine_run([path], cluster=cluster, enabled={rule})
    assert not result.errors, result.errors
    return [f for f in result.findings if f.rule == rule and f.severity == "error"]


def _deployment(name: str, labels: str, replicas: int, surge: int, unavailable: int, spec: str) -> str:
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  replicas: {replicas}\n"
            f"  strategy: {{rollingUpdate: {{maxSurge: {surge}, maxUnavailable: {unavailable}}}}}\n"
            f"  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {labels}}}\n"
            f"    spec:\n{spec}")


@st.composite
def rollouts(draw):
    surge = draw(st.integers(0, 2))
    return {"replicas": draw(st.integers(1, 4)), "surge": surge,
            "unavailable": draw(st.integers(0 if surge else 1, 2)), "tolerate": draw(st.booleans())}


_TOLERATION = "      tolerations: [{key: dedicated, operator: Equal, value: db, effect: NoSchedule}]\n"


@settings(max_examples=MORE_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(clusters(), rollouts(), st.booleans())
def test_host_ports_match_the_reference(cluster, w, host_network):
    """NodePorts: no two pods holding host port 80/TCP on one node."""
    port = "ports: [{containerPort: 80}]" if host_network else "ports: [{containerPort: 8080, hostPort: 80}]"
    spec = (_TOLERATION if w["tolerate"] else "") + ("      hostNetwork: true\n" if host_network else "") + \
        f"      containers: [{{name: web, image: nginx, {port}}}]\n"
    text = _deployment("web", "{app: web}", w["replicas"], w["surge"], w["unavailable"], spec)
    errors = _findings(text, cluster, "host-port-conflict")
    pod_spec = {"tolerations": [{"key": "dedicated", "operator": "Equal", "value": "db", "effect": "NoSchedule"}]} \
        if w["tolerate"] else {}
    nodes = eligible_nodes("Deployment", pod_spec, cluster)
    if not nodes:
        return
    allowed = lambda index, occupied, fixed=(): index not in occupied  # noqa: E731 - one port per node
    steady = any("Pending forever" in f.message for f in errors)
    stuck = any("never finishes" in f.message for f in errors)
    assert steady == (not placements_exist(len(nodes), w["replicas"], allowed))
    if steady:
        return
    fp = deployment_fenceposts(w["surge"], w["unavailable"], w["replicas"])
    outcomes = [rollout_finishes(len(nodes), p, w["replicas"], fp.surge, fp.unavailable, allowed)
                for p in all_placements(len(nodes), w["replicas"], allowed)]
    if stuck:
        assert not any(outcomes), "rule says the rollout hangs, reference finished it"
    else:
        assert all(outcomes), "reference cannot finish the rollout, rule stayed silent"


@st.composite
def spreads(draw):
    surge = draw(st.integers(0, 2))
    return {"replicas": draw(st.integers(1, 5)), "surge": surge,
            "unavailable": draw(st.integers(0 if surge else 1, 2)), "tolerate": draw(st.booleans()),
            "ssd": draw(st.booleans()), "key": draw(st.sampled_from([HOSTNAME_LABEL, ZONE_LABEL])),
            "max_skew": draw(st.integers(1, 2)), "min_domains": draw(st.sampled_from([None, 2, 4])),
            "taints_policy": draw(st.sampled_from([None, "Honor"])),
            "affinity_policy": draw(st.sampled_from([None, "Ignore"]))}


def _spread_allowed(cluster: Cluster, nodes: list[Node], w: dict, pod_spec: dict):
    """PodTopologySpread's Filter for the pods of one workload, written from the plugin's source."""
    from k8slint.model.scheduling import effective_tolerations, required_node_affinity_matches, untolerated_taints

    key = w["key"]
    tolerations = effective_tolerations("Deployment", pod_spec)
    counted_domains = set()
    for node in cluster.nodes:
        if key not in node.labels:
            continue
        if w["affinity_policy"] != "Ignore" and not required_node_affinity_matches(pod_spec, node):
            continue
        if w["taints_policy"] == "Honor" and untolerated_taints(tolerations, node.taints):
            continue
        counted_domains.add(node.labels[key])

    def allowed(index, occupied, fixed=()):
        node = nodes[index]
        if key not in node.labels:
            return False
        counts = dict.fromkeys(counted_domains, 0)
        for i in occupied:  # the pods run on eligible nodes, which are all counted when they have the key
            domain = nodes[i].labels.get(key)
            if domain in counts:
                counts[domain] += 1
        minimum = min(counts.values()) if counts else 0
        if w["min_domains"] is not None and len(counts) < w["min_domains"]:
            minimum = 0
        return counts.get(node.labels[key], 0) + 1 - minimum <= w["max_skew"]

    return allowed


@settings(max_examples=MORE_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(clusters(), spreads())
def test_topology_spread_matches_the_reference(cluster, w):
    extra = "".join(f"        {field}: {w[name]}\n" for field, name in (
        ("minDomains", "min_domains"), ("nodeTaintsPolicy", "taints_policy"), ("nodeAffinityPolicy", "affinity_policy"))
        if w[name] is not None)
    spec = (_TOLERATION if w["tolerate"] else "") + ("      nodeSelector: {disk: ssd}\n" if w["ssd"] else "") + (
        "      topologySpreadConstraints:\n"
        f"      - maxSkew: {w['max_skew']}\n        topologyKey: {w['key']}\n        whenUnsatisfiable: DoNotSchedule\n"
        f"        labelSelector: {{matchLabels: {{app: web}}}}\n{extra}"
        "      containers: [{name: web, image: nginx}]\n")
    text = _deployment("web", "{app: web}", w["replicas"], w["surge"], w["unavailable"], spec)
    errors = _findings(text, cluster, "topology-spread-infeasible")
    pod_spec = _pod_spec(w)
    nodes = eligible_nodes("Deployment", pod_spec, cluster)
    if not nodes:
        return
    allowed = _spread_allowed(cluster, nodes, w, pod_spec)
    steady = any("Pending" in f.message and "rolling update" not in f.message for f in errors)
    stuck = any("rolling update" in f.message for f in errors)
    assert steady == (not placements_exist(len(nodes), w["replicas"], allowed)), [f.message for f in errors]
    if steady:
        return
    fp = deployment_fenceposts(w["surge"], w["unavailable"], w["replicas"])
    outcomes = [rollout_finishes(len(nodes), p, w["replicas"], fp.surge, fp.unavailable, allowed)
                for p in all_placements(len(nodes), w["replicas"], allowed)]
    if stuck:
        assert not any(outcomes), "rule says the rollout hangs, reference finished it"
    else:
        assert all(outcomes), "reference cannot finish the rollout, rule stayed silent"


@settings(max_examples=MORE_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(clusters(), rollouts(), st.integers(1, 3))
def test_symmetric_anti_affinity_at_the_rollout_peak_matches_the_reference(cluster, w, others):
    """gateway repels every tier=edge pod (its own and metrics'); metrics has no term of its own, so
    only the symmetric check (the running pods' terms, satisfyExistingPodsAntiAffinity) keeps a new
    gateway pod off a node with a metrics pod, and the other way round."""
    term = ("      affinity:\n        podAntiAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n"
            "          - labelSelector: {matchLabels: {tier: edge}}\n            topologyKey: kubernetes.io/hostname\n")
    toleration = _TOLERATION if w["tolerate"] else ""
    text = (_deployment("gateway", "{app: gateway, tier: edge}", w["replicas"], w["surge"], w["unavailable"],
                        toleration + term + "      containers: [{name: gateway, image: envoy}]\n")
            + "---\n" + _deployment("metrics", "{app: metrics, tier: edge}", others, 0, 1,
                                    toleration + "      containers: [{name: metrics, image: metrics}]\n"))
    path = os.path.join(_DIR, "more.yaml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    found = [f for f in engine_run([path], cluster=cluster, enabled={RULE}).findings if f.rule == RULE]
    errors = [f for f in found if f.severity == "error"]
    may_hang = any(f.severity == "warning" and "rolling update" in f.message for f in found)
    pod_spec = {"tolerations": [{"key": "dedicated", "operator": "Equal", "value": "db", "effect": "NoSchedule"}]} \
        if w["tolerate"] else {}
    nodes = eligible_nodes("Deployment", pod_spec, cluster)
    if not nodes:
        return
    import itertools

    # gateway pods each need a node without any tier=edge pod; metrics pods only a node without a
    # gateway pod (they have no term of their own and may share nodes)
    allowed = lambda index, occupied, fixed=(): index not in occupied and index not in fixed  # noqa: E731
    steady_placements_found = []
    for metrics in itertools.combinations_with_replacement(range(len(nodes)), others):
        for gateway in all_placements(len(nodes), w["replicas"], lambda i, occ, m=metrics: allowed(i, occ, m),
                                      limit=5):
            steady_placements_found.append((metrics, gateway))
    steady = any("Pending" in f.message and "rolling update" not in f.message for f in errors)
    stuck = any("rolling update" in f.message for f in errors)
    assert steady == (not steady_placements_found), [f.message for f in errors]
    if steady:
        return
    fp = deployment_fenceposts(w["surge"], w["unavailable"], w["replicas"])
    outcomes = [rollout_finishes(len(nodes), gateway, w["replicas"], fp.surge, fp.unavailable, allowed, metrics)
                for metrics, gateway in steady_placements_found[:40]]
    if stuck:
        assert not any(outcomes), "rule says the rollout hangs, reference finished it"
    elif may_hang:
        assert any(outcomes) and not all(outcomes), "rule says it depends on placement, reference disagrees"
    else:
        assert all(outcomes), "reference cannot finish the rollout, rule stayed silent"


@settings(max_examples=MORE_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(clusters(), rollouts(), st.integers(1, 2))
def test_host_ports_across_workloads_match_the_reference(cluster, w, others):
    """web and admin (Recreate, never surges) both claim host port 443: each node holds one of
    their pods at most, at steady state and while web rolls out."""
    toleration = _TOLERATION if w["tolerate"] else ""
    text = (_deployment("web", "{app: web}", w["replicas"], w["surge"], w["unavailable"],
                        toleration + "      containers: [{name: web, image: nginx, ports: "
                                     "[{containerPort: 8443, hostPort: 443}]}]\n")
            + "---\n" + "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: admin}\nspec:\n"
            f"  replicas: {others}\n  strategy: {{type: Recreate}}\n  selector: {{matchLabels: {{app: admin}}}}\n"
            "  template:\n    metadata: {labels: {app: admin}}\n    spec:\n" + toleration
            + "      containers: [{name: admin, image: admin, ports: [{containerPort: 443, hostPort: 443}]}]\n")
    errors = _findings(text, cluster, "host-port-conflict")
    pod_spec = {"tolerations": [{"key": "dedicated", "operator": "Equal", "value": "db", "effect": "NoSchedule"}]} \
        if w["tolerate"] else {}
    nodes = eligible_nodes("Deployment", pod_spec, cluster)
    if not nodes:
        return
    allowed = lambda index, occupied, fixed=(): index not in occupied and index not in fixed  # noqa: E731
    steady = any("Pending" in f.message for f in errors)
    stuck = any("never finishes" in f.message for f in errors)
    assert steady == (not placements_exist(len(nodes), w["replicas"] + others, allowed)), [f.message for f in errors]
    if steady:
        return
    fp = deployment_fenceposts(w["surge"], w["unavailable"], w["replicas"])
    outcomes = [rollout_finishes(len(nodes), placement[others:], w["replicas"], fp.surge, fp.unavailable, allowed,
                                 placement[:others])
                for placement in all_placements(len(nodes), w["replicas"] + others, allowed)]
    if stuck:
        assert not any(outcomes), "rule says the rollout hangs, reference finished it"
    else:
        assert all(outcomes), "reference cannot finish the rollout, rule stayed silent"
