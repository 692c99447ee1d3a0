"""Hostile and broken input: no traceback, no hang, no unbounded memory. Every problem is a
diagnostic with a location and exit code 2, and the other files (and the other documents of the
same stream) are still linted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from conftest import NO_PROBE_DEPLOYMENT, ROOT, cli

GOOD = NO_PROBE_DEPLOYMENT
# the line of "- name: web" above, where missing-readiness-probe points
GOOD_FINDING_LINE = 11
PROBE = "missing-readiness-probe"


def lint_json(*args, input=None):
    result = cli("lint", "--format", "json", *args, input=input)
    return result.exit_code, json.loads(result.stdout)


def findings_of(report, name):
    return [f for f in report["findings"] if f["file"].endswith(name)]


def errors_of(report, name):
    return [e for e in report["errors"] if e["file"].endswith(name)]


def assert_located(error):
    assert error["line"] >= 1 and error["column"] >= 1, error
    assert error["rule"] == "parse-error", error


def assert_no_internal_error(report):
    assert not [e for e in report["errors"] if e["rule"] == "internal-error"], report["errors"]


def run_process(args, timeout=60, **kwargs):
    """k8slint as a new process, so that a hang fails the test instead of the whole suite."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "k8slint", "lint", "--no-color", *map(str, args)],
                          capture_output=True, timeout=timeout, env=env, **kwargs)


# --- YAML syntax errors --------------------------------------------------------------------------


@pytest.mark.parametrize("name,content,line", [
    ("start.yaml", "a: [\n", 2),
    ("middle.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: x\nspec: {}\n", 4),
    ("end.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: 'unclosed\n", 5),
    ("tabs.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: x\n", 4),
    ("quote.yaml", 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: "x\n', 5),
    ("indent.yaml", "apiVersion: v1\nkind: Pod\n  metadata: x\n", 3),
    ("colon.yaml", "apiVersion: v1\nkind: Pod\nmetadata: a: b\n", 3),
])
def test_syntax_errors_are_located_and_other_files_still_linted(write, name, content, line):
    broken = write(name, content)
    good = write("zz-good.yaml", GOOD)
    code, report = lint_json(broken, good)
    assert code == 2
    (error,) = errors_of(report, name)
    assert_located(error)
    assert error["line"] == line and "YAML syntax error" in error["message"]
    assert [f["line"] for f in findings_of(report, "zz-good.yaml") if f["rule"] == PROBE] == [GOOD_FINDING_LINE]


@pytest.mark.parametrize("broken", [
    "apiVersion: v1\nkind: Service\nmetadata: {name: x\n",  # unclosed flow mapping
    "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: x\n",  # a tab
    "apiVersion: v1\nkind: Pod\nmetadata: {name: 'x}\n",  # an unclosed quote
    "--- [\nx: 1\n",  # broken on its own marker line
])
def test_bad_document_in_the_middle_of_a_stream(write, broken):
    text = GOOD + "---\n" + broken + "---\n" + GOOD.replace("web", "api")
    code, report = lint_json(write("stream.yaml", text))
    assert code == 2
    assert len(report["errors"]) == 1
    assert_located(report["errors"][0])
    before_lines = GOOD.count("\n")
    assert before_lines + 2 <= report["errors"][0]["line"] <= text.count("\n") - GOOD.count("\n") + 1
    lines = [f["line"] for f in report["findings"] if f["rule"] == PROBE]
    after = text.count("\n") - GOOD.count("\n") + GOOD_FINDING_LINE
    assert lines == [GOOD_FINDING_LINE, after]  # before and after the broken one, true lines
    assert [f["name"] for f in report["findings"] if f["rule"] == PROBE] == ["web", "api"]


def test_many_broken_documents_take_linear_time(write):
    broken = "apiVersion: v1\nkind: Pod\nmetadata: {name: a\n"
    path = write("broken.yaml", "---\n".join([broken, GOOD] * 3000))
    start = time.perf_counter()
    code, report = lint_json(path)
    assert time.perf_counter() - start < 30
    assert code == 2
    assert len(report["errors"]) == 3000 and all(e["line"] >= 1 for e in report["errors"])
    assert len([f for f in report["findings"] if f["rule"] == PROBE]) == 3000


# --- resource exhaustion --------------------------------------------------------------------------


def test_billion_laughs_is_refused_fast_and_the_next_document_is_linted(write):
    lines = ["apiVersion: v1", "kind: ConfigMap", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    path = write("bomb.yaml", "\n".join(lines) + "\n---\n" + GOOD)
    start = time.perf_counter()
    code, report = lint_json(path)
    assert time.perf_counter() - start < 10
    assert code == 2
    (error,) = report["errors"]
    assert_located(error)
    assert "aliases expand" in error["message"] and error["line"] == 7
    assert [f["line"] for f in report["findings"] if f["rule"] == PROBE] == [13 + GOOD_FINDING_LINE]


def test_many_aliases_to_one_big_scalar_are_shared_not_copied(write):
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, annotations: {big: &big '" + "y" * 1_000_000 +
            "'}}\ndata: {" + ", ".join(f"k{i}: *big" for i in range(2000)) + "}\n")
    code, report = lint_json(write("aliases.yaml", text))
    assert code == 0 and report["errors"] == []


@pytest.mark.parametrize("name,text", [
    ("flow-seq.yaml", "apiVersion: v1\nkind: Pod\nx: " + "[" * 100_000 + "]" * 100_000 + "\n"),
    ("flow-map.yaml", "apiVersion: v1\nkind: Pod\nx: " + "{a: " * 100_000 + "1" + "}" * 100_000 + "\n"),
    ("block-seq.yaml", "apiVersion: v1\nkind: Pod\nx:\n" + "".join(" " * i + "-\n" for i in range(2000))),
    ("block-map.yaml", "apiVersion: v1\nkind: Pod\n" + "".join(" " * i + f"k{i}:\n" for i in range(2000))),
])
def test_very_deep_nesting_is_refused_not_recursed(write, name, text):
    path = write(name, text + "---\n" + GOOD)
    code, report = lint_json(path)
    assert code == 2
    (error,) = report["errors"]
    assert_located(error)
    assert "nesting deeper than 200 levels" in error["message"] or "YAML syntax error" in error["message"]
    assert [f["rule"] for f in report["findings"]] == [PROBE]  # the document after it


def test_very_long_lines_scalars_and_keys(write):
    long_value = write("long-value.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
                                          "data:\n  a: " + "x" * 5_000_000 + "\n---\n" + GOOD)
    long_key = write("long-key.yaml", "apiVersion: v1\nkind: Pod\n" + "k" * 100_000 + ": 1\n")
    long_name = write("long-name.yaml", GOOD.replace("  name: web\n", "  name: " + "n" * 100_000 + "\n", 1))
    code, report = lint_json(long_value, long_key, long_name)
    assert code == 2
    assert_no_internal_error(report)
    assert [f["rule"] for f in findings_of(report, "long-value.yaml")] == [PROBE]
    (error,) = errors_of(report, "long-key.yaml")
    assert_located(error)
    assert findings_of(report, "long-name.yaml")
    # text output cuts the snippet of a long line
    text = cli("lint", "--no-color", long_name).stdout
    assert max(len(line) for line in text.splitlines() if line.lstrip().startswith(("11 |", "4 |"))) < 300


def test_a_100_mb_file_is_refused_quickly_without_reading_it_all(tmp_path, write):
    huge = tmp_path / "huge.yaml"
    with open(huge, "wb") as handle:  # sparse: costs no disk
        handle.truncate(100 * 1024 * 1024)
    good = write("good.yaml", GOOD)
    start = time.perf_counter()
    code, report = lint_json(huge, good)
    assert time.perf_counter() - start < 10
    assert code == 2
    (error,) = errors_of(report, "huge.yaml")
    assert_located(error)
    assert "larger than 32 MiB" in error["message"] and "--max-file-size" in error["message"]
    assert findings_of(report, "good.yaml")


def test_reading_stops_after_the_limit(tmp_path, monkeypatch):
    from k8slint import source

    path = tmp_path / "big.yaml"
    path.write_bytes(b"a" * (3 * 1024 * 1024))
    sizes = []
    real_read = os.read

    def spy(fd, size):
        sizes.append(size)
        return real_read(fd, size)

    monkeypatch.setattr(source.os, "read", spy)
    result = source.read_source(str(path), max_bytes=1024 * 1024)
    assert "larger than 1 MiB" in result.problem.message
    assert sizes == [1024 * 1024 + 1]


def _stat_with_size(real_fstat, size):
    def fstat(fd):
        status = list(real_fstat(fd))
        status[6] = size  # st_size
        return os.stat_result(status)
    return fstat


def test_a_file_that_grows_while_it_is_read_is_read_whole(tmp_path, monkeypatch):
    """The size fstat() gave is only where reading starts: a file that is longer by the time it
    is read (a log being written, /proc files that say 0) is read to its end, up to the cap."""
    from k8slint import source

    path = tmp_path / "growing.yaml"
    path.write_text(GOOD)
    for told in (0, 10, len(GOOD) - 1):
        monkeypatch.setattr(source.os, "fstat", _stat_with_size(os.fstat, told))
        assert source.read_source(str(path)).text == GOOD
    monkeypatch.setattr(source.os, "fstat", _stat_with_size(os.fstat, 10))
    result = source.read_source(str(path), max_bytes=len(GOOD) - 1)  # grown past the cap
    assert result.text is None and "larger than" in result.problem.message


def test_a_file_that_shrinks_or_is_read_in_pieces_is_read_whole(tmp_path, monkeypatch):
    from k8slint import source

    path = tmp_path / "pieces.yaml"
    path.write_text(GOOD)
    monkeypatch.setattr(source.os, "fstat", _stat_with_size(os.fstat, len(GOOD) + 100))  # shrank
    assert source.read_source(str(path)).text == GOOD
    monkeypatch.undo()
    real_read = os.read
    monkeypatch.setattr(source.os, "read", lambda fd, size: real_read(fd, min(size, 7)))  # partial reads
    assert source.read_source(str(path)).text == GOOD


def test_a_bigger_max_file_size_lints_a_moderately_large_file(write):
    text = "---\n".join(GOOD.replace("web", f"web{i}") for i in range(4000))  # ~1 MB... x 4
    path = write("large.yaml", text * 1 + "---\n" + "---\n".join(
        GOOD.replace("web", f"more{i}") for i in range(12000)))
    size_mib = os.path.getsize(path) / (1024 * 1024)
    assert 3 < size_mib < 6
    code, report = lint_json("--max-file-size", "2", path)
    assert code == 2 and "larger than 2 MiB" in report["errors"][0]["message"]
    code, report = lint_json("--max-file-size", "8", path)
    assert code == 1 and report["errors"] == []
    assert report["summary"]["documents"] == 16000


# --- encodings and binary data ---------------------------------------------------------------------


@pytest.mark.parametrize("name,data", [
    ("utf16le.yaml", b"\xff\xfe" + GOOD.encode("utf-16-le")),
    ("utf16be.yaml", b"\xfe\xff" + GOOD.encode("utf-16-be")),
    ("utf32le.yaml", b"\xff\xfe\x00\x00" + GOOD.encode("utf-32-le")),
    ("utf8bom.yaml", b"\xef\xbb\xbf" + GOOD.encode()),
    ("crlf.yaml", GOOD.replace("\n", "\r\n").encode()),
], ids=lambda v: v if isinstance(v, str) else "")
def test_byte_order_marks_and_line_endings_are_read(write, name, data):
    code, report = lint_json(write(name, data))
    assert code == 1 and report["errors"] == []
    assert [(f["line"], f["column"]) for f in report["findings"]] == [(GOOD_FINDING_LINE, 15)]


@pytest.mark.parametrize("name,data,message,line", [
    ("binary.yaml", bytes(range(256)) * 16, "binary file", 1),
    ("png.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary file", 3),
    ("nul.yaml", GOOD.encode()[:40] + b"\x00" + GOOD.encode()[40:], "NUL byte", 3),
    ("utf16-no-bom.yaml", GOOD.encode("utf-16-le"), "byte order mark", 1),
    ("bad-utf16.yaml", b"\xff\xfe" + "apiVersion: v1\n".encode("utf-16-le") + b"\x00\xd8", "invalid utf-16", 2),
    ("latin1.yaml", GOOD.replace("web", "caf\xe9").encode("latin-1"), "not UTF-8", 4),
    ("bom-inside.yaml", GOOD.encode() + b"---\n\xef\xbb\xbfkind: x\n", "", 14),
], ids=lambda v: v if isinstance(v, str) and v.endswith(".yaml") else "")
def test_binary_and_badly_encoded_files_are_located_errors(write, name, data, message, line):
    good = write("zz-good.yaml", GOOD)
    code, report = lint_json(write(name, data), good)
    assert code == 2
    errors = errors_of(report, name)
    assert errors and message in errors[0]["message"]
    assert_located(errors[0])
    assert errors[0]["line"] == line
    assert findings_of(report, "zz-good.yaml")


def test_control_characters_are_escaped_in_text_output(write):
    hostile = GOOD.replace("  name: web\n", '  name: "web\\e[2J\\x07\\nX"\n', 1)
    result = cli("lint", "--no-color", write("ctrl.yaml", hostile))
    assert result.exit_code == 1
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "web\\x1b[2J\\x07\\x0aX" in result.stdout


# --- templates and kustomize ---------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n",
    "{{- if .Values.enabled }}\napiVersion: v1\nkind: Service\n{{- end }}\n",
    "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: {{ .Values.replicas }}\n"
    "  template:\n    spec:\n      containers:\n{{ toYaml .Values.containers | indent 6 }}\n",
    "{{/* a comment */}}\napiVersion: v1\n",
    "apiVersion: v1\nkind: ConfigMap\ndata:\n  - {{ $x }}\n",
])
def test_helm_templates_ask_to_render_first_with_one_error(write, text):
    code, report = lint_json(write("templates/service.yaml", text), write("good.yaml", GOOD))
    assert code == 2
    errors = errors_of(report, "service.yaml")
    assert len(errors) == 1, errors  # one clear diagnostic, not a YAML error soup
    assert "render it first" in errors[0]["message"] and "helm template" in errors[0]["message"]
    assert_located(errors[0])
    assert findings_of(report, "good.yaml")


def test_templates_in_quoted_strings_are_plain_values(write):
    text = GOOD.replace("  name: web\n", "  name: web\n  annotations:\n    msg: \"{{ not a template }}\"\n", 1)
    code, report = lint_json(write("quoted.yaml", text))
    assert code == 1 and report["errors"] == []


def test_kustomization_is_skipped_with_a_note(write, tmp_path):
    write("app/kustomization.yaml", "resources: [deploy.yaml]\n")
    write("app/deploy.yaml", GOOD)
    code, report = lint_json(tmp_path / "app")
    assert code == 1 and report["errors"] == []
    (note,) = report["notes"]
    assert note["file"].endswith("kustomization.yaml") and "kustomize build" in note["message"]


# --- values of the wrong type ---------------------------------------------------------------------

WRONG_TYPES = [
    ("spec", "replicas", '"3"'),
    ("spec", "replicas", "[3]"),
    ("spec", "strategy", "[]"),
    ("spec", "strategy", '"RollingUpdate"'),
    ("spec", "selector", "null"),
    ("spec", "minReadySeconds", "{}"),
    ("pod", "containers", "null"),
    ("pod", "containers", "{}"),
    ("pod", "containers", '"web"'),
    ("pod", "tolerations", "{}"),
    ("pod", "tolerations", "[3, null, [a]]"),
    ("pod", "affinity", "[]"),
    ("pod", "affinity", "{podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {}}}"),
    ("pod", "nodeSelector", "[a]"),
    ("pod", "initContainers", "7"),
    ("container", "readinessProbe", "[]"),
    ("container", "readinessProbe", "{httpGet: {port: [80]}, periodSeconds: x}"),
    ("container", "ports", "{}"),
    ("container", "ports", "[{containerPort: '80'}, 3, null]"),
    ("container", "resources", "{requests: [cpu]}"),
    ("container", "name", "[x]"),
]


def _with(field_level: str, key: str, value: str) -> str:
    if field_level == "spec":
        return GOOD.replace("spec:\n  selector:", f"spec:\n  {key}: {value}\n  selector:", 1) \
            if key != "selector" else GOOD.replace("  selector: {matchLabels: {app: web}}", f"  selector: {value}")
    if field_level == "pod":
        if key == "containers":
            return GOOD.replace("      containers:\n      - name: web\n        image: nginx:1.27\n",
                                f"      containers: {value}\n")
        return GOOD.replace("    spec:\n      containers:", f"    spec:\n      {key}: {value}\n      containers:")
    if key == "name":
        return GOOD.replace("      - name: web\n", f"      - name: {value}\n")
    return GOOD.replace("        image: nginx:1.27\n", f"        image: nginx:1.27\n        {key}: {value}\n")


@pytest.mark.parametrize("level,key,value", WRONG_TYPES)
def test_wrong_types_are_findings_not_crashes(write, level, key, value):
    code, report = lint_json(write("types.yaml", _with(level, key, value)))
    assert_no_internal_error(report)
    assert report["errors"] == []
    assert code in (0, 1)
    if (key, value) in _REPORTED_AS_WRONG_TYPE:  # the examples: said once, where they are
        # a null required field is missing-required-field's; readiness-probe-invalid says more
        # about a readinessProbe than the schema does (one finding per problem)
        said = {"invalid-field-type", "missing-required-field", "readiness-probe-invalid"}
        assert any(f["rule"] in said for f in report["findings"]), report["findings"]


_REPORTED_AS_WRONG_TYPE = {("replicas", '"3"'), ("replicas", "[3]"), ("strategy", "[]"), ("containers", "null"),
                           ("containers", "{}"), ("tolerations", "{}"), ("affinity", "[]"),
                           ("readinessProbe", "[]"), ("ports", "{}"), ("name", "[x]")}


def test_wrong_types_across_objects_do_not_crash_cross_object_rules(write):
    docs = [_with(level, key, value).replace("web", f"w{i}") for i, (level, key, value) in enumerate(WRONG_TYPES)]
    docs += ["apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {selector: [app], ports: {}}\n",
             "apiVersion: v1\nkind: Service\nmetadata: {name: t}\nspec: {selector: {app: w1}, ports: [3, {targetPort: []}]}\n",
             "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p}\nspec: {selector: 3, minAvailable: []}\n",
             "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\n"
             "spec: {scaleTargetRef: [], minReplicas: '2', maxReplicas: {}}\n",
             "apiVersion: v1\nkind: Node\nmetadata: {name: n, labels: []}\nspec: {taints: {}}\n"]
    code, report = lint_json(write("all.yaml", "---\n".join(docs)))
    assert_no_internal_error(report)
    assert report["errors"] == [] and code == 1


# --- file system oddities -------------------------------------------------------------------------


def test_fifo_in_a_directory_is_skipped_without_hanging(tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD)
    os.mkfifo(tmp_path / "pipe.yaml")  # nobody ever writes to it: opening it would block
    run = run_process(["--format", "json", tmp_path], timeout=60)
    assert run.returncode == 2
    report = json.loads(run.stdout)
    (error,) = errors_of(report, "pipe.yaml")
    assert "not a regular file" in error["message"]
    assert_located(error)
    assert findings_of(report, "a.yaml")


def test_a_fifo_named_on_the_command_line_never_blocks(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    run = run_process([tmp_path / "pipe.yaml"], timeout=60)  # no writer: empty input
    assert run.returncode == 0 and b"0 document(s)" in run.stdout


def test_process_substitution_is_read(tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    script = f'{sys.executable} -m k8slint lint --no-color <(cat "{tmp_path / "a.yaml"}")'
    run = subprocess.run(["bash", "-c", script], capture_output=True, timeout=60, env=env)
    assert run.returncode == 1 and PROBE.encode() in run.stdout


def test_broken_symlinks_loops_and_directories_named_like_files(tmp_path):
    root = tmp_path / "repo"
    (root / "sub").mkdir(parents=True)
    (root / "good.yaml").write_text(GOOD)
    (root / "dangling.yaml").symlink_to(tmp_path / "gone.yaml")
    (root / "loop-a.yaml").symlink_to(root / "loop-b.yaml")
    (root / "loop-b.yaml").symlink_to(root / "loop-a.yaml")
    (root / "sub" / "up").symlink_to(root)  # a directory loop: not followed
    (root / "self").symlink_to(root / "self")
    (root / "dir.yaml").mkdir()  # a directory with a manifest's name
    (root / "dir.yaml" / "inner.yaml").write_text(GOOD.replace("web", "inner"))
    code, report = lint_json(root)
    assert code == 2
    by_file = {os.path.basename(e["file"]): e["message"] for e in report["errors"]}
    assert by_file == {"dangling.yaml": "broken symbolic link", "loop-a.yaml": "symbolic link loop",
                       "loop-b.yaml": "symbolic link loop"}
    assert all(e["line"] == 1 and e["column"] == 1 for e in report["errors"])
    assert sorted(f["name"] for f in report["findings"] if f["rule"] == PROBE) == ["inner", "web"]
    # given directly, too
    code, report = lint_json(root / "loop-a.yaml", root / "self", root / "good.yaml")
    assert code == 2 and len(report["errors"]) == 2
    assert [f["name"] for f in report["findings"] if f["rule"] == PROBE] == ["web"]


def test_non_utf8_file_names(tmp_path):
    directory = os.fsencode(tmp_path)
    fd = os.open(os.path.join(directory, b"caf\xe9-\xff.yaml"), os.O_CREAT | os.O_WRONLY)
    os.write(fd, GOOD.encode())
    os.close(fd)
    for output in ("json", "text", "sarif"):
        run = run_process(["--format", output, tmp_path], timeout=60)
        assert run.returncode == 1, run.stderr
        assert b"Traceback" not in run.stderr
        out = run.stdout.decode("utf-8")  # valid UTF-8 whatever the file name
        if output == "json":
            (finding,) = [f for f in json.loads(out)["findings"] if f["rule"] == PROBE]
            assert finding["file"].endswith("caf\\xe9-\\xff.yaml")
        elif output == "text":
            assert "caf\\xe9-\\xff.yaml:11:15" in out
        else:
            json.loads(out)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path):  # pragma: no cover - CI runs as root
    (tmp_path / "a.yaml").write_text(GOOD)
    locked = tmp_path / "locked.yaml"
    locked.write_text(GOOD)
    locked.chmod(0)
    code, report = lint_json(tmp_path)
    assert code == 2 and "ermission denied" in errors_of(report, "locked.yaml")[0]["message"]
    assert findings_of(report, "a.yaml")


def test_unreadable_directory_entries_are_reported(tmp_path, monkeypatch):
    """Root cannot be denied a read, so the OS error is simulated where discovery meets it."""
    from k8slint import source

    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(GOOD)
    def denied(real):
        def stat(path, *args, **kwargs):
            if str(path).endswith("b.yaml"):
                raise PermissionError(13, "Permission denied", str(path))
            return real(path, *args, **kwargs)
        return stat

    monkeypatch.setattr(source.os, "stat", denied(os.stat))
    monkeypatch.setattr(source.os, "lstat", denied(os.lstat))
    from k8slint.engine import Options, run

    result = run([str(tmp_path)], Options(enabled=frozenset({PROBE})))
    assert [(os.path.basename(e.file), e.message) for e in result.errors] == [
        ("b.yaml", "cannot read: Permission denied")]
    assert [os.path.basename(f.file) for f in result.findings] == ["a.yaml"]


def test_read_errors_after_discovery_are_reported(tmp_path):
    from k8slint.source import read_source

    result = read_source(str(tmp_path / "vanished.yaml"))
    assert result.problem is not None and "cannot read file" in result.problem.message


# --- keys Kubernetes cannot have -----------------------------------------------------------------


@pytest.mark.parametrize("text,message", [
    ("apiVersion: v1\nkind: Pod\n? [a, b]\n: 1\n", "cannot be a mapping key"),
    ("apiVersion: v1\nkind: Pod\n? {a: 1}\n: 1\n", "cannot be a mapping key"),
    ("base: &b [1]\napiVersion: v1\nkind: Pod\n*b : 1\n", "cannot be a mapping key"),
    ("apiVersion: v1\nkind: Pod\nx: {<<: 3}\n", "merge key"),
    ("apiVersion: v1\nkind: Pod\nx: *nowhere\n", "unknown alias"),
    ("%YAML 1.1\n%YAML 1.1\n---\na: 1\n", "YAML syntax error"),
    ("--- !!binary\nAAAA\n", "not a Kubernetes object"),
])
def test_keys_and_structures_json_cannot_hold(write, text, message):
    code, report = lint_json(write("odd.yaml", text), write("zz.yaml", GOOD))
    assert code == 2
    (error,) = errors_of(report, "odd.yaml")
    assert message in error["message"]
    assert_located(error)
    assert findings_of(report, "zz.yaml")


def test_standard_input_hostile_and_empty():
    code, report = lint_json("-", input=b"\x00\x01binary")
    assert code == 2 and "binary" in report["errors"][0]["message"]
    code, report = lint_json("-", input="")
    assert code == 0 and report["summary"]["documents"] == 0
    code, report = lint_json("-", input=GOOD + "---\n{a: [\n---\n" + GOOD)
    assert code == 2 and len(report["findings"]) == 2


# --- positions of cross-object findings (inventory summaries keep none) -------------------------


def test_cross_object_findings_point_at_the_field_in_lists_and_after_errors(write):
    path = write("services.yaml", "{broken: [\n---\n" + SERVICES_AND_DEPLOYMENT)
    code, report = lint_json("--show-suppressed", path)
    assert code == 2
    found = [(f["name"], f["line"], f["column"], f["suppressed"]) for f in report["findings"]
             if f["rule"] == "service-no-endpoints"]
    assert found == [("s", 7, 19, False), ("t", 17, 21, True), ("u", 24, 12, False)]



def test_cross_object_findings_in_a_document_with_a_key_written_twice(write):
    """The API server receives the last value of a key written twice (sigs.k8s.io/yaml), so the
    finding points into the second ``spec``, not at the first one's selector, which the native
    reader would reach first and stop at; in the next document, the duplicate comes after."""
    path = write("twice.yaml", (
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  selector: {app: nothing}\n"
        "  ports: [{port: 80}]\nspec:\n  ports: [{port: 80}]\n  selector: {app: other}\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: t}\nspec:\n  selector: {app: none}\n"
        "  ports: [{port: 80}]\nmetadata: {name: t}\n---\n") + SERVICES_AND_DEPLOYMENT.split("---\n")[-1])
    code, report = lint_json(path)
    found = [(f["name"], f["line"], f["column"]) for f in report["findings"] if f["rule"] == "service-no-endpoints"]
    assert found == [("s", 9, 19), ("t", 15, 19)]


SERVICES_AND_DEPLOYMENT = """\
apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  selector: {app: nothing}
  ports: [{port: 80}]
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: t}
  spec:
    selector: {app: nothing}  # k8slint: disable=service-no-endpoints
    ports: [{port: 80}]
- apiVersion: v1
  kind: Service
  metadata: {name: u}
  spec:
    selector:
      app: none
    ports: [{port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx, readinessProbe: {tcpSocket: {port: 80}}}]
"""
