"""API versions that Kubernetes no longer serves, or will not serve: the data of the
deprecated-api rule, shared with the API-schema rule (an apiVersion/kind this table lists is
deprecated-api's to report, never an unknown kind as well).

The table follows the Kubernetes "Deprecated API Migration Guide"
(kubernetes.io/docs/reference/using-api/deprecation-guide/, "Removed APIs by release"): for each
apiVersion and kind, the release that stopped serving it and its replacement. The release that
deprecated it comes from the release notes (the guide lists removals only).
"""

from __future__ import annotations

# (apiVersion, kind) -> (deprecated in, removed in, replacement apiVersion or None, note)
DEPRECATED_APIS: dict[tuple[str, str], tuple[tuple[int, int], tuple[int, int], str | None, str]] = {}


def _add(api_version: str, kinds: str, deprecated: str, removed: str, replacement: str | None,
         note: str = "") -> None:
    for kind in kinds.split():
        DEPRECATED_APIS[(api_version, kind)] = (_minor(deprecated), _minor(removed), replacement, note)


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
