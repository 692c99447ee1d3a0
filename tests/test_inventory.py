"""Inventory copies: the cross-object rules must find exactly what they find on whole documents,
however much of each document the copies leave out or share."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, CORPUS, engine_run

from k8slint.engine import inventory as engine_inventory


def _findings(paths, **options):
    result = engine_run(paths, **options)
    return [(f.file, f.line, f.column, f.rule, f.message, f.suppressed) for f in result.findings]


def _corpus_and_fixtures():
    return [str(FIXTURES), str(CORPUS)]


def test_pruned_copies_find_what_whole_copies_find(monkeypatch):
    paths = _corpus_and_fixtures()
    pruned = _findings(paths)
    assert len(pruned) > 500
    monkeypatch.setattr(engine_inventory, "_drop_spec", lambda obj, kept=frozenset(): {})
    assert _findings(paths) == pruned


def test_shared_containers_find_what_private_copies_find(monkeypatch):
    paths = _corpus_and_fixtures()
    shared = _findings(paths)
    monkeypatch.setattr(engine_inventory, "_shared", lambda container, content, containers: container)
    assert _findings(paths) == shared


def test_equal_blocks_are_shared_and_different_ones_are_not():
    engine_inventory._SHARED_STRINGS.clear()
    engine_inventory._SHARED_CONTAINERS.clear()
    tolerations = [{"key": "a", "operator": "Exists"}]
    first = engine_inventory._shared_copy({"t": tolerations, "n": 1}, None, engine_inventory._SHARED_STRINGS, engine_inventory._SHARED_CONTAINERS)
    second = engine_inventory._shared_copy({"t": [{"key": "a", "operator": "Exists"}], "n": 1}, None,
                                 engine_inventory._SHARED_STRINGS, engine_inventory._SHARED_CONTAINERS)
    assert first is second and first["t"] is second["t"]
    # 1, 1.0 and True are equal in Python but not in YAML: no sharing across types
    as_int = engine_inventory._shared_copy({"v": [1]}, None, engine_inventory._SHARED_STRINGS, engine_inventory._SHARED_CONTAINERS)
    as_bool = engine_inventory._shared_copy({"v": [True]}, None, engine_inventory._SHARED_STRINGS, engine_inventory._SHARED_CONTAINERS)
    as_float = engine_inventory._shared_copy({"v": [1.0]}, None, engine_inventory._SHARED_STRINGS, engine_inventory._SHARED_CONTAINERS)
    assert as_int["v"] is not as_bool["v"] and as_int["v"] is not as_float["v"]
    assert type(as_bool["v"][0]) is bool and type(as_float["v"][0]) is float


@pytest.mark.parametrize("kind, template", [("Deployment", ("spec", "template")), ("Pod", ())])
def test_dropped_fields_and_the_ignore_annotation(kind, template):
    from k8slint.model.objects import dig, make_object

    pod_spec = {"containers": [{"name": "c", "image": "i", "env": [{"name": "A"}], "livenessProbe": {"exec": {}},
                                "readinessProbe": {"exec": {}}, "ports": [{"containerPort": 80}]}],
                "volumes": [{"name": "v"}], "tolerations": [{"operator": "Exists"}]}
    meta = {"name": "x", "annotations": {"k8slint.io/ignore": "unsafe-rolling-update", "team": "a"}}
    root = {"apiVersion": "apps/v1" if kind == "Deployment" else "v1", "kind": kind, "metadata": meta,
            "status": {"phase": "Running"}}
    if template:
        root["spec"] = {"template": {"metadata": {"labels": {"app": "x"}, "annotations": {"a": "b"}},
                                     "spec": pod_spec}}
    else:
        root["spec"] = pod_spec
    copy = engine_inventory.inventory_copy(make_object(root, "f.yaml", 0, 1))
    assert "status" not in copy.root
    assert copy.annotations == {"k8slint.io/ignore": "unsafe-rolling-update"}
    spec = dig(copy.root, template + ("spec",))
    assert "volumes" not in spec and spec["tolerations"] == [{"operator": "Exists"}]
    assert spec["containers"] == [{"name": "c", "image": "i", "readinessProbe": {"exec": {}},
                                   "ports": [{"containerPort": 80}]}]
    if template:
        assert dig(copy.root, template + ("metadata",)) == {"labels": {"app": "x"}}


def test_a_run_leaves_no_reference_cycles_behind(tmp_path):
    """The run keeps the cyclic GC off (so does the lint command until its report is written):
    what a run builds per object (inventory copies, pod labels, the cross-object rules' indexes)
    must be freed by reference counting, or it stays in memory, or costs a collection of the
    whole heap at the end. A cycle once held the PodLabelIndex and every workload in it."""
    import gc

    from conftest import engine_run
    from k8slint.model.objects import K8sObject

    workloads = []
    for number in range(20):
        workloads.append(f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: web-{number}, namespace: shop}}
spec:
  replicas: 3
  selector: {{matchLabels: {{app: web-{number}}}}}
  template:
    metadata: {{labels: {{app: web-{number}, tier: web}}}}
    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector: {{matchLabels: {{app: web-{number}}}}}
            topologyKey: kubernetes.io/hostname
      containers: [{{name: web, image: nginx:1.27}}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: web-{number}, namespace: shop}}
spec: {{maxUnavailable: 0, selector: {{matchLabels: {{app: web-{number}}}}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: web-{number}, namespace: shop}}
spec: {{selector: {{app: nothing-{number}}}, ports: [{{port: 80}}]}}
""")
    path = tmp_path / "all.yaml"
    path.write_text("---\n".join(workloads), encoding="utf-8")
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        result = engine_run([path])
        assert {"pdb-blocks-eviction", "service-no-endpoints"} <= {f.rule for f in result.findings}
        del result
        gc.collect()
        kept = [o for o in gc.garbage if isinstance(o, K8sObject) or type(o).__module__.startswith("k8slint.")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert not kept, sorted({type(o).__name__ for o in kept})
