"""Locating findings of cross-object rules: their objects are inventory copies without positions,
so each file with such findings is read once more at the end of the run, and only the documents
concerned are read again."""

from __future__ import annotations

import itertools

from k8slint.findings import Suppressions, annotation_suppresses, locate
from k8slint.loader import Document, compose, native_function
from k8slint.model.objects import FieldKey, FieldValue, K8sObject
from k8slint.source import next_document_marker, text_again
from k8slint.yaml_values import _SPECIAL, MAX_DEPTH, key_string, resolve_plain


def locate_deferred(deferred: list, suppressions: dict[str, Suppressions], max_bytes: int) -> None:
    """Give set-rule findings on position-free summaries their line and column, and decide their
    comment suppressions there (``ctx.report`` leaves them undecided).

    Each file with such findings is read once more, and only the documents concerned are read
    again (from their first line to the next document marker): by the native module's path_spans
    where it can tell (it reads just the paths asked for, and stops once they are placed in a
    document the first pass found at its offset: one without a key written twice), else by
    composing them. Should the file have changed in the meantime, a finding keeps the object's
    first line.
    """
    by_file: dict[str, list] = {}
    for entry in deferred:
        same_file = by_file.get(entry[1].file)
        if same_file is None:
            by_file[entry[1].file] = [entry]
        else:
            same_file.append(entry)
    for path, entries in by_file.items():
        text = text_again(path, max_bytes)
        # the native reader takes an ASCII file's whole text and the document's offset (no copy)
        in_place = _path_spans is not None and text is not None and text.isascii()
        starts = None  # line offsets, computed only for documents whose offset is unknown
        file_suppressions = suppressions.get(path)
        if file_suppressions is not None and not file_suppressions.by_line and not file_suppressions.file_wide:
            file_suppressions = None  # no suppression comment in the file
        # One document at a time (in file order), so memory stays that of one document.
        entries.sort(key=_doc_line)
        for doc_line, group in itertools.groupby(entries, key=_doc_line):
            same_document = list(group)
            begin = same_document[0][1].offset
            # where the first pass found the document, without a key written twice
            at_offset = 0 <= begin <= len(text) and (not begin or text[begin - 1] == "\n") if text else False
            if not at_offset:
                if starts is None:
                    starts = _line_starts(text, entries[-1][1].doc_line) if text else []
                begin = starts[doc_line - 1] if text and doc_line <= len(starts) else None
            if in_place and at_offset:
                spans = _native_spans(text, begin, same_document, stop_early=True)
            else:
                spans = _native_spans(_piece(text, begin), 0, same_document, stop_early=at_offset)
            if spans is None:  # path_spans cannot tell: compose the document
                root = _composed_again(_piece(text, begin))
                spans = [_composed_span(root, obj, field_path) for _, obj, field_path in same_document]
            first_line = doc_line - 1
            for (finding, obj, _), span in zip(same_document, spans):
                if span is None:  # not the same object any more
                    line = end_line = doc_line
                    column = end_column = 1
                else:
                    line, column, end_line, end_column = span
                    line += first_line
                    end_line += first_line
                finding.line, finding.column, finding.end_line, finding.end_column = line, column, end_line, end_column
                if file_suppressions is not None and file_suppressions.suppresses(finding.rule, line) \
                        and not annotation_suppresses(obj, finding.rule):
                    finding.suppressed, finding.suppression = True, "comment"


def _doc_line(entry: tuple) -> int:
    return entry[1].doc_line


def _piece(text: str | None, begin: int | None) -> str | None:
    """The document that starts at offset ``begin`` of ``text``, up to the next document marker."""
    if not text or begin is None:
        return None
    end = next_document_marker(text, begin)
    return text[begin:end if end is not None else len(text)]


def _composed_span(root, obj: K8sObject, field_path: tuple):
    """Span of the finding's field in the composed document (None: ``obj`` is not there)."""
    if dig_same_object(root, obj.where, obj) is None:
        return None
    return locate(root, obj.where + field_path)[0]


_path_spans = native_function("path_spans")


# What dig_same_object reads of the object at ``where``
_IDENTITY_PATHS = ((), ("kind",), ("apiVersion",), ("metadata", "name"), ("metadata", "generateName"))


def _resolve_key(text: str) -> str:
    return key_string(resolve_plain(text))


def _native_spans(text: str | None, begin: int, same_document: list, stop_early: bool = False) -> list | None:
    """What ``_composed_span`` gives for each finding of one document (the first of
    ``text[begin:]``: ``begin`` > 0 only in an ASCII text), from the native module's path_spans,
    which reads the paths asked for without composing the document. None where it cannot tell (no
    native module, or anchors, tags, merge or duplicate keys: compose instead). ``stop_early``: no
    key of the document is written twice (the first pass composed it), so path_spans may stop
    reading once every path is placed."""
    if _path_spans is None or text is None:
        return None
    if len(same_document) == 1:  # (most documents: one finding)
        _, obj, field_path = same_document[0]
        where = obj.where
        targets = [where + field_path, *([where + extra for extra in _IDENTITY_PATHS] if where else _IDENTITY_PATHS)]
        found = _path_spans(text, begin, targets, _resolve_key, _SPECIAL, FieldKey, FieldValue, MAX_DEPTH, stop_early)
        same = _same_object(obj, *found[1:]) if found is not None else None
        return None if same is None else [found[0][0] if same else None]
    targets = [obj.where + field_path for _, obj, field_path in same_document]
    places: dict = {}  # where -> position of its identity paths among the targets
    for _, obj, _ in same_document:
        if obj.where not in places:
            places[obj.where] = len(targets)
            targets += [obj.where + extra for extra in _IDENTITY_PATHS] if obj.where else _IDENTITY_PATHS
    found = _path_spans(text, begin, targets, _resolve_key, _SPECIAL, FieldKey, FieldValue, MAX_DEPTH, stop_early)
    if found is None:
        return None
    spans = []
    verdicts: dict = {}  # id of an object -> whether it is still the one at its place
    for (_, obj, _), (span, _) in zip(same_document, found):
        same = verdicts.get(id(obj))
        if same is None:
            at = places[obj.where]
            same = verdicts[id(obj)] = _same_object(obj, *found[at:at + 5])
            if same is None:
                return None
        spans.append(span if same else None)
    return spans


def _same_object(obj: K8sObject, own, kind, api_version, name, generate_name) -> bool | None:
    """dig_same_object from path_spans' (span, node) of the object's place, kind, apiVersion,
    metadata.name and metadata.generateName (None: a name that is a mapping or a list, whose
    emptiness only the composed document tells)."""
    if own[1] != "m" or _value(kind[1]) != obj.kind or _value(api_version[1]) != obj.api_version:
        return False
    name, generate_name = name[1], generate_name[1]
    if name in ("m", "q") or generate_name in ("m", "q"):
        return None
    name = _value(name) or _value(generate_name)
    return (name if isinstance(name, str) else "") == obj.name


def _value(node):
    """The composed value of a path_spans node: a scalar's (text, style) resolved as the composer
    does; None where there is no node; a mapping or a list ("m", "q") equals no string."""
    if type(node) is tuple:
        text, style = node
        return resolve_plain(text) if style == "" else text
    return None if node is None else ...


def _composed_again(piece: str | None):
    """The root of the first document of ``piece`` (None: not there)."""
    if piece is None:
        return None
    for item in compose(piece):
        return item.root if isinstance(item, Document) else None
    return None


def _line_starts(text: str, last_line: int) -> list[int]:
    """Offsets of the first ``last_line`` lines of ``text`` (index 0 is line 1)."""
    starts = [0]
    find = text.find
    offset = 0
    while len(starts) < last_line:
        offset = find("\n", offset) + 1
        if offset == 0:
            break
        starts.append(offset)
    return starts


def dig_same_object(root, where: tuple, obj: K8sObject):
    """The object at ``where`` in a freshly composed document, if it is still ``obj``."""
    from k8slint.model.objects import dig

    target = dig(root, where) if root is not None else None
    if not isinstance(target, dict) or target.get("kind") != obj.kind \
            or target.get("apiVersion") != obj.api_version:
        return None
    metadata = target.get("metadata")
    name = metadata.get("name") or metadata.get("generateName") if isinstance(metadata, dict) else None
    return target if (name if isinstance(name, str) else "") == obj.name else None
