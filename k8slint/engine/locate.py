"""Locating findings of cross-object rules: their objects are inventory copies without positions,
so each file with such findings is read once more at the end of the run, and only the documents
concerned are read again."""

from __future__ import annotations

import itertools

from k8slint.findings import Suppressions, annotation_suppresses, locate
from k8slint.loader import Document, compose
from k8slint.model.objects import K8sObject
from k8slint.source import next_document_marker, text_again


def locate_deferred(deferred: list, suppressions: dict[str, Suppressions], max_bytes: int) -> None:
    """Give set-rule findings on position-free summaries their line and column.

    Each file with such findings is read once more, and only the documents concerned are composed
    again (from their first line to the next document marker). Should the file have changed in the
    meantime, a finding keeps the object's first line.
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
            begin = same_document[0][1].offset
            if begin < 0 or not text or begin > len(text) or (begin and text[begin - 1] != "\n"):
                if starts is None:
                    starts = _line_starts(text, entries[-1][1].doc_line) if text else []
                begin = starts[doc_line - 1] if text and doc_line <= len(starts) else None
            root = _composed_again(text, begin)
            for finding, obj, field_path in same_document:
                line, column, end_line, end_column = doc_line, 1, doc_line, 1
                where = obj.where
                if dig_same_object(root, where, obj) is not None:
                    line, column, end_line, end_column = locate(root, where + field_path)[0]
                    line, end_line = line + doc_line - 1, end_line + doc_line - 1
                finding.line, finding.column, finding.end_line, finding.end_column = line, column, end_line, end_column
                if finding.suppression == "comment":  # decided at the placeholder line: decide again
                    finding.suppressed, finding.suppression = False, None
                if not annotation_suppresses(obj, finding.rule) and file_suppressions is not None \
                        and file_suppressions.suppresses(finding.rule, line):
                    finding.suppressed, finding.suppression = True, "comment"


def _composed_again(text: str | None, begin: int | None):
    """The root of the document that starts at offset ``begin`` of ``text`` (None: not there)."""
    if not text or begin is None:
        return None
    end = next_document_marker(text, begin)
    for item in compose(text[begin:end if end is not None else len(text)]):
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
