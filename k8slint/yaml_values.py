"""What composing YAML produces, whichever composer runs: ``YMap``/``YSeq`` values that keep each
key's and value's mark beside it, documents, load errors, and scalar resolution the way
Kubernetes resolves scalars (see k8slint.loader). Both composers build these (the one over
ruamel.yaml's events in k8slint._event_composer, the native one in k8slint/_k8slint_yaml.c), and
the accessors here (spans, the text a scalar or key was written with) read either's marks, so
nothing downstream needs to know which composer ran.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


def key_source(mapping, key) -> str | None:
    """The text of a plain, untagged mapping key as written (None if quoted, tagged or unknown)."""
    pair = (getattr(mapping, "marks", None) or {}).get(key)
    mark = pair[0] if pair else None
    if type(mark) is tuple:  # the native composer keeps the text of plain keys that changed
        return mark[4] if len(mark) == 6 and not mark[5] else None
    # a ruamel ScalarEvent (the composer over events): plain and untagged only
    if not isinstance(getattr(mark, "value", None), str) or mark.style or mark.tag is not None:
        return None
    return mark.value


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


# Last characters that no int (any base), octal or float text ends with: quantities such as 100m,
# 128Mi or 2Gi are strings, known without the three failed parses (a raised ValueError each).
# Hex digits (a-f) are not among them; the words of _SPECIAL (.inf, .nan) are looked up before.
_NOT_A_NUMBER_END = frozenset("ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ")


def _resolve_number(text: str):
    if text[-1:] in _NOT_A_NUMBER_END:
        return text
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
    # Mapping keys written twice: DuplicateKey records. The composed value keeps the last one, as the
    # API server sees the object: kubectl converts YAML with sigs.k8s.io/yaml's non-strict YAMLToJSON,
    # which keeps the last value (kubernetes/kubernetes#125885).
    duplicates: tuple = ()


@dataclass(frozen=True)
class DuplicateKey:
    """A mapping key written a second time (at ``line``:``column``) after ``first_line``."""

    key: str
    first_line: int
    line: int
    column: int


def _duplicate_key(key: str, marks: dict, line: int, column: int) -> DuplicateKey:
    """The record of a key written again at ``line``:``column`` (1-based) in a mapping whose marks
    still hold the first occurrence (both composers call this before keeping the last value)."""
    first = marks.get(key)
    return DuplicateKey(key, span_of(first[0])[0] if first else 0, line, column)


def _scalar_document_message(value) -> str:
    return f"document is a {type(value).__name__} scalar, not a Kubernetes object"


class _DocumentProblem(Exception):
    def __init__(self, message: str, mark) -> None:
        super().__init__(message)
        self.mark = mark


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
