"""toleration-invalid, toleration-ineffective and toleration-effect-mismatch, and the matching
semantics they rest on (k8slint.model.scheduling), against the cases Kubernetes' own tests use.

test_scheduling.py already has k8s.io/api's TestTolerationToleratesTaint table; here are the
scheduler's TaintToleration Filter table, the taint eviction controller's GetMatchingTolerations /
getMinTolerationTime behaviour, and the helpers the rules add (toleration_covers,
scheduling_taint_effects)."""

from __future__ import annotations

import pytest

from conftest import FIXTURES, engine_run
from k8slint.model.cluster import Cluster, Node, Taint, cluster_from_documents, cluster_from_profile, \
    uniform_cluster
from k8slint.model.scheduling import (
    SCHEDULING_EFFECTS,
    eviction_seconds,
    scheduling_taint_effects,
    toleration_covers,
    toleration_matches_ignoring_effect,
    toleration_tolerates,
    untolerated_taints,
)
from k8slint.model.wording import describe_nodes
from k8slint.rules.tolerations import describe_toleration

RULES = ("toleration-invalid", "toleration-ineffective", "toleration-effect-mismatch")
NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"


def tol(key=None, operator=None, value=None, effect=None, seconds=None) -> dict:
    fields = {"key": key, "operator": operator, "value": value, "effect": effect, "tolerationSeconds": seconds}
    return {name: v for name, v in fields.items() if v is not None}


# --- matching: the scheduler's TaintToleration Filter (taint_toleration_test.go) -----------------

# (name, pod tolerations, node taints, fits)
FILTER_CASES = [
    ("no tolerations, node with a NoSchedule taint", [], [Taint("dedicated", "user1", "NoSchedule")], False),
    ("dedicated node for user1, toleration without operator (Equal)",
     [tol("dedicated", value="user1", effect="NoSchedule")], [Taint("dedicated", "user1", "NoSchedule")], True),
    ("dedicated node for user1, toleration for user2",
     [tol("dedicated", "Equal", "user2", "NoSchedule")], [Taint("dedicated", "user1", "NoSchedule")], False),
    ("Exists tolerates the taint whatever its value",
     [tol("foo", "Exists", effect="NoSchedule")], [Taint("foo", "bar", "NoSchedule")], True),
    ("several tolerations tolerate several taints",
     [tol("dedicated", "Equal", "user2", "NoSchedule"), tol("foo", "Exists", effect="NoSchedule")],
     [Taint("dedicated", "user2", "NoSchedule"), Taint("foo", "bar", "NoSchedule")], True),
    ("key and value match but the (non-empty) effect does not",
     [tol("foo", "Equal", "bar", "PreferNoSchedule")], [Taint("foo", "bar", "NoSchedule")], False),
    ("key and value match and the toleration's effect is empty",
     [tol("foo", "Equal", "bar")], [Taint("foo", "bar", "NoSchedule")], True),
    ("nothing matches but the taint is PreferNoSchedule",
     [tol("dedicated", "Equal", "user2", "NoSchedule")], [Taint("dedicated", "user1", "PreferNoSchedule")], True),
    ("no toleration, PreferNoSchedule taint", [], [Taint("dedicated", "user1", "PreferNoSchedule")], True),
    # The effects the issue is about, spelled out.
    ("NoSchedule toleration, NoExecute taint",
     [tol("k", "Exists", effect="NoSchedule")], [Taint("k", "", "NoExecute")], False),
    ("NoExecute toleration, NoSchedule taint",
     [tol("k", "Exists", effect="NoExecute")], [Taint("k", "", "NoSchedule")], False),
    ("empty effect tolerates both effects of one key",
     [tol("k", "Exists")], [Taint("k", "", "NoSchedule"), Taint("k", "", "NoExecute")], True),
    ("Exists with an empty key and no effect tolerates everything",
     [tol(operator="Exists")], [Taint("a", "1", "NoSchedule"), Taint("b", "", "NoExecute")], True),
    ("Exists with an empty key and an effect tolerates only that effect",
     [tol(operator="Exists", effect="NoSchedule")], [Taint("a", "1", "NoSchedule"), Taint("b", "", "NoExecute")], False),
    ("Equal with an empty value only matches an empty taint value",
     [tol("k", "Equal", "", "NoSchedule")], [Taint("k", "", "NoSchedule")], True),
    ("Equal with an empty value does not match a value",
     [tol("k", "Equal", "", "NoSchedule")], [Taint("k", "v", "NoSchedule")], False),
]


@pytest.mark.parametrize("tolerations, taints, fits", [c[1:] for c in FILTER_CASES], ids=[c[0] for c in FILTER_CASES])
def test_taint_toleration_filter(tolerations, taints, fits):
    assert (untolerated_taints(tolerations, taints, SCHEDULING_EFFECTS) == []) is fits


@pytest.mark.parametrize("toleration, taint, tolerated, same_key_value", [
    # An empty key with Equal is rejected by the API server, but ToleratesTaint still compares values.
    (tol(value="x"), Taint("any", "x", "NoSchedule"), True, True),
    (tol("k", "Exists", effect="NoSchedule"), Taint("k", "v", "NoExecute"), False, True),
    (tol("k", "Equal", "v", "PreferNoSchedule"), Taint("k", "v", "NoSchedule"), False, True),
    (tol("k", "Equal", "v", "NoSchedule"), Taint("k", "w", "NoExecute"), False, False),
    (tol("k", "Exists", effect="noSchedule"), Taint("k", "", "NoSchedule"), False, True),
    (tol("k", "Lt", "5", "NoSchedule"), Taint("k", "3", "NoSchedule"), False, False),
])
def test_effect_is_the_only_difference(toleration, taint, tolerated, same_key_value):
    assert toleration_tolerates(toleration, taint) is tolerated
    assert toleration_matches_ignoring_effect(toleration, taint) is same_key_value


# --- the taint eviction controller: first match per taint, smallest seconds ----------------------

A, B = Taint("a", "", "NoExecute"), Taint("b", "", "NoExecute")

# TestGetMinTolerationTime (pkg/controller/tainteviction), each toleration for its own taint, plus
# GetMatchingTolerations' first-match rule and the untolerated / no-taint cases.
EVICTION_CASES = [
    ("no NoExecute taint: never evicted", [], [Taint("a", "", "NoSchedule")], None),
    ("untolerated NoExecute taint: at once", [], [A], 0),
    ("tolerated without tolerationSeconds: never", [tol("a", "Exists", effect="NoExecute")], [A], None),
    ("1 and 2: the smallest", [tol("a", "Exists", effect="NoExecute", seconds=1),
                               tol("b", "Exists", effect="NoExecute", seconds=2)], [A, B], 1),
    ("1 and unset: 1", [tol("a", "Exists", effect="NoExecute", seconds=1), tol("b", "Exists", effect="NoExecute")],
     [A, B], 1),
    ("unset and 1: 1", [tol("a", "Exists", effect="NoExecute"), tol("b", "Exists", effect="NoExecute", seconds=1)],
     [A, B], 1),
    ("zero: at once", [tol("a", "Exists", effect="NoExecute", seconds=0)], [A], 0),
    ("negative: at once", [tol("a", "Exists", effect="NoExecute", seconds=-5)], [A], 0),
    ("one tolerated, one not: at once", [tol("a", "Exists", effect="NoExecute", seconds=60)], [A, B], 0),
    ("the first matching toleration decides, not the smallest",
     [tol("a", "Exists", effect="NoExecute", seconds=600), tol("a", "Exists", effect="NoExecute", seconds=30)], [A], 600),
    ("a broad toleration first hides a narrower one",
     [tol(operator="Exists"), tol("a", "Exists", effect="NoExecute", seconds=30)], [A], None),
    ("a narrow one first wins for its taint",
     [tol("a", "Exists", effect="NoExecute", seconds=30), tol(operator="Exists")], [A, B], 30),
    ("NoSchedule taints do not count", [tol("a", "Exists", effect="NoExecute", seconds=10)],
     [A, Taint("c", "", "NoSchedule")], 10),
]


@pytest.mark.parametrize("tolerations, taints, expected", [c[1:] for c in EVICTION_CASES], ids=[c[0] for c in EVICTION_CASES])
def test_eviction_seconds(tolerations, taints, expected):
    assert eviction_seconds(tolerations, taints) == expected


# --- toleration_covers ---------------------------------------------------------------------------

@pytest.mark.parametrize("broad, narrow, expected", [
    (tol("k", "Exists", effect="NoSchedule"), tol("k", "Equal", "v", "NoSchedule"), True),
    (tol("k", "Equal", "v", "NoSchedule"), tol("k", "Exists", effect="NoSchedule"), False),
    (tol("k", "Exists"), tol("k", "Exists", effect="NoExecute"), True),  # empty effect: every effect
    (tol("k", "Exists", effect="NoExecute"), tol("k", "Exists"), False),
    (tol(operator="Exists"), tol("k", "Equal", "v", "NoSchedule"), True),
    (tol(operator="Exists", effect="NoSchedule"), tol("k", "Equal", "v"), False),
    (tol("k", value="v", effect="NoSchedule"), tol("k", "Equal", "v", "NoSchedule"), True),  # "" is Equal
    (tol("k", "Equal", "v", "NoSchedule"), tol("k", "Equal", "w", "NoSchedule"), False),  # other values
    (tol("k", "Equal", "v", "NoSchedule"), tol("j", "Equal", "v", "NoSchedule"), False),
    (tol("k", "exists", effect="NoSchedule"), tol("k", "Equal", "v", "NoSchedule"), False),  # tolerates nothing
    (tol("k", "Exists", effect="NoSchedule"), tol("k", "Gt", "1", "NoSchedule"), False),
    ("k", tol("k", "Exists"), False),
])
def test_toleration_covers(broad, narrow, expected):
    assert toleration_covers(broad, narrow) is expected


def test_scheduling_taint_effects():
    assert scheduling_taint_effects("Deployment", {}) == ("NoSchedule", "NoExecute")
    assert scheduling_taint_effects("Pod", {"nodeName": "n1"}) == ("NoExecute",)
    assert scheduling_taint_effects("DaemonSet", {"nodeName": "n1"}) == ("NoSchedule", "NoExecute")
    assert scheduling_taint_effects("Pod", None) == ("NoSchedule", "NoExecute")


# --- the rules -----------------------------------------------------------------------------------


def pod_spec_yaml(tolerations: str, extra: str = "", kind: str = "Deployment") -> str:
    api = {"Deployment": "apps/v1", "DaemonSet": "apps/v1", "StatefulSet": "apps/v1"}[kind]
    body = "\n".join("      " + line for line in (extra + tolerations).strip("\n").splitlines())
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
      containers:
      - name: app
        image: busybox:1.36
{body}
"""


def findings(write, text, cluster=None, rules=RULES):
    path = write("manifest.yaml", text)
    result = engine_run([path], cluster=cluster)
    assert not result.errors, result.errors
    return [f for f in result.findings if f.rule in rules]


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    lines = [number for number, line in enumerate(text.splitlines(), 1) if needle in line]
    return lines[occurrence - 1]


def test_seconds_with_noschedule_on_unreachable(write):
    # The example: it does not shorten the default 300 s eviction at all.
    text = pod_spec_yaml("""tolerations:
- key: node.kubernetes.io/unreachable
  operator: Exists
  effect: NoSchedule
  tolerationSeconds: 60
""")
    [finding] = findings(write, text)
    assert (finding.rule, finding.severity) == ("toleration-invalid", "error")
    assert finding.line == line_of(text, "effect: NoSchedule")
    assert "only allowed with effect NoExecute" in finding.message
    assert "300 s eviction" in finding.message
    assert "NoExecute" in finding.hint


@pytest.mark.parametrize("toleration, field, words", [
    ("{key: k, operator: Exists, value: v}", "value", "Remove value"),
    ("{value: v, effect: NoSchedule}", "value", "must be Exists"),
    ("{key: k, operator: exists}", "operator", "did you mean Exists"),
    ("{key: k, operator: Exists, effect: noSchedule}", "effect", "did you mean NoSchedule"),
    ("{key: 'a/b/c', operator: Exists}", "key", "not a valid taint key"),
    ("{key: k, value: 'a b'}", "value", "not a valid value"),
    ("{key: k, value: yes}", "value", "not a string"),
    ("{key: k, operator: Exists, effect: PreferNoSchedule, tolerationSeconds: 5}", "effect", "never evicts"),
    ("{key: k, operator: Exists, tolerationSeconds: 5}", "key", "no effect"),
])
def test_api_rejections(write, toleration, field, words):
    text = pod_spec_yaml(f"tolerations:\n- {toleration}\n")
    got = findings(write, text)
    assert [(f.rule, f.severity) for f in got] == [("toleration-invalid", "error")]
    assert words in got[0].message + " " + got[0].hint
    assert got[0].line == line_of(text, "- {")


@pytest.mark.parametrize("version,rule,severity,words", [
    ((1, 34), "toleration-invalid", "error", "Kubernetes 1.34 does not have (it came as an alpha operator in 1.35"),
    ((1, 35), "feature-gated-field", "warning",
     "needs feature gate TaintTolerationComparisonOperators (alpha, off by default in Kubernetes 1.35)"),
])
def test_comparison_operators_follow_the_target_version(write, version, rule, severity, words):
    text = pod_spec_yaml("tolerations:\n- {key: k, operator: Gt, value: '5', effect: NoSchedule}\n")
    result = engine_run([write("m.yaml", text)], kubernetes_version=version)
    got = [f for f in result.findings if f.rule in (*RULES, "feature-gated-field")]
    assert [(f.rule, f.severity) for f in got] == [(rule, severity)]
    assert words in got[0].message and got[0].line == line_of(text, "- {")


def test_tolerations_that_are_not_mappings_are_left_to_invalid_field_type(write):
    text = pod_spec_yaml("tolerations:\n- node.kubernetes.io/unreachable:NoExecute\n")
    path = write("m.yaml", text)
    rules = {f.rule for f in engine_run([path]).findings}
    assert "invalid-field-type" in rules and not rules & set(RULES)


def test_duplicate_contradictory_and_redundant(write):
    text = pod_spec_yaml("""tolerations:
- {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 30}
- {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 900}
- {key: dedicated, operator: Equal, value: a, effect: NoSchedule}
- {key: dedicated, value: a, effect: NoSchedule}
- {key: dedicated, operator: Equal, value: b, effect: NoSchedule}
- {key: pool, operator: Equal, value: x, effect: NoSchedule}
- {key: pool, operator: Exists, effect: NoSchedule}
""")
    got = {f.line: f for f in findings(write, text)}
    contradicting = got.pop(line_of(text, "tolerationSeconds: 900"))
    assert contradicting.severity == "warning"
    assert "first matching toleration" in contradicting.message and "after 30 s" in contradicting.message
    duplicate = got.pop(line_of(text, "{key: dedicated, value: a"))
    assert "duplicates tolerations[2]" in duplicate.message and duplicate.severity == "warning"
    redundant = got.pop(line_of(text, "value: x"))
    assert redundant.severity == "info" and "tolerations[6]" in redundant.message
    assert got == {}  # dedicated=b is another value: legitimate


def test_a_narrow_toleration_first_overrides_a_broad_one(write):
    text = pod_spec_yaml("""tolerations:
- {key: lifecycle, operator: Equal, value: spot, effect: NoExecute, tolerationSeconds: 10}
- {key: lifecycle, operator: Exists, effect: NoExecute, tolerationSeconds: 3600}
""")
    assert findings(write, text) == []


def test_a_broad_toleration_first_hides_a_narrow_ones_seconds(write):
    text = pod_spec_yaml("""tolerations:
- {operator: Exists}
- {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 30}
""")
    [finding] = findings(write, text)
    assert finding.rule == "toleration-ineffective" and "never evicts them" in finding.message


def test_daemonset_controller_overrides_tolerationseconds(write):
    text = pod_spec_yaml("""tolerations:
- {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 30}
- {key: node.kubernetes.io/not-ready, operator: Equal, effect: NoExecute, tolerationSeconds: 30}
""", kind="DaemonSet")
    [finding] = findings(write, text)
    assert finding.rule == "toleration-ineffective"
    assert finding.line == line_of(text, "unreachable")
    assert "DaemonSet controller replaces" in finding.message


@pytest.mark.parametrize("key, effect, fires, words", [
    ("node-role.kubernetes.io/control-plane", "NoExecute", True, "control-plane nodes"),
    ("node-role.kubernetes.io/master", "PreferNoSchedule", True, "control-plane nodes"),
    ("node.kubernetes.io/unreachable", "PreferNoSchedule", True, "300 s"),
    ("node.kubernetes.io/not-ready", "PreferNoSchedule", True, "300 s"),
    ("node.kubernetes.io/unschedulable", "NoExecute", True, "cordoned nodes"),
    ("node.kubernetes.io/memory-pressure", "NoExecute", True, "memory pressure"),
    ("node.kubernetes.io/disk-pressure", "PreferNoSchedule", True, "disk pressure"),
    ("node.kubernetes.io/pid-pressure", "NoExecute", True, "PID pressure"),
    ("node.kubernetes.io/network-unavailable", "NoExecute", True, "network"),
    ("node.kubernetes.io/out-of-service", "PreferNoSchedule", True, "kept off out-of-service nodes"),
    ("node.kubernetes.io/out-of-service", "NoSchedule", False, ""),  # either effect (non-graceful shutdown)
    ("node.kubernetes.io/out-of-service", "NoExecute", False, ""),
    ("node.cloudprovider.kubernetes.io/uninitialized", "NoExecute", True, "initialised"),
    ("node.cloudprovider.kubernetes.io/shutdown", "NoExecute", True, "shut down"),
    # The node lifecycle controller applies not-ready and unreachable as NoSchedule too.
    ("node.kubernetes.io/not-ready", "NoSchedule", False, ""),
    ("node.kubernetes.io/unreachable", "NoExecute", False, ""),
    ("node-role.kubernetes.io/control-plane", "NoSchedule", False, ""),
    ("example.com/dedicated", "NoExecute", False, ""),
])
def test_well_known_taint_effects(write, key, effect, fires, words):
    text = pod_spec_yaml(f"tolerations:\n- {{key: {key}, operator: Exists, effect: {effect}}}\n")
    got = findings(write, text)
    assert len(got) == int(fires)
    if fires:
        assert (got[0].rule, got[0].severity) == ("toleration-effect-mismatch", "warning")
        assert words in got[0].message
        assert got[0].column == text.splitlines()[got[0].line - 1].index(effect) + 1


def test_well_known_mismatch_without_effect_is_not_possible(write):
    text = pod_spec_yaml("tolerations:\n- {key: node-role.kubernetes.io/control-plane, operator: Exists}\n")
    assert findings(write, text) == []


def test_daemonset_well_known_mismatch_is_info_when_the_controller_covers_it(write):
    text = pod_spec_yaml("tolerations:\n- {key: node.kubernetes.io/unschedulable, operator: Exists, effect: NoExecute}\n",
                         kind="DaemonSet")
    [finding] = findings(write, text)
    assert finding.severity == "info" and "DaemonSet controller" in finding.message


# --- with cluster information ---------------------------------------------------------------------

def profile(name: str) -> Cluster:
    from k8slint.config import read_yaml_file

    path = FIXTURES / "clusters" / name
    return cluster_from_documents(read_yaml_file(path, "cluster profile"), f"cluster profile {name}")


def test_cluster_profile_where_only_the_effect_is_wrong(write):
    text = pod_spec_yaml("""tolerations:
- key: lifecycle
  operator: Equal
  value: spot
  effect: NoSchedule
""", extra="nodeSelector:\n  node.kubernetes.io/lifecycle: spot\n")
    [finding] = findings(write, text, cluster=profile("tainted-pools.yaml"), rules=("toleration-effect-mismatch",))
    assert finding.severity == "error"
    line = line_of(text, "effect: NoSchedule")
    assert (finding.line, finding.column) == (line, text.splitlines()[line - 1].index("NoSchedule") + 1)
    assert "lifecycle=spot:NoExecute" in finding.message and "pool spot (2 nodes)" in finding.message
    assert "stay Pending" in finding.message
    assert finding.hint.startswith("Use effect: NoExecute")
    # Fixed, it is silent.
    assert findings(write, text.replace("effect: NoSchedule", "effect: NoExecute"),
                    cluster=profile("tainted-pools.yaml")) == []


def test_cluster_mismatch_is_a_warning_when_other_nodes_remain(write):
    text = pod_spec_yaml("tolerations:\n- {key: lifecycle, operator: Exists, effect: NoSchedule}\n")
    [finding] = findings(write, text, cluster=profile("tainted-pools.yaml"))
    assert finding.severity == "warning" and "pool spot" in finding.message


def test_cluster_finding_replaces_the_well_known_one(write):
    text = pod_spec_yaml("tolerations:\n- {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoExecute}\n")
    without = findings(write, text)
    with_nodes = findings(write, text, cluster=profile("kubectl-get-nodes.yaml"))
    assert len(without) == len(with_nodes) == 1
    assert "node cp-1" in with_nodes[0].message and "node cp-1" not in without[0].message


def test_implicit_tolerations_are_accounted_for(write):
    failing = Cluster((Node("n1", {}, (Taint(NOT_READY, "", "NoExecute"), Taint(NOT_READY, "", "NoSchedule"))),
                       Node("n2", {}, (Taint("node.kubernetes.io/unschedulable", "", "NoSchedule"),))), "test")
    # DefaultTolerationSeconds tolerates not-ready:NoExecute; the toleration's own NoSchedule the rest.
    text = pod_spec_yaml(f"tolerations:\n- {{key: {NOT_READY}, operator: Exists, effect: NoSchedule}}\n")
    assert findings(write, text, cluster=failing) == []
    # The DaemonSet controller tolerates unschedulable:NoSchedule: only the info-level well-known finding.
    text = pod_spec_yaml("tolerations:\n- {key: node.kubernetes.io/unschedulable, operator: Exists, effect: NoExecute}\n",
                         kind="DaemonSet")
    [finding] = findings(write, text, cluster=failing)
    assert finding.severity == "info"


def test_daemonset_cluster_mismatch_is_an_error(write):
    text = pod_spec_yaml("tolerations:\n- {key: lifecycle, operator: Exists, effect: NoSchedule}\n", kind="DaemonSet")
    [finding] = findings(write, text, cluster=profile("tainted-pools.yaml"))
    assert finding.severity == "error" and "DaemonSet runs no pod" in finding.message


def test_uniform_cluster_changes_nothing(write):
    text = pod_spec_yaml("tolerations:\n- {key: lifecycle, operator: Exists, effect: NoSchedule}\n")
    assert findings(write, text, cluster=uniform_cluster(3, 2)) == []


def test_node_objects_as_cluster(write):
    nodes = write("nodes.yaml", """apiVersion: v1
kind: Node
metadata:
  name: db-1
  labels: {pool: db}
spec:
  taints:
  - {key: dedicated, value: db, effect: NoExecute}
""")
    from k8slint.config import read_yaml_file

    cluster = cluster_from_documents(read_yaml_file(nodes, "nodes"), "nodes.yaml")
    text = pod_spec_yaml("tolerations:\n- {key: dedicated, operator: Equal, value: db, effect: NoSchedule}\n",
                         extra="nodeSelector: {pool: db}\n")
    [finding] = findings(write, text, cluster=cluster, rules=("toleration-effect-mismatch",))
    assert finding.severity == "error" and "node db-1" in finding.message


def test_node_objects_among_the_linted_files(write):
    """Node objects found among the linted files become ctx.cluster (engine.run_set_rules)."""
    manifest = write("app.yaml", pod_spec_yaml(
        "tolerations:\n- {key: dedicated, operator: Equal, value: db, effect: NoSchedule}\n",
        extra="nodeSelector: {pool: db}\n"))
    node = write("node.yaml", """apiVersion: v1
kind: Node
metadata:
  name: db-1
  labels: {pool: db}
spec:
  taints:
  - {key: dedicated, value: db, effect: NoExecute}
""")
    result = engine_run([manifest, node])
    got = [f for f in result.findings if f.rule == "toleration-effect-mismatch"]
    [finding] = got
    assert finding.severity == "error" and "db-1" in finding.message


def test_disabled_rules_stay_quiet(write):
    text = pod_spec_yaml("tolerations:\n- {key: k, operator: exists}\n")
    path = write("m.yaml", text)
    result = engine_run([path], enabled={"toleration-effect-mismatch"})
    assert result.findings == []


# --- message helpers -----------------------------------------------------------------------------

@pytest.mark.parametrize("toleration, text", [
    (tol("a", "Exists", effect="NoExecute"), "a:NoExecute (Exists)"),
    (tol("a", "Exists"), "a (Exists, every effect)"),
    (tol("a", value="v", effect="NoSchedule"), "a=v:NoSchedule"),
    (tol("a", "Equal", effect="NoSchedule"), 'a="":NoSchedule'),
    (tol(operator="Exists"), "every taint (every effect)"),
])
def test_describe_toleration(toleration, text):
    assert describe_toleration(toleration) == text


def test_describe_nodes():
    from k8slint.model.scheduling import all_nodes, nodes_named

    cluster = profile("tainted-pools.yaml")
    assert describe_nodes(nodes_named(cluster, ["gpu-1", "gpu-2"]), cluster) == "pool gpu (2 nodes)"
    assert describe_nodes(nodes_named(cluster, ["gpu-1"]), cluster) == "node gpu-1"
    many = nodes_named(cluster, ["general-1", "general-2", "general-3", "spot-1", "spot-2", "gpu-1"])
    assert describe_nodes(many, cluster) == "pool general (3 nodes), pool spot (2 nodes), node gpu-1"
    some = nodes_named(cluster, ["spot-2", "general-3", "gpu-2", "general-1"])
    assert describe_nodes(some, cluster) == "nodes general-1, general-3, gpu-2, spot-2"
    assert describe_nodes(all_nodes(cluster), cluster) == "pool general (3 nodes), pool gpu (2 nodes), pool spot (2 nodes)"
    # Pools of any size are counted, not listed; nodes of a partly chosen pool are named (the first 4).
    huge = cluster_from_profile({"apiVersion": "k8slint.io/v1", "kind": "ClusterProfile",
                                 "pools": [{"name": "big", "count": 10**9, "zones": ["a", "b"]}],
                                 "nodes": [{"name": "solo"}]}, "huge")
    assert describe_nodes(all_nodes(huge), huge) == "pool big (1000000000 nodes), node solo"
    rest = all_nodes(huge) - nodes_named(huge, ["big-2", "solo"])
    assert describe_nodes(rest, huge) == "nodes big-1, big-3, big-4, big-5 and 999999995 more"


@pytest.mark.parametrize("extra, kind, words", [
    ("", "Deployment", "evicted 300 s after the node becomes unreachable (the default"),
    (f"- {{key: {UNREACHABLE}, operator: Exists, effect: NoExecute, tolerationSeconds: 30}}\n", "Deployment",
     "evicted 30 s after"),
    (f"- {{key: {UNREACHABLE}, operator: Exists, effect: NoExecute, tolerationSeconds: 0}}\n", "Deployment",
     "evicted as soon as the node becomes unreachable"),
    ("", "DaemonSet", "keep the pods on unreachable nodes anyway"),
])
def test_node_problem_mismatch_names_the_eviction_that_applies(write, extra, kind, words):
    text = pod_spec_yaml(f"tolerations:\n- {{key: {UNREACHABLE}, operator: Exists, effect: PreferNoSchedule}}\n{extra}",
                         kind=kind)
    [finding] = findings(write, text)
    assert finding.rule == "toleration-effect-mismatch" and words in finding.message
