"""Locate the data shipped with k8slint: the rule catalogue (`rules/`) and JSON Schemas (`schemas/`).

In an installed wheel they live in ``k8slint/_data/``; in a source checkout they are the top-level
``rules/`` and ``schemas/`` directories beside the package.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The directory holding shipped data ``name`` ("rules" or "schemas")."""
    installed = _PACKAGE_DIR / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / name


@lru_cache(maxsize=None)
def load_schema(file_name: str) -> dict:
    """A JSON Schema from ``schemas/`` by file name, e.g. ``config.schema.json``."""
    with open(data_dir("schemas") / file_name, encoding="utf-8") as handle:
        return json.load(handle)
