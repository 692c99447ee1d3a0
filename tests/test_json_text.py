"""The JSON and SARIF reports spell their JSON with k8slint.report.json_text.dumps: it must give
exactly the text of json.dumps(value, indent=2, ensure_ascii=False), for every value."""

from __future__ import annotations

import json
import random

import pytest

from k8slint.report.json_text import dumps


class _Text(str):
    pass


class _Number(int):
    pass


_SCALARS = ("", "web", 'a "quoted"\\ line\nand\ttab', "é ü 日本 \u2028 \x00 \x1f", "\ud800 lone surrogate",
            _Text("subclass"), 0, -7, 10**30, _Number(3), 1.5, -0.0, 1e300, float("nan"), float("inf"),
            -float("inf"), True, False, None)
_KEYS = ("k", "é", "", _Text("s"), 1, 2.5, True, False, None, _Number(4), "x\ty")


def _value(rng: random.Random, depth: int = 0):
    roll = rng.random()
    if depth > 4 or roll < 0.4:
        return rng.choice(_SCALARS)
    if roll < 0.6:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if roll < 0.7:
        return tuple(_value(rng, depth + 1) for _ in range(rng.randint(0, 3)))
    return {rng.choice(_KEYS): _value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def test_same_text_as_json_dumps():
    rng = random.Random(15)
    for _ in range(5000):
        value = _value(rng)
        assert dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_a_finding_as_the_json_report_holds_it():
    finding = {"rule": "yaml-boolean-trap", "severity": "error", "message": 'label "on": yes is read as true',
               "file": "deploy/web.yaml", "line": 12, "column": 9, "end_line": 12, "end_column": 12,
               "suppressed": False, "suppression": None,
               "fix": {"description": "quote yes", "safety": "safe",
                       "edits": [{"line": 12, "column": 9, "delete": 3, "insert": '"yes"'}]}}
    assert dumps(finding) == json.dumps(finding, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("value", [[object()], {(1, 2): 3}, {"set": {1, 2}}])
def test_what_json_refuses_it_refuses_alike(value):
    with pytest.raises(TypeError):
        json.dumps(value, indent=2, ensure_ascii=False)
    with pytest.raises(TypeError):
        dumps(value)


def _finding(rng: random.Random):
    from k8slint.findings import Finding
    from k8slint.model.fixes import Fix

    def text():
        return rng.choice(("", "web", 'say "on"\n\\ \t', "é 日本 \u2028", "\ud800x", _Text("sub"), "deploy/web.yaml"))

    def number():
        return rng.choice((1, 12, 10**20)) if rng.random() < 0.9 else rng.choice((_Number(5), True, 2.5, None))

    finding = Finding(text(), rng.choice(("error", "warning", "info")), text(), rng.choice(("a.yaml", "-", "\udcff.yaml")),
                      number(), number(), number(), number(), text(), text(), text(), text(), text(), text())
    finding.suppressed = rng.choice((True, False, True, False, 0))
    finding.suppression = rng.choice((None, "annotation", "comment", _Text("comment")))
    finding.template = rng.choice(("", "", "templates/web.yaml", _Text("t.yaml")))
    finding.baseline_state = rng.choice((None, None, "new", "unchanged"))
    if rng.random() < 0.3:
        finding.fix = Fix(text(), (), safe=rng.random() < 0.5)
        finding.fix_edits = [{"line": number(), "column": 3, "end_line": 1, "end_column": 2, "text": text()}
                             for _ in range(rng.randint(0, 2))]
    return finding


def test_the_json_report_is_json_dumps_of_its_dicts():
    """The JSON report spells each finding's fields itself (with the C string encoder): the text
    must be json.dumps of the report as dicts (Finding.to_dict), whatever the fields hold."""
    from k8slint import __version__
    from k8slint.engine.runner import RunResult
    from k8slint.findings import InputError, Note
    from k8slint.report import counts
    from k8slint.report.json_report import render
    from k8slint.source import display_path

    rng = random.Random(15)
    for size in (0, 1, 2, 3, 50, 200):
        findings = [_finding(rng) for _ in range(size)]
        result = RunResult(findings, [InputError("b\udcff.yaml", 1, 2, "broken")][:size % 2],
                           [Note("k.yaml", "skipped")][:size % 3], size, size + 1)
        report = {"version": __version__,
                  "findings": [dict(f.to_dict(), file=display_path(f.file)) for f in findings],
                  "errors": [dict(e.to_dict(), file=display_path(e.file)) for e in result.errors],
                  "notes": [dict(n.to_dict(), file=display_path(n.file)) for n in result.notes],
                  "summary": dict(counts(result), files=result.files, documents=result.documents)}
        assert render(result) == json.dumps(report, indent=2, ensure_ascii=False) + "\n"
