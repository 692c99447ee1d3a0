"""The rule API: one registry table, one way to report, a crash costs one object's findings, and a
disabled id costs no work."""

from __future__ import annotations

import pytest

from conftest import FIXTURES, all_rule_ids, engine_run
from k8slint import rules
from k8slint.engine import INTERNAL_ERROR

TWO_DEPLOYMENTS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: good}
spec:
  selector: {matchLabels: {app: good}}
  template:
    metadata: {labels: {app: good}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: bad}
spec:
  selector: {matchLabels: {app: bad}}
  template:
    metadata: {labels: {app: bad}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: after}
spec:
  selector: {matchLabels: {app: after}}
  template:
    metadata: {labels: {app: after}}
    spec: {containers: [{name: c, image: nginx}]}
"""


def test_registry_table_equals_what_discovery_finds():
    found = rules.discovered_modules()
    stale = sorted(set(found) ^ set(rules.RULE_MODULES) | {m for m in found if rules.RULE_MODULES.get(m) != found[m]})
    assert not stale, f"RULE_MODULES is stale for {', '.join(stale)}: run python scripts/gen_rule_docs.py"
    assert rules.RULE_MODULES == found


def test_a_check_that_yields_findings_is_refused():
    with pytest.raises(TypeError, match="ctx.report"):
        @rules.rule("test-yielding-check")
        def check(obj, ctx):
            yield ctx.report(obj, (), "never seen: nothing iterates a check")
    assert "test-yielding-check" not in rules.all_rules()


@pytest.fixture
def temporary_rule():
    """Register a rule for one test only (the catalogue tests must not see it)."""
    added = []

    def register(rule_id, check, **kwargs):
        rules.all_rules()
        rules.rule(rule_id, **kwargs)(check)
        added.append(rule_id)

    yield register
    for rule_id in added:
        rules._REGISTRY.pop(rule_id)


def test_a_cross_object_rule_that_fails_on_one_object_loses_only_that_objects_findings(write, temporary_rule):
    def check(inventory, ctx):
        for obj in inventory.workloads:
            with ctx.guard(obj):
                ctx.report(obj, ("metadata", "name"), f"seen {obj.name}")
                if obj.name == "bad":
                    raise ValueError("boom")

    temporary_rule("test-guarded-set-rule", check, scope=rules.SET)
    path = write("apps.yaml", TWO_DEPLOYMENTS)
    result = engine_run([path], enabled={"test-guarded-set-rule"})
    assert [(f.message, f.line) for f in result.findings] == [("seen good", 3), ("seen after", 21)]
    [error] = result.errors
    assert (error.rule, error.file, error.line) == (INTERNAL_ERROR, str(path), 10)  # the failing object's first line
    assert error.message == "rule test-guarded-set-rule failed on Deployment bad: ValueError: boom"


def test_a_per_object_rule_that_fails_loses_only_that_objects_findings(write, temporary_rule):
    def check(obj, ctx):
        ctx.report(obj, ("metadata", "name"), f"seen {obj.name}")
        if obj.name == "bad":
            raise KeyError("spec")

    temporary_rule("test-failing-object-rule", check, kinds=["Deployment"])
    path = write("apps.yaml", TWO_DEPLOYMENTS)
    result = engine_run([path], enabled={"test-failing-object-rule"})
    assert [f.message for f in result.findings] == ["seen good", "seen after"]
    assert [(e.rule, e.line, e.message) for e in result.errors] == [
        (INTERNAL_ERROR, 10, "rule test-failing-object-rule failed on Deployment bad: KeyError: 'spec'")]


def test_the_engine_stamps_id_severity_and_position(write, temporary_rule):
    def check(obj, ctx):
        ctx.report(obj, ("spec", "template", "spec", "containers", 0, "image"), "first")
        ctx.report(obj, ("spec", "replicas"), "second", rule="test-stamped-other", severity="info")

    temporary_rule("test-stamped", check, kinds=["Deployment"], also_reports=["test-stamped-other"])
    path = write("one.yaml", TWO_DEPLOYMENTS.split("---")[0])
    found = engine_run([path], enabled={"test-stamped", "test-stamped-other"}).findings
    assert [(f.rule, f.severity, f.line, f.column, f.path) for f in found] == [
        ("test-stamped-other", "info", 4, 1, "spec.replicas"),  # absent: located at its nearest parent
        ("test-stamped", "warning", 8, 42, "spec.template.spec.containers[0].image")]
    # a disabled id reports nothing, even when the check reports it
    only_first = engine_run([path], enabled={"test-stamped"}).findings
    assert [f.rule for f in only_first] == ["test-stamped"]


def _fail(*args, **kwargs):
    raise AssertionError("ran although its rule id is disabled")


@pytest.mark.parametrize("functions, disabled, kept", [
    (("_report_needs", "_check_cluster", "_daemonset_surge", "_affinity_contradictions", "_cross_workload"),
     "anti-affinity-infeasible", {"anti-affinity-no-effect", "anti-affinity-invalid-term"}),
    (("_validate",), "anti-affinity-invalid-term", {"anti-affinity-infeasible", "anti-affinity-no-effect"}),
    (("_no_effect",), "anti-affinity-no-effect", {"anti-affinity-infeasible", "anti-affinity-invalid-term"}),
])
def test_a_disabled_id_skips_its_work_while_its_siblings_run(monkeypatch, functions, disabled, kept):
    from k8slint.rules import anti_affinity

    files = sorted((FIXTURES / "rules" / "anti-affinity-no-cluster" / "fire").glob("*.yaml"))
    for name in functions:
        monkeypatch.setattr(anti_affinity, name, _fail)
    result = engine_run(files, enabled=all_rule_ids() - {disabled})
    assert result.errors == []
    assert kept <= {f.rule for f in result.findings}
    assert disabled not in {f.rule for f in result.findings}
    # the same functions do run (and fail, as internal errors) when the id is enabled
    enabled = engine_run(files, enabled=all_rule_ids())
    assert enabled.errors and {e.rule for e in enabled.errors} == {INTERNAL_ERROR}


def _imports(path) -> set[str]:
    """Every module a file imports, at any depth (function-level imports included)."""
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            # `from k8slint import loader` imports k8slint.loader
            found.update(f"{node.module}.{alias.name}" for alias in node.names if node.module == "k8slint")
    return found


RULE_FILES = sorted(p for p in (FIXTURES.parent / "k8slint" / "rules").glob("*.py") if p.name != "__init__.py")


@pytest.mark.parametrize("path", RULE_FILES, ids=[p.stem for p in RULE_FILES])
def test_rules_import_only_the_model_and_the_registry(path):
    """Rules never import the engine, the loader, the source layer or other rules: what they share
    lives in k8slint/model/."""
    ours = {m for m in _imports(path) if m == "k8slint" or m.startswith("k8slint.")}
    allowed = {m for m in ours if m == "k8slint.rules" or m == "k8slint.model" or m.startswith("k8slint.model.")}
    assert ours - allowed == set()


def test_the_model_imports_no_rule_and_no_engine():
    model = sorted((FIXTURES.parent / "k8slint" / "model").glob("*.py"))
    for path in model:
        ours = {m for m in _imports(path) if m.startswith("k8slint.")}
        assert not {m for m in ours if m.startswith(("k8slint.rules", "k8slint.engine", "k8slint.source",
                                                     "k8slint.loader"))}, path.name


def test_the_loader_and_the_event_composer_import_in_one_direction():
    root = FIXTURES.parent / "k8slint"
    assert "k8slint._event_composer" in _imports(root / "loader.py")
    assert not {m for m in _imports(root / "_event_composer.py") if m.startswith("k8slint.loader")}
    assert not {m for m in _imports(root / "yaml_values.py") if m.startswith("k8slint.")}


def test_only_cross_object_rules_see_the_cluster(write, temporary_rule):
    """The cluster may come from Node objects anywhere in the run, known only once every file is
    read: a per-object rule asking for it is a bug (reported), so no two rules see different ones."""
    seen = []

    def per_object(obj, ctx):
        seen.append(ctx.cluster)

    def cross_object(inventory, ctx):
        seen.append(ctx.cluster)

    temporary_rule("test-object-cluster", per_object, kinds=["Deployment"])
    temporary_rule("test-set-cluster", cross_object, scope=rules.SET)
    node = "apiVersion: v1\nkind: Node\nmetadata: {name: n1, labels: {kubernetes.io/hostname: n1}}\n"
    path = write("all.yaml", TWO_DEPLOYMENTS.split("---")[0] + "---\n" + node)
    result = engine_run([path], enabled={"test-object-cluster", "test-set-cluster"})
    [cluster] = seen
    assert [n.name for n in cluster.nodes] == ["n1"]
    assert [(e.rule, "ctx.cluster is for cross-object rules" in e.message) for e in result.errors] == [
        (INTERNAL_ERROR, True)]


def test_a_cross_object_rule_declares_the_pruned_fields_it_reads(write, temporary_rule):
    """The inventory leaves out fields no cross-object rule needs (env, volumes...); a rule that
    needs one says so on the rule, and the engine keeps it, for that run."""
    seen = {}

    def reader(inventory, ctx):
        for obj in inventory.workloads:
            container = obj.pod_template.spec["containers"][0]
            seen[ctx.rule_id] = ("env" in container, "volumes" in obj.pod_template.spec)

    temporary_rule("test-reads-env", reader, scope=rules.SET, reads=["container.env"])
    temporary_rule("test-reads-nothing", reader, scope=rules.SET)
    deployment = TWO_DEPLOYMENTS.split("---")[0].replace(
        "spec: {containers: [{name: c, image: nginx}]}",
        "spec: {volumes: [{name: v, emptyDir: {}}], containers: [{name: c, image: nginx, env: [{name: A, value: b}]}]}")
    path = write("one.yaml", deployment)
    engine_run([path], enabled={"test-reads-nothing"})
    assert seen == {"test-reads-nothing": (False, False)}
    engine_run([path], enabled={"test-reads-env", "test-reads-nothing"})
    assert seen == {"test-reads-env": (True, False), "test-reads-nothing": (True, False)}


def test_every_field_a_rule_reads_is_one_the_inventory_may_drop():
    from k8slint.engine.inventory import DROPPABLE

    for item in rules.all_rules().values():
        assert set(item.reads) <= DROPPABLE, item.id
        assert not item.reads or item.scope == rules.SET, item.id


# --- rule metadata: one renderer, parameters typed and validated when the config loads -----------


def test_explain_docs_and_sarif_render_the_same_metadata(write):
    import json

    from conftest import cli
    from k8slint.catalog import help_uri, load_catalog, render_markdown

    sarif = json.loads(cli("lint", "--format", "sarif", write("m.yaml", TWO_DEPLOYMENTS)).stdout)
    helps = {r["id"]: r["help"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    docs = (FIXTURES.parent / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule_id, meta in load_catalog().items():
        explained = cli("explain", rule_id).stdout
        assert helps[rule_id]["text"] == explained, rule_id
        assert helps[rule_id]["markdown"] == render_markdown(rule_id, meta, help_uri(rule_id)), rule_id
        assert render_markdown(rule_id, meta).rstrip() in docs, rule_id


def test_every_parameter_default_satisfies_its_schema():
    from k8slint.catalog import load_catalog
    from k8slint.config import strict_validator

    declared = [(rule_id, p) for rule_id, meta in load_catalog().items() for p in meta.get("parameters") or []]
    assert declared
    for rule_id, parameter in declared:
        assert not list(strict_validator(parameter["schema"]).iter_errors(parameter["default"])), (rule_id, parameter)


@pytest.mark.parametrize("config, expected", [
    ("rules:\n  unsafe-rolling-update:\n    params: {slow_rollout_replica: 5}\n",
     "at rules.unsafe-rolling-update.params.slow_rollout_replica: unknown parameter "
     "(parameters of unsafe-rolling-update: slow_rollout_replicas)"),
    ("rules:\n  unsafe-rolling-update:\n    params: {slow_rollout_replicas: \"5\"}\n",
     "at rules.unsafe-rolling-update.params.slow_rollout_replicas: '5' is not of type 'integer'"),
    ("rules:\n  unsafe-rolling-update:\n    params: {slow_rollout_replicas: 0}\n",
     "at rules.unsafe-rolling-update.params.slow_rollout_replicas: 0 is less than the minimum of 1"),
    ("rules:\n  missing-readiness-probe:\n    params: {threshold: 1}\n",
     "at rules.missing-readiness-probe.params.threshold: unknown parameter (parameters of "
     "missing-readiness-probe: none)"),
    ("rules:\n  missing-readiness-probe: warn\n",
     "at rules.missing-readiness-probe: 'warn' is not a rule setting: use on, off, true, false, a severity "
     "(error, warning, info), or a mapping of enabled, severity and params"),
])
def test_a_config_with_a_wrong_rule_setting_is_a_usage_error_naming_its_path(write, config, expected):
    from conftest import cli

    path = write(".k8slint.yaml", config)
    result = cli("lint", "--config", path, write("m.yaml", TWO_DEPLOYMENTS))
    assert result.exit_code == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_a_valid_parameter_reaches_the_rule(write):
    import json

    from conftest import cli

    deployment = TWO_DEPLOYMENTS.split("---")[0].replace(
        "spec:\n  selector", "spec:\n  replicas: 8\n  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}\n  selector", 1)
    path = write("one.yaml", deployment)

    def slow_rollouts(*args):
        report = json.loads(cli("lint", "--format", "json", *args, path).stdout)
        return [(f["line"], f["severity"]) for f in report["findings"]
                if f["rule"] == "unsafe-rolling-update" and "one pod at a time" in f["message"]]

    assert slow_rollouts() == []  # 8 replicas: below the default of 20
    config = write(".k8slint.yaml", "rules:\n  unsafe-rolling-update:\n    params: {slow_rollout_replicas: 8}\n")
    assert slow_rollouts("--config", config) == [(6, "info")]
