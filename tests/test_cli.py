"""The command line as users meet it: exit codes, text and JSON output, config, suppression,
malformed input that must not stop the other files."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import pytest

from conftest import NO_PROBE_DEPLOYMENT, FIXTURES, ROOT, cli

NO_PROBE = NO_PROBE_DEPLOYMENT
CLEAN = NO_PROBE.replace("        image: nginx:1.27\n",
                         "        image: nginx:1.27\n        readinessProbe: {tcpSocket: {port: 80}}\n")


def report_schema():
    return json.loads((ROOT / "schemas" / "report.schema.json").read_text())


def test_text_output_has_location_snippet_hint_and_summary(write):
    path = write("deploy.yaml", NO_PROBE)
    result = cli("lint", "--no-color", path)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (f"{path}:11:15: warning missing-readiness-probe: container \"web\" has no "
                        "readinessProbe, and it runs nginx, a server image: a rolling update counts each new "
                        "pod available as soon as it starts and removes old pods in its place, so a release "
                        "that starts but cannot serve replaces the working pods (no Service in these files "
                        "selects its pods) [Deployment web]")
    assert lines[1] == "    11 |       - name: web"
    assert lines[2] == "       |               ^^^"
    assert lines[3].startswith("       = hint: Add a readinessProbe")
    assert lines[-1] == "0 error(s), 1 warning(s), 0 info in 1 file(s), 1 document(s)"
    assert "\033[" not in result.stdout


def test_exit_codes_follow_fail_on(write):
    bad, good = write("bad.yaml", NO_PROBE), write("good.yaml", CLEAN)
    assert cli("lint", good).exit_code == 0
    assert cli("lint", bad).exit_code == 1
    assert cli("lint", "--fail-on", "error", bad).exit_code == 0
    assert cli("lint", "--disable", "missing-readiness-probe", bad).exit_code == 0
    assert cli("lint").exit_code == 2  # no paths: usage error
    assert cli("lint", "--format", "xml", good).exit_code == 2
    assert cli("lint", "--enable", "no-such-rule", good).exit_code == 2


def test_broken_file_is_reported_and_others_still_linted(write):
    broken = write("a-broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: x\n")
    bad = write("b-bad.yaml", NO_PROBE)
    result = cli("lint", "--format", "json", broken, bad)
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    jsonschema.validate(report, report_schema())
    assert [e["file"] for e in report["errors"]] == [str(broken)]
    assert report["errors"][0]["rule"] == "parse-error" and report["errors"][0]["line"] == 4
    assert [f["rule"] for f in report["findings"]] == ["missing-readiness-probe"]


@pytest.mark.parametrize("name,content,message", [
    ("list.yaml", "- a\n- b\n", "document is a list"),
    ("nokind.yaml", "apiVersion: v1\nmetadata: {name: x}\n", "not a Kubernetes manifest"),
    ("binary.yaml", b"\x00\x01\x02binary", "binary file"),
    ("latin1.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: caf\xe9}\n".encode("latin-1"), "not UTF-8"),
    ("helm.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n", "render it first"),
])
def test_each_class_of_malformed_input_is_a_parse_error(write, name, content, message):
    path = write(name, content)
    result = cli("lint", "--format", "json", path)
    assert result.exit_code == 2
    errors = json.loads(result.stdout)["errors"]
    assert len(errors) == 1 and message in errors[0]["message"], errors
    assert errors[0]["line"] >= 1 and errors[0]["column"] >= 1


def test_unreadable_and_missing_files(write, tmp_path):
    missing = tmp_path / "nope.yaml"
    result = cli("lint", "--format", "json", missing)
    assert result.exit_code == 2
    assert "no such file" in json.loads(result.stdout)["errors"][0]["message"]
    link = tmp_path / "dir" / "dangling.yaml"
    link.parent.mkdir()
    link.symlink_to(tmp_path / "gone.yaml")
    result = cli("lint", "--format", "json", link.parent)
    assert "broken symbolic link" in json.loads(result.stdout)["errors"][0]["message"]


def test_utf16_with_bom_is_linted(write):
    path = write("utf16.yaml", b"\xff\xfe" + NO_PROBE.encode("utf-16-le"))
    report = json.loads(cli("lint", "--format", "json", path).stdout)
    assert [f["line"] for f in report["findings"]] == [11]


def test_directories_recurse_skip_hidden_and_non_yaml(write, tmp_path):
    write("app/deploy.yaml", NO_PROBE)
    write("app/.hidden/deploy.yaml", NO_PROBE)
    write("app/notes.txt", "not yaml")
    write("app/sub/deploy.yml", NO_PROBE)
    write("app/kustomization.yaml", "resources: [deploy.yaml]\n")
    report = json.loads(cli("lint", "--format", "json", tmp_path / "app").stdout)
    assert sorted(f["file"].split("app/")[1] for f in report["findings"]) == ["deploy.yaml", "sub/deploy.yml"]
    assert [n["file"].split("app/")[1] for n in report["notes"]] == ["kustomization.yaml"]


def test_stdin_and_list_kind():
    text = ("apiVersion: v1\nkind: List\nitems:\n- " + NO_PROBE.replace("\n", "\n  ").rstrip() + "\n")
    result = cli("lint", "--format", "json", "-", input=text)
    finding = json.loads(result.stdout)["findings"][0]
    assert (finding["file"], finding["line"], finding["kind"]) == ("-", 14, "Deployment")


def test_json_report_fields_and_schema(write):
    path = write("d.yaml", "# header\n---\n" + NO_PROBE)
    report = json.loads(cli("lint", "--format", "json", path).stdout)
    jsonschema.validate(report, report_schema())
    finding = report["findings"][0]
    assert finding == {
        "rule": "missing-readiness-probe", "severity": "warning", "file": str(path),
        "message": finding["message"], "line": 13, "column": 15, "end_line": 13, "end_column": 18,
        "api_version": "apps/v1", "kind": "Deployment", "namespace": "", "name": "web",
        "path": "spec.template.spec.containers[0].name", "suppressed": False, "suppression": None,
        "hint": finding["hint"]}
    assert report["summary"]["warning"] == 1 and report["summary"]["documents"] == 1


@pytest.mark.parametrize("contents", [
    {"d.yaml": NO_PROBE},  # findings, no errors or notes
    {"ok.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: v}\n"},  # nothing at all
    {"d.yaml": NO_PROBE, "bad.yaml": "a: [\n", "kustomization.yaml": "resources: []\n",
     "odd.yaml": "name: \"caf\u00e9 \\u2028 \\\" \\n\"\nkind: 1\n"},  # everything, and awkward text
])
def test_json_report_is_streamed_exactly_as_one_dump(write, tmp_path, contents):
    """The JSON report is written piece by piece; the bytes are those of one json.dumps."""
    for name, text in contents.items():
        write(name, text)
    stdout = cli("lint", "--format", "json", tmp_path).stdout
    assert stdout == json.dumps(json.loads(stdout), indent=2, ensure_ascii=False) + "\n"
    jsonschema.validate(json.loads(stdout), report_schema())


@pytest.mark.parametrize("kept", [True, False])
def test_snippets_show_the_text_that_was_linted(write, monkeypatch, kept):
    """Small files' texts are kept from linting for the report (and the positions of cross-object
    findings); a file over the limit is read again, unless it is the run's only file. Either way
    the snippet is the finding's line."""
    from conftest import engine_run
    from k8slint import source
    from k8slint.report.text import render

    if not kept:
        monkeypatch.setattr(source, "KEPT_TEXT_MAX_FILE", 10)  # every file is "large"
    path = write("d.yaml", NO_PROBE)
    write("other.yaml", NO_PROBE)  # the only file of a run is kept whatever its size
    result = engine_run([path, path.parent / "other.yaml"])
    assert (str(path) in source._KEPT_TEXTS) is kept
    path.write_text(NO_PROBE.replace("      - name: web", "      - name: changed-after-linting"))
    snippet = [line for line in render(result).splitlines() if line.startswith("    11 | ")]
    assert len(snippet) == 2
    assert snippet[0] == ("    11 |       - name: web" if kept else "    11 |       - name: changed-after-linting")


def test_output_file(write, tmp_path):
    out = tmp_path / "report.json"
    result = cli("lint", "--format", "json", "-o", out, write("d.yaml", NO_PROBE))
    assert result.exit_code == 1 and result.stdout == ""
    assert json.loads(out.read_text())["findings"]


def test_annotation_suppression_stays_visible_in_json(write):
    text = NO_PROBE.replace("  name: web\n", "  name: web\n  annotations:\n"
                            "    k8slint.io/ignore: \"missing-readiness-probe, other\"\n")
    result = cli("lint", "--format", "json", write("d.yaml", text))
    assert result.exit_code == 0
    findings = json.loads(result.stdout)["findings"]
    [finding] = [f for f in findings if f["rule"] == "missing-readiness-probe"]
    assert finding["suppressed"] is True and finding["suppression"] == "annotation"
    # "other" is no rule id: reported (info), which does not change the exit code
    [unknown] = [f for f in findings if f["rule"] == "unknown-suppression"]
    assert "'other'" in unknown["message"] and unknown["severity"] == "info"


@pytest.mark.parametrize("edit", [
    lambda t: t.replace("      - name: web\n", "      - name: web  # k8slint: disable=missing-readiness-probe\n"),
    lambda t: t.replace("      - name: web\n", "      # k8slint: disable=missing-readiness-probe\n      - name: web\n"),
    lambda t: "# k8slint: disable-file=missing-readiness-probe\n" + t,
    lambda t: t.replace("      - name: web\n", "      - name: web  # k8slint: disable\n"),
])
def test_comment_suppression(write, edit):
    result = cli("lint", "--format", "json", write("d.yaml", edit(NO_PROBE)))
    assert result.exit_code == 0
    finding = json.loads(result.stdout)["findings"][0]
    assert finding["suppressed"] is True and finding["suppression"] == "comment"


def test_comment_for_another_rule_does_not_suppress(write):
    text = NO_PROBE.replace("      - name: web\n", "      - name: web  # k8slint: disable=other-rule\n")
    assert cli("lint", write("d.yaml", text)).exit_code == 1


def test_text_hides_suppressed_unless_asked(write):
    path = write("d.yaml", "# k8slint: disable-file\n" + NO_PROBE)
    assert "missing-readiness-probe" not in cli("lint", path).stdout
    assert "suppressed by comment" in cli("lint", "--show-suppressed", path).stdout


def test_config_file_disables_and_overrides_severity(write, tmp_path, monkeypatch):
    path = write("d.yaml", NO_PROBE)
    write(".k8slint.yaml", "rules:\n  missing-readiness-probe: info\nfail-on: warning\n")
    monkeypatch.chdir(tmp_path)
    result = cli("lint", "--format", "json", path)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["findings"][0]["severity"] == "info"
    write(".k8slint.yaml", "disable: [missing-readiness-probe]\n")
    assert json.loads(cli("lint", "--format", "json", path).stdout)["findings"] == []


def test_config_found_in_parent_directory(write, tmp_path, monkeypatch):
    write(".k8slint.yaml", "exclude: ['*/skip/*']\n")
    write("deep/skip/d.yaml", NO_PROBE)
    monkeypatch.chdir(tmp_path / "deep")
    assert cli("lint", ".").exit_code == 0


@pytest.mark.parametrize("content,message", [
    ("rules:\n  missing-readiness-probe: loud\n", "at rules.missing-readiness-probe"),
    ("disable: missing-readiness-probe\n", "at disable: 'missing-readiness-probe' is not of type 'array'"),
    ("colour: true\n", "unknown field(s) ('colour' was unexpected)"),
    ("fail-on: never\n", "at fail-on"),
    ("enable: [no-such-rule]\n", "unknown rule id(s): no-such-rule"),
    ("rules: [\n", "YAML syntax error"),
])
def test_config_validation_errors_say_where_and_what(write, content, message):
    config = write("conf.yaml", content)
    result = cli("lint", "--config", config, write("d.yaml", CLEAN))
    assert result.exit_code == 2
    assert message in result.stderr


def test_rules_and_explain():
    listing = cli("rules").stdout
    assert "missing-readiness-probe" in listing and "warning" in listing
    text = cli("explain", "missing-readiness-probe").stdout
    assert "Rationale:" in text and "Example (bad):" in text and "readinessProbe" in text
    assert cli("explain", "nope").exit_code == 2


def test_console_script_and_module_entry_points():
    version = subprocess.run(["k8slint", "--version"], capture_output=True, text=True, check=True).stdout
    assert "k8slint, version" in version
    run = subprocess.run([sys.executable, "-m", "k8slint", "lint", "--no-color", FIXTURES / "examples"],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 1 and "missing-readiness-probe" in run.stdout


def test_the_command_flushes_its_report_and_keeps_exit_codes(tmp_path):
    """``python -m k8slint`` / the ``k8slint`` script end without tearing the heap down: the whole
    report must still reach the pipe, and exit codes must be click's."""

    def run(*args, cwd=ROOT):
        return subprocess.run([sys.executable, "-m", "k8slint", *map(str, args)], capture_output=True, text=True,
                              cwd=cwd, timeout=300)

    in_process = cli("lint", "--jobs", "1", "fixtures/rules")
    done = run("lint", "--jobs", "1", "fixtures/rules")
    assert done.returncode == in_process.exit_code == 1
    assert done.stdout == in_process.stdout and len(done.stdout) > 100_000
    assert run("--version").returncode == 0
    usage = run("lint")
    assert usage.returncode == 2 and "give files" in usage.stderr
    clean = tmp_path / "ok.yaml"
    clean.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: b}\n")
    ok = run("lint", clean, cwd=tmp_path)
    assert ok.returncode == 0 and ok.stdout.endswith("1 document(s)\n")


def test_the_only_file_of_a_run_is_kept_whatever_its_size(write, monkeypatch):
    from conftest import engine_run
    from k8slint import source

    monkeypatch.setattr(source, "KEPT_TEXT_MAX_FILE", 10)
    path = write("d.yaml", NO_PROBE)
    engine_run([path])
    assert str(path) in source._KEPT_TEXTS


def test_source_lines_split_by_pieces_equal_the_whole_split():
    """The text report splits a big file's lines a piece at a time (memory): the same lines as
    splitting the whole text at YAML's line breaks, whatever the breaks and the order asked."""
    import random

    from k8slint.report import text as report_text

    rng = random.Random(1)
    for _ in range(2000):
        text = "".join(rng.choices(["a", "b", " ", "\n", "\r", "\r\n", "\x85", "\u2028"], k=rng.randint(0, 60)))
        whole = report_text._lines(text)
        pieces = report_text._LinePieces(text)
        pieces.PIECE = rng.randint(1, 8)
        numbers = sorted(rng.choices(range(len(whole) + 3), k=10))
        for number in numbers if rng.random() < 0.8 else numbers[::-1]:
            assert pieces.line(number) == (whole[number - 1] if 1 <= number <= len(whole) else None), (text, number)
