"""Hostile repositories that make k8slint's own work explode (issue 16, points 3 and 4): a dense web
of mutual pod anti-affinity (an NP-hard clique search) and absurd node counts. The inputs are
generated here and k8slint runs in a new process under a memory limit (RLIMIT_AS) and a timeout,
so that a regression fails its test instead of hanging or swapping the whole suite."""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys

import pytest

from conftest import ROOT, engine_run

MEMORY_LIMIT = 1024 * 1024 * 1024  # bytes of address space for one k8slint process
TIMEOUT = 90  # seconds, on a shared 2-core machine; the bounded work takes a few


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def k8slint(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "k8slint", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, timeout=TIMEOUT, text=True, preexec_fn=_limit_memory)


def dense_anti_affinity(count: int, density: float, seed: int = 7) -> str:
    """``count`` Deployments; each pair repels the other with probability ``density`` (a required
    anti-affinity term of the lower-numbered one selects the label the other alone carries)."""
    rng = random.Random(seed)
    docs = []
    for i in range(count):
        others = [j for j in range(i + 1, count) if rng.random() < density]
        terms = "".join(f"""
          - topologyKey: kubernetes.io/hostname
            labelSelector: {{matchLabels: {{member-{j}: "yes"}}}}""" for j in others)
        affinity = f"""
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:{terms}""" if others else ""
        docs.append(f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: w-{i}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: w-{i}}}}}
  template:
    metadata: {{labels: {{app: w-{i}, member-{i}: "yes"}}}}
    spec:{affinity}
      containers:
      - {{name: app, image: "nginx:1.27"}}
""")
    return "---\n".join(docs)


@pytest.mark.parametrize("count, density", [(150, 0.9), (200, 0.5)])
def test_dense_mutual_anti_affinity_is_bounded(tmp_path, count, density):
    (tmp_path / "dense.yaml").write_text(dense_anti_affinity(count, density), encoding="utf-8")
    result = k8slint("lint", "--format", "json", "--nodes", "3", "dense.yaml", cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report = json.loads(result.stdout)
    groups = [f for f in report["findings"] if f["rule"] == "anti-affinity-infeasible"
              and "keep" in f["message"] and "apart from each other" in f["message"]]
    assert groups, "a group needing more than 3 nodes is reported"
    # the lower bound found is a real clique: it needs more nodes than the 3 the cluster has
    assert all(f["severity"] == "error" for f in groups)
    # where the search stopped at its work budget, a note says so and the findings claim only the
    # lower bound ("at least"); where it did not, no note and exact numbers
    budget_notes = [n for n in report["notes"] if n.get("key") == "work-budget"]
    assert len(budget_notes) <= 1
    assert all(("at least" in f["message"]) == bool(budget_notes) for f in groups)


def test_disabling_anti_affinity_infeasible_skips_the_clique_search(tmp_path, monkeypatch):
    from k8slint.model import cliques

    (tmp_path / "dense.yaml").write_text(dense_anti_affinity(20, 0.8), encoding="utf-8")
    calls = []
    original = cliques.heaviest_clique
    monkeypatch.setattr(cliques, "heaviest_clique", lambda *a, **k: calls.append(1) or original(*a, **k))
    ids = {"anti-affinity-invalid-term", "anti-affinity-no-effect"}
    engine_run([tmp_path / "dense.yaml"], enabled=ids)
    assert not calls
    result = engine_run([tmp_path / "dense.yaml"], enabled=ids | {"anti-affinity-infeasible"})
    assert calls and any("apart from each other" in f.message for f in result.findings)


def test_node_verdicts_are_computed_once_per_placement_and_node_class():
    from k8slint.model import scheduling
    from k8slint.model.cluster import Cluster, Node, Taint

    gpu = Taint("nvidia.com/gpu", "present", "NoSchedule")
    nodes = [Node(f"general-{i}", {"kubernetes.io/hostname": f"general-{i}", "pool": "general"}, ())
             for i in range(300)]
    nodes += [Node(f"gpu-{i}", {"kubernetes.io/hostname": f"gpu-{i}", "pool": "gpu"}, (gpu,)) for i in range(50)]
    cluster = Cluster(tuple(nodes), "test")
    assert [c.count for c in cluster.classes] == [300, 50]  # Node objects are grouped into classes on load
    calls = []
    original = scheduling._node_verdicts
    scheduling._node_verdicts = lambda *a: calls.append(1) or original(*a)
    try:
        first = scheduling.node_verdicts("Deployment", {"containers": [{"name": "a"}]}, cluster)
        again = scheduling.node_verdicts("Deployment", {"containers": [{"name": "b"}]}, cluster)
        tolerant = scheduling.node_verdicts(
            "Deployment", {"tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}]}, cluster)
        pinned = scheduling.node_verdicts("Deployment", {"nodeSelector": {"kubernetes.io/hostname": "gpu-7"}},
                                          cluster)
    finally:
        scheduling._node_verdicts = original
    assert first is again and len(calls) == 3
    assert len(first) == 2  # one verdict per class, not per node
    assert first.eligible.count == 300 and tolerant.eligible.count == 350
    assert pinned.eligible.names() == []  # gpu-7 is tainted
    assert [(v.reason, v.count) for v in pinned] == [  # in node order: a named node is judged apart
        ("nodeSelector", 300), ("nodeSelector", 49), ("taint nvidia.com/gpu=present:NoSchedule not tolerated", 1)]
    assert pinned[2].nodes.sample.name == "gpu-7"


ABSURD = 2**31  # more nodes than Kubernetes can count (int32): refused


@pytest.mark.parametrize("args, config, message", [
    (["--nodes", ABSURD], None, f"--nodes {ABSURD}: at most 2,147,483,647 nodes"),
    (["--nodes", "9" * 5000], None, "Invalid value for '--nodes': 999999999999...(5000 characters) is not a count"),
    (["--nodes", "3", "--zones", "9" * 5000], None, "Invalid value for '--zones': 999999999999...(5000 characters)"),
    (["--nodes", "3", "--zones", "100000000"], None, "--zones 100000000: at most 1,000 zones"),
    ([], f"nodes: {ABSURD}\n", "at most 2,147,483,647 nodes"),
    ([], "cluster:\n  apiVersion: k8slint.io/v1\n  kind: ClusterProfile\n  pools:\n"
         f"  - {{name: big, count: {ABSURD}}}\n", f"pools[0].count: {ABSURD}: the profile would have more than"),
    ([], "cluster:\n  apiVersion: k8slint.io/v1\n  kind: ClusterProfile\n  pools:\n"
         f"  - {{name: a, count: {2**30}}}\n  - {{name: b, count: {2**30}}}\n", "pools[1].count"),
    ([], "nodes: 2.0\n", "nodes: 2.0 is not an integer"),
    ([], "cluster:\n  apiVersion: k8slint.io/v1\n  kind: ClusterProfile\n  pools:\n"
         "  - {name: a, count: 2.0}\n", "pools[0].count: 2.0 is not an integer"),
    ([], "cluster:\n  apiVersion: k8slint.io/v1\n  kind: ClusterProfile\n  pools:\n"
         "  - {name: a, count: 1e9}\n", "pools[0].count: 1000000000.0 is not an integer"),
])
def test_absurd_node_counts_are_a_usage_error_not_gigabytes(tmp_path, args, config, message):
    (tmp_path / "deploy.yaml").write_text(dense_anti_affinity(2, 1.0), encoding="utf-8")
    if config is not None:
        (tmp_path / ".k8slint.yaml").write_text(config, encoding="utf-8")
    result = k8slint("lint", *args, "deploy.yaml", cwd=tmp_path)
    assert result.returncode == 2, (result.stdout[-1000:], result.stderr[-1000:])
    assert "Traceback" not in result.stderr and message in result.stderr, result.stderr
    assert len(result.stderr) < 600  # a 5,000-digit value is not echoed whole


BILLION = 1_000_000_000


def _billion_node_workloads() -> str:
    """Workloads whose findings depend on the node count: anti-affinity on hostname (feasible with a
    billion nodes), on zone (3 zones), a host port, a topology spread, and a pod bound by nodeName
    to a node of the pool and to one past its end."""
    return """apiVersion: apps/v1
kind: Deployment
metadata: {name: spread-hosts}
spec:
  replicas: 500
  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  selector: {matchLabels: {app: hosts}}
  template:
    metadata: {labels: {app: hosts}}
    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: hosts}}}
      containers: [{name: app, image: "nginx:1.27", ports: [{containerPort: 80, hostPort: 80}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: spread-zones}
spec:
  replicas: 4
  selector: {matchLabels: {app: zones}}
  template:
    metadata: {labels: {app: zones}}
    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - {topologyKey: topology.kubernetes.io/zone, labelSelector: {matchLabels: {app: zones}}}
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule,
         labelSelector: {matchLabels: {app: zones}}}
      containers: [{name: app, image: "nginx:1.27"}]
---
apiVersion: v1
kind: Pod
metadata: {name: pinned-inside}
spec:
  nodeName: NODE-999999999
  containers: [{name: app, image: "nginx:1.27"}]
---
apiVersion: v1
kind: Pod
metadata: {name: pinned-outside}
spec:
  nodeName: NODE-1000000001
  nodeSelector: {kubernetes.io/hostname: NODE-1000000001}
  containers: [{name: app, image: "nginx:1.27"}]
"""


def _by_rule(report) -> dict:
    found: dict = {}
    for finding in report["findings"]:
        found.setdefault(finding["rule"], []).append(finding["message"])
    return found


@pytest.mark.parametrize("how", ["--nodes", "config nodes", "profile count"])
def test_a_billion_nodes_are_counted_not_made(tmp_path, how):
    """Issue 16 point 4: pools are classes with a count. A billion nodes cost what three do (the
    process runs under the memory limit and the timeout), and the findings are the ones a billion
    nodes give: 500 pods that repel each other per hostname fit, 4 per zone do not fit 3 zones."""
    args: list = []
    prefix = "node" if how != "profile count" else "big"
    (tmp_path / "deploy.yaml").write_text(_billion_node_workloads().replace("NODE", prefix), encoding="utf-8")
    if how == "--nodes":
        args = ["--nodes", BILLION, "--zones", 3]
    elif how == "config nodes":
        (tmp_path / ".k8slint.yaml").write_text(f"nodes: {BILLION}\nzones: 3\n", encoding="utf-8")
    else:
        (tmp_path / ".k8slint.yaml").write_text(
            "cluster:\n  apiVersion: k8slint.io/v1\n  kind: ClusterProfile\n  pools:\n"
            f"  - {{name: big, count: {BILLION}, zones: [eu-1a, eu-1b, eu-1c]}}\n", encoding="utf-8")
    result = k8slint("lint", "--format", "json", *args, "deploy.yaml", cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    found = _by_rule(json.loads(result.stdout))
    [zones] = found["anti-affinity-infeasible"]
    assert f"4 pods (replicas 4) need 4 zones but the {BILLION} eligible nodes span 3 zones: 1 pod stays " \
           f"Pending forever" in zones, zones
    assert "host-port-conflict" not in found  # 500 pods, a billion nodes free of port 80
    assert "topology-spread-infeasible" not in found
    if how == "profile count":  # labels known: nodeName is checked against the pool's names
        [outside] = found["no-eligible-nodes"]
        assert f"(cluster profile in .k8slint.yaml, {BILLION} nodes)" in outside or f"{BILLION} nodes" in outside
        assert "big-1000000001" in outside and "not a node of the cluster" in outside
    else:
        assert "no-eligible-nodes" not in found  # --nodes: placeholder nodes, labels not judged


def _deployment(name: str, replicas: int, spec: str) -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
{spec}      containers: [{{name: app, image: "nginx:1.27"{", ports: [{containerPort: 80, hostPort: 80}]" if "port" in name else ""}}}]
"""


_SELF_APART = """      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: NAME}}}
"""

NODE_READING_WORKLOADS = "---\n".join([
    _deployment("apart", 6, "      nodeSelector: {disk: ssd}\n" + _SELF_APART.replace("NAME", "apart")),
    _deployment("pinned", 2, "      nodeSelector: {kubernetes.io/hostname: web-3}\n"
                + _SELF_APART.replace("NAME", "pinned")),
    _deployment("nvme", 1, "      nodeSelector: {disk: nvme}\n"),
    _deployment("port", 6, ""),
    _deployment("spread", 6, "      topologySpreadConstraints:\n      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, "
                "whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: spread}}}\n"),
    _deployment("wrong-effect", 1, "      tolerations: [{key: gpu, value: 'yes', effect: NoExecute}]\n"
                "      nodeSelector: {gpu: 'yes'}\n"),
    _deployment("far", 1, "      nodeName: web-9\n"),
    _deployment("avoid", 3, "      affinity:\n        nodeAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n"
                "            nodeSelectorTerms:\n            - matchExpressions:\n"
                "              - {key: kubernetes.io/hostname, operator: NotIn, values: [web-1, web-2, web-4, gpu-1]}\n"
                + _SELF_APART.replace("NAME", "avoid").replace("      affinity:\n", "")),
])


def test_node_classes_give_the_findings_of_the_same_nodes_listed_one_by_one(tmp_path):
    """Differential: pools by count and the same nodes as Node objects (grouped into classes on
    load from a List) give the same findings, for every rule that reads nodes."""
    from k8slint.config import read_yaml_file
    from k8slint.model.cluster import cluster_from_documents

    profile = (
        "apiVersion: k8slint.io/v1\nkind: ClusterProfile\npools:\n"
        "- {name: web, count: 5, zones: [a, b], labels: {disk: ssd, cloud.google.com/gke-nodepool: web}}\n"
        "- {name: gpu, count: 2, zone: a, labels: {gpu: 'yes', cloud.google.com/gke-nodepool: gpu},"
        " taints: [{key: gpu, value: 'yes', effect: NoSchedule}]}\n"
        "nodes:\n- {name: cp, labels: {node-role.kubernetes.io/control-plane: ''},"
        " taints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]}\n")
    (tmp_path / "profile.yaml").write_text(profile, encoding="utf-8")
    cluster = cluster_from_documents(read_yaml_file(tmp_path / "profile.yaml", "cluster"), "x")
    assert len(cluster.classes) == 4  # web in 2 zones, gpu, cp
    items = [{"apiVersion": "v1", "kind": "Node", "metadata": {"name": node.name, "labels": node.labels},
              "spec": {"taints": [{"key": t.key, "value": t.value, "effect": t.effect} for t in node.taints]}}
             for node in cluster.nodes]
    (tmp_path / "nodes.yaml").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}),
                                         encoding="utf-8")
    (tmp_path / "deploy.yaml").write_text(NODE_READING_WORKLOADS, encoding="utf-8")
    by_pool = k8slint("lint", "--format", "json", "--cluster", "profile.yaml", "deploy.yaml", cwd=tmp_path)
    by_node = k8slint("lint", "--format", "json", "--cluster", "nodes.yaml", "deploy.yaml", cwd=tmp_path)
    assert by_pool.returncode == by_node.returncode == 1, (by_pool.stderr, by_node.stderr)

    def findings(result, source):
        return [(f["rule"], f["line"], f["column"], f["message"].replace(source, "CLUSTER"))
                for f in json.loads(result.stdout)["findings"]]

    pooled = findings(by_pool, "cluster profile profile.yaml")
    assert pooled == findings(by_node, "cluster profile nodes.yaml")
    messages = {rule: [m for r, _, _, m in pooled if r == rule] for rule, _, _, _ in pooled}
    assert {"anti-affinity-infeasible", "no-eligible-nodes", "host-port-conflict", "topology-spread-infeasible",
            "toleration-effect-mismatch"} <= set(messages), messages
    text = "\n".join(m for found in messages.values() for m in found)
    for expected in (
            "6 pods (replicas 6) need 6 nodes but 5 nodes are eligible (3 of 8 excluded: 3 by nodeSelector)",
            "2 pods (replicas 2) need 2 nodes but 1 node is eligible (7 of 8 excluded: 7 by nodeSelector)",
            "pool web (5 nodes), pool gpu (2 nodes), node cp lack the label disk=nvme",
            "6 pods (replicas 6) need 6 nodes but 5 nodes are eligible (CLUSTER): 1 pod stays Pending",
            "(gpu-1, gpu-2, cp: nodeAffinityPolicy Honor, nodeTaintsPolicy Ignore)",
            "matches taint gpu=yes:NoSchedule on pool gpu (2 nodes) by key and value but not by effect",
            "spec.nodeName binds it to 'web-9', which is not a node of the cluster",
            "3 pods (replicas 3) need 3 nodes but 2 nodes are eligible (6 of 8 excluded: 4 by node affinity, "
            "1 by taint gpu=yes:NoSchedule not tolerated, 1 by taint node-role.kubernetes.io/control-plane:NoSchedule",
            "the scheduler also counts 3 nodes where none of its pods can run (gpu-1, gpu-2, cp:",
            "pool web (5 nodes), node cp lack the label gpu=yes (nodeSelector); pool gpu (2 nodes) have taint "
            "gpu=yes:NoSchedule not tolerated (tolerations[0] matches it but has effect NoExecute)",
    ):
        assert expected in text, (expected, text)




def test_no_rule_or_model_code_lists_a_clusters_nodes_one_by_one():
    """Cluster.nodes, Cluster.pools() and NodeSet.nodes() list nodes one by one (for tests and
    references): code that runs on a user's cluster counts per class (NodeSet, domains,
    select_nodes) instead."""
    import re

    pattern = re.compile(r"cluster\.nodes\b|\.nodes\(\)|\.pools\(\)|\beligible_nodes\(")
    offenders = []
    for path in sorted((ROOT / "k8slint").rglob("*.py")):
        if path.name == "cluster.py" and path.parent.name == "model":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if pattern.search(code) and "def " not in code and '"""' not in code:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    # eligible_nodes() itself, the materialising helper for tests, is the one allowed use
    allowed = "return node_verdicts(kind, pod_spec, cluster).eligible.nodes()"
    assert [o for o in offenders if not o.endswith(allowed)] == [], offenders
