"""Custom policies: JSON Schemas over objects or containers, declared in configuration (the
Polaris idea).

A policy names the kinds it applies to and a JSON Schema that each object of those kinds (or
each container of its pod template) must satisfy. Policies come from ``.k8slint.yaml``
(``policies:`` holds paths of policy files, relative to the config file, or inline policies) and
are validated against ``schemas/policy.schema.json``; every problem is a ``ConfigError`` that
says the file, line and field. Each policy's validator is compiled once, when it is loaded
(jsonschema is imported then, not before), and only objects of the listed kinds are validated.

Every schema violation becomes a finding of the policy's id at the failing field: the error's
path (relative to the validated object or container) is prefixed with the container's path in
the object and handed to ``ctx.report``, which turns it into ``line:column``. A missing
required property is not in the document, so its path points at the nearest existing parent
(the mapping that lacks it) while the finding's ``path`` and message name the missing field.
"""

from __future__ import annotations

import json
import os
import string
from pathlib import Path

from k8slint.model.objects import Workload, describe_type, format_path

SCHEMA_NAME = "policy.schema.json"
PLACEHOLDERS = frozenset({"id", "kind", "name", "namespace", "container", "field", "error"})
# Ids that are not rules but still appear where rule ids do (JSON errors, SARIF notifications).
RESERVED_IDS = frozenset({"parse-error", "internal-error", "skipped-file"})
# Kinds whose objects run pods (the kinds k8slint.model.objects gives a pod template).
POD_KINDS = frozenset({"Pod", "Deployment", "ReplicaSet", "ReplicationController", "StatefulSet",
                       "DaemonSet", "Job", "CronJob", "PodTemplate", "Rollout"})
POLICY_FILE_SUFFIXES = (".yaml", ".yml", ".json")
MAX_DETAIL = 200
MAX_REFERENCED_FILES = 64
MAX_POLICY_FILES = 1000


class PolicyTooExpensive(Exception):
    """A policy's evaluation exceeded its work or time budget (reported as an error of the run)."""


class Policy:
    """One custom policy. ``check(obj, ctx)`` reports each violation through ``ctx.report``."""

    def __init__(self, data: dict, source: str, base_uri: str = "", root: str | None = None) -> None:
        self.id: str = data["id"]
        self.title: str = data["title"]
        self.severity: str = data["severity"]
        self.message: str = data["message"]
        self.remediation: str = data["remediation"]
        self.hint: str = data.get("hint") or " ".join(self.remediation.split())
        self.description: str = data.get("description", "")
        self.rationale: str = data.get("rationale", "")
        self.tags: list[str] = list(data.get("tags", ()))
        self.help_uri: str | None = data.get("help_uri")
        kinds = list(data["kinds"])
        self.kinds: frozenset[str] | None = None if "*" in kinds else frozenset(kinds)
        self.kind_list: list[str] = kinds
        self.target: str = data.get("target", "object")
        names = data.get("containers")
        self.container_names: frozenset[str] | None = frozenset(names) if names else None
        self.init_containers: bool = bool(data.get("initContainers", False))
        self.examples: dict | None = _plain(data["examples"]) if data.get("examples") else None
        self.schema: dict = _plain(data["schema"])
        self.source = source  # where it was declared: "policies/images.yaml:3" or ".k8slint.yaml:12"
        # Relative $refs resolve against the file that declares the policy (base_uri); only files
        # under ``root`` (the config's directory) can be referenced (see _registry).
        self.base_uri = base_uri
        self.root = root
        self._validator = None
        self.too_expensive = False  # set once its evaluation exceeded the budget (see check)

    def __repr__(self) -> str:
        return f"<Policy {self.id} from {self.source}>"

    # The compiled validator is rebuilt in worker processes (--jobs) rather than pickled.
    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_validator"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    @property
    def validator(self):
        if self._validator is None:
            self._validator = compile_schema(self.schema, self.base_uri, self.root)
        return self._validator

    def applies_to(self, obj) -> bool:
        return self.kinds is None or obj.kind in self.kinds

    def check(self, obj, ctx) -> None:
        """Validate ``obj`` (or each of its containers) and report every failing field.

        Evaluation is bounded (k8slint.bounded_schema): a policy that exceeds its budget on one
        object raises PolicyTooExpensive once and is skipped for the rest of the run, so that a
        hostile schema costs seconds, not the CI job."""
        if self.too_expensive or not self.applies_to(obj) or not ctx.enabled(self.id):
            return
        from k8slint.bounded_schema import BudgetExceeded, bounded

        try:
            with bounded():
                if self.target == "object":
                    self._validate(obj, ctx, obj.root, (), None)
                elif isinstance(obj, Workload):
                    sections = ("containers", "initContainers") if self.init_containers else ("containers",)
                    for container in obj.pod_template.containers(*sections):
                        if self.container_names is not None and container.name not in self.container_names:
                            continue
                        self._validate(obj, ctx, container.data, container.path, container)
        except BudgetExceeded as exc:
            self.too_expensive = True
            raise PolicyTooExpensive(f"{exc}; the policy is skipped for the rest of the run") from None

    def _validate(self, obj, ctx, instance, prefix: tuple, container) -> None:
        from jsonschema.exceptions import best_match

        seen = set()
        for error in self.validator.iter_errors(instance):
            error = best_match([error])
            relative, detail = _describe(error, "the container" if container is not None else "the object")
            path = prefix + relative
            if path in seen:
                continue
            seen.add(path)
            ctx.report(obj, path, self._message(obj, container, relative, detail),
                       hint=self.hint, rule=self.id, severity=self.severity)

    def _message(self, obj, container, relative: tuple, detail: str) -> str:
        values = {"id": self.id, "kind": obj.kind, "name": obj.name, "namespace": obj.namespace,
                  "container": container.name if container is not None else "",
                  "field": format_path(relative), "error": detail}
        text = self.message.format_map(values).strip()
        if "{error}" not in self.message.replace("{{", ""):
            text = f"{text} ({detail})"
        if container is not None and "{container}" not in self.message.replace("{{", ""):
            kind = "init container" if container.is_init else "container"
            text = f'{kind} "{container.name}": {text}'
        return text

    def metadata(self) -> dict:
        """The policy as a rule catalogue entry (the shape of rules/*.yaml), for `k8slint explain`
        and SARIF ``rules[]``."""
        what = "each container" if self.target == "container" else "each object"
        if self.target == "container" and self.container_names:
            what = "each container named " + ", ".join(sorted(self.container_names))
        kinds = "every kind" if self.kinds is None else ", ".join(self.kind_list)
        description = self.description or (
            f"Custom policy: {what} of kind {kinds} must satisfy the policy's JSON Schema.")
        meta = {
            "id": self.id,
            "title": self.title,
            "severity": self.severity,
            "description": " ".join(description.split()),
            "rationale": self.rationale or f"A policy of this project (custom policy declared in {self.source}).",
            "remediation": self.remediation,
            "hint": self.hint,
            "tags": list(dict.fromkeys([*self.tags, "custom-policy"])),
            "precision": "high",
            "docs_anchor": self.id,
        }
        if self.examples:
            meta["examples"] = dict(self.examples)
        if self.help_uri:
            meta["help_uri"] = self.help_uri
        return meta

    def explain_details(self) -> list[str]:
        """Extra lines for `k8slint explain`: where it applies and its schema."""
        target = "each container" if self.target == "container" else "the object"
        if self.target == "container":
            if self.container_names:
                target += " named " + ", ".join(sorted(self.container_names))
            if self.init_containers:
                target += " (init containers included)"
        kinds = "every kind" if self.kinds is None else ", ".join(self.kind_list)
        schema = json.dumps(self.schema, indent=2, ensure_ascii=False)
        return [f"Applies to: {target} of {kinds}", f"Declared in: {self.source}", "Schema:",
                *("    " + line for line in schema.splitlines())]


# --------------------------------------------------------------------------- validation errors


def _describe(error, whole: str) -> tuple[tuple, str]:
    """(path relative to the validated instance, what is wrong) for a jsonschema error."""
    path = tuple(error.absolute_path)
    kind = error.validator
    instance = error.instance
    if kind == "required" and isinstance(instance, dict):
        missing = next((p for p in error.validator_value if p not in instance
                        and error.message.startswith(repr(p))), None)
        if missing is None:
            missing = next((p for p in error.validator_value if p not in instance), None)
        if missing is not None:
            path += (missing,)
            return path, f"{format_path(path)} is missing"
    if kind == "additionalProperties" and isinstance(instance, dict):
        extra = _extra_properties(instance, error.schema)
        if extra:
            path += (extra[0],)
            return path, f"{format_path(path)} is not allowed"
    if "propertyNames" in error.relative_schema_path and isinstance(instance, str):
        # the error is about a key of the mapping: point at that key's entry
        field = format_path(path) or whole
        return path + (instance,), f"{field} has the key {instance!r}, which {_short(error.message)}"
    field = format_path(path) or whole
    if kind == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return path, f"{field} is a {describe_type(instance)}, not {_article(expected)}"
    if kind == "pattern":
        return path, f"{field} is {_value(instance)}, which does not match {error.validator_value!r}"
    if kind in ("anyOf", "oneOf") and not (kind == "oneOf" and _matches_several(error)):
        return path, f"{field} is {_value(instance)}, which matches none of the forms the policy allows"
    if kind == "not":
        return path, f"{field} is {_value(instance)}, which the policy forbids"
    if kind == "enum":
        return path, f"{field} is {_value(instance)}, not one of {_short(json.dumps(error.validator_value))}"
    if kind == "const":
        return path, f"{field} is {_value(instance)}, not {_short(json.dumps(error.validator_value))}"
    return path, f"{field}: {_short(error.message)}"


def _matches_several(error) -> bool:
    """A oneOf error because several alternatives matched (not none)."""
    return "is valid under each of" in error.message


def _extra_properties(instance: dict, schema: dict) -> list:
    from k8slint.bounded_schema import search

    properties = schema.get("properties") or {}
    patterns = list((schema.get("patternProperties") or {}).keys())
    return [key for key in instance if key not in properties
            and not any(search(pattern, key) for pattern in patterns)]


def _article(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _value(value) -> str:
    if isinstance(value, (dict, list)):
        return f"a {describe_type(value)}"
    return _short(json.dumps(value, ensure_ascii=False))


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_DETAIL else text[:MAX_DETAIL - 3] + "..."


# --------------------------------------------------------------------------- loading


def compile_schema(schema: dict, base_uri: str = "", root: str | None = None):
    """A jsonschema validator for ``schema`` (its ``$schema`` draft, default 2020-12), checking
    ``format``. Raises jsonschema.SchemaError for an invalid schema.

    References (``$ref``, ``$dynamicRef``, wherever they are) resolve through a registry that
    holds the schema itself and retrieves nothing but files under ``root`` (never a URL): see
    ``_registry``. Without a ``root``, nothing outside the schema can be referenced."""
    from jsonschema import Draft202012Validator, validators

    from k8slint.bounded_schema import validator_class

    cls = validator_class(validators.validator_for(schema, default=Draft202012Validator))
    cls.check_schema(schema)
    registry = _registry(root)
    return cls(schema, format_checker=cls.FORMAT_CHECKER, registry=registry,
               _resolver=_root_resolver(cls, schema, registry, base_uri))


def _root_resolver(cls, schema: dict, registry, base_uri: str):
    """The resolver jsonschema would make for ``schema`` in ``registry``, but with ``base_uri``
    (the policy's file) as the base of relative references when the schema has no ``$id``."""
    from referencing.jsonschema import specification_with

    resource = specification_with(cls.ID_OF(cls.META_SCHEMA) or "",
                                  default=_DEFAULT_SPECIFICATION()).create_resource(schema)
    uri = resource.id() or base_uri
    return _with_specifications(registry).with_resource(uri, resource).resolver(base_uri=uri)


def _DEFAULT_SPECIFICATION():
    from referencing.jsonschema import DRAFT202012

    return DRAFT202012


def _with_specifications(registry):
    """The registry plus the JSON Schema meta-schemas (what jsonschema adds to a registry it is
    given; needed here because the resolver is built before the validator)."""
    from jsonschema.validators import SPECIFICATIONS

    return SPECIFICATIONS.combine(registry)


class RefusedReference(Exception):
    """A reference a policy may not follow (a URL, or a file outside the config's directory)."""


def _registry(root: str | None):
    """A ``referencing`` registry whose only way to get a document not already in it is
    ``retrieve`` below: a regular, small JSON/YAML file under ``root`` (symlinks resolved).
    Everything else (http, https, ftp, data: URIs, file:// outside ``root``, devices, FIFOs) is
    refused, so a policy cannot read the CI runner's files or reach the network, whatever
    keyword or nesting carries the reference."""
    from referencing import Registry, Resource

    retrieved: dict[str, Resource] = {}  # each file is read once (a reference graph may revisit it)

    def retrieve(uri: str):
        if uri not in retrieved:
            if len(retrieved) >= MAX_REFERENCED_FILES:
                raise RefusedReference(f"{uri!r}: a policy may reference at most {MAX_REFERENCED_FILES} files")
            contents = _read_referenced(_referenced_file(uri, root))
            try:
                resource = Resource.from_contents(contents, default_specification=_DEFAULT_SPECIFICATION())
            except Exception as exc:  # e.g. an unknown $schema
                raise RefusedReference(f"{uri!r} is not a usable schema ({type(exc).__name__})") from None
            retrieved[uri] = resource
        return retrieved[uri]

    return Registry(retrieve=retrieve)


def _referenced_file(uri: str, root: str | None) -> Path:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(uri)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        raise RefusedReference(f"{uri!r} is not a file of the repository: policies may reference only "
                               f"their own $defs or files under the configuration's directory, never URLs")
    if root is None:
        raise RefusedReference(f"{uri!r}: this policy cannot reference files")
    from k8slint.config import ConfigError, contained

    try:
        return contained(Path(unquote(parts.path)), Path(root), "referenced file", unquote(parts.path))
    except ConfigError as exc:
        raise RefusedReference(str(exc)) from None


def _read_referenced(path: Path):
    from k8slint.config import ConfigError, read_yaml_file

    try:
        roots = read_yaml_file(path, "referenced schema")
    except ConfigError as exc:
        raise RefusedReference(str(exc)) from None
    if len(roots) != 1:
        raise RefusedReference(f"{path}: a referenced schema file holds one document")
    return _plain(roots[0])


def load_policies(config) -> list[Policy]:
    """The policies the configuration declares, validated, in declaration order."""
    entries = config.data.get("policies") or []
    if not entries:
        return []
    from k8slint.config import ConfigError, contained

    config_name = str(config.path) if config.path else ".k8slint.yaml"
    root = os.path.realpath(config.base_dir)
    inline_uri = Path(os.path.realpath(config.path)).as_uri() if config.path else Path(root, ".k8slint.yaml").as_uri()
    policies: list[Policy] = []
    for index, entry in enumerate(entries):
        where = f"{config_name}: policies[{index}]"
        if isinstance(entry, str):
            path = config.resolve(entry)
            if not path.exists():
                raise ConfigError(f"{where}: policy file {path} does not exist")
            path = contained(path, Path(root), f"{where}: policy file", entry)
            if path.is_dir():
                files = _policy_files(path)
                if not files:
                    raise ConfigError(f"{where}: no policy files (*.yaml, *.yml, *.json) in directory {path}")
            else:
                files = [path]
            for file in files:
                policies += _from_file(contained(file, Path(root), f"{where}: policy file"), root)
        else:
            policies += _from_document(entry, config_name, where, inline_uri, root)
    _check_ids(policies)
    return policies


def _policy_files(directory: Path) -> list[Path]:
    """Policy files in a directory tree, hidden ones skipped, symlinked directories not entered
    (so that a link cannot lead the walk out of the repository or round in a loop)."""
    files = []
    for parent, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files += [Path(parent, name) for name in names
                  if not name.startswith(".") and name.endswith(POLICY_FILE_SUFFIXES)]
        if len(files) > MAX_POLICY_FILES:
            from k8slint.config import ConfigError

            raise ConfigError(f"{directory}: more than {MAX_POLICY_FILES} policy files")
    return sorted(files)


def _from_file(path: Path, root: str) -> list[Policy]:
    from k8slint.config import read_yaml_file

    roots = read_yaml_file(path, "policy file")
    if not roots:
        from k8slint.config import ConfigError

        raise ConfigError(f"{path}: policy file holds no policy")
    out = []
    for number, document in enumerate(roots, start=1):
        where = f"{path}" if len(roots) == 1 else f"{path} (document {number})"
        out += _from_document(document, str(path), where, path.as_uri(), root)
    return out


def _from_document(document, file: str, where: str, base_uri: str = "", root: str | None = None) -> list[Policy]:
    """Policies of one policy document (a policy, or ``policies: [...]``), validated."""
    _validate_document(document, file, where)
    if isinstance(document, dict) and "policies" in document:
        items = [(item, ("policies", i)) for i, item in enumerate(document["policies"])]
    else:
        items = [(document, ())]
    out = []
    for data, path in items:
        line = _line(document, path)
        policy = Policy(data, f"{file}:{line}", base_uri, root)
        _check_policy(policy, data, document, path, file)
        out.append(policy)
    return out


def _validate_document(document, file: str, where: str) -> None:
    from jsonschema import Draft202012Validator

    from k8slint.config import ConfigError, _explain, _json_path
    from k8slint.resources import load_schema

    validator = Draft202012Validator(load_schema(SCHEMA_NAME))
    errors = sorted(validator.iter_errors(document), key=lambda e: [str(s) for s in e.absolute_path])
    if not errors:
        return
    lines = [f"{where}: invalid policy:"]
    for error in errors[:20]:
        path = tuple(error.absolute_path)
        lines.append(f"  {file}:{_line(document, path)}: at {_json_path(path)}: {_explain(error)}")
    raise ConfigError("\n".join(lines))


def _check_policy(policy: Policy, data: dict, document, path: tuple, file: str) -> None:
    """What the policy schema cannot say: placeholders, targets, the JSON Schema itself."""
    from jsonschema.exceptions import SchemaError

    from k8slint.config import ConfigError

    def fail(field: tuple, problem: str) -> None:
        raise ConfigError(f"{file}:{_line(document, path + field)}: policy {policy.id!r}: {problem}")

    try:
        names = [name for _, name, _, _ in string.Formatter().parse(policy.message) if name is not None]
    except ValueError as exc:
        fail(("message",), f"message is not a valid template ({exc}; write {{{{ and }}}} for literal braces)")
    for name in names:
        if name not in PLACEHOLDERS:
            fail(("message",), f"unknown placeholder {{{name}}} in message (use "
                               f"{', '.join('{' + p + '}' for p in sorted(PLACEHOLDERS))})")
    if policy.target != "container":
        for field in ("containers", "initContainers"):
            if field in data:
                fail((field,), f"{field} needs target: container")
    elif policy.kinds is not None:
        podless = [k for k in policy.kind_list if k not in POD_KINDS]
        if podless:
            fail(("kinds",), f"target: container, but {', '.join(podless)} objects have no containers "
                             f"(kinds that run pods: {', '.join(sorted(POD_KINDS))})")
    try:
        policy._validator = compile_schema(policy.schema, policy.base_uri, policy.root)
    except SchemaError as exc:
        # "not valid under any of the given schemas" says little: prefer an alternative's enum
        detail = next((c.message for c in exc.context or () if c.validator == "enum"), exc.message)
        fail(("schema",) + tuple(exc.path), f"invalid JSON Schema at {_schema_path(exc.path)}: {_short(detail)}")
    problem = _unresolvable_reference(policy)
    if problem is not None:
        ref_path, ref, why = problem
        fail(("schema",) + ref_path, f"{ref_path[-1]} {ref!r} at {_schema_path(ref_path)} {why}")


def _check_ids(policies: list[Policy]) -> None:
    from k8slint import catalog
    from k8slint.config import ConfigError
    from k8slint.rules import reported_ids

    builtin = set(reported_ids()) | set(catalog.load_catalog()) | RESERVED_IDS
    first: dict[str, Policy] = {}
    for policy in policies:
        if policy.id in builtin:
            raise ConfigError(f"{policy.source}: policy id {policy.id!r} is the id of a built-in rule; "
                              f"give the policy another id")
        if policy.id in first:
            raise ConfigError(f"{policy.source}: policy id {policy.id!r} is declared twice (first in "
                              f"{first[policy.id].source}); policy ids must be unique")
        first[policy.id] = policy


REFERENCE_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")


def _unresolvable_reference(policy: Policy):
    """(schema path, reference, why) of the first reference in the policy's schema, or in a file
    it references, that the policy's registry cannot resolve; None if all resolve.

    Every mapping is visited, whatever keyword holds it (a ``$ref`` under a ``$defs`` entry named
    ``default`` is one), so that a bad reference is a configuration error at load time; the
    registry refuses URLs and outside files on its own (this check only reports it early)."""
    from referencing.exceptions import Unresolvable

    validator = policy.validator
    resolver = _root_resolver(type(validator), policy.schema, _registry(policy.root), policy.base_uri)
    spec = _DEFAULT_SPECIFICATION()
    walked = {id(policy.schema)}
    pending = [(policy.schema, resolver, ())]
    while pending:
        schema, resolver, path = pending.pop()
        if isinstance(schema, list):
            pending += [(item, resolver, path + (i,)) for i, item in enumerate(schema)]
            continue
        if not isinstance(schema, dict):
            continue
        if isinstance(schema.get("$id"), str) and path:
            resolver = resolver.in_subresource(spec.create_resource(schema))
        for key, value in schema.items():
            if key in REFERENCE_KEYWORDS and isinstance(value, str):
                try:
                    resolved = resolver.lookup(value)
                except Unresolvable as exc:
                    cause = exc.__cause__
                    while cause is not None and not isinstance(cause, RefusedReference):
                        cause = cause.__cause__
                    why = f"cannot be followed: {cause}" if cause is not None else "points nowhere in the schema"
                    return path + (key,), value, why
                if id(resolved.contents) not in walked:  # (in a referenced file, its references too)
                    walked.add(id(resolved.contents))
                    pending.append((resolved.contents, resolved.resolver, path + (key,)))
            else:
                pending.append((value, resolver, path + (key,)))
    return None


def _schema_path(path) -> str:
    return "schema" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _line(document, path: tuple) -> int:
    """Line of ``path`` inside a composed document (its nearest existing parent)."""
    from k8slint.findings import locate

    if not isinstance(document, dict):
        return 1
    (line, _, _, _), _ = locate(document, path)
    return line


def _plain(value):
    """Plain dicts and lists (no positions) for a composed YAML value."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
