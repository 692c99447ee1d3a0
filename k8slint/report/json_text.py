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
        if not value:
            out.append("[]")
            return
        inner = newline + "  "
        separator = "[" + inner
        for item in value:
            out.append(separator)
            separator = "," + inner
            _write(item, inner, out)
        out.append(newline + "]")
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = newline + "  "
        separator = "{" + inner
        for key, item in value.items():
            out.append(separator)
            separator = "," + inner
            out.append(_key(key))
            out.append(": ")
            _write(item, inner, out)
        out.append(newline + "}")
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
