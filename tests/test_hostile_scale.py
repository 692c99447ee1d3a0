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
    unsettled = [f for f in groups if "work budget ran out" in f["message"]]
    for finding in unsettled:
        assert "at least" in finding["message"] and "at most" in finding["message"]


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
