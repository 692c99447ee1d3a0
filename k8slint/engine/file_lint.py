"""Linting one file: its documents, the objects in them (``kind: List`` items included), the
per-object rules and policies on each, and the inventory copies for the cross-object rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterator

from k8slint import catalog
from k8slint.engine.context import RuleContext, active_rules
from k8slint.engine.inventory import INVENTORY_TYPES, inventory_copy, kept_fields
from k8slint.engine.options import Options
from k8slint.findings import Finding, InputError, Note, Suppressions, locate
from k8slint.loader import Document
from k8slint.model import suppression_ids
from k8slint.model.objects import CustomResource, K8sObject, PodSource, Rollout, is_list_kind, make_object
from k8slint.rules import Rule, reported_ids
from k8slint.source import STDIN, SourceFile, documents, read_source
from k8slint.yaml_values import key_span as _key_span


@dataclass
class FileResult:
    """What linting one file gives: findings, errors, notes and its inventory copies."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    inventory: list[K8sObject] = field(default_factory=list)
    suppressions: Suppressions | None = None
    documents: int = 0


class RunRules:
    """The run's active rules as lint_source uses them, worked out once per run (or per batch of a
    worker process) instead of once per file: with files of two documents each, choosing the
    rules for every file took as long as running several of them."""

    __slots__ = ("object_rules", "set_rules", "kept", "_by_class")

    def __init__(self, options: Options) -> None:
        self.object_rules, self.set_rules = active_rules(options)
        self.kept = kept_fields(self.set_rules)  # pruned fields that a cross-object rule of this run reads
        self._by_class: dict[type, tuple] = {}

    def for_class(self, cls: type) -> tuple[tuple[str, Callable], ...]:
        """(id, check) of the per-object rules that look at objects of class ``cls``."""
        rules = self._by_class.get(cls)
        if rules is None:
            rules = self._by_class[cls] = tuple((r.id, r.check) for r in _rules_for(cls, self.object_rules))
        return rules


def lint_source(source: SourceFile, options: Options, run_rules: RunRules | None = None) -> FileResult:
    """Lint one decoded file with the per-object rules; collect its inventory entries.
    ``run_rules``: RunRules(options), when the caller lints several files."""
    result = FileResult()
    if source.note:
        result.notes.append(Note(source.path, source.note))
        return result
    if source.problem is not None:
        p = source.problem
        result.errors.append(InputError(source.path, p.line, p.column, p.message))
        return result
    suppressions = Suppressions(source.line_suppressions, source.file_suppressions)
    result.suppressions = suppressions
    if run_rules is None:
        run_rules = RunRules(options)
    keep_inventory = bool(run_rules.set_rules)
    kept = run_rules.kept
    # Inventory copies of files drop positions (set-rule findings re-read the file for them);
    # standard input cannot be read twice, so its copies keep them.
    lazy_positions = source.path != STDIN
    ctx = RuleContext(options, {source.path: suppressions})
    policies = options.policies
    not_objects: list[InputError] = []
    objects_seen = 0
    syntax_error = None
    # Strategic-merge patch directives can only be in patches; a cheap text test spares the walk.
    maybe_patches = _PATCH_DIRECTIVE_TEXT.search(source.text or "") is not None
    for item in documents(source):
        if not isinstance(item, Document):
            error = InputError(source.path, item.line, item.column, item.message)
            result.errors.append(error)
            if item.ends_stream and syntax_error is None:
                syntax_error = error
            continue
        result.documents += 1
        directive = _patch_directive(item.root) if maybe_patches else None
        if directive is not None:
            result.notes.append(Note(source.path, (
                f"document at line {item.line} is a strategic-merge patch ({directive}), not a complete "
                f"object: skipped (lint the output of `kustomize build` instead)")))
            continue
        duplicates = _duplicate_paths(item) if item.duplicates else None
        for position, (obj, problem) in enumerate(_objects(item, source.path)):
            if problem is not None:
                not_objects.append(problem)
                continue
            objects_seen += 1
            if duplicates:
                where = () if obj.root is item.root else ("items", position)
                obj.duplicate_keys = tuple((path[len(where):], record) for path, record in duplicates
                                           if path[:len(where)] == where)
            _check_object(obj, run_rules.for_class(type(obj)), ctx)
            for policy in policies:
                try:
                    policy.check(obj, ctx)
                except Exception as exc:  # like a rule bug: report it, keep linting
                    ctx.failed(obj, exc, f"policy {policy.id}")
            if keep_inventory and isinstance(obj, INVENTORY_TYPES):
                where = () if obj.root is item.root else ("items", position)
                # The copies' findings are placed by reading the document again (locate_deferred):
                # with its offset only up to their fields, which is right only where no key is
                # written twice (composing keeps the last value); such documents are found again by
                # their line and read whole.
                offset = item.offset if not item.duplicates else -1
                if isinstance(obj, (PodSource, Rollout)):  # in full as a custom resource too (its CRD
                    # may be among the linted files); an operator's input is otherwise only its
                    # identity and pod labels, a Rollout a workload
                    full = CustomResource(obj.root, obj.file, obj.doc_index, obj.doc_line)
                    result.inventory.append(inventory_copy(full, where, lazy_positions, offset, kept))
                    if isinstance(obj, PodSource):
                        obj = obj.identity_only()
                result.inventory.append(inventory_copy(obj, where, lazy_positions, offset, kept))
    if not_objects:
        if objects_seen == 0 and not result.errors:
            first = not_objects[0]
            result.errors.append(InputError(
                source.path, first.line, first.column,
                "not a Kubernetes manifest: no document has both apiVersion and kind"))
        else:
            result.errors.extend(not_objects)
    if objects_seen == 0 and syntax_error is not None and len(result.errors) > 1:
        # Nothing in the file could be read as an object: the syntax error explains the rest, so
        # the file gets one diagnostic that mentions the others.
        others = [e for e in result.errors if e is not syntax_error]
        also = "; ".join(f"line {e.line}: {e.message}" for e in others[:3]) + ("; ..." if len(others) > 3 else "")
        result.errors = [InputError(syntax_error.file, syntax_error.line, syntax_error.column,
                                    f"{syntax_error.message} (also: {also})", rule=syntax_error.rule)]
    result.findings = ctx.findings
    if source.suppression_ids and suppression_ids.RULE in options.enabled:
        result.findings.extend(_unknown_comment_ids(source, options, suppressions))
    result.errors.extend(ctx.errors)
    result.notes.extend(ctx.notes)
    return result


def _duplicate_paths(document: Document) -> list[tuple[tuple, object]]:
    """(field path, DuplicateKey) for each key the composer saw twice: the path of the key whose
    mark is the second occurrence (the composed mapping keeps the last value and its mark). Only
    documents with duplicates are walked."""
    wanted = {(d.line, d.column): d for d in document.duplicates}
    found, stack = [], [((), document.root)]
    while stack and wanted:
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                record = wanted.get(tuple((_key_span(value, key) or (0, 0))[:2]))
                if record is not None and record.key == key:
                    found.append((path + (key,), record))
                    del wanted[(record.line, record.column)]
                if isinstance(item, (dict, list)):
                    stack.append((path + (key,), item))
        elif isinstance(value, list):
            stack.extend((path + (index,), item) for index, item in enumerate(value) if isinstance(item, (dict, list)))
    return sorted(found, key=lambda entry: (entry[1].line, entry[1].column))


def _unknown_comment_ids(source: SourceFile, options: Options, suppressions: Suppressions) -> list[Finding]:
    """unknown-suppression for ``# k8slint: disable=`` comments (the rule module checks the
    annotation; rules never see comments): one info finding per id no rule or policy reports."""
    known = set(reported_ids()) | {policy.id for policy in options.policies}
    rule_id = suppression_ids.RULE
    level = options.severities.get(rule_id) or catalog.default_severity(rule_id)
    found = []
    for line, column, end_column, name in source.suppression_ids:
        for unknown, suggestion in suppression_ids.unknown_ids((name,), known):
            text, hint = suppression_ids.message(unknown, suggestion, "the k8slint suppression comment")
            finding = Finding(rule_id, level, text, source.path, line, column, line, end_column, hint=hint)
            if suppressions.suppresses(rule_id, line):
                finding.suppressed, finding.suppression = True, "comment"
            found.append(finding)
    return found


# Keys that only strategic-merge patches (kustomize patches, kubectl patch files) contain.
_PATCH_DIRECTIVE_TEXT = re.compile(r"\$(?:patch|retainKeys|setElementOrder/|deleteFromPrimitiveList/)")


def _patch_directive(root) -> str | None:
    """The first strategic-merge patch directive in a document (``$patch: delete``...), or None."""
    stack = [root]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and key[:1] == "$" and (key in ("$patch", "$retainKeys") or key.startswith(
                        ("$setElementOrder/", "$deleteFromPrimitiveList/"))):
                    return f"{key}: {item}" if key == "$patch" and isinstance(item, str) else key
                if isinstance(item, (dict, list)):
                    stack.append(item)
        elif isinstance(value, list):
            stack.extend(v for v in value if isinstance(v, (dict, list)))
    return None


def _objects(document: Document, path: str) -> list:
    """Objects of a document: itself, or the items of a ``kind: List``."""
    root = document.root
    if is_list_kind(root):
        return [_object_or_problem(item, path, document, ("items", index)) for index, item in enumerate(root["items"])]
    return [_object_or_problem(root, path, document, ())]


def _object_or_problem(root, path: str, document: Document, where: tuple):
    if isinstance(root, dict) and isinstance(root.get("apiVersion"), str) and root["apiVersion"] \
            and isinstance(root.get("kind"), str) and root["kind"]:
        return make_object(root, path, document.index, document.line), None
    (line, column, _, _), _ = locate(document.root, where)
    missing = [f for f in ("apiVersion", "kind") if not isinstance(root, dict) or not root.get(f)]
    what = " and ".join(missing)
    return None, InputError(path, line, column, f"not a Kubernetes object: {what} missing or not a string")


def _rules_for(cls: type, rules: list[Rule]) -> list[Rule]:
    """The rules whose kinds include ``cls`` or one of its bases."""
    names = frozenset(c.__name__ for c in cls.__mro__)
    return [r for r in rules if r.kinds is None or not r.kinds.isdisjoint(names)]


def _check_object(obj: K8sObject, rules: tuple[tuple[str, Callable], ...], ctx: RuleContext) -> None:
    findings = ctx.findings
    for rule_id, check in rules:
        ctx.rule_id = rule_id
        reported = len(findings)
        try:
            check(obj, ctx)
        except Exception as exc:  # a rule bug must not hide the other objects' findings
            del findings[reported:]  # as ctx.guard(obj) does, without an object per call
            ctx.failed(obj, exc)


# Files are read a batch ahead of linting them: a read between two files' rules (four system calls)
# left the caches cold for the next file's rules, which then ran slower than on the documents of
# one big file. Reading ahead took ~2-5% off a lint of 10,000 two-document files (benchmarks/bench.py,
# no-match 2-per-file). Bounded in files and in text held: it is for small files (a batch ends
# once it holds 1 Mi characters), so large files are read one at a time as before: with 16 Mi,
# the 100,000-document memory run (files of 4 MB) peaked ~19 MiB higher.
READ_AHEAD_FILES = 1024
READ_AHEAD_CHARS = 1024 * 1024


def lint_paths(paths: list[str], options: Options, run_rules: RunRules) -> Iterator[tuple[FileResult, str | None]]:
    """Lint each file, in order; with each result, the file's text when it will be read again
    (findings to show, inventory objects to locate findings on), for keep_text()."""
    start = 0
    while start < len(paths):
        sources, held = [], 0
        for path in paths[start:start + READ_AHEAD_FILES]:
            source = read_source(path, options.max_file_bytes)
            sources.append(source)
            held += len(source.text or "")
            if held > READ_AHEAD_CHARS:
                break
        start += len(sources)
        for source in sources:
            result = lint_source(source, options, run_rules)
            yield result, source.text if result.findings or result.inventory else None
