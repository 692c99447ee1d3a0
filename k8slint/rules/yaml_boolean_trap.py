"""YAML 1.1 scalars that are not strings where Kubernetes wants a string: ``version: 1.10``,
``enabled: yes``, ``mode: 0777`` as a label, annotation, env value, argument or ConfigMap entry.

Kubernetes reads YAML the go-yaml v2 way (see k8slint.yaml_values): ``yes``/``on``/``y`` are booleans,
``0777`` is the octal number 511, ``1.10`` is the number 1.1. The fields below are Go strings
(``map[string]string`` or ``[]string``); decoding a boolean or a number into them fails, so
``kubectl apply`` and the API server refuse the whole object ("json: cannot unmarshal bool into Go
struct field ObjectMeta.metadata.labels of type string"). Mapping *keys* are converted instead of
refused: ``on:`` silently becomes the key "true", ``0777:`` the key "511".

Only fields the API declares as strings are checked, and only scalars (a mapping or list in their
place is no YAML trap). ``invalid-field-type`` deliberately leaves these fields alone; selectors of
controllers, tolerations and affinity terms are validated by selector-mismatch and the scheduling
model, so they are not repeated here. Custom resources are not checked beyond their metadata: their
maps may hold any type.
"""

from __future__ import annotations

import json
import math

from k8slint.model import fixes
from k8slint.model.objects import PodDisruptionBudget, Workload, dig, format_path, walk
from k8slint.model.written import key_source, resolve_plain, scalar_source
from k8slint.rules import rule

RULE = "yaml-boolean-trap"

MAP, LIST, VALUE, SELECTOR = "map", "list", "value", "selector"

# (pattern, shape, what the value is called, why it must be a string). "*" is every list item.
_CONTAINER_FIELDS = (
    (("command",), LIST, "command", "command items are strings"),
    (("args",), LIST, "args", "args items are strings"),
    (("env", "*", "name"), VALUE, "env name", "env names are strings"),
    (("env", "*", "value"), VALUE, "env value", "env values are strings"),
)
_POD_SPEC_FIELDS = (
    (("nodeSelector",), MAP, "nodeSelector", "nodeSelector values are strings"),
)
_NETWORK_POLICY_FIELDS = (
    (("spec", "podSelector"), SELECTOR, "", ""),
    (("spec", "ingress", "*", "from", "*", "podSelector"), SELECTOR, "", ""),
    (("spec", "ingress", "*", "from", "*", "namespaceSelector"), SELECTOR, "", ""),
    (("spec", "egress", "*", "to", "*", "podSelector"), SELECTOR, "", ""),
    (("spec", "egress", "*", "to", "*", "namespaceSelector"), SELECTOR, "", ""),
)
# Core (v1) kinds whose string maps are data.
_CORE_FIELDS = {
    "ConfigMap": ((("data",), MAP, "ConfigMap data", "ConfigMap data values are strings"),),
    "Secret": ((("stringData",), MAP, "Secret stringData", "stringData values are strings"),
               (("data",), MAP, "Secret data", "data values are base64 strings")),
    "Service": ((("spec", "selector"), MAP, "selector", "selector values are strings"),),
}


# The only keys that resolving a plain scalar changes (see loader.key_string): booleans, null,
# and numbers (str() of an int or float starts with a digit, "-", or is nan/inf).
_QUIRKY_KEYS = frozenset(("true", "false", "null", "nan", "inf"))
_NUMBER_START = frozenset("0123456789+-.")
_UNKNOWN = object()  # _check's base value when the caller does not have it at hand


@rule(RULE)
def check(obj, ctx):
    # This rule visits every label, annotation and env value of every object, most of which are fine:
    # each place is reached from a mapping already at hand rather than dug out of the root again.
    root = obj.root
    _metadata(obj, ctx, ("metadata",), root.get("metadata"))
    if obj.api_version == "v1" and obj.kind in _CORE_FIELDS:
        _check(obj, ctx, root, (), _CORE_FIELDS[obj.kind], root)
    if isinstance(obj, PodDisruptionBudget):
        _check(obj, ctx, root, (), ((("spec", "selector"), SELECTOR, "", ""),), root)
    if obj.kind == "NetworkPolicy" and obj.group == "networking.k8s.io":
        _check(obj, ctx, root, (), _NETWORK_POLICY_FIELDS, root)
    if not isinstance(obj, Workload):
        return
    if obj.kind == "CronJob":
        _metadata(obj, ctx, ("spec", "jobTemplate", "metadata"), dig(root, ("spec", "jobTemplate", "metadata")))
    template = obj.pod_template
    if template.path:  # a bare Pod's metadata was checked above
        _metadata(obj, ctx, template.path + ("metadata",), template.data.get("metadata"))
    if "nodeSelector" in template.spec:
        _check(obj, ctx, root, template.spec_path, _POD_SPEC_FIELDS, template.spec)
    for container in template.containers():
        data = container.data
        if "env" in data or "command" in data or "args" in data:  # _CONTAINER_FIELDS' first keys
            _check(obj, ctx, root, container.path, _CONTAINER_FIELDS, data)


def _metadata(obj, ctx, base: tuple, metadata) -> None:
    """Labels and annotations (metadata of every object and pod template: a direct walk)."""
    if not isinstance(metadata, dict):
        return
    labels = metadata.get("labels")
    if isinstance(labels, dict):
        _map(obj, ctx, labels, base + ("labels",), "label", "label values are strings")
    annotations = metadata.get("annotations")
    if isinstance(annotations, dict):
        _map(obj, ctx, annotations, base + ("annotations",), "annotation", "annotation values are strings")


def _map(obj, ctx, value: dict, path: tuple, what: str, why: str) -> None:
    """A mapping of strings (labels, a ConfigMap's data...): its values and its keys."""
    for key, item in value.items():
        if item is not None and not isinstance(item, str):  # strings are the norm: no call
            _value_finding(obj, ctx, value, path + (key,), f'{what} "{key}"', why)
        if type(key) is not str or key in _QUIRKY_KEYS or key[:1] in _NUMBER_START:
            _key_finding(obj, ctx, value, key, path, what)


def _check(obj, ctx, root, base: tuple, fields, base_value=_UNKNOWN) -> None:
    if base_value is _UNKNOWN:
        base_value = dig(root, base)
    if base_value is None:
        return
    keys = base_value if isinstance(base_value, dict) else ()
    for pattern, shape, what, why in fields:
        if pattern[0] not in keys and pattern[0] != "*":  # most fields are absent: skip the walk
            continue
        if shape == SELECTOR:
            for path, value in walk(base_value, pattern, base):
                if isinstance(value, dict):
                    _check(obj, ctx, root, path, (
                        (("matchLabels",), MAP, "matchLabels", "matchLabels values are strings"),
                        (("matchExpressions", "*", "values"), LIST, "matchExpressions values",
                         "selector values are strings")), value)
            continue
        places = ((base + pattern, keys[pattern[0]]),) if len(pattern) == 1 and pattern[0] != "*" \
            else walk(base_value, pattern, base)
        for path, value in places:
            if shape == VALUE:
                if value is not None and not isinstance(value, (str, dict, list)):  # strings are the norm
                    _value_finding(obj, ctx, dig(root, path[:-1]), path, what, why)
            elif shape == MAP and isinstance(value, dict):
                _map(obj, ctx, value, path, what, why)
            elif shape == LIST and isinstance(value, list):
                for index, item in enumerate(value):
                    if item is not None and not isinstance(item, str):
                        _value_finding(obj, ctx, value, path + (index,), f"{what}[{index}]", why)


def _value_finding(obj, ctx, container, path: tuple, what: str, why: str):
    key = path[-1]
    value = container[key] if container is not None else None
    if value is None or isinstance(value, (str, dict, list)):
        return None
    source = scalar_source(container, key)
    text = source[0] if source else _go_text(value)
    seen = _seen(value)
    quoted = json.dumps(text, ensure_ascii=False)
    if isinstance(key, int):
        fix = f"- {quoted}"
    else:
        fix = f"{json.dumps(key, ensure_ascii=False) if _needs_quotes(key) else key}: {quoted}"
    # Quoting keeps the text the author wrote and makes it the string the field needs: the object
    # is refused as it is, so nothing that works today changes (safe).
    offer = fixes.fix(f"quote {text}: {quoted}", fixes.set_value(path, text)) if source else None
    ctx.report(
        obj, path,
        f"{what}: {text} is read as {seen}{_why_not_string(text, value)}, not as the string {quoted}; "
        f"the API server rejects the object ({why}: \"cannot unmarshal {_go_kind(value)} into Go "
        f"struct field ... of type string\")",
        hint=f"Quote it: {fix}", fix=offer)


def _key_finding(obj, ctx, mapping, key, path: tuple, what: str):
    text = key_source(mapping, key)
    if text is None or text == key:
        return None
    # Quoting the key changes which key Kubernetes stores (selectors or tools may rely on the
    # converted one): a reviewer confirms it (unsafe).
    offer = fixes.fix(f"quote the key {text}: {json.dumps(text)}", fixes.rename_key(path + (key,), text),
                      safe=False)
    ctx.report(
        obj, path + (key,),
        f"{what} key {text} is read as {_seen_key(text)} and becomes the key \"{key}\"; "
        f"Kubernetes stores {format_path(path + (key,))}, not {json.dumps(text)}",
        hint=f"Quote the key: {json.dumps(text)}: ...", severity="warning", fix=offer)


def _seen(value) -> str:
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    return f"the number {_go_text(value)}"


def _seen_key(text: str) -> str:
    value = resolve_plain(text)
    return "null" if value is None else _seen(value)


def _go_text(value) -> str:
    """How the value reads once converted to JSON (Go's shortest float formatting)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    return str(value)


def _go_kind(value) -> str:
    return "bool" if isinstance(value, bool) else "number"


def _why_not_string(text: str, value) -> str:
    """Why YAML resolved ``text`` to ``value``, when it is not obvious."""
    if isinstance(value, bool):
        return "" if text.lower() in ("true", "false") else " (YAML 1.1 reads yes/no/on/off/y/n as booleans)"
    plain = text.lstrip("+-").replace("_", "")
    if isinstance(value, int) and len(plain) > 1 and plain[0] == "0" and plain[1:].isdigit():
        return " (a leading 0 makes it octal)"
    return ""


def _needs_quotes(key: str) -> bool:
    return not key or resolve_plain(key) != key or any(c in key for c in ":#{}[],&*!|>'\"%@`")
