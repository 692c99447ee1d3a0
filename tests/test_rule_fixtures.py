"""Every rule's fire and near-miss fixtures. Each family directory under fixtures/rules/ lists the
rule ids it covers in RULES; a fire file marks each expected finding with ``# expect: rule-id``
on the line the finding must point at (``rule-id@column`` pins the column too); near-miss files
carry no markers and must stay silent for those rules. Optional CLUSTER and VERSION files set the
cluster and the target Kubernetes release the family is linted against."""

from __future__ import annotations

import pytest

from conftest import FIXTURES, engine_run, expectations

FAMILIES = sorted(p for p in (FIXTURES / "rules").iterdir() if (p / "RULES").is_file())
CASES = [(family, path) for family in FAMILIES for path in sorted(family.rglob("*.yaml"))
         if path.parent.name in ("fire", "near-miss")]


def _cluster_for(family):
    """A family may lint its fixtures against a cluster described in CLUSTER (e.g. 'nodes 3 zones 1'
    or a path to a cluster profile relative to the family directory)."""
    spec_file = family / "CLUSTER"
    if not spec_file.is_file():
        return None
    from k8slint.config import read_yaml_file
    from k8slint.model.cluster import cluster_from_documents, uniform_cluster

    words = spec_file.read_text().split()
    if words[0] == "nodes":
        return uniform_cluster(int(words[1]), int(words[3]) if len(words) > 3 else 1)
    path = family / words[0]
    return cluster_from_documents(read_yaml_file(path, "cluster profile"), str(path))


def _version_for(family) -> dict:
    """A family may lint for another Kubernetes release than the newest: VERSION holds it (e.g. 1.30)."""
    spec_file = family / "VERSION"
    if not spec_file.is_file():
        return {}
    from k8slint.model.versions import parse_version

    return {"kubernetes_version": parse_version(spec_file.read_text().strip())}


@pytest.mark.parametrize("family,path", CASES, ids=[f"{f.name}/{p.parent.name}/{p.name}" for f, p in CASES])
def test_fixture(family, path):
    rules = set((family / "RULES").read_text().split())
    result = engine_run([path], cluster=_cluster_for(family), **_version_for(family))
    assert not result.errors, result.errors
    got = sorted((f.line, f.rule) for f in result.findings if f.rule in rules)
    expected = expectations(path)
    assert got == sorted((line, rule) for line, rule, _ in expected), "\n".join(
        f"{f.line}:{f.column} {f.rule}: {f.message}" for f in result.findings if f.rule in rules)
    if path.parent.name == "fire":
        assert expected, f"{path} is a fire fixture without # expect markers"
    by_line = {(f.line, f.rule): f for f in result.findings}
    for line, rule, column in expected:
        if column is not None:
            assert by_line[(line, rule)].column == column
