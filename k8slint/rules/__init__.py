"""The rule registry. Every module in this package is a rule (or a few closely related ones): it
declares its check with the ``@rule`` decorator and the registry finds it by importing the
package's modules. Metadata (title, severity, docs) lives apart, in ``rules/<id>.yaml``."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable, Iterable

OBJECT = "object"  # check(obj, ctx): one object at a time, streamed
SET = "set"  # check(inventory, ctx): once, over compact summaries of every object of the run


@dataclass(frozen=True)
class Rule:
    id: str
    check: Callable
    scope: str
    kinds: frozenset | None  # object kinds (class names of k8slint.model.objects) it looks at
    also_reports: tuple[str, ...]  # further rule ids this check reports

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.id,) + self.also_reports


_REGISTRY: dict[str, Rule] = {}
_DISCOVERED = False


def rule(rule_id: str, *, scope: str = OBJECT, kinds: Iterable[str] | None = None,
         also_reports: Iterable[str] = ()) -> Callable:
    """Register ``check`` as rule ``rule_id``."""

    def register(check: Callable) -> Callable:
        if rule_id in _REGISTRY:
            raise RuntimeError(f"rule {rule_id} registered twice")
        _REGISTRY[rule_id] = Rule(rule_id, check, scope, frozenset(kinds) if kinds else None,
                                  tuple(also_reports))
        return check

    return register


def all_rules() -> dict[str, Rule]:
    """Every registered rule, by id (importing this package's modules once)."""
    global _DISCOVERED
    if not _DISCOVERED:
        for module in pkgutil.iter_modules(__path__):
            if not module.name.startswith("_"):
                importlib.import_module(f"{__name__}.{module.name}")
        _DISCOVERED = True
    return _REGISTRY


def reported_ids() -> dict[str, Rule]:
    """Every rule id a check can report, mapped to the check that reports it."""
    return {rule_id: r for r in all_rules().values() for rule_id in r.ids}
