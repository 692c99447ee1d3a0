"""One lint run: files -> documents -> objects -> rules -> findings, in one direction.

Per-object rules run while documents stream by; cross-object ("set") rules see an inventory of
compact copies of the objects they care about, filled as the files are read and checked once at
the end. With ``jobs > 1`` files are linted in worker processes and only findings and compact
inventory entries travel back, so output is identical to a single-process run.
"""

from __future__ import annotations

import gc
import itertools
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Iterable

from k8slint import catalog
from k8slint import source as source_module
from k8slint.findings import Finding, InputError, Note, Suppressions, annotation_suppresses, locate, make_finding
from k8slint.loader import Document, compact, compose, native_function
from k8slint.yaml_values import key_span as _key_span
from k8slint.model.objects import (
    HorizontalPodAutoscaler, K8sObject, Node, PodDisruptionBudget, PodSource, Service, Workload,
    is_list_kind, make_object,
)
from k8slint.model import suppression_ids
from k8slint.model.versions import NEWEST
from k8slint.rules import OBJECT, SET, Rule, all_rules, reported_ids
from k8slint.yaml_values import _SPECIAL, key_string, resolve_plain
from k8slint.source import (
    DEFAULT_MAX_FILE_BYTES, STDIN, SourceFile, discover, documents, forget_kustomizations, forget_texts, keep_text,
    next_document_marker, read_source, text_again,
)

INTERNAL_ERROR = "internal-error"
_INVENTORY_TYPES = (Workload, Service, PodDisruptionBudget, HorizontalPodAutoscaler, Node, PodSource)


@dataclass
class Options:
    enabled: frozenset[str]  # rule ids to report
    severities: dict[str, str] = field(default_factory=dict)  # per-rule overrides
    params: dict[str, dict] = field(default_factory=dict)  # per-rule parameters
    cluster: object | None = None  # k8slint.model.cluster.Cluster from --cluster/--nodes/config
    jobs: int = 1
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    excludes: tuple[str, ...] = ()
    exclude_base: str | None = None  # directory the exclude globs are relative to (the config's)
    policies: tuple = ()  # custom policies (k8slint.policies), checked like per-object rules
    kubernetes_version: tuple[int, int] = NEWEST  # the run's target release (k8slint.model.versions)
    follow_symlinks: bool = False  # follow links in linted directories that lead out of them


@dataclass
class Inventory:
    """Compact copies of the objects cross-object rules reason about, in input order."""

    objects: list[K8sObject] = field(default_factory=list)

    def of(self, *types: type) -> list:
        return [obj for obj in self.objects if isinstance(obj, types)]

    @property
    def workloads(self) -> list[Workload]:
        return self.of(Workload)

    @property
    def nodes(self) -> list[Node]:
        return self.of(Node)


_PER_OBJECT = object()  # the cluster of a per-object rule's context: not known yet


class RuleContext:
    """What a rule may use: its parameters, the cluster, and ``report()``, its one way to report.

    ``guard(obj)`` isolates one object's work in a cross-object rule: an exception inside it
    costs only that object's findings from that rule, recorded as an internal error."""

    def __init__(self, options: Options, suppressions: dict[str, Suppressions], cluster=_PER_OBJECT) -> None:
        self.options = options
        self._cluster = cluster
        # The target Kubernetes release, (major, minor): compare with < and >=, look feature gates
        # up with k8slint.model.versions.gate_state.
        self.kubernetes_version = options.kubernetes_version
        self._suppressions = suppressions
        self.rule_id = ""
        self.findings: list[Finding] = []
        self.errors: list[InputError] = []  # internal errors of rules, each on the object it failed on
        self._params: dict[str, dict] = {}
        # set-rule findings on position-free inventory summaries: located at the end of the run
        self.deferred: list[tuple[Finding, K8sObject, tuple]] = []

    @property
    def cluster(self):
        """The cluster of the run (``--cluster``/``--nodes``/config, else the Node objects among the
        linted files, else None): known only once every file is read, so only cross-object rules
        may ask; every one of them sees the same."""
        if self._cluster is _PER_OBJECT:
            raise RuntimeError("ctx.cluster is for cross-object rules (scope=SET): Node objects anywhere in "
                               "the run are part of the cluster")
        return self._cluster

    @property
    def params(self) -> dict:
        # Computed once per rule id and run (a rule may read it per object); a copy so that a
        # rule changing its dict cannot leak into the next object.
        cached = self._params.get(self.rule_id)
        if cached is None:
            cached = {p["name"]: p.get("default") for p in catalog.metadata(self.rule_id).get("parameters", [])
                      if isinstance(p, dict) and "name" in p}
            cached.update(self.options.params.get(self.rule_id, {}))
            self._params[self.rule_id] = cached
        return dict(cached)

    def enabled(self, rule_id: str) -> bool:
        """Whether ``rule_id`` is reported in this run: a check that reports several ids skips the
        work of each disabled one."""
        return rule_id in self.options.enabled

    def report(self, obj: K8sObject, path: tuple, message: str, hint: str | None = None,
               rule: str | None = None, severity: str | None = None, fix=None) -> None:
        """Report ``message`` about ``obj`` at field ``path`` (nothing when the id is disabled).
        ``rule`` names another id of the same check (declared in ``also_reports``); ``severity``
        overrides the catalogue default for findings whose weight depends on the case (the config's
        per-rule severity still wins); ``hint`` defaults to the catalogue's. ``fix`` is the fix the
        rule offers (k8slint.model.fixes), only where the right change is certain."""
        rule_id = rule or self.rule_id
        if rule_id not in self.options.enabled:
            return
        level = self.options.severities.get(rule_id) or severity or catalog.default_severity(rule_id)
        if hint is None:
            hint = catalog.metadata(rule_id).get("hint") or ""
        found = make_finding(obj, path, rule_id, level, message, hint, self._suppressions.get(obj.file), fix)
        if type(obj.root) is Summary:  # no positions kept: _locate_deferred() fills them in
            self.deferred.append((found, obj, tuple(path)))
        self.findings.append(found)

    def guard(self, obj: K8sObject) -> "_ObjectGuard":
        """``with ctx.guard(obj):`` around one object's work in a cross-object rule."""
        return _ObjectGuard(self, obj)

    def failed(self, obj: K8sObject, exc: Exception, what: str | None = None) -> None:
        """Record that ``what`` (the current rule) failed on ``obj``: an internal error at the object."""
        what = what or f"rule {self.rule_id}"
        self.errors.append(InputError(
            obj.file, obj.doc_line, 1,
            f"{what} failed on {obj.kind} {obj.display_name}: {type(exc).__name__}: {exc}", rule=INTERNAL_ERROR))


class _ObjectGuard:
    """One object's work in a rule: on an exception, its findings so far are taken back and an
    internal error naming the file, the object and the rule takes their place."""

    __slots__ = ("ctx", "obj", "findings", "deferred")

    def __init__(self, ctx: RuleContext, obj: K8sObject) -> None:
        self.ctx, self.obj = ctx, obj

    def __enter__(self) -> None:
        self.findings, self.deferred = len(self.ctx.findings), len(self.ctx.deferred)

    def __exit__(self, kind, exc, traceback) -> bool:
        if exc is None or not isinstance(exc, Exception):
            return False
        del self.ctx.findings[self.findings:]
        del self.ctx.deferred[self.deferred:]
        self.ctx.failed(self.obj, exc)
        return True


@dataclass
class FileResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    inventory: list[K8sObject] = field(default_factory=list)
    suppressions: Suppressions | None = None
    documents: int = 0


class _Batch:
    """The results of a batch of files, as they travel from a worker process to this one (--jobs).

    The inventory copies are plain dicts and lists: marshal packs and unpacks them several times
    faster than pickle, and in one piece per batch its references share the strings that the
    worker's copies already share (half the bytes of one piece per file). The unpacking runs in
    this process while the workers still need both cores, so every byte counts."""

    def __init__(self, results: list[FileResult], texts: dict[str, str] | None = None) -> None:
        self.results = results
        self.texts = texts or {}  # small files' texts, for this process's second look (keep_text)

    def __getstate__(self) -> dict:
        import marshal

        packed, counts = [], []
        for result in self.results:
            inventory = result.inventory
            if inventory and not all(type(obj.root) is Summary for obj in inventory):
                counts.append(-1)  # copies that keep positions (standard input): pickled as they are
                continue
            counts.append(len(inventory))
            packed.extend((type(obj).__name__, dict(obj.root), obj.file, obj.doc_index, obj.doc_line,
                           obj.root.where, obj.root.offset) for obj in inventory)
        results = [FileResult(**{**r.__dict__, "inventory": r.inventory if n < 0 else []})
                   for r, n in zip(self.results, counts)]
        return {"results": results, "counts": counts, "inventory": marshal.dumps(packed), "texts": self.texts}

    def __setstate__(self, state: dict) -> None:
        import marshal

        classes = _object_classes()
        entries = iter(marshal.loads(state["inventory"]))
        for result, count in zip(state["results"], state["counts"]):
            for _ in range(max(count, 0)):
                name, root, file, doc_index, doc_line, where, offset = next(entries)
                summary = Summary(root)
                summary.where, summary.offset = where, offset
                result.inventory.append(classes[name](summary, file, doc_index, doc_line))
        self.results = state["results"]
        self.texts = state["texts"]


def _object_classes() -> dict[str, type]:
    """K8sObject and its subclasses by class name (they are unique)."""
    found, pending = {}, [K8sObject]
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    return found


@dataclass
class RunResult:
    findings: list[Finding]
    errors: list[InputError]
    notes: list[Note]
    files: int
    documents: int
    policies: tuple = ()  # the custom policies that ran (their metadata goes into SARIF rules[])
    baselined: int | None = None  # with a baseline: findings it matched (k8slint.baseline.apply)
    baseline_absent: int = 0  # baseline entries no finding matched any more (fixed since)


def _active(options: Options) -> tuple[list[Rule], list[Rule]]:
    # once per set of enabled ids, not once per file (runs over many small files call it a lot)
    registry = all_rules()
    key = (options.enabled, len(registry))
    cached = _ACTIVE.get(key)
    if cached is None:
        rules = [r for r in registry.values() if any(i in options.enabled for i in r.ids)]
        cached = _ACTIVE[key] = ([r for r in rules if r.scope == OBJECT], [r for r in rules if r.scope == SET])
    return cached


_ACTIVE: dict[tuple, tuple[list[Rule], list[Rule]]] = {}


def lint_source(source: SourceFile, options: Options) -> FileResult:
    """Lint one decoded file with the per-object rules; collect its inventory entries."""
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
    object_rules, set_rules = _active(options)
    keep_inventory = bool(set_rules)
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
            _check_object(obj, object_rules, ctx)
            for policy in policies:
                try:
                    policy.check(obj, ctx)
                except Exception as exc:  # like a rule bug: report it, keep linting
                    ctx.failed(obj, exc, f"policy {policy.id}")
            if keep_inventory and isinstance(obj, _INVENTORY_TYPES):
                where = () if obj.root is item.root else ("items", position)
                if isinstance(obj, PodSource):  # an operator's input: only its identity and pod labels
                    obj = obj.identity_only()
                result.inventory.append(_inventory_copy(obj, where, lazy_positions, item.offset))
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


def _objects(document: Document, path: str):
    """Objects of a document: itself, or the items of a ``kind: List``."""
    root = document.root
    if is_list_kind(root):
        for index, item in enumerate(root["items"]):
            yield _object_or_problem(item, path, document, ("items", index))
        return
    yield _object_or_problem(root, path, document, ())


def _object_or_problem(root, path: str, document: Document, where: tuple):
    if isinstance(root, dict) and isinstance(root.get("apiVersion"), str) and root["apiVersion"] \
            and isinstance(root.get("kind"), str) and root["kind"]:
        return make_object(root, path, document.index, document.line), None
    (line, column, _, _), _ = locate(document.root, where)
    missing = [f for f in ("apiVersion", "kind") if not isinstance(root, dict) or not root.get(f)]
    what = " and ".join(missing)
    return None, InputError(path, line, column, f"not a Kubernetes object: {what} missing or not a string")


# (object class, id of a rule list) -> (that list, its rules for that class). The entry holds the
# list, so its id cannot be reused while the entry exists.
_RULES_BY_CLASS: dict[tuple, tuple[list[Rule], list[Rule]]] = {}


def _check_object(obj: K8sObject, rules: list[Rule], ctx: RuleContext) -> None:
    key = (type(obj), id(rules))
    entry = _RULES_BY_CLASS.get(key)
    if entry is None or entry[0] is not rules:  # once per class and rule set, not per object
        names = frozenset(c.__name__ for c in type(obj).__mro__)
        entry = _RULES_BY_CLASS[key] = (rules, [r for r in rules if r.kinds is None or not r.kinds.isdisjoint(names)])
    for rule in entry[1]:
        ctx.rule_id = rule.id
        reported = len(ctx.findings)
        try:
            rule.check(obj, ctx)
        except Exception as exc:  # a rule bug must not hide the other objects' findings
            del ctx.findings[reported:]  # as ctx.guard(obj) does, without an object per call
            ctx.failed(obj, exc)


class Summary(dict):
    """Root of an inventory copy without positions. ``where`` is the object's path inside its
    document: ``()``, or ``("items", n)`` for an item of a ``kind: List``; ``offset`` is where the
    document's first line starts in the file's text (-1: unknown)."""

    __slots__ = ("where", "offset")


# Strings and containers already copied in this process, shared by the copies that follow (reset
# by run()): the inventory holds one copy of "kubernetes.io/hostname", and one of each identical
# toleration, probe, resources or affinity block, however many workloads repeat them. Both tables
# are bounded: sharing saves memory, and a table that grew with the input would cost it back.
_SHARED_STRINGS: dict = {}
_SHARED_CONTAINERS: dict = {}  # structural hash -> the first copy with that content
_SHARED_TABLE_LIMIT = 200_000

# Fields no cross-object rule reads, dropped from inventory copies (a test runs every rule on the
# fixtures with and without this pruning and compares the findings). "*" applies to list items.
_DROPPED_CONTAINER_FIELDS = dict.fromkeys((
    "env", "envFrom", "volumeMounts", "volumeDevices", "lifecycle", "securityContext",
    "livenessProbe", "imagePullPolicy", "terminationMessagePath", "terminationMessagePolicy", "workingDir",
    "stdin", "stdinOnce", "tty"), True)
_DROPPED_POD_SPEC_FIELDS = {
    **dict.fromkeys(("volumes", "terminationGracePeriodSeconds", "serviceAccountName", "serviceAccount",
                     "automountServiceAccountToken", "imagePullSecrets", "dnsConfig", "securityContext",
                     "hostAliases"), True),
    **{section: {"*": _DROPPED_CONTAINER_FIELDS}
       for section in ("containers", "initContainers", "ephemeralContainers")},
}
_K8SLINT_ANNOTATIONS_ONLY = object()  # keep only k8slint.io/ annotations (the ignore annotation)
_DROP_SPECS: dict[type, dict] = {}
_native_copy = native_function("shared_copy")


def _drop_spec(obj: K8sObject) -> dict:
    """What to leave out of the inventory copy of an object of this class."""
    cls = type(obj)
    spec = _DROP_SPECS.get(cls)
    if spec is None:
        annotations = True if isinstance(obj, HorizontalPodAutoscaler) else _K8SLINT_ANNOTATIONS_ONLY
        spec = {"status": True, "metadata": {"managedFields": True, "annotations": annotations}}
        if isinstance(obj, HorizontalPodAutoscaler):  # its metrics may live in annotations (v1)
            del spec["metadata"]["annotations"]
        if isinstance(obj, Workload):
            template = spec
            for step in obj.TEMPLATE_PATH:
                template = template.setdefault(step, {})
            if obj.TEMPLATE_PATH:  # a Pod's own metadata stays as it is
                template["metadata"] = {"annotations": True}
            template["spec"] = _DROPPED_POD_SPEC_FIELDS
        _DROP_SPECS[cls] = spec
    return spec


def _inventory_copy(obj: K8sObject, where: tuple = (), lazy_positions: bool = True,
                    offset: int = -1) -> K8sObject:
    """A compact copy of ``obj`` without the fields no cross-object rule reads.

    Memory (measured with benchmarks/bench.py): copies that keep every position as tuples cost
    ~45 KB per Deployment; without positions, with shared strings and containers, a few KB.
    Positions of set-rule findings are found again at the end of the run (_locate_deferred).
    """
    if not lazy_positions:  # standard input: small, and read once, so its copies keep positions
        return type(obj)(compact(obj.root), obj.file, obj.doc_index, obj.doc_line)
    if len(_SHARED_STRINGS) > _SHARED_TABLE_LIMIT:
        _SHARED_STRINGS.clear()
    if len(_SHARED_CONTAINERS) > _SHARED_TABLE_LIMIT:
        _SHARED_CONTAINERS.clear()
    if _native_copy is not None:  # the same copy, made in C (k8slint/_k8slint_yaml.c)
        root = _native_copy(obj.root, _drop_spec(obj), _SHARED_STRINGS, _SHARED_CONTAINERS, _KEY_CLASSES,
                            _key_class, _K8SLINT_ANNOTATIONS_ONLY)
    else:
        root = _shared_copy(obj.root, _drop_spec(obj), _SHARED_STRINGS, _SHARED_CONTAINERS)
    summary = Summary(root)
    summary.where = where
    summary.offset = offset
    return type(obj)(summary, obj.file, obj.doc_index, obj.doc_line)


def _shared_copy(value, drop, strings: dict, containers: dict):
    """Deep copy as plain dicts and lists without the ``drop``ped fields, sharing equal strings
    and equal containers (children are shared first, so a container's content is its keys, its
    scalars and the identity of its children)."""
    if isinstance(value, dict):
        out = {}
        signature = [dict]  # built in the same pass: keys, then a child's id or a scalar's type and value
        for key, item in value.items():
            sub = drop.get(key) if drop else None
            if sub is True:
                continue
            if isinstance(item, (dict, list)):
                if sub is _K8SLINT_ANNOTATIONS_ONLY:
                    if isinstance(item, dict):
                        item = {k: v for k, v in item.items() if isinstance(k, str) and k.startswith("k8slint.io/")}
                    sub = None
                item = _shared_copy(item, sub, strings, containers)
                signature += (key, id(item))
            else:
                if type(item) is str:
                    item = strings.setdefault(item, item)
                signature += (key, type(item), item)
            out[strings.setdefault(key, key)] = item
        return _shared(_key_sharing(out), signature, containers)
    if isinstance(value, list):
        sub = drop.get("*") if drop else None
        out_list = []
        signature = [list]
        for item in value:
            if isinstance(item, (dict, list)):
                item = _shared_copy(item, sub, strings, containers)
                signature.append(id(item))
            else:
                if type(item) is str:
                    item = strings.setdefault(item, item)
                signature += (type(item), item)
            out_list.append(item)
        return _shared(out_list, signature, containers)
    return value


# One class per key tuple whose instances' __dict__ gives key-sharing dicts (PEP 412): the
# copies of thousands of metadata, selector or container mappings with the same keys share one key
# table, and each costs ~110 bytes instead of ~190 (measured on CPython 3.11). They are ordinary
# dicts in every other way; on an interpreter that does not share keys they simply cost the same.
_KEY_CLASSES: dict[tuple, type] = {}
_KEY_CLASSES_LIMIT = 5_000
_MAX_SHARED_KEYS = 30  # CPython shares at most this many keys per class


def _key_class(keys: tuple) -> type | None:
    """The class whose instances' __dict__ share ``keys`` (None: keep a plain dict)."""
    cls = _KEY_CLASSES.get(keys)
    if cls is None:
        if not keys or len(keys) > _MAX_SHARED_KEYS or len(_KEY_CLASSES) >= _KEY_CLASSES_LIMIT \
                or not all(type(k) is str for k in keys):
            return None
        cls = _KEY_CLASSES[keys] = type("_SharedKeys", (), {})
    return cls


def _key_sharing(mapping: dict) -> dict:
    cls = _key_class(tuple(mapping))
    if cls is None:
        return mapping
    shared = cls().__dict__
    for key, value in mapping.items():  # one by one: update() would copy the plain key table
        shared[key] = value
    return shared


def _shared(container, signature: list, containers: dict):
    """The copy already made of a container with the same content, or ``container`` itself."""
    try:
        key = hash(tuple(signature))
    except TypeError:  # pragma: no cover - composed scalars are hashable
        return container
    known = containers.get(key)
    if known is None:
        containers[key] = container
        return container
    if type(known) is type(container) and len(known) == len(container) and _same_content(known, container):
        return known
    return container  # a hash collision: keep the first one shared, this one apart


def _same_content(known, container) -> bool:
    pairs = zip(known.items(), container.items()) if type(known) is dict else \
        (((None, a), (None, b)) for a, b in zip(known, container))
    for (k1, v1), (k2, v2) in pairs:
        if k1 != k2 or type(v1) is not type(v2):
            return False
        if isinstance(v1, (dict, list)):
            if v1 is not v2:
                return False
        elif v1 != v2:
            return False
    return True


def _lint_path(path: str, options: Options) -> tuple[FileResult, str | None]:
    """Lint one file; with the result, its text when it will be read again (findings to show,
    inventory objects to locate findings on), for keep_text()."""
    source = read_source(path, options.max_file_bytes)
    result = lint_source(source, options)
    return result, source.text if result.findings or result.inventory else None


def _lint_batch(args) -> _Batch:
    paths, options = args
    results, texts = [], {}  # small files' texts travel back too: cheaper than reading them again there
    for path in paths:
        result, text = _lint_path(path, options)
        results.append(result)
        if text is not None and source_module.small_enough_to_keep(text):
            texts[path] = text
    return _Batch(results, texts)


def run(paths: Iterable[str], options: Options) -> RunResult:
    # A run builds hundreds of thousands of small acyclic containers that live until its end: the
    # cyclic GC would walk them again and again for nothing (measured: 1.5 s of a 4.2 s run over
    # 5,000 documents). Reference counting still frees every document once its rules are done.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(paths, options)
    finally:
        if gc_was_enabled:
            gc.enable()


def _run(paths: Iterable[str], options: Options) -> RunResult:
    forget_kustomizations()
    forget_texts()
    files, problems = discover(list(paths), list(options.excludes), options.exclude_base,
                               options.follow_symlinks)
    errors = [InputError(p.path, 1, 1, p.message) for p in problems]
    _SHARED_STRINGS.clear()
    _SHARED_CONTAINERS.clear()
    results = _lint_files(files, options)
    _SHARED_STRINGS.clear()  # the copies keep what they share; the lookup tables can go
    _SHARED_CONTAINERS.clear()
    findings: list[Finding] = []
    notes: list[Note] = []
    inventory = Inventory()
    suppressions: dict[str, Suppressions] = {}
    documents_count = 0
    for path, result in zip(files, results):
        findings.extend(sorted(result.findings, key=Finding.sort_key))
        errors.extend(result.errors)
        notes.extend(result.notes)
        inventory.objects.extend(result.inventory)
        documents_count += result.documents
        if result.suppressions is not None:
            suppressions[path] = result.suppressions
    findings.extend(run_set_rules(inventory, options, suppressions, files, errors))
    findings = one_finding_per_field(findings)
    order = {path: index for index, path in enumerate(files)}
    findings.sort(key=lambda f: (order.get(f.file, len(order)), f.line, f.column, f.rule, f.message))
    errors.sort(key=lambda e: (order.get(e.file, -1), e.line, e.column))
    return RunResult(findings, errors, notes, len(files), documents_count, tuple(options.policies))


def one_finding_per_field(findings: list[Finding]) -> list[Finding]:
    """Without the findings of deferring rules (``@rule(defers=True)``) at a field where another
    rule reports an error about the same object: one finding per problem, the more specific one."""
    deferring = {rule_id for r in all_rules().values() if r.defers for rule_id in r.ids}
    if not deferring:
        return findings
    taken = {(f.file, f.doc_index, f.kind, f.name, f.path) for f in findings
             if f.rule not in deferring and catalog.default_severity(f.rule) == "error"}
    return [f for f in findings
            if f.rule not in deferring or (f.file, f.doc_index, f.kind, f.name, f.path) not in taken]


def run_set_rules(inventory: Inventory, options: Options, suppressions: dict[str, Suppressions],
                  files: list[str], errors: list[InputError]) -> list[Finding]:
    _, set_rules = _active(options)
    cluster = options.cluster
    if cluster is None and set_rules:
        cluster = _cluster_from_nodes(inventory.nodes)  # explicit --cluster/--nodes/config win
    processes = _set_rule_processes(set_rules, options.jobs, len(inventory.objects))
    if processes < 2 or not hasattr(os, "fork"):
        return _check_set_rules(set_rules, inventory, options, cluster, suppressions, files, errors)
    # The cross-object rules are independent of each other: with several cores, this process and
    # forked workers share them out over the inventory this process already holds (fork shares it;
    # nothing is pickled but the findings). Each process takes the next rule, heaviest first, from a
    # shared counter whenever it is free, so none waits while another has a queue (rule costs vary
    # with the input). Output does not change: findings are sorted at the end of run().
    import concurrent.futures
    import multiprocessing

    global _FORK_STATE
    context = multiprocessing.get_context("fork")
    _FORK_STATE = (_heaviest_first(set_rules), context.Value("i", 0), inventory, options, cluster, suppressions,
                   files)
    try:
        with concurrent.futures.ProcessPoolExecutor(processes - 1, mp_context=context,
                                                    initializer=_worker_setup) as pool:
            pending = [pool.submit(_check_shared_set_rules) for _ in range(processes - 1)]
            outcomes = [_check_shared_set_rules()]  # this process works too, and its findings need no pickling
            outcomes.extend(future.result() for future in pending)
    except (OSError, concurrent.futures.process.BrokenProcessPool):  # no fork here: run them all in line
        return _check_set_rules(set_rules, inventory, options, cluster, suppressions, files, errors)
    finally:
        _FORK_STATE = None
    findings: list[Finding] = []
    for process_findings, process_errors in outcomes:
        findings.extend(process_findings)
        errors.extend(process_errors)
    return findings


# Below this many inventory objects, forking costs more than the cross-object rules themselves.
_PARALLEL_SET_RULES_MIN_OBJECTS = 2000
_FORK_STATE = None  # what forked set-rule workers inherit from run_set_rules


def _set_rule_processes(set_rules: list[Rule], jobs: int, objects: int) -> int:
    """How many processes share the set rules out (1: this process alone)."""
    if jobs < 2 or objects < _PARALLEL_SET_RULES_MIN_OBJECTS or len(set_rules) < 2:
        return 1
    return min(jobs, len(set_rules))


def _heaviest_first(set_rules: list[Rule]) -> list[Rule]:
    # each rule declares its cost class; stable: rules of a class keep the registry's order
    return sorted(set_rules, key=lambda r: -r.cost)


def _check_shared_set_rules() -> tuple[list[Finding], list[InputError]]:
    """The set rules this process takes from the shared counter, one at a time, until none is left."""
    ordered, counter, inventory, options, cluster, suppressions, files = _FORK_STATE

    def taken():
        while True:
            with counter.get_lock():
                position = counter.value
                counter.value = position + 1
            if position >= len(ordered):
                return
            yield ordered[position]

    errors: list[InputError] = []
    return _check_set_rules(taken(), inventory, options, cluster, suppressions, files, errors), errors


def _check_set_rules(set_rules: Iterable[Rule], inventory: Inventory, options: Options, cluster,
                     suppressions: dict[str, Suppressions], files: list[str],
                     errors: list[InputError]) -> list[Finding]:
    ctx = RuleContext(options, suppressions, cluster)
    for rule in set_rules:
        ctx.rule_id = rule.id
        try:
            rule.check(inventory, ctx)
        except Exception as exc:  # outside any ctx.guard(obj): the rule as a whole failed
            errors.append(InputError(files[0] if files else "-", 1, 1,
                                     f"rule {rule.id} failed: {type(exc).__name__}: {exc}",
                                     rule=INTERNAL_ERROR))
    errors.extend(ctx.errors)
    _locate_deferred(ctx.deferred, suppressions, options.max_file_bytes)
    return ctx.findings


def _locate_deferred(deferred: list, suppressions: dict[str, Suppressions], max_bytes: int) -> None:
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
                span = value_span if kind == "s" else key_span
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


def _cluster_from_nodes(nodes: list[Node]):
    """The cluster described by Node objects among the linted files (None without any); a Node
    that cannot be modelled (no name, malformed taints) is left out."""
    if not nodes:
        return None
    from k8slint.model.cluster import Cluster, ClusterProfileError, node_from_object

    modelled = {}
    for obj in nodes:
        try:
            node = node_from_object(obj.root)
        except ClusterProfileError:
            continue
        modelled.setdefault(node.name, node)
    return Cluster(tuple(modelled.values()), "Node objects in the linted files") if modelled else None


def _lint_files(files: list[str], options: Options) -> list[FileResult]:
    # Standard input and pipes the user named are read here, in this process, before any worker
    # exists: a forked worker would find stdin empty (or compete for it) and drop its documents.
    here = [path for path in files if path == STDIN or not _is_regular_file(path)]
    elsewhere = [path for path in files if path not in set(here)] if here else files
    jobs = min(max(1, options.jobs), len(elsewhere))
    by_path: dict[str, FileResult] = {}
    for path in here:  # (their texts kept: they cannot be read again for the report's source lines)
        by_path[path], text = _lint_path(path, options)
        keep_text(path, text, only_file=True)
    if jobs < 2 or _total_bytes(elsewhere) < 512 * 1024:
        for path in elsewhere:
            result, text = _lint_path(path, options)
            by_path[path] = result
            keep_text(path, text, only_file=len(files) == 1)
        return [by_path[p] for p in files]
    import concurrent.futures
    import multiprocessing

    # Batches in input order, 16 per worker: a worker that finishes early takes the next one, so
    # neither one huge file nor the last batch leaves a core idle for long.
    batch_count = min(len(elsewhere), jobs * 16)
    batches = [elsewhere[i::batch_count] for i in range(batch_count)]
    context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context, initializer=_worker_setup) as pool:
        batch_results = list(pool.map(_lint_batch, [(b, options) for b in batches]))
    for batch, results in zip(batches, batch_results):
        by_path.update(zip(batch, results.results))
        for kept_path, text in results.texts.items():
            keep_text(kept_path, text)
    return [by_path[p] for p in files]


def _worker_setup() -> None:
    """In a worker process: Ctrl-C ends it quietly (this process reports the interruption once,
    instead of one traceback per worker)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _is_regular_file(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True  # read_source will say what is wrong with it


def _total_bytes(files: list[str]) -> int:
    total = 0
    for path in files:
        try:
            total += os.path.getsize(path)
        except OSError:
            pass
    return total
