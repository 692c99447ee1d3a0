"""anti-affinity-infeasible, -invalid-term and -no-effect: the seed scenarios, strategies, HPAs,
clusters and cross-workload conflicts, plus the model helpers they rest on."""

from __future__ import annotations

import textwrap

import pytest

from conftest import FIXTURES, engine_run
from k8slint.model import affinity as aff
from k8slint.model.cluster import Cluster, Node, Taint, cluster_from_documents, uniform_cluster

INFEASIBLE = "anti-affinity-infeasible"
IDS = {INFEASIBLE, "anti-affinity-invalid-term", "anti-affinity-no-effect"}
SEED = FIXTURES / "examples" / "seed-000-anti-affinity.yaml"
PATCHED = FIXTURES / "rules" / "anti-affinity-no-cluster" / "fire" / "seed-000-patched.yaml"


def findings(paths, cluster=None):
    result = engine_run(paths, cluster=cluster)
    assert not result.errors, result.errors
    return [f for f in result.findings if f.rule in IDS]


def lint(write, text, cluster=None, name="m.yaml"):
    return findings([write(name, textwrap.dedent(text))], cluster)


def deployment(name="web", replicas=2, strategy="", key="kubernetes.io/hostname", labels=None, extra_spec="",
               term_extra="", namespace="", selector=None, kind="Deployment", api="apps/v1"):
    labels = labels or {"app": name}
    selector = selector or labels
    ns = "NAMESPACE" if namespace else ""
    text = textwrap.dedent(f"""\
        apiVersion: {api}
        kind: {kind}
        metadata:
          name: {name}{ns}
        spec:
          replicas: {replicas}
          STRATEGY
          selector:
            matchLabels: {labels}
          template:
            metadata:
              labels: {labels}
            spec:
              {extra_spec}
              affinity:
                podAntiAffinity:
                  requiredDuringSchedulingIgnoredDuringExecution:
                  - labelSelector:
                      matchLabels: {selector}
                    {term_extra}
                    topologyKey: {key}
              containers:
              - name: app
                image: registry.example.com/app:1.0
        """)
    return text.replace("STRATEGY", strategy).replace("NAMESPACE", f"\n  namespace: {namespace}")


U0 = "strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}"
U1 = "strategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: 1}}"


# --- seed 000 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [SEED, PATCHED], ids=["seed", "patched"])
def test_seed_000_without_cluster_reports_the_counts(path):
    [found] = findings([path])
    assert found.severity == "info"
    assert "needs 2 nodes at steady state (replicas 2) and 3 nodes during a rolling update" in found.message
    assert "topologyKey" in open(path).read().splitlines()[found.line - 1]


@pytest.mark.parametrize("path", [SEED, PATCHED], ids=["seed", "patched"])
def test_seed_000_on_one_node_leaves_a_pod_pending(path):
    [found] = findings([path], uniform_cluster(1))
    assert found.severity == "error"
    assert "2 pods (replicas 2) need 2 nodes but 1 node is eligible: 1 pod stays Pending forever" in found.message
    assert "lower replicas to 1" in found.message


def test_seed_000_on_two_nodes_hangs_every_rollout():
    [found] = findings([SEED], uniform_cluster(2))
    assert found.severity == "error"
    assert found.message.startswith(
        "required podAntiAffinity on kubernetes.io/hostname needs 3 nodes during a rolling update (replicas 2 + "
        "maxSurge 1, maxUnavailable 0) but 2 nodes are eligible: the rollout will never finish")
    assert "set maxUnavailable: 1, add a node" in found.message
    assert "preferredDuringSchedulingIgnoredDuringExecution" in found.message
    [patched] = findings([PATCHED], uniform_cluster(2))
    assert "maxSurge 1 (25%), maxUnavailable 0 (25%)" in patched.message


@pytest.mark.parametrize("path", [SEED, PATCHED], ids=["seed", "patched"])
def test_seed_000_on_three_nodes_is_fine(path):
    assert findings([path], uniform_cluster(3)) == []


def test_seed_000_fixed_strategy_fits_two_nodes(write):
    assert lint(write, deployment(strategy=U1), uniform_cluster(2)) == []
    assert lint(write, deployment(strategy="strategy: {type: Recreate}"), uniform_cluster(2)) == []


def test_match_label_keys_pod_template_hash_removes_the_surge_requirement(write):
    text = deployment(strategy=U0, term_extra="matchLabelKeys: [pod-template-hash]")
    assert lint(write, text, uniform_cluster(2)) == []
    [steady] = lint(write, text, uniform_cluster(1))
    assert "Pending forever" in steady.message
    [info] = lint(write, text)
    assert "no more during a rollout (matchLabelKeys" in info.message


def test_default_strategy_trap_at_three_replicas(write):
    [found] = lint(write, deployment(replicas=3), uniform_cluster(3))
    assert "needs 4 nodes during a rolling update" in found.message
    assert lint(write, deployment(replicas=4), uniform_cluster(4)) == []  # 25% of 4 is 1 unavailable


def test_severity_is_info_without_cluster_and_error_with(write):
    [info] = lint(write, deployment(strategy=U0))
    [error] = lint(write, deployment(strategy=U0), uniform_cluster(2))
    assert (info.severity, error.severity) == ("info", "error")


# --- zones, pools, eligibility ------------------------------------------------------------------------


def test_zone_key_counts_zones_not_nodes(write):
    text = deployment(replicas=3, strategy=U0, key="topology.kubernetes.io/zone")
    [found] = lint(write, text, uniform_cluster(6, 3))
    assert "needs 4 zones during a rolling update" in found.message
    assert "the 6 eligible nodes span 3 zones" in found.message
    assert lint(write, text, uniform_cluster(4, 4)) == []
    assert lint(write, deployment(replicas=3, strategy=U1, key="topology.kubernetes.io/zone"),
                uniform_cluster(6, 3)) == []


def test_tainted_and_labelled_pools_narrow_eligibility(write):
    cluster = _profile("tainted-pools.yaml")
    [found] = lint(write, deployment(replicas=4, strategy=U1), cluster)
    assert "3 nodes are eligible (4 of 7 excluded" in found.message
    assert "nvidia.com/gpu=present:NoSchedule" in found.message
    tolerating = deployment(replicas=4, strategy=U0,
                            extra_spec="tolerations: [{key: lifecycle, operator: Exists, effect: NoExecute}]")
    assert lint(write, tolerating, cluster) == []


def test_nodes_without_the_topology_key_are_unlimited(write):
    nodes = [Node(f"n{i}", {"kubernetes.io/hostname": f"n{i}", "topology.kubernetes.io/zone": "a"}, ()) for i in range(2)]
    nodes.append(Node("bare", {"kubernetes.io/hostname": "bare"}, ()))
    cluster = Cluster(tuple(nodes), "test")
    text = deployment(replicas=5, strategy=U0, key="topology.kubernetes.io/zone")
    assert lint(write, text, cluster) == []
    # Without the unlabelled node, one zone holds one pod.
    [found] = lint(write, text, Cluster(tuple(nodes[:2]), "test"))
    assert "span 1 zone" in found.message


def test_no_eligible_node_is_left_to_the_eligibility_rules(write):
    text = deployment(extra_spec="nodeSelector: {disk: ssd}")
    assert [f for f in lint(write, text, uniform_cluster(3)) if f.rule == INFEASIBLE] == []


# --- HPA ----------------------------------------------------------------------------------------------


HPA = """\
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web{ns}
spec:
  scaleTargetRef: {{apiVersion: {api}, kind: {kind}, name: {name}}}
  minReplicas: {low}
  maxReplicas: {high}
"""


def test_hpa_max_replicas_is_the_bound(write):
    text = deployment(replicas=2, strategy=U1) + HPA.format(ns="", api="apps/v1", kind="Deployment", name="web",
                                                             low=2, high=6)
    [found] = lint(write, text, uniform_cluster(4))
    assert "6 pods (HPA maxReplicas 6, HPA web) need 6 nodes but 4 nodes are eligible" in found.message
    assert "lower maxReplicas to 4" in found.message
    [info] = lint(write, text)
    assert "needs 6 nodes at steady state (HPA maxReplicas 6)" in info.message


@pytest.mark.parametrize("api,kind,name,ns", [
    ("apps/v1", "Deployment", "other", ""),
    ("apps/v1", "StatefulSet", "web", ""),
    ("example.com/v1", "Deployment", "web", ""),
    ("apps/v1", "Deployment", "web", "\n  namespace: elsewhere"),
])
def test_hpa_for_another_target_is_ignored(write, api, kind, name, ns):
    # the Deployment lives in namespace "team"; an HPA elsewhere (or for another target) is not its own
    text = deployment(replicas=2, strategy=U1, namespace="team") + HPA.format(
        ns=ns or "\n  namespace: team", api=api, kind=kind, name=name, low=1, high=9)
    assert lint(write, text, uniform_cluster(2)) == []


def test_hpa_min_replicas_above_capacity_is_said(write):
    text = deployment(replicas=2, strategy=U1) + HPA.format(ns="", api="apps/v1", kind="Deployment", name="web",
                                                             low=4, high=6)
    [found] = lint(write, text, uniform_cluster(3))
    assert "even at minReplicas 4" in found.message


# --- StatefulSet, DaemonSet, Argo -----------------------------------------------------------------


def test_statefulset_reuses_the_freed_node(write):
    for policy in ("OrderedReady", "Parallel"):
        text = deployment(kind="StatefulSet", replicas=3,
                          strategy=f"podManagementPolicy: {policy}\n  serviceName: web")
        assert lint(write, text, uniform_cluster(3)) == []
        [found] = lint(write, text, uniform_cluster(2))
        assert "1 pod stays Pending" in found.message


def test_daemonset_surge_is_stuck_on_any_cluster(write):
    text = deployment(kind="DaemonSet", replicas=None).replace("replicas: None\n", "")
    text = text.replace("selector:", "updateStrategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}\n  selector:", 1)
    for cluster in (None, uniform_cluster(1), uniform_cluster(10)):
        [found] = lint(write, text, cluster)
        assert found.severity == "error" and "surge pod can never schedule" in found.message
    revision = text.replace("topologyKey:", "matchLabelKeys: [controller-revision-hash]\n            topologyKey:")
    assert lint(write, revision, uniform_cluster(3)) == []
    no_surge = text.replace("{maxSurge: 1, maxUnavailable: 0}", "{maxUnavailable: 1}")
    assert lint(write, no_surge, uniform_cluster(3)) == []
    assert lint(write, no_surge) == []  # hostname: trivially one per node


def test_daemonset_with_zone_key_leaves_nodes_without_a_pod(write):
    text = deployment(kind="DaemonSet", replicas=None, key="topology.kubernetes.io/zone").replace("replicas: None\n", "")
    [found] = lint(write, text, uniform_cluster(4, 2))
    assert "each of the 4 eligible nodes" in found.message and "2 daemon pods stay Pending" in found.message
    [info] = lint(write, text)
    assert info.severity == "info"


ROLLOUT = """\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: checkout
spec:
  replicas: {replicas}
  strategy:
    {strategy}
  selector:
    matchLabels: {{app: checkout}}
  template:
    metadata:
      labels: {{app: checkout}}
    spec:
      {affinity}
      containers:
      - name: checkout
        image: registry.example.com/checkout:1.0
"""
SELF = ("affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: "
        "{matchLabels: {app: checkout}}, topologyKey: kubernetes.io/hostname}]}}")


def rollout(replicas=2, strategy="blueGreen: {activeService: a}", affinity=""):
    return ROLLOUT.format(replicas=replicas, strategy=strategy, affinity=affinity)


def test_argo_blue_green_with_self_anti_affinity_needs_active_plus_preview(write):
    text = rollout(3, "blueGreen: {activeService: a, antiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {}}}",
                   SELF)
    [found] = lint(write, text, uniform_cluster(5))
    assert "needs 6 nodes during a blue-green update (replicas 3 active + 3 preview)" in found.message
    assert lint(write, text, uniform_cluster(6)) == []
    preview = rollout(3, "blueGreen: {activeService: a, previewReplicaCount: 1}", SELF)
    assert lint(write, preview, uniform_cluster(4)) == []
    [found] = lint(write, preview, uniform_cluster(3))
    assert "3 active + 1 preview (previewReplicaCount)" in found.message


def test_argo_injected_required_anti_affinity(write):
    required = "{antiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {}}, activeService: a}"
    text = rollout(2, f"blueGreen: {required}")
    [certain] = lint(write, text, uniform_cluster(1))
    assert certain.severity == "error" and "new pods stay Pending" in certain.message
    [likely] = lint(write, text, uniform_cluster(2))
    assert likely.severity == "warning" and "3 nodes guarantee progress" in likely.message
    assert lint(write, text, uniform_cluster(3)) == []
    [info] = lint(write, text)
    assert info.severity == "info" and "3 nodes guarantee one" in info.message
    assert "spec.strategy.blueGreen.antiAffinity" in info.path


def test_argo_preferred_anti_affinity_is_never_infeasible(write):
    text = rollout(4, "canary: {antiAffinity: {preferredDuringSchedulingIgnoredDuringExecution: {weight: 50}}}")
    assert lint(write, text, uniform_cluster(1)) == []
    assert lint(write, text) == []


def test_argo_canary(write):
    basic = rollout(2, "canary: {maxSurge: 1, maxUnavailable: 0}", SELF)
    [found] = lint(write, basic, uniform_cluster(2))
    assert "needs 3 nodes during a canary update" in found.message
    assert lint(write, rollout(2, "canary: {maxSurge: 0, maxUnavailable: 1}", SELF), uniform_cluster(2)) == []
    routed = rollout(2, "canary: {trafficRouting: {nginx: {stableIngress: x}}, maxSurge: 0, maxUnavailable: 1}", SELF)
    [found] = lint(write, routed, uniform_cluster(3))
    assert "needs 4 nodes during a canary update with trafficRouting" in found.message
    injected = rollout(3, "canary: {maxUnavailable: 3, antiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {}}}")
    assert lint(write, injected, uniform_cluster(1)) == []  # every stable pod may go at once: the node frees up


def test_argo_antiaffinity_validation(write):
    for block, message in (("{}", "neither is set"),
                           ("{requiredDuringSchedulingIgnoredDuringExecution: {}, "
                            "preferredDuringSchedulingIgnoredDuringExecution: {weight: 1}}", "both are set"),
                           ("{preferredDuringSchedulingIgnoredDuringExecution: {weight: 101}}", "between 1-100")):
        [found] = lint(write, rollout(2, f"canary: {{antiAffinity: {block}}}"))
        assert found.rule == "anti-affinity-invalid-term" and message in found.message


# --- self-selection: selectors, namespaces, mismatchLabelKeys ------------------------------------------


def test_selector_not_matching_own_pods_is_not_a_self_term(write):
    text = deployment(replicas=5, strategy=U0, selector={"app": "other"}) + "---\n" + deployment(
        name="other", replicas=1, strategy=U1).replace("podAntiAffinity", "podAffinityX")
    assert [f for f in lint(write, text, uniform_cluster(3)) if f.severity == "error"] == []


@pytest.mark.parametrize("term_extra,selected", [
    ("", True),
    ("namespaces: [shop]", True),
    ("namespaces: [other]", False),
    ("namespaceSelector: {}", True),
    ("namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}", True),
    ("namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: other}}", False),
    ("namespaceSelector: {matchLabels: {team: x}}", False),  # unknown: never claimed infeasible
    ("mismatchLabelKeys: [app]", False),
])
def test_namespaces_and_label_keys(write, term_extra, selected):
    text = deployment(replicas=3, namespace="shop", strategy=U1, term_extra=term_extra)
    got = [f for f in lint(write, text, uniform_cluster(2)) if f.rule == INFEASIBLE]
    assert bool(got) == selected


def test_mismatch_label_keys_revision_repels_old_pods_only(write):
    text = deployment(replicas=2, strategy=U0, term_extra="mismatchLabelKeys: [pod-template-hash]")
    assert lint(write, text, uniform_cluster(3)) == []
    [found] = lint(write, text, uniform_cluster(1))
    assert found.severity == "error" and "old pod" in found.message
    [maybe] = lint(write, text, uniform_cluster(2))
    assert maybe.severity == "warning"


# --- across workloads ----------------------------------------------------------------------------------


def db(name, replicas, key="kubernetes.io/hostname", anti=True):
    text = deployment(name=name, replicas=replicas, kind="StatefulSet", strategy=f"serviceName: {name}",
                      labels={"app": name, "tier": "db"}, selector={"tier": "db"}, key=key)
    if not anti:
        text = text.replace("podAntiAffinity", "podAffinityUnused")
    return text


def test_cross_workload_conflict_graph(write):
    text = "---\n".join([db("a", 1), db("b", 1), db("c", 1)])
    [found] = lint(write, text, uniform_cluster(2))
    assert found.severity == "error"
    assert "StatefulSet a (1), StatefulSet b (1), StatefulSet c (1)" in found.message
    assert "need 3 nodes at steady state but their 2 eligible nodes offer 2: 1 pod stays Pending" in found.message
    assert lint(write, text, uniform_cluster(3)) == []
    [info] = lint(write, text)
    assert info.severity == "info" and "together they need 3 nodes" in info.message


def test_cross_workload_weights_self_repelling_workloads_by_replicas(write):
    # c does not repel itself: its 3 pods may share one node, but none beside a or b.
    text = "---\n".join([db("a", 2), db("b", 2), db("c", 3, anti=False)])
    [found] = lint(write, text, uniform_cluster(4))
    assert "(2), StatefulSet b (2), StatefulSet c (1)" in found.message and "need 5 nodes" in found.message
    assert lint(write, text, uniform_cluster(5)) == []


def test_cross_workload_other_topology_key_does_not_conflict(write):
    text = "---\n".join([db("a", 1), db("b", 1, key="topology.kubernetes.io/zone")])
    assert lint(write, text, uniform_cluster(2, 2)) == []


def test_cross_workload_non_clique_is_not_summed(write):
    # a repels b and b repels c, but a and c may share: two nodes are enough.
    a = deployment(name="a", replicas=1, strategy=U1, selector={"app": "b"})
    b = deployment(name="b", replicas=1, strategy=U1, selector={"app": "c"})
    c = deployment(name="c", replicas=1, strategy=U1, selector={"app": "nothing"})
    assert [f for f in lint(write, "---\n".join([a, b, c]), uniform_cluster(2)) if f.rule == INFEASIBLE] == []


def test_networkx_is_not_imported_for_a_single_workload(write):
    import subprocess
    import sys

    path = write("one.yaml", deployment(strategy=U0))
    code = ("import sys; from k8slint.cli import main\n"
            "try:\n    main(['lint', '--nodes', '2', sys.argv[1]])\nexcept SystemExit: pass\n"
            "print('networkx' in sys.modules, file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True)
    assert out.stderr.strip().endswith("False")


def test_required_affinity_contradicting_anti_affinity(write):
    self_contradiction = deployment(replicas=2, strategy=U1).replace(
        "      affinity:\n", "      affinity:\n        podAffinity:\n          requiredDuringSchedulingIgnoredDuring"
        "Execution:\n          - labelSelector: {matchLabels: {app: web}}\n            topologyKey: kubernetes.io/hostname\n")
    found = [f for f in lint(write, self_contradiction) if f.severity == "error"]
    assert len(found) == 1 and "the first pod schedules, the other 1 stay Pending" in found[0].message
    one = self_contradiction.replace("replicas: 2", "replicas: 1")
    assert [f for f in lint(write, one) if f.severity == "error"] == []


# --- invalid and no-effect terms ------------------------------------------------------------------------


def test_invalid_terms(write):
    text = deployment(key='""', strategy=U1)
    [found] = lint(write, text)
    assert found.rule == "anti-affinity-invalid-term" and "Empty topologyKey" in found.message
    bad_key = deployment(key="a/b/c", strategy=U1)
    [found] = lint(write, bad_key)
    assert found.rule == "anti-affinity-invalid-term" and "not a valid label key" in found.message
    bad_selector = deployment(strategy=U1, selector={"app": "web", "bad key!": "x"})
    assert any(f.rule == "anti-affinity-invalid-term" and "labelSelector" in f.message for f in lint(write, bad_selector))


def test_preferred_terms_are_never_infeasible_but_are_checked_for_effect(write):
    text = textwrap.dedent("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 9
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              affinity:
                podAntiAffinity:
                  preferredDuringSchedulingIgnoredDuringExecution:
                  - weight: 100
                    podAffinityTerm:
                      labelSelector: {matchLabels: {app: nothing}}
                      topologyKey: kubernetes.io/hostname
              containers: [{name: web, image: nginx}]
        """)
    [found] = lint(write, text, uniform_cluster(1))
    assert found.rule == "anti-affinity-no-effect" and found.severity == "info"


def test_findings_point_at_the_topology_key(write):
    [found] = lint(write, deployment(strategy=U0), uniform_cluster(2))
    assert found.path.endswith("requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey")


def test_node_objects_among_linted_files_describe_the_cluster(write):
    nodes = "".join(f"---\napiVersion: v1\nkind: Node\nmetadata: {{name: n{i}}}\n" for i in range(2))
    found = findings([write("app.yaml", deployment(strategy=U0)), write("nodes.yaml", nodes)])
    assert [f.severity for f in found] == ["error"] and "2 nodes are eligible" in found[0].message
    # An explicit cluster wins over the Node objects.
    assert findings([write("app.yaml", deployment(strategy=U0)), write("nodes.yaml", nodes)], uniform_cluster(3)) == []


# --- model helpers --------------------------------------------------------------------------------------


def _profile(name):
    from k8slint.config import read_yaml_file

    path = FIXTURES / "clusters" / name
    return cluster_from_documents(read_yaml_file(path, "cluster profile"), str(path))


def _node(name, **labels):
    return Node(name, {"kubernetes.io/hostname": name, **labels}, ())


def _capacity(nodes, keys):
    from k8slint.model.scheduling import all_nodes

    return aff.capacity(all_nodes(Cluster(nodes, "test")), keys)


def test_capacity():
    nodes = [_node("a", zone="1", rack="x"), _node("b", zone="1", rack="y"), _node("c", zone="2", rack="y")]
    assert _capacity(nodes, ["kubernetes.io/hostname"]) == 3
    assert _capacity(nodes, ["zone"]) == 2
    assert _capacity(nodes, ["zone", "rack"]) == 2
    assert _capacity(nodes, ["kubernetes.io/hostname", "zone"]) == 2
    assert _capacity(nodes + [_node("d", rack="z")], ["zone", "rack"]) == 3  # d lacks zone: rack z only
    assert _capacity(nodes + [Node("e", {}, ())], ["zone", "rack"]) == aff.INFINITE
    assert _capacity(nodes, ["zone", "rack", "kubernetes.io/hostname"]) == 2  # an upper bound
    assert _capacity([], ["zone"]) == 0
    # Two nodes described with the same hostname label are one hostname domain.
    twins = [Node("t1", {"kubernetes.io/hostname": "t", "zone": "1"}, ()),
             Node("t2", {"kubernetes.io/hostname": "t", "zone": "2"}, ())]
    assert _capacity(twins, ["kubernetes.io/hostname"]) == 1
    assert _capacity(twins, ["kubernetes.io/hostname", "zone"]) == 1
    assert _capacity(twins + [_node("u", zone="1")], ["kubernetes.io/hostname", "zone"]) == 2


def test_capacity_of_pools_by_count():
    """Classes with a count give what their nodes one by one would: a pool's hostnames are one
    domain per node, its zones one domain each, nodes lacking a key are limited by the other."""
    from k8slint.model.cluster import cluster_from_profile
    from k8slint.model.scheduling import all_nodes

    def profile(pools, nodes=()):
        return cluster_from_profile({"apiVersion": "k8slint.io/v1", "kind": "ClusterProfile", "pools": pools,
                                     **({"nodes": list(nodes)} if nodes else {})}, "p")

    small = profile([{"name": "a", "count": 5, "zones": ["x", "y"], "labels": {"rack": "r1"}},
                     {"name": "b", "count": 3, "labels": {"rack": "r2"}}], [{"name": "c", "zone": "x"}])
    one_by_one = all_nodes(Cluster(list(small.nodes), "same nodes"))
    for keys in (["kubernetes.io/hostname"], ["topology.kubernetes.io/zone"], ["rack"],
                 ["topology.kubernetes.io/zone", "kubernetes.io/hostname"], ["rack", "topology.kubernetes.io/zone"],
                 ["rack", "kubernetes.io/hostname"], ["rack", "topology.kubernetes.io/zone", "kubernetes.io/hostname"]):
        assert aff.capacity(all_nodes(small), keys) == aff.capacity(one_by_one, keys), keys
    assert aff.capacity(all_nodes(small), ["kubernetes.io/hostname"]) == 9
    assert aff.capacity(all_nodes(small), ["rack", "topology.kubernetes.io/zone"]) == 3  # r1-x, r1-y, r2 (no zone)
    billion = profile([{"name": "big", "count": 10**9, "zones": ["x", "y", "z"]}])
    assert aff.capacity(all_nodes(billion), ["kubernetes.io/hostname"]) == 10**9
    assert aff.capacity(all_nodes(billion), ["topology.kubernetes.io/zone"]) == 3
    assert aff.capacity(all_nodes(billion), ["kubernetes.io/hostname", "topology.kubernetes.io/zone"]) == 3
    no_zone = profile([{"name": "big", "count": 10**9}])
    assert aff.capacity(all_nodes(no_zone), ["kubernetes.io/hostname", "topology.kubernetes.io/zone"]) == 10**9
    assert aff.capacity(all_nodes(no_zone), ["topology.kubernetes.io/zone"]) == aff.INFINITE


def test_term_selects_revision_keys():
    term = aff.Term("podAntiAffinity", True, (), {"labelSelector": {"matchLabels": {"app": "a"}},
                                                   "topologyKey": "k", "matchLabelKeys": ["pod-template-hash"]})
    assert aff.self_mode(term, {"app": "a"}, "ns", "Deployment") == aff.SAME_REVISION
    term = aff.Term("podAntiAffinity", True, (), {"labelSelector": {"matchLabels": {"app": "a"}},
                                                   "topologyKey": "k", "mismatchLabelKeys": ["pod-template-hash"]})
    assert aff.self_mode(term, {"app": "a"}, "ns", "Deployment") == aff.OTHER_REVISIONS
    # A bare ReplicaSet's pods carry no pod-template-hash: a key the pod lacks is ignored.
    assert aff.self_mode(term, {"app": "a"}, "ns", "ReplicaSet") == aff.ALL_REVISIONS


def test_namespace_matches():
    def term(**fields):
        return aff.Term("podAntiAffinity", True, (), fields)

    assert aff.namespace_matches(term(), "", "default") is True
    assert aff.namespace_matches(term(namespaces=[]), "a", "b") is False
    assert aff.namespace_matches(term(namespaceSelector={}), "a", "b") is True
    assert aff.namespace_matches(term(namespaceSelector={"matchLabels": {"team": "x"}}), "a", "b") is None


def test_taint_helpers_are_shared():
    tainted = Node("t", {"kubernetes.io/hostname": "t"}, (Taint("dedicated", "db", "NoSchedule"),))
    from k8slint.model.scheduling import eligible_nodes

    assert eligible_nodes("Deployment", {}, Cluster((tainted,), "x")) == []


def test_cross_workload_on_disjoint_pools_uses_the_union_of_their_nodes(write):
    cluster = _profile("tainted-pools.yaml")
    general = db("a", 3)
    gpu = db("b", 2).replace(
        "      affinity:", "      nodeSelector: {nvidia.com/gpu.present: \"true\"}\n      tolerations: [{key: nvidia.com/gpu, "
        "operator: Exists}]\n      affinity:", 1)
    assert lint(write, "---\n".join([general, gpu]), cluster) == []
    [found] = lint(write, "---\n".join([general, gpu.replace("replicas: 2", "replicas: 3")]), cluster)
    assert "need 6 nodes" not in found.message and "2 nodes are eligible" in found.message  # b alone is short


def test_self_term_on_a_label_the_pods_lack_is_a_warning():
    """A self anti-affinity term that names the pods' own value under another key (zookeeper: app
    vs app.kubernetes.io/name) disables the spreading the author wanted: a warning. A term against
    another workload's pods that are not in the input stays info (they may be deployed elsewhere)."""
    from conftest import FIXTURES, engine_run

    result = engine_run([FIXTURES / "rules" / "anti-affinity-no-cluster" / "fire" / "self-term-wrong-label.yaml"])
    [found] = [f for f in result.findings if f.rule == "anti-affinity-no-effect"]
    assert found.severity == "warning" and "app=zk" in found.message
    assert "app.kubernetes.io/name=zk" in found.message and "does not happen" in found.message


def test_without_any_pod_affinity_term_no_workload_is_analysed(write, monkeypatch):
    """The rule costs next to nothing on a run where no workload has a pod (anti-)affinity term
    (issue 15): it analyses no workload at all then. A Rollout's strategy antiAffinity still counts
    (it is validated, and makes a term)."""
    from k8slint.rules import anti_affinity

    calls = []
    original = anti_affinity._analyse
    monkeypatch.setattr(anti_affinity, "_analyse", lambda *a, **k: calls.append(a[0]) or original(*a, **k))
    assert lint(write, "---\n".join([db("a", 2, anti=False), db("b", 3, anti=False)]), uniform_cluster(1)) == []
    assert calls == []
    rollout = textwrap.dedent("""\
        apiVersion: argoproj.io/v1alpha1
        kind: Rollout
        metadata: {name: r}
        spec:
          replicas: 2
          selector: {matchLabels: {app: r}}
          strategy:
            canary:
              antiAffinity: {}
          template:
            metadata: {labels: {app: r}}
            spec:
              containers: [{name: app, image: registry.example.com/app:1.0}]
        """)
    [found] = lint(write, "---\n".join([db("a", 2, anti=False), rollout]))
    assert found.rule == "anti-affinity-invalid-term" and "neither is set" in found.message
    assert len(calls) == 2
    calls.clear()
    [found] = lint(write, "---\n".join([db("a", 2, anti=False), db("b", 3)]), uniform_cluster(2))
    assert found.rule == INFEASIBLE and "StatefulSet b" in found.message and len(calls) == 2
