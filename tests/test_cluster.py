"""The cluster model: uniform clusters, ClusterProfiles and Kubernetes Node objects."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

from k8slint.model.cluster import (
    Cluster,
    ClusterProfileError,
    Node,
    Taint,
    cluster_from_documents,
    cluster_from_profile,
    format_path,
    node_from_object,
    uniform_cluster,
)
from k8slint.resources import load_schema

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "clusters"
UNSCHEDULABLE = Taint("node.kubernetes.io/unschedulable", "", "NoSchedule")


def load_documents(name: str) -> list:
    return list(YAML(typ="safe").load_all((FIXTURES / name).read_text(encoding="utf-8")))


def profile(**fields) -> dict:
    return {"apiVersion": "k8slint.io/v1", "kind": "ClusterProfile", **fields}


# --- data model ----------------------------------------------------------------------------------


def test_taint_str_uses_kubectl_notation():
    assert str(Taint("dedicated", "web", "NoSchedule")) == "dedicated=web:NoSchedule"
    assert str(Taint("node-role.kubernetes.io/control-plane", "", "NoSchedule")) == "node-role.kubernetes.io/control-plane:NoSchedule"


def test_node_is_hashable_and_owns_its_labels():
    labels = {"a": "1"}
    first = Node("n1", labels, [Taint("k", "", "NoSchedule")])
    labels["a"] = "2"
    assert first.labels == {"a": "1"}
    assert isinstance(first.taints, tuple)
    assert {first, Node("n1", {"a": "1"}, (Taint("k", "", "NoSchedule"),))} == {first}


def test_pools_group_nodes_without_pool_by_name():
    cluster = Cluster((Node("a-1", {}, (), pool="a"), Node("x", {}, ()), Node("a-2", {}, (), pool="a")), "test")
    assert cluster.pools() == {"a": 2, "x": 1}
    assert [(c.pool, c.count) for c in cluster.classes] == [("a", 2), (None, 1)]  # a-1, a-2: one class


@pytest.mark.parametrize("parts, expected", [
    (("pools", 1, "taints", 0, "effect"), "pools[1].taints[0].effect"),
    (("nodes", 0, "labels", "nvidia.com/gpu.present"), 'nodes[0].labels["nvidia.com/gpu.present"]'),
    ((), ""),
    ((2, "kind"), "[2].kind"),
])
def test_format_path(parts, expected):
    assert format_path(parts) == expected


# --- uniform_cluster -----------------------------------------------------------------------------


def test_uniform_cluster():
    cluster = uniform_cluster(3)
    assert [n.name for n in cluster.nodes] == ["node-1", "node-2", "node-3"]
    assert cluster.nodes[0].labels == {
        "kubernetes.io/hostname": "node-1", "topology.kubernetes.io/zone": "zone-a",
        "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
    }
    assert all(n.taints == () for n in cluster.nodes)
    assert cluster.source == "--nodes 3 --zones 1"


def test_uniform_cluster_spreads_round_robin():
    cluster = uniform_cluster(5, zones=2)
    assert [n.labels["topology.kubernetes.io/zone"] for n in cluster.nodes] == ["zone-a", "zone-b", "zone-a", "zone-b", "zone-a"]
    assert cluster.source == "--nodes 5 --zones 2"
    assert uniform_cluster(28, zones=28).nodes[27].labels["topology.kubernetes.io/zone"] == "zone-ab"
    assert uniform_cluster(0).nodes == ()


@pytest.mark.parametrize("nodes, zones", [(-1, 1), (3, 0), (True, 1), ("3", 1)])
def test_uniform_cluster_rejects_bad_counts(nodes, zones):
    with pytest.raises(ValueError):
        uniform_cluster(nodes, zones)


# --- ClusterProfile ------------------------------------------------------------------------------


def test_three_nodes_fixture():
    cluster = cluster_from_documents(load_documents("three-nodes.yaml"), "cluster profile three-nodes.yaml")
    assert cluster.source == "cluster profile three-nodes.yaml"
    assert [n.name for n in cluster.nodes] == ["general-1", "general-2", "general-3"]
    assert [n.labels["topology.kubernetes.io/zone"] for n in cluster.nodes] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert cluster.nodes[1].labels == {
        "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": "general-2",
        "topology.kubernetes.io/zone": "eu-west-1b", "node.kubernetes.io/instance-type": "m5.large",
    }
    assert list(cluster.pools()) == ["general"]


def test_tainted_pools_fixture():
    cluster = cluster_from_documents(load_documents("tainted-pools.yaml"), "tainted-pools.yaml")
    assert cluster.pools() == {"general": 3, "gpu": 2, "spot": 2}
    pools = {}
    for node in cluster.nodes:
        pools.setdefault(node.pool, []).append(node)
    assert pools["gpu"][0].taints == (Taint("nvidia.com/gpu", "present", "NoSchedule"),)
    assert pools["gpu"][0].labels["nvidia.com/gpu.present"] == "true"
    assert pools["spot"][1].taints == (Taint("lifecycle", "spot", "NoExecute"),)
    assert {n.labels["topology.kubernetes.io/zone"] for n in pools["spot"]} == {"eu-west-1c"}
    # One class per pool and zone: general over 3 zones, gpu over 2, spot in 1.
    assert [(c.pool, c.count, c.labels["topology.kubernetes.io/zone"]) for c in cluster.classes] == [
        ("general", 1, "eu-west-1a"), ("general", 1, "eu-west-1b"), ("general", 1, "eu-west-1c"),
        ("gpu", 1, "eu-west-1a"), ("gpu", 1, "eu-west-1b"), ("spot", 2, "eu-west-1c")]


def test_explicit_nodes():
    cluster = cluster_from_profile(profile(
        pools=[{"name": "web", "count": 1}],
        nodes=[
            {"name": "gpu-1", "zone": "z1", "pool": "gpu", "labels": {"kubernetes.io/arch": "arm64"},
             "taints": [{"key": "nvidia.com/gpu", "effect": "NoSchedule"}]},
            {"name": "old-1", "unschedulable": True},
        ],
    ), "p.yaml")
    web, gpu, old = cluster.nodes
    assert "topology.kubernetes.io/zone" not in web.labels  # no zone given, none invented
    assert gpu.pool == "gpu" and gpu.labels["topology.kubernetes.io/zone"] == "z1"
    assert gpu.labels["kubernetes.io/arch"] == "arm64"  # labels override the kubelet defaults
    assert gpu.taints == (Taint("nvidia.com/gpu", "", "NoSchedule"),)
    assert old.taints == (UNSCHEDULABLE,) and old.pool is None


def test_zone_overrides_zone_label_and_hostname_is_the_name():
    cluster = cluster_from_profile(profile(pools=[{
        "name": "p", "count": 1, "zone": "z2",
        "labels": {"topology.kubernetes.io/zone": "z9", "kubernetes.io/hostname": "other"}}]), "p.yaml")
    assert cluster.nodes[0].labels["topology.kubernetes.io/zone"] == "z2"
    assert cluster.nodes[0].labels["kubernetes.io/hostname"] == "p-1"


def test_profile_pool_of_zero_nodes():
    assert cluster_from_profile(profile(pools=[{"name": "idle", "count": 0}]), "p.yaml").nodes == ()


def test_profile_input_is_not_modified():
    data = profile(pools=[{"name": "p", "count": 2, "zones": ["a", "b"], "labels": {"x": "y"}}])
    before = copy.deepcopy(data)
    cluster_from_profile(data, "p.yaml")
    assert data == before


PROFILE_ERRORS = [
    ("bad effect",
     profile(pools=[{"name": "a", "count": 1}, {"name": "b", "count": 1, "taints": [{"key": "k", "effect": "noSchedule"}]}]),
     "pools[1].taints[0].effect: 'noSchedule' is not one of ['NoSchedule', 'PreferNoSchedule', 'NoExecute']"),
    ("negative count", profile(pools=[{"name": "a", "count": -1}]), "pools[0].count: -1 is less than the minimum of 0"),
    ("count of the wrong type", profile(pools=[{"name": "a", "count": "3"}]), "pools[0].count: must be of type integer, not string"),
    ("unknown pool field", profile(pools=[{"name": "a", "count": 1, "zonez": ["a"]}]), "pools[0]: Additional properties are not allowed ('zonez' was unexpected)"),
    ("unknown top-level field", profile(pools=[], spec={}), "(top level): Additional properties are not allowed ('spec' was unexpected)"),
    ("zone and zones", profile(pools=[{"name": "a", "count": 1, "zone": "x", "zones": ["y"]}]), "pools[0]: set either `zone` or `zones`, not both"),
    ("neither pools nor nodes", profile(metadata={"name": "x"}), "(top level): a profile needs `pools`, `nodes` or both"),
    ("wrong apiVersion", {**profile(pools=[]), "apiVersion": "v1"}, "apiVersion: 'k8slint.io/v1' was expected"),
    ("unquoted label value", profile(nodes=[{"name": "n", "labels": {"nvidia.com/gpu.present": True}}]),
     'nodes[0].labels["nvidia.com/gpu.present"]: must be of type string, not boolean'),
    ("bad label key", profile(nodes=[{"name": "n", "labels": {"bad key": "x"}}]), "nodes[0].labels: 'bad key' is not a valid key"),
    ("missing count", profile(pools=[{"name": "a"}]), "pools[0]: 'count' is a required property"),
    ("uppercase pool name", profile(pools=[{"name": "GPU", "count": 1}]), "pools[0].name: 'GPU' is not a valid pool name"),
    ("not a mapping", ["pools"], "(top level): must be of type object, not array"),
    ("duplicate pool", profile(pools=[{"name": "a", "count": 1}, {"name": "a", "count": 2}]), "pools[1].name: duplicate pool name 'a'"),
    ("node name clash", profile(pools=[{"name": "web", "count": 2}], nodes=[{"name": "web-2"}]),
     "nodes[0].name: node name 'web-2' is already used by pools[0]"),
    ("duplicate taint", profile(nodes=[{"name": "n", "taints": [{"key": "k", "effect": "NoSchedule"}, {"key": "k", "value": "v", "effect": "NoSchedule"}]}]),
     "nodes[0].taints[1]: duplicate taint k:NoSchedule"),
]


@pytest.mark.parametrize("data, message", [case[1:] for case in PROFILE_ERRORS], ids=[case[0] for case in PROFILE_ERRORS])
def test_profile_errors_name_the_path(data, message):
    with pytest.raises(ClusterProfileError) as caught:
        cluster_from_profile(data, "cluster profile prod.yaml")
    assert f"cluster profile prod.yaml: {message}" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_profile_errors_are_all_reported():
    data = profile(pools=[{"name": "a", "count": -1, "taints": [{"key": "k", "effect": "noSchedule"}]}])
    message = str(pytest.raises(ClusterProfileError, cluster_from_profile, data, "p.yaml").value)
    assert "pools[0].count" in message and "pools[0].taints[0].effect" in message


def test_schema_is_valid_and_documented():
    schema = load_schema("cluster.schema.json")
    Draft202012Validator.check_schema(schema)
    for example in schema["examples"]:
        assert not list(Draft202012Validator(schema).iter_errors(example))
        cluster_from_profile(example, "example")

    def walk(node, path):
        if isinstance(node, dict):
            if node.get("type") == "object":
                assert "additionalProperties" in node, path
            for name, prop in node.get("properties", {}).items():
                assert "description" in prop, f"{path}.{name}"
            for key, value in node.items():
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{path}[{index}]")

    walk({key: value for key, value in schema.items() if key != "examples"}, "$")


# --- Node objects --------------------------------------------------------------------------------


def node_object(name="n1", labels=None, spec=None) -> dict:
    obj = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}}
    if labels is not None:
        obj["metadata"]["labels"] = labels
    if spec is not None:
        obj["spec"] = spec
    return obj


def test_node_from_object_unschedulable_becomes_a_taint():
    result = node_from_object(node_object(spec={"unschedulable": True, "taints": [{"key": "a", "value": "b", "effect": "NoExecute"}]}))
    assert result.taints == (Taint("a", "b", "NoExecute"), UNSCHEDULABLE)
    # The node lifecycle controller usually added the taint already: not duplicated.
    already = node_from_object(node_object(spec={"unschedulable": True, "taints": [
        {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule", "timeAdded": "2024-06-11T08:00:00Z"}]}))
    assert already.taints == (UNSCHEDULABLE,)
    assert node_from_object(node_object(spec={"unschedulable": False})).taints == ()


def test_node_from_object_labels():
    assert node_from_object(node_object()).labels == {"kubernetes.io/hostname": "n1"}
    kept = node_from_object(node_object(labels={"kubernetes.io/hostname": "host.example", "x": "y"}))
    assert kept.labels == {"kubernetes.io/hostname": "host.example", "x": "y"}
    assert node_from_object(node_object(labels={"cloud.google.com/gke-nodepool": "default-pool"})).pool == "default-pool"
    assert node_from_object(node_object()).pool is None


@pytest.mark.parametrize("obj, message", [
    (node_object(spec={"taints": [{"key": "k", "effect": "noSchedule"}]}), "spec.taints[0].effect: 'noSchedule' is not one of"),
    (node_object(spec={"taints": [{"effect": "NoSchedule"}]}), "spec.taints[0].key: a taint needs a non-empty string key"),
    (node_object(spec={"taints": {"key": "k"}}), "spec.taints: must be a list, not object"),
    (node_object(labels={"gpu": True}), "metadata.labels.gpu: labels must map strings to strings"),
    ({"kind": "Node", "metadata": {}}, "metadata.name: a Node needs a non-empty name"),
    ("node", "(top level): a Node must be a mapping"),
])
def test_node_from_object_errors(obj, message):
    with pytest.raises(ClusterProfileError) as caught:
        node_from_object(obj)
    assert message in str(caught.value)


# --- cluster_from_documents ----------------------------------------------------------------------


def test_kubectl_get_nodes_fixture():
    cluster = cluster_from_documents(load_documents("kubectl-get-nodes.yaml"), "cluster file kubectl-get-nodes.yaml")
    assert [n.name for n in cluster.nodes] == ["cp-1", "worker-1", "worker-2"]
    control_plane = cluster.nodes[0]
    assert control_plane.taints == (Taint("node-role.kubernetes.io/control-plane", "", "NoSchedule"),)
    assert control_plane.labels["node-role.kubernetes.io/control-plane"] == ""
    assert [n.taints for n in cluster.nodes[1:]] == [(), ()]
    assert cluster.source == "cluster file kubectl-get-nodes.yaml"


def test_node_documents_and_node_lists():
    docs = [None, node_object("a"), {"apiVersion": "v1", "kind": "NodeList", "items": [{"metadata": {"name": "b"}}]}]
    assert [n.name for n in cluster_from_documents(docs, "nodes.yaml").nodes] == ["a", "b"]


@pytest.mark.parametrize("docs, message", [
    ([], "nodes.yaml: (top level): no documents"),
    ([None], "nodes.yaml: (top level): no documents"),
    ([{"apiVersion": "apps/v1", "kind": "Deployment"}], "nodes.yaml: kind: 'Deployment' does not describe a cluster"),
    ([node_object("a"), {"apiVersion": "apps/v1", "kind": "Deployment"}], "nodes.yaml: documents[1].kind: 'Deployment'"),
    ([{"apiVersion": "v1", "kind": "List", "items": [node_object("a"), {"apiVersion": "v1", "kind": "Pod"}]}],
     "nodes.yaml: items[1].kind: expected a Node, not 'Pod'"),
    ([{"apiVersion": "v1", "kind": "List", "items": []}], "nodes.yaml: (top level): contains no Node objects"),
    ([node_object("a"), profile(pools=[])], "nodes.yaml: documents[1]: a ClusterProfile must be the only document"),
    ([node_object("a"), node_object("a")], "nodes.yaml: documents[1].metadata.name: node name 'a' is already used by documents[0]"),
    ([{"apiVersion": "example.com/v1", "kind": "Node"}], "nodes.yaml: apiVersion: expected v1 for a Node"),
    (["just text"], "nodes.yaml: (top level): expected a Kubernetes object, not string"),
    ([profile(pools=[{"name": "a", "count": -1}])], "nodes.yaml: pools[0].count"),
])
def test_cluster_from_documents_errors(docs, message):
    with pytest.raises(ClusterProfileError) as caught:
        cluster_from_documents(docs, "nodes.yaml")
    assert message in str(caught.value)
