"""Bounded caches for the pure functions that rules call again and again with the same input:
thousands of workloads repeat a handful of strategies and tolerations, and a rule asks about the
same selector or term of a workload several times. Standard library only."""

from __future__ import annotations

import functools

SIZE = 4096  # entries per cache; a full cache starts again empty
# Entries of a by_value cache's identity shortcut: it holds composed values alive (a document's
# tolerations, with their positions), so only those of the last few objects.
RECENT = 256


def by_identity(function=None, *, size: int = SIZE):
    """Cache a function of one composed value (a mapping: not hashable) by the value's identity.
    Each entry keeps its value alive, so an id is never reused while its entry exists: ``size``
    bounds that (small for values that are asked about only while their object is checked)."""
    if function is None:
        return functools.partial(by_identity, size=size)
    cache: dict = {}

    @functools.wraps(function)
    def call(value):
        entry = cache.get(id(value))
        if entry is None or entry[0] is not value:
            if len(cache) >= size:
                cache.clear()
            entry = cache[id(value)] = (value, function(value))
        return entry[1]
    return call


def _typed(value):
    # 1, 1.0 and True are equal in Python but not in YAML; a mapping or list counts by its items.
    # Composed mappings are dicts (isinstance on a dict is several times cheaper than on Mapping).
    if isinstance(value, dict):
        return (dict, tuple([(key, type(item), item) if not isinstance(item, (dict, list))
                             else (key, _typed(item)) for key, item in value.items()]))
    if isinstance(value, list):
        return (list, tuple([_typed(item) for item in value]))
    return (type(value), value)


def by_value(function):
    """Cache a function of composed YAML values (scalars, mappings, lists) by value and type.
    Input that cannot be hashed is computed every time. The function's result is shared between
    callers: it must not be changed (return tuples)."""
    cache: dict = {}

    def lookup(*args):
        try:
            key = _typed(args[0]) if len(args) == 1 else tuple([
                _typed(arg) if isinstance(arg, (dict, list)) else (type(arg), arg) for arg in args])
            result = cache.get(key, cache)
        except TypeError:  # unhashable: a mapping or list where a scalar belongs
            return function(*args)
        if result is cache:
            if len(cache) >= SIZE:
                cache.clear()
            result = cache[key] = function(*args)
        return result

    # Rules ask about the same composed mapping several times (a toleration, a strategy): its
    # identity is checked first, which spares building its typed key again.
    recent = by_identity(lookup, size=RECENT)

    @functools.wraps(function)
    def call(*args):
        if len(args) == 1 and isinstance(args[0], (dict, list)):
            return recent(args[0])
        return lookup(*args)
    return call
