"""Machine output: one JSON object, documented by schemas/report.schema.json."""

from __future__ import annotations

import json

from k8slint import __version__
from k8slint.report import counts
from k8slint.source import display_path


def render(result) -> str:
    findings = []
    for finding in result.findings:
        item = finding.to_dict()
        item["file"] = display_path(item["file"])
        findings.append(item)
    errors = []
    for error in result.errors:
        item = error.to_dict()
        item["file"] = display_path(item["file"])
        errors.append(item)
    document = {
        "version": __version__,
        "findings": findings,
        "errors": errors,
        "notes": [{"file": display_path(n.file), "message": n.message} for n in result.notes],
        "summary": dict(counts(result), files=result.files, documents=result.documents),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
