"""Findings: what a rule reports, where (field path -> line:column), and whether it is suppressed."""

from __future__ import annotations

from dataclasses import dataclass, field

from k8slint.yaml_values import key_span, value_span
from k8slint.model.objects import FieldKey, FieldValue, K8sObject, Path, format_path

SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1}

IGNORE_ANNOTATION = "k8slint.io/ignore"
PARSE_ERROR = "parse-error"


@dataclass(slots=True)
class Finding:
    """One finding: a rule's claim about a place in a file."""

    rule: str
    severity: str
    message: str
    file: str
    line: int
    column: int
    end_line: int
    end_column: int  # exclusive, like SARIF's endColumn
    api_version: str = ""
    kind: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""
    hint: str = ""
    suppressed: bool = False
    suppression: str | None = None  # "annotation" | "comment" | None
    doc_index: int = 0
    baseline_state: str | None = None  # with a baseline: "new" or "unchanged" (k8slint.baseline)
    template: str = ""  # Helm: the template a "# Source:" comment names (k8slint.helm)
    doc_line: int = 0  # line of the object's document (the fixer finds the object by it)
    fix: object = None  # k8slint.model.fixes.Fix the rule offers, or None
    fix_edits: list | None = None  # its text edits as report dicts (k8slint.fixer.describe_fixes)

    def sort_key(self):
        return (self.line, self.column, self.rule, self.message)

    def to_dict(self) -> dict:
        item = {
            "rule": self.rule, "severity": self.severity, "message": self.message, "file": self.file,
            "line": self.line, "column": self.column, "end_line": self.end_line,
            "end_column": self.end_column, "api_version": self.api_version, "kind": self.kind,
            "namespace": self.namespace, "name": self.name, "path": self.path,
            "suppressed": self.suppressed, "suppression": self.suppression, "hint": self.hint,
            **({"template": self.template} if self.template else {}),
            **({"baseline_state": self.baseline_state} if self.baseline_state else {}),
        }
        if self.fix_edits is not None:  # a fix the rule offers, as text edits (fixer.describe_fixes)
            item["fix"] = {"description": self.fix.description, "safety": self.fix.safety, "edits": self.fix_edits}
        return item


@dataclass
class InputError:
    """A file or document that could not be read or parsed (exit code 2)."""

    file: str
    line: int
    column: int
    message: str
    rule: str = PARSE_ERROR

    def to_dict(self) -> dict:
        return {"rule": self.rule, "file": self.file, "line": self.line, "column": self.column,
                "message": self.message}


@dataclass
class Note:
    """Something the run did not check, said once: not a finding (never counted, baselined,
    suppressed, nor part of the exit code).

    Either a file skipped on purpose (kustomization.yaml, Chart.yaml: ``rule`` empty), or a note of
    a rule (``ctx.note``): one per rule and ``key`` for the whole run, with how many times it came up
    (``count``) and where it first did (``file``, ``line``, ``column``; line 0 when unknown)."""

    file: str
    message: str
    line: int = 0
    column: int = 0
    rule: str = ""
    key: str = ""
    count: int = 1

    def sort_key(self, order: dict) -> tuple:
        return (order.get(self.file, len(order)), self.line, self.column, self.rule, self.key)

    def to_dict(self) -> dict:
        if not self.rule:
            return {"file": self.file, "message": self.message}
        return {"file": self.file, "message": self.message, "line": self.line, "column": self.column,
                "rule": self.rule, "key": self.key, "count": self.count}


def merge_notes(notes: list[Note], order: dict) -> list[Note]:
    """Rule notes of every file and process of a run, one per (rule, key): their counts summed,
    the first in input order kept (``order``: file -> position), so that the notes are the same
    whatever ``--jobs`` is. File notes stay one per file, first."""
    merged: dict[tuple, Note] = {}
    files = []
    for note in notes:
        if not note.rule:
            files.append(note)
            continue
        ident = (note.rule, note.key)
        kept = merged.get(ident)
        if kept is None:
            merged[ident] = Note(note.file, note.message, note.line, note.column, note.rule, note.key, note.count)
            continue
        count = kept.count + note.count
        if note.sort_key(order) < kept.sort_key(order):
            kept.file, kept.message, kept.line, kept.column = note.file, note.message, note.line, note.column
        kept.count = count
    return files + sorted(merged.values(), key=lambda n: n.sort_key(order))


def locate(root, path: Path) -> tuple[tuple[int, int, int, int], Path]:
    """Span of ``path`` inside ``root`` and the part of the path that exists.

    A scalar points at its value; a mapping or list under a key points at the key (at the value
    when the step is a ``FieldValue``; a ``FieldKey`` step always points at the key); a list item
    that is a mapping points at its first key (``- name: web`` points at ``name``). A path that
    does not exist points at its nearest existing parent.
    """
    container = root
    found: Path = ()
    span = None
    for step in path:
        if isinstance(container, dict) and not isinstance(step, int) and step in container:
            value = container[step]
            if type(step) is FieldKey:
                span = key_span(container, step)
            elif type(step) is FieldValue or not isinstance(value, (dict, list)):
                span = value_span(container, step)
            else:
                span = key_span(container, step)
        elif isinstance(container, list) and isinstance(step, int) and 0 <= step < len(container):
            value = container[step]
            span = value_span(container, step)
            if isinstance(value, dict) and value:
                first = next(iter(value))
                span = key_span(value, first) or span
        else:
            break
        container = value
        found += (step,)
    if span is None:  # the document itself: point at its first key
        if isinstance(root, dict) and root:
            span = key_span(root, next(iter(root)))
    return (span or (1, 1, 1, 1)), found


@dataclass
class Suppressions:
    """Where findings may be switched off: inline comments of a file."""

    by_line: dict = field(default_factory=dict)
    file_wide: frozenset = frozenset()

    def suppresses(self, rule: str, line: int) -> bool:
        if rule in self.file_wide or "*" in self.file_wide:
            return True
        rules = self.by_line.get(line)
        return bool(rules) and (rule in rules or "*" in rules)


def annotation_suppresses(obj: K8sObject, rule: str) -> bool:
    # obj.annotations without its two property calls: asked for every finding
    metadata = obj.root.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    value = annotations.get(IGNORE_ANNOTATION) if isinstance(annotations, dict) else None
    if not isinstance(value, str):
        return False
    ids = {part.strip() for part in value.split(",")}
    return rule in ids or "*" in ids or "all" in ids


MAX_MESSAGE_CHARS = 1000  # a finding's message is cut in the middle beyond this


def make_finding(obj: K8sObject, path: Path, rule: str, severity: str, message: str, hint: str,
                 suppressions: Suppressions | None, fix=None, span: tuple | None = None) -> Finding:
    """The finding at ``path`` of ``obj``; ``span`` is its position when the caller already knows
    it (else it is looked up in ``obj``'s composed document)."""
    line, column, end_line, end_column = span or locate(obj.root, path)[0]
    if len(message) > MAX_MESSAGE_CHARS:  # a value from the input quoted whole (a 5,000-digit number)
        message = message[:MAX_MESSAGE_CHARS * 2 // 3] + " [...] " + message[-MAX_MESSAGE_CHARS // 4:]
    finding = Finding(rule, severity, message, obj.file, line, column, end_line, end_column,
                      obj.api_version, obj.kind, obj.namespace, obj.name, format_path(path), hint,
                      doc_index=obj.doc_index, doc_line=obj.doc_line, fix=fix)
    if annotation_suppresses(obj, rule):
        finding.suppressed, finding.suppression = True, "annotation"
    elif suppressions is not None and suppressions.suppresses(rule, line):
        finding.suppressed, finding.suppression = True, "comment"
    return finding
