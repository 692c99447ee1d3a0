"""Custom policies end to end: declared inline in .k8slint.yaml or in policy files, object and
container targets, findings at the failing field in text, JSON and SARIF, `k8slint rules` and
`k8slint explain`, and policy files that are refused with a clear message (exit 2)."""

from __future__ import annotations

import json
import pickle

import jsonschema
import pytest

from conftest import FIXTURES, ROOT, cli, engine_run, expectations

POLICIES = FIXTURES / "policies"
EXAMPLE_CONFIG = POLICIES / "k8slint.yaml"
POLICY_IDS = {"no-latest-image", "memory-limit-required", "cpu-request-required", "team-label"}
MANIFESTS = sorted((POLICIES / "manifests").rglob("*.yaml"))

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      initContainers:
      - name: init
        image: busybox:latest
      containers:
      - name: web
        image: nginx:latest
        readinessProbe: {tcpSocket: {port: 80}}
        resources:
          limits:
            cpu: 500m
      - name: helper
        image: example.com/helper:1.0
        readinessProbe: {tcpSocket: {port: 81}}
"""
# line numbers in DEPLOYMENT
LINE_METADATA, LINE_LABELS, LINE_INIT_IMAGE, LINE_WEB_IMAGE, LINE_LIMITS, LINE_HELPER = 3, 5, 15, 18, 21, 23

INLINE_OBJECT_POLICY = """\
policies:
- id: team-label
  title: Workload has no team label
  severity: warning
  kinds: [Deployment]
  message: "{kind} {name} names no owning team"
  remediation: Add metadata.labels.team.
  schema:
    properties:
      metadata:
        properties:
          labels: {required: [team]}
"""
IMAGE_POLICY_FILE = """\
id: no-latest
title: Image uses the latest tag
severity: error
kinds: [Deployment]
target: container
message: "{container} runs {error}"
remediation: Pin the image to a version.
schema:
  properties:
    image: {not: {pattern: ":latest$"}}
"""


# a policy file and an inline policy in one config
MIXED_CONFIG = INLINE_OBJECT_POLICY.replace("policies:\n", "policies:\n- policies.yaml\n", 1)


def policy_config(write, policies: str, name: str = ".k8slint.yaml"):
    return write(name, policies)


def json_findings(result) -> list[dict]:
    return json.loads(result.stdout)["findings"]


# --------------------------------------------------------------------------- the shipped examples


@pytest.mark.parametrize("path", MANIFESTS, ids=[f"{p.parent.name}/{p.name}" for p in MANIFESTS])
def test_example_policies_fire_where_marked_and_stay_silent_on_near_misses(path):
    result = cli("lint", "--format", "json", "--config", EXAMPLE_CONFIG, path)
    assert result.exit_code in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert report["errors"] == []
    got = sorted((f["line"], f["rule"]) for f in report["findings"] if f["rule"] in POLICY_IDS)
    expected = expectations(path)
    assert got == sorted((line, rule) for line, rule, _ in expected), "\n".join(
        f"{f['line']}:{f['column']} {f['rule']}: {f['message']}" for f in report["findings"])
    if path.parent.name == "fire":
        assert expected
    by_line = {(f["line"], f["rule"]): f for f in report["findings"]}
    for line, rule, column in expected:
        if column is not None:
            assert by_line[(line, rule)]["column"] == column


def test_example_policies_cover_every_declared_form():
    from k8slint.config import load_config
    from k8slint.policies import load_policies

    policies = {p.id: p for p in load_policies(load_config(str(EXAMPLE_CONFIG)))}
    assert set(policies) == POLICY_IDS
    assert policies["team-label"].target == "object" and policies["team-label"].source.endswith("k8slint.yaml:5")
    assert policies["no-latest-image"].init_containers and policies["no-latest-image"].source.endswith("images.yaml:2")
    assert policies["memory-limit-required"].source.endswith("resources.yaml:3")  # `policies:` list form
    assert policies["cpu-request-required"].container_names == {"app", "web"}


def test_config_severity_overrides_a_policy_default():
    result = cli("lint", "--format", "json", "--config", EXAMPLE_CONFIG, POLICIES / "manifests" / "fire")
    severities = {f["severity"] for f in json_findings(result) if f["rule"] == "cpu-request-required"}
    assert severities == {"warning"}  # the policy says info, the example config says warning


# --------------------------------------------------------------------------- inline and file policies


def test_inline_policy_in_discovered_config_reports_at_the_parent_of_the_missing_field(write, tmp_path, monkeypatch):
    policy_config(write, INLINE_OBJECT_POLICY)
    manifest = write("deploy.yaml", DEPLOYMENT)
    monkeypatch.chdir(tmp_path)
    result = cli("lint", "--format", "json", "deploy.yaml")
    assert result.exit_code == 1, result.stderr
    [finding] = [f for f in json_findings(result) if f["rule"] == "team-label"]
    assert (finding["line"], finding["column"]) == (LINE_LABELS, 3)  # at `labels:`, which lacks team
    assert finding["path"] == "metadata.labels.team"
    assert finding["severity"] == "warning"
    assert finding["message"] == "Deployment web names no owning team (metadata.labels.team is missing)"
    assert finding["hint"] == "Add metadata.labels.team."
    assert manifest.exists()


def test_policy_file_relative_to_the_config_container_target_text_output(write, tmp_path, monkeypatch):
    write("conf/policies/images.yaml", IMAGE_POLICY_FILE)
    config = write("conf/k8slint.yaml", "policies: [policies/images.yaml]\n")
    manifest = write("app/deploy.yaml", DEPLOYMENT)
    monkeypatch.chdir(tmp_path / "app")  # the policy path resolves against the config, not the cwd
    result = cli("lint", "--no-color", "--config", config, "deploy.yaml")
    assert result.exit_code == 1, result.stderr
    lines = result.stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if " no-latest: " in line)
    assert lines[first] == (f"deploy.yaml:{LINE_WEB_IMAGE}:16: error no-latest: web runs image is "
                            f"\"nginx:latest\", which the policy forbids [Deployment web]")
    assert lines[first + 1] == f"    {LINE_WEB_IMAGE} |         image: nginx:latest"
    assert lines[first + 2] == "       |                ^^^^^^^^^^^^"
    assert lines[first + 3] == "       = hint: Pin the image to a version."
    # init containers are not checked unless the policy says initContainers: true
    assert sum(" no-latest: " in line for line in lines) == 1
    assert manifest.exists()


def test_json_finding_fields_for_a_policy(write):
    write("policies.yaml", IMAGE_POLICY_FILE)
    config = write("k8slint.yaml", "policies: [policies.yaml]\n")
    path = write("deploy.yaml", DEPLOYMENT)
    report = json.loads(cli("lint", "--format", "json", "--config", config, path).stdout)
    jsonschema.validate(report, json.loads((ROOT / "schemas" / "report.schema.json").read_text()))
    [finding] = [f for f in report["findings"] if f["rule"] == "no-latest"]
    assert finding == {
        "rule": "no-latest", "severity": "error", "file": str(path),
        "message": 'web runs image is "nginx:latest", which the policy forbids',
        "line": LINE_WEB_IMAGE, "column": 16, "end_line": LINE_WEB_IMAGE, "end_column": 28,
        "api_version": "apps/v1", "kind": "Deployment", "namespace": "", "name": "web",
        "path": "spec.template.spec.containers[0].image", "suppressed": False, "suppression": None,
        "hint": "Pin the image to a version."}


def test_sarif_output_carries_policy_results_and_rule_metadata(write):
    try:
        import k8slint.report.sarif  # noqa: F401 - written by another engineer in parallel
    except ImportError:
        pytest.skip("k8slint/report/sarif.py is not there yet")
    write("policies.yaml", IMAGE_POLICY_FILE)
    config = write("k8slint.yaml", MIXED_CONFIG)
    path = write("deploy.yaml", DEPLOYMENT)
    result = cli("lint", "--format", "sarif", "--config", config, path)
    assert result.exit_code == 1, result.stderr
    run = json.loads(result.stdout)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert "no-latest" in ids and "team-label" in ids
    descriptor = rules[ids.index("no-latest")]
    assert descriptor["shortDescription"]["text"] == "Image uses the latest tag"
    assert descriptor["defaultConfiguration"]["level"] == "error"
    assert "custom-policy" in descriptor["properties"]["tags"]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    image = by_rule["no-latest"]
    assert rules[image["ruleIndex"]]["id"] == "no-latest"
    assert image["level"] == "error"
    region = image["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"], region["endColumn"]) == (LINE_WEB_IMAGE, 16, 28)
    team = by_rule["team-label"]
    assert team["level"] == "warning"
    assert team["locations"][0]["physicalLocation"]["region"]["startLine"] == LINE_LABELS


# --------------------------------------------------------------------------- targets and locations


def run_policies(write, tmp_path, policies_yaml: str, manifest: str = DEPLOYMENT):
    from k8slint.config import load_config
    from k8slint.policies import load_policies

    config = write("k8slint.yaml", policies_yaml)
    policies = load_policies(load_config(str(config)))
    path = write("m.yaml", manifest)
    ids = {p.id for p in policies}
    result = engine_run([path], enabled=ids, policies=tuple(policies))
    assert not result.errors, result.errors
    return [f for f in result.findings if f.rule in ids]


def one_policy(**fields) -> str:
    base = {"id": "p", "title": "A test policy", "severity": "warning", "message": "broken",
            "remediation": "Fix it.", "kinds": ["Deployment"]}
    base.update(fields)
    return json.dumps({"policies": [base]})  # JSON is YAML


def test_container_target_with_names_and_init_containers(write, tmp_path):
    schema = {"properties": {"image": {"not": {"pattern": ":latest$"}}}}
    found = run_policies(write, tmp_path, one_policy(target="container", schema=schema))
    assert [(f.line, f.path) for f in found] == [(LINE_WEB_IMAGE, "spec.template.spec.containers[0].image")]
    assert found[0].message.startswith('container "web": broken (image is')
    found = run_policies(write, tmp_path, one_policy(target="container", initContainers=True, schema=schema))
    assert sorted(f.line for f in found) == [LINE_INIT_IMAGE, LINE_WEB_IMAGE]
    init = next(f for f in found if f.line == LINE_INIT_IMAGE)
    assert init.message.startswith('init container "init": broken')
    found = run_policies(write, tmp_path, one_policy(target="container", containers=["helper"], schema=schema))
    assert found == []


def test_required_points_at_parent_and_names_each_missing_field(write, tmp_path):
    limits = {"required": ["memory", "cpu", "ephemeral-storage"]}
    schema = {"properties": {"resources": {"properties": {"limits": limits}}}}
    found = run_policies(write, tmp_path, one_policy(target="container", schema=schema, message="{field}: {error}"))
    assert sorted(f.path for f in found) == [
        "spec.template.spec.containers[0].resources.limits.ephemeral-storage",
        "spec.template.spec.containers[0].resources.limits.memory"]
    assert {(f.line, f.column) for f in found} == {(LINE_LIMITS, 11)}  # at `limits:`
    assert {f.message for f in found} == {
        'container "web": resources.limits.memory: resources.limits.memory is missing',
        'container "web": resources.limits.ephemeral-storage: resources.limits.ephemeral-storage is missing'}


def test_missing_container_field_points_at_the_container(write, tmp_path):
    found = run_policies(write, tmp_path, one_policy(target="container", schema={"required": ["resources"]}))
    assert [(f.line, f.column) for f in found] == [(LINE_HELPER, 9)]  # `- name: helper`
    assert found[0].message == 'container "helper": broken (resources is missing)'


def test_object_target_additional_properties_points_at_the_extra_key(write, tmp_path):
    schema = {"properties": {"metadata": {"properties": {"labels": {
        "propertyNames": {"pattern": "^[a-z]+$"}, "additionalProperties": False,
        "properties": {"team": {"type": "string"}}}}}}}
    found = run_policies(write, tmp_path, one_policy(schema=schema))
    assert [f.path for f in found] == ["metadata.labels.app"]
    assert found[0].line == LINE_LABELS
    assert "metadata.labels.app is not allowed" in found[0].message


def test_type_and_enum_details(write, tmp_path):
    schema = {"properties": {"spec": {"properties": {
        "replicas": {"type": "integer"}, "strategy": {"properties": {"type": {"enum": ["Recreate"]}}}}}}}
    manifest = DEPLOYMENT.replace(
        "spec:\n  selector:", "spec:\n  replicas: '3'\n  strategy: {type: RollingUpdate}\n  selector:", 1)
    found = sorted(run_policies(write, tmp_path, one_policy(schema=schema), manifest), key=lambda f: f.line)
    assert [f.path for f in found] == ["spec.replicas", "spec.strategy.type"]
    assert found[0].message == "broken (spec.replicas is a string, not an integer)"
    assert found[1].message == 'broken (spec.strategy.type is "RollingUpdate", not one of ["Recreate"])'


def test_only_objects_of_listed_kinds_are_validated(write, tmp_path):
    service = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\n"
    found = run_policies(write, tmp_path, one_policy(schema={"required": ["nothing"]}),
                         DEPLOYMENT + "---\n" + service)
    assert [f.kind for f in found] == ["Deployment"]
    found = run_policies(write, tmp_path, one_policy(kinds=["*"], schema={"required": ["nothing"]}),
                         DEPLOYMENT + "---\n" + service)
    assert sorted(f.kind for f in found) == ["Deployment", "Service"]


def test_policy_findings_can_be_suppressed_disabled_and_reconfigured(write, tmp_path, monkeypatch):
    write(".k8slint.yaml", INLINE_OBJECT_POLICY)
    write("d.yaml", DEPLOYMENT.replace("  labels: {app: web}\n",
                                       "  labels: {app: web}  # k8slint: disable=team-label\n", 1))
    monkeypatch.chdir(tmp_path)
    finding = next(f for f in json_findings(cli("lint", "--format", "json", "d.yaml")) if f["rule"] == "team-label")
    assert finding["suppressed"] is True and finding["suppression"] == "comment"
    write("d.yaml", DEPLOYMENT)
    assert not [f for f in json_findings(cli("lint", "--format", "json", "--disable", "team-label", "d.yaml"))
                if f["rule"] == "team-label"]
    write(".k8slint.yaml", INLINE_OBJECT_POLICY + "rules:\n  team-label: info\n")
    finding = next(f for f in json_findings(cli("lint", "--format", "json", "d.yaml")) if f["rule"] == "team-label")
    assert finding["severity"] == "info"


def test_policy_survives_pickling_for_worker_processes(write, tmp_path):
    from k8slint.config import load_config
    from k8slint.policies import load_policies

    config = write("k8slint.yaml", one_policy(schema={"required": ["nothing"]}))
    [policy] = load_policies(load_config(str(config)))
    copy = pickle.loads(pickle.dumps(policy))
    assert copy._validator is None and copy.validator is not None
    path = write("m.yaml", DEPLOYMENT)
    found = engine_run([path], enabled={"p"}, policies=(copy,)).findings
    assert [f.rule for f in found] == ["p"]


def test_policy_crash_is_an_internal_error_not_a_traceback(write):
    from k8slint.engine import INTERNAL_ERROR

    class Broken:
        id = "broken"

        def check(self, obj, ctx):
            raise RuntimeError("boom")

    result = engine_run([write("m.yaml", DEPLOYMENT)], enabled={"broken"}, policies=(Broken(),))
    assert [(e.rule, "policy broken failed" in e.message) for e in result.errors] == [(INTERNAL_ERROR, True)]


# --------------------------------------------------------------------------- rules / explain / metadata


def test_rules_lists_policies_and_explain_describes_them(write, tmp_path, monkeypatch):
    write("policies.yaml", IMAGE_POLICY_FILE)
    write(".k8slint.yaml", MIXED_CONFIG)
    monkeypatch.chdir(tmp_path)
    listing = cli("rules").stdout
    assert any(line.split()[:2] == ["no-latest", "error"] and "(custom policy)" in line
               for line in listing.splitlines())
    assert "team-label" in listing and "missing-readiness-probe" in listing
    as_json = json.loads(cli("rules", "--format", "json").stdout)
    assert {"id": "team-label", "severity": "warning", "title": "Workload has no team label (custom policy)"} in as_json
    explained = cli("explain", "no-latest")
    assert explained.exit_code == 0
    assert explained.stdout.startswith("no-latest (error): Image uses the latest tag\n")
    assert "Remediation:\n  Pin the image to a version." in explained.stdout
    assert "Applies to: each container of Deployment" in explained.stdout
    assert "Declared in: " in explained.stdout and "policies.yaml:1" in explained.stdout
    assert '"pattern": ":latest$"' in explained.stdout
    # --config works from anywhere
    monkeypatch.chdir(ROOT)
    assert "no-latest-image" in cli("rules", "--config", EXAMPLE_CONFIG).stdout
    assert cli("explain", "--config", EXAMPLE_CONFIG, "team-label").exit_code == 0


def test_rules_and_explain_with_a_broken_policy_exit_2(write, tmp_path, monkeypatch):
    write(".k8slint.yaml", one_policy(severity="loud", schema={}))
    monkeypatch.chdir(tmp_path)
    listed = cli("rules")
    assert listed.exit_code == 2 and "missing-readiness-probe" in listed.stdout and "loud" in listed.stderr
    explained = cli("explain", "p")
    assert explained.exit_code == 2 and "invalid policy" in explained.stderr


def test_metadata_has_the_catalogue_shape():
    from k8slint.config import load_config
    from k8slint.policies import load_policies

    schema = json.loads((ROOT / "schemas" / "rule.schema.json").read_text())
    for policy in load_policies(load_config(str(EXAMPLE_CONFIG))):
        meta = policy.metadata()
        assert (meta["id"], meta["severity"], meta["title"]) == (policy.id, policy.severity, policy.title)
        assert "custom-policy" in meta["tags"]
        if "examples" in meta:
            jsonschema.validate(meta, schema)
        else:
            jsonschema.validate(meta, {**schema, "required": [r for r in schema["required"] if r != "examples"]})


def test_example_config_validates_against_the_config_schema():
    from k8slint.config import load_config

    assert load_config(str(EXAMPLE_CONFIG)).data["policies"]


# --------------------------------------------------------------------------- invalid policies


def lint_with(write, config_text: str, *files: tuple[str, str]):
    for name, text in files:
        write(name, text)
    config = write("k8slint.yaml", config_text)
    return cli("lint", "--config", config, write("d.yaml", DEPLOYMENT))


def test_unknown_and_missing_fields(write):
    text = INLINE_OBJECT_POLICY.replace("  schema:", "  shcema:")
    result = lint_with(write, text)
    assert result.exit_code == 2
    assert "k8slint.yaml: policies[0]: invalid policy:" in result.stderr
    assert "k8slint.yaml:2: at (top level): unknown field(s) ('shcema' was unexpected)" in result.stderr
    assert "'schema' is a required property" in result.stderr


def test_bad_severity_says_file_line_and_choices(write):
    bad = IMAGE_POLICY_FILE.replace("severity: error", "severity: loud")
    result = lint_with(write, "policies: [p.yaml]\n", ("p.yaml", bad))
    assert result.exit_code == 2
    assert "p.yaml:3: at severity: 'loud' is not one of ['error', 'warning', 'info']" in result.stderr


def test_duplicate_policy_id(write):
    result = lint_with(write, "policies: [a.yaml, b.yaml]\n",
                       ("a.yaml", IMAGE_POLICY_FILE), ("b.yaml", IMAGE_POLICY_FILE))
    assert result.exit_code == 2
    assert "b.yaml:1: policy id 'no-latest' is declared twice (first in " in result.stderr
    assert "a.yaml:1)" in result.stderr


def test_id_of_a_builtin_rule(write):
    result = lint_with(write, one_policy(id="missing-readiness-probe", schema={}))
    assert result.exit_code == 2
    assert "policy id 'missing-readiness-probe' is the id of a built-in rule" in result.stderr


@pytest.mark.parametrize("schema,message", [
    ({"type": "strng"}, "invalid JSON Schema at schema.type: 'strng' is not one of ['array', 'boolean', "),
    ({"properties": {"a": {"minLength": -1}}}, "invalid JSON Schema at schema.properties.a.minLength: -1 is less than"),
    ({"required": "image"}, "invalid JSON Schema at schema.required: 'image' is not of type 'array'"),
    ({"properties": {"a": {"$ref": "#/$defs/nope"}}}, "$ref '#/$defs/nope' at schema.properties.a.$ref points nowhere"),
    ({"properties": {"a": {"$ref": "https://example.com/x.json"}}}, "never URLs"),
])
def test_invalid_json_schema(write, schema, message):
    result = lint_with(write, one_policy(schema=schema))
    assert result.exit_code == 2
    assert "policy 'p': " in result.stderr and message in result.stderr, result.stderr


@pytest.mark.parametrize("fields,message", [
    ({"message": "{bogus} broke"}, "unknown placeholder {bogus} in message"),
    ({"message": "a { b"}, "message is not a valid template"),
    ({"containers": ["web"]}, "containers needs target: container"),
    ({"target": "container", "kinds": ["Service"]}, "target: container, but Service objects have no containers"),
    ({"kinds": []}, "at kinds: [] should be non-empty"),
    ({"kinds": ["deployment"]}, "at kinds[0]: 'deployment' does not match"),
    ({"id": "Bad_Id"}, "at id: 'Bad_Id' does not match"),
])
def test_other_invalid_policies(write, fields, message):
    result = lint_with(write, one_policy(schema={}, **fields))
    assert result.exit_code == 2
    assert message in result.stderr, result.stderr


def test_missing_and_malformed_policy_files(write):
    result = lint_with(write, "policies: [nope.yaml]\n")
    assert result.exit_code == 2 and "policies[0]: policy file" in result.stderr and "does not exist" in result.stderr
    result = lint_with(write, "policies: [p.yaml]\n", ("p.yaml", "id: [\n"))
    assert result.exit_code == 2 and "p.yaml:" in result.stderr and "YAML syntax error" in result.stderr
    result = lint_with(write, "policies: [p.yaml]\n", ("p.yaml", "policies: {id: x}\n"))
    assert result.exit_code == 2 and "at policies: {'id': 'x'} is not of type 'array'" in result.stderr
    result = lint_with(write, "policies: [p.yaml]\n", ("p.yaml", "# nothing\n"))
    assert result.exit_code == 2 and "policy file holds no policy" in result.stderr


def test_policy_directory_and_multi_document_files(write, tmp_path):
    from k8slint.config import load_config
    from k8slint.policies import load_policies

    second = IMAGE_POLICY_FILE.replace("id: no-latest", "id: no-latest-two")
    write("pol/a.yaml", IMAGE_POLICY_FILE + "---\n" + second.replace("no-latest-two", "no-latest-three"))
    write("pol/sub/b.yml", second)
    write("pol/.hidden/c.yaml", "not: a policy\n")
    write("pol/README.md", "notes\n")
    config = write("k8slint.yaml", "policies: [pol]\n")
    assert [p.id for p in load_policies(load_config(str(config)))] == ["no-latest", "no-latest-three", "no-latest-two"]


def test_no_policies_no_jsonschema_import_cost(write):
    import subprocess
    import sys

    config = write("k8slint.yaml", "fail-on: error\n")
    script = ("import sys; from k8slint.config import Config; from k8slint.policies import load_policies; "
              "assert load_policies(Config(None, {})) == []; print('jsonschema' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"
    assert config.exists()
