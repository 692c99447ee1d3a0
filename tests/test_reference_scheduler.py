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
