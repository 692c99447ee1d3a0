"""duplicate-key: a key written twice is linted as kubectl applies it (the last value) and reported
once per duplicate, at the second key, naming the first; the rest of the file is still linted."""

from __future__ import annotations

import json

from conftest import FIXTURES, cli, engine_run

FIRE = FIXTURES / "rules" / "duplicate-key" / "fire" / "openshift-etcd.yaml"


def test_reported_at_the_second_key_and_the_object_is_linted():
    result = engine_run([FIRE])
    assert not result.errors
    found = [f for f in result.findings if f.rule == "duplicate-key"]
    assert [(f.line, f.severity, f.path) for f in found] == [(15, "error", "spec.selector"), (50, "error", "type")]
    assert "first at line 9" in found[0].message and "kubectl keeps only this last value" in found[0].message
    # the Deployment was linted: its Service has endpoints, and other rules saw the object
    assert not [f for f in result.findings if f.rule == "service-no-endpoints"]
    assert any(f.rule == "unsafe-rolling-update" and f.name == "etcd" for f in result.findings)


def test_cli_exit_code_and_json(write):
    path = write("dup.yaml", "apiVersion: v1\nkind: Pod\nkind: Service\nmetadata: {name: x}\n")
    result = cli("lint", "--format", "json", path)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["errors"] == []
    [finding] = [f for f in report["findings"] if f["rule"] == "duplicate-key"]
    assert finding["line"] == 3 and "first at line 2" in finding["message"]


def test_disabled_rule_still_lints_the_last_value(write):
    path = write("dup.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  type: ExternalName\n"
                             "  type: ClusterIP\n  selector: {app: x}\n  ports: [{port: 80}]\n")
    result = cli("lint", "--disable", "duplicate-key", "--format", "json", path)
    assert json.loads(result.stdout)["errors"] == []
    assert all(f["rule"] != "duplicate-key" for f in json.loads(result.stdout)["findings"])
