"""Mapping keys written twice in one object's YAML.

What each tool does with them (checked upstream): ``kubectl apply`` converts YAML with
sigs.k8s.io/yaml's non-strict ``YAMLToJSON`` (go-yaml v2 rejects duplicates only in strict mode),
so it keeps the last value and sends JSON without the duplicate, even with ``--validate=strict``
(kubernetes/kubernetes#125885); the API server's strict field validation rejects duplicate fields
only in a YAML request body; kustomize (kyaml, go-yaml v3), Helm post-renderers and Flux reject the
document ("mapping key ... already defined"). The loader keeps the last value, so every other rule
sees the object as the API server does; this rule says that the first value is ignored.
"""

from __future__ import annotations

from k8slint.model import fixes
from k8slint.model.objects import K8sObject, format_path
from k8slint.rules import rule

RULE = "duplicate-key"


@rule(RULE)
def check(obj: K8sObject, ctx):
    for path, record in obj.duplicate_keys:
        ctx.report(
            obj, path,
            f"{format_path(path)} is written twice in its mapping, first at line "
            f"{record.first_line}: kubectl keeps only this last value, so the API server never sees the "
            f"first one, and kustomize and other strict YAML parsers reject the document",
            fix=_drop_first(path, record))


# A second apiVersion, kind or metadata at the top of an object is almost always a missing "---"
# between two objects: dropping the first would merge them, so no fix is offered there.
_OBJECT_IDENTITY = frozenset({("apiVersion",), ("kind",), ("metadata",)})


def _drop_first(path: tuple, record):
    """Dropping the first occurrence leaves exactly what kubectl applies (safe)."""
    if tuple(path) in _OBJECT_IDENTITY:
        return None
    return fixes.fix(f"drop the first {format_path(path)} (line {record.first_line}), which kubectl ignores",
                     fixes.delete_key(path, first_of_duplicates=True))
