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
