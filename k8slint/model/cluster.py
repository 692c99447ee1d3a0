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
from collections.abc import Iterable, Mapping, Sequence
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
# pools) may have. Pools are classes with a count, never one object per node, so these only refuse
# the absurd: Kubernetes counts a cluster's nodes in int32 fields (DaemonSetStatus
# desiredNumberScheduled, k8s.io/api apps/v1 types.go), so more than 2**31 - 1 nodes cannot be
# described (and it supports clusters of up to 5,000: kubernetes.io "Considerations for large
# clusters"). A cloud region has a handful of zones; each zone of --zones is one class of nodes.
MAX_NODES = 2**31 - 1
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
    """A node taint: key, value and effect."""

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
    """One node (a Node object, or one member of a `NodeClass` materialised for a check or a
    message). Clusters hold classes, not nodes: see `NodeClass`."""

    name: str
    # Excluded from the hash (a dict is unhashable); equal nodes still hash equally by name.
    labels: Mapping[str, str] = field(hash=False)
    taints: tuple[Taint, ...]
    pool: str | None = None

    def __post_init__(self) -> None:
        # Own copies: a Cluster is shared by every rule and must not change under them.
        object.__setattr__(self, "labels", dict(self.labels))
        object.__setattr__(self, "taints", tuple(self.taints))


class NameRange:
    """Generated member names ``<prefix><first>``, ``<prefix><first + step>`` ... (`count` of them),
    each also the node's hostname label; member j is node number ``base + first - 1 + step*j`` of
    the cluster (its place in the order the nodes were described)."""

    __slots__ = ("prefix", "first", "step", "count", "base")

    def __init__(self, prefix: str, first: int, step: int, count: int, base: int = 0) -> None:
        self.prefix, self.first, self.step, self.count, self.base = prefix, first, step, count, base

    def rebased(self, base: int) -> NameRange:
        return NameRange(self.prefix, self.first, self.step, self.count, base)

    def name(self, j: int) -> str:
        return f"{self.prefix}{self.first + self.step * j}"

    hostname = name  # generated nodes are labelled with their own name

    def order(self, j: int) -> int:
        return self.base + self.first - 1 + self.step * j

    def position(self, name) -> int | None:
        """The member j named (or hostname-labelled) `name`, or None."""
        if not isinstance(name, str) or not name.startswith(self.prefix):
            return None
        digits = name[len(self.prefix):]
        # Generated numbers are written without sign or leading zero; 30 digits exceed any count.
        if not digits or len(digits) > 30 or not (digits.isascii() and digits.isdigit()) or digits[0] == "0":
            return None
        j, remainder = divmod(int(digits) - self.first, self.step)
        return j if not remainder and 0 <= j < self.count else None

    positions_of_hostname = position


class NameList:
    """Explicit member names (Node objects, profile `nodes:`), their hostname labels (None: no
    such label) and their numbers in the cluster's node order."""

    __slots__ = ("names", "hostnames", "orders", "_index")

    def __init__(self, names: tuple, hostnames: tuple, orders: tuple) -> None:
        self.names, self.hostnames, self.orders = names, hostnames, orders
        self._index: dict | None = None

    @property
    def count(self) -> int:
        return len(self.names)

    def rebased(self, base: int) -> NameList:
        return NameList(self.names, self.hostnames, tuple(base + order for order in self.orders))

    def name(self, j: int) -> str:
        return self.names[j]

    def hostname(self, j: int) -> str | None:
        return self.hostnames[j]

    def order(self, j: int) -> int:
        return self.orders[j]

    def _positions(self) -> dict:
        if self._index is None:
            index: dict = {}
            for j, (name, hostname) in enumerate(zip(self.names, self.hostnames)):
                index.setdefault(("name", name), j)
                index.setdefault(("host", hostname), []).append(j)
            self._index = index
        return self._index

    def position(self, name) -> int | None:
        return self._positions().get(("name", name)) if isinstance(name, str) else None

    def positions_of_hostname(self, value) -> list[int]:
        return self._positions().get(("host", value), []) if isinstance(value, str) else []


class NodeClass:
    """Nodes with the same labels (but the hostname, which is per node), taints and pool: what the
    scheduler sees of them is the same, so every verdict about one holds for all ``count`` of them.
    Members are named by `members` (a `NameRange` for pools of any size, a `NameList` for nodes
    described one by one); a pool of a billion nodes is one object."""

    __slots__ = ("labels", "taints", "pool", "members", "has_hostname")

    def __init__(self, labels: Mapping[str, str], taints: tuple[Taint, ...], pool: str | None,
                 members: NameRange | NameList, has_hostname: bool = True) -> None:
        self.labels = {k: v for k, v in labels.items() if k != HOSTNAME_LABEL}
        self.taints = tuple(taints)
        self.pool = pool
        self.members = members
        self.has_hostname = has_hostname  # every member carries kubernetes.io/hostname

    @property
    def count(self) -> int:
        return self.members.count

    @property
    def generated(self) -> bool:
        """Members named by a range: each hostname is its own name, unique in the cluster."""
        return isinstance(self.members, NameRange)

    def node(self, j: int) -> Node:
        """Member j as a Node (labels with its hostname)."""
        labels = dict(self.labels)
        hostname = self.members.hostname(j)
        if hostname is not None:
            labels[HOSTNAME_LABEL] = hostname
        return Node(self.members.name(j), labels, self.taints, self.pool)

    def __repr__(self) -> str:
        return f"NodeClass({self.count} x {self.members.name(0) if self.count else '-'}, pool={self.pool})"


class Cluster:
    """The nodes workloads are checked against, as classes of identical nodes (`classes`).

    Built from `NodeClass`es (pools of any size) and/or single `Node`s, which are grouped into
    classes here (nodes with the same labels but the hostname, the same taints and pool).
    ``source`` describes it in messages ("cluster profile prod.yaml", "--nodes 3 --zones 2");
    ``labels_known`` is False for the identical synthetic nodes of --nodes/--zones, whose labels are
    placeholders: nodeSelector and node affinity cannot be judged against them."""

    def __init__(self, nodes: Iterable[Node | NodeClass] = (), source: str = "", labels_known: bool = True) -> None:
        self.source = source
        self.labels_known = labels_known
        entries: list = []  # NodeClass, or the key of a group of single nodes
        groups: dict = {}
        counter = 0
        for item in nodes:
            if isinstance(item, NodeClass):
                # Its members' numbers are as given: the classes of one pool interleave (zones).
                if item.count:
                    entries.append(item)
                counter += item.count
                continue
            hostname = item.labels.get(HOSTNAME_LABEL)
            labels = tuple(sorted((k, v) for k, v in item.labels.items() if k != HOSTNAME_LABEL))
            key = (labels, hostname is not None, item.taints, item.pool)
            group = groups.get(key)
            if group is None:
                group = groups[key] = (item, [], [], [])
                entries.append(key)
            group[1].append(item.name)
            group[2].append(hostname)
            group[3].append(counter)
            counter += 1
        classes = []
        for entry in entries:
            if isinstance(entry, NodeClass):
                classes.append(entry)
            else:
                first, names, hostnames, orders = groups[entry]
                classes.append(NodeClass(first.labels, first.taints, first.pool,
                                         NameList(tuple(names), tuple(hostnames), tuple(orders)), entry[1]))
        self.classes: tuple[NodeClass, ...] = tuple(classes)
        self.node_count: int = counter
        self._names: dict | None = None

    def find(self, name) -> tuple[int, int] | None:
        """(class position, member j) of the node named `name`, or None."""
        if not isinstance(name, str):
            return None
        if self._names is None:
            self._names = {}
            for position, node_class in enumerate(self.classes):
                if not node_class.generated:
                    for j, member in enumerate(node_class.members.names):
                        self._names.setdefault(member, (position, j))
        found = self._names.get(name)
        if found is not None:
            return found
        for position, node_class in enumerate(self.classes):
            if node_class.generated:
                j = node_class.members.position(name)
                if j is not None:
                    return position, j
        return None

    @property
    def nodes(self) -> Sequence[Node]:
        """Every node, materialised one by one in the order described: for small clusters (tests,
        references). Rules work on `classes` (k8slint.model.scheduling.NodeSet)."""
        return _NodeView(self)

    def pools(self) -> dict[str, int]:
        """Node count by pool, in first-seen order; a node without a pool is its own group (by name)."""
        firsts: list = []
        for node_class in self.classes:
            if node_class.pool is not None:
                firsts.append((node_class.members.order(0), node_class.pool, node_class.count))
            else:
                firsts.extend((node_class.members.order(j), node_class.members.name(j), 1)
                              for j in range(node_class.count))
        groups: dict[str, int] = {}
        for _, name, count in sorted(firsts, key=lambda item: item[0]):
            groups[name] = groups.get(name, 0) + count
        return groups

    def __repr__(self) -> str:
        return f"Cluster({self.source!r}, {self.node_count} nodes in {len(self.classes)} classes)"


class _NodeView(Sequence):
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def __len__(self) -> int:
        return self.cluster.node_count

    def __iter__(self):
        import heapq

        def members(node_class):
            return ((node_class.members.order(j), j, node_class) for j in range(node_class.count))

        for _, j, node_class in heapq.merge(*(members(c) for c in self.cluster.classes), key=lambda t: t[0]):
            yield node_class.node(j)

    def __getitem__(self, index):
        items = list(self)
        return tuple(items[index]) if isinstance(index, slice) else items[index]

    def __eq__(self, other) -> bool:
        return tuple(self) == tuple(other)


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
    """`nodes` identical untainted nodes node-1..node-N, spread round-robin over zone-a, zone-b...:
    one class per zone (node-i is in zone (i-1) mod Z), whatever N."""
    if isinstance(nodes, bool) or not isinstance(nodes, int) or nodes < 0:
        raise ValueError(f"node count must be a non-negative integer, not {nodes!r}")
    if isinstance(zones, bool) or not isinstance(zones, int) or zones < 1:
        raise ValueError(f"zone count must be a positive integer, not {zones!r}")
    if nodes > MAX_NODES:
        raise ClusterProfileError(f"--nodes {_shown(nodes)}: at most {MAX_NODES:,} nodes can be modelled "
                                  f"(Kubernetes counts nodes in 32-bit integers)")
    if zones > MAX_ZONES:
        raise ClusterProfileError(f"--zones {_shown(zones)}: at most {MAX_ZONES:,} zones can be modelled")
    classes = []
    for index in range(min(zones, nodes)):
        count = nodes // zones + (1 if index < nodes % zones else 0)
        labels = _node_labels("", f"zone-{_letters(index)}", None)
        classes.append(NodeClass(labels, (), None, NameRange("node-", index + 1, zones, count)))
    return Cluster(classes, f"--nodes {nodes} --zones {zones}", labels_known=False)


def _shown(number: int) -> str:
    """A number for a message: a 5,000-digit one is cut."""
    text = str(number)
    return text if len(text) <= 30 else f"{text[:12]}...({len(text)} digits)"


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
    """Validate a ClusterProfile document against ``cluster.schema.json`` and build its classes.

    Pool nodes are named ``<pool>-<i>`` (1-based) and spread round-robin over the pool's zones: one
    class per zone of a pool, whatever its count (never one object per node).
    """
    _validate_profile(data, source)
    _check_size(data, source)
    entries: list = []
    ranges: dict[str, list[tuple[NameRange, tuple]]] = {}  # name prefix -> the pools' ranges
    pool_names: set[str] = set()
    base = 0  # nodes of the pools before this one
    for pool_index, pool in enumerate(data.get("pools") or ()):
        path = ("pools", pool_index)
        name = pool["name"]
        if name in pool_names:
            raise _error(source, (*path, "name"), f"duplicate pool name {name!r}")
        pool_names.add(name)
        zones = pool.get("zones") or ([pool["zone"]] if "zone" in pool else [None])
        taints = _profile_taints(pool.get("taints") or (), (*path, "taints"), source)
        count = pool["count"]
        for index, zone in enumerate(zones[:count]):
            members = NameRange(f"{name}-", index + 1, len(zones),
                                count // len(zones) + (index < count % len(zones)), base)
            ranges.setdefault(members.prefix, []).append((members, path))
            entries.append(NodeClass(_node_labels("", zone, pool.get("labels")), taints, name, members))
        base += count
    where: dict[str, str] = {}
    for node_index, spec in enumerate(data.get("nodes") or ()):
        path = ("nodes", node_index)
        taints = _profile_taints(spec.get("taints") or (), (*path, "taints"), source)
        if spec.get("unschedulable"):
            taints = _with_unschedulable_taint(taints)
        node_name = spec["name"]
        here = format_path((*path, "name"))
        clash = where.get(node_name)
        cut = node_name.rfind("-")
        for members, pool_path in ranges.get(node_name[:cut + 1], ()) if cut >= 0 else ():
            if members.position(node_name) is not None:
                clash = format_path(pool_path)
        if clash is not None:
            raise _error(source, (*path, "name"), f"node name {node_name!r} is already used by {clash}")
        where[node_name] = here
        labels = _node_labels(node_name, spec.get("zone"), spec.get("labels"))
        entries.append(Node(node_name, labels, taints, pool=spec.get("pool")))
    return Cluster(entries, source)


def _check_size(data, source: str) -> None:
    """Refuse a profile whose pools add up to more than MAX_NODES nodes (absurd, see MAX_NODES)."""
    total = len(data.get("nodes") or ())
    for index, pool in enumerate(data.get("pools") or ()):
        total += pool["count"]
        if total > MAX_NODES:
            raise _error(source, ("pools", index, "count"),
                         f"{_shown(pool['count'])}: the profile would have more than {MAX_NODES:,} nodes, more "
                         f"than can be modelled (Kubernetes counts nodes in 32-bit integers)")


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
    # jsonschema is slow to import; only runs that load a profile pay for it. The strict validator's
    # integers are ints: JSON Schema calls 2.0 (and 1e9) an integer, but a count is a whole number.
    from k8slint.config import strict_validator

    return strict_validator(load_schema(PROFILE_SCHEMA))


def _describe(source: str, error) -> str:
    """One schema violation as "<source>: <path>: <what>", readable without the schema at hand."""
    if error.validator in ("not", "anyOf", "oneOf") and "description" in error.schema:
        # These constraints carry their explanation as the description of the subschema.
        what = error.schema["description"]
    elif error.validator == "pattern" and "title" in error.schema:
        what = f"{error.instance!r} is not a valid {error.schema['title']}"
    elif error.validator == "type" and error.validator_value == "integer" and isinstance(error.instance, float):
        what = f"{error.instance!r} is not an integer: write a whole number without a decimal point or exponent"
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
