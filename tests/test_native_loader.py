"""The native composer (k8slint/_k8slint_yaml.c) against the Python one: same documents, values,
value types, positions, scalar sources and problems, on the fixtures, the corpus (tests/corpus), hostile
snippets and generated YAML. Skipped where the extension was not built (no libyaml or compiler)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k8slint import loader
from k8slint._event_composer import ScalarEvent
from k8slint.loader import Document
from k8slint.model.objects import dig
from k8slint.yaml_values import scalar_source, span_of
from tests.conftest import NO_PROBE_DEPLOYMENT, ROOT, CORPUS

pytestmark = pytest.mark.skipif(not loader.HAVE_NATIVE, reason="native composer not built here")


def _key_text(mapping, key):
    """The text of a plain, untagged key that resolution changed (what yaml-boolean-trap reads)."""
    mark = mapping.marks[key][0]
    if type(mark) is tuple:
        return mark[4] if len(mark) == 6 and not mark[5] else None
    if isinstance(mark, ScalarEvent) and not mark.style and mark.tag is None and mark.value != key:
        return mark.value
    return None


def shape(value):
    """Everything a rule or a finding can see of a composed value."""
    if isinstance(value, dict):
        return ("map", [(key, shape(item), span_of(value.marks[key][0]), span_of(value.marks[key][1]),
                         _key_text(value, key),
                         scalar_source(value, key) if item is not None and not isinstance(item, (str, dict, list))
                         else None)
                        for key, item in value.items()])
    if isinstance(value, list):
        return ("seq", [(shape(item), span_of(value.marks[index]),
                         scalar_source(value, index) if item is not None and not isinstance(item, (str, dict, list))
                         else None)
                        for index, item in enumerate(value)])
    if isinstance(value, float) and value != value:
        return ("float", "nan")
    return (type(value).__name__, value)


def items(compose_function, text):
    out = []
    for item in compose_function(text):
        if isinstance(item, Document):
            out.append(("doc", item.index, item.line, shape(item.root), item.duplicates))
        else:
            out.append(("error", item.message, item.line, item.column, item.ends_stream))
    return out


def python_items(text):
    native = loader._native
    loader._native = None
    try:
        return items(loader.compose, text)
    finally:
        loader._native = native


def native_items(text):
    return items(loader.compose, text)


def assert_same(text):
    assert native_items(text) == python_items(text)


SNIPPETS = [
    "a: 1\n",
    "a: [0, -0, +5, 00, 007, -08, 123456789012345678, 1234567890123456789, 99999999999999999999, 3.0, 1_2]\n",
    "apiVersion: v1\nkind: Service\nmetadata: {name: a, labels: {on: yes, 08: 0777, 1e3: .5}}\n",
    "a: [1, 2.5, -3, +4, 0x1F, 0o17, 0b11, 1_000, 99999999999999999999, .inf, -.Inf, .nan, ~, null, ''] \n",
    "y: n\nY: N\non: off\n'on': \"off\"\nyes: !!str yes\nx: !!int '7'\nz: !!float 3\nw: !!bool yes\nv: !foo bar\n",
    "a: &x {b: 1}\nc: *x\nd: &s text\ne: *s\n*s : f\n",
    "base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n",
    "m:\n  <<: [{a: 1}, {b: 2}]\n",
    "m:\n  <<: 5\n",
    "a: 1\na: 2\n",
    "- a\n- b\n",
    "just a scalar\n",
    "~\n",
    "---\n---\na: 1\n",
    "a: 1\n---\n- x\n---\nb: 2\n---\nplain\n---\nc: 3\n",
    "a: *nope\n",
    "? [a, b]\n: c\n",
    "? *x\n",
    "a: &x [1]\n*x : 2\n",
    "a: [\n",
    "a: b: c\n",
    "a: 'unclosed\n",
    "\tkey: value\n",
    "a: 1\n---\nb: [\n---\nc: 3\n",
    "\ufeffa: 1\n",
    "a: \x00\n",
    "a: |\n  line one\n  line two\nb: >\n  folded\n  text\n",
    "%YAML 1.1\n---\na: !!str 1\n",
    "%TAG !k! tag:yaml.org,2002:\n---\na: !k!int 5\n",
    "a:\n" + "  " * 1 + "b:\n" + "".join("  " * (i + 2) + f"k{i}:\n" for i in range(250)),
    "[" * 300 + "]" * 300 + "\n",
    # nesting across the native composer's frame-array growth (16, 32, 64, ... open collections),
    # with anchors and aliases whose frames are reallocated under them
    "r: " + "[{k: " * 16 + "&deep {x: 1}" + "}]" * 16 + "\nz: *deep\n---\n" + "".join(
        "  " * i + f"k{i}: &a{i}\n" for i in range(40)) + "  " * 40 + "leaf: 1\nback: *a39\n",
    "k:\n" + "".join("  " * (i + 1) + "-\n" for i in range(17)) + "  " * 18 + "x\n",
    "a: &a [x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
    "f: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
    "a: é\nb: 日本: x\n",
    "naïve: 'ünïcode ✓'\nk: 😀\n",
    "",
    "# only a comment\n",
    "a: 1\n...\n---\nb: 2\n",
    # texts that start like a number: quantities stay strings (resolved in C without a Python call),
    # the special words and numbers whose last character is a hex digit still resolve
    "q: [100m, 128Mi, 2Gi, 1.5Gi, -5d, +3k, 12h, .5m, 0xfg, 0x1F, 1e3, 1e3m, .nan, .NaN, .NAN, .inf, .Inf, "
    "+.inf, -.INF, -, +, ., 1_000g, 0777, 08z, 1E, 0xAbZ]\n100m: a\n2Gi: b\n.nan: c\n-.Inf: d\n",
    # words the special-words lookup is skipped for and those it is not (first byte and length)
    "name: n\nnull: Null\nno: NO\nnone: None\ntrue: True\ntruer: yes\noff: Off\nOFFS: ON\nyes: Y\nt: ~\n"
    "e: ''\nfalsey: FALSE\nnote: nO\n~: x\n'': y\n",
]


@pytest.mark.parametrize("text", SNIPPETS, ids=range(len(SNIPPETS)))
def test_snippets_compose_the_same(text):
    assert_same(text)


def _yaml_files(base: Path):
    return sorted(p for p in base.rglob("*") if p.suffix in (".yaml", ".yml", ".json") and p.is_file())


def _read(path: Path):
    try:
        return path.read_bytes().decode("utf-8")
    except (UnicodeDecodeError, OSError):
        return None


def test_fixtures_compose_the_same():
    files = _yaml_files(ROOT / "fixtures")
    assert len(files) > 100
    for path in files:
        text = _read(path)
        if text is not None:
            assert native_items(text) == python_items(text), path


def test_corpus_composes_the_same():
    files = _yaml_files(CORPUS)
    compared = 0
    for path in files:
        text = _read(path)
        if text is not None:
            assert native_items(text) == python_items(text), path
            compared += 1
    assert compared > 1000


_scalars = st.sampled_from(["a", "yes", "No", "on", "~", "", "0777", "1e3", ".5", "-1", "0x10", "'q'", '"d"',
                            "1_000", "08", "!!str 5", "!!int 7", "*x", "true", ".inf", "- b", "{}", "[]"])
_keys = st.sampled_from(["a", "b", "on", "1", "y", "'k'", "<<", "0o7"])


@st.composite
def yaml_texts(draw):
    lines = []
    for _ in range(draw(st.integers(1, 12))):
        indent = "  " * draw(st.integers(0, 3))
        kind = draw(st.integers(0, 4))
        if kind == 0:
            lines.append(f"{indent}{draw(_keys)}: {draw(_scalars)}")
        elif kind == 1:
            lines.append(f"{indent}- {draw(_scalars)}")
        elif kind == 2:
            lines.append(f"{indent}{draw(_keys)}:")
        elif kind == 3:
            lines.append(f"{indent}{draw(_keys)}: &x {draw(_scalars)}")
        else:
            lines.append(draw(st.sampled_from(["---", "...", "a: [b, {c: d}]", "? x", ": y", "#c"])))
    return "\n".join(lines) + "\n"


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(yaml_texts())
def test_generated_yaml_composes_the_same(text):
    assert_same(text)


def test_native_inventory_copies_equal_the_python_ones():
    """inventory._shared_copy in C and in Python: the same values, types, pruning and sharing."""
    from k8slint.engine import inventory as engine
    from k8slint.engine.inventory import _K8SLINT_ANNOTATIONS_ONLY, _drop_spec, _key_class, _shared_copy
    from k8slint.loader import compose
    from k8slint.model.objects import make_object

    native = engine._native_copy
    assert native is not None
    paths = _yaml_files(ROOT / "fixtures")
    paths += _yaml_files(CORPUS)
    tables = [({}, {}), ({}, {})]
    copied = 0
    for path in paths:
        text = _read(path)
        for item in compose(text or ""):
            if not isinstance(item, Document) or not isinstance(item.root.get("kind"), str) \
                    or not isinstance(item.root.get("apiVersion"), str):
                continue
            obj = make_object(item.root, str(path), 0, 1)
            ours = _shared_copy(obj.root, _drop_spec(obj), *tables[0])
            theirs = native(obj.root, _drop_spec(obj), *tables[1], engine._KEY_CLASSES, _key_class,
                            _K8SLINT_ANNOTATIONS_ONLY)
            assert shape_of_copy(theirs) == shape_of_copy(ours), path
            copied += 1
    assert copied > 1000
    # the same containers are shared: as many distinct ones in both tables
    assert len(tables[0][1]) == len(tables[1][1])


def shape_of_copy(value):
    if isinstance(value, dict):
        return ("map", type(value) is dict, [(k, shape_of_copy(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("seq", [shape_of_copy(v) for v in value])
    return shape(value)


def _all_paths(value, path=(), limit=300):
    found = [path]
    stack = [(value, path)]
    while stack and len(found) < limit:
        current, where = stack.pop()
        items = current.items() if isinstance(current, dict) else enumerate(current) if isinstance(current, list) else ()
        for step, item in items:
            found.append(where + (step,))
            stack.append((item, where + (step,)))
    return found


def _located_both_ways(text: str) -> tuple[int, int]:
    """engine/locate.py on every document of ``text``: the spans the native path_spans gives
    (``_native_spans``) against those of the composed document (``_composed_span``), for every path
    of the document, paths that break off, FieldKey/FieldValue steps, and objects that are not the
    one at that place any more; in a document without a key written twice, also path_spans reading
    only up to where every path is placed (stop_early), each path alone and all at once. Returns
    (documents compared, documents path_spans answered)."""
    from types import SimpleNamespace

    from k8slint.engine import locate as engine
    from k8slint.model.objects import FieldKey, FieldValue

    compared = answered = 0
    for item in loader.compose(text):
        if not isinstance(item, Document) or item.offset < 0:
            continue
        root = item.root
        piece = engine._piece(text, item.offset)
        paths = _all_paths(root)
        paths += [path[:-1] + (kind(path[-1]),) for path in paths[1:40] if isinstance(path[-1], str)
                  for kind in (FieldKey, FieldValue)]
        paths += [("spec", "nope"), ("metadata", 0), ("kind", "x"), ("items", 0, "kind"), ("spec", -1), ("spec", True)]
        wheres = [()] + [("items", index) for index, value in enumerate(root.get("items") or [])
                         if isinstance(value, dict)][:3]
        for where in wheres:
            own = dig(root, where)
            metadata = own.get("metadata")
            name = metadata.get("name") or metadata.get("generateName") if isinstance(metadata, dict) else None
            name = name if isinstance(name, str) else ""
            kind, api_version = own.get("kind"), own.get("apiVersion")
            objects = [SimpleNamespace(where=where, kind=kind, api_version=api_version, name=name),
                       SimpleNamespace(where=where, kind=kind, api_version=api_version, name=name + "-other"),
                       SimpleNamespace(where=where, kind="Other", api_version=api_version, name=name)]
            for obj in objects:
                entries = [(None, obj, path[len(where):]) for path in paths if path[:len(where)] == where]
                ours = engine._native_spans(piece, 0, entries)
                composed_root = engine._composed_again(piece)
                theirs = [engine._composed_span(composed_root, obj, field_path) for _, obj, field_path in entries]
                compared += 1
                if ours is not None:
                    answered += 1
                    assert ours == theirs, (text[:200], where, obj)
                if item.duplicates:
                    continue
                early = engine._native_spans(piece, 0, entries, stop_early=True)
                assert early is None or early == theirs, (text[:200], where, obj)
                assert ours is None or early is not None
                if text.isascii():  # read in place: the file's text from the document's offset
                    assert engine._native_spans(text, item.offset, entries, stop_early=True) == early
                    assert engine._native_spans(text, item.offset, entries) == ours
                for entry, span in list(zip(entries, theirs))[::7]:  # one path: the earliest stop
                    alone = engine._native_spans(piece, 0, [entry], stop_early=True)
                    assert alone is None or alone == [span], (text[:200], where, obj, entry)
    return compared, answered


def test_native_path_spans_locate_as_composing_does():
    """locate._native_spans (the native path_spans) against composing the document again, on the
    fixtures and the corpus: the same spans and the same verdicts on the object's identity."""
    from k8slint.engine import locate as engine

    assert engine._path_spans is not None
    compared = answered = 0
    for path in _yaml_files(ROOT / "fixtures") + _yaml_files(CORPUS):
        text = _read(path)
        if text:
            done = _located_both_ways(text)
            compared, answered = compared + done[0], answered + done[1]
    assert compared > 3000 and answered > 0.9 * compared


@pytest.mark.parametrize("text", SNIPPETS + [
    "a: 1\na: 2\n", "kind: A\nkind: B\n", "spec: {x: 1}\nspec: {y: 2}\n", "1: a\n01: b\n", "on: x\ntrue: y\n",
    "a: &x {b: 1}\nc: *x\n", "a: {<<: {b: 1}}\n", "!!map {a: 1}\n", "a: !!str 1\n", "? [a]\n: b\n", "- a\n",
    "x\n", "", "# only\n", "a: [1, {b: 2}, []]\nc: {}\n", "metadata: {name: {}}\n", "metadata: {name: 0, generateName: g}\n",
    "a:\n" + "  " * 1 + "[" * 250 + "]" * 250 + "\n", "kind: Pod\nmetadata: [name]\n", "items:\n- kind: A\n  metadata: {name: b}\n",
], ids=range(len(SNIPPETS) + 20))
def test_native_path_spans_on_snippets(text):
    _located_both_ways(text)


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(yaml_texts())
def test_native_path_spans_on_generated_yaml(text):
    _located_both_ways(text)


def test_a_lint_with_the_native_composer_never_imports_ruamel(tmp_path):
    """ruamel.yaml (~12 ms of start-up) is only for the composer over events: a run of the
    command on files, text output, imports none of it, nor jsonschema, networkx or sarif-om."""
    import subprocess
    import sys

    (tmp_path / "app.yaml").write_text(NO_PROBE_DEPLOYMENT)
    probe = ("import sys\n"
             "from k8slint import cli\n"
             "try:\n"
             "    cli.main(['lint', sys.argv[1]], standalone_mode=False)\n"
             "finally:\n"
             "    heavy = sorted(m for m in ('ruamel.yaml', 'jsonschema', 'networkx', 'sarif_om') if m in sys.modules)\n"
             "    print('HEAVY', heavy, file=sys.stderr)\n")
    run = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "app.yaml")], capture_output=True,
                         text=True, cwd=ROOT)
    assert "HEAVY []" in run.stderr, run.stderr
    assert "warning missing-readiness-probe" in run.stdout  # it did lint



DUPLICATES = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: etcd, labels: {a: b, a: c}}
spec:
  selector:
    matchLabels: {name: etcd}
  selector:
    matchLabels: {name: etcd-2}
  template:
    metadata: {labels: {name: etcd-2}}
    spec:
      containers:
      - name: etcd
        image: quay.io/coreos/etcd
        image: quay.io/coreos/etcd:v3.5.0
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Service, metadata: {name: s}, spec: {type: ClusterIP, type: NodePort}}
"""


def test_duplicate_keys_keep_the_last_value_in_both_composers():
    """kubectl (sigs.k8s.io/yaml, non-strict) keeps the last value of a key written twice: both
    composers compose the document that way and record each duplicate for the duplicate-key rule."""
    assert native_items(DUPLICATES) == python_items(DUPLICATES)
    documents = [item for item in loader.compose(DUPLICATES) if isinstance(item, Document)]
    assert len(documents) == 2
    first = documents[0]
    assert first.root["spec"]["selector"] == {"matchLabels": {"name": "etcd-2"}}
    assert first.root["metadata"]["labels"] == {"a": "c"}
    assert [(d.key, d.first_line, d.line, d.column) for d in first.duplicates] == [
        ("a", 3, 3, 39), ("selector", 5, 7, 3), ("image", 14, 15, 9)]
    assert [(d.key, d.first_line, d.line) for d in documents[1].duplicates] == [("type", 20, 20)]
