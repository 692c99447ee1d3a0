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
    assert len(scheduling.node_classes(cluster)) == 2
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
    assert len(first.eligible) == 300 and len(tolerant.eligible) == 350
    assert [n.name for n in pinned.eligible] == []  # gpu-7 is tainted
    assert {v.reason for v in pinned if v.node.name == "general-3"} == {"nodeSelector"}
    assert [v.reason for v in pinned if v.node.name == "gpu-7"] == ["taint nvidia.com/gpu=present:NoSchedule not tolerated"]


@pytest.mark.parametrize("args, config, message", [
    (["--nodes", "1000000000"], None, "--nodes 1000000000: at most 50,000 nodes"),
    (["--nodes", "3", "--zones", "100000000"], None, "--zones 100000000: at most 1,000 zones"),
    ([], "nodes: 1000000000\n", "at most 50,000 nodes"),
    ([], "cluster:\n  apiVersion: k8slint.io/v1\n  kind: ClusterProfile\n  pools:\n"
         "  - {name: big, count: 1000000000}\n", "pools[0].count: 1000000000: the profile would have more than"),
    ([], "cluster:\n  apiVersion: k8slint.io/v1\n  kind: ClusterProfile\n  pools:\n"
         "  - {name: a, count: 40000}\n  - {name: b, count: 40000}\n", "pools[1].count"),
])
def test_absurd_node_counts_are_a_usage_error_not_gigabytes(tmp_path, args, config, message):
    (tmp_path / "deploy.yaml").write_text(dense_anti_affinity(2, 1.0), encoding="utf-8")
    if config is not None:
        (tmp_path / ".k8slint.yaml").write_text(config, encoding="utf-8")
    result = k8slint("lint", *args, "deploy.yaml", cwd=tmp_path)
    assert result.returncode == 2, (result.stdout[-1000:], result.stderr[-1000:])
    assert "Traceback" not in result.stderr and message in result.stderr, result.stderr


def test_the_largest_modelled_cluster_stays_within_memory_and_time(tmp_path):
    (tmp_path / "deploy.yaml").write_text(dense_anti_affinity(40, 0.3), encoding="utf-8")
    result = k8slint("lint", "--format", "json", "--nodes", "50000", "--zones", "1000", "deploy.yaml", cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    assert json.loads(result.stdout)["summary"]
