"""SARIF 2.1.0 output (``--format sarif``): what GitHub code scanning needs, checked field by field,
against the official SARIF JSON Schema (the copy in ``schemas/``, source and licence in
``schemas/SOURCES.md``, and the multitool's), and with Microsoft's SARIF multitool including its GitHub ingestion rules (GH*)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import hashlib

from conftest import FIXTURES, ROOT, cli

from k8slint import __version__, catalog

REPO_SCHEMA = ROOT / "schemas" / "sarif-2.1.0.json"
# SHA-256 of oasis-tcs/sarif-spec Schemata/sarif-schema-2.1.0.json, recorded in schemas/SOURCES.md.
UPSTREAM_SCHEMA_SHA256 = "46d4203e43b978a433943881354db1e40e81437d4b46c00f05016110c6b14693"
_MULTITOOL_PACKAGES = {"linux": "sarif-multitool-linux", "darwin": "sarif-multitool-darwin",
                       "win32": "sarif-multitool-win32"}
LEVEL = {"error": "error", "warning": "warning", "info": "note"}

APP = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: "3"
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
      - name: side
        image: nginx:1.27
        readinessProbe:
          httpGet: {path: /, port: 80}
        livenessProbe:
          httpGet: {path: /, port: 80}
"""

GOOD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: nginx:1.27
        readinessProbe:
          httpGet: {path: /ready, port: 80}
"""

SUPPRESSED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: quiet
  annotations: {k8slint.io/ignore: readiness-equals-liveness}
spec:
  selector: {matchLabels: {app: quiet}}
  template:
    metadata: {labels: {app: quiet}}
    spec:
      containers:
      - name: main  # k8slint: disable=missing-readiness-probe
        image: nginx:1.27
      - name: probed
        image: nginx:1.27
        readinessProbe:
          httpGet: {path: /, port: 80}
        livenessProbe:
          httpGet: {path: /, port: 80}
      - name: loud
        image: nginx:1.27
"""


def multitool() -> Path | None:
    """Sarif.Multitool from `npm ci` (package.json pins it; .ci/run installs it), or
    $K8SLINT_SARIF_MULTITOOL."""
    if os.environ.get("K8SLINT_SARIF_MULTITOOL"):
        return Path(os.environ["K8SLINT_SARIF_MULTITOOL"])
    package = _MULTITOOL_PACKAGES.get(sys.platform)
    if package is None:
        return None
    binary = ROOT / "node_modules" / "@microsoft" / package / \
        ("Sarif.Multitool.exe" if sys.platform == "win32" else "Sarif.Multitool")
    return binary if binary.is_file() else None


MULTITOOL = multitool()
needs_multitool = pytest.mark.skipif(
    MULTITOOL is None,
    reason="SARIF multitool not installed: run `npm ci` in the repository root (.ci/run does)")


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository root with manifests in it, as the current directory (SARIF URIs are
    relative to it)."""
    root = tmp_path / "repo"
    (root / "deploy").mkdir(parents=True)
    monkeypatch.chdir(root)
    return root


def put(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def lint_sarif(*args) -> tuple[dict, int, str]:
    result = cli("lint", "--format", "sarif", *args)
    return json.loads(result.stdout), result.exit_code, result.stdout


def lint_json(*args) -> dict:
    return json.loads(cli("lint", "--format", "json", *args).stdout)


def schema_errors(document: dict, schema_path: Path) -> list[str]:
    from jsonschema import validators

    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = validators.validator_for(schema)(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))]


# Findings with fixes: a replacement, and one whose fix spans several edits (SARIF ``fixes``).
FIXABLE = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: flags
  labels: {tier: 1}
data:
  DEBUG: yes
  "ratio": 1.10   # a comment that stays
"""


def sample_logs(root: Path) -> dict[str, dict]:
    """Logs covering every part of the output: findings, suppressions, parse errors, skipped
    files, rules' notes, a category, and a clean run."""
    put(root, "deploy/app.yaml", APP)
    put(root, "deploy/quiet.yaml", SUPPRESSED)
    put(root, "deploy/broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: x\n")
    put(root, "deploy/kustomization.yaml", "resources: [app.yaml]\n")
    put(root, "clean/api.yaml", GOOD)
    put(root, "fixable/config.yaml", FIXABLE)
    put(root, "notes/certificates.yaml", (FIXTURES / "notes" / "certificates.yaml").read_text(encoding="utf-8"))
    logs = {"findings": lint_sarif("deploy/app.yaml")[0],
            "notes": lint_sarif("notes")[0],  # rules' notes: custom resources without a schema
            "everything": lint_sarif("deploy", "--sarif-category", "k8slint/prod")[0],
            "clean": lint_sarif("clean")[0],
            "fixes": lint_sarif("fixable")[0]}
    assert logs["clean"]["runs"][0]["results"] == []
    assert all(r.get("fixes") for r in logs["fixes"]["runs"][0]["results"])
    assert [n["level"] for n in logs["notes"]["runs"][0]["invocations"][0]["toolExecutionNotifications"]] == \
        ["note", "note"]
    return logs


# --------------------------------------------------------------------------- the log


def test_log_header_and_driver(repo):
    put(repo, "deploy/app.yaml", APP)
    log, code, text = lint_sarif("deploy/app.yaml")
    assert code == 1
    assert text.startswith('{\n  "$schema": "https://json.schemastore.org/sarif-2.1.0.json",')
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "k8slint"
    assert driver["version"] == driver["semanticVersion"] == __version__
    assert urlparse(driver["informationUri"]).scheme == "https"
    assert run["columnKind"] == "unicodeCodePoints"
    assert "automationDetails" not in run
    assert run["invocations"] == [{"executionSuccessful": True,
                                   "workingDirectory": {"uri": repo.resolve().as_uri() + "/"}}]


def test_one_rule_entry_per_catalogue_rule(repo):
    put(repo, "deploy/app.yaml", GOOD)
    rules = lint_sarif("deploy")[0]["runs"][0]["tool"]["driver"]["rules"]
    entries = catalog.load_catalog()
    assert [r["id"] for r in rules] == sorted(entries)
    for rule in rules:
        meta = entries[rule["id"]]
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", rule["name"]) and len(rule["name"]) <= 255
        assert rule["shortDescription"]["text"] == " ".join(meta["title"].split())
        assert rule["fullDescription"]["text"] == " ".join(meta["description"].split())
        assert 0 < len(rule["shortDescription"]["text"]) <= 1024
        assert 0 < len(rule["fullDescription"]["text"]) <= 1024
        for section in ("rationale", "remediation"):
            prose = " ".join(meta[section].split())
            assert prose in rule["help"]["text"] and prose in rule["help"]["markdown"]
        for example in (meta["examples"]["bad"], meta["examples"]["good"]):
            assert f"```yaml\n{example.rstrip()}\n```" in rule["help"]["markdown"]
            assert example.strip().splitlines()[0] in rule["help"]["text"]
        assert rule["helpUri"] == catalog.help_uri(rule["id"])
        assert urlparse(rule["helpUri"]).scheme == "https"
        assert rule["defaultConfiguration"] == {"level": LEVEL[meta["severity"]]}
        props = rule["properties"]
        assert props["tags"] == list(meta["tags"]) and len(props["tags"]) <= 20
        assert props["precision"] == meta.get("precision", "high")
        assert props["problem.severity"] == {"error": "error", "warning": "warning",
                                             "info": "recommendation"}[meta["severity"]]
        assert ("security-severity" in props) == ("security" in meta["tags"])


def test_results_match_the_json_report(repo):
    put(repo, "deploy/app.yaml", APP)
    log = lint_sarif("deploy/app.yaml")[0]
    report = lint_json("deploy/app.yaml")
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == len(report["findings"]) == 3
    assert {f["rule"] for f in report["findings"]} == \
        {"invalid-field-type", "missing-readiness-probe", "readiness-equals-liveness"}
    for result, finding in zip(run["results"], report["findings"]):
        assert result["ruleId"] == finding["rule"]
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == LEVEL[finding["severity"]]  # always explicit, even "warning"
        assert result["message"]["text"].startswith(finding["message"])
        assert "[Deployment shop/web]" in result["message"]["text"]
        assert finding["hint"] in result["message"]["text"]
        [location] = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": "deploy/app.yaml", "uriBaseId": "%SRCROOT%"}
        assert physical["region"] == {"startLine": finding["line"], "startColumn": finding["column"],
                                      "endLine": finding["end_line"], "endColumn": finding["end_column"]}
        assert result["properties"]["path"] == finding["path"]
        assert set(result["partialFingerprints"]) == {"k8slint/v1"}
        assert "suppressions" not in result  # nothing suppressed in this run
    first = run["results"][0]
    assert first["ruleId"] == "invalid-field-type" and first["level"] == "error"
    # `replicas: "3"`: the value "3" spans columns 13..15, endColumn is exclusive
    assert first["locations"][0]["physicalLocation"]["region"] == \
        {"startLine": 7, "startColumn": 13, "endLine": 7, "endColumn": 16}
    base = run["originalUriBaseIds"]["%SRCROOT%"]
    assert base["uri"] == repo.resolve().as_uri() + "/"
    assert base["description"]["text"]


def test_levels_follow_the_configured_severity(repo):
    put(repo, "deploy/app.yaml", APP)
    put(repo, "k8slint.yaml", "rules:\n  missing-readiness-probe: error\n  readiness-equals-liveness: info\n")
    run = lint_sarif("deploy", "--config", "k8slint.yaml")[0]["runs"][0]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {"invalid-field-type": "error", "missing-readiness-probe": "error",
                      "readiness-equals-liveness": "note"}
    defaults = {r["id"]: r["defaultConfiguration"]["level"] for r in run["tool"]["driver"]["rules"]}
    assert defaults["missing-readiness-probe"] == "warning"  # the catalogue default stays
    text = cli("lint", "deploy", "--config", "k8slint.yaml").stdout
    assert "error missing-readiness-probe" in text and "info readiness-equals-liveness" in text


def test_uris_are_relative_posix_and_percent_encoded(repo, tmp_path):
    put(repo, "deploy/odd dir/web@1 ü.yaml", APP)
    outside = put(tmp_path, "elsewhere/app.yaml", APP)
    run = lint_sarif("deploy", str(outside))[0]["runs"][0]
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
    inside = [loc for loc in locations if "uriBaseId" in loc]
    assert {loc["uri"] for loc in inside} == {"deploy/odd%20dir/web%401%20%C3%BC.yaml"}
    for loc in inside:
        assert not loc["uri"].startswith(("/", "./", "../")) and "\\" not in loc["uri"]
        assert (repo / unquote(loc["uri"])).is_file()
    others = [loc for loc in locations if "uriBaseId" not in loc]
    assert others and {loc["uri"] for loc in others} == {outside.resolve().as_uri()}


def test_stdin_and_symlinks(repo):
    target = put(repo, "deploy/real.yaml", APP)
    (repo / "deploy" / "link.yaml").symlink_to(target)
    result = cli("lint", "--format", "sarif", "-", input=APP)
    run = json.loads(result.stdout)["runs"][0]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]} == {"-"}
    run = lint_sarif("deploy/link.yaml")[0]["runs"][0]
    # GitHub cannot show results on symbolic links: the URI names the file itself
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]} == \
        {"deploy/real.yaml"}


def test_fingerprints_survive_moved_lines_and_reordered_documents(repo):
    service = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n"
    put(repo, "deploy/app.yaml", APP + "---\n" + service)
    before = lint_sarif("deploy/app.yaml")[0]["runs"][0]["results"]
    moved = "# moved down by a comment\n\n\n" + service + "---\n# and another\n" + APP.replace(
        "  replicas:", "  # a comment\n  replicas:")
    put(repo, "deploy/app.yaml", moved)
    after = lint_sarif("deploy/app.yaml")[0]["runs"][0]["results"]

    def keyed(results):
        return {r["partialFingerprints"]["k8slint/v1"]: (r["ruleId"], r["properties"]["path"],
                                                         r["locations"][0]["physicalLocation"]["region"]["startLine"])
                for r in results}

    old, new = keyed(before), keyed(after)
    assert len(old) == len(before) == 3  # unique within a run
    assert set(old) == set(new)
    assert all(old[k][:2] == new[k][:2] and old[k][2] != new[k][2] for k in old)  # same finding, new line
    for value in old:
        assert re.fullmatch(r"[0-9a-f]{32}:1", value)


def test_fingerprints_tell_objects_and_fields_apart(repo):
    put(repo, "deploy/a.yaml", APP)
    put(repo, "deploy/b.yaml", APP.replace("name: web\n  namespace", "name: other\n  namespace"))
    results = lint_sarif("deploy")[0]["runs"][0]["results"]
    prints = [r["partialFingerprints"]["k8slint/v1"] for r in results]
    assert len(results) == 6 and len(set(prints)) == 6


def test_suppressed_findings_carry_suppressions(repo):
    put(repo, "deploy/quiet.yaml", SUPPRESSED)
    log, code, text = lint_sarif("deploy")
    assert code == 1  # "loud" is not suppressed
    results = log["runs"][0]["results"]
    by_name = {(r["ruleId"], r["properties"]["path"]): r for r in results}
    comment = by_name[("missing-readiness-probe", "spec.template.spec.containers[0].name")]
    annotation = by_name[("readiness-equals-liveness", "spec.template.spec.containers[1].readinessProbe")]
    loud = by_name[("missing-readiness-probe", "spec.template.spec.containers[2].name")]
    for result, how in ((comment, "comment"), (annotation, "annotation")):
        [suppression] = result["suppressions"]
        assert suppression["kind"] == "inSource" and suppression["status"] == "accepted"
        assert how in suppression["justification"]
        assert result["level"] in ("warning", "error", "note")
    assert loud["suppressions"] == []  # all results have the property once any has it
    assert all("suppressions" in r for r in results)
    assert '"state"' not in text


def test_parse_errors_are_tool_execution_notifications(repo, tmp_path):
    put(repo, "deploy/app.yaml", APP)
    put(repo, "deploy/broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: x\n")
    put(repo, "deploy/kustomization.yaml", "resources: [app.yaml]\n")
    out = tmp_path / "out.sarif"
    result = cli("lint", "--format", "sarif", "-o", out, "deploy")
    assert result.exit_code == 2 and result.stdout == ""
    run = json.loads(out.read_text(encoding="utf-8"))["runs"][0]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]} == \
        {"deploy/app.yaml"}
    [invocation] = run["invocations"]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    descriptors = run["tool"]["driver"]["notifications"]
    errors = [n for n in notes if n["level"] == "error"]
    [error] = errors
    assert descriptors[error["descriptor"]["index"]]["id"] == error["descriptor"]["id"] == "parse-error"
    location = error["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "deploy/broken.yaml", "uriBaseId": "%SRCROOT%"}
    assert location["region"]["startLine"] == 4 and location["region"]["startColumn"] >= 1
    assert "syntax" in error["message"]["text"]
    [skipped] = [n for n in notes if n["level"] == "note"]
    assert skipped["descriptor"]["id"] == "skipped-file"
    assert skipped["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "deploy/kustomization.yaml"


def test_category_sets_run_automation_details(repo):
    put(repo, "deploy/app.yaml", GOOD)
    for given, expected in (("k8slint", "k8slint/"), ("k8slint/prod/", "k8slint/prod/"),
                            ("manifests/staging", "manifests/staging/")):
        run = lint_sarif("deploy", "--sarif-category", given)[0]["runs"][0]
        assert run["automationDetails"] == {"id": expected}


def test_zero_findings_is_a_complete_log(repo):
    put(repo, "deploy/api.yaml", GOOD)
    log, code, _ = lint_sarif("deploy")
    assert code == 0
    run = log["runs"][0]
    assert run["results"] == []
    assert len(run["tool"]["driver"]["rules"]) == len(catalog.load_catalog())
    assert run["invocations"][0]["executionSuccessful"] is True
    assert "toolExecutionNotifications" not in run["invocations"][0]


def test_output_is_deterministic(repo):
    put(repo, "deploy/app.yaml", APP)
    put(repo, "deploy/quiet.yaml", SUPPRESSED)
    assert lint_sarif("deploy")[2] == lint_sarif("deploy", "--jobs", "2")[2]


def test_custom_policies_get_rule_entries():
    from k8slint.engine import RunResult
    from k8slint.findings import Finding
    from k8slint.report.sarif import render

    class Policy:
        id, severity, title = "org-team-label", "error", "Workloads carry a team label"

        def metadata(self):
            return {"id": self.id, "title": self.title, "severity": self.severity,
                    "description": "Every workload has metadata.labels.team.",
                    "rationale": "On-call routing reads the team label.",
                    "remediation": "Add metadata.labels.team.",
                    "hint": "Add a team label.", "tags": ["ownership"],
                    "examples": {"bad": "metadata: {}\n", "good": "metadata: {labels: {team: a}}\n"}}

    finding = Finding("org-team-label", "error", "no team label", "deploy/app.yaml", 3, 1, 3, 9,
                      "apps/v1", "Deployment", "", "web", "metadata")
    log = json.loads(render(RunResult([finding], [], [], 1, 1, (Policy(),)), root=os.getcwd()))
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    [result] = run["results"]
    rule = rules[result["ruleIndex"]]
    assert rule["id"] == "org-team-label" and rule["name"] == "OrgTeamLabel"
    assert rule["shortDescription"]["text"] == "Workloads carry a team label"
    assert rule["defaultConfiguration"]["level"] == "error" and result["level"] == "error"
    assert rule["properties"]["tags"] == ["ownership", "custom-policy"]
    assert "Add metadata.labels.team." in rule["help"]["markdown"]
    assert "helpUri" not in rule  # no documentation page for custom policies
    assert [r["id"] for r in rules[:len(catalog.load_catalog())]] == sorted(catalog.load_catalog())


POLICY_CONFIG = ROOT / "fixtures" / "policies" / "k8slint.yaml"


@pytest.mark.skipif(not POLICY_CONFIG.is_file(), reason="no custom policy fixtures")
def test_custom_policies_from_a_configuration(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    log, _, _ = lint_sarif("fixtures/policies/manifests", "--config", "fixtures/policies/k8slint.yaml")
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    custom = [r for r in rules if "custom-policy" in r["properties"]["tags"]]
    assert custom and not {r["id"] for r in custom} & set(catalog.load_catalog())
    for rule in custom:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["text"]
    fired = [r for r in run["results"] if r["ruleId"] in {c["id"] for c in custom}]
    assert fired
    for result in fired:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    assert schema_errors(log, REPO_SCHEMA) == []
    if MULTITOOL is not None:
        path = tmp_path / "policies.sarif"
        path.write_text(json.dumps(log), encoding="utf-8")
        problems = run_multitool(path, tmp_path / "policies.validation.sarif")
        assert problems == [], _describe(problems)


def test_unknown_rule_ids_still_resolve():
    from k8slint.engine import RunResult
    from k8slint.findings import Finding
    from k8slint.report.sarif import render

    finding = Finding("not-in-catalogue", "info", "something", "a.yaml", 1, 1, 1, 2)
    run = json.loads(render(RunResult([finding], [], [], 1, 1)))["runs"][0]
    [result] = run["results"]
    rule = run["tool"]["driver"]["rules"][result["ruleIndex"]]
    assert rule["id"] == "not-in-catalogue" and rule["help"]["text"] and result["level"] == "note"


def test_serializer_maps_names_and_omits_unset_values():
    import sarif_om as om

    from k8slint.report.sarif import _new, to_sarif

    plain = to_sarif(om.Result(message=om.Message(text="x"), rule_id="r"))
    assert plain == {"ruleId": "r", "message": {"text": "x"}}  # no kind/level/rank/ruleIndex defaults
    explicit = to_sarif(_new(om.Result, message=_new(om.Message, text="x"), level="warning"))
    assert explicit == {"level": "warning", "message": {"text": "x"}}
    region = to_sarif(_new(om.Region, start_line=1, start_column=2))
    assert region == {"startColumn": 2, "startLine": 1}  # no byteOffset/charOffset -1 sentinels
    assert to_sarif(om.ToolComponent(name="t")) == {"name": "t"}  # no language/contents defaults
    assert to_sarif(_new(om.Suppression, kind="inSource", state="accepted")) == \
        {"kind": "inSource", "status": "accepted"}
    assert to_sarif(om.SarifLog(runs=[], version="2.1.0", schema_uri="s")) == \
        {"$schema": "s", "version": "2.1.0", "runs": []}


def test_without_suppressed_for_the_github_upload(repo, tmp_path):
    from k8slint.report.sarif import drop_suppressed_in_file

    put(repo, "deploy/quiet.yaml", SUPPRESSED)
    out = tmp_path / "k8slint.sarif"
    cli("lint", "--format", "sarif", "-o", out, "deploy")
    assert drop_suppressed_in_file(str(out)) == 2
    [result] = json.loads(out.read_text(encoding="utf-8"))["runs"][0]["results"]
    assert result["properties"]["path"] == "spec.template.spec.containers[2].name"
    assert "suppressions" not in result
    assert schema_errors(json.loads(out.read_text(encoding="utf-8")), REPO_SCHEMA) == []


# --------------------------------------------------------------------------- validation


def test_the_repository_keeps_the_schema_github_validates_with():
    schema = json.loads(REPO_SCHEMA.read_text(encoding="utf-8"))
    assert schema["$id"].endswith("/sarif-schema-2.1.0.json")
    assert "status" in schema["definitions"]["suppression"]["properties"]
    assert hashlib.sha256(REPO_SCHEMA.read_bytes()).hexdigest() == UPSTREAM_SCHEMA_SHA256
    assert UPSTREAM_SCHEMA_SHA256 in (ROOT / "schemas" / "SOURCES.md").read_text(encoding="utf-8")


def _schemas():
    tool = MULTITOOL.parent / "sarif-2.1.0.json" if MULTITOOL else None
    return [pytest.param(REPO_SCHEMA, id="repository-copy"),
            pytest.param(tool, id="multitool-copy", marks=pytest.mark.skipif(
                tool is None or not tool.is_file(), reason="SARIF multitool not installed (npm ci)"))]


@pytest.mark.parametrize("schema", _schemas())
def test_logs_are_valid_against_the_sarif_schema(repo, schema):
    for name, log in sample_logs(repo).items():
        assert schema_errors(log, schema) == [], name


def test_the_schema_check_is_not_a_no_op(repo):
    log = sample_logs(repo)["findings"]
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    log["runs"][0]["results"][0]["suppressions"] = [{"kind": "inSource", "state": "accepted"}]
    errors = schema_errors(log, REPO_SCHEMA)
    assert any("minimum" in e for e in errors) and any("'state'" in e for e in errors)


def run_multitool(path: Path | list[Path], out: Path) -> list[dict]:
    """Validate ``path`` (one or several files) with the SARIF spec rules and the GitHub ingestion rules (GH*); return
    the error and warning results of the multitool's own output log (its exit code is 0 even
    when it reports errors). Called directly: the npm wrapper splits "Sarif;Gh" in a shell."""
    completed = subprocess.run(
        [str(MULTITOOL), "validate", *map(str, path if isinstance(path, list) else [path]), "--rule-kind", "Sarif;Gh", "--level", "Error;Warning",
         "--output", str(out), "--log", "ForceOverwrite"],
        capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    report = json.loads(out.read_text(encoding="utf-8-sig"))
    [run] = report["runs"]
    return [r for r in run.get("results", []) if r.get("level", "warning") in ("error", "warning")]


def _describe(results: list[dict]) -> list[str]:
    def where(result):
        locations = result.get("locations") or [{}]
        return locations[0].get("physicalLocation", {}).get("artifactLocation", {}).get("uri", "")

    return [f"{where(r)}: {r.get('ruleId')}: {r['message'].get('text') or r['message'].get('arguments')}"
            for r in results]


@needs_multitool
def test_multitool_finds_no_error_or_warning_including_github_rules(repo, tmp_path):
    paths = []
    for name, log in sample_logs(repo).items():
        paths.append(tmp_path / f"{name}.sarif")
        paths[-1].write_text(json.dumps(log, indent=2), encoding="utf-8")
    problems = run_multitool(paths, tmp_path / "validation.sarif")
    assert problems == [], _describe(problems)


@needs_multitool
def test_multitool_github_rules_are_live(repo, tmp_path):
    """The same check on a log without rule help and without $schema reports GitHub's rules."""
    log = sample_logs(repo)["findings"]
    del log["$schema"]
    for rule in log["runs"][0]["tool"]["driver"]["rules"]:
        del rule["help"], rule["fullDescription"]
    path = tmp_path / "bad.sarif"
    path.write_text(json.dumps(log), encoding="utf-8")
    ids = {r["ruleId"].split(".")[0] for r in run_multitool(path, tmp_path / "bad.validation.sarif")}
    assert {"GH2012", "GH1013"} <= ids, ids


def test_multitool_is_pinned_for_ci():
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    version = package["devDependencies"]["@microsoft/sarif-multitool"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)  # exact, not a range
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/@microsoft/sarif-multitool"]["version"] == version
    assert "npm ci" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    if MULTITOOL is not None:
        completed = subprocess.run([str(MULTITOOL), "--version"], capture_output=True, text=True,
                                   timeout=120)
        banner = completed.stdout + completed.stderr  # 5.7.0 prints it on standard error
        assert f"SARIF Multitool {version}" in banner


def test_artifact_uris_resolved_per_directory_equal_each_path_resolved_whole(tmp_path, monkeypatch):
    """The report resolves a directory once for all its files: every file's URI and base are those
    of resolving its own path (realpath, else the path as given, relative to the root; else an
    absolute file:// URI), links in directories and in names, dot segments and odd names included."""
    from urllib.parse import quote

    from k8slint.report.sarif import SRCROOT, STDIN_URI, _Uris, _inside

    def whole(path, root):
        if path == "-":
            return STDIN_URI, None
        for base, candidate in ((os.path.realpath(root), os.path.realpath(path)), (root, os.path.abspath(path))):
            relative = _inside(candidate, base)
            if relative is not None:
                return quote(os.fsencode(relative.replace(os.sep, "/")), safe="/"), SRCROOT
        return Path(os.path.realpath(path)).as_uri(), None

    repo = tmp_path / "repo"
    (repo / "a b" / "c%d").mkdir(parents=True)
    (repo / "ü").mkdir()
    for file in ("a b/c%d/x y.yaml", "ü/é.yaml", "top.yaml"):
        (repo / file).write_text("a: 1\n")
    (tmp_path / "out.yaml").write_text("a: 1\n")
    (repo / "out-link.yaml").symlink_to(tmp_path / "out.yaml")
    (repo / "in-link.yaml").symlink_to(repo / "ü" / "é.yaml")
    (repo / "dir-link").symlink_to(repo / "a b")
    (tmp_path / "repo-link").symlink_to(repo)
    monkeypatch.chdir(repo)
    paths = ["a b/c%d/x y.yaml", "./a b/c%d/x y.yaml", "a b//c%d/x y.yaml", "ü/é.yaml", "top.yaml",
             "out-link.yaml", "in-link.yaml", "dir-link/c%d/x y.yaml", "dir-link/../ü/é.yaml", "../out.yaml",
             str(tmp_path / "out.yaml"), str(tmp_path / "repo-link" / "ü" / "é.yaml"),
             "../repo-link/in-link.yaml", "gone.yaml", "-", str(repo / "top.yaml")]
    for root in (repo, tmp_path, tmp_path / "repo-link", repo / "ü", Path("/")):
        uris = _Uris(os.path.abspath(root))
        assert [uris.of(p) for p in paths] == [whole(p, os.path.abspath(root)) for p in paths], root
