"""PodDisruptionBudgets.

* ``pdb-invalid`` (per object): what ``ValidatePodDisruptionBudgetSpec`` rejects: minAvailable and
  maxUnavailable both set, negative or malformed values, percentages over 100%, invalid selectors.
* ``pdb-blocks-eviction`` (cross-object): budgets that allow no disruption of the pods they select,
  so every eviction (``kubectl drain``, cluster-autoscaler scale-down, node upgrades) of those pods
  is refused: maxUnavailable 0, minAvailable "100%", neither field set (policy/v1), minAvailable at
  least the replica count of the selected workloads (at the HPA's minReplicas when one scales them),
  and maxUnavailable / percentage minAvailable over pods whose owner has no scale subresource.
* ``pdb-no-match`` (cross-object): a budget whose selector matches no workload of the set.

The disruption arithmetic is ``pdb_disruptions_allowed`` (k8slint.model.rollout), which mirrors the
disruption controller (K pkg/controller/disruption/disruption.go ``getExpectedPodCount`` and
``updatePdbStatus``) with every pod healthy. Which workloads a PDB can see is decided like the
rolling-update rule's HPAs and Services (``rolling_update.related``).

Precision of ``pdb-no-match``: a budget may guard pods that another file, a Helm release or an
operator creates. It is only reported when workloads of the budget's namespace are in the set at
all; as a warning when its own file has such workloads (a budget written next to its workloads that
matches none of them is almost always a label typo), as info when they are only in other files.
A missing selector (policy/v1: a null selector matches no pod; policy/v1beta1: an empty one does not
either) is a warning wherever it is.
"""

from __future__ import annotations

from k8slint.model.objects import (
    CronJob, DaemonSet, Deployment, HorizontalPodAutoscaler, Job, PodDisruptionBudget, PodSource, PodTemplateObject,
    ReplicaSet, ReplicationController, Rollout, StatefulSet, Workload, as_dict, as_list,
)
from k8slint.model.rollout import (
    NONNEGATIVE_ERROR, PDB_BOTH_SET, PERCENT_ERROR, parse_int_or_percent,
    pdb_disruptions_allowed, scaled_value, validate_pdb_spec,
)
from k8slint.model.scheduling import label_selector_problems
from k8slint.model.relations import pods_made_elsewhere, related, replica_counts
from k8slint.model.wording import show_value
from k8slint.rules import SET, rule
from k8slint.model.index import PlaceIndex, PodLabelIndex

BLOCKS = "pdb-blocks-eviction"
NO_MATCH = "pdb-no-match"
INVALID = "pdb-invalid"

# Owners whose scale the disruption controller can read (its finders: ReplicationController, Deployment
# via ReplicaSet, ReplicaSet, StatefulSet, then any scale subresource, which Argo Rollouts has).
_SCALABLE = (Deployment, ReplicaSet, ReplicationController, StatefulSet, Rollout)
# Owners without a scale subresource: getScaleController fails ("does not implement the scale
# subresource"), the sync fails and failSafe sets disruptionsAllowed to 0.
_UNSCALABLE = (DaemonSet, Job, CronJob)


# ---- pdb-invalid ---------------------------------------------------------------------------------

@rule(INVALID, kinds=["PodDisruptionBudget"])
def check_invalid(obj: PodDisruptionBudget, ctx):
    spec = as_dict(obj.get("spec"))
    min_available, max_unavailable = spec.get("minAvailable"), spec.get("maxUnavailable")
    rejects = "the API server rejects the PodDisruptionBudget"
    for problem in validate_pdb_spec(min_available, max_unavailable):
        value = spec.get(problem.field)
        label = f"{problem.field} {show_value(value)}"
        if problem.message == PDB_BOTH_SET:
            ctx.report(
                obj, ("spec", "maxUnavailable"),
                f"minAvailable {show_value(min_available)} and maxUnavailable {show_value(max_unavailable)} are both set; "
                f"{rejects} (spec: {problem.message})",
                hint="Keep one of them; maxUnavailable: 1 keeps drains possible at every replica count.")
        elif problem.message == PERCENT_ERROR:
            ctx.report(
                obj, ("spec", problem.field),
                f"{label} is not a valid int-or-percent: a string must be a whole number followed by '%' "
                f"(regex [0-9]+%); {rejects}",
                hint='Use a pod count (e.g. 1) or a whole percentage such as "50%".')
        elif problem.message == NONNEGATIVE_ERROR:
            ctx.report(obj, ("spec", problem.field), f"{label} is negative; {rejects} ({problem.message})",
                       hint="Use 0 or a positive value.")
        elif problem.message == "must not be greater than 100%":
            ctx.report(obj, ("spec", problem.field), f"{label} is over 100%; {rejects} ({problem.message})",
                       hint='Use at most "100%".')
        else:
            ctx.report(obj, ("spec", problem.field), f"{label}: {problem.message}; {rejects}",
                       hint='Use a pod count (e.g. 1) or a whole percentage such as "50%".')
    selector = spec.get("selector")
    if selector is not None:
        for problem in label_selector_problems(selector)[:1]:
            ctx.report(obj, ("spec", "selector"),
                       f"spec.selector is invalid ({problem}); {rejects}",
                       hint="Fix the selector: matchLabels keys and values must be valid label "
                            "names and values; matchExpressions need a valid operator and values.")


# ---- pdb-blocks-eviction and pdb-no-match --------------------------------------------------------

@rule(BLOCKS, scope=SET, also_reports=[NO_MATCH])
def check(inventory, ctx):
    pdbs = inventory.of(PodDisruptionBudget)
    if not pdbs:
        return
    workloads = [w for w in inventory.workloads if not isinstance(w, PodTemplateObject)]
    pod_sources = inventory.of(PodSource)
    hpas = inventory.of(HorizontalPodAutoscaler)
    long_running = PlaceIndex([w for w in workloads if w.LONG_RUNNING])
    pods = PodLabelIndex(workloads, ctx.kubernetes_version)
    for pdb in pdbs:
        with ctx.guard(pdb):
            spec = as_dict(pdb.get("spec"))
            min_available, max_unavailable = spec.get("minAvailable"), spec.get("maxUnavailable")
            selector = spec.get("selector")
            if validate_pdb_spec(min_available, max_unavailable) or \
                    (selector is not None and label_selector_problems(selector)):
                continue  # pdb-invalid
            if _selects_nothing(pdb, selector):
                ctx.report(
                    pdb, ("spec", "selector"),
                    _nothing_message(pdb, selector),
                    hint="Add a selector with the matchLabels of the workload's pod template.", rule=NO_MATCH)
                continue
            static = _always_blocks(pdb, min_available, max_unavailable)
            if static is not None:
                path, message = static
                ctx.report(pdb, path, message,
                           hint="Use maxUnavailable: 1 (or a minAvailable below the replica count) so that "
                                "nodes can be drained one at a time.")
            # the pods' labels: the template's plus the controllers' (pod-template-hash ...),
            # looked up in the index (the workloads that may match), not tried one by one
            verdicts = pods.verdicts(selector)
            matched = related(pdb, [w for w, verdict in verdicts if verdict is True])
            if not matched:
                if ctx.enabled(NO_MATCH) and not related(pdb, [w for w, verdict in verdicts if verdict is None]):
                    _no_match(pdb, ctx, long_running, pod_sources)
                continue
            if static is None and ctx.enabled(BLOCKS):
                _blocks(pdb, ctx, matched, hpas, min_available, max_unavailable)


def _selects_nothing(pdb: PodDisruptionBudget, selector) -> bool:
    """policy/v1: a null selector matches no pod; policy/v1beta1: an empty selector matches none either."""
    if selector is None:
        return True
    empty = isinstance(selector, dict) and not selector.get("matchLabels") and not selector.get("matchExpressions")
    return empty and pdb.api_version == "policy/v1beta1"


def _nothing_message(pdb: PodDisruptionBudget, selector) -> str:
    if selector is None:
        return "spec.selector is not set: a null selector selects no pod, so this PodDisruptionBudget protects nothing"
    return ("spec.selector is empty: in policy/v1beta1 an empty selector selects no pod (policy/v1 would select "
            "every pod of the namespace), so this PodDisruptionBudget protects nothing")


def _always_blocks(pdb: PodDisruptionBudget, min_available, max_unavailable) -> tuple[tuple, str] | None:
    """(path, message) for budgets that allow no disruption whatever the pod count."""
    if max_unavailable is not None:
        if parse_int_or_percent(max_unavailable).number == 0:
            return (("spec", "maxUnavailable"),
                    f"maxUnavailable {show_value(max_unavailable)}: no selected pod may ever be unavailable, so every "
                    f"voluntary eviction (kubectl drain, cluster-autoscaler scale-down, node upgrades) of these "
                    f"pods is refused and draining their nodes hangs")
        return None
    if min_available is not None:
        value = parse_int_or_percent(min_available)
        if value.percent and value.number >= 100:
            return (("spec", "minAvailable"),
                    f"minAvailable {show_value(min_available)}: every selected pod must stay available, so every "
                    f"voluntary eviction (kubectl drain, cluster-autoscaler scale-down, node upgrades) of these "
                    f"pods is refused and draining their nodes hangs")
        return None
    if pdb.api_version == "policy/v1":
        return (("spec",),
                "neither minAvailable nor maxUnavailable is set: the disruption controller then expects no pod "
                "and allows 0 disruptions, so every eviction of the selected pods is refused")
    return None


def _blocks(pdb: PodDisruptionBudget, ctx, matched: list[Workload], hpas: list, min_available, max_unavailable):
    if min_available is None and max_unavailable is None:
        return  # policy/v1beta1 without either field: see _always_blocks
    path = ("spec", "minAvailable") if min_available is not None else ("spec", "maxUnavailable")
    field = "minAvailable" if min_available is not None else "maxUnavailable"
    value = min_available if min_available is not None else max_unavailable
    scaled = max_unavailable is not None or parse_int_or_percent(min_available).percent
    unscalable = [w for w in matched if isinstance(w, _UNSCALABLE)]
    if scaled and unscalable:
        owner = unscalable[0]
        ctx.report(
            pdb, path,
            f"{field} {show_value(value)} selects the pods of {owner.kind} {owner.name}, which has no scale subresource: "
            f"the disruption controller cannot work out how many pods to expect, fails to sync this budget and "
            f"allows 0 disruptions, so every eviction of these pods is refused",
            hint="For DaemonSet, Job or bare pods use an integer minAvailable (the only form the disruption "
                 "controller supports for them), or no PodDisruptionBudget.")
        return
    if max_unavailable is not None:
        # A valid maxUnavailable that is not 0 (_always_blocks reports 0 and "0%"), k or p%, lets
        # updatePdbStatus allow min(pods, k) or min(pods, ceil(p% of pods)) disruptions: at least
        # one whenever a pod is expected, whatever the replica counts, which need not be looked up.
        return
    owners = [w for w in matched if isinstance(w, _SCALABLE)]
    if len(owners) != len([w for w in matched if w.LONG_RUNNING]):
        return  # DaemonSet pods (a count we do not know without the nodes) or bare pods: no arithmetic
    ranges = []
    for w in owners:
        counts = replica_counts(w, hpas)
        if not counts:
            return
        ranges.append((w, counts[0], counts[-1]))
    low = sum(lo.n for _, lo, _ in ranges)
    high = sum(hi.n for _, _, hi in ranges)
    if low <= 0 or pdb_disruptions_allowed(min_available, max_unavailable, low) > 0:
        return
    always = pdb_disruptions_allowed(min_available, max_unavailable, high) == 0
    pods = _describe(ranges)
    if always:
        when = ("every voluntary eviction (kubectl drain, cluster-autoscaler scale-down, node upgrades) of these "
                "pods is refused and draining their nodes hangs")
    else:
        when = (f"while the HorizontalPodAutoscaler keeps them at minReplicas every voluntary eviction (kubectl "
                f"drain, cluster-autoscaler scale-down, node upgrades) of these pods is refused; at "
                f"{_plural(high, 'pod')} {pdb_disruptions_allowed(min_available, max_unavailable, high)} may go")
    ctx.report(
        pdb, path,
        f"{_needed(min_available, max_unavailable, low)} ({pods}), so 0 disruptions are allowed: {when}",
        hint=f"Use maxUnavailable: 1, or a minAvailable below {low}.")


def _needed(min_available, max_unavailable, n: int) -> str:
    if max_unavailable is not None:
        return f"maxUnavailable {show_value(max_unavailable)} of the {_plural(n, 'pod')} it selects allows none to go"
    value = parse_int_or_percent(min_available)
    if value.percent:
        return (f"minAvailable {show_value(min_available)} of the {_plural(n, 'pod')} it selects rounds up to "
                f"{scaled_value(value, n, True)}, all of them")
    return f"minAvailable {show_value(min_available)} is not below the {_plural(n, 'pod')} it selects"


def _describe(ranges) -> str:
    parts = [f"{w.kind} {w.name}, {lo.short()}" for w, lo, _ in ranges[:3]]
    if len(ranges) > 3:
        parts.append(f"and {len(ranges) - 3} more")
    return "; ".join(parts)


def _no_match(pdb: PodDisruptionBudget, ctx, long_running: PlaceIndex, pod_sources: list):
    # the workloads related() gives (its file, else its directory, else its namespace): how many,
    # and the first three to name, without listing them all for each budget
    tier, count, nearby = long_running.related_first(pdb, 3)
    if not count:
        return  # no workload of its namespace in the set: it guards pods defined elsewhere
    # An operator label in the selector, or an operator's custom resource next to the budget: the pods
    # it guards may be the operator's, which no manifest of the input describes.
    selector = as_dict(pdb.get("spec", "selector"))
    keys = dict(as_dict(selector.get("matchLabels")))
    keys.update({e.get("key"): None for e in as_list(selector.get("matchExpressions"))
                 if isinstance(e, dict) and isinstance(e.get("key"), str)})
    if pods_made_elsewhere(pdb, keys, pod_sources) is not None:
        return
    same_file = tier == 0  # (related() holds workloads of other files only when its own has none)
    shown = ", ".join(f"{w.kind} {w.name}" for w in nearby) + (", ..." if count > 3 else "")
    where = "in its file" if same_file else "in the other files of its directory"
    ctx.report(
        pdb, ("spec", "selector"),
        f"spec.selector matches the pod template of none of the {_plural(count, 'workload')} {where} "
        f"({shown}): this PodDisruptionBudget protects no pod of them"
        + ("" if same_file else "; unless it guards pods created elsewhere, it may protect nothing"),
        hint="Copy the matchLabels of the workload's pod template (spec.template.metadata.labels) into the "
             "selector.",
        rule=NO_MATCH, severity=None if same_file else "info")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")
