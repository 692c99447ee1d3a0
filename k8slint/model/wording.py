"""How findings name things: objects, label sets, YAML values and groups of nodes, worded the
same way by every rule."""

from __future__ import annotations

from k8slint.model.cluster import Cluster
from k8slint.model.objects import K8sObject


def describe_labels(labels: dict, limit: int = 4) -> str:
    items = [f"{k}={v}" for k, v in labels.items()]
    if not items:
        return "no labels"
    if len(items) > limit:
        items = items[:limit] + [f"... ({len(items) - limit} more)"]
    return ", ".join(items)


def describe(obj: K8sObject) -> str:
    where = f" in namespace {obj.namespace}" if obj.namespace else ""
    return f'{obj.kind} "{obj.name}"{where}'


def show_value(value) -> str:
    """A YAML value as the manifest would spell it: null, true, "50%", 2."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def describe_nodes(nodes, cluster: Cluster, limit: int = 4) -> str:
    """``pool gpu (2 nodes)``, ``nodes cp-1, worker-2``: whole pools by name, other nodes by name
    (the first `limit`, then a count). ``nodes`` is a k8slint.model.scheduling.NodeSet; a pool of
    any size costs one line."""
    import heapq
    from itertools import islice

    first: dict[str, int] = {}
    total: dict[str, int] = {}
    for node_class in cluster.classes:
        if node_class.pool is not None:
            order = node_class.members.order(0)
            first[node_class.pool] = min(first.get(node_class.pool, order), order)
            total[node_class.pool] = total.get(node_class.pool, 0) + node_class.count
    chosen: dict[str, int] = {}
    for group in nodes.groups:
        if group.pool is not None:
            chosen[group.pool] = chosen.get(group.pool, 0) + group.count
    whole = sorted((pool for pool, count in chosen.items() if count == total[pool]), key=first.__getitem__)
    parts = [f"pool {pool} ({total[pool]} node{'s' if total[pool] != 1 else ''})" for pool in whole]
    streams, loose = [], 0
    for group in nodes.groups:
        if group.pool is not None and group.pool in whole:
            continue
        loose += group.count
        unit = first.get(group.pool) if group.pool is not None else None
        # a pool's nodes are listed where the pool first appears, other nodes where they appear
        streams.append(((order if unit is None else unit, order), name) for order, name in group.names())
    if loose:
        names = [name for _, name in islice(heapq.merge(*streams, key=lambda item: item[0]), limit)]
        shown = ", ".join(names) + (f" and {loose - limit} more" if loose > limit else "")
        parts.append(f"node{'s' if loose != 1 else ''} {shown}")
    return ", ".join(parts)
