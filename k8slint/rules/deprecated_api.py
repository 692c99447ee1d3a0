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

from k8slint.model import apischema, fixes
from k8slint.model.deprecated_apis import DEPRECATED_APIS
from k8slint.model.versions import text_of as _text
from k8slint.rules import rule

RULE = "deprecated-api"

# (apiVersion, kind) -> (deprecated in, removed in, replacement apiVersion or None, note): the
# table lives in the model, where the API-schema rule reads it too (an API this rule reports is not
# also an unknown kind).
_APIS = DEPRECATED_APIS

# Bumps that change nothing but apiVersion: the replacement has the same fields with the same
# meaning and defaults (Deprecated API Migration Guide: "no notable changes"; checked against the
# types in k8s.io/api). Left out on purpose: every bump with a note in the table, Event (events.k8s.io/v1
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


def _bump(obj, replacement: str | None, ctx):
    """The apiVersion bump, where nothing else has to change."""
    if replacement is None:
        return None
    key = (obj.api_version, obj.kind)
    if key == _PDB:
        # policy/v1beta1 reads an empty selector ({}) as "no pods", policy/v1 as "every pod of the
        # namespace" (the disruption controller's LabelSelectorAsSelector); a missing selector
        # selects nothing in both. Only a selector with some content keeps its meaning. And
        # policy/v1beta1 defaults minAvailable to 1 when neither minAvailable nor maxUnavailable is
        # set (SetDefaults_PodDisruptionBudgetSpec, pkg/apis/policy/v1beta1/defaults.go), which
        # policy/v1 does not: such a PDB would stop protecting its pods.
        spec = obj.root.get("spec")
        spec = spec if isinstance(spec, dict) else {}
        selector = spec.get("selector")
        if not (isinstance(selector, dict) and (selector.get("matchLabels") or selector.get("matchExpressions"))):
            return None
        if spec.get("minAvailable") is None and spec.get("maxUnavailable") is None:
            return None
    elif key not in _PLAIN_BUMPS:
        return None
    # The replacement must take the object as it is: schema problems the old version hid (no
    # schema is checked for an API the target release no longer serves) would surface as new ones.
    schema = apischema.api_schema(ctx.kubernetes_version)
    node = schema.node_for(replacement, obj.kind) if schema is not None else None
    if node is not None and any(p.path[:1] != ("apiVersion",) for p in apischema.check(obj.root, node)):
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
    ctx.report(obj, ("apiVersion",), message, hint=hint, severity=severity, fix=_bump(obj, replacement, ctx))
