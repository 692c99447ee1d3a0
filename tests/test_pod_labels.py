"""The labels a pod of a template carries: the template's plus the controllers' (k8slint.model.pod_labels)."""

from __future__ import annotations

import pytest

from k8slint.model.objects import make_object
from k8slint.model.pod_labels import map_verdict, pod_labels, selector_verdict


def workload(kind: str, spec: dict | None = None, name: str = "w", api_version: str = "apps/v1"):
    spec = {"template": {"metadata": {"labels": {"app": "w"}}}, **(spec or {})}
    if kind == "CronJob":
        spec = {"jobTemplate": {"spec": spec}}
    return make_object({"apiVersion": api_version, "kind": kind, "metadata": {"name": name}, "spec": spec},
                       "f.yaml", 0, 1)


def exists(key: str) -> dict:
    return {"matchExpressions": [{"key": key, "operator": "Exists"}]}


@pytest.mark.parametrize("kind,api_version,key", [
    ("Deployment", "apps/v1", "pod-template-hash"),
    ("StatefulSet", "apps/v1", "controller-revision-hash"),
    ("StatefulSet", "apps/v1", "statefulset.kubernetes.io/pod-name"),
    ("StatefulSet", "apps/v1", "apps.kubernetes.io/pod-index"),
    ("DaemonSet", "apps/v1", "controller-revision-hash"),
    ("DaemonSet", "apps/v1", "pod-template-generation"),
    ("Job", "batch/v1", "controller-uid"),
    ("Job", "batch/v1", "batch.kubernetes.io/controller-uid"),
    ("CronJob", "batch/v1", "batch.kubernetes.io/job-name"),
    ("Rollout", "argoproj.io/v1alpha1", "rollouts-pod-template-hash"),
])
def test_controller_labels_exist_on_every_pod(kind, api_version, key):
    labels = pod_labels(workload(kind, api_version=api_version))
    assert selector_verdict(exists(key), labels) is True
    assert selector_verdict({"matchExpressions": [{"key": key, "operator": "DoesNotExist"}]}, labels) is False
    assert selector_verdict({"matchExpressions": [{"key": key, "operator": "In", "values": ["x"]}]}, labels) is None
    assert map_verdict({"app": "w", key: "x"}, labels) is None
    assert map_verdict({"app": "other", key: "x"}, labels) is False


def test_labels_other_kinds_do_not_get():
    assert selector_verdict(exists("pod-template-hash"), pod_labels(workload("StatefulSet"))) is False
    assert selector_verdict(exists("pod-template-hash"), pod_labels(workload("ReplicaSet"))) is False
    assert selector_verdict(exists("statefulset.kubernetes.io/pod-name"), pod_labels(workload("Deployment"))) is False


def test_job_name_is_known_and_version_dependent():
    job = workload("Job", api_version="batch/v1", name="migrate")
    assert map_verdict({"job-name": "migrate", "batch.kubernetes.io/job-name": "migrate"}, pod_labels(job)) is True
    assert map_verdict({"job-name": "other"}, pod_labels(job)) is False
    # batch.kubernetes.io/job-name and controller-uid since 1.27 (generateSelector)
    assert selector_verdict(exists("batch.kubernetes.io/job-name"), pod_labels(job, (1, 26))) is False
    # manualSelector: true: the API server adds nothing
    manual = workload("Job", {"manualSelector": True}, api_version="batch/v1")
    assert selector_verdict(exists("controller-uid"), pod_labels(manual)) is False


def test_index_labels_follow_the_pod_index_label_gate():
    indexed = workload("Job", {"completionMode": "Indexed"}, api_version="batch/v1")
    key = "batch.kubernetes.io/job-completion-index"
    assert selector_verdict(exists(key), pod_labels(indexed)) is True
    assert selector_verdict(exists(key), pod_labels(indexed, (1, 27))) is False
    assert selector_verdict(exists(key), pod_labels(workload("Job", api_version="batch/v1"))) is False
    sts = workload("StatefulSet")
    assert selector_verdict(exists("apps.kubernetes.io/pod-index"), pod_labels(sts, (1, 27))) is False


def test_rollout_with_workload_ref_has_unknown_pods():
    rollout = make_object({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "r"},
                           "spec": {"workloadRef": {"kind": "Deployment", "name": "d"}}}, "f.yaml", 0, 1)
    assert pod_labels(rollout) is None
