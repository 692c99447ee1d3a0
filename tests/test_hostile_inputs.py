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


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def k8slint(*args, cwd=None, timeout=TIMEOUT, input=None, limit_memory=True, **kwargs):
    """``k8slint ARGS`` as a new process with bounded memory and time (CompletedProcess, text)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("NO_COLOR", None)
    return subprocess.run([sys.executable, "-m", "k8slint", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, timeout=timeout, input=input, text=True,
                          preexec_fn=_limit_memory if limit_memory else None, **kwargs)


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
