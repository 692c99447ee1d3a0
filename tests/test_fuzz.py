"""Property-based fuzzing: manifests of every kind k8slint models, built field by field with a
plausible value or a value of any other type (a mutation), go through the whole engine with every
rule enabled. Every rule must return findings or nothing: never raise (which the engine turns into
an ``internal-error`` entry), and the reporters must render whatever comes out.

The budget is bounded (max_examples, no deadline) so the suite stays fast; in CI (``CI`` set) the
examples are derandomized, so a run is reproducible. A failure prints the manifests: save them as
a fixture and report the rule module it names.
"""

from __future__ import annotations

import json
import os
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import all_rule_ids

SETTINGS = dict(deadline=None, database=None, derandomize=bool(os.environ.get("CI")),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

# --- values of any type ------------------------------------------------------------------------

WORDS = ["", "web", "app", "a", "Always", "Never", "OnFailure", "IfNotPresent", "RollingUpdate",
         "Recreate", "OnDelete", "NoSchedule", "NoExecute", "PreferNoSchedule", "Exists", "Equal",
         "In", "NotIn", "DoesNotExist", "Gt", "Lt", "TCP", "UDP", "SCTP", "ClusterIP", "NodePort",
         "LoadBalancer", "ExternalName", "Parallel", "OrderedReady", "Indexed", "NonIndexed",
         "kubernetes.io/hostname", "topology.kubernetes.io/zone", "node-role.kubernetes.io/control-plane",
         "25%", "0%", "100%", "150%", "-10%", "1.5%", "%", "x%", "10m", "100Mi", "1Gi", "0.5", "1e3",
         "http", "8080", "0", "-1", "65536", "*", "k8slint.io/ignore", "Resource", "Utilization",
         "AverageValue", "cpu", "memory", "Deployment", "StatefulSet", "Rollout", "apps/v1", "v1",
         "default", "kube-system", "ns-1", "on", "yes", "null", "~", "true", "0777", "\u00e9\u00e8",
         "a" * 300, "../etc", "$patch", "{{ x }}", "\t", "\n"]

scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-3, max_value=12),
    st.integers(min_value=-(2 ** 63), max_value=2 ** 64),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.5, 1.0, 2.0, 1e3, -0.0]),
    st.sampled_from(WORDS),
    st.text(alphabet=string.ascii_letters + string.digits + "-./%:_ ", max_size=12),
)
anything = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.sampled_from(WORDS[:40]) | st.text(max_size=6), children,
                                               max_size=3)),
    max_leaves=8,
)


def maybe(plausible, weight: int = 4):
    """Mostly the plausible value, sometimes a value of any type (the mutation)."""
    return st.one_of(*([plausible] * weight), anything)


def fields(required: dict | None = None, optional: dict | None = None):
    """A mapping whose keys may each be missing, plausible, or of any type."""
    return st.fixed_dictionaries({k: maybe(v) for k, v in (required or {}).items()},
                                 optional={k: maybe(v) for k, v in (optional or {}).items()})


names = st.sampled_from(["web", "api", "db", "w1", "w2", "cache"])
label_maps = st.dictionaries(st.sampled_from(["app", "tier", "app.kubernetes.io/name", "zone", "x"]),
                             st.sampled_from(["web", "api", "db", "a", "", "x"]), max_size=3)
int_or_percent = st.one_of(st.integers(-2, 5), st.sampled_from(["0%", "25%", "50%", "100%", "1", "x%", "-5%"]))
small_ints = st.integers(-2, 10)

expressions = st.lists(fields({"key": st.sampled_from(["app", "tier", "kubernetes.io/hostname", "zone"]),
                               "operator": st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"])},
                              {"values": st.lists(st.sampled_from(["web", "api", "1", "a"]), max_size=3)}),
                       max_size=2)
label_selector = fields(optional={"matchLabels": label_maps, "matchExpressions": expressions})
topology_keys = st.sampled_from(["kubernetes.io/hostname", "topology.kubernetes.io/zone", "rack", ""])
pod_term = fields({"topologyKey": topology_keys},
                  {"labelSelector": label_selector, "namespaces": st.lists(names, max_size=2),
                   "namespaceSelector": label_selector,
                   "matchLabelKeys": st.lists(st.sampled_from(["app", "pod-template-hash"]), max_size=2),
                   "mismatchLabelKeys": st.lists(st.sampled_from(["app"]), max_size=1)})
weighted_term = fields({"weight": st.integers(-1, 101), "podAffinityTerm": pod_term})
pod_affinity = fields(optional={"requiredDuringSchedulingIgnoredDuringExecution": st.lists(pod_term, max_size=2),
                                "preferredDuringSchedulingIgnoredDuringExecution": st.lists(weighted_term, max_size=2)})
node_term = fields(optional={"matchExpressions": expressions, "matchFields": expressions})
node_affinity = fields(optional={
    "requiredDuringSchedulingIgnoredDuringExecution": fields({"nodeSelectorTerms": st.lists(node_term, max_size=2)}),
    "preferredDuringSchedulingIgnoredDuringExecution": st.lists(
        fields({"weight": st.integers(0, 101), "preference": node_term}), max_size=2)})
affinity = fields(optional={"nodeAffinity": node_affinity, "podAffinity": pod_affinity,
                            "podAntiAffinity": pod_affinity})
tolerations = st.lists(fields(optional={
    "key": st.sampled_from(["dedicated", "node.kubernetes.io/not-ready", "", "gpu"]),
    "operator": st.sampled_from(["Equal", "Exists", "In"]), "value": st.sampled_from(["a", "", "gpu"]),
    "effect": st.sampled_from(["NoSchedule", "NoExecute", "PreferNoSchedule", "", "Bogus"]),
    "tolerationSeconds": st.integers(-5, 400)}), max_size=3)
port_value = st.one_of(st.integers(-1, 70000), st.sampled_from(["http", "metrics", "", "8080"]))
probe = fields(optional={
    "httpGet": fields({"port": port_value}, {"path": st.sampled_from(["/", "/healthz", ""]),
                                            "scheme": st.sampled_from(["HTTP", "HTTPS", "FTP"])}),
    "tcpSocket": fields({"port": port_value}), "grpc": fields({"port": port_value}),
    "exec": fields({"command": st.lists(st.sampled_from(["true", "sh", "-c"]), max_size=3)}),
    "periodSeconds": small_ints, "timeoutSeconds": small_ints, "failureThreshold": small_ints,
    "successThreshold": small_ints, "initialDelaySeconds": small_ints})
resources = fields(optional={"requests": st.dictionaries(st.sampled_from(["cpu", "memory"]),
                                                         st.sampled_from(["100m", "1", "1Gi", 2, "x"]), max_size=2),
                             "limits": st.dictionaries(st.sampled_from(["cpu", "memory"]),
                                                       st.sampled_from(["200m", "2Gi", 0]), max_size=2)})
container = fields({"name": names}, {
    "image": st.sampled_from(["nginx", "nginx:1.27", ""]), "restartPolicy": st.sampled_from(["Always", "Never"]),
    "ports": st.lists(fields({"containerPort": port_value},
                             {"name": st.sampled_from(["http", "metrics", "x" * 20]),
                              "protocol": st.sampled_from(["TCP", "UDP", "tcp"]), "hostPort": port_value}),
                      max_size=2),
    "resources": resources, "readinessProbe": probe, "livenessProbe": probe, "startupProbe": probe,
    "env": st.lists(fields({"name": names}, {"value": scalars}), max_size=1)})
pod_spec = fields({"containers": st.lists(container, max_size=2)}, {
    "initContainers": st.lists(container, max_size=1), "affinity": affinity, "tolerations": tolerations,
    "nodeSelector": label_maps, "nodeName": names, "hostNetwork": st.booleans(),
    "restartPolicy": st.sampled_from(["Always", "OnFailure", "Never", "Sometimes"]),
    "terminationGracePeriodSeconds": small_ints,
    "topologySpreadConstraints": st.lists(fields({"maxSkew": small_ints, "topologyKey": topology_keys,
                                                  "whenUnsatisfiable": st.sampled_from(["DoNotSchedule",
                                                                                        "ScheduleAnyway"])},
                                                 {"labelSelector": label_selector}), max_size=1)})
template = fields({"spec": pod_spec}, {"metadata": fields(optional={"labels": label_maps,
                                                                    "annotations": label_maps})})
metadata = fields({"name": names}, {
    "namespace": st.sampled_from(["default", "prod", ""]), "labels": label_maps,
    "annotations": st.dictionaries(st.sampled_from(["k8slint.io/ignore", "note",
                                                    "autoscaling.alpha.kubernetes.io/metrics"]),
                                   st.sampled_from(["*", "missing-readiness-probe", "", "[]"]), max_size=2)})
rolling = fields(optional={"maxSurge": int_or_percent, "maxUnavailable": int_or_percent, "partition": small_ints})
workload_spec = {"replicas": small_ints, "selector": label_selector, "minReadySeconds": small_ints,
                 "progressDeadlineSeconds": small_ints, "revisionHistoryLimit": small_ints}

KINDS = {
    "Deployment": ("apps/v1", fields({"template": template}, {
        **workload_spec, "strategy": fields(optional={"type": st.sampled_from(["RollingUpdate", "Recreate", "x"]),
                                                      "rollingUpdate": rolling})})),
    "StatefulSet": ("apps/v1", fields({"template": template}, {
        **workload_spec, "serviceName": names, "podManagementPolicy": st.sampled_from(["Parallel", "OrderedReady"]),
        "updateStrategy": fields(optional={"type": st.sampled_from(["RollingUpdate", "OnDelete"]),
                                           "rollingUpdate": rolling})})),
    "DaemonSet": ("apps/v1", fields({"template": template}, {
        "selector": label_selector, "minReadySeconds": small_ints,
        "updateStrategy": fields(optional={"type": st.sampled_from(["RollingUpdate", "OnDelete"]),
                                           "rollingUpdate": rolling})})),
    "ReplicaSet": ("apps/v1", fields({"template": template}, workload_spec)),
    "ReplicationController": ("v1", fields({"template": template}, {"replicas": small_ints,
                                                                    "selector": label_maps})),
    "Job": ("batch/v1", fields({"template": template}, {
        "parallelism": small_ints, "completions": small_ints, "backoffLimit": small_ints,
        "completionMode": st.sampled_from(["Indexed", "NonIndexed"]), "selector": label_selector,
        "manualSelector": st.booleans()})),
    "CronJob": ("batch/v1", fields({"jobTemplate": fields({"spec": fields({"template": template}, {
        "parallelism": small_ints, "selector": label_selector, "manualSelector": st.booleans()})})},
        {"schedule": st.sampled_from(["* * * * *", "", "@hourly"])})),
    "Pod": ("v1", pod_spec),
    "PodTemplate": ("v1", None),
    "Rollout": ("argoproj.io/v1alpha1", fields({"template": template}, {
        **workload_spec, "workloadRef": fields(optional={"kind": st.sampled_from(["Deployment"]), "name": names}),
        "strategy": fields(optional={
            "canary": fields(optional={"maxSurge": int_or_percent, "maxUnavailable": int_or_percent,
                                       "dynamicStableScale": st.booleans(),
                                       "steps": st.lists(st.one_of(fields({"setWeight": small_ints}),
                                                                   fields({"pause": fields()})), max_size=2),
                                       "trafficRouting": fields(optional={"nginx": fields()}),
                                       "antiAffinity": fields(optional={
                                           "requiredDuringSchedulingIgnoredDuringExecution": fields(),
                                           "preferredDuringSchedulingIgnoredDuringExecution": fields(
                                               {"weight": small_ints})})}),
            "blueGreen": fields(optional={"activeService": names, "previewService": names,
                                          "previewReplicaCount": small_ints,
                                          "antiAffinity": fields()})})})),
    "Service": ("v1", fields(optional={
        "type": st.sampled_from(["ClusterIP", "NodePort", "ExternalName", "LoadBalancer"]),
        "selector": label_maps, "clusterIP": st.sampled_from(["None", "10.0.0.1", ""]),
        "ports": st.lists(fields({"port": port_value}, {"targetPort": port_value, "name": names,
                                                         "protocol": st.sampled_from(["TCP", "UDP"])}),
                          max_size=2)})),
    "PodDisruptionBudget": ("policy/v1", fields(optional={
        "minAvailable": int_or_percent, "maxUnavailable": int_or_percent, "selector": label_selector,
        "unhealthyPodEvictionPolicy": st.sampled_from(["AlwaysAllow", "IfHealthyBudget"])})),
    "HorizontalPodAutoscaler": ("autoscaling/v2", fields({"maxReplicas": small_ints}, {
        "scaleTargetRef": fields({"kind": st.sampled_from(["Deployment", "StatefulSet", "Rollout"]), "name": names},
                                 {"apiVersion": st.sampled_from(["apps/v1", "argoproj.io/v1alpha1"])}),
        "minReplicas": small_ints,
        "metrics": st.lists(fields({"type": st.sampled_from(["Resource", "ContainerResource", "External"])},
                                   {"resource": fields({"name": st.sampled_from(["cpu", "memory"])}, {
                                       "target": fields({"type": st.sampled_from(["Utilization", "AverageValue"])},
                                                        {"averageUtilization": small_ints})})}), max_size=2)})),
    "Node": ("v1", fields(optional={
        "taints": st.lists(fields({"key": st.sampled_from(["dedicated", "gpu"]),
                                   "effect": st.sampled_from(["NoSchedule", "NoExecute", "Bogus"])},
                                  {"value": st.sampled_from(["a", "gpu"])}), max_size=2),
        "unschedulable": st.booleans()})),
}


@st.composite
def manifest(draw, kinds=tuple(KINDS)):
    kind = draw(st.sampled_from(kinds))
    api_version, spec = KINDS[kind]
    document = {"apiVersion": draw(st.one_of(*([st.just(api_version)] * 6), st.sampled_from(["v1", "apps/v1beta1",
                                                                                               "example.com/v1"]))),
                "kind": kind, "metadata": draw(maybe(metadata, 6))}
    if kind == "PodTemplate":
        document["template"] = draw(maybe(template))
    elif kind == "Node":
        document["metadata"] = draw(fields({"name": names}, {"labels": st.dictionaries(
            st.sampled_from(["kubernetes.io/hostname", "topology.kubernetes.io/zone", "app", "dedicated"]),
            st.sampled_from(["a", "b", "z1", "gpu"]), max_size=3)}))
        document["spec"] = draw(maybe(spec))
        if draw(st.booleans()):
            document["status"] = {"allocatable": draw(st.dictionaries(st.sampled_from(["cpu", "memory", "pods"]),
                                                                      st.sampled_from(["2", "4Gi", 110, "x"]),
                                                                      max_size=3))}
    elif draw(st.integers(0, 9)) > 0:
        document["spec"] = draw(maybe(spec, 6))
    return document


def lint(tmp_dir, documents, cluster=None):
    from k8slint.engine import Options, run
    from k8slint.report import json_report, text

    path = tmp_dir / "fuzz.yaml"
    path.write_text("---\n".join(json.dumps(d, indent=1, allow_nan=True) for d in documents), encoding="utf-8")
    result = run([str(path)], Options(enabled=all_rule_ids(), cluster=cluster))
    internal = [e for e in result.errors if e.rule == "internal-error"]
    assert not internal, "\n".join(e.message for e in internal) + "\n" + path.read_text()
    text.render(result)
    json_report.render(result)
    return result


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=int(os.environ.get("K8SLINT_FUZZ_EXAMPLES", 200)), **SETTINGS)
@given(documents=st.lists(manifest(), min_size=1, max_size=2))
def test_every_rule_survives_any_object(fuzz_dir, documents):
    lint(fuzz_dir, documents)


@settings(max_examples=int(os.environ.get("K8SLINT_FUZZ_EXAMPLES", 200)) // 2, **SETTINGS)
@given(documents=st.lists(manifest(), min_size=2, max_size=6),
       nodes=st.one_of(st.none(), st.tuples(st.integers(0, 4), st.integers(1, 3))))
def test_cross_object_rules_survive_any_set_of_objects(fuzz_dir, documents, nodes):
    from k8slint.model.cluster import uniform_cluster

    cluster = uniform_cluster(*nodes) if nodes else None
    lint(fuzz_dir, documents, cluster)


@settings(max_examples=60, **SETTINGS)
@given(documents=st.lists(manifest(("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget")),
                          min_size=1, max_size=4))
def test_list_kind_items_and_positions(fuzz_dir, documents):
    """The same objects inside a kind: List: findings still get a position inside the file."""
    result = lint(fuzz_dir, [{"apiVersion": "v1", "kind": "List", "items": documents}])
    assert all(f.line >= 1 and f.column >= 1 for f in result.findings)


@settings(max_examples=40, **SETTINGS)
@given(documents=st.lists(manifest(("Deployment", "StatefulSet", "Service", "PodDisruptionBudget",
                                    "HorizontalPodAutoscaler", "Rollout", "Node")), min_size=2, max_size=5),
       as_list=st.booleans())
def test_cross_object_findings_are_located_as_with_positions_kept(fuzz_dir, documents, as_list):
    """Inventory summaries drop positions and the run finds them again at the end; the result
    must be what copies that keep every position give."""
    from k8slint.engine import file_lint

    if as_list:
        documents = [documents[0], {"apiVersion": "v1", "kind": "List", "items": documents[1:]}]
    lazy = [f.to_dict() for f in lint(fuzz_dir, documents).findings]
    original = file_lint.inventory_copy
    try:
        file_lint.inventory_copy = lambda obj, where=(), lazy_positions=True, offset=-1, kept=frozenset(): \
            original(obj, where, False, kept=kept)
        eager = [f.to_dict() for f in lint(fuzz_dir, documents).findings]
    finally:
        file_lint.inventory_copy = original
    assert lazy == eager


# --- hostile values in the rule fixtures ---------------------------------------------------------
# Each example takes a document of a rule fixture (real shapes every rule reads) and replaces one
# value anywhere in it, at any depth, by a hostile one: integers past int32/int64, 5,000-digit
# numbers and strings, or a container of the wrong type (mapping, list, scalar, null). Every rule
# must still answer (a finding or nothing), never crash (issue 16, point 7).

_HUGE_DIGITS = "9" * 5000
# Written into the YAML unquoted (json.dumps cannot): YAML floats nan and inf, and numbers of
# 5,000 digits (an integer, a float whose value is inf, and a negative one).
_UNQUOTED = {'"HUGE-NUMBER"': _HUGE_DIGITS, '"HUGE-FLOAT"': _HUGE_DIGITS + ".5", '"HUGE-NEGATIVE"': "-" + _HUGE_DIGITS,
             '"NAN-FLOAT"': ".nan", '"INF-FLOAT"': ".inf", '"MINUS-INF-FLOAT"': "-.inf"}
HOSTILE_VALUES = [2 ** 31, 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 63, 2 ** 64, -1, 0, 1e308, -1e308,
                  2147483648.0, 2147483647.0, -1.0, 0.5, 1e19, 2.0,
                  "HUGE-NUMBER", "HUGE-FLOAT", "HUGE-NEGATIVE", "NAN-FLOAT", "INF-FLOAT", "MINUS-INF-FLOAT",
                  _HUGE_DIGITS, "-" + _HUGE_DIGITS[:30], "2147483648", "nan", "NaN", "inf", "-inf", "Infinity",
                  "1e308", "", "x" * 3000,
                  {}, [], None, True, {"a": []}, [{}], [[]], {"key": []}, [None], "http", "100%", "2147483648%"]


def _fixture_documents():
    from conftest import FIXTURES
    from k8slint.loader import Document, compose

    found = []
    for path in sorted((FIXTURES / "rules").rglob("*.yaml")):
        for item in compose(path.read_text(encoding="utf-8")):
            if isinstance(item, Document) and isinstance(item.root, dict) and "kind" in item.root:
                found.append((path.relative_to(FIXTURES).as_posix(), _plain(item.root)))
    return found


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _paths(value, path=()):
    """Every position in a document: (path of the value, is it a key?)."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, path + (index,))


def _replaced(document, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(document, dict):
        return {k: (_replaced(v, rest, new) if k == head else v) for k, v in document.items()}
    return [(_replaced(v, rest, new) if i == head else v) for i, v in enumerate(document)]


_DOCUMENTS = []
_CLUSTERS: dict = {}


def _family_cluster(source: str):
    from conftest import FIXTURES
    from test_rule_fixtures import _cluster_for

    family = (FIXTURES / source).parent.parent
    if family not in _CLUSTERS:
        _CLUSTERS[family] = _cluster_for(family)
    return _CLUSTERS[family]


@settings(max_examples=int(os.environ.get("K8SLINT_FUZZ_EXAMPLES", 200)) // 2, **SETTINGS)
@given(data=st.data())
def test_rules_survive_hostile_values_anywhere_in_the_fixtures(fuzz_dir, data):
    if not _DOCUMENTS:
        _DOCUMENTS.extend(_fixture_documents())
    source, document = data.draw(st.sampled_from(_DOCUMENTS), label="fixture document")
    replacements = data.draw(st.integers(1, 3), label="values replaced")
    for _ in range(replacements):
        paths = [p for p in _paths(document) if p[:1] not in (("apiVersion",), ("kind",))]
        path = data.draw(st.sampled_from(paths), label=f"path in {source}")
        document = _replaced(document, path, data.draw(st.sampled_from(HOSTILE_VALUES), label="value"))
    text = json.dumps(document, indent=1, allow_nan=True)
    for placeholder, value in _UNQUOTED.items():
        text = text.replace(placeholder, value)
    path = fuzz_dir / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    from k8slint.engine import Options, run
    from k8slint.report import json_report, sarif, text as text_report

    # The family's cluster (CLUSTER file), so that the rules that read nodes run too.
    result = run([str(path)], Options(enabled=all_rule_ids(), cluster=_family_cluster(source)))
    internal = [e for e in result.errors if e.rule == "internal-error"]
    assert not internal, "\n".join(e.message for e in internal) + "\n" + text[:3000]
    assert all(len(f.message) <= 1100 for f in result.findings)
    text_report.render(result)
    json_report.render(result)
    sarif.render(result)
