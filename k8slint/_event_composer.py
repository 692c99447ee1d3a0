"""The composer over ruamel.yaml's event stream: k8slint.loader's reference composer, and the one
it uses when the native module (k8slint/_k8slint_yaml.c) is not built or is switched off.

Its own module so that ruamel.yaml is imported only when it runs: a run with the native composer
never needs it (~12 ms of start-up). It builds exactly what the native composer builds
(tests/test_native_loader.py compares the two).
"""

from __future__ import annotations

import os
import sys

from k8slint.yaml_values import (
    _NUMBER_START, _SPECIAL, _STR_TAG, MAX_ALIAS_EXPANSION, MAX_ALIAS_RATIO, MAX_DEPTH, Document, LoadError, YMap, YSeq,
    _DocumentProblem, _duplicate_key, _merge, _resolve_tagged, _scalar_document_message, key_string,
    resolve_plain,
)

from ruamel.yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

try:  # the C parser: the speed of this whole tool rests on it
    if os.environ.get("K8SLINT_PURE_YAML"):
        raise ImportError("pure-Python YAML parser requested")
    try:
        from ruamel.yaml.clib import _ruamel_yaml as _clib
    except ImportError:
        import _ruamel_yaml as _clib
    _CParser = _clib.CParser
    HAVE_C_PARSER = True
except ImportError:  # pragma: no cover - exercised by the fallback test in a subprocess
    _clib = _CParser = None
    HAVE_C_PARSER = False


def _event_source(text: str):
    """``get_event`` of a parser over ``text``: the C parser when available, else ruamel's
    pure-Python parser (which yields the same event classes)."""
    if _CParser is not None:
        return _CParser(text).get_event
    from ruamel.yaml import YAML

    return iter(YAML(typ="safe", pure=True).parse(text)).__next__


def compose_events(text: str, index: int):  # noqa: C901 - one tight loop on purpose: it is the hot path
    # Performance notes (measured on 5,000 documents / 7.8 MB; see benchmarks/bench.py): the loop
    # calls get_event directly (a generator in between cost ~10%), tests the most frequent event
    # class first, and reads ``ctag`` instead of the ``tag`` property (a Python call per scalar).
    SE, MS, ME, QS, QE, AE, END = (ScalarEvent, MappingStartEvent, MappingEndEvent, SequenceStartEvent,
                                   SequenceEndEvent, AliasEvent, StreamEndEvent)
    special = _SPECIAL
    number_start = _NUMBER_START
    intern = sys.intern
    get = _event_source(text)
    stack: list = []
    push, pop = stack.append, stack.pop
    cur = marks = key = key_event = None
    is_map = False
    anchors: dict = {}
    plain_merges: set = set()  # ids of the open mappings with a plain << key (a quoted "<<" is a key)
    nodes = expanded = 0  # real nodes and nodes added by alias expansion, for the bomb guard
    problem = None  # first document-level problem of the current document
    duplicates: list = []  # DuplicateKey records of the current document
    root_event = None

    while True:
        event = get()
        cls = event.__class__
        if cls is SE:
            value = event.value
            if key is None and is_map:  # a mapping key
                if not event.style and (value in special or value[:1] in number_start):
                    value = key_string(resolve_plain(value))
                if value in cur:  # kept, the last value wins (as kubectl): recorded for duplicate-key
                    start = event.start_mark
                    duplicates.append(_duplicate_key(value, marks, start.line + 1, start.column + 1))
                # interned: all documents (and inventory copies) share one "apiVersion" string
                key, key_event = intern(value), event
                if event.anchor is not None:  # "&k app: x" then "*k": go-yaml accepts it
                    anchors[event.anchor] = (key, 1)
                if value == "<<" and not event.style:  # only a plain << is a merge key
                    plain_merges.add(id(cur))
                continue
            nodes += 1
            if not event.style:
                if event.ctag is None:
                    if value[:1] in number_start:
                        value = resolve_plain(value)
                    else:
                        value = special.get(value, value)
                else:
                    value = _resolve_tagged(value, str(event.ctag))
            elif event.ctag is not None:
                tag = str(event.ctag)
                if tag != "!" and tag != _STR_TAG:
                    value = _resolve_tagged(value, tag)
            if event.anchor is not None:
                anchors[event.anchor] = (value, 1)
            if is_map:
                cur[key] = value
                marks[key] = (key_event, event)
                key = None
            elif cur is not None:
                cur.append(value)
                marks.append(event)
            else:  # a document that is a bare scalar
                if value is not None and problem is None:
                    problem = _DocumentProblem(_scalar_document_message(value), event.start_mark)
                root_event = root_event or event
        elif cls is MS or cls is QS:
            nodes += 1
            if len(stack) >= MAX_DEPTH:
                raise _DocumentProblem(f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
            if is_map and key is None:  # "? [a, b]: 1": JSON (and so Kubernetes) has no such keys
                raise _DocumentProblem("a mapping or list cannot be a mapping key (Kubernetes reads "
                                       "YAML as JSON, whose keys are strings)", event.start_mark)
            if cls is MS:
                new = YMap()
                new.marks = new_marks = {}
            else:
                new = YSeq()
                new.marks = new_marks = []
            push((cur, marks, key, key_event, is_map, event, nodes + expanded))
            if cur is not None:
                if is_map:
                    cur[key] = new
                    marks[key] = (key_event, event)
                else:
                    cur.append(new)
                    marks.append(event)
            elif root_event is None:
                root_event = event
            cur, marks, is_map, key = new, new_marks, cls is MS, None
        elif cls is ME or cls is QE:
            done = cur
            cur, marks, key, key_event, is_map, start_event, size_before = pop()
            if start_event.anchor is not None:
                anchors[start_event.anchor] = (done, nodes + expanded - size_before)
            if cls is ME and id(done) in plain_merges and "<<" in done:
                plain_merges.discard(id(done))
                _merge(done, problem_sink := [])
                if problem_sink and problem is None:
                    problem = _DocumentProblem(problem_sink[0], start_event.start_mark)
            if cur is None:
                if problem is not None:
                    yield LoadError(str(problem), problem.mark.line + 1, problem.mark.column + 1)
                elif cls is ME:
                    start = start_event.start_mark
                    yield Document(done, index, start.line + 1, start.index - start.column, tuple(duplicates))
                else:
                    yield LoadError("document is a list, not a Kubernetes object",
                                    start_event.start_mark.line + 1, start_event.start_mark.column + 1)
                index += 1
                problem = root_event = None
                duplicates = []
                anchors = {}
                nodes = expanded = 0
            else:
                key = None
        elif cls is AE:
            target = anchors.get(event.anchor)
            if target is None:
                raise _DocumentProblem(f"unknown alias *{event.anchor}", event.start_mark)
            value, size = target
            expanded += size
            if expanded > MAX_ALIAS_EXPANSION and expanded > MAX_ALIAS_RATIO * nodes:
                raise _DocumentProblem(
                    f"aliases expand to more than {MAX_ALIAS_EXPANSION} nodes "
                    f"(a 'billion laughs' document?)", event.start_mark)
            if is_map and key is None:
                if not isinstance(value, (str, int, float, bool)) and value is not None:
                    raise _DocumentProblem("an alias to a collection cannot be a mapping key",
                                           event.start_mark)
                key, key_event = key_string(value), event
                continue
            if is_map:
                cur[key] = value
                marks[key] = (key_event, event)
                key = None
            elif cur is not None:
                cur.append(value)
                marks.append(event)
        elif cls is END:
            return
        # StreamStart, DocumentStart/End carry nothing we need. A bare scalar document ends here:
        elif root_event is not None and cur is None and not stack:
            if problem is not None:
                yield LoadError(str(problem), problem.mark.line + 1, problem.mark.column + 1)
                index += 1
            problem = root_event = None
