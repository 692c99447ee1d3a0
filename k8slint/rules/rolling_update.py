"""Rolling-update settings of Deployments, DaemonSets, StatefulSets and Argo Rollouts.

* ``rolling-update-invalid`` (per object): values the API server (or, for a Rollout, the Argo
  Rollouts controller) rejects: both literally 0, negative values, maxUnavailable over 100%,
  malformed percentages, ``rollingUpdate`` with ``Recreate``/``OnDelete``, the DaemonSet
  "exactly one non-zero" rule, ``progressDeadlineSeconds`` not above ``minReadySeconds``.
* ``unsafe-rolling-update`` (cross-object: it needs HPAs, Services and the cluster): accepted
  settings that take every pod down at once, that the controller silently changes, that stall the
  rollout or make it crawl. (A rolling update that no readiness probe gates is part of the
  ``missing-readiness-probe`` finding on the container, not a second finding.)

Every int-or-percent value is resolved by ``k8slint.model.rollout`` (the functions the
anti-affinity rules use for the rollout peak too), against the replica counts the controller will
see: ``spec.replicas`` (default 1), or the ``minReplicas`` and ``maxReplicas`` ends of an HPA that
targets the workload.

Which other objects belong with a workload (its HPA, the Services in front of it, the PDBs over
it) is decided by ``related``: same namespace, and found in the same file, else the same
directory, else anywhere but under the same explicit namespace. A directory of unrelated
projects therefore does not pair one project's HPA with another's Deployment of the same name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, NamedTuple

from k8slint.model import fixes, memo
from k8slint.model.objects import (
    DaemonSet, Deployment, HorizontalPodAutoscaler, Rollout, Service, StatefulSet, Workload,
    as_dict, as_int,
)
from k8slint.model.rollout import (
    ARGO_BOTH_ZERO, ARGO_DEFAULT_SURGE, ARGO_DEFAULT_UNAVAILABLE, DEFAULT_DAEMONSET_SURGE,
    DEFAULT_DAEMONSET_UNAVAILABLE,
    DEFAULT_PROGRESS_DEADLINE_SECONDS, NONNEGATIVE_ERROR, PERCENT_ERROR, Fenceposts, Problem,
    argo_canary_fenceposts, daemonset_fenceposts, deployment_fenceposts,
    parse_int_or_percent, scaled_value, statefulset_max_unavailable, validate_argo_rollout_strategy,
    update_type, validate_daemonset_strategy, validate_deployment_strategy, validate_statefulset_strategy,
    version_defaults,
)
from k8slint.model.serving import host_ports
from k8slint.model.index import SelectorMapIndex
from k8slint.model.relations import ReplicaCount, related, replica_counts
from k8slint.model.versions import gate_state
from k8slint.model.wording import show_value
from k8slint.rules import MEDIUM, SET, rule

INVALID = "rolling-update-invalid"
UNSAFE = "unsafe-rolling-update"
_KINDS = (Deployment, DaemonSet, StatefulSet, Rollout)
# Replica counts up to which "at which counts does every pod go down" is spelled out.
_OUTAGE_SCAN = 100
_OUTAGE_EXACT = 10_000  # replica counts checked one by one for outages; beyond, by bisection


# ---- rolling-update-invalid ----------------------------------------------------------------------

@dataclass(frozen=True)
class _Layout:
    """Where a kind keeps its update settings."""
    strategy: tuple  # path of the strategy mapping
    knobs: tuple  # path of the mapping with maxSurge / maxUnavailable / partition
    noun: str  # "the API server" or "Argo Rollouts"


def _layout(obj: Workload) -> _Layout:
    if isinstance(obj, Deployment):
        return _Layout(("spec", "strategy"), ("spec", "strategy", "rollingUpdate"), "the API server")
    if isinstance(obj, (DaemonSet, StatefulSet)):
        return _Layout(("spec", "updateStrategy"), ("spec", "updateStrategy", "rollingUpdate"), "the API server")
    return _Layout(("spec", "strategy"), ("spec", "strategy", "canary"), "Argo Rollouts")


_NO_DEADLINE = 2**31 - 1  # math.MaxInt32: HasProgressDeadline is false (K deployment/util)
# Type errors that invalid-field-type already reports at the same place.
_TYPED_ELSEWHERE = {"strategy", "updateStrategy", "rollingUpdate", "minReadySeconds", "progressDeadlineSeconds",
                    "replicas"}


def validation_problems(obj: Workload) -> tuple[Problem, ...]:
    """Everything the API server (or Argo Rollouts) would reject in the update settings of ``obj``."""
    spec = obj.spec
    if isinstance(obj, Deployment):
        deadline = spec.get("progressDeadlineSeconds")
        if deadline is None and version_defaults("Deployment", obj.api_version).progress_deadline_seconds is None:
            deadline = _NO_DEADLINE  # extensions/v1beta1 sets no deadline: nothing to compare
        return _problems(Deployment.__name__, spec.get("strategy"), spec.get("minReadySeconds"), deadline)
    if isinstance(obj, (DaemonSet, StatefulSet)):
        return _problems(type(obj).__name__, spec.get("updateStrategy"))
    if isinstance(obj, Rollout):
        return _problems(Rollout.__name__, spec.get("strategy"), spec.get("minReadySeconds"),
                         spec.get("progressDeadlineSeconds"))
    return ()


# By value: thousands of workloads repeat a handful of strategies, and two rules ask for each.
@memo.by_value
def _problems(kind: str, strategy, min_ready_seconds=None, progress_deadline_seconds=None) -> tuple[Problem, ...]:
    if kind == Deployment.__name__:
        return tuple(validate_deployment_strategy(strategy, min_ready_seconds, progress_deadline_seconds))
    if kind == DaemonSet.__name__:
        return tuple(validate_daemonset_strategy(strategy))
    if kind == StatefulSet.__name__:
        return tuple(validate_statefulset_strategy(strategy))
    return tuple(validate_argo_rollout_strategy(strategy, min_ready_seconds, progress_deadline_seconds))


@rule(INVALID, kinds=["Deployment", "DaemonSet", "StatefulSet", "Rollout"])
def check_invalid(obj: Workload, ctx):
    problems = validation_problems(obj)
    if not problems:  # nearly every workload: no layout or set to make
        return
    layout = _layout(obj)
    seen = set()
    for problem in problems:
        if problem.field in _TYPED_ELSEWHERE and ", got " in problem.message:
            continue  # a wrong type: invalid-field-type says so
        path, message, hint = _explain(obj, layout, problem)
        if (path, message) in seen:
            continue
        seen.add((path, message))
        ctx.report(obj, path, message, hint=hint, fix=_fix(obj, layout, problem))


# Both knobs 0: the controller could replace no pod. maxUnavailable: 1 is the smallest change that
# lets a rollout proceed (one pod down at a time, no extra capacity needed); it is unsafe because
# it lets a pod go down where the author asked for none.
_BOTH_ZERO = ("may not be 0 when `maxSurge` is 0", "cannot be 0 when maxSurge is 0", ARGO_BOTH_ZERO)


def _fix(obj: Workload, layout: _Layout, problem: Problem):
    """The fix of a rejected rolling-update value, where the right value is certain."""
    knobs = as_dict(obj.get(*layout.knobs))
    if problem.message in _BOTH_ZERO:
        return fixes.fix("set maxUnavailable: 1 (one pod at a time is replaced; maxSurge stays 0)",
                         fixes.set_value(layout.knobs + ("maxUnavailable",), 1), safe=False)
    if problem.message == PERCENT_ERROR and problem.field in ("maxSurge", "maxUnavailable"):
        # "25" is a pod count written as a string or a percentage without its "%": certain only
        # when the other knob beside it is written as a valid percentage.
        value = knobs.get(problem.field)
        other = knobs.get("maxUnavailable" if problem.field == "maxSurge" else "maxSurge")
        digits = value.strip() if isinstance(value, str) else ""
        if digits.isascii() and digits.isdigit() and isinstance(other, str) and _is_percent(other):
            return fixes.fix(f'write {problem.field} as the percentage "{digits}%", like '
                             f'{"maxUnavailable" if problem.field == "maxSurge" else "maxSurge"} {other!r} beside it',
                             fixes.set_value(layout.knobs + (problem.field,), f"{digits}%"))
    return None


def _is_percent(text: str) -> bool:
    return text.endswith("%") and text[:-1].isascii() and text[:-1].isdigit()


def _explain(obj: Workload, layout: _Layout, problem: Problem) -> tuple[tuple, str, str]:
    """(path, message, hint) for one validation problem."""
    spec = obj.spec
    knobs = as_dict(obj.get(*layout.knobs))
    field = problem.field
    rejects = f"{layout.noun} rejects the {obj.kind}" if layout.noun == "the API server" else \
        "Argo Rollouts marks the Rollout InvalidSpec and does not roll it out"
    quoted = f"({_upstream(problem)})"
    if field in ("maxSurge", "maxUnavailable", "partition"):
        path = layout.knobs + (field,)
        value = knobs.get(field)
        label = f"{field} {show_value(value)}" if value is not None else f"{field} (default {show_value(_default(obj, field))})"
        return (path,) + _explain_value(obj, layout, problem, label, value, knobs, rejects, quoted)
    if field == "rollingUpdate":
        stype = as_dict(obj.get(*layout.strategy)).get("type")
        return (layout.knobs, f"rollingUpdate is set although the update type is {stype}; {rejects} {quoted}",
                "Remove rollingUpdate, or set type: RollingUpdate.")
    if field == "type":
        value = as_dict(obj.get(*layout.strategy)).get("type")
        allowed = "RollingUpdate or Recreate" if isinstance(obj, Deployment) else "RollingUpdate or OnDelete"
        return (layout.strategy + ("type",), f"update type {show_value(value)} is not supported; {rejects} {quoted}",
                f"Use {allowed}.")
    if field == "strategy":
        return (layout.strategy, f"strategy: {problem.message}; {rejects}",
                "Set exactly one of strategy.canary and strategy.blueGreen.")
    if field == "canary":
        return (layout.knobs, f"strategy.canary {problem.message}; {rejects}", "Make strategy.canary a mapping.")
    if field == "progressDeadlineSeconds" and "minReadySeconds" in problem.message:
        mrs = as_int(spec.get("minReadySeconds"), 0)
        pds = spec.get("progressDeadlineSeconds")
        shown = f"progressDeadlineSeconds {show_value(pds)}" if pds is not None else \
            f"progressDeadlineSeconds (default {DEFAULT_PROGRESS_DEADLINE_SECONDS})"
        path = ("spec", "progressDeadlineSeconds") if pds is not None else ("spec", "minReadySeconds")
        return (path, f"{shown} is not greater than minReadySeconds {mrs}: a pod must stay ready for "
                      f"minReadySeconds before it counts, so the deadline could expire before any pod is "
                      f"available; {rejects} {quoted}",
                f"Set progressDeadlineSeconds above minReadySeconds, e.g. {mrs + DEFAULT_PROGRESS_DEADLINE_SECONDS}.")
    path = ("spec", field) if field in ("minReadySeconds", "progressDeadlineSeconds") else layout.strategy
    return (path, f"{field} {show_value(spec.get(field))}: {problem.message}; {rejects}",
            "Use a non-negative integer number of seconds.")


def _explain_value(obj, layout, problem, label, value, knobs, rejects, quoted) -> tuple[str, str]:
    message = problem.message
    if message == PERCENT_ERROR:
        digits = value.strip().lstrip("+") if isinstance(value, str) else ""
        if digits.isascii() and digits.isdigit():
            hint = f'Write "{digits}%" for a percentage or {digits} (unquoted) for a pod count.'
        elif isinstance(value, str) and "." in value:
            hint = 'Percentages must be whole numbers, e.g. "25%".'
        else:
            hint = 'Use a pod count (e.g. 1) or a whole percentage such as "25%".'
        return (f"{label} is not a valid int-or-percent: a string must be a whole number followed by "
                f"'%' (regex [0-9]+%); {rejects}", hint)
    if message == NONNEGATIVE_ERROR:
        return f"{label} is negative; {rejects} {quoted}", "Use 0 or a positive value."
    if message == "must not be greater than 100%":
        return f"{label} is over 100%; {rejects} {quoted}", 'Use at most "100%".'
    if message == "may not be 0 when `maxSurge` is 0":  # Deployment
        return (f"maxSurge {show_value(knobs.get('maxSurge'))} and maxUnavailable {show_value(value)} are both 0: no pod "
                f"could ever be replaced, so {rejects} {quoted}",
                "Set maxSurge: 1 (start each new pod first) or maxUnavailable: 1.")
    if message == "cannot be 0 when maxSurge is 0":  # DaemonSet
        surge = knobs.get("maxSurge")
        shown = show_value(surge) if surge is not None else f"{DEFAULT_DAEMONSET_SURGE} (the default)"
        return (f"{label} and maxSurge {shown} are both 0: no daemon pod could ever be replaced, so {rejects} "
                f"{quoted}", "Set maxUnavailable: 1, or maxSurge: 1 together with maxUnavailable: 0.")
    if message == "may not be set when maxUnavailable is non-zero":  # DaemonSet
        mu = knobs.get("maxUnavailable")
        shown = show_value(mu) if mu is not None else f"{DEFAULT_DAEMONSET_UNAVAILABLE} (the default)"
        return (f"{label} is set while maxUnavailable is {shown}: a DaemonSet rolls out either by surge or by "
                f"unavailability, never both, so {rejects} {quoted}",
                "Write maxUnavailable: 0 next to maxSurge (maxUnavailable defaults to 1), or drop maxSurge.")
    if message == "cannot be 0":  # StatefulSet
        return (f"{label}: a StatefulSet replaces pods by deleting them, so at least one may be down; "
                f"{rejects} {quoted}", "Remove maxUnavailable (the default is 1) or set it to at least 1.")
    if message == ARGO_BOTH_ZERO:
        mu = knobs.get("maxUnavailable")
        return (f"maxSurge {show_value(value)} and maxUnavailable {show_value(mu)} are both 0 for Argo Rollouts (which "
                f"reads \"0\", 0 and \"0%\" alike); {rejects} ({message})",
                "Set maxSurge: 1 or maxUnavailable: 1.")
    if isinstance(obj, Rollout):
        return (f"{label}: Argo Rollouts cannot resolve it (it reads any string as a percentage once every "
                f"'%' is removed, and needs a non-negative whole number), so it cannot reconcile the Rollout",
                'Use a pod count (e.g. 1) or a percentage such as "25%".')
    return f"{label}: {message}; {rejects}", 'Use a pod count (e.g. 1) or a whole percentage such as "25%".'


def _upstream(problem: Problem) -> str:
    return f"{problem.field}: {problem.message}"


def _default(obj: Workload, field: str):
    if isinstance(obj, Deployment):
        defaults = version_defaults("Deployment", obj.api_version)
        return {"maxSurge": defaults.max_surge, "maxUnavailable": defaults.max_unavailable}.get(field)
    if isinstance(obj, DaemonSet):
        return {"maxSurge": DEFAULT_DAEMONSET_SURGE, "maxUnavailable": DEFAULT_DAEMONSET_UNAVAILABLE}.get(field)
    if isinstance(obj, Rollout):
        return {"maxSurge": ARGO_DEFAULT_SURGE, "maxUnavailable": ARGO_DEFAULT_UNAVAILABLE}.get(field)
    return {"maxUnavailable": 1, "partition": 0}.get(field)


# ---- unsafe-rolling-update -----------------------------------------------------------------------

@dataclass
class _Env:
    """What unsafe-rolling-update's checks of one workload share."""

    ctx: object
    hpas: list
    services: SelectorMapIndex
    slow_replicas: int


@rule(UNSAFE, scope=SET, cost=MEDIUM)
def check_unsafe(inventory, ctx):
    workloads = [w for w in inventory.workloads if isinstance(w, _KINDS)]
    if not workloads:
        return
    slow = ctx.params["slow_rollout_replicas"]  # default in rules/unsafe-rolling-update.yaml, checked at config load
    # Services by a pair of their selector: a Recreate Deployment asks which of them select its pods
    services = SelectorMapIndex(inventory.of(Service), lambda s: s.selector)
    env = _Env(ctx, inventory.of(HorizontalPodAutoscaler), services, slow)
    valid: dict = {}  # what validation_problems gives, by what it reads (the strategy by identity)
    for obj in workloads:
        with ctx.guard(obj):
            if not _valid(obj, valid):
                continue  # rolling-update-invalid reports it; the arithmetic is undefined
            if isinstance(obj, Deployment):
                _deployment(obj, env)
            elif isinstance(obj, DaemonSet):
                _daemonset(obj, env)
            elif isinstance(obj, StatefulSet):
                _statefulset(obj, env)
            else:
                _rollout(obj, env)


def _valid(obj: Workload, known: dict) -> bool:
    """``not validation_problems(obj)``, worked out once per distinct input: the inventory keeps one
    copy of equal strategy mappings, so the thousands of workloads of a chart or generator that
    repeat one strategy share it, and its identity (alive as long as the inventory) stands for
    its value. ``validation_problems`` reads the class, the API version (a Deployment's deadline
    default), the strategy mapping and two scalars."""
    spec = obj.spec
    strategy = spec.get("updateStrategy" if isinstance(obj, (DaemonSet, StatefulSet)) else "strategy")
    key = (type(obj), obj.api_version, id(strategy), spec.get("minReadySeconds"), spec.get("progressDeadlineSeconds"))
    try:
        found = known.get(key)
    except TypeError:  # a mapping or list where a number belongs (invalid-field-type reports it)
        return not validation_problems(obj)
    if found is None:
        found = known[key] = not validation_problems(obj)
    return found


def _deployment(obj: Deployment, env: _Env):
    counts = [c for c in replica_counts(obj, env.hpas) if c.n > 0]
    if not counts:
        return
    strategy = as_dict(obj.spec.get("strategy"))
    if strategy.get("type") == "Recreate":
        _recreate(obj, env, counts[-1])
        return
    knobs = as_dict(strategy.get("rollingUpdate"))
    defaults = version_defaults("Deployment", obj.api_version)  # extensions/v1beta1: 1 and 1, not 25%
    surge = _Knob("maxSurge", knobs.get("maxSurge"), defaults.max_surge)
    unavailable = _Knob("maxUnavailable", knobs.get("maxUnavailable"), defaults.max_unavailable)
    _surge_rollout(obj, env, counts, surge, unavailable,
                              lambda n: deployment_fenceposts(surge.value, unavailable.value, n),
                              lambda n: deployment_fenceposts(surge.value, unavailable.value, n).unavailable == n,
                              ("spec", "strategy"), ("spec", "strategy", "rollingUpdate"), "Deployment controller")


def _rollout(obj: Rollout, env: _Env):
    strategy = as_dict(obj.spec.get("strategy"))
    canary = strategy.get("canary")
    if isinstance(canary, dict):
        path = ("spec", "strategy", "canary")
        counts = [c for c in replica_counts(obj, env.hpas) if c.n > 0]
        if counts and canary.get("trafficRouting") is None:
            # With trafficRouting the canary is sized from the traffic weight and maxSurge/maxUnavailable
            # are not used (AR utils/replicaset/canary.go CalculateReplicaCountsForTrafficRoutedCanary).
            surge = _Knob("maxSurge", canary.get("maxSurge"), ARGO_DEFAULT_SURGE)
            unavailable = _Knob("maxUnavailable", canary.get("maxUnavailable"), ARGO_DEFAULT_UNAVAILABLE)

            def resolve(n: int) -> Fenceposts:
                return argo_canary_fenceposts(surge.raw, unavailable.raw, n)

            def takes_all_down(n: int) -> bool:
                return resolve(n).unavailable == n

            _surge_rollout(obj, env, counts, surge, unavailable, resolve, takes_all_down, path, path,
                                      "Argo Rollouts controller")


class _Knob(NamedTuple):
    """A rolling-update knob (maxSurge, maxUnavailable): as written and its default. (A named
    tuple: two are made for every Deployment, cheaper than a frozen dataclass.)"""

    name: str
    raw: object  # as written; None when absent
    default: object

    @property
    def value(self):
        return self.default if self.raw is None else self.raw

    def label(self) -> str:
        return f"{self.name} {show_value(self.raw)}" if self.raw is not None else \
            f"{self.name} (default {show_value(self.default)})"

    def resolved(self, n: int, resolved: int, rounding: str, clamped: bool = False, unit: str = "replica") -> str:
        """'maxUnavailable "50%" of 2 replicas resolves to 1 (rounded down)' / 'maxUnavailable 3 is more than
        the 2 replicas and is capped at 2' / 'maxSurge 1'."""
        if clamped:
            return f"{self.label()} is more than the {_plural(n, unit)} and is capped at {resolved}"
        if isinstance(self.value, str):
            read = "" if self.value.endswith("%") else f" (read as {self.value.replace('%', '')}%)"
            return f"{self.label()}{read} of {_plural(n, unit)} resolves to {resolved} (rounded {rounding})"
        return self.label()


def _surge_rollout(obj, env: _Env, counts: list[ReplicaCount], surge: _Knob, unavailable: _Knob,
                   resolve: Callable[[int], Fenceposts], takes_all_down: Callable[[int], bool],
                   strategy_path: tuple, knobs_path: tuple, controller: str):
    ctx = env.ctx
    resolved = []
    outage = forced = None  # the first count at which every pod may go down / both knobs resolve to 0
    for c in counts:
        fp = resolve(c.n)
        resolved.append((c, fp))
        if outage is None and fp.unavailable >= c.n:
            outage = (c, fp)
        if forced is None and fp.forced_unavailable:
            forced = (c, fp)

    def at(knob: _Knob) -> tuple:
        return knobs_path + (knob.name,) if knob.raw is not None else strategy_path

    if outage is not None:
        c, fp = outage
        upto = max(_OUTAGE_SCAN, counts[-1].n)
        where = _outage_counts(takes_all_down, upto)
        if fp.forced_unavailable:
            how = (f"{surge.resolved(c.n, 0, 'up')} and {unavailable.resolved(c.n, 0, 'down')}: both are 0, "
                   f"so the {controller} uses maxUnavailable 1")
            path = at(unavailable) if unavailable.raw is not None else at(surge)
        else:
            how = unavailable.resolved(c.n, fp.unavailable, "down", fp.clamped)
            path = at(unavailable)
        one_per_node = _one_per_node(obj)  # (for the hint: only where there is a finding)
        ctx.report(
            obj, path,
            f"{how}: at {c.text()} every pod may be down at once during a rollout, an outage until the new "
            f"pods are ready. These settings take all pods down at {where}.",
            hint="Set maxUnavailable: 0 with maxSurge: 1 (each new pod starts before an old one goes), "
                 "or run more replicas." if one_per_node is None else
            f"{one_per_node[0].upper()}{one_per_node[1:]}, so one such pod fits per node and a surge pod needs a "
            f"node without an old one (on a single node a rollout can only replace in place): run more replicas "
            f"on more nodes, and use maxSurge only where the cluster has a node to spare.")
    elif forced is not None:
        c, fp = forced
        one_per_node = _one_per_node(obj)
        ctx.report(
            obj, at(unavailable) if unavailable.raw is not None else at(surge),
            f"{surge.resolved(c.n, 0, 'up')} and {unavailable.resolved(c.n, 0, 'down')}: both are 0 "
            f"at {c.text()}; the API server accepts this because the written values are not both 0, but "
            f"the {controller} then silently uses maxUnavailable 1: one pod at a time goes down before "
            f"its replacement is ready",
            hint="Write what should happen: maxUnavailable: 1 with maxSurge: 0, or maxSurge: 1 with "
                 "maxUnavailable: 0 to keep every pod serving." if one_per_node is None else
            f"Write what should happen: maxUnavailable: 1 with maxSurge: 0 ({one_per_node}: a surge pod "
            f"needs a node without an old pod).",
            severity="info")
    top, fp = resolved[-1]
    if top.n >= env.slow_replicas and fp.surge + fp.unavailable == 1:
        min_ready = as_int(obj.spec.get("minReadySeconds"), 0) or 0
        wait = (f"; with minReadySeconds {min_ready} each wave waits at least {min_ready}s, "
                f"{_duration(min_ready * top.n)} in all") if min_ready > 0 else ""
        path = at(surge) if surge.raw is not None else at(unavailable)
        one_per_node = _one_per_node(obj)
        ctx.report(
            obj, path,
            f"{surge.resolved(top.n, fp.surge, 'up')} and {unavailable.resolved(top.n, fp.unavailable, 'down')} "
            f"allow {_plural(fp.surge, 'extra pod')} and {_plural(fp.unavailable, 'missing pod')} at {top.text()}: "
            f"the rollout replaces one pod "
            f"at a time, about {top.n} waves of start-up and readiness{wait}",
            hint='Let more pods change per wave, e.g. maxSurge: "25%" (the default), if the cluster has room.'
            if one_per_node is None else
            f'Let more pods change per wave, e.g. maxUnavailable: "25%" ({one_per_node}: a surge pod needs a '
            f'node without an old pod).',
            severity="info")


def _recreate(obj: Deployment, env: _Env, top: ReplicaCount):
    template = obj.pod_template.labels
    backing = related(obj, [s for s in env.services.candidates(template) if _selects(s.selector, template)])
    if not backing:
        return
    names = list(dict.fromkeys(s.name for s in backing))
    shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
    pods = "the pod" if top.n == 1 else f"all {top.n} pods"
    env.ctx.report(
        obj, ("spec", "strategy", "type"),
        f"strategy Recreate deletes {pods} ({top.short()}) before any new one starts: Service "
        f"{shown} has no ready endpoint during every rollout",
        hint="Use RollingUpdate unless old and new pods cannot run side by side (e.g. a ReadWriteOnce volume).",
        severity="info")


def _selects(selector: dict, labels: dict) -> bool:
    """A Service selector (a plain map) selects pods whose labels include every pair."""
    return all(isinstance(k, str) and labels.get(k) == v for k, v in selector.items())


def _daemonset(obj: DaemonSet, env: _Env):
    ctx = env.ctx
    strategy = as_dict(obj.spec.get("updateStrategy"))
    if update_type(obj.kind, obj.api_version, obj.spec) == "OnDelete":
        _on_delete(obj, env, strategy)
        return
    knobs = as_dict(strategy.get("rollingUpdate"))
    knobs_path = ("spec", "updateStrategy", "rollingUpdate")
    surge = _Knob("maxSurge", knobs.get("maxSurge"), DEFAULT_DAEMONSET_SURGE)
    unavailable = _Knob("maxUnavailable", knobs.get("maxUnavailable"), DEFAULT_DAEMONSET_UNAVAILABLE)
    # AllowsSurge (K daemon/util/daemonset_util.go): maxSurge resolved against one node is above 0.
    if surge.raw is not None and scaled_value(surge.raw, 1, True) > 0:
        ports = _host_ports(obj)
        if ports:
            container, port, how = ports[0]
            ctx.report(
                obj, knobs_path + ("maxSurge",),
                f"{surge.label()} starts each new daemon pod beside the old one on the same node, but container "
                f"\"{container}\" uses host port {port}{how}: the new pod cannot be scheduled while the old one "
                f"holds the port, and the old one is only removed once the new one is available, so the "
                f"rollout stops at the first node",
                hint="Use maxSurge: 0 with maxUnavailable: 1 (replace in place), or drop the host port.",
                severity="error")
    nodes = _eligible_nodes(obj, ctx)
    if unavailable.raw is not None:
        parsed = parse_int_or_percent(unavailable.raw)
        if nodes is not None and nodes >= 2:
            fp = daemonset_fenceposts(surge.raw, unavailable.raw, nodes)
            if fp.unavailable >= nodes:
                shown = unavailable.resolved(nodes, fp.unavailable, "up", fp.clamped, unit="node")
                ctx.report(
                    obj, knobs_path + ("maxUnavailable",),
                    f"{shown}: on the {nodes} nodes of {ctx.cluster.source} that run this DaemonSet, every daemon "
                    f"pod may be down at once during a rollout",
                    hint=_daemonset_hint(obj))
        elif nodes is None and parsed.percent and parsed.number >= 100:
            ctx.report(
                obj, knobs_path + ("maxUnavailable",),
                f"{unavailable.label()}: DaemonSet percentages round up against the number of nodes that run the "
                f"pod, so the controller may take the daemon pod down on every node at once during a rollout",
                hint=_daemonset_hint(obj))


def _host_ports(obj: Workload) -> list[tuple[str, int, str]]:
    return host_ports(obj.pod_template)


def _daemonset_hint(obj: DaemonSet) -> str:
    if _host_ports(obj):  # a surge pod would wait for the old pod's port on the same node forever
        return "Use a smaller maxUnavailable (e.g. 1 or \"10%\"); not maxSurge, which host ports make stall."
    return "Use a smaller maxUnavailable (e.g. 1 or \"10%\"), or maxSurge with maxUnavailable: 0."


def _one_per_node(obj: Workload) -> str | None:
    """'container "controller" uses host port 80' when host ports allow one pod per node (the
    scheduler's NodePorts filter): then a surge pod needs a node without an old pod, and a hint
    must not recommend surge as if it were free."""
    ports = _host_ports(obj)
    if not ports:
        return None
    container, port, how = ports[0]
    return f'container "{container}" uses host port {port}{how}'


def _eligible_nodes(obj: DaemonSet, ctx) -> int | None:
    if ctx.cluster is None:
        return None
    from k8slint.model.scheduling import node_verdicts

    return node_verdicts("DaemonSet", obj.pod_template.spec, ctx.cluster).eligible.count


def _statefulset(obj: StatefulSet, env: _Env):
    ctx = env.ctx
    strategy = as_dict(obj.spec.get("updateStrategy"))
    if update_type(obj.kind, obj.api_version, obj.spec) == "OnDelete":
        _on_delete(obj, env, strategy)
        return
    counts = [c for c in replica_counts(obj, env.hpas) if c.n > 0]
    if not counts:
        return
    knobs = as_dict(strategy.get("rollingUpdate"))
    knobs_path = ("spec", "updateStrategy", "rollingUpdate")
    top = counts[-1]
    partition = as_int(knobs.get("partition"), 0) or 0
    if partition > 0 and partition >= top.n:
        ctx.report(
            obj, knobs_path + ("partition",),
            f"partition {partition} is not below the {top.text()}: only pods with an ordinal of {partition} or "
            f"more are updated and the highest ordinal is {top.n - 1}, so a template change updates no pod",
            hint="Lower the partition (0 updates every pod) when the staged rollout should go ahead.")
    raw = knobs.get("maxUnavailable")
    if raw is None:
        return
    gate = gate_state("MaxUnavailableStatefulSet", ctx.kubernetes_version)
    if gate.default:  # gate off: the API server drops it (feature-gated-field says so)
        knob = _Knob("maxUnavailable", raw, 1)
        for c in counts:
            k = statefulset_max_unavailable(raw, c.n)
            if c.n >= 2 and k >= c.n:
                shown = knob.resolved(c.n, k, "down") if isinstance(raw, str) else knob.label()
                ctx.report(
                    obj, knobs_path + ("maxUnavailable",),
                    f"{shown}: at {c.text()} the StatefulSet controller may delete every pod at once during a "
                    f"rollout ({gate.describe()}; without it pods are updated one at a time)",
                    hint="Use a maxUnavailable below the replica count, e.g. 1 (the default).")
                break


def _on_delete(obj: Workload, env: _Env, strategy: dict):
    if strategy.get("type") == "OnDelete":
        path, what = ("spec", "updateStrategy", "type"), "updateStrategy OnDelete"
    else:  # the default of the object's API version (K pkg/apis/extensions/v1beta1 and apps/v1beta1 defaults.go)
        path = ("spec", "updateStrategy") if "updateStrategy" in obj.spec else ("spec",)
        what = f"updateStrategy not set, so {obj.api_version} defaults it to OnDelete (apps/v1 defaults to RollingUpdate)"
    env.ctx.report(
        obj, path,
        f"{what}: a template change rolls out to no pod by itself; each pod takes the new "
        "template only when it is deleted (by hand, an eviction or a node drain)",
        hint="Use RollingUpdate unless pods are replaced by hand on purpose.", severity="info")


# ---- formatting ----------------------------------------------------------------------------------

def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _outage_counts(takes_all_down: Callable[[int], bool], upto: int) -> str:
    """The replica counts in 1..upto at which a rollout may take every pod down, as text. Counted one
    by one up to _OUTAGE_EXACT; a count can be up to 2**31 - 1, so beyond that the counts are found
    by bisection, which is exact because they always form a prefix 1..K: the resolved
    maxUnavailable equals the replica count n when an integer maxUnavailable is at least n, when a
    percentage (rounded down) is at least 100% (then at every n), or at n = 1 when both maxSurge
    and maxUnavailable resolve to 0 and the controller uses 1 (deployment/util.ResolveFenceposts,
    Argo Rollouts' canary equivalent)."""
    exact = min(upto, _OUTAGE_EXACT)
    counts = [n for n in range(1, exact + 1) if takes_all_down(n)]
    if exact == upto or counts != list(range(1, exact + 1)):
        return _count_ranges(counts, exact if exact == upto else upto)
    low, high = exact, upto  # takes_all_down(low) holds; find the last n that does
    if takes_all_down(high):
        return "every replica count"
    while high - low > 1:
        middle = (low + high) // 2
        if takes_all_down(middle):
            low = middle
        else:
            high = middle
    return f"replicas 1-{low}"


def _count_ranges(counts: list[int], upto: int) -> str:
    """[1, 2, 3, 7] -> 'replicas 1-3 and 7'; every count -> 'every replica count'."""
    if not counts:
        return "no replica count"
    if counts == list(range(1, upto + 1)):
        return "every replica count"
    parts = []
    start = prev = counts[0]
    for n in counts[1:] + [None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    word = "replica" if counts == [1] else "replicas"
    return f"{word} {text}"


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds}s"
    minutes = math.ceil(seconds / 60)
    return f"about {minutes} minutes" if minutes < 120 else f"about {math.ceil(minutes / 60)} hours"
