"""Reporters: turn a RunResult into text, JSON or SARIF. They know findings, not rules."""

from __future__ import annotations

from k8slint.findings import SEVERITY_RANK


def counts(result) -> dict[str, int]:
    """Unsuppressed findings per severity, plus suppressed and input errors."""
    out = {"error": 0, "warning": 0, "info": 0, "suppressed": 0, "input_errors": len(result.errors)}
    for finding in result.findings:
        if finding.suppressed:
            out["suppressed"] += 1
        else:
            out[finding.severity] += 1
    return out


def at_or_above(severity: str, threshold: str) -> bool:
    return SEVERITY_RANK.get(severity, 0) >= SEVERITY_RANK[threshold]
