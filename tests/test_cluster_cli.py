"""The cluster options end to end: --cluster (profile, `kubectl get nodes -o yaml`), Node objects
among the linted files, --nodes/--zones, the config's cluster/nodes/zones, and bad profiles."""

from __future__ import annotations

import json

import pytest

from conftest import FIXTURES, cli

SEED = FIXTURES / "examples" / "seed-000-anti-affinity.yaml"
CLUSTERS = FIXTURES / "clusters"
RULE = "anti-affinity-infeasible"


def anti_affinity(result) -> list[dict]:
    report = json.loads(result.stdout)
    return [f for f in report["findings"] if f["rule"] == RULE]


def lint(*args, config=None):
    extra = ["--config", config] if config else []
    return cli("lint", "--format", "json", *extra, *args)


@pytest.fixture(autouse=True)
def no_config(tmp_path, monkeypatch):
    """Run from an empty directory so that no .k8slint.yaml of the checkout is found."""
    monkeypatch.chdir(tmp_path)


def test_without_cluster_information_the_counts_are_info():
    result = lint(SEED)
    assert result.exit_code == 0
    [found] = anti_affinity(result)
    assert found["severity"] == "info" and "3 nodes during a rolling update" in found["message"]


@pytest.mark.parametrize("args,exit_code,severity", [
    (["--nodes", "1"], 1, "error"),
    (["--nodes", "2"], 1, "error"),
    (["--nodes", "3"], 0, None),
    (["--nodes", "2", "--zones", "2"], 1, "error"),
    (["--cluster", CLUSTERS / "three-nodes.yaml"], 0, None),
    (["--cluster", CLUSTERS / "kubectl-get-nodes.yaml"], 1, "error"),
])
def test_cluster_options(args, exit_code, severity):
    result = lint(*args, SEED)
    assert result.exit_code == exit_code, result.output
    found = anti_affinity(result)
    assert [f["severity"] for f in found] == ([severity] if severity else [])


def test_kubectl_get_nodes_output_excludes_the_tainted_control_plane():
    [found] = anti_affinity(lint("--cluster", CLUSTERS / "kubectl-get-nodes.yaml", SEED))
    assert "2 nodes are eligible (1 of 3 excluded: 1 by taint node-role.kubernetes.io/control-plane:NoSchedule" \
           in found["message"]


def test_node_objects_among_the_linted_files(write):
    nodes = write("nodes.yaml", "".join(
        f"---\napiVersion: v1\nkind: Node\nmetadata:\n  name: worker-{i}\n" for i in (1, 2)))
    result = lint(SEED, nodes)
    assert result.exit_code == 1
    [found] = anti_affinity(result)
    assert "2 nodes are eligible" in found["message"]
    # --nodes wins over Node objects.
    assert anti_affinity(lint("--nodes", "3", SEED, nodes)) == []


def test_node_list_among_the_linted_files(write):
    listed = write("nodes.yaml", (CLUSTERS / "kubectl-get-nodes.yaml").read_text())
    [found] = anti_affinity(lint(SEED, listed))
    assert found["severity"] == "error"


def test_config_cluster_path_inline_and_nodes(write, tmp_path):
    write("nodes/kubectl-get-nodes.yaml", (CLUSTERS / "kubectl-get-nodes.yaml").read_text())
    config = write(".k8slint.yaml", f"cluster: {tmp_path / 'nodes' / 'kubectl-get-nodes.yaml'}\n")
    assert [f["severity"] for f in anti_affinity(lint(SEED))] == ["error"]  # found in the current directory
    relative = write("sub/.k8slint.yaml", "cluster: profiles/profile.yaml\n")
    write("sub/profiles/profile.yaml", (CLUSTERS / "three-nodes.yaml").read_text())
    assert anti_affinity(lint(SEED, config=relative)) == []
    # a cluster file outside the config's directory is refused (the config may come from a pull request)
    outside = write("sub/outside.yaml", "cluster: ../nodes/kubectl-get-nodes.yaml\n")
    result = cli("lint", "--config", outside, SEED)
    assert result.exit_code == 2 and "outside the configuration's directory" in result.stderr
    inline = write("inline.yaml", "cluster:\n  apiVersion: k8slint.io/v1\n  kind: ClusterProfile\n"
                                  "  pools: [{name: small, count: 1}]\n")
    [found] = anti_affinity(lint(SEED, config=inline))
    assert "1 node is eligible" in found["message"]
    counts = write("counts.yaml", "nodes: 4\nzones: 2\n")
    assert anti_affinity(lint(SEED, config=counts)) == []
    # Command-line options win over the file.
    assert [f["severity"] for f in anti_affinity(lint("--nodes", "2", SEED, config=config))] == ["error"]
    assert anti_affinity(lint("--cluster", CLUSTERS / "three-nodes.yaml", SEED, config=config)) == []


@pytest.mark.parametrize("profile,message", [
    ("apiVersion: k8slint.io/v1\nkind: ClusterProfile\npools:\n- {name: a, count: 2, colour: red}\n",
     "pools[0]: Additional properties are not allowed ('colour' was unexpected)"),
    ("apiVersion: k8slint.io/v1\nkind: ClusterProfile\npools:\n- name: a\n  count: 1\n"
     "  taints: [{key: x, effect: NoScheduled}]\n", "pools[0].taints[0].effect: 'NoScheduled' is not one of"),
    ("apiVersion: k8slint.io/v1\nkind: ClusterProfile\npools:\n- {name: a, count: -1}\n", "pools[0].count"),
    ("apiVersion: k8slint.io/v1\nkind: ClusterProfile\nmetadata: {name: x}\n", "needs `pools`, `nodes` or both"),
    ("apiVersion: k8slint.io/v1\nkind: ClusterProfile\npools: [{name: a, count: 1}]\nnodes: [{name: a-1}]\n",
     "node name 'a-1' is already used"),
    ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n", "does not describe a cluster"),
    ("apiVersion: v1\nkind: List\nitems: []\n", "contains no Node objects"),
    ("pools: [\n", "cluster.yaml:"),
])
def test_bad_profiles_exit_2_with_a_clear_message(write, profile, message):
    path = write("cluster.yaml", profile)
    result = lint("--cluster", path, SEED)
    assert result.exit_code == 2
    assert message in result.stderr, result.stderr
    config = write(".k8slint.yaml", f"cluster: {path}\n")
    result = lint(SEED, config=config)
    assert result.exit_code == 2 and message in result.stderr


def test_missing_profile_and_zones_without_nodes_exit_2(tmp_path):
    result = lint("--cluster", tmp_path / "missing.yaml", SEED)
    assert result.exit_code == 2 and "cannot read cluster profile" in result.stderr
    result = lint("--zones", "2", SEED)
    assert result.exit_code == 2 and "--zones needs --nodes" in result.stderr


def test_text_output_shows_the_cluster_verdict():
    result = cli("lint", "--nodes", "2", SEED)
    assert result.exit_code == 1
    assert "error anti-affinity-infeasible: required podAntiAffinity on kubernetes.io/hostname needs 3 nodes" \
           in result.stdout


def test_cluster_and_nodes_together_or_zero_nodes_are_usage_errors(tmp_path):
    manifest = tmp_path / "d.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    profile = tmp_path / "cluster.yaml"
    profile.write_text("nodes:\n- name: a\n")
    both = cli("lint", "--cluster", profile, "--nodes", "3", manifest)
    assert both.exit_code == 2
    assert "--cluster and --nodes both describe the cluster: give one of them" in both.stderr
    zero = cli("lint", "--nodes", "0", manifest)
    assert zero.exit_code == 2
    assert "Invalid value for '--nodes': 0 is not in the range x>=1" in zero.stderr
