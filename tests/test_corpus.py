"""The whole corpus (tests/corpus: real manifests of public projects, other linters' fixtures,
copied with their sources and licences, see tests/corpus/SOURCES.md) is linted in-process once; every finding, parse error and note is compared with the
checked-in snapshot tests/snapshots/corpus.tsv, so each change in behaviour on real files shows
up in review. Regenerate with ``python scripts/corpus.py --write`` after reviewing the diff."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter

import pytest

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("k8slint_corpus_script", ROOT / "scripts" / "corpus.py")
corpus_script = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = corpus_script
_spec.loader.exec_module(corpus_script)

CORPUS = corpus_script.corpus_dir()


@pytest.fixture(scope="module")
def corpus():
    return corpus_script.lint_corpus(CORPUS)


def test_findings_match_the_snapshot(corpus):
    diff = corpus_script.snapshot_diff(corpus.rows)
    assert not diff, (f"the corpus findings changed; review the diff below, then run "
                      f"`{corpus_script.REGENERATE}` and commit tests/snapshots/corpus.tsv\n{diff}")


def test_no_rule_crashes_on_real_files(corpus):
    crashes = [f"{rel}:{e.line}: {e.message}" for rel, e in corpus.errors if e.rule != "parse-error"]
    assert not crashes, "\n".join(crashes)


def test_every_file_is_read(corpus):
    from k8slint.source import discover

    for part in ("real", "peers"):
        files, problems = discover([str(CORPUS / part)])
        assert not problems
        assert corpus.files[part] == len(files) > 0


def test_unreadable_files_get_one_clear_diagnostic(corpus):
    per_file = Counter(rel for rel, _ in corpus.errors)
    assert [rel for rel, n in per_file.items() if n > 1] == []


def test_yaml_1_1_equals_value_parses(corpus):
    crd = "real/prometheus-operator__kube-prometheus/manifests__setup__0alertmanagerConfigCustomResourceDefinition.yaml"
    assert (CORPUS / crd).is_file()
    assert crd not in {rel for rel, _ in corpus.errors}


def test_peer_agreement_table_is_current(corpus):
    import peer_agreement

    text = peer_agreement.render(*peer_agreement.evaluate(CORPUS, corpus.runs))
    assert not peer_agreement.stale(text), (
        f"docs/peer-agreement.md does not match k8slint's current verdicts; run "
        f"`{corpus_script.REGENERATE}` and review the changed rows")
