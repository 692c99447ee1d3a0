"""The run's target Kubernetes release: the feature-gate table and the rules whose verdict follows it."""

from __future__ import annotations

import pytest

from conftest import engine_run
from k8slint.model.versions import FEATURE_GATES, NEWEST, OLDEST, gate_state

STATEFULSET = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 3
  selector: {matchLabels: {app: db}}
  updateStrategy:
    rollingUpdate: {maxUnavailable: 3}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: db
        image: postgres:16
        readinessProbe: {tcpSocket: {port: 5432}}
"""


@pytest.mark.parametrize("gate,version,stage,default", [
    # kubernetes/kubernetes pkg/features/kube_features.go, defaultVersionedKubernetesFeatureGates
    ("MaxUnavailableStatefulSet", (1, 23), None, False),
    ("MaxUnavailableStatefulSet", (1, 24), "alpha", False),
    ("MaxUnavailableStatefulSet", (1, 34), "alpha", False),
    ("MaxUnavailableStatefulSet", (1, 35), "beta", True),
    ("SidecarContainers", (1, 28), "alpha", False),
    ("SidecarContainers", (1, 29), "beta", True),
    ("SidecarContainers", (1, 33), "GA", True),
    ("MatchLabelKeysInPodAffinity", (1, 30), "alpha", False),
    ("MatchLabelKeysInPodAffinity", (1, 31), "beta", True),
    ("MinDomainsInPodTopologySpread", (1, 25), "beta", False),
    ("MinDomainsInPodTopologySpread", (1, 27), "beta", True),
    ("PDBUnhealthyPodEvictionPolicy", (1, 26), "alpha", False),
    ("PDBUnhealthyPodEvictionPolicy", (1, 27), "beta", True),
    ("TaintTolerationComparisonOperators", (1, 35), "alpha", False),
    ("PodIndexLabel", (1, 27), None, False),
    ("PodIndexLabel", (1, 28), "beta", True),
])
def test_gate_states(gate, version, stage, default):
    state = gate_state(gate, version)
    assert (state.stage, state.default) == (stage, default)


def test_gate_table_is_ordered_and_within_known_releases():
    for gate, entries in FEATURE_GATES.items():
        releases = [since for since, _, _ in entries]
        assert releases == sorted(releases) and len(set(releases)) == len(releases), gate
        assert all(OLDEST <= since <= NEWEST for since in releases), gate


@pytest.mark.parametrize("version,rules", [
    # maxUnavailable 3 of 3: on by default in 1.35, the controller may delete every pod at once
    ((1, 35), ["unsafe-rolling-update"]),
    # off by default in 1.34: the API server drops it, the controller updates one pod at a time
    ((1, 34), ["feature-gated-field"]),
])
def test_statefulset_max_unavailable_follows_the_gate(write, version, rules):
    result = engine_run([write("s.yaml", STATEFULSET)], kubernetes_version=version,
                        enabled={"unsafe-rolling-update", "feature-gated-field"})
    got = [f for f in result.findings if f.path.endswith("maxUnavailable")]
    assert [f.rule for f in got] == rules
    if version == (1, 34):
        assert got[0].message.startswith("updateStrategy.rollingUpdate.maxUnavailable needs feature gate "
                                         "MaxUnavailableStatefulSet (alpha, off by default in Kubernetes 1.34)")
        assert got[0].severity == "warning"
    else:
        assert "MaxUnavailableStatefulSet (beta, on by default in Kubernetes 1.35)" in got[0].message


@pytest.mark.parametrize("version,fires", [((1, 31), False), ((1, 30), True)])
def test_match_label_keys_in_pod_affinity_follow_the_gate(version, fires):
    """matchLabelKeys: [pod-template-hash] lets old and new pods share a node during a rollout; before
    MatchLabelKeysInPodAffinity is on by default (1.31) the API server drops it and the surge pod of
    replicas 2 + maxSurge 1 finds no third node."""
    from conftest import FIXTURES
    from k8slint.model.cluster import uniform_cluster

    path = FIXTURES / "rules" / "anti-affinity-nodes-2" / "near-miss" / "match-label-keys.yaml"
    result = engine_run([path], cluster=uniform_cluster(2, 1), kubernetes_version=version,
                        enabled={"anti-affinity-infeasible"})
    found = [f for f in result.findings if f.rule == "anti-affinity-infeasible"]
    assert bool(found) == fires
    if fires:
        assert "during a rolling update" in found[0].message and found[0].severity == "error"


@pytest.mark.parametrize("version,fires", [((1, 27), True), ((1, 26), False)])
def test_min_domains_follows_its_gate(version, fires):
    """minDomains 5 with 3 zones keeps the 4th pod Pending once MinDomainsInPodTopologySpread is on by
    default (1.27); in 1.26 the API server drops the field and 3 zones take any number of pods."""
    from conftest import FIXTURES
    from k8slint.config import read_yaml_file
    from k8slint.model.cluster import cluster_from_documents

    family = FIXTURES / "rules" / "topology-spread"
    cluster = cluster_from_documents(read_yaml_file(family / "cluster.yaml", "cluster profile"), "spread")
    result = engine_run([family / "fire" / "min-domains.yaml"], cluster=cluster, kubernetes_version=version,
                        enabled={"topology-spread-infeasible"})
    assert bool(result.findings) == fires
    if fires:
        assert "minDomains 5 but only 3 zones counted" in result.findings[0].message
