"""YAML events -> plain Python values that remember where each key and value came from.

Why not ruamel's own loaders: the round-trip loader runs at ~0.14 MB/s and the safe loader at
~0.2 MB/s, while the C parser (ruamel.yaml.clib) emits events at ~6-8 MB/s. This module is a small
composer over that event stream. It builds ordinary ``dict``/``list`` values (``YMap``/``YSeq``
subclasses) so rules and jsonschema can use them directly, and keeps each key's and value's
*event* beside it: an event holds its start and end marks, so a position costs nothing until a
finding asks for it. With the C extension absent the same composer runs on ruamel's pure-Python
parser, which yields the same event classes. The composer over events lives in
k8slint._event_composer; k8slint/_k8slint_yaml.c is the same composer in C, used when built. What
both build (values, marks, documents, scalar resolution) is k8slint.yaml_values.

Scalars resolve the way Kubernetes resolves them. ``kubectl`` and the API server read YAML with
sigs.k8s.io/yaml, which decodes with go-yaml v2 semantics (YAML 1.1 flavoured) and converts to JSON:

* booleans: y Y yes Yes YES n N no No NO true True TRUE false False FALSE on On ON off Off OFF
* null: empty, ~, null, Null, NULL
* integers: decimal, 0x/0o/0b prefixes, a leading 0 means octal (``0777`` is 511), ``_`` ignored
* floats: ``1e3``, ``.5``, ``1.``, ``.inf``, ``.nan`` (go-yaml's float pattern needs no dot)
* everything else, including timestamps and ``=``, stays a string
* mapping keys become strings the way JSON conversion spells them (``on:`` is the key "true")

Quoted scalars and ``!!str`` are always strings. Merge keys (``<<``) are honoured.
"""

from __future__ import annotations

import gc
import os
from typing import Iterator, Union

from k8slint.yaml_values import (
    _SPECIAL, MAX_ALIAS_EXPANSION, MAX_ALIAS_RATIO, MAX_DEPTH, Document, LoadError, YMap, YSeq, _DocumentProblem,
    _duplicate_key, _merge, _resolve_tagged, _scalar_document_message, key_string, resolve_plain, span_of,
)

# ruamel.yaml is imported only when the native composer is not there (k8slint._event_composer):
# it costs ~12 ms of every run's start. That module imports k8slint.yaml_values, never this one.


def _error_from_exception(exc: Exception) -> LoadError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    if problem:
        text = f"{context} {problem}" if context and "expected" in problem else problem
    else:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    line = column = 1
    if mark is not None:
        line, column = getattr(mark, "line", 0) + 1, getattr(mark, "column", 0) + 1
    elif hasattr(exc, "position"):  # ReaderError: a character offset only
        column = getattr(exc, "position", 0) + 1
    return LoadError(f"YAML syntax error: {text}", line, column, ends_stream=True)


# --- the native composer --------------------------------------------------------------------------
# k8slint/_k8slint_yaml.c, built into the wheel when libyaml and a C compiler are there (see
# hatch_build.py): the same composer in C, several times faster than _compose below. It calls back
# into the helpers here for rare cases, so both give the same values, positions and problems
# (tests/test_native_loader.py compares them). K8SLINT_PURE_YAML or K8SLINT_NO_NATIVE switch it off.
_NATIVE_API_VERSION = 8
try:
    if os.environ.get("K8SLINT_PURE_YAML") or os.environ.get("K8SLINT_NO_NATIVE"):
        raise ImportError("native composer switched off")
    import _k8slint_yaml as _native

    if getattr(_native, "API_VERSION", None) != _NATIVE_API_VERSION:  # pragma: no cover - a stale build
        raise ImportError("stale native composer")
    HAVE_NATIVE = True
    NATIVE_STATUS = "native YAML composer (libyaml, C) in use"
except ImportError as exc:
    _native = None
    HAVE_NATIVE = False
    # for `k8slint --version`: why YAML is composed in Python (a lint takes up to ~2x as long)
    NATIVE_STATUS = ("pure-Python YAML composer: " + (
        str(exc) if str(exc) in ("native composer switched off", "stale native composer")
        else "the native composer was not built with this installation (see the build log: "
             "it needs a C compiler, Python's headers and libyaml's, e.g. libyaml-dev)"))


def native_function(name: str):
    """A function of the native module (None without it), for other modules' hot paths."""
    return getattr(_native, name, None)


# What the native composer calls back into, in the order its Stream expects.
_NATIVE_HELPERS = (YMap, YSeq, _SPECIAL, resolve_plain, _resolve_tagged, key_string, _duplicate_key, _merge,
                   _scalar_document_message)


def _compose_native(text: str, index: int):
    for item in _native.Stream(text, index, _NATIVE_HELPERS, MAX_DEPTH, MAX_ALIAS_EXPANSION, MAX_ALIAS_RATIO):
        kind = item[0]
        if kind == 0:
            yield Document(item[1], item[2], item[3], item[4], tuple(item[5]) if item[5] else ())
        elif kind == 3:
            yield _error_from_exception(_libyaml_exception(*item[1:]))
        else:
            yield LoadError(item[1], item[2], item[3], ends_stream=kind == 2)


def _libyaml_exception(error: int, problem, line, column, context, context_line, context_column, offset,
                       value) -> Exception:
    """The exception ruamel.yaml's C parser raises for the same libyaml error."""
    from ruamel.yaml.error import StreamMark
    from ruamel.yaml.parser import ParserError
    from ruamel.yaml.reader import ReaderError
    from ruamel.yaml.scanner import ScannerError

    if error == 2:  # YAML_READER_ERROR
        return ReaderError("<unicode string>", offset, value, "?", problem)
    if error not in (3, 4):  # YAML_MEMORY_ERROR and anything unknown
        return MemoryError() if error == 1 else ValueError(problem or "YAML error")
    problem_mark = StreamMark("<unicode string>", 0, line, column) if problem is not None else None
    context_mark = StreamMark("<unicode string>", 0, context_line, context_column) if context is not None else None
    cls = ScannerError if error == 3 else ParserError
    return cls(context, context_mark, problem, problem_mark)


def compose(text: str, first_index: int = 0) -> Iterator[Union[Document, LoadError]]:
    """Compose every document of ``text``. Document-level problems (duplicate keys, aliases that
    explode, nesting too deep) become a LoadError for that document and composing goes on; a
    syntax error ends the stream with a LoadError (the caller may resume after it).
    """
    # The composer holds many objects and creates no cycles: the cyclic GC only costs time here.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield from (_compose_native if _native is not None else _compose)(text, first_index)
    except _DocumentProblem as problem:
        yield LoadError(str(problem), problem.mark.line + 1, problem.mark.column + 1, ends_stream=True)
    except Exception as exc:  # ruamel's scanner/parser/reader errors, whatever their class
        yield _error_from_exception(exc)
    finally:
        if gc_was_enabled:
            gc.enable()


def _compose(text: str, index: int):
    """The composer over ruamel.yaml's events: the reference for the native one, and the one used
    when it is not built (k8slint._event_composer)."""
    from k8slint._event_composer import compose_events

    return compose_events(text, index)


def compact(value):
    """A copy of a composed value whose positions are plain tuples instead of parser events.

    Cross-object rules keep small parts of documents until the end of a run; compacting lets the
    events (and the rest of the document) be freed and makes the value picklable for --jobs.
    """
    if isinstance(value, dict):
        out = YMap()
        marks = getattr(value, "marks", None) or {}
        out.marks = {}
        for k, v in value.items():
            out[k] = compact(v)
            pair = marks.get(k)
            if pair is not None:
                out.marks[k] = (span_of(pair[0]), span_of(pair[1]))
        return out
    if isinstance(value, list):
        out_seq = YSeq(compact(v) for v in value)
        marks = getattr(value, "marks", None) or []
        out_seq.marks = [span_of(m) for m in marks]
        return out_seq
    return value


def __getattr__(name: str):
    # HAVE_C_PARSER is known only once ruamel.yaml is imported, which a run does not otherwise need
    if name == "HAVE_C_PARSER":
        from k8slint import _event_composer

        return _event_composer.HAVE_C_PARSER
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
