"""The rule catalogue: metadata for every rule id, read from ``rules/<id>.yaml``.

``k8slint rules``, ``k8slint explain``, SARIF ``rules[]`` and the hints in findings all read it.
"""

from __future__ import annotations

from functools import lru_cache

from k8slint.loader import Document, compose
from k8slint.resources import data_dir

DOCS_URL = "https://github.com/k8slint/k8slint/blob/main/docs/rules.md"


@lru_cache(maxsize=1)
def load_catalog() -> dict[str, dict]:
    """Rule id -> metadata mapping, as written in rules/*.yaml (validated by the test suite)."""
    catalog: dict[str, dict] = {}
    for path in sorted(data_dir("rules").glob("*.yaml")):
        for item in compose(path.read_text(encoding="utf-8")):
            if isinstance(item, Document) and isinstance(item.root, dict) and "id" in item.root:
                catalog[item.root["id"]] = item.root
    return catalog


def metadata(rule_id: str) -> dict:
    return load_catalog().get(rule_id, {})


def default_severity(rule_id: str) -> str:
    return metadata(rule_id).get("severity", "warning")


def help_uri(rule_id: str) -> str:
    anchor = metadata(rule_id).get("docs_anchor") or rule_id
    return f"{DOCS_URL}#{anchor}"
