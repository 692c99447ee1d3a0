"""From paths to decoded text: file discovery, reading, decoding, template detection, and
recovery of the documents after a syntax error. Knows nothing of Kubernetes."""

from __future__ import annotations

import codecs
import fnmatch
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from k8slint.loader import Document, LoadError, compose

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
DEFAULT_MAX_FILE_BYTES = 32 * 1024 * 1024
STDIN = "-"

# A Go/Helm template action on a line of its own, or as an unquoted mapping value.
_TEMPLATE_LINE = re.compile(rb"^[ \t]*(?:-[ \t]+)?\{\{-?[ \t]*[.$a-zA-Z(/\"-]|:[ \t]+\{\{-?[ \t]*[.$a-zA-Z(]",
                            re.MULTILINE)
_DOCUMENT_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t]|$)", re.MULTILINE)
_SUPPRESSION = re.compile(r"#\s*k8slint:\s*(disable-file|disable-next-line|disable)\s*(?:=\s*([\w,\s-]*))?")


@dataclass
class SourceFile:
    """A file (or stdin) to lint: its display path and, once read, its text."""

    path: str  # as the user will see it
    text: str | None = None
    problem: LoadError | None = None  # why it cannot be linted (unreadable, binary, template, ...)
    note: str | None = None  # why it is skipped on purpose (kustomization.yaml ...)
    line_suppressions: dict[int, frozenset[str]] = field(default_factory=dict)
    file_suppressions: frozenset[str] = frozenset()


@dataclass
class DiscoveryProblem:
    path: str
    message: str


def discover(paths: list[str], excludes: list[str] = ()) -> tuple[list[str], list[DiscoveryProblem]]:
    """Expand files and directories (recursively, hidden entries skipped) into sorted file paths."""
    found: list[str] = []
    problems: list[DiscoveryProblem] = []
    seen: set[str] = set()

    def excluded(path: str) -> bool:
        posix = path.replace(os.sep, "/")
        return any(fnmatch.fnmatch(posix, pattern) or fnmatch.fnmatch(os.path.basename(posix), pattern)
                   for pattern in excludes)

    def add(path: str) -> None:
        if path not in seen and not excluded(path):
            seen.add(path)
            found.append(path)

    for given in paths:
        if given == STDIN:
            add(STDIN)
            continue
        if os.path.isdir(given):
            walked: list[str] = []
            for root, dirs, files in os.walk(given, onerror=lambda err: problems.append(
                    DiscoveryProblem(err.filename or given, f"cannot read directory: {err.strerror}"))):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in files:
                    if name.startswith(".") or not name.endswith(MANIFEST_SUFFIXES):
                        continue
                    full = os.path.join(root, name)
                    if not os.path.exists(full):  # broken symlink
                        problems.append(DiscoveryProblem(full, "broken symbolic link"))
                        continue
                    walked.append(full)
            for path in sorted(walked):
                add(path)
        elif os.path.lexists(given) and not os.path.exists(given):
            problems.append(DiscoveryProblem(given, "broken symbolic link"))
        elif os.path.exists(given):
            add(given)
        else:
            problems.append(DiscoveryProblem(given, "no such file or directory"))
    return found, problems


def display_path(path: str) -> str:
    """A path as printed: valid text even when the file name is not UTF-8 (os gives surrogates)."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def read_source(path: str, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> SourceFile:
    """Read and decode one file; problems become ``SourceFile.problem``, never exceptions."""
    source = SourceFile(path)
    try:
        if path == STDIN:
            data = sys.stdin.buffer.read(max_bytes + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(max_bytes + 1)
    except OSError as exc:
        source.problem = LoadError(f"cannot read file: {exc.strerror or exc}", 1, 1)
        return source
    if len(data) > max_bytes:
        source.problem = LoadError(
            f"file is larger than {max_bytes // (1024 * 1024)} MiB; not linted (raise --max-file-size)", 1, 1)
        return source
    text, problem = decode(data)
    if problem is not None:
        source.problem = problem
        return source
    name = os.path.basename(path)
    if name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        source.note = "kustomization file skipped: lint the output of `kustomize build` instead"
        return source
    if name in ("Chart.yaml", "Chart.lock") or (name.startswith("values") and _in_helm_chart(path)):
        source.note = "Helm chart metadata skipped: lint the output of `helm template` instead"
        return source
    template = _TEMPLATE_LINE.search(data)
    if template is not None:
        line = data.count(b"\n", 0, template.start()) + 1
        source.problem = LoadError(
            "this is a Helm/Go template, not a manifest: render it first "
            "(e.g. `helm template . | k8slint lint -`)", line, 1)
        return source
    source.text = text
    if "k8slint:" in text:
        _collect_suppressions(source)
    return source


def _in_helm_chart(path: str) -> bool:
    directory = os.path.dirname(os.path.abspath(path))
    return os.path.exists(os.path.join(directory, "Chart.yaml"))


def decode(data: bytes) -> tuple[str, LoadError | None]:
    """Decode as YAML allows: UTF-8 (BOM optional), or UTF-16/32 with a BOM."""
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
                          (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                          (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding), None
            except UnicodeDecodeError as exc:
                return "", _offset_error(data, exc.start + len(bom), f"invalid {encoding} data")
    nul = data.find(b"\0")
    if nul >= 0:
        return "", _offset_error(data, nul, "binary file (NUL byte); UTF-16/32 text needs a byte order mark")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return "", _offset_error(data, exc.start, f"not UTF-8 text (byte 0x{data[exc.start]:02x})")


def _offset_error(data: bytes, offset: int, message: str) -> LoadError:
    line_start = data.rfind(b"\n", 0, offset) + 1
    line = data.count(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", "replace")) + 1
    return LoadError(message, line, column)


def _collect_suppressions(source: SourceFile) -> None:
    """Inline ``# k8slint: disable=rule-a,rule-b`` comments (same line or the line above),
    ``disable-next-line=...`` and ``# k8slint: disable-file=...``; no ids means every rule."""
    by_line: dict[int, set[str]] = {}
    file_wide: set[str] = set()
    for number, line in enumerate(source.text.splitlines(), start=1):
        if "k8slint:" not in line:
            continue
        match = _SUPPRESSION.search(line)
        if not match:
            continue
        kind, ids = match.group(1), match.group(2)
        rules = {i.strip() for i in (ids or "").split(",") if i.strip()} or {"*"}
        if kind == "disable-file":
            file_wide |= rules
            continue
        comment_only = line.lstrip().startswith("#")
        targets = (number + 1,) if kind == "disable-next-line" or comment_only else (number,)
        for target in targets:
            by_line.setdefault(target, set()).update(rules)
    source.line_suppressions = {k: frozenset(v) for k, v in by_line.items()}
    source.file_suppressions = frozenset(file_wide)


def documents(source: SourceFile) -> Iterator[Document | LoadError]:
    """Every document of a decoded source. After a syntax error, the documents that follow the
    broken one are still composed: the stream is re-split at its ``---`` markers and parsing
    resumes with the next document (lines stay true because the skipped part becomes blank lines).
    """
    text = source.text or ""
    last_line = 0
    next_index = 0
    for item in compose(text):
        if isinstance(item, Document):
            last_line = item.line
            next_index = item.index + 1
            yield item
            continue
        yield item
        if not item.ends_stream:
            continue  # a document-level problem: compose() went on by itself
        yield from _resume_after(text, max(item.line, last_line), next_index + 1)
        return


def _resume_after(text: str, error_line: int, index: int) -> Iterator[Document | LoadError]:
    """Compose the documents that start after the one holding ``error_line``."""
    starts = [text.count("\n", 0, m.start()) + 1 for m in _DOCUMENT_MARKER.finditer(text)]
    following = [line for line in starts if line > error_line]
    if not following:
        return
    resume_line = following[0]
    offset = _line_offset(text, resume_line)
    for item in compose("\n" * (resume_line - 1) + text[offset:], first_index=index):
        yield item
        if isinstance(item, LoadError) and item.ends_stream:
            yield from _resume_after(text, item.line, index + 1)
            return


def _line_offset(text: str, line: int) -> int:
    offset = 0
    for _ in range(line - 1):
        offset = text.index("\n", offset) + 1
    return offset
