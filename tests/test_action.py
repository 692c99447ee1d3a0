"""The GitHub Action (action.yml) and the example workflow: they parse, use only real options of
``k8slint lint``, wire inputs and step outputs consistently, and their scripts work when run the
way the runner runs them (inputs through ``env:``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, cli

ACTION = ROOT / "action.yml"
WORKFLOW = ROOT / "docs" / "github-workflow-example.yml"
UPLOAD_SARIF = re.compile(r"^github/codeql-action/upload-sarif@v[34]$")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")

BAD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web  # k8slint: disable=missing-readiness-probe
        image: nginx:1.27
      - name: side
        image: nginx:1.27
        readinessProbe: {httpGet: {path: /, port: 80}}
        livenessProbe: {httpGet: {path: /, port: 80}}
"""


def load_yaml(path: Path):
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def action() -> dict:
    return load_yaml(ACTION)


def steps(action: dict) -> list[dict]:
    return action["runs"]["steps"]


def step(action: dict, step_id: str) -> dict:
    [found] = [s for s in steps(action) if s.get("id") == step_id]
    return found


def lint_options() -> dict[str, object]:
    """Option name -> click parameter, from the real ``k8slint lint`` command."""
    from k8slint.cli import lint

    return {opt: param for param in lint.params for opt in getattr(param, "opts", []) if opt.startswith("--")}


def test_action_is_a_composite_action_with_the_documented_inputs(action):
    assert action["name"] == "k8slint" and action["description"]
    assert action["runs"]["using"] == "composite"
    assert {"paths", "config", "cluster", "fail-on", "category"} <= set(action["inputs"])
    for name, spec in action["inputs"].items():
        assert spec["description"], name
        assert spec.get("required") in (False, None) and "default" in spec, name
    for item in steps(action):
        assert item.get("name")
        if "run" in item:
            assert item["shell"] == "bash", item["name"]
            assert "${{" not in item["run"], f"{item['name']}: pass inputs through env:, not into the script"
        else:
            assert "uses" in item
    [upload] = [s for s in steps(action) if UPLOAD_SARIF.match(s.get("uses", ""))]
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"
    assert "steps.lint.outputs.sarif-written == 'true'" in upload["if"]
    assert "inputs.upload == 'true'" in upload["if"]


def test_expressions_name_declared_inputs_and_step_outputs(action):
    text = ACTION.read_text(encoding="utf-8")
    inputs = set(action["inputs"])
    used_inputs = set(re.findall(r"\binputs\.([A-Za-z0-9_-]+)", text))
    assert used_inputs <= inputs, used_inputs - inputs
    assert inputs <= used_inputs, f"declared but unused: {inputs - used_inputs}"
    ids = {s["id"]: s for s in steps(action) if "id" in s}
    for step_id, output in re.findall(r"\bsteps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)", text):
        assert step_id in ids, step_id
        if "uses" in ids[step_id]:  # actions/setup-python's documented output
            assert ids[step_id]["uses"].startswith("actions/setup-python@") and output == "python-path"
            continue
        assert f'echo "{output}=' in ids[step_id]["run"], f"step {step_id} never sets {output}"
    for name, spec in action["outputs"].items():
        assert EXPRESSION.fullmatch(spec["value"]), name


def test_action_uses_only_real_k8slint_lint_options(action):
    options = lint_options()
    help_text = cli("lint", "--help").stdout
    script = step(action, "lint")["run"]
    used = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", script))
    assert {"--format", "--output", "--config", "--cluster", "--fail-on", "--sarif-category"} <= used
    for option in used:
        assert option in options and option in help_text, option
    assert "sarif" in options["--format"].type.choices
    # the fail-on input documents exactly the CLI's choices
    choices = options["--fail-on"].type.choices
    description = action["inputs"]["fail-on"]["description"]
    assert all(choice in description for choice in choices)


def test_example_workflow_uses_the_action_correctly(action):
    workflow = load_yaml(WORKFLOW)
    assert workflow["name"] and "on" in workflow
    [job] = workflow["jobs"].values()
    assert job["permissions"]["security-events"] == "write"
    uses = [s.get("uses", "") for s in job["steps"]]
    assert uses[0].startswith("actions/checkout@")
    [ours] = [s for s in job["steps"] if s.get("uses", "").startswith("k8slint/k8slint@")]
    assert set(ours["with"]) <= set(action["inputs"]), set(ours["with"]) - set(action["inputs"])
    assert ours["with"]["fail-on"] in lint_options()["--fail-on"].type.choices


def test_readme_snippets_match_the_action_and_the_cli(action):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Using k8slint: locally, in pre-commit, in GitHub code scanning", 1)[1]
    section = section.split("\n## ", 1)[0]
    from ruamel.yaml import YAML

    blocks = re.findall(r"```(\w+)\n(.*?)```", section, re.S)
    workflows = [YAML(typ="safe", pure=True).load(text) for kind, text in blocks
                 if kind == "yaml" and "jobs:" in text]
    assert workflows, "README shows a workflow"
    for workflow in workflows:
        for job in workflow["jobs"].values():
            assert job["permissions"]["security-events"] == "write"
            for item in job["steps"]:
                if item.get("uses", "").startswith("k8slint/k8slint@"):
                    assert set(item.get("with", {})) <= set(action["inputs"])
    steps_only = [YAML(typ="safe", pure=True).load(text) for kind, text in blocks
                  if kind == "yaml" and text.lstrip().startswith("steps:")]
    assert any(UPLOAD_SARIF.match(item.get("uses", "")) for block in steps_only for item in block["steps"])
    # every `k8slint lint` command shown uses real options (and real --format values)
    options = lint_options()
    commands = [line for _, text in blocks for line in text.splitlines() if "k8slint lint" in line]
    assert len(commands) >= 5
    for line in commands:
        for option in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", line.split("#")[0]):
            assert option in options, (option, line)
        for value in re.findall(r"--format (\w+)", line):
            assert value in options["--format"].type.choices
    # every input the prose names exists
    named = set(re.findall(r"`([a-z][a-z-]+)`", section.split("Inputs (all optional):", 1)[1].split("Outputs:")[0]))
    assert set(action["inputs"]) <= named, set(action["inputs"]) - named


# --------------------------------------------------------------------------- running the scripts


def _evaluate(value, inputs: dict, outputs: dict) -> str:
    """The few expressions the action's env: blocks use: inputs.X, steps.Y.outputs.Z."""

    def one(match):
        expression = match.group(1)
        if expression.startswith("inputs."):
            return inputs[expression[len("inputs."):]]
        step_output = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression)
        assert step_output, f"unexpected expression {expression}"
        return outputs.get(step_output.groups(), "")

    return EXPRESSION.sub(one, str(value))


def run_step(item: dict, inputs: dict, outputs: dict, cwd: Path, tmp: Path):
    """Run a `run:` step like the runner: bash -e, env from the step, GITHUB_OUTPUT file."""
    output_file = tmp / f"output-{item.get('id', 'step')}"
    output_file.write_text("")
    env = dict(os.environ, GITHUB_OUTPUT=str(output_file), PYTHONPATH=str(ROOT))
    env.update({key: _evaluate(value, inputs, outputs) for key, value in (item.get("env") or {}).items()})
    completed = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", item["run"]],
                               cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    for line in output_file.read_text().splitlines():
        key, _, value = line.partition("=")
        outputs[(item.get("id"), key)] = value
    return completed


@pytest.fixture
def runner(tmp_path):
    """A checkout with manifests, and the outputs the install step would give: a k8slint
    command and its Python (this source tree)."""
    if shutil.which("bash") is None:
        pytest.skip("bash is not available")
    work = tmp_path / "checkout"
    (work / "deploy").mkdir(parents=True)
    (work / "deploy" / "web.yaml").write_text(BAD, encoding="utf-8")
    (work / "deploy" / "*.yaml").write_text(BAD.replace("name: web\n", "name: star\n", 1), encoding="utf-8")
    wrapper = tmp_path / "bin" / "k8slint"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m k8slint "$@"\n')
    wrapper.chmod(0o755)
    outputs = {("install", "k8slint"): str(wrapper), ("install", "python"): sys.executable}
    return work, outputs


def inputs_with(action: dict, **given) -> dict:
    values = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    values.update({name.replace("_", "-"): value for name, value in given.items()})
    return values


def test_lint_step_writes_sarif_and_reports_the_exit_code(action, runner, tmp_path):
    work, outputs = runner
    inputs = inputs_with(action, paths="deploy/web.yaml\n  deploy/*.yaml", fail_on="warning",
                         category="k8slint", args="--disable invalid-field-type")
    completed = run_step(step(action, "lint"), inputs, outputs, work, tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert outputs[("lint", "exit-code")] == "1"
    assert outputs[("lint", "sarif-written")] == "true"
    # the job log shows the findings as text; the glob character stayed a file name
    assert "readiness-equals-liveness" in completed.stdout
    assert "deploy/*.yaml" in completed.stdout
    log = json.loads((work / "k8slint.sarif").read_text(encoding="utf-8"))
    run = log["runs"][0]
    assert run["automationDetails"] == {"id": "k8slint/"}
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]} == \
        {"deploy/web.yaml", "deploy/%2A.yaml"}
    assert any(r["suppressions"] for r in run["results"])

    drop = next(s for s in steps(action) if "drop_suppressed_in_file" in s.get("run", ""))
    assert "inputs.upload-suppressed != 'true'" in drop["if"]
    completed = run_step(drop, inputs, outputs, work, tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "2 suppressed finding(s) left out" in completed.stdout
    results = json.loads((work / "k8slint.sarif").read_text(encoding="utf-8"))["runs"][0]["results"]
    assert results and not any("suppressions" in r for r in results)

    fail = steps(action)[-1]
    assert "steps.lint.outputs.exit-code != '0'" in fail["if"]
    completed = run_step(fail, inputs, outputs, work, tmp_path)
    assert completed.returncode == 1
    assert "::error::" in completed.stdout


def test_lint_step_with_fail_on_error_and_a_config_error(action, runner, tmp_path):
    work, outputs = runner
    inputs = inputs_with(action, paths="deploy/web.yaml", fail_on="error", category="")
    completed = run_step(step(action, "lint"), inputs, outputs, work, tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert outputs[("lint", "exit-code")] == "0"  # only warnings
    assert "automationDetails" not in json.loads((work / "k8slint.sarif").read_text())["runs"][0]

    outputs = {k: v for k, v in outputs.items() if k[0] == "install"}
    inputs = inputs_with(action, paths="deploy", config="missing.yaml")
    completed = run_step(step(action, "lint"), inputs, outputs, work, tmp_path)
    assert completed.returncode == 0
    assert outputs[("lint", "exit-code")] == "2"
    assert ("lint", "sarif-written") not in outputs  # nothing to upload
    assert not (work / "k8slint.sarif").exists()
    assert "::error::k8slint wrote no SARIF log" in completed.stdout


def test_lint_step_with_a_cluster_profile(action, runner, tmp_path):
    work, outputs = runner
    profiles = sorted((ROOT / "fixtures" / "clusters").glob("*.yaml"))
    if not profiles:
        pytest.skip("no cluster profile fixture")
    inputs = inputs_with(action, paths="deploy/web.yaml", cluster=str(profiles[0]))
    completed = run_step(step(action, "lint"), inputs, outputs, work, tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert outputs[("lint", "exit-code")] in ("0", "1"), completed.stdout + completed.stderr
    assert outputs[("lint", "sarif-written")] == "true"


def test_missing_paths_are_skipped_with_a_notice(action, runner, tmp_path):
    # the README's `paths: deploy/ k8s/` in a repository that has only deploy/
    work, outputs = runner
    inputs = inputs_with(action, paths="deploy/web.yaml k8s/")
    completed = run_step(step(action, "lint"), inputs, outputs, work, tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "::notice::k8slint: 'k8s/' (from the paths input) does not exist here; skipped" in completed.stdout
    assert outputs[("lint", "exit-code")] == "1" and outputs[("lint", "sarif-written")] == "true"

    outputs = {k: v for k, v in outputs.items() if k[0] == "install"}
    inputs = inputs_with(action, paths="k8s/ manifests/")
    completed = run_step(step(action, "lint"), inputs, outputs, work, tmp_path)
    assert completed.returncode == 0
    assert "::warning::k8slint: none of the paths exist (k8s/ manifests/); nothing was linted" in completed.stdout
    assert outputs[("lint", "exit-code")] == "0" and ("lint", "sarif-written") not in outputs


def test_lints_once_and_writes_sarif_under_a_new_directory(action, runner, tmp_path):
    work, outputs = runner
    calls = tmp_path / "calls"
    wrapper = Path(outputs[("install", "k8slint")])
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> "{calls}"\nexec "{sys.executable}" -m k8slint "$@"\n')
    inputs = inputs_with(action, paths="deploy/web.yaml", sarif_file="reports/scans/k8slint.sarif")
    completed = run_step(step(action, "lint"), inputs, outputs, work, tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert outputs[("lint", "sarif-written")] == "true"
    assert json.loads((work / "reports" / "scans" / "k8slint.sarif").read_text())["runs"][0]["results"]
    assert len(calls.read_text().splitlines()) == 1  # one k8slint run
    # the job log still lists the findings, read back from the SARIF log
    assert re.search(r"^deploy/web\.yaml:\d+:\d+: warning readiness-equals-liveness: ", completed.stdout, re.M)
    assert "finding(s) in reports/scans/k8slint.sarif" in completed.stdout


def test_the_callers_python_is_left_alone(action):
    # actions/setup-python would otherwise put its python first on PATH for every later step
    [setup] = [s for s in steps(action) if s.get("uses", "").startswith("actions/setup-python@")]
    assert setup["with"]["update-environment"] is False
    install = step(action, "install")
    assert install["env"]["SETUP_PYTHON"] == "${{ steps.python.outputs.python-path }}"
    assert '"${SETUP_PYTHON:-python3}" -m venv' in install["run"]
