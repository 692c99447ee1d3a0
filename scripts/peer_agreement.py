"""How k8slint's verdicts compare with other linters' own test expectations.

    python scripts/peer_agreement.py            # rewrite docs/peer-agreement.md
    python scripts/peer_agreement.py --check    # exit 1 when docs/peer-agreement.md is not current
    python scripts/peer_agreement.py --print    # the table on standard output only

Reads ``peers/EXPECTATIONS.tsv`` of the corpus (tests/corpus, or --corpus / $K8SLINT_CORPUS):
one row per object (or file) of another linter's fixture, with that linter's expected verdict
(``pass``, ``fail`` or ``skipped``) for one of its checks. Each fixture file is linted on its own
(as the peer's test does), with every k8slint rule enabled and no cluster (anti-affinity rows are
also shown linted against 3 nodes in 3 zones, for contrast). k8slint "fails" the row when a rule of
the row's topic reports a finding (any severity) on the row's object, or anywhere in the file when
the row names no object. Every disagreement gets a category and a reason; ``explain()`` holds them.
``python scripts/corpus.py --write`` regenerates this table together with the corpus snapshot.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "peer-agreement.md"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(ROOT / "scripts") not in sys.path:
    sys.path.insert(0, str(ROOT / "scripts"))

from corpus import corpus_dir  # noqa: E402

# Topic of EXPECTATIONS.tsv -> k8slint rule ids that answer the same question. Ids not registered
# (yet) are dropped; an id that lands later and matches the topic's keywords is picked up by a rerun.
TOPIC_RULES = {
    "readiness-probe": ("missing-readiness-probe", "readiness-probe-invalid", "readiness-equals-liveness"),
    "pod-anti-affinity": ("anti-affinity-infeasible", "anti-affinity-no-effect", "anti-affinity-invalid-term"),
    "rolling-update": ("unsafe-rolling-update", "rolling-update-invalid"),
    "pdb": ("pdb-blocks-eviction", "pdb-invalid", "pdb-no-match"),
    "replicas": ("hpa-fixed-replicas", "hpa-conflict"),
    "topology-spread (anti-affinity adjacent)": (),
}
TOPIC_KEYWORDS = {
    "pod-anti-affinity": ("anti-affinity",),
    "rolling-update": ("rolling-update", "surge"),
    "pdb": ("pdb", "disruption"),
    "replicas": ("replica",),
    "topology-spread (anti-affinity adjacent)": ("spread",),
}
# A peer check whose k8slint counterpart is narrower than its whole topic.
CHECK_RULES = {
    "readiness-port": ("readiness-probe-invalid",),
    "Pod Probes Identical": ("readiness-equals-liveness",),
    "no-readiness-probe": ("missing-readiness-probe",),
    "Pod Probes": ("missing-readiness-probe",),
    "readinessProbeMissing": ("missing-readiness-probe",),
    "CKV_K8S_9 ReadinessProbe": ("missing-readiness-probe",),
    "configured-readiness-probe (kubescape rule)": ("missing-readiness-probe",),
    "Deployment targeted by HPA does not have replicas configured": ("hpa-fixed-replicas",),
}


def topic_rules(ids) -> dict:
    out = {}
    for topic, listed in TOPIC_RULES.items():
        words = TOPIC_KEYWORDS.get(topic, ())
        out[topic] = tuple(i for i in ids if i in listed or any(w in i for w in words))
    return out


# Peer check -> the k8slint rules that report the same concern. Both fail a row, but when none of
# these is among k8slint's findings, the row agrees for another reason (shown as such).
SAME_REASON = {
    "no-anti-affinity": ("anti-affinity-no-effect",),
    "Deployment has host PodAntiAffinity": ("anti-affinity-no-effect",),
    "StatefulSet has host PodAntiAffinity": ("anti-affinity-no-effect",),
    "pdb-max-unavailable": ("pdb-blocks-eviction", "pdb-invalid"),
    "pdb-min-available": ("pdb-blocks-eviction", "pdb-invalid"),
    "pdbDisruptionsIsZero": ("pdb-blocks-eviction", "pdb-invalid"),
    "pdbMinAvailableGreaterThanHPAMinReplicas": ("pdb-blocks-eviction", "pdb-invalid"),
    "PodDisruptionBudget has policy": ("pdb-blocks-eviction", "pdb-invalid"),
    "Deployment has PodDisruptionBudget": ("pdb-no-match",),
    "StatefulSet has PodDisruptionBudget": ("pdb-no-match",),
    "missingPodDisruptionBudget": ("pdb-no-match",),
}
CROSS_OBJECT_TOPICS = {"pdb", "replicas"}
# Topics whose rules need a cluster to reach a verdict: also linted against this one, for contrast.
CLUSTER_TOPICS = {"pod-anti-affinity"}
CLUSTER = (3, 3)  # --nodes 3 --zones 3


@dataclass
class Row:
    number: int
    file: str
    topic: str
    check: str
    expected: str
    note: str
    rules: tuple = ()
    fired: list = field(default_factory=list)  # findings counted for this row
    fired_with_cluster: list | None = None  # the same, linted with --nodes 3 --zones 3 (CLUSTER_TOPICS)
    errors: list = field(default_factory=list)
    verdict: str = ""  # pass | fail | n/a
    agree: str = ""  # yes | no | not covered | (peer skipped)
    category: str = ""
    reason: str = ""

    @property
    def peer(self) -> str:
        return self.file.split("/")[1].split("__")[1] if self.file.count("/") >= 1 else ""

    @property
    def fixture(self) -> str:
        return self.file.split("/")[-1].split("__", 1)[-1]


# --- objects named in the note column --------------------------------------------------------------

_OBJECT = re.compile(r"object=(?P<kind>[A-Za-z]+)(?:/(?P<name>[^\s;(]+)|\((?P<unnamed>unnamed)\))"
                     r"(?:\s*\((?:ns (?P<ns>[\w-]+)|doc(?P<doc>\d+))\))?(?:\s+container (?P<container>[\w-]+))?")


def target(note: str):
    match = _OBJECT.search(note)
    if not match:
        return None
    return {"kind": match["kind"], "name": "" if match["unnamed"] else match["name"],
            "namespace": match["ns"], "doc": int(match["doc"]) - 1 if match["doc"] else None,
            "container": match["container"]}


def on_target(finding, want, topic) -> bool:
    if want is None:
        return True
    same = finding.kind == want["kind"] and finding.name == want["name"] and \
        (want["namespace"] is None or finding.namespace == want["namespace"]) and \
        (want["doc"] is None or finding.doc_index == want["doc"])
    if same and want["container"]:
        same = f'"{want["container"]}"' in finding.message
    if not same and topic in CROSS_OBJECT_TOPICS and want["name"] and finding.kind != want["kind"]:
        # a cross-object rule may report the related object and name this one in its message
        same = re.search(rf"\b{re.escape(want['name'])}\b", finding.message) is not None
    return same


# --- explanations -------------------------------------------------------------------------------

def explain(row: Row, corpus: Path) -> tuple[str, str]:
    """(category, reason) for a row where k8slint and the peer disagree."""
    text = (corpus / row.file).read_text(encoding="utf-8", errors="replace")
    kinds = set(re.findall(r"^kind:\s*(\w+)", text, re.MULTILINE))
    note = row.note
    if row.errors:
        return "input", "k8slint reports the file as not parseable: " + row.errors[0]
    want = target(note)
    if want and want["kind"] == "DeploymentConfig" and row.verdict == "pass":
        return ("kind not modelled",
                "DeploymentConfig (OpenShift apps.openshift.io) is not a workload kind k8slint models, "
                "so no rule looks at it; the Deployment twin in the same fixture shows k8slint's verdict")
    if row.topic == "readiness-probe":
        if row.check == "readiness-port" and row.verdict == "pass":
            return ("deliberate: containerPort is informational",
                    "the probe's numeric port need not be listed in ports: kubelet probes the pod IP on "
                    "that port whatever `ports` says, so the probe can succeed; k8slint reports named ports "
                    "the container does not define, or declares only as UDP/SCTP")
        if row.expected == "fail" and row.verdict == "pass" and kinds & {"Job", "CronJob"}:
            return ("deliberate: no readiness on batch workloads",
                    "Jobs/CronJobs run to completion: nothing consumes their readiness")
        if row.expected == "fail" and row.verdict == "pass" and re.search(
                r"sleep \d+|sleep infinity|tail -f /dev/null", text):
            return ("deliberate: the container serves nothing",
                    "the container only runs shell commands around `sleep` (a liveness demo): no Service "
                    "traffic or rollout depends on its readiness, so k8slint does not ask for a probe")
        if row.check == "Pod Probes" and row.expected == "pass" and row.verdict == "fail":
            if any(w in note for w in ("not targeted", "selected by a Service", "other namespace",
                                       "different namespace")):
                return ("deliberate: scope (every long-running container)",
                        "kube-score only asks for a readiness probe when a Service in the same input selects "
                        "the pod; without such a Service k8slint still mentions a serving container at info "
                        "level, worded \"may\" (a Service may live in another repository, and rolling updates "
                        "use readiness too)")
            return ("deliberate: per container, not per pod",
                    "kube-score is satisfied by one readiness probe anywhere in the pod; k8slint reports "
                    "each long-running container that has none")
        if row.check == "no-readiness-probe" and row.verdict == "fail" and "initContainer" in note:
            return ("deliberate: per container", "k8slint reports the main container without a probe")
    if row.topic == "pod-anti-affinity":
        if row.expected == "fail" and row.verdict == "pass":
            if "namespaces" in note or "namespace" in note:
                return ("deliberate: presence-only check",
                        "the peer wants an anti-affinity term that covers the pod's own namespace; "
                        "k8slint does not require anti-affinity, it checks that the terms a manifest has "
                        "can be satisfied (and a term in another namespace simply has no effect here)")
            return ("deliberate: presence-only check",
                    "the peer wants podAntiAffinity whenever replicas > 1; k8slint does not require "
                    "anti-affinity (topologySpreadConstraints or no spreading can be right), it reports "
                    "anti-affinity that can never be satisfied or has no effect")
        if row.expected in ("pass", "skipped") and row.verdict == "fail":
            return ("deliberate: feasibility, not presence",
                    "the peer passes any anti-affinity term; k8slint works out whether the term can be met "
                    "(e.g. required hostname anti-affinity needs one node per replica, and a selector that "
                    "does not match the pod's own labels has no effect)")
    if row.topic == "replicas":
        if row.verdict == "fail" and {f.rule for f in row.fired} == {"hpa-fixed-replicas"}:
            return ("deliberate: different question",
                    "the peer skips its replica minimum because an HPA manages the Deployment; k8slint's "
                    "hpa-fixed-replicas reports that the Deployment still sets spec.replicas under an HPA "
                    "(every apply resets the HPA's count), the concern of kube-score's own check 'Deployment "
                    "targeted by HPA does not have replicas configured'")
        if row.expected == "fail" and row.verdict == "pass":
            return ("deliberate: no replica-count policy",
                    "the peer enforces a minimum replica count (or a replicas/HPA style rule); k8slint has "
                    "no opinion on how many replicas a workload should run, only on settings that cannot "
                    "work together")
    if row.topic == "pdb":
        fired = {f.rule for f in row.fired}
        if row.verdict == "fail" and row.expected in ("pass", "skipped") and fired <= {"pdb-blocks-eviction",
                                                                                      "pdb-no-match"}:
            what = []
            if "pdb-blocks-eviction" in fired:
                what.append("the PDB's minAvailable/maxUnavailable allows 0 disruptions for the replicas it "
                            "covers (e.g. minAvailable 2 over a Deployment without replicas, i.e. 1 pod), so "
                            "every drain hangs")
            if "pdb-no-match" in fired:
                what.append("the PDB selects no pod of the workloads in the file, so it protects nothing")
            return ("different question: what the PDB does",
                    "the peer's check passes (a PDB exists, or its HPA comparison does not apply); k8slint "
                    "reports a real problem of the fixture the peer does not look at: " + "; ".join(what))
        if row.expected == "fail" and row.verdict == "pass":
            if row.check in ("Deployment has PodDisruptionBudget", "StatefulSet has PodDisruptionBudget",
                             "missingPodDisruptionBudget"):
                return ("deliberate: a PDB is not required",
                        "the peer requires every workload to have a matching PodDisruptionBudget; k8slint "
                        "does not require one (that is policy), it reports PDBs that block or cannot work")
            if row.check == "PodDisruptionBudget has policy":
                return ("gap", "a PDB with neither minAvailable nor maxUnavailable: k8slint does not report it")
            if row.check == "pdbDisruptionsIsZero":
                return ("gap", "maxUnavailable 0 or minAvailable 100% allows no disruption whatever the "
                               "replicas; k8slint judges a PDB against the workloads it covers, and this "
                               "fixture has none (no selector, and `apiVersion: v1`, which serves no "
                               "PodDisruptionBudget, so k8slint does not read it as one)")
            return ("gap or deliberate", "k8slint's PDB rules do not fire on this fixture")
    if row.topic == "rolling-update":
        if row.verdict == "fail" and {f.rule for f in row.fired} == {"unsafe-rolling-update"} and \
                all("no readinessProbe" in f.message for f in row.fired):
            return ("deliberate: a rollout without readiness is unsafe",
                    "the peer only looks at the strategy type; k8slint's unsafe-rolling-update also reports "
                    "a rolling update whose pods have no readiness (or startup) probe, because its "
                    "maxUnavailable/maxSurge limits then protect nothing")
        if row.expected == "fail" and row.verdict == "pass":
            return ("deliberate: Recreate is a valid choice",
                    "the peer wants type RollingUpdate everywhere; k8slint accepts Recreate and only notes "
                    "(info) the outage of each rollout when a Service in the input selects the pods, as "
                    "kube-score's Deployment Strategy check does; there is no Service here")
    if row.topic.startswith("topology-spread"):
        if row.expected == "fail" and row.verdict == "pass":
            return ("deliberate: presence-only check",
                    "the peer requires topologySpreadConstraints on every workload; k8slint does not "
                    "require them, it checks the ones written")
    return ("unexplained", "")


# --- running ----------------------------------------------------------------------------------------

def read_rows(corpus: Path) -> list[Row]:
    with open(corpus / "peers" / "EXPECTATIONS.tsv", encoding="utf-8") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        return [Row(n, r["file"], r["topic"], r["peer_check_name"], r["peer_expected"], r["note"])
                for n, r in enumerate(reader, start=1)]


def evaluate(corpus: Path, runs: dict | None = None) -> tuple[list[Row], dict]:
    """Rows with k8slint's verdicts; ``runs`` may hold RunResults of the fixture files already
    linted one by one with every rule (scripts/corpus.py does), keyed by ``peers/<file>``."""
    from k8slint.engine import Options, run
    from k8slint.rules import reported_ids

    ids = sorted(reported_ids())
    opts = Options(enabled=frozenset(ids), jobs=1)
    rules_of = topic_rules(ids)
    results = dict(runs or {})
    from k8slint.model.cluster import uniform_cluster

    cluster_opts = Options(enabled=frozenset(ids), jobs=1, cluster=uniform_cluster(*CLUSTER))
    with_cluster = {}
    rows = read_rows(corpus)
    for row in rows:
        if row.file not in results:
            results[row.file] = run([str(corpus / row.file)], opts)
        result = results[row.file]
        rules = CHECK_RULES.get(row.check) or rules_of.get(row.topic, ())
        row.rules = tuple(r for r in rules if r in ids)
        row.errors = [e.message for e in result.errors]
        if not row.rules:
            row.verdict, row.agree = "n/a", "not covered"
            continue
        want = target(row.note)
        row.fired = [f for f in result.findings if f.rule in row.rules and on_target(f, want, row.topic)]
        if row.topic in CLUSTER_TOPICS:
            if row.file not in with_cluster:
                with_cluster[row.file] = run([str(corpus / row.file)], cluster_opts)
            row.fired_with_cluster = [f for f in with_cluster[row.file].findings
                                      if f.rule in row.rules and on_target(f, want, row.topic)]
        row.verdict = "fail" if row.fired or row.errors else "pass"
        expected = "pass" if row.expected == "skipped" else row.expected
        row.agree = "yes" if row.verdict == expected else "no"
        same = SAME_REASON.get(row.check)
        if row.agree == "yes" and row.verdict == "fail" and same and not {f.rule for f in row.fired} & set(same):
            row.agree = "yes, other reason"
        if row.agree == "no":
            row.category, row.reason = explain(row, corpus)
    return rows, rules_of


def render(rows: list[Row], rules_of: dict) -> str:
    out = ["# Agreement with the peers' own test expectations", "",
           "Generated by `python scripts/peer_agreement.py` from `peers/EXPECTATIONS.tsv` of the shared "
           "corpus (the expected verdict of kube-linter, kube-score, Polaris, Checkov and Kubescape in "
           "their own tests). Do not edit by hand: rerun the script.", "",
           "How: each fixture file is linted on its own with every k8slint rule enabled and no cluster. "
           "k8slint **fails** a row when a rule of the row's topic reports a finding of any severity on "
           "the row's object (`object=` in the note; the whole file when the row names none; for "
           "cross-object topics also a finding whose message names the object). A peer's `skipped` "
           "counts as `pass`. Rows of topics for which k8slint has no rule are *not covered*.", ""]
    covered = [r for r in rows if r.agree != "not covered"]
    agree = [r for r in covered if r.agree.startswith("yes")]
    other = [r for r in agree if r.agree != "yes"]
    out += [f"**{len(agree)} of {len(covered)} covered rows agree** "
            f"({100 * len(agree) / max(1, len(covered)):.0f}%; {len(other)} of them because k8slint reports "
            f"another real problem of the fixture than the one the peer tests); {len(rows) - len(covered)} of "
            f"{len(rows)} rows are on topics k8slint does not cover.", ""]
    out += ["## Per topic", "", "| topic | k8slint rules | rows | covered | agree | disagree |",
            "|---|---|---:|---:|---:|---:|"]
    by_topic = defaultdict(list)
    for row in rows:
        by_topic[row.topic].append(row)
    for topic, items in by_topic.items():
        rules = sorted({r for row in items for r in row.rules}) or ["—"]
        cov = [r for r in items if r.agree != "not covered"]
        out.append(f"| {topic} | {', '.join(f'`{r}`' for r in rules) if rules != ['—'] else '—'} | "
                   f"{len(items)} | {len(cov)} | {sum(r.agree.startswith('yes') for r in cov)} | "
                   f"{sum(r.agree == 'no' for r in cov)} |")
    out += ["", "## Disagreements by category", "", "| category | rows |", "|---|---:|"]
    for category, count in Counter(r.category for r in covered if r.agree == "no").most_common():
        out.append(f"| {category} | {count} |")
    out += ["", "Categories: *deliberate* means k8slint's scope differs from the peer's on purpose (the "
            "reason says how); *different question* means both are right and look at different things; "
            "*gap* is something k8slint could report and does not; *unexplained* rows need a look.", "",
            "Scope differences behind most rows, in brief:", "",
            "- Readiness: kube-linter, Kubescape and Datree also fire on Jobs and CronJobs; k8slint "
            "deliberately does not (nothing consumes the readiness of a run-to-completion pod). "
            "kube-score only asks for a probe when a Service in the same input selects the pod and is "
            "content with one probe per pod; k8slint asks for one on every long-running container "
            "that serves (helpers without ports beside a serving container are exempt).",
            "- Anti-affinity: kube-linter and kube-score check that anti-affinity is *present* when "
            "replicas > 1; k8slint never requires it and instead checks that the terms written can be "
            "satisfied (required hostname anti-affinity needs a node per replica, plus maxSurge during "
            "a rollout) and that they select the pods they are meant to keep apart.",
            "- Rolling update: the peers check the strategy *type*; k8slint accepts Recreate and checks "
            "the arithmetic (maxSurge/maxUnavailable against replicas) and that a rollout has a "
            "readiness signal to wait for.",
            "- Replicas and PDBs: minimum replica counts and mandatory PDBs are policy, which k8slint "
            "leaves to custom policies; it reports PDBs that block every eviction or select nothing, "
            "and HPAs fighting a fixed spec.replicas.", ""]
    contrast = [r for r in rows if r.fired_with_cluster is not None]
    if contrast:
        out += ["## Anti-affinity with a cluster", "",
                f"Without a cluster k8slint can only say how many nodes a required anti-affinity needs (info). "
                f"Linted with `--nodes {CLUSTER[0]} --zones {CLUSTER[1]}`, the same rows read:", "",
                "| # | fixture | object | peer expects | k8slint, no cluster | k8slint, 3 nodes |",
                "|---:|---|---|---|---|---|"]
        for row in contrast:
            out.append(f"| {row.number} | `{row.fixture}` | {_object(row)} | {row.expected} | {_fired(row.fired)} | "
                       f"{_fired(row.fired_with_cluster)} |")
        out.append("")
    out += ["## Every row", "",
            "| # | peer | check | fixture | object | peer expects | k8slint | agree | why they differ |",
            "|---:|---|---|---|---|---|---|---|---|"]
    for row in rows:
        obj = _object(row)
        fired = _fired(row.fired, bare=True)
        verdict = row.verdict + (f": {fired}" if fired else "")
        why = f"{row.category}: {row.reason}" if row.agree == "no" else (
            "both fail, k8slint for another problem of the fixture" if row.agree == "yes, other reason" else "")
        out.append(f"| {row.number} | {row.peer} | {row.check} | `{row.fixture}` | {obj} | {row.expected} | "
                   f"{verdict} | {row.agree} | {why} |")
    out.append("")
    return "\n".join(out)


def stale(text: str) -> bool:
    return not DOC.exists() or DOC.read_text(encoding="utf-8") != text


def _object(row: Row) -> str:
    want = target(row.note)
    if want is None:
        return "(file)"
    return f"{want['kind']}/{want['name'] or '(unnamed)'}" + (
        f" container {want['container']}" if want["container"] else "") + (
        f" doc{want['doc'] + 1}" if want["doc"] is not None else "")


def _fired(findings, bare=False) -> str:
    text = ", ".join(sorted({f"`{f.rule}` ({f.severity})" for f in findings}))
    return text if bare else (text or "silent")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--check", action="store_true")
    group.add_argument("--print", action="store_true")
    args = parser.parse_args(argv)
    corpus = corpus_dir(args.corpus)
    if not (corpus / "peers" / "EXPECTATIONS.tsv").is_file():
        print(f"no peers/EXPECTATIONS.tsv under {corpus}", file=sys.stderr)
        return 2
    rows, rules_of = evaluate(corpus)
    text = render(rows, rules_of)
    if args.print:
        print(text)
        return 0
    if args.check:
        if stale(text):
            print("docs/peer-agreement.md is not current: run `python scripts/peer_agreement.py`")
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    covered = [r for r in rows if r.agree != "not covered"]
    print(f"wrote {DOC.relative_to(ROOT)}: {sum(r.agree.startswith('yes') for r in covered)}/{len(covered)} covered "
          f"rows agree; {sum(r.category == 'unexplained' for r in covered)} unexplained")
    return 0


if __name__ == "__main__":
    sys.exit(main())
