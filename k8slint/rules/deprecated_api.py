"""API versions that Kubernetes no longer serves (or soon will not). (ReplicationControllers are
served and not deprecated: ``replication-controller`` reports them.)

The table follows the Kubernetes "Deprecated API Migration Guide"
(kubernetes.io/docs/reference/using-api/deprecation-guide/, "Removed APIs by release"): for each
apiVersion and kind, the release that stopped serving it and its replacement. The release that
deprecated it comes from the release notes (the guide lists removals only); it decides whether an
API still served by the target cluster already warns.

For APIs removed in 1.16 the "deprecated in" release is the one that introduced their
replacement (those removals predate the guide's per-release deprecation notes); all of them are
long gone from every supported cluster either way.

The target cluster is the run's Kubernetes version (``ctx.kubernetes_version``, k8slint.model.versions):
an API removed in that release or earlier is an error (``kubectl apply`` fails with "no matches
for kind ... in version ..."), one deprecated but still served is a warning.
"""

from __future__ import annotations

from k8slint.model import fixes
from k8slint.model.versions import text_of as _text
from k8slint.rules import rule

RULE = "deprecated-api"

# (apiVersion, kind) -> (deprecated in, removed in, replacement apiVersion or None, note)
_APIS: dict[tuple[str, str], tuple[tuple[int, int], tuple[int, int], str | None, str]] = {}


def _add(api_version: str, kinds: str, deprecated: str, removed: str, replacement: str | None,
         note: str = "") -> None:
    for kind in kinds.split():
        _APIS[(api_version, kind)] = (_minor(deprecated), _minor(removed), replacement, note)


def _minor(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


_SELECTOR_NOTE = "spec.selector is required and immutable in apps/v1"
# v1.16
_add("extensions/v1beta1", "Deployment", "1.9", "1.16", "apps/v1", _SELECTOR_NOTE)
_add("apps/v1beta1", "Deployment", "1.9", "1.16", "apps/v1", _SELECTOR_NOTE)
_add("apps/v1beta2", "Deployment", "1.9", "1.16", "apps/v1", _SELECTOR_NOTE)
_add("extensions/v1beta1", "DaemonSet", "1.9", "1.16", "apps/v1",
     _SELECTOR_NOTE + "; updateStrategy now defaults to RollingUpdate")
_add("apps/v1beta2", "DaemonSet", "1.9", "1.16", "apps/v1", _SELECTOR_NOTE)
_add("extensions/v1beta1", "ReplicaSet", "1.9", "1.16", "apps/v1", _SELECTOR_NOTE)
_add("apps/v1beta1", "ReplicaSet", "1.9", "1.16", "apps/v1", _SELECTOR_NOTE)
_add("apps/v1beta2", "ReplicaSet", "1.9", "1.16", "apps/v1", _SELECTOR_NOTE)
_add("apps/v1beta1", "StatefulSet", "1.9", "1.16", "apps/v1",
     _SELECTOR_NOTE + "; updateStrategy now defaults to RollingUpdate")
_add("apps/v1beta2", "StatefulSet", "1.9", "1.16", "apps/v1", _SELECTOR_NOTE)
_add("extensions/v1beta1", "NetworkPolicy", "1.9", "1.16", "networking.k8s.io/v1")
_add("extensions/v1beta1", "PodSecurityPolicy", "1.11", "1.16", None,
     "PodSecurityPolicy was removed in 1.25 altogether: use Pod Security Admission")
# v1.22
_add("admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration ValidatingWebhookConfiguration",
     "1.16", "1.22", "admissionregistration.k8s.io/v1",
     "sideEffects and admissionReviewVersions are required in v1; failurePolicy defaults to Fail")
_add("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", "1.16", "1.22", "apiextensions.k8s.io/v1",
     "v1 needs spec.versions[*].schema.openAPIV3Schema (a structural schema) and an explicit spec.scope")
_add("apiregistration.k8s.io/v1beta1", "APIService", "1.19", "1.22", "apiregistration.k8s.io/v1")
_add("authentication.k8s.io/v1beta1", "TokenReview", "1.19", "1.22", "authentication.k8s.io/v1")
_add("authorization.k8s.io/v1beta1",
     "LocalSubjectAccessReview SelfSubjectAccessReview SubjectAccessReview SelfSubjectRulesReview",
     "1.19", "1.22", "authorization.k8s.io/v1", "spec.group is spec.groups in v1")
_add("certificates.k8s.io/v1beta1", "CertificateSigningRequest", "1.19", "1.22", "certificates.k8s.io/v1",
     "spec.signerName and spec.usages are required in v1")
_add("coordination.k8s.io/v1beta1", "Lease", "1.19", "1.22", "coordination.k8s.io/v1")
_add("extensions/v1beta1", "Ingress", "1.14", "1.22", "networking.k8s.io/v1",
     "v1 renames spec.backend to spec.defaultBackend and serviceName/servicePort to "
     "service.name/service.port, and requires pathType")
_add("networking.k8s.io/v1beta1", "Ingress", "1.19", "1.22", "networking.k8s.io/v1",
     "v1 renames spec.backend to spec.defaultBackend and serviceName/servicePort to "
     "service.name/service.port, and requires pathType")
_add("networking.k8s.io/v1beta1", "IngressClass", "1.19", "1.22", "networking.k8s.io/v1")
_add("rbac.authorization.k8s.io/v1beta1", "ClusterRole ClusterRoleBinding Role RoleBinding",
     "1.17", "1.22", "rbac.authorization.k8s.io/v1")
_add("scheduling.k8s.io/v1beta1", "PriorityClass", "1.14", "1.22", "scheduling.k8s.io/v1")
_add("storage.k8s.io/v1beta1", "CSIDriver CSINode StorageClass VolumeAttachment", "1.19", "1.22",
     "storage.k8s.io/v1")
# v1.25
_add("batch/v1beta1", "CronJob", "1.21", "1.25", "batch/v1")
_add("discovery.k8s.io/v1beta1", "EndpointSlice", "1.21", "1.25", "discovery.k8s.io/v1",
     "topology is deprecatedTopology in v1: use endpoints[*].nodeName and zone")
_add("events.k8s.io/v1beta1", "Event", "1.22", "1.25", "events.k8s.io/v1")
_add("autoscaling/v2beta1", "HorizontalPodAutoscaler", "1.22", "1.25", "autoscaling/v2",
     "targetAverageUtilization is target.averageUtilization with target.type: Utilization in v2")
_add("policy/v1beta1", "PodDisruptionBudget", "1.21", "1.25", "policy/v1",
     "in policy/v1 an empty spec.selector ({}) selects every pod of the namespace")
_add("policy/v1beta1", "PodSecurityPolicy", "1.21", "1.25", None,
     "PodSecurityPolicy is gone: use Pod Security Admission (pod-security.kubernetes.io labels on "
     "the namespace) or a policy admission webhook")
_add("node.k8s.io/v1beta1", "RuntimeClass", "1.22", "1.25", "node.k8s.io/v1")
# v1.26
_add("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema PriorityLevelConfiguration", "1.23", "1.26",
     "flowcontrol.apiserver.k8s.io/v1")
_add("autoscaling/v2beta2", "HorizontalPodAutoscaler", "1.23", "1.26", "autoscaling/v2")
# v1.27
_add("storage.k8s.io/v1beta1", "CSIStorageCapacity", "1.24", "1.27", "storage.k8s.io/v1")
# v1.29
_add("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema PriorityLevelConfiguration", "1.26", "1.29",
     "flowcontrol.apiserver.k8s.io/v1",
     "spec.limited.assuredConcurrencyShares is spec.limited.nominalConcurrencyShares in v1")
# v1.32
_add("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema PriorityLevelConfiguration", "1.29", "1.32",
     "flowcontrol.apiserver.k8s.io/v1")

# Bumps that change nothing but apiVersion: the replacement has the same fields with the same
# meaning and defaults (Deprecated API Migration Guide: "no notable changes"; checked against the
# types in k8s.io/api). Left out on purpose: every bump with a note above, Event (events.k8s.io/v1
# renames and requires fields), NetworkPolicy/PodSecurityPolicy (left alone with the rest of the
# extensions group), FlowSchema/PriorityLevelConfiguration (assuredConcurrencyShares was renamed;
# in v1 nominalConcurrencyShares 0 stays 0, where v1beta3 made it 30).
_PLAIN_BUMPS = frozenset({
    ("apiregistration.k8s.io/v1beta1", "APIService"),
    ("authentication.k8s.io/v1beta1", "TokenReview"),
    ("coordination.k8s.io/v1beta1", "Lease"),
    ("networking.k8s.io/v1beta1", "IngressClass"),
    ("scheduling.k8s.io/v1beta1", "PriorityClass"),
    ("storage.k8s.io/v1beta1", "CSIDriver"), ("storage.k8s.io/v1beta1", "CSINode"),
    ("storage.k8s.io/v1beta1", "StorageClass"), ("storage.k8s.io/v1beta1", "VolumeAttachment"),
    ("storage.k8s.io/v1beta1", "CSIStorageCapacity"),
    ("batch/v1beta1", "CronJob"),
    ("node.k8s.io/v1beta1", "RuntimeClass"),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler"),
    *(("rbac.authorization.k8s.io/v1beta1", kind) for kind in ("ClusterRole", "ClusterRoleBinding", "Role",
                                                                "RoleBinding")),
})
_PDB = ("policy/v1beta1", "PodDisruptionBudget")


def _bump(obj, replacement: str | None):
    """The apiVersion bump, where nothing else has to change."""
    if replacement is None:
        return None
    key = (obj.api_version, obj.kind)
    if key == _PDB:
        # policy/v1beta1 reads an empty selector ({}) as "no pods", policy/v1 as "every pod of the
        # namespace" (the disruption controller's LabelSelectorAsSelector); a missing selector
        # selects nothing in both. Only a selector with some content keeps its meaning.
        spec = obj.root.get("spec")
        selector = spec.get("selector") if isinstance(spec, dict) else None
        if not (isinstance(selector, dict) and (selector.get("matchLabels") or selector.get("matchExpressions"))):
            return None
    elif key not in _PLAIN_BUMPS:
        return None
    return fixes.fix(f"change apiVersion to {replacement} (the same fields with the same meaning)",
                     fixes.set_value(("apiVersion",), replacement))


@rule(RULE)
def check(obj, ctx):
    entry = _APIS.get((obj.api_version, obj.kind))
    if entry is not None:
        _api_finding(obj, ctx, entry)


def _api_finding(obj, ctx, entry):
    deprecated, removed, replacement, note = entry
    target = ctx.kubernetes_version
    if target < deprecated:
        return None
    what = f"{obj.kind} {obj.api_version}"
    instead = f"use {replacement}" if replacement else "there is no replacement API"
    if replacement:
        hint = f"Change apiVersion to {replacement} and review the differences between the versions."
    else:
        hint = note[:1].upper() + note[1:] + "."
    if target >= removed:
        message = (f"{what} is no longer served since Kubernetes {_text(removed)} (linting for "
                   f"{_text(target)}): kubectl apply fails with 'no matches for kind \"{obj.kind}\" in "
                   f"version \"{obj.api_version}\"'; {instead}")
        severity = "error"
    else:
        message = (f"{what} is deprecated since Kubernetes {_text(deprecated)} and no longer served from "
                   f"{_text(removed)} on (linting for {_text(target)}); {instead}")
        severity = "warning"
    if note and replacement:
        message += f" ({note})"
    ctx.report(obj, ("apiVersion",), message, hint=hint, severity=severity, fix=_bump(obj, replacement))
