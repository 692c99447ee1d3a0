"""unknown-suppression: a ``k8slint.io/ignore`` annotation that names a rule id no rule or custom
policy reports (``missing-readiness-probes``): it suppresses nothing, so the finding it was meant
for is still reported, and the reader of the manifest believes otherwise. The same check for
``# k8slint: disable=`` comments runs in the engine (rules never see comments); both share
k8slint.model.suppression_ids."""

from __future__ import annotations

from k8slint.model.suppression_ids import RULE, message, unknown_ids
from k8slint.rules import reported_ids, rule

ANNOTATION = "k8slint.io/ignore"


@rule(RULE)
def check(obj, ctx):
    metadata = obj.root.get("metadata")  # (obj.annotations, without its calls: every object comes here)
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    value = annotations.get(ANNOTATION) if isinstance(annotations, dict) else None
    if not isinstance(value, str) or not value.strip():
        return
    known = set(reported_ids()) | {policy.id for policy in ctx.options.policies}
    ids = [part.strip() for part in value.split(",") if part.strip()]
    for rule_id, suggestion in unknown_ids(ids, known):
        text, hint = message(rule_id, suggestion, f"the {ANNOTATION} annotation")
        ctx.report(obj, ("metadata", "annotations", ANNOTATION), text, hint=hint)
