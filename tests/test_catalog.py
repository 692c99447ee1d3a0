"""Rule metadata and rule code must match one to one, and metadata must follow its schema."""

from __future__ import annotations

import json

import jsonschema
import pytest

from conftest import ROOT
from k8slint.catalog import load_catalog
from k8slint.rules import reported_ids

SCHEMA = json.loads((ROOT / "schemas" / "rule.schema.json").read_text())
META_FILES = sorted((ROOT / "rules").glob("*.yaml"))


def test_every_rule_has_metadata_and_every_metadata_has_a_rule():
    assert set(load_catalog()) == set(reported_ids())


@pytest.mark.parametrize("path", META_FILES, ids=[p.stem for p in META_FILES])
def test_metadata_is_valid(path):
    meta = load_catalog()[path.stem]
    jsonschema.validate(meta, SCHEMA)
    assert meta["id"] == path.stem == meta["docs_anchor"]


def test_examples_parse_as_yaml():
    from k8slint.loader import Document, compose

    for rule_id, meta in load_catalog().items():
        for label in ("bad", "good"):
            items = list(compose(meta["examples"][label]))
            assert items and all(isinstance(i, Document) for i in items), (rule_id, label)


def test_rule_docs_are_current():
    """docs/rules.md is generated from the catalogue; regenerate with scripts/gen_rule_docs.py."""
    import subprocess
    import sys

    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_rule_docs.py"), "--check"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
