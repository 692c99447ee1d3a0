"""From paths to decoded text: file discovery, reading, decoding, template detection, and
recovery of the documents after a syntax error. Knows nothing of Kubernetes."""

from __future__ import annotations

import codecs
import errno
import fnmatch
import os
import re
import stat
import sys
from dataclasses import dataclass, field
from typing import Iterator

from k8slint.loader import Document, LoadError, compose
from k8slint.yaml_values import span_of

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
DEFAULT_MAX_FILE_BYTES = 32 * 1024 * 1024
STDIN = "-"

# A Go/Helm template action on a line of its own, or as an unquoted mapping value.
_TEMPLATE_LINE = re.compile(rb"^[ \t]*(?:-[ \t]+)?\{\{-?[ \t]*[.$a-zA-Z(/\"-]|:[ \t]+\{\{-?[ \t]*[.$a-zA-Z(]",
                            re.MULTILINE)
_DOCUMENT_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t]|$)", re.MULTILINE)
# The same markers found from the newline before them: a literal first character lets the regex
# engine skip ahead, five times faster than trying ``^`` at every position.
_MARKER_AFTER_NEWLINE = re.compile(r"\n(?=(?:---|\.\.\.)(?:[ \t\n]|\Z))")
# A line that opens a block scalar: "key: |", "- >-", "key: |2 # comment".
_BLOCK_SCALAR_START = re.compile(r"(?:^|[:\-][ \t]+)(?:[!&][^ \t]*[ \t]+)*[|>][-+0-9]*[ \t]*(?:#.*)?$")
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
    # (line, column, end column, id) of each id a suppression comment names (unknown-suppression)
    suppression_ids: list[tuple[int, int, int, str]] = field(default_factory=list)


@dataclass
class DiscoveryProblem:
    """A path given on the command line that cannot be linted, and why."""

    path: str
    message: str


def discover(paths: list[str], excludes: list[str] = (),
             exclude_base: str | None = None,
             follow_symlinks: bool = False) -> tuple[list[str], list[DiscoveryProblem]]:
    """Expand files and directories (recursively, hidden entries skipped) into sorted file paths,
    leaving out those an exclude pattern matches (see ``excluder``).

    Inside a directory, a symbolic link that leads out of it (to /etc/shadow, /proc/self/environ,
    a CI runner's credentials) is skipped with a note unless ``follow_symlinks``: a repository
    must not make k8slint read, and print parts of, files outside what the user asked for. Links
    to directories are not entered unless ``follow_symlinks`` (each real directory once: no loop).
    """
    found: list[str] = []
    problems: list[DiscoveryProblem] = []
    seen: set[str] = set()
    excluded = excluder(excludes, exclude_base)

    def add(path: str) -> None:
        if path not in seen and not excluded(path):
            seen.add(path)
            found.append(path)

    for given in paths:
        if given == STDIN:
            add(STDIN)
            continue
        if os.path.isdir(given):  # (follows a symlink given by name)
            walked: list[str] = []
            root_real = os.path.realpath(given)
            visited: set[str] = set()
            for root, dirs, files in os.walk(given, followlinks=follow_symlinks, onerror=lambda err: problems.append(
                    DiscoveryProblem(err.filename or given, f"cannot read directory: {err.strerror}"))):
                if follow_symlinks:
                    real = os.path.realpath(root)
                    if real in visited:  # a link back up the tree: walked already
                        dirs[:] = []
                        continue
                    visited.add(real)
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not excluded(os.path.join(root, d)))
                for name in files:
                    if name.startswith(".") or not name.endswith(MANIFEST_SUFFIXES):
                        continue
                    full = os.path.join(root, name)
                    try:
                        # lstat first: a file that is no link (most) needs no second call
                        mode = os.lstat(full).st_mode
                        link = stat.S_ISLNK(mode)
                        if link:
                            mode = os.stat(full).st_mode
                    except OSError as exc:  # broken symlink, symlink loop, permission
                        problems.append(DiscoveryProblem(full, _stat_problem(exc, full)))
                        continue
                    if not follow_symlinks and link and not _inside(full, root_real):
                        problems.append(DiscoveryProblem(full, "symbolic link to a file outside the linted "
                                                               "directory: skipped (--follow-symlinks to lint it)"))
                        continue
                    if not stat.S_ISREG(mode):
                        # a FIFO would block the run forever on open(), a device never ends
                        problems.append(DiscoveryProblem(full, "not a regular file (FIFO, socket or "
                                                               "device): skipped"))
                        continue
                    walked.append(full)
            for path in sorted(walked):
                add(path)
            continue
        try:
            os.stat(given)
        except OSError as exc:
            problems.append(DiscoveryProblem(given, _stat_problem(exc, given)))
            continue
        add(given)  # a file, or a pipe the user named (<(helm template .)): read_source never blocks on it
    return found, problems


def excluder(patterns, base: str | None = None):
    """``excluded(path)`` for the config's ``exclude`` globs. A pattern is matched against the
    path relative to ``base`` (the config file's directory; default the current directory) and
    against each of its parent directories, whatever the path given on the command line looked
    like (``lint .``, ``lint deploy/``, an absolute path, a file from pre-commit): so
    ``charts/*/templates/*`` and ``vendor`` mean the same files from anywhere. A pattern without a
    ``/`` also matches a file or directory name at any depth (``*.generated.yaml``); an absolute
    pattern is matched against the absolute path. ``*`` crosses ``/`` (fnmatch)."""
    patterns = [p.strip() for p in patterns if p and p.strip()]
    if not patterns:
        return lambda path: False
    root = os.path.abspath(base or os.getcwd())
    absolute = [p for p in patterns if os.path.isabs(p)]
    relative = [p[2:] if p.startswith("./") else p for p in patterns if not os.path.isabs(p)]
    relative = [p.rstrip("/") or p for p in relative]
    names = [p for p in relative if "/" not in p]

    def excluded(path: str) -> bool:
        if path == STDIN:
            return False
        full = os.path.abspath(path)
        if any(fnmatch.fnmatch(full, p) for p in absolute):
            return True
        relative_path = os.path.relpath(full, root).replace(os.sep, "/")
        if relative_path == ".." or relative_path.startswith("../"):  # outside the config's directory
            parts = [os.path.basename(full)]
        else:
            parts = relative_path.split("/")
            prefixes = ["/".join(parts[:i]) for i in range(len(parts), 0, -1)]
            if any(fnmatch.fnmatch(prefix, p) for prefix in prefixes for p in relative):
                return True
        if any(fnmatch.fnmatch(part, p) for part in parts for p in names):
            return True
        given = path.replace(os.sep, "/")
        return any(fnmatch.fnmatch(given[2:] if given.startswith("./") else given, p) for p in relative)

    return excluded


def _inside(path: str, root_real: str) -> bool:
    real = os.path.realpath(path)
    return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)


def _read_upto(read, limit: int) -> bytes:
    """Up to ``limit`` bytes from ``read(n)`` (a stream's or a descriptor's), in 1 MiB reads (one
    read(limit) would reserve ``limit`` bytes at once: gigabytes with a large --max-file-size)."""
    chunks, total = [], 0
    while total < limit:
        chunk = read(min(1 << 20, limit - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _stat_problem(exc: OSError, path: str) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if exc.errno == errno.ENOENT:
        return "broken symbolic link" if os.path.islink(path) else "no such file or directory"
    return f"cannot read: {exc.strerror or exc}"


def display_path(path: str) -> str:
    """A path as printed: valid text even when the file name is not UTF-8 (os gives surrogates)."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


# path -> text that stands in for the file's content (k8slint.fixer: fixes are linted again before
# anything is written, and ``fix --diff`` writes nothing at all).
_OVERRIDES: dict[str, str] = {}


def set_overrides(texts: dict[str, str]) -> None:
    """Lint ``texts`` instead of the files' contents (an empty dict: the files again)."""
    _OVERRIDES.clear()
    _OVERRIDES.update(texts)


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
_HAVE_SET_BLOCKING = hasattr(os, "set_blocking")


# POSIX: a path's name is what follows its last os.sep (os.path.basename without its calls)
_ONE_SEPARATOR = os.altsep is None


def _read_regular(fd: int, size: int, max_bytes: int, data: bytes) -> bytes:
    """The bytes of a regular file whose fstat() size is ``size``, up to ``max_bytes`` + 1 (one more
    than the cap says it is too large), when the first read, ``data`` =
    os.read(fd, min(size, max_bytes) + 1), did not return ``size`` bytes. read(n) reserves n bytes
    up front: the first read asks for what the file holds (plus one, to see it grow), not for the
    cap."""
    wanted = min(size, max_bytes) + 1
    if len(data) < min(size, wanted):  # a partial read (a signal, a network file system): read on
        data += _read_upto(lambda n: os.read(fd, n), wanted - len(data))
    if size < len(data) <= max_bytes:  # it grew while being read
        data += _read_upto(lambda n: os.read(fd, n), max_bytes + 1 - len(data))
    return data


def read_source(path: str, max_bytes: int = DEFAULT_MAX_FILE_BYTES, keep_newlines: bool = False) -> SourceFile:
    """Read and decode one file; problems become ``SourceFile.problem``, never exceptions. Line
    breaks come out as ``\n`` (normalized_newlines) unless ``keep_newlines`` (a fixer writing the
    file back keeps its CRLF)."""
    source = SourceFile(path)
    override = _OVERRIDES.get(path)
    try:
        if override is not None:  # a text being fixed (k8slint fix): linted as it would be written
            data = override.encode("utf-8", "surrogatepass")
        elif path == STDIN:
            data = _read_upto(sys.stdin.buffer.read, max_bytes + 1)
        else:
            # O_NONBLOCK: opening a FIFO that no one writes to returns at once (then reads EOF)
            # instead of hanging; for regular files it changes nothing. A regular file is read
            # from the descriptor itself: a file object around it cost more than the read in a run
            # over thousands of small files.
            fd = os.open(path, _OPEN_FLAGS)
            try:
                status = os.fstat(fd)
                if stat.S_ISREG(status.st_mode):
                    size = status.st_size
                    data = os.read(fd, min(size, max_bytes) + 1)
                    if len(data) != size:  # short of what fstat said, or more: it grew
                        data = _read_regular(fd, size, max_bytes, data)
                else:  # a pipe (<(helm template .)) or a device: blocking reads, up to the cap
                    if _HAVE_SET_BLOCKING:
                        os.set_blocking(fd, True)
                    with open(fd, "rb", closefd=False) as handle:
                        data = _read_upto(handle.read, max_bytes + 1)
            finally:
                os.close(fd)
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
    if not keep_newlines and "\r" in text:
        text = normalized_newlines(text)
    name = path[path.rfind(os.sep) + 1:] if _ONE_SEPARATOR and type(path) is str else os.path.basename(path)
    if name in _KUSTOMIZATIONS:
        source.note = "kustomization file skipped: lint the output of `kustomize build` instead"
        return source
    if path != STDIN and _kustomize_patch(path):
        source.note = ("kustomize patch skipped (a kustomization lists it under patches): it is not a "
                       "complete object; lint the output of `kustomize build` instead")
        return source
    if name in ("Chart.yaml", "Chart.lock") or (name.startswith("values") and _in_helm_chart(path)):
        source.note = "Helm chart metadata skipped: lint the output of `helm template` instead"
        return source
    # The regex costs ~30 ms per MB; the substring test first makes template-free files free.
    template = _TEMPLATE_LINE.search(data) if b"{{" in data else None
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


_KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_KUSTOMIZE_LEVELS = 3  # a kustomization up to this many directories above a patch may list it


def _kustomize_patch(path: str) -> bool:
    """Whether a kustomization in this directory or one of its parents lists ``path`` as a patch
    (``patches``, ``patchesStrategicMerge``, ``patchesJson6902``): patches are partial objects."""
    # Looked up by the directory as given first: most directories have no kustomization near them,
    # and their files then need no absolute path of their own (abspath per file was a tenth of
    # reading a two-document file).
    if _ONE_SEPARATOR and type(path) is str:  # up to its last separator: the directory dirname() gives
        directory = path[:path.rfind(os.sep) + 1]
        absolute = path[:1] == os.sep
    else:
        directory = os.path.dirname(path)
        absolute = os.path.isabs(directory)
    key = directory if absolute else (os.getcwd(), directory)
    patches = _NEAR_BY_GIVEN.get(key)
    if patches is None:
        patches = _NEAR_BY_GIVEN[key] = _patches_near(os.path.normcase(os.path.abspath(os.path.dirname(path))))
    return bool(patches) and os.path.normcase(os.path.abspath(path)) in patches


_NEAR_CACHE: dict[str, frozenset] = {}
_NEAR_BY_GIVEN: dict = {}  # directory as given (with the working directory if relative) -> _patches_near()


def _patches_near(directory: str) -> frozenset:
    """The patches listed by the kustomizations of ``directory`` and its parents (once per
    directory: a repository of thousands of manifests has far fewer directories)."""
    cached = _NEAR_CACHE.get(directory)
    if cached is None:
        found: set = set()
        current = directory
        for _ in range(_KUSTOMIZE_LEVELS):
            for name in _KUSTOMIZATIONS:
                found |= _kustomize_patches(os.path.join(current, name))
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
        cached = _NEAR_CACHE[directory] = frozenset(found)
    return cached


_PATCH_CACHE: dict[str, frozenset] = {}


def forget_kustomizations() -> None:
    """Drop what earlier runs of this process learnt about kustomizations (files may change)."""
    _PATCH_CACHE.clear()
    _NEAR_CACHE.clear()
    _NEAR_BY_GIVEN.clear()


# --- a second look at linted files -----------------------------------------------------------------
# Files are read again after linting: for the positions of cross-object findings, and for the
# report's source lines. A run over thousands of small files would open each of them up to three
# times; the texts of small files linted in this process are kept instead (bounded: large files
# and whatever exceeds the budget are read again), which is also the exact text that was linted.
_KEPT_TEXTS: dict[str, str] = {}
KEPT_TEXT_MAX_FILE = 1 << 20  # characters
_KEPT_TEXT_BUDGET = 16 << 20
_kept_size = 0


def small_enough_to_keep(text: str) -> bool:
    return len(text) <= KEPT_TEXT_MAX_FILE


def keep_text(path: str, text: str | None, only_file: bool = False) -> bool:
    """Remember the text of a linted file for text_again() (when small and within budget). The
    only file of a run is kept whatever its size: the run held it while linting it anyway.
    Whether it was kept."""
    global _kept_size
    if text is None:
        return False
    if not only_file and (len(text) > KEPT_TEXT_MAX_FILE or _kept_size + len(text) > _KEPT_TEXT_BUDGET):
        return False
    _KEPT_TEXTS[path] = text
    _kept_size += len(text)
    return True


def kept_text(path: str) -> str | None:
    """The text keep_text() kept for ``path`` (None when it kept none: never reads)."""
    return _KEPT_TEXTS.get(path)


def forget_texts() -> None:
    global _kept_size
    _KEPT_TEXTS.clear()
    _kept_size = 0


def text_again(path: str, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> str | None:
    """The decoded text of a file linted earlier: kept by keep_text(), else read again (None when
    it cannot be read or decoded any more)."""
    kept = _KEPT_TEXTS.get(path)
    if kept is not None:
        return kept
    if path in _OVERRIDES:
        return _OVERRIDES[path]
    if path == STDIN or not _is_regular_file(path):  # re-opening a FIFO the user named would block
        return None
    return read_source(path, max_bytes).text


def _is_regular_file(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def _kustomize_patches(kustomization: str) -> frozenset:
    """Absolute paths of the patch files a kustomization lists (empty if there is none)."""
    cached = _PATCH_CACHE.get(kustomization)
    if cached is not None:
        return cached
    found: set[str] = set()
    text, problem = "", True
    try:
        # only a regular file: a FIFO named kustomization.yaml would block the open, a device never ends
        if stat.S_ISREG(os.stat(kustomization).st_mode):
            fd = os.open(kustomization, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
            with open(fd, "rb") as handle:
                text, problem = decode(handle.read(1024 * 1024))
    except OSError:
        pass
    if not problem:
        base = os.path.dirname(kustomization)
        for item in compose(text):
            root = item.root if isinstance(item, Document) else None
            if not isinstance(root, dict):
                continue
            entries = []
            for section in ("patches", "patchesStrategicMerge", "patchesJson6902"):
                value = root.get(section)
                entries.extend(value if isinstance(value, list) else ())
            for entry in entries:
                ref = entry.get("path") if isinstance(entry, dict) else entry
                if isinstance(ref, str) and ref and "\n" not in ref:  # not an inline patch
                    found.add(os.path.normcase(os.path.normpath(os.path.join(base, ref))))
    _PATCH_CACHE[kustomization] = result = frozenset(found)
    return result


def _in_helm_chart(path: str) -> bool:
    directory = os.path.dirname(os.path.abspath(path))
    return os.path.exists(os.path.join(directory, "Chart.yaml"))


def normalized_newlines(text: str) -> str:
    """``\r\n`` and a lone ``\r`` as ``\n``. YAML reads all three as one line break (and makes
    each a ``\n`` inside scalars: YAML 1.2 5.4), so nothing changes for the parser, lines or
    columns; but the document-marker, line-splitting and position code after it need see only
    ``\n`` (a CRLF file's documents after a syntax error were lost, a CR-only file had one line)."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_BOM_FIRST_BYTES = b"".join(bom[:1] for bom, _ in _BOMS)  # a file starting otherwise has none


def decode(data: bytes) -> tuple[str, LoadError | None]:
    for bom, encoding in _BOMS if data[:1] in _BOM_FIRST_BYTES else ():
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
    block_indent = None  # inside a block scalar (| or >) opened at this indentation: text, not comments
    for number, line in enumerate(source.text.split("\n"), start=1):
        if block_indent is not None:
            stripped = line.lstrip(" ")
            if not stripped.strip() or len(line) - len(stripped) > block_indent:
                continue  # a line of the block scalar's content ("# k8slint: ..." there is data)
            block_indent = None
        if _BLOCK_SCALAR_START.search(line):
            block_indent = len(line) - len(line.lstrip(" "))
        if "k8slint:" not in line:
            continue
        match = _SUPPRESSION.search(line)
        if not match:
            continue
        kind, ids = match.group(1), match.group(2)
        rules = {i.strip() for i in (ids or "").split(",") if i.strip()} or {"*"}
        if ids:
            for part in re.finditer(r"[^,]+", ids):  # the ids as the suppression reads them
                name = part.group().strip()
                if name:
                    start = match.start(2) + part.start() + part.group().index(name) + 1
                    source.suppression_ids.append((number, start, start + len(name), name))
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
    broken one are still composed: from the next ``---`` (or ``...``) marker on, each document is
    composed on its own, so one broken document never hides another, and lines stay true.

    Hostile input: the work after errors stays linear in the size of the file (each document is
    sliced and parsed once, whatever the number of broken documents), with no recursion.
    """
    text = source.text or ""
    next_index = 0
    for item in compose(text):
        if isinstance(item, Document):
            next_index = item.index + 1
        yield item
        if isinstance(item, LoadError) and item.ends_stream:
            yield from _documents_after(text, item.line, next_index + 1)
            return


# After this many broken documents in a row, the rest of the file is not read (a file of millions
# of "]" lines would otherwise cost minutes and one error object per line); broken documents
# between good ones do not count towards it.
MAX_BROKEN_DOCUMENTS = 1000
# A slice between two markers that holds nothing but the marker, blanks and comments: an empty
# document, skipped without composing it (8 million "..." lines are 8 million of them).
_EMPTY_SLICE = re.compile(r"(?:---|\.\.\.)[ \t]*(?:#[^\n]*)?(?:\n[ \t]*(?:#[^\n]*)?)*\n?\Z")


def _documents_after(text: str, error_line: int, index: int) -> Iterator[Document | LoadError]:
    """The documents that start at or after ``error_line``, each composed from its own slice."""
    broken = 0
    markers = _markers(text)
    current = next(markers, None)
    while current is not None and current[0] < error_line:
        current = next(markers, None)
    while current is not None:
        line, offset = current
        following = next(markers, None)
        end = following[1] if following is not None else len(text)
        current = following
        if _EMPTY_SLICE.match(text, offset, end) is not None:
            if text.startswith("---", offset):
                index += 1  # an empty document still counts, as when the stream composes whole
            continue
        delta = line - 1
        for item in compose(text[offset:end], first_index=index):
            if line == error_line and isinstance(item, LoadError) and item.ends_stream:
                break  # the error was reported on this marker's line: the same broken document
            if isinstance(item, Document):
                _shift_positions(item.root, delta, set())
                item.line += delta
                item.offset += offset
                index = item.index + 1
                broken = 0
            else:
                item = LoadError(item.message, item.line + delta, item.column, item.ends_stream)
                if not item.ends_stream:
                    index += 1
                broken += 1
                if broken > MAX_BROKEN_DOCUMENTS:
                    yield LoadError(f"more than {MAX_BROKEN_DOCUMENTS} broken documents in a row: the rest of the file "
                                    f"(from line {item.line}) is not linted", item.line, 1, True)
                    return
            yield item


def next_document_marker(text: str, begin: int) -> int | None:
    """Offset of the first document marker (``---``/``...`` line) after offset ``begin``, or None."""
    found = _MARKER_AFTER_NEWLINE.search(text, begin)
    return found.start() + 1 if found else None


def _markers(text: str) -> Iterator[tuple[int, int]]:
    """(line, offset) of every document marker, in one pass over the text (made as they are
    needed: a list would hold one tuple per marker line of the file)."""
    line, last = 1, 0
    for match in _DOCUMENT_MARKER.finditer(text):
        line += text.count("\n", last, match.start())
        last = match.start()
        yield line, last


def _shift_positions(value, delta: int, seen: set) -> None:
    """Make the positions of a document composed from a slice true for the whole file."""
    if not isinstance(value, (dict, list)) or id(value) in seen:
        return
    seen.add(id(value))  # aliases share containers: shift each once
    marks = getattr(value, "marks", None)
    if isinstance(value, dict):
        if marks is not None:
            value.marks = {key: (_shifted(span_of(k), delta), _shifted(span_of(v), delta))
                           for key, (k, v) in marks.items()}
        items = value.values()
    else:
        if marks is not None:
            value.marks = type(marks)(_shifted(span_of(m), delta) for m in marks)
        items = value
    for item in items:
        _shift_positions(item, delta, seen)


def _shifted(span: tuple, delta: int) -> tuple:
    return (span[0] + delta, span[1], span[2] + delta, span[3])
