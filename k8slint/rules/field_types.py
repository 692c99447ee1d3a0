"""Values of the wrong type in the fields k8slint (and the API server) read: ``replicas: "3"``,
``containers: null``, ``strategy: []``, ``tolerations: {}``. The API server rejects them when it
decodes the object; k8slint's other rules treat them as absent, so this rule says so once."""

from __future__ import annotations

from k8slint.model.objects import ABSENT, K8sObject, Workload, describe_type, format_path, walk
from k8slint.rules import rule

RULE = "invalid-field-type"

MAPPING, LIST, STRING, INTEGER, BOOLEAN = "mapping", "list", "string", "integer", "boolean"
_PYTHON = {MAPPING: dict, LIST: list, STRING: str, BOOLEAN: bool}
_EXACT = {**_PYTHON, INTEGER: int}  # the usual exact types: accepted without a call

# (path, expected type, required). "*" stands for every item of a list.
_OBJECT_FIELDS = (
    (("metadata",), MAPPING, False),
    (("metadata", "name"), STRING, False),
    (("metadata", "namespace"), STRING, False),
    (("metadata", "labels"), MAPPING, False),
    (("metadata", "annotations"), MAPPING, False),
)
_CONTAINER_FIELDS = (
    ((), MAPPING, False),
    (("name",), STRING, True),
    (("image",), STRING, False),
    (("ports",), LIST, False),
    (("ports", "*"), MAPPING, False),
    (("ports", "*", "containerPort"), INTEGER, False),
    (("readinessProbe",), MAPPING, False),
    (("livenessProbe",), MAPPING, False),
    (("startupProbe",), MAPPING, False),
    (("resources",), MAPPING, False),
    (("env",), LIST, False),
)
_POD_SPEC_FIELDS = (
    (("containers",), LIST, True),
    (("initContainers",), LIST, False),
    (("tolerations",), LIST, False),
    (("tolerations", "*"), MAPPING, False),
    (("tolerations", "*", "tolerationSeconds"), INTEGER, False),
    (("affinity",), MAPPING, False),
    (("nodeSelector",), MAPPING, False),
    (("hostNetwork",), BOOLEAN, False),
    (("terminationGracePeriodSeconds",), INTEGER, False),
)
_WORKLOAD_SPEC_FIELDS = {
    "Deployment": ((("spec", "replicas"), INTEGER, False), (("spec", "strategy"), MAPPING, False),
                   (("spec", "strategy", "rollingUpdate"), MAPPING, False),
                   (("spec", "minReadySeconds"), INTEGER, False),
                   (("spec", "progressDeadlineSeconds"), INTEGER, False),
                   (("spec", "selector"), MAPPING, False)),
    "StatefulSet": ((("spec", "replicas"), INTEGER, False), (("spec", "updateStrategy"), MAPPING, False),
                    (("spec", "updateStrategy", "rollingUpdate"), MAPPING, False),
                    (("spec", "serviceName"), STRING, False), (("spec", "selector"), MAPPING, False)),
    "DaemonSet": ((("spec", "updateStrategy"), MAPPING, False),
                  (("spec", "updateStrategy", "rollingUpdate"), MAPPING, False),
                  (("spec", "selector"), MAPPING, False)),
    "ReplicaSet": ((("spec", "replicas"), INTEGER, False), (("spec", "selector"), MAPPING, False)),
    "ReplicationController": ((("spec", "replicas"), INTEGER, False), (("spec", "selector"), MAPPING, False)),
    "Rollout": ((("spec", "replicas"), INTEGER, False), (("spec", "strategy"), MAPPING, False)),
    "Job": ((("spec", "parallelism"), INTEGER, False), (("spec", "completions"), INTEGER, False),
            (("spec", "backoffLimit"), INTEGER, False)),
}


def _matches(value, expected: str) -> bool:
    if expected == INTEGER:
        return (type(value) is int) or (type(value) is float and value.is_integer())
    return isinstance(value, _PYTHON[expected])


def _check_fields(obj, ctx, base_value, base_path: tuple, fields):
    keys = base_value if isinstance(base_value, dict) else None
    for pattern, expected, required in fields:
        if keys is not None and pattern and "*" not in pattern:
            # The usual case: a plain path, followed without walk() and without a call when fine.
            # Like walk(report_absent=True): nothing when a step before the last is not a mapping.
            parent = keys
            for step in pattern[:-1]:
                parent = parent.get(step)
                if not isinstance(parent, dict):
                    break
            else:
                value = parent.get(pattern[-1], ABSENT)
                if value is ABSENT or value is None:
                    if not required:
                        continue
                elif type(value) is _EXACT.get(expected) or _matches(value, expected):
                    continue
                _check_value(obj, ctx, base_path + pattern, value, expected, required)
            continue
        if len(pattern) > 1 and pattern[0] != "*" and (keys is None or pattern[0] not in keys):
            continue  # absent from the first step: walk() would find nothing (and report no absence)
        for path, value in walk(base_value, pattern, base_path, report_absent=True):
            _check_value(obj, ctx, path, value, expected, required and path != base_path)


def _check_value(obj, ctx, path: tuple, value, expected: str, required: bool):
    """The finding for ``value`` (ABSENT when missing) at ``path``, or None."""
    if value is ABSENT or value is None:
        if required:
            state = "missing" if value is ABSENT else "null"
            ctx.report(obj, path, f"{_dotted(path)} is {state}; the API server requires {_a(expected)}")
        return None
    if not _matches(value, expected):
        ctx.report(obj, path, f"{_dotted(path)} must be {_a(expected)}, not {_a(describe_type(value))} "
                              f"({_short(value)}); the API server rejects the object")
    return None


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def _dotted(path: tuple) -> str:
    return format_path(path)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@rule(RULE)
def check(obj: K8sObject, ctx):
    _check_fields(obj, ctx, obj.root, (), _OBJECT_FIELDS)
    if not isinstance(obj, Workload):
        return
    _check_fields(obj, ctx, obj.root, (), _WORKLOAD_SPEC_FIELDS.get(type(obj).__name__, ()))
    template_path = obj.TEMPLATE_PATH
    # an Argo Rollout may take its template from a Deployment (workloadRef) instead
    template_required = obj.kind != "Rollout"
    for depth in range(1, len(template_path) + 1):
        prefix = template_path[:depth]
        value = obj.get(*prefix)
        _check_fields(obj, ctx, obj.root, (), ((prefix, MAPPING, template_required),))
        if not isinstance(value, dict):
            return
    spec_path = template_path + ("spec",)
    spec = obj.get(*spec_path)
    _check_fields(obj, ctx, obj.root, (), ((spec_path, MAPPING, True),))
    if not isinstance(spec, dict):
        return
    _check_fields(obj, ctx, spec, spec_path, _POD_SPEC_FIELDS)
    for section in ("containers", "initContainers"):
        items = spec.get(section)
        if isinstance(items, list):
            for index, item in enumerate(items):
                _check_fields(obj, ctx, item, spec_path + (section, index), _CONTAINER_FIELDS)
