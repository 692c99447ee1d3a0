"""Rule-level tests of rolling-update-invalid and unsafe-rolling-update (k8slint/rules/rolling_update.py).

The resolution arithmetic itself is table-tested against the upstream controller tests in
tests/test_rollout.py; here the same cases go through the rule, with HPAs, Services, clusters and
files around them, plus hypothesis properties over whole manifests.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import engine_run
from k8slint.model.cluster import uniform_cluster
from k8slint.model.objects import make_object
from k8slint.model.rollout import (
    ARGO_BOTH_ZERO, daemonset_fenceposts, deployment_fenceposts, statefulset_max_unavailable,
    validate_argo_rollout_strategy, validate_deployment_strategy,
)
from k8slint.model.relations import ReplicaCount, related, replica_counts
from k8slint.rules.rolling_update import INVALID, UNSAFE

RULES = {INVALID, UNSAFE}
PROBE = {"httpGet": {"path": "/ready", "port": 8080}}


def yaml_value(value) -> str:
    """A scalar as YAML flow text (JSON is YAML)."""
    import json

    return json.dumps(value)


def deployment(name="web", replicas=None, strategy=None, probe=True, namespace=None, extra_spec="",
               kind="Deployment", api_version="apps/v1", strategy_key="strategy", labels=None) -> str:
    lines = [f"apiVersion: {api_version}", f"kind: {kind}", "metadata:", f"  name: {name}"]
    if namespace:
        lines.append(f"  namespace: {namespace}")
    lines.append("spec:")
    if replicas is not None:
        lines.append(f"  replicas: {yaml_value(replicas)}")
    if strategy is not None:
        lines.append(f"  {strategy_key}: {yaml_value(strategy)}")
    if kind == "StatefulSet":
        lines.append(f"  serviceName: {name}")
    if extra_spec:
        lines.append(extra_spec)
    labels = labels or {"app": name}
    container = {"name": "app", "image": "app:1"}
    if probe:
        container["readinessProbe"] = PROBE
    lines += [f"  selector: {{matchLabels: {yaml_value(labels)}}}", "  template:",
              f"    metadata: {{labels: {yaml_value(labels)}}}",
              f"    spec: {{containers: [{yaml_value(container)}]}}"]
    return "\n".join(lines) + "\n"


def hpa(target="web", min_replicas=None, max_replicas=10, kind="Deployment", namespace=None, name=None) -> str:
    lines = ["apiVersion: autoscaling/v2", "kind: HorizontalPodAutoscaler", "metadata:", f"  name: {name or target}"]
    if namespace:
        lines.append(f"  namespace: {namespace}")
    lines += ["spec:", f"  scaleTargetRef: {{apiVersion: apps/v1, kind: {kind}, name: {target}}}"]
    if min_replicas is not None:
        lines.append(f"  minReplicas: {min_replicas}")
    lines.append(f"  maxReplicas: {max_replicas}")
    return "\n".join(lines) + "\n"


def ru(**knobs) -> dict:
    return {"type": "RollingUpdate", "rollingUpdate": knobs}


def lint(write, *docs, name="m.yaml", rules=RULES, **options):
    path = write(name, "---\n".join(docs))
    result = engine_run([path], **options)
    assert not result.errors, result.errors
    return [f for f in result.findings if f.rule in rules]


def only(findings, rule=UNSAFE):
    found = [f for f in findings if f.rule == rule]
    assert len(found) == 1, [f.message for f in findings]
    return found[0]


# ---- rolling-update-invalid ----------------------------------------------------------------------

@pytest.mark.parametrize("strategy, field, words", [
    (ru(maxSurge=0, maxUnavailable=0), "maxUnavailable", "are both 0"),
    (ru(maxSurge="0%", maxUnavailable=0), "maxUnavailable", "are both 0"),
    (ru(maxSurge=-1), "maxSurge", "is negative"),
    (ru(maxUnavailable=-2), "maxUnavailable", "is negative"),
    (ru(maxUnavailable="110%"), "maxUnavailable", "is over 100%"),
    (ru(maxUnavailable="25"), "maxUnavailable", 'Write "25%" for a percentage or 25 (unquoted)'),
    (ru(maxSurge="25.5%"), "maxSurge", "whole numbers"),
    (ru(maxSurge="abc"), "maxSurge", "not a valid int-or-percent"),
    (ru(maxSurge=True), "maxSurge", "must be an integer or percent string"),
    ({"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}, "rollingUpdate", "type is Recreate"),
    ({"type": "Canary"}, "type", "not supported"),
])
def test_deployment_rejections(write, strategy, field, words):
    finding = only(lint(write, deployment(replicas=3, strategy=strategy)), INVALID)
    assert finding.severity == "error"
    assert finding.path.endswith(field) and words in finding.message + finding.hint
    assert "rejects the Deployment" in finding.message


def test_deployment_rejection_points_at_the_value(write):
    doc = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  strategy:\n"
           "    rollingUpdate:\n      maxSurge: 1\n      maxUnavailable: \"25\"\n"
           "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
           "    spec: {containers: [{name: app, image: app, readinessProbe: {exec: {command: [x]}}}]}\n")
    finding = only(lint(write, doc), INVALID)
    assert (finding.line, finding.column) == (8, 23)


@pytest.mark.parametrize("min_ready, deadline, path", [
    (600, None, "spec.minReadySeconds"),  # the default deadline is 600
    (700, None, "spec.minReadySeconds"),
    (10, 10, "spec.progressDeadlineSeconds"),
    (30, 0, "spec.progressDeadlineSeconds"),
])
def test_progress_deadline_not_above_min_ready(write, min_ready, deadline, path):
    extra = f"  minReadySeconds: {min_ready}" + (f"\n  progressDeadlineSeconds: {deadline}" if deadline is not None else "")
    finding = only(lint(write, deployment(extra_spec=extra)), INVALID)
    assert finding.path == path and f"minReadySeconds {min_ready}" in finding.message


@pytest.mark.parametrize("min_ready, deadline", [(599, None), (0, 1), (None, None), (30, 31)])
def test_progress_deadline_accepted(write, min_ready, deadline):
    extra = "\n".join(line for line in (f"  minReadySeconds: {min_ready}" if min_ready is not None else "",
                                        f"  progressDeadlineSeconds: {deadline}" if deadline is not None else "") if line)
    assert lint(write, deployment(extra_spec=extra)) == []


@pytest.mark.parametrize("strategy, field, words", [
    (ru(maxSurge=1), "maxSurge", "maxUnavailable is 1 (the default)"),
    (ru(maxSurge=1, maxUnavailable=1), "maxSurge", "never both"),
    (ru(maxUnavailable=0), "maxUnavailable", "are both 0"),
    (ru(maxUnavailable=0, maxSurge="150%"), "maxSurge", "over 100%"),
    (ru(maxUnavailable="101%"), "maxUnavailable", "over 100%"),
    ({"type": "Everywhere"}, "type", "not supported"),
])
def test_daemonset_rejections(write, strategy, field, words):
    doc = deployment(kind="DaemonSet", strategy=strategy, strategy_key="updateStrategy")
    finding = only(lint(write, doc), INVALID)
    assert finding.path.endswith(field) and words in finding.message


@pytest.mark.parametrize("strategy, field, words", [
    (ru(maxUnavailable=0), "maxUnavailable", "cannot be 0"),
    (ru(maxUnavailable="0%"), "maxUnavailable", "cannot be 0"),
    (ru(partition=-1), "partition", "is negative"),
    (ru(partition="1"), "partition", "must be an integer"),
    ({"type": "OnDelete", "rollingUpdate": {"partition": 1}}, "rollingUpdate", "type is OnDelete"),
])
def test_statefulset_rejections(write, strategy, field, words):
    doc = deployment(kind="StatefulSet", replicas=3, strategy=strategy, strategy_key="updateStrategy")
    finding = only(lint(write, doc), INVALID)
    assert finding.path.endswith(field) and words in finding.message


@pytest.mark.parametrize("canary, words", [
    ({"maxSurge": 0, "maxUnavailable": 0}, "both 0 for Argo Rollouts"),
    ({"maxSurge": "0", "maxUnavailable": "0%"}, "both 0 for Argo Rollouts"),
    ({"maxSurge": "abc"}, "cannot resolve it"),
    ({"maxUnavailable": "25.5"}, "cannot resolve it"),
])
def test_rollout_rejections(write, canary, words):
    doc = deployment(kind="Rollout", api_version="argoproj.io/v1alpha1", replicas=4, strategy={"canary": canary})
    finding = only(lint(write, doc), INVALID)
    assert words in finding.message and "Argo Rollouts" in finding.message


@pytest.mark.parametrize("canary", [{"maxSurge": "25", "maxUnavailable": "25"}, {"maxSurge": 1, "maxUnavailable": 0},
                                    {"maxSurge": "25%%"}, {}])
def test_rollout_values_argo_accepts(write, canary):
    doc = deployment(kind="Rollout", api_version="argoproj.io/v1alpha1", replicas=4, strategy={"canary": canary})
    assert lint(write, doc) == []


@pytest.mark.parametrize("strategy, mrs, pds, expected", [
    ({"canary": {}}, None, None, []),
    ({"blueGreen": {"activeService": "a"}}, None, None, []),
    ({"canary": {"maxSurge": "0", "maxUnavailable": 0}}, None, None, [("maxSurge", ARGO_BOTH_ZERO)]),
    ({"canary": {"maxSurge": "0%", "maxUnavailable": "0"}}, None, None, [("maxSurge", ARGO_BOTH_ZERO)]),
    ({"canary": {"maxSurge": 0}}, None, None, []),  # maxUnavailable defaults to "25"
    ({"canary": {"maxSurge": "x"}}, None, None, [("maxSurge", "must be a non-negative integer percentage")]),
    ({"canary": {}, "blueGreen": {}}, None, None, [("strategy", "Multiple Strategies can not be listed")]),
    ({}, None, None, [("strategy", "Rollout has missing field '.spec.strategy.canary or .spec.strategy.blueGreen'")]),
    ({"canary": {}}, 600, None, [("progressDeadlineSeconds", "must be greater than minReadySeconds")]),
    ({"canary": {}}, 600, 601, []),
])
def test_validate_argo_rollout_strategy(strategy, mrs, pds, expected):
    """AR pkg/apis/rollouts/validation: ValidateRolloutStrategy, invalidMaxSurgeMaxUnavailable,
    ValidateRolloutSpec (TestInvalidMaxSurgeMaxUnavailable: 0/0, "0"/0 and "0%"/0 are all rejected)."""
    assert [(p.field, p.message) for p in validate_argo_rollout_strategy(strategy, mrs, pds)] == expected


def test_wrong_types_are_left_to_invalid_field_type(write):
    doc = deployment(strategy=[], extra_spec='  minReadySeconds: "10"')
    findings = lint(write, doc, rules=RULES | {"invalid-field-type"})
    assert {f.rule for f in findings} == {"invalid-field-type"}


# ---- outage: maxUnavailable resolving to every replica ---------------------------------------------

# (maxSurge, maxUnavailable, replicas) -> every pod may be down at once? Cases from TestResolveFenceposts /
# TestMaxUnavailable (deployment_util_test.go) and the ResolveFenceposts doc comment.
@pytest.mark.parametrize("surge, unavailable, replicas, outage", [
    ("39%", "39%", 10, False), (0, "39%", 10, False), ("39%", 0, 10, False), (1, 1, 2, False),
    ("25%", "25%", 8, False), ("0%", "1%", 2, False), ("0%", "1%", 1, True), ("1%", "25%", 1, False),
    (1, 5, 10, False), (1, 10, 10, True), (1, 10, 5, True), (1, "50%", 10, False), (1, "100%", 10, True),
    (1, "100%", 5, True), (None, "50%", 1, False), (None, "50%", 2, False), (0, "50%", 1, True),
    (0, "50%", 2, False), (None, 1, 1, True), (1, 1, 1, True), (None, 2, 3, False),
])
def test_outage_matches_the_controller(write, surge, unavailable, replicas, outage):
    knobs = {k: v for k, v in (("maxSurge", surge), ("maxUnavailable", unavailable)) if v is not None}
    findings = lint(write, deployment(replicas=replicas, strategy=ru(**knobs)))
    outages = [f for f in findings if "every pod may be down" in f.message]
    assert bool(outages) is outage
    assert outage is (deployment_fenceposts(surge, unavailable, replicas).unavailable == replicas)
    if outage:
        assert outages[0].severity == "warning"


def test_outage_message_has_numbers_and_replica_counts(write):
    finding = only(lint(write, deployment(replicas=2, strategy=ru(maxSurge=1, maxUnavailable=2))))
    assert finding.path == "spec.strategy.rollingUpdate.maxUnavailable"
    assert "maxUnavailable 2: at 2 replicas (spec.replicas)" in finding.message
    assert "take all pods down at replicas 1-2" in finding.message

    finding = only(lint(write, deployment(replicas=4, strategy=ru(maxUnavailable="100%"))))
    assert 'maxUnavailable "100%" of 4 replicas resolves to 4 (rounded down)' in finding.message
    assert "every replica count" in finding.message

    finding = only(lint(write, deployment(replicas=2, strategy=ru(maxSurge=1, maxUnavailable=5))))
    assert "maxUnavailable 5 is more than the 2 replicas and is capped at 2" in finding.message
    assert "replicas 1-5" in finding.message


def test_percentage_that_bites_only_at_small_counts(write):
    """maxSurge 0 with maxUnavailable "50%": floor(0.5) = 0 at one replica, forced to 1 = everything; at 2
    replicas 50% is 1 of 2. The message says at which counts it happens."""
    finding = only(lint(write, deployment(replicas=1, strategy=ru(maxSurge=0, maxUnavailable="50%"))))
    assert 'maxUnavailable "50%" of 1 replica resolves to 0 (rounded down)' in finding.message
    assert "uses maxUnavailable 1" in finding.message and "at replica 1." in finding.message
    assert lint(write, deployment(replicas=2, strategy=ru(maxSurge=0, maxUnavailable="50%"))) == []


def test_outage_at_the_hpa_minimum(write):
    docs = [deployment(replicas=5, strategy=ru(maxUnavailable=2)), hpa(min_replicas=2, max_replicas=10)]
    finding = only(lint(write, *docs))
    assert "at 2 replicas (HorizontalPodAutoscaler web minReplicas)" in finding.message
    docs = [deployment(replicas=1, strategy=ru(maxUnavailable=2)), hpa(min_replicas=3, max_replicas=10)]
    assert lint(write, *docs) == []  # spec.replicas 1 is overridden by the HPA's minimum


def test_hpa_default_min_replicas_is_one(write):
    docs = [deployment(replicas=4, strategy=ru(maxSurge=1, maxUnavailable=1)), hpa(max_replicas=6)]
    assert "at 1 replica (HorizontalPodAutoscaler web minReplicas)" in only(lint(write, *docs)).message


# ---- surprises and slow rollouts (info) ------------------------------------------------------------

def test_both_resolve_to_zero_is_explained(write):
    finding = only(lint(write, deployment(replicas=5, strategy=ru(maxSurge=0, maxUnavailable="10%"))))
    assert finding.severity == "info" and finding.path.endswith("maxUnavailable")
    assert 'maxUnavailable "10%" of 5 replicas resolves to 0 (rounded down)' in finding.message
    assert "silently uses maxUnavailable 1" in finding.message
    # maxSurge 0 alone: the default 25% of 3 rounds down to 0 as well
    finding = only(lint(write, deployment(replicas=3, strategy=ru(maxSurge=0))))
    assert finding.path.endswith("maxSurge") and 'maxUnavailable (default "25%") of 3 replicas' in finding.message


@pytest.mark.parametrize("replicas, knobs, slow", [
    (20, {"maxSurge": 1, "maxUnavailable": 0}, True), (19, {"maxSurge": 1, "maxUnavailable": 0}, False),
    (50, {"maxSurge": 0, "maxUnavailable": 1}, True), (50, {"maxSurge": 1, "maxUnavailable": 1}, False),
    (100, {"maxSurge": "1%", "maxUnavailable": 0}, True), (101, {"maxSurge": "1%", "maxUnavailable": 0}, False),
    (30, {}, False),
])
def test_one_pod_at_a_time(write, replicas, knobs, slow):
    findings = lint(write, deployment(replicas=replicas, strategy=ru(**knobs)))
    assert bool(findings) is slow
    if slow:
        assert findings[0].severity == "info" and f"about {replicas} waves" in findings[0].message


def test_one_pod_at_a_time_parameter_and_hpa_maximum(write):
    doc = deployment(replicas=8, strategy=ru(maxSurge=1, maxUnavailable=0))
    assert lint(write, doc) == []
    assert lint(write, doc, params={UNSAFE: {"slow_rollout_replicas": 8}})
    finding = only(lint(write, doc, hpa(min_replicas=8, max_replicas=25)))
    assert "at 25 replicas (HorizontalPodAutoscaler web maxReplicas)" in finding.message


def test_recreate_behind_a_service(write):
    service = "apiVersion: v1\nkind: Service\nmetadata: {name: web-svc}\nspec:\n  selector: {app: web}\n"
    doc = deployment(replicas=3, strategy={"type": "Recreate"})
    finding = only(lint(write, doc, service))
    assert finding.severity == "info" and finding.path == "spec.strategy.type"
    assert "deletes all 3 pods" in finding.message and "Service web-svc" in finding.message
    assert lint(write, doc) == []  # no Service in front
    other_ns = service.replace("metadata: {name: web-svc}", "metadata: {name: web-svc, namespace: other}")
    assert lint(write, deployment(replicas=3, strategy={"type": "Recreate"}, namespace="web"), other_ns) == []


# ---- readiness gate: one problem, one finding ------------------------------------------------------

@pytest.mark.parametrize("kind, key, strategy", [
    ("Deployment", "strategy", None),
    ("Deployment", "strategy", ru(maxSurge=1)),
    ("StatefulSet", "updateStrategy", None),
    ("DaemonSet", "updateStrategy", {"type": "RollingUpdate"}),
    ("Rollout", "strategy", {"canary": {"steps": [{"setWeight": 50}]}}),
    ("Rollout", "strategy", {"blueGreen": {"activeService": "web"}}),
])
def test_rolling_update_without_readiness_is_the_readiness_finding(write, kind, key, strategy):
    """A rolling update that no readiness probe gates is said once, by missing-readiness-probe on the
    container (with the rollout consequence in its message), never again by unsafe-rolling-update."""
    api = "argoproj.io/v1alpha1" if kind == "Rollout" else "apps/v1"
    replicas = None if kind == "DaemonSet" else 3
    doc = deployment(kind=kind, api_version=api, replicas=replicas, strategy=strategy, strategy_key=key, probe=False)
    service = "---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n"
    findings = lint(write, doc + service, rules=RULES | {"missing-readiness-probe"})
    assert [f.rule for f in findings] == ["missing-readiness-probe"]
    assert findings[0].severity == "warning" and 'Service "web" selects its pods' in findings[0].message
    consequence = findings[0].message.split("; ", 1)[1]  # the rollout part, after the Service part
    assert ("Argo Rollouts" if kind == "Rollout" else "a rolling update") in consequence
    assert "as soon as" in consequence and "StatefulSet" not in consequence and "maxSurge" not in consequence


# ---- DaemonSet ---------------------------------------------------------------------------------------

def daemonset(strategy=None, ports=None, host_network=False, probe=True) -> str:
    container = {"name": "agent", "image": "agent:1"}
    if ports:
        container["ports"] = ports
    if probe:
        container["readinessProbe"] = PROBE
    spec = {"containers": [container]}
    if host_network:
        spec["hostNetwork"] = True
    lines = ["apiVersion: apps/v1", "kind: DaemonSet", "metadata: {name: agent}", "spec:"]
    if strategy is not None:
        lines.append(f"  updateStrategy: {yaml_value(strategy)}")
    lines += ["  selector: {matchLabels: {app: agent}}", "  template:", "    metadata: {labels: {app: agent}}",
              f"    spec: {yaml_value(spec)}"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("surge, ports, host_network, stuck", [
    (1, [{"containerPort": 80, "hostPort": 80}], False, True),
    ("1%", [{"containerPort": 80, "hostPort": 8080}], False, True),  # ceil(1% of 1 node) = 1
    (1, [{"containerPort": 80}], True, True),
    (1, [{"containerPort": 80}], False, False),
    ("0%", [{"containerPort": 80, "hostPort": 80}], False, False),
])
def test_daemonset_surge_with_host_port(write, surge, ports, host_network, stuck):
    unavailable = 0 if surge not in (0, "0%") else 1
    doc = daemonset(ru(maxSurge=surge, maxUnavailable=unavailable), ports, host_network)
    findings = lint(write, doc)
    assert bool(findings) is stuck
    if stuck:
        assert findings[0].severity == "error" and findings[0].path.endswith("maxSurge")
        assert "host port" in findings[0].message


@pytest.mark.parametrize("unavailable, nodes, outage", [
    ("100%", None, True), ("99%", None, False), (5, None, False),
    (3, 3, True), (5, 3, True), (2, 3, False), ("67%", 3, True), ("66%", 3, False), ("50%", 2, False),
    ("60%", 2, True), (1, 1, False),  # one node: one pod is all there is, not the setting's fault
])
def test_daemonset_unavailable_against_nodes(write, unavailable, nodes, outage):
    cluster = uniform_cluster(nodes) if nodes is not None else None
    findings = lint(write, daemonset(ru(maxUnavailable=unavailable)), cluster=cluster)
    assert bool(findings) is outage, [f.message for f in findings]


def test_daemonset_defaults_and_on_delete(write):
    assert lint(write, daemonset()) == []
    assert lint(write, daemonset(), cluster=uniform_cluster(1)) == []
    finding = only(lint(write, daemonset({"type": "OnDelete"}, probe=False)))
    assert finding.severity == "info" and "OnDelete" in finding.message


# ---- StatefulSet -------------------------------------------------------------------------------------

@pytest.mark.parametrize("replicas, knobs, words", [
    (3, {"partition": 3}, "partition 3 is not below the 3 replicas"),
    (3, {"partition": 5}, "the highest ordinal is 2"),
    (None, {"partition": 1}, "1 replica (spec.replicas not set)"),
    (4, {"maxUnavailable": "100%"}, '"100%" of 4 replicas resolves to 4'),
    (2, {"maxUnavailable": 2}, "maxUnavailable 2: at 2 replicas"),
    (3, {"maxUnavailable": 7}, "maxUnavailable 7: at 3 replicas"),
])
def test_statefulset_findings(write, replicas, knobs, words):
    doc = deployment(kind="StatefulSet", replicas=replicas, strategy=ru(**knobs), strategy_key="updateStrategy")
    finding = only(lint(write, doc))
    assert words in finding.message and finding.severity == "warning"


@pytest.mark.parametrize("replicas, knobs", [
    (3, {"partition": 2}), (3, {"partition": 0}), (1, {"maxUnavailable": 1}), (1, {"maxUnavailable": "100%"}),
    (5, {"maxUnavailable": "50%"}), (3, {"maxUnavailable": "99%"}), (0, {"partition": 1}),
])
def test_statefulset_quiet(write, replicas, knobs):
    doc = deployment(kind="StatefulSet", replicas=replicas, strategy=ru(**knobs), strategy_key="updateStrategy")
    assert lint(write, doc) == []


def test_statefulset_partition_against_hpa_maximum(write):
    doc = deployment(kind="StatefulSet", replicas=2, strategy=ru(partition=3), strategy_key="updateStrategy")
    assert lint(write, doc, hpa(kind="StatefulSet", min_replicas=2, max_replicas=5)) == []
    finding = only(lint(write, doc, hpa(kind="StatefulSet", min_replicas=2, max_replicas=3)))
    assert "3 replicas (HorizontalPodAutoscaler web maxReplicas)" in finding.message


# ---- Argo Rollouts -----------------------------------------------------------------------------------

def rollout(canary, replicas=3) -> str:
    return deployment(kind="Rollout", api_version="argoproj.io/v1alpha1", replicas=replicas,
                      strategy={"canary": canary})


def test_rollout_canary_uses_argo_resolution(write):
    finding = only(lint(write, rollout({"maxUnavailable": "100"})))
    assert '"100" (read as 100%) of 3 replicas resolves to 3' in finding.message
    finding = only(lint(write, rollout({"maxSurge": "0", "maxUnavailable": "10"}, replicas=4)))
    assert finding.severity == "info" and "Argo Rollouts controller then silently uses" in finding.message
    assert lint(write, rollout({}, replicas=1)) == []  # "25"/"25" at 1 replica: surge 1, unavailable 0


def test_rollout_with_traffic_routing_ignores_surge_settings(write):
    canary = {"maxUnavailable": "100%", "canaryService": "c", "stableService": "s",
              "trafficRouting": {"nginx": {"stableIngress": "web"}}}
    assert lint(write, rollout(canary)) == []


# ---- which HPA / Service belongs to a workload -----------------------------------------------------

def test_hpa_in_another_directory_is_not_paired(write):
    """Two projects linted together: one's HPA named "web" says nothing about the other's Deployment."""
    path = write("app/deploy.yaml", deployment(replicas=4, strategy=ru(maxUnavailable=2)))
    write("other/hpa.yaml", hpa(min_replicas=2))
    result = engine_run([path.parent.parent])
    assert [f for f in result.findings if f.rule == UNSAFE] == []


def test_hpa_in_a_sibling_file_is_paired(write):
    path = write("app/deploy.yaml", deployment(replicas=4, strategy=ru(maxUnavailable=2)))
    write("app/hpa.yaml", hpa(min_replicas=2))
    result = engine_run([path.parent])
    assert len([f for f in result.findings if f.rule == UNSAFE]) == 1


def test_hpa_with_the_same_explicit_namespace_anywhere_is_paired(write):
    path = write("app/deploy.yaml", deployment(replicas=4, strategy=ru(maxUnavailable=2), namespace="shop"))
    write("autoscaling/hpa.yaml", hpa(min_replicas=2, namespace="shop"))
    result = engine_run([path.parent.parent])
    assert len([f for f in result.findings if f.rule == UNSAFE]) == 1
    write("autoscaling/hpa.yaml", hpa(min_replicas=2, namespace="other"))
    result = engine_run([path.parent.parent])
    assert [f for f in result.findings if f.rule == UNSAFE] == []


def _obj(doc: dict, file: str):
    return make_object(doc, file, 0, 1)


def test_related_prefers_file_then_directory_then_namespace():
    me = _obj({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}}, "/r/app/x.yaml")
    same_file = _obj({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b"}}, "/r/app/x.yaml")
    same_dir = _obj({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "c"}}, "/r/app/y.yaml")
    far = _obj({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "d"}}, "/r/other/z.yaml")
    other_ns = _obj({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "e", "namespace": "x"}},
                    "/r/app/x.yaml")
    assert related(me, [far, same_dir, same_file]) == [same_file]
    assert related(me, [far, same_dir]) == [same_dir]
    assert related(me, [far]) == []  # no explicit namespace to vouch for it
    assert related(me, [other_ns]) == [other_ns]  # an empty namespace is compatible with any
    ns_me = _obj({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "namespace": "y"}}, "/r/app/x.yaml")
    assert related(ns_me, [other_ns]) == []
    ns_far = _obj({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "f", "namespace": "y"}}, "/q/z.yaml")
    assert related(ns_me, [ns_far]) == [ns_far]


def test_replica_counts():
    def counts(spec, *hpas):
        workload = _obj({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w"}, "spec": spec}, "f")
        hpa_objs = [_obj({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                          "metadata": {"name": "h"}, "spec": h}, "f") for h in hpas]
        return [(c.n, c.source) for c in replica_counts(workload, hpa_objs)]

    target = {"scaleTargetRef": {"kind": "Deployment", "name": "w"}}
    assert counts({}) == [(1, "spec.replicas not set")]
    assert counts({"replicas": 3}) == [(3, "spec.replicas")]
    assert counts({"replicas": "3"}) == []
    assert counts({"replicas": 3}, {**target, "minReplicas": 2, "maxReplicas": 5}) == [
        (2, "HorizontalPodAutoscaler h minReplicas"), (3, "spec.replicas"), (5, "HorizontalPodAutoscaler h maxReplicas")]
    assert counts({"replicas": 9}, {**target, "minReplicas": 2, "maxReplicas": 5}) == [
        (2, "HorizontalPodAutoscaler h minReplicas"), (5, "HorizontalPodAutoscaler h maxReplicas")]
    assert counts({}, {**target, "maxReplicas": 1}) == [(1, "HorizontalPodAutoscaler h minReplicas")]
    assert counts({}, {"scaleTargetRef": {"kind": "StatefulSet", "name": "w"}, "maxReplicas": 4}) == [
        (1, "spec.replicas not set")]
    assert ReplicaCount(1, "spec.replicas not set", defaulted=True).short() == "spec.replicas not set, default 1"


# ---- hypothesis properties -------------------------------------------------------------------------

def _run(text: str, rules=RULES, cluster=None):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.yaml"
        path.write_text(text, encoding="utf-8")
        result = engine_run([path], cluster=cluster)
    assert not result.errors, result.errors
    return [f for f in result.findings if f.rule in rules]


_SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SLOW
@given(st.integers(4, 5000), st.sampled_from(["Deployment", "StatefulSet", "Rollout"]),
       st.sampled_from([None, {}, {"type": "RollingUpdate"}]))
def test_kubernetes_defaults_never_fire_at_4_or_more_replicas(replicas, kind, strategy):
    if kind == "Rollout":
        doc = deployment(kind=kind, api_version="argoproj.io/v1alpha1", replicas=replicas,
                         strategy={"canary": {"steps": [{"setWeight": 50}]}})
    else:
        doc = deployment(kind=kind, replicas=replicas, strategy=strategy,
                         strategy_key="strategy" if kind == "Deployment" else "updateStrategy")
    assert _run(doc) == []


@_SLOW
@given(st.integers(1, 50))
def test_daemonset_defaults_never_fire(nodes):
    assert _run(daemonset(), cluster=uniform_cluster(nodes)) == []


int_or_percent = st.one_of(st.integers(0, 60), st.integers(0, 150).map(lambda p: f"{p}%"))


@_SLOW
@given(st.one_of(st.none(), int_or_percent), st.one_of(st.none(), int_or_percent), st.integers(0, 60))
def test_findings_agree_with_the_shared_resolution(surge, unavailable, replicas):
    knobs = {k: v for k, v in (("maxSurge", surge), ("maxUnavailable", unavailable)) if v is not None}
    strategy = ru(**knobs)
    findings = _run(deployment(replicas=replicas, strategy=strategy))
    invalid = [f for f in findings if f.rule == INVALID]
    assert bool(invalid) == bool(validate_deployment_strategy(strategy))
    if invalid:
        assert [f for f in findings if f.rule == UNSAFE] == []
        return
    fp = deployment_fenceposts(surge, unavailable, replicas)
    assert 0 <= fp.unavailable <= replicas and fp.surge >= 0  # bounds at every replica count
    outage = [f for f in findings if "every pod may be down" in f.message]
    forced = [f for f in findings if "silently uses maxUnavailable 1" in f.message]
    slow = [f for f in findings if "one pod at a time, about" in f.message]
    assert bool(outage) == (replicas > 0 and fp.unavailable == replicas)
    assert bool(forced) == (replicas > 0 and fp.forced_unavailable and not outage)
    assert bool(slow) == (replicas >= 20 and fp.surge + fp.unavailable == 1)
    assert len(findings) == len(outage) + len(forced) + len(slow)
    for finding in findings:  # every number the message resolves stays within the replicas
        for number in re.findall(r"resolves to (\d+)|capped at (\d+)", finding.message):
            assert 0 <= int(next(n for n in number if n)) <= replicas


@_SLOW
@given(st.one_of(st.integers(1, 40), st.integers(1, 100).map(lambda p: f"{p}%")), st.integers(0, 40))
def test_statefulset_outage_property(unavailable, replicas):
    doc = deployment(kind="StatefulSet", replicas=replicas, strategy=ru(maxUnavailable=unavailable),
                     strategy_key="updateStrategy")
    findings = _run(doc)
    expected = replicas >= 2 and statefulset_max_unavailable(unavailable, replicas) >= replicas
    assert bool(findings) == expected


@_SLOW
@given(st.one_of(st.integers(1, 12), st.integers(1, 100).map(lambda p: f"{p}%")), st.integers(1, 12))
def test_daemonset_outage_property(unavailable, nodes):
    findings = _run(daemonset(ru(maxUnavailable=unavailable)), cluster=uniform_cluster(nodes))
    expected = nodes >= 2 and daemonset_fenceposts(None, unavailable, nodes).unavailable >= nodes
    assert bool(findings) == expected
    assert all(f.path.endswith("maxUnavailable") for f in findings)


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False, width=16),
                         st.text(alphabet="0123456789%-.a ", max_size=5), st.lists(st.integers(), max_size=2))


@_SLOW
@given(st.sampled_from(["Deployment", "DaemonSet", "StatefulSet", "Rollout"]), json_scalars, json_scalars,
       json_scalars, st.one_of(st.none(), st.integers(-1, 30), st.text(alphabet="0123456789ab%-", max_size=3)))
def test_arbitrary_values_never_crash(kind, surge, unavailable, partition, replicas):
    if kind == "Rollout":
        doc = deployment(kind=kind, api_version="argoproj.io/v1alpha1", replicas=replicas,
                         strategy={"canary": {"maxSurge": surge, "maxUnavailable": unavailable}})
    else:
        knobs = {"maxSurge": surge, "maxUnavailable": unavailable, "partition": partition}
        doc = deployment(kind=kind, replicas=replicas if kind != "DaemonSet" else None,
                         strategy=ru(**knobs), strategy_key="strategy" if kind == "Deployment" else "updateStrategy")
    _run(doc, cluster=uniform_cluster(3))  # no InputError (a rule crash is one), whatever the values


def test_host_ports_hints_never_recommend_a_surge():
    """A pod with host ports fits once per node: the outage hint must not send the user to
    maxUnavailable 0 + maxSurge 1, which deadlocks the rollout on a one-node cluster."""
    from conftest import FIXTURES

    path = FIXTURES / "rules" / "rolling-update" / "fire" / "host-port-one-replica.yaml"
    [finding] = [f for f in engine_run([path]).findings if f.rule == UNSAFE]
    assert "host port 80" in finding.hint and "maxSurge: 1" not in finding.hint
    assert "a surge pod needs a node without an old one" in finding.hint
    without = path.read_text().replace("hostPort: 80, ", "").replace("hostPort: 443, ", "")
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "plain.yaml"
        plain.write_text(without)
        [other] = [f for f in engine_run([plain]).findings if f.rule == UNSAFE]
    assert "maxSurge: 1" in other.hint


@pytest.mark.parametrize("surge, unavailable", [(0, "100%"), (0, 12_345), (1, 25_000), ("0%", 0), (0, 0), (1, "50%"),
                                                ("25%", "150%"), (0, 9_999), (0, 10_000), (0, 10_001), (0, 29_999)])
def test_outage_counts_past_the_exact_scan_match_a_full_scan(surge, unavailable):
    """Past 10,000 replica counts the outage counts are found by bisection: the same text as resolving
    every count (30,000 here), for integer, percentage and both-zero settings."""
    from k8slint.model.rollout import deployment_fenceposts
    from k8slint.rules.rolling_update import _count_ranges, _outage_counts

    def takes_all_down(n):
        return deployment_fenceposts(surge, unavailable, n).unavailable == n

    upto = 30_000
    expected = _count_ranges([n for n in range(1, upto + 1) if takes_all_down(n)], upto)
    assert _outage_counts(takes_all_down, upto) == expected
