"""Machine output: one JSON object, documented by schemas/report.schema.json."""

from __future__ import annotations

from k8slint import __version__
from k8slint.report import counts
from k8slint.report.json_text import dumps, encode_string
from k8slint.source import display_path


def render(result) -> str:
    return "".join(render_lines(result))


def render_lines(result):
    """The report in pieces, as ``json.dumps(report, indent=2, ensure_ascii=False)`` spells it:
    the CLI writes them as they come, so tens of thousands of findings are never held as dicts
    and one string at once (100,000 documents: ~60 MB less at the peak)."""
    yield f'{{\n  "version": {_dumps(__version__)},\n  "findings": '
    yield from _finding_items(result.findings)
    yield ',\n  "errors": '
    yield from _items(_indented(_with_display_path(error.to_dict()), "    ") for error in result.errors)
    yield ',\n  "notes": '
    yield from _items(_indented(_with_display_path(note.to_dict()), "    ") for note in result.notes)
    summary = dict(counts(result), files=result.files, documents=result.documents)
    yield f',\n  "summary": {_indented(summary, "  ")}\n}}\n'


def _with_display_path(item: dict) -> dict:
    item["file"] = display_path(item["file"])
    return item


def _items(texts):
    """A list of objects at the second level, each given as its text, one at a time."""
    first = True
    for text in texts:
        yield ("[\n    " if first else ",\n    ") + text
        first = False
    yield "[]" if first else "\n  ]"


def _finding_items(findings):
    """The findings' list: as _items(their texts), each finding's text spelled with its separator."""
    first = True
    for text in _findings(findings):
        yield text if not first else "[" + text[1:]
        first = False
    yield "[]" if first else "\n  ]"


# A finding as Finding.to_dict() lays it out, at the second level of the report: its flat fields
# are spelled here in one format and only its leaf values are encoded (json's C string encoder),
# instead of building a dict per finding and walking it (12,000 findings: 204,000 calls of the
# generic writer). Findings whose fields are not of the plain types go the generic way.
_FLAT = (',\n    {\n      "rule": %s,\n      "severity": %s,\n      "message": %s,\n      "file": %s,\n'
         '      "line": %s,\n      "column": %s,\n      "end_line": %s,\n      "end_column": %s,\n'
         '      "api_version": %s,\n      "kind": %s,\n      "namespace": %s,\n      "name": %s,\n'
         '      "path": %s,\n      "suppressed": %s,\n      "suppression": %s,\n      "hint": %s%s\n    }')
_BOOL = {True: "true", False: "false"}


def _findings(findings):
    string = encode_string
    files: dict = {}  # path -> its display path, encoded
    for finding in findings:
        try:
            file = files.get(finding.file)
            if file is None:
                file = files[finding.file] = string(display_path(finding.file))
            line, column, end_line, end_column = finding.line, finding.column, finding.end_line, finding.end_column
            suppressed, suppression = finding.suppressed, finding.suppression
            if not (type(line) is int and type(column) is int and type(end_line) is int
                    and type(end_column) is int and type(suppressed) is bool):
                raise TypeError
            extra = ""
            if finding.template:
                extra = ',\n      "template": ' + string(finding.template)
            if finding.baseline_state:
                extra += ',\n      "baseline_state": ' + string(finding.baseline_state)
            if finding.fix_edits is not None:
                fix = {"description": finding.fix.description, "safety": finding.fix.safety,
                       "edits": finding.fix_edits}
                extra += ',\n      "fix": ' + _indented(fix, "      ")
            yield _FLAT % (
                string(finding.rule), string(finding.severity), string(finding.message), file,
                line, column, end_line, end_column,
                string(finding.api_version), string(finding.kind), string(finding.namespace),
                string(finding.name), string(finding.path), _BOOL[suppressed],
                "null" if suppression is None else string(suppression), string(finding.hint), extra)
        except TypeError:  # a field of another type (a str or int subclass is fine for string())
            yield ",\n    " + _indented(_with_display_path(finding.to_dict()), "    ")


def _indented(value, prefix: str) -> str:
    # JSON strings hold no raw newline (json escapes it), so lines are the layout's own
    return _dumps(value).replace("\n", "\n" + prefix)


def _dumps(value) -> str:
    return dumps(value)  # json.dumps(value, indent=2, ensure_ascii=False)
