"""One lint run: files -> documents -> objects -> rules -> findings, in one direction.

Per-object rules run while documents stream by; cross-object ("set") rules see an inventory of
compact copies of the objects they care about, filled as the files are read and checked once at
the end. With ``jobs > 1`` files are linted in worker processes and only findings and compact
inventory entries travel back, so output is identical to a single-process run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterable

from k8slint import catalog
from k8slint.findings import Finding, InputError, Note, Suppressions, make_finding
from k8slint.loader import Document, compact
from k8slint.model.objects import (
    HorizontalPodAutoscaler, K8sObject, Node, PodDisruptionBudget, Service, Workload,
    is_list_kind, make_object,
)
from k8slint.rules import OBJECT, SET, Rule, all_rules
from k8slint.source import DEFAULT_MAX_FILE_BYTES, SourceFile, discover, documents, read_source

INTERNAL_ERROR = "internal-error"
# Fields no cross-object rule reads: dropped from inventory copies to keep memory flat.
_HEAVY_CONTAINER_FIELDS = ("env", "envFrom", "command", "args", "volumeMounts", "volumeDevices",
                           "lifecycle", "securityContext")
_HEAVY_POD_FIELDS = ("volumes",)
_HEAVY_METADATA_FIELDS = ("managedFields",)
_INVENTORY_TYPES = (Workload, Service, PodDisruptionBudget, HorizontalPodAutoscaler, Node)


@dataclass
class Options:
    enabled: frozenset[str]  # rule ids to report
    severities: dict[str, str] = field(default_factory=dict)  # per-rule overrides
    params: dict[str, dict] = field(default_factory=dict)  # per-rule parameters
    cluster: object | None = None  # k8slint.model.cluster.Cluster from --cluster/--nodes/config
    jobs: int = 1
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    excludes: tuple[str, ...] = ()
    policies: tuple = ()  # custom policies (k8slint.policies), checked like per-object rules


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


class RuleContext:
    """What a rule may use: its parameters, the cluster, and ``finding()`` to report."""

    def __init__(self, options: Options, suppressions: dict[str, Suppressions]) -> None:
        self.options = options
        self.cluster = options.cluster
        self._suppressions = suppressions
        self.rule_id = ""
        self.findings: list[Finding] = []

    @property
    def params(self) -> dict:
        defaults = {p["name"]: p.get("default") for p in catalog.metadata(self.rule_id).get("parameters", [])
                    if isinstance(p, dict) and "name" in p}
        defaults.update(self.options.params.get(self.rule_id, {}))
        return defaults

    def enabled(self, rule_id: str) -> bool:
        return rule_id in self.options.enabled

    def severity(self, rule_id: str) -> str:
        return self.options.severities.get(rule_id) or catalog.default_severity(rule_id)

    def finding(self, obj: K8sObject, path: tuple, message: str, hint: str | None = None,
                rule: str | None = None, severity: str | None = None) -> Finding | None:
        """Report ``message`` about ``obj`` at field ``path``. Returns the finding (None when
        the rule id is disabled). ``severity`` overrides the catalogue default for findings whose
        weight depends on the case (the config's per-rule severity still wins)."""
        rule_id = rule or self.rule_id
        if rule_id not in self.options.enabled:
            return None
        level = self.options.severities.get(rule_id) or severity or catalog.default_severity(rule_id)
        if hint is None:
            hint = catalog.metadata(rule_id).get("hint") or ""
        found = make_finding(obj, path, rule_id, level, message, hint, self._suppressions.get(obj.file))
        self.findings.append(found)
        return found


@dataclass
class FileResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    inventory: list[K8sObject] = field(default_factory=list)
    suppressions: Suppressions | None = None
    documents: int = 0


@dataclass
class RunResult:
    findings: list[Finding]
    errors: list[InputError]
    notes: list[Note]
    files: int
    documents: int
    policies: tuple = ()  # the custom policies that ran (their metadata goes into SARIF rules[])


def _active(options: Options) -> tuple[list[Rule], list[Rule]]:
    rules = [r for r in all_rules().values() if any(i in options.enabled for i in r.ids)]
    return [r for r in rules if r.scope == OBJECT], [r for r in rules if r.scope == SET]


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
    ctx = RuleContext(options, {source.path: suppressions})
    policies = options.policies
    not_objects: list[InputError] = []
    objects_seen = 0
    for item in documents(source):
        if not isinstance(item, Document):
            result.errors.append(InputError(source.path, item.line, item.column, item.message))
            continue
        result.documents += 1
        for obj, problem in _objects(item, source.path):
            if problem is not None:
                not_objects.append(problem)
                continue
            objects_seen += 1
            _check_object(obj, object_rules, ctx, result)
            for policy in policies:
                policy.check(obj, ctx)
            if keep_inventory and isinstance(obj, _INVENTORY_TYPES):
                result.inventory.append(_inventory_copy(obj))
    if not_objects:
        if objects_seen == 0 and not result.errors:
            first = not_objects[0]
            result.errors.append(InputError(
                source.path, first.line, first.column,
                "not a Kubernetes manifest: no document has both apiVersion and kind"))
        else:
            result.errors.extend(not_objects)
    result.findings = ctx.findings
    return result


def _objects(document: Document, path: str):
    """Objects of a document: itself, or the items of a ``kind: List``."""
    root = document.root
    if is_list_kind(root):
        for index, item in enumerate(root["items"]):
            yield _object_or_problem(item, path, document, ("items", index))
        return
    yield _object_or_problem(root, path, document, ())


def _object_or_problem(root, path: str, document: Document, where: tuple):
    from k8slint.findings import locate

    if isinstance(root, dict) and isinstance(root.get("apiVersion"), str) and root["apiVersion"] \
            and isinstance(root.get("kind"), str) and root["kind"]:
        return make_object(root, path, document.index, document.line), None
    (line, column, _, _), _ = locate(document.root, where)
    missing = [f for f in ("apiVersion", "kind") if not isinstance(root, dict) or not root.get(f)]
    what = " and ".join(missing)
    return None, InputError(path, line, column, f"not a Kubernetes object: {what} missing or not a string")


def _check_object(obj: K8sObject, rules: list[Rule], ctx: RuleContext, result: FileResult) -> None:
    cls_names = {c.__name__ for c in type(obj).__mro__}
    for rule in rules:
        if rule.kinds is not None and rule.kinds.isdisjoint(cls_names):
            continue
        ctx.rule_id = rule.id
        try:
            for _ in rule.check(obj, ctx) or ():
                pass
        except Exception as exc:  # a rule bug must not hide the other files' findings
            result.errors.append(InputError(
                obj.file, obj.doc_line, 1,
                f"rule {rule.id} failed on {obj.kind} {obj.display_name}: {type(exc).__name__}: {exc}",
                rule=INTERNAL_ERROR))


def _inventory_copy(obj: K8sObject) -> K8sObject:
    """A compact copy of ``obj`` without the fields no cross-object rule reads."""
    root = _pruned(obj.root, obj)
    return type(obj)(compact(root), obj.file, obj.doc_index, obj.doc_line)


def _pruned(root: dict, obj: K8sObject) -> dict:
    from k8slint.loader import YMap

    def without(mapping, names):
        if not isinstance(mapping, dict) or not any(n in mapping for n in names):
            return mapping
        copy = YMap({k: v for k, v in mapping.items() if k not in names})
        marks = getattr(mapping, "marks", {})
        copy.marks = {k: v for k, v in marks.items() if k not in names}
        return copy

    def replace(mapping, key, value):
        copy = YMap(mapping)
        copy.marks = dict(getattr(mapping, "marks", {}))
        copy[key] = value
        return copy

    root = without(root, ("status",))
    if isinstance(root.get("metadata"), dict):
        root = replace(root, "metadata", without(root["metadata"], _HEAVY_METADATA_FIELDS))
    if not isinstance(obj, Workload):
        return root
    path = obj.TEMPLATE_PATH + ("spec",)
    chain = [root]
    for step in path:
        nxt = chain[-1].get(step) if isinstance(chain[-1], dict) else None
        if not isinstance(nxt, dict):
            return root
        chain.append(nxt)
    spec = without(chain[-1], _HEAVY_POD_FIELDS)
    for section in ("containers", "initContainers", "ephemeralContainers"):
        items = spec.get(section)
        if isinstance(items, list):
            from k8slint.loader import YSeq

            slim = YSeq(without(c, _HEAVY_CONTAINER_FIELDS) for c in items)
            slim.marks = list(getattr(items, "marks", []))
            spec = replace(spec, section, slim)
    value = spec
    for parent, step in zip(reversed(chain[:-1]), reversed(path)):
        value = replace(parent, step, value)
    return value


def _lint_path(path: str, options: Options) -> FileResult:
    return lint_source(read_source(path, options.max_file_bytes), options)


def _lint_batch(args) -> list[FileResult]:
    paths, options = args
    return [_lint_path(p, options) for p in paths]


def run(paths: Iterable[str], options: Options) -> RunResult:
    files, problems = discover(list(paths), list(options.excludes))
    errors = [InputError(p.path, 1, 1, p.message) for p in problems]
    results = _lint_files(files, options)
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
    order = {path: index for index, path in enumerate(files)}
    findings.sort(key=lambda f: (order.get(f.file, len(order)), f.line, f.column, f.rule, f.message))
    errors.sort(key=lambda e: (order.get(e.file, -1), e.line, e.column))
    return RunResult(findings, errors, notes, len(files), documents_count, tuple(options.policies))


def run_set_rules(inventory: Inventory, options: Options, suppressions: dict[str, Suppressions],
                  files: list[str], errors: list[InputError]) -> list[Finding]:
    _, set_rules = _active(options)
    ctx = RuleContext(options, suppressions)
    for rule in set_rules:
        ctx.rule_id = rule.id
        try:
            for _ in rule.check(inventory, ctx) or ():
                pass
        except Exception as exc:
            errors.append(InputError(files[0] if files else "-", 1, 1,
                                     f"rule {rule.id} failed: {type(exc).__name__}: {exc}",
                                     rule=INTERNAL_ERROR))
    return ctx.findings


def _lint_files(files: list[str], options: Options) -> list[FileResult]:
    jobs = max(1, options.jobs)
    if jobs == 1 or len(files) < 2 or _total_bytes(files) < 512 * 1024:
        return [_lint_path(p, options) for p in files]
    import concurrent.futures
    import multiprocessing

    # Batches in input order, several per worker so that one huge file does not stall the rest.
    batch_count = min(len(files), jobs * 4)
    batches = [files[i::batch_count] for i in range(batch_count)]
    context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context) as pool:
        batch_results = list(pool.map(_lint_batch, [(b, options) for b in batches]))
    by_path = {}
    for batch, results in zip(batches, batch_results):
        by_path.update(zip(batch, results))
    return [by_path[p] for p in files]


def _total_bytes(files: list[str]) -> int:
    total = 0
    for path in files:
        try:
            total += os.path.getsize(path)
        except OSError:
            pass
    return total
