"""Inter-pod (anti-)affinity terms: extraction, which pods a term sees, and topology capacity.

Anti-affinity specific; node eligibility and topology domains come from `k8slint.model.scheduling`
(THE eligibility function), int-or-percent arithmetic from `k8slint.model.rollout`.

Upstream behaviour mirrored here (kubernetes/kubernetes pkg/scheduler/framework/plugins/
interpodaffinity/filtering.go, k8s.io/api core/v1 PodAffinityTerm):

* a term's ``labelSelector`` is matched against every pod in the term's namespaces; null matches
  no pod; ``namespaces`` and ``namespaceSelector`` are ORed, both empty means the pod's own
  namespace, ``namespaceSelector: {}`` means every namespace;
* ``matchLabelKeys``/``mismatchLabelKeys`` add ``key in (v)`` / ``key notin (v)`` with the
  incoming pod's value (keys the pod lacks are ignored). The controllers' revision labels
  (pod-template-hash ...) are on the pods, not in the template: a revision key in matchLabelKeys
  makes old and new pods ignore each other, in mismatchLabelKeys it makes a pod see only the
  pods of *other* revisions;
* ``satisfyPodAntiAffinity`` skips a node that lacks the term's topologyKey, and
  ``satisfyExistingPodsAntiAffinity`` only looks at the incoming node's own labels: a node without
  the key takes any number of such pods;
* ``satisfyPodAffinity`` fails on a node without the key, except for the first pod of a group
  that matches its own term.

Standard library only (cross-workload cliques: k8slint.model.cliques).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from k8slint.model.cluster import HOSTNAME_LABEL, ZONE_LABEL
from k8slint.model.objects import as_dict, as_list
from k8slint.model.pod_labels import REVISION_LABELS, PodLabels, requirements_verdict
from k8slint.model.scheduling import NodeSet, compiled_label_selector, label_key_error, label_selector_matches, \
    label_selector_problems
from k8slint.model.versions import NEWEST, Version, on_by_default

INFINITE = math.inf
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"  # set by the API server on every Namespace
DEFAULT_NAMESPACE = "default"

ANTI = "podAntiAffinity"
AFFINITY = "podAffinity"
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
PREFERRED = "preferredDuringSchedulingIgnoredDuringExecution"

ARGO_REVISION_LABEL = "rollouts-pod-template-hash"

# How a term relates the pods of one workload to each other (see `self_mode`).
ALL_REVISIONS = "all"  # every pod repels every other pod, old and new alike
SAME_REVISION = "same"  # matchLabelKeys has the revision label: pods repel their own revision only
OTHER_REVISIONS = "other"  # mismatchLabelKeys has the revision label, or Argo's injected term


@dataclass(frozen=True, slots=True)
class Term:
    """One PodAffinityTerm of a pod template (or the term Argo Rollouts injects)."""

    kind: str  # ANTI | AFFINITY
    required: bool
    path: tuple  # field path of the PodAffinityTerm mapping (or of Argo's antiAffinity field)
    data: Mapping = field(hash=False, compare=False)
    weight: object = None  # preferred terms only (raw value)
    weight_path: tuple | None = None
    injected: bool = False  # Argo Rollouts' antiAffinity: new pods avoid nodes with stable pods
    # match/mismatchLabelKeys dropped by the API server (MatchLabelKeysInPodAffinity off by default
    # at the target release, k8slint.model.versions): the term selects by labelSelector alone
    label_keys_dropped: bool = False
    # Read from ``data`` once, here: the rule asks for them per term and per pair of workloads.
    topology_key: str | None = field(init=False, compare=False, repr=False)
    selector: object = field(init=False, compare=False, repr=False)
    match_keys: tuple = field(init=False, compare=False, repr=False)  # matchLabelKeys (strings)
    mismatch_keys: tuple = field(init=False, compare=False, repr=False)  # mismatchLabelKeys (strings)
    namespaces: tuple = field(init=False, compare=False, repr=False)  # the names of ``namespaces``
    problems: tuple | None = field(default=None, init=False, compare=False, repr=False)  # term_problems
    accepted: bool | None = field(default=None, init=False, compare=False, repr=False)  # term_accepted
    # labelSelector compiled (requirements, problems): see `selector_of`
    compiled: tuple | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        data = self.data
        key = data.get("topologyKey")
        setter = object.__setattr__  # (frozen)
        setter(self, "topology_key", key if isinstance(key, str) and key else None)
        setter(self, "selector", data.get("labelSelector"))
        match_keys = mismatch_keys = ()
        if not self.label_keys_dropped:
            if "matchLabelKeys" in data:
                match_keys = tuple(k for k in as_list(data["matchLabelKeys"]) if isinstance(k, str))
            if "mismatchLabelKeys" in data:
                mismatch_keys = tuple(k for k in as_list(data["mismatchLabelKeys"]) if isinstance(k, str))
        setter(self, "match_keys", match_keys)
        setter(self, "mismatch_keys", mismatch_keys)
        names = data.get("namespaces")
        setter(self, "namespaces", tuple(n for n in names if isinstance(n, str)) if isinstance(names, list) else ())

    @property
    def key_path(self) -> tuple:
        return self.path if self.injected else self.path + ("topologyKey",)

    @property
    def description(self) -> str:
        how = "required" if self.required else "preferred"
        return f"{how} {self.kind}"


def template_terms(spec_path: tuple, pod_spec: Mapping, version: Version = NEWEST) -> list[Term]:
    """Every pod (anti-)affinity term of a pod spec, required and preferred, in source order, as
    the API server stores them at Kubernetes ``version``."""
    dropped = not on_by_default("MatchLabelKeysInPodAffinity", version)
    affinity = as_dict(as_dict(pod_spec).get("affinity"))
    terms = []
    for kind in (ANTI, AFFINITY):
        block = as_dict(affinity.get(kind))
        base = spec_path + ("affinity", kind)
        for index, item in enumerate(as_list(block.get(REQUIRED))):
            if isinstance(item, Mapping):
                terms.append(Term(kind, True, _shared_path(base + (REQUIRED, index)), item,
                                  label_keys_dropped=dropped))
        for index, item in enumerate(as_list(block.get(PREFERRED))):
            if isinstance(item, Mapping):
                inner = item.get("podAffinityTerm")
                terms.append(Term(kind, False, _shared_path(base + (PREFERRED, index, "podAffinityTerm")),
                                  inner if isinstance(inner, Mapping) else {},
                                  weight=item.get("weight"),
                                  weight_path=_shared_path(base + (PREFERRED, index, "weight")),
                                  label_keys_dropped=dropped))
    return terms


# Term paths, one tuple per distinct path: every Deployment's first preferred term has the same
# one, and anti-affinity-infeasible holds the terms of every workload of the run at once.
_PATHS: dict[tuple, tuple] = {}


def _shared_path(path: tuple) -> tuple:
    known = _PATHS.get(path)
    if known is None:
        if len(_PATHS) >= 4096:  # bounded: a pod with thousands of terms makes new paths
            _PATHS.clear()
        known = _PATHS[path] = path
    return known


def argo_injected_term(strategy_name: str, anti_affinity: Mapping, namespace: str) -> Term | None:
    """The term Argo Rollouts' ``GenerateReplicaSetAffinity`` adds to the new ReplicaSet during an
    update (``CreateInjectedAntiAffinityRule``): ``rollouts-pod-template-hash In [stableRS]``,
    ``namespaces: [<rollout namespace>]``, ``topologyKey: kubernetes.io/hostname``; required or
    preferred as `antiAffinity` says (preferred wins when both are set, as in Argo's code)."""
    path = ("spec", "strategy", strategy_name, "antiAffinity")
    data = {"topologyKey": HOSTNAME_LABEL, "namespaces": [namespace or DEFAULT_NAMESPACE],
            "labelSelector": {"matchExpressions": [{"key": ARGO_REVISION_LABEL, "operator": "In",
                                                    "values": ["<stable>"]}]}}
    if anti_affinity.get(PREFERRED) is not None:
        return Term(ANTI, False, path + (PREFERRED,), data, injected=True,
                    weight=as_dict(anti_affinity.get(PREFERRED)).get("weight"))
    if anti_affinity.get(REQUIRED) is not None:
        return Term(ANTI, True, path + (REQUIRED,), data, injected=True)
    return None


def argo_anti_affinity_problems(anti_affinity) -> list[tuple[tuple, str]]:
    """``ValidateRolloutStrategyAntiAffinity`` (argo-rollouts pkg/apis/rollouts/validation):
    (relative path, message) pairs."""
    if not isinstance(anti_affinity, Mapping):
        return [((), "antiAffinity must be a mapping with exactly one of requiredDuringScheduling"
                     "IgnoredDuringExecution or preferredDuringSchedulingIgnoredDuringExecution")]
    has_required = anti_affinity.get(REQUIRED) is not None
    has_preferred = anti_affinity.get(PREFERRED) is not None
    if has_required == has_preferred:
        what = "both are set" if has_required else "neither is set"
        return [((), f"AntiAffinity must have exactly one strategy listed ({what}); Argo Rollouts rejects "
                     f"the Rollout")]
    if has_preferred:
        weight = as_dict(anti_affinity.get(PREFERRED)).get("weight")
        if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 100:
            return [((PREFERRED, "weight"), f"AntiAffinity weight must be between 1-100, not {weight!r}")]
    return []


def selector_of(term: Term) -> tuple:
    """The term's labelSelector compiled: (requirements or None, label_selector_problems), worked
    out once per term (a run asks for every term's in several passes over thousands of workloads,
    more than the selector cache of k8slint.model.scheduling holds)."""
    compiled = term.compiled
    if compiled is None:
        selector = term.selector
        compiled = (compiled_label_selector(selector), tuple(label_selector_problems(selector)))
        object.__setattr__(term, "compiled", compiled)
    return compiled


def term_problems(term: Term) -> list[tuple[tuple, str]]:
    """What the API server's ``validatePodAffinityTerm`` would reject: (relative path, message)."""
    return list(_term_problems(term))


def term_accepted(term: Term) -> bool:
    """Whether the API server accepts the term (a preferred term's weight aside: the problems of
    `term_problems` at a relative path), worked out once and kept on the term."""
    accepted = term.accepted
    if accepted is None:
        accepted = not any(relative is not None for relative, _ in _term_problems(term))
        object.__setattr__(term, "accepted", accepted)
    return accepted


def _term_problems(term: Term) -> tuple[tuple[tuple, str], ...]:
    # Kept on the term: a rule asks about each term more than once.
    problems = term.problems
    if problems is None:
        problems = tuple(_term_problem_list(term))
        object.__setattr__(term, "problems", problems)
    return problems


def _term_problem_list(term: Term) -> list[tuple[tuple, str]]:
    problems = []
    key = term.data.get("topologyKey")
    if key is None or key == "":
        problems.append((("topologyKey",), "topologyKey is empty, which the API server rejects "
                                          "(\"Empty topologyKey is not allowed\")"))
    elif not isinstance(key, str):
        problems.append((("topologyKey",), f"topologyKey must be a string, not {key!r}"))
    else:
        # A topology key is a label key: validate it the way label keys are validated.
        error = label_key_error(key)
        if error:
            problems.append((("topologyKey",), f"topologyKey {key!r} is not a valid label key: {error}"))
    selector = term.selector
    for problem in selector_of(term)[1]:
        problems.append((("labelSelector",), f"labelSelector: {problem}: the term matches no pods"))
    match_keys, mismatch_keys = term.match_keys, term.mismatch_keys
    selector_keys = _selector_keys(selector) if match_keys or mismatch_keys else ()
    for name, keys in (("matchLabelKeys", match_keys), ("mismatchLabelKeys", mismatch_keys)):
        if keys and selector is None:
            problems.append(((name,), f"{name} needs labelSelector to be set"))
        for index, item in enumerate(keys):
            if item in selector_keys:
                problems.append(((name, index), f"{item!r} is in both {name} and labelSelector, which the "
                                                f"API server rejects"))
    for index, item in enumerate(mismatch_keys):
        if item in match_keys:
            problems.append((("mismatchLabelKeys", index), f"{item!r} is in both matchLabelKeys and "
                                                           f"mismatchLabelKeys, which the API server rejects"))
    if not term.required:
        weight = term.weight
        if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 100:
            problems.append((None, f"weight must be an integer in 1-100, not {weight!r}"))
    return problems


def _selector_keys(selector) -> set[str]:
    selector = as_dict(selector)
    keys = {k for k in as_dict(selector.get("matchLabels")) if isinstance(k, str)}
    keys |= {key for key in (as_dict(e).get("key") for e in as_list(selector.get("matchExpressions")))
             if isinstance(key, str)}
    return keys


def namespace_matches(term: Term, owner_namespace: str, namespace: str) -> bool | None:
    """Is a pod in ``namespace`` within the term's namespaces? None when it depends on namespace
    labels we cannot see (a namespaceSelector on labels other than kubernetes.io/metadata.name)."""
    owner_namespace = owner_namespace or DEFAULT_NAMESPACE
    namespace = namespace or DEFAULT_NAMESPACE
    names = term.namespaces
    selector = term.data.get("namespaceSelector")
    if not names and selector is None:
        return namespace == owner_namespace
    if namespace in names:
        return True
    if selector is None or not isinstance(selector, Mapping):
        return False
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        return True  # {} selects every namespace
    if label_selector_matches(selector, {NAMESPACE_NAME_LABEL: namespace}):
        return True
    return False if _selector_keys(selector) <= {NAMESPACE_NAME_LABEL} else None


def term_selects(term: Term, owner_labels, owner_namespace: str, owner_kind: str,
                 labels, namespace: str, same_revision: bool, same_workload: bool | None = None) -> bool | None:
    """Does ``term`` (of a pod with ``owner_labels``) see a pod with ``labels``? Both are
    ``pod_labels.PodLabels`` (the template's labels plus the controllers'), or plain template label
    maps. ``same_revision``: both pods come from the same revision of the same workload;
    ``same_workload`` (default: ``same_revision``): both come from the same workload (decides the
    controllers' per-revision, per-pod and per-workload labels, in the selector and in
    match/mismatchLabelKeys). None: it depends on what the manifests do not tell."""
    if same_workload is None:
        same_workload = same_revision
    if term.injected:  # rollouts-pod-template-hash In [stableRS]: the stable pods only
        return not same_revision
    owner = owner_labels if isinstance(owner_labels, PodLabels) else PodLabels(_plain(owner_labels))
    target = labels if isinstance(labels, PodLabels) else PodLabels(_plain(labels))
    if not owner.revision and owner_kind in REVISION_LABELS and not isinstance(owner_labels, PodLabels):
        owner = PodLabels(owner.known, frozenset(k for k in REVISION_LABELS[owner_kind] if k not in owner.known))
    if not isinstance(labels, PodLabels) and same_workload:
        target = owner
    verdict = requirements_verdict(selector_of(term)[0], target)
    if verdict is False:
        return False
    for key in term.match_keys:  # key In (the incoming pod's value)
        seen = _label_key_verdict(key, owner, target, same_revision, same_workload, match=True)
        if seen is False:
            return False
        if seen is None:
            verdict = None
    for key in term.mismatch_keys:  # key NotIn (the incoming pod's value)
        seen = _label_key_verdict(key, owner, target, same_revision, same_workload, match=False)
        if seen is False:
            return False
        if seen is None:
            verdict = None
    in_namespace = namespace_matches(term, owner_namespace, namespace)
    if in_namespace is False:
        return False
    return None if verdict is None or in_namespace is None else True


def _plain(labels) -> dict:
    return dict(labels) if isinstance(labels, Mapping) else {}


def _label_key_verdict(key: str, owner: PodLabels, target: PodLabels, same_revision: bool, same_workload: bool,
                       match: bool) -> bool | None:
    """Does the requirement ``key In/NotIn (owner's value)`` (``match`` True/False) that
    match/mismatchLabelKeys add hold for ``target``? Keys the incoming pod lacks add nothing
    (the API server merges only the keys the pod has)."""
    if key in owner.known:
        if key in target.known:
            equal = target.known[key] == owner.known[key]
        elif target.has(key):
            return None
        else:
            equal = False
    elif key in owner.revision:
        equal = same_workload and same_revision  # another workload's hash differs too
    elif key in owner.per_pod:
        if same_workload:
            equal = False  # every pod has its own name and ordinal (and a pod does not count itself)
        elif target.has(key):
            return None  # ordinals 0, 1 ... of two StatefulSets coincide
        else:
            equal = False
    elif key in owner.per_workload:
        equal = same_workload
    else:
        return True
    return equal if match else not equal


def self_mode(term: Term, labels: Mapping, namespace: str, kind: str) -> str | None:
    """How an anti-affinity term keeps a workload's own pods apart: ALL_REVISIONS,
    SAME_REVISION, OTHER_REVISIONS, or None when it does not (or may not) select them."""
    same = term_selects(term, labels, namespace, kind, labels, namespace, True, True)
    # Only the injected term and match/mismatchLabelKeys tell the revisions apart.
    other = same if not term.injected and not term.match_keys and not term.mismatch_keys else \
        term_selects(term, labels, namespace, kind, labels, namespace, False, True)
    if same is True and other is True:
        return ALL_REVISIONS
    if same is True:
        return SAME_REVISION
    if other is True:
        return OTHER_REVISIONS
    return None


# --- Capacity: how many pods that must all be apart fit ------------------------------------------


def capacity(nodes: NodeSet, keys: Iterable[str]) -> float:
    """The most pods that can run on ``nodes`` when no two may share a value of any of ``keys``.

    A node lacking every key takes any number of pods (INFINITE). One key: the number of its
    domains (a hostname is one per node). Two keys: a maximum bipartite matching between the values
    of the two keys (a node lacking one key is limited by the other only). Three or more: the
    smallest one-key bound, which is an upper bound (so "more pods than capacity" stays a sound
    verdict). Costs per class of nodes, not per node, except for hostnames of nodes described one
    by one.
    """
    keys = tuple(dict.fromkeys(keys))
    entry = _CAPACITY.get((nodes, keys))
    if entry is None:
        if len(_CAPACITY) >= 256:
            _CAPACITY.clear()
        entry = _CAPACITY[(nodes, keys)] = _capacity(nodes, keys)
    return entry


_CAPACITY: dict = {}  # (NodeSet, keys) -> capacity


def _capacity(nodes: NodeSet, keys: tuple) -> float:
    from k8slint.model.scheduling import domains

    if not keys:
        return INFINITE
    if any(not any(group.has_label(k) for k in keys) for group in nodes.groups):
        return INFINITE
    if len(keys) == 1:
        return len(domains(nodes, keys[0]))
    if len(keys) == 2:
        return _pair_capacity(nodes, *keys)
    bounds = []
    for key in keys:
        bounds.append(INFINITE if any(not group.has_label(key) for group in nodes.groups)
                      else len(domains(nodes, key)))
    return min(bounds)


def _pair_capacity(nodes: NodeSet, a: str, b: str) -> int:
    """Maximum matching between the values of keys a and b over the nodes (each node an edge; a
    node lacking a key stands for itself on that side). Vertices that stand for the nodes of one
    class are merged when they can only reach one vertex (at most one of them is ever matched),
    and a hostname of a generated node is private to it: such nodes add to the matching directly."""
    if a == HOSTNAME_LABEL:
        a, b = b, a
    edges: dict[tuple, set[tuple]] = {}
    direct = 0
    for group in nodes.groups:
        node_class = group.node_class
        left = ("value", group.labels[a]) if a in group.labels else None
        if b != HOSTNAME_LABEL:
            right = ("value", group.labels[b]) if b in group.labels else ("class", group.position, "b")
            edges.setdefault(left or ("class", group.position, "a"), set()).add(right)
            continue
        if not node_class.has_hostname:  # lacks b: its nodes are limited by their a value only
            edges.setdefault(left, set()).add(("class", group.position, "b"))
            continue
        if node_class.generated:
            if left is None:
                direct += group.count  # each node: its own left vertex and its own hostname
            else:
                edges.setdefault(left, set()).add(("private", left))  # a hostname no other node has
            continue
        members = node_class.members
        for j in group.positions():
            host = ("value", members.hostname(j))
            edges.setdefault(left or ("node", group.position, j), set()).add(host)
    return direct + _max_matching(edges)


def _max_matching(edges: dict[tuple, set[tuple]]) -> int:
    """Kuhn's augmenting paths; the graphs here have at most a few hundred vertices."""
    match: dict[tuple, tuple] = {}

    def augment(left, seen) -> bool:
        for right in edges[left]:
            if right in seen:
                continue
            seen.add(right)
            if right not in match or augment(match[right], seen):
                match[right] = left
                return True
        return False

    return sum(1 for left in edges if augment(left, set()))


def domain_noun(key: str, count: float = 2) -> str:
    """"node"/"nodes" for hostname, "zone"/"zones" for the zone label, else "<key> domains"."""
    plural = count != 1
    if key == HOSTNAME_LABEL:
        return "nodes" if plural else "node"
    if key in (ZONE_LABEL, "failure-domain.beta.kubernetes.io/zone"):
        return "zones" if plural else "zone"
    if key in ("topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region"):
        return "regions" if plural else "region"
    return f"{key} domains" if plural else f"{key} domain"


def count_noun(count: float, key: str) -> str:
    return f"{count} {domain_noun(key, count)}"
