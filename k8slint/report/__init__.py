"""Reporters: turn a RunResult into text, JSON or SARIF. They know findings, not rules."""

from __future__ import annotations

from k8slint.findings import SEVERITY_RANK


def counts(result) -> dict[str, int]:
    """Unsuppressed findings per severity (without the ones a baseline holds), plus suppressed and
    input errors; with a baseline, how many findings it matched and how many of its entries no
    longer occur."""
    out = {"error": 0, "warning": 0, "info": 0, "suppressed": 0, "input_errors": len(result.errors)}
    for finding in result.findings:
        if finding.suppressed:
            out["suppressed"] += 1
        elif finding.baseline_state != "unchanged":
            out[finding.severity] += 1
    baselined = getattr(result, "baselined", None)
    if baselined is not None:
        out["baselined"] = baselined
        out["baseline_absent"] = result.baseline_absent
    return out


def reported(finding) -> bool:
    """Whether a finding counts (for the exit code and the summary): not suppressed, not held by
    the baseline."""
    return not finding.suppressed and finding.baseline_state != "unchanged"


def at_or_above(severity: str, threshold: str) -> bool:
    return SEVERITY_RANK.get(severity, 0) >= SEVERITY_RANK[threshold]
