"""The target Kubernetes version of a run, and the feature gates whose default state decides what
a manifest does there.

One version for the whole run (``--kubernetes-version``, config ``kubernetes_version``, default
``NEWEST``): rules read it as ``ctx.kubernetes_version``, a ``(major, minor)`` tuple that compares
with ``<``/``>=``.

The gate table copies the versioned feature specs of kubernetes/kubernetes
``pkg/features/kube_features.go`` (``defaultVersionedKubernetesFeatureGates``: for each gate, the
release where it became alpha, beta, GA and its default in each). A gate that is off by default
is off on every managed cluster and on kubeadm clusters unless ``--feature-gates`` turns it on:
the API server then drops the gated field from the object it stores (the ``dropDisabled*Fields``
functions of pkg/api/pod/util.go, pkg/api/persistentvolumeclaim, the registry strategies) or, for
an operator value, its validation rejects the value. Before its alpha release the field does not
exist at all. Standard library only: imported on every run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Version = tuple[int, int]

# The newest minor release k8slint's tables know (kube_features.go lists 1.35 states). The oldest
# one accepted: every API the deprecated-api table lists was still served then or removed in it.
NEWEST: Version = (1, 35)
OLDEST: Version = (1, 16)

_VERSION_TEXT = re.compile(r"v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+][0-9A-Za-z.+-]*)?\Z")


class VersionError(ValueError):
    """A target version that is not a Kubernetes release k8slint knows (a usage error: exit 2)."""


def parse_version(value: object) -> Version:
    """``"1.30"``, ``"v1.30"``, ``"1.30.2"``, ``"v1.30.2-eks-1234"`` -> (1, 30).

    A YAML number loses trailing zeros (an unquoted 1.30 in a config file is the float 1.3), so a
    float with one decimal digit d means d0: 1.3 is 1.30, 1.2 is 1.20. Anything else, and any
    release outside ``OLDEST``..``NEWEST``, raises VersionError with what was given and what is
    accepted."""
    if isinstance(value, bool) or value is None:
        raise VersionError(_expected(value))
    if isinstance(value, float):
        major, _, minor = repr(value).partition(".")
        if len(minor) == 1 and minor != "0":
            minor += "0"
        text = f"{major}.{minor}"
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise VersionError(_expected(value))
    match = _VERSION_TEXT.match(text)
    if not match or len(match.group(1)) > 6 or len(match.group(2)) > 6:  # (int() refuses 4300+ digits)
        raise VersionError(_expected(value))
    version = int(match.group(1)), int(match.group(2))
    if not OLDEST <= version <= NEWEST:
        raise VersionError(f"Kubernetes {version[0]}.{version[1]} is not a release k8slint knows "
                           f"({text_of(OLDEST)} to {text_of(NEWEST)})")
    return version


def _expected(value: object) -> str:
    shown = repr(value) if not isinstance(value, str) or len(value) <= 40 else repr(value[:37] + "...")
    return (f"{shown} is not a Kubernetes version: expected major.minor such as "
            f"\"{text_of(NEWEST)}\" ({text_of(OLDEST)} to {text_of(NEWEST)})")


def text_of(version: Version) -> str:
    return f"{version[0]}.{version[1]}"


# ---- feature gates ----------------------------------------------------------------------------

ALPHA, BETA, GA = "alpha", "beta", "GA"


@dataclass(frozen=True)
class GateState:
    """A gate at one release: ``stage`` None when the gate (and its field) does not exist yet."""

    gate: str
    version: Version
    stage: str | None
    default: bool

    @property
    def exists(self) -> bool:
        return self.stage is not None

    def describe(self) -> str:
        """'feature gate X (alpha, off by default in Kubernetes 1.30)'."""
        if self.stage is None:
            first = FEATURE_GATES[self.gate][0]
            return (f"feature gate {self.gate} (added as {first[1]} in Kubernetes {text_of(first[0])}; "
                    f"Kubernetes {text_of(self.version)} does not have it)")
        state = "on" if self.default else "off"
        return f"feature gate {self.gate} ({self.stage}, {state} by default in Kubernetes {text_of(self.version)})"


# gate -> [(release, stage, on by default)], oldest first, from kube_features.go.
FEATURE_GATES: dict[str, list[tuple[Version, str, bool]]] = {
    # StatefulSet spec.updateStrategy.rollingUpdate.maxUnavailable (KEP-961); without it the
    # controller replaces one pod at a time (getStatefulSetMaxUnavailable returns 1).
    "MaxUnavailableStatefulSet": [((1, 24), ALPHA, False), ((1, 35), BETA, True)],
    # Toleration operators Lt/Gt (KEP-5471); ValidateTolerations rejects them without the gate.
    "TaintTolerationComparisonOperators": [((1, 35), ALPHA, False)],
    # Init containers with restartPolicy: Always (KEP-753).
    "SidecarContainers": [((1, 28), ALPHA, False), ((1, 29), BETA, True), ((1, 33), GA, True)],
    # podAffinityTerm.matchLabelKeys / mismatchLabelKeys (KEP-3633).
    "MatchLabelKeysInPodAffinity": [((1, 29), ALPHA, False), ((1, 31), BETA, True), ((1, 33), GA, True)],
    # topologySpreadConstraints[].matchLabelKeys (KEP-3243).
    "MatchLabelKeysInPodTopologySpread": [((1, 25), ALPHA, False), ((1, 27), BETA, True)],
    # topologySpreadConstraints[].minDomains (KEP-3022).
    "MinDomainsInPodTopologySpread": [((1, 24), ALPHA, False), ((1, 25), BETA, False), ((1, 27), BETA, True),
                                      ((1, 30), GA, True)],
    # topologySpreadConstraints[].nodeAffinityPolicy / nodeTaintsPolicy (KEP-3094).
    "NodeInclusionPolicyInPodTopologySpread": [((1, 25), ALPHA, False), ((1, 26), BETA, True),
                                               ((1, 33), GA, True)],
    # PodDisruptionBudget spec.unhealthyPodEvictionPolicy (KEP-3017).
    "PDBUnhealthyPodEvictionPolicy": [((1, 26), ALPHA, False), ((1, 27), BETA, True), ((1, 31), GA, True)],
    # Job spec.backoffLimitPerIndex / maxFailedIndexes (KEP-3850).
    "JobBackoffLimitPerIndex": [((1, 28), ALPHA, False), ((1, 29), BETA, True), ((1, 33), GA, True)],
    # Job spec.successPolicy (KEP-3998).
    "JobSuccessPolicy": [((1, 30), ALPHA, False), ((1, 31), BETA, True), ((1, 33), GA, True)],
    # Job spec.managedBy (KEP-4368).
    "JobManagedBy": [((1, 30), ALPHA, False), ((1, 32), BETA, True), ((1, 35), GA, True)],
    # Job spec.podReplacementPolicy (KEP-3939).
    "JobPodReplacementPolicy": [((1, 28), ALPHA, False), ((1, 29), BETA, True), ((1, 34), GA, True)],
    # lifecycle.postStart/preStop.sleep (KEP-3960).
    "PodLifecycleSleepAction": [((1, 29), ALPHA, False), ((1, 30), BETA, True), ((1, 34), GA, True)],
    # Service spec.trafficDistribution (KEP-4444).
    "ServiceTrafficDistribution": [((1, 30), ALPHA, False), ((1, 31), BETA, True), ((1, 33), GA, True)],
    # Pod-level spec.resources (KEP-2837).
    "PodLevelResources": [((1, 32), ALPHA, False), ((1, 34), BETA, True)],
    # spec.hostUsers: false, user namespaces (KEP-127).
    "UserNamespacesSupport": [((1, 25), ALPHA, False), ((1, 30), BETA, False), ((1, 33), BETA, True)],
    # volumes[].image, OCI image volumes (KEP-4639).
    "ImageVolume": [((1, 31), ALPHA, False), ((1, 33), BETA, False), ((1, 35), BETA, True)],
    # HPA spec.behavior.scaleUp/scaleDown.tolerance (KEP-4951).
    "HPAConfigurableTolerance": [((1, 33), ALPHA, False), ((1, 35), BETA, True)],
    # containers[].resizePolicy, in-place resize (KEP-1287).
    "InPlacePodVerticalScaling": [((1, 27), ALPHA, False), ((1, 33), BETA, True), ((1, 35), GA, True)],
    # The apps.kubernetes.io/pod-index and batch.kubernetes.io/job-completion-index pod labels
    # (KEP-4017): the StatefulSet and Job controllers add them only with the gate.
    "PodIndexLabel": [((1, 28), BETA, True), ((1, 32), GA, True)],
}


def gate_state(gate: str, version: Version) -> GateState:
    """The stage and default of ``gate`` at ``version`` (the last entry at or before it)."""
    stage, default = None, False
    for since, entry_stage, entry_default in FEATURE_GATES[gate]:
        if since <= version:
            stage, default = entry_stage, entry_default
    return GateState(gate, version, stage, default)


def on_by_default(gate: str, version: Version) -> bool:
    return gate_state(gate, version).default
