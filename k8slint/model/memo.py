"""Bounded caches for the pure functions that rules call again and again with the same input:
thousands of workloads repeat a handful of strategies and tolerations, and a rule asks about the
same selector or term of a workload several times. Standard library only."""

from __future__ import annotations

import functools
from collections.abc import Mapping

SIZE = 4096  # entries per cache; a full cache starts again empty


def by_identity(function):
    """Cache a function of one composed value (a mapping: not hashable) by the value's identity.
    Each entry keeps its value alive, so an id is never reused while its entry exists."""
    cache: dict = {}

    @functools.wraps(function)
    def call(value):
        entry = cache.get(id(value))
        if entry is None or entry[0] is not value:
            if len(cache) >= SIZE:
                cache.clear()
            entry = cache[id(value)] = (value, function(value))
        return entry[1]
    return call


def _typed(value):
    # 1, 1.0 and True are equal in Python but not in YAML; a flat mapping counts by its items
    if isinstance(value, Mapping):
        return (Mapping, tuple((key, type(item), item) for key, item in value.items()))
    return (type(value), value)


def by_value(function):
    """Cache a function of YAML scalars, or of flat mappings of them, by value and type. Input
    that cannot be hashed (a mapping where a scalar belongs) is computed every time."""
    cache: dict = {}

    @functools.wraps(function)
    def call(*args):
        try:
            key = tuple(_typed(arg) for arg in args)
            hash(key)
        except TypeError:
            return function(*args)
        if key not in cache:
            if len(cache) >= SIZE:
                cache.clear()
            cache[key] = function(*args)
        return cache[key]
    return call
