"""Typed, read-only views over composed documents.

A view never copies its document and never raises on a value of the wrong type: accessors return
the default instead, and the ``invalid-field-type`` rule reports the value. Every view knows the
field path of what it wraps, so a rule can say *where* as a path and the findings layer turns that
path into a line and column.
"""

from __future__ import annotations

import re
from typing import Any

Path = tuple  # field path: keys and list indexes, e.g. ("spec", "template", "spec", "containers", 0)

_MISSING = object()


def dig(value, path: Path, default=None):
    """Follow ``path`` through mappings and sequences; ``default`` where it breaks off."""
    for step in path:
        if type(step) is int:
            if isinstance(value, list) and -len(value) <= step < len(value):
                value = value[step]
                continue
            return default
        if isinstance(value, dict):
            value = value.get(step, _MISSING)
            if value is _MISSING:
                return default
            continue
        return default
    return value


ABSENT = object()  # what walk() yields for a missing last key, when asked to


class FieldKey(str):
    """The last step of a field path that means the key itself rather than its value: a finding
    about the name of a field (an unknown field) points at the key, not at what follows it."""

    __slots__ = ()


class FieldValue(str):
    """The last step of a field path that means the value even when it is a mapping or a list
    (a path to a container points at its key otherwise): a finding about a value's type points at
    the value."""

    __slots__ = ()


def walk(value, pattern: Path, path: Path = (), report_absent: bool = False) -> list:
    """(path, value) for every place ``pattern`` reaches from ``value`` (which sits at ``path``);
    ``"*"`` in the pattern stands for every item of a list. With ``report_absent``, a missing
    last key of a mapping gives ``(its path, ABSENT)``. A list, in document order: rules call this
    for every field they check, and plain descent in a loop costs a fraction of nested generators."""
    found: list = []
    _walk_into(value, pattern, 0, path, report_absent, found)
    return found


def _walk_into(value, pattern: Path, index: int, path: Path, report_absent: bool, found: list) -> None:
    last = len(pattern) - 1
    while index <= last:
        step = pattern[index]
        if step == "*":
            if isinstance(value, list):
                for position, item in enumerate(value):
                    _walk_into(item, pattern, index + 1, path + (position,), report_absent, found)
            return
        if isinstance(value, dict) and step in value:
            value, path, index = value[step], path + (step,), index + 1
            continue
        if report_absent and index == last and isinstance(value, dict):
            found.append((path + (step,), ABSENT))
        return
    found.append((path, value))


def as_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def as_list(value) -> list:
    return value if isinstance(value, list) else []


def as_int(value, default=None):
    """An integer field (YAML ``1e3`` arrives as the float 1000.0, which JSON turns into 1000)."""
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    return default


INT32_MAX = 2**31 - 1


def as_count(value, default=None):
    """A replica count as the API server accepts it: an int32 (the field's Go type; a larger
    number fails to decode) that is not negative (``ValidateNonnegativeField``, pkg/apis/apps/
    validation). Anything else is ``default``: rules treat it as unknown, and ``invalid-field-type``
    reports it."""
    number = as_int(value)
    return number if number is not None and 0 <= number <= INT32_MAX else default


_NEEDS_QUOTES = re.compile(r"[.\[\] ]").search


_SHOWN_KEYS: dict[str, str] = {}  # a key -> ".key" as format_path writes it (every finding has a path)


def format_path(path: Path) -> str:
    """``("spec", "containers", 0, "name")`` -> ``spec.containers[0].name``."""
    out = []
    for step in path:
        if type(step) is int:
            out.append(f"[{step}]")
            continue
        shown = _SHOWN_KEYS.get(step) if type(step) is str else None
        if shown is None:
            text = str(step)
            if not text or _NEEDS_QUOTES(text):
                text = f'"{text}"'  # keys like app.kubernetes.io/name stay readable
            shown = "." + text
            if type(step) is str and len(_SHOWN_KEYS) < 4096:
                _SHOWN_KEYS[step] = shown
        out.append(shown)
    joined = "".join(out)
    return joined[1:] if joined[:1] == "." and type(path[0]) is not int else joined


class K8sObject:
    """Any Kubernetes object: identity and metadata."""

    __slots__ = ("root", "file", "doc_index", "doc_line", "api_version", "kind", "name", "namespace",
                 "duplicate_keys", "where", "offset")

    def __init__(self, root: dict, file: str, doc_index: int, doc_line: int) -> None:
        self.root = root
        # (field path, DuplicateKey) for mapping keys written twice in this object's YAML: the
        # loader keeps the last value, as the API server would receive it (see duplicate-key)
        self.duplicate_keys: tuple = ()
        # Set on the engine's inventory copies, whose root keeps no positions: the object's path in
        # its document (``()``, or ``("items", n)`` in a ``kind: List``) and the offset in the file's
        # text where the document's first line starts (-1: unknown, or a document with a key written
        # twice, which is then read whole: see engine/locate.py). None: positions are in root.
        self.where: tuple = ()
        self.offset: int | None = None
        self.file = file
        self.doc_index = doc_index
        self.doc_line = doc_line
        api_version = root.get("apiVersion")
        kind = root.get("kind")
        self.api_version = api_version if isinstance(api_version, str) else ""
        self.kind = kind if isinstance(kind, str) else ""
        metadata = root.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        name = metadata.get("name") or metadata.get("generateName")
        namespace = metadata.get("namespace")
        self.name = name if isinstance(name, str) else ""
        self.namespace = namespace if isinstance(namespace, str) else ""

    def get(self, *path, default=None):
        return dig(self.root, path, default)

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def metadata(self) -> dict:
        return as_dict(self.root.get("metadata"))

    @property
    def labels(self) -> dict:
        return as_dict(self.metadata.get("labels"))

    @property
    def annotations(self) -> dict:
        return as_dict(self.metadata.get("annotations"))

    @property
    def display_name(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    def __repr__(self) -> str:
        return f"<{self.kind} {self.display_name} {self.file}#{self.doc_index}>"


class Container:
    """One entry of ``containers``, ``initContainers`` or ``ephemeralContainers``."""

    __slots__ = ("data", "path", "section", "index")

    def __init__(self, data: dict, path: Path, section: str, index: int) -> None:
        self.data = data
        self.path = path
        self.section = section  # "containers" | "initContainers" | "ephemeralContainers"
        self.index = index

    @property
    def name(self) -> str:
        name = self.data.get("name")
        return name if isinstance(name, str) else f"#{self.index}"

    @property
    def is_init(self) -> bool:
        return self.section == "initContainers"

    @property
    def is_sidecar(self) -> bool:
        """An init container with ``restartPolicy: Always`` runs for the pod's whole life."""
        return self.is_init and self.data.get("restartPolicy") == "Always"

    @property
    def long_running(self) -> bool:
        return self.section == "containers" or self.is_sidecar

    def probe(self, kind: str) -> dict | None:
        """``kind`` is "readiness", "liveness" or "startup"; None when absent or not a mapping."""
        value = self.data.get(kind + "Probe")
        return value if isinstance(value, dict) else None

    def has(self, field: str) -> bool:
        return self.data.get(field) is not None

    @property
    def ports(self) -> list[dict]:
        return [p for p in as_list(self.data.get("ports")) if isinstance(p, dict)]

    @property
    def resources(self) -> dict:
        return as_dict(self.data.get("resources"))


class PodTemplate:
    """A pod template (or a bare Pod's own metadata and spec) inside an object.

    Made once per object (Workload.pod_template) and read by most rules, so what every rule asks
    for (spec, labels, containers) is computed once, here."""

    __slots__ = ("data", "path", "spec", "labels", "_containers")

    def __init__(self, data: dict, path: Path) -> None:
        self.data = data  # the mapping holding ``metadata`` and ``spec``
        self.path = path
        spec = data.get("spec")
        self.spec: dict = spec if isinstance(spec, dict) else {}
        metadata = data.get("metadata")
        labels = metadata.get("labels") if isinstance(metadata, dict) else None
        self.labels: dict = labels if isinstance(labels, dict) else {}
        self._containers: list | None = None

    @property
    def spec_path(self) -> Path:
        return self.path + ("spec",)

    def containers(self, *sections: str) -> list[Container]:
        """Containers of the given sections (default: all three), in source order."""
        found = self._containers
        if found is None:
            found = self._containers = []
            spec, spec_path = self.spec, self.spec_path
            for section in ("containers", "initContainers", "ephemeralContainers"):
                items = spec.get(section)
                if isinstance(items, list):
                    for index, data in enumerate(items):
                        if isinstance(data, dict):
                            found.append(Container(data, spec_path + (section, index), section, index))
        return [c for c in found if c.section in sections] if sections else found

    @property
    def restart_policy(self) -> str:
        policy = self.spec.get("restartPolicy")
        return policy if isinstance(policy, str) else "Always"

    @property
    def tolerations(self) -> list:
        return as_list(self.spec.get("tolerations"))

    @property
    def affinity(self) -> dict:
        return as_dict(self.spec.get("affinity"))

    @property
    def node_selector(self) -> dict:
        return as_dict(self.spec.get("nodeSelector"))


class Workload(K8sObject):
    """An object that runs pods from a template."""

    __slots__ = ("_pod_template",)
    TEMPLATE_PATH: Path = ("spec", "template")
    LONG_RUNNING = True  # pods are meant to run forever and serve (not run to completion)
    DEFAULT_REPLICAS: int | None = 1

    @property
    def pod_template(self) -> PodTemplate:
        # Made on first use and kept: a run asks for it dozens of times per object, across rules.
        try:
            return self._pod_template
        except AttributeError:
            template = self._pod_template = PodTemplate(as_dict(dig(self.root, self.TEMPLATE_PATH)),
                                                        self.TEMPLATE_PATH)
            return template

    @property
    def spec(self) -> dict:
        return as_dict(self.root.get("spec"))

    @property
    def replicas(self) -> int | None:
        """Desired replicas as the controller sees them (``spec.replicas``, defaulted)."""
        if self.DEFAULT_REPLICAS is None:
            return None
        value = self.spec.get("replicas")
        return self.DEFAULT_REPLICAS if value is None else as_count(value)

    @property
    def selector(self):
        return self.spec.get("selector")


class Deployment(Workload):
    __slots__ = ()

    @property
    def strategy(self) -> dict | None:
        value = self.spec.get("strategy")
        return value if isinstance(value, dict) else None


class ReplicaSet(Workload):
    __slots__ = ()


class ReplicationController(Workload):
    __slots__ = ()


class StatefulSet(Workload):
    __slots__ = ()


class DaemonSet(Workload):
    __slots__ = ()
    DEFAULT_REPLICAS = None  # one pod per eligible node


class Rollout(Workload):
    """Argo Rollouts (argoproj.io/v1alpha1): a Deployment with blueGreen or canary strategies."""

    # A Rollout may reference a Deployment's template instead (workloadRef): then it has none,
    # and pod_template is an empty one.
    __slots__ = ()


class Job(Workload):
    __slots__ = ()
    LONG_RUNNING = False
    DEFAULT_REPLICAS = None


class CronJob(Workload):
    __slots__ = ()
    TEMPLATE_PATH = ("spec", "jobTemplate", "spec", "template")
    LONG_RUNNING = False
    DEFAULT_REPLICAS = None


class Pod(Workload):
    __slots__ = ()
    TEMPLATE_PATH = ()
    DEFAULT_REPLICAS = None

    @property
    def LONG_RUNNING(self) -> bool:  # noqa: N802 - the class attribute of other workloads
        return self.pod_template.restart_policy == "Always"


class PodTemplateObject(Workload):
    """The ``PodTemplate`` kind: a template without a controller."""

    __slots__ = ()
    TEMPLATE_PATH = ("template",)
    LONG_RUNNING = False
    DEFAULT_REPLICAS = None


class Service(K8sObject):
    __slots__ = ()

    @property
    def selector(self) -> dict | None:
        value = dig(self.root, ("spec", "selector"))
        return value if isinstance(value, dict) else None


class PodDisruptionBudget(K8sObject):
    __slots__ = ()


class HorizontalPodAutoscaler(K8sObject):
    __slots__ = ()

    @property
    def target(self) -> tuple[str, str]:
        ref = as_dict(dig(self.root, ("spec", "scaleTargetRef")))
        kind, name = ref.get("kind"), ref.get("name")
        return (kind if isinstance(kind, str) else "", name if isinstance(name, str) else "")

    @property
    def min_replicas(self) -> int:
        value = dig(self.root, ("spec", "minReplicas"))
        return 1 if value is None else as_count(value, 1)

    @property
    def max_replicas(self) -> int | None:
        return as_count(dig(self.root, ("spec", "maxReplicas")))


class Node(K8sObject):
    __slots__ = ()


class CustomResource(K8sObject):
    """An object of a group Kubernetes does not define (one with a dot in its name, as
    CustomResourceDefinitions require): its schema is its CustomResourceDefinition's."""

    __slots__ = ()


# Custom resources that k8slint reads itself (a Rollout as a workload): the rules that know them
# check them without their CustomResourceDefinition, so none is needed for them to be checked.
READ_NATIVELY = frozenset({("argoproj.io", "Rollout")})


def read_natively(api_version: str, kind: str) -> bool:
    """Whether k8slint reads objects of this apiVersion and kind itself (see READ_NATIVELY)."""
    return (api_version.rpartition("/")[0], kind) in READ_NATIVELY


class CustomResourceDefinition(K8sObject):
    """An apiextensions.k8s.io CustomResourceDefinition: the schema of a custom resource's kind."""

    __slots__ = ()


class PodSource(K8sObject):
    """A custom resource that an operator may turn into pods (a Prometheus or Alertmanager of the
    Prometheus operator, a Kafka of Strimzi, an Elasticsearch of ECK, an OpenShift DeploymentConfig,
    a Knative Service...): k8slint does not model its pods, so "nothing matches this selector" can
    not be claimed while one of these is next to the selector. When the resource carries a pod
    template (``spec.template.metadata.labels``, as a DeploymentConfig does), its pods' labels are
    known and it is evidence only for selectors that match them."""

    __slots__ = ()

    @property
    def template_labels(self) -> dict | None:
        labels = dig(self.root, ("spec", "template", "metadata", "labels"))
        return labels if isinstance(labels, dict) else None

    def identity_only(self) -> "PodSource":
        """The same resource with nothing but what cross-object rules read of it (for the inventory)."""
        root = {"apiVersion": self.api_version, "kind": self.kind,
                "metadata": {"name": self.name, "namespace": self.namespace}}
        if self.namespace == "":
            del root["metadata"]["namespace"]
        labels = self.template_labels
        if labels is not None:
            root["spec"] = {"template": {"metadata": {"labels": dict(labels)}}}
        return PodSource(root, self.file, self.doc_index, self.doc_line)


# Custom resource kinds whose operators create pods (group, kind); any other custom resource counts
# when its spec has a field that describes pods (_POD_SPEC_KEYS).
_POD_CREATING_KINDS = frozenset({
    ("monitoring.coreos.com", k) for k in ("Prometheus", "Alertmanager", "ThanosRuler", "PrometheusAgent")} | {
    ("apps.openshift.io", "DeploymentConfig"), ("serving.knative.dev", "Service"),
    ("serving.knative.dev", "Configuration"), ("serving.knative.dev", "Revision"),
    ("argoproj.io", "Workflow"), ("argoproj.io", "CronWorkflow"), ("argoproj.io", "Experiment"),
    ("argoproj.io", "AnalysisRun"), ("argoproj.io", "Sensor"), ("argoproj.io", "EventSource"),
    ("gateway.networking.k8s.io", "Gateway"), ("networking.istio.io", "Gateway"),
})
_POD_SPEC_KEYS = frozenset(("replicas", "template", "podTemplate", "podSpec", "containers", "image", "nodeSets",
                            "instances", "members", "size", "workers", "workerGroupSpecs", "headGroupSpec",
                            "driver", "executor", "jobManager", "taskManager"))
# API groups that Kubernetes itself serves: their kinds are not custom resources.
_BUILT_IN_GROUPS = frozenset((
    "", "apps", "batch", "policy", "autoscaling", "extensions", "networking.k8s.io", "rbac.authorization.k8s.io",
    "storage.k8s.io", "apiextensions.k8s.io", "admissionregistration.k8s.io", "apiregistration.k8s.io",
    "scheduling.k8s.io", "coordination.k8s.io", "node.k8s.io", "discovery.k8s.io", "certificates.k8s.io",
    "flowcontrol.apiserver.k8s.io", "events.k8s.io", "authentication.k8s.io", "authorization.k8s.io",
    "resource.k8s.io", "internal.apiserver.k8s.io", "storagemigration.k8s.io", "metrics.k8s.io",
))


def may_create_pods(root: dict, group: str) -> bool:
    """Whether a custom resource looks like the input of an operator that creates pods."""
    kind = root.get("kind")
    if (group, kind) in _POD_CREATING_KINDS:
        return True
    spec = root.get("spec")
    return isinstance(spec, dict) and not _POD_SPEC_KEYS.isdisjoint(spec)


_BY_KIND: dict[str, type] = {
    "Deployment": Deployment,
    "ReplicaSet": ReplicaSet,
    "ReplicationController": ReplicationController,
    "StatefulSet": StatefulSet,
    "DaemonSet": DaemonSet,
    "Job": Job,
    "CronJob": CronJob,
    "Pod": Pod,
    "PodTemplate": PodTemplateObject,
    "Service": Service,
    "PodDisruptionBudget": PodDisruptionBudget,
    "HorizontalPodAutoscaler": HorizontalPodAutoscaler,
    "Node": Node,
}
# Kinds that only mean what we think under their own API group (a CRD may reuse a name).
_GROUPS: dict[str, tuple[str, ...]] = {
    "Deployment": ("apps", "extensions", "apps.openshift.io"),
    "ReplicaSet": ("apps", "extensions"),
    "StatefulSet": ("apps",),
    "DaemonSet": ("apps", "extensions"),
    "Job": ("batch",),
    "CronJob": ("batch",),
    "PodDisruptionBudget": ("policy",),
    "HorizontalPodAutoscaler": ("autoscaling",),
}


def make_object(root: dict, file: str, doc_index: int, doc_line: int) -> K8sObject:
    """The most specific view for a document."""
    kind, api_version = root.get("kind"), root.get("apiVersion")
    try:
        cls = _CLASS_OF.get((api_version, kind), _DEPENDS_ON_SPEC)
    except TypeError:  # a mapping or list as apiVersion or kind
        cls = _DEPENDS_ON_SPEC
    if cls is _DEPENDS_ON_SPEC:
        cls = _class_for(root, kind, api_version)
    return cls(root, file, doc_index, doc_line)


# The class of each (apiVersion, kind) seen that does not depend on the object's spec (every kind
# but the custom resources that may_create_pods asks about): a run of 20,000 objects repeats a
# handful of them. Bounded: a hostile file may hold any number of distinct kinds.
_CLASS_OF: dict = {}
_CLASS_OF_LIMIT = 4096
_DEPENDS_ON_SPEC = object()


def _class_for(root: dict, kind, api_version) -> type:
    cls = _BY_KIND.get(kind) if isinstance(kind, str) else None
    group = api_version.rpartition("/")[0] if isinstance(api_version, str) else ""
    by_spec = False
    if (group, kind) in READ_NATIVELY:
        cls = Rollout
    elif kind == "CustomResourceDefinition" and group == "apiextensions.k8s.io":
        cls = CustomResourceDefinition
    elif cls is None and group not in _BUILT_IN_GROUPS and (by_spec := True) and may_create_pods(root, group):
        cls = PodSource
    elif cls is None and "." in group and group not in _BUILT_IN_GROUPS:
        cls = CustomResource
    elif cls is not None:
        groups = _GROUPS.get(kind)
        if groups is None and group:  # core kinds live in the core group only
            cls = None
        elif groups is not None and group not in groups:
            cls = None
    cls = cls or K8sObject
    if not by_spec and type(kind) is str and type(api_version) is str:
        if len(_CLASS_OF) >= _CLASS_OF_LIMIT:
            _CLASS_OF.clear()
        _CLASS_OF[api_version, kind] = cls
    return cls


def is_list_kind(root: dict) -> bool:
    kind = root.get("kind")
    return isinstance(kind, str) and kind.endswith("List") and isinstance(root.get("items"), list)


def describe_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


def workload_kind(obj: Workload) -> str:
    """The kind the scheduling model keys on ("DaemonSet" only for apps DaemonSets)."""
    return "DaemonSet" if isinstance(obj, DaemonSet) else obj.kind
