"""SARIF 2.1.0 output, for GitHub code scanning and other SARIF viewers.

The log is built from sarif-om's classes and serialized by ``to_sarif`` (sarif-om has no
serializer): every attrs field becomes its ``schema_property_name``; a field is written when it was
given to the constructor (``_new``) or differs from its default, never when it is None. So an
explicit ``level: "warning"`` stays (a missing level means the rule's default level, not
"warning"), while sarif-om's unset sentinels (``ruleIndex: -1``, ``language: "en-US"`` ...) do
not leak. sarif-om 1.0.4 predates the final 2.1.0 schema and names ``suppression.status``
``state``: it is written as ``status``, the name GitHub's upload-sarif schema accepts.

What goes where:

- ``tool.driver.rules``: one entry per rule of the ``rules/`` catalogue, then the custom policies
  that ran, then any id a finding reports without metadata; ``result.ruleIndex`` points into it.
- Levels: k8slint severity error/warning/info -> SARIF ``error``/``warning``/``note`` (the result
  carries the effective severity, the rule's ``defaultConfiguration`` the catalogue default).
- Locations: ``artifactLocation.uri`` is the file's path relative to the root (the current
  directory unless ``render(root=...)``), POSIX separators, percent-encoded, with
  ``uriBaseId: %SRCROOT%`` declared in ``originalUriBaseIds`` as the root's ``file://`` URI.
  GitHub reads such URIs as relative to the repository root: run k8slint from there. Files
  outside the root get an absolute ``file://`` URI; standard input is ``-``. Columns count
  Unicode code points (``columnKind``); ``endColumn`` is exclusive.
- Helm output (``# Source:`` comments, k8slint.helm) and ``--render kustomize``: a finding names
  its template in the message and ``properties.template``; when that template is a file here
  (``--chart-root``, or the kustomization), the result's location is that file at file level
  (line 1: rendered lines are not template lines) and the rendered position a related location.
- ``partialFingerprints["k8slint/v1"]``: a hash of rule id, file, object identity (API group,
  kind, namespace, name) and field path, plus an occurrence count: it does not change when lines
  move. GitHub computes its own ``primaryLocationLineHash`` on upload.
- Suppressed findings are kept with ``suppressions: [{kind: inSource, status: accepted}]``; when
  any result has suppressions every result has the property (``[]`` when not suppressed), as the
  SARIF spec requires. GitHub does not honour SARIF suppressions (it opens alerts for them): the
  GitHub Action drops suppressed results before uploading.
- Files that could not be read or parsed, and rule crashes, are ``toolExecutionNotifications``
  of the invocation (level error, ``executionSuccessful: false``); skipped files (kustomization,
  Helm chart metadata) are notifications of level note, and so are the notes of rules (``ctx.note``:
  what a rule could not check, once per run): descriptor ``not-checked``, ``associatedRule`` the
  rule, the first place it came up as location, ``properties.count`` how many times.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from urllib.parse import quote, unquote

from k8slint import __version__
from k8slint.baseline import identity as _identity
from k8slint.report.json_text import dumps

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://github.com/k8slint/k8slint"
SRCROOT = "%SRCROOT%"
STDIN_URI = "-"
FINGERPRINT_KEY = "k8slint/v1"

LEVELS = {"error": "error", "warning": "warning", "info": "note"}
PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "info": "recommendation"}
# Only for rules tagged "security" (GitHub then shows them as security alerts).
SECURITY_SEVERITY = {"error": "8.0", "warning": "5.0", "info": "2.0"}
SUPPRESSION_JUSTIFICATION = {
    "annotation": "Suppressed by the k8slint.io/ignore annotation of the object.",
    "comment": "Suppressed by a '# k8slint: disable' comment in the file.",
}
# Execution notifications (declared in tool.driver.notifications): id -> (title, description).
NOTIFICATIONS = {
    "parse-error": ("File or document could not be read or parsed",
                    "A file or document could not be read, decoded or parsed as a Kubernetes manifest "
                    "(YAML syntax error, duplicate key, missing apiVersion/kind, template syntax, too "
                    "large). It was not linted; the other files were, and k8slint exits with code 2."),
    "internal-error": ("A rule failed on an object",
                       "A rule raised an error on an object, so its findings for that object are "
                       "missing. Please report it with the manifest that triggers it."),
    "skipped-file": ("File skipped on purpose",
                     "A kustomization file or Helm chart metadata was skipped: lint the output of "
                     "`kustomize build` or `helm template` instead."),
    "not-checked": ("Something a rule could not check",
                    "A rule says what it could not check in this run (custom resources of a kind with no "
                    "CustomResourceDefinition among the linted files, a search that stopped at its work "
                    "budget), once for the run, with how many times it came up and where first. Not a "
                    "finding: never counted, baselined or part of the exit code."),
}
NOTE_LEVEL = ("skipped-file", "not-checked")  # notifications of level note; the others are errors
MAX_TEXT = 1024  # GitHub's limit for shortDescription / fullDescription
MAX_NAME = 255
MAX_TAGS = 20

# sarif-om 1.0.4 property names that the final SARIF 2.1.0 schema spells differently.
_RENAMED = {("Suppression", "state"): "status"}
_GIVEN = "_k8slint_given"
# Written first, for people reading the JSON; the other properties follow in sarif-om's order.
_FIRST = ("$schema", "version", "id", "name", "ruleId", "ruleIndex", "level", "message", "tool")


def render(result, category: str | None = None, root: str | None = None) -> str:
    """The SARIF log of a run as JSON text. ``category`` becomes ``runAutomationDetails.id``;
    ``root`` is the directory artifact URIs are relative to (default: the current directory)."""
    log = build_log(result, category=category, root=root)
    return dumps(to_sarif(log)) + "\n"  # json.dumps(..., indent=2, ensure_ascii=False)


# --------------------------------------------------------------------------- serialization


def _new(cls, **given):
    """``cls(**given)``, remembering which properties were set (written even when default).
    Every property of such an object is given here, none set afterwards: to_sarif writes only
    the given ones (the others hold their defaults)."""
    obj = cls(**given)
    object.__setattr__(obj, _GIVEN, frozenset(given))
    return obj


def to_sarif(obj):
    """A sarif-om object tree as plain JSON values with SARIF property names."""
    kind = type(obj)
    if kind is str:
        return obj if obj.isascii() else _text(obj)
    if kind is dict:
        return {str(key): to_sarif(value) for key, value in obj.items()}
    if kind is list:
        return [to_sarif(value) for value in obj]
    given = getattr(obj, _GIVEN, None) if kind is not int and kind is not bool else None
    if given is not None:  # (made by _new) its given properties, in output order
        plan = _PLANS.get((kind, given))
        if plan is None:
            plan = _PLANS[(kind, given)] = tuple((field, name) for field, name, _ in _fields(kind) if field in given)
        out = {}
        for field, name in plan:
            value = getattr(obj, field)
            if value is not None:
                kind = type(value)
                if kind is str:
                    out[name] = value if value.isascii() else _text(value)
                elif kind is int or kind is bool:
                    out[name] = value
                else:
                    out[name] = to_sarif(value)
        return out
    fields = _fields(kind)
    if fields is not None:
        out = {}
        for field, name, default in fields:
            value = getattr(obj, field)
            if value is None:
                continue
            if default is not _NO_DEFAULT and value == default:
                continue
            out[name] = to_sarif(value)
        return out
    if isinstance(obj, dict):
        return {str(key): to_sarif(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_sarif(value) for value in obj]
    if isinstance(obj, str):
        return _text(obj)
    return obj


def _fields(cls) -> tuple | None:
    fields = _FIELDS.get(cls, _UNSEEN)
    if fields is _UNSEEN:
        fields = _FIELDS[cls] = _fields_of(cls)
    return fields


_UNSEEN = object()  # (a class not looked at yet)
# (class, the properties given to _new) -> ((attribute, SARIF property name), ...) in output order
_PLANS: dict = {}
_NO_DEFAULT = object()
# class -> ((attribute, SARIF property name, default or _NO_DEFAULT), ...) for sarif-om's attrs
# classes, None for other types: read once per class, not once per object of a log.
_FIELDS: dict = {}


def _fields_of(cls) -> tuple | None:
    import attr

    if not attr.has(cls):
        return None
    fields = []
    for field in attr.fields(cls):
        default = field.default
        if default is attr.NOTHING:
            default = _NO_DEFAULT
        elif isinstance(default, attr.Factory):  # type: ignore[arg-type]
            default = default.factory()  # (only compared with, never handed out)
        name = _RENAMED.get((cls.__name__, field.name)) or field.metadata.get("schema_property_name", field.name)
        fields.append((field.name, name, default))
    # the properties of _FIRST first, in its order, then the others in sarif-om's
    first = sorted((f for f in fields if f[1] in _FIRST), key=lambda f: _FIRST.index(f[1]))
    return tuple(first + [f for f in fields if f[1] not in _FIRST])


def _text(value) -> str:
    """Text that encodes as UTF-8 (lone surrogates from odd file names become U+FFFD)."""
    text = str(value)
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


# --------------------------------------------------------------------------- the log


def build_log(result, category: str | None = None, root: str | None = None):
    """The sarif-om ``SarifLog`` of a run."""
    import sarif_om as om

    root = os.path.abspath(root or os.getcwd())
    root_uri = _directory_uri(root)
    descriptors, index = _rules(result)
    notification_index = {rule_id: i for i, rule_id in enumerate(NOTIFICATIONS)}
    driver = _new(
        om.ToolComponent, name="k8slint", version=__version__, semantic_version=__version__,
        information_uri=INFORMATION_URI, rules=descriptors,
        notifications=[_notification_descriptor(rule_id, title, text)
                       for rule_id, (title, text) in NOTIFICATIONS.items()],
    )
    uris = _Uris(root)
    any_suppressed = any(f.suppressed for f in result.findings)
    occurrences: dict[str, int] = {}
    template_files: dict[str, bool] = {}
    results = []
    for finding in result.findings:
        uri, base = uris.of(finding.file)
        level = LEVELS.get(finding.severity, "warning")
        where = _location(uri, base, finding.line, finding.column, finding.end_line, finding.end_column)
        related = None
        if finding.template and _is_file(finding.template, template_files):
            # Helm output (--chart-root) or a rendered kustomization: the alert belongs on the
            # repository file that made the object, at file level (the rendered lines are not
            # its lines); the rendered position stays as a related location.
            related = [_new(om.Location, id=1, physical_location=where.physical_location,
                            message=_new(om.Message, text="Where the finding is in the rendered output."))]
            uri, base = uris.of(finding.template)
            where = _location(uri, base, 1, 1)
        fingerprint = _fingerprint(finding, uri)
        occurrences[fingerprint] = occurrences.get(fingerprint, 0) + 1
        given = dict(
            message=_new(om.Message, text=_message(finding)),
            rule_id=finding.rule,
            rule_index=index[finding.rule],
            level=level,
            locations=[where],
            partial_fingerprints={FINGERPRINT_KEY: f"{fingerprint}:{occurrences[fingerprint]}"},
            properties=_result_properties(finding),
        )
        if related:
            given["related_locations"] = related
        if finding.baseline_state:
            given["baseline_state"] = finding.baseline_state
        if finding.fix_edits:
            given["fixes"] = [_fix(finding, uri, base)]
        if any_suppressed:
            given["suppressions"] = [_suppression(finding)] if finding.suppressed else []
        results.append(_new(om.Result, **given))

    notifications = []
    for error in result.errors:
        uri, base = uris.of(error.file)
        rule_id = error.rule if error.rule in NOTIFICATIONS else "parse-error"
        notifications.append(_new(
            om.Notification,
            message=_new(om.Message, text=_text(error.message)),
            level="error",
            descriptor=_new(om.ReportingDescriptorReference, id=rule_id, index=notification_index[rule_id]),
            locations=[_location(uri, base, error.line, error.column)],
        ))
    for note in result.notes:
        if note.rule:  # a rule's note: where it first came up, the rule, how many times
            text = note.message + (f" ({note.count} in all)" if note.count > 1 else "")
            given = dict(
                message=_new(om.Message, text=_text(text)), level="note",
                descriptor=_new(om.ReportingDescriptorReference, id="not-checked",
                                index=notification_index["not-checked"]),
                associated_rule=_new(om.ReportingDescriptorReference, id=note.rule, index=index[note.rule])
                if note.rule in index else _new(om.ReportingDescriptorReference, id=note.rule),
                properties={"key": note.key, "count": note.count})
            if note.file:
                uri, base = uris.of(note.file)
                given["locations"] = [_location(uri, base, note.line, note.column) if note.line > 0 else
                                      _new(om.Location, physical_location=_new(
                                          om.PhysicalLocation, artifact_location=_artifact(uri, base)))]
            notifications.append(_new(om.Notification, **given))
            continue
        uri, base = uris.of(note.file)
        notifications.append(_new(
            om.Notification,
            message=_new(om.Message, text=_text(note.message)),
            level="note",
            descriptor=_new(om.ReportingDescriptorReference, id="skipped-file",
                            index=notification_index["skipped-file"]),
            locations=[_new(om.Location, physical_location=_new(
                om.PhysicalLocation, artifact_location=_artifact(uri, base)))],
        ))
    invocation = _new(om.Invocation, execution_successful=not result.errors,
                      working_directory=_new(om.ArtifactLocation, uri=root_uri),
                      **({"tool_execution_notifications": notifications} if notifications else {}))
    given = {}
    automation_id = _automation_id(category)
    if automation_id:
        given["automation_details"] = _new(om.RunAutomationDetails, id=automation_id)
    run = _new(
        om.Run,
        tool=_new(om.Tool, driver=driver),
        invocations=[invocation],
        original_uri_base_ids={SRCROOT: _new(
            om.ArtifactLocation, uri=root_uri,
            description=_new(om.Message, text="The directory k8slint ran in: the repository root."))},
        results=results,
        column_kind="unicodeCodePoints",
        **given,
    )
    return _new(om.SarifLog, schema_uri=SCHEMA_URI, version=SARIF_VERSION, runs=[run])


def _is_file(path: str, cache: dict) -> bool:
    if path not in cache:
        cache[path] = os.path.isfile(path)
    return cache[path]


def _automation_id(category: str | None) -> str | None:
    """GitHub reads ``runAutomationDetails.id`` up to its last "/" as the category, so a bare
    category gets a trailing "/" (what upload-sarif's ``category`` input does too)."""
    if not category or not category.strip():
        return None
    category = category.strip()
    return category if category.endswith("/") else category + "/"


def _message(finding) -> str:
    where = f"{finding.kind} {finding.namespace + '/' if finding.namespace else ''}{finding.name}".strip()
    text = finding.message.rstrip()
    if where:
        text += f" [{where}]"
    if finding.template:
        text += f" (template {finding.template}; line {finding.line} of the rendered output)"
    if finding.hint:
        text += f"\nHint: {finding.hint}"
    return _text(text)


def _result_properties(finding) -> dict:
    props = {"severity": finding.severity, "apiVersion": finding.api_version, "kind": finding.kind,
             "namespace": finding.namespace, "name": finding.name, "path": finding.path,
             "template": finding.template}
    return {key: value for key, value in props.items() if value}


def _fix(finding, uri: str, base: str | None):
    """A finding's fix as SARIF: its text edits as replacements (an empty deleted region inserts)."""
    import sarif_om as om

    description = finding.fix.description
    if not finding.fix.safe:
        description += " (unsafe: changes behaviour, review it)"
    replacements = []
    for edit in finding.fix_edits:
        given = {"deleted_region": _new(om.Region, start_line=edit["line"], start_column=edit["column"],
                                        end_line=edit["end_line"], end_column=edit["end_column"])}
        if edit["text"]:
            given["inserted_content"] = _new(om.ArtifactContent, text=edit["text"])
        replacements.append(_new(om.Replacement, **given))
    return _new(om.Fix, description=_new(om.Message, text=_text(description)),
                artifact_changes=[_new(om.ArtifactChange, artifact_location=_artifact(uri, base),
                                       replacements=replacements)])


def _suppression(finding):
    import sarif_om as om

    return _new(om.Suppression, kind="inSource", state="accepted",
                justification=SUPPRESSION_JUSTIFICATION.get(finding.suppression or "",
                                                            "Suppressed in the manifest."))


def _fingerprint(finding, uri: str) -> str:
    """Stable across line moves: rule, file, object identity and field path, never positions.
    Objects without a name (generateName) fall back to their document's index in the file."""
    return hashlib.sha256("\x1f".join(_identity(finding, uri)).encode("utf-8", "surrogatepass")).hexdigest()[:32]


# --------------------------------------------------------------------------- locations


def _location(uri: str, base: str | None, line: int, column: int, end_line: int | None = None,
              end_column: int | None = None):
    import sarif_om as om

    line, column = max(1, int(line or 1)), max(1, int(column or 1))
    given = {"start_line": line, "start_column": column}
    if end_line is not None and end_column is not None:
        end_line = max(line, int(end_line))
        end_column = max(1, int(end_column))
        if end_line == line and end_column <= column:
            end_column = column + 1
        given.update(end_line=end_line, end_column=end_column)
    return _new(om.Location, physical_location=_new(
        om.PhysicalLocation, artifact_location=_artifact(uri, base), region=_new(om.Region, **given)))


def _artifact(uri: str, base: str | None):
    import sarif_om as om

    if base is None:
        return _new(om.ArtifactLocation, uri=uri)
    return _new(om.ArtifactLocation, uri=uri, uri_base_id=base)


def _directory_uri(path: str) -> str:
    from pathlib import Path

    uri = Path(os.path.realpath(path)).as_uri()
    return uri if uri.endswith("/") else uri + "/"


class _Uris:
    """File path -> (uri, uriBaseId or None), cached per path. Each directory is resolved once:
    realpath stats every component of a path and relpath splits two, which cost ~14 us a file
    (10,000 files in a report: ~0.13 s); a file itself costs one lstat (is it a link?)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.cache: dict[str, tuple[str, str | None]] = {}
        self.directories: dict[str, tuple] = {}

    def of(self, path: str) -> tuple[str, str | None]:
        found = self.cache.get(path)
        if found is None:
            found = self.cache[path] = self._compute(path)
        return found

    def _compute(self, path: str) -> tuple[str, str | None]:
        if path == "-":
            return STDIN_URI, None
        directory, name = os.path.split(path)
        if not name or name in (os.curdir, os.pardir) or os.path.islink(path):
            return self._resolved(path)
        # A name that is no link: the file's real path is its directory's plus the name, and it
        # lies inside a base exactly when its directory is the base or lies inside it.
        place = self.directories.get(directory)
        if place is None:
            place = self.directories[directory] = self._directory(directory or os.curdir)
        real_directory, prefix = place
        if prefix is not None:
            return prefix + quote(os.fsencode(name), safe="/"), SRCROOT
        from pathlib import Path

        return Path(os.path.join(real_directory, name)).as_uri(), None

    def _directory(self, directory: str) -> tuple[str, str | None]:
        """(its real path, the URI prefix of its files under %SRCROOT%, or None when outside)."""
        real = os.path.realpath(directory)
        for base, candidate in ((self.real_root, real), (self.root, os.path.abspath(directory))):
            if candidate == base:
                return real, ""
            relative = _inside(candidate, base)
            if relative is not None:
                return real, quote(os.fsencode(relative.replace(os.sep, "/")), safe="/") + "/"
        return real, None

    def _resolved(self, path: str) -> tuple[str, str | None]:
        # Prefer the resolved path (GitHub cannot show results on symbolic links), then the path
        # as given; a file outside the root gets an absolute file:// URI.
        for base, candidate in ((self.real_root, os.path.realpath(path)),
                                (self.root, os.path.abspath(path))):
            relative = _inside(candidate, base)
            if relative is not None:
                return quote(os.fsencode(relative.replace(os.sep, "/")), safe="/"), SRCROOT
        from pathlib import Path

        return Path(os.path.realpath(path)).as_uri(), None


def _inside(path: str, base: str) -> str | None:
    try:
        relative = os.path.relpath(path, base)
    except ValueError:  # another drive (Windows)
        return None
    if relative == os.curdir or relative == os.pardir or relative.startswith(os.pardir + os.sep) \
            or os.path.isabs(relative):
        return None
    return relative


# --------------------------------------------------------------------------- rules


def _rules(result) -> tuple[list, dict[str, int]]:
    """reportingDescriptors for the catalogue, the custom policies, and any other id reported."""
    from k8slint import catalog

    descriptors, index = [], {}

    def add(rule_id: str, meta: dict, help_uri: str | None, custom: bool = False) -> None:
        if rule_id in index:
            return
        index[rule_id] = len(descriptors)
        descriptors.append(_descriptor(rule_id, meta, help_uri, custom))

    for rule_id, meta in sorted(catalog.load_catalog().items()):
        add(rule_id, meta, catalog.help_uri(rule_id))
    for policy in getattr(result, "policies", ()) or ():
        meta = dict(policy.metadata() or {})
        meta.setdefault("title", getattr(policy, "title", "") or policy.id)
        meta.setdefault("severity", getattr(policy, "severity", "warning"))
        uri = meta.get("help_uri") or meta.get("helpUri") or meta.get("url")
        add(policy.id, meta, uri if isinstance(uri, str) and _absolute_uri(uri) else None, custom=True)
    for finding in result.findings:
        if finding.rule not in index:
            add(finding.rule, {"title": finding.rule, "severity": finding.severity}, None)
    return descriptors, index


def _absolute_uri(uri: str) -> bool:
    return re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", uri) is not None


def _pascal(rule_id: str) -> str:
    name = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", rule_id) if part)
    return (name or "Rule")[:MAX_NAME]


def _prose(value) -> str:
    return " ".join(str(value or "").split())


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "\u2026"


def _descriptor(rule_id: str, meta: dict, help_uri: str | None, custom: bool):
    import sarif_om as om

    severity = meta.get("severity") if meta.get("severity") in LEVELS else "warning"
    title = _prose(meta.get("title")) or rule_id
    description = _prose(meta.get("description")) or title
    tags = [str(t) for t in (meta.get("tags") or []) if str(t)]
    if custom and "custom-policy" not in tags:
        tags.append("custom-policy")
    tags = list(dict.fromkeys(tags))[:MAX_TAGS]
    precision = meta.get("precision") if meta.get("precision") in ("very-high", "high", "medium", "low") \
        else ("medium" if custom else "high")
    properties = {"tags": tags, "precision": precision, "problem.severity": PROBLEM_SEVERITY[severity]}
    if "security" in tags:
        properties["security-severity"] = SECURITY_SEVERITY[severity]
    help_text, help_markdown = _help(rule_id, meta, title, description, help_uri)
    given = dict(
        id=rule_id, name=_pascal(rule_id),
        short_description=_new(om.MultiformatMessageString, text=_clip(title)),
        full_description=_new(om.MultiformatMessageString, text=_clip(description)),
        help=_new(om.MultiformatMessageString, text=help_text, markdown=help_markdown),
        default_configuration=_new(om.ReportingConfiguration, level=LEVELS[severity]),
        properties=properties,
    )
    if help_uri:
        given["help_uri"] = help_uri
    return _new(om.ReportingDescriptor, **given)


def _notification_descriptor(rule_id: str, title: str, description: str):
    import sarif_om as om

    return _new(om.ReportingDescriptor, id=rule_id, name=_pascal(rule_id),
                short_description=_new(om.MultiformatMessageString, text=title),
                full_description=_new(om.MultiformatMessageString, text=description),
                help=_new(om.MultiformatMessageString, text=description),
                default_configuration=_new(om.ReportingConfiguration,
                                           level="note" if rule_id in NOTE_LEVEL else "error"))


def _help(rule_id, meta, title, description, help_uri) -> tuple[str, str]:
    """The rule's documentation, rendered as `k8slint explain` and docs/rules.md render it."""
    from k8slint import catalog

    meta = {**meta, "title": title, "description": description}
    return catalog.render_text(rule_id, meta, help_uri), catalog.render_markdown(rule_id, meta, help_uri)


# --------------------------------------------------------------------------- for GitHub


def without_suppressed(document: dict) -> tuple[dict, int]:
    """A SARIF log without its suppressed results, and how many were dropped.

    GitHub code scanning ignores ``suppressions`` and would open alerts for suppressed findings,
    so the GitHub Action uploads the log without them. When no suppressed result remains the
    (then empty) ``suppressions`` properties go too: all results have it, or none."""
    dropped = 0
    for run in document.get("runs") or []:
        results = run.get("results") or []
        kept = [r for r in results if not r.get("suppressions")]
        dropped += len(results) - len(kept)
        for item in kept:
            item.pop("suppressions", None)
        run["results"] = kept
    return document, dropped


def drop_suppressed_in_file(path: str) -> int:
    """Rewrite the SARIF file ``path`` without its suppressed results; returns how many."""
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    document, dropped = without_suppressed(document)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return dropped


def print_results_of_file(path: str) -> int:
    """Print a SARIF log's results as k8slint's text lines (``uri:line:column: level rule:
    message``), then a count: the GitHub Action shows its one run's findings in the job log this
    way instead of linting a second time. Returns how many results it printed."""
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    level_names = {"error": "error", "warning": "warning", "note": "info"}
    printed = 0
    for run in document.get("runs", []):
        for item in run.get("results", []):
            where = (item.get("locations") or [{}])[0].get("physicalLocation", {})
            region = where.get("region", {})
            uri = unquote(where.get("artifactLocation", {}).get("uri", "?"))
            state = " (suppressed)" if item.get("suppressions") else ""
            text = item.get("message", {}).get("text", "").replace("\n", "\n       ")
            print(f"{uri}:{region.get('startLine', 1)}:{region.get('startColumn', 1)}: "
                  f"{level_names.get(item.get('level'), item.get('level'))} {item.get('ruleId')}: {text}{state}")
            printed += 1
        for invocation in run.get("invocations", []):
            for note in invocation.get("toolExecutionNotifications", []):
                where = (note.get("locations") or [{}])[0].get("physicalLocation", {})
                region = where.get("region", {})
                print(f"{unquote(where.get('artifactLocation', {}).get('uri', '?'))}:{region.get('startLine', 1)}:"
                      f"{region.get('startColumn', 1)}: {note.get('level', 'note')}: "
                      f"{note.get('message', {}).get('text', '')}")
    print(f"{printed} finding(s) in {path}")
    return printed
