"""The Kubernetes API schema, field by field: which fields each type has, their types, the
required ones, and the values the API server accepts for a few enumerations.

Source: the strict JSON schemas of the PyPI package ``kubernetes-validate`` (Apache-2.0; one
directory per minor release, ``v1.N.0-local-strict/_definitions.json``, converted from the
OpenAPI document that kubernetes/kubernetes publishes as ``api/openapi-spec/swagger.json``).
``strict`` means ``additionalProperties: false`` on every struct: what ``kubectl apply`` does
with strict field validation (``--validate=strict``, the default since Kubernetes 1.27), which
rejects unknown fields with ``strict decoding error: unknown field "..."``.

A general JSON Schema validator per document costs far more than the whole lint budget, so the
definitions are compiled once per process into ``Node`` trees, lazily: only the definitions
reachable from the kinds a run actually meets (a Deployment reaches ~150 of the ~700). ``check``
then walks a document once, comparing each value with its node.

What the compiled schema checks, and why the API server rejects each:

* unknown field: strict decoding (``k8s.io/apimachinery/pkg/runtime/serializer/json``, strict
  mode) and, for custom resources, the structural schema's pruning in strict mode;
* wrong type: ``encoding/json`` cannot unmarshal a string into an ``int32`` field, a mapping
  into a slice, a number into a string (``json: cannot unmarshal ...``). ``null`` is accepted
  anywhere (it decodes as the field's zero value, like an absent field);
* int-or-string (``intstr.IntOrString.UnmarshalJSON``): an integer or a string;
* quantity (``resource.ParseQuantity``): a number, or a string matching its grammar;
* ``format``: int32/int64 ranges, base64 for ``byte`` (``[]byte`` fields), RFC 3339 for
  ``date-time`` (``metav1.Time.UnmarshalJSON``);
* required fields (the OpenAPI ``required`` lists: the fields without ``omitempty``/``+optional``
  that validation requires, ``field.Required``);
* enumerations: the OpenAPI v2 document has no ``enum``; ``ENUMS`` below lists the values that
  ``pkg/apis/core/validation`` (and apps, batch, networking) accept, per field.
"""

from __future__ import annotations

import json
import os
import re

Version = tuple  # (major, minor)

# ---- the schema files -------------------------------------------------------------------------

_PACKAGE = "kubernetes_validate"
_SCHEMA_DIR = "kubernetes-json-schema"
_DIR_NAME = re.compile(r"v(\d+)\.(\d+)\.0-local-strict\Z")


def _package_dir() -> str | None:
    """Where kubernetes-validate is installed, without importing it (its import loads jsonschema)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.join(list(spec.submodule_search_locations)[0], _SCHEMA_DIR)


_AVAILABLE: dict | None = None


def available_versions() -> dict:
    """(major, minor) -> directory of its strict schemas, for every release the package ships."""
    global _AVAILABLE
    if _AVAILABLE is None:
        found = {}
        base = _package_dir()
        try:
            names = os.listdir(base) if base else []
        except OSError:
            names = []
        for name in names:
            match = _DIR_NAME.match(name)
            if match:
                found[(int(match.group(1)), int(match.group(2)))] = os.path.join(base, name)
        _AVAILABLE = found
    return _AVAILABLE


def schema_version(target: Version) -> Version | None:
    """The shipped release closest to ``target`` (itself when shipped), or None without schemas."""
    versions = available_versions()
    if not versions:
        return None
    if target in versions:
        return target
    older = [v for v in versions if v <= target]
    return max(older) if older else min(versions)


# ---- compiled nodes ---------------------------------------------------------------------------

ANY, OBJECT, MAP, LIST, STRING, INTEGER, NUMBER, BOOLEAN, INT_OR_STRING, QUANTITY = range(10)

# What each node kind expects, as a message says it.
EXPECTED = {OBJECT: "a mapping", MAP: "a mapping", LIST: "a list", STRING: "a string",
            INTEGER: "an integer", NUMBER: "a number", BOOLEAN: "a boolean",
            INT_OR_STRING: "an integer or a string", QUANTITY: "a quantity (a number or a string such as 500m or 1Gi)"}


class Node:
    """One compiled schema: ``kind`` and what that kind needs.

    OBJECT: ``fields`` (name -> Node), ``required`` (names), ``extra`` (Node for fields not listed,
    None when unknown fields are rejected); MAP: ``item`` for every value; LIST: ``item`` for every
    item; scalars: ``fmt`` (int32, int64, byte, date-time) and ``enum`` (accepted strings)."""

    __slots__ = ("kind", "fields", "required", "extra", "item", "fmt", "enum", "name", "packed")

    def __init__(self, kind: int, name: str = "") -> None:
        self.kind = kind
        self.fields: dict = {}
        self.required: tuple = ()
        self.extra: Node | None = None
        self.item: Node | None = None
        self.fmt: str | None = None
        self.enum: tuple | None = None
        self.name = name  # the definition's short name (Container, DeploymentSpec), for messages
        self.packed: list | None = None  # this node as the native walk reads it (_pack)

    def __repr__(self) -> str:
        return f"<Node {self.kind} {self.name}>"


ANY_NODE = Node(ANY)

# Definitions that are a oneOf of scalar types in the JSON schemas.
_SPECIAL_DEFINITIONS = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": INT_OR_STRING,
    "io.k8s.apimachinery.pkg.api.resource.Quantity": QUANTITY,
}
_TYPES = {"string": STRING, "integer": INTEGER, "number": NUMBER, "boolean": BOOLEAN}

# Enumerations the API server validates (the OpenAPI v2 document does not carry them), keyed by
# definition (without "io.k8s.api.") and field. Fields other rules already judge are left out
# (tolerations, deployment/statefulset strategy types, restartPolicy of Job pods, concurrencyPolicy).
_PROTOCOLS = ("TCP", "UDP", "SCTP")  # core validation: supportedPortProtocols
ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    # validatePullPolicy: supportedPullPolicies
    ("core.v1.Container", "imagePullPolicy"): ("Always", "IfNotPresent", "Never"),
    ("core.v1.EphemeralContainer", "imagePullPolicy"): ("Always", "IfNotPresent", "Never"),
    # validateContainers: terminationMessagePolicy File or FallbackToLogsOnError
    ("core.v1.Container", "terminationMessagePolicy"): ("File", "FallbackToLogsOnError"),
    ("core.v1.EphemeralContainer", "terminationMessagePolicy"): ("File", "FallbackToLogsOnError"),
    # validateDNSPolicy
    ("core.v1.PodSpec", "dnsPolicy"): ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"),
    # validatePreemptionPolicy
    ("core.v1.PodSpec", "preemptionPolicy"): ("PreemptLowerPriority", "Never"),
    # validateContainerPorts / ValidateService ports: supportedPortProtocols
    ("core.v1.ContainerPort", "protocol"): _PROTOCOLS,
    ("core.v1.ServicePort", "protocol"): _PROTOCOLS,
    ("core.v1.EndpointPort", "protocol"): _PROTOCOLS,
    ("networking.v1.NetworkPolicyPort", "protocol"): _PROTOCOLS,
    # ValidateService: supportedServiceType, supportedSessionAffinityType, traffic and IP-family policies
    ("core.v1.ServiceSpec", "type"): ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"),
    ("core.v1.ServiceSpec", "sessionAffinity"): ("ClientIP", "None"),
    ("core.v1.ServiceSpec", "externalTrafficPolicy"): ("Cluster", "Local"),
    ("core.v1.ServiceSpec", "internalTrafficPolicy"): ("Cluster", "Local"),
    ("core.v1.ServiceSpec", "ipFamilyPolicy"): ("SingleStack", "PreferDualStack", "RequireDualStack"),
    # validateHTTPGetAction: supportedHTTPSchemes
    ("core.v1.HTTPGetAction", "scheme"): ("HTTP", "HTTPS"),
    # ValidatePersistentVolumeClaimSpec: supportedAccessModes, supportedVolumeModes
    ("core.v1.PersistentVolumeClaimSpec", "volumeMode"): ("Filesystem", "Block"),
    ("core.v1.PersistentVolumeSpec", "volumeMode"): ("Filesystem", "Block"),
    # validateTopologySpreadConstraints: supportedScheduleActions, supportedPodTopologySpreadNodePolicies
    ("core.v1.TopologySpreadConstraint", "whenUnsatisfiable"): ("DoNotSchedule", "ScheduleAnyway"),
    ("core.v1.TopologySpreadConstraint", "nodeAffinityPolicy"): ("Honor", "Ignore"),
    ("core.v1.TopologySpreadConstraint", "nodeTaintsPolicy"): ("Honor", "Ignore"),
    # validateSeccompProfileField
    ("core.v1.SeccompProfile", "type"): ("RuntimeDefault", "Unconfined", "Localhost"),
    # ValidateStatefulSetSpec: podManagementPolicy
    ("apps.v1.StatefulSetSpec", "podManagementPolicy"): ("OrderedReady", "Parallel"),
    # ValidateIngress: supportedPathTypes
    ("networking.v1.HTTPIngressPath", "pathType"): ("Exact", "Prefix", "ImplementationSpecific"),
    # ValidateJobSpec: completionMode
    ("batch.v1.JobSpec", "completionMode"): ("NonIndexed", "Indexed"),
    # ValidatePodDisruptionBudgetSpec: supportedUnhealthyPodEvictionPolicies
    ("policy.v1.PodDisruptionBudgetSpec", "unhealthyPodEvictionPolicy"): ("IfHealthyBudget", "AlwaysAllow"),
}
# Items of a list field with an enumeration (validatePersistentVolumeClaim: supportedAccessModes).
_ACCESS_MODES = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")
ITEM_ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("core.v1.PersistentVolumeClaimSpec", "accessModes"): _ACCESS_MODES,
    ("core.v1.PersistentVolumeSpec", "accessModes"): _ACCESS_MODES,
}


# Fields the API server's validation requires although the OpenAPI document marks them optional
# (pkg/apis/core/validation validateContainers: ``if len(ctr.Image) == 0 { field.Required(...image) }``;
# the document leaves image optional for configuration tools that fill it in before apply).
EXTRA_REQUIRED: dict[str, tuple[str, ...]] = {
    "core.v1.Container": ("image",),
    "core.v1.EphemeralContainer": ("image",),
}


def served_in(api_version: str, kind: str) -> list:
    """The shipped releases whose API serves ``kind`` in ``api_version``, oldest first (reads every
    release's schema: only asked about pairs the target release does not serve)."""
    found = []
    for version in sorted(available_versions()):
        schema = api_schema(version)
        if schema is not None and (api_version, kind) in schema.kinds:
            found.append(version)
    return found


def _short(definition: str) -> str:
    return definition[len("io.k8s.api."):] if definition.startswith("io.k8s.api.") else definition


class ApiSchema:
    """The compiled schema of one Kubernetes release. Built on first use of a kind."""

    def __init__(self, version: Version, directory: str) -> None:
        self.version = version
        self.directory = directory
        self._definitions: dict | None = None
        self._compiled: dict[str, Node] = {}
        self._kinds: dict[tuple[str, str], str] | None = None
        self._groups: dict[str, set] | None = None

    @property
    def definitions(self) -> dict:
        if self._definitions is None:
            with open(os.path.join(self.directory, "_definitions.json"), encoding="utf-8") as handle:
                self._definitions = json.load(handle)["$defs"]
        return self._definitions

    @property
    def kinds(self) -> dict[tuple[str, str], str]:
        """(apiVersion, kind) -> definition name, for every kind this release serves."""
        if self._kinds is None:
            kinds = {}
            for name, schema in self.definitions.items():
                for gvk in schema.get("x-kubernetes-group-version-kind") or ():
                    group, version, kind = gvk.get("group", ""), gvk.get("version", ""), gvk.get("kind", "")
                    if kind.endswith("List") or kind in _NOT_OBJECTS or "properties" not in schema:
                        continue
                    api_version = f"{group}/{version}" if group else version
                    # a kind may be listed by several definitions (meta/v1 DeleteOptions...): keep the
                    # definition of the group's own package
                    kinds.setdefault((api_version, kind), name)
            self._kinds = kinds
        return self._kinds

    def groups(self) -> dict[str, set]:
        """Group -> its served versions (the core group is "")."""
        if self._groups is None:
            found: dict[str, set] = {}
            for api_version, _ in self.kinds:
                group, _, version = api_version.rpartition("/")
                found.setdefault(group, set()).add(version)
            self._groups = found
        return self._groups

    def api_versions_of(self, kind: str) -> list:
        """The apiVersions this release serves ``kind`` in."""
        return sorted(api_version for api_version, served in self.kinds if served == kind)

    def kinds_in(self, api_version: str) -> list:
        return sorted(kind for served, kind in self.kinds if served == api_version)

    def node_for(self, api_version: str, kind: str) -> Node | None:
        name = self.kinds.get((api_version, kind))
        return self.definition(name) if name else None

    def definition(self, name: str) -> Node:
        node = self._compiled.get(name)
        if node is None:
            node = self._compile_definition(name)
        return node

    def _compile_definition(self, name: str) -> Node:
        special = _SPECIAL_DEFINITIONS.get(name)
        if special is not None:
            node = self._compiled[name] = Node(special, name.rsplit(".", 1)[-1])
            return node
        schema = self.definitions.get(name)
        if schema is None:
            node = self._compiled[name] = ANY_NODE
            return node
        properties = schema.get("properties")
        if properties is None:
            node = self._compiled[name] = _compile_plain(schema, self)
            return node
        node = self._compiled[name] = Node(OBJECT, name.rsplit(".", 1)[-1])  # before the fields: cycles
        short = _short(name)
        for field, field_schema in properties.items():
            child = self._compile(field_schema)
            enum = ENUMS.get((short, field))
            if enum is not None and child.kind == STRING:
                child = _with_enum(child, enum)
            item_enum = ITEM_ENUMS.get((short, field))
            if item_enum is not None and child.kind == LIST and child.item is not None and child.item.kind == STRING:
                replaced = Node(LIST, child.name)
                replaced.item = _with_enum(child.item, item_enum)
                child = replaced
            node.fields[field] = child
        node.required = tuple(schema.get("required") or ()) + EXTRA_REQUIRED.get(short, ())
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            node.extra = self._compile(extra)
        elif extra is not False:
            node.extra = ANY_NODE
        return node

    def _compile(self, schema: dict) -> Node:
        ref = schema.get("$ref")
        if ref is not None:
            return self.definition(ref.rsplit("/", 1)[-1])
        return _compile_plain(schema, self)


_NOT_OBJECTS = {"Status", "WatchEvent", "DeleteOptions", "APIGroup", "APIGroupList", "APIResourceList",
                "APIVersions", "Eviction", "Scale", "TokenRequest", "Binding"}


def _with_enum(node: Node, values: tuple) -> Node:
    copy = Node(node.kind, node.name)
    copy.fmt = node.fmt
    copy.enum = values
    return copy


def _types(schema: dict) -> list:
    declared = schema.get("type")
    if declared is None:
        return []
    return [t for t in (declared if isinstance(declared, list) else [declared]) if t != "null"]


def _compile_plain(schema: dict, owner) -> Node:
    """A schema without ``$ref`` (a field's own type, or a definition without properties)."""
    types = _types(schema)
    kind = types[0] if len(types) == 1 else None
    if kind == "object":
        properties = schema.get("properties")
        if properties:
            node = Node(OBJECT)
            node.fields = {field: owner._compile(sub) for field, sub in properties.items()}
            node.required = tuple(schema.get("required") or ())
            extra = schema.get("additionalProperties")
            node.extra = owner._compile(extra) if isinstance(extra, dict) else (None if extra is False else ANY_NODE)
            return node
        node = Node(MAP)
        extra = schema.get("additionalProperties")
        node.item = owner._compile(extra) if isinstance(extra, dict) else ANY_NODE
        return node
    if kind == "array":
        node = Node(LIST)
        items = schema.get("items")
        node.item = owner._compile(items) if isinstance(items, dict) else ANY_NODE
        return node
    if kind in _TYPES:
        node = Node(_TYPES[kind])
        node.fmt = schema.get("format")
        return node
    return ANY_NODE


_SCHEMAS: dict = {}


def api_schema(target: Version) -> ApiSchema | None:
    """The compiled schema for the release closest to ``target`` (None without the package)."""
    schema = _BY_TARGET.get(target)
    if schema is not None:
        return schema
    version = schema_version(target)
    if version is None:
        return None
    schema = _SCHEMAS.get(version)
    if schema is None:
        schema = _SCHEMAS[version] = ApiSchema(version, available_versions()[version])
    _BY_TARGET[target] = schema
    return schema


_BY_TARGET: dict = {}


# ---- checking a document ------------------------------------------------------------------------

UNKNOWN, TYPE, VALUE, REQUIRED = "unknown", "type", "value", "required"

# resource.ParseQuantity: <signedNumber><suffix>, suffix one of the binary SI (Ki..Ei), the decimal
# SI (n u m "" k M G T P E) or a decimal exponent (e3, E-2).
_QUANTITY = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?\Z")
# time.RFC3339 as metav1.Time parses it
_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})\Z")
_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?\Z")
_RANGES = {"int32": (-(2 ** 31), 2 ** 31 - 1), "int64": (-(2 ** 63), 2 ** 63 - 1)}


class Problem:
    """What ``check`` found: ``what`` is UNKNOWN (``path`` ends with the unknown key), TYPE, VALUE
    (``path`` is the value's) or REQUIRED (``path`` is the mapping missing ``field``)."""

    __slots__ = ("what", "path", "node", "value", "field", "parent")

    def __init__(self, what: str, path: tuple, node: Node, value=None, field: str = "", parent: Node | None = None):
        self.what = what
        self.path = path
        self.node = node  # the expected node (TYPE, VALUE), the mapping's node (UNKNOWN, REQUIRED)
        self.value = value
        self.field = field
        self.parent = parent

    def __repr__(self) -> str:
        return f"<Problem {self.what} {self.path} {self.field}>"


def check(value, node: Node, path: tuple = ()) -> list[Problem]:
    """Every problem of ``value`` (at ``path``) against ``node``, in document order. The walk runs
    in C when the native module is built (``schema_walk``: it passes over what is plainly fine and
    hands the rest to ``_value`` here); this module's own walk is its twin and reference."""
    found: list[Problem] = []
    if _native_walk is not None:
        entries: list = []
        _native_walk(value, _pack(node), tuple(path), entries)
        for code, where, packed, item, field in entries:
            if code == 2:
                _value(item, packed[7], where, found)
            elif code == 0:
                found.append(Problem(UNKNOWN, where, packed[7], item, field))
            else:
                found.append(Problem(REQUIRED, where, packed[7], _ABSENT if code == 1 else None, field))
        return found
    _value(value, node, tuple(path), found)
    return found


def check_in_python(value, node: Node, path: tuple = ()) -> list[Problem]:
    """``check`` without the native walk (tests compare the two)."""
    found: list[Problem] = []
    _value(value, node, tuple(path), found)
    return found


_FORMATS = {None: 0, "int32": 1, "int64": 2}


def _pack(node: Node) -> list:
    """``node`` as the native walk reads it: [kind, fields, required, extra, item, enum, fmt, node]
    (lists, so that recursive definitions can refer to themselves)."""
    packed = node.packed
    if packed is None:
        packed = node.packed = [node.kind, None, node.required, None, None, node.enum,
                                _FORMATS.get(node.fmt, 3), node]
        if node.kind == OBJECT:
            packed[1] = {name: _pack(child) for name, child in node.fields.items()}
            packed[3] = _pack(node.extra) if node.extra is not None else None
        elif node.kind in (LIST, MAP):
            packed[4] = _pack(node.item if node.item is not None else ANY_NODE)
    return packed


def _native_function(name: str):
    """A function of the native module (k8slint/_k8slint_yaml.c), None without it or with
    K8SLINT_NO_NATIVE set. Imported here rather than through the loader: the model does not
    depend on how documents are read."""
    if os.environ.get("K8SLINT_NO_NATIVE"):
        return None
    try:
        import _k8slint_yaml
    except ImportError:
        return None
    return getattr(_k8slint_yaml, name, None)


_native_walk = _native_function("schema_walk")


def _object(value: dict, node: Node, path: tuple, found: list) -> None:
    fields = node.fields
    extra = node.extra
    for key, item in value.items():
        child = fields.get(key)
        if child is None:
            if extra is None:
                found.append(Problem(UNKNOWN, path + (key,), node, item, key))
                continue
            child = extra
        if item is None:
            continue
        kind = child.kind
        # the common scalar cases inline, without a call
        if kind == STRING:
            if type(item) is str and child.enum is None and child.fmt is None:
                continue
        elif kind == INTEGER:
            if type(item) is int and child.fmt != "int64" and -2147483648 <= item <= 2147483647:
                continue
        elif kind == BOOLEAN:
            if type(item) is bool:
                continue
        elif kind == ANY:
            continue
        elif kind == OBJECT:
            if isinstance(item, dict):
                _object(item, child, path + (key,), found)
                continue
        _value(item, child, path + (key,), found)
    for name in node.required:
        if value.get(name) is None:
            found.append(Problem(REQUIRED, path, node, value.get(name, _ABSENT), name))


_ABSENT = object()


def _value(item, node: Node, path: tuple, found: list) -> None:
    kind = node.kind
    if item is None or kind == ANY:
        return
    if kind == OBJECT:
        if isinstance(item, dict):
            _object(item, node, path, found)
        else:
            found.append(Problem(TYPE, path, node, item))
    elif kind == LIST:
        if not isinstance(item, list):
            found.append(Problem(TYPE, path, node, item))
            return
        child = node.item
        ckind = child.kind
        if ckind == ANY:
            return
        for index, element in enumerate(item):
            if element is None:
                continue
            if ckind == STRING and type(element) is str and child.enum is None and child.fmt is None:
                continue
            if ckind == OBJECT and isinstance(element, dict):
                _object(element, child, path + (index,), found)
            else:
                _value(element, child, path + (index,), found)
    elif kind == MAP:
        if not isinstance(item, dict):
            found.append(Problem(TYPE, path, node, item))
            return
        child = node.item
        ckind = child.kind
        if ckind == ANY:
            return
        for key, element in item.items():
            if element is None:
                continue
            if ckind == STRING and type(element) is str and child.enum is None and child.fmt is None:
                continue
            _value(element, child, path + (key,), found)
    elif kind == STRING:
        if type(item) is not str:
            found.append(Problem(TYPE, path, node, item))
        elif node.enum is not None and item and item not in node.enum:  # "" is defaulted like an absent value
            found.append(Problem(VALUE, path, node, item))
        elif node.fmt == "byte" and not _BASE64.match(item.replace("\n", "").replace("\r", "")):
            found.append(Problem(VALUE, path, node, item))
        elif node.fmt == "date-time" and not _DATE_TIME.match(item):
            found.append(Problem(VALUE, path, node, item))
    elif kind == INTEGER:
        number = _integer(item)
        if number is None:
            found.append(Problem(TYPE, path, node, item))
        else:
            low, high = _RANGES.get(node.fmt, _RANGES["int64"])
            if not low <= number <= high:
                found.append(Problem(VALUE, path, node, item))
    elif kind == NUMBER:
        if type(item) not in (int, float):
            found.append(Problem(TYPE, path, node, item))
    elif kind == BOOLEAN:
        if type(item) is not bool:
            found.append(Problem(TYPE, path, node, item))
    elif kind == INT_OR_STRING:
        if type(item) is str:
            return
        number = _integer(item)
        if number is None:
            found.append(Problem(TYPE, path, node, item))
        elif not -2147483648 <= number <= 2147483647:
            found.append(Problem(VALUE, path, node, item))
    elif kind == QUANTITY:
        if type(item) is str:
            if not _QUANTITY.match(item):
                found.append(Problem(VALUE, path, node, item))
        elif type(item) not in (int, float) or item != item or item in (float("inf"), float("-inf")):
            found.append(Problem(TYPE, path, node, item))


def _integer(value):
    """An integer as encoding/json reads it (YAML ``1e3`` is the float 1000.0: JSON 1000)."""
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    return None


# ---- suggestions ------------------------------------------------------------------------------


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Optimal string alignment distance (insertions, deletions, substitutions, transpositions),
    capped at ``limit``."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous2: list | None = None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if previous2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, previous2[j - 2] + 1)
            current[j] = best
        if min(current) >= limit:
            return limit
        previous2, previous = previous, current
    return min(previous[-1], limit)


def closest(name: str, candidates) -> str | None:
    """The candidate ``name`` most likely meant: the same but for case, else the only nearest one
    within a small edit distance (1 for short names, 2 from 6 characters, 3 from 12), else None."""
    lower = name.lower()
    for candidate in candidates:
        if candidate.lower() == lower:
            return candidate
    limit = 1 if len(name) < 6 else (2 if len(name) < 12 else 3)
    best, best_distance, tie = None, limit + 1, False
    for candidate in candidates:
        distance = edit_distance(lower, candidate.lower(), limit + 1)
        if distance < best_distance:
            best, best_distance, tie = candidate, distance, False
        elif distance == best_distance:
            tie = True
    return None if tie or best_distance > limit else best


_CONTAINER = "io.k8s.api.core.v1.Container"


def misspelt_field(mapping: dict, field: str, target: Version, definition: str = _CONTAINER) -> str | None:
    """A key of ``mapping`` that is not a field of ``definition`` but most likely means ``field``
    (``readinesProbe`` for ``readinessProbe``), or None. For rules that report a field's absence."""
    if not isinstance(mapping, dict) or field in mapping:
        return None
    for key in mapping:
        if isinstance(key, str) and abs(len(key) - len(field)) <= 3 and closest(key, (field,)) == field:
            schema = api_schema(target)
            known = schema.definition(definition).fields if schema is not None else {field: None}
            if key not in known and closest(key, known) in (field, None):
                return key
    return None


# ---- custom resources: the openAPIV3Schema of their CustomResourceDefinitions -------------------


def crd_schemas(crd: dict, target: Version) -> list:
    """(apiVersion, kind, Node) for each served version of a CustomResourceDefinition
    (apiextensions.k8s.io/v1) that has a schema. The schema is structural (apiextensions
    validation requires it in v1), so each node says its type; what it means for the API server:

    * fields a node does not list are pruned, and rejected with strict field validation, unless
      ``x-kubernetes-preserve-unknown-fields: true`` keeps them;
    * ``x-kubernetes-int-or-string: true``: an integer or a string;
    * ``x-kubernetes-embedded-resource: true``: an object that also has apiVersion, kind and metadata;
    * ``apiVersion``, ``kind`` and ``metadata`` at the root are the object's own (ObjectMeta).

    Value validations (pattern, minimum, anyOf/oneOf/allOf, CEL rules) are not compiled: only the
    shape. Formats other than int32/int64 are left alone (the API server's format checks differ
    from JSON Schema's)."""
    spec = crd.get("spec") if isinstance(crd, dict) else None
    if not isinstance(spec, dict):
        return []
    names = spec.get("names")
    group, kind = spec.get("group"), names.get("kind") if isinstance(names, dict) else None
    versions = spec.get("versions")
    if not isinstance(group, str) or not isinstance(kind, str) or not isinstance(versions, list):
        return []
    schema = api_schema(target)
    metadata = schema.definition("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta") if schema else ANY_NODE
    found = []
    for version in versions:
        if not isinstance(version, dict) or not isinstance(version.get("name"), str):
            continue
        openapi = version.get("schema")
        openapi = openapi.get("openAPIV3Schema") if isinstance(openapi, dict) else None
        if not isinstance(openapi, dict):
            continue
        root = _compile_crd(openapi)
        if root.kind != OBJECT:
            continue
        root.fields.setdefault("apiVersion", Node(STRING))
        root.fields.setdefault("kind", Node(STRING))
        root.fields["metadata"] = metadata
        root.name = kind
        found.append((f"{group}/{version['name']}", kind, root))
    return found


def _compile_crd(schema, depth: int = 0) -> Node:
    if not isinstance(schema, dict) or depth > 100:
        return ANY_NODE
    if schema.get("x-kubernetes-int-or-string") is True:
        return Node(INT_OR_STRING)
    declared = schema.get("type")
    preserve = schema.get("x-kubernetes-preserve-unknown-fields") is True
    if declared == "object" or (declared is None and ("properties" in schema or preserve)):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and not properties:
            node = Node(MAP)
            node.item = _compile_crd(extra, depth + 1)
            return node
        if extra is True and not properties:
            return Node(MAP)  # item ANY
        node = Node(OBJECT)
        if isinstance(properties, dict):
            node.fields = {name: _compile_crd(sub, depth + 1) for name, sub in properties.items()
                           if isinstance(name, str)}
        required = schema.get("required")
        node.required = tuple(r for r in required if isinstance(r, str)) if isinstance(required, list) else ()
        if preserve or extra is True:
            node.extra = ANY_NODE
        if schema.get("x-kubernetes-embedded-resource") is True:
            for name in ("apiVersion", "kind"):
                node.fields.setdefault(name, Node(STRING))
            node.fields.setdefault("metadata", ANY_NODE)
        return node
    if declared == "array":
        node = Node(LIST)
        node.item = _compile_crd(schema.get("items"), depth + 1)
        return node
    if declared in _TYPES:
        node = Node(_TYPES[declared])
        if declared == "integer" and schema.get("format") in ("int32", "int64"):
            node.fmt = schema["format"]
        enum = schema.get("enum")
        if declared == "string" and isinstance(enum, list) and enum and all(isinstance(v, str) for v in enum):
            node.enum = tuple(enum)
        return node
    return ANY_NODE
