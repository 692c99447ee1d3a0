"""The inventory: what cross-object rules see. Compact copies of the workloads, Services, PDBs, HPAs
and Nodes of the run, without positions and without the fields no cross-object rule reads, sharing
equal strings and containers; and the cluster the Node objects among them describe."""

from __future__ import annotations

from dataclasses import dataclass, field

from k8slint.loader import compact, native_function
from k8slint.model.objects import (
    CustomResource, CustomResourceDefinition, HorizontalPodAutoscaler, K8sObject, Node, PodDisruptionBudget,
    PodSource, Service, Workload,
)


INVENTORY_TYPES = (Workload, Service, PodDisruptionBudget, HorizontalPodAutoscaler, Node, PodSource, CustomResource,
                   CustomResourceDefinition)


@dataclass
class Inventory:
    """Compact copies of the objects cross-object rules reason about, in input order."""

    objects: list[K8sObject] = field(default_factory=list)
    _lists: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def of(self, *types: type) -> list:
        """The objects of ``types`` in input order: a new list on each call (the caller may change
        it), copied from the one made by the first call (a dozen rules ask for the same kinds)."""
        state = (id(self.objects), len(self.objects))
        known = self._lists.get(types)
        if known is None or known[0] != state:
            known = self._lists[types] = (state, [obj for obj in self.objects if isinstance(obj, types)])
        return list(known[1])

    @property
    def workloads(self) -> list[Workload]:
        return self.of(Workload)

    @property
    def nodes(self) -> list[Node]:
        return self.of(Node)


def positions_deferred(obj: K8sObject) -> bool:
    """Whether ``obj`` is an inventory copy without positions (its findings are placed at the end
    of the run by locate_deferred, from ``obj.where`` and ``obj.offset``)."""
    return obj.offset is not None


# Strings and containers already copied in this process, shared by the copies that follow (reset
# by run()): the inventory holds one copy of "kubernetes.io/hostname", and one of each identical
# toleration, probe, resources or affinity block, however many workloads repeat them. Both tables
# are bounded: sharing saves memory, and a table that grew with the input would cost it back.
_SHARED_STRINGS: dict = {}


_SHARED_CONTAINERS: dict = {}  # structural hash -> the first copy with that content


# Entries (~5,000 workloads' worth) before a table is emptied. Measured at 100,000 documents
# (benchmarks/bench.py --rss-docs): 200,000 entries held ~10 MiB more at the per-file peak, and
# each emptying of tables that large left freed memory scattered among the copies (peak RSS
# ~18 MiB higher); the copies the smaller tables fail to share cost ~1.5 MiB.
_SHARED_TABLE_LIMIT = 50_000


def forget_shared() -> None:
    """Empty the sharing tables (at the start and end of a run)."""
    _SHARED_STRINGS.clear()
    _SHARED_CONTAINERS.clear()


# Fields cross-object rules do not read unless they say so, dropped from inventory copies: a rule
# that reads one declares it (``@rule(..., reads=["container.env"])``; "pod.<field>" for the pod
# spec's). A test runs every rule on the fixtures and the corpus with and without this pruning and
# compares the findings. "*" applies to list items.
_DROPPED_CONTAINER_FIELDS = dict.fromkeys((
    "env", "envFrom", "volumeMounts", "volumeDevices", "lifecycle", "securityContext",
    "livenessProbe", "imagePullPolicy", "terminationMessagePath", "terminationMessagePolicy", "workingDir",
    "stdin", "stdinOnce", "tty"), True)


_DROPPED_POD_SPEC_FIELDS = {
    **dict.fromkeys(("volumes", "terminationGracePeriodSeconds", "serviceAccountName", "serviceAccount",
                     "automountServiceAccountToken", "imagePullSecrets", "dnsConfig", "securityContext",
                     "hostAliases"), True),
    **{section: {"*": _DROPPED_CONTAINER_FIELDS}
       for section in ("containers", "initContainers", "ephemeralContainers")},
}


_K8SLINT_ANNOTATIONS_ONLY = object()  # keep only k8slint.io/ annotations (the ignore annotation)


_DROP_SPECS: dict[tuple, dict] = {}  # (object class, fields kept) -> drop spec
# What a rule may name in ``reads``.
DROPPABLE = frozenset([f"container.{name}" for name in _DROPPED_CONTAINER_FIELDS]
                      + [f"pod.{name}" for name, drop in _DROPPED_POD_SPEC_FIELDS.items() if drop is True])


_native_copy = native_function("shared_copy")


def _drop_spec(obj: K8sObject, kept: frozenset = frozenset()) -> dict:
    """What to leave out of the inventory copy of an object of this class, but for the ``kept``
    fields (those the run's cross-object rules declare they read)."""
    cls = type(obj)
    spec = _DROP_SPECS.get((cls, kept))
    if spec is None:
        annotations = True if isinstance(obj, HorizontalPodAutoscaler) else _K8SLINT_ANNOTATIONS_ONLY
        spec = {"status": True, "metadata": {"managedFields": True, "annotations": annotations}}
        if isinstance(obj, HorizontalPodAutoscaler):  # its metrics may live in annotations (v1)
            del spec["metadata"]["annotations"]
        if isinstance(obj, Workload):
            template = spec
            for step in obj.TEMPLATE_PATH:
                template = template.setdefault(step, {})
            if obj.TEMPLATE_PATH:  # a Pod's own metadata stays as it is
                template["metadata"] = {"annotations": True}
            template["spec"] = _pod_spec_drops(kept)
        _DROP_SPECS[cls, kept] = spec
    return spec


def _pod_spec_drops(kept: frozenset) -> dict:
    if not kept:
        return _DROPPED_POD_SPEC_FIELDS
    containers = {name: True for name in _DROPPED_CONTAINER_FIELDS if f"container.{name}" not in kept}
    return {**{name: drop for name, drop in _DROPPED_POD_SPEC_FIELDS.items()
               if drop is True and f"pod.{name}" not in kept},
            **{section: {"*": containers} for section in ("containers", "initContainers", "ephemeralContainers")}}


def kept_fields(set_rules) -> frozenset:
    """The droppable fields the given cross-object rules read."""
    return frozenset(field for rule in set_rules for field in rule.reads)


def inventory_copy(obj: K8sObject, where: tuple = (), lazy_positions: bool = True,
                   offset: int = -1, kept: frozenset = frozenset()) -> K8sObject:
    """A compact copy of ``obj`` without the fields no cross-object rule reads.

    Memory (measured with benchmarks/bench.py): copies that keep every position as tuples cost
    ~45 KB per Deployment; without positions, with shared strings and containers, a few KB.
    Positions of set-rule findings are found again at the end of the run (locate_deferred).
    """
    if not lazy_positions:  # standard input: small, and read once, so its copies keep positions
        return type(obj)(compact(obj.root), obj.file, obj.doc_index, obj.doc_line)
    if len(_SHARED_STRINGS) > _SHARED_TABLE_LIMIT:
        _SHARED_STRINGS.clear()
    if len(_SHARED_CONTAINERS) > _SHARED_TABLE_LIMIT:
        _SHARED_CONTAINERS.clear()
    if _native_copy is not None:  # the same copy, made in C (k8slint/_k8slint_yaml.c)
        root = _native_copy(obj.root, _drop_spec(obj, kept), _SHARED_STRINGS, _SHARED_CONTAINERS, _KEY_CLASSES,
                            _key_class, _K8SLINT_ANNOTATIONS_ONLY)
    else:
        root = _shared_copy(obj.root, _drop_spec(obj, kept), _SHARED_STRINGS, _SHARED_CONTAINERS)
    return without_positions(type(obj), root, obj.file, obj.doc_index, obj.doc_line, where, offset)


def without_positions(cls: type, root: dict, file: str, doc_index: int, doc_line: int, where: tuple,
                       offset: int) -> K8sObject:
    copy = cls(root, file, doc_index, doc_line)
    copy.where, copy.offset = where, offset
    return copy


def _shared_copy(value, drop, strings: dict, containers: dict):
    """Deep copy as plain dicts and lists without the ``drop``ped fields, sharing equal strings
    and equal containers (children are shared first, so a container's content is its keys, its
    scalars and the identity of its children)."""
    if isinstance(value, dict):
        out = {}
        signature = [dict]  # built in the same pass: keys, then a child's id or a scalar's type and value
        for key, item in value.items():
            sub = drop.get(key) if drop else None
            if sub is True:
                continue
            if isinstance(item, (dict, list)):
                if sub is _K8SLINT_ANNOTATIONS_ONLY:
                    if isinstance(item, dict):
                        item = {k: v for k, v in item.items() if isinstance(k, str) and k.startswith("k8slint.io/")}
                    sub = None
                item = _shared_copy(item, sub, strings, containers)
                signature += (key, id(item))
            else:
                if type(item) is str:
                    item = strings.setdefault(item, item)
                signature += (key, type(item), item)
            out[strings.setdefault(key, key)] = item
        return _shared(_key_sharing(out), signature, containers)
    if isinstance(value, list):
        sub = drop.get("*") if drop else None
        out_list = []
        signature = [list]
        for item in value:
            if isinstance(item, (dict, list)):
                item = _shared_copy(item, sub, strings, containers)
                signature.append(id(item))
            else:
                if type(item) is str:
                    item = strings.setdefault(item, item)
                signature += (type(item), item)
            out_list.append(item)
        return _shared(out_list, signature, containers)
    return value


# One class per key tuple whose instances' __dict__ gives key-sharing dicts (PEP 412): the
# copies of thousands of metadata, selector or container mappings with the same keys share one key
# table, and each costs ~110 bytes instead of ~190 (measured on CPython 3.11). They are ordinary
# dicts in every other way; on an interpreter that does not share keys they simply cost the same.
_KEY_CLASSES: dict[tuple, type] = {}


_KEY_CLASSES_LIMIT = 5_000


_MAX_SHARED_KEYS = 30  # CPython shares at most this many keys per class


def _key_class(keys: tuple) -> type | None:
    """The class whose instances' __dict__ share ``keys`` (None: keep a plain dict)."""
    cls = _KEY_CLASSES.get(keys)
    if cls is None:
        if not keys or len(keys) > _MAX_SHARED_KEYS or len(_KEY_CLASSES) >= _KEY_CLASSES_LIMIT \
                or not all(type(k) is str for k in keys):
            return None
        cls = _KEY_CLASSES[keys] = type("_SharedKeys", (), {})
    return cls


def _key_sharing(mapping: dict) -> dict:
    cls = _key_class(tuple(mapping))
    if cls is None:
        return mapping
    shared = cls().__dict__
    for key, value in mapping.items():  # one by one: update() would copy the plain key table
        shared[key] = value
    return shared


def _shared(container, signature: list, containers: dict):
    """The copy already made of a container with the same content, or ``container`` itself."""
    try:
        key = hash(tuple(signature))
    except TypeError:  # pragma: no cover - composed scalars are hashable
        return container
    known = containers.get(key)
    if known is None:
        containers[key] = container
        return container
    if type(known) is type(container) and len(known) == len(container) and _same_content(known, container):
        return known
    return container  # a hash collision: keep the first one shared, this one apart


def _same_content(known, container) -> bool:
    pairs = zip(known.items(), container.items()) if type(known) is dict else \
        (((None, a), (None, b)) for a, b in zip(known, container))
    for (k1, v1), (k2, v2) in pairs:
        if k1 != k2 or type(v1) is not type(v2):
            return False
        if isinstance(v1, (dict, list)):
            if v1 is not v2:
                return False
        elif v1 != v2:
            return False
    return True


def cluster_from_nodes(nodes: list[Node]):
    """The cluster described by Node objects among the linted files (None without any); a Node
    that cannot be modelled (no name, malformed taints) is left out."""
    if not nodes:
        return None
    from k8slint.model.cluster import Cluster, ClusterProfileError, node_from_object

    modelled = {}
    for obj in nodes:
        try:
            node = node_from_object(obj.root)
        except ClusterProfileError:
            continue
        modelled.setdefault(node.name, node)
    return Cluster(tuple(modelled.values()), "Node objects in the linted files") if modelled else None


def object_classes() -> dict[str, type]:
    """K8sObject and its subclasses by class name (they are unique)."""
    found, pending = {}, [K8sObject]
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    return found
