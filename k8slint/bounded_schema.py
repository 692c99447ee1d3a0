"""JSON Schema evaluation bounded in work and time, for custom policies.

A policy's schema comes from the linted repository, so its evaluation must end whatever the
schema and the manifest hold. Two things could keep jsonschema busy for hours:

- regular expressions (``pattern``, ``patternProperties``, ``additionalProperties`` next to
  them, ``unevaluatedProperties``): Python's ``re`` backtracks exponentially on a pattern like
  ``^(a+)+$`` against ``"a" * 40 + "!"``. jsonschema calls ``re.search`` in three modules; here
  those calls go to the ``regex`` module instead, which answers that one at once and takes a
  timeout (the time left in the budget) for the patterns it cannot (``^(a|aa)+$``);
- schemas whose expansion explodes: a 40-level ``allOf`` chain whose every level references the
  next twice is evaluated 2**40 times. Every step into a subschema (``descend``, ``$ref``,
  ``$dynamicRef``, the ``unevaluated*`` helpers) goes through the validator's ``evolve``, so a
  validator class whose ``evolve`` spends one unit of a budget bounds them all. The class always
  evolves into itself: jsonschema would switch to a stock validator class for a subschema with
  another ``$schema`` and so leave the budget.

``uniqueItems`` is replaced too: jsonschema compares unhashable items pairwise (quadratic in the
array's length); here every item gets a canonical key once.

A check runs inside ``bounded()``; exceeding the budget raises ``BudgetExceeded``.
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager

MAX_STEPS = 200_000  # subschema evaluations for one object; real policies need hundreds
MAX_SECONDS = 0.5  # time for one object (regular expressions included); real policies need ms
UNBOUNDED_REGEX_SECONDS = 2.0  # a pattern matched outside any check (jsonschema's own schemas)


class BudgetExceeded(Exception):
    """Evaluating a schema took more work or time than the budget allows."""


class Budget:
    __slots__ = ("steps", "deadline", "max_steps", "seconds")

    def __init__(self, max_steps: int, seconds: float) -> None:
        self.max_steps, self.seconds = max_steps, seconds
        self.steps = max_steps
        self.deadline = time.monotonic() + seconds

    def spend(self) -> None:
        self.steps -= 1
        if self.steps & 0xFF == 0 or self.steps < 0:
            if self.steps < 0:
                raise BudgetExceeded(f"its schema needed more than {self.max_steps:,} evaluation steps for "
                                     f"one object (a recursive or exponentially branching $ref/allOf?)")
            if time.monotonic() > self.deadline:
                raise BudgetExceeded(f"evaluating its schema took more than {self.seconds:g} s for one object")

    def seconds_left(self) -> float:
        return self.deadline - time.monotonic()


_active: Budget | None = None


@contextmanager
def bounded(max_steps: int = MAX_STEPS, seconds: float = MAX_SECONDS):
    """Schema evaluation inside this block is bounded (nested blocks: the innermost counts)."""
    global _active
    previous, _active = _active, Budget(max_steps, seconds)
    try:
        yield _active
    finally:
        _active = previous


def spend() -> None:
    if _active is not None:
        _active.spend()


# --------------------------------------------------------------------------- regular expressions


def search(pattern, string, flags=0):
    """``re.search`` with the ``regex`` module's matcher, stopped when the budget's time is up."""
    import regex

    budget = _active
    seconds = budget.seconds_left() if budget is not None else UNBOUNDED_REGEX_SECONDS
    try:
        return regex.search(pattern, string, flags, timeout=max(seconds, 0.01))
    except TimeoutError:
        shown = pattern if len(pattern) <= 60 else pattern[:57] + "..."
        raise BudgetExceeded(f"the pattern {shown!r} did not finish on a {len(string):,}-character "
                             f"value within the time budget (catastrophic backtracking?)") from None
    except regex.error as exc:
        raise BudgetExceeded(f"the pattern {pattern!r} cannot be used: {exc}") from None


class _BoundedRe:
    """Stands for the ``re`` module inside jsonschema: ``search`` bounded, the rest unchanged."""

    search = staticmethod(search)

    def __getattr__(self, name):
        return getattr(re, name)


# jsonschema's modules that match instance strings against schema patterns (keywords and the
# helpers for additionalProperties / unevaluatedProperties); tests check that no other
# jsonschema module calls re.search.
PATTERN_MODULES = ("jsonschema._keywords", "jsonschema._utils", "jsonschema._legacy_keywords")


def _install_bounded_re() -> None:
    import importlib

    for name in PATTERN_MODULES:
        module = importlib.import_module(name)
        if getattr(module, "re", None) is re:
            module.re = _BoundedRe()


# --------------------------------------------------------------------------- validator classes

_classes: dict = {}


def validator_class(base):
    """``base`` (a jsonschema validator class) with bounded evaluation (see the module doc)."""
    cls = _classes.get(base)
    if cls is None:
        from jsonschema import validators

        _install_bounded_re()
        cls = validators.extend(base, {"uniqueItems": _unique_items})
        cls.evolve = _counted_evolve(cls)
        _classes[base] = cls
    return cls


def _counted_evolve(cls):
    """jsonschema's ``evolve`` minus the switch of class on a subschema's ``$schema``, counted."""
    import attrs

    fields = [(item.name, item.alias) for item in attrs.fields(cls) if item.init]

    def evolve(self, **changes):
        spend()
        for name, alias in fields:
            if alias not in changes:
                changes[alias] = getattr(self, name)
        return cls(**changes)

    return evolve


def _unique_items(validator, unique, instance, schema):
    from jsonschema.exceptions import ValidationError

    if not unique or not validator.is_type(instance, "array"):
        return
    seen = set()
    for item in instance:
        key = _canonical(item)
        if key in seen:
            yield ValidationError("has non-unique elements")
            return
        seen.add(key)


def _canonical(value):
    """A hashable key equal for JSON-equal values (1 == 1.0, true != 1, key order ignored)."""
    if isinstance(value, bool) or value is None:
        return ("c", value)
    if isinstance(value, (int, float)):
        return ("n", int(value) if isinstance(value, float) and value.is_integer() else value)
    if isinstance(value, str):
        return ("s", value)
    if isinstance(value, dict):
        return ("o", frozenset((key, _canonical(item)) for key, item in value.items()))
    if isinstance(value, (list, tuple)):
        return ("a", tuple(_canonical(item) for item in value))
    return ("x", repr(value))
