"""YAML events -> plain Python values that remember where each key and value came from.

Why not ruamel's own loaders: the round-trip loader runs at ~0.14 MB/s and the safe loader at
~0.2 MB/s, while the C parser (ruamel.yaml.clib) emits events at ~6-8 MB/s. This module is a small
composer over that event stream. It builds ordinary ``dict``/``list`` values (``YMap``/``YSeq``
subclasses) so rules and jsonschema can use them directly, and keeps each key's and value's
*event* beside it: an event holds its start and end marks, so a position costs nothing until a
finding asks for it. With the C extension absent the same composer runs on ruamel's pure-Python
parser, which yields the same event classes. The composer over events lives in
k8slint._event_composer; k8slint/_k8slint_yaml.c is the same composer in C, used when built.

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
import re
from dataclasses import dataclass
from typing import Iterator, Union

# ruamel.yaml is imported only when the native composer is not there (k8slint._event_composer):
# it costs ~12 ms of every run's start.

# Kubernetes objects are never this deep; a hostile file must not make a rule recurse forever.
MAX_DEPTH = 200
# go-yaml v2 refuses documents whose aliases expand far beyond their size ("excessive aliasing").
MAX_ALIAS_EXPANSION = 100_000
MAX_ALIAS_RATIO = 10

Span = tuple  # (line, column, end_line, end_column): 1-based, end column exclusive


class YMap(dict):
    """A mapping that remembers, per key, the key's and the value's source position."""

    __slots__ = ("marks",)


class YSeq(list):
    """A sequence that remembers each item's source position."""

    __slots__ = ("marks",)


def span_of(mark) -> Span:
    """Span of a stored mark: an event (positions still in its marks) or an already-compact span."""
    if type(mark) is tuple:  # (line, column, end_line, end_column[, text, style])
        return mark if len(mark) == 4 else mark[:4]
    start, end = mark.start_mark, mark.end_mark
    return (start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def _span(container, key, which: int) -> Span | None:
    """Span of a mapping's key (``which`` 0) or value (1), or of a sequence item."""
    marks = getattr(container, "marks", None)
    if marks is None:
        return None
    if isinstance(container, dict):
        pair = marks.get(key)
        return span_of(pair[which]) if pair else None
    return span_of(marks[key]) if 0 <= key < len(marks) else None


def key_span(container, key) -> Span | None:
    """Position of a mapping key (or of a sequence item)."""
    return _span(container, key, 0)


def value_span(container, key) -> Span | None:
    """Position of the value stored under ``key`` (a mapping key or a sequence index)."""
    return _span(container, key, 1)


def scalar_source(container, key) -> tuple[str, str] | None:
    """The (text, style) a scalar value was written with, before resolution; None if unknown."""
    marks = getattr(container, "marks", None)
    if marks is None:
        return None
    mark = marks.get(key, (None, None))[1] if isinstance(container, dict) else (
        marks[key] if 0 <= key < len(marks) else None)
    if type(mark) is tuple:
        return (mark[4], mark[5]) if len(mark) == 6 else None  # the native composer's scalar mark
    if mark is not None and isinstance(getattr(mark, "value", None), str):  # a ruamel ScalarEvent
        return mark.value, mark.style or ""
    return None


# --- scalar resolution (go-yaml v2 as used by sigs.k8s.io/yaml) -------------------------------

_SPECIAL: dict = {"": None, "~": None, "null": None, "Null": None, "NULL": None}
for _word in ("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"):
    _SPECIAL[_word] = True
for _word in ("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"):
    _SPECIAL[_word] = False
for _word in (".nan", ".NaN", ".NAN"):
    _SPECIAL[_word] = float("nan")
for _word in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"):
    _SPECIAL[_word] = float("inf")
for _word in ("-.inf", "-.Inf", "-.INF"):
    _SPECIAL[_word] = float("-inf")

_NUMBER_START = frozenset("0123456789+-.")
_OCTAL = re.compile(r"[-+]?0[0-7]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_INT64 = (-(2**63), 2**64 - 1)  # ParseInt, then ParseUint


def _resolve_number(text: str):
    plain = text.replace("_", "")
    try:
        value = int(plain, 0)
    except ValueError:
        if _OCTAL.match(plain):
            value = int(plain, 8)
        elif _FLOAT.match(plain):
            return float(plain)
        else:
            return text
    if _INT64[0] <= value <= _INT64[1]:
        return value
    return float(plain) if _FLOAT.match(plain) else text


def resolve_plain(text: str):
    """Resolve a plain (unquoted, untagged) scalar as Kubernetes' YAML decoder does."""
    if text[:1] in _NUMBER_START:
        special = _SPECIAL.get(text, text)
        return special if special is not text else _resolve_number(text)
    return _SPECIAL.get(text, text)


_TAG_PREFIX = "tag:yaml.org,2002:"
_STR_TAG = _TAG_PREFIX + "str"


def _resolve_tagged(text: str, tag: str):
    if tag in ("!", _TAG_PREFIX + "str"):
        return text
    value = resolve_plain(text)
    if tag == _TAG_PREFIX + "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if tag == _TAG_PREFIX + "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if tag == _TAG_PREFIX + "bool" and isinstance(value, bool):
        return value
    if tag == _TAG_PREFIX + "null" and value is None:
        return None
    return text  # unknown or mismatching tags: keep the text, as JSON conversion would


def key_string(value) -> str:
    """A resolved mapping key as the JSON object key Kubernetes ends up with."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    return str(value)


# --- errors and documents ------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadError:
    """A document (or the rest of a stream) that could not be turned into values."""

    message: str
    line: int
    column: int
    ends_stream: bool = False  # a syntax-level error: nothing after it in the stream was composed


@dataclass
class Document:
    """One YAML document of a stream: its root value and where it starts."""

    root: object
    index: int  # 0-based position of the document in its file
    line: int  # 1-based line of the document's first node
    offset: int = -1  # character offset of that line's start in the text (-1: unknown)


def _duplicate_key(key: str, marks: dict) -> str:
    first = marks.get(key)
    where = f" (first at line {span_of(first[0])[0]})" if first else ""
    return (f"duplicate key {key!r}{where}: kubectl silently keeps the last value, while kustomize "
            f"and other strict YAML parsers reject the document")


class _DocumentProblem(Exception):
    def __init__(self, message: str, mark) -> None:
        super().__init__(message)
        self.mark = mark


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
_NATIVE_API_VERSION = 5
try:
    if os.environ.get("K8SLINT_PURE_YAML") or os.environ.get("K8SLINT_NO_NATIVE"):
        raise ImportError("native composer switched off")
    import _k8slint_yaml as _native

    if getattr(_native, "API_VERSION", None) != _NATIVE_API_VERSION:  # pragma: no cover - a stale build
        raise ImportError("stale native composer")
    HAVE_NATIVE = True
except ImportError:
    _native = None
    HAVE_NATIVE = False


def native_function(name: str):
    """A function of the native module (None without it), for other modules' hot paths."""
    return getattr(_native, name, None)


def _scalar_document_message(value) -> str:
    return f"document is a {type(value).__name__} scalar, not a Kubernetes object"


def _compose_native(text: str, index: int):
    helpers = (YMap, YSeq, _SPECIAL, resolve_plain, _resolve_tagged, key_string, _duplicate_key, _merge,
               _scalar_document_message)
    for item in _native.Stream(text, index, helpers, MAX_DEPTH, MAX_ALIAS_EXPANSION, MAX_ALIAS_RATIO):
        kind = item[0]
        if kind == 0:
            yield Document(item[1], item[2], item[3], item[4])
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


def _merge(mapping: YMap, problems: list) -> None:
    """Apply a YAML merge key: merged keys never override keys written in the mapping itself."""
    sources = mapping.pop("<<")
    merge_mark = mapping.marks.pop("<<")
    if isinstance(sources, dict):
        sources = [sources]
    if not isinstance(sources, list) or not all(isinstance(s, dict) for s in sources):
        problems.append("merge key '<<' needs a mapping or a list of mappings")
        return
    for source in sources:
        for merged_key, merged_value in source.items():
            if merged_key not in mapping:
                mapping[merged_key] = merged_value
                source_marks = getattr(source, "marks", {})
                mapping.marks[merged_key] = source_marks.get(merged_key, merge_mark)


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
