"""The bounded caches of k8slint.model.memo answer what the function answers, whatever the path
(typed value, identity of one mapping; several arguments by their typed values)."""

from __future__ import annotations

import random

from k8slint.model import memo


def _calls():
    seen = []

    @memo.by_value
    def describe(strategy, replicas, name=None):
        seen.append((strategy, replicas, name))
        return (repr(strategy), type(replicas).__name__, repr(replicas), name)
    return describe, seen


def test_several_arguments_are_told_apart_by_type_and_value():
    describe, seen = _calls()
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}
    answers = [describe(strategy, n, "web") for n in (1, True, 1.0, "1", None, 1)]
    assert [a[1] for a in answers] == ["int", "bool", "float", "str", "NoneType", "int"]
    assert len(seen) == 5  # the last call is the first one again


def test_a_mapping_among_several_arguments_counts_by_its_value():
    describe, seen = _calls()
    first = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%"}}
    equal = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%"}}
    other = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}}
    assert describe(first, 3) == describe(equal, 3)  # an equal mapping: the typed cache's answer
    assert describe(other, 3) != describe(first, 3)
    assert describe(first, 3) is describe(first, 3)
    assert len(seen) == 2


def test_lists_and_unhashable_scalars_among_several_arguments():
    describe, seen = _calls()
    assert describe({"a": 1}, [1, 2], {"b": [3]}) == describe({"a": 1}, [1, 2], {"b": [3]})
    assert len(seen) == 1  # equal values: computed once
    assert describe({"a": 1}, {1, 2}) == describe({"a": 1}, {1, 2}) == ("{'a': 1}", "set", "{1, 2}", None)
    assert len(seen) == 3  # a set cannot be a key: computed each time


def test_answers_equal_the_function_over_many_calls():
    rng = random.Random(7)
    describe, _ = _calls()
    shared = [{"k": i % 3} for i in range(5)]
    for _ in range(3 * memo.RECENT):  # beyond the bounds: the caches start again empty
        strategy = rng.choice(shared + [{"k": rng.randint(0, 3)}, None])
        replicas = rng.choice([0, 1, 2, True, 1.5, "2", None])
        assert describe(strategy, replicas) == (repr(strategy), type(replicas).__name__, repr(replicas), None)
