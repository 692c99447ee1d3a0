"""From a finding's fix (changes at field paths, k8slint.model.fixes) to text edits, and applying them.

A fix never re-serialises a document. The file is read again into a tree of its YAML nodes with
their exact character extents (from the same event stream the loader composes, so keys resolve
the same way), each change becomes a replacement of one span of text, and only those spans
change: comments, blank lines, quoting, flow style, indentation, key order, document markers and
the other documents stay byte for byte. Changes the tree cannot place exactly (a value behind an
alias or a merge key, a tagged or block scalar, a key that is not there any more) make the whole
fix unavailable instead of guessing: ``resolve`` says why.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from k8slint.model.fixes import DELETE, RENAME, SET, Change, Fix
from k8slint.yaml_values import _NUMBER_START, _SPECIAL, key_string, resolve_plain

INDENT_STEP = 2


class Unfixable(Exception):
    """A change that cannot be placed exactly in the text (the message says why)."""


@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace ``text[start:end]`` with ``new`` (``start == end``: an insertion)."""

    start: int
    end: int
    new: str


# --- the node tree -------------------------------------------------------------------------------


@dataclass(eq=False)
class Node:
    """A node of a document as its text spells it (offsets into the text)."""

    kind: str  # "map", "seq", "scalar", "alias"
    start: int
    end: int
    flow: bool = False
    style: str = ""  # scalars: "", "'", '"', "|", ">"
    text: str = ""  # scalars: the value as written (unescaped)
    plain_key: str = ""  # scalars used as keys: the key Kubernetes sees
    decorated: bool = False  # has a tag or an anchor (or is an alias)
    close: int = -1  # flow collections: offset of the closing bracket
    pairs: list = field(default_factory=list)  # maps: [(key Node, value Node)]
    items: list = field(default_factory=list)  # seqs: [Node]

    @property
    def value(self):
        """A scalar's value as the loader resolves it."""
        if self.style or self.decorated:
            return self.text
        return resolve_plain(self.text)

    def get(self, key):
        """The value node of the last occurrence of ``key`` (what kubectl keeps)."""
        found = None
        for k, v in self.pairs:
            if k.plain_key == key:
                found = (k, v)
        return found

    def content_end(self) -> int:
        """Where the node's own text ends (a block collection ends with its last item)."""
        if self.kind == "map" and not self.flow and self.pairs:
            return self.pairs[-1][1].content_end()
        if self.kind == "seq" and not self.flow and self.items:
            return self.items[-1].content_end()
        return self.end


@dataclass
class DocumentNodes:
    """The root node of one document and the line it starts on."""

    root: Node
    line: int  # 1-based line of the root node (k8slint.loader.Document.line)


def parse(text: str) -> list[DocumentNodes]:
    """Every document of ``text`` as a node tree with character offsets."""
    from ruamel.yaml.events import (
        AliasEvent, MappingEndEvent, MappingStartEvent, ScalarEvent, SequenceEndEvent, SequenceStartEvent,
    )

    from k8slint._event_composer import _event_source

    get = _event_source(text)
    documents: list[DocumentNodes] = []
    stack: list[tuple[Node, list]] = []  # (collection, [pending key]) being filled
    root_line = 0
    while True:
        event = get()
        if isinstance(event, ScalarEvent):
            node = Node("scalar", event.start_mark.index, event.end_mark.index, style=event.style or "",
                        text=event.value, decorated=event.anchor is not None or event.ctag is not None)
            if not node.style and not node.decorated and (event.value in _SPECIAL or event.value[:1] in _NUMBER_START):
                node.plain_key = key_string(resolve_plain(event.value))
            else:
                node.plain_key = event.value
        elif isinstance(event, AliasEvent):
            node = Node("alias", event.start_mark.index, event.end_mark.index, decorated=True)
        elif isinstance(event, (MappingStartEvent, SequenceStartEvent)):
            kind = "map" if isinstance(event, MappingStartEvent) else "seq"
            node = Node(kind, event.start_mark.index, -1, flow=bool(event.flow_style),
                        decorated=event.anchor is not None or event.ctag is not None)
            if not stack:
                root_line = event.start_mark.line + 1
            _add(stack, node)
            stack.append((node, []))
            continue
        elif isinstance(event, (MappingEndEvent, SequenceEndEvent)):
            node, _ = stack.pop()
            node.end = event.end_mark.index
            if node.flow:
                node.close = event.start_mark.index
            else:
                node.end = node.content_end() if (node.pairs or node.items) else node.start
            if not stack:
                documents.append(DocumentNodes(node, root_line))
            continue
        elif type(event).__name__ == "StreamEndEvent":
            return documents
        else:
            continue
        if stack:
            _add(stack, node)
        # a bare scalar document: nothing to fix in it


def _add(stack: list, node: Node) -> None:
    if not stack:
        return
    parent, pending = stack[-1]
    if parent.kind == "seq":
        parent.items.append(node)
    elif pending:
        parent.pairs.append((pending.pop(), node))
    else:
        pending.append(node)


# --- finding the object a fix is for -------------------------------------------------------------


def find_object(documents: list[DocumentNodes], doc_line: int, api_version: str, kind: str, name: str) -> Node | None:
    for document in documents:
        if document.line != doc_line:
            continue
        root = document.root
        if _is_object(root, api_version, kind, name):
            return root
        items = root.get("items") if root.kind == "map" else None
        if items is not None and items[1].kind == "seq":
            for item in items[1].items:
                if _is_object(item, api_version, kind, name):
                    return item
    return None


def _is_object(node: Node, api_version: str, kind: str, name: str) -> bool:
    if node.kind != "map":
        return False

    def scalar(n: Node | None, key: str):
        pair = n.get(key) if n is not None and n.kind == "map" else None
        return pair[1].value if pair is not None and pair[1].kind == "scalar" else None

    metadata = node.get("metadata")
    metadata = metadata[1] if metadata is not None else None
    found = scalar(metadata, "name") or scalar(metadata, "generateName") or ""
    return scalar(node, "apiVersion") == api_version and scalar(node, "kind") == kind and found == name


# --- changes -> edits -----------------------------------------------------------------------------


def resolve(text: str, root: Node, fix: Fix) -> list[TextEdit]:
    """The text edits of ``fix`` on the object at ``root``; Unfixable if any change cannot be placed."""
    context = _Text(text)
    edits: list[TextEdit] = []
    for change in fix.changes:
        edits.extend(_edits(context, root, change))
    edits.sort(key=lambda e: (e.start, e.end))
    for before, after in zip(edits, edits[1:]):
        if after.start < before.end or (after.start == before.end == after.end == before.start):
            raise Unfixable("two changes of the fix touch the same text")
    return edits


class _Text:
    def __init__(self, text: str) -> None:
        self.text = text
        self.newline = "\r\n" if "\r\n" in text else "\n"

    def line_start(self, offset: int) -> int:
        text = self.text
        return max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1

    def column(self, offset: int) -> int:
        return offset - self.line_start(offset)

    def line_end(self, offset: int) -> int:
        """Offset just after the line break that ends the line of ``offset`` (or the text's end)."""
        text = self.text
        match = _LINE_BREAK.search(text, offset)
        return match.end() if match else len(text)

    def only_blanks_before(self, offset: int) -> bool:
        return self.text[self.line_start(offset):offset].strip(" \t") == ""


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _walk(root: Node, path: tuple) -> tuple[Node | None, int, Node | None]:
    """The node at ``path``, how many steps of the path exist, and the node those steps reach."""
    node = root
    for depth, step in enumerate(path):
        if node.kind == "map" and isinstance(step, str):
            pair = node.get(step)
            if pair is None:
                return None, depth, node
            node = pair[1]
        elif node.kind == "seq" and isinstance(step, int) and 0 <= step < len(node.items):
            node = node.items[step]
        else:
            if node.kind == "alias" or node.decorated:
                raise Unfixable("the field is behind a YAML anchor or alias")
            return None, depth, node
        if node.kind == "alias":
            raise Unfixable("the field is behind a YAML alias")
    return node, len(path), node


def _edits(context: _Text, root: Node, change: Change) -> list[TextEdit]:
    path = change.path
    if not path:
        raise Unfixable("a change needs a field path")
    node, depth, reached = _walk(root, path)
    if change.op == SET:
        if node is not None:
            return _replace(context, node, change.value, path)
        return _insert(context, reached, path[depth:], change.value, path[:depth])
    parent, parent_depth, _ = _walk(root, path[:-1])
    if parent is None or parent.kind != "map" or node is None:
        raise Unfixable(f"{_dotted(path)} is not in the file")
    key = path[-1]
    occurrences = [(k, v) for k, v in parent.pairs if k.plain_key == key]
    if change.op == RENAME:
        key_node = occurrences[-1][0]
        if key_node.kind != "scalar" or key_node.decorated or key_node.style in ("|", ">"):
            raise Unfixable(f"the key of {_dotted(path)} is not a plain or quoted scalar")
        new = change.value
        if any(k.plain_key == new for k, _ in parent.pairs):
            raise Unfixable(f"{_dotted(path[:-1] + (new,))} exists already")
        return [TextEdit(key_node.start, key_node.end, render_scalar(new, key_node.style, key=True))]
    if change.op == DELETE:
        if change.first_of_duplicates and len(occurrences) < 2:
            raise Unfixable(f"{_dotted(path)} is not repeated any more")
        return [_delete_pair(context, parent, occurrences[0])]
    raise Unfixable(f"unknown change {change.op!r}")


def _replace(context: _Text, node: Node, value, path: tuple) -> list[TextEdit]:
    if isinstance(value, dict) and value and _is_null(node):  # "rollingUpdate:" -> a mapping under it
        block = _block(value, _owner_column(context, node) + INDENT_STEP, context.newline)
        start = node.start
        while start > 0 and context.text[start - 1] in " \t":  # "key: ~" -> "key:" + the block
            start -= 1
        return [TextEdit(start, node.end, context.newline + block.rstrip("\r\n"))]
    if isinstance(value, dict):
        if node.kind != "map":
            raise Unfixable(f"{_dotted(path)} is not a mapping")
        edits: list[TextEdit] = []
        for key, item in value.items():
            pair = node.get(key)
            if pair is not None:
                if pair[1].kind == "alias":
                    raise Unfixable(f"{_dotted(path + (key,))} is a YAML alias")
                edits.extend(_replace(context, pair[1], item, path + (key,)))
            else:
                edits.extend(_insert(context, node, (key,), item, path))
        return edits
    if node.decorated:
        raise Unfixable(f"{_dotted(path)} carries a YAML anchor or tag (other values may share it)")
    if node.kind != "scalar" or node.style in ("|", ">"):
        raise Unfixable(f"{_dotted(path)} is not a plain or quoted scalar")
    if node.start == node.end and _is_scalar(value):  # an empty (null) value: "key:" -> "key: value"
        return [TextEdit(node.start, node.end, " " + render_scalar(value))]
    if isinstance(value, list):
        return [TextEdit(node.start, node.end, _flow(value))]
    if not _is_scalar(value):
        raise Unfixable(f"cannot write {type(value).__name__} at {_dotted(path)}")
    if node.kind == "scalar" and node.value == value and type(node.value) is type(value):
        return []
    return [TextEdit(node.start, node.end, render_scalar(value, node.style))]


def _insert(context: _Text, parent: Node, rest: tuple, value, parent_path: tuple) -> list[TextEdit]:
    """Insert ``rest`` (keys still missing) with ``value`` under ``parent``."""
    if not all(isinstance(step, str) for step in rest):
        raise Unfixable(f"{_dotted(parent_path + rest)}: cannot add a list item")
    nested = value
    for step in reversed(rest[1:]):
        nested = {step: nested}
    key = rest[0]
    if _is_null(parent):
        # "rollingUpdate:" or "rollingUpdate: null": the mapping takes the null's place
        indent = _owner_column(context, parent) + INDENT_STEP
        block = _block({key: nested}, indent, context.newline)
        return [TextEdit(parent.start, parent.end, context.newline + block.rstrip("\r\n"))]
    if parent.kind != "map" or parent.decorated:
        raise Unfixable(f"{_dotted(parent_path)} is not a mapping")
    if parent.flow:
        entry = f"{render_scalar(key, key=True)}: {_flow(nested)}"
        before = context.text[parent.start + 1:parent.close]
        if before.strip():
            stripped = before.rstrip()
            at = parent.start + 1 + len(stripped)
            return [TextEdit(at, at, f", {entry}")]
        return [TextEdit(parent.close, parent.close, entry)]
    if not parent.pairs:
        raise Unfixable(f"{_dotted(parent_path)} is an empty block mapping")
    indent = context.column(parent.pairs[0][0].start)
    end = parent.content_end()
    at = context.line_end(end) if context.text[end - 1:end] not in ("\n", "\r") else end
    prefix = "" if at == 0 or context.text[at - 1] in "\r\n" else context.newline
    return [TextEdit(at, at, prefix + _block({key: nested}, indent, context.newline))]


def _is_null(node: Node) -> bool:
    return node.kind == "scalar" and not node.decorated and node.style == "" and node.value is None


def _owner_column(context: _Text, scalar: Node) -> int:
    """Column of the key that owns an (empty) scalar: the start of its line's text."""
    line_start = context.line_start(scalar.start)
    line = context.text[line_start:scalar.start]
    stripped = line.lstrip(" ")
    column = len(line) - len(stripped)
    while stripped.startswith("- "):  # "- key:" inside a list item
        column += 2
        stripped = stripped[2:]
    return column


def _delete_pair(context: _Text, parent: Node, pair: tuple) -> TextEdit:
    key, value = pair
    if key.kind != "scalar" or key.decorated:
        raise Unfixable("the key is not a plain or quoted scalar")
    if any(node.decorated and node.kind != "alias" for node in _subtree(value)):
        raise Unfixable("the value defines a YAML anchor or tag that may be used elsewhere")
    if parent.flow:
        index = next(i for i, p in enumerate(parent.pairs) if p[0] is key)
        if index + 1 < len(parent.pairs):
            return TextEdit(key.start, parent.pairs[index + 1][0].start, "")
        if index > 0:
            previous_end = parent.pairs[index - 1][1].end
            return TextEdit(previous_end, value.end, "")
        return TextEdit(key.start, value.end, "")
    if not context.only_blanks_before(key.start):  # "- key: ..." opens a list item: the next key takes its place
        index = next(i for i, p in enumerate(parent.pairs) if p[0] is key)
        if index + 1 >= len(parent.pairs):
            raise Unfixable("the key is the only one of its list item")
        return TextEdit(key.start, parent.pairs[index + 1][0].start, "")
    end = value.content_end() if value.end > value.start else key.end
    stop = context.line_end(end) if context.text[end - 1:end] not in ("\n", "\r") else end
    return TextEdit(context.line_start(key.start), stop, "")


def _subtree(node: Node):
    yield node
    for key, value in node.pairs:
        yield key
        yield from _subtree(value)
    for item in node.items:
        yield from _subtree(item)


# --- rendering ------------------------------------------------------------------------------------

_PLAIN_SAFE = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./%+=-]*\Z")


def _is_scalar(value) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def render_scalar(value, style: str = "", key: bool = False) -> str:
    """A scalar as YAML text that Kubernetes reads back as ``value`` (keeping a string's quote
    style where it can)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    text = str(value)
    if style == "'" and "\n" not in text:
        return "'" + text.replace("'", "''") + "'"
    if style == '"':
        return json.dumps(text, ensure_ascii=False)
    if _PLAIN_SAFE.match(text) and resolve_plain(text) == text and (not key or key_string(resolve_plain(text)) == text):
        return text
    return json.dumps(text, ensure_ascii=False)


def _flow(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{render_scalar(k, key=True)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return render_scalar(value)


def _block(mapping: dict, indent: int, newline: str) -> str:
    lines = []
    pad = " " * indent
    for key, value in mapping.items():
        if isinstance(value, dict) and value:
            lines.append(f"{pad}{render_scalar(key, key=True)}:{newline}")
            lines.append(_block(value, indent + INDENT_STEP, newline))
        else:
            lines.append(f"{pad}{render_scalar(key, key=True)}: {_flow(value)}{newline}")
    return "".join(lines)


def _dotted(path: tuple) -> str:
    from k8slint.model.objects import format_path

    return format_path(path) or "the object"


# --- applying -------------------------------------------------------------------------------------


def apply_edits(text: str, edits: list[TextEdit]) -> str:
    """``text`` with non-overlapping ``edits`` applied."""
    pieces = []
    last = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        pieces.append(text[last:edit.start])
        pieces.append(edit.new)
        last = edit.end
    pieces.append(text[last:])
    return "".join(pieces)


def overlaps(a: list[TextEdit], b: list[TextEdit]) -> bool:
    for x in a:
        for y in b:
            if x.start < y.end and y.start < x.end:
                return True
            if x.start == x.end == y.start or y.start == y.end == x.start or x.start == y.start:
                return True
    return False


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset (the loader's convention)."""
    line = 1 + len(_LINE_BREAK.findall(text, 0, offset))
    start = max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1
    return line, offset - start + 1


# --- fixes in reports (JSON, SARIF) ---------------------------------------------------------------


def edits_for(findings: list, text_of) -> dict:
    """For each finding with a fix that can be placed: its text edits (finding id -> edits).
    ``text_of(path)`` gives a file's current text (None: unavailable)."""
    by_file: dict[str, list] = {}
    for finding in findings:
        if finding.fix is not None:
            by_file.setdefault(finding.file, []).append(finding)
    placed: dict[int, tuple[list[TextEdit], str]] = {}
    for path, fixable in by_file.items():
        text = text_of(path)
        if text is None:
            continue
        try:
            documents = parse(text)
        except Exception:  # the file changed into something unreadable: no fix to offer
            continue
        for finding in fixable:
            root = find_object(documents, finding.doc_line, finding.api_version, finding.kind, finding.name)
            if root is None:
                continue
            try:
                edits = resolve(text, root, finding.fix)
            except Unfixable:
                continue
            if edits:
                placed[id(finding)] = (edits, text)
    return placed


def describe_fixes(findings: list, text_of) -> None:
    """Fill ``fix_edits`` of every finding whose fix can be placed in its file (for JSON and SARIF):
    each edit as 1-based line/column to end line/column (exclusive, like the findings) and the
    text that replaces that region."""
    for finding in findings:
        finding.fix_edits = None
    placed = edits_for(findings, text_of)
    for finding in findings:
        entry = placed.get(id(finding))
        if entry is None:
            continue
        edits, text = entry
        finding.fix_edits = []
        for edit in edits:
            line, column = position(text, edit.start)
            end_line, end_column = position(text, edit.end)
            finding.fix_edits.append({"line": line, "column": column, "end_line": end_line,
                                      "end_column": end_column, "text": edit.new})


# --- k8slint fix ------------------------------------------------------------------------------------

MAX_PASSES = 10


@dataclass
class Outcome:
    """What a fix run did: the files' texts before and after, the fixes applied and those not."""

    result: object  # the RunResult of linting the fixed texts
    before: dict = field(default_factory=dict)  # path -> text as read
    after: dict = field(default_factory=dict)  # path -> text with the fixes
    applied: list = field(default_factory=list)  # (file, line, column, rule, description, safety)
    skipped: list = field(default_factory=list)  # (file, line, column, rule, why)
    steps: list = field(default_factory=list)  # (file, text before, the edits applied to it): pass by pass

    @property
    def changed(self) -> list[str]:
        return [path for path, text in self.after.items() if text != self.before.get(path)]


def fix_run(paths, options, select: frozenset = frozenset(), unsafe: bool = False,
            stdin_text: str | None = None) -> Outcome:
    """Lint, apply the fixes that can be applied, lint the fixed texts again, until nothing more
    applies (at most MAX_PASSES passes). Nothing is written here: the texts come back in the
    Outcome. Fixes whose edits overlap wait for the next pass, on the re-linted text.

    A fix must not bring up anything new: when linting after a pass finds something about an
    object that was not reported before, the fixes of that pass on that object are taken back
    (the others stay) and not offered again; the account says what they would have brought up."""
    from k8slint import source as source_module
    from k8slint.engine import run
    from k8slint.source import STDIN

    outcome = Outcome(None)
    texts: dict[str, str] = {}
    if stdin_text is not None:  # standard input is read once: every pass lints this text
        texts[STDIN] = outcome.before[STDIN] = stdin_text
    read = _read_text
    blocked: dict[tuple, str] = {}  # finding identity -> why its fix is not applied
    known: set | None = None  # identities of the findings before the last pass
    last_pass: dict[str, tuple[str, list]] = {}  # file -> (text before the pass, [(finding, edits)])
    try:
        for _ in range(MAX_PASSES * 2):
            source_module.set_overrides(texts)
            result = run(paths, options)
            outcome.result = result
            if known is not None and _take_back(outcome, result, known, last_pass, texts, blocked):
                last_pass = {}
                continue  # lint the texts without the fixes taken back before going on
            known = {_identity(f) for f in result.findings}
            last_pass = {}
            wanted = [f for f in result.findings if f.fix is not None and not f.suppressed
                      and (not select or f.rule in select) and (unsafe or f.fix.safe)
                      and _identity(f) not in blocked]
            by_file: dict[str, list] = {}
            for finding in wanted:
                by_file.setdefault(finding.file, []).append(finding)
            for path, fixable in by_file.items():
                if path not in texts:
                    text = read(path)
                    if text is None:
                        continue
                    outcome.before[path] = texts[path] = text
                chosen = _choose(texts[path], fixable)
                new_text = apply_edits(texts[path], [e for _, edits in chosen for e in edits])
                if new_text != texts[path]:
                    last_pass[path] = (texts[path], chosen)
                    outcome.steps.append((path, texts[path], [e for _, edits in chosen for e in edits]))
                    texts[path] = outcome.after[path] = new_text
                    outcome.applied.extend(_applied(f) for f, _ in chosen)
            if not last_pass:
                break
    finally:
        source_module.set_overrides({})
    if outcome.result is not None:
        _not_applied(outcome, select, unsafe, texts, read, blocked)
    for path in outcome.before:
        outcome.after.setdefault(path, outcome.before[path])
    return outcome


def _identity(finding) -> tuple:
    return finding.file, finding.rule, finding.kind, finding.name, finding.path


def _applied(finding) -> tuple:
    return (finding.file, finding.line, finding.column, finding.rule, finding.fix.description, finding.fix.safety)


def _take_back(outcome: Outcome, result, known: set, last_pass: dict, texts: dict, blocked: dict) -> bool:
    """Undo the last pass's fixes on every object about which something new is reported."""
    new = {}
    for finding in result.findings:
        if _identity(finding) not in known:
            new.setdefault((finding.file, finding.kind, finding.name), finding)
    taken_back = False
    for path, (before, chosen) in last_pass.items():
        keep, drop = [], []
        for finding, edits in chosen:
            (drop if (path, finding.kind, finding.name) in new else keep).append((finding, edits))
        if not drop:
            continue
        taken_back = True
        for finding, _ in drop:
            brought = new[(path, finding.kind, finding.name)]
            blocked[_identity(finding)] = (f"not applied: after it, {brought.rule} reports "
                                           f"{brought.path or brought.kind}: {brought.message}")
            outcome.applied.remove(_applied(finding))
        kept_edits = [e for _, edits in keep for e in edits]
        texts[path] = outcome.after[path] = apply_edits(before, kept_edits)
        outcome.steps = [step for step in outcome.steps if not (step[0] == path and step[1] == before)]
        if kept_edits:
            outcome.steps.append((path, before, kept_edits))
    return taken_back


def _choose(text: str, findings: list) -> list:
    """The fixes of ``findings`` that can be placed in ``text`` without overlapping each other
    (first come, in file order), with their edits; the others wait for the next pass."""
    placed = edits_for(findings, lambda _path: text)
    taken: list[TextEdit] = []
    chosen = []
    for finding in sorted(findings, key=lambda f: (f.line, f.column, f.rule)):
        entry = placed.get(id(finding))
        if entry is None or overlaps(entry[0], taken):
            continue
        taken.extend(entry[0])
        chosen.append((finding, entry[0]))
    return chosen


def _not_applied(outcome: Outcome, select, unsafe: bool, texts: dict, read, blocked: dict) -> None:
    """Why the fixes still offered after the last pass were not applied."""
    findings = [f for f in outcome.result.findings if f.fix is not None and not f.suppressed
                and (not select or f.rule in select)]
    placed = {}
    for path in {f.file for f in findings}:
        text = texts.get(path) or read(path)
        same_file = [f for f in findings if f.file == path]
        placed.update(edits_for(same_file, lambda _p, text=text: text))
    for finding in findings:
        if _identity(finding) in blocked:
            why = blocked[_identity(finding)]
        elif not finding.fix.safe and not unsafe:
            why = f"unsafe fix, applied only with --unsafe: {finding.fix.description}"
        elif id(finding) not in placed:
            why = f"the fix cannot be placed in the text: {_why_unplaced(finding, texts.get(finding.file) or read(finding.file))}"
        else:
            why = f"still reported after {MAX_PASSES} passes of fixes"
        outcome.skipped.append((finding.file, finding.line, finding.column, finding.rule, why))


def _why_unplaced(finding, text) -> str:
    if text is None:
        return "the file cannot be read"
    try:
        documents = parse(text)
    except Exception as exc:  # noqa: BLE001 - any parse problem: say it
        return f"{type(exc).__name__}"
    root = find_object(documents, finding.doc_line, finding.api_version, finding.kind, finding.name)
    if root is None:
        return "the object is not found in the file"
    try:
        resolve(text, root, finding.fix)
    except Unfixable as exc:
        return str(exc)
    return "it changes nothing"


def _read_text(path: str) -> str | None:
    from k8slint.source import STDIN, read_source

    if path == STDIN:
        return None
    return read_source(path, keep_newlines=True).text  # written back: its line breaks stay


def unified_diff(path: str, before: str, after: str) -> str:
    import difflib

    from k8slint.source import display_path

    shown = display_path(path)
    while shown.startswith(("./", "/")):  # git's a/ b/ prefixes: `git apply` and `patch -p1` take it
        shown = shown[1:] if shown[0] == "/" else shown[2:]
    return "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                        f"a/{shown}", f"b/{shown}"))


def write_fixed(path: str, before: str, after: str, roots) -> str | None:
    """Write ``after`` over the file at ``path`` atomically (a temporary file in the same directory,
    renamed over it), in the file's own encoding and byte order mark. Returns why it was not
    written, or None. A symbolic link is written through only when its target is inside the tree
    the file was found in (the directory given, or a given file's directory); a file that changed
    since it was read is left alone."""
    import os
    import stat
    import tempfile

    from k8slint.source import decode

    tree = _tree_of(path, roots)
    real = os.path.realpath(path)
    if os.path.commonpath([real, os.path.realpath(tree)]) != os.path.realpath(tree):
        return f"it is a symbolic link to {real}, outside {tree}"
    try:
        with open(real, "rb") as handle:
            data = handle.read()
        bom, encoding = _encoding(data)
        text, problem = decode(data)
        if problem is not None or text != before:
            return "the file changed while it was being fixed"
        mode = stat.S_IMODE(os.stat(real).st_mode)
        directory = os.path.dirname(real) or "."
        fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(real)}.", suffix=".k8slint-fix", dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(bom + after.encode(encoding, "surrogateescape"))
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, mode)
            os.replace(temporary, real)
        except BaseException:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _tree_of(path: str, roots) -> str:
    import os

    for root in roots:
        if root == path:
            return os.path.dirname(root) or "."
        if os.path.isdir(root) and path.startswith(root.rstrip(os.sep) + os.sep):
            return root
    return os.path.dirname(path) or "."


def _encoding(data: bytes) -> tuple[bytes, str]:
    import codecs

    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
                          (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                          (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return bom, encoding
    return b"", "utf-8"
