"""no-eligible-nodes: one finding per pod template that no node may run, naming every cause, at
the field that excludes the most nodes; built on node_verdicts, the shared eligibility function."""

from __future__ import annotations

from conftest import FIXTURES, engine_run
from k8slint.model.cluster import Cluster, Node, Taint, cluster_from_documents, uniform_cluster
from k8slint.model.scheduling import eligible_nodes

RULE = "no-eligible-nodes"


def node(name, labels=None, taints=(), pool=None) -> Node:
    return Node(name, {"kubernetes.io/hostname": name, **(labels or {})}, tuple(taints), pool=pool)


CLUSTER = Cluster((
    node("web-1", {"pool": "web", "disktype": "hdd"}, pool="web"),
    node("web-2", {"pool": "web", "disktype": "hdd"}, pool="web"),
    node("gpu-1", {"pool": "gpu", "disktype": "ssd"}, [Taint("gpu", "true", "NoSchedule")], pool="gpu"),
    node("gpu-2", {"pool": "gpu", "disktype": "ssd"}, [Taint("gpu", "true", "NoSchedule")], pool="gpu"),
    node("edge-1", {"pool": "edge"}, [Taint("edge", "", "NoExecute")]),
), "test cluster")


def profile(name: str) -> Cluster:
    from k8slint.config import read_yaml_file

    path = FIXTURES / "clusters" / name
    return cluster_from_documents(read_yaml_file(path, "cluster profile"), f"cluster profile {name}")


def manifest(spec: str, kind: str = "Deployment") -> str:
    api = "v1" if kind == "Pod" else ("batch/v1" if kind == "Job" else "apps/v1")
    body = "\n".join("  " + line for line in spec.strip("\n").splitlines())
    if kind == "Pod":
        return f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n{body}\n  containers:\n  - {{name: app, image: 'busybox:1.36'}}\n"
    body = "\n".join("    " + line for line in body.splitlines())
    return f"""apiVersion: {api}
kind: {kind}
metadata:
  name: app
spec:
  selector:
    matchLabels: {{app: app}}
  template:
    metadata:
      labels: {{app: app}}
    spec:
{body}
      containers:
      - {{name: app, image: "busybox:1.36"}}
"""


def run(write, text, cluster=CLUSTER):
    path = write("manifest.yaml", text)
    result = engine_run([path], cluster=cluster)
    assert not result.errors, result.errors
    return [f for f in result.findings if f.rule == RULE]


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_one_finding_names_every_cause(write):
    text = manifest("nodeSelector:\n  disktype: ssd\n")
    [finding] = run(write, text)
    assert finding.severity == "error"
    assert finding.line == line_of(text, "disktype: ssd")
    # web-2 and edge-1 fail the nodeSelector; gpu-1/2 pass it but have an untolerated taint.
    assert "no node is eligible" in finding.message and "test cluster, 5 nodes" in finding.message
    assert "pool web (2 nodes), node edge-1 lack the label disktype=ssd (nodeSelector)" in finding.message
    assert "pool gpu (2 nodes) have taint gpu=true:NoSchedule not tolerated" in finding.message
    assert "stay Pending" in finding.message
    assert "Tolerate gpu:NoSchedule" in finding.hint


def test_tolerating_the_taint_makes_it_eligible(write):
    text = manifest("nodeSelector:\n  disktype: ssd\ntolerations:\n- {key: gpu, operator: Exists, effect: NoSchedule}\n")
    assert run(write, text) == []


def test_wrong_effect_is_named(write):
    text = manifest("nodeSelector:\n  pool: gpu\ntolerations:\n- {key: gpu, operator: Equal, value: 'true', effect: NoExecute}\n")
    [finding] = run(write, text)
    assert "tolerations[0] matches it but has effect NoExecute" in finding.message


def test_location_is_the_selector_entry_that_excludes_most(write):
    text = manifest("nodeSelector:\n  pool: web\n  disktype: ssd\n")
    [finding] = run(write, text)
    assert finding.line == line_of(text, "pool: web")
    assert "pool gpu (2 nodes), node edge-1 lack the label pool=web" in finding.message
    assert "pool web (2 nodes) lack the label disktype=ssd" in finding.message


def test_affinity_expression_location(write):
    text = manifest("""affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
      - matchExpressions:
        - {key: pool, operator: In, values: [web, gpu]}
        - {key: disktype, operator: In, values: [nvme]}
""")
    [finding] = run(write, text)
    assert finding.line == line_of(text, "values: [nvme]")
    assert "fail the required node affinity disktype In [nvme]" in finding.message


def test_several_terms_point_at_the_terms(write):
    text = manifest("""affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
      - matchExpressions:
        - {key: pool, operator: In, values: [db]}
      - matchExpressions:
        - {key: zone, operator: Gt, values: [a]}
""")
    [finding] = run(write, text)
    assert finding.line == line_of(text, "nodeSelectorTerms")
    assert "none of the 2 required node affinity terms" in finding.message
    assert "'a' is not an integer" in finding.message


def test_taints_alone(write):
    tainted = Cluster((node("a", taints=[Taint("team", "x", "NoSchedule")]),
                       node("b", taints=[Taint("team", "y", "NoExecute")])), "tainted cluster")
    text = manifest("tolerations:\n- {key: team, operator: Equal, value: x, effect: NoExecute}\n")
    [finding] = run(write, text, cluster=tainted)
    assert finding.line == line_of(text, "tolerations:")
    assert ("node a has taint team=x:NoSchedule not tolerated (tolerations[0] matches it but has effect "
            "NoExecute); node b has taint team=y:NoExecute not tolerated") in finding.message
    text = manifest("hostNetwork: false\n")
    [finding] = run(write, text, cluster=tainted)
    assert "node a has taint team=x:NoSchedule" in finding.message


def test_daemonset_is_a_warning(write):
    text = manifest("nodeSelector:\n  pool: db\n", kind="DaemonSet")
    [finding] = run(write, text)
    assert finding.severity == "warning" and "the DaemonSet runs on no node" in finding.message


def test_daemonset_tolerates_cordoned_nodes(write):
    cordoned = Cluster((node("a", taints=[Taint("node.kubernetes.io/unschedulable", "", "NoSchedule")]),), "c")
    assert run(write, manifest("hostNetwork: true\n", kind="DaemonSet"), cluster=cordoned) == []
    assert len(run(write, manifest("hostNetwork: true\n"), cluster=cordoned)) == 1


def test_node_name(write):
    text = manifest("nodeName: web-9\n", kind="Pod")
    [finding] = run(write, text)
    assert finding.line == line_of(text, "nodeName")
    assert "'web-9', which is not a node of the cluster" in finding.message
    assert "no kubelet ever runs its pods" in finding.message and "Pending" not in finding.message
    # Bound to an edge node whose NoExecute taint it does not tolerate: the kubelet refuses it, and
    # the pod fails (nodeName skips the scheduler: it never waits as Pending).
    [finding] = run(write, manifest("nodeName: edge-1\n", kind="Pod"))
    assert "edge:NoExecute not tolerated" in finding.message
    assert "the kubelet on edge-1 rejects its pods at admission: they fail (status Failed), they are not " \
           "Pending" in finding.message
    # The kubelet ignores NoSchedule taints: gpu-1 runs a pod bound to it.
    assert run(write, manifest("nodeName: gpu-1\n", kind="Pod")) == []


def test_job_and_cronjob(write):
    assert len(run(write, manifest("restartPolicy: Never\nnodeSelector: {pool: db}\n", kind="Job"))) == 1


def test_malformed_node_selector_is_left_to_other_rules(write):
    assert run(write, manifest("nodeSelector:\n  gpu: true\n")) == []


def test_silent_without_label_information(write):
    text = manifest("nodeSelector:\n  disktype: ssd\n")
    assert run(write, text, cluster=uniform_cluster(3, 2)) == []
    assert run(write, text, cluster=None) == []
    assert run(write, text, cluster=Cluster((), "empty profile")) == []


def test_agrees_with_the_shared_eligibility_function(write):
    specs = ["nodeSelector: {disktype: ssd}\n", "nodeSelector: {pool: edge}\n",
             "nodeSelector: {pool: edge}\ntolerations:\n- {key: edge, operator: Exists}\n", "hostNetwork: false\n"]
    for spec in specs:
        import yaml

        expected_empty = not eligible_nodes("Deployment", yaml.safe_load(spec), CLUSTER)
        assert bool(run(write, manifest(spec))) is expected_empty, spec


def test_cluster_profile(write):
    text = manifest("nodeSelector:\n  node.kubernetes.io/instance-type: p3.2xlarge\n")
    [finding] = run(write, text, cluster=profile("tainted-pools.yaml"))
    assert "pool general (3 nodes), pool spot (2 nodes) lack the label" in finding.message
    assert "pool gpu (2 nodes) have taint nvidia.com/gpu=present:NoSchedule not tolerated" in finding.message


def test_node_objects_among_the_linted_files(write):
    """Node objects found among the linted files become ctx.cluster (engine.run_set_rules)."""
    app = write("app.yaml", manifest("nodeSelector:\n  pool: db\n"))
    nodes = write("nodes.yaml", "apiVersion: v1\nkind: Node\nmetadata:\n  name: web-1\n  labels: {pool: web}\n")
    result = engine_run([app, nodes])
    [finding] = [f for f in result.findings if f.rule == RULE]
    assert finding.message.endswith("stay Pending forever") and "Node objects in the linted files" in finding.message
    assert "node web-1 lacks the label pool=db" in finding.message


def test_synthetic_nodes_assume_selectors_match(write):
    """--nodes N describes identical nodes whose labels are unknown: a nodeSelector on a custom
    label is not 'unsatisfiable', and the anti-affinity rule still counts the N nodes."""
    text = (FIXTURES / "examples" / "seed-000-anti-affinity.yaml").read_text().replace(
        "      affinity:\n", "      nodeSelector: {disktype: ssd}\n      affinity:\n")
    path = write("seed.yaml", text)
    result = engine_run([path], cluster=uniform_cluster(2))
    rules = {f.rule for f in result.findings}
    assert RULE not in rules
    assert any(f.rule == "anti-affinity-infeasible" and f.severity == "error"
               and "2 nodes are eligible" in f.message for f in result.findings)
    assert uniform_cluster(2).labels_known is False and CLUSTER.labels_known is True
