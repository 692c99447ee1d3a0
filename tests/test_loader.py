"""Positions and scalar resolution of the loader, and every class of malformed input."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest

from k8slint.findings import locate
from k8slint.loader import Document, LoadError, compose, resolve_plain


def docs(text):
    return [d for d in compose(text)]


def roots(text):
    return [d.root for d in compose(text) if isinstance(d, Document)]


def test_positions_of_nested_fields_across_documents():
    text = ("apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n"
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
            "  strategy:\n    rollingUpdate:\n      maxSurge: 25%   # a comment\n"
            "  template:\n    spec:\n      containers:\n      - image: nginx\n        name: web\n")
    first, second = [d for d in compose(text)]
    assert (first.index, first.line, second.index, second.line) == (0, 1, 1, 5)
    span, found = locate(second.root, ("spec", "strategy", "rollingUpdate", "maxSurge"))
    assert span == (12, 17, 12, 20) and len(found) == 4
    span, _ = locate(second.root, ("spec", "template", "spec", "containers", 0, "name"))
    assert span == (17, 15, 17, 18)
    # a list item that is a mapping points at its first key
    span, _ = locate(second.root, ("spec", "template", "spec", "containers", 0))
    assert span[:2] == (16, 9)
    # a missing field points at its nearest existing parent (the key)
    span, found = locate(second.root, ("spec", "template", "spec", "containers", 0, "readinessProbe"))
    assert span[:2] == (16, 9) and found[-1] == 0


def test_positions_in_flow_style():
    root = roots("apiVersion: v1\nkind: Pod\nspec: {containers: [{name: a, image: b}, {name: c}]}\n")[0]
    assert locate(root, ("spec", "containers", 1, "name"))[0] == (3, 49, 3, 50)
    assert locate(root, ("spec", "containers", 0, "image"))[0] == (3, 38, 3, 39)


def test_anchors_aliases_and_merge_keys():
    text = ("base: &base\n  image: nginx\n  ports: [80]\nkind: Pod\napiVersion: v1\n"
            "one:\n  <<: *base\n  name: one\n  image: override\ntwo: *base\n")
    root = roots(text)[0]
    assert root["one"] == {"image": "override", "ports": [80], "name": "one"}
    assert root["two"] is root["base"]
    assert locate(root, ("one", "image"))[0][:2] == (9, 10)  # the mapping's own key wins
    assert locate(root, ("one", "ports"))[0][:2] == (3, 3)  # merged keys point where they were written


@pytest.mark.parametrize("text,expected", [
    ("yes", True), ("on", True), ("Off", False), ("y", True), ("n", False), ("NO", False),
    ("true", True), ("null", None), ("~", None), ("", None),
    ("0777", 511), ("0x1F", 31), ("0o17", 15), ("0b101", 5), ("1_000", 1000), ("-42", -42), ("+7", 7),
    ("1e3", 1000.0), (".5", 0.5), ("1.", 1.0), ("-1.5e-2", -0.015), ("=", "="),
    ("2024-01-01", "2024-01-01"), ("1.2.3", "1.2.3"), ("25%", "25%"), ("08", 8.0),
    ("yes please", "yes please"), ("0.0.0.0", "0.0.0.0"),
])
def test_scalars_resolve_like_kubernetes(text, expected):
    assert resolve_plain(text) == expected
    assert type(resolve_plain(text)) is type(expected)


@pytest.mark.parametrize("text,expected", [
    ("100m", "100m"), ("128Mi", "128Mi"), ("2Gi", "2Gi"), ("1k", "1k"), ("1_000m", "1_000m"), ("0x", "0x"),
    ("0xfF", 255), ("0xAb", 171), ("1e5", 100000.0), ("-1_0", -10),
])
def test_quantities_stay_strings_and_numbers_ending_in_a_letter_do_not(text, expected):
    # resolve_plain knows a text ending in a letter other than a hex digit is no number without
    # trying to parse it (resource quantities); hex digits and the special words still resolve
    assert resolve_plain(text) == expected
    assert type(resolve_plain(text)) is type(expected)
    assert math.isnan(resolve_plain(".NaN")) and resolve_plain("-.Inf") == float("-inf")


def test_special_floats_and_quoted_or_tagged_scalars_stay_strings():
    assert math.isinf(resolve_plain(".inf")) and math.isnan(resolve_plain(".nan"))
    root = roots("a: '0777'\nb: \"yes\"\nc: !!str on\nd: !!int 10\ne: |\n  on\n")[0]
    assert root == {"a": "0777", "b": "yes", "c": "on", "d": 10, "e": "on\n"}


def test_keys_become_json_strings():
    assert roots("on: push\n1: one\nnull: x\n")[0] == {"true": "push", "1": "one", "null": "x"}


@pytest.mark.parametrize("text,message,line,column", [
    ("a: 1\nb: [1, 2\n", "YAML syntax error", 3, 1),
    ("a: 1\n\tb: 2\n", "YAML syntax error", 2, 1),
    ('a: "unclosed\n', "YAML syntax error", 2, 1),
    ("- 1\n- 2\n", "document is a list", 1, 1),
    ("just text\n", "not a Kubernetes object", 1, 1),
    ("a: *nowhere\n", "unknown alias", 1, 4),
])
def test_malformed_documents_become_errors(text, message, line, column):
    items = docs(text)
    errors = [i for i in items if isinstance(i, LoadError)]
    assert errors and message in errors[0].message
    assert (errors[0].line, errors[0].column) == (line, column)


def test_empty_documents_are_skipped():
    items = docs("---\n---\n# only a comment\n---\napiVersion: v1\nkind: Pod\n---\n")
    assert len(items) == 1 and isinstance(items[0], Document)


def test_deep_nesting_is_refused_not_recursed():
    items = docs("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert isinstance(items[-1], LoadError) and "nesting deeper" in items[-1].message


def test_billion_laughs_is_refused():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i-1}"] * 10) + "]")
    items = docs("\n".join(lines) + "\n")
    assert isinstance(items[-1], LoadError) and "aliases expand" in items[-1].message


def test_pure_python_fallback_gives_same_values_and_positions(tmp_path):
    script = (
        "import json, sys\n"
        "from k8slint import loader\n"
        "from k8slint.findings import locate\n"
        "assert not loader.HAVE_C_PARSER\n"
        "d = [x for x in loader.compose(sys.stdin.read())]\n"
        "print(json.dumps([d[1].root, locate(d[1].root, ('spec', 'x', 1))[0], d[0].line]))\n")
    text = "apiVersion: v1\nkind: A\n---\nspec:\n  x: [on, '0777', 0777]\n"
    env = dict(os.environ, K8SLINT_PURE_YAML="1")
    out = subprocess.run([sys.executable, "-c", script], input=text, capture_output=True, text=True,
                         env=env, check=True).stdout
    import json

    c_items = docs(text)
    assert json.loads(out) == [{"spec": {"x": [True, "0777", 511]}}, [5, 11, 5, 17], 1]
    assert list(locate(c_items[1].root, ("spec", "x", 1))[0]) == [5, 11, 5, 17]


def test_next_document_marker_finds_what_the_line_regex_finds():
    """The fast search for the next ``---``/``...`` line (from the newline before it) agrees with
    the line-anchored regex on every start offset of generated texts, CR, tabs and ends included."""
    import random

    from k8slint.source import _DOCUMENT_MARKER, next_document_marker

    rng = random.Random(7)
    alphabet = ["-", "-", "-", ".", ".", ".", "\n", "\n", " ", "\t", "a", "\r", "#"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        for begin in range(len(text) + 1):
            expected = _DOCUMENT_MARKER.search(text, begin + 1)
            assert next_document_marker(text, begin) == (expected.start() if expected else None), (text, begin)
