"""``json.dumps(value, indent=2, ensure_ascii=False)``, the same text, faster: with an indent, the
standard library encodes in Python through nested generators, which took most of the time of a
JSON or SARIF report of 10,000 findings (a SARIF log of 12,000 findings: 1.1 s). Here one
recursive function appends the pieces to a list and strings go through json's own C encoder."""

from __future__ import annotations

import json

# What json.dumps uses for strings when ensure_ascii=False (C): a str or str subclass -> its JSON
# text; anything else raises TypeError.
encode_string = _string = json.encoder.encode_basestring


class _NotPlain(Exception):
    """A value json.dumps would convert with a ``default`` or refuse: left to json.dumps itself."""


def dumps(value) -> str:
    out: list[str] = []
    try:
        _write(value, "\n", out)
    except (_NotPlain, RecursionError):  # (a cycle: json.dumps says "Circular reference detected")
        return json.dumps(value, indent=2, ensure_ascii=False)
    return "".join(out)


def _write(value, newline: str, out: list) -> None:
    kind = type(value)
    if kind is dict:
        if value:
            _write_dict(value, newline, out)
        else:
            out.append("{}")
    elif kind is list:
        if value:
            _write_list(value, newline, out)
        else:
            out.append("[]")
    elif kind is str:
        out.append(_string(value))
    else:
        _write_other(value, newline, out)


# Containers write their plain leaves (str, int, bool, None: the types themselves, not subclasses)
# in the same piece as their key, without a call each: most of a report's values are such leaves.


def _write_dict(value: dict, newline: str, out: list) -> None:
    inner = newline + "  "
    separator = "{" + inner
    for key, item in value.items():
        key = _string(key) if type(key) is str else _key(key)
        kind = type(item)
        if kind is str:
            out.append(f"{separator}{key}: {_string(item)}")
        elif kind is int:
            out.append(f"{separator}{key}: {int.__repr__(item)}")
        elif item is None:
            out.append(f"{separator}{key}: null")
        elif kind is bool:
            out.append(f"{separator}{key}: {'true' if item else 'false'}")
        else:
            out.append(f"{separator}{key}: ")
            _write(item, inner, out)
        separator = "," + inner
    out.append(newline + "}")


def _write_list(value, newline: str, out: list) -> None:
    inner = newline + "  "
    separator = "[" + inner
    for item in value:
        kind = type(item)
        if kind is str:
            out.append(separator + _string(item))
        elif kind is int:
            out.append(separator + int.__repr__(item))
        else:
            out.append(separator)
            _write(item, inner, out)
        separator = "," + inner
    out.append(newline + "]")


def _write_other(value, newline: str, out: list) -> None:
    # The order of json.encoder._make_iterencode's tests, so that subclasses come out the same.
    if isinstance(value, str):
        out.append(_string(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(_float(value))
    elif isinstance(value, (list, tuple)):
        if value:
            _write_list(value, newline, out)
        else:
            out.append("[]")
    elif isinstance(value, dict):
        if value:
            _write_dict(value, newline, out)
        else:
            out.append("{}")
    else:
        raise _NotPlain


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value == float("inf"):
        return "Infinity"
    if value == -float("inf"):
        return "-Infinity"
    return float.__repr__(value)


def _key(key) -> str:
    if isinstance(key, str):
        return _string(key)
    if isinstance(key, float):
        return _string(_float(key))
    if key is True:
        return '"true"'
    if key is False:
        return '"false"'
    if key is None:
        return '"null"'
    if isinstance(key, int):
        return _string(int.__repr__(key))
    raise _NotPlain
