"""unknown-suppression as a user meets it: a misspelled id in the k8slint.io/ignore annotation or a
`# k8slint: disable=` comment suppresses nothing, and k8slint says so (info) with the id meant;
custom policy ids and wildcards are real ids."""

from __future__ import annotations

import json

from conftest import NO_PROBE_DEPLOYMENT, cli


def _findings(*args):
    return json.loads(cli("lint", "--format", "json", *args).stdout)["findings"]


def test_a_misspelled_comment_id_is_reported_and_the_finding_it_meant_still_is(write):
    path = write("d.yaml", NO_PROBE_DEPLOYMENT.replace("- name: web", "- name: web  # k8slint: disable=missing-readines-probe"))
    result = cli("lint", path)
    assert result.exit_code == 1  # the readiness finding is not suppressed
    lines = result.stdout.splitlines()
    [line] = [l for l in lines if "unknown-suppression" in l]
    assert line.endswith(": info unknown-suppression: the k8slint suppression comment names "
                         "'missing-readines-probe', which is no k8slint rule or custom policy: it "
                         "suppresses nothing (did you mean 'missing-readiness-probe'?)")
    assert line.startswith(f"{path}:11:39:")
    assert any("warning missing-readiness-probe" in l for l in lines)


def test_policy_ids_and_wildcards_are_known(write, tmp_path, monkeypatch):
    write(".k8slint.yaml", "policies:\n- id: team-label\n  title: Workload has a team label\n  severity: warning\n  kinds: [Deployment]\n"
                           "  message: every workload names its team\n  remediation: Add metadata.labels.team.\n  schema: {}\n")
    write("d.yaml", NO_PROBE_DEPLOYMENT.replace("name: web\nspec", "name: web\n  annotations: "
                                                "{k8slint.io/ignore: 'team-label, *'}\nspec"))
    monkeypatch.chdir(tmp_path)
    assert [f["rule"] for f in _findings("d.yaml") if f["rule"] == "unknown-suppression"] == []
    write(".k8slint.yaml", "{}\n")
    [finding] = [f for f in _findings("d.yaml") if f["rule"] == "unknown-suppression"]
    assert finding["severity"] == "info" and finding["path"] == 'metadata.annotations."k8slint.io/ignore"'
    assert "'team-label'" in finding["message"] and "did you mean" not in finding["message"]


def test_the_rule_can_be_disabled(write):
    path = write("d.yaml", "# k8slint: disable-file=nope\n" + NO_PROBE_DEPLOYMENT)
    assert [f["rule"] for f in _findings(path)].count("unknown-suppression") == 1
    assert [f["rule"] for f in _findings("--disable", "unknown-suppression", path)].count("unknown-suppression") == 0
