"""Baselines, as a team adopting k8slint on a repository with history meets them: record today's
findings (--write-baseline), then fail only on new ones (--baseline, or `baseline:` in the
config), whatever lines move; fixed findings drop out on the next write; text, JSON and SARIF
say which findings are new. Runs the CLI in temporary repositories."""

from __future__ import annotations

import json

import pytest
from conftest import NO_PROBE_DEPLOYMENT, ROOT, cli

from k8slint.report.sarif import FINGERPRINT_KEY

REPORT_SCHEMA = ROOT / "schemas" / "report.schema.json"
SARIF_SCHEMA = ROOT / "schemas" / "sarif-2.1.0.json"
PROBE = "        readinessProbe:\n          httpGet: {path: /healthz, port: 80}\n"


def deployment(name: str, probe: bool = False) -> str:
    return NO_PROBE_DEPLOYMENT.replace("name: web\nspec", f"name: {name}\nspec") + (PROBE if probe else "")


@pytest.fixture
def repo(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    (root / "deploy").mkdir(parents=True)
    (root / "deploy" / "web.yaml").write_text(deployment("web"))
    (root / "deploy" / "api.yaml").write_text(deployment("api"))
    monkeypatch.chdir(root)
    return root


def schema_errors(document, schema_path):
    from jsonschema import validators

    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    return [e.message for e in validators.validator_for(schema)(schema).iter_errors(document)]


def test_write_then_lint_fails_only_on_new_findings(repo):
    before = cli("lint", "deploy/")
    assert before.exit_code == 1 and before.stdout.count("missing-readiness-probe") == 2

    written = cli("lint", "--write-baseline", "baseline.json", "deploy/")
    assert written.exit_code == 0, written.output
    assert "wrote 2 finding(s) to the baseline baseline.json" in written.stderr
    assert written.stdout.splitlines()[-1].endswith("; 2 in the baseline (--show-baselined lists them)")
    data = json.loads((repo / "baseline.json").read_text())
    assert data["format"] == "k8slint-baseline/v1"
    assert [(e["rule"], e["file"], e["group"], e["kind"], e["name"], e["path"], e["count"])
            for e in data["findings"]] == [
        ("missing-readiness-probe", "deploy/api.yaml", "apps", "Deployment", "api",
         "spec.template.spec.containers[0].name", 1),
        ("missing-readiness-probe", "deploy/web.yaml", "apps", "Deployment", "web",
         "spec.template.spec.containers[0].name", 1)]

    same = cli("lint", "--baseline", "baseline.json", "deploy/")
    assert same.exit_code == 0, same.output
    assert "missing-readiness-probe" not in same.stdout

    (repo / "deploy" / "new.yaml").write_text(deployment("new"))
    new = cli("lint", "--baseline", "baseline.json", "deploy/")
    assert new.exit_code == 1
    [line] = [l for l in new.stdout.splitlines() if "missing-readiness-probe" in l]
    assert line.startswith("deploy/new.yaml:11:15: warning missing-readiness-probe") and line.endswith("(new)")
    assert new.stdout.splitlines()[-1] == ("0 error(s), 1 warning(s), 0 info in 3 file(s), 3 document(s); "
                                           "2 in the baseline (--show-baselined lists them)")


def test_moved_lines_stay_matched(repo):
    assert cli("lint", "--write-baseline", "baseline.json", "deploy/").exit_code == 0
    # a comment and a document above: every line of web moves
    web = repo / "deploy" / "web.yaml"
    web.write_text("# owned by team web\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n"
                   + web.read_text())
    moved = cli("lint", "--baseline", "baseline.json", "deploy/")
    assert moved.exit_code == 0, moved.output
    shown = cli("lint", "--baseline", "baseline.json", "--show-baselined", "deploy/")
    assert "deploy/web.yaml:17:15: warning missing-readiness-probe" in shown.stdout
    assert shown.exit_code == 0  # baselined findings never fail the run
    assert shown.stdout.count("(baselined)") == 2


def test_a_second_occurrence_of_a_baselined_identity_is_new(repo):
    # two documents with the same object identity in one file: the baseline held one
    assert cli("lint", "--write-baseline", "baseline.json", "deploy/web.yaml").exit_code == 0
    web = repo / "deploy" / "web.yaml"
    web.write_text(web.read_text() + "---\n" + web.read_text())
    again = cli("lint", "--baseline", "baseline.json", "--show-baselined", "deploy/web.yaml")
    assert again.exit_code == 1
    assert [l.rsplit(" ", 1)[1] for l in again.stdout.splitlines() if "readiness" in l and ": warning" in l] \
        == ["(baselined)", "(new)"]


def test_fixed_findings_are_counted_and_drop_out_on_the_next_write(repo):
    assert cli("lint", "--write-baseline", "baseline.json", "deploy/").exit_code == 0
    (repo / "deploy" / "api.yaml").write_text(deployment("api", probe=True))
    fixed = cli("lint", "--baseline", "baseline.json", "deploy/")
    assert fixed.exit_code == 0
    assert "1 baseline entry no longer found (fixed: --write-baseline drops them)" in fixed.stdout
    assert cli("lint", "--write-baseline", "baseline.json", "deploy/").exit_code == 0
    files = [e["file"] for e in json.loads((repo / "baseline.json").read_text())["findings"]]
    assert files == ["deploy/web.yaml"]
    # a regression of the fixed finding is new again
    (repo / "deploy" / "api.yaml").write_text(deployment("api"))
    assert cli("lint", "--baseline", "baseline.json", "deploy/").exit_code == 1


def test_config_baseline_is_relative_to_the_config_and_works_from_a_subdirectory(repo, monkeypatch):
    (repo / ".k8slint.yaml").write_text("baseline: ci/k8slint-baseline.json\n")
    (repo / "ci").mkdir()
    assert cli("lint", "--write-baseline", "ci/k8slint-baseline.json", "deploy/").exit_code == 0
    assert cli("lint", ".").exit_code == 0  # `lint .` (the Action's default) reads the config's baseline
    monkeypatch.chdir(repo / "deploy")
    here = cli("lint", "web.yaml", "api.yaml")
    assert here.exit_code == 0, here.output
    assert "2 in the baseline" in here.stdout
    (repo / "deploy" / "new.yaml").write_text(deployment("new"))
    assert cli("lint", ".").exit_code == 1


def test_suppressed_findings_stay_out_of_the_baseline(repo):
    (repo / "deploy" / "api.yaml").write_text(deployment("api").replace(
        "name: api\n", "name: api\n  annotations: {k8slint.io/ignore: missing-readiness-probe}\n", 1))
    assert cli("lint", "--write-baseline", "baseline.json", "deploy/").exit_code == 0
    assert [e["name"] for e in json.loads((repo / "baseline.json").read_text())["findings"]] == ["web"]


def test_json_says_which_findings_are_new(repo):
    assert cli("lint", "--write-baseline", "baseline.json", "deploy/web.yaml").exit_code == 0
    result = cli("lint", "--format", "json", "--baseline", "baseline.json", "deploy/")
    report = json.loads(result.stdout)
    assert schema_errors(report, REPORT_SCHEMA) == []
    assert [(f["name"], f["baseline_state"]) for f in report["findings"]] == [("api", "new")]
    assert report["summary"]["warning"] == 1 and report["summary"]["baselined"] == 1
    assert report["summary"]["baseline_absent"] == 0
    shown = json.loads(cli("lint", "--format", "json", "--baseline", "baseline.json", "--show-baselined",
                           "deploy/").stdout)
    assert schema_errors(shown, REPORT_SCHEMA) == []
    assert [(f["name"], f["baseline_state"]) for f in shown["findings"]] == [("api", "new"), ("web", "unchanged")]
    assert shown["summary"]["warning"] == 1  # the baselined one is not counted as a warning
    plain = json.loads(cli("lint", "--format", "json", "deploy/").stdout)
    assert "baseline_state" not in plain["findings"][0] and "baselined" not in plain["summary"]


def test_sarif_says_which_findings_are_new_with_the_same_identity(repo):
    assert cli("lint", "--write-baseline", "baseline.json", "deploy/web.yaml").exit_code == 0
    before = json.loads(cli("lint", "--format", "sarif", "deploy/").stdout)
    log = json.loads(cli("lint", "--format", "sarif", "--baseline", "baseline.json", "--show-baselined",
                         "deploy/").stdout)
    assert schema_errors(log, SARIF_SCHEMA) == []
    results = log["runs"][0]["results"]
    states = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r["baselineState"]
              for r in results}
    assert states == {"deploy/api.yaml": "new", "deploy/web.yaml": "unchanged"}
    # the identity matched is the one partialFingerprints hashes: unchanged by the baseline
    assert [r["partialFingerprints"][FINGERPRINT_KEY] for r in results] == \
        [r["partialFingerprints"][FINGERPRINT_KEY] for r in before["runs"][0]["results"]]
    default = json.loads(cli("lint", "--format", "sarif", "--baseline", "baseline.json", "deploy/").stdout)
    assert [r["baselineState"] for r in default["runs"][0]["results"]] == ["new"]


@pytest.mark.parametrize("content, message", [
    (None, "baseline not found (create it with `k8slint lint --write-baseline"),
    ("{not json", "not a k8slint baseline (invalid JSON"),
    ('{"findings": []}', 'not a k8slint baseline (expected a JSON object with "format"'),
    ('{"format": "k8slint-baseline/v1", "findings": [{"rule": 1}]}', "findings[0]: expected strings"),
    ("[" * 100000 + "]" * 100000, "not a k8slint baseline"),
])
def test_a_baseline_that_cannot_be_used_is_an_input_error(repo, content, message):
    if content is not None:
        (repo / "baseline.json").write_text(content)
    result = cli("lint", "--baseline", "baseline.json", "deploy/")
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_config_baseline_outside_the_repository_is_refused(repo, tmp_path):
    (tmp_path / "elsewhere.json").write_text('{"format": "k8slint-baseline/v1", "findings": []}')
    (repo / ".k8slint.yaml").write_text("baseline: ../elsewhere.json\n")
    result = cli("lint", "deploy/")
    assert result.exit_code == 2
    assert "outside the configuration's directory" in result.stderr
