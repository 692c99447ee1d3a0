"""Tolerations against taints.

* ``toleration-invalid`` (per object): what the API server's ValidateTolerations rejects.
* ``toleration-ineffective`` (per object): tolerations that never take effect - duplicates, ones a
  broader toleration already covers, a second tolerationSeconds for the same taints that the taint
  eviction controller never uses, seconds the DaemonSet controller overwrites, negative seconds.
* ``toleration-effect-mismatch`` (set rule): a toleration that names a taint by key (and value)
  with an effect that taint does not have. Always checked against the well-known taints
  (`WELL_KNOWN_TAINTS`); with cluster information also against the nodes' real taints, through the
  shared eligibility function (`node_verdicts`) and the effective tolerations (implicit ones
  included), so a taint Kubernetes already tolerates for the pod is never reported.

All matching is `k8slint.model.scheduling` (ToleratesTaint and friends); nothing here re-implements
it.
"""

from __future__ import annotations

from k8slint.model import fixes, memo
from k8slint.model.cluster import VALID_EFFECTS, Cluster, Taint
from k8slint.model.objects import Workload, as_int, workload_kind
from k8slint.model.scheduling import (
    NodeSet,
    COMPARISON_OPERATORS,
    DEFAULT_TOLERATION_SECONDS,
    NOT_READY,
    UNREACHABLE,
    VALID_OPERATORS,
    WELL_KNOWN_TAINTS,
    effective_tolerations,
    eviction_seconds,
    implicit_tolerations,
    node_verdicts,
    scheduling_taint_effects,
    toleration_covers,
    toleration_matches_ignoring_effect,
    toleration_problems,
    toleration_tolerates,
    untolerated_taints,
)
from k8slint.model.versions import gate_state, text_of
from k8slint.model.wording import describe_nodes
from k8slint.rules import MEDIUM, SET, rule

INVALID = "toleration-invalid"
INEFFECTIVE = "toleration-ineffective"
MISMATCH = "toleration-effect-mismatch"

_NODE_PROBLEM_KEYS = (NOT_READY, UNREACHABLE)
# Who applies each well-known taint, and which nodes carry it, for messages.
_TAINT_SOURCES = {
    NOT_READY: ("the node lifecycle controller while the node's Ready condition is False", "not-ready nodes"),
    UNREACHABLE: ("the node lifecycle controller while the node's Ready condition is Unknown", "unreachable nodes"),
    "node.kubernetes.io/unschedulable": ("the node lifecycle controller", "cordoned nodes"),
    "node.kubernetes.io/memory-pressure": ("the node lifecycle controller", "nodes under memory pressure"),
    "node.kubernetes.io/disk-pressure": ("the node lifecycle controller", "nodes under disk pressure"),
    "node.kubernetes.io/pid-pressure": ("the node lifecycle controller", "nodes under PID pressure"),
    "node.kubernetes.io/network-unavailable": ("the node lifecycle controller", "nodes whose network is unavailable"),
    "node.kubernetes.io/out-of-service": ("administrators after a non-graceful node shutdown", "out-of-service nodes"),
    "node.cloudprovider.kubernetes.io/uninitialized": (
        "the kubelet started with --cloud-provider=external, until the cloud controller initialises the node",
        "nodes the cloud controller has not initialised yet"),
    "node.cloudprovider.kubernetes.io/shutdown": ("the cloud node lifecycle controller",
                                                  "nodes whose instance is shut down"),
    "node-role.kubernetes.io/control-plane": ("kubeadm", "control-plane nodes"),
    "node-role.kubernetes.io/master": ("kubeadm before 1.25", "control-plane nodes"),
}


def _normalized(toleration: dict) -> dict:
    """The toleration as the API server decodes it: an integral float tolerationSeconds (YAML 6e1)
    is an integer, and a non-integer one (reported by invalid-field-type) still counts as set."""
    seconds = toleration.get("tolerationSeconds")
    if seconds is None:
        return toleration
    copy = dict(toleration)
    number = as_int(seconds)
    copy["tolerationSeconds"] = number if number is not None and not isinstance(seconds, bool) else 0
    return copy


RECENT_TOLERATIONS = 256


# Three checks ask per toleration, while its object is checked (_normalized() copies, which defeats
# by_value's identity shortcut); a small cache: each entry keeps a composed toleration alive.
@memo.by_identity(size=RECENT_TOLERATIONS)
def _problems(toleration: dict) -> tuple:
    return tuple(toleration_problems(_normalized(toleration)))


def _text(toleration: dict, name: str) -> str:
    value = toleration.get(name)
    return value if isinstance(value, str) else ""


def describe_toleration(toleration: dict) -> str:
    """In the `kubectl taint` notation: ``dedicated=db:NoSchedule``, ``spot:NoExecute (Exists)``,
    ``every taint (Exists)``; ``(every effect)`` when the effect is empty."""
    key, operator, value = _text(toleration, "key"), _text(toleration, "operator"), _text(toleration, "value")
    effect = _text(toleration, "effect")
    exists = operator == "Exists"
    text = (key or "every taint") if exists else f"{key or '(no key)'}={value or chr(34) * 2}"
    if effect:
        text += f":{effect}"
    notes = (["Exists"] if exists and key else []) + ([] if effect else ["every effect"])
    return f"{text} ({', '.join(notes)})" if notes else text


def _where(index: int) -> str:
    return f"tolerations[{index}]"


def _effect_path(path: tuple, toleration: dict) -> tuple:
    """The toleration's `effect`, or the toleration itself (its first key) when effect is absent."""
    return path + ("effect",) if toleration.get("effect") is not None else path


COMPARISON_GATE = "TaintTolerationComparisonOperators"

# --- toleration-invalid and toleration-ineffective (per object) --------------------------------


@rule(INVALID, kinds=["Workload"], also_reports=[INEFFECTIVE])
def check(obj: Workload, ctx):
    template = obj.pod_template
    tolerations = template.spec.get("tolerations")
    if not isinstance(tolerations, list) or not tolerations:
        return
    base = template.spec_path + ("tolerations",)
    if ctx.enabled(INVALID):
        for index, toleration in enumerate(tolerations):
            if isinstance(toleration, dict):  # other items: invalid-field-type
                _invalid(obj, ctx, index, toleration, base + (index,))
    if ctx.enabled(INEFFECTIVE):
        _ineffective(obj, ctx, workload_kind(obj), template.spec, tolerations, base)


def _invalid(obj, ctx, index: int, toleration: dict, path: tuple):
    label = _where(index)
    for problem in _problems(toleration):
        field = problem.path
        if field == "tolerationSeconds":
            _seconds_without_no_execute(obj, ctx, index, toleration, path)
            continue
        message, hint = f"{label}.{field}: {problem.message}", None
        if field == "operator":
            operator = toleration.get("operator")
            if "Exists when key is empty" in problem.message:
                message = (f"{label} has no key, so its operator must be Exists (which tolerates every taint); "
                           f"with operator {operator or 'Equal (the default)'} the API server rejects the pod template")
                hint = "Set the key of the taint to tolerate, or use operator: Exists to tolerate every taint."
            elif operator in COMPARISON_OPERATORS:
                gate = gate_state(COMPARISON_GATE, ctx.kubernetes_version)
                if gate.exists:
                    continue  # a gated operator: feature-gated-field names the gate
                message = (f"{label} uses operator {operator}, which Kubernetes "
                           f"{text_of(ctx.kubernetes_version)} does not have (it came as an alpha operator in "
                           f"1.35, {COMPARISON_GATE}): the API server rejects the pod template")
                hint = "Use operator Equal (key and value must match) or Exists (any value of the key)."
            else:
                message += _did_you_mean(operator, VALID_OPERATORS)
                message += "; the API server rejects the pod template"
                hint = "Use operator Equal (key and value must match) or Exists (any value of the key)."
        elif field == "value" and problem.message.startswith("must be empty"):
            value = toleration.get("value")
            message = (f"{label} has operator Exists and value {value!r}; the API server rejects a value "
                       f"with Exists (Exists matches every value of the key)")
            hint = f"Remove value to tolerate every value, or use operator: Equal to tolerate only {value!r}."
        elif field == "effect":
            message += _did_you_mean(toleration.get("effect"), VALID_EFFECTS)
            message += "; the API server rejects the pod template"
            hint = "Use NoSchedule, PreferNoSchedule or NoExecute (case-sensitive), or omit effect to match all."
        else:
            message += "; the API server rejects the pod template"
        ctx.report(obj, path + (field,) if field else path, message, hint=hint, rule=INVALID)


def _did_you_mean(value, choices) -> str:
    if isinstance(value, str):
        for choice in choices:
            if value.lower() == choice.lower() and value != choice:
                return f" (names are case-sensitive: did you mean {choice}?)"
    return ""


def _seconds_without_no_execute(obj, ctx, index: int, toleration: dict, path: tuple):
    """tolerationSeconds with an effect other than NoExecute: the API server's error is on the
    effect (ValidateTolerations), and so is the fix more often than not."""
    key, effect = _text(toleration, "key"), _text(toleration, "effect")
    seconds = toleration.get("tolerationSeconds")
    what = f"effect {effect}" if effect else "no effect (which matches every effect)"
    message = (f"{_where(index)} sets tolerationSeconds: {seconds} with {what}; the API server rejects "
               f"it: tolerationSeconds is only allowed with effect NoExecute, the only effect that evicts "
               f"running pods")
    known = WELL_KNOWN_TAINTS.get(key)
    if key in _NODE_PROBLEM_KEYS:
        message += (f". To change how long pods stay on a node that is {key.rsplit('/', 1)[1]}, use effect "
                    f"NoExecute")
        if effect:
            message += (f": a {effect} toleration would not shorten (or lengthen) the default "
                        f"{DEFAULT_TOLERATION_SECONDS} s eviction at all")
        hint = "Use effect: NoExecute together with tolerationSeconds."
    elif known is not None and "NoExecute" not in known:
        message += (f". {key} is only ever {' or '.join(known)}, which never evicts: tolerationSeconds has "
                    f"no use here")
        hint = f"Remove tolerationSeconds (and use effect: {known[0]})."
    elif effect == "PreferNoSchedule":
        message += "; with PreferNoSchedule it could never matter, as that effect never evicts"
        hint = "Remove tolerationSeconds, or use effect: NoExecute if the taint evicts."
    else:
        hint = "Use effect: NoExecute if the taint evicts running pods; otherwise remove tolerationSeconds."
    ctx.report(obj, _effect_path(path, toleration), message, hint=hint, rule=INVALID)


def _seconds(toleration: dict):
    return _normalized(toleration).get("tolerationSeconds")


def _same_fields(a: dict, b: dict) -> bool:
    """Same key, operator (no operator counts as Equal), value and effect."""
    def norm(t):
        operator = _text(t, "operator") or "Equal"
        return _text(t, "key"), operator, _text(t, "value"), _text(t, "effect")
    return norm(a) == norm(b)


def _ineffective(obj, ctx, kind: str, spec: dict, tolerations: list, base: tuple):
    replaced = set()
    if kind == "DaemonSet":
        effective = effective_tolerations(kind, spec)
        for index, toleration in enumerate(tolerations):
            if isinstance(toleration, dict) and not any(e is toleration for e in effective) \
                    and not _problems(toleration):
                replaced.add(index)
                ctx.report(
                    obj, base + (index, "tolerationSeconds"),
                    f"{_where(index)} ({describe_toleration(toleration)}) sets tolerationSeconds: "
                    f"{toleration.get('tolerationSeconds')}, but the DaemonSet controller replaces this "
                    f"toleration with its own, without tolerationSeconds: DaemonSet pods are never evicted "
                    f"for {_text(toleration, 'key')}", rule=INEFFECTIVE,
                    hint="Remove tolerationSeconds: DaemonSet pods always stay on not-ready and unreachable "
                         "nodes.")
    valid = [(i, t) for i, t in enumerate(tolerations)
             if isinstance(t, dict) and i not in replaced and not _problems(t)]
    for position, (index, toleration) in enumerate(valid):
        path = base + (index,)
        seconds = _seconds(toleration)
        if isinstance(seconds, int) and seconds < 0:
            ctx.report(obj, path + ("tolerationSeconds",),
                       f"{_where(index)} has tolerationSeconds: {seconds}, which Kubernetes treats as 0: "
                       f"pods are evicted as soon as the taint appears",
                       rule=INEFFECTIVE, hint="Write tolerationSeconds: 0 if immediate eviction is meant.")
        earlier = next(((i, t) for i, t in valid[:position] if toleration_covers(t, toleration)), None)
        if earlier is not None:
            first, other = earlier
            other_seconds = _seconds(other)
            if other_seconds == seconds:
                if _same_fields(other, toleration):
                    ctx.report(obj, _effect_path(path, toleration),
                               f"{_where(index)} ({describe_toleration(toleration)}) duplicates "
                               f"{_where(first)}: it changes nothing", rule=INEFFECTIVE,
                               hint="Remove the duplicate toleration.")
                else:
                    _redundant(obj, ctx, index, toleration, first, other, path)
            else:
                _contradicting(obj, ctx, index, toleration, first, other, path)
            continue
        later = next(((i, t) for i, t in valid[position + 1:]
                      if toleration_covers(t, toleration) and not toleration_covers(toleration, t)
                      and _seconds(t) == seconds), None)
        if later is not None:
            _redundant(obj, ctx, index, toleration, later[0], later[1], path)


def _redundant(obj, ctx, index, toleration, other_index, other, path):
    ctx.report(
        obj, _effect_path(path, toleration),
        f"{_where(index)} ({describe_toleration(toleration)}) is redundant: {_where(other_index)} "
        f"({describe_toleration(other)}) already tolerates every taint it does, with the same "
        f"tolerationSeconds", rule=INEFFECTIVE, severity="info",
        hint="Remove the narrower toleration, or narrow the broader one if it tolerates too much.")


def _contradicting(obj, ctx, index, toleration, first_index, first, path):
    def after(seconds):
        if seconds is None:
            return "never evicts them"
        return "evicts them at once" if seconds <= 0 else f"evicts them after {seconds} s"

    seconds, used = _seconds(toleration), _seconds(first)
    mine = "no tolerationSeconds (stay forever)" if seconds is None else f"tolerationSeconds: {seconds}"
    where = path + ("tolerationSeconds",) if toleration.get("tolerationSeconds") is not None \
        else _effect_path(path, toleration)
    ctx.report(
        obj, where,
        f"{_where(index)} ({describe_toleration(toleration)}, {mine}) never applies: {_where(first_index)} "
        f"({describe_toleration(first)}) comes first and tolerates the same taints, and the taint eviction "
        f"controller uses the first matching toleration, so it {after(used)}", rule=INEFFECTIVE,
        hint=f"Keep one toleration for these taints, with the tolerationSeconds you want "
             f"(currently effective: {'none' if used is None else used}).")


# --- toleration-effect-mismatch (well-known taints, and the cluster's taints) -------------------


@rule(MISMATCH, scope=SET, cost=MEDIUM)
def check_effects(inventory, ctx):
    cluster: Cluster | None = ctx.cluster
    if cluster is not None and not cluster.node_count:
        cluster = None
    for obj in inventory.workloads:
        with ctx.guard(obj):
            template = obj.pod_template
            spec = template.data.get("spec")
            if not isinstance(spec, dict):
                continue
            tolerations = spec.get("tolerations")
            if not isinstance(tolerations, list) or not any(_checkable(t) for t in tolerations):
                continue
            kind = workload_kind(obj)
            base = template.spec_path + ("tolerations",)
            reported = set()
            if cluster is not None:
                reported.update(_cluster_mismatches(obj, ctx, kind, spec, tolerations, base, cluster))
            for index, toleration in enumerate(tolerations):
                if index not in reported and _checkable(toleration):
                    _well_known_mismatch(obj, ctx, kind, spec, index, toleration, base + (index,))


def _checkable(toleration) -> bool:
    """A toleration the API server accepts, with a key and an explicit effect: the only kind whose
    effect can be the wrong one (an empty effect matches every effect)."""
    return (isinstance(toleration, dict) and bool(_text(toleration, "key"))
            and _text(toleration, "effect") in VALID_EFFECTS
            and not _problems(toleration))


def _well_known_mismatch(obj, ctx, kind, spec, index, toleration, path):
    key, effect = _text(toleration, "key"), _text(toleration, "effect")
    effects = WELL_KNOWN_TAINTS.get(key)
    if effects is None or effect in effects:
        return
    carried = " or ".join(effects)
    source, nodes = _TAINT_SOURCES.get(key, ("Kubernetes", "the nodes it marks"))
    message = (f"{_where(index)} tolerates {key} with effect {effect}, but {key} is only ever applied as "
               f"{carried} (by {source}): this toleration tolerates nothing")
    if key in _NODE_PROBLEM_KEYS:
        condition = key.rsplit("/", 1)[1]
        seconds = eviction_seconds(effective_tolerations(kind, spec), [Taint(key, "", "NoExecute")])
        if seconds is None:
            message += f"; other tolerations keep the pods on {condition} nodes anyway"
        elif seconds == 0:
            message += f"; pods are evicted as soon as the node becomes {condition}"
        else:
            default = " (the default DefaultTolerationSeconds adds)" \
                if seconds == DEFAULT_TOLERATION_SECONDS else ""
            message += f"; pods are still evicted {seconds} s after the node becomes {condition}{default}"
        hint = ("Use effect: NoExecute (with tolerationSeconds) to change eviction, or NoSchedule to allow "
                "scheduling onto such nodes.")
    elif "NoSchedule" not in effects:
        message += f"; pods are still evicted from {nodes}"
        hint = f"Use effect: {effects[0]}, or omit effect."
    elif "NoExecute" in effects:
        message += f"; pods are still kept off {nodes} (and evicted from them where it is NoExecute)"
        hint = "Omit effect to tolerate it whichever effect it is applied with."
    else:
        message += f"; pods are still not scheduled onto {nodes}"
        hint = f"Use effect: {effects[0]}, or omit effect."
    severity = None
    implicit = implicit_tolerations(kind, spec)
    if kind == "DaemonSet" and all(any(toleration_tolerates(t, Taint(key, "", e)) for t in implicit) for e in effects):
        message = (f"{_where(index)} tolerates {key} with effect {effect}, but {key} is only ever applied as "
                   f"{carried}: this toleration tolerates nothing. Harmless here, because the DaemonSet "
                   f"controller adds a {key}:{carried} toleration to its pods itself")
        hint = "Remove the toleration: the DaemonSet controller already adds the right one."
        severity = "info"
    ctx.report(obj, path + ("effect",), message, hint=hint, rule=MISMATCH, severity=severity)


def _cluster_mismatches(obj, ctx, kind, spec, tolerations, base, cluster: Cluster):
    """Reports each toleration that matches a node taint by key and value
    but not by effect, on nodes the pod could otherwise run on, when nothing else tolerates it; returns their indexes."""
    effective = effective_tolerations(kind, spec)
    effects = scheduling_taint_effects(kind, spec)
    # Nodes with the same taints give the same answer: one check per distinct set of taints (the
    # grouping is shared by every workload of the same placement).
    placed = node_verdicts(kind, spec, cluster).placed_by_taints()  # taints -> NodeSet
    found: dict[int, dict[Taint, NodeSet]] = {}
    for taints, nodes in placed.items():
        for taint in untolerated_taints(effective, taints, effects):
            for index, toleration in enumerate(tolerations):
                if _checkable(toleration) and toleration_matches_ignoring_effect(toleration, taint):
                    by_taint = found.setdefault(index, {})
                    by_taint[taint] = by_taint[taint] | nodes if taint in by_taint else nodes
    everywhere = NodeSet()
    for nodes in placed.values():
        everywhere = everywhere | nodes
    for index, by_taint in found.items():
        toleration = tolerations[index]
        affected = NodeSet()
        for nodes in by_taint.values():
            affected = affected | nodes
        only_there = everywhere <= affected
        error = only_there or kind == "DaemonSet"
        parts = [f"{taint} on {describe_nodes(nodes, cluster)}" for taint, nodes in by_taint.items()]
        own = _text(toleration, "effect")
        by_what = "key and value" if _text(toleration, "operator") != "Exists" else "key"
        if len(parts) == 1:
            matched, outcome = f"taint {parts[0]}", "it does not tolerate it"
        else:
            matched, outcome = f"taints {', '.join(parts[:-1])} and {parts[-1]}", "it tolerates none of them"
        message = (f"{_where(index)} ({describe_toleration(toleration)}) matches {matched} by {by_what} but "
                   f"not by effect ({own}), so {outcome}: ")
        executes = any(taint.effect == "NoExecute" for taint in by_taint)
        if kind == "DaemonSet":
            message += "the DaemonSet runs no pod on those nodes"
            if executes:
                message += " (and its pods are evicted at once wherever the taint appears later)"
        else:
            message += "pods are never scheduled there"
            if executes:
                message += " and are evicted at once if the taint appears while they run"
        if only_there and kind != "DaemonSet":
            message += "; no other node passes this pod's placement, so its pods stay Pending"
        wanted = sorted({taint.effect for taint in by_taint})
        if len(wanted) == 1:
            hint = f"Use effect: {wanted[0]} (or omit effect to tolerate every effect of the taint)."
        else:
            hint = "Omit effect to tolerate every effect of the taint, or add one toleration per effect."
        message += f" ({cluster.source})"
        ctx.report(obj, base + (index, "effect"), message, hint=hint, rule=MISMATCH,
                   severity="error" if error else "warning",
                   fix=_effect_fix(toleration, wanted, base + (index,)))
    return set(found)


def _effect_fix(toleration: dict, wanted: list[str], path: tuple):
    """The effect the cluster's matching taints carry, when they carry one. Unsafe: tolerating a
    NoExecute taint keeps pods on those nodes for good, tolerating NoSchedule lets them be placed
    there; a reviewer confirms that is the intent. The API server accepts tolerationSeconds only
    with NoExecute (ValidateTolerations, pkg/apis/core/validation), so none is offered where that
    would break."""
    if len(wanted) != 1 or (wanted[0] != "NoExecute" and toleration.get("tolerationSeconds") is not None):
        return None
    return fixes.fix(f"set effect: {wanted[0]}, the effect of the matching taint in the cluster",
                     fixes.set_value(path + ("effect",), wanted[0]), safe=False)

