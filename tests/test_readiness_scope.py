"""missing-readiness-probe says only what the input shows: which evidence says the container serves
(a Service, a client port, a server image), how its workload rolls out (per kind, API version and
Argo Rollouts steps), and nothing at all for containers that clearly serve nothing."""

from __future__ import annotations

import pytest

from conftest import FIXTURES, engine_run
from k8slint.model.objects import Container
from k8slint.model.serving import client_ports, host_ports, idle_reason
from k8slint.model.objects import PodTemplate

RULE = "missing-readiness-probe"
READINESS = FIXTURES / "rules" / "readiness"


def findings(*paths):
    result = engine_run(list(paths))
    assert not result.errors
    return {f.name: f for f in result.findings if f.rule == RULE}


def test_evidence_decides_severity_and_says_which():
    got = findings(READINESS / "fire" / "serving-evidence.yaml")
    shop, api, static = got["shop"], got["api"], got["static"]
    assert shop.severity == "warning" and 'Service "shop" selects its pods' in shop.message
    assert "receives traffic as soon as it starts" in shop.message and "a rolling update counts" in shop.message
    assert api.severity == "warning" and 'port 9090 ("grpc"), a port for HTTP or gRPC clients' in api.message
    assert "no Service in these files selects its pods" in api.message
    # a bare Pod does not roll: no rollout claim, and no Service in the input: only "may"
    assert static.severity == "info" and "it runs nginx, a server image" in static.message
    assert "may send it traffic" in static.message and "rolling update" not in static.message
    for name in ("cluster-autoscaler", "kube-flannel-ds"):
        finding = got[name]
        assert finding.severity == "info" and "nothing in these files shows that it serves" in finding.message
        assert "may" in finding.message and "receives Service traffic" not in finding.message


def test_messages_follow_the_kind():
    doc = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 3
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: "postgres:16", ports: [{containerPort: 5432}]}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}
"""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "db.yaml"
        path.write_text(doc)
        finding = findings(path)["db"]
    assert finding.severity == "warning" and "maxSurge" not in finding.message
    assert "replaces the next pod as soon as the new one starts" in finding.message


def test_argo_steps_shape_the_consequence():
    got = findings(READINESS / "fire" / "argo-steps.yaml")
    paused = got["canary-demo"].message
    assert "step 2 (a pause until someone promotes the Rollout)" in paused
    assert "until none is left" not in paused and "every pod" not in paused
    assert "only its analysis stops" in got["analysed"].message
    blue_green = got["bluegreen"].message
    assert "manual promotion" in blue_green and "takes all the traffic" not in blue_green
    assert all(f.severity == "warning" for f in got.values())


def test_workload_ref_deployment_takes_the_rollouts_strategy():
    got = findings(READINESS / "fire" / "argo-steps.yaml")
    message = got["rollout-ref-deployment"].message
    assert "Rollout rollout-ref runs these pods through its workloadRef" in message and "Argo Rollouts counts" in message
    assert "a rolling update counts" not in message


def test_idle_containers_stay_silent():
    assert findings(READINESS / "near-miss" / "idle-containers.yaml") == {}


def container(**data):
    return Container(data, ("spec", "containers", 0), "containers", 0)


@pytest.mark.parametrize("data, idle", [
    ({"image": "registry.k8s.io/pause:3.10"}, True),
    ({"image": "k8s.gcr.io/pause-amd64:3.1"}, True),
    ({"image": "busybox", "command": ["sleep", "3600"]}, True),
    ({"image": "busybox", "command": ["/bin/sleep", "infinity"]}, True),
    ({"image": "busybox", "args": ["/bin/sh", "-c", "while true; do echo hi; sleep 10; done"]}, True),
    ({"image": "ubuntu", "command": ["tail", "-f", "/dev/null"]}, True),
    ({"image": "busybox", "args": ["/bin/sh", "-c", "touch /tmp/healthy; sleep 3600"]}, True),
    # serving: a listener in the loop, a declared port, a real program
    ({"image": "busybox", "command": ["sh", "-c", "while true; do nc -l -p 8080 < r; sleep 1; done"]}, False),
    ({"image": "registry.k8s.io/pause:3.10", "ports": [{"containerPort": 80}]}, False),
    ({"image": "nginx", "command": ["nginx", "-g", "daemon off;"]}, False),
    ({"image": "busybox", "command": ["sh", "-c", "sleep 5 && exec ./server"]}, False),
])
def test_idle_reason(data, idle):
    assert (idle_reason(container(**data)) is not None) is idle


def test_client_ports_skip_metrics_and_health():
    c = container(image="x", ports=[{"name": "metrics", "containerPort": 8080}, {"name": "healthz", "containerPort": 8081},
                                    {"name": "http", "containerPort": 9000}, {"containerPort": 10258}])
    assert [p["containerPort"] for p in client_ports(c)] == [9000]



def test_monitoring_port_names_are_judged_the_same_once_remembered():
    """is_monitoring_port remembers its verdict per name (a bounded table, emptied when full): the
    verdicts are those of the pattern, the first time, the next time, and after the table fills."""
    from k8slint.model import serving

    names = ["metrics", "http-metrics", "Metrics", "healthz", "admin", "http", "grpc-probe", "web", "stats-x"]
    expected = [True, True, True, True, False, False, True, False, True]
    for _ in range(2):
        assert [serving.is_monitoring_port({"name": n}) for n in names] == expected
    for n in range(5000):  # fills the table past its bound
        assert serving.is_monitoring_port({"name": f"p{n}"}) is False
    assert len(serving._MONITORING_NAMES) <= 4096
    assert [serving.is_monitoring_port({"name": n}) for n in names] == expected
    assert serving.is_monitoring_port({"name": 8080}) is False and serving.is_monitoring_port({}) is False

def test_host_ports_helper():
    template = PodTemplate({"spec": {"hostNetwork": True, "containers": [
        {"name": "a", "ports": [{"containerPort": 80}]},
        {"name": "b", "ports": [{"containerPort": 9000, "hostPort": 9001}]}]}}, ())
    assert [(name, port) for name, port, _ in host_ports(template)] == [("a", 80), ("b", 9001)]


def test_argo_gates_model_the_steps():
    from k8slint.model.rollout import argo_gates

    canary = argo_gates({"strategy": {"canary": {"analysis": {"templates": []}, "steps": [
        {"setWeight": 20}, {"pause": {"duration": "1m"}}, {"experiment": {"templates": []}}, {"pause": {}},
        {"analysis": {"templates": []}}, {"pause": {}}]}}})
    assert (canary.strategy, canary.manual_pause_step, canary.analysis_steps) == ("canary", 3, (2, 4))
    assert canary.background_analysis and canary.waits_for_a_person and canary.can_abort
    plain = argo_gates({"strategy": {"canary": {"steps": [{"setWeight": 50}, {"pause": {"duration": 30}}]}}})
    assert not plain.waits_for_a_person and not plain.can_abort
    blue_green = argo_gates({"strategy": {"blueGreen": {"autoPromotionEnabled": False}}})
    assert blue_green.manual_promotion and blue_green.waits_for_a_person
    assert not argo_gates({"strategy": {"blueGreen": {}}}).waits_for_a_person
    assert argo_gates({"strategy": {}}) is None


@pytest.mark.parametrize("kind, api_version, update, surge, unavailable, deadline, history", [
    # K pkg/apis/extensions/v1beta1/defaults.go
    ("DaemonSet", "extensions/v1beta1", "OnDelete", None, 1, None, 10),
    ("Deployment", "extensions/v1beta1", "RollingUpdate", 1, 1, None, None),
    # K pkg/apis/apps/v1beta1/defaults.go
    ("StatefulSet", "apps/v1beta1", "OnDelete", None, None, None, 10),
    ("Deployment", "apps/v1beta1", "RollingUpdate", "25%", "25%", 600, 2),
    # K pkg/apis/apps/v1beta2/defaults.go and apps/v1
    ("DaemonSet", "apps/v1beta2", "RollingUpdate", 0, 1, None, 10),
    ("StatefulSet", "apps/v1beta2", "RollingUpdate", None, None, None, 10),
    ("Deployment", "apps/v1", "RollingUpdate", "25%", "25%", 600, 10),
])
def test_version_defaults_follow_upstream(kind, api_version, update, surge, unavailable, deadline, history):
    from k8slint.model.rollout import update_type, version_defaults

    d = version_defaults(kind, api_version)
    assert (d.update_type, d.max_surge, d.max_unavailable, d.progress_deadline_seconds,
            d.revision_history_limit) == (update, surge, unavailable, deadline, history)
    assert update_type(kind, api_version, {}) == update
    field = "strategy" if kind == "Deployment" else "updateStrategy"
    assert update_type(kind, api_version, {field: {"type": "RollingUpdate"}}) == "RollingUpdate"
    assert update_type("ReplicaSet", "apps/v1", {}) is None
