"""Rule ids named by suppressions (the ``k8slint.io/ignore`` annotation, ``# k8slint: disable=``
comments) that no rule or custom policy reports: such a suppression silences nothing, usually
because of a typo, so the finding it was written for is still reported, or will be once the
problem it expected appears. Shared by the unknown-suppression rule (annotations) and the engine
(comments, which rules never see)."""

from __future__ import annotations

import difflib

RULE = "unknown-suppression"
WILDCARDS = frozenset(("*", "all"))  # every rule (the annotation accepts both)


def unknown_ids(ids, known) -> list[tuple[str, str | None]]:
    """(id, closest known id or None) for each id of ``ids`` that ``known`` lacks, in order."""
    out = []
    for rule_id in ids:
        if rule_id in known or rule_id in WILDCARDS:
            continue
        close = difflib.get_close_matches(rule_id, sorted(known), n=1, cutoff=0.6)
        out.append((rule_id, close[0] if close else None))
    return out


def message(rule_id: str, suggestion: str | None, where: str) -> tuple[str, str]:
    """(message, hint) of a finding on an unknown id in ``where`` (the annotation or comment)."""
    text = f"{where} names {rule_id!r}, which is no k8slint rule or custom policy: it suppresses nothing"
    if suggestion:
        return text + f" (did you mean {suggestion!r}?)", f"Write {suggestion!r} instead of {rule_id!r}."
    return text, "Use an id from `k8slint rules` (or a custom policy's id), or remove it."
