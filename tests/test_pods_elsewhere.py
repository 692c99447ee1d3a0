"""Cross-object "nothing matches" findings need evidence that the input holds every workload that
could match: a custom resource of an operator that creates pods, or a selector on a label only an
operator sets, makes service-no-endpoints and pdb-no-match silent; without a workload in the
Service's own file the finding is info and says "may"."""

from __future__ import annotations

from conftest import FIXTURES, engine_run
from k8slint.model.objects import PodSource, make_object

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27", readinessProbe: {httpGet: {path: /, port: 80}}}]
"""
SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  selector: {app: api}
  ports: [{port: 80}]
"""


def rules(result, *ids):
    return [f for f in result.findings if f.rule in ids]


def test_operator_custom_resources_and_labels_silence_nothing_matches():
    for family in ("services", "pdb"):
        result = engine_run([FIXTURES / "rules" / family / "near-miss" / "operator-pods.yaml"])
        assert rules(result, "service-no-endpoints", "pdb-no-match") == []


def test_same_file_is_a_warning_and_other_files_say_may(tmp_path):
    (tmp_path / "all.yaml").write_text(DEPLOYMENT + "---\n" + SERVICE)
    [same] = rules(engine_run([tmp_path / "all.yaml"]), "service-no-endpoints")
    assert same.severity == "warning" and "connections to it fail" in same.message
    split = tmp_path / "split"
    split.mkdir()
    (split / "deploy.yaml").write_text(DEPLOYMENT)
    (split / "svc.yaml").write_text(SERVICE)
    [other] = rules(engine_run([split]), "service-no-endpoints")
    assert other.severity == "info" and "matches no workload in these files" in other.message
    assert "may fail" in other.message and "unless its pods are created elsewhere" in other.message
    (split / "kafka.yaml").write_text("apiVersion: kafka.strimzi.io/v1beta2\nkind: Kafka\nmetadata: {name: k}\n"
                                      "spec: {kafka: {replicas: 3}, zookeeper: {replicas: 3}}\n")
    # a Kafka resource has no pod field at the top of its spec: still no evidence for app=api pods
    assert len(rules(engine_run([split]), "service-no-endpoints")) == 1
    (split / "app.yaml").write_text("apiVersion: apps.openshift.io/v1\nkind: DeploymentConfig\nmetadata: {name: api}\n"
                                    "spec: {replicas: 1}\n")
    assert rules(engine_run([split]), "service-no-endpoints") == []


def test_pod_sources_are_custom_resources_that_describe_pods():
    def kind_of(text_root):
        return type(make_object(text_root, "f.yaml", 0, 1))

    assert kind_of({"apiVersion": "monitoring.coreos.com/v1", "kind": "Prometheus", "metadata": {"name": "k8s"}}) \
        is PodSource
    assert kind_of({"apiVersion": "example.com/v1", "kind": "Cache", "spec": {"replicas": 2}}) is PodSource
    assert kind_of({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "spec": {"hosts": ["a"]}}) \
        is not PodSource
    assert kind_of({"apiVersion": "apps/v1", "kind": "ControllerRevision", "spec": {"replicas": 2}}) is not PodSource


def test_info_level_references_are_worded_may(tmp_path):
    """Info findings (the evidence is only in other files of the directory) never claim certain
    failure: the target may be defined elsewhere."""
    (tmp_path / "deploy.yaml").write_text(DEPLOYMENT)
    (tmp_path / "svc.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n"
                                       "  selector: {app: web}\n  ports: [{port: 80, targetPort: http}]\n")
    (tmp_path / "hpa.yaml").write_text("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
                                       "metadata: {name: api}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, "
                                       "kind: Deployment, name: api}\n  minReplicas: 2\n  maxReplicas: 4\n")
    result = engine_run([tmp_path])
    [port] = rules(result, "service-target-port")
    assert port.severity == "info" and "may fail" in port.message and "unless" in port.message
    [hpa] = rules(result, "hpa-target-missing")
    assert hpa.severity == "info" and "may scale nothing" in hpa.message and "unless" in hpa.message
