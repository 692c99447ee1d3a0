"""The API-schema checks (k8slint.model.apischema, rules/api_schema.py): the native walk and its
Python twin agree, suggestions, and the run-level rule that a field gets one finding."""

from __future__ import annotations

import pytest

from conftest import FIXTURES, engine_run
from k8slint.loader import Document, compose
from k8slint.model import apischema


def _documents():
    for path in sorted(FIXTURES.rglob("*.yaml")):
        for item in compose(path.read_text(encoding="utf-8")):
            if isinstance(item, Document) and isinstance(item.root, dict):
                yield path, item.root


def test_native_walk_and_python_twin_find_the_same_problems():
    if apischema._native_walk is None:
        pytest.skip("native module not built")
    schema = apischema.api_schema((1, 35))
    checked = 0
    for path, root in _documents():
        node = schema.node_for(root.get("apiVersion"), root.get("kind"))
        if node is None:
            continue
        native = [(p.what, p.path, p.field, repr(p.value)) for p in apischema.check(root, node)]
        python = [(p.what, p.path, p.field, repr(p.value)) for p in apischema.check_in_python(root, node)]
        assert native == python, path
        checked += 1
    assert checked > 100


@pytest.mark.parametrize("name,candidates,meant", [
    ("readinesProbe", ["livenessProbe", "readinessProbe", "startupProbe"], "readinessProbe"),
    ("imagepullPolicy", ["image", "imagePullPolicy"], "imagePullPolicy"),
    ("requets", ["claims", "limits", "requests"], "requests"),
    ("maxUnavailible", ["maxSurge", "maxUnavailable"], "maxUnavailable"),
    ("foo", ["image", "name"], None),
])
def test_did_you_mean(name, candidates, meant):
    assert apischema.closest(name, candidates) == meant


def test_quantities_int_or_string_and_formats(write):
    text = ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: i\n"
            "    resources:\n      limits: {cpu: 1.5.0, memory: 1e3, ephemeral-storage: 2Gi, nvidia.com/gpu: 1}\n"
            "      requests: {cpu: true}\n    ports: [{containerPort: 99999999999}]\n")
    got = {(f.rule, f.path) for f in engine_run([write("p.yaml", text)]).findings
           if f.rule in ("invalid-field-type", "invalid-field-value")}
    assert got == {("invalid-field-value", "spec.containers[0].resources.limits.cpu"),
                   ("invalid-field-type", "spec.containers[0].resources.requests.cpu"),
                   ("invalid-field-value", "spec.containers[0].ports[0].containerPort")}


def test_unknown_field_points_at_the_key_and_wrong_type_at_the_value(write):
    text = ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: i\n"
            "    imagepullPolicy: Always\n    env:\n      name: A\n")
    by_rule = {f.rule: f for f in engine_run([write("p.yaml", text)]).findings}
    unknown, wrong = by_rule["unknown-field"], by_rule["invalid-field-type"]
    assert (unknown.line, unknown.column, unknown.end_column) == (8, 5, 20)
    assert 'did you mean "imagePullPolicy"?' in unknown.message and unknown.hint == \
        'Rename "imagepullPolicy" to "imagePullPolicy".'
    assert (wrong.line, wrong.column) == (10, 7) and wrong.path == "spec.containers[0].env"


def test_one_finding_per_field(write):
    # toleration-invalid reports the unquoted value; the schema check stays silent there
    text = ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  tolerations: [{key: a, value: true}]\n"
            "  containers: [{name: c, image: i}]\n")
    rules = [f.rule for f in engine_run([write("p.yaml", text)]).findings if f.line == 5]
    assert rules.count("toleration-invalid") == 1 and "invalid-field-type" not in rules


def test_custom_resources_without_a_schema_are_left_alone(write):
    text = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {replicas: three, x: 1}\n"
    assert [f for f in engine_run([write("w.yaml", text)]).findings
            if f.rule in ("unknown-field", "invalid-field-type")] == []


def test_rollout_template_is_checked_as_a_pod_template(write):
    text = ("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec:\n"
            "  selector: {matchLabels: {app: r}}\n  template:\n    metadata: {labels: {app: r}}\n    spec:\n"
            "      containers:\n      - name: r\n        image: i\n        readinesProbe: {tcpSocket: {port: 80}}\n")
    (finding,) = [f for f in engine_run([write("r.yaml", text)]).findings if f.rule == "unknown-field"]
    assert finding.line == 12 and "Rollout controller" in finding.message


def test_unknown_kinds_follow_the_target_release(write):
    from k8slint.engine import Options, run

    from k8slint.rules import reported_ids

    text = ("apiVersion: v1\nkind: Sevrice\nmetadata: {name: s}\n---\n"
            "apiVersion: resource.k8s.io/v1\nkind: DeviceClass\nmetadata: {name: gpu}\nspec: {}\n---\n"
            "apiVersion: skaffold/v4beta9\nkind: Config\nmetadata: {name: tool-config}\n---\n"
            "apiVersion: v1\nkind: Config\nclusters: []\n")
    path = write("k.yaml", text)

    def unknown(version):
        options = Options(enabled=frozenset(reported_ids()), kubernetes_version=version)
        return [(f.line, f.message) for f in run([path], options).findings if f.rule == "unknown-kind"]

    old = unknown((1, 28))
    assert [line for line, _ in old] == [2, 5]
    assert 'did you mean "Service"?' in old[0][1] and "served from 1.34" in old[1][1]
    assert [line for line, _ in unknown((1, 35))] == [2]  # DeviceClass v1 is served; tools' files are not judged


def test_custom_resources_are_checked_against_a_crd_of_another_file(write):
    crd = (FIXTURES / "rules" / "custom-resources" / "fire" / "crontab.yaml").read_text(encoding="utf-8")
    crd_only = crd.split("\n---\n")[0]
    resource = ("apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata: {name: b}\n"
                "spec:\n  cronSpec: '* * * * */5'\n  replica: 3\n")
    found = [f for f in engine_run([write("crd.yaml", crd_only), write("cr.yaml", resource)]).findings
             if f.rule == "custom-resource-invalid"]
    assert [(f.line, f.column, f.severity) for f in found] == [(6, 3, "warning")]
    assert 'did you mean "replicas"?' in found[0].message and "crd.yaml" in found[0].message
