"""Fields that need a feature gate the target Kubernetes release has off by default (or does not
have yet): the API server drops such a field from the object it stores (the ``dropDisabled*``
functions of pkg/api/pod/util.go and the registry strategies of kubernetes/kubernetes), so the
manifest asks for a behaviour the cluster does not give. One finding per field, naming the gate
(k8slint.model.versions has the table). Toleration operators Lt/Gt are the exception to dropping:
ValidateTolerations rejects them without TaintTolerationComparisonOperators; before the gate
existed (1.35) toleration-invalid reports them as invalid operators.
"""

from __future__ import annotations

from k8slint.model.objects import (
    CronJob, HorizontalPodAutoscaler, Job, PodDisruptionBudget, Service, StatefulSet, as_dict, as_list, dig,
)
from k8slint.model.scheduling import COMPARISON_OPERATORS
from k8slint.model.versions import gate_state
from k8slint.rules import rule

RULE = "feature-gated-field"

_POD_AFFINITY_KINDS = ("podAffinity", "podAntiAffinity")
_SCHEDULING_TERMS = (("requiredDuringSchedulingIgnoredDuringExecution", ()),
                     ("preferredDuringSchedulingIgnoredDuringExecution", ("podAffinityTerm",)))
# What the cluster does once the API server has dropped the field.
_WITHOUT = {
    "MaxUnavailableStatefulSet": "the API server drops the field and the StatefulSet controller replaces one pod "
                                 "at a time",
    "SidecarContainers": "the API server drops restartPolicy and the container is an ordinary init container: "
                         "the app containers start only after it exits, so a long-running one keeps the pod "
                         "from ever starting",
    "MatchLabelKeysInPodAffinity": "the API server drops the field and the term selects pods by its "
                                   "labelSelector alone, whatever their labels' values",
    "MatchLabelKeysInPodTopologySpread": "the API server drops the field and the constraint counts the pods its "
                                         "labelSelector selects, of every revision",
    "MinDomainsInPodTopologySpread": "the API server drops the field and the scheduler computes the skew over the "
                                     "domains it finds, however few",
    "NodeInclusionPolicyInPodTopologySpread": "the API server drops the field and the scheduler applies the "
                                              "defaults (nodeAffinityPolicy Honor, nodeTaintsPolicy Ignore)",
    "PDBUnhealthyPodEvictionPolicy": "the API server drops the field and running-but-not-ready pods can be "
                                     "evicted only while the budget is met (IfHealthyBudget)",
    "TaintTolerationComparisonOperators": "the API server rejects the pod template",
    "JobBackoffLimitPerIndex": "the API server drops the field and failures count against the Job's "
                               "backoffLimit as a whole",
    "JobSuccessPolicy": "the API server drops the field and the Job succeeds only by its completions",
    "JobManagedBy": "the API server drops the field and the built-in Job controller manages the Job",
    "JobPodReplacementPolicy": "the API server drops the field and terminating pods are replaced at once "
                               "(TerminatingOrFailed)",
    "PodLifecycleSleepAction": "the API server drops the sleep handler, leaving a lifecycle hook the API "
                               "server rejects as empty",
    "ServiceTrafficDistribution": "the API server drops the field and traffic is spread over every endpoint",
    "PodLevelResources": "the API server drops the field: only the containers' own requests and limits apply",
    "UserNamespacesSupport": "the API server drops the field and the pod runs in the host's user namespace",
    "ImageVolume": "the API server rejects an image volume (no volume source is set once it is dropped)",
    "HPAConfigurableTolerance": "the API server drops the field and the HPA uses the cluster-wide 10% tolerance",
    "InPlacePodVerticalScaling": "the API server drops the field and a running pod's resources cannot be changed in "
                                 "place",
}


@rule(RULE, kinds=["Workload", "PodDisruptionBudget", "Service", "HorizontalPodAutoscaler"])
def check(obj, ctx):
    version = ctx.kubernetes_version
    gates = _reportable(version)
    if not gates:
        return
    for path, what, gate in _gated_fields(obj, gates):
        state = gate_state(gate, version)
        if state.exists:
            message = f"{what} needs {state.describe()}: unless the cluster turns the gate on, {_WITHOUT[gate]}"
            hint = f"Remove it, or turn on the {gate} feature gate on the cluster (or lint for a newer release)."
        else:
            message = f"{what} needs {state.describe()}; {_WITHOUT[gate]}"
            hint = "Remove it, or upgrade the cluster (or lint for the release it runs: --kubernetes-version)."
        ctx.report(obj, path, message, hint=hint)


_REPORTABLE: dict = {}
# Gates of pod-template fields, and of topology spread constraints among them.
_SPREAD_GATES = frozenset(("MatchLabelKeysInPodTopologySpread", "MinDomainsInPodTopologySpread",
                           "NodeInclusionPolicyInPodTopologySpread"))
_POD_GATES = _SPREAD_GATES | {"SidecarContainers", "PodLifecycleSleepAction", "InPlacePodVerticalScaling",
                              "PodLevelResources", "UserNamespacesSupport", "ImageVolume",
                              "TaintTolerationComparisonOperators", "MatchLabelKeysInPodAffinity"}


def _reportable(version) -> frozenset:
    """The gates a finding can name at ``version``: those off by default. A field whose gate is on
    by default is not looked for at all (at the newest release that is every gate but one)."""
    gates = _REPORTABLE.get(version)
    if gates is None:
        gates = _REPORTABLE[version] = frozenset(
            gate for gate in _WITHOUT if not (state := gate_state(gate, version)).default
            # an invalid operator before 1.35: toleration-invalid says so
            and not (gate == "TaintTolerationComparisonOperators" and not state.exists))
    return gates


_SPREAD_GATES_OF: dict = {}


def _spread_gates(gates: frozenset) -> frozenset:
    """The topology spread gates among ``gates`` (worked out once per set of gates)."""
    spread = _SPREAD_GATES_OF.get(gates)
    if spread is None:
        spread = _SPREAD_GATES_OF[gates] = _SPREAD_GATES.intersection(gates)
    return spread


def _gated_fields(obj, gates: frozenset):
    """(path, what, gate) for every field the object sets whose gate is one of ``gates``."""
    if isinstance(obj, PodDisruptionBudget):
        if "PDBUnhealthyPodEvictionPolicy" in gates \
                and dig(obj.root, ("spec", "unhealthyPodEvictionPolicy")) is not None:
            yield (("spec", "unhealthyPodEvictionPolicy"), "spec.unhealthyPodEvictionPolicy",
                   "PDBUnhealthyPodEvictionPolicy")
        return
    if isinstance(obj, Service):
        if "ServiceTrafficDistribution" in gates and dig(obj.root, ("spec", "trafficDistribution")) is not None:
            yield ("spec", "trafficDistribution"), "spec.trafficDistribution", "ServiceTrafficDistribution"
        return
    if isinstance(obj, HorizontalPodAutoscaler):
        for direction in ("scaleUp", "scaleDown") if "HPAConfigurableTolerance" in gates else ():
            path = ("spec", "behavior", direction, "tolerance")
            if dig(obj.root, path) is not None:
                yield path, f"spec.behavior.{direction}.tolerance", "HPAConfigurableTolerance"
        return
    job_spec = None
    if isinstance(obj, Job):
        job_spec, job_path = obj.spec, ("spec",)
    elif isinstance(obj, CronJob):
        job_spec, job_path = as_dict(dig(obj.root, ("spec", "jobTemplate", "spec"))), ("spec", "jobTemplate", "spec")
    if job_spec is not None:
        for field, gate in (("backoffLimitPerIndex", "JobBackoffLimitPerIndex"),
                            ("maxFailedIndexes", "JobBackoffLimitPerIndex"),
                            ("successPolicy", "JobSuccessPolicy"), ("managedBy", "JobManagedBy"),
                            ("podReplacementPolicy", "JobPodReplacementPolicy")):
            if gate in gates and job_spec.get(field) is not None:
                yield job_path + (field,), f"{'.'.join(job_path)}.{field}", gate
    if isinstance(obj, StatefulSet) and "MaxUnavailableStatefulSet" in gates:
        path = ("spec", "updateStrategy", "rollingUpdate", "maxUnavailable")
        if dig(obj.root, path) is not None:
            yield path, "updateStrategy.rollingUpdate.maxUnavailable", "MaxUnavailableStatefulSet"
    if gates.isdisjoint(_POD_GATES):
        return
    template = obj.pod_template
    spec, spec_path = template.spec, template.spec_path
    for container in template.containers("initContainers") if "SidecarContainers" in gates else ():
        if container.is_sidecar:
            yield (container.path + ("restartPolicy",),
                   f'init container "{container.name}" with restartPolicy: Always (a sidecar container)',
                   "SidecarContainers")
    sleep, resize = "PodLifecycleSleepAction" in gates, "InPlacePodVerticalScaling" in gates
    for container in template.containers("containers", "initContainers") if sleep or resize else ():
        for hook in ("postStart", "preStop") if sleep else ():
            if dig(container.data, ("lifecycle", hook, "sleep")) is not None:
                yield (container.path + ("lifecycle", hook, "sleep"),
                       f'container "{container.name}" lifecycle.{hook}.sleep', "PodLifecycleSleepAction")
        if resize and container.data.get("resizePolicy") is not None:
            yield container.path + ("resizePolicy",), f'container "{container.name}" resizePolicy', \
                "InPlacePodVerticalScaling"
    if "PodLevelResources" in gates and spec.get("resources") is not None:
        yield spec_path + ("resources",), "pod-level spec.resources", "PodLevelResources"
    if "UserNamespacesSupport" in gates and spec.get("hostUsers") is False:
        yield spec_path + ("hostUsers",), "hostUsers: false", "UserNamespacesSupport"
    for index, volume in enumerate(as_list(spec.get("volumes"))) if "ImageVolume" in gates else ():
        if as_dict(volume).get("image") is not None:
            yield spec_path + ("volumes", index, "image"), f"volumes[{index}].image", "ImageVolume"
    for index, toleration in enumerate(template.tolerations) if "TaintTolerationComparisonOperators" in gates else ():
        operator = as_dict(toleration).get("operator")
        if operator in COMPARISON_OPERATORS:
            yield (spec_path + ("tolerations", index, "operator"), f"tolerations[{index}] operator {operator}",
                   "TaintTolerationComparisonOperators")
    for kind in _POD_AFFINITY_KINDS if "MatchLabelKeysInPodAffinity" in gates else ():
        block = as_dict(template.affinity.get(kind))
        for field, inner in _SCHEDULING_TERMS:
            for index, item in enumerate(as_list(block.get(field))):
                term = as_dict(dig(item, inner)) if inner else as_dict(item)
                for keys in ("matchLabelKeys", "mismatchLabelKeys"):
                    if term.get(keys):
                        path = spec_path + ("affinity", kind, field, index) + inner + (keys,)
                        yield path, f"{kind} {keys}", "MatchLabelKeysInPodAffinity"
    spread = _spread_gates(gates)
    for index, constraint in enumerate(as_list(spec.get("topologySpreadConstraints"))) if spread else ():
        constraint = as_dict(constraint)
        base = spec_path + ("topologySpreadConstraints", index)
        if "MatchLabelKeysInPodTopologySpread" in spread and constraint.get("matchLabelKeys"):
            yield base + ("matchLabelKeys",), f"topologySpreadConstraints[{index}].matchLabelKeys", \
                "MatchLabelKeysInPodTopologySpread"
        if "MinDomainsInPodTopologySpread" in spread and constraint.get("minDomains") is not None:
            yield base + ("minDomains",), f"topologySpreadConstraints[{index}].minDomains", \
                "MinDomainsInPodTopologySpread"
        for field in ("nodeAffinityPolicy", "nodeTaintsPolicy") if "NodeInclusionPolicyInPodTopologySpread" in spread \
                else ():
            if constraint.get(field) is not None:
                yield base + (field,), f"topologySpreadConstraints[{index}].{field}", \
                    "NodeInclusionPolicyInPodTopologySpread"
