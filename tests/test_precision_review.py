"""The precision review stays current: every finding on tests/corpus/real has a reviewed verdict in
docs/precision-verdicts.tsv (keyed by rule, file, object and field path), no verdict outlives its
finding, docs/precision-review.md is what scripts/corpus.py --write makes of them, and the
targets hold (no false positive at error level, at least 95% true among warnings)."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
_spec = importlib.util.spec_from_file_location("k8slint_corpus_script_review", ROOT / "scripts" / "corpus.py")
corpus_script = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = corpus_script
_spec.loader.exec_module(corpus_script)
import precision_review  # noqa: E402


@pytest.fixture(scope="module")
def found():
    result = corpus_script.lint_corpus(corpus_script.corpus_dir(), parts=("real",))
    return precision_review.findings(result)


def test_every_finding_has_a_reviewed_verdict(found):
    issues = precision_review.problems(found, precision_review.load_verdicts())
    assert not issues, ("review these findings and record a verdict (true/false/debatable and a reason) in "
                        "docs/precision-verdicts.tsv:\n" + "\n".join(issues))


def test_review_document_is_current(found):
    expected = precision_review.document(found, precision_review.load_verdicts())
    assert precision_review.DOC.read_text(encoding="utf-8") == expected, \
        "docs/precision-review.md is stale: run `python scripts/corpus.py --write`"


def test_precision_targets(found):
    verdicts = precision_review.load_verdicts()
    errors = [f for f in found if f["severity"] == "error"]
    assert not [f["id"] for f in errors if verdicts[f["id"]][0] == "false"]
    warnings = [f for f in found if f["severity"] == "warning"]
    true = sum(1 for f in warnings if verdicts[f["id"]][0] == "true")
    assert true >= 0.95 * len(warnings), f"{true} of {len(warnings)} warnings are true"


def test_verdicts_file_is_well_formed(tmp_path):
    bad = tmp_path / "verdicts.tsv"
    bad.write_text("# header\nrule\tfile\tobj\tpath\tmaybe\treason\n")
    with pytest.raises(ValueError, match="expected rule"):
        precision_review.load_verdicts(bad)
    bad.write_text("rule\tfile\tobj\tpath\ttrue\tr\nrule\tfile\tobj\tpath\tfalse\tr\n")
    with pytest.raises(ValueError, match="a second verdict"):
        precision_review.load_verdicts(bad)


def test_a_new_finding_without_verdict_is_reported():
    found = [{"id": ("r", "f.yaml", "Pod//x", "spec"), "severity": "warning", "line": 1, "message": "m"}]
    assert precision_review.problems(found, {}) == ["no verdict for r | f.yaml | Pod//x | spec"]
    stale = {("r", "gone.yaml", "Pod//y", "spec"): ("true", "r")}
    assert "verdict without a finding: r | gone.yaml | Pod//y | spec" in precision_review.problems(found, stale)
