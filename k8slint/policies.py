"""Custom policies declared in configuration (JSON Schema over objects, the Polaris idea)."""

from __future__ import annotations


def load_policies(config) -> list:
    """Policies declared in the configuration (none yet: see issue 9)."""
    if config.data.get("policies"):
        from k8slint.config import ConfigError

        raise ConfigError("custom policies are not supported by this version yet")
    return []
