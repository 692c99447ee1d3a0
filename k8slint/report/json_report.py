"""Machine output: one JSON object, documented by schemas/report.schema.json."""

from __future__ import annotations

from k8slint import __version__
from k8slint.report import counts
from k8slint.report.json_text import dumps
from k8slint.source import display_path


def render(result) -> str:
    return "".join(render_lines(result))


def render_lines(result):
    """The report in pieces, as ``json.dumps(report, indent=2, ensure_ascii=False)`` spells it:
    the CLI writes them as they come, so tens of thousands of findings are never held as dicts
    and one string at once (100,000 documents: ~60 MB less at the peak)."""
    yield f'{{\n  "version": {_dumps(__version__)},\n  "findings": '
    yield from _items(_with_display_path(finding.to_dict()) for finding in result.findings)
    yield ',\n  "errors": '
    yield from _items(_with_display_path(error.to_dict()) for error in result.errors)
    yield ',\n  "notes": '
    yield from _items(_with_display_path(note.to_dict()) for note in result.notes)
    summary = dict(counts(result), files=result.files, documents=result.documents)
    yield f',\n  "summary": {_indented(summary, "  ")}\n}}\n'


def _with_display_path(item: dict) -> dict:
    item["file"] = display_path(item["file"])
    return item


def _items(items):
    """A list of objects at the second level, one object at a time."""
    first = True
    for item in items:
        yield ("[\n    " if first else ",\n    ") + _indented(item, "    ")
        first = False
    yield "[]" if first else "\n  ]"


def _indented(value, prefix: str) -> str:
    # JSON strings hold no raw newline (json escapes it), so lines are the layout's own
    return _dumps(value).replace("\n", "\n" + prefix)


def _dumps(value) -> str:
    return dumps(value)  # json.dumps(value, indent=2, ensure_ascii=False)
