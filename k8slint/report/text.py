"""Human output: ``path:line:col: severity rule-id: message [Kind namespace/name]``, the source
line with a caret under the field, the fix hint; then the rules' notes (``path:line:col: note:
message``, what they could not check; not counted) and a summary line."""

from __future__ import annotations

import re
import sys

from k8slint.report import counts
from k8slint.source import display_path

_COLORS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m", "dim": "\033[2m",
           "bold": "\033[1m", "reset": "\033[0m"}


# Control characters from a hostile file (a name "\x1b[2J...", a newline in a key) must not reach
# the terminal raw: they are shown escaped. Tab stays (snippets turn it into a space).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _clean(text: str) -> str:
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _path(path: str) -> str:
    """A file name as printed: valid text, control characters escaped (a name may hold ESC or a
    newline)."""
    return _clean(display_path(path))


def _cut(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


# The source line is shown through a window of this many characters around the finding's column
# (a one-line 5 MB JSON file must not print 5 MB per finding), the caret under it cut to match.
SNIPPET_WIDTH = 200
# YAML's line breaks (str.splitlines also breaks at \v, \f and \x1c-\x1e, which YAML does not).
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def render(result, color: bool = False, show_suppressed: bool = False, snippets: bool = True) -> str:
    return "".join(render_lines(result, color, show_suppressed, snippets))


def render_lines(result, color: bool = False, show_suppressed: bool = False, snippets: bool = True):
    """The report line by line (each ending in a newline): the CLI writes them as they come, so a
    run with tens of thousands of findings never holds its whole report in memory."""
    paint = (lambda text, what: f"{_COLORS[what]}{text}{_COLORS['reset']}") if color else (lambda text, what: text)
    source_lines: dict[str, list[str]] = {}
    for error in result.errors:
        yield _line(f"{_path(error.file)}:{error.line}:{error.column}: "
                    f"{paint('error', 'error')} {error.rule}: {_clean(error.message)}")
    for note in result.notes:  # files skipped on purpose
        if not note.rule:
            yield _line(f"{_path(note.file)}: {paint('note', 'dim')}: {_clean(note.message)}")
    for finding in result.findings:
        if finding.suppressed and not show_suppressed:
            continue
        where = _clean(_cut(f"{finding.kind} {finding.namespace + '/' if finding.namespace else ''}{finding.name}"))
        suffix = f" (suppressed by {finding.suppression})" if finding.suppressed else ""
        if finding.baseline_state:  # a baseline is in use: say which findings it does not hold
            suffix += " (baselined)" if finding.baseline_state == "unchanged" else " (new)"
        where = f" [{where}]" if where.strip() else ""  # a finding on a comment has no object
        yield _line(f"{paint(_path(finding.file), 'bold')}:{finding.line}:{finding.column}: "
                    f"{paint(finding.severity, finding.severity)} {finding.rule}: {_clean(finding.message)}"
                    f"{where}{suffix}")
        if snippets:
            text = _source_line(source_lines, finding.file, finding.line)
            if text is not None:
                width = max(1, (finding.end_column - finding.column) if finding.end_line == finding.line else 1)
                shown, offset, width = _window(text, finding.column - 1, width)
                number = f"{finding.line:>4}"
                yield _line(f"  {number} | {shown}")
                yield _line(f"  {' ' * len(number)} | {' ' * offset}{paint('^' * width, finding.severity)}")
        if finding.template:
            yield _line(f"       = {paint('template', 'dim')}: {_path(finding.template)}")
        if finding.hint:
            yield _line(f"       = {paint('hint', 'dim')}: {_clean(finding.hint)}")
    for note in result.notes:  # what rules could not check: after the findings, not counted
        if note.rule:
            yield _line(_rule_note(note, paint))
    tally = counts(result)
    summary = (f"{tally['error']} error(s), {tally['warning']} warning(s), {tally['info']} info "
               f"in {result.files} file(s), {result.documents} document(s)")
    if tally["suppressed"]:
        summary += f"; {tally['suppressed']} suppressed"
    if "baselined" in tally:
        summary += f"; {tally['baselined']} in the baseline"
        if tally["baselined"] and not any(f.baseline_state == "unchanged" for f in result.findings):
            summary += " (--show-baselined lists them)"
        if tally["baseline_absent"]:
            summary += (f"; {tally['baseline_absent']} baseline entr{'y' if tally['baseline_absent'] == 1 else 'ies'}"
                        f" no longer found (fixed: --write-baseline drops them)")
    if tally["input_errors"]:
        summary += f"; {tally['input_errors']} input error(s)"
    yield _line(summary)


def _rule_note(note, paint) -> str:
    where = (f"{_path(note.file)}:{note.line}:{note.column}: " if note.line > 0 else f"{_path(note.file)}: ") \
        if note.file else ""
    times = f" ({note.count} in all; the first here)" if note.count > 1 and note.file else \
        (f" ({note.count} in all)" if note.count > 1 else "")
    return f"{where}{paint('note', 'dim')}: {_clean(note.message)}{times}"


def _line(text: str) -> str:
    return text + "\n"


def _window(text: str, start: int, width: int) -> tuple[str, int, int]:
    """(what to show of the source line, where the caret starts in it, how wide it is): the whole
    line when short, else a window of SNIPPET_WIDTH characters around ``start`` marked with "..."."""
    if len(text) <= SNIPPET_WIDTH:
        shown, offset = text, min(start, len(text))
    else:
        begin = max(0, min(start - SNIPPET_WIDTH // 4, len(text) - SNIPPET_WIDTH))
        shown = text[begin:begin + SNIPPET_WIDTH]
        offset = min(start, len(text)) - begin
        if begin > 0:
            shown, offset = "..." + shown, offset + 3
        if begin + SNIPPET_WIDTH < len(text):
            shown += "..."
    shown = _clean(shown.replace("\t", " "))  # (escapes may lengthen what precedes the caret: rare)
    return shown, offset, max(1, min(width, max(1, len(shown) - offset)))


def _lines(text: str) -> list[str]:
    """``text`` split at YAML's line breaks. Nearly every file breaks lines with line feeds alone,
    which str.split handles many times faster than the regular expression (0.1 s of the report of
    bench.py's 5,000-document file)."""
    if "\r" in text or "\x85" in text or "\u2028" in text or "\u2029" in text:
        return _LINE_BREAK.split(text)
    return text.split("\n")


def _source_line(cache: dict, path: str, line: int) -> str | None:
    # Findings come sorted by file and line, so only the current file is kept, and of it only the
    # lines of the current piece (_LinePieces): split whole, a 150 MB file of 6 million lines took
    # 450 MB more than its text. The text is the one the run linted (source.text_again: kept for
    # small files and the only file, else read and decoded again; never a FIFO).
    pieces = cache.get(path)
    if pieces is None:
        cache.clear()
        from k8slint.source import text_again

        text = text_again(path, sys.maxsize)
        pieces = cache[path] = _LinePieces(text) if text is not None else None
    return pieces.line(line) if pieces is not None else None


class _LinePieces:
    """The lines of a text, split a piece (~1 MiB, cut at a line feed) at a time as the asked
    line numbers grow; the same lines as splitting the whole text at YAML's line breaks."""

    PIECE = 1 << 20

    def __init__(self, text: str) -> None:
        self.text = text
        self._restart()

    def _restart(self) -> None:
        self.first = 1  # line number of lines[0]
        self.lines: list[str] = []
        self.next = 0  # offset of the text not split yet (-1: all of it is)

    def line(self, number: int) -> str | None:
        if number < self.first:
            self._restart()
        while number >= self.first + len(self.lines) and self.next >= 0:
            self.first += len(self.lines)
            end = self.text.find("\n", self.next + self.PIECE)
            if end < 0:
                piece, self.next = self.text[self.next:], -1
            else:
                piece, self.next = self.text[self.next:end], end + 1
                if piece.endswith("\r"):  # a CR LF break cut at its LF
                    piece = piece[:-1]
            self.lines = _lines(piece)
        if self.first <= number < self.first + len(self.lines):
            return self.lines[number - self.first]
        return None