"""The object indexes (k8slint.model.index) give the answers a scan in input order gives."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest

from k8slint.model.index import LabelIndex, PlaceIndex
from k8slint.model.scheduling import label_map_selects, label_selector_matches

KEYS = ("app", "tier", "team", "app.kubernetes.io/name")
VALUES = ("web", "api", "db", "x")


def _items(rng, count):
    items = []
    for n in range(count):
        labels = {k: rng.choice(VALUES) for k in KEYS if rng.random() < 0.6}
        items.append(SimpleNamespace(labels=labels, file=f"d{rng.randint(0, 2)}/f{rng.randint(0, 3)}.yaml",
                                     namespace=rng.choice(("", "a", "b")), n=n))
    return items


def _scan_closest(selector, items):
    """The scan the index replaces (selector_mismatch's former _closest)."""
    best, best_score, best_missing, best_pairs = None, 0, None, 0
    for item in items:
        labels = item.labels
        shared_keys = sum(1 for k in selector if k in labels)
        shared_pairs = sum(1 for k, v in selector.items() if labels.get(k) == v)
        score = shared_pairs * 2 + shared_keys
        if score > best_score:
            missing = next((k for k, v in selector.items() if labels.get(k) != v), None)
            best, best_score, best_missing, best_pairs = item, score, missing, shared_pairs
    return best, best_missing, best_pairs


@pytest.mark.parametrize("seed", range(25))
def test_near_miss_and_scoping_equal_the_scan(seed):
    rng = random.Random(seed)
    items = _items(rng, 60)
    places = PlaceIndex(items)
    for _ in range(30):
        selector = {k: rng.choice(VALUES) for k in rng.sample(KEYS, rng.randint(1, 4))}
        where = SimpleNamespace(file=f"d{rng.randint(0, 2)}/f{rng.randint(0, 3)}.yaml", namespace=rng.choice(("", "a")))
        compatible = [i for i in items if not where.namespace or i.namespace in (where.namespace, "")]
        scoped = [i for i in compatible if i.file == where.file]
        buckets = places.in_file(where.file, where.namespace)
        assert (places.merged(buckets) if buckets else []) == scoped
        if not scoped:
            continue
        closest = places.closest(selector, buckets, lambda i: i.labels)
        expected = _scan_closest(selector, scoped)
        if expected[0] is not None and expected[1] is None:
            continue  # a full match: the rule never asks then
        assert closest == expected
        key = rng.choice(KEYS)
        values = sorted({i.labels[key] for i in scoped if key in i.labels})
        assert places.values(key, buckets, lambda i: i.labels, 2) == (values[:2], len(values) > 2)


@pytest.mark.parametrize("seed", range(10))
def test_label_candidates_are_a_superset_in_input_order(seed):
    rng = random.Random(seed)
    items = _items(rng, 80)
    index = LabelIndex(items, lambda i: (i.labels,))
    for _ in range(40):
        selector = {k: rng.choice(VALUES) for k in rng.sample(KEYS, rng.randint(1, 3))}
        matches = [i for i in items if label_map_selects(selector, i.labels)]
        candidates = index.map_candidates(selector)
        assert [i for i in candidates if label_map_selects(selector, i.labels)] == matches
        assert [i.n for i in candidates] == sorted(i.n for i in candidates)
        expression = {"matchExpressions": [{"key": rng.choice(KEYS), "operator": rng.choice(("In", "Exists", "NotIn")),
                                            "values": [rng.choice(VALUES)]}], "matchLabels": {}}
        if expression["matchExpressions"][0]["operator"] == "Exists":
            del expression["matchExpressions"][0]["values"]
        matches = [i for i in items if label_selector_matches(expression, i.labels)]
        assert [i for i in index.selector_candidates(expression)
                if label_selector_matches(expression, i.labels)] == matches


def test_related_is_file_then_directory_then_namespace():
    make = lambda file, ns: SimpleNamespace(file=file, namespace=ns, labels={})  # noqa: E731
    a, b, c, d = make("x/1.yaml", "n"), make("x/2.yaml", ""), make("y/3.yaml", "n"), make("y/4.yaml", "m")
    places = PlaceIndex([a, b, c, d])
    assert places.related(make("x/1.yaml", "n")) == [a]
    assert places.related(make("x/9.yaml", "n")) == [a, b]
    assert places.related(make("z/9.yaml", "n")) == [a, c]
    assert places.related(make("z/9.yaml", "")) == []
