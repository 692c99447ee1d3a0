"""Fixes a rule offers with a finding: what to change, at which field path of the object.

A rule never touches text. It says, in the object's own field paths, what the manifest should
say instead (``set_value(("spec", "strategy", "rollingUpdate", "maxSurge"), 0)``), and whether a
reviewer must confirm the change (``safe=False``: it changes how the workload behaves). The fixer
(k8slint.fixer) turns these changes into exact text replacements in the file, so the rest of the
file stays byte for byte as it was, and applies them with ``k8slint fix``.

A rule offers a fix only where the right change is certain from the input (and the cluster
description); where it is not, it offers none.
"""

from __future__ import annotations

from dataclasses import dataclass

SET, RENAME, DELETE = "set", "rename", "delete"


@dataclass(frozen=True, slots=True)
class Change:
    """One change to an object, at a field path relative to the object's root.

    ``set``: the field at ``path`` gets ``value`` (a scalar, a list of scalars or a mapping;
    missing parent mappings are created). ``rename``: the key at ``path`` becomes ``value``.
    ``delete``: the key at ``path`` goes; with ``first_of_duplicates`` only its first occurrence
    (a mapping that repeats the key keeps the last one, as kubectl does)."""

    op: str
    path: tuple
    value: object = None
    first_of_duplicates: bool = False


@dataclass(frozen=True, slots=True)
class Fix:
    """What a finding's fix does (``description``, shown to the user), its changes, and whether it
    is safe to apply without review."""

    description: str
    changes: tuple[Change, ...]
    safe: bool = True

    @property
    def safety(self) -> str:
        return "safe" if self.safe else "unsafe"


def set_value(path: tuple, value) -> Change:
    return Change(SET, tuple(path), value)


def rename_key(path: tuple, new_key: str) -> Change:
    return Change(RENAME, tuple(path), new_key)


def delete_key(path: tuple, first_of_duplicates: bool = False) -> Change:
    return Change(DELETE, tuple(path), None, first_of_duplicates)


def fix(description: str, *changes: Change, safe: bool = True) -> Fix:
    """A fix of one or more changes, applied together or not at all."""
    return Fix(description, tuple(changes), safe)
