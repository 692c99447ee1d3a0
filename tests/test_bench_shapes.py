"""The scaling shapes of benchmarks/shapes.py produce what they claim, in every layout: cheap
checks on small corpora (the timings themselves are the benchmark's business, never a test's)."""

from __future__ import annotations

import importlib.util
import math
from collections import Counter

import pytest
from conftest import ROOT, engine_run

_spec = importlib.util.spec_from_file_location("shapes", ROOT / "benchmarks" / "shapes.py")
shapes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(shapes)


def kinds(paths) -> Counter:
    from k8slint.config import read_yaml_file

    return Counter(doc["kind"] for path in paths for doc in read_yaml_file(path, "test") if doc)


@pytest.mark.parametrize("layout, files, directories", [("one-file", 1, 1), ("2-per-file", 60, 1),
                                                        ("50-per-file", 3, 1)])
def test_layouts_split_the_documents_as_named(tmp_path, layout, files, directories):
    paths = shapes.write(tmp_path / layout, "hpa-pdb", 120, layout)
    assert len(paths) == files
    assert len({p.parent for p in paths}) == directories
    assert sum(kinds(paths).values()) == 120


def test_fifty_per_file_puts_ten_files_in_a_directory(tmp_path):
    paths = shapes.write(tmp_path / "c", "shared-key", 50 * 25, "50-per-file")
    assert Counter(p.parent.name for p in paths) == {"dir-0000": 10, "dir-0001": 10, "dir-0002": 5}


def test_no_match_services_select_nothing(tmp_path):
    paths = shapes.write(tmp_path / "n", "no-match", 50, "one-file")
    assert kinds(paths) == {"Deployment": 10, "StatefulSet": 10, "HorizontalPodAutoscaler": 10,
                            "PodDisruptionBudget": 10, "Service": 10}
    result = engine_run(paths, enabled={"service-no-endpoints"})
    assert not result.errors
    assert len(result.findings) == 10 and {f.rule for f in result.findings} == {"service-no-endpoints"}


def test_shared_key_services_each_select_their_deployment(tmp_path):
    paths = shapes.write(tmp_path / "s", "shared-key", 40, "2-per-file")
    result = engine_run(paths, enabled={"service-no-endpoints", "service-target-port"})
    assert not result.errors and not result.findings


def test_hpa_pdb_pairs_each_deployment_with_its_hpa_and_pdb(tmp_path):
    paths = shapes.write(tmp_path / "h", "hpa-pdb", 30, "one-file")
    assert kinds(paths) == {"Deployment": 10, "HorizontalPodAutoscaler": 10, "PodDisruptionBudget": 10}
    result = engine_run(paths, enabled={"pdb-no-match", "hpa-target-missing", "pdb-blocks-eviction"})
    assert not result.errors and not result.findings


def test_cluster_file_has_the_pools_scaled_and_the_workloads_fit_them(tmp_path):
    from k8slint.config import read_yaml_file
    from k8slint.model.cluster import cluster_from_documents

    path = shapes.cluster_file(tmp_path / "nodes.yaml", nodes=50)
    cluster = cluster_from_documents(read_yaml_file(path, "cluster"), "test")
    pools = cluster.pools()
    assert pools == {"general": 25, "highmem": 15, "gpu": 6, "infra": 4}
    workloads = shapes.write(tmp_path / "w", "cluster", 16, "one-file")
    result = engine_run(workloads, cluster=cluster, enabled={"no-eligible-nodes"})
    assert not result.errors and not result.findings


def test_anti_affinity_groups_report_one_conflict_each(tmp_path):
    paths = shapes.write(tmp_path / "a", "anti-affinity", 24, "one-file")
    result = engine_run(paths, enabled={"anti-affinity-infeasible"})
    groups = [f for f in result.findings if "keeps the pods of" in f.message]
    assert len(groups) == 3  # 24 Deployments in groups of 8
    assert all("need 16 nodes" in f.message for f in groups)


def test_growth_exponent():
    assert shapes.growth_exponent(1000, 1.0, 4000, 4.0) == pytest.approx(1.0)
    assert shapes.growth_exponent(1000, 1.0, 4000, 16.0) == pytest.approx(2.0)
    assert math.isnan(shapes.growth_exponent(1000, 0.0, 4000, 1.0))


def test_extra_shapes_produce_what_they_claim(tmp_path):
    from k8slint.config import read_yaml_file
    from k8slint.model.cluster import cluster_from_documents

    cluster = cluster_from_documents(read_yaml_file(shapes.cluster_file(tmp_path / "nodes.yaml", nodes=50),
                                                    "cluster"), "test")
    spread = shapes.write(tmp_path / "spread", "spread", 12, "2-per-file")
    assert kinds(spread) == {"Deployment": 12}
    # three zones and maxSkew 1: each spreads its own pods, which fit
    result = engine_run(spread, cluster=cluster, enabled={"topology-spread-infeasible"})
    assert not result.errors and not result.findings
    ports = shapes.write(tmp_path / "ports", "host-ports", 12, "2-per-file")
    host_ports = [line.split("hostPort:")[1] for p in ports for line in p.read_text().splitlines() if "hostPort" in line]
    assert len(host_ports) == 12 == len(set(host_ports))
    result = engine_run(ports, cluster=cluster, enabled={"host-port-conflict"})
    assert not result.errors and not result.findings  # each port is its own
    recreate = shapes.write(tmp_path / "recreate", "recreate", 12, "2-per-file")
    assert kinds(recreate) == {"Deployment": 6, "Service": 6}
    result = engine_run(recreate, enabled={"unsafe-rolling-update"})
    assert len([f for f in result.findings if "strategy Recreate" in f.message]) == 6
    operators = shapes.write(tmp_path / "operators", "operator-pods", 12, "one-file")
    assert kinds(operators) == {"Prometheus": 4, "Service": 4, "Deployment": 4}
    # the Services select no workload, but the Prometheus resources beside them may create their pods
    result = engine_run(operators, enabled={"service-no-endpoints"})
    assert not result.errors and not result.findings


def test_helm_release_services_each_select_their_deployment(tmp_path):
    paths = shapes.write(tmp_path / "helm", "helm-release", 12, "2-per-file")
    assert kinds(paths) == {"Deployment": 6, "Service": 6}
    result = engine_run(paths, enabled={"missing-readiness-probe", "service-no-endpoints", "selector-mismatch"})
    assert not result.errors
    # each Deployment lacks a readiness probe and the one Service of its name sends it traffic
    assert len(result.findings) == 6 and all(f.rule == "missing-readiness-probe" for f in result.findings)
    assert all(f'Service "{f.name}" selects its pods' in f.message for f in result.findings)


def test_memory_run_alone(tmp_path, monkeypatch, capsys):
    """``bench.py --docs 0 --rss-docs N``: the memory run (and the one-file start-up) without the
    timing corpora (it used to fail on the empty corpus list)."""
    spec = importlib.util.spec_from_file_location("bench", ROOT / "benchmarks" / "bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    monkeypatch.setattr(bench, "OUT", tmp_path)
    monkeypatch.setattr(bench, "find_checkov", lambda _path: pytest.fail("Checkov is part of the timing sections"))
    code = bench.main(["--docs", "0", "--rss-docs", "300", "--repeat", "1"])
    out = capsys.readouterr().out
    assert "[memory: 300 documents" in out and "peak RSS, all rules" in out
    assert "[one file as a new process]" in out
    assert "[one big file]" not in out and "[--jobs on" not in out and "[Checkov" not in out
    assert code == 0, out
    assert not list(tmp_path.glob("big-*")) and not list(tmp_path.glob("many-*"))
