#!/usr/bin/env python3
"""k8slint benchmark: how close a full lint gets to the YAML parser's own limit.

Generates a realistic corpus into ``benchmarks/out/`` (git-ignored): Deployments with affinity,
tolerations, probes, resources and rolling-update strategies, plus a Service for each, written
once as one big multi-document file and once as many small files. Then, in one run and on the
same files, it prints:

* floor      - seconds for ruamel.yaml's C parser (ruamel.yaml.clib) to merely emit every event
               of every file: no YAML linter in Python can beat that;
* full lint  - seconds for ``k8slint lint --jobs 1`` (a new process: interpreter start, every rule
               enabled, text output) on the same files, and its ratio to the floor;
* one file   - wall seconds of ``k8slint lint one-file.yaml`` as a new process;
* --jobs     - the many-files corpus with ``--jobs 1`` and ``--jobs N`` (default: all cores), the
               speed-up, and whether both outputs are byte-identical; in the same rounds, the
               machine's ceiling: pure-Python work split over N processes (benchmarks/ceiling.py);
* memory     - peak RSS of ``k8slint lint --jobs 1`` over a corpus of --rss-docs documents;
* checkov    - if Checkov is installed (on PATH or --checkov), its time on the same many files
               (or a sample: --checkov-docs), run offline with --skip-download, and documents
               per second against ours.

* shapes     - with --shapes: the corpus shapes of benchmarks/shapes.py (Services matching nothing,
               a shared first selector key, an HPA and a PDB per workload, a --cluster file of
               5,000 nodes in a few pools, anti-affinity groups) at --sizes documents in three
               layouts (one file, 2 per file in one directory, 50 per file and 10 files per
               directory): CPU seconds of the lint and of the floor in interleaved rounds, their
               ratio, and the growth exponent between sizes; then 1,000 workloads with and without
               the cluster file (time ratio, peak RSS). --shapes extra: the EXTRA_SHAPES (topology
               spread and host ports against the cluster file, Recreate Deployments with their
               Services, operator resources that create pods beside Services matching nothing).

Bytecode: k8slint is measured as pip installs it, with its modules compiled to ``__pycache__``
(pip byte-compiles a package at install; so does this script, ``python -m compileall`` on
``k8slint/`` before any timing). Without that, a process run with PYTHONDONTWRITEBYTECODE=1 (or
from a read-only checkout) compiles every module from source on each start: ~0.1 s more CPU per
process, half of a one-file cold run. Python reads existing ``.pyc`` files even under
PYTHONDONTWRITEBYTECODE, and recompiles (in memory) any module whose source changed since.

Usage:  python benchmarks/bench.py [--docs 5000] [--rss-docs 100000] [--repeat 3] [--quick]
        python benchmarks/bench.py --shapes [all|extra|no-match,cluster,...] [--sizes 1000,5000,20000]
Exit status 1 when a target is missed (see TARGETS), so CI or a person can run it as a check.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"

TARGETS = {
    "ratio": 2.0,  # full lint / raw C event time, single process, all rules, text output
    "single_file_wall": 0.25,  # seconds, new process, interpreter start included
    "jobs_speedup": 1.7,  # --jobs 1 / --jobs 2 on the many-files corpus (2 cores)
    "peak_rss_mb": 300,  # for 100,000 documents
    "checkov_ratio": 30,  # documents per second, k8slint over Checkov
    "growth_exponent": 1.1,  # CPU time between the two largest --sizes of a shape
    "cluster_ratio": 2.0,  # 1,000 workloads with / without a 5,000-node --cluster file
}

# --- corpus --------------------------------------------------------------------------------------

_TEAMS = ("payments", "search", "checkout", "catalog", "identity", "ledger", "media", "edge")
_POOLS = ("general", "highmem", "compute", "gpu", "spot")


def deployment(rng: random.Random, index: int) -> str:
    """One realistic Deployment; about one in four has something a rule reports."""
    name = f"{rng.choice(_TEAMS)}-svc-{index:06d}"
    team = rng.choice(_TEAMS)
    replicas = rng.choice((1, 2, 3, 3, 4, 6, 10))
    surge, unavailable = rng.choice((("25%", "25%"), (1, 0), ("50%", 0), (0, 1), (2, 1), ("10%", "0%")))
    port = rng.choice((8080, 8443, 9000, 3000))
    required_anti = rng.random() < 0.3
    anti = (f"""\
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - topologyKey: kubernetes.io/hostname
            labelSelector:
              matchLabels:
                app: {name}
""" if required_anti else f"""\
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            podAffinityTerm:
              topologyKey: topology.kubernetes.io/zone
              labelSelector:
                matchExpressions:
                - key: app
                  operator: In
                  values: [{name}]
""")
    pools = ", ".join(rng.sample(_POOLS, rng.randint(1, 3)))
    probe_path = rng.choice(("/healthz", "/ready", "/-/ready", "/status"))
    readiness = "" if rng.random() < 0.15 else f"""\
        readinessProbe:
          httpGet:
            path: {probe_path}
            port: {port}
          initialDelaySeconds: {rng.choice((0, 5, 10))}
          periodSeconds: {rng.choice((5, 10, 15))}
          failureThreshold: 3
"""
    sidecar = "" if rng.random() < 0.7 else f"""\
      - name: log-shipper
        image: fluent/fluent-bit:{rng.choice(("2.2.0", "3.0.4", "3.1.9"))}
        args: ["--config", "/etc/fluent-bit/fluent-bit.conf"]
        resources:
          requests: {{cpu: 20m, memory: 32Mi}}
          limits: {{memory: 64Mi}}
        volumeMounts:
        - {{name: varlog, mountPath: /var/log, readOnly: true}}
"""
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {team}
  labels:
    app: {name}
    app.kubernetes.io/name: {name}
    app.kubernetes.io/part-of: {team}
    tier: {rng.choice(("frontend", "backend", "worker"))}
  annotations:
    deployment.kubernetes.io/revision: "{rng.randint(1, 90)}"
    owner: "{team}@example.com"
spec:
  replicas: {replicas}
  revisionHistoryLimit: 5
  progressDeadlineSeconds: 600
  minReadySeconds: {rng.choice((0, 5, 10))}
  selector:
    matchLabels:
      app: {name}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: {surge}
      maxUnavailable: {unavailable}
  template:
    metadata:
      labels:
        app: {name}
        app.kubernetes.io/name: {name}
        version: v{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "{port}"
    spec:
      serviceAccountName: {name}
      terminationGracePeriodSeconds: {rng.choice((30, 60))}
      affinity:
{anti}        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions:
              - key: node-pool
                operator: In
                values: [{pools}]
      tolerations:
      - key: dedicated
        operator: Equal
        value: {team}
        effect: NoSchedule
      - key: node.kubernetes.io/not-ready
        operator: Exists
        effect: NoExecute
        tolerationSeconds: 300
      containers:
      - name: app
        image: registry.example.com/{team}/{name}:{rng.randint(1, 5)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}
        imagePullPolicy: IfNotPresent
        ports:
        - containerPort: {port}
          name: http
          protocol: TCP
        env:
        - name: LOG_LEVEL
          value: {rng.choice(("info", "debug", "warn"))}
        - name: POD_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        resources:
          requests:
            cpu: {rng.choice(("100m", "250m", "500m", "1"))}
            memory: {rng.choice(("128Mi", "256Mi", "512Mi", "1Gi"))}
          limits:
            memory: {rng.choice(("256Mi", "512Mi", "1Gi", "2Gi"))}
{readiness}        livenessProbe:
          httpGet:
            path: /livez
            port: {port}
          periodSeconds: 20
          failureThreshold: 6
        securityContext:
          runAsNonRoot: true
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
{sidecar}      volumes:
      - name: varlog
        emptyDir: {{}}
"""


def service(rng: random.Random, index: int, deployment_text: str) -> str:
    name = deployment_text.split("  name: ", 1)[1].split("\n", 1)[0]
    namespace = deployment_text.split("  namespace: ", 1)[1].split("\n", 1)[0]
    port = deployment_text.split("containerPort: ", 1)[1].split("\n", 1)[0]
    return f"""\
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {namespace}
  labels:
    app: {name}
spec:
  type: ClusterIP
  selector:
    app: {name}
  ports:
  - name: http
    port: 80
    targetPort: {port}
    protocol: TCP
"""


def corpus_documents(count: int, seed: int = 1):
    """``count`` documents: Deployment, Service, Deployment, Service, ..."""
    rng = random.Random(seed)
    index = 0
    produced = 0
    while produced < count:
        text = deployment(rng, index)
        yield text
        produced += 1
        if produced < count:
            yield service(rng, index, text)
            produced += 1
        index += 1


def write_corpus(directory: Path, count: int, per_file: int, big_file: bool, seed: int = 1) -> list[Path]:
    """Write ``count`` documents: one file (``big_file``) or files of ``per_file`` documents."""
    stamp = directory / ".complete"
    if stamp.exists() and stamp.read_text() == f"{count} {per_file} {big_file} {seed}":
        return sorted(p for p in directory.rglob("*.yaml"))
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    paths = []
    docs = corpus_documents(count, seed)
    if big_file:
        path = directory / "all.yaml"
        with path.open("w", encoding="utf-8") as handle:
            for n, text in enumerate(docs):
                handle.write(("---\n" if n else "") + text)
        paths.append(path)
    else:
        chunk: list[str] = []
        number = 0

        def flush():
            nonlocal number
            # a few sub-directories, like a real repository
            path = directory / f"team-{number % 8}" / f"app-{number:05d}.yaml"
            path.parent.mkdir(exist_ok=True)
            path.write_text("---\n".join(chunk), encoding="utf-8")
            paths.append(path)
            number += 1
            chunk.clear()

        for text in docs:
            chunk.append(text)
            if len(chunk) == per_file:
                flush()
        if chunk:
            flush()
    stamp.write_text(f"{count} {per_file} {big_file} {seed}")
    return sorted(paths)


# --- measurements --------------------------------------------------------------------------------


_FLOOR_SCRIPT = """
import gc, sys, time
try:
    from ruamel.yaml.clib._ruamel_yaml import CParser
except ImportError:
    from _ruamel_yaml import CParser
from ruamel.yaml.events import StreamEndEvent
paths = sys.stdin.read().splitlines()
repeat = int(sys.argv[1])
clock = time.process_time if sys.argv[2:] == ["cpu"] else time.perf_counter
times = []
for _ in range(repeat):
    gc.collect()
    start = clock()
    for path in paths:
        with open(path, "rb") as handle:
            parser = CParser(handle.read().decode("utf-8"))
        get = parser.get_event
        while get().__class__ is not StreamEndEvent:
            pass
    times.append(clock() - start)
print(min(times))
"""


def raw_event_seconds(paths: list[Path], repeat: int, cpu: bool = False) -> float:
    """Read every file and let ruamel.yaml's C parser emit every event, doing nothing with them.

    Runs in a clean interpreter: k8slint installs cheaper event classes into the C parser when it
    is imported, and the floor is meant to be stock ruamel.yaml's (best of ``repeat`` runs). Wall
    seconds, or with ``cpu`` the process's CPU seconds (what --shapes compares lint CPU time with).
    """
    out = subprocess.run([sys.executable, "-c", _FLOOR_SCRIPT, str(repeat), *(["cpu"] if cpu else [])],
                         input="\n".join(map(str, paths)),
                         capture_output=True, text=True, check=True).stdout
    return float(out)


def compile_bytecode() -> None:
    """Byte-compile k8slint as ``pip install`` does, so that the timed processes load ``.pyc``
    files instead of compiling every module from source (see the module docstring)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "k8slint")], check=True,
                   stdout=subprocess.DEVNULL)


def k8slint_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "k8slint", "lint", "--no-color", *args]


def all_rules_flags() -> list[str]:
    """--enable for every rule id that is off by default: the benchmark runs *all* rules."""
    sys.path.insert(0, str(ROOT))
    from k8slint import catalog

    return [flag for rule_id, meta in sorted(catalog.load_catalog().items())
            if meta.get("enabled_by_default") is False for flag in ("--enable", rule_id)]


def timed_run(command: list[str], output: Path | None = None) -> tuple[float, int, bytes]:
    """Wall seconds, exit code and stdout of one new process (stdout to ``output`` if given)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with tempfile.TemporaryFile() as sink:
        start = time.perf_counter()
        code = subprocess.call(command, stdout=sink, stderr=subprocess.DEVNULL, cwd=str(OUT), env=env)
        elapsed = time.perf_counter() - start
        sink.seek(0)
        data = sink.read()
    if output is not None:
        output.write_bytes(data)
    return elapsed, code, data


def best(times: list[float]) -> float:
    return min(times)


def peak_rss_mb(command: list[str], timeout: float) -> tuple[float, float, bool]:
    """Peak RSS (MiB) of a child process, measured by the kernel (ru_maxrss of waited children),
    its wall seconds, and whether it finished before ``timeout`` (else it is killed)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # A fresh intermediate process so that ru_maxrss of RUSAGE_CHILDREN is this run's alone.
    probe = (
        "import resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "try:\n"
        "    subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,\n"
        "                   timeout=float(sys.argv[1]))\n"
        "    done = 1\n"
        "except subprocess.TimeoutExpired:\n"
        "    done = 0\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.perf_counter() - start, done)\n")
    out = subprocess.run([sys.executable, "-c", probe, str(timeout), *command], capture_output=True, text=True,
                         cwd=str(OUT), env=env, check=True).stdout.split()
    return int(out[0]) / 1024, float(out[1]), out[2] == "1"


def find_checkov(explicit: str | None) -> str | None:
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    return shutil.which("checkov")


def checkov_seconds(checkov: str, directory: Path) -> tuple[float, int]:
    command = [checkov, "-d", str(directory), "--framework", "kubernetes", "--skip-download",
               "--quiet", "--compact", "-o", "cli"]
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false",
               LOG_LEVEL="ERROR")
    start = time.perf_counter()
    code = subprocess.call(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start, code


# --- main ----------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=5000,
                        help="documents in the timing corpus (0: no timing, --jobs or Checkov sections)")
    parser.add_argument("--per-file", type=int, default=2, help="documents per file, many-files corpus")
    parser.add_argument("--rss-docs", type=int, default=100_000, help="documents for the memory run (0: skip)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (best is kept)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel run: --jobs N")
    parser.add_argument("--checkov", help="path of the checkov executable (default: on PATH)")
    parser.add_argument("--checkov-docs", type=int, default=0,
                        help="documents of the many-files corpus Checkov is timed on (default 0: all of them, the "
                             "same files as the --jobs section; Checkov takes about a minute for 5,000)")
    parser.add_argument("--rss-timeout", type=float, default=600, help="seconds before the memory run is stopped")
    parser.add_argument("--rule-timeout", type=float, default=60,
                        help="seconds before one cross-object rule is stopped in the breakdown")
    parser.add_argument("--quick", action="store_true", help="small corpora, one run each")
    parser.add_argument("--shapes", nargs="?", const="all", default=None,
                        help="only the scaling shapes (comma-separated names of benchmarks/shapes.py, all, or extra: "
                             "the EXTRA_SHAPES)")
    parser.add_argument("--sizes", default="1000,5000,20000", help="document counts for --shapes")
    parser.add_argument("--layouts", default="all", help="comma-separated layouts for --shapes (default all)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before one --shapes lint is stopped")
    args = parser.parse_args(argv)
    if args.quick:
        args.docs, args.rss_docs, args.repeat, args.checkov_docs = 1000, 10_000, 1, 200
    compile_bytecode()
    if args.shapes is not None:
        return run_shapes(args)

    OUT.mkdir(exist_ok=True)
    timing = args.docs > 0  # --docs 0: only the one-file start-up and the memory run
    big = write_corpus(OUT / f"big-{args.docs}", args.docs, args.docs, big_file=True) if timing else []
    many = write_corpus(OUT / f"many-{args.docs}", args.docs, args.per_file, big_file=False) if timing else []
    single = write_corpus(OUT / "single", 2, 2, big_file=True)
    size_mb = sum(p.stat().st_size for p in big) / 1e6
    enable = all_rules_flags()
    no_set = set_rules_off_flags()
    # one file must fit the default 32 MiB limit; the big-file corpus may not
    size_flag = ["--max-file-size", str(int(size_mb) + 2)] if size_mb > 30 else []
    results: dict[str, object] = {}
    failed: list[str] = []

    print(f"k8slint benchmark: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"bare interpreter start {interpreter_start():.3f} s")
    if timing:
        print(f"corpus: {args.docs} documents ({args.docs - args.docs // 2} Deployments, {args.docs // 2} Services), "
              f"{size_mb:.1f} MB; one file, and {len(many)} files of {args.per_file}")
        print("times are wall seconds of a new process (interpreter start included), best of "
              f"{args.repeat} interleaved rounds; 'per-object rules' disables the {len(no_set) // 2} cross-object "
              f"rule ids")
    corpora = (("one big file", big, big[0].parent), ("many small files", many, many[0].parents[1])) if timing else ()
    for label, paths, target in corpora:
        key = label.split()[0]
        output = OUT / f"lint-{key}.txt"
        # Interleaved (floor, lint, per-object lint) rounds, best of each: on a shared machine a
        # noisy minute then weighs on all three alike instead of on whichever ran during it.
        floors, runs, streams = [], [], []
        for _ in range(args.repeat):
            floors.append(raw_event_seconds(paths, 1))
            runs.append(timed_run(k8slint_command("--jobs", "1", *enable, *size_flag, str(target)), output))
            streams.append(timed_run(k8slint_command("--jobs", "1", *enable, *no_set, *size_flag, str(target)))[0])
        floor, lint, streaming = best(floors), best([r[0] for r in runs]), best(streams)
        if runs[0][1] not in (0, 1):
            failed.append(f"lint of {label} exited {runs[0][1]}")
        ratio, ratio_streaming = lint / floor, streaming / floor
        breakdown = phases(target, args.rule_timeout)
        print(f"\n[{label}]")
        print(f"  floor: C parser events only        {floor:7.3f} s  ({size_mb / floor:.1f} MB/s)")
        print(f"  k8slint lint --jobs 1, all rules   {lint:7.3f} s  = {ratio:5.2f} x floor (target <= "
              f"{TARGETS['ratio']}); {args.docs / lint:,.0f} documents/s, {count_findings(runs[0][2])} findings")
        print(f"  the same, per-object rules only    {streaming:7.3f} s  = {ratio_streaming:5.2f} x floor")
        if breakdown:
            slow = sorted(((v, k) for k, v in breakdown["set_rules_seconds"].items() if isinstance(v, float)),
                          reverse=True)[:3]
            stopped = [k for k, v in breakdown["set_rules_seconds"].items() if not isinstance(v, float)]
            print(f"  in-process breakdown: per-file phase {breakdown['per_file_seconds']:.3f} s, cross-object "
                  f"rules {breakdown['set_rules_total_seconds']:.3f} s (slowest: "
                  + ", ".join(f"{k} {v:.2f} s" for v, k in slow)
                  + (f"; stopped after {args.rule_timeout:g} s: {', '.join(stopped)}" if stopped else "") + ")")
            results[f"breakdown_{key}"] = breakdown
        results[f"floor_{key}"], results[f"lint_{key}"], results[f"ratio_{key}"] = floor, lint, ratio
        results[f"lint_per_object_{key}"], results[f"ratio_per_object_{key}"] = streaming, ratio_streaming
        if ratio > TARGETS["ratio"]:
            failed.append(f"ratio on {label} {ratio:.2f} > {TARGETS['ratio']}")

    walls = [timed_run(k8slint_command(*enable, str(single[0])))[0] for _ in range(max(7, args.repeat))]
    wall = statistics.median(walls)
    print(f"\n[one file as a new process]\n  k8slint lint one-file.yaml          {wall:7.3f} s  median of {len(walls)} "
          f"(best {min(walls):.3f}; target <= {TARGETS['single_file_wall']})")
    results["single_file_wall"] = wall
    if wall > TARGETS["single_file_wall"]:
        failed.append(f"single-file wall {wall:.3f} s > {TARGETS['single_file_wall']}")

    if timing:
        target_dir = str(many[0].parents[1])
        print(f"\n[--jobs on {len(many)} files: best of {args.repeat}]")
        ceiling_one, ceiling_par = [], []
        for label, flags in (("all rules", enable), ("per-object rules only", enable + no_set)):
            one, par = [], []
            for _ in range(args.repeat):  # interleaved, for the same reason as above
                one.append(timed_run(k8slint_command("--jobs", "1", *flags, target_dir)))
                par.append(timed_run(k8slint_command("--jobs", str(args.jobs), *flags, target_dir)))
                # the machine's own ceiling, in the same rounds: perfectly parallel pure-Python work
                ceiling_one.append(timed_run(ceiling_command(1))[0])
                ceiling_par.append(timed_run(ceiling_command(args.jobs))[0])
            t1, tn = best([r[0] for r in one]), best([r[0] for r in par])
            identical = all(r[2] == one[0][2] for r in one + par)
            speedup = t1 / tn
            print(f"  {label + ':':<23} --jobs 1 {t1:7.3f} s   --jobs {args.jobs} {tn:7.3f} s   speed-up {speedup:.2f} x "
                  f"(target >= {TARGETS['jobs_speedup']} on 2 cores)   output identical: {'yes' if identical else 'NO'}")
            results[f"jobs_speedup_{label.split()[0]}"] = speedup
            if not identical:
                failed.append(f"--jobs output differs from --jobs 1 ({label})")
            if args.jobs >= 2 and speedup < TARGETS["jobs_speedup"]:
                failed.append(f"--jobs speed-up ({label}) {speedup:.2f} < {TARGETS['jobs_speedup']}")
        ceiling = best(ceiling_one) / best(ceiling_par)
        results["jobs_ceiling"] = ceiling
        print(f"  machine ceiling: pure-Python work split over {args.jobs} processes (benchmarks/ceiling.py, same rounds): "
              f"{best(ceiling_one):.3f} s -> {best(ceiling_par):.3f} s = {ceiling:.2f} x; k8slint reaches "
              f"{results['jobs_speedup_all'] / ceiling:.0%} of it with all rules, "
              f"{results['jobs_speedup_per-object'] / ceiling:.0%} with per-object rules")

    if args.rss_docs:
        rss_dir = OUT / f"rss-{args.rss_docs}"
        rss_files = write_corpus(rss_dir, args.rss_docs, 2500, big_file=False, seed=2)
        rss_mb_on_disk = sum(p.stat().st_size for p in rss_files) / 1e6
        print(f"\n[memory: {args.rss_docs:,} documents, {rss_mb_on_disk:.0f} MB in {len(rss_files)} files, --jobs 1]")
        rss, seconds, done = peak_rss_mb(k8slint_command("--jobs", "1", *enable, str(rss_dir)), args.rss_timeout)
        print(f"  peak RSS, all rules                {rss:7.1f} MiB in {seconds:.1f} s"
              + ("" if done else f" (stopped: not finished after {args.rss_timeout:g} s)")
              + f"  (target <= {TARGETS['peak_rss_mb']} MiB for 100,000 documents)")
        streaming_rss, streaming_s, _ = peak_rss_mb(k8slint_command("--jobs", "1", *enable, *no_set, str(rss_dir)),
                                                    args.rss_timeout)
        print(f"  peak RSS, per-object rules only    {streaming_rss:7.1f} MiB in {streaming_s:.1f} s (documents stream)")
        inventory = phases(rss_dir, args.rule_timeout, skip_set_rules=not done)
        if inventory:
            print(f"  peak RSS after reading every file with the cross-object inventory held: "
                  f"{inventory['peak_rss_mb_after_files']:.0f} MiB ({inventory['inventory_objects']:,} compact "
                  f"summaries)")
            results["rss_inventory_mb"] = inventory["peak_rss_mb_after_files"]
        results["peak_rss_mb"], results["peak_rss_finished"] = rss, done
        results["peak_rss_per_object_mb"] = streaming_rss
        if rss > TARGETS["peak_rss_mb"] or not done:
            failed.append(f"peak RSS {rss:.0f} MiB" + ("" if done else " (run not finished)")
                          + f" vs target {TARGETS['peak_rss_mb']}")

    checkov = find_checkov(args.checkov) if timing else None
    if checkov:
        sample_docs = args.docs if args.checkov_docs <= 0 else min(args.checkov_docs, args.docs)
        # the same files as the --jobs section; a smaller sample weighs k8slint's start-up (~0.1 s) more
        sample = many if sample_docs == args.docs else \
            write_corpus(OUT / f"checkov-{sample_docs}", sample_docs, args.per_file, big_file=False)
        sample_dir = sample[0].parents[1]
        ours = best([timed_run(k8slint_command("--jobs", "1", *enable, str(sample_dir)))[0]
                     for _ in range(args.repeat)])
        ours_streaming = best([timed_run(k8slint_command("--jobs", "1", *enable, *no_set, str(sample_dir)))[0]
                               for _ in range(args.repeat)])
        theirs, code = checkov_seconds(checkov, sample_dir)
        ratio = theirs / ours
        print(f"\n[Checkov {checkov_version(checkov)} on the same {sample_docs} documents ({len(sample)} files), "
              f"--skip-download]\n"
              f"  checkov {theirs:7.2f} s ({sample_docs / theirs:,.0f} documents/s, exit {code})\n"
              f"  k8slint --jobs 1, all rules        {ours:7.3f} s ({sample_docs / ours:,.0f} documents/s): "
              f"{ratio:.0f}x faster (target >= {TARGETS['checkov_ratio']})\n"
              f"  k8slint --jobs 1, per-object rules {ours_streaming:7.3f} s ({sample_docs / ours_streaming:,.0f} "
              f"documents/s): {theirs / ours_streaming:.0f}x faster")
        results["checkov_ratio_per_object"] = theirs / ours_streaming
        results["checkov_ratio"], results["checkov_seconds"], results["checkov_docs"] = ratio, theirs, sample_docs
        if ratio < TARGETS["checkov_ratio"]:
            failed.append(f"Checkov ratio {ratio:.0f} < {TARGETS['checkov_ratio']}")
    elif timing:
        print("\n[Checkov] not installed (pip install checkov, or --checkov PATH): skipped")

    (OUT / "results.json").write_text(json.dumps(results, indent=1))
    print()
    if failed:
        print("TARGETS MISSED: " + "; ".join(failed))
        return 1
    print("all targets met")
    return 0


# --- scaling shapes ------------------------------------------------------------------------------


def cpu_run(command: list[str], timeout: float) -> tuple[float | None, float, int]:
    """CPU seconds (user + system, None when stopped after ``timeout``), peak RSS in MiB and exit
    code of one new process, from the kernel's accounting of that child alone (wait4)."""
    import threading

    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=str(OUT),
                               env=env)
    timer = threading.Timer(timeout, process.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    killed = process.returncode < 0
    return (None if killed else usage.ru_utime + usage.ru_stime), usage.ru_maxrss / 1024, process.returncode


def _seconds(value: float | None, timeout: float) -> str:
    return f"{value:8.2f}" if value is not None else f"> {timeout:5.0f}"


def run_shapes(args) -> int:
    import shapes

    known = {**shapes.SHAPES, **shapes.EXTRA_SHAPES}
    names = list(shapes.SHAPES) if args.shapes == "all" else list(shapes.EXTRA_SHAPES) if args.shapes == "extra" \
        else args.shapes.split(",")
    layouts = list(shapes.LAYOUTS) if args.layouts == "all" else args.layouts.split(",")
    sizes = sorted(int(n) for n in args.sizes.split(","))
    unknown = [n for n in names if n not in known] + [n for n in layouts if n not in shapes.LAYOUTS]
    if unknown:
        print(f"unknown shape or layout: {', '.join(unknown)} (shapes: {', '.join(known)}, all, extra; layouts: "
              f"{', '.join(shapes.LAYOUTS)})", file=sys.stderr)
        return 2
    OUT.mkdir(exist_ok=True)
    enable = all_rules_flags()
    cluster = shapes.cluster_file(OUT / "shape-cluster-nodes.yaml")
    failed: list[str] = []
    results: dict[str, object] = {}
    print(f"k8slint scaling shapes: {os.cpu_count()} cores (shared: compare ratios within a row, not across runs)")
    print("CPU seconds (user+system) of `k8slint lint --jobs 1 --format json`, all rules, a new process "
          "(interpreter start included); floor: CPU seconds of the C parser emitting the events of the same files "
          f"in a clean interpreter (best of 3); best of {args.repeat} interleaved rounds; "
          "exponent: k in time ~ documents^k from the previous size")
    for shape in names:
        extra = ["--cluster", str(cluster)] if shape in shapes.CLUSTER_SHAPES else []
        for layout in layouts:
            print(f"\n[{shape}, {layout}]\n  {'documents':>9} {'floor s':>8} {'lint s':>8} {'x floor':>8} "
                  f"{'exp floor':>9} {'exp lint':>8} {'RSS MiB':>8}")
            previous = None
            for size in sizes:
                paths = shapes.write(OUT / f"shape-{shape}-{layout}-{size}", shape, size, layout)
                target = OUT / f"shape-{shape}-{layout}-{size}"
                size_mb = sum(p.stat().st_size for p in paths) / 1e6
                size_flag = ["--max-file-size", str(int(size_mb) + 2)] if size_mb > 30 else []
                floor_paths = paths + ([cluster] if extra else [])
                floors, lints, rss = [], [], 0.0
                for _ in range(args.repeat):
                    floors.append(raw_event_seconds(floor_paths, 3, cpu=True))
                    seconds, peak, code = cpu_run(k8slint_command("--jobs", "1", "--format", "json", *enable,
                                                                  *extra, *size_flag, str(target)), args.timeout)
                    lints.append(seconds)
                    rss = max(rss, peak)
                    if seconds is None or code not in (0, 1):
                        break
                floor = min(floors)
                lint = None if None in lints else min(lints)
                ratio = lint / floor if lint is not None else None
                exp_floor = exp_lint = float("nan")
                if previous is not None:
                    exp_floor = shapes.growth_exponent(previous[0], previous[1], size, floor)
                    if lint is not None and previous[2] is not None:
                        exp_lint = shapes.growth_exponent(previous[0], previous[2], size, lint)
                print(f"  {size:>9,} {floor:8.2f} {_seconds(lint, args.timeout)} "
                      f"{(f'{ratio:8.2f}' if ratio is not None else '       -')} {exp_floor:9.2f} {exp_lint:8.2f} "
                      f"{rss:8.0f}" + ("" if code in (0, 1) or lint is None else f"  (exit {code})"))
                key = f"{shape}/{layout}/{size}"
                results[key] = {"floor": floor, "lint": lint, "ratio": ratio, "exponent": exp_lint, "rss_mb": rss}
                if size == sizes[-1]:
                    if ratio is None or ratio > TARGETS["ratio"]:
                        failed.append(f"{key}: " + (f"{ratio:.2f} x floor" if ratio else "stopped"))
                    if previous is not None and not exp_lint <= TARGETS["growth_exponent"]:
                        failed.append(f"{key}: growth exponent {exp_lint:.2f}")
                previous = (size, floor, lint)
    if "cluster" in names:
        paths = shapes.write(OUT / "shape-cluster-workloads-1000", "cluster", 2000, "50-per-file")
        target = str(OUT / "shape-cluster-workloads-1000")
        with_times, without_times, rss = [], [], 0.0
        for _ in range(args.repeat):
            seconds, peak, _ = cpu_run(k8slint_command("--jobs", "1", *enable, "--cluster", str(cluster), target),
                                       args.timeout)
            with_times.append(seconds)
            rss = max(rss, peak)
            without_times.append(cpu_run(k8slint_command("--jobs", "1", *enable, target), args.timeout)[0])
        with_cluster = None if None in with_times else min(with_times)
        without = min(t for t in without_times if t is not None)
        ratio = with_cluster / without if with_cluster is not None else None
        print(f"\n[1,000 workloads (2,000 documents), with and without a --cluster file of 5,000 nodes in "
              f"{len(shapes.POOLS)} pools]\n  without {without:.2f} s, with {_seconds(with_cluster, args.timeout)} s "
              f"CPU = {ratio if ratio is not None else float('nan'):.2f} x (target <= {TARGETS['cluster_ratio']}); "
              f"peak RSS with the cluster {rss:.0f} MiB (target <= {TARGETS['peak_rss_mb']})")
        results["cluster_1000"] = {"with": with_cluster, "without": without, "ratio": ratio, "rss_mb": rss}
        if ratio is None or ratio > TARGETS["cluster_ratio"]:
            failed.append("cluster ratio " + (f"{ratio:.2f}" if ratio else "stopped"))
        if rss > TARGETS["peak_rss_mb"]:
            failed.append(f"cluster peak RSS {rss:.0f} MiB")
    (OUT / "shapes-results.json").write_text(json.dumps(results, indent=1))
    print()
    if failed:
        print("TARGETS MISSED: " + "; ".join(failed))
        return 1
    print("all targets met")
    return 0


def count_findings(output: bytes) -> int:
    return sum(1 for line in output.splitlines() if b": error " in line or b": warning " in line
               or b": info " in line)


def set_rules_off_flags() -> list[str]:
    """--disable for every id a cross-object rule reports: the streaming path on its own."""
    from k8slint.rules import SET, reported_ids

    return [flag for rule_id, item in sorted(reported_ids().items()) if item.scope == SET
            for flag in ("--disable", rule_id)]


def ceiling_command(procs: int) -> list[str]:
    return [sys.executable, str(HERE / "ceiling.py"), "--procs", str(procs)]


def interpreter_start() -> float:
    return min(timed_run([sys.executable, "-c", "pass"])[0] for _ in range(5))


def phases(target: Path, rule_timeout: float, skip_set_rules: bool = False) -> dict | None:
    """benchmarks/phases.py in a child process: per-file phase, inventory RSS, rule times."""
    command = [sys.executable, str(HERE / "phases.py"), "--json", "--rule-timeout",
               str(0.001 if skip_set_rules else rule_timeout), str(target)]
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        print(f"  (phases.py failed: {run.stderr.strip().splitlines()[-1:]})")
        return None
    return json.loads(run.stdout)


def checkov_version(checkov: str) -> str:
    run = subprocess.run([checkov, "--version"], capture_output=True, text=True)
    return run.stdout.strip() or "?"


if __name__ == "__main__":
    sys.exit(main())
