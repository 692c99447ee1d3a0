"""Human output: ``path:line:col: severity rule-id: message [Kind namespace/name]``, the source
line with a caret under the field, the fix hint, and a summary line."""

from __future__ import annotations

from k8slint.report import counts
from k8slint.source import display_path

_COLORS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m", "dim": "\033[2m",
           "bold": "\033[1m", "reset": "\033[0m"}


def render(result, color: bool = False, show_suppressed: bool = False, snippets: bool = True) -> str:
    paint = (lambda text, what: f"{_COLORS[what]}{text}{_COLORS['reset']}") if color else (lambda text, what: text)
    lines: list[str] = []
    source_lines: dict[str, list[str]] = {}
    for error in result.errors:
        lines.append(f"{display_path(error.file)}:{error.line}:{error.column}: "
                     f"{paint('error', 'error')} {error.rule}: {error.message}")
    for note in result.notes:
        lines.append(f"{display_path(note.file)}: {paint('note', 'dim')}: {note.message}")
    for finding in result.findings:
        if finding.suppressed and not show_suppressed:
            continue
        where = f"{finding.kind} {finding.namespace + '/' if finding.namespace else ''}{finding.name}"
        suffix = f" (suppressed by {finding.suppression})" if finding.suppressed else ""
        lines.append(f"{paint(display_path(finding.file), 'bold')}:{finding.line}:{finding.column}: "
                     f"{paint(finding.severity, finding.severity)} {finding.rule}: {finding.message} "
                     f"[{where}]{suffix}")
        if snippets:
            text = _source_line(source_lines, finding.file, finding.line)
            if text is not None:
                width = max(1, (finding.end_column - finding.column) if finding.end_line == finding.line else 1)
                lines.append(f"  {finding.line:>4} | {text}")
                lines.append(f"       | {' ' * (finding.column - 1)}{paint('^' * width, finding.severity)}")
        if finding.hint:
            lines.append(f"       = {paint('hint', 'dim')}: {finding.hint}")
    tally = counts(result)
    summary = (f"{tally['error']} error(s), {tally['warning']} warning(s), {tally['info']} info "
               f"in {result.files} file(s), {result.documents} document(s)")
    if tally["suppressed"]:
        summary += f"; {tally['suppressed']} suppressed"
    if tally["input_errors"]:
        summary += f"; {tally['input_errors']} input error(s)"
    lines.append(summary)
    return "\n".join(lines) + "\n"


def _source_line(cache: dict, path: str, line: int) -> str | None:
    if path not in cache:
        try:
            with open(path, encoding="utf-8-sig", errors="replace") as handle:
                cache[path] = handle.read().splitlines()
        except (OSError, ValueError):
            cache[path] = []
    lines = cache[path]
    if 1 <= line <= len(lines):
        text = lines[line - 1].replace("\t", " ")
        return text if len(text) <= 200 else text[:200] + "..."
    return None
