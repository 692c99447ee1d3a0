"""Where Kubernetes lets a pod run: tolerations vs taints, label selectors, node affinity, topology.

The single home of scheduling semantics: the anti-affinity, toleration and eligibility rules all
call these functions, so they cannot disagree. Each function mirrors the upstream code named in its
docstring (k8s.io/api core/v1, k8s.io/apimachinery labels, k8s.io/component-helpers nodeaffinity,
the scheduler, the DaemonSet controller and admission plugins).

Inputs are plain values from YAML (dicts, lists, or subclasses) and may be malformed. Nothing here
raises on a malformed part: it simply matches nothing, as the API server would have rejected it,
and the ``*_problems`` functions say what is wrong. Standard library only: this module is imported
on every run.
"""

from __future__ import annotations

import functools

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from k8slint.model import memo
from k8slint.model.cluster import (
    HOSTNAME_LABEL, UNSCHEDULABLE_TAINT_KEY, VALID_EFFECTS, Cluster, Node, NodeClass, Taint, format_path,
)

VALID_OPERATORS = ("Exists", "Equal")
# Numeric toleration operators (toleration.go ToleratesTaint, `enableComparisonOperators`): alpha,
# behind a feature gate that is off by default, and when off they tolerate nothing.
COMPARISON_OPERATORS = ("Lt", "Gt")
# Taint effects that keep a pod off a node: the scheduler's TaintToleration Filter and the
# DaemonSet controller both filter on exactly these. PreferNoSchedule only scores.
SCHEDULING_EFFECTS = ("NoSchedule", "NoExecute")

LABEL_SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
NODE_SELECTOR_OPERATORS = (*LABEL_SELECTOR_OPERATORS, "Gt", "Lt")
NODE_FIELD_OPERATORS = ("In", "NotIn")
# The only node field a nodeSelectorTerm can match (nodeaffinity.go extractNodeFields).
NODE_NAME_FIELD = "metadata.name"

NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"
MEMORY_PRESSURE = "node.kubernetes.io/memory-pressure"
DISK_PRESSURE = "node.kubernetes.io/disk-pressure"
PID_PRESSURE = "node.kubernetes.io/pid-pressure"
NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable"

# Taint key -> the effects Kubernetes components ever apply it with.
WELL_KNOWN_TAINTS: dict[str, tuple[str, ...]] = {
    # Node lifecycle controller (pkg/controller/nodelifecycle): NoSchedule as soon as the Ready
    # condition is False/Unknown (doNoScheduleTaintingPass, nodeConditionToTaintKeyStatusMap), and
    # NoExecute after the grace period (NotReadyTaintTemplate / UnreachableTaintTemplate).
    NOT_READY: ("NoSchedule", "NoExecute"),
    UNREACHABLE: ("NoSchedule", "NoExecute"),
    # Node lifecycle controller: from spec.unschedulable, i.e. `kubectl cordon`.
    UNSCHEDULABLE_TAINT_KEY: ("NoSchedule",),
    # Node lifecycle controller: from the MemoryPressure/DiskPressure/PIDPressure/NetworkUnavailable
    # conditions (TaintNodesByCondition), always NoSchedule.
    MEMORY_PRESSURE: ("NoSchedule",),
    DISK_PRESSURE: ("NoSchedule",),
    PID_PRESSURE: ("NoSchedule",),
    NETWORK_UNAVAILABLE: ("NoSchedule",),
    # Set by an administrator after a non-graceful node shutdown (KEP-2268, core/v1
    # well_known_taints.go TaintNodeOutOfService): the docs ("Non-graceful node shutdown
    # handling") have it added "with either NoExecute or NoSchedule effect", and the pod GC and
    # attach-detach controllers look at the key whatever the effect.
    "node.kubernetes.io/out-of-service": ("NoExecute", "NoSchedule"),
    # The kubelet with --cloud-provider=external registers the node with it until the cloud
    # controller manager initialises the node (cloud-provider api TaintExternalCloudProvider).
    "node.cloudprovider.kubernetes.io/uninitialized": ("NoSchedule",),
    # Cloud node lifecycle controller, while the cloud instance is shut down (TaintNodeShutdown).
    "node.cloudprovider.kubernetes.io/shutdown": ("NoSchedule",),
    # kubeadm control-plane nodes (constants ControlPlaneTaint); `master` is the name kubeadm used
    # before 1.25 (OldControlPlaneTaint).
    "node-role.kubernetes.io/control-plane": ("NoSchedule",),
    "node-role.kubernetes.io/master": ("NoSchedule",),
}

# --default-not-ready-toleration-seconds / --default-unreachable-toleration-seconds defaults.
DEFAULT_TOLERATION_SECONDS = 300

# AddOrUpdateDaemonPodTolerations (pkg/controller/daemon/util/daemonset_util.go): added to every
# DaemonSet pod, all with operator Exists and no tolerationSeconds (never evicted).
_DAEMONSET_TOLERATIONS = (
    (NOT_READY, "NoExecute"),
    (UNREACHABLE, "NoExecute"),
    (DISK_PRESSURE, "NoSchedule"),
    (MEMORY_PRESSURE, "NoSchedule"),
    (PID_PRESSURE, "NoSchedule"),
    (UNSCHEDULABLE_TAINT_KEY, "NoSchedule"),
)

# k8s.io/apimachinery/pkg/util/validation: IsQualifiedName and IsValidLabelValue.
_QUALIFIED_NAME_PART = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
# Go strconv.ParseInt(s, 10, 64): an optional sign and ASCII digits only.
_DECIMAL_INTEGER = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True)
class Problem:
    """A structural problem of a selector or toleration; `path` is relative to the checked value
    ("" for the value itself), e.g. ``matchExpressions[0].values``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


# --- Tolerations -------------------------------------------------------------------------------


def _optional_string(mapping: Mapping, name: str) -> str | None:
    """A string field where missing or null means "" (Go's zero value); None if it is not a string."""
    return _zero_string(mapping.get(name))


def _toleration_fields(toleration) -> tuple[str, str, str, str] | None:
    """(key, operator, value, effect), or None for a malformed toleration (which tolerates nothing)."""
    if not isinstance(toleration, dict) and not isinstance(toleration, Mapping):
        return None
    get = toleration.get
    fields = (_zero_string(get("key")), _zero_string(get("operator")), _zero_string(get("value")),
              _zero_string(get("effect")))
    return None if None in fields else fields


def _zero_string(value) -> str | None:
    """A string field's value, "" for missing or null (Go's zero value), None if not a string."""
    if value is None:
        return ""
    return value if isinstance(value, str) else None


def _tolerates_ignoring_effect(key: str, operator: str, value: str, taint: Taint) -> bool:
    if key and key != taint.key:
        return False  # an empty key matches every key
    if operator in ("", "Equal"):
        return value == taint.value  # an omitted value is "" and only matches an empty taint value
    # Exists matches any value; Lt/Gt (gate off) and unknown operators match nothing.
    return operator == "Exists"


def toleration_tolerates(toleration: dict, taint: Taint) -> bool:
    """`Toleration.ToleratesTaint` (k8s.io/api core/v1 toleration.go): an empty effect matches every
    effect, an empty key (with Exists) every key; Exists ignores the value; Equal or no operator
    compares values, a missing value being ""."""
    fields = _toleration_fields(toleration)
    if fields is None:
        return False
    key, operator, value, effect = fields
    if effect and effect != taint.effect:
        return False
    return _tolerates_ignoring_effect(key, operator, value, taint)


def toleration_matches_ignoring_effect(toleration: dict, taint: Taint) -> bool:
    """Key, operator and value match the taint, whatever the effects: together with a False
    `toleration_tolerates` this means the toleration targets the taint with the wrong effect."""
    fields = _toleration_fields(toleration)
    if fields is None:
        return False
    key, operator, value, _ = fields
    return _tolerates_ignoring_effect(key, operator, value, taint)


def _as_list(value) -> list:
    return value if isinstance(value, list) else []


def untolerated_taints(tolerations: list, taints: Iterable[Taint], effects=SCHEDULING_EFFECTS) -> list[Taint]:
    """Taints with one of `effects` that no toleration tolerates (component-helpers
    `FindMatchingUntoleratedTaint` returns the first of these)."""
    tolerations = _as_list(tolerations)
    return [
        taint for taint in taints
        if taint.effect in effects and not any(toleration_tolerates(t, taint) for t in tolerations)
    ]


def toleration_problems(toleration) -> list[Problem]:
    """What the API server's `ValidateTolerations` would reject, plus operators that cannot match."""
    return list(_toleration_problems(toleration))


@memo.by_value  # thousands of workloads repeat a handful of tolerations
def _toleration_problems(toleration) -> tuple[Problem, ...]:
    return tuple(_toleration_problem_list(toleration))


def _toleration_problem_list(toleration) -> list[Problem]:
    if not isinstance(toleration, Mapping):
        return [Problem("", "a toleration must be a mapping with key, operator, value and effect")]
    problems = []
    for name in ("key", "operator", "value", "effect"):
        if _optional_string(toleration, name) is None:
            problems.append(Problem(name, f"{toleration[name]!r} is not a string (quote it)"))
    seconds = toleration.get("tolerationSeconds")
    if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int)):
        problems.append(Problem("tolerationSeconds", f"{seconds!r} is not an integer"))
    if problems:
        return problems
    key, operator, value, effect = _toleration_fields(toleration)
    if key:
        if error := _qualified_name_error(key):
            problems.append(Problem("key", f"{key!r} is not a valid taint key: {error}"))
    elif operator != "Exists":
        problems.append(Problem("operator", "must be Exists when key is empty (an empty key with Exists matches all taints)"))
    if operator in ("", "Equal"):
        if error := _label_value_error(value):
            problems.append(Problem("value", f"{value!r} is not a valid value: {error}"))
    elif operator == "Exists":
        if value:
            problems.append(Problem("value", "must be empty when operator is Exists"))
    elif operator in COMPARISON_OPERATORS:
        problems.append(Problem("operator", f"{operator} is an alpha operator behind a feature gate that is off by default; it tolerates nothing"))
    else:
        problems.append(Problem("operator", f"{operator!r} is not a valid operator (one of {', '.join(VALID_OPERATORS)})"))
    if effect and effect not in VALID_EFFECTS:
        problems.append(Problem("effect", f"{effect!r} is not a valid effect (one of {', '.join(VALID_EFFECTS)}; empty matches all)"))
    if seconds is not None and effect != "NoExecute":
        problems.append(Problem("tolerationSeconds", "only allowed with effect NoExecute"))
    return problems


def _same_toleration(existing, added: dict) -> bool:
    """`Toleration.MatchToleration`: equal key, operator, value and effect."""
    return isinstance(existing, Mapping) and all(
        _optional_string(existing, name) == added.get(name, "") for name in ("key", "operator", "value", "effect")
    )


def _add_or_update(tolerations: list, added: dict) -> bool:
    """`AddOrUpdateTolerationInPodSpec` (pkg/apis/core/v1/helper): replace every toleration that
    matches (key, operator, value, effect) but differs in tolerationSeconds; append if none
    matches; change nothing if an identical one is present. True when something changed."""
    matches = [i for i, existing in enumerate(tolerations) if _same_toleration(existing, added)]
    if any(tolerations[i].get("tolerationSeconds") == added.get("tolerationSeconds") for i in matches):
        return False
    for i in matches:
        tolerations[i] = added
    if not matches:
        tolerations.append(added)
    return True


def _has_node_problem_toleration(tolerations: list, key: str) -> bool:
    """The DefaultTolerationSeconds plugin's own test (not ToleratesTaint): a toleration with this
    key or no key, and effect NoExecute or no effect, whatever its operator and value."""
    for toleration in tolerations:
        toleration_key = _optional_string(toleration, "key")
        effect = _optional_string(toleration, "effect")
        if toleration_key in (key, "") and effect in ("NoExecute", ""):
            return True
    return False


def _kubernetes_tolerations(kind: str, pod_spec) -> tuple[list, list[dict]]:
    """(effective tolerations, the ones Kubernetes added or rewrote), in the order Kubernetes
    applies them: the DaemonSet controller builds the pod, then admission runs on it."""
    spec = pod_spec if isinstance(pod_spec, Mapping) else {}
    effective = [t for t in _as_list(spec.get("tolerations")) if isinstance(t, Mapping)]
    implicit: list[dict] = []
    if kind == "DaemonSet":
        daemon_tolerations = list(_DAEMONSET_TOLERATIONS)
        if spec.get("hostNetwork") is True:
            daemon_tolerations.append((NETWORK_UNAVAILABLE, "NoSchedule"))
        for key, effect in daemon_tolerations:
            added = {"key": key, "operator": "Exists", "effect": effect}
            if _add_or_update(effective, added):
                implicit.append(added)
    # DefaultTolerationSeconds admission plugin (on by default), for every pod.
    for key in (NOT_READY, UNREACHABLE):
        if not _has_node_problem_toleration(effective, key):
            added = {"key": key, "operator": "Exists", "effect": "NoExecute",
                     "tolerationSeconds": DEFAULT_TOLERATION_SECONDS}
            effective.append(added)
            implicit.append(added)
    return effective, implicit


def implicit_tolerations(kind: str, pod_spec: dict) -> list[dict]:
    """Tolerations Kubernetes adds to the pods by itself: for a DaemonSet the controller's
    (AddOrUpdateDaemonPodTolerations; network-unavailable only with hostNetwork: true), and for
    every pod DefaultTolerationSeconds' not-ready/unreachable NoExecute for 300s unless the pod
    already has a toleration for that key (or no key) with effect NoExecute (or none)."""
    return _kubernetes_tolerations(kind, pod_spec)[1]


def effective_tolerations(kind: str, pod_spec: dict) -> list[dict]:
    """The tolerations the pods actually carry: their own (entries that are not mappings dropped;
    use the manifest's list for field paths) with the implicit ones added."""
    return _kubernetes_tolerations(kind, pod_spec)[0]


def toleration_covers(broad, narrow) -> bool:
    """Every taint `narrow` tolerates is tolerated by `broad` too (by `ToleratesTaint`): `broad`'s
    effect is empty or equal, its key empty or equal, and it is Exists, or Equal with the same value
    as an Equal `narrow`. False when either cannot tolerate anything (malformed, an unknown or
    gated operator, an unknown effect)."""
    fields = [_toleration_fields(t) for t in (broad, narrow)]
    if None in fields:
        return False
    (b_key, b_op, b_value, b_effect), (n_key, n_op, n_value, n_effect) = fields
    for op, effect in ((b_op, b_effect), (n_op, n_effect)):
        if op not in ("", *VALID_OPERATORS) or (effect and effect not in VALID_EFFECTS):
            return False
    if b_effect and b_effect != n_effect:
        return False
    if b_key and b_key != n_key:
        return False
    if b_op == "Exists":
        return True
    # Equal (or no operator) only tolerates taints with its value.
    return n_op in ("", "Equal") and n_value == b_value


def eviction_seconds(tolerations: list, taints: Iterable[Taint]) -> int | None:
    """How long a running pod stays on a node with these taints before the taint eviction
    controller deletes it: None for never, 0 for at once.

    Mirrors tainteviction `processPodOnNode`: only NoExecute taints count; any untolerated one
    evicts at once; otherwise `GetMatchingTolerations` picks, for each taint, the *first* toleration
    (in list order) that tolerates it, and `getMinTolerationTime` takes the smallest
    tolerationSeconds among those (none set: never; zero or negative: at once). Pass the effective
    tolerations (`effective_tolerations`) for what a pod really carries."""
    tolerations = [t for t in _as_list(tolerations) if isinstance(t, Mapping)]
    smallest = None
    for taint in taints:
        if taint.effect != "NoExecute":
            continue
        used = next((t for t in tolerations if toleration_tolerates(t, taint)), None)
        if used is None:
            return 0
        seconds = used.get("tolerationSeconds")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            continue  # unset: tolerated forever (a malformed value never reaches a real pod)
        if seconds <= 0:
            return 0
        smallest = int(seconds) if smallest is None else min(smallest, int(seconds))
    return smallest


def scheduling_taint_effects(kind: str, pod_spec) -> tuple[str, ...]:
    """The taint effects that keep this workload's pods off a node, as `node_verdicts` applies
    them: NoSchedule and NoExecute, except for a non-DaemonSet pod bound by spec.nodeName, which
    skips the scheduler and is only refused by the kubelet for an untolerated NoExecute taint."""
    spec = pod_spec if isinstance(pod_spec, Mapping) else {}
    node_name = spec.get("nodeName")
    bound = node_name is not None and node_name != ""
    return ("NoExecute",) if bound and kind != "DaemonSet" else SCHEDULING_EFFECTS


# --- Label requirements and selectors ------------------------------------------------------------


@functools.lru_cache(maxsize=8192)  # label keys repeat across thousands of selectors
def _qualified_name_error(name: str) -> str | None:
    """validation.IsQualifiedName: [DNS-subdomain prefix "/"] name."""
    parts = name.split("/")
    if len(parts) > 2:
        return "at most one '/' is allowed"
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            return "the prefix before '/' must not be empty"
        if len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix):
            return "the prefix before '/' must be a DNS subdomain (lowercase alphanumerics, '-' and '.')"
    local = parts[-1]
    if not local:
        return "the name must not be empty"
    if len(local) > 63:
        return "the name must be at most 63 characters"
    if not _QUALIFIED_NAME_PART.fullmatch(local):
        return "the name must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"
    return None


def label_key_error(key: str) -> str | None:
    """Why ``key`` is not a valid label key (a topology key is one too), or None."""
    return _qualified_name_error(key)


@functools.lru_cache(maxsize=8192)
def _label_value_error(value: str) -> str | None:
    """validation.IsValidLabelValue."""
    if len(value) > 63:
        return "at most 63 characters"
    if not _LABEL_VALUE.fullmatch(value):
        return "must be empty or alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"
    return None


def _parse_int64(text) -> int | None:
    """Go strconv.ParseInt(text, 10, 64), None where it fails."""
    if not isinstance(text, str) or not _DECIMAL_INTEGER.fullmatch(text):
        return None
    number = int(text)
    return number if -(2**63) <= number < 2**63 else None


class _Requirement(NamedTuple):
    """A validated `labels.Requirement`. (A named tuple, not a frozen dataclass: one is made for
    each pair of every selector compiled, a tuple is several times cheaper to make.)"""

    key: str
    operator: str
    values: tuple[str, ...]

    def matches(self, labels: Mapping) -> bool:
        # labels.Requirement.Matches: NotIn and DoesNotExist match a node/pod lacking the key.
        present = self.key in labels
        if self.operator == "In":
            return present and labels[self.key] in self.values
        if self.operator == "NotIn":
            return not present or labels[self.key] not in self.values
        if self.operator == "Exists":
            return present
        if self.operator == "DoesNotExist":
            return not present
        # Gt / Lt: the label must exist and parse as an integer; the bound was validated.
        actual = _parse_int64(labels[self.key]) if present else None
        if actual is None:
            return False
        bound = _parse_int64(self.values[0])
        return actual > bound if self.operator == "Gt" else actual < bound


def _compile_requirement(expression, path: str, operators: tuple[str, ...]) -> tuple[_Requirement | None, list[Problem]]:
    """`labels.NewRequirement` on a {key, operator, values} mapping: None plus problems if invalid."""
    if not isinstance(expression, Mapping):
        return None, [Problem(path, "must be a mapping with key, operator and values")]
    problems = []
    key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values")
    if not isinstance(key, str):
        problems.append(Problem(f"{path}.key", f"{key!r} is not a string"))
    elif error := _qualified_name_error(key):
        problems.append(Problem(f"{path}.key", f"{key!r} is not a valid label key: {error}"))
    if operator not in operators:
        problems.append(Problem(f"{path}.operator", f"{operator!r} is not a valid operator (one of {', '.join(operators)})"))
    if values is None:
        values = []
    if not isinstance(values, list):
        problems.append(Problem(f"{path}.values", "must be a list of strings"))
        values = []
    for index, value in enumerate(values):
        value_path = f"{path}.values[{index}]"
        if not isinstance(value, str):
            problems.append(Problem(value_path, f"{value!r} is not a string (quote it)"))
        elif error := _label_value_error(value):
            problems.append(Problem(value_path, f"{value!r} is not a valid label value: {error}"))
        elif operator in ("Gt", "Lt") and _parse_int64(value) is None:
            problems.append(Problem(value_path, f"{value!r} is not an integer, which {operator} needs"))
    if operator in ("In", "NotIn") and not values:
        problems.append(Problem(f"{path}.values", f"must not be empty for {operator}"))
    elif operator in ("Exists", "DoesNotExist") and values:
        problems.append(Problem(f"{path}.values", f"must be empty for {operator}"))
    elif operator in ("Gt", "Lt") and len(values) != 1:
        problems.append(Problem(f"{path}.values", f"{operator} needs exactly one value"))
    if problems:
        return None, problems
    return _Requirement(key, operator, tuple(values)), []


def compiled_label_selector(selector) -> tuple | None:
    """The requirements of a label selector (each with ``key``, ``operator``, ``values`` and
    ``matches(labels)``), ANDed; None for a null or invalid selector (it matches nothing)."""
    return _compiled_selector(selector)[0]


@memo.by_identity  # rules ask about the same selector of a workload several times
def _compiled_selector(selector) -> tuple[tuple[_Requirement, ...] | None, tuple[Problem, ...]]:
    """`metav1.LabelSelectorAsSelector`: None (matches nothing) for a null or invalid selector,
    () (matches everything) for an empty one; and the problems that make it invalid."""
    requirements, problems = _compile_label_selector_uncached(selector)
    return requirements, tuple(problems)


def _compile_label_selector_uncached(selector) -> tuple[tuple[_Requirement, ...] | None, list[Problem]]:
    if selector is None:
        return None, []
    # Composed mappings are dicts: the type test first spares the (slower) Mapping ABC check.
    if type(selector) is not dict and not isinstance(selector, Mapping):
        return None, [Problem("", "a label selector must be a mapping with matchLabels and/or matchExpressions")]
    problems: list[Problem] = []
    match_labels = selector.get("matchLabels")
    if match_labels is None:
        match_labels = {}
    elif type(match_labels) is not dict and not isinstance(match_labels, Mapping):
        problems.append(Problem("matchLabels", "must be a mapping of label keys to values"))
        match_labels = {}
    expressions = selector.get("matchExpressions")
    if expressions is None:
        expressions = []
    elif not isinstance(expressions, list):
        problems.append(Problem("matchExpressions", "must be a list"))
        expressions = []
    requirements = []
    for key, value in match_labels.items():
        # matchLabels {k: v} is the requirement k in (v); a valid pair (nearly all) directly.
        if type(key) is str and type(value) is str and _qualified_name_error(key) is None \
                and _label_value_error(value) is None:
            requirements.append(_Requirement(key, "In", (value,)))
            continue
        path = format_path(("matchLabels", key)) if isinstance(key, str) else "matchLabels"
        requirement, requirement_problems = _compile_requirement(
            {"key": key, "operator": "In", "values": [value]}, path, ("In",))
        # Re-home the key/value problems of the synthesised expression onto the matchLabels entry.
        problems.extend(Problem(path, p.message) for p in requirement_problems)
        requirements.append(requirement)
    for index, expression in enumerate(expressions):
        requirement, requirement_problems = _compile_requirement(
            expression, f"matchExpressions[{index}]", LABEL_SELECTOR_OPERATORS)
        problems.extend(requirement_problems)
        requirements.append(requirement)
    if problems:
        return None, problems
    return tuple(requirements), []


def _label_set(labels) -> Mapping:
    return labels if isinstance(labels, Mapping) else {}


def label_selector_matches(selector, labels: Mapping) -> bool:
    """`metav1.LabelSelector` semantics: a null selector matches nothing, {} everything;
    matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist) are ANDed; an invalid
    selector matches nothing."""
    requirements = _compiled_selector(selector)[0]
    if requirements is None:
        return False
    labels = _label_set(labels)
    return all(requirement.matches(labels) for requirement in requirements)


def label_map_selects(selector: Mapping, labels: Mapping) -> bool:
    """``label_selector_matches({"matchLabels": selector}, labels)`` for a plain label map (a
    Service's selector), compiled once per map however many workloads it is tried against."""
    requirements = _compiled_label_map(selector)[0]
    if requirements is None:
        return False
    labels = _label_set(labels)
    return all(requirement.matches(labels) for requirement in requirements)


def label_map_problems(selector: Mapping) -> list[Problem]:
    """``label_selector_problems({"matchLabels": selector})``, from the compiled form
    ``label_map_selects`` then uses (a Service's selector is checked, then tried)."""
    return list(_compiled_label_map(selector)[1])


def label_map_valid(selector: Mapping) -> bool:
    """``not label_map_problems(selector)``, without compiling the map when its keys and values are
    strings (a Service's selector, checked before it is tried against the few workloads an index
    cannot vouch for): the checks the compiler makes of such a pair."""
    for key, value in selector.items():
        if type(key) is not str or type(value) is not str:
            return not label_map_problems(selector)
        if _qualified_name_error(key) is not None or _label_value_error(value) is not None:
            return False
    return True


@memo.by_identity
def _compiled_label_map(selector: Mapping) -> tuple[tuple[_Requirement, ...] | None, tuple[Problem, ...]]:
    requirements, problems = _compile_label_selector_uncached({"matchLabels": selector})
    return requirements, tuple(problems)


def label_selector_problems(selector) -> list[Problem]:
    """Why a label selector is invalid (each makes the selector match nothing)."""
    return list(_compiled_selector(selector)[1])


# --- Node affinity -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FieldRequirement:
    """A node field requirement (metadata.name In/NotIn a value)."""

    key: str
    operator: str  # In / NotIn
    value: str

    def matches(self, node: Node) -> bool:
        # The scheduler's node field set holds metadata.name only; any other key reads as "".
        actual = node.name if self.key == NODE_NAME_FIELD else ""
        return (actual == self.value) == (self.operator == "In")


@dataclass(frozen=True)
class _NodeSelectorTerm:
    """A node selector term: label and field requirements, ANDed."""

    expressions: tuple[_Requirement, ...]
    fields: tuple[_FieldRequirement, ...]

    def matches(self, node: Node) -> bool:
        return all(requirement.matches(node.labels) for requirement in self.expressions) and all(
            requirement.matches(node) for requirement in self.fields)


def _compile_field_requirement(expression, path: str) -> tuple[_FieldRequirement | None, list[Problem]]:
    """`nodeSelectorRequirementsAsFieldSelector`: In/NotIn with exactly one value."""
    if not isinstance(expression, Mapping):
        return None, [Problem(path, "must be a mapping with key, operator and values")]
    problems = []
    key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values")
    if operator not in NODE_FIELD_OPERATORS:
        problems.append(Problem(f"{path}.operator", f"{operator!r} is not a valid operator (one of {', '.join(NODE_FIELD_OPERATORS)})"))
    if not isinstance(values, list) or len(values) != 1:
        problems.append(Problem(f"{path}.values", "must have exactly one element"))
    elif not isinstance(values[0], str):
        problems.append(Problem(f"{path}.values[0]", f"{values[0]!r} is not a string (quote it)"))
    if problems:
        return None, problems
    if key != NODE_NAME_FIELD:
        # The scheduler still evaluates it (see _FieldRequirement); API validation rejects it.
        problems.append(Problem(f"{path}.key", f"{key!r} is not a node field; only {NODE_NAME_FIELD} is supported"))
    return _FieldRequirement(key if isinstance(key, str) else "", operator, values[0]), problems


def _compile_node_selector_term(term) -> tuple[_NodeSelectorTerm | None, list[Problem]]:
    """`newNodeSelectorTerm`: None (matches nothing) for an empty or invalid term."""
    if not isinstance(term, Mapping):
        return None, [Problem("", "a node selector term must be a mapping with matchExpressions and/or matchFields")]
    problems: list[Problem] = []
    parts = {}
    for name in ("matchExpressions", "matchFields"):
        value = term.get(name)
        if value is None:
            value = []
        elif not isinstance(value, list):
            problems.append(Problem(name, "must be a list"))
            value = []
        parts[name] = value
    if not problems and not parts["matchExpressions"] and not parts["matchFields"]:
        return None, [Problem("", "an empty node selector term matches no nodes")]
    malformed = bool(problems)
    expressions = []
    for index, expression in enumerate(parts["matchExpressions"]):
        requirement, requirement_problems = _compile_requirement(
            expression, f"matchExpressions[{index}]", NODE_SELECTOR_OPERATORS)
        problems.extend(requirement_problems)
        expressions.append(requirement)
    fields = []
    for index, expression in enumerate(parts["matchFields"]):
        requirement, requirement_problems = _compile_field_requirement(expression, f"matchFields[{index}]")
        problems.extend(requirement_problems)
        fields.append(requirement)
    # A parse error anywhere voids the term (nodeSelectorTerm.match returns false on parseErrs).
    if malformed or None in expressions or None in fields:
        return None, problems
    return _NodeSelectorTerm(tuple(expressions), tuple(fields)), problems


def node_selector_term_matches(term: dict, node: Node) -> bool:
    """One `NodeSelectorTerm`: matchExpressions (In NotIn Exists DoesNotExist Gt Lt) AND matchFields
    (metadata.name In/NotIn one value). An empty or invalid term matches nothing."""
    compiled, _ = _compile_node_selector_term(term)
    return compiled is not None and compiled.matches(node)


def node_selector_term_problems(term) -> list[Problem]:
    """Why a node selector term matches nothing or would be rejected by the API server."""
    return _compile_node_selector_term(term)[1]


@dataclass(frozen=True)
class _RequiredNodeAffinity:
    """`nodeaffinity.GetRequiredNodeAffinity`, compiled once and matched against many nodes."""

    node_selector: tuple[tuple[str, str], ...] | None  # None: malformed, matches no node
    terms: tuple[_NodeSelectorTerm, ...] | None  # None: no required node affinity

    def selector_matches(self, node: Node) -> bool:
        if self.node_selector is None:
            return False
        return all(key in node.labels and node.labels[key] == value for key, value in self.node_selector)

    def affinity_matches(self, node: Node) -> bool:
        # Terms are ORed; invalid and empty ones were dropped, so no terms left matches nothing.
        return self.terms is None or any(term.matches(node) for term in self.terms)


def _compile_node_selector(node_selector) -> tuple[tuple[str, str], ...] | None:
    if node_selector is None:
        return ()
    if not isinstance(node_selector, Mapping):
        return None
    pairs = tuple(node_selector.items())
    if not all(isinstance(key, str) and isinstance(value, str) for key, value in pairs):
        return None
    return pairs


def _compile_required_node_affinity(pod_spec) -> _RequiredNodeAffinity:
    spec = pod_spec if isinstance(pod_spec, Mapping) else {}
    node_selector = _compile_node_selector(spec.get("nodeSelector"))
    required = spec
    for name in ("affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"):
        required = required.get(name)
        if required is None:
            return _RequiredNodeAffinity(node_selector, None)
        if not isinstance(required, Mapping):
            return _RequiredNodeAffinity(node_selector, ())  # malformed: matches no node
    terms = []
    for term in _as_list(required.get("nodeSelectorTerms")):
        compiled, _ = _compile_node_selector_term(term)
        if compiled is not None:
            terms.append(compiled)
    return _RequiredNodeAffinity(node_selector, tuple(terms))


def required_node_affinity_matches(pod_spec: dict, node: Node) -> bool:
    """`RequiredNodeAffinity.Match`: every nodeSelector pair equals a node label, AND one of the
    required node affinity terms matches (terms ORed; a required affinity with no usable term
    matches no node)."""
    affinity = _compile_required_node_affinity(pod_spec)
    return affinity.selector_matches(node) and affinity.affinity_matches(node)


# --- Node sets: some nodes of a cluster, by class ----------------------------------------------------


class NodeGroup:
    """Some members of one `NodeClass` (class ``position`` of the cluster): all of them but
    ``without``, or only those in ``only`` (member positions j). Every member passes the same
    checks, so `sample` (one of them, as a Node) stands for all ``count``."""

    __slots__ = ("position", "node_class", "only", "without", "count", "_sample")

    def __init__(self, position: int, node_class: NodeClass, only: frozenset | None = None,
                 without: frozenset = frozenset()) -> None:
        self.position, self.node_class = position, node_class
        if only is not None:
            only, without = frozenset(j for j in only if 0 <= j < node_class.count), frozenset()
        else:
            without = frozenset(j for j in without if 0 <= j < node_class.count)
        self.only, self.without = only, without
        self.count = len(only) if only is not None else node_class.count - len(without)
        self._sample = None

    @property
    def labels(self) -> Mapping[str, str]:
        """The class's labels, without kubernetes.io/hostname (one value per node)."""
        return self.node_class.labels

    @property
    def taints(self) -> tuple[Taint, ...]:
        return self.node_class.taints

    @property
    def pool(self) -> str | None:
        return self.node_class.pool

    def has_label(self, key: str) -> bool:
        return key in self.node_class.labels or (key == HOSTNAME_LABEL and self.node_class.has_hostname)

    def positions(self):
        """Member positions j, ascending (lazily: a group may hold a billion)."""
        if self.only is not None:
            yield from sorted(self.only)
            return
        for j in range(self.node_class.count):
            if j not in self.without:
                yield j

    @property
    def sample(self) -> Node:
        """A member as a Node: what is true of it (labels, taints) is true of every member, except
        its name and hostname, which no check of a group depends on."""
        if self._sample is None:
            self._sample = self.node_class.node(next(self.positions()))
        return self._sample

    def names(self):
        """(order in the cluster, name) of the members, lazily and in order."""
        members = self.node_class.members
        return ((members.order(j), members.name(j)) for j in self.positions())

    def _key(self) -> tuple:
        # The class itself (hashed by identity): sets of two clusters are never equal.
        return self.position, self.node_class, self.only, self.without

    def __repr__(self) -> str:
        return f"NodeGroup({self.node_class!r}, count={self.count})"


def _merge(a: NodeGroup, b: NodeGroup) -> NodeGroup:
    if a.only is not None and b.only is not None:
        return NodeGroup(a.position, a.node_class, a.only | b.only)
    if a.only is not None:
        return NodeGroup(a.position, a.node_class, None, b.without - a.only)
    if b.only is not None:
        return NodeGroup(a.position, a.node_class, None, a.without - b.only)
    return NodeGroup(a.position, a.node_class, None, a.without & b.without)


def _minus(a: NodeGroup, b: NodeGroup) -> NodeGroup:
    if a.only is not None:
        keep = a.only - b.only if b.only is not None else a.only & b.without
        return NodeGroup(a.position, a.node_class, keep)
    if b.only is not None:
        return NodeGroup(a.position, a.node_class, None, a.without | b.only)
    return NodeGroup(a.position, a.node_class, b.without - a.without)


def _within(a: NodeGroup, b: NodeGroup) -> bool:
    if a.only is not None:
        return a.only <= b.only if b.only is not None else not (a.only & b.without)
    if b.only is not None:
        return a.count <= len(b.only) and all(j in b.only for j in a.positions())
    return b.without <= a.without


class NodeSet:
    """Some nodes of a cluster as `NodeGroup`s (at most one per class, in class order): counts,
    unions, differences and inclusion cost per class, never per node. Immutable and hashable."""

    __slots__ = ("groups", "count", "_hash", "__weakref__")

    def __init__(self, groups: Iterable[NodeGroup] = ()) -> None:
        merged: dict[int, NodeGroup] = {}
        for group in groups:
            known = merged.get(group.position)
            merged[group.position] = group if known is None else _merge(known, group)
        self.groups: tuple[NodeGroup, ...] = tuple(merged[p] for p in sorted(merged) if merged[p].count)
        self.count: int = sum(group.count for group in self.groups)
        self._hash = None

    def __bool__(self) -> bool:
        return self.count > 0

    def __iter__(self):
        return iter(self.groups)

    def _keys(self) -> tuple:
        return tuple(group._key() for group in self.groups)

    def __eq__(self, other) -> bool:
        return isinstance(other, NodeSet) and self._keys() == other._keys()

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(self._keys())
        return self._hash

    def __or__(self, other: NodeSet) -> NodeSet:
        return NodeSet((*self.groups, *other.groups))

    def __sub__(self, other: NodeSet) -> NodeSet:
        theirs = {group.position: group for group in other.groups}
        return NodeSet(_minus(group, theirs[group.position]) if group.position in theirs else group
                       for group in self.groups)

    def __le__(self, other: NodeSet) -> bool:
        theirs = {group.position: group for group in other.groups}
        return all(group.position in theirs and _within(group, theirs[group.position]) for group in self.groups)

    def where(self, predicate) -> NodeSet:
        """The groups whose `sample` passes ``predicate`` (a check that is the same for every
        member: labels but the hostname, taints)."""
        return NodeSet(group for group in self.groups if predicate(group))

    def names(self, limit: int | None = None) -> list[str]:
        """Member names in the cluster's node order (the first `limit`)."""
        import heapq
        from itertools import islice

        merged = heapq.merge(*(group.names() for group in self.groups), key=lambda item: item[0])
        return [name for _, name in islice(merged, limit)]

    def nodes(self) -> list[Node]:
        """Every member as a Node, in node order: for small sets (tests, references)."""
        import heapq

        def members(group):
            return ((group.node_class.members.order(j), j, group) for j in group.positions())

        return [group.node_class.node(j)
                for _, j, group in heapq.merge(*(members(g) for g in self.groups), key=lambda item: item[0])]

    def __repr__(self) -> str:
        return f"NodeSet({self.count} nodes in {len(self.groups)} groups)"


def nodes_named(cluster: Cluster, names: Iterable[str]) -> NodeSet:
    """The nodes of the cluster with these names (names of no node are ignored)."""
    groups = []
    for name in names:
        found = cluster.find(name)
        if found is not None:
            groups.append(NodeGroup(found[0], cluster.classes[found[0]], frozenset((found[1],))))
    return NodeSet(groups)


def all_nodes(cluster: Cluster) -> NodeSet:
    """Every node of the cluster."""
    found = _VERDICT_CACHE[3] if _VERDICT_CACHE[0] is cluster else None
    if found is None:
        found = NodeSet(NodeGroup(position, node_class) for position, node_class in enumerate(cluster.classes))
        if _VERDICT_CACHE[0] is not cluster:
            _VERDICT_CACHE[:] = [cluster, {}, {}, None]
        _VERDICT_CACHE[3] = found
    return found


# --- Topology domains over node sets ---------------------------------------------------------------


class Domains:
    """The domains of `topology_key` among some nodes (its distinct values; an empty value is a
    domain too). Hostnames are one per node: a pool's nodes count one domain each without being
    listed (``per_node``); every other value is listed with the number of its first node."""

    __slots__ = ("topology_key", "values", "per_node")

    def __init__(self, topology_key: str, values: dict, per_node: NodeSet) -> None:
        self.topology_key, self.values, self.per_node = topology_key, values, per_node

    def __len__(self) -> int:
        return len(self.values) + self.per_node.count

    def __bool__(self) -> bool:
        return bool(self.values) or bool(self.per_node)

    def __sub__(self, other: Domains) -> Domains:
        values = {value: order for value, order in self.values.items() if value not in other.values}
        return Domains(self.topology_key, values, self.per_node - other.per_node)

    def first(self, limit: int) -> list[str]:
        """The first `limit` domain values, in the order of the nodes that carry them."""
        listed = sorted(self.values.items(), key=lambda item: item[1])[:limit]
        return [value for value, _ in _first_values(listed, self.per_node, limit)]


def _first_values(listed: list, per_node: NodeSet, limit: int) -> list:
    import heapq
    from itertools import islice

    streams = [((order, value) for value, order in listed)]
    streams += [group.names() for group in per_node.groups]
    merged = heapq.merge(*streams, key=lambda item: item[0])
    return [(value, order) for order, value in islice(merged, limit)]


def domains(nodes: NodeSet, topology_key: str) -> Domains:
    """The domains of `topology_key` among `nodes`; nodes without the label are in none."""
    values: dict[str, int] = {}
    per_node = []
    for group in nodes.groups:
        if topology_key != HOSTNAME_LABEL:
            if topology_key in group.labels:
                value = group.labels[topology_key]
                order = group.node_class.members.order(next(group.positions()))
                if value not in values or order < values[value]:
                    values[value] = order
            continue
        if not group.node_class.has_hostname:
            continue
        if group.node_class.generated:
            per_node.append(group)  # generated hostnames are unique in the cluster
            continue
        members = group.node_class.members
        for j in group.positions():
            value, order = members.hostname(j), members.order(j)
            if value not in values or order < values[value]:
                values[value] = order
    return Domains(topology_key, values, NodeSet(per_node))


def lacking(nodes: NodeSet, topology_key: str) -> int:
    """How many of `nodes` lack the label."""
    return sum(group.count for group in nodes.groups if not group.has_label(topology_key))


# --- Eligibility ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeVerdict:
    """Whether the nodes of one class can run a pod, and why not."""

    nodes: NodeGroup  # nodes of one class that get the same verdict
    eligible: bool
    # Why not: "nodeName", "nodeSelector", "node affinity" or "taint key=value:Effect not tolerated".
    reason: str | None

    @property
    def count(self) -> int:
        return self.nodes.count


class Verdicts(list):
    """The `NodeVerdict`s of a cluster for one placement, one per group of nodes that get the same
    answer (a class, or the nodes of a class the placement names and the rest), with the eligible
    nodes as a `NodeSet` and the cluster's node count. Shared by every workload whose pods have the
    same placement fields: callers must not change it."""

    eligible: NodeSet
    count: int
    _by_taints: dict | None = None

    def placed_by_taints(self) -> dict[tuple[Taint, ...], NodeSet]:
        """The nodes that pass everything but (perhaps) the taints, grouped by their taints."""
        if self._by_taints is None:
            groups: dict = {}
            for verdict in self:
                if verdict.reason is None or verdict.reason.startswith("taint "):
                    groups.setdefault(verdict.nodes.taints, []).append(verdict.nodes)
            self._by_taints = {taints: NodeSet(members) for taints, members in groups.items()}
        return self._by_taints


# The verdicts of the last cluster used, by placement (see _placement_key): a run asks the same
# cluster about thousands of workloads whose pods mostly share a handful of placements.
_VERDICT_CACHE: list = [None, {}, {}, None]  # [cluster, {placement: Verdicts}, {names: partition}, all nodes]


def node_verdicts(kind: str, pod_spec: dict, cluster: Cluster) -> Verdicts:
    """THE eligibility function: for each node, may a pod of this workload run there?

    Checks, in order, spec.nodeName, nodeSelector, required node affinity and taints (NoSchedule
    and NoExecute, against the pod's effective tolerations, implicit ones included). The first
    failing check is the reason.

    Computed once per cluster and distinct placement (the fields above; for a DaemonSet also
    hostNetwork), and once per node class (`NodeClass`: nodes with the same labels but the
    hostname, and the same taints); the members a placement names (nodeName, the hostname label,
    matchFields) are judged apart from the rest of their class.
    """
    spec = pod_spec if isinstance(pod_spec, Mapping) else {}
    if _VERDICT_CACHE[0] is not cluster:
        _VERDICT_CACHE[:] = [cluster, {}, {}, None]
    cache = _VERDICT_CACHE[1]
    try:
        key = _placement_key(kind, spec)
        found = cache.get(key)
    except TypeError:  # an unhashable value where a scalar belongs
        key, found = None, None
    if found is None:
        found = _node_verdicts(kind, spec, cluster)
        if key is not None:
            # bounded by verdicts held, not entries
            if len(cache) >= min(memo.SIZE, 1 + 2_000_000 // (1 + len(found))):
                cache.clear()
            cache[key] = found
    return found


def placement_key(kind: str, pod_spec) -> tuple:
    """What decides where the pods of a spec may run, as a hashable key: the fields
    ``node_verdicts`` reads (for a DaemonSet also hostNetwork). Rules that compute something per
    placement (topology spread capacity) cache it by this key. TypeError for an unhashable value
    where a scalar belongs."""
    return _placement_key(kind, pod_spec if isinstance(pod_spec, Mapping) else {})


def _placement_key(kind: str, spec: Mapping) -> tuple:
    affinity = spec.get("affinity")
    node_affinity = affinity.get("nodeAffinity") if isinstance(affinity, Mapping) else affinity
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution") \
        if isinstance(node_affinity, Mapping) else node_affinity
    daemon = kind == "DaemonSet"
    return memo._typed([daemon, spec.get("hostNetwork") if daemon else None, spec.get("nodeName"),
                        spec.get("nodeSelector"), affinity is None, node_affinity is None, required,
                        spec.get("tolerations")])


def _named(spec: Mapping) -> tuple[frozenset, bool]:
    """The node names and hostnames a placement mentions (spec.nodeName, the hostname label in
    nodeSelector or node affinity, matchFields on metadata.name), and whether it compares
    hostnames as numbers (Gt/Lt). Members of a class that it does not mention all get the same
    answer: every other check reads labels the whole class shares."""
    names: set = set()
    numeric = False
    node_name = spec.get("nodeName")
    if isinstance(node_name, str):
        names.add(node_name)
    selector = spec.get("nodeSelector")
    if isinstance(selector, Mapping) and isinstance(selector.get(HOSTNAME_LABEL), str):
        names.add(selector[HOSTNAME_LABEL])
    required = spec
    for name in ("affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"):
        required = required.get(name) if isinstance(required, Mapping) else None
    terms = required.get("nodeSelectorTerms") if isinstance(required, Mapping) else None
    for term in terms if isinstance(terms, list) else ():
        if not isinstance(term, Mapping):
            continue
        for section in ("matchExpressions", "matchFields"):
            expressions = term.get(section)
            for expression in expressions if isinstance(expressions, list) else ():
                if not isinstance(expression, Mapping):
                    continue
                if section == "matchExpressions" and expression.get("key") != HOSTNAME_LABEL:
                    continue
                if expression.get("operator") in ("Gt", "Lt"):
                    numeric = True
                values = expression.get("values")
                names.update(v for v in (values if isinstance(values, list) else ()) if isinstance(v, str))
    return frozenset(names), numeric


def partition(cluster: Cluster, pod_spec) -> list[NodeGroup]:
    """The cluster's nodes in groups whose members get the same answer from every placement check
    of this pod spec: one group per class, except that the members the spec names are groups of
    their own (see `_named`). Generated names (``pool-7``) never parse as numbers, so Gt/Lt on the
    hostname only splits classes of nodes described one by one."""
    named, numeric = _named(pod_spec if isinstance(pod_spec, Mapping) else {})
    if _VERDICT_CACHE[0] is not cluster:
        _VERDICT_CACHE[:] = [cluster, {}, {}, None]
    cache = _VERDICT_CACHE[2]
    found = cache.get((named, numeric))
    if found is not None:
        return found
    groups = []
    for position, node_class in enumerate(cluster.classes):
        members = node_class.members
        if numeric and not node_class.generated:
            groups.extend(NodeGroup(position, node_class, frozenset((j,))) for j in range(node_class.count))
            continue
        hits: set[int] = set()
        for name in named:
            j = members.position(name)
            if j is not None:
                hits.add(j)
            hostname = members.positions_of_hostname(name)
            if isinstance(hostname, int):
                hits.add(hostname)
            elif hostname:
                hits.update(hostname)
        groups.extend(NodeGroup(position, node_class, frozenset((j,))) for j in sorted(hits))
        rest = NodeGroup(position, node_class, None, frozenset(hits))
        if rest.count:
            groups.append(rest)
    if len(cache) >= 256:
        cache.clear()
    cache[(named, numeric)] = groups
    return groups


def _first_order(group: NodeGroup) -> int:
    return group.node_class.members.order(next(group.positions()))


def select_nodes(cluster: Cluster, pod_spec, predicate) -> NodeSet:
    """The nodes that pass ``predicate(node)``, a check that reads the node's labels, name and
    taints and the pod spec's placement: judged once per group of `partition`."""
    return NodeSet(group for group in partition(cluster, pod_spec) if predicate(group.sample))


def _node_verdicts(kind: str, spec: Mapping, cluster: Cluster) -> Verdicts:
    tolerations = effective_tolerations(kind, spec)
    affinity = _compile_required_node_affinity(spec)
    node_name = spec.get("nodeName")
    bound = node_name is not None and node_name != ""
    # A pod with spec.nodeName skips the scheduler: only the kubelet's admission checks taints, and
    # it only rejects untolerated NoExecute (pkg/kubelet/lifecycle/predicate.go). The DaemonSet
    # controller still filters on NoSchedule too (daemon_controller.go predicates).
    effects = ("NoExecute",) if bound and kind != "DaemonSet" else SCHEDULING_EFFECTS
    judge_labels = cluster.labels_known  # synthetic --nodes clusters: selectors assumed to match

    def reason_for(node: Node) -> str | None:
        if bound and judge_labels and node.name != node_name:
            return "nodeName"
        if judge_labels and not affinity.selector_matches(node):
            return "nodeSelector"
        if judge_labels and not affinity.affinity_matches(node):
            return "node affinity"
        untolerated = untolerated_taints(tolerations, node.taints, effects)
        return f"taint {untolerated[0]} not tolerated" if untolerated else None

    verdicts = Verdicts()
    groups = partition(cluster, spec) if judge_labels else all_nodes(cluster).groups
    # In the order of each group's first node, so that reasons are met in node order.
    for group in sorted(groups, key=_first_order):
        reason = reason_for(group.sample)
        verdicts.append(NodeVerdict(group, reason is None, reason))
    verdicts.eligible = NodeSet(verdict.nodes for verdict in verdicts if verdict.eligible)
    verdicts.count = cluster.node_count
    return verdicts


def eligible_nodes(kind: str, pod_spec: dict, cluster: Cluster) -> list[Node]:
    """The eligible nodes one by one: for small clusters (tests, references). Rules use
    ``node_verdicts(...).eligible``, a NodeSet."""
    return node_verdicts(kind, pod_spec, cluster).eligible.nodes()
