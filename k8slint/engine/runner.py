"""The run: inputs, the per-file lint over them (in worker processes with ``--jobs``), the
cross-object rules over the inventory (shared out over forked processes with ``--jobs``), and
the findings in input order."""

from __future__ import annotations

import gc
import os
import stat
from dataclasses import dataclass
from typing import Iterable

from k8slint import catalog
from k8slint import source as source_module
from k8slint.engine import inventory as inventory_module
from k8slint.engine.context import INTERNAL_ERROR, RuleContext, active_rules
from k8slint.engine.file_lint import FileResult, RunRules, lint_paths
from k8slint.engine.inventory import Inventory, cluster_from_nodes, object_classes, positions_deferred, without_positions
from k8slint.engine.locate import locate_deferred
from k8slint.engine.options import Options
from k8slint.findings import Finding, InputError, Note, Suppressions, merge_notes
from k8slint.rules import Rule, all_rules
from k8slint.source import STDIN, discover, forget_kustomizations, forget_texts, keep_text


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
            if inventory and not all(positions_deferred(obj) for obj in inventory):
                counts.append(-1)  # copies that keep positions (standard input): pickled as they are
                continue
            counts.append(len(inventory))
            packed.extend((type(obj).__name__, obj.root, obj.file, obj.doc_index, obj.doc_line, obj.where,
                           obj.offset) for obj in inventory)
        results = [FileResult(**{**r.__dict__, "inventory": r.inventory if n < 0 else []})
                   for r, n in zip(self.results, counts)]
        return {"results": results, "counts": counts, "inventory": marshal.dumps(packed), "texts": self.texts}

    def __setstate__(self, state: dict) -> None:
        import marshal

        classes = object_classes()
        entries = iter(marshal.loads(state["inventory"]))
        for result, count in zip(state["results"], state["counts"]):
            for _ in range(max(count, 0)):
                name, *entry = next(entries)
                result.inventory.append(without_positions(classes[name], *entry))
        self.results = state["results"]
        self.texts = state["texts"]


@dataclass
class RunResult:
    """The outcome of a run over every file."""

    findings: list[Finding]
    errors: list[InputError]
    notes: list[Note]
    files: int
    documents: int
    policies: tuple = ()  # the custom policies that ran (their metadata goes into SARIF rules[])
    baselined: int | None = None  # with a baseline: findings it matched (k8slint.baseline.apply)
    baseline_absent: int = 0  # baseline entries no finding matched any more (fixed since)


def _lint_batch(args) -> _Batch:
    paths, options = args
    results, texts = [], {}  # small files' texts travel back too: cheaper than reading them again there
    run_rules = RunRules(options)
    for path, (result, text) in zip(paths, lint_paths(paths, options, run_rules)):
        results.append(result)
        if text is not None and source_module.small_enough_to_keep(text):
            texts[path] = text
    return _Batch(results, texts)


# What runs made that the process keeps until it ends (None: nothing kept, the default). The k8slint
# command ends its process with os._exit once the report is written (cli.entry): freeing a run's
# inventory and per-file results object by object first only costs time (~5% of a lint of 20,000
# documents in one file), so it asks run() to keep them here (hold_until_exit).
_HELD_UNTIL_EXIT: list | None = None


def hold_until_exit() -> None:
    """Keep what each run makes (its inventory and per-file results) until the process ends: for a
    process that exits without tearing its heap down right after the report."""
    global _HELD_UNTIL_EXIT
    if _HELD_UNTIL_EXIT is None:
        _HELD_UNTIL_EXIT = []


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
    inventory_module.forget_shared()
    results = _lint_files(files, options)
    inventory_module.forget_shared()  # the copies keep what they share; the lookup tables can go
    findings: list[Finding] = []
    notes: list[Note] = []
    inventory = Inventory()
    suppressions: dict[str, Suppressions] = {}
    documents_count = 0
    for path, result in zip(files, results):
        # (not sorted per file: the sort below orders each file's findings by the same key, and
        # keeps the order of equal ones as a per-file sort would)
        findings.extend(result.findings)
        errors.extend(result.errors)
        notes.extend(result.notes)
        inventory.objects.extend(result.inventory)
        documents_count += result.documents
        if result.suppressions is not None:
            suppressions[path] = result.suppressions
    findings.extend(run_set_rules(inventory, options, suppressions, files, errors, notes))
    findings = one_finding_per_field(findings)
    order = {path: index for index, path in enumerate(files)}
    notes = merge_notes(notes, order)
    findings.sort(key=lambda f: (order.get(f.file, len(order)), f.line, f.column, f.rule, f.message))
    errors.sort(key=lambda e: (order.get(e.file, -1), e.line, e.column))
    if _HELD_UNTIL_EXIT is not None:
        _HELD_UNTIL_EXIT.append((inventory, results))
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
                  files: list[str], errors: list[InputError], notes: list[Note] | None = None) -> list[Finding]:
    """The findings of the cross-object rules; their internal errors go to ``errors``, their notes
    to ``notes``."""
    notes = notes if notes is not None else []
    _, set_rules = active_rules(options)
    cluster = options.cluster
    if cluster is None and set_rules:
        cluster = cluster_from_nodes(inventory.nodes)  # explicit --cluster/--nodes/config win
    processes = _set_rule_processes(set_rules, options.jobs, len(inventory.objects))
    if processes < 2 or not hasattr(os, "fork"):
        return _check_set_rules(set_rules, inventory, options, cluster, suppressions, files, errors, notes)
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
        return _check_set_rules(set_rules, inventory, options, cluster, suppressions, files, errors, notes)
    finally:
        _FORK_STATE = None
    findings: list[Finding] = []
    for process_findings, process_errors, process_notes in outcomes:
        findings.extend(process_findings)
        errors.extend(process_errors)
        notes.extend(process_notes)
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


def _check_shared_set_rules() -> tuple[list[Finding], list[InputError], list[Note]]:
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
    notes: list[Note] = []
    findings = _check_set_rules(taken(), inventory, options, cluster, suppressions, files, errors, notes)
    return findings, errors, notes


def _check_set_rules(set_rules: Iterable[Rule], inventory: Inventory, options: Options, cluster,
                     suppressions: dict[str, Suppressions], files: list[str],
                     errors: list[InputError], notes: list[Note]) -> list[Finding]:
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
    locate_deferred(ctx.deferred, suppressions, options.max_file_bytes)
    notes.extend(ctx.notes)
    return ctx.findings


def _lint_files(files: list[str], options: Options) -> list[FileResult]:
    run_rules = RunRules(options)
    if options.jobs < 2 or len(files) < 2:
        return _lint_in_this_process(files, options, run_rules)
    # Standard input and pipes the user named are read here, in this process, before any worker
    # exists: a forked worker would find stdin empty (or compete for it) and drop its documents.
    here = [path for path in files if path == STDIN or not _is_regular_file(path)]
    elsewhere = [path for path in files if path not in set(here)] if here else files
    jobs = min(max(1, options.jobs), len(elsewhere))
    if jobs < 2 or _total_bytes(elsewhere) < 512 * 1024:
        return _lint_in_this_process(files, options, run_rules)
    by_path: dict[str, FileResult] = {}
    for path, (result, text) in zip(here, lint_paths(here, options, run_rules)):
        by_path[path] = result
        keep_text(path, text, only_file=True)  # (they cannot be read again for the report's source lines)
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


def _lint_in_this_process(files: list[str], options: Options, run_rules: RunRules) -> list[FileResult]:
    """Every file linted here, in input order, keeping the texts that will be read again. The texts
    of standard input and pipes are kept whatever their size (they cannot be read again for the
    report's source lines): whether a file is one is asked only of a text too large for the
    budget, not of every file."""
    results = []
    only_file = len(files) == 1
    for path, (result, text) in zip(files, lint_paths(files, options, run_rules)):
        results.append(result)
        if not keep_text(path, text, only_file) and text is not None \
                and (path == STDIN or not _is_regular_file(path)):
            keep_text(path, text, only_file=True)
    return results


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
