#!/usr/bin/env python3
"""Where a k8slint run spends its time and memory, phase by phase and rule by rule.

    python benchmarks/phases.py PATH... [--rule-timeout SECONDS] [--json]

Runs the engine in this process (one job) with every rule enabled and prints: the per-file phase
(read, compose, per-object rules, inventory copies), the peak RSS after it with the inventory
held, then each cross-object (set) rule on its own, and the seconds each per-object rule took.
A set rule that takes longer than --rule-timeout is stopped (SIGALRM) and reported as such, so
that a rule with quadratic behaviour cannot hide the rest of the picture. bench.py runs this as a
child process for its breakdown; rule authors can run it on their own corpora.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import resource
import signal
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class RuleTimeout(Exception):
    pass


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--rule-timeout", type=float, default=60.0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--max-file-size", type=int, default=64, metavar="MIB")
    args = parser.parse_args(argv)
    # As `k8slint lint` does (cli.py, engine.runner.run): the cyclic GC stays off for the whole run.
    # With it on, every set rule would pay for collections over the whole inventory, which a lint
    # never does (measured: the set rules of no-match at 20,000 documents 1.7 s here, 0.45 s in a lint).
    gc.disable()

    from k8slint import rules
    from k8slint.engine import Inventory, Options, inventory as inventory_module, runner
    from k8slint.source import discover
    from k8slint.rules import SET, all_rules, reported_ids

    object_seconds: dict[str, float] = defaultdict(float)

    def timed(rule_id, check):
        def wrapper(*a):
            start = time.perf_counter()
            try:
                return list(check(*a) or ())
            finally:
                object_seconds[rule_id] += time.perf_counter() - start
        return wrapper

    registry = all_rules()
    for rule_id, item in list(registry.items()):
        if item.scope != SET:
            rules._REGISTRY[rule_id] = dataclasses.replace(item, check=timed(rule_id, item.check))
    options = Options(enabled=frozenset(reported_ids()), jobs=1, max_file_bytes=args.max_file_size << 20)

    start = time.perf_counter()
    files, _ = discover(args.paths, [])
    results = runner._lint_files(files, options)
    per_file = time.perf_counter() - start
    inventory_module.forget_shared()
    inventory = Inventory([obj for result in results for obj in result.inventory])
    documents = sum(r.documents for r in results)
    rss_after_files = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    set_rules = sorted({r.id: r for r in registry.values() if r.scope == SET}.values(), key=lambda r: r.id)
    set_seconds: dict[str, float | str] = {}
    suppressions = {p: r.suppressions for p, r in zip(files, results) if r.suppressions is not None}

    def alarm(signum, frame):
        raise RuleTimeout()

    signal.signal(signal.SIGALRM, alarm)
    total_set = 0.0
    for item in set_rules:
        errors: list = []
        one = dataclasses.replace(options, enabled=frozenset(item.ids))
        begin = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, args.rule_timeout)
        try:
            runner.run_set_rules(inventory, one, suppressions, files, errors)
        except RuleTimeout:
            errors.append("timeout")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        elapsed = time.perf_counter() - begin
        total_set += elapsed
        timed_out = any(e == "timeout" or "RuleTimeout" in getattr(e, "message", "") for e in errors)
        set_seconds[item.id] = f"> {args.rule_timeout:g} (stopped)" if timed_out else round(elapsed, 3)
    report = {
        "files": len(files), "documents": documents, "per_file_seconds": round(per_file, 3),
        "inventory_objects": len(inventory.objects), "peak_rss_mb_after_files": round(rss_after_files, 1),
        "set_rules_seconds": set_seconds, "set_rules_total_seconds": round(total_set, 3),
        "object_rules_seconds": {k: round(v, 3) for k, v in sorted(object_seconds.items(), key=lambda kv: -kv[1])},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"{documents} documents in {len(files)} files")
    print(f"per-file phase (read, compose, per-object rules, inventory): {per_file:.3f} s; "
          f"peak RSS with the inventory of {len(inventory.objects)} objects: {rss_after_files:.0f} MiB")
    print("per-object rules (s):")
    for rule_id, seconds in report["object_rules_seconds"].items():
        print(f"  {rule_id:<32} {seconds:8.3f}")
    print("cross-object rules (s):")
    for rule_id, seconds in set_seconds.items():
        print(f"  {rule_id:<32} {seconds!s:>8}")
    print(f"peak RSS: {report['peak_rss_mb']:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
