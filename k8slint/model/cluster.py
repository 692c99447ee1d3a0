"""The cluster a workload is checked against: nodes with labels, taints and an optional pool.

A `Cluster` comes from one of three sources:

* `uniform_cluster` - N identical untainted nodes spread over zones (the `--nodes/--zones` options);
* `cluster_from_profile` - a k8slint ClusterProfile (schema: ``schemas/cluster.schema.json``);
* `cluster_from_documents` / `node_from_object` - Kubernetes Node objects, e.g. the output of
  ``kubectl get nodes -o yaml``.

Scheduling semantics (what may run where) live in `k8slint.model.scheduling`; this module only
builds the node model and reports malformed input as `ClusterProfileError`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

from k8slint.resources import load_schema

VALID_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")

HOSTNAME_LABEL = "kubernetes.io/hostname"
ZONE_LABEL = "topology.kubernetes.io/zone"
OS_LABEL = "kubernetes.io/os"
ARCH_LABEL = "kubernetes.io/arch"
UNSCHEDULABLE_TAINT_KEY = "node.kubernetes.io/unschedulable"

# The most nodes and zones a generated cluster (--nodes/--zones, config nodes:/zones:, profile
# pools) may have. Kubernetes supports clusters of up to 5,000 nodes (kubernetes.io "Considerations
# for large clusters"; managed offerings go to tens of thousands): a larger count is a mistake or
# an attack, and each modelled node costs memory and scheduling work, so it is refused (exit 2).
MAX_NODES = 50_000
MAX_ZONES = 1_000

PROFILE_KIND = "ClusterProfile"
PROFILE_SCHEMA = "cluster.schema.json"

# The kubelet labels every node with its OS and architecture, and manifests often select on them
# (nodeSelector kubernetes.io/os: linux); modelled nodes carry them so such selectors still match.
# A profile overrides them through `labels`.
_KUBELET_DEFAULT_LABELS = {OS_LABEL: "linux", ARCH_LABEL: "amd64"}

# Labels that managed node pools put on their nodes; the first one present names a Node object's
# pool, so `Cluster.pools()` groups real clusters the way their operators think of them.
POOL_LABELS = (
    "cloud.google.com/gke-nodepool",
    "eks.amazonaws.com/nodegroup",
    "kubernetes.azure.com/agentpool",
    "karpenter.sh/nodepool",
)


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: str

    def __str__(self) -> str:
        # The `kubectl taint` notation.
        if self.value:
            return f"{self.key}={self.value}:{self.effect}"
        return f"{self.key}:{self.effect}"


@dataclass(frozen=True)
class Node:
    name: str
    # Excluded from the hash (a dict is unhashable); equal nodes still hash equally by name.
    labels: Mapping[str, str] = field(hash=False)
    taints: tuple[Taint, ...]
    pool: str | None = None

    def __post_init__(self) -> None:
        # Own copies: a Cluster is shared by every rule and must not change under them.
        object.__setattr__(self, "labels", dict(self.labels))
        object.__setattr__(self, "taints", tuple(self.taints))


@dataclass(frozen=True)
class Cluster:
    nodes: tuple[Node, ...]
    source: str  # human description, e.g. "cluster profile prod.yaml", "--nodes 3 --zones 2"
    # False for the identical synthetic nodes of --nodes/--zones: their labels are placeholders,
    # so nodeSelector and node affinity cannot be judged against them (they are assumed to match).
    labels_known: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "nodes", tuple(self.nodes))

    def pools(self) -> dict[str, list[Node]]:
        """Nodes grouped by pool, in first-seen order; a node without a pool is its own group."""
        groups: dict[str, list[Node]] = {}
        for node in self.nodes:
            groups.setdefault(node.pool or node.name, []).append(node)
        return groups


class ClusterProfileError(ValueError):
    """A cluster description that cannot be used; the message says where (a JSON path) and what."""


def format_path(parts: Iterable[str | int]) -> str:
    """A JSON path such as ``pools[1].taints[0].effect``; keys that are not plain identifiers
    (label keys like ``app.kubernetes.io/name``) are quoted: ``labels["app.kubernetes.io/name"]``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.isidentifier() and part.isascii():
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part)}]"
    return text


def uniform_cluster(nodes: int, zones: int = 1) -> Cluster:
    """`nodes` identical untainted nodes node-1..node-N, spread round-robin over zone-a, zone-b..."""
    if isinstance(nodes, bool) or not isinstance(nodes, int) or nodes < 0:
        raise ValueError(f"node count must be a non-negative integer, not {nodes!r}")
    if isinstance(zones, bool) or not isinstance(zones, int) or zones < 1:
        raise ValueError(f"zone count must be a positive integer, not {zones!r}")
    if nodes > MAX_NODES:
        raise ClusterProfileError(f"--nodes {nodes}: at most {MAX_NODES:,} nodes can be modelled (Kubernetes "
                                  f"supports clusters of up to 5,000 nodes)")
    if zones > MAX_ZONES:
        raise ClusterProfileError(f"--zones {zones}: at most {MAX_ZONES:,} zones can be modelled")
    zone_names = [f"zone-{_letters(index)}" for index in range(zones)]
    cluster_nodes = []
    for index in range(nodes):
        name = f"node-{index + 1}"
        zone = zone_names[index % zones]
        cluster_nodes.append(Node(name, _node_labels(name, zone, None), ()))
    return Cluster(tuple(cluster_nodes), f"--nodes {nodes} --zones {zones}", labels_known=False)


def _letters(index: int) -> str:
    """0 -> "a", 25 -> "z", 26 -> "aa": zone suffixes that never run out."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("a") + remainder) + letters
    return letters


def _node_labels(name: str, zone: str | None, labels: Mapping[str, str] | None) -> dict[str, str]:
    """Labels of a modelled node: kubelet defaults, then the given labels, then hostname and zone
    (which always reflect the node's name and its `zone`)."""
    result = dict(_KUBELET_DEFAULT_LABELS)
    result.update(labels or {})
    result[HOSTNAME_LABEL] = name
    if zone is not None:
        result[ZONE_LABEL] = zone
    return result


# --- ClusterProfile ----------------------------------------------------------------------------


def cluster_from_profile(data, source: str) -> Cluster:
    """Validate a ClusterProfile document against ``cluster.schema.json`` and expand its pools.

    Pool nodes are named ``<pool>-<i>`` (1-based) and spread round-robin over the pool's zones.
    """
    _validate_profile(data, source)
    _check_size(data, source)
    builder = _ClusterBuilder(source)
    pool_names: set[str] = set()
    for pool_index, pool in enumerate(data.get("pools") or ()):
        path = ("pools", pool_index)
        name = pool["name"]
        if name in pool_names:
            raise _error(source, (*path, "name"), f"duplicate pool name {name!r}")
        pool_names.add(name)
        zones = pool.get("zones") or ([pool["zone"]] if "zone" in pool else [])
        taints = _profile_taints(pool.get("taints") or (), (*path, "taints"), source)
        # The schema's "integer" also admits 3.0.
        for index in range(int(pool["count"])):
            node_name = f"{name}-{index + 1}"
            zone = zones[index % len(zones)] if zones else None
            labels = _node_labels(node_name, zone, pool.get("labels"))
            builder.add(Node(node_name, labels, taints, pool=name), path)
    for node_index, spec in enumerate(data.get("nodes") or ()):
        path = ("nodes", node_index)
        taints = _profile_taints(spec.get("taints") or (), (*path, "taints"), source)
        if spec.get("unschedulable"):
            taints = _with_unschedulable_taint(taints)
        labels = _node_labels(spec["name"], spec.get("zone"), spec.get("labels"))
        builder.add(Node(spec["name"], labels, taints, pool=spec.get("pool")), (*path, "name"))
    return builder.build()


def _check_size(data, source: str) -> None:
    """Refuse a profile whose pools add up to more than MAX_NODES nodes before making any."""
    total = len(data.get("nodes") or ())
    for index, pool in enumerate(data.get("pools") or ()):
        total += int(pool["count"])
        if total > MAX_NODES:
            raise _error(source, ("pools", index, "count"),
                         f"{pool['count']}: the profile would have more than {MAX_NODES:,} nodes, more than can be "
                         f"modelled (Kubernetes supports clusters of up to 5,000 nodes)")


def _profile_taints(specs, path: tuple, source: str) -> tuple[Taint, ...]:
    taints = tuple(Taint(spec["key"], spec.get("value", ""), spec["effect"]) for spec in specs)
    _check_unique_taints(taints, path, source)
    return taints


def _check_unique_taints(taints: tuple[Taint, ...], path: tuple, source: str) -> None:
    # The API server rejects a node with two taints of the same key and effect (ValidateNodeTaints).
    seen: set[tuple[str, str]] = set()
    for index, taint in enumerate(taints):
        identity = (taint.key, taint.effect)
        if identity in seen:
            raise _error(source, (*path, index), f"duplicate taint {taint.key}:{taint.effect}")
        seen.add(identity)


def _with_unschedulable_taint(taints: tuple[Taint, ...]) -> tuple[Taint, ...]:
    # spec.unschedulable (kubectl cordon) is enforced through this taint, which the node lifecycle
    # controller adds (doNoScheduleTaintingPass); real Node objects usually carry it already.
    if any(t.key == UNSCHEDULABLE_TAINT_KEY and t.effect == "NoSchedule" for t in taints):
        return taints
    return (*taints, Taint(UNSCHEDULABLE_TAINT_KEY, "", "NoSchedule"))


def _validate_profile(data, source: str) -> None:
    errors = sorted(_profile_validator().iter_errors(data), key=lambda e: (format_path(e.absolute_path), e.message))
    if errors:
        raise ClusterProfileError("; ".join(_describe(source, error) for error in errors))


@cache
def _profile_validator():
    # jsonschema is slow to import; only runs that load a profile pay for it.
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema(PROFILE_SCHEMA))


def _describe(source: str, error) -> str:
    """One schema violation as "<source>: <path>: <what>", readable without the schema at hand."""
    if error.validator in ("not", "anyOf", "oneOf") and "description" in error.schema:
        # These constraints carry their explanation as the description of the subschema.
        what = error.schema["description"]
    elif error.validator == "pattern" and "title" in error.schema:
        what = f"{error.instance!r} is not a valid {error.schema['title']}"
    elif error.validator == "type":
        what = f"must be of type {error.validator_value}, not {_json_type(error.instance)}"
    else:
        what = error.message
    return f"{source}: {format_path(error.absolute_path) or '(top level)'}: {what}"


def _json_type(value) -> str:
    for python_type, name in ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"),
                              (Mapping, "object"), (list, "array")):
        if isinstance(value, python_type):
            return name
    return "null" if value is None else type(value).__name__


def _error(source: str, path: Iterable[str | int], what: str) -> ClusterProfileError:
    return ClusterProfileError(f"{source}: {format_path(path) or '(top level)'}: {what}")


class _ClusterBuilder:
    """Collects nodes and rejects duplicate names, which would make a cluster ambiguous."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.nodes: list[Node] = []
        self.where: dict[str, str] = {}

    def add(self, node: Node, path: tuple) -> None:
        where = format_path(path) or "(top level)"
        if node.name in self.where:
            raise _error(self.source, path, f"node name {node.name!r} is already used by {self.where[node.name]}")
        self.where[node.name] = where
        self.nodes.append(node)

    def build(self) -> Cluster:
        return Cluster(tuple(self.nodes), self.source)


# --- Kubernetes Node objects -------------------------------------------------------------------


def node_from_object(obj: dict) -> Node:
    """A Kubernetes Node object (metadata.name, metadata.labels, spec.taints, spec.unschedulable).

    Adds ``kubernetes.io/hostname=<name>`` when missing, as the kubelet does; the pool comes from
    the first of `POOL_LABELS` present.
    """
    return _node_from_object(obj, (), "Node object")


def _node_from_object(obj, path: tuple, source: str) -> Node:
    if not isinstance(obj, Mapping):
        raise _error(source, path, f"a Node must be a mapping, not {_json_type(obj)}")
    metadata = obj.get("metadata")
    if not isinstance(metadata, Mapping):
        raise _error(source, (*path, "metadata"), "a Node needs metadata with a name")
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        raise _error(source, (*path, "metadata", "name"), "a Node needs a non-empty name")
    labels = _string_map(metadata.get("labels"), (*path, "metadata", "labels"), source)
    labels.setdefault(HOSTNAME_LABEL, name)
    spec = obj.get("spec")
    if spec is None:
        spec = {}
    elif not isinstance(spec, Mapping):
        raise _error(source, (*path, "spec"), f"must be a mapping, not {_json_type(spec)}")
    taints = _object_taints(spec.get("taints"), (*path, "spec", "taints"), source)
    if spec.get("unschedulable") is True:
        taints = _with_unschedulable_taint(taints)
    pool = next((labels[key] for key in POOL_LABELS if key in labels), None)
    return Node(name, labels, taints, pool=pool)


def _string_map(value, path: tuple, source: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _error(source, path, f"must be a mapping, not {_json_type(value)}")
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise _error(source, (*path, str(key)), f"labels must map strings to strings, not {item!r}")
    return dict(value)


def _object_taints(value, path: tuple, source: str) -> tuple[Taint, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _error(source, path, f"must be a list, not {_json_type(value)}")
    taints = []
    for index, spec in enumerate(value):
        where = (*path, index)
        if not isinstance(spec, Mapping):
            raise _error(source, where, "a taint must be a mapping with key, value and effect")
        key, taint_value, effect = spec.get("key"), spec.get("value", ""), spec.get("effect")
        if not isinstance(key, str) or not key:
            raise _error(source, (*where, "key"), "a taint needs a non-empty string key")
        if not isinstance(taint_value, str):
            raise _error(source, (*where, "value"), f"must be a string, not {_json_type(taint_value)}")
        if effect not in VALID_EFFECTS:
            raise _error(source, (*where, "effect"), f"{effect!r} is not one of {', '.join(VALID_EFFECTS)}")
        taints.append(Taint(key, taint_value, effect))
    taints = tuple(taints)
    _check_unique_taints(taints, path, source)
    return taints


def cluster_from_documents(docs: list, source: str) -> Cluster:
    """A cluster from the YAML documents of one file: a single ClusterProfile, ``v1 List``s of Nodes
    (``kubectl get nodes -o yaml``) and/or Node documents. Empty documents (None) are skipped."""
    documents = [(index, doc) for index, doc in enumerate(docs) if doc is not None]
    if not documents:
        raise _error(source, (), "no documents: expected a ClusterProfile, a List of Nodes or Node objects")
    profiles = [index for index, doc in documents if isinstance(doc, Mapping) and doc.get("kind") == PROFILE_KIND]
    if profiles:
        if len(documents) > 1:
            raise _error(source, ("documents", profiles[0]), "a ClusterProfile must be the only document in its file")
        return cluster_from_profile(documents[0][1], source)
    builder = _ClusterBuilder(source)
    for index, doc in documents:
        # Paths name the document only when there are several.
        path = ("documents", index) if len(docs) > 1 else ()
        for item_path, item in _node_objects(doc, path, source):
            node = _node_from_object(item, item_path, source)
            builder.add(node, (*item_path, "metadata", "name"))
    if not builder.nodes:
        raise _error(source, (), "contains no Node objects")
    return builder.build()


def _node_objects(doc, path: tuple, source: str):
    """(path, Node object) pairs of one document: the Node itself or the items of a List."""
    if not isinstance(doc, Mapping):
        raise _error(source, path, f"expected a Kubernetes object, not {_json_type(doc)}")
    kind, api_version = doc.get("kind"), doc.get("apiVersion")
    if kind not in ("Node", "List", "NodeList"):
        raise _error(source, (*path, "kind"),
                     f"{kind!r} does not describe a cluster: expected {PROFILE_KIND}, Node or a List of Nodes")
    if api_version != "v1":
        raise _error(source, (*path, "apiVersion"), f"expected v1 for a {kind}, not {api_version!r}")
    if kind == "Node":
        return [(path, doc)]
    items = doc.get("items")
    if items is None:
        return []
    if not isinstance(items, list):
        raise _error(source, (*path, "items"), f"must be a list, not {_json_type(items)}")
    for index, item in enumerate(items):
        # Items of a typed NodeList from the API carry no kind; kubectl's List items do.
        item_kind = item.get("kind", "Node" if kind == "NodeList" else None) if isinstance(item, Mapping) else None
        if item_kind != "Node":
            raise _error(source, (*path, "items", index, "kind"), f"expected a Node, not {item_kind!r}")
    return [((*path, "items", index), item) for index, item in enumerate(items)]
