"""deprecated-api: removed vs deprecated by the kubernetes_version parameter, messages, RCs."""

from __future__ import annotations

import json

import pytest

from conftest import cli, engine_run
from k8slint.rules.deprecated_api import target_version

RULE = "deprecated-api"
FLOWSCHEMA = ("apiVersion: flowcontrol.apiserver.k8s.io/v1beta3\nkind: FlowSchema\nmetadata: {name: f}\n"
              "spec: {priorityLevelConfiguration: {name: x}}\n")
CRONJOB = ("apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  schedule: '* * * * *'\n"
           "  jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: 'i:1'}]}}}}\n")


def run(write, text: str, version=None):
    params = {RULE: {"kubernetes_version": version}} if version is not None else {}
    result = engine_run([write("m.yaml", text)], enabled={RULE}, params=params)
    assert not result.errors
    return [f for f in result.findings if f.rule == RULE]


@pytest.mark.parametrize("version,severity", [(None, "warning"), ("1.29", "warning"), ("1.32", "error"),
                                              ("v1.33.2", "error"), ("1.28", None)])
def test_severity_follows_the_target_version(write, version, severity):
    found = run(write, FLOWSCHEMA, version)
    assert [f.severity for f in found] == ([severity] if severity else [])


def test_removed_message_names_release_replacement_and_kubectl_error(write):
    [f] = run(write, CRONJOB)
    assert (f.line, f.column, f.path, f.severity) == (1, 13, "apiVersion", "error")
    assert f.message == ("CronJob batch/v1beta1 is no longer served since Kubernetes 1.25 (linting for 1.31): "
                         "kubectl apply fails with 'no matches for kind \"CronJob\" in version \"batch/v1beta1\"'; "
                         "use batch/v1")
    assert f.hint.startswith("Change apiVersion to batch/v1")
    [f] = run(write, CRONJOB, "1.22")
    assert f.severity == "warning" and "deprecated since Kubernetes 1.21" in f.message
    assert run(write, CRONJOB, "1.20") == []


def test_replication_controller_suggests_a_deployment(write):
    text = ("apiVersion: v1\nkind: ReplicationController\nmetadata: {name: r}\nspec:\n  selector: {a: b}\n"
            "  template:\n    metadata: {labels: {a: b}}\n    spec: {containers: [{name: c, image: 'i:1'}]}\n")
    [f] = run(write, text)
    assert (f.line, f.path, f.severity) == (2, "kind", "warning")
    assert "does not update running pods" in f.message and "Deployment" in f.hint


def test_parameter_from_config_and_config_severity_wins(write, tmp_path, monkeypatch):
    write("m.yaml", FLOWSCHEMA)
    write(".k8slint.yaml", "rules:\n  deprecated-api: {params: {kubernetes_version: '1.32'}}\n")
    monkeypatch.chdir(tmp_path)
    [f] = [f for f in json.loads(cli("lint", "--format", "json", "m.yaml").stdout)["findings"] if f["rule"] == RULE]
    assert f["severity"] == "error"
    write(".k8slint.yaml", "rules:\n  deprecated-api: info\n")
    [f] = [f for f in json.loads(cli("lint", "--format", "json", "m.yaml").stdout)["findings"] if f["rule"] == RULE]
    assert f["severity"] == "info"


@pytest.mark.parametrize("value,expected", [("1.31", (1, 31)), ("v1.29.3", (1, 29)), ("1.30.0-gke.1", (1, 30)),
                                            (1.3, (1, 30)), (1.25, (1, 25)), ("latest", (1, 31)), (None, (1, 31))])
def test_target_version_parsing(value, expected):
    assert target_version(value) == expected


def test_metadata_default_matches_code():
    from k8slint.catalog import metadata
    from k8slint.rules.deprecated_api import DEFAULT_VERSION

    [param] = metadata(RULE)["parameters"]
    assert target_version(param["default"]) == DEFAULT_VERSION
