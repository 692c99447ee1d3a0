"""Rule-level tests of pdb-invalid, pdb-blocks-eviction and pdb-no-match (k8slint/rules/pdb.py).

The disruption arithmetic (pdb_disruptions_allowed) is table-tested in tests/test_rollout.py; here it
goes through the rule with workloads, HPAs and files around the budget.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import engine_run
from k8slint.model.rollout import PDB_BOTH_SET, pdb_disruptions_allowed, validate_pdb_spec
from k8slint.rules.pdb import BLOCKS, INVALID, NO_MATCH

RULES = {BLOCKS, NO_MATCH, INVALID}


def pdb(min_available=None, max_unavailable=None, selector="app: web", name="web", namespace=None,
        api_version="policy/v1") -> str:
    lines = [f"apiVersion: {api_version}", "kind: PodDisruptionBudget", "metadata:", f"  name: {name}"]
    if namespace:
        lines.append(f"  namespace: {namespace}")
    lines.append("spec:")
    if min_available is not None:
        lines.append(f"  minAvailable: {json.dumps(min_available)}")
    if max_unavailable is not None:
        lines.append(f"  maxUnavailable: {json.dumps(max_unavailable)}")
    if selector is not None:
        lines.append(f"  selector: {{matchLabels: {{{selector}}}}}" if selector else "  selector: {}")
    return "\n".join(lines) + "\n"


def workload(kind="Deployment", name="web", replicas=None, labels="app: web", namespace=None) -> str:
    lines = ["apiVersion: apps/v1", f"kind: {kind}", "metadata:", f"  name: {name}"]
    if namespace:
        lines.append(f"  namespace: {namespace}")
    lines.append("spec:")
    if replicas is not None:
        lines.append(f"  replicas: {replicas}")
    if kind == "StatefulSet":
        lines.append(f"  serviceName: {name}")
    lines += [f"  selector: {{matchLabels: {{{labels}}}}}", "  template:", f"    metadata: {{labels: {{{labels}}}}}",
              "    spec: {containers: [{name: app, image: app, readinessProbe: {exec: {command: [ok]}}}]}"]
    return "\n".join(lines) + "\n"


def hpa(target="web", min_replicas=1, max_replicas=10, kind="Deployment") -> str:
    return (f"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: {target}}}\nspec:\n"
            f"  scaleTargetRef: {{apiVersion: apps/v1, kind: {kind}, name: {target}}}\n"
            f"  minReplicas: {min_replicas}\n  maxReplicas: {max_replicas}\n")


def lint(write, *docs, name="m.yaml", **options):
    path = write(name, "---\n".join(docs))
    result = engine_run([path], **options)
    assert not result.errors, result.errors
    return [f for f in result.findings if f.rule in RULES]


def only(findings, rule):
    found = [f for f in findings if f.rule == rule]
    assert len(found) == 1 and len(findings) == 1, [(f.rule, f.message) for f in findings]
    return found[0]


# ---- pdb-invalid (ValidatePodDisruptionBudgetSpec) ---------------------------------------------------

@pytest.mark.parametrize("min_available, max_unavailable, field, words", [
    (1, 1, "maxUnavailable", "are both set"),
    ("50%", 0, "maxUnavailable", "are both set"),
    (-1, None, "minAvailable", "is negative"),
    (None, -3, "maxUnavailable", "is negative"),
    ("50", None, "minAvailable", "not a valid int-or-percent"),
    (None, "50.5%", "maxUnavailable", "not a valid int-or-percent"),
    ("101%", None, "minAvailable", "over 100%"),
    (None, "150%", "maxUnavailable", "over 100%"),
])
def test_pdb_invalid(write, min_available, max_unavailable, field, words):
    finding = only(lint(write, pdb(min_available, max_unavailable)), INVALID)
    assert finding.severity == "error" and finding.path == f"spec.{field}" and words in finding.message


@pytest.mark.parametrize("min_available, max_unavailable, expected", [
    (None, None, []), (1, None, []), (None, "100%", []), ("0%", None, []),
    (1, 1, [("maxUnavailable", PDB_BOTH_SET)]),
    ("101%", None, [("minAvailable", "must not be greater than 100%")]),
    (None, -1, [("maxUnavailable", "must be greater than or equal to 0")]),
    (True, None, [("minAvailable", "must be an integer or percent string, got boolean")]),
])
def test_validate_pdb_spec(min_available, max_unavailable, expected):
    """K pkg/apis/policy/validation ValidatePodDisruptionBudgetSpec (selector aside)."""
    assert [(p.field, p.message) for p in validate_pdb_spec(min_available, max_unavailable)] == expected


def test_pdb_invalid_selector(write):
    doc = pdb(max_unavailable=1, selector=None) + "  selector: {matchExpressions: [{key: app, operator: Is}]}\n"
    finding = only(lint(write, doc), INVALID)
    assert finding.path == "spec.selector" and "invalid" in finding.message


@pytest.mark.parametrize("min_available, max_unavailable", [(0, None), ("100%", None), (None, "100%"), (None, 1),
                                                            (2, None), ("0%", None)])
def test_pdb_valid_values(write, min_available, max_unavailable):
    findings = lint(write, pdb(min_available, max_unavailable), workload(replicas=5))
    assert [f for f in findings if f.rule == INVALID] == []


# ---- pdb-blocks-eviction ----------------------------------------------------------------------------

@pytest.mark.parametrize("min_available, max_unavailable, words", [
    (None, 0, "maxUnavailable 0: no selected pod may ever be unavailable"),
    (None, "0%", 'maxUnavailable "0%"'),
    ("100%", None, 'minAvailable "100%": every selected pod must stay available'),
])
def test_blocks_whatever_the_replicas(write, min_available, max_unavailable, words):
    finding = only(lint(write, pdb(min_available, max_unavailable)), BLOCKS)  # no workload needed
    assert words in finding.message and finding.severity == "warning"
    assert "kubectl drain" in finding.message


def test_neither_field_blocks_in_policy_v1_only(write):
    finding = only(lint(write, pdb(), workload(replicas=3)), BLOCKS)
    assert "neither minAvailable nor maxUnavailable" in finding.message and finding.path == "spec"
    assert lint(write, pdb(api_version="policy/v1beta1"), workload(replicas=3)) == []


# (minAvailable, maxUnavailable, replicas) -> blocked? Percentages round up (disruption.go getExpectedPodCount).
@pytest.mark.parametrize("min_available, max_unavailable, replicas", [
    (1, None, 1), (1, None, 2), (2, None, 2), (3, None, 2), (2, None, 3), ("50%", None, 1), ("50%", None, 2),
    ("67%", None, 3), ("66%", None, 3), ("90%", None, 10), ("91%", None, 10), (None, 1, 1), (None, "10%", 1),
    (None, "1%", 50), (0, None, 1), (1, None, None),
])
def test_blocks_against_the_replicas(write, min_available, max_unavailable, replicas):
    findings = lint(write, pdb(min_available, max_unavailable), workload(replicas=replicas))
    blocked = pdb_disruptions_allowed(min_available, max_unavailable, 1 if replicas is None else replicas) == 0
    assert bool(findings) is blocked, [f.message for f in findings]
    if blocked:
        finding = only(findings, BLOCKS)
        assert finding.path == ("spec.minAvailable" if min_available is not None else "spec.maxUnavailable")


def test_blocks_message_has_the_numbers(write):
    finding = only(lint(write, pdb(min_available="67%"), workload("StatefulSet", replicas=3)), BLOCKS)
    assert 'minAvailable "67%" of the 3 pods it selects rounds up to 3' in finding.message
    assert "StatefulSet web, spec.replicas 3" in finding.message
    finding = only(lint(write, pdb(min_available=1), workload()), BLOCKS)
    assert "minAvailable 1 is not below the 1 pod it selects (Deployment web, spec.replicas not set, default 1)" \
        in finding.message
    assert finding.hint == "Use maxUnavailable: 1, or a minAvailable below 1."


def test_blocks_at_the_hpa_minimum(write):
    findings = lint(write, pdb(min_available=2), workload(replicas=4), hpa(min_replicas=2, max_replicas=6))
    finding = only(findings, BLOCKS)
    assert "HorizontalPodAutoscaler web minReplicas 2" in finding.message
    assert "while the HorizontalPodAutoscaler keeps them at minReplicas" in finding.message
    assert "at 6 pods 4 may go" in finding.message
    assert lint(write, pdb(min_available=2), workload(replicas=1), hpa(min_replicas=3)) == []
    finding = only(lint(write, pdb(min_available=7), workload(replicas=4), hpa(min_replicas=2, max_replicas=6)),
                   BLOCKS)
    assert "while the HorizontalPodAutoscaler" not in finding.message  # blocked at every count


def test_counts_every_selected_workload(write):
    docs = [pdb(min_available=3, selector="tier: db"), workload(name="a", replicas=1, labels="tier: db, app: a"),
            workload("StatefulSet", name="b", replicas=2, labels="tier: db, app: b")]
    finding = only(lint(write, *docs), BLOCKS)
    assert "the 3 pods it selects" in finding.message and "Deployment a" in finding.message
    docs[1] = workload(name="a", replicas=2, labels="tier: db, app: a")
    assert lint(write, *docs) == []


@pytest.mark.parametrize("min_available, max_unavailable, blocked", [
    (None, 1, True), ("50%", None, True), (None, "50%", True), (1, None, False),
])
def test_daemonset_pods_have_no_scale(write, min_available, max_unavailable, blocked):
    findings = lint(write, pdb(min_available, max_unavailable), workload("DaemonSet"))
    assert bool(findings) is blocked
    if blocked:
        assert "no scale subresource" in only(findings, BLOCKS).message


def test_scaled_to_zero_is_not_blocked(write):
    assert lint(write, pdb(min_available=1), workload(replicas=0)) == []


# ---- pdb-no-match -----------------------------------------------------------------------------------

def test_no_match_next_to_its_workloads_is_a_warning(write):
    finding = only(lint(write, pdb(max_unavailable=1, selector="app: webserver"), workload(replicas=3)), NO_MATCH)
    assert finding.severity == "warning" and finding.path == "spec.selector"
    assert "none of the 1 workload in its file (Deployment web)" in finding.message


def test_no_match_across_files_is_info(write):
    path = write("app/pdb.yaml", pdb(max_unavailable=1, selector="app: webserver"))
    write("app/deploy.yaml", workload(replicas=3))
    result = engine_run([path.parent])
    finding = only([f for f in result.findings if f.rule in RULES], NO_MATCH)
    assert finding.severity == "info" and "unless it guards pods created elsewhere, it may protect nothing" in finding.message


def test_no_match_needs_workloads_of_its_namespace(write):
    assert lint(write, pdb(max_unavailable=1, selector="app: operand")) == []
    assert lint(write, pdb(max_unavailable=1, namespace="a"), workload(replicas=3, namespace="b")) == []
    path = write("one/pdb.yaml", pdb(max_unavailable=1, selector="app: webserver"))
    write("two/deploy.yaml", workload(replicas=3))
    assert [f for f in engine_run([path.parent.parent]).findings if f.rule in RULES] == []


@pytest.mark.parametrize("api_version, selector, no_match", [
    ("policy/v1", None, True), ("policy/v1beta1", None, True), ("policy/v1beta1", "", True), ("policy/v1", "", False),
])
def test_selectors_that_select_nothing(write, api_version, selector, no_match):
    findings = lint(write, pdb(max_unavailable=1, selector=selector, api_version=api_version), workload(replicas=3))
    assert bool(findings) is no_match
    if no_match:
        assert "protects nothing" in only(findings, NO_MATCH).message


def test_match_expressions_and_template_labels(write):
    doc = pdb(max_unavailable=1, selector=None) + \
        "  selector: {matchExpressions: [{key: app, operator: In, values: [web, api]}, {key: canary, operator: DoesNotExist}]}\n"
    assert lint(write, doc, workload(replicas=3)) == []
    assert only(lint(write, doc, workload(replicas=3, labels="app: web, canary: 'yes'")), NO_MATCH)


# ---- properties -------------------------------------------------------------------------------------

def _run(text: str):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.yaml"
        path.write_text(text, encoding="utf-8")
        result = engine_run([path])
    assert not result.errors, result.errors
    return [f for f in result.findings if f.rule in RULES]


_SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SLOW
@given(st.one_of(st.integers(0, 40), st.integers(0, 100).map(lambda p: f"{p}%")), st.booleans(), st.integers(0, 30))
def test_blocked_exactly_when_no_disruption_is_allowed(value, as_min, replicas):
    min_available, max_unavailable = (value, None) if as_min else (None, value)
    findings = _run(pdb(min_available, max_unavailable) + "---\n" + workload(replicas=replicas))
    static = (max_unavailable is not None and str(value).rstrip("%") == "0") or value == "100%" and as_min
    allowed = pdb_disruptions_allowed(min_available, max_unavailable, replicas)
    assert bool(findings) == (static or (replicas > 0 and allowed == 0))
    assert all(f.rule == BLOCKS for f in findings)


@_SLOW
@given(st.integers(1, 20), st.integers(1, 20), st.integers(0, 20))
def test_hpa_minimum_decides(min_replicas, spread, min_available):
    docs = [pdb(min_available=min_available), workload(replicas=min_replicas),
            hpa(min_replicas=min_replicas, max_replicas=min_replicas + spread)]
    findings = _run("---\n".join(docs))
    assert bool(findings) == (min_available >= min_replicas)


def test_no_match_names_the_workloads_of_its_file_directory_or_namespace(tmp_path):
    """pdb-no-match counts the workloads it was compared with and names the first three, from its
    file, else the other files of its directory, else its namespace elsewhere (looked up by place)."""
    def deployment(name, namespace):
        return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {namespace}}}\n"
                f"spec:\n  replicas: 3\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n"
                f"    metadata: {{labels: {{app: {name}}}}}\n    spec: {{containers: [{{name: c, image: 'nginx:1.27'}}]}}\n")

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for n in range(1, 6):
        (tmp_path / "a" / f"d{n}.yaml").write_text(deployment(f"web{n}", "prod" if n <= 2 else "dev"))
    (tmp_path / "a" / "own.yaml").write_text(deployment("own", "dev") + "---\n"
                                             + pdb(max_unavailable=1, selector="app: nothing", name="own",
                                                   namespace="dev"))
    (tmp_path / "a" / "any.yaml").write_text(pdb(max_unavailable=1, selector="app: nothing", name="any"))
    (tmp_path / "b" / "dev.yaml").write_text(pdb(max_unavailable=1, selector="app: nothing", name="dev",
                                                 namespace="dev"))
    found = {f.name: f for f in engine_run([tmp_path], enabled={NO_MATCH}).findings}
    assert "none of the 1 workload in its file (Deployment own)" in found["own"].message
    assert found["own"].severity == "warning"
    assert ("none of the 6 workloads in the other files of its directory (Deployment web1, Deployment web2, "
            "Deployment web3, ...)") in found["any"].message
    assert found["any"].severity == "info"
    assert "none of the 4 workloads" in found["dev"].message and "(Deployment web3, Deployment web4, Deployment " \
        "web5, ...)" in found["dev"].message
