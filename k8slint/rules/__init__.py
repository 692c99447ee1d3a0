"""The rule registry. Every module in this package is a rule (or a few closely related ones): it
declares its check with the ``@rule`` decorator and the registry finds it by importing the
package's modules. Metadata (title, severity, docs, parameters) lives apart, in ``rules/<id>.yaml``.

One check signature for every rule: ``check(subject, ctx)``. A per-object rule (``scope=OBJECT``)
gets one object at a time while the files stream by; a cross-object rule (``scope=SET``) gets the
inventory once at the end of the run. Both report the same single way, ``ctx.report(obj, path,
message, hint=..., rule=..., severity=...)``; the engine stamps the id, severity and position.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass
from typing import Callable, Iterable

OBJECT = "object"  # check(obj, ctx): one object at a time, streamed
SET = "set"  # check(inventory, ctx): once, over compact summaries of every object of the run

# Cost classes of cross-object rules (measured with benchmarks/phases.py): with --jobs the
# processes take the heaviest first, so that the short ones fill the gaps at the end.
LIGHT = 0
MEDIUM = 1
HEAVY = 2

# Every rule module and the ids it reports, in one table a reader can scan (tests/test_catalog.py
# checks that it equals what discovery finds: a new module or id needs its line here).
RULE_MODULES: dict[str, tuple[str, ...]] = {
    "anti_affinity": ("anti-affinity-infeasible", "anti-affinity-invalid-term", "anti-affinity-no-effect"),
    "api_schema": ("unknown-field", "invalid-field-type", "invalid-field-value", "missing-required-field",
                   "unknown-kind"),
    "custom_resources": ("custom-resource-invalid",),
    "deprecated_api": ("deprecated-api",),
    "duplicate_key": ("duplicate-key",),
    "feature_gates": ("feature-gated-field",),
    "host_ports": ("host-port-conflict",),
    "hpa_conflict": ("hpa-conflict", "hpa-target-missing", "hpa-missing-requests", "hpa-fixed-replicas"),
    "job_restart_policy": ("job-restart-policy", "job-spec", "cronjob-spec"),
    "no_eligible_nodes": ("no-eligible-nodes",),
    "pdb": ("pdb-invalid", "pdb-blocks-eviction", "pdb-no-match"),
    "readiness_probe": ("readiness-probe-invalid", "readiness-equals-liveness", "missing-readiness-probe"),
    "replication_controller": ("replication-controller",),
    "rolling_update": ("rolling-update-invalid", "unsafe-rolling-update"),
    "selector_mismatch": ("selector-mismatch", "service-no-endpoints", "service-target-port"),
    "statefulset_service": ("statefulset-service",),
    "unknown_suppression": ("unknown-suppression",),
    "tolerations": ("toleration-invalid", "toleration-ineffective", "toleration-effect-mismatch"),
    "topology_spread": ("topology-spread-infeasible",),
    "yaml_boolean_trap": ("yaml-boolean-trap",),
}


@dataclass(frozen=True)
class Rule:
    id: str
    check: Callable
    scope: str
    kinds: frozenset | None  # object kinds (class names of k8slint.model.objects) it looks at
    also_reports: tuple[str, ...]  # further rule ids this check reports
    cost: int = LIGHT  # LIGHT, MEDIUM or HEAVY (cross-object rules: the order --jobs takes them in)
    # True: its findings give way to an error another rule reports at the same field of the same
    # object (one finding per problem: the API-schema checks defer to the rules that say more)
    defers: bool = False
    # cross-object rules: fields the inventory drops unless a rule reads them ("container.env",
    # "pod.volumes"; the list is k8slint.engine.inventory.DROPPABLE)
    reads: tuple[str, ...] = ()

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.id,) + self.also_reports

    @property
    def module(self) -> str:
        return self.check.__module__.rpartition(".")[2]


_REGISTRY: dict[str, Rule] = {}
_DISCOVERED = False


def rule(rule_id: str, *, scope: str = OBJECT, kinds: Iterable[str] | None = None,
         also_reports: Iterable[str] = (), cost: int = LIGHT, defers: bool = False,
         reads: Iterable[str] = ()) -> Callable:
    """Register ``check(subject, ctx)`` as rule ``rule_id`` (and the ids in ``also_reports``)."""

    def register(check: Callable) -> Callable:
        if rule_id in _REGISTRY:
            raise RuntimeError(f"rule {rule_id} registered twice")
        if inspect.isgeneratorfunction(check):  # its body would never run: nothing iterates it
            raise TypeError(f"rule {rule_id}: check() must report with ctx.report(...), not yield findings")
        if scope not in (OBJECT, SET) or cost not in (LIGHT, MEDIUM, HEAVY):
            raise ValueError(f"rule {rule_id}: unknown scope {scope!r} or cost {cost!r}")
        _REGISTRY[rule_id] = Rule(rule_id, check, scope, frozenset(kinds) if kinds else None,
                                  tuple(also_reports), cost, defers, tuple(sorted(reads)))
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


def discovered_modules() -> dict[str, tuple[str, ...]]:
    """What discovery finds, in the shape of RULE_MODULES: module name -> the ids it reports."""
    found: dict[str, tuple[str, ...]] = {}
    for r in all_rules().values():
        found[r.module] = found.get(r.module, ()) + r.ids
    return found
