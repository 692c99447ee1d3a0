"""Hostile repositories (issue 16): a `.k8slint.yaml`, its policies and cluster files, and the
manifests are written by someone who should not control the CI job. Nothing outside the
repository is read, no URL is fetched, nothing hangs or eats the machine's memory, and every
failure is one clear line on stderr with exit code 2.

Every probe here runs k8slint in a new process under a memory limit (RLIMIT_AS) and a timeout,
so that a regression fails its test instead of hanging or swapping the whole suite."""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys

import pytest

from conftest import NO_PROBE_DEPLOYMENT, ROOT, cli

MEMORY_LIMIT = 1024 * 1024 * 1024  # bytes of address space for one k8slint process
TIMEOUT = 60  # seconds; a probe that needs more is a hang
SECRET = "sk-live-6f1d0c0ffee-PRIVATE-KEY-DO-NOT-LEAK"
FORMATS = ("text", "json", "sarif")


def _limit_memory(limit: int = MEMORY_LIMIT) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def k8slint(*args, cwd=None, timeout=TIMEOUT, input=None, limit_memory=True, memory=MEMORY_LIMIT, **kwargs):
    """``k8slint ARGS`` as a new process with bounded memory and time (CompletedProcess, text)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("NO_COLOR", None)
    return subprocess.run([sys.executable, "-m", "k8slint", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, timeout=timeout, input=input, text=True,
                          preexec_fn=(lambda: _limit_memory(memory)) if limit_memory else None, **kwargs)


def one_line_error(result, *fragments):
    """Exit 2, no traceback, and the fragments in stderr."""
    assert result.returncode == 2, (result.returncode, result.stdout[-2000:], result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def write_repo(tmp_path, config: str, files: dict | None = None):
    """A repository directory with .k8slint.yaml, a manifest, and the given extra files."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".k8slint.yaml").write_text(config, encoding="utf-8")
    (repo / "deploy.yaml").write_text(NO_PROBE_DEPLOYMENT, encoding="utf-8")
    for name, text in (files or {}).items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return repo


def policy_config(*schemas: dict) -> str:
    """A config whose inline policies (probe, probe-2, ...) have these schemas (JSON is YAML)."""
    policies = [{"id": "probe" if number == 1 else f"probe-{number}", "title": "Probe", "severity": "error",
                 "kinds": ["Deployment"], "message": "{error}", "remediation": "None.", "schema": schema}
                for number, schema in enumerate(schemas, start=1)]
    return "policies:\n" + "".join(f"- {json.dumps(policy)}\n" for policy in policies)


@pytest.fixture
def secret_file(tmp_path):
    """A cloud key outside the repository, where a CI runner keeps its credentials."""
    path = tmp_path / "runner" / "key.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"type": "service_account", "private_key": SECRET}), encoding="utf-8")
    return path


def assert_refused_in_every_format(repo, *fragments):
    """Refused when the config is loaded (in-process: nothing there can hang)."""
    for output_format in FORMATS:
        result = cli("lint", "--config", repo / ".k8slint.yaml", "--format", output_format, repo / "deploy.yaml")
        assert result.exit_code == 2, (result.stdout, result.stderr)
        for fragment in fragments:
            assert fragment in result.stderr, result.stderr
        assert SECRET not in result.stdout + result.stderr


# --- 1. policies cannot read files outside the repository or fetch URLs ---------------------------


def name_under(holder: str, target: str, keyword: str = "$ref") -> dict:
    """A schema whose metadata.name refers to $defs/<holder>, which holds a reference to target."""
    return {"properties": {"metadata": {"properties": {"name": {"$ref": f"#/$defs/{holder}"}}}},
            "$defs": {holder: {keyword: target}}}


@pytest.mark.parametrize("holder", ["default", "enum", "const", "examples", "x"])
def test_file_reference_hidden_under_any_defs_entry_is_a_config_error(tmp_path, secret_file, holder):
    repo = write_repo(tmp_path, policy_config(name_under(holder, secret_file.as_uri())))
    assert_refused_in_every_format(repo, "policy 'probe'", "outside the configuration's directory")


def test_dynamic_ref_to_a_file_is_refused(tmp_path, secret_file):
    schema = {"$dynamicRef": secret_file.as_uri() + "#meta"}
    repo = write_repo(tmp_path, policy_config(schema))
    assert_refused_in_every_format(repo, "$dynamicRef", "outside the configuration's directory")


def test_const_reference_never_puts_the_file_into_a_finding(tmp_path, secret_file):
    schema = {"properties": {"metadata": {"properties": {"name": {"const": {"$ref": "#/$defs/k"}}}}},
              "$defs": {"k": {"$ref": secret_file.as_uri() + "#/private_key"}}}
    repo = write_repo(tmp_path, policy_config(schema))
    assert_refused_in_every_format(repo, "outside the configuration's directory")


def test_an_id_cannot_move_relative_references_outside_the_repository(tmp_path, secret_file):
    schema = {"$id": secret_file.parent.as_uri() + "/", "properties": {"metadata": {"$ref": "key.json"}}}
    repo = write_repo(tmp_path, policy_config(schema))
    assert_refused_in_every_format(repo, "outside the configuration's directory")


def test_symlink_inside_the_repository_to_an_outside_file_is_refused(tmp_path, secret_file):
    repo = write_repo(tmp_path, policy_config({"properties": {"metadata": {"$ref": "schemas/key.json"}}}))
    (repo / "schemas").mkdir()
    (repo / "schemas" / "key.json").symlink_to(secret_file)
    assert_refused_in_every_format(repo, "outside the configuration's directory")


def test_url_reference_is_never_contacted_and_does_not_hang(tmp_path):
    """A server that accepts connections but never answers: fetching would hang the run."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        url = f"http://127.0.0.1:{server.getsockname()[1]}/schema.json"
        repo = write_repo(tmp_path, policy_config(name_under("default", url)))
        one_line_error(k8slint("lint", "deploy.yaml", cwd=repo, timeout=30), "never URLs")
        server.setblocking(False)
        with pytest.raises(BlockingIOError):  # nobody connected
            server.accept()


def test_files_under_the_config_directory_can_be_referenced(tmp_path):
    common = {"$defs": {"labelled": {"required": ["labels"]}}}
    schema = {"properties": {"metadata": {"$ref": "schemas/common.json#/$defs/labelled"}}}
    repo = write_repo(tmp_path, "policies: [policies/p.yaml]\n", {
        "policies/p.yaml": policy_config(schema)[len("policies:\n- "):],
        "policies/schemas/common.json": json.dumps(common)})
    result = k8slint("lint", "--format", "json", "deploy.yaml", cwd=repo)
    assert result.returncode == 1, result.stderr
    findings = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "probe"]
    assert [f["message"] for f in findings] == ["metadata.labels is missing"]


@pytest.mark.parametrize("entry", ["../outside.yaml", "ABSOLUTE", "link.yaml", "linkdir"])
def test_policy_files_must_stay_under_the_config_directory(tmp_path, entry):
    outside = tmp_path / "outside.yaml"
    outside.write_text(policy_config({})[len("policies:\n- "):], encoding="utf-8")
    (tmp_path / "outside-dir").mkdir()
    (tmp_path / "outside-dir" / "p.yaml").write_text(outside.read_text(), encoding="utf-8")
    entry = str(outside) if entry == "ABSOLUTE" else entry
    repo = write_repo(tmp_path, f"policies: [{json.dumps(entry)}]\n")
    (repo / "link.yaml").symlink_to(outside)
    (repo / "linkdir").symlink_to(tmp_path / "outside-dir")
    result = k8slint("lint", "deploy.yaml", cwd=repo)
    one_line_error(result, "outside the configuration's directory")


def test_symlinked_policy_inside_a_policy_directory_is_refused(tmp_path, secret_file):
    repo = write_repo(tmp_path, "policies: [policies]\n", {"policies/ok.yaml": policy_config({})[len("policies:\n- "):]})
    (repo / "policies" / "stolen.json").symlink_to(secret_file)
    result = k8slint("lint", "deploy.yaml", cwd=repo)
    one_line_error(result, "outside the configuration's directory")
    assert SECRET not in result.stderr + result.stdout


@pytest.mark.parametrize("setting", ["/proc", "/dev/zero", "/etc/passwd"])
def test_config_side_paths_outside_the_repository(tmp_path, setting):
    for config in (f"policies: [{setting}]\n", f"cluster: {setting}\n"):
        directory = tmp_path / config.split(":")[0]
        directory.mkdir()
        repo = write_repo(directory, config)
        result = k8slint("lint", "deploy.yaml", cwd=repo)
        one_line_error(result, "outside the configuration's directory")


# --- 9. policies that would hang are stopped and reported ----------------------------------------


def doubling_chain(levels: int) -> dict:
    """Level i is allOf two references to level i+1: 2**levels evaluations if nothing stops it."""
    defs = {f"l{i}": {"allOf": [{"$ref": f"#/$defs/l{i + 1}"}, {"$ref": f"#/$defs/l{i + 1}"}]}
            for i in range(levels)}
    defs[f"l{levels}"] = {"type": "object"}
    return {"$ref": "#/$defs/l0", "$defs": defs}


HOSTILE_NAME = "a" * 40 + "!"  # 41 characters
EXPONENTIAL = "^(a|aa)+$"  # backtracks exponentially in re and in regex on HOSTILE_NAME


def hostile_repo(tmp_path, schemas, copies=1):
    repo = write_repo(tmp_path, policy_config(*schemas))
    hostile = NO_PROBE_DEPLOYMENT.replace("name: web\n", f"name: {HOSTILE_NAME}\n", 1)
    hostile = hostile.replace("metadata:\n", f"metadata:\n  {HOSTILE_NAME}: x\n", 1)
    for number in range(copies):
        (repo / f"hostile-{number}.yaml").write_text(hostile, encoding="utf-8")
    return repo


def test_redos_pattern_of_the_issue_gets_its_finding_at_once(tmp_path):
    repo = hostile_repo(tmp_path, [{"properties": {"metadata": {"properties": {"name": {"pattern": "^(a+)+$"}}}}}])
    result = k8slint("lint", "--format", "json", "hostile-0.yaml", cwd=repo, timeout=30)
    assert result.returncode == 1, result.stderr
    [finding] = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "probe"]
    assert finding["message"] == f'metadata.name is "{HOSTILE_NAME}", which does not match \'^(a+)+$\''


HANGING = [  # (schema, what the error says)
    # a subschema with another $schema must not escape the bounded validator
    ({"properties": {"metadata": {"properties": {"name": {
        "$schema": "http://json-schema.org/draft-07/schema#", "pattern": EXPONENTIAL}}}}},
     "did not finish on a 41-character value"),
    # patterns matched by jsonschema's helpers, not by the pattern keyword
    ({"properties": {"metadata": {"patternProperties": {EXPONENTIAL: {}}, "unevaluatedProperties": False}}},
     "did not finish"),
    ({"$defs": doubling_chain(40)["$defs"],
      "properties": {"metadata": {"unevaluatedProperties": False, "$ref": "#/$defs/l0"}}}, "for one object"),
    (doubling_chain(40), "for one object"),
]


def test_policies_that_would_hang_are_reported_and_the_run_goes_on(tmp_path):
    repo = hostile_repo(tmp_path, [schema for schema, _ in HANGING], copies=3)
    result = k8slint("lint", "--format", "json", "--jobs", "1", ".", cwd=repo, timeout=120)
    assert result.returncode == 2, result.stderr
    report = json.loads(result.stdout)
    for number, (_, message) in enumerate(HANGING, start=1):
        policy = "probe" if number == 1 else f"probe-{number}"
        # one error per policy: after it, the policy is skipped (no 3 x budget)
        [error] = [e for e in report["errors"] if f"policy {policy} failed" in e["message"]]
        assert message in error["message"] and "skipped for the rest of the run" in error["message"], error
    # the built-in rules still ran on every file
    assert len([f for f in report["findings"] if f["rule"] == "missing-readiness-probe"]) == 4


def test_unique_items_over_a_long_array_of_mappings_is_linear(tmp_path):
    schema = {"properties": {"metadata": {"properties": {"annotations": {"uniqueItems": True}}}}}
    items = "".join(f"  - {{k: {i}}}\n" for i in range(60_000)) + "  - {k: 7}\n"
    manifest = NO_PROBE_DEPLOYMENT.replace("metadata:\n", "metadata:\n  annotations:\n" + items, 1)
    repo = write_repo(tmp_path, policy_config(schema), {"long.yaml": manifest})
    result = k8slint("lint", "--format", "json", "long.yaml", cwd=repo)
    findings = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "probe"]
    assert [f["message"] for f in findings] == ["metadata.annotations: has non-unique elements"]


def test_jsonschema_matches_patterns_only_where_the_bound_applies():
    """Every jsonschema module that calls re.search is one whose `re` k8slint bounds."""
    import pathlib

    import jsonschema

    from k8slint.bounded_schema import PATTERN_MODULES

    calling = {f"jsonschema.{path.stem}" for path in pathlib.Path(jsonschema.__file__).parent.glob("*.py")
               if "re.search(" in path.read_text(encoding="utf-8")}
    assert calling <= set(PATTERN_MODULES), calling


# --- 2. standard input is read before workers start ---------------------------------------------


def test_stdin_with_workers_and_other_files_is_linted(tmp_path):
    clean = tmp_path / "clean"
    clean.mkdir()
    for number in range(40):  # > 512 KiB: the run uses worker processes
        data = "".join(f"  k{i}: {'x' * 60}\n" for i in range(240))
        (clean / f"cm-{number}.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{number}}}\ndata:\n{data}", encoding="utf-8")
    result = k8slint("lint", "--format", "json", "--jobs", "2", "-", clean, input=NO_PROBE_DEPLOYMENT)
    report = json.loads(result.stdout)
    assert [(f["file"], f["rule"]) for f in report["findings"]] == [("-", "missing-readiness-probe")]
    assert result.returncode == 1 and report["summary"]["files"] == 41


# --- 6. config-side files: size and type checked before they are read ----------------------------


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "repo-fifo"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("option,value", [("--config", "/dev/zero"), ("--cluster", "/dev/urandom"),
                                          ("--config", "FIFO"), ("--cluster", "FIFO")])
def test_devices_and_fifos_as_config_or_cluster_are_refused(tmp_path, fifo, option, value):
    value = fifo if value == "FIFO" else value
    (tmp_path / "deploy.yaml").write_text(NO_PROBE_DEPLOYMENT, encoding="utf-8")
    result = k8slint("lint", option, value, "deploy.yaml", cwd=tmp_path, timeout=30)
    one_line_error(result, "not a regular file")


@pytest.mark.parametrize("config", ["policies: [fifo.yaml]\n", "cluster: fifo.yaml\n"])
def test_fifo_named_by_the_config_is_refused(tmp_path, config):
    repo = write_repo(tmp_path, config)
    os.mkfifo(repo / "fifo.yaml")
    one_line_error(k8slint("lint", "deploy.yaml", cwd=repo, timeout=30), "not a regular file")


def test_oversized_config_file_is_refused_without_reading_it(tmp_path):
    repo = write_repo(tmp_path, "policies: [big.yaml]\n")
    with open(repo / "big.yaml", "wb") as handle:
        handle.truncate(3 * 1024 * 1024 * 1024)  # sparse: costs no disk
    one_line_error(k8slint("lint", "deploy.yaml", cwd=repo, timeout=30), "larger than the 4 MiB limit")


@pytest.mark.parametrize("levels", [0, 1, 2])
def test_fifo_named_kustomization_above_a_manifest_does_not_block(tmp_path, levels):
    deep = tmp_path.joinpath(*["d"] * levels) if levels else tmp_path
    deep.mkdir(parents=True, exist_ok=True)
    os.mkfifo(tmp_path / "kustomization.yaml")
    (deep / "deploy.yaml").write_text(NO_PROBE_DEPLOYMENT, encoding="utf-8")
    result = k8slint("lint", "--format", "json", deep / "deploy.yaml", timeout=30)
    assert result.returncode == 1, result.stderr
    assert [f["rule"] for f in json.loads(result.stdout)["findings"]] == ["missing-readiness-probe"]


# --- 10. failures of k8slint itself: one line on stderr, exit 2 (130 for Ctrl-C) ------------------


def many_findings(tmp_path, count=400):
    """A file with many findings (a report larger than a pipe's buffer)."""
    path = tmp_path / "many.yaml"
    path.write_text("---\n".join(NO_PROBE_DEPLOYMENT.replace("name: web\n", f"name: web-{i}\n", 1)
                                 for i in range(count)), encoding="utf-8")
    return path


@pytest.mark.parametrize("args,fragment", [
    (["--max-file-size", str(10 ** 12)], "--max-file-size"),
    (["-o", ""], "empty file name"),
    (["-o", "/dev/full"], "cannot write the report to /dev/full: No space left on device"),
])
def test_bad_output_and_sizes_are_one_line_and_exit_2(tmp_path, args, fragment):
    result = k8slint("lint", *args, many_findings(tmp_path), timeout=30)
    one_line_error(result, fragment)


def test_large_max_file_size_reads_stdin_without_reserving_it(tmp_path):
    result = k8slint("lint", "--max-file-size", "4096", "-", input=NO_PROBE_DEPLOYMENT, timeout=30)
    assert result.returncode == 1 and "missing-readiness-probe" in result.stdout, result.stderr


def test_closed_and_full_standard_output(tmp_path):
    path = many_findings(tmp_path, 2)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "k8slint", "lint", str(path)]
    closed = subprocess.run(command, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: (_limit_memory(), os.close(1)), timeout=30)
    one_line_error(closed, "standard output is closed")
    with open("/dev/full", "w") as full:
        result = subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True, env=env,
                                preexec_fn=_limit_memory, timeout=30)
    one_line_error(result, "cannot write the report to standard output: No space left on device")


def test_output_read_by_head_one(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-m", "k8slint", "lint", str(many_findings(tmp_path))],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, preexec_fn=_limit_memory)
    process.stdout.readline()
    process.stdout.close()  # what `| head -1` does after its line
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2 and b"Traceback" not in stderr, stderr
    assert stderr.decode().count("\n") == 1 and "cannot write the report" in stderr.decode()


def test_ctrl_c_is_one_line_and_exit_130(tmp_path):
    import signal
    import time

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-m", "k8slint", "lint", "-"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, preexec_fn=_limit_memory)
    deadline = time.monotonic() + 30
    # wait until it is blocked reading standard input (syscall 0 = read on fd 0; else just wait)
    syscall = f"/proc/{process.pid}/syscall"
    while time.monotonic() < deadline:
        try:
            with open(syscall) as handle:
                if handle.read().startswith("0 0x0 "):
                    break
        except OSError:
            time.sleep(3)
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert stderr.decode() == "k8slint: interrupted\n"


def test_float_node_count_in_config(tmp_path):
    repo = write_repo(tmp_path, "nodes: 2.0\n")
    one_line_error(k8slint("lint", "deploy.yaml", cwd=repo, timeout=30), "nodes")


def test_many_jobs_under_a_low_open_file_limit(tmp_path):
    for number in range(40):
        (tmp_path / f"d{number}.yaml").write_text(NO_PROBE_DEPLOYMENT + "# " + "x" * 20_000 + "\n",
                                                  encoding="utf-8")

    def limits():
        _limit_memory()
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "k8slint", "lint", "--jobs", "1000", str(tmp_path)],
                            capture_output=True, text=True, env=env, preexec_fn=limits, timeout=60)
    assert result.returncode == 1, result.stderr
    assert result.stdout.count("missing-readiness-probe") == 40


def test_worker_count_is_capped_at_the_cores():
    from k8slint.cli import _worker_count

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert 1 <= _worker_count(1000) <= cores
    assert _worker_count(1) == 1


def _killed(args):
    """A worker's batch that ends like an OOM kill."""
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def test_killed_worker_is_one_line_and_exit_2(tmp_path, monkeypatch):
    from k8slint.engine import runner

    for number in range(3):
        (tmp_path / f"d{number}.yaml").write_text(NO_PROBE_DEPLOYMENT + "#" * 300_000 + "\n", encoding="utf-8")
    monkeypatch.setattr(runner, "_lint_batch", _killed)
    monkeypatch.setattr("k8slint.cli._worker_count", lambda jobs: 2)
    result = cli("lint", "--jobs", "2", tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("k8slint: a worker process died") and result.stderr.count("\n") == 1


# --- 11. -o is written whole or not at all, never over an input --------------------------------


def test_output_into_a_missing_directory_is_created(tmp_path):
    deploy = tmp_path / "deploy.yaml"
    deploy.write_text(NO_PROBE_DEPLOYMENT, encoding="utf-8")
    result = cli("lint", "--format", "json", "-o", tmp_path / "new" / "dir" / "report.json", deploy)
    assert result.exit_code == 1
    assert json.loads((tmp_path / "new" / "dir" / "report.json").read_text())["summary"]["files"] == 1
    assert os.listdir(tmp_path / "new" / "dir") == ["report.json"]  # no temporary file left


@pytest.mark.parametrize("target", ["deploy.yaml", "sub/other.yaml"])
def test_output_over_an_input_is_refused(tmp_path, target):
    for name in ("deploy.yaml", "sub/other.yaml"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(NO_PROBE_DEPLOYMENT, encoding="utf-8")
    given = tmp_path / "deploy.yaml" if target == "deploy.yaml" else tmp_path / "sub"
    result = cli("lint", "-o", tmp_path / target, given)
    assert result.exit_code == 2 and "is one of the files being linted" in result.stderr
    assert (tmp_path / target).read_text() == NO_PROBE_DEPLOYMENT


def test_interrupted_report_leaves_the_previous_one(tmp_path):
    from k8slint.cli import _write

    report = tmp_path / "report.json"
    report.write_text('{"previous": true}\n', encoding="utf-8")

    def lines():
        yield '{"findings": ['
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _write(lines(), str(report))
    assert json.loads(report.read_text()) == {"previous": True}
    assert os.listdir(tmp_path) == ["report.json"]


def test_two_runs_on_the_same_output_never_interleave(tmp_path):
    """Each run writes a temporary file and renames it: the report is one run's, whole."""
    first, second = tmp_path / "a", tmp_path / "b"
    for directory, count in ((first, 300), (second, 200)):
        directory.mkdir()
        many_findings(directory, count)
    report = tmp_path / "report.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    processes = [subprocess.Popen([sys.executable, "-m", "k8slint", "lint", "--format", "json", "-o", str(report),
                                   str(directory)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                                  preexec_fn=_limit_memory) for directory in (first, second) * 2]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 1, stderr
    found = json.loads(report.read_text(encoding="utf-8"))
    assert len(found["findings"]) in (300, 200)
    assert sorted(os.listdir(tmp_path)) == ["a", "b", "report.json"]  # no temporary file left


# --- 13. symbolic links out of the linted directory ----------------------------------------------


def test_symlink_out_of_a_linted_directory_is_not_followed_unless_asked(tmp_path, secret_file):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "deploy.yaml").write_text(NO_PROBE_DEPLOYMENT, encoding="utf-8")
    (repo / "inside.yaml").symlink_to(repo / "deploy.yaml")
    (repo / "leak.yaml").symlink_to(secret_file)
    result = k8slint("lint", "--format", "json", repo, timeout=30)
    report = json.loads(result.stdout)
    assert SECRET not in result.stdout + result.stderr
    [error] = report["errors"]
    assert error["file"].endswith("leak.yaml") and "--follow-symlinks" in error["message"]
    assert sorted(f["file"].rsplit("/", 1)[1] for f in report["findings"]) == ["deploy.yaml", "inside.yaml"]
    followed = k8slint("lint", "--format", "json", "--follow-symlinks", repo, timeout=30)
    assert "leak.yaml" in followed.stdout  # read as asked (a JSON object that is not a manifest)


# --- 5. text output stays proportional to the findings, not to line length ----------------------


def test_one_line_json_list_gives_bounded_text_output(tmp_path):
    item = json.dumps({"apiVersion": "apps/v1", "kind": "Deployment",
                       "metadata": {"name": "web", "annotations": {"pad": "x" * 2000}},
                       "spec": {"selector": {"matchLabels": {"app": "web"}},
                                "template": {"metadata": {"labels": {"app": "web"}},
                                             "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}})
    items = [item.replace('"name": "web"', f'"name": "web-{i}"', 1) for i in range(2000)]
    path = tmp_path / "list.json"
    path.write_text('{"apiVersion": "v1", "kind": "List", "items": [' + ", ".join(items) + "]}", encoding="utf-8")
    assert path.stat().st_size > 4_000_000
    result = k8slint("lint", "--no-color", path, timeout=120)
    findings = [line for line in result.stdout.splitlines() if "missing-readiness-probe" in line]
    assert len(findings) == 2000, result.stderr
    assert len(result.stdout) < 2000 * 1500  # each finding's lines are bounded
    lines = result.stdout.splitlines()
    source, caret = lines[1], lines[2]
    assert source.startswith("     1 | ...") and len(source) < 260
    assert source[caret.index("^"):].startswith('"web"') and caret.endswith("^^^^^")  # under the name


def test_caret_stays_aligned_past_line_9999(tmp_path):
    path = tmp_path / "long.yaml"
    path.write_text("#\n" * 12_000 + NO_PROBE_DEPLOYMENT, encoding="utf-8")
    result = k8slint("lint", "--no-color", path, timeout=60)
    lines = result.stdout.splitlines()
    source, caret = lines[1], lines[2]
    assert source.startswith("  12011 | ") and source.index("|") == caret.index("|")
    assert source[caret.index("^"):].startswith("web")


# --- 13. file names with control characters are printed escaped ----------------------------------


def test_control_characters_in_file_names_are_escaped(tmp_path):
    for name in ("clear\x1b[2J.yaml", "new\nline.yaml"):
        (tmp_path / name).write_text(NO_PROBE_DEPLOYMENT, encoding="utf-8")
    (tmp_path / "broken\x07.yaml").write_text("a: [\n", encoding="utf-8")
    result = k8slint("lint", "--no-color", tmp_path, timeout=30)
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "clear\\x1b[2J.yaml:" in result.stdout and "new\\x0aline.yaml:" in result.stdout
    assert "broken\\x07.yaml:" in result.stdout


# --- 7. a bad value costs at most its own object's finding, never a crash -------------------------

HUGE = "9" * 5000


def crash_probes(tmp_path):
    """Files whose values once crashed rules, and a normal file after them."""
    files = {
        "1-replicas.yaml": NO_PROBE_DEPLOYMENT.replace("spec:\n", "spec:\n  replicas: 2147483648\n", 1)
        + "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\n"
          "spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}\n",
        # the float a fuzz run once crashed unsafe-rolling-update with (IntOrPercentError), with an HPA
        # and a PDB that read the same count
        "1b-replicas-float.yaml": NO_PROBE_DEPLOYMENT.replace("spec:\n", "spec:\n  replicas: 2147483648.0\n"
                                                              "  strategy: {rollingUpdate: {maxUnavailable: 100%}}\n", 1)
        + "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n"
          "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n"
          "  minReplicas: 2147483648.0\n  maxReplicas: 2147483648.0\n"
        + "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\n"
          "spec: {maxUnavailable: 2147483648.0, selector: {matchLabels: {app: web}}}\n",
        "2-ports.yaml": NO_PROBE_DEPLOYMENT.replace(
            "image: nginx:1.27\n", "image: nginx:1.27\n        ports: [{name: {}, containerPort: 80}]\n"
                                   "        readinessProbe: {httpGet: {path: /, port: http}}\n"),
        "3-affinity.yaml": f"apiVersion: v1\nkind: Node\nmetadata: {{name: n1, labels: {{size: '{HUGE}'}}}}\n---\n"
        + NO_PROBE_DEPLOYMENT.replace("    spec:\n", "    spec:\n      affinity:\n        nodeAffinity:\n"
                                      "          requiredDuringSchedulingIgnoredDuringExecution:\n"
                                      "            nodeSelectorTerms:\n"
                                      f"            - matchExpressions: [{{key: size, operator: Gt, values: ['{HUGE}']}}]\n"
                                      "        podAntiAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n"
                                      "          - topologyKey: kubernetes.io/hostname\n"
                                      "            labelSelector: {matchExpressions: [{key: [], operator: In, values: [x]}]}\n", 1),
        "4-cron.yaml": f"apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: cj}}\nspec:\n  schedule: '{HUGE} * * * *'\n"
                       "  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n"
                       "          containers: [{name: c, image: 'busybox:1.36'}]\n",
        "5-replicas-negative.yaml": NO_PROBE_DEPLOYMENT.replace("spec:\n", "spec:\n  replicas: -1\n", 1),
        "6-normal.yaml": NO_PROBE_DEPLOYMENT.replace("name: web\n", "name: normal\n", 1),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("cluster", [[], ["--nodes", "3", "--zones", "2"]])
def test_values_that_crashed_rules_get_findings_instead(tmp_path, cluster):
    result = k8slint("lint", "--format", "json", "--jobs", "1", *cluster, crash_probes(tmp_path), timeout=60)
    report = json.loads(result.stdout)
    assert [e for e in report["errors"] if e["rule"] == "internal-error"] == []
    by_file = {}
    for finding in report["findings"]:
        by_file.setdefault(finding["file"].rsplit("/", 1)[1], set()).add(finding["rule"])
        assert len(finding["message"]) <= 1100, finding["message"][:200]  # a 5,000-digit value is cut
    assert "invalid-field-value" in by_file["1-replicas.yaml"]
    assert "invalid-field-value" in by_file["1b-replicas-float.yaml"]
    assert "readiness-probe-invalid" in by_file["2-ports.yaml"]
    # its Node object is the cluster unless --nodes describes one (placeholder labels: not judged)
    assert {"anti-affinity-invalid-term", *([] if cluster else ["no-eligible-nodes"])} <= by_file["3-affinity.yaml"]
    assert "cronjob-spec" in by_file["4-cron.yaml"]
    assert "invalid-field-value" in by_file["5-replicas-negative.yaml"]
    assert "missing-readiness-probe" in by_file["6-normal.yaml"]
    text = k8slint("lint", "--jobs", "1", crash_probes(tmp_path), timeout=60).stdout
    assert max(len(line) for line in text.splitlines()) < 1400


def _rollout_at_int32_max(kind: str) -> str:
    """The largest replica count the API server accepts, with every pod allowed down at once."""
    if kind == "Rollout":
        head, strategy = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\n", "canary: {maxSurge: 0, maxUnavailable: 100%}"
    else:
        head, strategy = "apiVersion: apps/v1\nkind: Deployment\n", "rollingUpdate: {maxSurge: 0, maxUnavailable: 100%}"
    return head + (f"metadata: {{name: big}}\nspec:\n  replicas: 2147483647\n  strategy: {{{strategy}}}\n"
                   "  selector: {matchLabels: {app: big}}\n  template:\n    metadata: {labels: {app: big}}\n"
                   "    spec: {containers: [{name: c, image: 'nginx:1.27'}]}\n")


@pytest.mark.parametrize("kind", ["Deployment", "Rollout"])
def test_replica_counts_up_to_int32_are_not_scanned_one_by_one(tmp_path, kind):
    """unsafe-rolling-update names the replica counts at which a rollout takes every pod down; it
    scanned 1..replicas, two billion fenceposts for replicas: 2147483647 (a hang)."""
    (tmp_path / "big.yaml").write_text(_rollout_at_int32_max(kind), encoding="utf-8")
    result = k8slint("lint", "--format", "json", "--jobs", "1", tmp_path / "big.yaml", timeout=60)
    report = json.loads(result.stdout)
    assert report["errors"] == []
    [outage] = [f["message"] for f in report["findings"] if f["rule"] == "unsafe-rolling-update"
                and "every pod may be down at once" in f["message"]]
    assert "These settings take all pods down at every replica count." in outage, outage


def test_daemonset_on_the_largest_cluster_kubernetes_can_count(tmp_path):
    """A DaemonSet's maxUnavailable resolves against its node count: at 2**31 - 1 nodes (the cap)
    the arithmetic holds, one node more is a usage error."""
    daemonset = ("apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}\nspec:\n"
                 "  updateStrategy: {rollingUpdate: {maxUnavailable: 100%}}\n"
                 "  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agent}}\n"
                 "    spec: {containers: [{name: c, image: 'busybox:1.36'}]}\n")
    (tmp_path / "ds.yaml").write_text(daemonset, encoding="utf-8")
    result = k8slint("lint", "--format", "json", "--nodes", 2**31 - 1, "--zones", 1000, tmp_path / "ds.yaml")
    report = json.loads(result.stdout)
    assert report["errors"] == []
    assert any("on the 2147483647 nodes of --nodes 2147483647 --zones 1000 that run this DaemonSet, every daemon pod "
               "may be down at once" in f["message"] for f in report["findings"]), report["findings"]
    one_line_error(k8slint("lint", "--nodes", 2**31, tmp_path / "ds.yaml"), "at most 2,147,483,647 nodes")


def test_huge_kubernetes_version_is_a_config_error(tmp_path):
    repo = write_repo(tmp_path, f"kubernetes_version: '1.{HUGE}'\n")
    one_line_error(k8slint("lint", "deploy.yaml", cwd=repo, timeout=30), "is not a Kubernetes version")
    result = k8slint("lint", "--kubernetes-version", f"{HUGE}.1", "deploy.yaml", cwd=repo, timeout=30)
    one_line_error(result, "is not a Kubernetes version")
    assert len(result.stderr) < 400


# --- 8. recovery after syntax errors stays linear in time and small in memory ---------------------


@pytest.mark.parametrize("line, count", [("...\n", 8_300_000), ("]\n---\n", 2_000_000)])
def test_millions_of_marker_lines_do_not_cost_the_other_files(tmp_path, line, count):
    """The issue's file: 8.3 M lines of `...` (33 MB, under the 32 MiB default size limit), with
    another file beside it, under a 900 MB memory limit."""
    (tmp_path / "a-markers.yaml").write_text(line * count, encoding="utf-8")
    assert (tmp_path / "a-markers.yaml").stat().st_size < 32 * 1024 * 1024
    (tmp_path / "b-good.yaml").write_text(NO_PROBE_DEPLOYMENT, encoding="utf-8")
    result = k8slint("lint", "--format", "json", "--jobs", "1", tmp_path, timeout=120, memory=900 * 1000 * 1000)
    report = json.loads(result.stdout)
    assert [f["file"].rsplit("/", 1)[1] for f in report["findings"]] == ["b-good.yaml"]
    [error] = report["errors"]
    assert error["file"].endswith("a-markers.yaml") and error["line"] == 1


def test_more_than_a_thousand_broken_documents_stop_the_file_with_an_error(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(NO_PROBE_DEPLOYMENT + "---\n" + "a: [\n---\n" * 1500 + NO_PROBE_DEPLOYMENT, encoding="utf-8")
    report = json.loads(k8slint("lint", "--format", "json", path, timeout=60).stdout)
    assert len(report["errors"]) == 1002  # the first, 1,000 more, and where it stopped
    assert report["errors"][-1]["message"] == ("more than 1000 broken documents in a row: the rest of the file "
                                               "(from line 2019) is not linted")
    assert [f["line"] for f in report["findings"]] == [11]  # the document before them


# --- 12. CRLF and CR-only files -----------------------------------------------------------------


def test_crlf_file_documents_after_a_syntax_error_are_recovered(tmp_path):
    text = "a: [\n---\n" + NO_PROBE_DEPLOYMENT
    path = tmp_path / "crlf.yaml"
    path.write_bytes(text.replace("\n", "\r\n").encode())
    report = json.loads(k8slint("lint", "--format", "json", path, timeout=30).stdout)
    assert [(f["rule"], f["line"]) for f in report["findings"]] == [("missing-readiness-probe", 13)]


def test_cr_only_file_cross_object_findings_point_at_their_field(tmp_path):
    service = "apiVersion: v1\nkind: Service\nmetadata: {name: svc}\nspec:\n  selector: {app: nothing}\n  ports: [{port: 80}]\n"
    text = NO_PROBE_DEPLOYMENT + "---\n" + service
    expected = json.loads(k8slint("lint", "--format", "json", "-", input=text, timeout=30).stdout)["findings"]
    path = tmp_path / "cr.yaml"
    path.write_bytes(text.replace("\n", "\r").encode())
    found = json.loads(k8slint("lint", "--format", "json", path, timeout=30).stdout)["findings"]
    assert [(f["rule"], f["line"], f["column"]) for f in found] == \
        [(f["rule"], f["line"], f["column"]) for f in expected]
    assert any(f["rule"] == "service-no-endpoints" and f["line"] > 14 for f in found), found


# --- 13. YAML corner cases -----------------------------------------------------------------------


def test_disable_file_inside_a_block_scalar_is_data_not_a_suppression(tmp_path):
    script = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: script}\ndata:\n  run.sh: |\n"
              "    # k8slint: disable-file\n    echo hi\n---\n")
    path = tmp_path / "block.yaml"
    path.write_text(script + NO_PROBE_DEPLOYMENT, encoding="utf-8")
    report = json.loads(k8slint("lint", "--format", "json", path, timeout=30).stdout)
    assert [(f["rule"], f["suppressed"]) for f in report["findings"]] == [("missing-readiness-probe", False)]
    path.write_text(script.replace("  run.sh: |\n    # k8slint: disable-file\n", "  run.sh: |\n")
                    + "# k8slint: disable-file\n" + NO_PROBE_DEPLOYMENT, encoding="utf-8")
    report = json.loads(k8slint("lint", "--format", "json", path, timeout=30).stdout)
    assert [(f["rule"], f["suppressed"]) for f in report["findings"]] == [("missing-readiness-probe", True)]


def test_anchor_on_a_key_and_quoted_merge_key_read_as_go_yaml_does():
    from k8slint.loader import Document, compose

    text = "data:\n  &k app: x\n  other: *k\n  \"<<\": {a: b}\n  c: d\n"
    [document] = [item for item in compose(text)]
    assert isinstance(document, Document)
    assert document.root == {"data": {"app": "x", "other": "app", "<<": {"a": "b"}, "c": "d"}}
    [merged] = list(compose("base: &b {a: 1}\nm:\n  <<: *b\n  c: 2\n"))
    assert merged.root["m"] == {"a": 1, "c": 2}  # a plain << still merges


def test_anchor_on_a_key_and_quoted_merge_key_lint_without_errors(tmp_path):
    """The same corner cases through the whole run, bounded: no syntax error, the document linted."""
    path = tmp_path / "corner.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  &k app: x\n  other: *k\n"
                    "  \"<<\": z\n---\n" + NO_PROBE_DEPLOYMENT, encoding="utf-8")
    report = json.loads(k8slint("lint", "--format", "json", path, timeout=30).stdout)
    assert report["errors"] == []
    assert [f["rule"] for f in report["findings"]] == ["missing-readiness-probe"]
