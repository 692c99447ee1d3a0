"""Custom resources against the CustomResourceDefinitions among the linted files: unknown fields
(with the field meant), values of the wrong type, values outside an enum and missing required fields,
as the API server validates them with the CRD's structural schema (k8slint.model.apischema.crd_schemas).

Cross-object: a CRD and its custom resources may sit in different files. Custom resources of kinds
no linted CRD defines are left alone (their schema is not known): one note per kind says so (not a
finding: a repository need not carry the CRDs its cluster has installed), but for kinds k8slint
reads itself (Argo Rollouts: checked against their CRD when it is among the linted files, else by
the workload rules alone). Where another rule reports an error at the same field (a Rollout's
strategy), that finding stands alone (``defers``)."""

from __future__ import annotations

from k8slint.model import apischema
from k8slint.model.apischema import EXPECTED, REQUIRED, TYPE, UNKNOWN, closest
from k8slint.model.objects import (
    CustomResource, CustomResourceDefinition, FieldKey, FieldValue, describe_type, dig, format_path,
    read_natively,
)
from k8slint.rules import LIGHT, SET, rule

RULE = "custom-resource-invalid"
_REJECTS = "the API server rejects the object"


@rule(RULE, scope=SET, cost=LIGHT, defers=True)
def check(inventory, ctx) -> None:
    schemas: dict = {}
    crds: dict = {}  # (group, kind) -> the first CRD of that kind: says why a version has no schema
    for crd in inventory.of(CustomResourceDefinition):
        with ctx.guard(crd):
            group, kind = dig(crd.root, ("spec", "group")), dig(crd.root, ("spec", "names", "kind"))
            if isinstance(group, str) and isinstance(kind, str):
                crds.setdefault((group, kind), crd)
            for api_version, kind, node in apischema.crd_schemas(crd.root, ctx.kubernetes_version):
                schemas.setdefault((api_version, kind), (node, crd))
    for obj in inventory.of(CustomResource):
        entry = schemas.get((obj.api_version, obj.kind))
        if entry is None:
            if not read_natively(obj.api_version, obj.kind):  # (a Rollout is checked as a workload)
                _not_checked(obj, ctx, crds.get((obj.api_version.rpartition("/")[0], obj.kind)))
            continue
        node, crd = entry
        with ctx.guard(obj):
            for problem in apischema.check(obj.root, node):
                if not (problem.what == TYPE and problem.path[:1] == ("metadata",)):
                    _report(obj, ctx, problem, crd)


def _not_checked(obj, ctx, crd) -> None:
    """A note (one per apiVersion and kind for the run, counted): the resource was not checked."""
    if crd is None:
        why = f"no CustomResourceDefinition for {obj.kind} among the linted files"
    else:
        why = (f"the CustomResourceDefinition {crd.name} ({crd.file}) has no openAPIV3Schema for version "
               f"{obj.api_version.rpartition('/')[2]}")
    ctx.note(f"{obj.api_version} {obj.kind}",
             f"custom resources of kind {obj.kind} ({obj.api_version}) were not schema-checked: {why}", obj)


def _report(obj, ctx, problem, crd) -> None:
    path = problem.path
    # A CRD of another file may be another release of the operator than the one the resource was
    # written for: the finding is then a warning that names the file.
    if crd.file == obj.file:
        source, severity = f"the CustomResourceDefinition {crd.name}", None
    else:
        source, severity = f"the CustomResourceDefinition {crd.name} in {crd.file}", "warning"
    if problem.what == UNKNOWN:
        key, parent = problem.field, path[:-1]
        meant = closest(key, list(problem.node.fields)) if isinstance(key, str) else None
        guess = f': did you mean "{meant}"?' if meant else ""
        ctx.report(obj, parent + (FieldKey(key),),
                   f'{format_path(parent) or obj.kind} has no field "{key}" in the schema of {source}{guess}; '
                   f"kubectl apply fails (strict field validation) and with validation off the API server drops it",
                   hint=f'Rename "{key}" to "{meant}".' if meant else f'Remove "{key}" or correct its name.',
                   severity=severity)
    elif problem.what == REQUIRED:
        field = problem.field
        ctx.report(obj, path + (field,), f"{format_path(path + (field,))} is missing; {source} requires it: {_REJECTS}",
                   hint=f"Add {field}.", severity=severity)
    elif problem.what == TYPE:
        if path and isinstance(path[-1], str):
            path = path[:-1] + (FieldValue(path[-1]),)
        ctx.report(obj, path, f"{format_path(path)} must be {EXPECTED[problem.node.kind]}, not "
                              f"{_a(describe_type(problem.value))} ({_short(problem.value)}) ({source}); {_REJECTS}",
                   severity=severity)
    elif problem.node.enum is not None:
        supported = ", ".join(f'"{v}"' for v in problem.node.enum)
        meant = closest(problem.value, problem.node.enum) if isinstance(problem.value, str) else None
        guess = f' (did you mean "{meant}"?)' if meant else ""
        ctx.report(obj, path, f'{format_path(path)}: unsupported value "{problem.value}"{guess}; supported values: '
                              f"{supported} ({source}); {_REJECTS}", severity=severity)
    else:
        ctx.report(obj, path, f"{format_path(path)}: {problem.value} does not fit the field's integer format "
                              f"({source}); {_REJECTS}", severity=severity)


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
