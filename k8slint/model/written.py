"""How a value was written in the manifest, before YAML resolved it: ``version: 1.10`` is the
number 1.1 written as "1.10", ``on:`` is the key "true" written as "on". Rules read it here
without knowing which composer built the document (k8slint.yaml_values reads either's marks)."""

from __future__ import annotations

from k8slint.yaml_values import key_source, resolve_plain, scalar_source

__all__ = ["key_source", "resolve_plain", "scalar_source"]
