"""Locating findings of cross-object rules: their objects are inventory copies without positions,
so each file with such findings is read once more at the end of the run, and only the documents
concerned are read again."""

from __future__ import annotations

import itertools

from k8slint.findings import Suppressions, annotation_suppresses, locate
from k8slint.loader import Document, compose, native_function
from k8slint.model.objects import FieldKey, FieldValue, K8sObject
from k8slint.source import next_document_marker, text_again
from k8slint.yaml_values import _SPECIAL, key_string, resolve_plain


def locate_deferred(deferred: list, suppressions: dict[str, Suppressions], max_bytes: int) -> None:
    """Give set-rule findings on position-free summaries their line and column.

    Each file with such findings is read once more, and only the documents concerned are read
    again (from their first line to the next document marker): by the native module's path_spans
    when it is built (it reads just the paths asked for), else by composing them. Should the file
    have changed in the meantime, a finding keeps the object's first line.
    """
    by_file: dict[str, list] = {}
    for entry in deferred:
        by_file.setdefault(entry[1].file, []).append(entry)
    for path, entries in by_file.items():
        text = text_again(path, max_bytes)
        starts = None  # line offsets, computed only for documents whose offset is unknown
        file_suppressions = suppressions.get(path)
        # One document at a time (in file order), so memory stays that of one document.
        entries.sort(key=lambda entry: entry[1].doc_line)
        for doc_line, group in itertools.groupby(entries, key=lambda entry: entry[1].doc_line):
            same_document = list(group)
            begin = same_document[0][1].root.offset
            if begin < 0 or not text or begin > len(text) or (begin and text[begin - 1] != "\n"):
                if starts is None:
                    starts = _line_starts(text, entries[-1][1].doc_line) if text else []
                begin = starts[doc_line - 1] if text and doc_line <= len(starts) else None
            document = _DocumentPositions(text, begin, [obj.root.where + field_path for _, obj, field_path in same_document],
                                          {obj.root.where for _, obj, _ in same_document})
            for finding, obj, field_path in same_document:
                line, column, end_line, end_column = doc_line, 1, doc_line, 1
                where = obj.root.where
                if document.same_object(where, obj):
                    line, column, end_line, end_column = document.span(where + field_path)
                    line, end_line = line + doc_line - 1, end_line + doc_line - 1
                finding.line, finding.column, finding.end_line, finding.end_column = line, column, end_line, end_column
                if finding.suppression == "comment":  # decided at the placeholder line: decide again
                    finding.suppressed, finding.suppression = False, None
                if not annotation_suppresses(obj, finding.rule) and file_suppressions is not None \
                        and file_suppressions.suppresses(finding.rule, line):
                    finding.suppressed, finding.suppression = True, "comment"


_path_spans = native_function("path_spans")


_IDENTITY_PATHS = (("kind",), ("apiVersion",), ("metadata", "name"), ("metadata", "generateName"))


def _resolve_key(text: str):
    return key_string(resolve_plain(text))


class _DocumentPositions:
    """Positions in one document read again: what ``findings.locate`` and ``dig_same_object``
    would give on the composed document, from the native path_spans where it can tell (no
    anchors, merges, tags or duplicate keys), else from the composed document itself."""

    def __init__(self, text, begin, paths: list, wheres: set) -> None:
        self.spans = self.root = None
        if not text or begin is None:
            return
        end = next_document_marker(text, begin)
        piece = text[begin:end if end is not None else len(text)]
        if _path_spans is not None:
            wanted = {()}
            for full in paths + [where + extra for where in wheres for extra in _IDENTITY_PATHS]:
                wanted.update(full[:n] for n in range(1, len(full) + 1))
            self.spans = _path_spans(piece, wanted, _resolve_key, _SPECIAL)
        if self.spans is None:
            for item in compose(piece):
                self.root = item.root if isinstance(item, Document) else None
                break

    def same_object(self, where: tuple, obj: K8sObject) -> bool:
        if self.spans is None:
            return dig_same_object(self.root, where, obj) is not None
        entry = self.spans.get(where)
        if entry is None or entry[3] != "m":
            return False
        if self._scalar(where + ("kind",)) != obj.kind or self._scalar(where + ("apiVersion",)) != obj.api_version:
            return False
        metadata = self.spans.get(where + ("metadata",))
        name = None
        if metadata is not None and metadata[3] == "m":
            name = self._scalar(where + ("metadata", "name")) or self._scalar(where + ("metadata", "generateName"))
        return (name if isinstance(name, str) else "") == obj.name

    def _scalar(self, path: tuple):
        entry = self.spans.get(path)
        if entry is None:
            return None
        if entry[3] != "s":
            return ...  # a mapping or list: equal to no string
        return resolve_plain(entry[4]) if entry[5] == "" else entry[4]

    def span(self, path: tuple) -> tuple:
        if self.spans is None:
            return locate(self.root, path)[0]
        span = None
        for depth in range(1, len(path) + 1):
            entry = self.spans.get(path[:depth])
            if entry is None:
                break
            key_span, value_span, first_key, kind = entry[0], entry[1], entry[2], entry[3]
            if self.spans[path[:depth - 1]][3] == "m":
                step_type = type(path[depth - 1])  # a FieldKey points at the key, a FieldValue at the value
                span = value_span if (kind == "s" and step_type is not FieldKey) or step_type is FieldValue \
                    else key_span
            else:
                span = first_key if kind == "m" and first_key is not None else value_span
        if span is None:
            span = self.spans[()][2]  # the document's first key
        return span or (1, 1, 1, 1)


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
