"""The per-finding precision review of the in-repository corpus of real manifests.

Every finding k8slint reports on ``tests/corpus/real`` (every severity, and the parse errors) has a
reviewed verdict in ``docs/precision-verdicts.tsv``, keyed by a stable identity: rule, file (relative
to ``tests/corpus/real``), object (``kind/namespace/name``) and field path. The verdicts are a
reviewer's judgements of what the message claims, against Kubernetes' behaviour:

* ``true``: what the message says holds for this manifest (an info finding worded "may" is true
  when the possibility it names is real);
* ``false``: the message claims something the manifest or Kubernetes contradicts;
* ``debatable``: true as stated, but a platform engineer could reasonably call it noise.

``python scripts/corpus.py --write`` regenerates the generated part of ``docs/precision-review.md``
(summary with precision per rule and severity, and the per-finding table) from the findings and the
verdicts; ``tests/test_precision_review.py`` fails when a finding has no verdict, a verdict has no
finding any more, or the document is stale. A new finding therefore needs a reviewed verdict before
it can land.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERDICTS = ROOT / "docs" / "precision-verdicts.tsv"
DOC = ROOT / "docs" / "precision-review.md"
REAL = ROOT / "tests" / "corpus" / "real"
BEGIN = "<!-- BEGIN generated (python scripts/corpus.py --write) -->"
END = "<!-- END generated -->"
VERDICT_VALUES = ("true", "false", "debatable")
HEADER = "# rule\tfile\tobject\tpath\tverdict\treason"
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def identity(rule: str, rel: str, obj: str, path: str) -> tuple[str, str, str, str]:
    """The stable identity of a finding: its rule, file (relative to real/), object and field path."""
    return (rule, rel, obj, path or "-")


def object_label(finding) -> str:
    """``kind/namespace/name`` (as in tests/snapshots/corpus.tsv)."""
    if not finding.kind:
        return "-"
    return f"{finding.kind}/{finding.namespace or ''}/{finding.name or ''}"


def _portable(message: str) -> str:
    """A message without the checkout's own location: a message that names another file of the
    corpus (a CRD read from elsewhere) names it relative to real/, so the page is the same in
    every clone."""
    return message.replace(f"{REAL}{os.sep}", "")


def findings(result) -> list[dict]:
    """Every finding and parse error of ``result`` (scripts/corpus.py's CorpusResult) on real/."""
    out = []
    for rel, finding in result.findings:
        if not rel.startswith("real/"):
            continue
        out.append({"id": identity(finding.rule, rel[5:], object_label(finding), finding.path),
                    "severity": finding.severity, "line": finding.line, "message": _portable(finding.message)})
    for rel, error in result.errors:
        if rel.startswith("real/"):
            out.append({"id": identity(error.rule, rel[5:], "-", f"line {error.line}"), "severity": "error",
                        "line": error.line, "message": error.message})
    out.sort(key=lambda f: (f["id"][0], SEVERITY_ORDER.get(f["severity"], 3), f["id"][1], f["line"], f["id"][3]))
    return out


def load_verdicts(path: Path = VERDICTS) -> dict[tuple, tuple[str, str]]:
    verdicts: dict[tuple, tuple[str, str]] = {}
    if not path.exists():
        return verdicts
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 6 or parts[4] not in VERDICT_VALUES or not parts[5].strip():
            raise ValueError(f"{path.name}:{number}: expected rule, file, object, path, verdict "
                             f"({'/'.join(VERDICT_VALUES)}) and a reason, tab separated")
        key = tuple(parts[:4])
        if key in verdicts:
            raise ValueError(f"{path.name}:{number}: a second verdict for {key}")
        verdicts[key] = (parts[4], parts[5])
    return verdicts


def write_verdicts(verdicts: dict[tuple, tuple[str, str]], path: Path = VERDICTS) -> None:
    lines = [HEADER] + ["\t".join(key + value) for key, value in sorted(verdicts.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def problems(found: list[dict], verdicts: dict) -> list[str]:
    """Findings without a verdict and verdicts without a finding (both must be reviewed)."""
    ids = [f["id"] for f in found]
    out = [f"no verdict for {' | '.join(key)}" for key in ids if key not in verdicts]
    seen = set(ids)
    out += [f"verdict without a finding: {' | '.join(key)}" for key in verdicts if key not in seen]
    duplicates = [key for key, n in Counter(ids).items() if n > 1]
    out += [f"two findings share the identity {' | '.join(key)}" for key in duplicates]
    return out


def summary_rows(found: list[dict], verdicts: dict) -> list[tuple]:
    """(rule, severity, findings, true, false, debatable, precision %) per rule and severity."""
    counts: dict[tuple, Counter] = {}
    for f in found:
        verdict = verdicts.get(f["id"], ("unreviewed", ""))[0]
        counts.setdefault((f["id"][0], f["severity"]), Counter())[verdict] += 1
    rows = []
    for (rule, severity), c in sorted(counts.items(), key=lambda kv: (SEVERITY_ORDER.get(kv[0][1], 3), kv[0][0])):
        total = sum(c.values())
        rows.append((rule, severity, total, c["true"], c["false"], c["debatable"], 100.0 * c["true"] / total))
    return rows


def render(found: list[dict], verdicts: dict) -> str:
    """The generated part of docs/precision-review.md."""
    rows = summary_rows(found, verdicts)
    by_severity: dict[str, Counter] = {}
    for rule, severity, total, true, false, debatable, _ in rows:
        c = by_severity.setdefault(severity, Counter())
        c.update(total=total, true=true, false=false, debatable=debatable)
    out = ["## Summary (generated)", "",
           f"{len(found)} findings on `tests/corpus/real`, every one reviewed. Precision = true / findings.", "",
           "| severity | findings | true | false | debatable | precision |", "|---|---:|---:|---:|---:|---:|"]
    for severity in sorted(by_severity, key=lambda s: SEVERITY_ORDER.get(s, 3)):
        c = by_severity[severity]
        out.append(f"| {severity} | {c['total']} | {c['true']} | {c['false']} | {c['debatable']} | "
                   f"{100.0 * c['true'] / c['total']:.1f}% |")
    out += ["", "| rule | severity | findings | true | false | debatable | precision |",
            "|---|---|---:|---:|---:|---:|---:|"]
    for rule, severity, total, true, false, debatable, precision in rows:
        out.append(f"| `{rule}` | {severity} | {total} | {true} | {false} | {debatable} | {precision:.1f}% |")
    out += ["", "## Every finding (generated)", "",
            "File paths are relative to `tests/corpus/real`; the message is the one k8slint prints.", ""]
    current = None
    for f in found:
        rule = f["id"][0]
        if rule != current:
            current = rule
            out += ["", f"### {rule}", "", "| file:line | object | severity | verdict | reason | message |",
                    "|---|---|---|---|---|---|"]
        verdict, reason = verdicts.get(f["id"], ("**unreviewed**", ""))
        message = f["message"] if len(f["message"]) <= 240 else f["message"][:237] + "..."
        cells = [f"`{f['id'][1]}:{f['line']}`", f["id"][2], f["severity"], verdict, reason, message]
        out.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(out) + "\n"


def document(found: list[dict], verdicts: dict, current: str | None = None) -> str:
    """docs/precision-review.md with its generated part replaced."""
    text = current if current is not None else (DOC.read_text(encoding="utf-8") if DOC.exists() else "")
    if BEGIN not in text or END not in text:
        text = f"# Precision review\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{render(found, verdicts)}{END}{tail}"


def check(result) -> list[str]:
    """Everything that is not current: missing or orphaned verdicts, a stale document."""
    found = findings(result)
    verdicts = load_verdicts()
    issues = problems(found, verdicts)
    if not DOC.exists() or DOC.read_text(encoding="utf-8") != document(found, verdicts):
        issues.append("docs/precision-review.md is not current: run `python scripts/corpus.py --write`")
    return issues


def write(result) -> list[str]:
    """Rewrite the generated part of the document; return the verdict problems left to review."""
    found = findings(result)
    verdicts = load_verdicts()
    DOC.write_text(document(found, verdicts), encoding="utf-8")
    return problems(found, verdicts)


if __name__ == "__main__":  # pragma: no cover - a helper for reviewers
    sys.path.insert(0, str(ROOT / "scripts"))
    import corpus

    result = corpus.lint_corpus(corpus.corpus_dir(), parts=("real",))
    for line in problems(findings(result), load_verdicts()):
        print(line)
