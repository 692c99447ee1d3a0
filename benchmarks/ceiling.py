#!/usr/bin/env python3
"""What N processes can gain on this machine at all: the --jobs ceiling.

    python benchmarks/ceiling.py --procs N [--units U]

Runs U units of CPU-bound pure-Python work (small dicts, lists and strings made and dropped, as a
linter does) split over N forked processes, and exits. bench.py times it as a new process with
--procs 1 and --procs N in the same interleaved rounds as ``k8slint lint --jobs 1`` and
``--jobs N``: the ratio is the most any pure-Python program can gain from N processes on this
machine at that moment (two vCPUs that share a physical core, or a busy host, give far less than
N), and k8slint's own --jobs speed-up reads against it.
"""

from __future__ import annotations

import argparse
import multiprocessing


def unit(size: int = 400_000) -> int:
    total = 0
    for i in range(size):
        item = {"name": f"item-{i}", "ports": [i, i + 1], "ready": i % 3 == 0}
        total += len(item["name"]) + item["ports"][1] + item["ready"]
    return total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--procs", type=int, default=1)
    parser.add_argument("--units", type=int, default=4)
    args = parser.parse_args(argv)
    if args.procs <= 1:
        for _ in range(args.units):
            unit()
        return 0
    with multiprocessing.get_context("fork").Pool(args.procs) as pool:
        pool.map(unit, [400_000] * args.units, chunksize=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
