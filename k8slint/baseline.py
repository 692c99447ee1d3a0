"""Baselines: adopt k8slint on a repository with history and fail only on new findings.

``k8slint lint --write-baseline FILE`` records the run's findings; ``--baseline FILE`` (or
``baseline:`` in ``.k8slint.yaml``) marks each finding ``unchanged`` when the baseline holds it and
``new`` when it does not, and only new ones are reported and count for the exit code.

A finding is matched by its identity, the one SARIF's ``partialFingerprints["k8slint/v1"]`` hashes
(k8slint.report.sarif): rule id, file, the object's API group, kind, namespace and name (or its
document's index when it has no name), and the field path, never a line or a column. So a
finding whose lines moved (a comment added above it, a document reordered) stays matched, and an
``apiVersion`` bump inside one group (``autoscaling/v2beta2`` -> ``v2``) does not make it new.
Files are recorded relative to the baseline file's directory, so the run can start anywhere in
the repository. A finding that occurs n times (the same field of the same object) is matched n
times: a further occurrence is new.

The file is JSON, sorted, one entry per identity with its count and, for the reader only, the
last message: it diffs well in review. Writing it again keeps only what the run found, so fixed
findings drop out.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass

from k8slint.source import STDIN

FORMAT = "k8slint-baseline/v1"
MAX_BYTES = 64 * 2**20  # ~300,000 entries; a baseline is read whole
NEW, UNCHANGED = "new", "unchanged"  # SARIF result.baselineState values


class BaselineError(Exception):
    """A baseline that cannot be read or written; the CLI exits 2 with it."""


def identity(finding, file: str) -> tuple[str, ...]:
    """What identifies a finding across runs: rule, file, API group, kind, namespace, name (or
    document index) and field path. ``file`` is the finding's file as the caller names it (SARIF:
    its URI; baselines: relative to the baseline's directory)."""
    group = finding.api_version.rpartition("/")[0] if "/" in finding.api_version else ""
    name = finding.name or f"#document-{finding.doc_index}"
    return (finding.rule, file, group, finding.kind, finding.namespace, name, finding.path)


def relative_file(path: str, base_dir: str) -> str:
    """``path`` relative to ``base_dir``, POSIX separators; standard input stays ``-``; a path
    outside ``base_dir`` stays absolute."""
    if path == STDIN:
        return path
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute, os.path.abspath(base_dir))
    except ValueError:  # another drive (Windows)
        return absolute.replace(os.sep, "/")
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return absolute.replace(os.sep, "/")
    return relative.replace(os.sep, "/")


def _key(finding, base_dir: str) -> tuple[str, ...]:
    # A finding in Helm output is identified by its template (the ``# Source:`` comment's path,
    # or the repository path --chart-root makes of it): the rendered stream's name and line
    # numbers change with every render, the template stays put.
    template = getattr(finding, "template", "")
    return identity(finding, template or relative_file(finding.file, base_dir))


@dataclass
class Baseline:
    """A baseline file: how many times each finding identity was recorded."""

    path: str
    counts: Counter  # identity -> how many times it occurs

    @property
    def base_dir(self) -> str:
        return os.path.dirname(os.path.abspath(self.path))


def read(path: str) -> Baseline:
    try:
        if os.path.getsize(path) > MAX_BYTES:
            raise BaselineError(f"{path}: baseline larger than {MAX_BYTES // 2**20} MiB")
        with open(path, encoding="utf-8") as handle:
            data = json.loads(handle.read(MAX_BYTES + 1))
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline not found (create it with `k8slint lint --write-baseline "
                            f"{path} ...`)") from None
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc.strerror or exc}") from None
    except RecursionError:
        raise BaselineError(f"{path}: not a k8slint baseline (nested too deeply)") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: not a k8slint baseline (invalid JSON: {exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("findings"), list):
        raise BaselineError(f"{path}: not a k8slint baseline (expected a JSON object with "
                            f"\"format\": \"{FORMAT}\" and a \"findings\" list)")
    counts: Counter = Counter()
    fields = ("rule", "file", "group", "kind", "namespace", "name", "path")
    for number, entry in enumerate(data["findings"]):
        if not isinstance(entry, dict) or not all(isinstance(entry.get(f), str) for f in fields) \
                or not isinstance(entry.get("count", 1), int) or entry.get("count", 1) < 1:
            raise BaselineError(f"{path}: findings[{number}]: expected strings {', '.join(fields)} "
                                f"and a positive integer count")
        counts[tuple(entry[f] for f in fields)] += entry.get("count", 1)
    return Baseline(path, counts)


def write(path: str, findings) -> int:
    """Record the unsuppressed findings; returns how many. The file is replaced as a whole (a
    temporary file renamed over it), so a failed write leaves the old baseline intact."""
    base_dir = os.path.dirname(os.path.abspath(path))
    counts: Counter = Counter()
    messages: dict = {}
    for finding in findings:
        if finding.suppressed:
            continue
        key = _key(finding, base_dir)
        counts[key] += 1
        messages.setdefault(key, finding.message)
    entries = [{"rule": k[0], "file": k[1], "group": k[2], "kind": k[3], "namespace": k[4], "name": k[5],
                "path": k[6], "count": n, "message": messages[k]} for k, n in sorted(counts.items())]
    text = json.dumps({"format": FORMAT,
                       "comment": "Findings k8slint reports as unchanged (`k8slint lint --baseline`). "
                                  "Regenerate with `k8slint lint --write-baseline FILE ...`.",
                       "findings": entries}, indent=2, ensure_ascii=False) + "\n"
    temporary = f"{path}.tmp{os.getpid()}"
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise BaselineError(f"{path}: cannot write baseline: {exc.strerror or exc}") from None
    return sum(counts.values())


def apply(baseline: Baseline, findings) -> tuple[int, int]:
    """Set ``baseline_state`` on every unsuppressed finding: ``unchanged`` while the baseline has
    occurrences of its identity left, else ``new``. Returns (unchanged, absent): how many findings
    the baseline matched, and how many of its entries no finding matched any more (fixed)."""
    left = Counter(baseline.counts)
    unchanged = 0
    for finding in findings:
        if finding.suppressed:
            continue
        key = _key(finding, baseline.base_dir)
        if left[key] > 0:
            left[key] -= 1
            finding.baseline_state = UNCHANGED
            unchanged += 1
        else:
            finding.baseline_state = NEW
    return unchanged, sum(n for n in left.values() if n > 0)
