"""How findings name things: objects, label sets, YAML values and groups of nodes, worded the
same way by every rule."""

from __future__ import annotations

from k8slint.model.cluster import Cluster, Node
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


def describe_nodes(nodes: list[Node], cluster: Cluster, limit: int = 4) -> str:
    """``pool gpu (2 nodes)``, ``nodes cp-1, worker-2``: whole pools by name, other nodes by name."""
    names = {node.name for node in nodes}
    parts, loose = [], []
    for pool, members in cluster.pools().items():
        chosen = [node for node in members if node.name in names]
        if not chosen:
            continue
        if members[0].pool is not None and len(chosen) == len(members):
            parts.append(f"pool {pool} ({len(members)} node{'s' if len(members) != 1 else ''})")
        else:
            loose.extend(node.name for node in chosen)
    if loose:
        shown = ", ".join(loose[:limit]) + (f" and {len(loose) - limit} more" if len(loose) > limit else "")
        parts.append(f"node{'s' if len(loose) != 1 else ''} {shown}")
    return ", ".join(parts)
