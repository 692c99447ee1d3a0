"""yaml-boolean-trap: what the message and hint say, severities, and what it leaves to other rules."""

from __future__ import annotations

from conftest import engine_run

RULE = "yaml-boolean-trap"


def findings(write, text: str, enabled=(RULE,)):
    result = engine_run([write("m.yaml", text)], enabled=set(enabled))
    assert not result.errors, result.errors
    return [f for f in result.findings if f.rule == RULE]


def test_label_number_message_hint_and_position(write):
    [f] = findings(write, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    version: 1.10\n"
                          "spec: {containers: [{name: c, image: 'i:1'}]}\n")
    assert (f.line, f.column, f.end_column, f.path, f.severity) == (6, 14, 18, "metadata.labels.version", "error")
    assert f.message.startswith('label "version": 1.10 is read as the number 1.1, not as the string "1.10"; '
                                'the API server rejects the object (label values are strings: ')
    assert "cannot unmarshal number into Go struct field" in f.message
    assert f.hint == 'Quote it: version: "1.10"'


def test_booleans_octal_and_keys(write):
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n"
            "  A: yes\n  B: 0777\n  C: 0x1F\n  off: x\n  app.kubernetes.io/mode: on\n")
    got = {f.line: f for f in findings(write, text)}
    assert sorted(got) == [5, 6, 7, 8, 9]
    assert "yes is read as the boolean true (YAML 1.1 reads yes/no/on/off/y/n as booleans)" in got[5].message
    assert "0777 is read as the number 511 (a leading 0 makes it octal)" in got[6].message
    assert "0x1F is read as the number 31" in got[7].message
    assert got[8].severity == "warning" and got[8].path == "data.false"
    assert got[8].message.startswith('ConfigMap data key off is read as the boolean false and becomes the key "false"')
    assert got[8].hint == 'Quote the key: "off": ...'
    assert got[9].hint == 'Quote it: app.kubernetes.io/mode: "on"'


def test_list_items_and_env(write):
    text = ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: 'i:1'\n"
            "    args: [--n, 3]\n    env:\n    - {name: A, value: n}\n    - {name: B, value: ~}\n")
    got = sorted(findings(write, text), key=lambda f: f.line)
    assert [(f.line, f.path) for f in got] == [(8, "spec.containers[0].args[1]"),
                                               (10, "spec.containers[0].env[0].value")]
    assert got[0].hint == 'Quote it: - "3"'
    assert got[1].message.startswith("env value: n is read as the boolean false")


def test_quoted_tagged_null_and_nested_values_stay_silent(write):
    text = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {a: 'yes', b: !!str on, c: , d: \"0777\"}\n"
            "  annotations: {e: {nested: 1}}\nspec: {containers: [{name: c, image: 'i:1', args: [\"1\"]}]}\n")
    assert findings(write, text) == []


def test_no_double_report_with_invalid_field_type(write):
    text = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {tier: 1}\n"
            "spec: {containers: [{name: c, image: 'i:1', env: [{name: A, value: yes}]}]}\n")
    result = engine_run([write("m.yaml", text)])
    by_line = {}
    for f in result.findings:
        by_line.setdefault(f.line, []).append(f.rule)
    assert by_line[5] == [RULE] and by_line[6].count(RULE) == 1 and "invalid-field-type" not in by_line[6]


def test_custom_resources_are_not_checked(write):
    text = "apiVersion: example.com/v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: yes}\n"
    assert findings(write, text) == []
