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
