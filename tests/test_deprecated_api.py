"""deprecated-api: removed vs deprecated at the run's target Kubernetes version, messages, RCs."""

from __future__ import annotations

import json

import pytest

from conftest import cli, engine_run
from k8slint.model.versions import NEWEST, VersionError, parse_version

RULE = "deprecated-api"
FLOWSCHEMA = ("apiVersion: flowcontrol.apiserver.k8s.io/v1beta3\nkind: FlowSchema\nmetadata: {name: f}\n"
              "spec: {priorityLevelConfiguration: {name: x}}\n")
CRONJOB = ("apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  schedule: '* * * * *'\n"
           "  jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: 'i:1'}]}}}}\n")


def run(write, text: str, version=None):
    options = {"kubernetes_version": parse_version(version)} if version is not None else {}
    result = engine_run([write("m.yaml", text)], enabled={RULE}, **options)
    assert not result.errors
    return [f for f in result.findings if f.rule == RULE]


@pytest.mark.parametrize("version,severity", [(None, "error"), ("1.31", "warning"), ("1.29", "warning"), ("1.32", "error"),
                                              ("v1.33.2", "error"), ("1.28", None)])
def test_severity_follows_the_target_version(write, version, severity):
    found = run(write, FLOWSCHEMA, version)
    assert [f.severity for f in found] == ([severity] if severity else [])


def test_removed_message_names_release_replacement_and_kubectl_error(write):
    [f] = run(write, CRONJOB)
    assert (f.line, f.column, f.path, f.severity) == (1, 13, "apiVersion", "error")
    assert f.message == ("CronJob batch/v1beta1 is no longer served since Kubernetes 1.25 (linting for 1.35): "
                         "kubectl apply fails with 'no matches for kind \"CronJob\" in version \"batch/v1beta1\"'; "
                         "use batch/v1")
    assert f.hint.startswith("Change apiVersion to batch/v1")
    [f] = run(write, CRONJOB, "1.22")
    assert f.severity == "warning" and "deprecated since Kubernetes 1.21" in f.message
    assert run(write, CRONJOB, "1.20") == []


def test_replication_controller_has_its_own_rule(write):
    """ReplicationController is served and not deprecated: its advice is replication-controller's."""
    text = ("apiVersion: v1\nkind: ReplicationController\nmetadata: {name: r}\nspec:\n  selector: {a: b}\n"
            "  template:\n    metadata: {labels: {a: b}}\n    spec: {containers: [{name: c, image: 'i:1'}]}\n")
    assert run(write, text) == []
    result = engine_run([write("rc.yaml", text)], enabled={"replication-controller"})
    [f] = result.findings
    assert (f.rule, f.line, f.path, f.severity) == ("replication-controller", 2, "kind", "warning")
    assert "does not update running pods" in f.message and "Deployment" in f.hint


@pytest.mark.parametrize("config", [
    "kubernetes_version: '1.32'\n",
    "kubernetes_version: 1.32\n",
    "rules:\n  deprecated-api: {params: {kubernetes_version: '1.32'}}\n",  # the old per-rule parameter
])
def test_version_from_config_and_config_severity_wins(write, tmp_path, monkeypatch, config):
    write("m.yaml", FLOWSCHEMA)
    write(".k8slint.yaml", config)
    monkeypatch.chdir(tmp_path)
    [f] = [f for f in json.loads(cli("lint", "--format", "json", "m.yaml").stdout)["findings"] if f["rule"] == RULE]
    assert f["severity"] == "error"
    [f] = [f for f in json.loads(cli("lint", "--format", "json", "--kubernetes-version", "1.30",
                                     "m.yaml").stdout)["findings"] if f["rule"] == RULE]
    assert f["severity"] == "warning" and "(linting for 1.30)" in f["message"]  # the option wins
    write(".k8slint.yaml", "rules:\n  deprecated-api: info\n")
    [f] = [f for f in json.loads(cli("lint", "--format", "json", "m.yaml").stdout)["findings"] if f["rule"] == RULE]
    assert f["severity"] == "info"


@pytest.mark.parametrize("config,args,where", [
    ("", ("--kubernetes-version", "banana"), "--kubernetes-version: 'banana' is not a Kubernetes version"),
    ("", ("--kubernetes-version", "1.999"), "--kubernetes-version: Kubernetes 1.999 is not a release k8slint knows"),
    ("kubernetes_version: banana\n", (), "kubernetes_version: 'banana' is not a Kubernetes version"),
    ("kubernetes_version: '2.1'\n", (), "Kubernetes 2.1 is not a release k8slint knows"),
    ("rules:\n  deprecated-api: {params: {kubernetes_version: banana}}\n", (),
     "rules.deprecated-api.params.kubernetes_version: 'banana' is not a Kubernetes version"),
    ("kubernetes_version: '1.30'\nrules:\n  deprecated-api: {params: {kubernetes_version: '1.25'}}\n", (),
     "kubernetes_version and rules.deprecated-api.params.kubernetes_version disagree"),
])
def test_invalid_version_is_a_usage_error(write, tmp_path, monkeypatch, config, args, where):
    write("m.yaml", FLOWSCHEMA)
    write(".k8slint.yaml", config)
    monkeypatch.chdir(tmp_path)
    result = cli("lint", *args, "m.yaml")
    assert result.exit_code == 2
    assert where in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("value,expected", [("1.31", (1, 31)), ("v1.29.3", (1, 29)), ("1.30.0-gke.1", (1, 30)),
                                            ("v1.30.2-eks-1234", (1, 30)), (1.3, (1, 30)), (1.25, (1, 25)),
                                            (" 1.16 ", (1, 16))])
def test_target_version_parsing(value, expected):
    assert parse_version(value) == expected


@pytest.mark.parametrize("value", ["latest", None, True, 131, "1", "1.15", "1.36", "0.9", "1.31banana", [1, 31]])
def test_target_version_rejects(value):
    with pytest.raises(VersionError):
        parse_version(value)


def test_default_is_the_newest_release():
    assert NEWEST == (1, 35)
    from k8slint.engine import Options

    assert Options(enabled=frozenset()).kubernetes_version == NEWEST
