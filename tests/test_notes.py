"""Notes: what a rule could not check (``ctx.note``), said once per run in every output format, and
never a finding (not counted, not in the exit code, not baselined, not suppressed by rule id).

Used for custom resources whose kind has no CustomResourceDefinition among the linted files
(custom-resource-invalid) and for the cross-workload anti-affinity search that stopped at its work
budget (anti-affinity-infeasible)."""

from __future__ import annotations

import json
import shutil

import jsonschema
import pytest

from conftest import FIXTURES, ROOT, cli, engine_run

NOTES = FIXTURES / "notes"
CERTIFICATES = NOTES / "certificates.yaml"
CRD = NOTES / "certificate-crd.yaml"
SCHEMALESS = ("custom resources of kind Certificate (cert-manager.io/v1) were not schema-checked: "
              "no CustomResourceDefinition for Certificate among the linted files")


def _schema(name: str) -> dict:
    return json.loads((ROOT / "schemas" / name).read_text(encoding="utf-8"))


def _json(*args) -> tuple[dict, int]:
    result = cli("lint", "--format", "json", *args)
    report = json.loads(result.stdout)
    jsonschema.validate(report, _schema("report.schema.json"))
    return report, result.exit_code


def _rule_notes(report: dict) -> list[dict]:
    return [n for n in report["notes"] if n.get("rule")]


def test_text_note_for_custom_resources_without_a_crd():
    result = cli("lint", "--no-color", CERTIFICATES)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    name = lines[0].split(":")[0]
    assert name.endswith("fixtures/notes/certificates.yaml")
    assert lines[:2] == [
        f"{name}:3:1: note: {SCHEMALESS} (2 in all; the first here)",
        f"{name}:23:1: note: custom resources of kind ClusterIssuer (cert-manager.io/v1) were not "
        f"schema-checked: no CustomResourceDefinition for ClusterIssuer among the linted files",
    ]
    # not counted: the summary has nothing
    assert lines[-1] == "0 error(s), 0 warning(s), 0 info in 1 file(s), 3 document(s)"


def test_json_notes_one_per_kind_with_count_and_first_place():
    report, code = _json(CERTIFICATES)
    assert code == 0 and report["findings"] == []
    certificate, issuer = _rule_notes(report)
    assert certificate == {"file": certificate["file"], "message": SCHEMALESS, "line": 3, "column": 1,
                           "rule": "custom-resource-invalid", "key": "cert-manager.io/v1 Certificate", "count": 2}
    assert certificate["file"].endswith("certificates.yaml")
    assert (issuer["line"], issuer["count"], issuer["key"]) == (23, 1, "cert-manager.io/v1 ClusterIssuer")
    assert report["summary"]["info"] == 0


def test_sarif_notes_are_tool_execution_notifications(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(CERTIFICATES, tmp_path / "certificates.yaml")
    result = cli("lint", "--format", "sarif", "certificates.yaml")
    assert result.exit_code == 0
    log = json.loads(result.stdout)
    errors = list(jsonschema.validators.validator_for(_schema("sarif-2.1.0.json"))(
        _schema("sarif-2.1.0.json")).iter_errors(log))
    assert not errors, [e.message for e in errors]
    run = log["runs"][0]
    assert run["results"] == []
    [invocation] = run["invocations"]
    assert invocation["executionSuccessful"] is True
    first, second = invocation["toolExecutionNotifications"]
    assert first["level"] == second["level"] == "note"
    assert first["message"]["text"] == SCHEMALESS + " (2 in all)"
    assert first["properties"] == {"key": "cert-manager.io/v1 Certificate", "count": 2}
    descriptors = run["tool"]["driver"]["notifications"]
    assert descriptors[first["descriptor"]["index"]]["id"] == first["descriptor"]["id"] == "not-checked"
    rules = run["tool"]["driver"]["rules"]
    assert rules[first["associatedRule"]["index"]]["id"] == first["associatedRule"]["id"] == "custom-resource-invalid"
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "certificates.yaml"
    assert (location["region"]["startLine"], location["region"]["startColumn"]) == (3, 1)


def test_no_note_when_the_crd_is_among_the_linted_files():
    report, code = _json(NOTES)  # the CRD is in another file of the run
    assert code == 0
    assert [n["key"] for n in _rule_notes(report)] == ["cert-manager.io/v1 ClusterIssuer"]


def test_a_crd_without_a_schema_for_the_version_is_named(write):
    crd = CRD.read_text(encoding="utf-8").replace("  - name: v1\n", "  - name: v1beta1\n")
    write("crd.yaml", crd)
    path = write("certs.yaml", CERTIFICATES.read_text(encoding="utf-8"))
    result = engine_run([path.parent / "crd.yaml", path])
    [note] = [n for n in result.notes if n.key == "cert-manager.io/v1 Certificate"]
    assert note.message.endswith("the CustomResourceDefinition certificates.cert-manager.io "
                                 f"({path.parent / 'crd.yaml'}) has no openAPIV3Schema for version v1")
    assert note.count == 2 and not result.findings


def test_kinds_k8slint_reads_itself_get_no_note(write):
    path = write("rollout.yaml", """\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
  strategy: {canary: {steps: [{setWeight: 50}]}}
""")
    assert engine_run([path]).notes == []


def test_notes_never_change_the_exit_code():
    for threshold in ("error", "warning", "info"):
        result = cli("lint", "--fail-on", threshold, CERTIFICATES)
        assert result.exit_code == 0, threshold


def test_notes_are_not_baselined_nor_suppressed(write, tmp_path):
    text = CERTIFICATES.read_text(encoding="utf-8")
    path = write("certs.yaml", "# k8slint: disable-file=custom-resource-invalid\n" + text.replace(
        "  name: web-tls\n", "  name: web-tls\n  annotations: {k8slint.io/ignore: custom-resource-invalid}\n"))
    baseline = tmp_path / "baseline.json"
    report, code = _json("--write-baseline", baseline, path)
    assert code == 0 and [n["count"] for n in _rule_notes(report)] == [2, 1]
    assert "Certificate" not in baseline.read_text(encoding="utf-8")
    again, _ = _json("--baseline", baseline, path)
    assert _rule_notes(again) == _rule_notes(report)


def test_a_disabled_rule_gives_no_note():
    report, _ = _json("--disable", "custom-resource-invalid", CERTIFICATES)
    assert _rule_notes(report) == []


def _many_files(tmp_path, files: int = 6, per_file: int = 400) -> list:
    """More than 512 KiB in all and more than 2,000 inventory objects: with --jobs 2 the files are
    linted in worker processes and the cross-object rules shared out over forked ones."""
    paths = []
    padding = "x" * 200
    for number in range(files):
        docs = []
        for i in range(per_file):
            kind = ("Certificate", "Issuer", "ServiceMonitor")[(number + i) % 3]
            group = "monitoring.coreos.com/v1" if kind == "ServiceMonitor" else "cert-manager.io/v1"
            docs.append(f"apiVersion: {group}\nkind: {kind}\nmetadata:\n  name: r-{number}-{i}\n"
                        f"  annotations: {{note: {padding}}}\nspec: {{secretName: s-{i}}}\n")
        path = tmp_path / f"part-{number}.yaml"
        path.write_text("---\n".join(docs), encoding="utf-8")
        paths.append(path)
    return paths


def test_jobs_give_the_same_notes(tmp_path):
    paths = _many_files(tmp_path)
    assert sum(p.stat().st_size for p in paths) > 512 * 1024
    one, _ = _json("--jobs", "1", *paths)
    two, _ = _json("--jobs", "2", *paths)
    notes = _rule_notes(one)
    assert notes == _rule_notes(two)
    assert [(n["key"], n["count"], n["file"].rsplit("/", 1)[-1], n["line"]) for n in notes] == [
        ("cert-manager.io/v1 Certificate", 800, "part-0.yaml", 1),
        ("cert-manager.io/v1 Issuer", 800, "part-0.yaml", 8),
        ("monitoring.coreos.com/v1 ServiceMonitor", 800, "part-0.yaml", 15),
    ]
    assert one["findings"] == two["findings"]


def test_a_clique_search_that_hit_its_budget_says_so(tmp_path):
    from test_hostile_scale import dense_anti_affinity

    (tmp_path / "dense.yaml").write_text(dense_anti_affinity(150, 0.9), encoding="utf-8")
    report, code = _json("--nodes", "50", tmp_path / "dense.yaml")
    [note] = _rule_notes(report)
    assert (note["rule"], note["key"], note["count"]) == ("anti-affinity-infeasible", "work-budget", 1)
    assert "stopped at its work budget" in note["message"]
    assert "the largest set found needs 34 nodes, the largest may need up to 64" in note["message"]
    assert "whether their 50 eligible nodes suffice was not decided" in note["message"]
    # 34 <= 50 < 64: undecided, so no finding claims anything about the group
    assert not [f for f in report["findings"] if "apart from each other" in f["message"]]
    # with 3 nodes the 34 found are proof enough: an error that says "at least", and the note
    report, code = _json("--nodes", "3", tmp_path / "dense.yaml")
    assert code == 1
    [group] = [f for f in report["findings"] if "apart from each other" in f["message"]]
    assert group["severity"] == "error" and "need at least 34 nodes" in group["message"]
    assert "work budget" not in group["message"]
    [note] = _rule_notes(report)
    assert "suffice" not in note["message"]


def test_an_exact_clique_search_gives_no_note(tmp_path):
    from test_hostile_scale import dense_anti_affinity

    (tmp_path / "group.yaml").write_text(dense_anti_affinity(12, 1.0), encoding="utf-8")
    report, _ = _json("--nodes", "3", tmp_path / "group.yaml")
    assert _rule_notes(report) == []
    [group] = [f for f in report["findings"] if "apart from each other" in f["message"]]
    assert "at least" not in group["message"]


@pytest.mark.parametrize("args", [(), ("--nodes", "3")])
def test_corpus_gives_no_clique_note(args):
    report, _ = _json(*args, ROOT / "tests" / "corpus" / "real")
    assert not [n for n in _rule_notes(report) if n["rule"] == "anti-affinity-infeasible"]


def test_a_rollout_is_checked_against_its_crd_among_the_linted_files(write):
    """Argo Rollouts are read as workloads (no note without their CRD) and checked against the
    Rollout CRD when it is among the linted files; where a Rollout rule reports an error at the same
    field, that finding stands alone."""
    fixture = (FIXTURES / "rules" / "custom-resources" / "fire" / "rollout.yaml").read_text(encoding="utf-8")
    crd, rollout = fixture.split("---\n")
    crd = crd.replace("                  canary: {type: object, x-kubernetes-preserve-unknown-fields: true}\n",
                      "                  canary:\n                    type: object\n"
                      "                    x-kubernetes-preserve-unknown-fields: true\n"
                      "                    properties:\n                      maxSurge: {x-kubernetes-int-or-string: true}\n")
    rollout = rollout.replace("    canery: {steps: [{setWeight: 50}]}  # expect: custom-resource-invalid\n",
                              "    canary: {maxSurge: [1]}\n")
    path = write("rollout.yaml", rollout)
    alone = engine_run([path])
    assert not alone.notes and not [f for f in alone.findings if f.rule == "custom-resource-invalid"]
    write("crd.yaml", crd)
    result = engine_run([path.parent / "crd.yaml", path])
    found = {(f.rule, f.path) for f in result.findings if f.severity == "error" or f.rule == "custom-resource-invalid"}
    assert found == {("custom-resource-invalid", "spec.replica"), ("custom-resource-invalid", "spec.revisionHistoryLimit"),
                     ("rolling-update-invalid", "spec.strategy.canary.maxSurge")}, found
    assert not result.notes


def test_per_object_rules_notes_travel_back_from_file_workers(tmp_path, monkeypatch):
    """A per-object rule's notes come from each file's worker process (FileResult.notes) and are
    merged as the cross-object rules' are: one per key, counted, the first in input order."""
    import dataclasses

    from k8slint import rules

    registry = rules.all_rules()
    original = registry["readiness-probe-invalid"]  # a per-object rule

    def check(obj, ctx):
        original.check(obj, ctx)
        ctx.note("probe", f"checked {obj.name}", obj, ("spec", "replicas"))

    monkeypatch.setitem(registry, original.id, dataclasses.replace(original, check=check))
    paths = []
    for number in range(4):
        docs = [f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d-{number}-{i}\n"
                f"  annotations: {{pad: {'x' * 300}}}\nspec:\n  replicas: 2\n"
                f"  selector: {{matchLabels: {{app: d{i}}}}}\n  template:\n    metadata: {{labels: {{app: d{i}}}}}\n"
                f"    spec:\n      containers: [{{name: c, image: 'nginx:1.27'}}]\n" for i in range(400)]
        path = tmp_path / f"d-{number}.yaml"
        path.write_text("---\n".join(docs), encoding="utf-8")
        paths.append(path)
    assert sum(p.stat().st_size for p in paths) > 512 * 1024
    enabled = {"readiness-probe-invalid"}
    one = engine_run(paths, enabled=enabled, jobs=1).notes
    two = engine_run(paths, enabled=enabled, jobs=2).notes
    assert one == two
    [note] = one
    assert (note.rule, note.key, note.count, note.message) == ("readiness-probe-invalid", "probe", 1600, "checked d-0-0")
    assert (note.file, note.line, note.column) == (str(paths[0]), 7, 13)


def test_merged_notes_do_not_depend_on_the_order_they_arrive_in():
    from k8slint.findings import Note, merge_notes

    order = {"a.yaml": 0, "b.yaml": 1}
    notes = [Note("b.yaml", "second", 3, 1, "r", "k"), Note("a.yaml", "first", 9, 5, "r", "k", 2),
             Note("a.yaml", "skipped on purpose"), Note("b.yaml", "other", 1, 1, "r", "other")]
    for arrived in (notes, notes[::-1]):
        merged = merge_notes([Note(**vars(n)) for n in arrived], order)
        assert [(n.file, n.message, n.line, n.count) for n in merged] == [
            ("a.yaml", "skipped on purpose", 0, 1), ("a.yaml", "first", 9, 3), ("b.yaml", "other", 1, 1)]
