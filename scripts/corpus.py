"""Lint the corpus of real manifests in-process: snapshot of every finding, per-rule counts,
timing.

    python scripts/corpus.py            # summary: files, documents, findings per rule, seconds
    python scripts/corpus.py --write    # regenerate tests/snapshots/corpus.tsv, docs/peer-agreement.md and
                                        # docs/precision-review.md (findings + reviewed verdicts, see
                                        # scripts/precision_review.py)
    python scripts/corpus.py --check    # compare with both; print the diff, exit 1 if either differs
    python scripts/corpus.py --review   # print every error/warning finding on real/ with its message

The corpus is the repository's own copy in ``tests/corpus`` (its sources and licences in
``tests/corpus/SOURCES.md``; ``--corpus DIR`` or $K8SLINT_CORPUS point elsewhere). How it is linted, and why:

* ``real/<owner>__<repo>/``: one run per repository, as its maintainers would run
  ``k8slint lint .`` (cross-object rules see the whole repository, not other repositories);
* ``peers/<owner>__<repo>/<file>``: one run per file: each file is one test case of another linter
  and is meant to be read on its own.

Every rule id is enabled (rules that are off by default too, so that they meet real files as
well); their default severity is kept and a rule that is off by default shows ``off`` in the
snapshot's severity column. No cluster is given, as in a plain ``k8slint lint``.

Snapshot rows (tab separated, sorted): rule, severity, file (relative to the corpus), line,
object (``kind/namespace/name``; ``-`` for parse errors and notes). Parse errors are rows with
rule ``parse-error`` and notes (files skipped on purpose) rows with rule ``note``, so that every
change in what k8slint does with a real file shows up in review.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "tests" / "snapshots" / "corpus.tsv"
DEFAULT_CORPUS = ROOT / "tests" / "corpus"
REGENERATE = "python scripts/corpus.py --write"
HEADER = "# rule\tseverity\tfile\tline\tobject  (regenerate: " + REGENERATE + ")"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(ROOT / "scripts") not in sys.path:
    sys.path.insert(0, str(ROOT / "scripts"))


@dataclass
class CorpusResult:
    rows: list[tuple] = field(default_factory=list)  # snapshot rows, sorted
    findings: list = field(default_factory=list)  # (relative file, Finding), real/ and peers/
    files: Counter = field(default_factory=Counter)  # part ("real"/"peers") -> files
    documents: Counter = field(default_factory=Counter)
    seconds: dict = field(default_factory=dict)  # part -> seconds
    errors: list = field(default_factory=list)  # (relative file, InputError)
    notes: list = field(default_factory=list)  # (relative file, Note)
    runs: dict = field(default_factory=dict)  # peers/<file> -> RunResult (for scripts/peer_agreement.py)


def corpus_dir(given: str | None = None) -> Path:
    return Path(given or os.environ.get("K8SLINT_CORPUS") or DEFAULT_CORPUS)


def units(corpus: Path, part: str) -> list[tuple[str, list[str]]]:
    """(name, paths) of the runs for ``part``: a repository per run (real), a file per run (peers)."""
    base = corpus / part
    if not base.is_dir():
        return []
    repos = sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))
    if part == "real":
        return [(repo.name, [str(repo)]) for repo in repos]
    from k8slint.source import discover

    out = []
    for repo in repos:
        files, _ = discover([str(repo)])
        out.extend((os.path.relpath(f, base), [f]) for f in files)
    return out


def options(enabled=None, cluster=None):
    from k8slint import catalog
    from k8slint.engine import Options
    from k8slint.rules import reported_ids

    ids = frozenset(enabled) if enabled is not None else frozenset(reported_ids())
    off = {i for i, meta in catalog.load_catalog().items() if meta.get("enabled_by_default") is False}
    return Options(enabled=ids, cluster=cluster, jobs=1), off


def object_label(finding) -> str:
    if not finding.kind:
        return "-"
    return f"{finding.kind}/{finding.namespace or ''}/{finding.name or ''}"


def lint_corpus(corpus: Path, parts=("real", "peers")) -> CorpusResult:
    from k8slint.engine import run

    opts, off = options()
    result = CorpusResult()
    rows = []
    for part in parts:
        started = time.perf_counter()
        for name, paths in units(corpus, part):
            run_result = run(paths, opts)
            if part == "peers":
                result.runs[f"peers/{Path(name).as_posix()}"] = run_result
            result.files[part] += run_result.files
            result.documents[part] += run_result.documents
            for finding in run_result.findings:
                rel = _relative(finding.file, corpus)
                result.findings.append((rel, finding))
                severity = "off" if finding.rule in off else finding.severity
                if finding.suppressed:
                    severity += " (suppressed)"
                rows.append((finding.rule, severity, rel, finding.line, object_label(finding)))
            for error in run_result.errors:
                rel = _relative(error.file, corpus)
                result.errors.append((rel, error))
                rows.append((error.rule, "error", rel, error.line, "-"))
            for note in run_result.notes:
                if note.rule:  # what a rule could not check (ctx.note): run-level, not about the file
                    continue
                rel = _relative(note.file, corpus)
                result.notes.append((rel, note))
                rows.append(("note", "-", rel, 0, "-"))
        result.seconds[part] = time.perf_counter() - started
    result.rows = sorted(set(rows), key=lambda r: (r[2], r[3], r[0], r[4], r[1]))
    if len(result.rows) != len(rows):  # identical rows (two findings, same rule/line/object): keep count
        counts = Counter(rows)
        result.rows = sorted((r if n == 1 else r[:4] + (f"{r[4]} x{n}",) for r, n in counts.items()),
                             key=lambda r: (r[2], r[3], r[0], r[4], r[1]))
    return result


def _relative(path: str, corpus: Path) -> str:
    try:
        return Path(os.path.relpath(path, corpus)).as_posix()
    except ValueError:
        return path


def format_rows(rows) -> str:
    return HEADER + "\n" + "".join("\t".join(str(c) for c in row) + "\n" for row in rows)


def snapshot_diff(rows, snapshot: Path = SNAPSHOT) -> str:
    """Unified diff of the snapshot against ``rows``; empty when they agree."""
    old = snapshot.read_text(encoding="utf-8").splitlines(keepends=True) if snapshot.exists() else []
    new = format_rows(rows).splitlines(keepends=True)
    return "".join(difflib.unified_diff(old, new, str(snapshot.relative_to(ROOT)), "current run", n=0))


def whole_corpus_seconds(corpus: Path) -> dict:
    """Seconds for ``k8slint lint corpus/real`` and ``corpus/peers`` as one run each (default rules)."""
    from k8slint import catalog
    from k8slint.engine import Options, run
    from k8slint.rules import reported_ids

    off = {i for i, meta in catalog.load_catalog().items() if meta.get("enabled_by_default") is False}
    opts = Options(enabled=frozenset(set(reported_ids()) - off), jobs=1)
    out = {}
    for part in ("real", "peers"):
        started = time.perf_counter()
        result = run([str(corpus / part)], opts)
        out[part] = (time.perf_counter() - started, result.files, result.documents, len(result.findings),
                     len(result.errors))
    return out


def summary(result: CorpusResult) -> str:
    lines = []
    for part in result.files:
        lines.append(f"{part}: {result.files[part]} files, {result.documents[part]} documents, "
                     f"{result.seconds[part]:.2f} s")
    by_rule: dict[str, Counter] = {}
    for rel, finding in result.findings:
        by_rule.setdefault(finding.rule, Counter())[(rel.split("/")[0], finding.severity)] += 1
    for rel, error in result.errors:
        by_rule.setdefault(error.rule, Counter())[(rel.split("/")[0], "error")] += 1
    for rel, _ in result.notes:
        by_rule.setdefault("note", Counter())[(rel.split("/")[0], "-")] += 1
    lines.append("")
    lines.append(f"{'rule':<34} {'severity':<8} {'real':>6} {'peers':>6}")
    for rule in sorted(by_rule):
        severities = sorted({s for _, s in by_rule[rule]})
        for severity in severities:
            lines.append(f"{rule:<34} {severity:<8} {by_rule[rule][('real', severity)]:>6} "
                         f"{by_rule[rule][('peers', severity)]:>6}")
    return "\n".join(lines)


def review(result: CorpusResult) -> str:
    """Every error- and warning-level finding on real/, grouped by rule, with its message."""
    out = []
    for rel, finding in sorted(result.findings, key=lambda x: (x[1].rule, x[0], x[1].line)):
        if rel.startswith("real/") and finding.severity in ("error", "warning"):
            out.append(f"{finding.rule}\t{finding.severity}\t{rel}:{finding.line}:{finding.column}\t"
                       f"{object_label(finding)}\t{finding.path}\t{finding.message}")
    for rel, error in result.errors:
        if rel.startswith("real/"):
            out.append(f"{error.rule}\terror\t{rel}:{error.line}:{error.column}\t-\t-\t{error.message}")
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", help="corpus directory (default tests/corpus)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help="regenerate the snapshot")
    group.add_argument("--check", action="store_true", help="compare with the snapshot")
    group.add_argument("--review", action="store_true", help="list error/warning findings on real/")
    parser.add_argument("--timing", action="store_true",
                        help="also time `k8slint lint corpus/real` and `corpus/peers` as single runs")
    args = parser.parse_args(argv)
    corpus = corpus_dir(args.corpus)
    if not (corpus / "real").is_dir():
        print(f"no corpus at {corpus}", file=sys.stderr)
        return 2
    result = lint_corpus(corpus)
    if args.review:
        print(review(result))
        return 0
    import peer_agreement

    agreement = peer_agreement.render(*peer_agreement.evaluate(corpus, result.runs))
    if args.write:
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(format_rows(result.rows), encoding="utf-8")
        print(f"wrote {SNAPSHOT.relative_to(ROOT)} ({len(result.rows)} rows)")
        peer_agreement.DOC.write_text(agreement, encoding="utf-8")
        print(f"wrote {peer_agreement.DOC.relative_to(ROOT)}")
        import precision_review

        unreviewed = precision_review.write(result)
        print(f"wrote {precision_review.DOC.relative_to(ROOT)}")
        for line in unreviewed:
            print(f"  {line}")
        if unreviewed:
            print(f"review each finding above and record its verdict in {precision_review.VERDICTS.relative_to(ROOT)}")
    print(summary(result))
    if args.timing:
        for part, (seconds, files, documents, findings, errors) in whole_corpus_seconds(corpus).items():
            print(f"k8slint lint corpus/{part}: {seconds:.2f} s ({files} files, {documents} documents, "
                  f"{findings} findings, {errors} input errors; default rules, one process)")
    if args.check:
        diff = snapshot_diff(result.rows)
        stale = peer_agreement.stale(agreement)
        if diff:
            print(diff)
            print(f"snapshot differs: review the diff, then run `{REGENERATE}`")
        if stale:
            print(f"docs/peer-agreement.md is not current: run `{REGENERATE}`")
        import precision_review

        review_issues = precision_review.check(result)
        for line in review_issues:
            print(line)
        if diff or stale or review_issues:
            return 1
        print("snapshot, docs/peer-agreement.md and docs/precision-review.md are current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
