"""Every object against the Kubernetes API schema of the target release: unknown fields (with the
field most likely meant), values of the wrong type, values the API server does not accept
(enumerations, quantities, formats) and missing required fields.

The schema, how it is compiled and why the API server rejects each of these: k8slint.model.apischema.
Custom resources are checked where k8slint knows their schema: an Argo Rollout's pod template is
a Kubernetes PodTemplateSpec (``Template corev1.PodTemplateSpec`` in argo-rollouts'
pkg/apis/rollouts/v1alpha1/types.go). Other custom resources are left alone.
"""

from __future__ import annotations

from k8slint.model import apischema, fixes
from k8slint.model.apischema import EXPECTED, REQUIRED, TYPE, UNKNOWN, VALUE, closest
from k8slint.model.deprecated_apis import DEPRECATED_APIS
from k8slint.model.objects import FieldKey, FieldValue, K8sObject, Workload, as_int, describe_type, format_path
from k8slint.model.versions import text_of
from k8slint.rules import rule

UNKNOWN_FIELD = "unknown-field"
INVALID_TYPE = "invalid-field-type"  # the id of the hand-written type checks this rule replaced
INVALID_VALUE = "invalid-field-value"
MISSING_REQUIRED = "missing-required-field"
UNKNOWN_KIND = "unknown-kind"

_WHAT = {UNKNOWN: UNKNOWN_FIELD, TYPE: INVALID_TYPE, VALUE: INVALID_VALUE, REQUIRED: MISSING_REQUIRED}

# Custom resources whose pod template k8slint checks: (apiVersion group, kind) -> template path.
_TEMPLATES = {("argoproj.io", "Rollout"): ("spec", "template")}
_POD_TEMPLATE = "io.k8s.api.core.v1.PodTemplateSpec"


# defers: a field another rule reports an error about (toleration-invalid, rolling-update-invalid,
# readiness-probe-invalid, yaml-boolean-trap...) keeps that rule's finding alone.
@rule(UNKNOWN_FIELD, also_reports=[INVALID_TYPE, INVALID_VALUE, MISSING_REQUIRED, UNKNOWN_KIND], defers=True)
def check(obj: K8sObject, ctx) -> None:
    _negative_replicas(obj, ctx)
    schema = apischema.api_schema(ctx.kubernetes_version)  # the run's --kubernetes-version
    if schema is None:  # kubernetes-validate is not installed
        return
    node = schema.node_for(obj.api_version, obj.kind)
    if node is not None:
        problems = apischema.check(obj.root, node)
        if problems:
            fragment = _fragment(obj)
            for problem in problems:
                if not (fragment and problem.what == REQUIRED):
                    _report(obj, ctx, problem, custom=False)
        return
    group = obj.group
    if group in schema.groups() or "." not in group:
        # A Kubernetes group (or a name no CustomResourceDefinition can have: their groups need a
        # dot, apiextensions validation "should be a domain with at least one dot").
        if (obj.api_version, obj.kind) not in DEPRECATED_APIS and ctx.enabled(UNKNOWN_KIND):
            _unknown_kind(obj, ctx, schema)
        return
    template_path = _TEMPLATES.get((group, obj.kind))
    if template_path is not None and isinstance(obj, Workload):
        template = obj.get(*template_path)
        if isinstance(template, dict):
            for problem in apischema.check(template, schema.definition(_POD_TEMPLATE), template_path):
                _report(obj, ctx, problem, custom=True)


def _negative_replicas(obj: K8sObject, ctx) -> None:
    """What the schemas cannot say: spec.replicas below 0. ValidateNonnegativeField in
    ValidateDeploymentSpec, ValidateStatefulSetSpec, ValidateReplicaSetSpec (pkg/apis/apps/validation)
    and ValidateReplicationControllerSpec (pkg/apis/core/validation); the rules that count replicas
    treat such a value as unknown (model.objects.as_count)."""
    if not isinstance(obj, Workload) or obj.DEFAULT_REPLICAS is None:
        return
    number = as_int(obj.spec.get("replicas"))
    if number is not None and number < 0:
        ctx.report(obj, ("spec", "replicas"), f"spec.replicas is {number}; the API server requires 0 or more "
                                              f"and rejects the {obj.kind}", rule=INVALID_VALUE,
                   hint="Set spec.replicas to the number of pods to run (0 or more).")


def _unknown_kind(obj: K8sObject, ctx, schema) -> None:
    """apiVersion/kind that the target release does not serve: kubectl apply fails with 'no matches
    for kind "X" in version "Y"' (the RESTMapper finds no resource for it)."""
    version = text_of(schema.version)
    what = f'kind "{obj.kind}" in {obj.api_version}'
    fails = f'kubectl apply fails with \'no matches for kind "{obj.kind}" in version "{obj.api_version}"\''
    served = apischema.served_in(obj.api_version, obj.kind)
    elsewhere = schema.api_versions_of(obj.kind)
    instead = f" (Kubernetes {version} serves {obj.kind} as {', '.join(elsewhere)})" if elsewhere else ""
    if served:
        first, last = served[0], served[-1]
        if first > schema.version:
            message = f"Kubernetes {version} does not serve {what} yet (served from {text_of(first)}){instead}; {fails}"
        else:
            message = (f"Kubernetes {version} no longer serves {what} (served up to {text_of(last)})"
                       f"{instead}; {fails}")
        hint = f"Change apiVersion to {elsewhere[-1]}." if elsewhere else "Lint for the release the cluster runs (--kubernetes-version)."
        ctx.report(obj, ("apiVersion",), message, hint=hint, rule=UNKNOWN_KIND)
        return
    kinds = schema.kinds_in(obj.api_version)
    meant = closest(obj.kind, kinds) if kinds else None
    if meant:
        ctx.report(obj, ("kind",), f'{obj.api_version} has no kind "{obj.kind}" in Kubernetes {version}: did you mean '
                                   f'"{meant}"?; {fails}', hint=f"Write kind: {meant}.", rule=UNKNOWN_KIND)
    elif elsewhere:
        ctx.report(obj, ("apiVersion",), f"Kubernetes {version} does not serve {what}: it serves {obj.kind} as "
                                         f"{', '.join(elsewhere)}; {fails}",
                   hint=f"Change apiVersion to {elsewhere[-1]}.", rule=UNKNOWN_KIND)
    elif obj.group and obj.group in schema.groups() and not apischema.served_in(obj.api_version, obj.kind):
        # A kind nothing close to in a Kubernetes group other than the core one. Unknown kinds of the
        # core group ("v1") or of dotless groups Kubernetes never had are tools' own files
        # (kubeconfig Config, scheduler Policy, skaffold, descheduler...), not judged.
        ctx.report(obj, ("kind",), f"Kubernetes {version} serves no {what}: {obj.api_version} has no such kind; {fails}",
                   hint="Check apiVersion and kind against `kubectl api-resources`.", rule=UNKNOWN_KIND)


def _fragment(obj: K8sObject) -> bool:
    """A workload that is a fragment rather than a whole object, such as a kustomize patch that no
    kustomization.yaml beside it lists (``spec: {replicas: 3}``, or containers with a name and args
    but no image, under a template without labels): its missing fields are the base's to supply, so
    they are not reported (unknown fields and wrong types still are: a patch applies them)."""
    if not isinstance(obj, Workload):
        return False
    template = obj.pod_template
    containers = template.containers("containers")
    return (not containers or any(c.data.get("image") is None for c in containers)) and not template.labels \
        and obj.kind != "Pod"


def _report(obj: K8sObject, ctx, problem, custom: bool) -> None:
    rule_id = _WHAT[problem.what]
    if not ctx.enabled(rule_id):
        return
    path = problem.path
    if problem.what == UNKNOWN:
        _unknown(obj, ctx, problem, custom)
    elif problem.what == REQUIRED:
        field = problem.field
        state = "null" if problem.value is None else "missing"
        expected = EXPECTED.get(problem.node.fields[field].kind, "a value")
        consequence = ("the Rollout controller cannot make pods from the template" if custom
                       else 'the API server rejects the object ("Required value")')
        ctx.report(obj, path + (field,), f"{format_path(path + (field,))} is {state}; {_of(problem.node)} requires "
                               f"{expected}: {consequence}", rule=rule_id,
                    hint=f"Add {field}: it is required here.")
    elif problem.what == TYPE:
        value = problem.value
        if path and isinstance(path[-1], str):
            path = path[:-1] + (FieldValue(path[-1]),)
        ctx.report(obj, path, f"{format_path(path)} must be {EXPECTED[problem.node.kind]}, not "
                               f"{_a(describe_type(value))} ({_short(value)}); {_rejects(custom)}", rule=rule_id)
    else:
        _invalid_value(obj, ctx, problem, custom)


def _unknown(obj, ctx, problem, custom: bool) -> None:
    key = problem.field
    parent = problem.path[:-1]
    where = format_path(parent) or obj.kind
    meant = closest(key, [f for f in problem.node.fields if f not in _present(obj, parent)]) \
        if isinstance(key, str) else None
    guess = f': did you mean "{meant}"?' if meant else ""
    if custom:
        consequence = (f"a pod template has no such field: the Rollout controller drops it")
    else:
        consequence = ("kubectl apply fails (strict field validation, the default since Kubernetes 1.27) "
                       "and with validation off the API server drops the field")
    message = f'{where} ({_name(problem.node)}) has no field "{key}"{guess}; {consequence}'
    if meant:
        hint = f'Rename "{key}" to "{meant}".'
    else:
        explain = ".".join([obj.kind.lower()] + [step for step in parent if isinstance(step, str)])
        hint = f'Remove "{key}" or correct its name: `kubectl explain {explain}` lists the fields.'
    # One close match (closest() returns None on a tie) among the fields not written yet: renaming
    # the key is what the author meant, and the value stays as written (safe).
    # Only where the value is valid for the field meant: the rename must not bring up a new problem.
    offer = None
    if meant and not apischema.check(_present(obj, parent).get(key), problem.node.fields[meant], parent + (meant,)):
        offer = fixes.fix(f'rename "{key}" to "{meant}"', fixes.rename_key(parent + (key,), meant))
    ctx.report(obj, parent + (FieldKey(key),), message, hint=hint, rule=UNKNOWN_FIELD, fix=offer)


def _present(obj, path: tuple) -> dict:
    value = obj.get(*path) if path else obj.root
    return value if isinstance(value, dict) else {}


def _invalid_value(obj, ctx, problem, custom: bool) -> None:
    node, value, path = problem.node, problem.value, problem.path
    shown = format_path(path)
    if node.enum is not None:
        meant = closest(value, node.enum) if isinstance(value, str) else None
        supported = ", ".join(f'"{v}"' for v in node.enum)
        guess = f' (did you mean "{meant}"?)' if meant else ""
        ctx.report(obj, path, f'{shown}: unsupported value "{value}"{guess}; supported values: {supported}; '
                               f'{_rejects(custom)}', rule=INVALID_VALUE,
                    hint=f'Write "{meant}" (values are case-sensitive).' if meant else f"Use one of {supported}.")
    elif node.kind == apischema.QUANTITY:
        ctx.report(obj, path, f'{shown}: "{value}" is not a quantity (a number with an optional suffix: '
                               f'500m, 0.5, 2Gi, 1e3); {_rejects(custom)}', rule=INVALID_VALUE,
                    hint="Write a number with at most one decimal point and a suffix such as m, Mi or Gi.")
    elif node.kind in (apischema.INTEGER, apischema.INT_OR_STRING):
        bits = "64" if node.fmt == "int64" else "32"
        ctx.report(obj, path, f"{shown}: {value} does not fit in a {bits}-bit integer; {_rejects(custom)}",
                    rule=INVALID_VALUE, hint="Use a smaller number.")
    elif node.fmt == "byte":
        ctx.report(obj, path, f"{shown} is not base64 (the field holds bytes); {_rejects(custom)}",
                    rule=INVALID_VALUE, hint="Write the base64 encoding of the bytes (base64 -w0 FILE).")
    else:
        ctx.report(obj, path, f'{shown}: "{value}" is not an RFC 3339 time such as 2024-01-31T12:00:00Z; '
                               f"{_rejects(custom)}", rule=INVALID_VALUE,
                    hint="Write the time as 2024-01-31T12:00:00Z.")


def _rejects(custom: bool) -> str:
    return "the Rollout controller cannot read the template" if custom else "the API server rejects the object"


def _name(node) -> str:
    return node.name or "this mapping"


def _of(node) -> str:
    return f"{node.name}" if node.name else "this mapping"


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
