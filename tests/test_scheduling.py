"""Scheduling semantics, checked against the cases Kubernetes' own tests use where they exist."""

from __future__ import annotations

import copy

import pytest

from k8slint.model.cluster import Cluster, Node, Taint, cluster_from_profile
from k8slint.model.scheduling import (
    DEFAULT_TOLERATION_SECONDS,
    VALID_EFFECTS,
    WELL_KNOWN_TAINTS,
    effective_tolerations,
    eligible_nodes,
    implicit_tolerations,
    label_selector_matches,
    label_selector_problems,
    node_selector_term_matches,
    node_selector_term_problems,
    node_verdicts,
    required_node_affinity_matches,
    toleration_matches_ignoring_effect,
    toleration_problems,
    toleration_tolerates,
    NodeSet,
    all_nodes,
    domains,
    lacking,
    untolerated_taints,
)

NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"


def node(name: str, labels: dict | None = None, taints: tuple[Taint, ...] = ()) -> Node:
    return Node(name, {"kubernetes.io/hostname": name, **(labels or {})}, taints)


# --- toleration_tolerates ------------------------------------------------------------------------

# TestTolerationToleratesTaint (k8s.io/api core/v1 toleration_test.go), then the rules it implies.
TOLERATION_CASES = [
    ("same key and effect, Exists, taint without value",
     {"key": "foo", "operator": "Exists", "effect": "NoSchedule"}, Taint("foo", "", "NoSchedule"), True),
    ("same key and effect, Exists, taint with a value",
     {"key": "foo", "operator": "Exists", "effect": "NoSchedule"}, Taint("foo", "bar", "NoSchedule"), True),
    ("same effect, empty key with Exists matches every key",
     {"key": "", "operator": "Exists", "effect": "NoSchedule"}, Taint("foo", "bar", "NoSchedule"), True),
    ("same key, effect and value, Equal",
     {"key": "foo", "operator": "Equal", "value": "bar", "effect": "NoSchedule"}, Taint("foo", "bar", "NoSchedule"), True),
    ("same key and effect, different values, Equal",
     {"key": "foo", "operator": "Equal", "value": "value1", "effect": "NoSchedule"}, Taint("foo", "value2", "NoSchedule"), False),
    ("same key and value, different effects, Equal",
     {"key": "foo", "operator": "Equal", "value": "bar", "effect": "NoSchedule"}, Taint("foo", "bar", "NoExecute"), False),
    # The upstream Gt/Lt cases pass enableComparisonOperators=true; that feature gate is alpha and
    # off by default, and with it off ToleratesTaint returns false for every Gt/Lt toleration.
    ("Gt, taint value greater (comparison gate off)",
     {"key": "node.kubernetes.io/sla", "operator": "Gt", "value": "750", "effect": "NoSchedule"},
     Taint("node.kubernetes.io/sla", "950", "NoSchedule"), False),
    ("Lt, taint value smaller (comparison gate off)",
     {"key": "node.kubernetes.io/sla", "operator": "Lt", "value": "950", "effect": "NoSchedule"},
     Taint("node.kubernetes.io/sla", "800", "NoSchedule"), False),
    ("empty effect matches NoSchedule",
     {"key": "foo", "operator": "Exists"}, Taint("foo", "", "NoSchedule"), True),
    ("empty effect matches NoExecute",
     {"key": "foo", "operator": "Exists"}, Taint("foo", "", "NoExecute"), True),
    ("empty effect matches PreferNoSchedule",
     {"key": "foo", "operator": "Equal", "value": "bar"}, Taint("foo", "bar", "PreferNoSchedule"), True),
    ("bare Exists tolerates everything",
     {"operator": "Exists"}, Taint("dedicated", "web", "NoExecute"), True),
    ("empty operator means Equal",
     {"key": "foo", "value": "bar", "effect": "NoSchedule"}, Taint("foo", "bar", "NoSchedule"), True),
    ("Equal without value only matches an empty taint value",
     {"key": "foo", "operator": "Equal", "effect": "NoSchedule"}, Taint("foo", "bar", "NoSchedule"), False),
    ("Equal with empty value matches an empty taint value",
     {"key": "foo", "operator": "Equal", "value": "", "effect": "NoSchedule"}, Taint("foo", "", "NoSchedule"), True),
    ("null fields count as empty",
     {"key": "foo", "operator": "Exists", "value": None, "effect": None}, Taint("foo", "x", "NoExecute"), True),
    ("different key",
     {"key": "bar", "operator": "Exists"}, Taint("foo", "", "NoSchedule"), False),
    ("operators are case-sensitive",
     {"key": "foo", "operator": "exists", "effect": "NoSchedule"}, Taint("foo", "", "NoSchedule"), False),
    ("effects are case-sensitive",
     {"key": "foo", "operator": "Exists", "effect": "noSchedule"}, Taint("foo", "", "NoSchedule"), False),
    ("a non-string value is malformed and tolerates nothing",
     {"key": "foo", "operator": "Equal", "value": 1, "effect": "NoSchedule"}, Taint("foo", "1", "NoSchedule"), False),
    ("a toleration that is not a mapping tolerates nothing",
     "foo:NoSchedule", Taint("foo", "", "NoSchedule"), False),
]


@pytest.mark.parametrize("toleration, taint, expected",
                         [case[1:] for case in TOLERATION_CASES], ids=[case[0] for case in TOLERATION_CASES])
def test_toleration_tolerates(toleration, taint, expected):
    assert toleration_tolerates(toleration, taint) is expected


class OrderedMapping(dict):
    """Stands for ruamel's CommentedMap: inputs may be dict subclasses."""


def test_toleration_accepts_dict_subclasses():
    toleration = OrderedMapping(key="foo", operator="Exists")
    assert toleration_tolerates(toleration, Taint("foo", "", "NoExecute"))


@pytest.mark.parametrize("toleration, taint, expected", [
    ({"key": "foo", "operator": "Exists", "effect": "NoSchedule"}, Taint("foo", "", "NoExecute"), True),
    ({"key": "foo", "value": "bar", "effect": "PreferNoSchedule"}, Taint("foo", "bar", "NoSchedule"), True),
    ({"key": "foo", "value": "bar", "effect": "NoExecute"}, Taint("foo", "other", "NoSchedule"), False),
    ({"key": "other", "operator": "Exists", "effect": "NoSchedule"}, Taint("foo", "", "NoExecute"), False),
    ({"key": "foo", "operator": "Exists", "effect": 3}, Taint("foo", "", "NoExecute"), False),
])
def test_toleration_matches_ignoring_effect(toleration, taint, expected):
    assert toleration_matches_ignoring_effect(toleration, taint) is expected


def test_untolerated_taints_filters_by_effect():
    taints = (Taint("a", "", "NoSchedule"), Taint("b", "", "PreferNoSchedule"),
              Taint("c", "x", "NoExecute"), Taint("d", "", "NoSchedule"))
    tolerations = [{"key": "d", "operator": "Exists"}]
    assert untolerated_taints(tolerations, taints) == [taints[0], taints[2]]
    assert untolerated_taints(tolerations, taints, effects=("NoExecute",)) == [taints[2]]
    assert untolerated_taints([{"operator": "Exists"}], taints) == []
    assert untolerated_taints(None, taints) == [taints[0], taints[2], taints[3]]  # malformed: none


@pytest.mark.parametrize("toleration, expected", [
    ({"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}, []),
    ({"operator": "Exists"}, []),
    ({"key": NOT_READY, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60}, []),
    ({"key": "k", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 60},
     ["tolerationSeconds: only allowed with effect NoExecute"]),
    ({"key": "k", "operator": "Exists", "tolerationSeconds": 60}, ["tolerationSeconds: only allowed with effect NoExecute"]),
    ({"key": "k", "operator": "Exists", "value": "v"}, ["value: must be empty when operator is Exists"]),
    ({"value": "v"}, ["operator: must be Exists when key is empty"]),
    ({"key": "k", "operator": "Exists", "effect": "noSchedule"}, ["effect: 'noSchedule' is not a valid effect"]),
    ({"key": "k", "operator": "exists"}, ["operator: 'exists' is not a valid operator (one of Exists, Equal)"]),
    ({"key": "k", "operator": "Gt", "value": "5"}, ["operator: Gt is an alpha operator"]),
    ({"key": "k", "value": True}, ["value: True is not a string (quote it)"]),
    ({"key": "k", "operator": "Exists", "tolerationSeconds": "60"}, ["tolerationSeconds: '60' is not an integer"]),
    ({"key": "bad key", "operator": "Exists"}, ["key: 'bad key' is not a valid taint key"]),
    ("k:NoSchedule", ["a toleration must be a mapping"]),
])
def test_toleration_problems(toleration, expected):
    problems = [str(problem) for problem in toleration_problems(toleration)]
    assert len(problems) == len(expected)
    for problem, start in zip(problems, expected):
        assert problem.startswith(start)


def test_well_known_taints_use_valid_effects():
    assert WELL_KNOWN_TAINTS[NOT_READY] == ("NoSchedule", "NoExecute")
    assert WELL_KNOWN_TAINTS["node.kubernetes.io/unschedulable"] == ("NoSchedule",)
    # an administrator applies it with either effect (non-graceful node shutdown docs)
    assert WELL_KNOWN_TAINTS["node.kubernetes.io/out-of-service"] == ("NoExecute", "NoSchedule")
    assert all(set(effects) <= set(VALID_EFFECTS) for effects in WELL_KNOWN_TAINTS.values())


# --- implicit and effective tolerations ----------------------------------------------------------


def default_seconds_toleration(key: str) -> dict:
    return {"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": DEFAULT_TOLERATION_SECONDS}


def test_default_toleration_seconds_for_every_pod():
    assert implicit_tolerations("Deployment", {"containers": []}) == [
        default_seconds_toleration(NOT_READY), default_seconds_toleration(UNREACHABLE)]


def test_pod_already_tolerating_not_ready_keeps_its_own():
    own = {"key": NOT_READY, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}
    spec = {"tolerations": [own]}
    assert implicit_tolerations("Deployment", spec) == [default_seconds_toleration(UNREACHABLE)]
    assert effective_tolerations("Deployment", spec) == [own, default_seconds_toleration(UNREACHABLE)]


@pytest.mark.parametrize("toleration, added_keys", [
    ({"operator": "Exists"}, []),  # no key, no effect: counts for both
    ({"operator": "Exists", "effect": "NoExecute"}, []),
    ({"key": NOT_READY, "operator": "Exists"}, [UNREACHABLE]),  # no effect: counts
    ({"key": NOT_READY, "operator": "Exists", "effect": "NoSchedule"}, [NOT_READY, UNREACHABLE]),
    # The plugin looks at key and effect only: this toleration does not tolerate the (value-less)
    # not-ready taint, yet it stops the default one from being added.
    ({"key": NOT_READY, "operator": "Equal", "value": "x", "effect": "NoExecute"}, [UNREACHABLE]),
])
def test_default_toleration_seconds_checks_key_and_effect_only(toleration, added_keys):
    added = implicit_tolerations("StatefulSet", {"tolerations": [toleration]})
    assert [t["key"] for t in added] == added_keys


def test_daemonset_tolerations():
    keys = [(t["key"], t["effect"]) for t in implicit_tolerations("DaemonSet", {})]
    assert keys == [
        (NOT_READY, "NoExecute"), (UNREACHABLE, "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"), ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"), ("node.kubernetes.io/unschedulable", "NoSchedule"),
    ]
    # Never evicted: the controller's not-ready/unreachable tolerations have no tolerationSeconds,
    # and they stop DefaultTolerationSeconds from adding its own.
    assert all("tolerationSeconds" not in t for t in implicit_tolerations("DaemonSet", {}))
    host_network = implicit_tolerations("DaemonSet", {"hostNetwork": True})
    assert ("node.kubernetes.io/network-unavailable", "NoSchedule") in [(t["key"], t["effect"]) for t in host_network]


def test_daemonset_controller_adds_or_updates():
    identical = {"key": NOT_READY, "operator": "Exists", "effect": "NoExecute"}
    with_seconds = {"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60}
    spec = {"tolerations": [identical, with_seconds]}
    effective = effective_tolerations("DaemonSet", spec)
    assert effective.count(identical) == 1  # an identical toleration is not added twice
    # One differing only in tolerationSeconds is replaced by the controller's (no seconds).
    assert with_seconds not in effective
    assert {"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute"} in effective


def test_effective_tolerations_leave_input_alone_and_drop_malformed_entries():
    spec = {"tolerations": [{"key": "a", "operator": "Exists"}, "junk", None]}
    before = copy.deepcopy(spec)
    effective = effective_tolerations("Deployment", spec)
    assert spec == before
    assert effective[0] == {"key": "a", "operator": "Exists"}
    assert all(isinstance(t, dict) for t in effective)
    assert effective_tolerations("Deployment", {"tolerations": "oops"})[0]["key"] == NOT_READY
    assert len(effective_tolerations("Deployment", None)) == 2


# --- label selectors -----------------------------------------------------------------------------

LABELS = {"app": "web", "tier": "frontend", "app.kubernetes.io/version": "1.2"}

LABEL_SELECTOR_CASES = [
    ("null selector matches nothing", None, False),
    ("empty selector matches everything", {}, True),
    ("empty parts match everything", {"matchLabels": {}, "matchExpressions": []}, True),
    ("null parts match everything", {"matchLabels": None}, True),
    ("matchLabels equal", {"matchLabels": {"app": "web"}}, True),
    ("matchLabels different value", {"matchLabels": {"app": "db"}}, False),
    ("matchLabels missing key", {"matchLabels": {"team": "a"}}, False),
    ("prefixed key", {"matchLabels": {"app.kubernetes.io/version": "1.2"}}, True),
    ("In", {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["backend", "frontend"]}]}, True),
    ("In missing key", {"matchExpressions": [{"key": "team", "operator": "In", "values": ["a"]}]}, False),
    ("NotIn other value", {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["backend"]}]}, True),
    ("NotIn same value", {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["frontend"]}]}, False),
    ("NotIn missing key matches", {"matchExpressions": [{"key": "team", "operator": "NotIn", "values": ["a"]}]}, True),
    ("Exists", {"matchExpressions": [{"key": "app", "operator": "Exists"}]}, True),
    ("DoesNotExist", {"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, False),
    ("DoesNotExist missing key", {"matchExpressions": [{"key": "team", "operator": "DoesNotExist", "values": []}]}, True),
    ("matchLabels AND matchExpressions",
     {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["backend"]}]}, False),
    ("lowercase operator is invalid", {"matchExpressions": [{"key": "app", "operator": "in", "values": ["web"]}]}, False),
    ("In without values is invalid", {"matchExpressions": [{"key": "app", "operator": "In"}]}, False),
    ("Exists with values is invalid", {"matchExpressions": [{"key": "app", "operator": "Exists", "values": ["web"]}]}, False),
    ("Gt is not a label selector operator", {"matchExpressions": [{"key": "app", "operator": "Gt", "values": ["1"]}]}, False),
    ("invalid key", {"matchExpressions": [{"key": "bad key", "operator": "DoesNotExist"}]}, False),
    ("non-string matchLabels value", {"matchLabels": {"app": 1}}, False),
    ("invalid value is invalid, even under NotIn",
     {"matchExpressions": [{"key": "team", "operator": "NotIn", "values": ["a b"]}]}, False),
    ("selector that is not a mapping", [{"app": "web"}], False),
    ("matchExpressions that is not a list", {"matchExpressions": {"key": "app", "operator": "Exists"}}, False),
]


@pytest.mark.parametrize("selector, expected",
                         [case[1:] for case in LABEL_SELECTOR_CASES], ids=[case[0] for case in LABEL_SELECTOR_CASES])
def test_label_selector_matches(selector, expected):
    assert label_selector_matches(selector, LABELS) is expected


def test_label_selector_against_missing_labels():
    assert label_selector_matches({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, None)
    assert not label_selector_matches({"matchLabels": {"a": "b"}}, None)


@pytest.mark.parametrize("selector, expected", [
    (None, []),
    ({"matchLabels": {"app": "web"}}, []),
    ({"matchLabels": {"app": 1}}, ["matchLabels.app: 1 is not a string (quote it)"]),
    ({"matchLabels": {"app.kubernetes.io/name": "a b"}},
     ['matchLabels["app.kubernetes.io/name"]: \'a b\' is not a valid label value']),
    ({"matchExpressions": [{"key": "app", "operator": "in", "values": ["web"]}]},
     ["matchExpressions[0].operator: 'in' is not a valid operator (one of In, NotIn, Exists, DoesNotExist)"]),
    ({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": []}]},
     ["matchExpressions[0].values: must not be empty for NotIn"]),
    ({"matchExpressions": [{"key": "app", "operator": "Exists", "values": ["x"]}]},
     ["matchExpressions[0].values: must be empty for Exists"]),
    ("app=web", ["a label selector must be a mapping"]),
])
def test_label_selector_problems(selector, expected):
    problems = [str(problem) for problem in label_selector_problems(selector)]
    assert len(problems) == len(expected)
    for problem, start in zip(problems, expected):
        assert problem.startswith(start)


# --- node selector terms and required node affinity ----------------------------------------------

GPU_NODE = node("gpu-1", {"gpu-count": "4", "disktype": "ssd", "generation": "v2"})


def expression(key, operator, *values):
    return {"key": key, "operator": operator, "values": list(values)}


NODE_TERM_CASES = [
    ("Gt", {"matchExpressions": [expression("gpu-count", "Gt", "2")]}, True),
    ("Gt equal is false", {"matchExpressions": [expression("gpu-count", "Gt", "4")]}, False),
    ("Lt", {"matchExpressions": [expression("gpu-count", "Lt", "8")]}, True),
    ("Gt on a non-integer label", {"matchExpressions": [expression("generation", "Gt", "1")]}, False),
    ("Gt on a missing label", {"matchExpressions": [expression("cores", "Gt", "1")]}, False),
    ("Gt with a non-integer value is invalid", {"matchExpressions": [expression("gpu-count", "Gt", "two")]}, False),
    ("Gt with two values is invalid", {"matchExpressions": [expression("gpu-count", "Gt", "1", "2")]}, False),
    ("Gt with an unquoted number is invalid", {"matchExpressions": [expression("gpu-count", "Gt", 2)]}, False),
    # "-1" parses as an integer but is not a valid label value, which NewRequirement also checks.
    ("Gt with a negative bound is invalid", {"matchExpressions": [expression("gpu-count", "Gt", "-1")]}, False),
    ("NotIn on a missing label matches", {"matchExpressions": [expression("zone", "NotIn", "a")]}, True),
    ("DoesNotExist", {"matchExpressions": [expression("zone", "DoesNotExist")]}, True),
    ("expressions are ANDed",
     {"matchExpressions": [expression("disktype", "In", "ssd"), expression("generation", "In", "v1")]}, False),
    ("empty term matches nothing", {}, False),
    ("term with empty lists matches nothing", {"matchExpressions": [], "matchFields": []}, False),
    ("matchFields name In", {"matchFields": [expression("metadata.name", "In", "gpu-1")]}, True),
    ("matchFields name In other", {"matchFields": [expression("metadata.name", "In", "gpu-2")]}, False),
    ("matchFields name NotIn", {"matchFields": [expression("metadata.name", "NotIn", "gpu-2")]}, True),
    ("matchFields needs exactly one value", {"matchFields": [expression("metadata.name", "In", "gpu-1", "gpu-2")]}, False),
    ("matchFields only In and NotIn", {"matchFields": [expression("metadata.name", "Exists")]}, False),
    # Only metadata.name is a node field; the scheduler reads any other key as "".
    ("matchFields unknown key In", {"matchFields": [expression("spec.unschedulable", "In", "false")]}, False),
    ("matchFields unknown key NotIn", {"matchFields": [expression("spec.unschedulable", "NotIn", "true")]}, True),
    ("matchExpressions AND matchFields",
     {"matchExpressions": [expression("disktype", "In", "ssd")],
      "matchFields": [expression("metadata.name", "In", "other")]}, False),
    ("term that is not a mapping", ["disktype"], False),
]


@pytest.mark.parametrize("term, expected", [case[1:] for case in NODE_TERM_CASES], ids=[case[0] for case in NODE_TERM_CASES])
def test_node_selector_term_matches(term, expected):
    assert node_selector_term_matches(term, GPU_NODE) is expected


@pytest.mark.parametrize("term, expected", [
    ({"matchExpressions": [expression("gpu-count", "Gt", "2")]}, []),
    ({}, ["an empty node selector term matches no nodes"]),
    ({"matchExpressions": [expression("gpu-count", "Gt", "two")]},
     ["matchExpressions[0].values[0]: 'two' is not an integer, which Gt needs"]),
    ({"matchExpressions": [expression("gpu-count", "Gt", 2)]},
     ["matchExpressions[0].values[0]: 2 is not a string (quote it)"]),
    ({"matchExpressions": [expression("gpu-count", "Lt")]}, ["matchExpressions[0].values: Lt needs exactly one value"]),
    ({"matchExpressions": [expression("zone", "In")]}, ["matchExpressions[0].values: must not be empty for In"]),
    ({"matchExpressions": [expression("zone", "Matches", "a")]}, ["matchExpressions[0].operator: 'Matches' is not a valid operator"]),
    ({"matchFields": [expression("metadata.name", "In", "a", "b")]}, ["matchFields[0].values: must have exactly one element"]),
    ({"matchFields": [expression("spec.unschedulable", "In", "true")]},
     ["matchFields[0].key: 'spec.unschedulable' is not a node field"]),
])
def test_node_selector_term_problems(term, expected):
    problems = [str(problem) for problem in node_selector_term_problems(term)]
    assert len(problems) == len(expected)
    for problem, start in zip(problems, expected):
        assert problem.startswith(start)


def required(*terms):
    return {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}}}


SSD = {"matchExpressions": [expression("disktype", "In", "ssd")]}
HDD = {"matchExpressions": [expression("disktype", "In", "hdd")]}

AFFINITY_CASES = [
    ("no constraints", {}, True),
    ("nodeSelector matches", {"nodeSelector": {"disktype": "ssd", "generation": "v2"}}, True),
    ("nodeSelector needs every pair", {"nodeSelector": {"disktype": "ssd", "generation": "v1"}}, False),
    ("nodeSelector value must be a string", {"nodeSelector": {"gpu-count": 4}}, False),
    ("nodeSelector must be a mapping", {"nodeSelector": ["disktype=ssd"]}, False),
    ("terms are ORed", required(HDD, SSD), True),
    ("no term matches", required(HDD), False),
    ("empty terms list matches nothing", required(), False),
    ("only empty terms match nothing", required({}, {"matchExpressions": []}), False),
    ("empty term next to a matching one", required({}, SSD), True),
    ("invalid term next to a matching one", required({"matchExpressions": [expression("x", "Gt", "y")]}, SSD), True),
    ("required without nodeSelectorTerms matches nothing",
     {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {}}}}, False),
    ("nodeSelector AND affinity", {**required(SSD), "nodeSelector": {"generation": "v1"}}, False),
    ("preferred affinity does not filter",
     {"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, "preference": HDD}]}}}, True),
    ("affinity without nodeAffinity", {"affinity": {"podAntiAffinity": {}}}, True),
    ("malformed affinity matches nothing", {"affinity": ["nodeAffinity"]}, False),
]


@pytest.mark.parametrize("pod_spec, expected", [case[1:] for case in AFFINITY_CASES], ids=[case[0] for case in AFFINITY_CASES])
def test_required_node_affinity_matches(pod_spec, expected):
    assert required_node_affinity_matches(pod_spec, GPU_NODE) is expected


# --- node verdicts -------------------------------------------------------------------------------

CLUSTER = Cluster((
    node("plain-a", {"disktype": "ssd", "topology.kubernetes.io/zone": "a"}),
    node("plain-b", {"disktype": "hdd", "topology.kubernetes.io/zone": "b"}),
    node("web", {"disktype": "ssd"}, (Taint("dedicated", "web", "NoSchedule"),)),
    node("spot", {"disktype": "ssd"}, (Taint("lifecycle", "spot", "NoExecute"),)),
    node("soft", {"disktype": "ssd"}, (Taint("busy", "", "PreferNoSchedule"),)),
    node("cordoned", {"disktype": "ssd"}, (Taint("node.kubernetes.io/unschedulable", "", "NoSchedule"),)),
    node("failing", {"disktype": "ssd"}, (Taint(NOT_READY, "", "NoExecute"),)),
), "test cluster")


def reasons(kind, pod_spec):
    return {name: verdict.reason for verdict in node_verdicts(kind, pod_spec, CLUSTER)
            for name in NodeSet((verdict.nodes,)).names()}


def test_node_verdict_reasons():
    assert reasons("Deployment", {"nodeSelector": {"disktype": "ssd"}}) == {
        "plain-a": None,
        "plain-b": "nodeSelector",
        "web": "taint dedicated=web:NoSchedule not tolerated",
        "spot": "taint lifecycle=spot:NoExecute not tolerated",
        "soft": None,  # PreferNoSchedule never excludes a node
        "cordoned": "taint node.kubernetes.io/unschedulable:NoSchedule not tolerated",
        # The implicit DefaultTolerationSeconds toleration covers not-ready:NoExecute.
        "failing": None,
    }
    assert reasons("Deployment", required(HDD))["plain-a"] == "node affinity"


def test_node_verdicts_use_tolerations():
    spec = {"tolerations": [{"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"},
                            {"key": "lifecycle", "operator": "Exists", "effect": "NoSchedule"}]}
    result = reasons("Deployment", spec)
    assert result["web"] is None
    assert result["spot"] == "taint lifecycle=spot:NoExecute not tolerated"  # wrong effect


def test_daemonset_tolerates_cordoned_nodes():
    assert reasons("DaemonSet", {})["cordoned"] is None
    assert reasons("Deployment", {})["cordoned"] is not None


def test_node_name_bypasses_scheduler_taint_filter():
    # The kubelet admits a pod bound by nodeName despite NoSchedule taints, not despite NoExecute.
    assert reasons("Deployment", {"nodeName": "web"}) == {
        "plain-a": "nodeName", "plain-b": "nodeName", "web": None, "spot": "nodeName",
        "soft": "nodeName", "cordoned": "nodeName", "failing": "nodeName",
    }
    assert reasons("Deployment", {"nodeName": "spot"})["spot"] == "taint lifecycle=spot:NoExecute not tolerated"
    # The DaemonSet controller still checks NoSchedule taints.
    assert reasons("DaemonSet", {"nodeName": "web"})["web"] == "taint dedicated=web:NoSchedule not tolerated"


def test_eligible_nodes():
    names = [n.name for n in eligible_nodes("Deployment", {"tolerations": [{"operator": "Exists"}]}, CLUSTER)]
    assert names == ["plain-a", "plain-b", "web", "spot", "soft", "cordoned", "failing"]
    assert eligible_nodes("Deployment", {"nodeSelector": {"disktype": "nvme"}}, CLUSTER) == []


def test_node_verdicts_survive_malformed_specs():
    for spec in (None, [], {"tolerations": {"key": "x"}}, {"nodeSelector": "ssd"}, {"affinity": "x"}):
        verdicts = node_verdicts("Deployment", spec, CLUSTER)
        assert sum(verdict.count for verdict in verdicts) == verdicts.count == len(CLUSTER.nodes) == 7


# --- topology domains ----------------------------------------------------------------------------


def test_topology_domains_leave_out_nodes_without_the_key():
    nodes = [node("n1", {"zone": "a"}), node("n2", {"zone": "b"}), node("n3"), node("n4", {"zone": "a"}),
             node("n5", {"zone": ""})]
    everything = all_nodes(Cluster(nodes, "test"))
    zones = domains(everything, "zone")
    assert zones.first(5) == ["a", "b", ""] and len(zones) == 3  # an empty value is still a domain
    assert lacking(everything, "zone") == 1  # n3
    assert zones.topology_key == "zone"
    assert len(domains(everything, "kubernetes.io/hostname")) == 5
    assert len(domains(NodeSet(), "zone")) == 0


def test_node_sets_of_a_billion_nodes_cost_per_class():
    cluster = cluster_from_profile({"apiVersion": "k8slint.io/v1", "kind": "ClusterProfile",
                                    "pools": [{"name": "big", "count": 10**9, "zones": ["x", "y"]},
                                              {"name": "gpu", "count": 4,
                                               "taints": [{"key": "gpu", "effect": "NoSchedule"}]}]}, "p")
    verdicts = node_verdicts("Deployment", {}, cluster)
    assert verdicts.eligible.count == 10**9 and verdicts.count == 10**9 + 4
    hosts = domains(verdicts.eligible, "kubernetes.io/hostname")
    assert len(hosts) == 10**9 and hosts.first(3) == ["big-1", "big-2", "big-3"]
    assert domains(verdicts.eligible, "topology.kubernetes.io/zone").first(5) == ["x", "y"]
    # A placement that names nodes splits their class: the named node, and the rest.
    pinned = node_verdicts("Deployment", {"nodeSelector": {"kubernetes.io/hostname": "big-7"}}, cluster)
    assert pinned.eligible.names() == ["big-7"]
    avoid = {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "NotIn", "values": ["big-1", "big-3"]}]}]}}}}
    rest = node_verdicts("Deployment", avoid, cluster).eligible
    assert rest.count == 10**9 - 2 and rest.names(2) == ["big-2", "big-4"]
    assert rest <= verdicts.eligible and not verdicts.eligible <= rest
    assert (verdicts.eligible - rest).names() == ["big-1", "big-3"]
    assert (rest | pinned.eligible) == rest
    bound = node_verdicts("Deployment", {"nodeName": "big-1000000000"}, cluster)
    assert bound.eligible.names() == ["big-1000000000"]
    assert node_verdicts("Deployment", {"nodeName": "big-1000000001"}, cluster).eligible.count == 0
    assert node_verdicts("Deployment", {"nodeName": "gpu-2"}, cluster).eligible.names() == ["gpu-2"]  # NoSchedule
    by_taints = node_verdicts("Deployment", {}, cluster).placed_by_taints()
    assert {taints: nodes.count for taints, nodes in by_taints.items()} == {
        (): 10**9, (Taint("gpu", "", "NoSchedule"),): 4}


@pytest.mark.parametrize("selector", [
    {}, {"app": "web"}, {"app.kubernetes.io/name": "web", "tier": ""}, {"example.com/app": "a.b_c-d"},
    {"-bad": "web"}, {"app": "-bad"}, {"a/b/c": "x"}, {"/app": "x"}, {"app": "x" * 64}, {"k" * 64: "x"},
    {"Upper.Example.com/app": "x"}, {"app": "web", "tier": "has space"}, {"app": 1}, {1: "web"},
    {"app": None}, {"app": ["web"]}, {"app": True},
])
def test_label_map_valid_is_the_compilers_verdict(selector):
    """service-no-endpoints checks a Service's selector with label_map_valid instead of compiling
    it: the verdict must be the compiler's (label_map_problems) for every map."""
    from k8slint.model.scheduling import label_map_problems, label_map_valid

    assert label_map_valid(selector) is (not label_map_problems(selector))


@pytest.mark.parametrize("seed", range(10))
def test_selector_mismatch_is_silent_exactly_when_the_compiled_selector_matches(seed):
    """selector-mismatch reads a valid matchLabels-only selector without compiling it: it must stay
    silent exactly where the compiled selector is valid, not empty, and matches the template."""
    import random

    from k8slint.model.scheduling import label_selector_matches, label_selector_problems
    from k8slint.rules import selector_mismatch

    class Ctx:
        def __init__(self):
            self.reports = []

        def report(self, *args, **kwargs):
            self.reports.append(args)

    rng = random.Random(seed)
    keys = ("app", "tier", "app.kubernetes.io/name", "-bad", "a/b/c")
    values = ("web", "api", "", "-bad", 1, None, ["web"])
    for _ in range(300):
        labels = {k: rng.choice(values[:3]) for k in keys[:3] if rng.random() < 0.7}
        selector = {}
        if rng.random() < 0.9:
            selector["matchLabels"] = {rng.choice(keys): rng.choice(values) for _ in range(rng.randint(0, 3))}
            if rng.random() < 0.1:
                selector["matchLabels"] = rng.choice((None, "app=web", []))
        if rng.random() < 0.2:
            selector["matchExpressions"] = [{"key": rng.choice(keys[:3]), "operator": "Exists"}]
        if rng.random() < 0.05:
            selector["unknownField"] = "x"
        ctx = Ctx()
        selector_mismatch._label_selector(None, ctx, selector, ("spec", "selector"), labels, "rejected")
        silent = not label_selector_problems(selector) and bool(
            selector.get("matchLabels") or selector.get("matchExpressions")) and label_selector_matches(selector, labels)
        assert (not ctx.reports) is silent, (selector, labels)
