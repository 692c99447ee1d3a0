"""Required pod anti-affinity against replica, node and zone counts: steady state, rollout peak,
and across workloads.

``anti-affinity-infeasible`` (SET rule: it needs HPAs, the other workloads and the cluster):

* without cluster information it reports, at info level, how many topology domains each workload
  whose required anti-affinity selects its own pods needs at steady state and at rollout peak;
* with cluster information (``--cluster``/``--nodes``/config/Node objects among the linted files)
  it reports pods that stay Pending at steady state and rollouts that can never finish (errors),
  and rollouts that hang unless the old pods happen to run in the right places (warnings);
* workloads that repel each other on one topology key form a conflict graph: a maximum weighted
  clique is a lower bound of the domains their pods need;
* a required podAffinity that only anti-affinity-repelled pods can satisfy is infeasible anywhere.

``anti-affinity-invalid-term`` reports terms the API server (or Argo Rollouts) rejects;
``anti-affinity-no-effect`` reports terms that keep nothing apart.

Semantics live in ``k8slint.model.affinity`` (terms, selection, capacity), ``scheduling``
(eligibility) and ``rollout`` (fenceposts); this module only decides and words the findings.
"""

from __future__ import annotations

from dataclasses import dataclass

from k8slint.model import affinity as aff
from k8slint.model import fixes, versions
from k8slint.model.affinity import ALL_REVISIONS, ANTI, AFFINITY, INFINITE, OTHER_REVISIONS, SAME_REVISION, \
    count_noun, domain_noun
from k8slint.model.cluster import HOSTNAME_LABEL
from k8slint.model.objects import (
    DaemonSet, Deployment, HorizontalPodAutoscaler, Pod, ReplicaSet, ReplicationController, Rollout,
    StatefulSet, Workload, as_dict, as_int, as_list, dig,
)
from k8slint.model.index import LabelIndex, PodLabelIndex
from k8slint.model.pod_labels import PodLabels
from k8slint.model.relations import hpas_for
from k8slint.rules import HEAVY, SET, rule

INFEASIBLE = "anti-affinity-infeasible"
INVALID = "anti-affinity-invalid-term"
NO_EFFECT = "anti-affinity-no-effect"

_ANALYSED = (Deployment, ReplicaSet, ReplicationController, StatefulSet, DaemonSet, Rollout, Pod)
_PREFERRED_FIX = "use preferredDuringSchedulingIgnoredDuringExecution"
_CHECK = "lint with --nodes N [--zones Z] or --cluster FILE to check the cluster has them"


@dataclass(eq=False, slots=True)
class _Workload:
    """What the anti-affinity analysis reads of one workload."""

    obj: Workload
    labels: dict
    namespace: str
    spec: dict
    terms: list | tuple  # after its own checks, the required ones only (see `_keep_required`)
    pods: int | None  # pods at steady state (None: a DaemonSet without cluster information)
    hpa: HorizontalPodAutoscaler | None
    verdicts: list | None  # node verdicts with cluster information
    eligible: list | None

    @property
    def name(self) -> str:
        return f"{self.obj.kind} {self.obj.display_name}"

    @property
    def pods_text(self) -> str:
        """Where ``pods`` comes from: "replicas 2", "HPA maxReplicas 6", "one per eligible node"
        (worded when a finding needs it: the rule holds a workload of each of the run's)."""
        if isinstance(self.obj, DaemonSet):
            return "one per eligible node"
        if isinstance(self.obj, Pod):
            return "a single Pod"
        if self.hpa is not None:
            return f"HPA maxReplicas {self.hpa.max_replicas}"
        return f"replicas {self.pods}"

    own: tuple = ()  # (term, mode) of the required anti-affinity terms that select the own pods
    position: int = -1  # in the list the cross-workload checks run over (set by `_conflict_edges`)

    def __post_init__(self) -> None:
        own = []
        for term in self.terms:
            if term.kind == ANTI and term.required and _usable(term):
                mode = aff.self_mode(term, self.labels, self.namespace, self.obj.kind)
                if mode is not None:
                    own.append((term, mode))
        if own:
            self.own = tuple(own)

    def self_terms(self, modes=(ALL_REVISIONS, SAME_REVISION, OTHER_REVISIONS)) -> list:
        """(term, mode) for the required anti-affinity terms that select this workload's own pods."""
        return [(term, mode) for term, mode in self.own if mode in modes]


def _usable(term) -> bool:
    """A term the API server accepts (a preferred term's bad weight does not matter here)."""
    return term.topology_key is not None and (term.injected or aff.term_accepted(term))


def _keep_required(w: _Workload) -> None:
    """Once a workload's own checks are done, the cross-workload checks read its required terms
    only (conflicts, contradictions, self terms): the preferred ones, and what was worked out for
    them (compiled selectors), need not stay for every workload of the run at once."""
    terms = w.terms
    if terms and not all(term.required for term in terms):
        w.terms = [term for term in terms if term.required] or ()


@rule(INFEASIBLE, scope=SET, also_reports=[INVALID, NO_EFFECT], cost=HEAVY)
def check(inventory, ctx):
    cluster = ctx.cluster
    hpas = inventory.of(HorizontalPodAutoscaler)
    all_templates = [w for w in inventory.workloads if isinstance(w.pod_template.data, dict)
                     and w.pod_template.data]
    if not any(_may_have_terms(obj) for obj in all_templates if isinstance(obj, _ANALYSED)):
        return  # no pod (anti-)affinity term anywhere (most runs): nothing to validate, weigh or compare
    version = ctx.kubernetes_version
    # The shared index of the pods' labels (k8slint.model.index): a term's selector is evaluated
    # against the templates that may match it, not against every template of the run.
    templates = PodLabelIndex(all_templates, version)
    shared_terms: dict = {}
    infeasible, invalid, no_effect = ctx.enabled(INFEASIBLE), ctx.enabled(INVALID), ctx.enabled(NO_EFFECT)
    # Each workload is analysed and checked on its own in one pass, and then keeps only what the
    # cross-workload checks read: at 100,000 documents this rule is where a run's memory peaks.
    workloads = []
    for obj in all_templates:
        if not isinstance(obj, _ANALYSED):
            continue
        w = _analyse(obj, hpas, cluster, _pod_labels(templates, obj), version, shared_terms)
        workloads.append(w)
        if not w.terms and not isinstance(w.obj, Rollout):
            continue  # nothing of its own to validate or weigh (it still counts as the others' target)
        with ctx.guard(w.obj):
            if invalid:
                _validate(w, ctx)
            if no_effect:
                _no_effect(w, templates, ctx, cluster)
            if infeasible and not _bound(w):
                if cluster is None:
                    _report_needs(w, ctx)
                else:
                    _check_cluster(w, ctx, cluster)
                _daemonset_surge(w, ctx, cluster)
        _keep_required(w)
    del shared_terms
    if infeasible:
        scheduled = [w for w in workloads if not _bound(w)]
        index = _ScheduledIndex(templates, scheduled)
        _affinity_contradictions(scheduled, index, ctx)
        _cross_workload(scheduled, index, ctx, cluster)


def _pod_labels(templates: PodLabelIndex, obj: Workload) -> PodLabels:
    """The labels of ``obj``'s pods, its template's when the index cannot know them."""
    return templates.known_labels(obj) or PodLabels(obj.pod_template.labels)


class _ScheduledIndex:
    """The scheduled workloads by the labels of their pods: what a ``LabelIndex`` of them (with
    ``CONTROLLER_KEYS`` unknown, and a workload whose pods are unknown, a Rollout with workloadRef,
    a candidate for every term) answers, read from the run's ``PodLabelIndex`` of every template
    instead of building a second index of the same labels. ``scheduled`` keeps the templates'
    order, so the candidates come in input order as well."""

    def __init__(self, templates: PodLabelIndex, scheduled: list) -> None:
        self.templates = templates
        # the scheduled workload at each template's position (None: not analysed, or bound)
        self.of = of = [None] * len(templates.items)
        position = templates.position
        for w in scheduled:
            of[position(w.obj)] = w

    def selector_candidates(self, selector) -> list:
        return [w for w in map(self.of.__getitem__, self.templates.selector_positions(selector)) if w is not None]


def _may_have_terms(obj: Workload) -> bool:
    """Whether `_analyse` may find a pod (anti-)affinity term on ``obj``, or `_validate` an Argo
    Rollouts antiAffinity: a cheap superset of both, read before any analysis."""
    affinity = obj.pod_template.spec.get("affinity")
    if isinstance(affinity, dict) and (affinity.get(ANTI) is not None or affinity.get(AFFINITY) is not None):
        return True
    if isinstance(obj, Rollout):
        strategy = as_dict(dig(obj.root, ("spec", "strategy")))
        return any(as_dict(strategy.get(name)).get("antiAffinity") is not None for name in ("blueGreen", "canary"))
    return False


def _bound(w: _Workload) -> bool:
    """Pods with spec.nodeName skip the scheduler: the kubelet admits them without looking at
    inter-pod (anti-)affinity (pkg/kubelet/lifecycle/predicate.go checks resources, host ports,
    node selector and affinity, and NoExecute taints only), so no term of theirs keeps them
    Pending. They are left out of the infeasibility checks, their own and their neighbours'."""
    name = w.spec.get("nodeName")
    return isinstance(name, str) and bool(name)


# --- Workload facts ------------------------------------------------------------------------------


def _analyse(obj: Workload, hpas: list, cluster, labels: PodLabels, version, shared_terms: dict | None = None
             ) -> _Workload:
    template = obj.pod_template
    spec = template.spec
    namespace = obj.namespace or aff.DEFAULT_NAMESPACE
    terms = _template_terms(template, version, shared_terms)
    if isinstance(obj, Rollout):
        terms = list(terms)
        for name in ("blueGreen", "canary"):
            block = as_dict(dig(obj.root, ("spec", "strategy", name)))
            anti = block.get("antiAffinity")
            if isinstance(anti, dict) and not aff.argo_anti_affinity_problems(anti):
                injected = aff.argo_injected_term(name, anti, namespace)
                if injected is not None:
                    terms.append(injected)
    verdicts = eligible = None
    if cluster is not None:
        from k8slint.model.scheduling import node_verdicts

        verdicts = node_verdicts(obj.kind, spec, cluster)  # shared by workloads of the same placement
        eligible = verdicts.eligible
    hpa = next((h for h in hpas_for(obj, hpas) if h.max_replicas is not None), None)
    if isinstance(obj, DaemonSet):
        pods = eligible.count if eligible is not None else None
    elif isinstance(obj, Pod):
        pods = 1
    elif hpa is not None:
        pods = hpa.max_replicas
    else:
        pods = obj.replicas
    return _Workload(obj, labels, namespace, spec, terms, pods, hpa, verdicts, eligible)


def _template_terms(template, version, shared: dict | None) -> list:
    """``affinity.template_terms``, made once per affinity mapping of the run when ``shared`` (a
    dict that lives while the inventory does) is given: the inventory shares equal containers, so
    the workloads of one chart or group with equal terms hold the same mapping, and the same terms
    (whose problems are then worked out once). Not to be changed: a copy before adding to it."""
    affinity = template.spec.get("affinity")
    if not isinstance(affinity, dict):
        return []
    if shared is None:
        return aff.template_terms(template.spec_path, template.spec, version)
    key = (id(affinity), template.path)
    terms = shared.get(key)
    if terms is None:
        if len(shared) >= 4096:  # bounded: the workloads that share a mapping mostly come together
            shared.clear()
        terms = shared[key] = aff.template_terms(template.spec_path, template.spec, version)
    return terms


# --- invalid terms and terms without effect ------------------------------------------------------


def _validate(w: _Workload, ctx) -> None:
    for term in w.terms:
        if term.injected:
            continue
        for relative, message in aff.term_problems(term):
            path = term.weight_path if relative is None else term.path + relative
            ctx.report(w.obj, path, f"{term.description} term: {message}", rule=INVALID)
    if isinstance(w.obj, Rollout):
        for name in ("blueGreen", "canary"):
            block = as_dict(dig(w.obj.root, ("spec", "strategy", name)))
            if "antiAffinity" in block and block["antiAffinity"] is not None:
                for relative, message in aff.argo_anti_affinity_problems(block["antiAffinity"]):
                    ctx.report(w.obj, ("spec", "strategy", name, "antiAffinity") + relative,
                               f"spec.strategy.{name}.antiAffinity: {message}", rule=INVALID,
                               hint="Set exactly one of requiredDuringSchedulingIgnoredDuringExecution: {} or "
                                    "preferredDuringSchedulingIgnoredDuringExecution: {weight: 1-100}.")


def _no_effect(w: _Workload, templates: PodLabelIndex, ctx, cluster) -> None:
    for term in w.terms:
        if term.kind != ANTI or term.injected or term.topology_key is None:
            continue
        selector = term.selector
        if selector is None:
            ctx.report(w.obj, term.path, f"{term.description} term has no labelSelector: it matches no pods "
                                         f"and keeps nothing apart", rule=NO_EFFECT, severity="warning")
            continue
        # A term in w.own is valid and selects the workload's own pods (what _selects_any tries first).
        selects_own = any(own is term for own, _ in w.own)
        if not selects_own and aff.selector_of(term)[1]:
            continue  # reported as invalid
        if not selects_own and not _selects_any(term, w, templates):
            meant = _meant_for_itself(selector, w.obj.pod_template.labels)
            if meant is not None:
                own = ", ".join(f"{k}={v}" for k, v in w.obj.pod_template.labels.items()
                                if isinstance(k, str) and isinstance(v, str)) or "none"
                ctx.report(w.obj, term.path + ("labelSelector",),
                           f"{term.description} term is meant for this workload's own pods (it asks for {meant}) "
                           f"but does not select them: their labels are {own}, and it selects no other pod "
                           f"template among the {len(templates.items)} workload(s) linted, so the spreading it "
                           f"asks for does not happen", rule=NO_EFFECT, severity="warning",
                           hint="Use a label key and value the pod template carries in the term's labelSelector.")
                continue
            ctx.report(w.obj, term.path + ("labelSelector",),
                       f"{term.description} term selects no pod template among the {len(templates.items)} workload(s) "
                       f"linted (labels and namespaces compared): it keeps nothing apart unless it targets pods "
                       f"deployed elsewhere", rule=NO_EFFECT, severity="info",
                       hint="Fix the selector to match the pods' labels (and namespaces), or suppress the finding "
                            "if the pods come from another source.")
            continue
        if term.required and w.eligible and not any(g.has_label(term.topology_key) for g in w.eligible):
            ctx.report(w.obj, term.key_path,
                       f"{term.description} on {term.topology_key}: none of the {w.eligible.count} eligible "
                       f"nodes ({ctx.cluster.source}) carries the label {term.topology_key}, and the scheduler "
                       f"lets any number of matching pods onto a node without it: the term keeps nothing apart",
                       rule=NO_EFFECT, severity="warning",
                       hint="Use a topologyKey the nodes carry, such as kubernetes.io/hostname or "
                            "topology.kubernetes.io/zone.")


def _meant_for_itself(selector: dict, labels: dict) -> str | None:
    """The part of a selector that shows it was written for the pods that carry it: a value one of
    the pod's own labels has, under another key (``app In [zk]`` on pods labelled
    ``app.kubernetes.io/name: zk``). None when it names no value of the pod's own: a term against
    another workload's pods (``app: db`` on ``app: web`` pods) may target pods deployed elsewhere."""
    values = {v for v in labels.values() if isinstance(v, str)}
    wanted = [(k, v) for k, v in as_dict(selector.get("matchLabels")).items()]
    for expression in as_list(selector.get("matchExpressions")):
        expression = as_dict(expression)
        if expression.get("operator") == "In":
            wanted += [(expression.get("key"), v) for v in as_list(expression.get("values"))]
    for key, value in wanted:
        if isinstance(value, str) and value in values:
            return f"{key}={value}" if isinstance(key, str) else value
    return None


def _selects_any(term, w: _Workload, templates: PodLabelIndex) -> bool:
    for other in [w.obj] + templates.selector_candidates(term.selector):  # most terms select their own pods
        namespace = other.namespace or aff.DEFAULT_NAMESPACE
        own = other is w.obj
        labels = w.labels if own else _pod_labels(templates, other)
        for same in ((True, False) if own else (False,)):
            if aff.term_selects(term, w.labels, w.namespace, w.obj.kind, labels, namespace, same,
                                own) is not False:
                return True
    return False


# --- rollout arithmetic per strategy -------------------------------------------------------------


@dataclass
class _Peak:
    """Pods that must all be apart at the moment a rollout needs one more domain."""

    pods: int
    during: str  # "during a rolling update"
    numbers: str  # "replicas 2 + maxSurge 1, maxUnavailable 0"
    consequence: str
    fix: str


def _pods(count, what: str = "pod") -> str:
    """"1 pod stays" / "2 pods stay"."""
    return f"{count} {what} stays" if count == 1 else f"{count} {what}s stay"


def _how(raw, resolved: int) -> str:
    return f"{resolved} ({raw})" if isinstance(raw, str) else str(resolved)


def _rollout_peak(w: _Workload, noun_one: str) -> _Peak | None:
    """The peak when old and new pods repel each other (a term that sees every revision). None
    when the rollout never needs more domains than the steady state."""
    obj = w.obj
    if not w.pods or not isinstance(obj, (Deployment, Rollout)):
        return None
    # Asked for every workload with a self term: worked out once per strategy mapping (the
    # inventory shares equal ones), replica count and wording.
    strategy = obj.spec.get("strategy")
    key = (type(obj), id(strategy), w.pods, w.hpa is None, noun_one)  # (pods and hpa make pods_text)
    entry = _PEAKS.get(key)
    if entry is None or entry[0] is not strategy:
        if len(_PEAKS) >= 256:
            _PEAKS.clear()
        entry = _PEAKS[key] = (strategy, _strategy_peak(w, noun_one))  # (keeps the mapping, and its id)
    return entry[1]


_PEAKS: dict = {}  # (kind, id of spec.strategy, pods, without HPA, noun) -> (spec.strategy, _Peak or None)


def _strategy_peak(w: _Workload, noun_one: str) -> _Peak | None:
    from k8slint.model.rollout import IntOrPercentError, argo_canary_fenceposts, deployment_rollout_peak

    n = w.pods
    obj = w.obj
    try:
        if isinstance(obj, Deployment):
            peak = deployment_rollout_peak(obj.strategy, n)
            if peak.strategy != "RollingUpdate" or not peak.min_unavailable_zero:
                return None
            ru = as_dict(as_dict(obj.strategy).get("rollingUpdate"))
            surge = _how(ru.get("maxSurge", "25%"), peak.surge)
            unavailable = _how(ru.get("maxUnavailable", "25%"), peak.unavailable)
            return _Peak(n + 1, "during a rolling update", f"{w.pods_text} + maxSurge {surge}, maxUnavailable "
                         f"{unavailable}", "the rollout will never finish (the surge pod stays Pending, and no old "
                         "pod goes before a new one is available: ProgressDeadlineExceeded)",
                         f"set maxUnavailable: 1, add a {noun_one}, add matchLabelKeys: [pod-template-hash] to the "
                         f"term, or {_PREFERRED_FIX}")
        if isinstance(obj, Rollout):
            strategy = as_dict(dig(obj.root, ("spec", "strategy")))
            if isinstance(strategy.get("blueGreen"), dict):
                raw = strategy["blueGreen"].get("previewReplicaCount")
                preview = as_int(raw, n) if raw is not None else n
                return _Peak(n + preview, "during a blue-green update",
                             f"{w.pods_text} active + {preview} preview" + (" (previewReplicaCount)" if raw is not None
                                                                           else ""),
                             "the preview pods stay Pending and the rollout is never promoted",
                             f"add {noun_one}s so that active and preview pods fit side by side, lower "
                             f"previewReplicaCount, or {_PREFERRED_FIX}")
            canary = strategy.get("canary")
            if isinstance(canary, dict):
                if canary.get("trafficRouting") is not None and canary.get("dynamicStableScale") is not True:
                    return _Peak(2 * n, "during a canary update with trafficRouting",
                                 f"the stable ReplicaSet stays at {n} while the canary scales up to {n}",
                                 "the canary pods stay Pending and the rollout never completes",
                                 f"set dynamicStableScale: true, add {noun_one}s, or {_PREFERRED_FIX}")
                fp = argo_canary_fenceposts(canary.get("maxSurge"), canary.get("maxUnavailable"), n)
                if fp.unavailable == 0:
                    return _Peak(n + 1, "during a canary update",
                                 f"{w.pods_text} + maxSurge {_how(canary.get('maxSurge', '25'), fp.surge)}, "
                                 f"maxUnavailable {_how(canary.get('maxUnavailable', '25'), fp.unavailable)}",
                                 "the canary pod stays Pending and no stable pod goes before it is available",
                                 f"set maxUnavailable: 1, add a {noun_one}, or {_PREFERRED_FIX}")
    except IntOrPercentError:
        return None  # rejected by the API server; other rules say so
    return None


def _deadlock_fix(w: _Workload, terms: list, ctx):
    """The Deployment rollout that can never finish because old and new pods repel each other.

    Where the target version honours matchLabelKeys, adding ``pod-template-hash`` (the label the
    Deployment controller puts on each ReplicaSet's pods) keeps the anti-affinity within one
    revision: the surge pod may start beside an old pod, and the steady state is unchanged.
    Otherwise ``maxSurge: 0, maxUnavailable: 1`` replaces one pod at a time in place of an old
    one, which needs no extra node. Both change how rollouts behave: unsafe."""
    if not isinstance(w.obj, Deployment):
        return None
    # matchLabelKeys in pod (anti-)affinity terms is feature gate MatchLabelKeysInPodAffinity: with
    # the gate off the API server drops the field, and the fix would change nothing.
    gate = versions.gate_state("MatchLabelKeysInPodAffinity", ctx.kubernetes_version)
    label_keys_fit = all(isinstance(t.data.get("labelSelector"), dict) and t.data.get("matchLabelKeys") is None
                         and not t.injected for t in terms)
    if gate.default and label_keys_fit and terms:
        return fixes.fix(
            f"add matchLabelKeys: [pod-template-hash] to the anti-affinity term: Kubernetes "
            f"{versions.text_of(ctx.kubernetes_version)} applies it per ReplicaSet, so new pods no longer repel "
            f"the old ones during a rollout (steady-state spreading is unchanged)",
            *(fixes.set_value(t.path + ("matchLabelKeys",), ["pod-template-hash"]) for t in terms), safe=False)
    why = (f"matchLabelKeys would be dropped: {gate.describe()}" if not gate.default
           else "the term cannot take matchLabelKeys as it is")
    return fixes.fix(
        f"set maxSurge: 0 and maxUnavailable: 1 ({why}): each old pod goes before its replacement starts, so "
        f"a rollout needs no extra node, but one pod is down at a time",
        fixes.set_value(("spec", "strategy", "rollingUpdate"), {"maxSurge": 0, "maxUnavailable": 1}), safe=False)


def _unavailable(w: _Workload) -> tuple[int, bool] | None:
    """(resolved maxUnavailable, old pods stay at full scale until the new ones are ready)."""
    from k8slint.model.rollout import IntOrPercentError, argo_canary_fenceposts, deployment_rollout_peak

    obj, n = w.obj, w.pods or 0
    try:
        if isinstance(obj, Deployment):
            peak = deployment_rollout_peak(obj.strategy, n)
            return None if peak.strategy != "RollingUpdate" else (peak.unavailable, False)
        if isinstance(obj, Rollout):
            strategy = as_dict(dig(obj.root, ("spec", "strategy")))
            if isinstance(strategy.get("blueGreen"), dict):
                return 0, True
            canary = strategy.get("canary")
            if isinstance(canary, dict):
                if canary.get("trafficRouting") is not None and canary.get("dynamicStableScale") is not True:
                    return 0, True
                return argo_canary_fenceposts(canary.get("maxSurge"), canary.get("maxUnavailable"), n).unavailable, False
    except IntOrPercentError:
        return None
    return None


def _steady_phrase(w: _Workload, key: str) -> str:
    noun = domain_noun(key, 1)
    return f"allows one pod of {w.name} per {noun}"


# --- without cluster information: the numbers for review -------------------------------------------


def _report_needs(w: _Workload, ctx) -> None:
    seen = set()
    for term, mode in w.own:
        key = term.topology_key
        if (key, mode) in seen:
            continue
        seen.add((key, mode))
        if mode == OTHER_REVISIONS:
            _report_other_revisions(w, term, ctx, None)
            continue
        if isinstance(w.obj, DaemonSet):
            if key != HOSTNAME_LABEL:
                ctx.report(w.obj, term.key_path,
                           f"required podAntiAffinity on {key} {_steady_phrase(w, key)}, but a DaemonSet wants a "
                           f"pod on every eligible node: every node beyond the first in each {domain_noun(key, 1)} "
                           f"gets a Pending pod; {_CHECK}", severity="info",
                           hint="Use topologyKey kubernetes.io/hostname for a DaemonSet, or drop the term.")
            continue
        if w.pods is None:
            continue
        peak = _rollout_peak(w, domain_noun(key, 1)) if mode == ALL_REVISIONS else None
        if w.pods <= 1 and peak is None:
            continue  # one pod, one domain: nothing worth a review note
        nouns = count_noun(w.pods, key)
        text = (f"required podAntiAffinity on {key} {_steady_phrase(w, key)}: it needs {nouns} at steady state "
                f"({w.pods_text})")
        if peak is not None:
            text += f" and {count_noun(peak.pods, key)} {peak.during} ({peak.numbers})"
        elif mode == SAME_REVISION:
            text += " and no more during a rollout (matchLabelKeys keeps old and new pods from repelling)"
        else:
            text += ", and no more during a rollout"
        ctx.report(w.obj, term.key_path, f"{text}; {_CHECK}", severity="info",
                   hint="Make sure the cluster has these domains for the pods' node selectors and tolerations.")


# --- with cluster information ---------------------------------------------------------------------


def _eligibility(w: _Workload, keys: tuple, cap: float) -> str:
    """"2 nodes are eligible" / "the 4 eligible nodes span 2 zones", plus why others are not."""
    eligible = w.eligible.count
    if keys == (HOSTNAME_LABEL,):
        text = f"{eligible} {'node is' if eligible == 1 else 'nodes are'} eligible"
    elif len(keys) == 1:
        text = f"the {eligible} eligible node{'s' if eligible != 1 else ''} span{'s' if eligible == 1 else ''} " \
               f"{count_noun(cap, keys[0])}"
    else:
        text = f"the {eligible} eligible nodes hold at most {cap} such pods"
    excluded = [v for v in w.verdicts if not v.eligible]
    if excluded:
        reasons: dict[str, int] = {}
        for verdict in excluded:
            reasons[verdict.reason] = reasons.get(verdict.reason, 0) + verdict.count
        why = ", ".join(f"{count} by {reason}" for reason, count in reasons.items())
        text += f" ({sum(reasons.values())} of {w.verdicts.count} excluded: {why})"
    return text


def _binding_keys(w: _Workload, keys: list[str]) -> tuple[tuple, float]:
    """The key (or key pair) that limits the pods most, with its capacity."""
    keys = list(dict.fromkeys(keys))
    combined = aff.capacity(w.eligible, keys)
    best = min(keys, key=lambda k: aff.capacity(w.eligible, [k]))
    if aff.capacity(w.eligible, [best]) == combined:
        return (best,), combined
    return tuple(keys), combined


def _term_for(w: _Workload, pairs: list, keys: tuple):
    return next(term for term, _ in pairs if term.topology_key == keys[0])


def _check_cluster(w: _Workload, ctx, cluster) -> None:
    if not w.eligible:
        return  # nowhere to run at all: the eligibility rules report that
    pairs = w.self_terms((ALL_REVISIONS, SAME_REVISION))
    n = w.pods
    if pairs and n:
        keys, cap = _binding_keys(w, [t.topology_key for t, _ in pairs])
        if n > cap:
            _report_steady(w, ctx, _term_for(w, pairs, keys), keys, cap)
            return
    rollout_pairs = [(t, m) for t, m in pairs if m == ALL_REVISIONS]
    if rollout_pairs and n and not isinstance(w.obj, DaemonSet):
        keys, cap = _binding_keys(w, [t.topology_key for t, _ in rollout_pairs])
        noun_one = domain_noun(keys[0], 1) if len(keys) == 1 else "node"
        peak = _rollout_peak(w, noun_one)
        if peak is not None and peak.pods > cap:
            term = _term_for(w, rollout_pairs, keys)
            need = count_noun(peak.pods, keys[0]) if len(keys) == 1 else f"{peak.pods} domains"
            ctx.report(w.obj, term.key_path,
                       f"required podAntiAffinity on {' and '.join(keys)} needs {need} {peak.during} "
                       f"({peak.numbers}) but {_eligibility(w, keys, cap)}: {peak.consequence}; {peak.fix}",
                       severity="error", fix=_deadlock_fix(w, [t for t, _ in rollout_pairs], ctx))
            return
    seen = set()
    for term, _ in w.self_terms((OTHER_REVISIONS,)):
        if term.topology_key not in seen:
            seen.add(term.topology_key)
            _report_other_revisions(w, term, ctx, cluster)


def _report_steady(w: _Workload, ctx, term, keys: tuple, cap: float) -> None:
    n = w.pods
    key = keys[0]
    pending = n - cap
    where = " and ".join(keys)
    if isinstance(w.obj, DaemonSet):
        message = (f"required podAntiAffinity on {where} {_steady_phrase(w, key)}, but the DaemonSet wants a pod on "
                   f"each of the {n} eligible nodes and {_eligibility(w, keys, cap)}: {_pods(pending, 'daemon pod')} "
                   f"Pending; use topologyKey kubernetes.io/hostname or {_PREFERRED_FIX}")
    else:
        need = count_noun(n, key) if len(keys) == 1 else f"{n} domains"
        bound = w.pods_text
        if w.hpa is not None:
            bound += f", HPA {w.hpa.display_name}"
            low = w.hpa.min_replicas
            consequence = (f"{_pods(pending)} Pending when the HPA scales to its maximum"
                           + (f" (even at minReplicas {low})" if low > cap else
                              f" (anything above {cap} replicas is unschedulable)"))
            fix = f"lower maxReplicas to {cap}"
        else:
            consequence = f"{_pods(pending)} Pending forever"
            fix = f"lower replicas to {cap}"
        message = (f"required podAntiAffinity on {where} {_steady_phrase(w, key)}: {n} pods ({bound}) need {need} "
                   f"but {_eligibility(w, keys, cap)}: {consequence}; {fix}, add "
                   f"{domain_noun(key) if len(keys) == 1 else 'nodes'}, or {_PREFERRED_FIX}")
    ctx.report(w.obj, term.key_path, message, severity="error")


def _report_other_revisions(w: _Workload, term, ctx, cluster) -> None:
    """A term that makes new pods avoid the domains of old (stable) pods only: Argo Rollouts'
    injected antiAffinity, or mismatchLabelKeys with the revision label."""
    key = term.topology_key
    n = w.pods
    if not n or isinstance(w.obj, (StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Pod)):
        return
    resolved = _unavailable(w)
    if resolved is None:
        return  # Recreate (old pods go first) or an invalid strategy
    unavailable, full_stable = resolved
    what = ("Argo Rollouts' injected anti-affinity" if term.injected
            else f"required podAntiAffinity on {key} (mismatchLabelKeys)")
    old = "stable" if isinstance(w.obj, Rollout) else "old"
    noun_one, nouns = domain_noun(key, 1), domain_noun(key)
    if cluster is None:
        ctx.report(w.obj, term.key_path,
                   f"{what} keeps new pods off every {noun_one} that runs a {old} pod: "
                   f"an update needs a {noun_one} without {old} pods; {n + 1} {nouns} guarantee one wherever the "
                   f"{n} {old} pods run ({w.pods_text}); {_CHECK}", severity="info",
                   hint="Make sure the cluster has a spare domain for the new pods during updates.")
        return
    cap = aff.capacity(w.eligible, [key])
    if cap == INFINITE or cap > n:
        return
    if cap <= 1 and (full_stable or unavailable < n):
        ctx.report(w.obj, term.key_path,
                   f"{what} keeps new pods off every {noun_one} that runs a {old} pod, but "
                   f"{_eligibility(w, (key,), cap)}: the {n} {old} pods ({w.pods_text}) occupy it, the new pods stay "
                   f"Pending and the update never finishes; add {nouns} or use "
                   f"preferredDuringSchedulingIgnoredDuringExecution", severity="error")
        return
    if full_stable or unavailable < n // cap:
        if full_stable:
            held = "stay at full scale until the new pods are ready"
        elif unavailable == 0:
            held = "go only after new pods are available (maxUnavailable 0)"
        else:
            held = f"go only {unavailable} at a time (maxUnavailable {unavailable})"
        ctx.report(w.obj, term.key_path,
                   f"{what} keeps new pods off every {noun_one} that runs a {old} pod, but "
                   f"{_eligibility(w, (key,), cap)} for {n} {old} pods ({w.pods_text}) that {held}: if the "
                   f"scheduler spread them over every {noun_one}, the new pods stay Pending and the update hangs; "
                   f"{n + 1} {nouns} guarantee progress; add {nouns} or use "
                   f"preferredDuringSchedulingIgnoredDuringExecution", severity="warning")


# --- DaemonSet surge ------------------------------------------------------------------------------


def _daemonset_surge(w: _Workload, ctx, cluster) -> None:
    """maxSurge starts the new daemon pod on the node of the old one; a term that repels the old
    pod from there blocks it on every node that carries the key, whatever the node count."""
    if not isinstance(w.obj, DaemonSet):
        return
    from k8slint.model.rollout import daemonset_fenceposts, validate_daemonset_strategy

    strategy = w.obj.spec.get("updateStrategy")
    if validate_daemonset_strategy(strategy if isinstance(strategy, dict) else None):
        return
    strategy = as_dict(strategy)
    if (strategy.get("type") or "RollingUpdate") != "RollingUpdate":
        return
    ru = as_dict(strategy.get("rollingUpdate"))
    nodes = w.eligible.count if w.eligible is not None else 1  # AllowsSurge resolves against 1
    if nodes == 0:
        return
    fp = daemonset_fenceposts(ru.get("maxSurge"), ru.get("maxUnavailable"), nodes)
    if fp.surge <= 0:
        return
    for term, _ in w.self_terms((ALL_REVISIONS, OTHER_REVISIONS)):
        key = term.topology_key
        if w.eligible is not None and not any(group.has_label(key) for group in w.eligible):
            continue
        ctx.report(w.obj, term.key_path,
                   f"required podAntiAffinity on {key} selects this DaemonSet's own pods, and maxSurge "
                   f"{_how(ru.get('maxSurge'), fp.surge)} starts each new pod beside the old one on the same node: "
                   f"the surge pod can never schedule and the rollout never finishes, on any number of nodes; "
                   f"set maxSurge: 0 and maxUnavailable: 1, or add matchLabelKeys: [controller-revision-hash] "
                   f"to the term", severity="error",
                   hint="DaemonSets with self anti-affinity must roll with maxUnavailable, not maxSurge.")
        return


# --- required affinity that contradicts anti-affinity -----------------------------------------------


def _same(key: str) -> str:
    return "on the same node" if key == HOSTNAME_LABEL else f"in the same {domain_noun(key, 1)}"


def _repels(a: _Workload, b: _Workload, key: str) -> bool:
    """Does a required anti-affinity term (of a on b, or of b on a) keep a and b apart on key?"""
    for owner, target in ((a, b), (b, a)):
        for term in owner.terms:
            if term.kind == ANTI and term.required and not term.injected and term.topology_key == key:
                same = owner is target
                if aff.term_selects(term, owner.labels, owner.namespace, owner.obj.kind, target.labels,
                                    target.namespace, same, same) is True:
                    return True
    return False


def _affinity_contradictions(workloads: list, index: _ScheduledIndex | LabelIndex, ctx) -> None:
    for w in workloads:
        for term in w.terms:
            if term.kind != AFFINITY or not term.required or not _usable(term):
                continue
            key = term.topology_key
            selected = [o for o in index.selector_candidates(term.selector)
                        if aff.term_selects(term, w.labels, w.namespace, w.obj.kind, o.labels, o.namespace,
                                            o is w, o is w) is True]
            if not selected or not all(_repels(w, o, key) for o in selected):
                continue
            others = [o for o in selected if o is not w]
            if not others:
                if (w.pods or 0) >= 2:
                    ctx.report(w.obj, term.key_path,
                               f"required podAffinity on {key} needs each pod of {w.name} in a "
                               f"{domain_noun(key, 1)} with another of its pods, but its required podAntiAffinity on "
                               f"{key} forbids that: the first pod schedules, the other {w.pods - 1} stay Pending on "
                               f"any cluster; drop one of the two terms or use a different topologyKey",
                               severity="error")
                continue
            if w in selected or not any(o.pods for o in others):
                continue  # the first-pod exception may apply, or there is nothing to be near
            names = ", ".join(o.name for o in others)
            ctx.report(w.obj, term.key_path,
                       f"required podAffinity on {key} needs pods of {names} {_same(key)}, but "
                       f"required podAntiAffinity on {key} keeps {w.name} and {names} apart: the pods of {w.name} "
                       f"can never schedule, on any cluster; drop the podAffinity or the podAntiAffinity term, or use "
                       f"different topology keys", severity="error",
                       hint="Required podAffinity and podAntiAffinity between the same pods on the same topologyKey "
                            "cannot both hold.")


# --- across workloads: the conflict graph ----------------------------------------------------------


def _cross_workload(workloads: list, index: _ScheduledIndex | LabelIndex, ctx, cluster) -> None:
    edges_by_key = _conflict_edges(workloads, index)
    from k8slint.model.cliques import WorkBudget

    budget = WorkBudget()  # one for the whole run: many groups cannot multiply it
    for key, all_edges in edges_by_key.items():
        for members, edges in _components(all_edges):
            _check_group(workloads, members, edges, key, ctx, cluster, budget)


def _conflict_edges(workloads: list, index: _ScheduledIndex | LabelIndex) -> dict[str, set]:
    """topologyKey -> the pairs (positions, lower first) of workloads that a required anti-affinity
    term of one of them keeps apart on that key."""
    for i, w in enumerate(workloads):
        w.position = i
    edges_by_key: dict[str, set] = {}
    # The positions of the workloads a term repels, by the term's mapping and its owner's namespace
    # (what decides them when match/mismatchLabelKeys do not bring the owner's labels in:
    # k8slint.model.affinity.term_selects): the members of a group that repels itself hold one
    # mapping (terms are shared, _template_terms, and so are equal mappings in the inventory), and
    # are looked up once, not once per member. Kept only for a selector with several candidates:
    # a term that may select its own workload's pods alone (most) is as cheap to look up again, and
    # the run may hold tens of thousands of them at its memory peak.
    repelled_by: dict = {}
    for mine, a in enumerate(workloads):
        for term in a.terms:
            if term.kind != ANTI or not term.required or term.injected or not _usable(term):
                continue
            edges = edges_by_key.setdefault(term.topology_key, set())
            key = (id(term.data), a.namespace) if not term.match_keys and not term.mismatch_keys else None
            repelled = repelled_by.get(key) if key is not None else None
            if repelled is None:
                candidates = index.selector_candidates(term.selector)
                repelled = [b.position for b in candidates
                            if aff.term_selects(term, a.labels, a.namespace, a.obj.kind, b.labels, b.namespace,
                                                False) is True]
                if key is not None and len(candidates) > 1:
                    repelled_by[key] = repelled
            edges.update([(mine, theirs) if mine < theirs else (theirs, mine)
                          for theirs in repelled if theirs != mine])
    return edges_by_key


def _components(edges: set) -> list[tuple[list, set]]:
    """Connected components of the conflict graph: (sorted members, their edges), in the order of
    their lowest member (that of their first edge in sorted order)."""
    group_of: dict[int, tuple[list, set]] = {}
    for edge in edges:
        a, b = edge
        group_a, group_b = group_of.get(a), group_of.get(b)
        if group_a is group_b:
            if group_a is None:
                group_of[a] = group_of[b] = ([a, b], {edge})
            else:
                group_a[1].add(edge)
        elif group_b is None:
            group_a[0].append(b)
            group_a[1].add(edge)
            group_of[b] = group_a
        elif group_a is None:
            group_b[0].append(a)
            group_b[1].add(edge)
            group_of[a] = group_b
        else:  # two groups meet: the smaller one joins the larger
            small, large = (group_a, group_b) if len(group_a[0]) < len(group_b[0]) else (group_b, group_a)
            for member in small[0]:
                group_of[member] = large
            large[0].extend(small[0])
            large[1].update(small[1])
            large[1].add(edge)
    groups = list({id(group): group for group in group_of.values()}.values())
    for members, _ in groups:
        members.sort()
    groups.sort(key=lambda group: group[0][0])
    return groups


def _check_group(workloads: list, members: list, edges: set, key: str, ctx, cluster, budget) -> None:
    weights = {i: _weight(workloads[i], key) for i in members}
    if cluster is None:
        found = _max_clique(members, edges, weights, budget)
        if not found.exact:
            _note_unsettled(workloads, members, found, key, ctx)
        if len(found.members) >= 2 and found.total >= 2:
            _report_group(workloads, found, weights, key, ctx, None)
        return
    from k8slint.model.scheduling import NodeSet

    reported = set()
    eligible = {i: workloads[i].eligible or NodeSet() for i in members}  # NodeSets, shared by placement
    candidate_sets = set(eligible.values())
    union = NodeSet()
    for candidate in candidate_sets:
        union = union | candidate
    candidate_sets.add(union)
    for nodes in sorted(candidate_sets, key=_set_order):
        inside = {i for i in members if eligible[i] <= nodes}
        if len(inside) < 2:
            continue
        cap = aff.capacity(nodes, [key])
        if cap == INFINITE:
            continue
        inside_edges = {e for e in edges if e[0] in inside and e[1] in inside}
        found = _max_clique(sorted(inside), inside_edges, weights, budget)
        clique, total = found.members, found.total
        if not found.exact:
            _note_unsettled(workloads, sorted(inside), found, key, ctx, cap, nodes.count)
        if found.exact and len(clique) >= 2 and total <= cap and frozenset(clique) not in reported:
            if _group_rollout(workloads, clique, weights, key, ctx, cap, total, nodes.count):
                reported.add(frozenset(clique))
            continue
        if len(clique) < 2 or total <= cap or frozenset(clique) in reported:
            continue  # (not exact with total <= cap: undecided, said by the note, not a finding)
        if any(weights[i] > aff.capacity(eligible[i], [key]) for i in clique):
            continue  # one of them does not fit on its own: reported for that workload
        reported.add(frozenset(clique))
        _report_group(workloads, found, weights, key, ctx, cap, nodes.count)


def _set_order(nodes) -> tuple:
    """Smaller node sets first, then by their sorted names (for sets of a size one can list), then by
    their classes: a deterministic order."""
    names = sorted(nodes.names()) if nodes.count <= 10_000 else []
    return nodes.count, names, tuple((g.position, g.only is None, sorted(g.only or g.without)) for g in nodes)


def _group_rollout(workloads, clique, weights, key, ctx, cap, total, node_count) -> bool:
    """Workloads that fit side by side at steady state, until one of them rolls out: a surge pod of
    a workload whose pods repel every revision of their own needs a domain free of its old pods
    and of the pods of every workload that repels it (required anti-affinity is symmetric: the
    scheduler also checks the terms of the pods already running, satisfyExistingPodsAntiAffinity).
    True when reported."""
    noun_one = domain_noun(key, 1)
    for i in clique:
        w = workloads[i]
        if not any(t.topology_key == key for t, _ in w.self_terms((ALL_REVISIONS,))):
            continue
        peak = _rollout_peak(w, noun_one)
        if peak is None:
            continue
        peak_total = total - weights[i] + peak.pods
        others = ", ".join(f"{workloads[j].name} ({weights[j]})" for j in clique if j != i)
        term = next(t for t, _ in w.self_terms((ALL_REVISIONS,)) if t.topology_key == key)
        where = f"{node_count} eligible node{'s' if node_count != 1 else ''}"
        if key != HOSTNAME_LABEL:
            where += f" in {count_noun(cap, key)}"
        if peak_total <= cap:
            # The others' pods may share a domain among themselves, but the scheduler spreads the
            # pods of a workload by default: spread out, they leave no domain for the surge pod.
            spread = peak.pods + sum(max(weights[j], workloads[j].pods or 0) for j in clique if j != i)
            if spread > cap:
                ctx.report(w.obj, term.key_path,
                           f"required podAntiAffinity on {key} keeps the pods of {w.name} apart from each other and "
                           f"from those of {others}; {peak.during} ({peak.numbers}) they need {peak_total} of the "
                           f"{cap} {domain_noun(key, cap)} of their {where} only if the pods of the others share "
                           f"{domain_noun(key)}; spread out (as the scheduler's default spreading places them) they "
                           f"need {spread}: {peak.consequence}; {peak.fix}", severity="warning",
                           hint="Workloads that repel each other need a free domain for the surge pod of each "
                                "rollout.")
                return True
            continue
        ctx.report(w.obj, term.key_path,
                   f"required podAntiAffinity on {key} keeps the pods of {w.name} apart from each other and from "
                   f"those of {others}: at steady state they need {count_noun(total, key)} and their {where} "
                   f"offer {cap}, but {peak.during} ({peak.numbers}) they need {peak_total}: "
                   f"{peak.consequence}; {peak.fix}", severity="error",
                   hint="Workloads that repel each other need a free domain for the surge pod of each rollout.")
        return True
    return False


def _weight(w: _Workload, key: str) -> int:
    """Pods of w that need distinct domains: all of them if w repels itself on key, else one."""
    pods = w.pods if w.pods is not None else 1
    if pods <= 0:
        return 0
    for term, mode in w.own:
        if term.topology_key == key and mode != OTHER_REVISIONS:  # (ALL_REVISIONS or SAME_REVISION)
            return pods
    return 1


def _max_clique(members: list, edges: set, weights: dict, budget):
    """The maximum weighted clique (``k8slint.model.cliques``: greedy bounds, then an exact search
    under the run's work budget; ``exact`` is False when the budget did not settle it)."""
    from k8slint.model.cliques import heaviest_clique

    return heaviest_clique(members, edges, weights, budget)


_NAMED = 8  # workloads a group finding names one by one


def _anchor(group: list, key: str):
    """The first workload of a group with a required anti-affinity term of its own on key, and that term."""
    anchor = next(w for w in group if any(t.kind == ANTI and t.required and t.topology_key == key
                                           and not t.injected for t in w.terms))
    return anchor, next(t for t in anchor.terms
                        if t.kind == ANTI and t.required and t.topology_key == key and not t.injected)


def _note_unsettled(workloads, members, found, key, ctx, cap=None, node_count=0) -> None:
    """The exact search stopped at its work budget (k8slint.model.cliques; a hostile or very dense
    repository): a note, once per run and counted, at the first such group. Findings about the
    group claim only what the clique found proves (a lower bound)."""
    anchor, term = _anchor([workloads[i] for i in members], key)
    undecided = ""
    if cap is not None and found.total <= cap < found.upper:
        where = f"{node_count} eligible node{'s' if node_count != 1 else ''}"
        if key != HOSTNAME_LABEL:
            where += f" in {count_noun(cap, key)}"
        undecided = f"; whether their {where} suffice was not decided"
    ctx.note("work-budget",
             f"the search for the largest set of workloads that all keep each other apart stopped at its work "
             f"budget in a conflict group of {len(members)} workloads with required podAntiAffinity on {key} "
             f"({anchor.name} among them): the largest set found needs {count_noun(found.total, key)}, the "
             f"largest may need up to {found.upper}{undecided} (findings claim only what the set found proves)",
             anchor.obj, term.key_path)


def _report_group(workloads, found, weights, key, ctx, cap, node_count=0) -> None:
    clique, total = found.members, found.total
    group = [workloads[i] for i in clique]
    anchor, term = _anchor(group, key)
    names = ", ".join(f"{w.name} ({weights[i]})" for i, w in zip(clique[:_NAMED], group))
    if len(clique) > _NAMED:  # a dense group may hold hundreds: name a few, count the rest
        rest = clique[_NAMED:]
        names += f" and {len(rest)} more workloads ({sum(weights[i] for i in rest)} pods)"
    text = (f"required podAntiAffinity on {key} keeps the pods of {names} apart from each other: together they need "
            f"{count_noun(total, key)} at steady state")
    if not found.exact:
        # The search stopped at its work budget (said once by a note): the clique found is real, a
        # lower bound of what the group needs.
        text = (f"required podAntiAffinity on {key} keeps the pods of {names} apart from each other: together they need "
                f"at least {count_noun(total, key)} at steady state")
    if cap is None:
        ctx.report(anchor.obj, term.key_path, f"{text}; {_CHECK}", severity="info",
                   hint="Make sure the cluster has these domains for all the workloads together.")
        return
    where = f"{node_count} eligible node{'s' if node_count != 1 else ''}"
    if key != HOSTNAME_LABEL:
        where += f" in {count_noun(cap, key)}"
    ctx.report(anchor.obj, term.key_path,
               f"{text} but their {where} offer {cap}: {_pods(total - cap)} Pending; lower replicas, add "
               f"{domain_noun(key)}, or {_PREFERRED_FIX} between these workloads", severity="error",
               hint="Workloads that repel each other need one domain per pod between them.")
